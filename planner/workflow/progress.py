"""rich progress displays for the CLI: pipeline stages, the timed solve, and sweeps.

The pipeline calls ``progress(stage_name)`` as each stage starts (see
:func:`planner.pipeline.run_scenario`). :class:`StageProgress` turns that into one bar over
the stages plus, while the solver runs, a bar against ``solver.time_limit_s`` whose ETA is
the worst case (the solver may finish early). On a non-terminal stream nothing is drawn and
each stage is logged instead, so logs and CI output stay clean.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

log = logging.getLogger("planner")

#: the stages of a run, in order (pipeline stage names plus the CLI's own)
STAGES: tuple[str, ...] = ("load inputs", "grid and demand", "candidates", "coverage", "optimise", "plan", "sinr",
                            "write outputs")
SOLVE_STAGE = "optimise"


def _columns() -> tuple[object, ...]:
    return (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())


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

    Examples
    --------
    >>> from rich.console import Console
    >>> with StageProgress(Console(quiet=True), 10.0) as cb:
    ...     cb("load inputs")
    """

    def __init__(self, console: Console, time_limit_s: float, stages: tuple[str, ...] = STAGES) -> None:
        self.console = console
        self.time_limit_s = float(time_limit_s)
        self.stages = stages
        self.live = console.is_terminal and not console.quiet
        self.progress = Progress(*_columns(), console=console, transient=True, disable=not self.live)  # type: ignore[arg-type]
        self._overall: TaskID | None = None
        self._solve: TaskID | None = None
        self._done = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __enter__(self) -> StageProgress:
        self.progress.start()
        self._overall = self.progress.add_task("starting", total=len(self.stages))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._end_solve()
        self.progress.stop()

    def __call__(self, stage: str) -> None:
        """Start ``stage`` (the pipeline's progress callback)."""
        assert self._overall is not None, "use StageProgress as a context manager"
        self._end_solve()
        if stage in self.stages:
            self._done = self.stages.index(stage)
        self.progress.update(self._overall, description=stage, completed=self._done)
        if not self.live:
            log.info("%s…", stage)
        if stage == SOLVE_STAGE:
            self._start_solve()

    def _start_solve(self) -> None:
        self._solve = self.progress.add_task(f"  solving (limit {self.time_limit_s:g} s)", total=self.time_limit_s)
        self._stop.clear()
        t0 = time.monotonic()

        def tick() -> None:
            while not self._stop.wait(0.25):
                if self._solve is not None:
                    self.progress.update(self._solve, completed=min(time.monotonic() - t0, self.time_limit_s))

        if self.live:
            self._ticker = threading.Thread(target=tick, name="planner-solve-progress", daemon=True)
            self._ticker.start()

    def _end_solve(self) -> None:
        self._stop.set()
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

    def __enter__(self) -> SweepProgressBar:
        self.progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()

    def __call__(self, event: str, label: str, done: int, total: int) -> None:
        """Show a sweep event (the sweep's progress callback)."""
        text = {"prepare": "shared coverage (computed once)", "solved": f"solved {label}", "written": "writing run folders",
                "done": "done"}.get(event, event)
        if self._task is None:
            self._task = self.progress.add_task(text, total=total)
        self.progress.update(self._task, description=text, completed=done, total=total)
        if not self.live:
            log.info("sweep: %s (%d/%d)", text, done, total)
