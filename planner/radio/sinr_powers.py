"""Received-power rows of the SINR stage: each site's path losses once, one row per server.

Used by :func:`planner.radio.interference.plan_sinr` on each chunk of sites. Two steps, each bit
for bit what :func:`planner.coverage.build_coverage` gives the servers (one row per sector) built
one by one (``tests/test_sinr.py``):

* :func:`site_powers`: the sites' omni received powers (median, down to the floor), one
  ``build_coverage`` per distinct penetration loss, each over only the sites whose disk can reach a
  cell of that loss (a loss held by a few cells, e.g. 160 park cells at 0 dB, no longer walks every
  site's 4.5 km disk), rows joined by :func:`kernels.coverage.merge_rows`;
* :func:`server_rows`: each server a copy of its site's row with its own sector's pattern gain
  (:func:`planner.coverage.build._sectorise`; the path loss does not depend on the bearing), so a
  3-sector macro's path losses are computed once, not three times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from planner.scenario import RadioConfig

if TYPE_CHECKING:
    from planner.coverage.grid import Grid
    from planner.coverage.terrain import Terrain
    from planner.radio.interference import Servers

__all__ = ["server_rows", "site_powers"]

#: a penetration loss held by under 1/MINORITY of the cells is built only for the sites near its cells
#: (the nearest-cell query costs more than it saves for the main loss, which every site reaches)
MINORITY = 8

CSR = tuple[NDArray[np.int64], NDArray[np.integer[Any]], NDArray[np.float32]]


def _spread(indptr: NDArray[np.int64], rows: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Row bounds of ``n`` rows where row ``rows[i]`` holds row i of ``indptr`` and the others are empty."""
    lens = np.zeros(n, dtype=np.int64)
    lens[rows] = np.diff(indptr)
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=out[1:])
    return out


def site_powers(
    grid: Grid,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    h: NDArray[np.float64],
    cls: NDArray[np.str_],
    radio: RadioConfig,
    cell_mask: NDArray[np.bool_] | None,
    terrain: Terrain | None,
    pen: NDArray[np.float64] | None,
) -> tuple[CSR, float]:
    """Omni received-power CSR (dBm per RE) of the sites and their largest radius (m).

    ``radio`` is the median, omni radio of the SINR stage; ``pen`` the penetration loss per cell
    (dB, shape (ny, nx)) or None (``radio.penetration_loss_db`` everywhere). A site is left out of
    a loss's build only when its nearest cell of that loss lies beyond its radius plus one cell, so
    it has no pair there in any case.
    """
    from scipy.spatial import cKDTree

    from kernels import coverage as _cov
    from planner.coverage.build import build_coverage, coverage_radii

    mask = np.ones((grid.ny, grid.nx), dtype=np.bool_) if cell_mask is None else np.asarray(cell_mask, dtype=np.bool_)
    if pen is not None and (pen.shape != (grid.ny, grid.nx) or not (np.isfinite(pen).all() and (pen >= 0).all())):
        raise ValueError(f"cell_penetration_db must be finite and >= 0 dB, shape {(grid.ny, grid.nx)}")
    levels = np.unique(pen[mask]) if pen is not None else np.empty(0)
    if pen is None or levels.size <= 1:
        cov = build_coverage(grid, x, y, h, cls, radio, cell_mask=cell_mask, terrain=terrain, cell_penetration_db=pen)
        return (cov.indptr, cov.indices, cov.rsrp), float(cov.meta.get("radius_m_max") or 0.0)
    n = x.size
    sites = np.c_[x, y]
    merged: CSR | None = None
    radius_max = 0.0
    for p in levels.tolist():
        r_p = radio if p == float(radio.penetration_loss_db) else radio.model_copy(update={"penetration_loss_db": p})
        cells = mask & (pen == p)
        radius = coverage_radii(h, cls, r_p, terrain)
        radius_max = max(radius_max, round(float(radius.max()), 2) if n else 0.0)
        near = np.flatnonzero(radius >= 0)
        if MINORITY * int(cells.sum()) < int(mask.sum()):  # a loss of few cells: the sites that can reach one
            iy, ix = np.nonzero(cells)
            centres = np.c_[grid.x0 + (ix + 0.5) * grid.res, grid.y0 - (iy + 0.5) * grid.res]
            dist, _ = cKDTree(centres).query(sites[near])
            near = near[dist <= radius[near] + grid.res]
        sub = build_coverage(grid, x[near], y[near], h[near], cls[near], r_p, cell_mask=cells, terrain=terrain)
        ip = _spread(sub.indptr, near, n)
        if merged is None:
            merged = (ip, sub.indices, sub.rsrp)
            continue
        out_ip = np.empty(n + 1, dtype=np.int64)
        total = int(merged[0][-1]) + int(ip[-1])
        out_idx = np.empty(total, dtype=merged[1].dtype)
        out_val = np.empty(total, dtype=np.float32)
        _cov.merge_rows(merged[0], merged[1], merged[2], ip, sub.indices, sub.rsrp, out_ip, out_idx, out_val)
        merged = (out_ip, out_idx, out_val)
    assert merged is not None
    return merged, radius_max


def server_rows(
    indptr: NDArray[np.int64],
    indices: NDArray[np.integer[Any]],
    rsrp: NDArray[np.float32],
    srv: Servers,
    servers: slice,
    first_site: int,
    radio: RadioConfig,
    tilts: NDArray[np.float64],
    grid: Grid,
) -> CSR:
    """One row per server from the omni rows of its site, with its own sector's gain.

    ``indptr/indices/rsrp`` hold the omni powers of the sites ``first_site, first_site + 1, …``;
    ``servers`` are the rows of ``srv`` of those sites; ``tilts`` the servers' mechanical tilts
    (:func:`planner.coverage.build.resolve_tilts`). Each server gets a copy of its site's row, then
    :func:`planner.coverage.build._sectorise` adds its single bearing's pattern gain and drops the
    pairs below ``radio.threshold_dbm``: the rows ``build_coverage`` gives the servers.
    """
    from planner.coverage.build import _sectorise

    rows = srv.site[servers] - first_site
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    out_ptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lens, out=out_ptr[1:])
    take = np.repeat(starts - out_ptr[:-1], lens) + np.arange(int(out_ptr[-1]), dtype=np.int64)
    az = None if srv.azimuths is None else srv.azimuths[servers]
    cls = (srv.cls[servers] == "micro").astype(np.int64)
    g = (float(grid.x0), float(grid.y0), float(grid.res), int(grid.nx), int(grid.ny))
    return _sectorise(
        out_ptr,
        indices[take],
        rsrp[take],
        srv.x[servers],
        srv.y[servers],
        srv.h[servers],
        cls,
        radio,
        g,
        az,
        tilts[servers],
    )
