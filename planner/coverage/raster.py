"""Best-server RSRP raster as a Cloud-Optimised GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling

from planner.coverage.grid import Grid

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
        dst.update_tags(1, units="dBm", quantity="best-server SS-RSRP")
    return path
