"""OR-Library set-covering benchmark (issue 4): objective, bound, gap and time per instance.

Run with ``make bench`` (or ``pytest -q tests/benchmarks/test_bench_orlib.py -o addopts="" -s``).
Skips cleanly when ``../shared/data/orlib`` is absent. Results are printed as a Markdown table
and written to ``runs/bench/orlib.json``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from planner.optimize import read_orlib, solve

REPO = Path(__file__).resolve().parents[2]
ORLIB = REPO.parent / "shared" / "data" / "orlib"

#: instance → (time limit s, optimum or best known, acceptance: value the plan must reach)
INSTANCES = {
    "scp41": (30.0, 429, 429),
    "scp42": (30.0, 512, 512),
    "scp43": (30.0, 516, 516),
    "scp44": (30.0, 494, 494),
    "scp45": (30.0, 512, 512),
    "scpa1": (60.0, 253, 253),
    "scpnre1": (60.0, 29, 29),
    "rail507": (120.0, 174, 178),
}
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
RESULTS: list[dict[str, object]] = []

pytestmark = pytest.mark.skipif(not ORLIB.is_dir(), reason="../shared/data/orlib not present")


@pytest.mark.parametrize("name", list(INSTANCES))
def test_orlib_instance(name: str) -> None:
    limit, best_known, floor = INSTANCES[name]
    t0 = time.perf_counter()
    problem = read_orlib(ORLIB / f"{name}.txt")
    t_read = time.perf_counter() - t0
    sol = solve(problem, "min_cost", time_limit_s=limit, workers=WORKERS, seed=0)
    row = {"instance": name, "rows": problem.n_rows, "cols": problem.n_cols, "limit_s": limit, "best_known": best_known,
           "objective": sol.objective, "bound": sol.bound, "gap": round(sol.gap, 4), "status": sol.status,
           "time_s": round(sol.runtime_s, 1), "read_s": round(t_read, 2),
           "heuristic": sol.stats.get("heuristic_objective"), "reduced": sol.stats["reduction"]}
    RESULTS.append(row)
    print(f"\n| {name} | {sol.objective:g} | {sol.bound:g} | {sol.gap:.2%} | {sol.status} | {sol.runtime_s:.1f} s "
          f"(limit {limit:g} s) | best known {best_known} |")
    out = REPO / "runs" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "orlib.json").write_text(json.dumps(RESULTS, indent=1, default=str))
    assert sol.objective <= floor
    assert sol.bound <= best_known + 1e-9
    assert sol.runtime_s <= 1.1 * limit
