"""Run a scenario the way ``planner run`` does, timing every stage and output file.

``python tests/benchmarks/city_run.py SCENARIO OUT_DIR RESULT.json [--set K=V ...]``

The pipeline stages are those of :func:`planner.run_scenario` (its progress callback), then
the writers of :func:`planner.write_plan` one at a time (into ``OUT_DIR`` directly, without
the atomic folder), the same writers as ``planner run`` (``sites.kmz``, ``sinr.tif`` and
``overlap.tif`` included). Per stage: wall time, CPU time of the process (user + sys, all its
threads), the 1-minute load average at its start, and the largest resident set size seen by a
20 ms sampler (it can miss a spike shorter than that); for the whole process: ``ru_maxrss``.
"""

from __future__ import annotations

import json
import os
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
        self.c0 = time.process_time()
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.load: dict[str, float] = {}
        self.peak: dict[str, float] = {}
        self.done = False
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self.done:
            self.peak[self.name] = max(self.peak.get(self.name, 0.0), _rss_mib())
            time.sleep(0.02)

    def enter(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.wall[self.name] = self.wall.get(self.name, 0.0) + now - self.t0
        self.cpu[self.name] = self.cpu.get(self.name, 0.0) + cpu - self.c0
        self.peak[self.name] = max(self.peak.get(self.name, 0.0), _rss_mib())
        self.name, self.t0, self.c0 = name, now, cpu
        self.load.setdefault(name, os.getloadavg()[0])
        print(f"[{time.strftime('%H:%M:%S')}] {name}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> dict[str, Any]:
    scenario, out, result = argv[0], Path(argv[1]), Path(argv[2])
    overrides = [a for a in argv[3:] if a != "--set"]
    st = Stages()
    st.enter("import")
    import planner
    from planner.coverage import write_best_server_geotiff
    from planner.coverage.raster import write_sinr_rasters
    from planner.io import exports, outputs, runio
    from planner.io.kmz import write_sites_kmz
    from planner.report import write_report

    t_run = time.perf_counter()
    plan = planner.run_scenario(scenario, overrides=overrides, progress=st.enter)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    writers = [
        ("sites_csv", exports.write_sites_csv, "sites.csv"),
        ("sites_xlsx", exports.write_sites_xlsx, "sites.xlsx"),
        ("sites_kml", exports.write_sites_kml, "sites.kml"),
        ("sites_kmz", write_sites_kmz, "sites.kmz"),
        ("gpkg", exports.write_plan_gpkg, "plan.gpkg"),
        ("sites_dxf", exports.write_sites_dxf, "sites.dxf"),
    ]
    for key, fn, name in writers:
        st.enter(f"write {name}")
        files[key] = fn(plan, out / name)
    st.enter("write cover_count.tif")
    files.update(runio.write_run_state(plan, out))
    st.enter("write coverage.tif")
    files["coverage"] = write_best_server_geotiff(  # as planner.stages.outputs.write_outputs writes it
        plan.extras["rsrp_dbm"],
        plan.grid,
        out / "coverage.tif",
        threshold_dbm=plan.threshold_dbm,
        floor_dbm=float(plan.extras["rsrp_floor_dbm"]),
    )
    st.enter("write sinr.tif, overlap.tif")
    files.update(write_sinr_rasters(plan, out))
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
        "total_cpu_s": round(sum(v for k, v in st.cpu.items() if k not in ("start", "import", "end")), 2),
        "stages": {
            k: {
                "wall_s": round(v, 2),
                "cpu_s": round(st.cpu.get(k, 0.0), 2),
                "load_1min": round(st.load.get(k, 0.0), 2),
                "peak_rss_mib": round(st.peak.get(k, 0.0)),
            }
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
