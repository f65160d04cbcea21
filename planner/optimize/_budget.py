"""Work budgets of :func:`planner.optimize.solve`: deterministic limits instead of wall-clock shares.

Every stage of a solve is bounded by *work units* that do not depend on the clock, so the
same model, seed and limit give the same plan on any machine and under any load:

* heuristics (greedy, local search, subgradient Lagrangian): one unit is
  :data:`OPS_PER_UNIT` elementary operations of the kernels' cost models (a step of a local
  search costs a few passes over the rows and columns it touches; see the ``per_step``
  estimates in :mod:`planner.optimize._heuristics`);
* CP-SAT: :data:`DTIME_PER_UNIT` seconds of its *deterministic time*
  (``max_deterministic_time``, interleaved search);
* SCIP: branch-and-bound nodes (``limits/totalnodes``) with :data:`SCIP_EXACT_SETTINGS`, the
  root charged :data:`SCIP_ROOT_OPS` and the further nodes :data:`SCIP_NODE_OPS` × the square
  root of their number, operations per unit of LP size (:func:`scip_units`).

``solver.time_limit_s`` becomes a budget through one fixed rate, :data:`WORK_PER_S` units per
second, or the user gives ``solver.work_limit`` (units) directly. The wall clock is only a
safety stop at :data:`SAFETY_FACTOR` × the limit + :data:`SAFETY_PAD_S`; a stage it cuts
short is listed in ``stats["budget"]["time_limited_stages"]`` and the solution carries
:data:`TIME_LIMITED_WARNING`: the plan may then differ from run to run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: elementary kernel operations per work unit
OPS_PER_UNIT = 1e6
#: work units per second of ``solver.time_limit_s``. Calibrated once on the 2-vCPU
#: development machine (Intel Xeon, numba 0.6x): on the demo model the partial-target local
#: search ran 40,000–70,000 steps/s idle and 18,000–33,000 steps/s with other processes on
#: both cores, at about 9,000 counted operations a step, i.e. 1.6e8–6e8 operations/s; the
#: Lagrangian and RWLS kernels count about as conservatively. 300 units/s (3e8 operations/s)
#: keeps the demo's optimise stage within its 40 s limit with two CPU-burning processes
#: beside it (see BENCHMARKS.md, "Reproducible plans"); an idle machine finishes early.
#: Checked per stage in CPU seconds (``tests/benchmarks/stage_times.py``, 2026-12-06, load
#: 10–15): units per CPU second were CFT 287–510, LP 1,200–2,000 (pure cover), CP-SAT
#: 650–1,929, partial local search 189–322, Lagrangian 375–430, SCIP's core root 164–298;
#: the demo's 12,000 units took 36–39 CPU s, scpnre1's 18,000 15 s, rail507's 36,000 26 s.
#: A wall-clock limit therefore holds on an idle core and cannot under a load of 10 on 2
#: vCPUs: the rate is a property of the work, never of the load.
#: Re-measured 2026-12-06 16:00-16:25 UTC at load 2.3-3.6 (one other CPU-bound process beside the
#: run), demo pickles, 12,000 units, CPU s of the process: new defaults LS 258, PDLP 707, SCIP
#: core 385 units per CPU s (solve 29.1 s); old model LS 435, PDLP 883, core 519 (20.9 s). The
#: same work costs up to twice the CPU seconds on this VM when both vCPUs are contended (the
#: core MIP: 176 units per CPU s at load 6, 385 at load 2.4; the old model's 11-node core 11.7
#: and 17.1 CPU s in two runs at load ~3), so per-stage rates are calibrated at load 2-4 and
#: charged as counted operations (local search, PDLP, Lagrangian) or by a cost model of the
#: solver's size and node limit (:func:`planner.optimize._core.core_units`), never by the clock.
#: With the cost model of the core (its nodes charged by size, 3.3 nominal s at 6,450 columns
#: against 1 s before) the demo's optimise stage took 28.5-32.2 CPU s (new defaults, warm and cold
#: cache) and 31.1-37.8 CPU s (old model) against issue 12's 46 s rule, at load 2.3-3.9
#: (BENCHMARKS.md, "DEMO, session 3")
WORK_PER_S = 300.0
#: CP-SAT ``max_deterministic_time`` per work unit: 0.08 s per nominal second. With
#: interleaved search on 2 workers CP-SAT overshoots that limit about 3.5-fold in the
#: deterministic time it reports (limit 0.3 → 1.15, 1.0 → 3.4 on a 400 × 600 cover; 2.98 →
#: 5.1 on demo_small) and accrued 0.13–0.4 reported units per wall second on the 2-core
#: development machine (load average 8 to lightly loaded): about 4–14 wall s per unit of limit
DTIME_PER_UNIT = 0.08 / WORK_PER_S
#: operations counted per unit of LP size (:func:`scip_lp_size`) for SCIP's root node on the whole
#: reduced model with :data:`SCIP_EXACT_SETTINGS` (presolve, LP, 5 separation rounds, the root's
#: primal heuristics, strong branching), for the nodes after it (× the square root of their
#: number) and at least per node after it. All grow faster
#: than the size: they are multiplied by ``(size / SCIP_SIZE_REF) **`` :data:`SCIP_SIZE_EXP` (the dual
#: simplex needs more iterations on a larger LP, each over more nonzeros), at least by
#: :data:`SCIP_SMALL_FACTOR`. See :func:`scip_units` for the measurements they are fitted to
SCIP_ROOT_OPS = 5500.0
SCIP_NODE_OPS = 4000.0
SCIP_NODE_FLOOR_OPS = 70.0
SCIP_SIZE_REF = 20_000.0
SCIP_SIZE_EXP = 1.4
#: least growth factor (:func:`_scip_scale`): below about 49,000 (where ``(size / SCIP_SIZE_REF) **
#: SCIP_SIZE_EXP`` reaches it) SCIP's work grows about as the size, not faster. REVIEW's 768-candidate
#: model on the 25 m grid (2,554 × 602, partial targets, size 25,831) took 1.12 CPU s at the root and
#: 0.8-1.2 s × √(nodes − 1) after it (1,600 nodes 36.1 s idle; 3,904 nodes 75.9 s at load 2.5 in a
#: ``planner run`` at 60 s, whose optimise stage took 77.9 s): the power law alone charged 0.68 s and
#: 0.49 s × √(nodes − 1). 3.5 charges 1.66 s and 1.21 s × √(nodes − 1) there and leaves the models it was
#: fitted to (sizes 49,735 and 105,908, factors 3.58 and 10.3) unchanged
SCIP_SMALL_FACTOR = 3.5
#: SCIP parameters of the exact stage (``name = value`` lines; deterministic limits only, so a
#: node limit bounds the work): five separation rounds at the root (SCIP's default runs up to 20
#: and more), no restart after the root (a restart repeats presolve, the root LP, its cuts and
#: strong branching), and RENS's sub-MIP capped at 50 nodes (uncapped it took half the root: 2.9
#: of 5.8 CPU s on REVIEW's 768-candidate model and 16 of 29 s on demo_small)
SCIP_EXACT_SETTINGS = "separating/maxroundsroot = 5\npresolving/maxrestarts = 0\nheuristics/rens/maxnodes = 50\n"
#: the wall-clock safety stop: this multiple of the limit plus :data:`SAFETY_PAD_S` seconds
SAFETY_FACTOR = 3.0
SAFETY_PAD_S = 5.0
#: text a time-limited solution carries (the pipeline shows it as a run warning)
TIME_LIMITED_WARNING = "time-limited: this plan may not be reproducible"
#: observers of the work spent, called as ``fn(budget)`` when a budget starts and after each stage
#: records its work (the CLI's progress bar estimates the solve's ETA from them,
#: :class:`planner.workflow.progress.StageProgress`); display only, they never change a plan
WORK_OBSERVERS: list[Callable[[Budget], None]] = []


def scip_lp_size(nnz: int, rows: int, cols: int, y_rows: int) -> float:
    """LP size of SCIP's model of a reduced problem: its nonzeros, rows and columns.

    ``nnz``, ``rows``, ``cols``: the reduced matrix; ``y_rows``: rows with a coverage variable
    ``y_i`` (partial targets, or every row for max_coverage), each adding a column and two
    nonzeros (``−k_i y_i`` in its row, ``w_i y_i`` in its area's target row).
    """
    return float(nnz + rows + cols + 3 * y_rows)


def _scip_scale(size: float) -> float:
    """``size`` times its growth factor ``max(SCIP_SMALL_FACTOR, (size / SCIP_SIZE_REF) ** SCIP_SIZE_EXP)``."""
    return float(size * max(SCIP_SMALL_FACTOR, (size / SCIP_SIZE_REF) ** SCIP_SIZE_EXP))


def scip_units(size: float, nodes: int) -> float:
    """Work units charged for SCIP's root and ``nodes − 1`` further nodes on an LP of ``size`` (:func:`scip_lp_size`).

    The nodes after the root cost :data:`SCIP_NODE_OPS` × √(nodes − 1) together, at least
    :data:`SCIP_NODE_FLOOR_OPS` each: the first nodes are dear (strong branching initialises
    the pseudocosts, the LP is far from the node's), deeper ones cheap (a few warm-started dual
    simplex iterations). Measured 2026-12-06 with :data:`SCIP_EXACT_SETTINGS`, one thread,
    hinted with the incumbent, CPU s on the 2-vCPU development machine at a 1-min load of 2.7-3.3
    (see BENCHMARKS.md, "EXACT"): REVIEW's 768-candidate model (4,694 × 632, partial targets,
    size 49,735): root 3.1 s, 22 nodes 13.9 s, 84 nodes 26.2 s, 2,276 nodes (solved to
    optimality) 116.6 s, i.e. nodes after the root 2.36-2.52 s × √(nodes − 1); demo_small
    (5,336 × 2,158, size 105,908): root 19.1 s, 4 nodes 31.9 s, 7 nodes 44.2 s, 30 nodes 63.2 s
    (7.4-10.2 s × √(nodes − 1)); scpa1 (300 × 2,903 pure cover, size 21,136): root 0.5 s.
    Between the first two the root grows as size ** 2.4 and the nodes as size ** 1.8; one
    exponent (1 + :data:`SCIP_SIZE_EXP`) charges the root 979 and 6,008 units (3.3 and 20
    nominal s) and the nodes 2.4 and 14.6 nominal s × √(nodes − 1). The same model on the 25 m grid
    (2,554 × 602, size 25,831; REVIEW, load 1.2-2.5): root 1.12 s, 101 nodes 9.7 s, 401 nodes 17.0 s,
    1,601 nodes 36.1 s, 3,904 nodes 75.9 s (optimal), 0.8-1.2 s × √(nodes − 1): the size ** 1.4 law
    alone charged it half that; :data:`SCIP_SMALL_FACTOR` charges 1.66 s and 1.21 s × √(nodes − 1).
    """
    after = max(0, nodes - 1)
    ops = SCIP_ROOT_OPS + max(SCIP_NODE_OPS * math.sqrt(after), SCIP_NODE_FLOOR_OPS * after)
    return ops * _scip_scale(size) / OPS_PER_UNIT


def scip_nodes(size: float, units: float, max_nodes: int = 1_000_000) -> int:
    """SCIP's node limit for ``units`` work units on an LP of ``size``; 0 when the root alone would exceed them."""
    per = _scip_scale(size) / OPS_PER_UNIT
    left = float(units) - SCIP_ROOT_OPS * per
    if left < 0:
        return 0
    after = min(float(max_nodes - 1), (left / (SCIP_NODE_OPS * per)) ** 2, left / (SCIP_NODE_FLOOR_OPS * per))
    nodes = 1 + int(after)
    while nodes > 1 and scip_units(size, nodes) > units:  # floating-point edge of the square
        nodes -= 1
    return nodes


def _notify(budget: Budget) -> None:
    for fn in tuple(WORK_OBSERVERS):
        fn(budget)


def resolve_work(time_limit_s: float, work_limit: float = 0.0) -> float:
    """The work budget (units): ``work_limit`` when positive, else ``time_limit_s × WORK_PER_S``.

    Raises
    ------
    ValueError
        A non-finite or non-positive ``time_limit_s``, or a negative or non-finite ``work_limit``.
    """
    t = float(time_limit_s)
    w = float(work_limit)
    if not math.isfinite(t) or t <= 0:
        raise ValueError(f"time_limit_s must be a finite number of seconds > 0, got {time_limit_s!r}")
    if not math.isfinite(w) or w < 0:
        raise ValueError(f"work_limit must be a finite number of work units >= 0, got {work_limit!r}")
    return w if w > 0 else t * WORK_PER_S


@dataclass
class Budget:
    """The work budget of one solve and the wall-clock safety stop.

    Attributes
    ----------
    work : float
        Total work units of the solve.
    limit_s : float
        ``solver.time_limit_s`` (s); with :attr:`work` it sets the safety stop.
    t0 : float
        ``time.perf_counter()`` at the start of the budget (after JIT compilation).
    deadline : float
        ``time.perf_counter()`` of the safety stop.
    used : dict
        Work units spent per stage.
    cut : list of str
        Stages the safety stop cut short.
    """

    work: float
    limit_s: float
    t0: float
    deadline: float
    used: dict[str, float] = field(default_factory=dict)
    cut: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, time_limit_s: float, work_limit: float = 0.0) -> Budget:
        """A budget starting now (see :func:`resolve_work`)."""
        work = resolve_work(time_limit_s, work_limit)
        t0 = time.perf_counter()
        span = max(float(time_limit_s), work / WORK_PER_S)
        budget = cls(work=work, limit_s=float(time_limit_s), t0=t0, deadline=t0 + SAFETY_FACTOR * span + SAFETY_PAD_S)
        _notify(budget)
        return budget

    def nominal_s(self, share: float = 1.0) -> float:
        """``share`` of the budget in nominal seconds (units / :data:`WORK_PER_S`)."""
        return share * self.work / WORK_PER_S

    def units(self, share: float = 1.0) -> float:
        """``share`` of the budget in work units."""
        return share * self.work

    def ops(self, share: float = 1.0) -> float:
        """``share`` of the budget in elementary kernel operations."""
        return share * self.work * OPS_PER_UNIT

    def expired(self) -> bool:
        """Whether the safety stop has passed."""
        return time.perf_counter() >= self.deadline

    def seconds_left(self) -> float:
        """Wall seconds until the safety stop (at least 0.05, the solvers' minimum)."""
        return max(0.05, self.deadline - time.perf_counter())

    def spend(self, stage: str, units: float) -> None:
        """Record ``units`` of work spent by ``stage``."""
        self.used[stage] = round(self.used.get(stage, 0.0) + float(units), 3)
        _notify(self)

    def limited(self, stage: str) -> None:
        """Record that the safety stop cut ``stage`` short."""
        if stage not in self.cut:
            self.cut.append(stage)

    def report(self) -> dict[str, Any]:
        """``stats["budget"]``: the resolved budget, the work per stage and the safety-stop flag."""
        out: dict[str, Any] = {"work_limit": round(self.work, 3), "work_per_s": WORK_PER_S,
                               "safety_stop_s": round(self.deadline - self.t0, 3), "work_used": dict(self.used),
                               "time_limited": bool(self.cut)}
        if self.cut:
            out["time_limited_stages"] = list(self.cut)
            out["warning"] = TIME_LIMITED_WARNING
        return out
