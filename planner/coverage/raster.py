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

#: nodata value of the float rasters: outside the planning boundary (and, in ``sinr.tif``, where no site is received)
NODATA = -9999.0


def write_best_server_geotiff(
    best_rsrp: NDArray[np.float32],
    grid: Grid,
    path: str | Path,
    *,
    threshold_dbm: float | None = None,
    floor_dbm: float | None = None,
) -> Path:
    """Write the best-server RSRP (dBm) as a Cloud-Optimised GeoTIFF.

    Float32, the grid's CRS and transform, nodata ``-9999`` where ``best_rsrp`` is NaN,
    DEFLATE compression, 256-pixel tiles and overviews (average) down to 256 pixels. Uses
    GDAL's ``COG`` driver. The band's description and unit (``dBm``) are set; with
    ``threshold_dbm`` and ``floor_dbm`` (the raster of
    :func:`planner.stages.assemble.attach_plan_rsrp`: every cell inside the boundary, below
    the threshold where the plan does not cover it) the description and the tags say so.

    Parameters
    ----------
    best_rsrp : ndarray (ny, nx) float32
        Best-server RSRP (dBm); NaN = nodata.
    grid : Grid
        The grid it lies on.
    path : str or Path
        Output file.
    threshold_dbm : float, optional
        The coverage threshold (dBm): a cell at or above it is covered.
    floor_dbm : float, optional
        The value of cells no site reaches above the interference floor (dBm).

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
    quantity = "best-server SS-RSRP, design value (after penetration loss and shadowing margin)"
    tags: dict[str, str] = {}
    if threshold_dbm is None or floor_dbm is None:
        description = f"{quantity}; nodata: not covered or outside the boundary"
    else:
        description = (
            f"{quantity}; covered where >= {threshold_dbm:g} dBm; {floor_dbm:.2f} where no site is received "
            "above the interference floor; nodata only outside the boundary"
        )
        tags = {"threshold_dbm": f"{threshold_dbm:g}", "floor_dbm": f"{floor_dbm:.2f}"}
    return write_band(
        data,
        grid,
        path,
        dtype="float32",
        nodata=NODATA,
        resampling=Resampling.average.name,
        description=description,
        units="dBm",
        tags=tags,
    )


#: nodata of ``overlap.tif`` (cells outside the planning boundary); counts saturate one below
OVERLAP_NODATA = 255


def write_band(
    data: NDArray[Any],
    grid: Grid,
    path: str | Path,
    *,
    dtype: str,
    nodata: float,
    resampling: str,
    description: str,
    units: str,
    tags: dict[str, str] | None = None,
) -> Path:
    """Write one band on ``grid`` as a Cloud-Optimised GeoTIFF with a band description and unit.

    GDAL's ``COG`` driver: DEFLATE, 256-pixel tiles, overviews (``resampling``) down to one
    tile, the IFDs at the head of the file and the overviews' tiles before the full
    resolution's. ``tags`` are extra band metadata items (with ``units`` and ``quantity``).

    Parameters
    ----------
    data : ndarray (ny, nx)
        The values (nodata already filled in).
    grid : Grid
        The grid it lies on.
    path : str or Path
        Output file.
    dtype : str
        Raster data type (``"float32"``, ``"uint8"``...).
    nodata : float
        The nodata value.
    resampling : str
        Overview resampling (``"average"`` for continuous values, ``"nearest"`` for counts).
    description, units : str
        Band description and unit.
    tags : dict, optional
        Extra band metadata.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="COG",
        width=grid.nx,
        height=grid.ny,
        count=1,
        dtype=dtype,
        crs=grid.crs,
        transform=grid.transform,
        nodata=nodata,
        compress="DEFLATE",
        blocksize=256,
        overview_resampling=resampling,
        overviews="AUTO",
    ) as dst:
        dst.write(data, 1)
        dst.set_band_description(1, description)
        dst.set_band_unit(1, units)
        dst.update_tags(1, units=units, quantity=description, **(tags or {}))
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
        "sinr": write_band(
            s_out,
            grid,
            folder / "sinr.tif",
            dtype="float32",
            nodata=NODATA,
            resampling=Resampling.average.name,
            description="SS-SINR of the best server",
            units="dB",
        ),
        "overlap": write_band(
            o_out,
            grid,
            folder / "overlap.tif",
            dtype="uint8",
            nodata=OVERLAP_NODATA,
            resampling=Resampling.nearest.name,
            description=f"servers within {window:g} dB of the best server",
            units="count",
        ),
    }
