"""Demand cells: the boundary and the priority areas rasterised onto the grid."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray
from rasterio.features import rasterize

from planner.coverage.grid import Grid


@dataclass(frozen=True)
class DemandCells:
    """Which grid cells carry demand, and which priority area each belongs to.

    Attributes
    ----------
    mask : ndarray of bool, shape (ny, nx)
        Cell centre inside the boundary.
    area_index : ndarray of int32, shape (ny, nx)
        Row of ``areas`` the cell belongs to (highest class rank wins), -1 outside.
    cells : ndarray of int64
        Flat indices of the demand cells (``mask`` true), ascending.
    n_cells_per_area : ndarray of int64
    """

    mask: NDArray[np.bool_]
    area_index: NDArray[np.int32]
    cells: NDArray[np.int64]
    n_cells_per_area: NDArray[np.int64]


def rasterize_demand(grid: Grid, boundary: gpd.GeoSeries, areas: gpd.GeoDataFrame) -> DemandCells:
    """Rasterise the boundary (cell centres inside) and the areas in increasing class rank.

    Areas smaller than a cell are rasterised with ``all_touched`` so that every area
    keeps at least one cell. ``boundary`` and ``areas`` must be in ``grid.crs``.
    """
    shape = (grid.ny, grid.nx)
    mask = rasterize(
        ((g, 1) for g in boundary.geometry if g is not None and not g.is_empty),
        out_shape=shape,
        transform=grid.transform,
        fill=0,
        dtype="uint8",
    ).astype(bool)
    area_index = np.full(shape, -1, dtype=np.int32)
    order = np.lexsort((np.arange(len(areas)), areas["rank"].to_numpy()))
    for i in order:
        geom = areas.geometry.iloc[i]
        burn = rasterize([(geom, 1)], out_shape=shape, transform=grid.transform, fill=0, dtype="uint8").astype(bool)
        if not (burn & mask).any():
            burn = rasterize(
                [(geom, 1)], out_shape=shape, transform=grid.transform, fill=0, dtype="uint8", all_touched=True
            ).astype(bool)
        area_index[burn & mask] = i
    counts = np.bincount(area_index[mask & (area_index >= 0)].ravel(), minlength=len(areas)).astype(np.int64)
    cells = np.flatnonzero(mask.ravel()).astype(np.int64)
    return DemandCells(mask, area_index, cells, counts)
