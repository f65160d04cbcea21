"""Automatic choice of the metric CRS."""

from __future__ import annotations

import math

from pyproj import CRS

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
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
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
        raise ScenarioError(Problem(f"unknown CRS {setting!r}", "scenario", "[grid.crs]", 'use "auto" or an EPSG code such as "EPSG:4547"')) from None
    if not crs.is_projected:
        raise ScenarioError(
            Problem(f"{setting} is not a projected (metric) CRS", "scenario", "[grid.crs]", 'use "auto" or a Gauss-Krüger/UTM EPSG code')
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    if unit not in ("metre", "meter"):
        raise ScenarioError(Problem(f"{setting} is in {unit}, not metres", "scenario", "[grid.crs]", "choose a CRS in metres"))
    return setting if setting.upper().startswith("EPSG:") else crs.to_string()
