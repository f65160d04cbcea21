"""The run folder's ``manifest.json``: scenario, input and output hashes, versions, solver summary.

The outputs themselves are written by :func:`planner.stages.outputs.write_outputs`.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from planner._json import jsonable
from planner.io.hashing import file_sha256
from planner.plan import Plan

#: packages whose versions go into the manifest
VERSIONED = (
    "smartpole-planner",
    "numpy",
    "scipy",
    "numba",
    "ortools",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "rasterio",
    "folium",
    "pandas",
    "openpyxl",
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def manifest(plan: Plan, files: dict[str, Path], run_dir: Path) -> dict[str, Any]:
    """The manifest: scenario, overrides, input hashes, versions, seed, timings, solver, outputs."""
    sc = plan.scenario
    data: dict[str, Any] = jsonable(
        {
            "tool": "smartpole-planner",
            "scenario_file": str(sc.source) if sc.source else None,
            "overrides": list(sc.overrides),
            "seed": sc.scenario.seed,
            "scenario": sc.to_dict(),
            "inputs_sha256": dict(sorted(plan.input_hashes.items())),
            "versions": _versions(),
            "platform": {"system": platform.system(), "machine": platform.machine(), "argv0": Path(sys.argv[0]).name},
            "grid": {
                "crs": plan.grid.crs,
                "resolution_m": plan.grid.res,
                "nx": plan.grid.nx,
                "ny": plan.grid.ny,
                "x0": plan.grid.x0,
                "y0": plan.grid.y0,
                "demand_cells": int(plan.demand_mask.sum()),
            },
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
            "outputs": {
                name: {"file": p.name, "sha256": file_sha256(run_dir / p.name)} for name, p in sorted(files.items())
            },
        }
    )
    return data


def write_manifest(plan: Plan, files: dict[str, Path], folder: Path) -> Path:
    """Write ``manifest.json`` (see :func:`manifest`) into ``folder`` beside the other outputs."""
    path = folder / "manifest.json"
    data = manifest(plan, files, folder)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def record_output(run_dir: Path, path: Path) -> None:
    """Update the manifest's hash of a re-rendered output (keeps ``manifest.json`` truthful)."""
    man_path = run_dir / "manifest.json"
    man = json.loads(man_path.read_text(encoding="utf-8"))
    outputs = man.setdefault("outputs", {})
    key = next((k for k, v in outputs.items() if isinstance(v, dict) and v.get("file") == path.name), path.stem)
    outputs[key] = {"file": path.name, "sha256": file_sha256(path)}
    tmp = man_path.with_name(".manifest.json.tmp")
    tmp.write_text(json.dumps(man, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, man_path)
