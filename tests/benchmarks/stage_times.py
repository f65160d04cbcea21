"""Work, wall and CPU seconds of each stage of one :func:`planner.optimize.solve` call (issue 12's limit rule).

Usage::

    .venv/bin/python tests/benchmarks/stage_times.py INSTANCE LIMIT_S [WORK_LIMIT]

``INSTANCE`` is an OR-Library file (``../shared/data/orlib/rail507.txt``) or a pickled
``{"problem": CoverageProblem, "objective": ..., "seed": ..., "workers": ...}``. Every stage
records its work through :meth:`planner.optimize._budget.Budget.spend`; this script wraps that
method and prints, per recorded stage, the work units and the wall and process-CPU seconds since
the previous record. On a loaded machine the wall seconds measure the load; the CPU seconds
(all threads of the process) are what an idle machine would need, roughly. Give a large
``LIMIT_S`` with ``WORK_LIMIT`` = the limit's work (``limit × WORK_PER_S``) so that the safety
stop cannot cut a stage on a loaded machine: the same work is done.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import sys
import time
from typing import Any

import planner.optimize._budget as budget_mod
from planner.optimize import read_orlib, solve


def main(argv: list[str]) -> int:
    path, limit = argv[0], float(argv[1])
    work = float(argv[2]) if len(argv) > 2 else 0.0
    records: list[tuple[str, float, float, float]] = []
    mark: dict[str, float] = {}
    spend, start = budget_mod.Budget.spend, budget_mod.Budget.start

    def timed_start(time_limit_s: float, work_limit: float = 0.0) -> budget_mod.Budget:
        b = start(time_limit_s, work_limit)
        records.clear()  # the JIT warm-up's own small budget comes first
        mark.update(wall=b.t0, cpu=time.process_time())
        return b

    def timed_spend(self: budget_mod.Budget, stage: str, units: float) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        records.append((stage, float(units), wall - mark["wall"], cpu - mark["cpu"]))
        mark.update(wall=wall, cpu=cpu)
        spend(self, stage, units)

    budget_mod.Budget.start = staticmethod(timed_start)  # type: ignore[assignment]
    budget_mod.Budget.spend = timed_spend  # type: ignore[method-assign]
    if path.endswith(".pkl"):
        with open(path, "rb") as f:
            d: dict[str, Any] = pickle.load(f)  # a file this project's scripts wrote
        problem = dataclasses.replace(d["problem"])  # re-run the checks and defaults of the current class
        objective, seed, workers = d.get("objective", "min_cost"), int(d.get("seed", 0)), int(d.get("workers", 2))
    else:
        problem, objective, seed, workers = read_orlib(path), "min_cost", 0, 2
    cpu0 = time.process_time()
    sol = solve(problem, objective=objective, time_limit_s=limit, workers=workers, seed=seed, work_limit=work)
    print(f"{os.path.basename(path)}: limit {limit:g} s, work {sol.stats['budget']['work_limit']:g} units, "
          f"objective {sol.objective:g}, bound {sol.bound:g}, {sol.status}, solve {sol.runtime_s:.1f} s wall, "
          f"{time.process_time() - cpu0:.1f} s CPU (compile {sol.stats.get('time_compile_s')} s), "
          f"load {os.getloadavg()[0]:.1f}")
    print("| stage | units | wall s | CPU s | units per CPU s |")
    print("|---|---:|---:|---:|---:|")
    for stage, units, wall, cpu in records:
        rate = f"{units / cpu:.0f}" if cpu > 0.05 else "-"
        print(f"| {stage} | {units:.0f} | {wall:.2f} | {cpu:.2f} | {rate} |")
    print(json.dumps(sol.stats["budget"]))
    for key in ("local_search", "cft", "lp", "lagrangian", "core", "core_mip", "exact"):
        if key in sol.stats:
            print(key, json.dumps(sol.stats[key], default=str)[:400])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
