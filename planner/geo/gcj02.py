"""GCJ-02 ("Mars coordinates") display transform, vectorised.

Chinese web maps (Gaode/AMap, Tencent) draw their tiles in GCJ-02, an obfuscated datum
offset from WGS 84 / CGCS2000 by roughly 550–620 m around Wuhan. It is not a CRS (PROJ
has none), so the planner only uses it to *display* overlays on such basemaps, and to
convert inputs declared as GCJ-02 back to CGCS2000. Nothing is ever stored in GCJ-02.

The forward formula is the public one (see ``DOMAIN.md`` §2.2): polynomial and sine
terms in ``x = lon − 105°``, ``y = lat − 35°`` give offsets in metres, converted to degrees
on the Krasovsky 1940 ellipsoid (a = 6 378 245 m, e² = 0.006 693 421 622 965 943 23).
The inverse has no closed form; :func:`gcj02_to_wgs84` solves it by fixed-point iteration.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Krasovsky 1940 semi-major axis (m) and first eccentricity squared, as used by GCJ-02
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323

#: the crude "inside China" box of the public implementations (degrees)
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

Float = NDArray[np.float64]


def _offset_lat(x: Float, y: Float) -> Float:
    """Latitude offset term (metres on the Krasovsky ellipsoid, before scaling)."""
    pi = np.pi
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out = out + (20.0 * np.sin(6.0 * pi * x) + 20.0 * np.sin(2.0 * pi * x)) * 2.0 / 3.0
    out = out + (20.0 * np.sin(pi * y) + 40.0 * np.sin(pi * y / 3.0)) * 2.0 / 3.0
    return out + (160.0 * np.sin(pi * y / 12.0) + 320.0 * np.sin(pi * y / 30.0)) * 2.0 / 3.0


def _offset_lon(x: Float, y: Float) -> Float:
    """Longitude offset term (metres on the Krasovsky ellipsoid, before scaling)."""
    pi = np.pi
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out = out + (20.0 * np.sin(6.0 * pi * x) + 20.0 * np.sin(2.0 * pi * x)) * 2.0 / 3.0
    out = out + (20.0 * np.sin(pi * x) + 40.0 * np.sin(pi * x / 3.0)) * 2.0 / 3.0
    return out + (150.0 * np.sin(pi * x / 12.0) + 300.0 * np.sin(pi * x / 30.0)) * 2.0 / 3.0


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where (lon, lat) in degrees lies in the box where GCJ-02 applies."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    return (lon_a >= CHINA_LON[0]) & (lon_a <= CHINA_LON[1]) & (lat_a >= CHINA_LAT[0]) & (lat_a <= CHINA_LAT[1])


def _delta(lon: Float, lat: Float) -> tuple[Float, Float]:
    """GCJ-02 minus WGS 84 (degrees) at WGS 84 positions; zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    dlat = _offset_lat(x, y)
    dlon = _offset_lon(x, y)
    rad = np.radians(lat)
    s = np.sin(rad)
    w = 1.0 - KRASOVSKY_EE * s * s
    sw = np.sqrt(w)
    dlat = dlat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (w * sw) * np.pi)
    dlon = dlon * 180.0 / (KRASOVSKY_A / sw * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Float, Float]:
    """Convert WGS 84 / CGCS2000 longitude and latitude (degrees) to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        Geographic coordinates in degrees (any shape; broadcast together).

    Returns
    -------
    lon, lat : ndarray
        GCJ-02 coordinates in degrees. Points outside the China box are returned unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(114.305, 30.593)
    >>> round(float(lon) - 114.305, 4), round(float(lat) - 30.593, 4)
    (0.0054, -0.0024)
    """
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    dlon, dlat = _delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[Float, Float]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration.

    Starting from the GCJ-02 point itself, repeat ``p ← p − (f(p) − target)`` until the
    forward image matches the target within ``tol_deg`` (1e-10° ≈ 0.01 mm). The offset
    field is smooth, so this converges in a handful of steps.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.
    tol_deg : float
        Convergence tolerance (degrees).
    max_iter : int
        Iteration cap.

    Returns
    -------
    lon, lat : ndarray
        WGS 84 / CGCS2000 coordinates in degrees.
    """
    tlon, tlat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    wlon = tlon.copy()
    wlat = tlat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon = flon - tlon
        elat = flat - tlat
        wlon = wlon - elon
        wlat = wlat - elat
        if float(np.max(np.abs(elon), initial=0.0)) < tol_deg and float(np.max(np.abs(elat), initial=0.0)) < tol_deg:
            break
    return wlon, wlat
