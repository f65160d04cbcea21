"""Run a scenario the way ``planner run`` does, timing every stage and output file.

``python tests/benchmarks/city_run.py SCENARIO OUT_DIR RESULT.json [--set K=V ...]``

The pipeline stages are those of :func:`planner.run_scenario` (its progress callback), then
the writers of :func:`planner.write_plan` one at a time (into ``OUT_DIR`` directly, without
the atomic folder). Per stage: wall time and the largest resident set size seen by a 20 ms
sampler (it can miss a spike shorter than that); for the whole process: ``ru_maxrss``.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Stages:
    """Wall time and sampled peak RSS per named stage."""

    def __init__(self) -> None:
        self.name = "start"
        self.t0 = time.perf_counter()
        self.wall: dict[str, float] = {}
        self.peak: dict[str, float] = {}
        self.done = False
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.done:
            self.peak[self.name] = max(self.peak.get(self.name, 0.0), _rss_mib())
            time.sleep(0.02)

    def enter(self, name: str) -> None:
        now = time.perf_counter()
        self.wall[self.name] = self.wall.get(self.name, 0.0) + now - self.t0
        self.peak[self.name] = max(self.peak.get(self.name, 0.0), _rss_mib())
        self.name, self.t0 = name, now
        print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> dict[str, Any]:
    scenario, out, result = argv[0], Path(argv[1]), Path(argv[2])
    overrides = [a for a in argv[3:] if a != "--set"]
    st = Stages()
    st.enter("import")
    import planner
    from planner.coverage import write_best_server_geotiff
    from planner.io import exports, outputs, runio
    from planner.report import write_report

    t_run = time.perf_counter()
    plan = planner.run_scenario(scenario, overrides=overrides, progress=st.enter)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    writers = [
        ("sites_csv", exports.write_sites_csv, "sites.csv"),
        ("sites_xlsx", exports.write_sites_xlsx, "sites.xlsx"),
        ("sites_kml", exports.write_sites_kml, "sites.kml"),
        ("gpkg", exports.write_plan_gpkg, "plan.gpkg"),
        ("sites_dxf", exports.write_sites_dxf, "sites.dxf"),
    ]
    for key, fn, name in writers:
        st.enter(f"write {name}")
        files[key] = fn(plan, out / name)
    st.enter("write cover_count.tif")
    files.update(runio.write_run_state(plan, out))
    st.enter("write coverage.tif")
    files["coverage"] = write_best_server_geotiff(plan.best_rsrp, plan.grid, out / "coverage.tif")
    st.enter("write report.html")
    files["report"] = write_report(plan, out / "report.html")
    st.enter("write manifest.json")
    data = outputs.manifest(plan, files, out)
    (out / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    st.enter("end")
    st.done = True
    sol = plan.solution
    res = {
        "scenario": scenario,
        "overrides": overrides,
        "total_s": round(time.perf_counter() - t_run, 2),
        "stages": {
            k: {"wall_s": round(v, 2), "peak_rss_mib": round(st.peak.get(k, 0.0))}
            for k, v in st.wall.items()
            if k not in ("start", "end")
        },
        "process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "sizes": {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()},
        "candidates": len(plan.candidates),
        "candidates_by_type": plan.candidates["type"].value_counts().sort_index().to_dict(),
        "sites": len(plan.sites),
        "areas": len(plan.areas),
        "areas_met": int(plan.areas["met"].sum()),
        "grid": {"nx": plan.grid.nx, "ny": plan.grid.ny, "demand_cells": int(plan.demand_mask.sum())},
        "solver": {k: sol.get(k) for k in ("status", "objective", "bound", "gap", "runtime_s", "backend")},
        "solver_stats": {k: v for k, v in sol.get("stats", {}).items() if k not in ("coverage",)},
        "warnings": [w for w in plan.warnings if "solver" in w],
    }
    result.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
