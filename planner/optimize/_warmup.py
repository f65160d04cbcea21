"""JIT warm-up of the optimiser kernels, outside the solve's work budget.

Above :mod:`planner.optimize._budget` (which holds the budget and its constants) and the
stages it exercises, so that none of them imports this module back.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from planner.optimize._budget import Budget

_WARM_LOCK = threading.Lock()
_WARM_DONE: list[float] = []  # the seconds of the one warm-up of this process, once done


def warm_up() -> float:
    """Compile (or load from numba's on-disk cache) every optimiser kernel; returns the seconds spent.

    :func:`planner.optimize.solve` calls it before its budget starts, so that JIT compilation
    on a fresh install (tens of seconds on a loaded 2-core machine) is not counted against
    ``solver.time_limit_s``; the pipeline starts it early in a background thread
    (:func:`warm_up_in_background`) so that it overlaps the input and coverage stages. It runs
    the real stages (reductions, greedy, redundant-site removal, RWLS, area-weighting and
    tabu-swap local search, subgradient Lagrangian) on a 4 × 4 cyclic cover, so the kernels
    are compiled for the argument types the solve uses, then the CFT engines' kernels
    (:func:`~planner.optimize._cft.warm_up_cft`, :func:`~planner.optimize._cft_partial.warm_up_partial`,
    which ``solve`` would otherwise compile inside the optimise stage: about 30 CPU s on a cold
    cache). Once per process (a second caller waits for the first); a warm cache makes it about
    a second.
    """
    with _WARM_LOCK:
        if not _WARM_DONE:
            _WARM_DONE.append(_compile_kernels())
        return _WARM_DONE[0]


def warm_up_in_background() -> threading.Thread:
    """Start :func:`warm_up` in a daemon thread and return it (numba compiles thread-safely).

    A stop request (SIGINT/SIGTERM, :mod:`planner._stop`) that reaches the warm-up's own
    stages ends the thread quietly: the run's main thread reports the interruption.
    """
    thread = threading.Thread(target=_warm_up_quietly, name="planner-jit-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_quietly() -> None:
    from planner._stop import StopRequested

    try:
        warm_up()
    except StopRequested:  # the run is being stopped; the main thread says so
        return


def _compile_kernels() -> float:
    import numpy as np
    import scipy.sparse as sp

    from planner.optimize._cft import warm_up_cft
    from planner.optimize._cft_partial import warm_up_partial
    from planner.optimize._exact import lagrangian_bound
    from planner.optimize._heuristics import csc_of, greedy_select, improve
    from planner.optimize._reduce import reduce_problem
    from planner.optimize._side import side_of
    from planner.optimize.problem import CoverageProblem

    t0 = time.perf_counter()
    n = 4
    rows = np.r_[np.arange(n), (np.arange(n) + 1) % n]
    a = sp.csr_matrix((np.ones(2 * n), (rows, np.r_[np.arange(n), np.arange(n)])), shape=(n, n))
    stats: dict[str, Any] = {}
    budget = Budget.start(1.0)
    # no safety stop: a cold compile (30 s and more) passed the 8 s stop of a 1 s budget before
    # the Lagrangian ran, so the subgradient kernels were left to compile inside the solve's budget
    budget.deadline = math.inf
    for objective, target, max_sites in (("min_cost", 1.0, None), ("min_cost", 0.5, None), ("max_coverage", 1.0, 1)):
        p = CoverageProblem(
            a=a,
            cost=np.ones(n),
            row_weight=np.ones(n),
            row_area=np.zeros(n, np.int64),
            row_k=np.ones(n, np.int64),
            area_target=np.array([target]),
            area_names=["warm-up"],
            max_sites=max_sites,
        )
        mode = "min_cost" if objective == "min_cost" else "max_coverage"
        red = reduce_problem(p, mode)
        if red.n_cols == 0:  # pragma: no cover - the cyclic cover has no essential or dominated column
            continue
        side = side_of(p, red, mode)
        c_ptr, c_idx = csc_of(red)
        sel = greedy_select(red, side, mode, c_ptr, c_idx, stats=stats)
        if mode == "max_coverage" and int(sel.sum()) == 0:  # pragma: no cover
            continue
        improve(red, side, mode, sel, 1e5, seed=0, stats=stats)
        if mode == "min_cost":
            lagrangian_bound(red, side, float(side.cost[sel].sum()), 1e5, budget, stats)
    warm_up_cft()
    _cft_phases()
    warm_up_partial()
    return time.perf_counter() - t0


def _cft_phases() -> None:
    """The CFT engine on a 30 × 60 random cover, long enough to reach its heuristic phase and column fixing.

    :func:`~planner.optimize._cft.warm_up_cft`'s 6 × 6 cover is closed before those run, so on a
    cold cache ``kernels.cft_walk.heuristic_phase`` and the fixing greedy compiled inside a solve.
    """
    import numpy as np
    import scipy.sparse as sp

    from planner.optimize._cft import cft_solve

    rng = np.random.default_rng(0)
    m, n = 30, 60
    rows = np.r_[rng.integers(0, m, 4 * n), np.arange(m)]
    cols = np.r_[np.repeat(np.arange(n), 4), rng.integers(0, n, m)]
    a = sp.csc_matrix((np.ones(rows.size), (rows, cols)), shape=(m, n))
    a.data[:] = 1.0
    cft_solve(a, rng.integers(1, 6, n).astype(np.float64), work_limit=2_000_000)
