"""Priority areas: validation, class aliases, per-class defaults, geometry repair."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import make_valid
from shapely.geometry.base import BaseGeometry

from planner._text import exact, header_key, id_text, parse_numbers
from planner._validate import check_plausible_lonlat, duplicate_rows, feature_label
from planner.errors import InputDataError, Problem
from planner.geo.osm_tags import AREA_KEYS, has_osm_tags, is_relation_type_column, osm_area_classes
from planner.scenario import PRIORITY_CLASSES, Scenario

CLASS_ALIASES: dict[str, str] = {
    "机场": "airport",
    "高铁站": "rail_station",
    "火车站": "rail_station",
    "铁路站": "rail_station",
    "交通枢纽": "transport_hub",
    "地铁站": "transport_hub",
    "重要公共场所": "public_place",
    "公共场所": "public_place",
    "公园": "park",
    "产业园区": "industrial_park",
    "工业园区": "industrial_park",
    "园区": "industrial_park",
    "中心城区": "central_urban",
    "高速公路": "highway",
    "其他": "other",
    # other ledgers' words (NEWCITY session); English keys as compared: lower case, spaces/hyphens as "_"
    "航站楼": "airport",
    "airport_terminal": "airport",
    "aerodrome": "airport",
    "高铁": "rail_station",
    "动车站": "rail_station",
    "railway_station": "rail_station",
    "train_station": "rail_station",
    "地铁": "transport_hub",
    "枢纽": "transport_hub",
    "公交枢纽": "transport_hub",
    "客运站": "transport_hub",
    "汽车站": "transport_hub",
    "metro_station": "transport_hub",
    "subway_station": "transport_hub",
    "bus_station": "transport_hub",
    "transit_hub": "transport_hub",
    "广场": "public_place",
    "医院": "public_place",
    "学校": "public_place",
    "大学": "public_place",
    "体育馆": "public_place",
    "商场": "public_place",
    "景区": "public_place",
    "public_space": "public_place",
    "绿地": "park",
    "green_space": "park",
    "工业区": "industrial_park",
    "开发区": "industrial_park",
    "高新区": "industrial_park",
    "科技园": "industrial_park",
    "industrial": "industrial_park",
    "industrial_zone": "industrial_park",
    "industrial_area": "industrial_park",
    "science_park": "industrial_park",
    "市中心": "central_urban",
    "城区": "central_urban",
    "cbd": "central_urban",
    "downtown": "central_urban",
    "city_centre": "central_urban",
    "city_center": "central_urban",
    "高速": "highway",
    "expressway": "highway",
    "motorway": "highway",
}

AREA_COLUMNS = ["id", "name", "class", "target", "weight", "k", "rank"]
#: smaller priority areas (m², after repair) are degenerate (a point, a sliver, a zero-size polygon): dropped
MIN_AREA_M2 = 1.0


def _canonical_class(value: object) -> str | None:
    """A class as written (中文 or English, any case, spaces or hyphens) as its name in PRIORITY_CLASSES if known."""
    if not isinstance(value, str):
        return None
    key = re.sub(r"[\s-]+", "_", value.strip().lower())
    return CLASS_ALIASES.get(value.strip(), CLASS_ALIASES.get(key, key))


def normalise_areas(
    gdf: gpd.GeoDataFrame, path: Path, scenario: Scenario, metric_crs: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Validate priority areas, apply per-class defaults and repair geometry.

    Lines are buffered by ``demand.line_width_m`` (m); invalid polygons are repaired with
    ``make_valid`` and a warning names the feature.

    Returns
    -------
    areas : GeoDataFrame
        In ``metric_crs``, columns :data:`AREA_COLUMNS` + geometry.
    warnings : list of str
    """
    src = str(path)
    problems: list[Problem] = []
    warnings: list[str] = []
    df = gdf.copy()
    df.columns = [str(c).strip() for c in df.columns]
    lower: dict[str, str] = {}
    for c in df.columns:
        if c != "geometry":
            lower.setdefault(header_key(c), c)
    type_col = lower.get("type")
    if "class" not in lower and "类型" not in lower and "类别" not in lower and type_col is not None:
        if is_relation_type_column(df[type_col]):  # GDAL's OSM multipolygon layer: `type` = "multipolygon"
            df = df.rename(columns={type_col: "osm_relation_type"})
            del lower["type"]
    for key, target in (
        ("class", "class"),
        ("id", "id"),
        ("name", "name"),
        ("target", "target"),
        ("weight", "weight"),
        ("k", "k"),
        ("width_m", "width_m"),
        ("类型", "class"),
        ("类别", "class"),
        ("名称", "name"),
        ("编号", "id"),
        ("type", "class"),
        ("目标", "target"),
        ("覆盖目标", "target"),
        ("权重", "weight"),
        ("宽度", "width_m"),
        ("width", "width_m"),
    ):
        if key in lower and target not in df.columns:
            df = df.rename(columns={lower[key]: target})
            lower[target] = target
    problems += check_plausible_lonlat(df, path, "priority_areas")
    osm_classes, summary = (
        osm_area_classes(df) if "class" not in df.columns and has_osm_tags(df, AREA_KEYS) else (None, "")
    )
    if osm_classes is not None and osm_classes.notna().any():  # no tag matching any rule: not an OSM export
        df["class"] = osm_classes.fillna("other")
        warnings.append(
            f"{src}: no `class` column: classes read from the OpenStreetMap tags: {summary}; features that no rule "
            "matched are class other; add a `class` column to choose the classes yourself"
        )
    if "class" not in df.columns:
        raise InputDataError(
            Problem(
                "no `class` column",
                src,
                fix=f"add `class` with one of {', '.join(PRIORITY_CLASSES)} (an OpenStreetMap export may keep its "
                "tags instead: leisure=park, railway=station, landuse=industrial, aeroway=aerodrome, ...)",
            )
        )
    n = len(df)
    ids = id_text(df["id"]) if "id" in df.columns else pd.Series([""] * n, dtype="string")
    ids = ids.fillna("")
    gen = pd.Series([f"A{i + 1:03d}" for i in range(n)], index=df.index, dtype="string")
    ids = ids.where(ids != "", gen)
    dup = ids.duplicated(keep=False)
    if dup.any():
        listed = duplicate_rows(df, ids, dup)
        problems.append(
            Problem(f"duplicate area ids: {', '.join(listed[:10])}", src, fix="make every area `id` unique")
        )
    df["id"] = ids.astype(str)
    names = (
        df["name"].astype("string").fillna("").str.strip()
        if "name" in df.columns
        else pd.Series([""] * n, dtype="string", index=df.index)
    )
    df["name"] = names.where(names != "", df["id"]).astype(str)
    twins = df["name"].duplicated(keep=False).to_numpy()  # five "地铁站": warnings and tables could not tell them apart
    if twins.any():
        df.loc[twins, "name"] = df.loc[twins, "name"] + " (" + df.loc[twins, "id"] + ")"
    cls = df["class"].astype("string").str.strip()
    mapped = cls.map(_canonical_class)
    unknown = ~mapped.isin(list(PRIORITY_CLASSES))
    for i in np.flatnonzero(unknown.to_numpy())[:10]:
        given = cls.iloc[i]
        problems.append(
            Problem(
                f"unknown class {given!r}" if isinstance(given, str) and given else "missing class",
                src,
                feature_label(df, int(i)),
                f"use one of {', '.join(PRIORITY_CLASSES)} (or 机场, 高铁站, 交通枢纽, 公共场所, "
                "公园, 产业园区, 中心城区, 高速公路, 其他)",
            )
        )
    df["class"] = mapped.where(~unknown, "other").astype(str)
    defaults = scenario.demand.classes
    for col, lo, hi in (("target", 0.0, 1.0), ("weight", 0.0, 1e9), ("k", 1, 10)):
        default = df["class"].map(lambda c, col=col: getattr(defaults[c], col)).astype(float)
        if col in df.columns:
            raw = df[col]
            percent = raw.astype("string").str.strip().str.endswith(("%", "％")).fillna(False).to_numpy(bool)
            values, nonnum = parse_numbers(raw, ("%",) if col == "target" else ())
            values = values.astype(float).where(~percent, values / 100.0)  # "95%" is unambiguous: 0.95
            for i in np.flatnonzero(nonnum.to_numpy())[:10]:
                problems.append(
                    Problem(
                        f"{col} {raw.iloc[i]!r} is not a number",
                        src,
                        feature_label(df, int(i)),
                        "write targets as fractions (0.95) or percentages (95%), k and weights as numbers; "
                        "leave the cell empty for the class default",
                    )
                )
            bad = values.notna() & ((values < lo) | (values > hi))
            for i in np.flatnonzero(bad.to_numpy())[:10]:
                problems.append(
                    Problem(
                        f"{col} {exact(values.iloc[i])} is out of range [{exact(lo)}, {exact(hi)}]",
                        src,
                        feature_label(df, int(i)),
                        "targets are fractions 0–1 (0.95 = 95 %), k is 1–10, weights ≥ 0",
                    )
                )
            if col == "k":
                frac = values.notna() & ~bad & (values != values.round())
                for i in np.flatnonzero(frac.to_numpy())[:10]:
                    problems.append(
                        Problem(
                            f"k {exact(values.iloc[i])} is not a whole number",
                            src,
                            feature_label(df, int(i)),
                            "k is the number of sites that must cover each point: 1, 2, 3, ...",
                        )
                    )
            values = values.where(values.notna(), default)
        else:
            values = default
        df[col] = values
    df["k"] = df["k"].round().astype(int)
    df["rank"] = df["class"].map(lambda c: defaults[c].rank).astype(int)

    # geometry: features without an area (empty, points, zero-size polygons) are dropped with a warning
    geoms = df.geometry
    empty = (geoms.isna() | geoms.is_empty).to_numpy()
    if problems:
        raise InputDataError(problems)
    metric = df.to_crs(metric_crs)
    kinds = metric.geometry.geom_type
    is_line = kinds.isin(["LineString", "MultiLineString"])
    is_point = kinds.isin(["Point", "MultiPoint"]).to_numpy(copy=True)
    is_point |= is_line.to_numpy() & ~(
        np.nan_to_num(shapely.length(metric.geometry.to_numpy())) > 0
    )  # a zero-length line
    if is_line.any():
        width = pd.Series(scenario.demand.line_width_m, index=metric.index, dtype=float)
        if "width_m" in df.columns:  # per-feature width of line features (m); empty = demand.line_width_m
            given, nonnum = parse_numbers(df["width_m"], ("m", "米"))
            given.index = metric.index
            bad_w = (nonnum.to_numpy() | (given <= 0).to_numpy() | (given > 5000).to_numpy()) & is_line.to_numpy()
            if bad_w.any():
                rows = [feature_label(df, int(i)) for i in np.flatnonzero(bad_w)]
                raise InputDataError(
                    Problem(
                        f"width_m must be a width in metres (0–5000) at {', '.join(rows[:10])}",
                        src,
                        fix="write the road's width in metres, or leave it empty for demand.line_width_m",
                    )
                )
            width = width.where(given.isna(), given)
        metric.loc[is_line, "geometry"] = metric.geometry[is_line].buffer(width[is_line] / 2.0)
    invalid = ~metric.geometry.is_valid & ~pd.Series(empty | is_point, index=metric.index)
    for i in np.flatnonzero(invalid.to_numpy()):
        warnings.append(
            f"{src}: {feature_label(df, int(i))} has an invalid polygon (e.g. self-intersection); repaired with "
            "make_valid"
        )
        metric.iloc[i, metric.columns.get_loc("geometry")] = _areal(make_valid(metric.geometry.iloc[i]))
    # polygonal parts only (a GeometryCollection from GeoJSON or a repair keeps its polygons)
    metric["geometry"] = gpd.GeoSeries(
        [_areal(g) if g is not None else shapely.Polygon() for g in metric.geometry], index=metric.index, crs=metric.crs
    )
    area = shapely.area(metric.geometry.to_numpy())
    degenerate = empty | is_point | ~(np.nan_to_num(area) >= MIN_AREA_M2)
    if degenerate.any():
        rows = [feature_label(df, int(i)) for i in np.flatnonzero(degenerate)]
        what = f"points, empty, zero-length or under {MIN_AREA_M2:g} m²"
        if degenerate.all():
            raise InputDataError(
                Problem(
                    f"no priority area has an area: every feature is one of {what} "
                    f"({', '.join(rows[:10])}{' …' if len(rows) > 10 else ''})",
                    src,
                    fix="draw the priority areas as polygons (buffer points to the area they stand for), "
                    "or remove `inputs.priority_areas`",
                )
            )
        warnings.append(
            f"{src}: {len(rows)} priority areas without an area ({what}) were dropped: "
            f"{', '.join(rows[:10])}{f' and {len(rows) - 10} more' if len(rows) > 10 else ''}; "
            "draw them as polygons to plan for them"
        )
        metric = metric.iloc[np.flatnonzero(~degenerate)]
    out = gpd.GeoDataFrame(metric[AREA_COLUMNS], geometry=metric.geometry.to_numpy(), crs=metric_crs)
    return out.reset_index(drop=True), warnings


def _areal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a repaired geometry (a collection's lines and points dropped; may be empty)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    return shapely.union_all(parts) if parts else shapely.Polygon()
