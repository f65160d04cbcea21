"""Write every output of a plan into a run folder, atomically, with a manifest."""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from planner.io.rundir import atomic_dir
from planner.plan import Plan

#: packages whose versions go into the manifest
VERSIONED = ("smartpole-planner", "numpy", "scipy", "numba", "ortools", "geopandas", "shapely", "pyogrio",
             "pyproj", "rasterio", "folium", "pandas", "openpyxl")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def manifest(plan: Plan, files: dict[str, Path], run_dir: Path) -> dict[str, Any]:
    """The manifest: scenario, overrides, input hashes, versions, seed, timings, solver, outputs."""
    sc = plan.scenario
    return _jsonable({
        "tool": "smartpole-planner",
        "scenario_file": str(sc.source) if sc.source else None,
        "overrides": list(sc.overrides),
        "seed": sc.scenario.seed,
        "scenario": sc.to_dict(),
        "inputs_sha256": dict(sorted(plan.input_hashes.items())),
        "versions": _versions(),
        "platform": {"system": platform.system(), "machine": platform.machine(), "argv0": Path(sys.argv[0]).name},
        "grid": {"crs": plan.grid.crs, "resolution_m": plan.grid.res, "nx": plan.grid.nx, "ny": plan.grid.ny,
                 "x0": plan.grid.x0, "y0": plan.grid.y0, "demand_cells": int(plan.demand_mask.sum())},
        "radio": plan.radio,
        "solver": plan.solution,
        "summary": {
            "candidates": len(plan.candidates),
            "selected_sites": len(plan.sites),
            "total_cost_10k_cny": round(float(plan.sites["cost"].sum()), 3),
            "areas_met": int(plan.areas["met"].sum()),
            "areas": len(plan.areas),
        },
        "warnings": list(plan.warnings),
        "timings_s": plan.timings,
        "outputs": {name: {"file": p.name, "sha256": _sha256(run_dir / p.name)} for name, p in sorted(files.items())},
    })


def write_plan(plan: Plan, out_dir: str | Path) -> dict[str, Path]:
    """Write ``report.html``, tables, GeoPackage, KML, DXF, ``coverage.tif``, ``cover_count.tif`` and ``manifest.json``.

    Everything is built in a temporary folder that replaces ``out_dir`` only when complete.

    Returns
    -------
    dict
        Output name → final path.
    """
    from planner.coverage import write_best_server_geotiff
    from planner.io.exports import write_exports
    from planner.io.runio import write_run_state
    from planner.report import write_report

    out_dir = Path(out_dir).resolve()
    with atomic_dir(out_dir) as tmp:
        files: dict[str, Path] = dict(write_exports(plan, tmp))
        files.update(write_run_state(plan, tmp))  # boundary layer + cover_count.tif, for planner.io.runio.read_run
        files["coverage"] = write_best_server_geotiff(plan.best_rsrp, plan.grid, tmp / "coverage.tif")
        files["report"] = write_report(plan, tmp / "report.html")
        data = manifest(plan, files, tmp)
        (tmp / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        files["manifest"] = tmp / "manifest.json"
    return {k: out_dir / Path(v).name for k, v in files.items()}
