"""Automatic choice of the metric CRS."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from planner.errors import Problem, ScenarioError

#: EPSG:4534 is CGCS2000 / 3-degree Gauss-Kruger CM 75E; codes run in 3° steps to CM 135E (4554).
_GK3_FIRST_CODE, _GK3_FIRST_CM, _GK3_LAST_CM = 4534, 75, 135


def in_china(lon: float, lat: float) -> bool:
    """Rough mainland-China box (lon 73–135.1°E, lat 17.5–53.6°N)."""
    return 73.0 <= lon <= 135.1 and 17.5 <= lat <= 53.6


def gauss_kruger_3deg(lon: float) -> str:
    """CGCS2000 3° Gauss-Krüger CRS (central-meridian form, 6-digit eastings) for a longitude.

    Examples
    --------
    >>> gauss_kruger_3deg(114.35)
    'EPSG:4547'
    """
    cm = int(3 * round(lon / 3.0))
    cm = min(max(cm, _GK3_FIRST_CM), _GK3_LAST_CM)
    return f"EPSG:{_GK3_FIRST_CODE + (cm - _GK3_FIRST_CM) // 3}"


def utm(lon: float, lat: float) -> str:
    """WGS 84 / UTM zone of a point."""
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def choose_metric_crs(setting: str, lon: float, lat: float) -> str:
    """The metric CRS for a study area centred at (lon, lat) in degrees.

    ``"auto"`` picks CGCS2000 3° Gauss-Krüger inside China and UTM elsewhere; any other
    value must be a projected CRS in metres.
    """
    if setting == "auto":
        return gauss_kruger_3deg(lon) if in_china(lon, lat) else utm(lon, lat)
    try:
        crs = CRS.from_user_input(setting)
    except Exception:
        raise ScenarioError(
            Problem(
                f"unknown CRS {setting!r}", "scenario", "[grid.crs]", 'use "auto" or an EPSG code such as "EPSG:4547"'
            )
        ) from None
    if not crs.is_projected:
        raise ScenarioError(
            Problem(
                f"{setting} is not a projected (metric) CRS",
                "scenario",
                "[grid.crs]",
                'use "auto" or a Gauss-Krüger/UTM EPSG code',
            )
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    if unit not in ("metre", "meter"):
        raise ScenarioError(
            Problem(f"{setting} is in {unit}, not metres", "scenario", "[grid.crs]", "choose a CRS in metres")
        )
    return setting if setting.upper().startswith("EPSG:") else crs.to_string()


#: a chosen ``grid.crs`` whose scale at the boundary is further than this from 1 is refused (its "metres" are not
#: metres there: Web Mercator at 30°N is 15 % off, a Gauss-Krüger zone 20° of longitude away 4-6 %)
MAX_SCALE_ERROR = 0.02
#: ... and further than this draws a warning: a proper 3° Gauss-Krüger zone is within 0.03 % of true scale over
#: its width, a UTM zone within 0.1 %
WARN_SCALE_ERROR = 0.002


def check_grid_crs(setting: str, crs: str, lon: float, lat: float) -> str | None:
    """Refuse or warn about a user's ``grid.crs`` that distorts distances at the study area (lon, lat in degrees).

    The coverage radii, the grid resolution, ``min_separation_m`` and areas are metres of the grid CRS;
    far from its central meridian (or in Web Mercator) those are not true metres. ``"auto"`` is never checked.

    Returns
    -------
    warning : str or None
        Set when the scale error exceeds :data:`WARN_SCALE_ERROR`.

    Raises
    ------
    ScenarioError
        When the scale error exceeds :data:`MAX_SCALE_ERROR`, naming ``grid.crs``, the error and the fix.
    """
    if setting == "auto":
        return None
    from pyproj import Proj

    try:
        factors = Proj(CRS.from_user_input(crs)).get_factors(lon, lat)
        scale = max(abs(factors.meridional_scale - 1.0), abs(factors.parallel_scale - 1.0))
        turn = float(factors.meridian_convergence)
    except Exception:  # a projection pyproj cannot evaluate there: nothing to say
        return None
    if not math.isfinite(scale):
        return None
    auto = choose_metric_crs("auto", lon, lat)
    name = CRS.from_user_input(crs).name
    text = (
        f"grid.crs = {setting} ({name}) distorts the study area at {lon:.2f}°E, {lat:.2f}°N: its metres there are "
        f"{scale:.1%} off true metres and its grid north is turned {abs(turn):.1f}° from true north"
    )
    if scale > MAX_SCALE_ERROR:
        raise ScenarioError(
            Problem(
                text + " (coverage radii, cell sizes and distances would be wrong by as much)",
                "scenario",
                "[grid.crs]",
                f'use grid.crs = "auto" ({auto} here), or the Gauss-Krüger/UTM zone of this place',
            )
        )
    if scale > WARN_SCALE_ERROR:
        return f'{text}; grid.crs = "auto" picks {auto} for this place'
    return None


def bbox_gap_km(a: Sequence[float], b: Sequence[float]) -> float:
    """Distance (km, approximate) between two lon/lat bounding boxes; 0 when they overlap.

    Parameters
    ----------
    a, b : sequence of float
        ``(minx, miny, maxx, maxy)`` in degrees.
    """
    dx = max(a[0] - b[2], b[0] - a[2], 0.0)
    dy = max(a[1] - b[3], b[1] - a[3], 0.0)
    lat = math.radians((a[1] + a[3] + b[1] + b[3]) / 4.0)
    return math.hypot(dx * 111.32 * math.cos(lat), dy * 110.57)


#: the GCJ-02 check needs at least this many points, and this many outside the boundary
GCJ_MIN_POINTS = 10
GCJ_MIN_OUTSIDE = 5


def detect_gcj02_shift(lon: NDArray[np.float64], lat: NDArray[np.float64], boundary: BaseGeometry) -> str | None:
    """Which layer looks GCJ-02 (Gaode/AMap) shifted: ``"points"``, ``"boundary"`` or None.

    GCJ-02 moves features about 550–620 m (around Wuhan: ~520 m east, ~270 m south) from
    their CGCS2000 position, so a candidate file copied from a web map sits shifted
    against a boundary drawn in CGCS2000. The check is deliberately conservative: it
    counts the points outside the boundary as given, and after undoing (or applying)
    the GCJ-02 shift to the points; it answers only when at least
    :data:`GCJ_MIN_OUTSIDE` points (and 2 %) are outside as given and the shift brings
    at least three quarters of them inside. A candidate catalogue that simply extends
    beyond the boundary does not change under the shift and gives None.

    Parameters
    ----------
    lon, lat : ndarray
        Point coordinates in degrees (as read, EPSG:4490).
    boundary : shapely geometry
        The planning boundary in EPSG:4490.

    Returns
    -------
    str or None
        ``"points"`` if the points look GCJ-02 against a CGCS2000 boundary, ``"boundary"``
        if the boundary looks GCJ-02 against CGCS2000 points, None otherwise.
    """
    import shapely

    from planner.geo.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02

    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[ok], lat[ok]
    if lon.size < GCJ_MIN_POINTS or boundary is None or boundary.is_empty or not bool(np.all(in_china(lon, lat))):
        return None
    shapely.prepare(boundary)
    out_given = int((~shapely.contains_xy(boundary, lon, lat)).sum())
    if out_given < max(GCJ_MIN_OUTSIDE, 0.02 * lon.size):
        return None
    best: tuple[int, str] | None = None
    for label, fn in (("points", gcj02_to_wgs84), ("boundary", wgs84_to_gcj02)):
        x, y = fn(lon, lat)
        out = int((~shapely.contains_xy(boundary, np.asarray(x), np.asarray(y))).sum())
        if out <= 0.25 * out_given and (best is None or out < best[0]):
            best = (out, label)
    return None if best is None else best[1]
