"""rich progress displays for the CLI: pipeline stages, the timed solve, and sweeps.

The pipeline calls ``progress(stage_name)`` as each stage starts (see
:func:`planner.pipeline.run_scenario`). :class:`StageProgress` turns that into one bar over
the stages plus, while the solver runs, a bar over the solve's *work budget*
(:class:`planner.optimize._budget.Budget`, which reports each stage's work as it is spent):
its ETA is the work left at the rate measured so far (:func:`solve_eta`), never beyond the
solve's wall-clock safety stop, not a countdown of ``solver.time_limit_s`` (a loaded machine
spends the same work more slowly, and the ETA says so). On a non-terminal stream nothing is
drawn and each stage is logged instead, so logs and CI output stay clean. The columns fit an
80-column terminal.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column

from planner.optimize._budget import WORK_OBSERVERS, WORK_PER_S, Budget

log = logging.getLogger("planner")

#: the stages of a run, in order (pipeline stage names plus the CLI's own)
STAGES: tuple[str, ...] = (
    "load inputs",
    "grid and demand",
    "candidates",
    "coverage",
    "optimise",
    "plan",
    "sinr",
    "write outputs",
)
SOLVE_STAGE = "optimise"


def _columns() -> tuple[object, ...]:
    """Spinner, description, a 20-character bar, count, elapsed, ETA: about 75 characters with a
    30-character description, so the bars fit an 80-column terminal (rich truncates the description).
    """
    return (
        SpinnerColumn(),
        TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis", max_width=30)),
        BarColumn(bar_width=20),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[eta]}"),
    )


def _clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


#: share of the work budget reported before the measured rate replaces the nominal one (the first stages,
#: e.g. the reductions, report a few units after seconds of work: their rate says nothing of the rest)
MIN_MEASURED = 0.05


def solve_eta(work: float, used: float, t0: float, t_last: float, now: float, deadline: float) -> tuple[float, bool]:
    """Seconds left of a solve, from its work budget, and whether the safety stop bounds that.

    Parameters
    ----------
    work : float
        The solve's work budget (units, :attr:`Budget.work`).
    used : float
        Units spent by the stages that have finished (:attr:`Budget.used`, summed).
    t0, t_last, now, deadline : float
        ``time.perf_counter()`` at the budget's start, at the last work report, now, and of the
        wall-clock safety stop (s).

    Returns
    -------
    seconds : float
        The larger of two estimates of the work left (``work - used`` units):

        * at the rate measured up to the last report, less the time since that report (it
          counts down while a stage runs);
        * half of it at the rate measured up to *now*, counting the running stage as not yet
          done (it grows while a stage runs longer than the rate said).

        So the ETA counts down, and a stage slower than the ones before holds it up instead of
        letting it sit at zero while work remains. Until :data:`MIN_MEASURED` of the work is
        reported: the work at the nominal rate :data:`WORK_PER_S`. At most the time to the safety
        stop, never negative.
    bounded : bool
        True when the estimate is the safety stop: the display then says ``≤``.

    Examples
    --------
    >>> solve_eta(1000.0, 250.0, 0.0, 5.0, 5.0, 200.0)  # a quarter of the work in 5 s: 15 s left
    (15.0, False)
    >>> solve_eta(1000.0, 250.0, 0.0, 5.0, 20.0, 200.0)  # 15 s later, no report: held at 30 s (half of 60 s)
    (30.0, False)
    >>> solve_eta(1000.0, 0.0, 0.0, 0.0, 1.0, 200.0)  # nothing reported yet: 1000 units at 300 units/s
    (2.3333333333333335, False)
    """
    left_stop = max(0.0, deadline - now)
    left = max(0.0, work - used)
    if used >= MIN_MEASURED * work and t_last > t0:
        counting_down = left * (t_last - t0) / used - (now - t_last)
        held_up = 0.5 * left * (now - t0) / used
        estimate = max(counting_down, held_up)
    else:
        estimate = work / WORK_PER_S - (now - t0)
    if estimate >= left_stop or (estimate <= 0 < left):
        return left_stop, True
    return max(0.0, estimate), False


class StageProgress:
    """Progress callback for :func:`planner.run_scenario` that draws rich bars.

    Parameters
    ----------
    console : Console
        Where to draw (stderr in the CLI).
    time_limit_s : float
        The solver's time limit (s); the solve bar runs against it.
    stages : tuple of str
        Expected stage names; unknown names are shown but not counted.
    work_limit : float
        ``solver.work_limit`` (work units); when positive the solve bar names it instead of the
        time limit, and its first ETA is ``work_limit /`` :data:`~planner.optimize._budget.WORK_PER_S` s.

    Examples
    --------
    >>> from rich.console import Console
    >>> with StageProgress(Console(quiet=True), 10.0) as cb:
    ...     cb("load inputs")
    """

    def __init__(
        self, console: Console, time_limit_s: float, stages: tuple[str, ...] = STAGES, work_limit: float = 0.0
    ) -> None:
        self.console = console
        self.work_limit = float(work_limit)
        # the nominal span of the solve: work_limit / WORK_PER_S when the work budget is given directly
        self.time_limit_s = self.work_limit / WORK_PER_S if self.work_limit > 0 else float(time_limit_s)
        self.stages = stages
        self.live = console.is_terminal and not console.quiet
        self.progress = Progress(*_columns(), console=console, transient=True, disable=not self.live)  # type: ignore[arg-type]
        self._overall: TaskID | None = None
        self._solve: TaskID | None = None
        self._done = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._budget: Budget | None = None
        self._t_last = 0.0

    def __enter__(self) -> StageProgress:
        self.progress.start()
        self._overall = self.progress.add_task(
            "starting", total=len(self.stages), count=f"0/{len(self.stages)}", eta=""
        )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._end_solve()
        self.progress.stop()

    def __call__(self, stage: str) -> None:
        """Start ``stage`` (the pipeline's progress callback)."""
        assert self._overall is not None, "use StageProgress as a context manager"
        self._end_solve()
        if stage in self.stages:
            self._done = self.stages.index(stage)
        self.progress.update(
            self._overall,
            description=stage,
            completed=self._done,
            count=f"{self._done + 1 if stage in self.stages else self._done}/{len(self.stages)}",
        )
        if not self.live:
            log.info("%s…", stage)
        if stage == SOLVE_STAGE:
            self._start_solve()

    def _start_solve(self) -> None:
        self._solve = self.progress.add_task(
            f"  solve (work {self.work_limit:g} units)"
            if self.work_limit > 0
            else f"  solve (limit {self.time_limit_s:g} s)",
            total=1.0,
            count="0 %",
            eta="ETA " + _clock(self.time_limit_s),
        )
        self._stop.clear()
        self._budget = None
        self._t_last = 0.0
        WORK_OBSERVERS.append(self._observe)
        if self.live:
            self._ticker = threading.Thread(target=self._tick, name="planner-solve-progress", daemon=True)
            self._ticker.start()

    def _observe(self, budget: Budget) -> None:
        """A work report (:data:`planner.optimize._budget.WORK_OBSERVERS`), from the solver's thread.

        The largest budget started during the solve is the solve's own (the JIT warm-up and the
        sub-solves of tiles or phases run on smaller ones).
        """
        if self._budget is None or budget is self._budget or budget.work > self._budget.work:
            self._budget = budget
            self._t_last = time.perf_counter()

    def eta_text(self, now: float | None = None) -> tuple[float, str]:
        """(fraction of the solve's work spent, ETA text) at ``now`` (``time.perf_counter()``)."""
        budget = self._budget
        now = time.perf_counter() if now is None else now
        if budget is None:
            return 0.0, "ETA " + _clock(self.time_limit_s)
        used = min(sum(budget.used.values()), budget.work)
        seconds, bounded = solve_eta(budget.work, used, budget.t0, self._t_last, now, budget.deadline)
        return used / budget.work if budget.work > 0 else 0.0, ("ETA ≤" if bounded else "ETA ") + _clock(seconds)

    def _tick_once(self) -> None:
        if self._solve is not None:
            done, eta = self.eta_text()
            self.progress.update(self._solve, completed=done, count=f"{100 * done:.0f} %", eta=eta)

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            self._tick_once()

    def _end_solve(self) -> None:
        self._stop.set()
        if self._observe in WORK_OBSERVERS:
            WORK_OBSERVERS.remove(self._observe)
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._solve is not None:
            self.progress.remove_task(self._solve)
            self._solve = None


class SweepProgressBar:
    """``progress(event, label, done, total)`` callback of :func:`planner.workflow.sweeps`."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal and not console.quiet
        self.progress = Progress(*_columns(), console=console, transient=True, disable=not self.live)  # type: ignore[arg-type]
        self._task: TaskID | None = None
        self._t0 = time.perf_counter()

    def __enter__(self) -> SweepProgressBar:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def __call__(self, event: str, label: str, done: int, total: int) -> None:
        """Show a sweep event (the sweep's progress callback)."""
        text = {
            "prepare": "shared coverage (computed once)",
            "solved": f"solved {label}",
            "written": "writing run folders",
            "done": "done",
        }.get(event, event)
        if self._task is None:
            self._t0 = time.perf_counter()
            self._task = self.progress.add_task(text, total=total, count="", eta="")
        elapsed = time.perf_counter() - self._t0
        eta = f"ETA {_clock(elapsed * (total - done) / done)}" if 0 < done < total else ""  # variants alike: linear
        self.progress.update(
            self._task, description=text, completed=done, total=total, count=f"{done}/{total}", eta=eta
        )
        if not self.live:
            log.info("sweep: %s (%d/%d)", text, done, total)
