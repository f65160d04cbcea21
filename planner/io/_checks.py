"""Checks of layers read by :mod:`planner.io.readers`: exclusions and buildings, and legacy datums."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS

from planner._text import header_key, parse_numbers
from planner._validate import feature_label
from planner.errors import Problem


def polygons_only(layer: gpd.GeoDataFrame, src: str, what: str) -> list[Problem]:
    """A problem naming the features of a polygon layer that are points or lines (they would have no effect)."""
    kinds = layer.geometry.geom_type
    wrong = kinds.notna().to_numpy() & ~kinds.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not wrong.any():
        return []
    rows = [feature_label(layer, int(i)) for i in np.flatnonzero(wrong)]
    found = ", ".join(sorted(set(kinds[wrong].astype(str))))
    return [
        Problem(
            f"{what} must be polygons; found {found} at {', '.join(rows[:10])}{' …' if len(rows) > 10 else ''}",
            src,
            fix="draw them as polygons, or buffer points/lines to the area they stand for in your GIS",
        )
    ]


#: tallest building height accepted (m); above is a typo (e.g. cm or a floor area)
MAX_BUILDING_M = 700.0


def building_heights(b: gpd.GeoDataFrame, src: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Buildings with numeric ``height_m``/``levels`` columns (from 高度/层数, "30m", "８") and the problems:
    heights or levels that are text, negative or absurd (they would silently become the default height).
    """
    problems: list[Problem] = []
    names = {header_key(c): c for c in b.columns if c != "geometry"}
    b = b.copy()
    for key, aliases, unit, hi in (
        ("height_m", ("height_m", "height", "高度", "建筑高度"), ("m", "米"), MAX_BUILDING_M),
        ("levels", ("levels", "building:levels", "层数", "楼层数"), ("层", "f"), 200.0),
    ):
        col = next((names[a] for a in aliases if a in names), None)
        if col is None:
            continue
        values, nonnum = parse_numbers(b[col], unit)
        bad = nonnum.to_numpy() | (values < 0).to_numpy() | (values > hi).to_numpy()
        if bad.any():
            rows = [f"{feature_label(b, int(i))}: {b[col].iloc[i]}" for i in np.flatnonzero(bad)[:10]]
            problems.append(
                Problem(
                    f"{col} must be a number between 0 and {hi:g} ({'m' if key == 'height_m' else 'storeys'}); "
                    f"{int(bad.sum())} features are not: {'; '.join(rows)}",
                    src,
                    fix=f"correct these {col} values, or leave them empty (the other column or the default height "
                        "is used)",
                )
            )
        if col != key:
            b = b.drop(columns=[key], errors="ignore").rename(columns={col: key})
        b[key] = values.to_numpy(float)
    return b, problems


#: geodetic datums of older Chinese maps (北京54, 西安80, 新北京54) with no published transformation in PROJ: their
#: coordinates are taken as CGCS2000 (a "ballpark" offset of zero), tens of metres off
LEGACY_DATUMS = frozenset({"Beijing 1954", "Xian 1980", "New Beijing"})


def legacy_datum_note(crs: CRS, label: str, path: Path) -> str | None:
    """A warning for a file declared on a datum of :data:`LEGACY_DATUMS` (None for any other).

    PROJ reprojects such a file with a zero offset to CGCS2000 (only the ellipsoid changes), so its
    positions keep the datum difference: tens of metres, more in places. The planner cannot know the
    local parameters; the user's surveying bureau does.
    """
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum is not None else ""
    if datum not in LEGACY_DATUMS:
        return None
    return (
        f"{path}: declared {label}, on the {datum} datum: PROJ has no parameters from {datum} to CGCS2000 and "
        "keeps the latitudes and longitudes as they are, so positions may be off by tens of metres (100 m and "
        "more in places); for site-level accuracy convert the file to CGCS2000 with your surveying bureau's "
        "transformation parameters"
    )
