"""The committed demo data (``data/``) keeps its contract: files documented, candidates valid,
rules visible in the data, priority areas inside the boundary, scenarios valid, build reproducible.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import Point

import planner
from planner.scenario import CANDIDATE_TYPES, DEFAULT_TYPES, PRIORITY_CLASSES

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
DEMO = DATA / "demo"
SHARED_WUHAN = REPO.parent / "shared" / "data" / "wuhan"
SOURCE_PREFIX = "OSM-gen:"

#: stated height ranges per type (m), from data/README.md and the issue
HEIGHTS = {
    "street_lamp": (8.0, 12.0),
    "surveillance_pole": (6.0, 8.0),
    "tower": (25.0, 40.0),
    "smart_pole": (8.0, 15.0),
    "new_site": (25.0, 45.0),
    "rooftop": (6.0, 150.0),
}


@pytest.fixture(scope="module")
def cands() -> pd.DataFrame:
    return pd.read_csv(DEMO / "candidates.csv", dtype={"id": str, "status": str}, keep_default_na=False)


@pytest.fixture(scope="module")
def boundary() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "boundary.geojson")


def _metric(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
    x, y = t.transform(lon, lat)
    return np.asarray(x, float), np.asarray(y, float)


def test_every_file_is_documented() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    files = sorted(
        p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    missing = [f for f in files if f != "README.md" and f"`{f}`" not in readme]
    assert not missing, f"not documented in data/README.md: {missing}"
    assert "© OpenStreetMap contributors" in readme and "ODbL" in readme and "CJJ 45" in readme


def test_data_is_small() -> None:
    files = [p for p in DATA.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 20 * 2**20
    big = [p.name for p in files if p.stat().st_size > 5_000_000]
    assert not big, f"data files over 5 MB: {big}"


def test_candidate_contract(cands: pd.DataFrame) -> None:
    for col in ("id", "name", "type", "height_m", "cost", "owner", "status", "lon", "lat", "source"):
        assert col in cands.columns
    assert cands["id"].is_unique
    assert set(cands["type"]) <= set(CANDIDATE_TYPES)
    assert {"tower", "street_lamp", "surveillance_pole"} <= set(cands["type"])
    assert (cands["name"].str.len() > 0).all() and (cands["owner"].str.len() > 0).all()
    assert cands["source"].str.startswith(SOURCE_PREFIX).all()
    # every rule code is explained in data/README.md, in the row of its candidate type
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for (kind, source), _ in cands.groupby(["type", "source"]):
        assert f"| `{kind}` | `{source}` |" in readme, f"{kind} {source} not documented in data/README.md"
    assert set(cands["status"]) <= {"", "existing_5g"}
    for kind, (lo, hi) in HEIGHTS.items():
        h = cands.loc[cands["type"] == kind, "height_m"]
        assert h.between(lo, hi).all(), kind
    # the standard ranges hold per type (issue 2): lamps 8–12 m, surveillance 6–8 m, towers 25–40 m
    lamp_h = cands.loc[cands["type"] == "street_lamp", "height_m"]
    assert lamp_h.min() == 8 and lamp_h.max() == 12


def test_cost_ladder(cands: pd.DataFrame) -> None:
    cost = cands.groupby("type")["cost"].agg(["min", "max"])
    assert (cost["min"] == cost["max"]).all()  # one cost per type
    c = cost["min"]
    assert c["tower"] < c["street_lamp"] == c["surveillance_pole"] < c["smart_pole"] < c["new_site"]
    assert c["surveillance_pole"] < c["rooftop"] < c["smart_pole"]
    for kind, value in c.items():
        assert value == DEFAULT_TYPES[str(kind)].cost, kind


def test_towers_density_and_existing_share(cands: pd.DataFrame, boundary: gpd.GeoDataFrame) -> None:
    area_km2 = float(boundary.to_crs("EPSG:4547").area.sum()) / 1e6
    assert 95.0 < area_km2 < 96.5
    towers = cands[cands["type"] == "tower"]
    assert 2.0 <= len(towers) / area_km2 <= 4.0
    on_air = cands[cands["status"] == "existing_5g"]
    assert set(on_air["type"]) == {"tower"}
    assert 0.10 <= len(on_air) / len(towers) <= 0.15


def test_candidates_inside_box(cands: pd.DataFrame, boundary: gpd.GeoDataFrame) -> None:
    minx, miny, maxx, maxy = boundary.total_bounds
    assert cands["lon"].between(minx, maxx).all() and cands["lat"].between(miny, maxy).all()


def _chain_steps(lamps: pd.DataFrame, road_class: str) -> np.ndarray:
    """Distances (m) between lamps k and k+1 of the same merged road line (nearest pair)."""
    sub = lamps[lamps["road_class"] == road_class]
    parts = sub["name"].str.extract(r"(?P<chain>[a-z_]+-\d+)-(?P<k>\d+)$")
    x, y = _metric(sub["lon"].to_numpy(float), sub["lat"].to_numpy(float))
    frame = pd.DataFrame({"chain": parts["chain"].to_numpy(), "k": parts["k"].astype(int).to_numpy(), "x": x, "y": y})
    steps = []
    for _, g in frame.groupby("chain", sort=True):
        by_k = {k: grp[["x", "y"]].to_numpy() for k, grp in g.groupby("k")}
        for k, pts in by_k.items():
            nxt = by_k.get(k + 1)
            if nxt is not None:
                d = np.hypot(pts[:, None, 0] - nxt[None, :, 0], pts[:, None, 1] - nxt[None, :, 1])
                steps.append(float(d.min()))
        if len(steps) > 4000:
            break
    return np.array(steps)


@pytest.mark.parametrize(
    ("road_class", "lo", "hi"),
    [("residential", 25.0, 30.0), ("tertiary", 25.0, 30.0), ("trunk", 30.0, 35.0), ("primary", 30.0, 35.0)],
)
def test_lamp_spacing_follows_rule(cands: pd.DataFrame, road_class: str, lo: float, hi: float) -> None:
    lamps = cands[cands["type"] == "street_lamp"]
    steps = _chain_steps(lamps, road_class)
    assert len(steps) > 100
    # straight stretches give exactly the spacing; bends shorten the chord a little
    assert lo <= float(np.median(steps)) <= hi
    assert float(np.mean((steps > lo - 5) & (steps < hi + 1))) > 0.9


def test_lamps_on_both_sides_of_trunk_roads(cands: pd.DataFrame) -> None:
    lamps = cands[cands["type"] == "street_lamp"]
    trunk = lamps[lamps["road_class"] == "trunk"]
    per_station = trunk.groupby("name").size()
    assert float((per_station == 2).mean()) > 0.8  # both sides at each station
    one_side = lamps[lamps["road_class"] == "residential"].groupby("name").size()
    assert (one_side == 1).all()


def test_no_lamps_closer_than_dedup_distance(cands: pd.DataFrame) -> None:
    from scipy.spatial import cKDTree

    lamps = cands[cands["type"] == "street_lamp"]
    x, y = _metric(lamps["lon"].to_numpy(float), lamps["lat"].to_numpy(float))
    assert len(cKDTree(np.column_stack([x, y])).query_pairs(4.9)) == 0


def test_priority_areas(boundary: gpd.GeoDataFrame) -> None:
    areas = gpd.read_file(DEMO / "priority_areas.geojson")
    assert areas["id"].is_unique
    assert set(areas["class"]) <= set(PRIORITY_CLASSES)
    for cls in ("rail_station", "transport_hub", "public_place", "park", "industrial_park", "central_urban"):
        assert (areas["class"] == cls).any(), cls
    assert areas.geometry.is_valid.all() and (~areas.geometry.is_empty).all()
    outline = boundary.to_crs("EPSG:4547").union_all().buffer(1.0)
    assert areas.to_crs("EPSG:4547").geometry.within(outline).all()
    assert (areas["provenance"].str.len() > 10).all()
    station = areas[areas["class"] == "rail_station"].union_all()
    assert station.contains(Point(114.31246, 30.53079))  # OSM point of 武昌站
    square = areas[areas["name"].str.contains("光谷广场") & (areas["class"] == "public_place")].union_all()
    assert square.contains(Point(114.3936, 30.5084))  # OSM 光谷转盘 roundabout (WGS 84)
    assert not square.contains(Point(114.3990, 30.5061))  # its GCJ-02 position must not be used
    hubs = areas[areas["class"] == "transport_hub"]
    assert len(hubs) >= 20


def test_small_files_are_consistent(cands: pd.DataFrame) -> None:
    small = pd.read_csv(DEMO / "candidates_small.csv", dtype={"id": str, "status": str}, keep_default_na=False)
    assert set(small["id"]) <= set(cands["id"])
    merged = small.merge(cands, on="id", suffixes=("", "_all"))
    assert (merged["lon"] == merged["lon_all"]).all() and (merged["type"] == merged["type_all"]).all()
    bnd = gpd.read_file(DEMO / "boundary_small.geojson").to_crs("EPSG:4547")
    area = float(bnd.area.sum())
    assert 3.9e6 < area < 4.1e6
    areas = gpd.read_file(DEMO / "priority_areas_small.geojson").to_crs("EPSG:4547")
    assert areas.geometry.within(bnd.union_all().buffer(1.0)).all()
    bld = gpd.read_file(DEMO / "buildings.geojson")
    assert (bld["height_m"] > 0).all() and (bld["levels"] >= 1).all()
    assert set(bld["height_source"]) == {"osm", "default_levels"}


@pytest.mark.parametrize("name", ["demo.toml", "demo_small.toml"])
def test_scenarios_validate(name: str) -> None:
    summary = planner.validate_scenario(DATA / "scenarios" / name)
    assert summary["crs"] == "EPSG:4547"
    assert summary["candidates"] > 1000


def _load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_demo", DATA / "build_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(
    not (SHARED_WUHAN / "wuchang_opticsvalley_roads_clip").is_dir(), reason="../shared/data/wuhan not present"
)
def test_build_is_reproducible(tmp_path: Path) -> None:
    builder = _load_builder()
    counts = builder.build(SHARED_WUHAN, tmp_path)
    assert sum(counts.values()) > 0
    built = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in DEMO.iterdir() if p.is_file())
    assert built == committed
    for name in built:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for kind, n in counts.items():
        assert re.search(rf"`{kind}` \| `[^`]+` \| {n:,}", readme), f"README count for {kind} is stale"
