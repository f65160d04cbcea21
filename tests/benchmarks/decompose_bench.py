"""The decomposed solve alone on a city model: plan, bound, gap, windows, CPU seconds per stage.

``python tests/benchmarks/decompose_bench.py dump SCENARIO.toml MODEL.pkl`` runs the scenario up to the
solve stage and pickles what :func:`planner.stages.solve.solve_problem` receives (``(CoverageProblem,
(x_m, y_m))``), then stops; ``python tests/benchmarks/decompose_bench.py solve MODEL.pkl [LIMIT_S]``
runs :func:`planner.optimize.decompose.solve_decomposed` on it (``LIMIT_S``: ``solver.time_limit_s``,
default 180) and prints one JSON object: objective, bound, gap, sites, wall and CPU seconds (with the
1-min load average at the end: the machine may be shared), the decomposition's stats (stitched cost,
every window pass, CPU seconds per stage) and the work units per stage.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


class _Dumped(Exception):
    """Raised once the model is pickled (stops the run before the solve)."""


def dump(scenario: str, out: str) -> None:
    """Run ``scenario`` up to the solve stage and pickle ``(problem, col_xy)`` to ``out``."""
    import planner
    import planner.pipeline as pp
    import planner.stages.solve as ss

    orig = ss.solve_problem

    def patched(scenario_: Any, problem: Any, col_xy: Any = None) -> Any:
        with open(out, "wb") as fh:
            pickle.dump((problem, col_xy), fh)
        raise _Dumped

    ss.solve_problem = patched  # type: ignore[assignment]
    for name in dir(pp):
        if getattr(pp, name) is orig:
            setattr(pp, name, patched)
    try:
        planner.run_scenario(scenario)
    except _Dumped:
        return


def solve(model: str, limit_s: float) -> dict[str, Any]:
    """Solve the pickled model by decomposition; what the run gave (see module docstring)."""
    from planner.optimize.decompose import solve_decomposed

    with open(model, "rb") as fh:
        problem, (x_m, y_m) = pickle.load(fh)
    t0, c0 = time.perf_counter(), os.times()
    sol = solve_decomposed(problem, x_m, y_m, time_limit_s=limit_s, seed=0)
    c1 = os.times()
    d = sol.stats["decomposition"]
    keep = ("tiles", "tile_status", "stitched_cost", "windows", "after_windows_cost", "targets_met", "stage_cpu_s",
            "tiles_wall_s")
    return {"objective": sol.objective, "bound": sol.bound, "gap": round(sol.gap, 5), "sites": int(sol.selected.size),
            "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(c1.user - c0.user + c1.system - c0.system, 1),
            "load_1min_end": round(os.getloadavg()[0], 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "decomposition": {k: d[k] for k in keep if k in d}, "bound_stats": sol.stats.get("lagrangian"),
            "work_used": sol.stats.get("budget", {}).get("work_used")}


def main(argv: list[str]) -> int:
    """``dump SCENARIO MODEL`` or ``solve MODEL [LIMIT_S]``; returns the exit code."""
    if len(argv) >= 3 and argv[0] == "dump":
        dump(argv[1], argv[2])
        return 0
    if len(argv) >= 2 and argv[0] == "solve":
        print(json.dumps(solve(argv[1], float(argv[2]) if len(argv) > 2 else 180.0), indent=1, default=str))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
