"""A synthetic :class:`~planner.plan.Plan` for the report and export tests.

Built directly (no coverage engine, no solver): a ~1 km box at Optics Valley Square in
EPSG:4490, a 25 m grid in EPSG:4547, lamps, towers and smart poles, four priority areas
(one missing its target), and a best-server RSRP field from a simple distance law around
the selected sites. Some user strings are hostile on purpose (HTML, quotes, backticks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from planner.coverage.grid import Grid
from planner.plan import Plan
from planner.scenario import scenario_from_dict

LON0, LAT0 = 114.398, 30.506
METRIC = "EPSG:4547"
EVIL_NAME = "<script>alert(1)</script>"
EVIL_OWNER = '路灯所 & "Co" <b>x</b> `${alert(2)}`'


def make_plan(
    tmp: Path | None = None,
    *,
    language: str = "zh",
    basemap: str = "none",
    n_lamps: int = 30,
    pareto: bool = False,
    seed: int = 5,
    roads: bool = False,
    report: dict[str, Any] | None = None,
) -> Plan:
    """A small, fully populated plan near 114.398°E, 30.506°N.

    ``roads=True`` writes ``roads.geojson`` (a few OSM-like streets and a pond) into ``tmp``
    and uses it as ``inputs.basemap``; ``report`` adds scenario ``[report]`` keys.
    """
    rng = np.random.default_rng(seed)
    base = tmp or Path(".")
    inputs: dict[str, Any] = {"boundary": "boundary.geojson", "candidates": "candidates.gpkg"}
    if roads:
        assert tmp is not None, "roads=True needs a folder"
        write_roads(tmp / "roads.geojson")
        inputs["basemap"] = "roads.geojson"
    sc = scenario_from_dict(
        {
            "scenario": {"name": '光谷 <测试> & "demo"', "description": "synthetic plan <i>for tests</i>", "seed": 7},
            "inputs": inputs,
            "grid": {"resolution_m": 25},
            "report": {
                "language": language,
                "basemap": basemap,
                "site_prefix": "WH-GG",
                "basemap_review_no": "GS(2024)0650号" if basemap != "none" else "",
                **(report or {}),
            },
        },
        base_dir=base,
    )
    d = 0.005
    boundary = gpd.GeoDataFrame({"id": ["B1"]}, geometry=[box(LON0 - d, LAT0 - d, LON0 + d, LAT0 + d)], crs="EPSG:4490")
    bm = boundary.to_crs(METRIC)
    xmin, ymin, xmax, ymax = (float(v) for v in bm.total_bounds)
    grid = Grid.from_bounds(xmin, ymin, xmax, ymax, 25.0, METRIC)

    # candidates
    lon = LON0 + rng.uniform(-d, d, n_lamps)
    lat = LAT0 + rng.uniform(-d, d, n_lamps)
    ids = [f"L{i:03d}" for i in range(n_lamps)] + ["T001", "T002", "T003", "SP01", "SP02"]
    types = ["street_lamp"] * n_lamps + ["tower"] * 3 + ["smart_pole"] * 2
    pts = [Point(x, y) for x, y in zip(lon, lat, strict=True)] + [
        Point(LON0 - d / 2, LAT0),
        Point(LON0 + d / 2, LAT0 + d / 3),
        Point(LON0, LAT0 - d * 0.8),
        Point(LON0 + d * 0.7, LAT0 - d * 0.7),
        Point(LON0 - d * 0.6, LAT0 + d * 0.6),
    ]
    n = len(ids)
    cls = ["micro"] * n_lamps + ["macro"] * 3 + ["micro"] * 2
    names = [f"路灯 {i}" for i in ids]
    names[0] = EVIL_NAME  # a selected site
    owners = ["路灯管理部门"] * n_lamps + ["中国铁塔"] * 5
    owners[3] = EVIL_OWNER  # a selected site
    mode = ["利旧"] * n_lamps + ["共享", "共享", "保留", "新建", "新建"]
    status = [""] * n
    status[n_lamps + 2] = "existing_5g"
    heights = np.r_[np.round(rng.uniform(8, 12, n_lamps), 1), [30.0, 35.0, 28.0, 12.0, 12.0]]
    cost = np.r_[np.full(n_lamps, 8.0), [6.0, 6.0, 0.0, 18.0, 18.0]]
    cand = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": names,
            "type": types,
            "site_class": cls,
            "height_m": heights,
            "cost": cost,
            "owner": owners,
            "build_mode": mode,
            "status": status,
        },
        geometry=pts,
        crs="EPSG:4490",
    )
    cm = cand.to_crs(METRIC)
    cand["x_m"] = np.round(cm.geometry.x.to_numpy(), 3)
    cand["y_m"] = np.round(cm.geometry.y.to_numpy(), 3)
    cand["group"] = np.arange(n)
    cand["forbidden"] = False
    selected_idx = np.r_[np.arange(0, n_lamps, 3), [n_lamps, n_lamps + 1, n_lamps + 2, n_lamps + 3]]
    sel = np.zeros(n, bool)
    sel[selected_idx] = True
    cand["selected"] = sel

    # best-server RSRP: a simple distance law around the selected sites (dBm)
    xc, yc = grid.cell_centres()
    xs = cand["x_m"].to_numpy()[selected_idx]
    ys = cand["y_m"].to_numpy()[selected_idx]
    dist = np.sqrt((xc[:, None] - xs[None, :]) ** 2 + (yc[:, None] - ys[None, :]) ** 2).min(axis=1)
    rsrp = (-55.0 - 40.0 * np.log10(np.maximum(dist, 10.0) / 10.0)).reshape(grid.ny, grid.nx)
    cx, cy = bm.union_all().centroid.x, bm.union_all().centroid.y
    demand = (np.hypot(xc - cx, yc - cy) < 520.0).reshape(grid.ny, grid.nx)
    best = np.where(demand & (rsrp >= -115.0), rsrp, np.nan).astype(np.float32)
    covered = demand & (np.nan_to_num(best, nan=-999.0) >= -105.0)

    # priority areas (EPSG:4490) + the implicit remainder
    area_geoms = [
        Point(LON0, LAT0).buffer(0.0015),
        Point(LON0 + 0.003, LAT0 - 0.003).buffer(0.001),
        box(LON0 - 0.004, LAT0 + 0.001, LON0 - 0.001, LAT0 + 0.004),
        box(LON0 - d, LAT0 - d, LON0 + d, LAT0 + d),
    ]
    areas = gpd.GeoDataFrame(
        {
            "id": ["A1", "A2", "A3", "REST"],
            "name": ["光谷广场", "地铁站 <B>", "华科 & 公园", "规划范围其余区域"],
            "class": ["public_place", "transport_hub", "park", "other"],
            "target": [0.95, 0.95, 0.9, 0.85],
            "weight": [5.0, 6.0, 3.0, 1.0],
            "k": [1, 1, 1, 1],
            "rank": [60, 70, 40, -1],
            "area_km2": [0.045, 0.02, 0.1, 1.0],
            "n_cells": [72, 32, 160, 1400],
            "coverage": [0.99, 0.8, 0.93, 0.9],
            "met": [True, False, True, True],
            "best_possible": [1.0, 0.82, 1.0, 1.0],
            "reason": ["", "only 82.0% of the area is within reach of candidates", "", ""],
        },
        geometry=area_geoms,
        crs="EPSG:4490",
    )

    sites = cand.iloc[selected_idx].copy()
    order = np.lexsort((sites["id"].to_numpy(str), (sites["site_class"] != "macro").to_numpy()))
    sites = sites.iloc[order]
    m_i = p_i = 0
    codes = []
    for c in sites["site_class"]:
        if c == "macro":
            m_i += 1
            codes.append(f"WH-GG-M{m_i:04d}")
        else:
            p_i += 1
            codes.append(f"WH-GG-P{p_i:04d}")
    sites["site_code"] = codes
    sites["areas"] = ["光谷广场、规划范围其余区域" if i % 2 else "华科 & 公园" for i in range(len(sites))]
    sites["cells_covered"] = rng.integers(50, 300, len(sites))
    sites["unique_cells"] = rng.integers(0, 50, len(sites))
    sites = sites.reset_index(drop=True)

    radio: dict[str, Any] = {
        "macro": {
            "model": "uma",
            "fc_ghz": 3.5,
            "eirp_per_re_dbm": 20.2,
            "shadow_margin_nlos_db": 5.4,
            "penetration_loss_db": 0.0,
            "typical_height_m": 30.0,
            "radius_m_at_typical_height": 420.0,
        },
        "micro": {
            "model": "umi",
            "fc_ghz": 3.5,
            "eirp_per_re_dbm": 3.2,
            "shadow_margin_nlos_db": 5.4,
            "penetration_loss_db": 0.0,
            "typical_height_m": 10.0,
            "radius_m_at_typical_height": 150.0,
        },
        "band": "n78",
        "threshold_dbm": -105.0,
        "terrain": False,
        "coverage_meta": {"model": "38.901"},
    }
    solution = {
        "status": "optimal",
        "objective": float(sites["cost"].sum()),
        "bound": float(sites["cost"].sum()),
        "gap": 0.0,
        "runtime_s": 0.42,
        "backend": "cpsat",
        "objective_kind": "min_cost",
        "selected": selected_idx.tolist(),
    }
    extras: dict[str, Any] = {"cover_count": covered.astype(np.int64)}
    if pareto:
        extras["pareto"] = [
            {"n_sites": k, "cost": 8.0 * k, "coverage": min(1.0, 0.3 + 0.07 * k)} for k in range(2, 16, 2)
        ]
    return Plan(
        scenario=sc,
        grid=grid,
        boundary=boundary,
        candidates=cand,
        sites=sites,
        areas=areas,
        best_rsrp=best,
        covered=covered,
        demand_mask=demand,
        solution=solution,
        radio=radio,
        warnings=[
            "area '地铁站 <B>': target 95.0% cannot be met; at most 82.0% is reachable",
            "3 candidates were ignored",
        ],
        input_hashes={"boundary": "ab" * 32, "candidates": "cd" * 32},
        timings={"coverage": 0.1},
        extras=extras,
    )


def write_roads(path: Path) -> None:
    """A tiny basemap file: two streets (OSM ``highway`` classes, ``osm_id``) and a pond."""
    from shapely.geometry import LineString

    gdf = gpd.GeoDataFrame(
        {"highway": ["primary", "residential", None], "natural": [None, None, "water"], "osm_id": [1, 2, 3]},
        geometry=[
            LineString([(LON0 - 0.006, LAT0 - 0.001), (LON0 + 0.006, LAT0 + 0.001)]),
            LineString([(LON0 - 0.002, LAT0 - 0.006), (LON0 - 0.0015, LAT0 + 0.006)]),
            Point(LON0 + 0.003, LAT0 + 0.003).buffer(0.0006),
        ],
        crs="EPSG:4326",
    )
    gdf.to_file(path, driver="GeoJSON")


def selected_count(plan: Plan) -> int:
    """Number of selected sites (for assertions)."""
    return len(plan.sites)


def as_frame(plan: Plan) -> pd.DataFrame:
    """Selected sites as a plain DataFrame with lon/lat columns (EPSG:4490)."""
    df = pd.DataFrame(plan.sites.drop(columns="geometry"))
    df["lon"] = plan.sites.geometry.x.to_numpy()
    df["lat"] = plan.sites.geometry.y.to_numpy()
    return df


def map_strings(html: str) -> set[str]:
    """Every string of a page's map data (site rows, candidate points, area popups), JSON-decoded."""
    import json
    import re

    found: set[str] = set()

    def walk(v: object) -> None:
        if isinstance(v, str):
            found.add(v)
        elif isinstance(v, list | tuple):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    decoder = json.JSONDecoder()
    script = html[html.index("var map_") :]
    for m in re.finditer(r"var rows = (?=\[)|new L\.PlannerPoints\(|\.bindPopup\((?=\")", script):
        walk(decoder.raw_decode(script, m.end())[0])
    return found
