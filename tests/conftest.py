"""Shared fixtures: a tiny synthetic planning area built on the fly (no network, no ../shared)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import settings
from shapely.geometry import Point, box

# every hypothesis suite: a fixed example sequence (derandomize), no example database on disk and
# no per-example deadline; each test still bounds its own max_examples
settings.register_profile("planner", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile("planner")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

LON0, LAT0 = 114.398, 30.506  # Optics Valley Square


def write_tiny_inputs(folder: Path, n_lamps: int = 40, seed: int = 3) -> dict[str, Path]:
    """A ~1 km² area with lamps, two towers and three priority areas, in EPSG:4490."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    d = 0.005  # ~500 m
    bnd = gpd.GeoDataFrame(
        {"id": ["B1"], "name": ["test box"]}, geometry=[box(LON0 - d, LAT0 - d, LON0 + d, LAT0 + d)], crs="EPSG:4326"
    )
    bnd.to_file(folder / "boundary.geojson", driver="GeoJSON")
    lon = LON0 + rng.uniform(-d, d, n_lamps)
    lat = LAT0 + rng.uniform(-d, d, n_lamps)
    ids = [f"L{i:04d}" for i in range(n_lamps)] + ["T001", "T002"]
    types = ["street_lamp"] * n_lamps + ["tower", "tower"]
    pts = [Point(x, y) for x, y in zip(lon, lat, strict=True)] + [
        Point(LON0 - d / 2, LAT0),
        Point(LON0 + d / 2, LAT0 + d / 3),
    ]
    cand = gpd.GeoDataFrame(
        {"id": ids, "type": types, "name": [f"杆 {i}" for i in ids], "status": [""] * (n_lamps + 1) + ["existing_5g"]},
        geometry=pts,
        crs="EPSG:4490",
    )
    cand.to_file(folder / "candidates.gpkg", layer="candidates", driver="GPKG")
    areas = gpd.GeoDataFrame(
        {
            "id": ["A1", "A2", "A3"],
            "name": ["光谷广场", "地铁站", "中心城区"],
            "class": ["public_place", "transport_hub", "central_urban"],
        },
        geometry=[
            Point(LON0, LAT0).buffer(0.0015),
            Point(LON0 + 0.003, LAT0 - 0.003).buffer(0.001),
            box(LON0 - d, LAT0 - d, LON0 + d, LAT0 + d),
        ],
        crs="EPSG:4490",
    )
    areas.to_file(folder / "priority_areas.gpkg", layer="priority_areas", driver="GPKG")
    return {
        "boundary": folder / "boundary.geojson",
        "candidates": folder / "candidates.gpkg",
        "priority_areas": folder / "priority_areas.gpkg",
    }


TINY_TOML = """
[scenario]
name = "tiny test"
seed = 7

[inputs]
boundary = "boundary.geojson"
candidates = "candidates.gpkg"
priority_areas = "priority_areas.gpkg"

[grid]
resolution_m = 25

[solver]
time_limit_s = 10
workers = 1
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Path of a tiny scenario TOML with its inputs next to it."""
    write_tiny_inputs(tmp_path)
    path = tmp_path / "scenario.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    return path


def earlier_run(out: Path, text: str, name: str = "keep.txt") -> None:
    """Make ``out`` an earlier planner output folder holding ``name`` (a run the next one may replace).

    The planner replaces only folders it wrote (:mod:`planner.io.rundir`); a folder made by hand
    with ``mkdir`` is refused.
    """
    from planner.io.rundir import atomic_dir

    with atomic_dir(out) as tmp:
        (tmp / name).write_text(text, encoding="utf-8")


def load_script(path: Path, name: str) -> ModuleType:
    """Import the script ``path`` (not in a package, e.g. tests/data/bad/make_corpus.py) as module ``name``.

    The module is registered in ``sys.modules`` before it runs (its dataclasses need that).
    """
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
