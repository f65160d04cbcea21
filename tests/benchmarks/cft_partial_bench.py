"""The partial-target CFT engine on a scenario's model: alone, or inside ``solve`` with and without its stage.

``python tests/benchmarks/cft_partial_bench.py SCENARIO.toml engine WORK_OPS [SEP_M]``
runs :func:`planner.optimize._cft_partial.cft_partial_solve` on the reduced model for
``WORK_OPS`` counted operations (seed 0) and prints every cheaper plan with the work, wall and
CPU seconds at which it came, then the plan, bound and peak RSS.
``python tests/benchmarks/cft_partial_bench.py SCENARIO.toml solve LIMIT_S SEP_M BACKEND on|off``
runs :func:`planner.optimize.solve` (seed 0) with the engine stage (``on``) or without it.
``SEP_M`` > 0 adds conflicts between candidates closer than that (m, every class): a model
with side constraints, where the engine stage runs. The model is captured from
:func:`planner.run_scenario` (its solve stage is not run); the load average is printed.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import resource
import sys
import time
from typing import Any

import numpy as np


class _Captured(Exception):
    pass


def capture(scenario: str) -> tuple[Any, Any]:
    """The scenario's CoverageProblem and candidate coordinates (the pipeline stops before its solve)."""
    import planner
    import planner.pipeline as pp

    got: dict[str, Any] = {}

    def grab(scn: Any, problem: Any, col_xy: Any = None) -> Any:
        got["p"], got["xy"] = problem, col_xy
        raise _Captured

    setattr(pp, "solve_problem", grab)  # noqa: B010 (the pipeline imports it by name)
    try:
        planner.run_scenario(scenario)
    except _Captured:
        pass
    return got["p"], got["xy"]


def main(argv: list[str]) -> None:
    from planner.optimize.problem import CoverageProblem, conflicts_from_points

    p, xy = capture(argv[0])
    sep = float(argv[3]) if len(argv) > 3 else 0.0
    if sep > 0:
        f = {fl.name: getattr(p, fl.name) for fl in dataclasses.fields(p)}
        f["conflicts"] = conflicts_from_points(xy[0], xy[1], np.full(p.n_cols, "s"), {"s": sep})
        p = CoverageProblem(**f)
    print(f"model {p.n_rows} x {p.n_cols}, conflict pairs {len(p.conflicts)}, load {os.getloadavg()}", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    if argv[1] == "engine":
        import planner.optimize._cft_partial as cp
        from planner.optimize._reduce import reduce_problem
        from planner.optimize._side import side_of

        cp.warm_up_partial()
        t0, c0 = time.perf_counter(), time.process_time()
        red = reduce_problem(p, "min_cost")
        side = side_of(p, red, "min_cost")
        base = float(p.cost[red.base].sum())
        print(f"reduced {red.a.shape} nnz {red.a.nnz}: {time.perf_counter() - t0:.1f} s", flush=True)
        offer = cp._PEngine.offer

        def traced(self: Any, sel: Any) -> bool:
            better = offer(self, sel)
            if better:
                print(f"  plan {base + self.best_val:.1f} at {self.work / 1e9:.2f}e9 ops, "
                      f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU", flush=True)
            return better

        cp._PEngine.offer = traced  # type: ignore[method-assign]
        r = cp.cft_partial_solve(red, side, work_limit=int(float(argv[2])), seed=0)
        print(f"engine: plan {base + r.objective:.1f} bound {base + r.bound:.1f} work {r.work / 1e9:.2f}e9", flush=True)
    else:
        solve_mod = importlib.import_module("planner.optimize.solve")
        if argv[5] == "off":
            setattr(solve_mod, "cft_partial_stage", lambda red, side, mode, sel, ok, done, lb, *a: (sel, ok, lb))  # noqa: B010
        s = solve_mod.solve(p, time_limit_s=float(argv[2]), seed=0, backend=argv[4])
        print(f"solve ({argv[5]}): {s.status} plan {s.objective:.1f} bound {s.bound:.1f} gap {s.gap:.4f} "
              f"heuristics {s.stats.get('heuristic_objective')} engine {s.stats.get('cft')} "
              f"work {s.stats['budget']['work_used']}", flush=True)
    print(f"wall {time.perf_counter() - t0:.1f} s, CPU {time.process_time() - c0:.1f} s, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, load {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
