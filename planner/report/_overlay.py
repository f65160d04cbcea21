"""The best-server RSRP raster of a plan as an inline Web-Mercator PNG for the report map."""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

from planner.coverage.grid import Grid
from planner.plan import Plan

#: RSRP colour scale: threshold .. threshold + span (dBm)
RSRP_SPAN_DB = 35.0
RSRP_CMAP = "RdYlGn"
#: largest side of the inlined RSRP image (pixels)
MAX_OVERLAY_PX = 2048


def _to_web_mercator(
    values: NDArray[np.float32], grid: Grid
) -> tuple[NDArray[np.float32], tuple[float, float, float, float]]:
    """Nearest-neighbour resampling of a grid raster onto a north-up Web-Mercator raster.

    Returns the raster (NaN outside) and its (west, south, east, north) bounds in EPSG:3857 (m).
    Written with pyproj instead of ``rasterio.warp`` so that it stays free of affine's
    deprecation warnings; the raster is small (at most :data:`MAX_OVERLAY_PX` a side).
    """
    xmin, ymin, xmax, ymax = grid.bounds
    fwd = Transformer.from_crs(grid.crs, "EPSG:3857", always_xy=True)
    t = np.linspace(0.0, 1.0, 21)
    ex = np.r_[xmin + (xmax - xmin) * t, np.full(21, xmax), xmax - (xmax - xmin) * t, np.full(21, xmin)]
    ey = np.r_[np.full(21, ymin), ymin + (ymax - ymin) * t, np.full(21, ymax), ymax - (ymax - ymin) * t]
    mx, my = fwd.transform(ex, ey)
    west, east, south, north = float(np.min(mx)), float(np.max(mx)), float(np.min(my)), float(np.max(my))
    res = max((east - west) / grid.nx, (north - south) / grid.ny)
    res = max(res, max(east - west, north - south) / MAX_OVERLAY_PX)
    width = max(int(np.ceil((east - west) / res)), 1)
    height = max(int(np.ceil((north - south) / res)), 1)
    east, south = west + width * res, north - height * res
    px = west + (np.arange(width) + 0.5) * res
    py = north - (np.arange(height) + 0.5) * res
    gx, gy = np.meshgrid(px, py)
    inv = Transformer.from_crs("EPSG:3857", grid.crs, always_xy=True)
    sx, sy = inv.transform(gx.ravel(), gy.ravel())
    col = np.floor((np.asarray(sx) - grid.x0) / grid.res).astype(np.int64)
    row = np.floor((grid.y0 - np.asarray(sy)) / grid.res).astype(np.int64)
    ok = (col >= 0) & (col < grid.nx) & (row >= 0) & (row < grid.ny)
    out = np.full(width * height, np.nan, dtype=np.float32)
    out[ok] = values[row[ok], col[ok]]
    return out.reshape(height, width), (west, south, east, north)


def rsrp_png(plan: Plan) -> tuple[str, tuple[float, float, float, float]] | None:
    """The best-server RSRP raster as a Web-Mercator PNG ``data:`` URI.

    Returns
    -------
    (uri, (west, south, east, north)) or None
        Bounds in degrees (WGS 84 / CGCS2000); None when no cell is covered.
    """
    best = np.asarray(plan.best_rsrp, dtype=np.float32)
    if not np.isfinite(best).any():
        return None
    g = plan.grid
    dst, (west, south, east, north) = _to_web_mercator(best, g)
    thr = plan.threshold_dbm
    norm = np.clip((dst - thr) / RSRP_SPAN_DB, 0.0, 1.0)
    cmap = matplotlib.colormaps[RSRP_CMAP]
    rgba = (cmap(np.nan_to_num(norm)) * 255).astype(np.uint8)
    rgba[..., 3] = np.where(np.isfinite(dst), 235, 0).astype(np.uint8)
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buf, format="PNG")  # optimize=True: +0.5 s at city scale for 0.5 % smaller
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    tr = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (w_deg, e_deg), (s_deg, n_deg) = tr.transform([west, east], [south, north])
    return uri, (float(w_deg), float(s_deg), float(e_deg), float(n_deg))
