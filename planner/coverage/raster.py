"""Rasters of a plan as Cloud-Optimised GeoTIFFs: best-server RSRP, SS-SINR and overlap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling

from planner.coverage.grid import Grid

if TYPE_CHECKING:
    from planner.plan import Plan

#: nodata value written for cells no selected site reaches (and outside the demand mask)
NODATA = -9999.0


def write_best_server_geotiff(best_rsrp: NDArray[np.float32], grid: Grid, path: str | Path) -> Path:
    """Write the best-server RSRP (dBm) as a Cloud-Optimised GeoTIFF.

    Float32, the grid's CRS and transform, nodata ``-9999`` where ``best_rsrp`` is NaN,
    DEFLATE compression, 256-pixel tiles and overviews (average) down to 256 pixels. Uses
    GDAL's ``COG`` driver.

    Parameters
    ----------
    best_rsrp : ndarray (ny, nx) float32
        Best-server RSRP (dBm); NaN = not covered.
    grid : Grid
        The grid it lies on.
    path : str or Path
        Output file.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    arr = np.asarray(best_rsrp, dtype=np.float32)
    if arr.shape != (grid.ny, grid.nx):
        raise ValueError(f"best_rsrp has shape {arr.shape}, expected {(grid.ny, grid.nx)}")
    data = np.where(np.isfinite(arr), arr, np.float32(NODATA)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # rasterio writes COG through an in-memory copy; GDAL lays out tiles and overviews
    with rasterio.open(
        path, "w", driver="COG", width=grid.nx, height=grid.ny, count=1, dtype="float32",
        crs=grid.crs, transform=grid.transform, nodata=NODATA, compress="DEFLATE", blocksize=256,
        overview_resampling=Resampling.average.name, overviews="AUTO",
    ) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, "best-server SS-RSRP, design value (after penetration loss and shadowing margin); nodata: below the threshold or outside the boundary")
        dst.set_band_unit(1, "dBm")
        dst.update_tags(1, units="dBm", quantity="best-server SS-RSRP")
    return path


#: nodata of ``overlap.tif`` (cells outside the planning boundary); counts saturate one below
OVERLAP_NODATA = 255


def _write_band(data: NDArray[Any], grid: Grid, path: Path, *, dtype: str, nodata: float, resampling: str,
                description: str, units: str) -> Path:
    """One-band COG (DEFLATE, 256-pixel tiles, overviews) with a band description and unit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="COG", width=grid.nx, height=grid.ny, count=1, dtype=dtype, crs=grid.crs,
        transform=grid.transform, nodata=nodata, compress="DEFLATE", blocksize=256, overview_resampling=resampling,
        overviews="AUTO",
    ) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, description)
        dst.set_band_unit(1, units)
        dst.update_tags(1, units=units, quantity=description)
    return path


def write_sinr_rasters(plan: Plan, folder: str | Path) -> dict[str, Path]:
    """Write ``sinr.tif`` (SS-SINR, dB, float32) and ``overlap.tif`` (servers within the overlap window, uint8).

    Both are Cloud-Optimised GeoTIFFs on the plan's grid with a band description and unit. SINR
    nodata is ``-9999`` (outside the boundary, or no site received above the interference
    floor); overlap nodata is 255 outside the boundary (0 = the best server misses the
    threshold). Nothing is written when the plan carries no SINR (``plan.extras`` lacks
    ``sinr_db``, e.g. a plan read back from a run folder).

    Returns
    -------
    dict
        ``{"sinr": path, "overlap": path}``, or empty.
    """
    sinr = plan.extras.get("sinr_db")
    overlap = plan.extras.get("overlap")
    if sinr is None or overlap is None:
        return {}
    folder = Path(folder)
    grid = plan.grid
    s = np.asarray(sinr, dtype=np.float32)
    o = np.asarray(overlap)
    if s.shape != (grid.ny, grid.nx) or o.shape != (grid.ny, grid.nx):
        raise ValueError(f"SINR/overlap rasters have shapes {s.shape}/{o.shape}, expected {(grid.ny, grid.nx)}")
    s_out = np.where(np.isfinite(s), s, np.float32(NODATA)).astype(np.float32)
    o_out = np.where(plan.demand_mask, np.minimum(o, OVERLAP_NODATA - 1), OVERLAP_NODATA).astype(np.uint8)
    window = plan.scenario.radio.overlap_window_db
    return {
        "sinr": _write_band(s_out, grid, folder / "sinr.tif", dtype="float32", nodata=NODATA,
                            resampling=Resampling.average.name, description="SS-SINR of the best server", units="dB"),
        "overlap": _write_band(o_out, grid, folder / "overlap.tif", dtype="uint8", nodata=OVERLAP_NODATA,
                               resampling=Resampling.nearest.name,
                               description=f"servers within {window:g} dB of the best server", units="count"),
    }
