"""Checks of polygon layers read by :mod:`planner.io.readers`: exclusions and buildings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

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
