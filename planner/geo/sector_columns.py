"""Optional per-candidate antenna columns and sectors along the road.

``azimuth_deg`` (方位角) lists a site's sector bearings (compass degrees, 0 to < 360), separated by
``/``, ``;``, ``,``, ``、`` or spaces (``0/120/240``; one number for a single sector); ``tilt_deg``
(下倾角) is its mechanical downtilt (degrees, −10 to 30, positive down); ``road_bearing_deg``
(道路方位角) the bearing of the road the pole stands on (0 to < 360; a road runs both ways, so
b and b + 180 are the same road). Empty cells keep the class settings of ``[radio.macro_antenna]``
/ ``[radio.micro_antenna]``. All are used only with ``radio.antenna = "sectors"``
(:func:`planner.coverage.build.build_coverage`).

A class with ``along_road = true`` points its first sector along the road and spaces the others
evenly (2 sectors: both directions of the street, the usual smart-pole / lamp-pole mounting):
:func:`road_sector_bearings` writes those bearings into ``azimuth_deg`` for the class's sites
without their own, from ``road_bearing_deg`` or else from the nearest line of ``inputs.basemap``
within :data:`ROAD_MAX_DISTANCE_M` (the road's direction at the pole's projection on it, in the
run's metric grid, so that the bearings are those the coverage build uses).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner.errors import InputDataError, Problem
from planner.radio.antenna import antenna_overrides
from planner.scenario import Scenario

#: header (as :func:`planner._text.header_key` gives it) → column
ALIASES = {
    "azimuth_deg": "azimuth_deg",
    "azimuth": "azimuth_deg",
    "方位角": "azimuth_deg",
    "tilt_deg": "tilt_deg",
    "tilt": "tilt_deg",
    "downtilt": "tilt_deg",
    "下倾角": "tilt_deg",
}
MAX_SECTORS = 6
#: header → the road-bearing column
ROAD_ALIASES = {
    "road_bearing_deg": "road_bearing_deg",
    "road_bearing": "road_bearing_deg",
    "道路方位角": "road_bearing_deg",
    "道路走向": "road_bearing_deg",
}
#: a pole farther than this from every basemap line gets no road bearing (m)
ROAD_MAX_DISTANCE_M = 60.0
TILT_RANGE = (-10.0, 30.0)
_SPLIT = re.compile(r"[/;,、，；\s]+")
_MISSING = {"", "nan", "none", "null", "-", "—", "n/a", "na"}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{float(value):g}"
    return str(value).strip()


def parse_sector_columns(
    df: pd.DataFrame,
    lower: dict[str, str],
    src: str,
    scenario: Scenario,
    label: Any,
    problems: list[Problem],
    warnings: list[str],
) -> list[str]:
    """Validate and normalise the antenna columns of the candidate table, in place.

    Parameters
    ----------
    df : DataFrame
        The candidate table being normalised.
    lower : dict
        Header key → original column name (the caller's case- and unit-free header map).
    src : str
        File name for messages.
    scenario : Scenario
        For the warning when ``radio.antenna`` is not ``"sectors"``.
    label : callable
        ``label(df, row_position)`` → the row/feature text of a message.
    problems, warnings : list
        Appended to: every bad cell (row, value, fix); one warning when the columns are unused.

    Returns
    -------
    list of str
        The columns present after normalisation (``azimuth_deg`` as text ``"0/120/240"`` or
        ``""``, ``tilt_deg`` as float, NaN when empty), to keep in the candidate table.
    """
    present: list[str] = []
    for key, target in ALIASES.items():
        if key in lower and target not in present:
            if lower[key] != target:
                df[target] = df[lower[key]]
            present.append(target)
    if "azimuth_deg" in present:
        out = []
        for i, value in enumerate(df["azimuth_deg"].tolist()):
            text = _text(value)
            if text.lower() in _MISSING:
                out.append("")
                continue
            parts = [p for p in _SPLIT.split(text) if p]
            try:
                nums = [float(p.rstrip("°")) for p in parts]
            except ValueError:
                nums = []
            if not nums or len(nums) > MAX_SECTORS or not all(math.isfinite(a) and 0.0 <= a < 360.0 for a in nums):
                problems.append(
                    Problem(
                        f"azimuth_deg {text!r} is not a list of 1–{MAX_SECTORS} bearings from 0 to < 360°",
                        src,
                        label(df, i),
                        "write the sector bearings in compass degrees, e.g. 0/120/240 "
                        "(one per sector), or leave the cell empty for the class default",
                    )
                )
                out.append("")
                continue
            out.append("/".join(f"{a:g}" for a in nums))
        df["azimuth_deg"] = out
    if "tilt_deg" in present:
        tilts = []
        lo, hi = TILT_RANGE
        for i, value in enumerate(df["tilt_deg"].tolist()):
            text = _text(value)
            if text.lower() in _MISSING:
                tilts.append(float("nan"))
                continue
            try:
                t = float(text.rstrip("°"))
            except ValueError:
                t = float("nan")
            if not (math.isfinite(t) and lo <= t <= hi):
                problems.append(
                    Problem(
                        f"tilt_deg {text!r} is not a downtilt from {lo:g} to {hi:g}°",
                        src,
                        label(df, i),
                        "write the mechanical downtilt in degrees (positive = down, macros 3–10), "
                        "or leave the cell empty for the class default",
                    )
                )
                t = float("nan")
            tilts.append(t)
        df["tilt_deg"] = np.asarray(tilts, dtype=np.float64)
    for key, target in ROAD_ALIASES.items():
        if key in lower and target not in present:
            if lower[key] != target:
                df[target] = df[lower[key]]
            present.append(target)
    if "road_bearing_deg" in present:
        bearings = []
        for i, value in enumerate(df["road_bearing_deg"].tolist()):
            text = _text(value)
            if text.lower() in _MISSING:
                bearings.append(float("nan"))
                continue
            try:
                b = float(text.rstrip("°"))
            except ValueError:
                b = float("nan")
            if not (math.isfinite(b) and 0.0 <= b < 360.0):
                problems.append(
                    Problem(
                        f"road_bearing_deg {text!r} is not a bearing from 0 to < 360°",
                        src,
                        label(df, i),
                        "write the road's direction in compass degrees (e.g. 45 for a "
                        "road running north-east), or leave the cell empty to use inputs.basemap",
                    )
                )
                b = float("nan")
            bearings.append(b)
        df["road_bearing_deg"] = np.asarray(bearings, dtype=np.float64)
    if present and scenario.radio.antenna != "sectors":
        warnings.append(
            f'{src}: columns {", ".join(present)} are used only with radio.antenna = "sectors"; '
            "this run models every site as omni"
        )
    return present


def site_antenna_overrides(table: pd.DataFrame) -> dict[str, Any]:
    """``build_coverage`` keyword arguments from a candidate table's antenna columns (empty without them)."""
    return antenna_overrides(table)


def _road_lines(path: Path, crs: str) -> NDArray[np.object_]:
    """The road lines of a basemap file in ``crs``, one part each.

    With a ``highway`` column (OSM tags) only the lines that have one; lines tagged ``waterway`` or
    ``railway`` are left out; without tags every line counts as a road.
    """
    import geopandas as gpd
    import shapely

    try:
        raw = gpd.read_file(path)
    except (OSError, RuntimeError, ValueError) as exc:  # pyogrio's errors are RuntimeErrors
        raise InputDataError(
            Problem(
                f"cannot be read ({type(exc).__name__}: {exc})",
                str(path),
                "[inputs.basemap]",
                "give a readable vector file of roads (GeoJSON, GeoPackage, Shapefile)",
            )
        ) from None
    raw = raw.set_crs("EPSG:4490") if raw.crs is None else raw
    keep = raw.geometry.geom_type.isin(["LineString", "MultiLineString"]).to_numpy().copy()

    def tagged(col: str) -> NDArray[np.bool_]:
        empty = raw[col].isna().to_numpy(dtype=bool) | (raw[col].astype(str).str.strip() == "").to_numpy(dtype=bool)
        return np.asarray(~empty, dtype=np.bool_)

    if "highway" in raw.columns:  # OSM-style tags: the lines tagged as roads (not railways, power lines, borders)
        keep &= tagged("highway")
    for other in ("waterway", "railway"):
        if other in raw.columns:
            keep &= ~tagged(other)
    lines = raw.loc[keep].to_crs(crs).geometry.to_numpy()
    parts = shapely.get_parts(lines)
    return np.asarray(parts[~shapely.is_empty(parts)], dtype=object)


def nearest_road_bearing(
    lines: NDArray[np.object_],
    x_m: NDArray[np.float64],
    y_m: NDArray[np.float64],
    max_distance_m: float = ROAD_MAX_DISTANCE_M,
) -> NDArray[np.float64]:
    """Bearing (compass degrees, 0 to < 180) of the nearest line at each point's projection on it.

    The direction is taken between the line's points 1 m before and after the projection (the
    segment the point is nearest to, or the line's end segment). NaN where no line lies within
    ``max_distance_m``; ties between equally near lines go to the first in file order.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> lines = np.array([LineString([(0, 0), (100, 100)])], dtype=object)
    >>> nearest_road_bearing(lines, np.array([60.0, 500.0]), np.array([40.0, 0.0])).round(1).tolist()
    [45.0, nan]
    """
    import shapely

    out = np.full(x_m.size, np.nan)
    if lines.size == 0 or x_m.size == 0:
        return out
    pts = shapely.points(x_m, y_m)
    tree = shapely.STRtree(lines)
    idx = tree.query_nearest(pts, max_distance=max_distance_m, all_matches=True)
    if idx.shape[1] == 0:
        return out
    order = np.lexsort((idx[1], idx[0]))  # per point its first-listed nearest line
    p_idx, l_idx = idx[0][order], idx[1][order]
    first = np.ones(p_idx.size, dtype=bool)
    first[1:] = p_idx[1:] != p_idx[:-1]
    p_idx, l_idx = p_idx[first], l_idx[first]
    line = lines[l_idx]
    at = shapely.line_locate_point(line, pts[p_idx])
    length = shapely.length(line)
    a = shapely.line_interpolate_point(line, np.maximum(at - 1.0, 0.0))
    b = shapely.line_interpolate_point(line, np.minimum(at + 1.0, length))
    dx = shapely.get_x(b) - shapely.get_x(a)
    dy = shapely.get_y(b) - shapely.get_y(a)
    bearing = np.degrees(np.arctan2(dx, dy)) % 180.0
    out[p_idx] = np.where(np.hypot(dx, dy) > 0, bearing, np.nan)
    return out


def road_sector_bearings(
    scenario: Scenario, table: pd.DataFrame, x_m: NDArray[np.float64], y_m: NDArray[np.float64], crs: str
) -> tuple[pd.DataFrame, list[str]]:
    """``azimuth_deg`` along the road for the sites of ``along_road`` classes that have none of their own.

    Parameters
    ----------
    scenario : Scenario
        ``radio.antenna`` (only ``"sectors"`` uses bearings), the classes' antennas and
        ``inputs.basemap``.
    table : DataFrame
        Candidates with ``site_class`` and optionally ``azimuth_deg`` / ``road_bearing_deg``.
    x_m, y_m : ndarray of float
        Their coordinates in ``crs`` (m).
    crs : str
        The run's metric CRS.

    Returns
    -------
    (DataFrame, list of str)
        The table with ``azimuth_deg`` filled (``"b/b+180"`` for two sectors, 0.1° steps) and
        warnings (poles with no road within reach keep the class's bearings).

    Raises
    ------
    InputDataError
        Sites that need a road but neither ``road_bearing_deg`` nor ``inputs.basemap`` is given.
    """
    radio = scenario.radio
    ants = {"macro": radio.macro_antenna, "micro": radio.micro_antenna}
    classes = [c for c, a in ants.items() if a.along_road and not a.omni]
    if radio.antenna != "sectors" or not classes or len(table) == 0:
        return table, []
    own = (
        table["azimuth_deg"].astype(str).str.strip()
        if "azimuth_deg" in table.columns
        else pd.Series("", index=table.index)
    )
    need = (table["site_class"].isin(classes) & own.isin(["", "nan", "None"])).to_numpy()
    if not need.any():
        return table, []
    bearing = (
        pd.to_numeric(table["road_bearing_deg"], errors="coerce").to_numpy(np.float64, copy=True)
        if "road_bearing_deg" in table.columns
        else np.full(len(table), np.nan)
    )
    todo = need & ~np.isfinite(bearing)
    if todo.any():
        path = scenario.inputs.basemap
        if path is None:
            cls = sorted({str(c) for c in table.loc[todo, "site_class"]})
            raise InputDataError(
                Problem(
                    f"{int(todo.sum())} {'/'.join(cls)} sites need the bearing of their road, "
                    "and there is no road to take it from",
                    "scenario",
                    f"radio.{cls[0]}_antenna.along_road",
                    "set inputs.basemap to a file of road lines, give the candidates a road_bearing_deg (道路方位角) "
                    "column, or set along_road = false",
                )
            )
        rows = np.flatnonzero(todo)
        bearing[rows] = nearest_road_bearing(_road_lines(Path(path), crs), x_m[rows], y_m[rows])
    warnings = []
    far = need & ~np.isfinite(bearing)
    if far.any():
        warnings.append(
            f"{int(far.sum())} sites of along_road classes lie more than {ROAD_MAX_DISTANCE_M:g} m from "
            "every line of inputs.basemap: they keep their class's sector bearings"
        )
    out = ["" if v in ("nan", "None") else v for v in own.tolist()]
    cls_arr = table["site_class"].to_numpy(str)
    for i in np.flatnonzero(need & np.isfinite(bearing)).tolist():
        n = ants[cls_arr[i]].sectors
        # round first, then wrap: 359.96 rounds to 360.0, which is 0 (the column's range is 0 to < 360)
        out[i] = "/".join(f"{round(bearing[i] + 360.0 * k / n, 1) % 360.0:g}" for k in range(n))
    return table.assign(azimuth_deg=out), warnings
