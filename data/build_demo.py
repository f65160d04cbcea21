"""Build ``data/demo/`` from the real OSM data in ``../shared/data/wuhan/``.

Deterministic: fixed seeds, sorted outputs, coordinates rounded to 1e-7 degree, no
timestamps; every file is written by hand-rolled GeoJSON/CSV writers so that re-running
the script gives byte-identical files. Run ``python data/build_demo.py [--shared DIR]
[--out DIR]``. The generation rules are documented in ``data/README.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio import features
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import Point, Polygon, box, mapping, shape

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wuhan"
METRIC = "EPSG:4547"  # CGCS2000 3-degree Gauss-Krueger CM 114E
BBOX = (114.295, 30.485, 114.415, 30.560)
SMALL_HALF_M = 1000.0
SMALL_MARGIN_M = 200.0
ROAD_FILE = "wuchang_opticsvalley_roads_clip/roads_wuchang_opticsvalley_wgs84.geojson"
STATION_FILE = "stations_aeroways_osm/railway_stations.geojson"
BUILDING_FILE = "opticsvalley_square_osm_tiles/buildings_opticsvalley_wgs84.geojson"
WAYS_FILE = "opticsvalley_square_osm_tiles/ways_opticsvalley_wgs84.geojson"
SEED = 20260
#: ``source`` of a generated candidate: "OSM-gen:" (generated on the real OSM roads, not surveyed) and a short
#: rule code; ``data/README.md`` gives the full rule of each code. Short on purpose: the column is on all
#: 34,673 rows, and the long texts took 2.2 MB of the file.
SOURCE = "OSM-gen:{}"

#: street-lamp rule per OSM highway class: (sides, spacing m, offset from centre-line m, height m).
#: sides: 2 = both sides opposite (双侧对称), -2 = both sides staggered (双侧交错: one lamp every
#: ``spacing`` m, alternating sides), 1 = one side (单侧), on the left of the line.
LAMP_RULES: dict[str, tuple[int, float, float, float]] = {
    "trunk": (2, 32.0, 10.0, 12.0),
    "primary": (2, 32.0, 10.0, 12.0),
    "secondary": (-2, 30.0, 8.0, 10.0),
    "tertiary": (1, 28.0, 6.0, 10.0),
    "residential": (1, 28.0, 4.0, 8.0),
    "unclassified": (1, 28.0, 4.0, 8.0),
    "living_street": (1, 30.0, 3.0, 8.0),
    "trunk_link": (1, 35.0, 5.0, 10.0),
    "primary_link": (1, 35.0, 5.0, 10.0),
    "secondary_link": (1, 35.0, 5.0, 10.0),
    "tertiary_link": (1, 35.0, 5.0, 10.0),
}
#: pedestrian ways get no 5G-capable lamps (their garden lights are 3-6 m high)
MAJOR = ("trunk", "primary", "secondary", "tertiary")
LAMP_DEDUP_M = 5.0
JUNCTION_CLUSTER_M = 40.0
TOWER_SPACING_M = 580.0
TOWER_JITTER = 0.25
TOWER_SNAP_M = 40.0
TOWER_DROP_M = 250.0
TOWER_EXISTING_5G_SHARE = 0.12
ROOFTOP_MIN_HEIGHT_M = 24.0
#: gap filling: lattice points that fewer than k existing sites reach (micro within 70 m,
#: macro within 200 m: below the default best-case radii of about 90 m and 250 m)
GAP_LATTICE_AREA_M = 50.0
GAP_LATTICE_CENTRAL_M = 100.0
GAP_REACH_MICRO_M = 70.0
GAP_REACH_MACRO_M = 200.0
GAP_DEDUP_M = 35.0
ROADLESS_ID = "A06"
NEW_SITE_GAP_M = 480.0
ROADLESS_M = 250.0
DEFAULT_LEVELS = {"house": 2, "apartments": 8, "residential": 8}
DEFAULT_LEVELS_OTHER = 6
METRES_PER_LEVEL = 3.0

#: 万元; equal to planner.scenario.DEFAULT_TYPES (ladder: share < reuse < rooftop < new pole < new tower)
COSTS = {
    "tower": 6.0,
    "street_lamp": 8.0,
    "surveillance_pole": 8.0,
    "rooftop": 12.0,
    "smart_pole": 18.0,
    "new_site": 45.0,
}
OWNERS = {
    "tower": "中国铁塔",
    "street_lamp": "武汉市路灯管理部门",
    "surveillance_pole": "公安交管",
    "rooftop": "业主",
    "smart_pole": "中国铁塔",
    "new_site": "中国铁塔",
}
TYPE_PREFIX = {
    "tower": "T",
    "street_lamp": "L",
    "surveillance_pole": "S",
    "rooftop": "R",
    "smart_pole": "P",
    "new_site": "N",
}
CLASS_ZH = {
    "trunk": "快速路",
    "primary": "主干路",
    "secondary": "次干路",
    "tertiary": "支路",
    "residential": "街巷",
    "unclassified": "街巷",
    "living_street": "生活街",
    "trunk_link": "匝道",
    "primary_link": "匝道",
    "secondary_link": "匝道",
    "tertiary_link": "匝道",
}

_TO_M = Transformer.from_crs("EPSG:4326", METRIC, always_xy=True)
_TO_LL = Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)

Array = NDArray[np.float64]


# ----------------------------------------------------------------------------- writers


def _r(v: float) -> float:
    return round(float(v), 7)


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [_r(c) for c in obj]
        return [_round_coords(o) for o in obj]
    return obj


def write_geojson(path: Path, rows: Sequence[dict[str, Any]], geoms: Sequence[Any], name: str) -> None:
    """Write a byte-stable RFC 7946 FeatureCollection (EPSG:4326), one feature per line."""
    lines = []
    for props, geom in zip(rows, geoms, strict=True):
        g = mapping(geom)
        g = {"type": g["type"], "coordinates": _round_coords(g["coordinates"])}
        feat = {"type": "Feature", "properties": props, "geometry": g}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False, separators=(",", ":"))[:-1]
    text = head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_bytes(text.encode("utf-8"))


def write_roads(path: Path, roads_m: gpd.GeoDataFrame) -> None:
    """The report's offline basemap (``inputs.basemap``): the OSM road lines the candidates were
    generated on, one feature per OSM ``highway`` class (merged lines), simplified to 2 m and
    rounded to 1e-5° (about 1 m): display only, about 2 MB instead of 4.6 MB.
    """
    rows, geoms = [], []
    for cls in sorted(roads_m["highway"].astype(str).unique()):
        lines = shapely.line_merge(
            shapely.union_all(roads_m.geometry[roads_m["highway"].astype(str) == cls].to_numpy())
        )
        lines_ll = shapely.transform(shapely.simplify(lines, 2.0), lambda c: np.column_stack(to_ll(c[:, 0], c[:, 1])))
        rows.append({"highway": cls, "source": "OSM (© OpenStreetMap contributors, ODbL)"})
        geoms.append(shapely.transform(lines_ll, lambda c: np.round(c, 5)))
    write_geojson(path, rows, geoms, "roads")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(row)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def to_ll(x: Array, y: Array) -> tuple[Array, Array]:
    lon, lat = _TO_LL.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 7), np.round(lat, 7)


def to_m(lon: Array, lat: Array) -> tuple[Array, Array]:
    x, y = _TO_M.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def poly_to_ll(poly: Any) -> Any:
    return shapely.transform(poly, lambda c: np.column_stack(_TO_LL.transform(c[:, 0], c[:, 1])))


def poly_to_m(poly: Any) -> Any:
    return shapely.transform(poly, lambda c: np.column_stack(_TO_M.transform(c[:, 0], c[:, 1])))


# ----------------------------------------------------------------------------- generators


def lamps_along(
    lines: Sequence[Any], rule: tuple[int, float, float, float]
) -> tuple[Array, Array, NDArray[np.int64], NDArray[np.int64]]:
    """Lamp positions along metric lines: first at spacing/2, then every ``spacing`` m.

    Returns x, y (m), the index of the line each lamp belongs to and its index along the line.
    """
    sides, spacing, offset, _ = rule
    xs: list[Array] = []
    ys: list[Array] = []
    owner: list[NDArray[np.int64]] = []
    along: list[NDArray[np.int64]] = []
    for i, line in enumerate(lines):
        length = line.length
        if length < spacing / 2:
            continue
        d = np.arange(spacing / 2, length, spacing)
        p = shapely.get_coordinates(shapely.line_interpolate_point(line, d))
        a = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(d - 1.0, 0, length)))
        b = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(d + 1.0, 0, length)))
        t = b - a
        norm = np.hypot(t[:, 0], t[:, 1])
        norm[norm == 0] = 1.0
        nx, ny = -t[:, 1] / norm, t[:, 0] / norm  # left normal
        k = np.arange(len(d), dtype=np.int64)
        if sides == -2:
            side_k = np.where(k % 2 == 0, 1.0, -1.0)
            xs.append(p[:, 0] + side_k * offset * nx)
            ys.append(p[:, 1] + side_k * offset * ny)
            owner.append(np.full(len(d), i, dtype=np.int64))
            along.append(k)
            continue
        for side in (1.0, -1.0) if sides == 2 else (1.0,):
            xs.append(p[:, 0] + side * offset * nx)
            ys.append(p[:, 1] + side * offset * ny)
            owner.append(np.full(len(d), i, dtype=np.int64))
            along.append(k)
    if not xs:
        e = np.zeros(0, dtype=np.int64)
        return np.zeros(0), np.zeros(0), e, e
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(owner), np.concatenate(along)


def dedup(x: Array, y: Array, within_m: float) -> NDArray[np.bool_]:
    """Keep-mask dropping points closer than ``within_m`` to an earlier kept point."""
    keep = np.ones(len(x), dtype=bool)
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(within_m, output_type="ndarray")
    if len(pairs) == 0:
        return keep
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    for i, j in pairs:
        if keep[i]:
            keep[j] = False
    return keep


def clusters(x: Array, y: Array, within_m: float) -> NDArray[np.int64]:
    n = len(x)
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(within_m, output_type="ndarray")
    g = (
        coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        if len(pairs)
        else coo_matrix((n, n))
    )
    _, labels = connected_components(g, directed=False)
    return np.asarray(labels, dtype=np.int64)


def far_from_roads(road_pts: Array, bounds: tuple[float, float, float, float], dist_m: float) -> Any:
    """Polygon (metric) of the parts of ``bounds`` farther than ``dist_m`` from every road."""
    res = 50.0
    x0, y0, x1, y1 = bounds
    nx, ny = math.ceil((x1 - x0) / res), math.ceil((y1 - y0) / res)
    cx = x0 + (np.arange(nx) + 0.5) * res
    cy = y1 - (np.arange(ny) + 0.5) * res
    gx, gy = np.meshgrid(cx, cy)
    d, _ = cKDTree(road_pts).query(np.column_stack([gx.ravel(), gy.ravel()]))
    far = (d > dist_m).reshape(ny, nx).astype(np.uint8)
    polys = [
        shape(g)
        for g, v in features.shapes(far, mask=far.astype(bool), transform=Affine(res, 0.0, x0, 0.0, -res, y1))
        if v == 1
    ]
    big = [p for p in polys if p.area >= 0.25e6]
    return shapely.union_all(big).simplify(25.0).intersection(box(*bounds))


# ----------------------------------------------------------------------------- build


def build(shared: Path, out: Path) -> dict[str, int]:
    """Build every demo file into ``out``; returns the candidate counts per type."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    roads = gpd.read_file(shared / ROAD_FILE)
    roads_m = roads.to_crs(METRIC)
    bbox_m = poly_to_m(shapely.segmentize(box(*BBOX), 0.001))  # densified: parallels curve in EPSG:4547
    bx0, by0, bx1, by1 = bbox_m.bounds
    box_area_km2 = bbox_m.area / 1e6

    # --- street lamps
    lamp_x: list[Array] = []
    lamp_y: list[Array] = []
    lamp_cls: list[NDArray[np.str_]] = []
    lamp_name: list[list[str]] = []
    for cls, rule in LAMP_RULES.items():
        geoms = roads_m.geometry[roads_m["highway"] == cls].to_numpy()
        if len(geoms) == 0:
            continue
        merged = shapely.line_merge(shapely.union_all(geoms))
        parts = [g for g in shapely.get_parts(merged)]
        x, y, owner, along = lamps_along(parts, rule)
        lamp_x.append(x)
        lamp_y.append(y)
        lamp_cls.append(np.full(len(x), cls))
        lamp_name.append(
            [f"{CLASS_ZH[cls]}路灯 {cls}-{o + 1:04d}-{a + 1:02d}" for o, a in zip(owner, along, strict=True)]
        )
    lx, ly = np.concatenate(lamp_x), np.concatenate(lamp_y)
    lcls = np.concatenate(lamp_cls)
    lname = np.array([n for names in lamp_name for n in names], dtype=object)
    inside = shapely.contains_xy(bbox_m.buffer(-1.0), lx, ly)
    lx, ly, lcls, lname = lx[inside], ly[inside], lcls[inside], lname[inside]
    keep = dedup(lx, ly, LAMP_DEDUP_M)
    lx, ly, lcls, lname = lx[keep], ly[keep], lcls[keep], lname[keep]

    # --- surveillance poles at junctions of roads of class >= tertiary
    major = roads_m[roads_m["highway"].isin(MAJOR)]
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(major.geometry.to_numpy(), k)) for k in (0, -1)])
    keys, counts = np.unique(np.round(ends, 2), axis=0, return_counts=True)
    nodes = keys[counts >= 3]
    lab = clusters(nodes[:, 0], nodes[:, 1], JUNCTION_CLUSTER_M)
    sx = np.bincount(lab, weights=nodes[:, 0]) / np.bincount(lab)
    sy = np.bincount(lab, weights=nodes[:, 1]) / np.bincount(lab)
    s_in = shapely.contains_xy(bbox_m.buffer(-20.0), sx, sy)
    sx, sy = sx[s_in], sy[s_in]

    # --- existing towers: jittered lattice, snapped to within TOWER_SNAP_M of a road
    road_lines = roads_m.geometry.to_numpy()
    tree = shapely.STRtree(road_lines)
    gx = np.arange(bx0 + TOWER_SPACING_M / 2, bx1, TOWER_SPACING_M)
    gy = np.arange(by0 + TOWER_SPACING_M / 2, by1, TOWER_SPACING_M)
    px, py = (a.ravel() for a in np.meshgrid(gx, gy))
    jit = rng.uniform(-TOWER_JITTER, TOWER_JITTER, size=(len(px), 2)) * TOWER_SPACING_M
    px, py = px + jit[:, 0], py + jit[:, 1]
    pts = shapely.points(px, py)
    near_idx = tree.nearest(pts)
    near = shapely.get_coordinates(shapely.shortest_line(road_lines[near_idx], pts))
    rx, ry = near[0::2, 0], near[0::2, 1]
    dist = np.hypot(px - rx, py - ry)
    ok = (dist <= TOWER_DROP_M) & shapely.contains_xy(bbox_m.buffer(-30.0), px, py)
    scale = np.minimum(1.0, TOWER_SNAP_M / np.maximum(dist, 1e-9))
    tx, ty = rx + (px - rx) * scale, ry + (py - ry) * scale
    tx, ty = tx[ok], ty[ok]
    t_in = shapely.contains_xy(bbox_m, tx, ty)
    tx, ty = tx[t_in], ty[t_in]
    t_height = rng.integers(25, 41, size=len(tx)).astype(float)
    n_5g = round(TOWER_EXISTING_5G_SHARE * len(tx))
    t_status = np.full(len(tx), "", dtype=object)
    t_status[np.sort(rng.choice(len(tx), size=n_5g, replace=False))] = "existing_5g"

    # --- priority areas
    areas, area_geoms_ll = priority_areas(shared, roads_m, bbox_m)

    # --- rooftops from the Optics Valley building sample
    bld_rows, bld_geoms = buildings(shared)
    r_xy: list[tuple[float, float, float, str]] = []
    for props, g in zip(bld_rows, bld_geoms, strict=True):
        if props["height_source"] == "osm" and props["height_m"] >= ROOFTOP_MIN_HEIGHT_M:
            p = poly_to_m(g).representative_point()
            label = props["name"] or f"OSM {props['osm_id']}"
            r_xy.append((p.x, p.y, float(props["height_m"]) + 3.0, f"楼顶 {label}"))

    # --- new smart poles at coverage gaps of the existing poles and towers
    micro_tree = cKDTree(np.column_stack([np.concatenate([lx, sx]), np.concatenate([ly, sy])]))
    macro_xy = np.column_stack([np.concatenate([tx, [p[0] for p in r_xy]]), np.concatenate([ty, [p[1] for p in r_xy]])])
    macro_tree = cKDTree(macro_xy)
    roadless = next(poly_to_m(g) for a, g in zip(areas, area_geoms_ll, strict=True) if a["id"] == ROADLESS_ID)
    sp: list[tuple[float, float, str]] = []
    for a, g in zip(areas, area_geoms_ll, strict=True):
        if a["class"] in ("other", "transport_hub"):
            continue
        central = a["class"] == "central_urban"
        step = GAP_LATTICE_CENTRAL_M if central else GAP_LATTICE_AREA_M
        gm = poly_to_m(g).difference(roadless) if central else poly_to_m(g)
        x0, y0, x1, y1 = gm.bounds
        xs = np.arange(math.floor(x0 / step) * step + step / 2, x1, step)
        ys = np.arange(math.floor(y0 / step) * step + step / 2, y1, step)
        qx, qy = (v.ravel() for v in np.meshgrid(xs, ys))
        m = shapely.contains_xy(gm, qx, qy)
        qx, qy = qx[m], qy[m]
        q = np.column_stack([qx, qy])
        reach = np.array([len(v) for v in micro_tree.query_ball_point(q, GAP_REACH_MICRO_M)], dtype=np.int64)
        reach += np.array([len(v) for v in macro_tree.query_ball_point(q, GAP_REACH_MACRO_M)], dtype=np.int64)
        need = 2 if a["class"] in ("rail_station", "airport") else 1
        label = "中心城区补点" if central else str(a["name"]).split(" ")[0]
        for x, y in zip(qx[reach < need], qy[reach < need], strict=True):
            sp.append((float(x), float(y), f"新建智慧杆 {label} {{n}}"))
    if sp:
        keep_sp = dedup(np.array([p[0] for p in sp]), np.array([p[1] for p in sp]), GAP_DEDUP_M)
        sp = [p for p, k in zip(sp, keep_sp, strict=True) if k]

    # --- new ground-tower sites at gaps of the tower lattice (near a road)
    hx, hy = (a.ravel() for a in np.meshgrid(gx + TOWER_SPACING_M / 2, gy + TOWER_SPACING_M / 2))
    hin = shapely.contains_xy(bbox_m.buffer(-30.0), hx, hy)
    hx, hy = hx[hin], hy[hin]
    dt, _ = cKDTree(np.column_stack([tx, ty])).query(np.column_stack([hx, hy]))
    hpts = shapely.points(hx, hy)
    hnear = shapely.get_coordinates(shapely.shortest_line(road_lines[tree.nearest(hpts)], hpts))
    hrx, hry = hnear[0::2, 0], hnear[0::2, 1]
    hd = np.hypot(hx - hrx, hy - hry)
    gap_ok = (dt > NEW_SITE_GAP_M) & (hd <= TOWER_DROP_M)
    hscale = np.minimum(1.0, TOWER_SNAP_M / np.maximum(hd, 1e-9))
    nx_, ny_ = (hrx + (hx - hrx) * hscale)[gap_ok], (hry + (hy - hry) * hscale)[gap_ok]

    # --- assemble the candidate table
    rows: list[dict[str, Any]] = []

    def add(
        kind: str,
        x: Array,
        y: Array,
        heights: Sequence[float],
        names: Sequence[str],
        rule: Sequence[str],
        status: Sequence[str] | None = None,
        road: Sequence[str] | None = None,
    ) -> None:
        lon, lat = to_ll(x, y)
        for i in range(len(lon)):
            rows.append(
                {
                    "type": kind,
                    "lon": float(lon[i]),
                    "lat": float(lat[i]),
                    "height_m": float(heights[i]),
                    "name": names[i],
                    "rule": rule[i],
                    "status": "" if status is None else status[i],
                    "road_class": "" if road is None else road[i],
                }
            )

    lamp_rule = ["lamp-CJJ45"] * len(lcls)
    add("street_lamp", lx, ly, [LAMP_RULES[c][3] for c in lcls], list(lname), lamp_rule, road=list(lcls))
    s_height = rng.choice([6.0, 7.0, 8.0], size=len(sx))
    add(
        "surveillance_pole",
        sx,
        sy,
        list(s_height),
        ["路口监控杆 {n}"] * len(sx),
        ["junction"] * len(sx),
    )
    add(
        "tower",
        tx,
        ty,
        list(t_height),
        ["铁塔站址 {n}"] * len(tx),
        [f"tower-lattice-{TOWER_SPACING_M:g}m"] * len(tx),
        status=list(t_status),
    )
    if r_xy:
        add(
            "rooftop",
            np.array([p[0] for p in r_xy]),
            np.array([p[1] for p in r_xy]),
            [p[2] for p in r_xy],
            [p[3] for p in r_xy],
            [f"rooftop-{ROOFTOP_MIN_HEIGHT_M:g}m"] * len(r_xy),
        )
    if sp:
        add(
            "smart_pole",
            np.array([p[0] for p in sp]),
            np.array([p[1] for p in sp]),
            [12.0] * len(sp),
            [p[2] for p in sp],
            ["pole-gap"] * len(sp),
        )
    add(
        "new_site",
        nx_,
        ny_,
        [30.0] * len(nx_),
        ["新建铁塔站址 {n}"] * len(nx_),
        [f"tower-gap-{NEW_SITE_GAP_M:g}m"] * len(nx_),
    )

    order = list(TYPE_PREFIX)
    rows.sort(key=lambda r: (order.index(r["type"]), r["lat"], r["lon"]))
    counters = dict.fromkeys(order, 0)
    header = ["id", "name", "type", "height_m", "cost", "owner", "status", "road_class", "lon", "lat", "source"]
    table = []
    for r in rows:
        counters[r["type"]] += 1
        rid = f"{TYPE_PREFIX[r['type']]}{counters[r['type']]:05d}"
        name = r["name"].replace("{n}", f"{counters[r['type']]:03d}")
        table.append(
            [
                rid,
                name,
                r["type"],
                f"{r['height_m']:g}",
                f"{COSTS[r['type']]:g}",
                OWNERS[r["type"]],
                r["status"],
                r["road_class"],
                f"{r['lon']:.7f}",
                f"{r['lat']:.7f}",
                SOURCE.format(r["rule"]),
            ]
        )
    write_csv(out / "candidates.csv", header, table)

    # --- boundary, areas, buildings, exclusions
    write_geojson(
        out / "boundary.geojson",
        [
            {
                "id": "B1",
                "name": "武昌站—光谷 demo box (Wuchang railway station to Optics Valley)",
                "area_km2": round(box_area_km2, 2),
            }
        ],
        [shapely.segmentize(box(*BBOX), 0.001)],
        "boundary",
    )
    write_geojson(out / "priority_areas.geojson", areas, area_geoms_ll, "priority_areas")
    write_geojson(out / "buildings.geojson", bld_rows, bld_geoms, "buildings")
    write_exclusions(out / "exclusions.geojson")
    write_roads(out / "roads.geojson", roads_m)
    centre = square_centre(shared)
    cx, cy = to_m(np.array([centre[0]]), np.array([centre[1]]))
    small = box(cx[0] - SMALL_HALF_M, cy[0] - SMALL_HALF_M, cx[0] + SMALL_HALF_M, cy[0] + SMALL_HALF_M)
    write_geojson(
        out / "boundary_small.geojson",
        [{"id": "B2", "name": "光谷广场 2 km × 2 km (Optics Valley Square)", "area_km2": 4.0}],
        [poly_to_ll(small)],
        "boundary_small",
    )
    # the small scenario: areas clipped to its box, candidates within SMALL_MARGIN_M of it
    small_rows, small_geoms = [], []
    for a, g in zip(areas, area_geoms_ll, strict=True):
        clipped = poly_to_m(g).intersection(small)
        if clipped.area >= 100.0:
            small_rows.append(a)
            small_geoms.append(poly_to_ll(clipped))
    write_geojson(out / "priority_areas_small.geojson", small_rows, small_geoms, "priority_areas_small")
    lon = np.array([float(t[8]) for t in table])
    lat = np.array([float(t[9]) for t in table])
    xm, ym = to_m(lon, lat)
    near = shapely.contains_xy(small.buffer(SMALL_MARGIN_M, join_style="mitre"), xm, ym)
    write_csv(out / "candidates_small.csv", header, [t for t, k in zip(table, near, strict=True) if k])
    return {t: counters[t] for t in order}


def square_centre(shared: Path) -> tuple[float, float]:
    """Centre (lon, lat, WGS 84) of the OSM 光谷转盘 roundabout: the middle of Optics Valley Square.

    The often-quoted 114.398 E, 30.506 N is the GCJ-02 position (0.0055 deg E, 0.0023 deg S of it).
    """
    ways = json.loads((shared / WAYS_FILE).read_text(encoding="utf-8"))
    ring = next(shape(f["geometry"]) for f in ways["features"] if f["properties"].get("name") == "光谷转盘")
    c = ring.envelope.centroid
    return round(c.x, 5), round(c.y, 5)


def priority_areas(shared: Path, roads_m: gpd.GeoDataFrame, bbox_m: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Priority areas (EPSG:4326 polygons) with id, name, class, target/weight where set, and provenance."""
    st = gpd.read_file(shared / STATION_FILE)
    x0, y0, x1, y1 = BBOX
    st = st[(st.geometry.x >= x0) & (st.geometry.x <= x1) & (st.geometry.y >= y0) & (st.geometry.y <= y1)]
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []

    def add(aid: str, name: str, cls: str, geom_m: Any, prov: str, **extra: Any) -> None:
        rows.append({"id": aid, "name": name, "class": cls, **extra, "provenance": prov})
        geoms.append(poly_to_ll(geom_m.intersection(bbox_m)))

    def circle(lon: float, lat: float, r: float) -> Any:
        x, y = to_m(np.array([lon]), np.array([lat]))
        return Point(x[0], y[0]).buffer(r, quad_segs=8)

    def rect(lon0: float, lat0: float, lon1: float, lat1: float) -> Any:
        return poly_to_m(box(lon0, lat0, lon1, lat1))

    train = st[(st["station"] == "train") & (st["name"] == "武昌")].iloc[0].geometry
    add(
        "A01",
        "武昌站 Wuchang railway station",
        "rail_station",
        circle(train.x, train.y, 300.0),
        f"300 m circle around the OSM train station point 武昌 ({train.x:.5f}, {train.y:.5f}) "
        "in stations_aeroways_osm/railway_stations.geojson",
    )
    sq = square_centre(shared)
    add(
        "A02",
        "光谷广场 Optics Valley Square",
        "public_place",
        circle(sq[0], sq[1], 250.0),
        f"250 m circle around the centre of the OSM 光谷转盘 roundabout ({sq[0]:.5f}, {sq[1]:.5f}) "
        "in opticsvalley_square_osm_tiles/ways",
    )
    add(
        "A03",
        "东湖高新区核心区（关山片） East Lake High-tech Zone core (Guanshan)",
        "industrial_park",
        rect(114.400, 30.487, 114.415, 30.503),
        "approximate rectangle SE of Optics Valley Square along the T1 tram stops (OSM), not an official zone boundary",
    )
    add(
        "A04",
        "洪山公园 Hongshan Park",
        "park",
        circle(114.3325, 30.5378, 180.0),
        "≈10 ha circle N of 武珞路 between the OSM metro stations 中南路 and 宝通寺 "
        "(park described as 9.97 ha there); approximate",
    )
    whu = poly_to_m(
        Polygon([(114.352, 30.530), (114.372, 30.530), (114.372, 30.538), (114.366, 30.546), (114.352, 30.546)])
    )
    add(
        "A05",
        "武汉大学 Wuhan University",
        "public_place",
        whu,
        "approximate polygon around the campus (Wikipedia ≈30.538 N, 114.364 E; "
        "between 八一路, 珞喻路 and East Lake, NE corner cut at the lake)",
    )
    far = far_from_roads(
        np.concatenate([shapely.get_coordinates(shapely.segmentize(roads_m.geometry.to_numpy(), 20.0))]),
        bbox_m.bounds,
        ROADLESS_M,
    )
    add(
        ROADLESS_ID,
        "东湖水面及山体（无道路区）East Lake water and roadless hills",
        "other",
        far,
        f"cells > {ROADLESS_M:g} m from every OSM road (a proxy for water and hills); no coverage target",
        target=0.0,
        weight=0.1,
    )
    # metro stations: one transport hub per OSM subway point
    sub = st[st["station"] == "subway"].copy()
    sub = sub.assign(lon=sub.geometry.x.round(7), lat=sub.geometry.y.round(7)).sort_values(["lon", "lat"])
    named = sub["name"].where(sub["name"].notna() & (sub["name"] != ""), "")
    repeated = set(named[named.duplicated(keep=False) & (named != "")])
    for k, (_, s) in enumerate(sub.iterrows()):
        where = f"({s['lon']:.4f}, {s['lat']:.4f})"
        if isinstance(s["name"], str) and s["name"]:
            name = f"{s['name']} {where}" if s["name"] in repeated else s["name"]
        else:
            name = f"未命名 unnamed {where}"
        add(
            f"M{k + 1:02d}",
            f"地铁站 {name}",
            "transport_hub",
            circle(s["lon"], s["lat"], 150.0),
            "150 m circle around the OSM subway station point (stations_aeroways_osm)",
        )
    add(
        "A99",
        "中心城区 central urban (whole box)",
        "central_urban",
        bbox_m,
        "the whole demo box; higher-ranked classes take their overlapping cells",
    )
    return rows, geoms


def buildings(shared: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    """Optics Valley building sample: height_m from OSM where present (> 0), else levels default × 3 m."""
    data = json.loads((shared / BUILDING_FILE).read_text(encoding="utf-8"))
    out: list[tuple[int, dict[str, Any], Any]] = []
    for f in data["features"]:
        p = f["properties"]
        g = shapely.make_valid(shape(f["geometry"]))
        h = p.get("height_m")
        kind = p.get("kind_detail") or ""
        if h is not None and float(h) > 0:
            height = float(h)
            levels = max(1, round(height / METRES_PER_LEVEL))
            src = "osm"
        else:
            levels = DEFAULT_LEVELS.get(kind, DEFAULT_LEVELS_OTHER)
            height = levels * METRES_PER_LEVEL
            src = "default_levels"
        name = p.get("name:zh") or p.get("name") or ""
        out.append(
            (
                int(p["osm_id"]),
                {
                    "id": f"OSM{p['osm_type'][0]}{abs(int(p['osm_id']))}",
                    "osm_id": int(p["osm_id"]),
                    "name": name,
                    "kind_detail": kind,
                    "height_m": height,
                    "levels": levels,
                    "height_source": src,
                },
                g,
            )
        )
    out.sort(key=lambda t: (t[0], t[1]["id"]))
    return [o[1] for o in out], [o[2] for o in out]


def write_exclusions(path: Path) -> None:
    """One illustrative 限建 (restrict: no macro site) polygon; not a real regulation."""
    poly = Polygon([(114.3560, 30.5370), (114.3660, 30.5370), (114.3660, 30.5440), (114.3560, 30.5440)])
    write_geojson(
        path,
        [
            {
                "id": "X1",
                "name": "示例限建区 珞珈山 (illustrative only)",
                "rule": "restrict",
                "note": (
                    "ILLUSTRATIVE example of a 限建 zone (no new macro site) over the wooded Luojia Hill; "
                    "not a real regulation"
                ),
            }
        ],
        [poly],
        "exclusions",
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder ../shared/data/wuhan")
    ap.add_argument("--out", type=Path, default=HERE / "demo", help="output folder (default data/demo)")
    args = ap.parse_args(argv)
    counts = build(args.shared, args.out)
    for k, v in counts.items():
        print(f"{k:18s} {v:7d}")
    print(f"{'total':18s} {sum(counts.values()):7d}")


if __name__ == "__main__":
    main()
