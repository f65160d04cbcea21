"""Validation helpers shared by the readers (:mod:`planner.io.readers`) and the input normalisers
(:mod:`planner.geo.areas`, :mod:`planner.geo.candidates`): feature labels for messages and the
lon/lat plausibility checks. Below both :mod:`planner.io` and :mod:`planner.geo`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from planner.errors import Problem


def file_row(frame: Any, pos: int) -> int:
    """The 1-based row of the file that holds the feature at position ``pos`` of ``frame``.

    Tables (:func:`planner.io.readers.read_table`) record the file row of every data row in
    ``attrs["file_rows"]``: blank lines and empty rows are skipped when a table is read, so the
    position plus the header's row would name a row too low after each of them. Without that
    record (GIS layers: features are numbered from 1), or when it no longer matches the frame, the
    row is ``pos + attrs["row_offset"]``.
    """
    rows = frame.attrs.get("file_rows")
    if rows is not None and len(rows) == len(frame) and 0 <= pos < len(rows):
        return int(rows[pos])
    return int(pos) + int(frame.attrs.get("row_offset", 1))


def duplicate_rows(frame: Any, ids: Any, dup: Any) -> list[str]:
    """``"ID (rows 3, 7)"`` for every id repeated where ``dup`` (a boolean Series) is set, sorted by id.

    ``ids`` is the frame's id Series; the rows are the file's (:func:`file_row`).
    """
    rows_of: dict[str, list[int]] = {}
    for pos in np.flatnonzero(np.asarray(dup, dtype=bool)):
        rows_of.setdefault(str(ids.iloc[pos]), []).append(file_row(frame, int(pos)))
    return [f"{key} (rows {', '.join(map(str, rows))})" for key, rows in sorted(rows_of.items())]


def feature_label(gdf: gpd.GeoDataFrame, pos: int) -> str:
    """Human label of a feature: its id if present, and its row number in the file."""
    label = f"row {file_row(gdf, pos)}"
    if "id" in gdf.columns:
        value = gdf["id"].iloc[pos]
        if isinstance(value, str) and value:
            label = f"feature {value!r} ({label})"
    return label


def guess_projected_crs(minx: float, maxx: float, miny: float, maxy: float) -> str:
    """A hint for the projected CRS that metre coordinates probably belong to."""
    if 1e7 <= minx and maxx < 1e8 and 1e6 <= miny and maxy < 1e7:
        zone = int(minx // 1e6)
        if 25 <= zone <= 45:
            return (
                f"8-digit eastings carry the Gauss-Krüger zone {zone}: probably EPSG:{4488 + zone} "
                f"(CGCS2000 3° zone {zone})"
            )
        return "8-digit eastings carry a Gauss-Krüger zone number"
    if 1e5 <= minx and maxx < 1e6 and 1e6 <= miny and maxy < 1e7:
        return "6-digit eastings: a Gauss-Krüger central-meridian CRS such as EPSG:4547 (CM 114°E, Wuhan) or a UTM zone"
    return (
        "8-digit eastings are zone-prefixed, e.g. EPSG:4526; 6-digit eastings are central-meridian form, e.g. EPSG:4547"
    )


def check_plausible_lonlat(
    gdf: gpd.GeoDataFrame, path: Path, what: str, *, bad_rows: list[int] | None = None
) -> list[Problem]:
    """Problems for coordinates that cannot be lon/lat (metres given as degrees, swaps).

    ``bad_rows``, when given, receives the positions of the rows named by a row-level problem
    (non-finite, swapped or out-of-range coordinates in some rows while the others are fine), so
    that a caller can check the rest of the file in the same pass.
    """
    problems: list[Problem] = []
    if gdf.empty:
        return problems
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    geoms = gdf.geometry.to_numpy()
    with np.errstate(invalid="ignore"):
        nonfinite = (
            ~np.isfinite(shapely.bounds(geoms)).all(axis=1) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        )
    if nonfinite.any() or not (np.isfinite([minx, miny, maxx, maxy]).all()):
        rows = [feature_label(gdf, int(i)) for i in np.flatnonzero(nonfinite)]
        if bad_rows is not None:
            bad_rows += [int(i) for i in np.flatnonzero(nonfinite)]
        where = f" at {', '.join(rows[:10])}{f' and {len(rows) - 10} more' if len(rows) > 10 else ''}" if rows else ""
        problems.append(
            Problem(
                f"coordinates contain NaN or infinity (or features without geometry){where}",
                str(path),
                fix="correct or remove these features (every vertex needs finite lon/lat)",
            )
        )
        return problems
    source = str(gdf.attrs.get("source_crs", ""))
    # a few rows out of range among good ones: name them (a whole layer out of range is judged below)
    fb = shapely.bounds(gdf.geometry.to_numpy())
    with np.errstate(invalid="ignore"):
        out_of_range = (np.abs(fb[:, [0, 2]]) > 180).any(axis=1) | (np.abs(fb[:, [1, 3]]) > 90).any(axis=1)
        swapped = out_of_range & (np.abs(fb[:, [0, 2]]) <= 90).all(axis=1) & (np.abs(fb[:, [1, 3]]) <= 180).all(axis=1)
    present = ~shapely.is_missing(geoms)  # rows without geometry (already reported) do not count
    if out_of_range.any() and not out_of_range[present].all():
        rows = [feature_label(gdf, int(i)) for i in np.flatnonzero(out_of_range)]
        if bad_rows is not None:
            bad_rows += [int(i) for i in np.flatnonzero(out_of_range)]
        listing = ", ".join(rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
        if swapped[out_of_range].all():
            problems.append(
                Problem(
                    f"longitude and latitude look swapped at {listing} (the other rows are fine)",
                    str(path),
                    fix="swap the two values in these rows (China: lon 73–135, lat 18–54)",
                )
            )
        else:
            problems.append(
                Problem(
                    f"coordinates out of the lon/lat range at {listing} (the other rows are fine)",
                    str(path),
                    fix="correct these rows: lon/lat in decimal degrees (lon first), not metres",
                )
            )
        return problems
    if -90 <= minx and maxx <= 90 and 70 <= miny and maxy <= 180 and maxy > 60:
        problems.append(
            Problem(
                f"longitude and latitude look swapped (x {minx:.3f}..{maxx:.3f} look like latitudes, "
                f"y {miny:.3f}..{maxy:.3f} like longitudes)",
                str(path),
                fix="swap the lon and lat columns (China: lon 73–135, lat 18–54)"
                + ("" if source == "lon/lat columns" else ", or export with the axis order lon, lat"),
            )
        )
    elif minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        hint = guess_projected_crs(minx, maxx, miny, maxy)
        if path.suffix.lower() in {".geojson", ".json"}:
            fix = (
                f"GeoJSON is lon/lat by definition; re-export the layer as GeoPackage with its projected CRS ({hint}), "
                "or as GeoJSON reprojected to EPSG:4326/4490"
            )
        elif source == "lon/lat columns":
            fix = f"the lon/lat columns must hold decimal degrees; convert the projected coordinates first ({hint})"
        else:
            fix = f"declare the file's real projected CRS instead of the geographic {source or 'one'} ({hint})"
        problems.append(
            Problem(
                f"coordinates ({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are not degrees; they look like metres",
                str(path),
                fix=fix,
            )
        )
    return problems
