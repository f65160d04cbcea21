"""The solve stage: the :class:`~planner.optimize.Solution` of a run's model.

``problem → solution``: :func:`solve_problem` runs :func:`planner.optimize.solve` with the
scenario's objective, time limit, work limit, workers, seed, back-end and gap limit, refuses a
run that found no plan, warns when the limit left only the sites fixed before the solve, and
passes on the solver's own warnings (a time-limited, possibly irreproducible plan).
"""

from __future__ import annotations

import ctypes
import sys

import numpy as np
from numpy.typing import NDArray

from planner.errors import InfeasibleTargetError, Problem
from planner.optimize import CoverageProblem, Solution
from planner.scenario import Scenario


def solve_problem(
    scenario: Scenario, problem: CoverageProblem, col_xy: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
) -> tuple[Solution, list[str]]:
    """Solve ``problem`` under the scenario's objective and solver settings; the solution and warnings.

    ``col_xy``: metric coordinates of the columns; with them a min-cost model above
    :data:`planner.optimize.decompose.DECOMPOSE_MIN_COLS` candidates is solved by spatial
    decomposition (its tiles as Dask tasks when ``compute.backend = "dask"``; same plan).
    """
    from planner.optimize import solve
    from planner.optimize.decompose import decompose_applies, solve_decomposed

    warnings: list[str] = []
    if col_xy is not None and col_xy[0].size == problem.n_cols and decompose_applies(problem, scenario.objective.kind):
        runner = None
        if scenario.compute.backend == "dask":
            from planner.coverage.dask_backend import tile_runner

            runner = tile_runner(scenario.compute.scheduler, scenario.solver.workers)
        solution = solve_decomposed(
            problem,
            col_xy[0],
            col_xy[1],
            time_limit_s=scenario.solver.time_limit_s,
            work_limit=scenario.solver.work_limit,
            seed=scenario.scenario.seed,
            backend=scenario.solver.backend,
            gap_limit=scenario.solver.gap_limit,
            run_tiles=runner,
        )
    else:
        solution = solve(
            problem,
            objective=scenario.objective.kind,
            time_limit_s=scenario.solver.time_limit_s,
            workers=scenario.solver.workers,
            seed=scenario.scenario.seed,
            backend=scenario.solver.backend,
            gap_limit=scenario.solver.gap_limit,
            work_limit=scenario.solver.work_limit,
        )
    return_freed_memory()
    # the solver's own notes: "time-limited: this plan may not be reproducible" when its
    # wall-clock safety stop cut a stage short, or costs too wide apart to prove optimality
    warnings += [str(w) for w in solution.stats.get("warnings", [])]
    if solution.status == "infeasible" or (len(solution.selected) == 0 and problem.a.shape[0] > 0):
        raise InfeasibleTargetError(
            Problem(
                f"the solver found no plan (status {solution.status}) within {scenario.solver.time_limit_s:g} s",
                "scenario",
                "[objective]",
                "lower the area targets, add candidates, or raise solver.time_limit_s",
            )
        )
    if solution.status == "unknown" and not np.isfinite(solution.objective):
        # no plan found in time: what is "selected" is only what was fixed before the solve (sites on air)
        warnings.append(
            f"the solver found no plan within solver.time_limit_s = {scenario.solver.time_limit_s:g} s "
            "(status unknown): "
            f"the result lists only the {len(solution.selected)} sites fixed before the solve (already on air) and "
            "meets no target it did not meet before; raise solver.time_limit_s or plan a smaller area"
        )
    return solution, warnings


def return_freed_memory() -> None:
    """Hand the memory the solve freed back to the operating system (glibc only).

    glibc keeps freed heap memory in its arenas: after a city-scale solve (25 km × 25 km,
    192,000 candidates) the process held 4.9 GB of freed memory through the output stage and
    its sweep siblings; ``malloc_trim(0)`` brings it to 0.7 GB. The peak is unchanged. A no-op
    on other C libraries and systems.
    """
    if sys.platform != "linux":
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # musl and other C libraries: nothing to trim
        pass
