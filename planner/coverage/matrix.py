"""The sparse site × cell coverage matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kernels.coverage import best_server
from planner.coverage.grid import Grid


@dataclass
class CoverageMatrix:
    """Which grid cells each candidate site covers, and at what RSRP.

    Row ``s`` (a site) holds ``indices[indptr[s]:indptr[s+1]]``: the flat indices
    (``row * nx + col``) of the covered cells, ascending and only where the demand mask was
    True, and ``rsrp[...]`` their RSRP (dBm, float32). It is a CSR matrix of shape
    ``(n_sites, grid.n_cells)`` with the RSRP as data.

    Attributes
    ----------
    grid : Grid
        The grid the cell indices refer to.
    indptr : ndarray of int64, shape (n_sites + 1,)
    indices : ndarray of int32 (int64 for grids of 2**31 cells or more)
    rsrp : ndarray of float32
    meta : dict
        Model, parameters, counts and timings (goes into ``manifest.json``).
    """

    grid: Grid
    indptr: NDArray[np.int64]
    indices: NDArray[np.integer[Any]]
    rsrp: NDArray[np.float32]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sites(self) -> int:
        """Number of candidate rows."""
        return int(self.indptr.size - 1)

    @property
    def nnz(self) -> int:
        """Number of stored (candidate, cell) pairs."""
        return int(self.indices.size)

    def counts(self) -> NDArray[np.int64]:
        """Number of cells each site covers."""
        return np.diff(self.indptr)

    def to_scipy(self) -> sp.csr_matrix:
        """``scipy.sparse.csr_matrix`` (n_sites × grid.n_cells) with the RSRP (dBm) as data."""
        return sp.csr_matrix((self.rsrp, self.indices, self.indptr), shape=(self.n_sites, self.grid.n_cells))

    def best_server_of(self, selected: NDArray[np.integer[Any]] | list[int]) -> NDArray[np.float32]:
        """Best-server RSRP (dBm) over the selected sites, shape (ny, nx); NaN where none reaches."""
        rows = np.asarray(selected, dtype=np.int64).ravel()
        if rows.size and (rows.min() < 0 or rows.max() >= self.n_sites):
            raise IndexError(f"selected site index out of range 0..{self.n_sites - 1}")
        best = best_server(self.indptr, self.indices, self.rsrp, rows, self.grid.n_cells)
        return best.reshape(self.grid.ny, self.grid.nx)
