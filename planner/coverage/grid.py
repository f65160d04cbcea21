"""The metric raster grid every coverage computation runs on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rasterio.transform import Affine


@dataclass(frozen=True)
class Grid:
    """A north-up grid of square cells in a metric CRS.

    Cell ``(row, col)`` has flat index ``row * nx + col``; row 0 is the northern edge.
    Its centre is ``x = x0 + (col + 0.5) * res``, ``y = y0 - (row + 0.5) * res``.

    Parameters
    ----------
    x0, y0 : float
        Easting and northing of the grid's top-left corner (m).
    res : float
        Cell size (m).
    nx, ny : int
        Number of columns and rows.
    crs : str
        The metric CRS, e.g. ``"EPSG:4547"``.
    """

    x0: float
    y0: float
    res: float
    nx: int
    ny: int
    crs: str

    @property
    def n_cells(self) -> int:
        """Number of cells, ``nx * ny``."""
        return self.nx * self.ny

    @property
    def transform(self) -> Affine:
        """The rasterio affine transform of the grid."""
        return Affine(self.res, 0.0, self.x0, 0.0, -self.res, self.y0)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in m."""
        return (self.x0, self.y0 - self.ny * self.res, self.x0 + self.nx * self.res, self.y0)

    def cell_centres(self, cells: NDArray[np.int64] | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Centre coordinates (m) of the given flat cell indices (all cells if None)."""
        if cells is None:
            cells = np.arange(self.n_cells, dtype=np.int64)
        rows, cols = np.divmod(np.asarray(cells, dtype=np.int64), self.nx)
        return self.x0 + (cols + 0.5) * self.res, self.y0 - (rows + 0.5) * self.res

    @classmethod
    def from_bounds(cls, xmin: float, ymin: float, xmax: float, ymax: float, res: float, crs: str) -> Grid:
        """Smallest grid aligned to multiples of ``res`` that covers the bounds (m)."""
        x0 = np.floor(xmin / res) * res
        y1 = np.ceil(ymax / res) * res
        nx = int(np.ceil((xmax - x0) / res))
        ny = int(np.ceil((y1 - ymin) / res))
        return cls(float(x0), float(y1), float(res), max(nx, 1), max(ny, 1), crs)
