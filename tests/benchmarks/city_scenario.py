"""Build the city-scale stress scenario: about 25 km × 25 km of central Wuhan (≈ 625 km²).

Real OSM road centre-lines of the Wuhan functional urban area
(``../shared/data/wuhan/wuhan_fua_roads_osm``, GeoParquet: read with ``pyarrow`` from the pinned
``.venv-bench``, see :func:`read_roads`) and real OSM station points; the poles and towers are
generated on those roads by the demo generator's own rules and functions (``data/build_demo.py``,
imported, not copied): street lamps per road class (CJJ 45), surveillance poles at junctions, a
jittered 580 m tower lattice snapped to roads (12 % on air), smart poles at coverage gaps and new
tower sites at lattice gaps. Priority areas: a 300 m circle per train station, a 150 m circle per
metro station, the roadless parts (water, hills; no target) and the whole box as central urban. 25 m
grid (≈ 1,000,000 cells). Deterministic (fixed seed, sorted rows).

``python tests/benchmarks/city_scenario.py OUT_DIR [--fua]`` writes ``OUT_DIR/city.toml`` and its data
(``--fua``: the whole functional urban area, the roads' bounding box, instead of the central box).
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Point, box

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "wuhan"
ROADS = "wuhan_fua_roads_osm/wuhan_8989_roads_osm.parquet"
#: ~25 km × 25 km around the Yangtze: Hankou, Hanyang and Wuchang (Hankou, Wuchang and Wuhan stations)
BBOX = (114.180, 30.457, 114.440, 30.683)
SEED = 20261

SCENARIO = """[scenario]
name = "武汉中心城区 city-scale stress"
description = "25 km x 25 km of central Wuhan: real OSM roads, candidate poles generated on them (benchmark)"
seed = 7

[inputs]
boundary = "data/boundary.geojson"
candidates = "data/candidates.csv"
priority_areas = "data/priority_areas.geojson"
coordinates = "wgs84"

[grid]
resolution_m = 25
crs = "auto"

[radio]
band = "n78"

[objective]
kind = "min_cost"

[solver]
time_limit_s = 120
workers = 2

[report]
language = "zh"
basemap = "none"
title = "武汉中心城区 5G 多杆合一 city-scale"
site_prefix = "WH-C"
"""


def _demo_generator() -> Any:
    spec = importlib.util.spec_from_file_location("build_demo", REPO / "data" / "build_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bench_python() -> Path | None:
    """The pinned ``.venv-bench`` interpreter when it has pyarrow (``make bench`` installs it there)."""
    py = REPO / ".venv-bench" / "bin" / "python"
    if py.is_file() and subprocess.run([str(py), "-c", "import pyarrow.parquet"], capture_output=True).returncode == 0:
        return py
    return None


def _has_pyarrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def available(shared: Path = SHARED) -> str | None:
    """None when the scenario can be built, else why not."""
    if not (shared / ROADS).is_file():
        return f"{shared / ROADS} is missing (../shared is not here)"
    if not _has_pyarrow() and _bench_python() is None:
        return (
            "no pyarrow to read the GeoParquet roads: `make bench` installs it into .venv-bench "
            "(never the project venv)"
        )
    return None


def read_roads(shared: Path, cache: Path) -> gpd.GeoDataFrame:
    """The FUA roads. GeoParquet needs pyarrow; the project venv has none (pandas would switch
    its string type to pyarrow), so ``.venv-bench`` converts the file to a GeoPackage once.
    """
    if _has_pyarrow():
        return gpd.read_parquet(shared / ROADS)
    gpkg = cache / "wuhan_fua_roads.gpkg"
    if not gpkg.is_file():
        py = _bench_python()
        assert py is not None, available(shared)
        tmp = gpkg.with_suffix(".tmp.gpkg")
        subprocess.run(
            [
                str(py),
                "-c",
                "import sys, geopandas; geopandas.read_parquet(sys.argv[1]).to_file(sys.argv[2], driver='GPKG')",
                str(shared / ROADS),
                str(tmp),
            ],
            check=True,
        )
        tmp.replace(gpkg)
    return gpd.read_file(gpkg)


def build(out: Path, shared: Path = SHARED, fua: bool = False) -> dict[str, int]:
    """Write ``out/city.toml`` and ``out/data/``; returns the candidate counts per type.

    ``fua``: the whole functional urban area (the roads' bounding box, 0.001° outward, about
    54 km × 44 km) instead of the central 25 km box; the same generator rules.
    """
    bd = _demo_generator()
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    roads_ll = read_roads(shared, out)
    bb = BBOX
    if fua:
        x0, y0, x1, y1 = roads_ll.to_crs(4326).total_bounds
        bb = (
            math.floor(x0 * 1000) / 1000,
            math.floor(y0 * 1000) / 1000,
            math.ceil(x1 * 1000) / 1000,
            math.ceil(y1 * 1000) / 1000,
        )
    bbox_m = bd.poly_to_m(shapely.segmentize(box(*bb), 0.001))
    roads = roads_ll.to_crs(bd.METRIC)
    roads_m = roads[roads.intersects(bbox_m.buffer(500.0))].reset_index(drop=True)
    road_lines = roads_m.geometry.to_numpy()
    bx0, by0, bx1, by1 = bbox_m.bounds

    # street lamps per road class (the demo's CJJ 45 rules)
    xs, ys, cl = [], [], []
    for cls, rule in bd.LAMP_RULES.items():
        lamp_geoms = roads_m.geometry[roads_m["highway"] == cls].to_numpy()
        if len(lamp_geoms) == 0:
            continue
        x, y, _, _ = bd.lamps_along(list(shapely.get_parts(shapely.line_merge(shapely.union_all(lamp_geoms)))), rule)
        xs.append(x)
        ys.append(y)
        cl.append(np.full(len(x), cls))
    lx, ly, lcls = np.concatenate(xs), np.concatenate(ys), np.concatenate(cl)
    inside = shapely.contains_xy(bbox_m.buffer(-1.0), lx, ly)
    lx, ly, lcls = lx[inside], ly[inside], lcls[inside]
    keep = bd.dedup(lx, ly, bd.LAMP_DEDUP_M)
    lx, ly, lcls = lx[keep], ly[keep], lcls[keep]

    # surveillance poles at junctions of major roads
    major = roads_m[roads_m["highway"].isin(bd.MAJOR)].geometry.to_numpy()
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(major, k)) for k in (0, -1)])
    keys, counts = np.unique(np.round(ends, 2), axis=0, return_counts=True)
    nodes = keys[counts >= 3]
    lab = bd.clusters(nodes[:, 0], nodes[:, 1], bd.JUNCTION_CLUSTER_M)
    sx = np.bincount(lab, weights=nodes[:, 0]) / np.bincount(lab)
    sy = np.bincount(lab, weights=nodes[:, 1]) / np.bincount(lab)
    s_in = shapely.contains_xy(bbox_m.buffer(-20.0), sx, sy)
    sx, sy = sx[s_in], sy[s_in]

    # towers: jittered lattice snapped to roads; lattice gaps get new tower sites
    tree = shapely.STRtree(road_lines)
    step = bd.TOWER_SPACING_M
    gx, gy = np.arange(bx0 + step / 2, bx1, step), np.arange(by0 + step / 2, by1, step)

    def snap(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pts = shapely.points(px, py)
        near = shapely.get_coordinates(shapely.shortest_line(road_lines[tree.nearest(pts)], pts))
        rx, ry = near[0::2, 0], near[0::2, 1]
        dist = np.hypot(px - rx, py - ry)
        scale = np.minimum(1.0, bd.TOWER_SNAP_M / np.maximum(dist, 1e-9))
        return rx + (px - rx) * scale, ry + (py - ry) * scale, dist

    px, py = (a.ravel() for a in np.meshgrid(gx, gy))
    jit = rng.uniform(-bd.TOWER_JITTER, bd.TOWER_JITTER, size=(len(px), 2)) * step
    px, py = px + jit[:, 0], py + jit[:, 1]
    tx, ty, dist = snap(px, py)
    ok = (dist <= bd.TOWER_DROP_M) & shapely.contains_xy(bbox_m.buffer(-30.0), px, py)
    tx, ty = tx[ok], ty[ok]
    t_height = rng.integers(25, 41, size=len(tx)).astype(float)
    t_status = np.full(len(tx), "", dtype=object)
    t_status[np.sort(rng.choice(len(tx), size=round(bd.TOWER_EXISTING_5G_SHARE * len(tx)), replace=False))] = (
        "existing_5g"
    )
    hx, hy = (a.ravel() for a in np.meshgrid(gx + step / 2, gy + step / 2))
    hin = shapely.contains_xy(bbox_m.buffer(-30.0), hx, hy)
    hx, hy = hx[hin], hy[hin]
    dt, _ = cKDTree(np.column_stack([tx, ty])).query(np.column_stack([hx, hy]))
    nx_, ny_, hd = snap(hx, hy)
    gap = (dt > bd.NEW_SITE_GAP_M) & (hd <= bd.TOWER_DROP_M)
    nx_, ny_ = nx_[gap], ny_[gap]

    # priority areas
    st = gpd.read_file(shared / bd.STATION_FILE).cx[bb[0] : bb[2], bb[1] : bb[3]]
    areas: list[dict[str, Any]] = []
    geoms: list[Any] = []

    def circle(lon: float, lat: float, r: float) -> Any:
        x, y = bd.to_m(np.array([lon]), np.array([lat]))
        return Point(x[0], y[0]).buffer(r, quad_segs=8).intersection(bbox_m)

    trains = st[st["station"] == "train"]
    trains = trains.assign(lon=trains.geometry.x.round(7), lat=trains.geometry.y.round(7)).sort_values(["lon", "lat"])
    for k, (_, s) in enumerate(trains.iterrows()):
        name = s["name"] if isinstance(s["name"], str) and s["name"] else "未命名"
        areas.append(
            {"id": f"R{k + 1:02d}", "name": f"火车站 {name} ({s['lon']:.4f}, {s['lat']:.4f})", "class": "rail_station"}
        )
        geoms.append(bd.poly_to_ll(circle(s["lon"], s["lat"], 300.0)))
    sub = st[st["station"] == "subway"]
    sub = sub.assign(lon=sub.geometry.x.round(7), lat=sub.geometry.y.round(7)).sort_values(["lon", "lat"])
    for k, (_, s) in enumerate(sub.iterrows()):
        name = s["name"] if isinstance(s["name"], str) and s["name"] else "未命名"
        areas.append(
            {"id": f"M{k + 1:03d}", "name": f"地铁站 {name} ({s['lon']:.4f}, {s['lat']:.4f})", "class": "transport_hub"}
        )
        geoms.append(bd.poly_to_ll(circle(s["lon"], s["lat"], 150.0)))
    far = bd.far_from_roads(shapely.get_coordinates(shapely.segmentize(road_lines, 20.0)), bbox_m.bounds, bd.ROADLESS_M)
    areas.append({"id": "A06", "name": "水面及山体（无道路区）", "class": "other", "target": 0.0, "weight": 0.1})
    geoms.append(bd.poly_to_ll(far))
    areas.append({"id": "A99", "name": "中心城区 central urban", "class": "central_urban"})
    geoms.append(bd.poly_to_ll(bbox_m))

    # smart poles where no existing pole or tower reaches (the demo's gap rule)
    micro = cKDTree(np.column_stack([np.concatenate([lx, sx]), np.concatenate([ly, sy])]))
    macro = cKDTree(np.column_stack([tx, ty]))
    spx, spy = [], []
    for a, g in zip(areas, geoms, strict=True):
        if a["class"] in ("other", "transport_hub"):
            continue
        central = a["class"] == "central_urban"
        lattice = bd.GAP_LATTICE_CENTRAL_M if central else bd.GAP_LATTICE_AREA_M
        gm = bd.poly_to_m(g).difference(far) if central else bd.poly_to_m(g)
        x0, y0, x1, y1 = gm.bounds
        qx, qy = (
            v.ravel()
            for v in np.meshgrid(
                np.arange(math.floor(x0 / lattice) * lattice + lattice / 2, x1, lattice),
                np.arange(math.floor(y0 / lattice) * lattice + lattice / 2, y1, lattice),
            )
        )
        q = np.column_stack([qx, qy])[shapely.contains_xy(gm, qx, qy)]
        reach = micro.query_ball_point(q, bd.GAP_REACH_MICRO_M, return_length=True)
        reach = reach + macro.query_ball_point(q, bd.GAP_REACH_MACRO_M, return_length=True)
        need = 2 if a["class"] == "rail_station" else 1
        spx.append(q[reach < need, 0])
        spy.append(q[reach < need, 1])
    px_, py_ = np.concatenate(spx), np.concatenate(spy)
    k_sp = bd.dedup(px_, py_, bd.GAP_DEDUP_M)
    px_, py_ = px_[k_sp], py_[k_sp]

    parts = [
        ("street_lamp", lx, ly, np.array([bd.LAMP_RULES[c][3] for c in lcls]), None, lcls),
        ("surveillance_pole", sx, sy, rng.choice([6.0, 7.0, 8.0], size=len(sx)), None, None),
        ("tower", tx, ty, t_height, t_status, None),
        ("smart_pole", px_, py_, np.full(len(px_), 12.0), None, None),
        ("new_site", nx_, ny_, np.full(len(nx_), 30.0), None, None),
    ]
    header = ["id", "name", "type", "height_m", "cost", "owner", "status", "road_class", "lon", "lat", "source"]
    table, counts_by_type = [], {}
    for kind, x, y, h, status, road in parts:
        lon, lat = bd.to_ll(x, y)
        order = np.lexsort((lon, lat))
        counts_by_type[kind] = len(order)
        for n, i in enumerate(order, 1):
            rc = "" if road is None else str(road[i])
            name = f"{bd.CLASS_ZH[rc]}路灯 {n:06d}" if rc else f"{kind} {n:05d}"
            table.append(
                [
                    f"{bd.TYPE_PREFIX[kind]}{n:06d}",
                    name,
                    kind,
                    f"{h[i]:g}",
                    f"{bd.COSTS[kind]:g}",
                    bd.OWNERS[kind],
                    "" if status is None else status[i],
                    rc,
                    f"{lon[i]:.7f}",
                    f"{lat[i]:.7f}",
                    "generated on real OSM roads (city-scale benchmark)",
                ]
            )
    bd.write_csv(data / "candidates.csv", header, table)
    name = "Wuhan FUA roads' bounding box" if fua else "central Wuhan 25 km box"
    bd.write_geojson(
        data / "boundary.geojson",
        [{"id": "B1", "name": name, "area_km2": round(bbox_m.area / 1e6, 2)}],
        [shapely.segmentize(box(*bb), 0.001)],
        "boundary",
    )
    bd.write_geojson(data / "priority_areas.geojson", areas, geoms, "priority_areas")
    text = (
        SCENARIO
        if not fua
        else SCENARIO.replace("武汉中心城区 city-scale stress", "武汉都市区 FUA city-scale stress").replace(
            "25 km x 25 km of central Wuhan", "the whole Wuhan functional urban area (roads' bounding box)"
        )
    )
    (out / "city.toml").write_text(text, encoding="utf-8")
    return counts_by_type


if __name__ == "__main__":
    why = available()
    if why:
        sys.exit(why)
    print(build(Path(sys.argv[1]), fua="--fua" in sys.argv[2:]))
