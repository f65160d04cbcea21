"""The candidate catalogue: validation, type aliases, defaults per type, 合杆 pole groups."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from planner._text import FORMULA_HINT, exact, header_key, id_text, parse_numbers
from planner._validate import check_plausible_lonlat, duplicate_rows, feature_label
from planner.errors import InputDataError, Problem
from planner.geo.osm_tags import CANDIDATE_KEYS, CANDIDATE_RULES, has_osm_tags, osm_candidate_types
from planner.geo.sector_columns import parse_sector_columns
from planner.scenario import CANDIDATE_TYPES, TYPE_ALIASES, Scenario

#: columns of the normalised catalogue, in order
CANDIDATE_COLUMNS = ["id", "name", "type", "site_class", "height_m", "cost", "owner", "build_mode", "status"]
MAX_HEIGHT_M = 150.0
#: dearest plausible site (万元 = 10,000 CNY): 10^6 万元 is 10 billion yuan; above is a typo or a unit error,
#: and would crush the solver's cost scaling (every ordinary cost rounded to 0)
MAX_COST = 1e6
#: cheapest plausible site (万元): 0.01 万元 is 100 yuan; below is a unit error (yuan written as 万元 / 1e4 …) and
#: would spread the costs over more than 8 orders of magnitude in the solver's integer scaling
MIN_COST = 0.01
MAX_LISTED = 10
#: cell texts that mean "no value" in exported tables (Excel, pandas, databases)
MISSING_TOKENS = ("nan", "null", "none", "n/a", "#n/a", "na", "-", "—", "无")
#: status spellings of Chinese ledgers and other exports, after lower-casing and with spaces/hyphens as "_"
STATUS_ALIASES: dict[str, str] = {
    "在网": "existing_5g",
    "已开通": "existing_5g",
    "5g在网": "existing_5g",
    "5g已开通": "existing_5g",
    "on_air": "existing_5g",
    "现有": "existing",
    "存量": "existing",
    "已有": "existing",
    "规划": "planned",
    "拟建": "planned",
    "待建": "planned",
}
STATUSES = ("", "existing_5g", "planned", "existing")


def _listing(labels: list[str]) -> str:
    more = f" and {len(labels) - MAX_LISTED} more" if len(labels) > MAX_LISTED else ""
    return ", ".join(labels[:MAX_LISTED]) + more


#: a cost header whose unit is yuan, not 万元: "费用(元)", "造价（元）", "cost [CNY]", "费用/元"
YUAN_HEADER = re.compile(r"(?:[(（\[]\s*(?:元|人民币元|yuan|cny|rmb)\s*[)）\]]|/\s*元)\s*$", re.IGNORECASE)


def _yuan_cells(
    col: str, text: pd.Series, values: pd.Series, yuan_header: bool, src: str, warnings: list[str]
) -> NDArray[np.bool_]:
    """The cells of column ``col`` whose ``values`` are yuan, to convert to 万元 (÷ 10,000); none but for the cost.

    Yuan are a cell ``80000元``, or any plain number under a ``(元)`` header. A yuan cost read as
    万元 is 10,000 times too dear and still within the accepted range, so it is converted, with a
    warning; cells that say 万/万元 keep their value.
    """
    if col != "cost":
        return np.zeros(len(values), dtype=bool)
    s = text.astype("string").str.strip()
    wan = s.str.contains("万", regex=False).fillna(False).to_numpy(bool)
    said = s.str.endswith("元").fillna(False).to_numpy(bool) | yuan_header
    yuan: NDArray[np.bool_] = said & ~wan & values.notna().to_numpy(bool)
    if not yuan.any():
        return yuan
    warnings.append(
        f"{src}: {int(yuan.sum())} costs are in yuan ("
        + ("the column header says 元" if yuan_header else "cells ending in 元")
        + "): converted to 万元 (÷ 10,000)"
    )
    return yuan


#: added to the fix of a missing id or type in a KML/KMZ file
KML_HINT = (
    "; a KML from Google Earth or 奥维 holds only each placemark's name and description: export the placemarks to a "
    "table (CSV/XLSX with 编号, 类型, 经度, 纬度) or a GeoPackage and add the columns there"
)


def split_suffix(src: str) -> str:
    """The lower-case suffix of an input path that may name a layer (``file.kmz|layername=poles``)."""
    return Path(src.split("|", 1)[0]).suffix.lower()


def _statuses(df: pd.DataFrame) -> pd.Series:
    """The ``status`` column normalised: lower case, spaces and hyphens as ``_``, :data:`STATUS_ALIASES` applied.

    Unknown spellings come back as written (lower case) so that the caller can name them; no column: all "".
    """
    if "status" not in df.columns:
        return pd.Series("", index=df.index, dtype="string")
    raw = df["status"].astype("string").fillna("").str.strip().str.lower()
    raw = raw.where(~raw.isin(MISSING_TOKENS), "")
    canonical = {s: STATUS_ALIASES.get(k := re.sub(r"[\s-]+", "_", s), k) for s in raw.unique().tolist()}
    return raw.map(canonical).astype("string")


def _types_from_osm(df: pd.DataFrame, src: str, warnings: list[str]) -> str:
    """Fill ``df["type"]`` from OpenStreetMap tags when ``df`` is an OSM export without a type column.

    Appends a warning with the counts; returns the text the unknown-type fix adds ("" when not OSM).
    """
    if not has_osm_tags(df, CANDIDATE_KEYS):
        return ""
    osm_types, summary = osm_candidate_types(df)
    if osm_types.isna().all():  # no tag names a pole type: not an OSM export of poles ("no `type` column")
        return ""
    df["type"] = osm_types
    warnings.append(
        f"{src}: no `type` column: types read from the OpenStreetMap tags: {summary}; add a `type` column to "
        "choose the types yourself"
    )
    return "; from OpenStreetMap tags: " + ", ".join(text for _, text, _ in CANDIDATE_RULES)


def _per_type(types: pd.Series, types_cfg: Mapping[Any, Any], attr: str) -> dict[str, Any]:
    """``{type: types_cfg[type].attr}`` for the types present (a dict for ``Series.map``: one lookup per type)."""
    return {t: getattr(types_cfg[t], attr) for t in pd.unique(types.to_numpy(object)).tolist()}


def normalise_candidates(gdf: gpd.GeoDataFrame, path: Path, scenario: Scenario) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Validate the candidate catalogue and fill per-type defaults.

    Parameters
    ----------
    gdf : GeoDataFrame
        Candidates as read (EPSG:4490).
    path : Path
        The file they came from (for messages).
    scenario : Scenario
        Supplies the per-type defaults (height in m, cost in 万元, site class, 建设方式).

    Returns
    -------
    candidates : GeoDataFrame
        Columns :data:`CANDIDATE_COLUMNS` plus geometry, in file order.
    warnings : list of str

    Raises
    ------
    InputDataError
        Listing every problem at once (file, row/feature, fix).
    """
    src = str(path)
    problems: list[Problem] = []
    warnings: list[str] = []
    types_cfg = scenario.candidates.types
    df = gdf.copy()
    df.columns = [str(c).strip() for c in df.columns]
    # headers matched case-insensitively and without a unit in brackets: "ID", "Type", "挂高(m)", "费用（万元）"
    lower: dict[str, str] = {}
    for c in df.columns:
        if c != "geometry":
            lower.setdefault(header_key(c), c)
    aliases = {
        "id": "id",
        "编号": "id",
        "站址编号": "id",
        "osm_id": "id",  # OpenStreetMap exports (GDAL, QuickOSM; overpass-turbo GeoJSON has `id` or `@id`)
        "@id": "id",
        "name": "name",
        "名称": "name",
        "type": "type",
        "类型": "type",
        "height_m": "height_m",
        "挂高": "height_m",
        "高度": "height_m",
        "height": "height_m",
        "cost": "cost",
        "费用": "cost",
        "owner": "owner",
        "产权单位": "owner",
        "status": "status",
        "状态": "status",
    }
    rename: dict[str, str] = {}
    for key, target in aliases.items():
        if key in lower and target not in df.columns and target not in rename.values() and lower[key] not in rename:
            rename[lower[key]] = target
    df = df.rename(columns=rename)
    cost_header = next((orig for orig, target in rename.items() if target == "cost"), "cost")
    yuan_header = bool(YUAN_HEADER.search(cost_header))  # "费用(元)": header_key dropped the unit

    # geometry type; rows whose location the reader already reported (read_vector(collect_rows=True)) are
    # skipped here, and every other column of every row is still checked: all problems in one pass
    reported = np.zeros(len(df), dtype=bool)
    reported[[int(i) for i in gdf.attrs.get("problem_rows", []) if 0 <= int(i) < len(df)]] = True
    geom_types = df.geometry.geom_type
    not_point = (~geom_types.isin(["Point", "MultiPoint"]) | df.geometry.is_empty).to_numpy() & ~reported
    geoms = df.geometry.to_numpy().copy()
    if not_point.any():
        empty = (df.geometry.isna() | df.geometry.is_empty).to_numpy() & ~reported
        if empty.any():
            bad = [feature_label(df, int(i)) for i in np.flatnonzero(empty)]
            problems.append(
                Problem(
                    f"candidates without a location (empty geometry) at {_listing(bad)}",
                    src,
                    fix="give these features their pole location, or delete them",
                )
            )
        other = not_point & ~empty
        if other.any():
            bad = [feature_label(df, int(i)) for i in np.flatnonzero(other)]
            kinds = sorted(set(geom_types[other].dropna().astype(str)))
            problems.append(
                Problem(
                    f"candidates must be points; found {', '.join(kinds)} geometry at {_listing(bad)}",
                    src,
                    fix="convert them to points (e.g. centroids or pole locations) before planning",
                )
            )
        geoms[not_point] = None  # reported: the attribute checks below still run on these rows
    multi = (geom_types == "MultiPoint").to_numpy() & ~not_point & ~reported
    if multi.any():
        several = multi & (shapely.get_num_geometries(geoms) > 1)
        if several.any():
            bad = [feature_label(df, int(i)) for i in np.flatnonzero(several)]
            problems.append(
                Problem(
                    f"candidates must be single points; found MultiPoints with several points at {_listing(bad)}",
                    src,
                    fix="explode the MultiPoints into single points (one row per pole) in your GIS",
                )
            )
        geoms[multi] = shapely.get_geometry(geoms[multi], 0)
        geoms[several] = None
    df["geometry"] = gpd.GeoSeries(geoms, index=df.index, crs=df.crs)
    problems += check_plausible_lonlat(df, path, "candidates")

    # id
    kml = KML_HINT if split_suffix(src) in (".kml", ".kmz") else ""
    has_id = "id" in df.columns
    if not has_id:
        problems.append(Problem("no `id` column", src, fix="add a unique `id` column (or 编号)" + kml))
        df["id"] = ""  # the other columns are still checked (rows named by number)
    ids = id_text(df["id"])
    empty = ids.isna() | (ids == "")
    if empty.any() and has_id:
        rows = [feature_label(df, int(i)) for i in np.flatnonzero(empty.to_numpy())]
        problems.append(Problem(f"empty id at {_listing(rows)}", src, fix="give every candidate a unique id" + kml))
    dup = ids.duplicated(keep=False) & ~empty
    if dup.any():
        dups = duplicate_rows(df, ids, dup)
        problems.append(Problem(f"duplicate ids: {_listing(dups)}", src, fix="make every `id` unique"))
    df["id"] = ids.fillna("").astype(str)

    # type
    has_type = "type" in df.columns
    osm_fix = "" if has_type else _types_from_osm(df, src, warnings)
    has_type = "type" in df.columns
    if not has_type:
        problems.append(
            Problem(
                "no `type` column",
                src,
                fix=f"add `type` with one of {', '.join(CANDIDATE_TYPES)} (or 铁塔, 路灯杆, 监控杆, ...)" + kml,
            )
        )
        df["type"] = "street_lamp"  # only to check the other columns in the same pass (a problem is raised anyway)
    raw_type = df["type"].astype("string").str.strip()
    canonical = {  # per distinct spelling, not per row (a city's 192,459 rows hold a handful)
        t: TYPE_ALIASES.get(t, TYPE_ALIASES.get(k := re.sub(r"[\s-]+", "_", t.lower()), k))
        for t in raw_type.dropna().unique().tolist()
    }
    mapped = raw_type.map(canonical)
    unknown = ~mapped.isin(list(CANDIDATE_TYPES))
    for i in np.flatnonzero(unknown.to_numpy())[:MAX_LISTED]:
        problems.append(
            Problem(
                f"unknown type {raw_type.iloc[i]!r}" if isinstance(raw_type.iloc[i], str) else "missing type",
                src,
                feature_label(df, int(i)),
                f"use one of {', '.join(CANDIDATE_TYPES)} (or 铁塔, 路灯杆, 监控杆, 交通杆, 智慧杆, 楼顶, 新建)"
                + (osm_fix and f"{osm_fix}; or delete the features that are no pole"),
            )
        )
    if unknown.sum() > MAX_LISTED:
        problems.append(Problem(f"{int(unknown.sum()) - MAX_LISTED} more rows with an unknown type", src))
    df["type"] = mapped.where(~unknown, "street_lamp").astype(str)

    # numeric columns with defaults; ranges are printed exactly (150.0001 m is not "150 m")
    status = _statuses(df)
    on_air_rows = (status == "existing_5g").to_numpy(bool)
    for col, unit in (("height_m", "m"), ("cost", "万元")):
        default = df["type"].map(_per_type(df["type"], types_cfg, col)).astype(float)
        if col not in df.columns:
            df[col] = default
            continue
        text = df[col].where(~df[col].astype("string").str.strip().str.lower().isin(MISSING_TOKENS), None)
        values, nonnum = parse_numbers(text, ("m", "米") if col == "height_m" else ("万元", "万", "元"))
        as_read = values  # the range message of a converted cell names the file's value too
        yuan = _yuan_cells(col, text, values, yuan_header, src, warnings)
        values = values.where(~yuan, values / 1e4)
        for i in np.flatnonzero(nonnum.to_numpy())[:MAX_LISTED]:
            problems.append(
                Problem(
                    f"{col} {text.iloc[i]!r} is not a number"
                    + (f" ({FORMULA_HINT})" if str(text.iloc[i]).startswith("=") else ""),
                    src,
                    feature_label(df, int(i)),
                    f"write {col} in {unit} as a number",
                )
            )
        values = values.astype(float)
        nan = values.isna() & ~nonnum
        if col == "cost":
            nan &= ~on_air_rows  # an on-air site's cost is 0 whatever the file says
        if nan.any():
            rows = [feature_label(df, int(i)) for i in np.flatnonzero(nan.to_numpy())]
            warnings.append(
                f"{src}: {int(nan.sum())} candidates have no {col} (empty or NaN at {_listing(rows)}); "
                "the type default was used"
            )
        values = values.where(values.notna(), default)
        if col == "height_m":
            out_of_range = ~((values > 0) & (values <= MAX_HEIGHT_M))
            fix = (
                f"antenna heights must be above 0 and at most {exact(MAX_HEIGHT_M)} m "
                "(0 is refused: an antenna on the ground)"
            )
            limits = f"0 < height_m ≤ {exact(MAX_HEIGHT_M)} m"
        else:  # sites already on air (existing_5g) cost 0 whatever the file says
            out_of_range = ~((values >= MIN_COST) & (values <= MAX_COST)) & ~on_air_rows & ~nonnum.to_numpy()
            fix = (
                f"costs are in 万元, from {exact(MIN_COST)} (100 yuan) to {MAX_COST:,.0f} (10 billion yuan); "
                "0 is only for sites already on air (status existing_5g)"
            )
            limits = f"{exact(MIN_COST)} ≤ cost ≤ {MAX_COST:,.0f} 万元"
        out_of_range &= values.notna()
        for i in np.flatnonzero(out_of_range.to_numpy())[:MAX_LISTED]:
            problems.append(
                Problem(
                    f"{col} {exact(values.iloc[i])} {unit}"
                    + (f" ({exact(as_read.iloc[i])} yuan in the file, ÷ 10,000)" if yuan[i] else "")
                    + f" is out of range ({limits})",
                    src,
                    feature_label(df, int(i)),
                    fix,
                )
            )
        if out_of_range.sum() > MAX_LISTED:
            problems.append(Problem(f"{int(out_of_range.sum()) - MAX_LISTED} more rows with {col} out of range", src))
        df[col] = values

    for col, attr in (("owner", "owner"),):
        default_s = df["type"].map(_per_type(df["type"], types_cfg, attr))
        if col in df.columns:
            df[col] = df[col].astype("string").fillna("").str.strip()
            df[col] = df[col].where(df[col] != "", default_s).astype(str)
        else:
            df[col] = default_s.astype(str)
    df["name"] = (
        df["name"].astype("string").fillna("").str.strip() if "name" in df.columns else pd.Series("", index=df.index)
    )
    df["name"] = df["name"].where(df["name"] != "", df["id"]).astype(str)
    bad_status = ~status.isin(list(STATUSES))
    for i in np.flatnonzero(bad_status.to_numpy())[:MAX_LISTED]:
        problems.append(
            Problem(
                f"unknown status {status.iloc[i]!r}"
                + (" (ambiguous: the pole, or its 5G?)" if status.iloc[i] in ("已建", "built") else ""),
                src,
                feature_label(df, int(i)),
                'use "existing_5g" (or 在网, 已开通) for 5G sites already on air, "existing" (现有) for a pole that '
                'stands without 5G, "planned" (规划, 拟建), or leave it empty',
            )
        )
    if bad_status.sum() > MAX_LISTED:
        problems.append(Problem(f"{int(bad_status.sum()) - MAX_LISTED} more rows with an unknown status", src))
    df["status"] = status.astype(str)
    df["site_class"] = df["type"].map(_per_type(df["type"], types_cfg, "site_class")).astype(str)
    df["build_mode"] = df["type"].map(_per_type(df["type"], types_cfg, "build_mode")).astype(str)
    on_air = df["status"] == "existing_5g"
    df.loc[on_air, "build_mode"] = "保留"
    df.loc[on_air, "cost"] = 0.0

    antenna_cols = parse_sector_columns(df, lower, src, scenario, feature_label, problems, warnings)  # 方位角/下倾角

    if problems:
        raise InputDataError(problems)
    out = gpd.GeoDataFrame(df[CANDIDATE_COLUMNS + antenna_cols], geometry=df.geometry.to_numpy(), crs=gdf.crs)
    out.attrs.update(gdf.attrs)
    return out.reset_index(drop=True), warnings


def pole_groups(x_m: np.ndarray, y_m: np.ndarray, within_m: float) -> np.ndarray:
    """合杆 groups: candidates closer than ``within_m`` (m), transitively, form one pole.

    Returns a group id per candidate (-1 for candidates alone in their group).
    """
    n = len(x_m)
    groups = np.full(n, -1, dtype=np.int64)
    if within_m <= 0 or n < 2:
        return groups
    tree = cKDTree(np.column_stack([x_m, y_m]))
    pairs = tree.query_pairs(within_m, output_type="ndarray")
    if len(pairs) == 0:
        return groups
    from scipy.sparse import coo_matrix

    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    sizes = np.bincount(labels)
    multi = sizes[labels] > 1
    # renumber multi-member groups 0..G-1 in order of first appearance (deterministic)
    _, first = np.unique(labels[multi], return_index=True)
    order = np.argsort(first)
    remap = np.full(labels.max() + 1, -1, dtype=np.int64)
    remap[np.unique(labels[multi])[order]] = np.arange(len(order))
    groups[multi] = remap[labels[multi]]
    return groups
