"""Terrain on the coverage grid: a DEM resampled with ``rasterio.warp`` plus rasterised buildings.

Rules (documented for users in the README's input contracts):

* the DEM (any CRS) is reprojected onto the grid with bilinear resampling;
* grid cells the DEM does not cover, and nodata holes, are filled with the nearest valid
  height and a warning names the share filled; when the DEM covers less than
  :data:`MIN_DEM_COVER` of the grid an :class:`~planner.errors.InputDataError` is raised instead
  (a DEM of the wrong place or CRS is far more likely than a usable one);
* buildings (EPSG:4490 footprints) are rasterised with ``rasterio.features.rasterize`` at cell
  centres; height = ``height_m`` when positive, else ``levels`` × :data:`LEVEL_HEIGHT_M`, else
  :data:`DEFAULT_BUILDING_HEIGHT_M`; where footprints overlap the tallest wins;
* DSM = DEM + building height.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from numpy.typing import NDArray
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.features import rasterize
from rasterio.warp import reproject
from scipy import ndimage

from planner.coverage.grid import Grid
from planner.errors import InputDataError, Problem

log = logging.getLogger(__name__)

#: storey height used with ``levels`` (m)
LEVEL_HEIGHT_M = 3.0
#: height of a building with neither ``height_m`` nor ``levels`` (m): about three storeys
DEFAULT_BUILDING_HEIGHT_M = 10.0
#: a DEM must cover at least this share of the grid
MIN_DEM_COVER = 0.5
#: ``radio.terrain_clear = "auto"`` trusts clear DSM cells as LOS only when building footprints
#: cover at least this share of the grid cells. Built-up Chinese urban districts have a
#: building coverage (建筑密度) of roughly 20–40 %; a bare-earth DEM (0 %) or a partial OSM
#: building layer (the Optics Valley sample: 8 %) leaves most street clutter out of the DSM.
AUTO_LOS_BUILT_SHARE = 0.15


def built_share(terrain: Terrain | None) -> float:
    """Share of grid cells under a building footprint (0 without terrain)."""
    if terrain is None or terrain.buildings.size == 0:
        return 0.0
    return float(np.count_nonzero(terrain.buildings > 0)) / float(terrain.buildings.size)


def clear_mode(requested: str, terrain: Terrain | None) -> str:
    """The propagation rule for cells the DSM leaves clear: ``"los"``, ``"probability"`` or ``"mixture"``.

    ``requested`` is ``radio.terrain_clear``; ``"auto"`` resolves by :data:`AUTO_LOS_BUILT_SHARE`
    to ``"los"`` or ``"probability"`` (``"mixture"`` only when asked for).
    """
    if requested != "auto":
        return requested
    return "los" if built_share(terrain) >= AUTO_LOS_BUILT_SHARE else "probability"


@dataclass
class Terrain:
    """Ground and building heights on a grid (m), float32, shape (ny, nx).

    Attributes
    ----------
    grid : Grid
    dem : ndarray
        Ground height (m); zeros without a DEM.
    buildings : ndarray
        Building height above ground (m); zeros where none.
    meta : dict
        Sources, fill shares and counts (goes into the manifest).
    warnings : list of str
        Messages for the report (filled DEM holes, defaulted building heights).
    """

    grid: Grid
    dem: NDArray[np.float32]
    buildings: NDArray[np.float32]
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dem = np.ascontiguousarray(self.dem, dtype=np.float32)
        self.buildings = np.ascontiguousarray(self.buildings, dtype=np.float32)
        self.dsm = np.ascontiguousarray(self.dem + self.buildings, dtype=np.float32)

    def check_grid(self, grid: Grid) -> None:
        """Raise ValueError unless the arrays match ``grid``."""
        if self.dem.shape != (grid.ny, grid.nx) or self.buildings.shape != (grid.ny, grid.nx):
            raise ValueError(f"terrain has shape {self.dem.shape}, the grid is {(grid.ny, grid.nx)}")


def _read_dem(grid: Grid, dem_path: Path) -> tuple[NDArray[np.float32], dict[str, Any], list[str]]:
    src_name = str(dem_path)
    try:
        with rasterio.open(dem_path) as src:
            if src.crs is None:
                raise InputDataError(
                    Problem("the DEM has no CRS", src_name, fix="assign its CRS (e.g. gdal_edit.py -a_srs EPSG:4326)")
                )
            dst = np.full((grid.ny, grid.nx), np.nan, dtype=np.float32)
            reproject(
                source=rasterio.band(src, 1),
                destination=dst,
                src_nodata=src.nodata,
                dst_transform=grid.transform,
                dst_crs=grid.crs,
                dst_nodata=np.nan,
                resampling=Resampling.bilinear,
            )
            src_crs = src.crs.to_string()
    except RasterioIOError as exc:
        raise InputDataError(Problem(f"cannot read the DEM: {exc}", src_name, fix="give a GeoTIFF DEM")) from None
    valid = np.isfinite(dst)
    share = float(valid.mean())
    warnings: list[str] = []
    if share < MIN_DEM_COVER:
        raise InputDataError(
            Problem(
                f"the DEM covers only {share:.0%} of the planning grid",
                src_name,
                fix="use a DEM that covers the whole boundary (check its CRS), or leave `inputs.dem` out",
            )
        )
    if share < 1.0:
        _, (ri, ci) = ndimage.distance_transform_edt(~valid, return_indices=True)
        dst = dst[ri, ci]
        msg = f"DEM: {1 - share:.1%} of the grid had no height (outside the DEM or nodata) and took the nearest height"
        warnings.append(msg)
        log.warning(msg)
    meta = {
        "dem": dem_path.name,
        "dem_crs": src_crs,
        "dem_resampling": "bilinear",
        "dem_filled_share": round(1 - share, 6),
        "dem_min_m": round(float(dst.min()), 2),
        "dem_max_m": round(float(dst.max()), 2),
    }
    return dst.astype(np.float32), meta, warnings


def building_heights(buildings: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], int]:
    """Height (m) of each building by the module's rule, and how many took the default."""
    n = len(buildings)
    h = np.full(n, np.nan)
    if "height_m" in buildings.columns:
        h = pd.to_numeric(buildings["height_m"], errors="coerce").to_numpy(np.float64)
    h = np.where(np.isfinite(h) & (h > 0), h, np.nan)
    if "levels" in buildings.columns:
        lv = pd.to_numeric(buildings["levels"], errors="coerce").to_numpy(np.float64) * LEVEL_HEIGHT_M
        h = np.where(np.isnan(h) & np.isfinite(lv) & (lv > 0), lv, h)
    n_default = int(np.isnan(h).sum())
    return np.where(np.isnan(h), DEFAULT_BUILDING_HEIGHT_M, h), n_default


def build_terrain(grid: Grid, dem_path: Path | str | None = None, buildings: gpd.GeoDataFrame | None = None) -> Terrain:
    """Ground and building heights on ``grid`` (see the module docstring for the rules).

    Parameters
    ----------
    grid : Grid
        The coverage grid.
    dem_path : Path, optional
        A DEM GeoTIFF in any CRS (heights in m).
    buildings : GeoDataFrame, optional
        Footprints (EPSG:4490 or any CRS set on the frame) with ``height_m`` and/or ``levels``.

    Raises
    ------
    InputDataError
        The DEM cannot be read, has no CRS, or covers less than half of the grid.
    """
    meta: dict[str, Any] = {}
    warnings: list[str] = []
    if dem_path is not None:
        dem, m, w = _read_dem(grid, Path(dem_path))
        meta.update(m)
        warnings += w
    else:
        dem = np.zeros((grid.ny, grid.nx), dtype=np.float32)
        meta["dem"] = None
    bld = np.zeros((grid.ny, grid.nx), dtype=np.float32)
    if buildings is not None and len(buildings):
        b = (buildings if buildings.crs is not None else buildings.set_crs("EPSG:4490")).to_crs(grid.crs)
        heights, n_default = building_heights(b)
        geoms = b.geometry.to_numpy()
        ok = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
        order = np.argsort(heights[ok], kind="stable")  # the tallest is burnt last and wins
        shapes = [(g, float(v)) for g, v in zip(geoms[ok][order], heights[ok][order], strict=True)]
        if shapes:
            bld = rasterize(
                shapes,
                out_shape=(grid.ny, grid.nx),
                transform=grid.transform,
                fill=0.0,
                dtype="float32",
                all_touched=False,
            )
        meta.update(
            {
                "buildings": int(ok.sum()),
                "buildings_default_height": n_default,
                "building_cells": int((bld > 0).sum()),
                "building_max_m": round(float(bld.max()), 2),
            }
        )
        if n_default:
            msg = (
                f"buildings: {n_default} of {len(b)} have neither height_m nor levels and were given "
                f"{DEFAULT_BUILDING_HEIGHT_M:g} m"
            )
            warnings.append(msg)
            log.warning(msg)
    else:
        meta["buildings"] = 0
    return Terrain(grid, dem, bld, meta, warnings)
