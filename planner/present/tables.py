"""The 报批 tables of a plan (site table 附表, per-area coverage), shared by report and exports.

The tables keep raw values (floats, booleans); formatting happens where they are written.
Longitude/latitude are CGCS2000 (EPSG:4490) degrees rounded to 6 decimals (≈ 0.1 m),
X/Y are metres in the plan's metric CRS rounded to 3 decimals.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely
from shapely.geometry import shape

from planner.plan import Plan
from planner.present.i18n import CLASS_LABELS, MODE_LABELS, TYPE_LABELS, label, texts

#: internal column → i18n key, in site-table order
SITE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "seq"),
    ("site_code", "site_code"),
    ("name", "site_name"),
    ("id", "candidate_id"),
    ("lon", "lon"),
    ("lat", "lat"),
    ("x_m", "x"),
    ("y_m", "y"),
    ("site_class", "site_class"),
    ("type", "type"),
    ("height_m", "height"),
    ("build_mode", "build_mode"),
    ("owner", "owner"),
    ("cost", "cost"),
    ("areas", "covered_areas"),
)

#: columns added after :data:`SITE_COLUMNS` when the plan has ``[[phases]]`` (建设期) or ``[operators]`` (运营商)
ROLLOUT_COLUMNS: tuple[tuple[str, str], ...] = (("phase", "phase"), ("operators", "operators"), ("tenants", "tenants"))


def site_columns(plan: Plan) -> tuple[tuple[str, str], ...]:
    """:data:`SITE_COLUMNS`, plus 建设期 / 运营商 / tenants when the plan's sites carry them.

    Single plans keep the columns unchanged.
    """
    return SITE_COLUMNS + tuple(c for c in ROLLOUT_COLUMNS if c[0] in plan.sites)


AREA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "seq"),
    ("name", "area_name"),
    ("class", "area_class"),
    ("area_km2", "area_km2"),
    ("target", "target"),
    ("coverage", "coverage"),
    ("best_possible", "best_possible"),
    ("k", "k"),
    ("met", "met"),
    ("reason", "reason"),
)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def site_records(plan: Plan) -> pd.DataFrame:
    """Selected sites with internal column names (see :data:`SITE_COLUMNS`), in plan order.

    Returns
    -------
    DataFrame
        One row per selected site: ``seq`` (1-based), ``site_code``, ``name``, ``id``,
        ``lon``/``lat`` (CGCS2000 degrees, 6 decimals), ``x_m``/``y_m`` (m, metric CRS),
        ``site_class``, ``type``, ``height_m`` (m), ``build_mode``, ``owner``, ``cost``
        (万元) and ``areas`` (covered priority areas, "、"-joined).
    """
    s = plan.sites
    geo = s.geometry.to_crs("EPSG:4490") if s.crs is not None else s.geometry
    out = pd.DataFrame(
        {
            "seq": np.arange(1, len(s) + 1, dtype=np.int64),
            "site_code": _text(s["site_code"]) if "site_code" in s else [""] * len(s),
            "name": _text(s["name"]) if "name" in s else [""] * len(s),
            "id": _text(s["id"]),
            "lon": np.round(geo.x.to_numpy(np.float64), 6),
            "lat": np.round(geo.y.to_numpy(np.float64), 6),
            "x_m": np.round(s["x_m"].to_numpy(np.float64), 3),
            "y_m": np.round(s["y_m"].to_numpy(np.float64), 3),
            "site_class": _text(s["site_class"]),
            "type": _text(s["type"]),
            "height_m": np.round(s["height_m"].to_numpy(np.float64), 2),
            "build_mode": _text(s["build_mode"]),
            "owner": _text(s["owner"]) if "owner" in s else [""] * len(s),
            "cost": np.round(s["cost"].to_numpy(np.float64), 4),
            "areas": _text(s["areas"]) if "areas" in s else [""] * len(s),
        }
    )
    for col, _ in ROLLOUT_COLUMNS:  # [[phases]] / [operators] plans only
        if col in s:
            out[col] = s[col].to_numpy(np.int64) if col == "tenants" else _text(s[col]).to_numpy()
    return out


def site_table(plan: Plan, language: str = "zh") -> pd.DataFrame:
    """The 附表 site table with translated headers and display values (types, classes)."""
    t = texts(language)
    rec = site_records(plan)
    rec["site_class"] = [t.get(v, v) for v in rec["site_class"]]
    rec["type"] = [label(TYPE_LABELS, language, v) for v in rec["type"]]
    if language == "en":
        rec["build_mode"] = [label(MODE_LABELS, language, v) for v in rec["build_mode"]]
    heads = site_headers(plan, language)
    return rec[[c for c, _ in site_columns(plan)]].set_axis(heads, axis=1)


def site_headers(plan: Plan, language: str = "zh") -> list[str]:
    """Translated site-table headers; X/Y name the metric CRS, e.g. ``X 东坐标 (m) EPSG:4547``."""
    t = texts(language)
    return [f"{t[k]} {plan.grid.crs}" if c in ("x_m", "y_m") else t[k] for c, k in site_columns(plan)]


def area_records(plan: Plan) -> pd.DataFrame:
    """Per-area coverage with internal column names (see :data:`AREA_COLUMNS`).

    ``target``, ``coverage`` and ``best_possible`` are fractions (0–1); ``met`` is bool.
    """
    a = plan.areas
    n = len(a)

    def col(name: str, default: object) -> pd.Series:
        return a[name].reset_index(drop=True) if name in a else pd.Series([default] * n)

    return pd.DataFrame(
        {
            "seq": np.arange(1, n + 1, dtype=np.int64),
            "id": _text(col("id", "")),
            "name": _text(col("name", "")),
            "class": _text(col("class", "")),
            "area_km2": col("area_km2", np.nan).astype(float).round(4),
            "target": col("target", np.nan).astype(float).round(6),
            "coverage": col("coverage", np.nan).astype(float).round(6),
            "best_possible": col("best_possible", np.nan).astype(float).round(6),
            "k": col("k", 1).astype(int),
            "met": col("met", False).astype(bool),
            "reason": _text(col("reason", "")),
        }
    )


def area_table(plan: Plan, language: str = "zh") -> pd.DataFrame:
    """Per-area coverage table with translated headers; rates as percentages (0–100)."""
    t = texts(language)
    rec = area_records(plan)
    rec["class"] = [label(CLASS_LABELS, language, v) for v in rec["class"]]
    for c in ("target", "coverage", "best_possible"):
        rec[c] = (rec[c] * 100.0).round(2)
    rec["met"] = [t["yes"] if v else t["no"] for v in rec["met"]]
    cols = [c for c, _ in AREA_COLUMNS]
    return rec[cols].rename(columns={c: t[k] for c, k in AREA_COLUMNS})


def uncovered_polygons(plan: Plan) -> gpd.GeoDataFrame:
    """Polygons of the demand cells the plan leaves uncovered (``demand_mask & ~covered``).

    Returns
    -------
    GeoDataFrame
        EPSG:4490, columns ``cells`` and ``area_km2`` (area of each gap), one row per
        connected gap (4-connectivity), largest first.
    """
    gaps = (np.asarray(plan.demand_mask, dtype=bool) & ~np.asarray(plan.covered, dtype=bool)).astype(np.uint8)
    geoms = []
    if gaps.any():
        for geom, value in rasterio.features.shapes(
            gaps, mask=gaps.astype(bool), transform=plan.grid.transform, connectivity=4
        ):
            if value == 1:
                geoms.append(shape(geom))
    areas_m2 = np.asarray(shapely.area(np.asarray(geoms, dtype=object)), dtype=np.float64) if geoms else np.zeros(0)
    cells = np.rint(areas_m2 / plan.grid.res**2).astype(np.int64)
    gdf = gpd.GeoDataFrame(
        {"cells": cells, "area_km2": np.round(areas_m2 / 1e6, 6)},
        geometry=gpd.GeoSeries(geoms, crs=plan.grid.crs),
        crs=plan.grid.crs,
    )
    gdf = gdf.sort_values(["cells"], ascending=False, kind="stable").reset_index(drop=True)
    return gdf.to_crs("EPSG:4490")


def kpis(plan: Plan) -> dict[str, object]:
    """Key figures: counts by type and 建设方式, reuse share, cost (万元), density (per km²),
    share of the boundary's cells covered (unweighted, k = 1).
    """
    s = plan.sites
    n = len(s)
    area_km2 = float(np.asarray(plan.demand_mask).sum()) * plan.grid.res**2 / 1e6
    modes = s["build_mode"].astype(str) if n else pd.Series([], dtype=str)
    reuse = int(modes.isin(["共享", "利旧"]).sum())
    return {
        "n_sites": n,
        "n_candidates": len(plan.candidates),
        "by_type": {str(k): int(v) for k, v in s["type"].astype(str).value_counts().sort_index().items()} if n else {},
        "by_class": {str(k): int(v) for k, v in s["site_class"].astype(str).value_counts().sort_index().items()}
        if n
        else {},
        "by_mode": {str(k): int(v) for k, v in modes.value_counts().sort_index().items()},
        "cand_by_type": {
            str(k): int(v) for k, v in plan.candidates["type"].astype(str).value_counts().sort_index().items()
        },
        "covered_share": float(np.asarray(plan.covered).sum()) / max(float(np.asarray(plan.demand_mask).sum()), 1.0),
        "reuse_share": reuse / n if n else 0.0,
        "total_cost": float(s["cost"].astype(float).sum()) if n else 0.0,
        "area_km2": area_km2,
        "sites_per_km2": n / area_km2 if area_km2 > 0 else float("nan"),
        "areas_met": int(plan.areas["met"].astype(bool).sum()) if len(plan.areas) else 0,
        "n_areas": len(plan.areas),
    }
