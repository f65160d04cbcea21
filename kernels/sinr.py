"""Best server, SS-SINR and overlap per cell over the rows (sites) of a CSR received-power matrix.

For every cell c reached by at least one of the given rows, with ``P_k`` the received power per
resource element of row k (mW, from the matrix's dBm):

* best server ``P_b = max_k P_k``;
* SS-SINR ``= P_b / (η Σ_{k≠b} P_k + N)`` (TS 38.215 §5.1.5 definition of SS-SINR: the
  best server's SSS power over the interference plus noise in the same resource elements; η is
  the load factor: 1 for SSB bursts of synchronised TDD cells, the PRB load for the PDSCH);
* overlap ``= #{k : P_k ≥ P_b − window}``, the best server included (1 = one dominant server),
  counted only where ``P_b`` reaches ``min_best_dbm``; 0 elsewhere.

Powers are summed in float64. Two passes over the rows, no dense site × cell array. Cells no
row reaches get NaN (best, SINR) and overlap 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit

#: overlap counts saturate here (uint8 raster)
OVERLAP_MAX = 255


@jit
def sinr_overlap(
    indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp_dbm: NDArray[np.float32],
    rows: NDArray[np.int64], n_cells: int, load_factor: float, noise_mw: float, window_db: float,
    min_best_dbm: float,
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.uint8]]:
    """Best-server power (dBm), SS-SINR (dB) and overlap count per cell over ``rows``.

    Parameters
    ----------
    indptr, indices, rsrp_dbm
        CSR matrix: row s holds the cells ``indices[indptr[s]:indptr[s+1]]`` and their received
        power per RE (dBm).
    rows : int64 array
        Rows to use (distinct).
    n_cells : int
        Number of columns (cells).
    load_factor : float
        η, the share of interferers' resource elements that carry power (0–1).
    noise_mw : float
        Noise power per resource element (mW).
    window_db : float
        Overlap window below the best server (dB).
    min_best_dbm : float
        Overlap is counted only where the best server reaches this power (dBm).

    Returns
    -------
    best_dbm, sinr_db : float32 arrays (n_cells,)
        NaN where no row reaches the cell.
    overlap : uint8 array (n_cells,)
        Servers within ``window_db`` of the best (saturating at 255).
    """
    total = np.zeros(n_cells, dtype=np.float64)
    best = np.full(n_cells, -np.inf, dtype=np.float64)
    for i in range(rows.size):
        s = rows[i]
        for k in range(indptr[s], indptr[s + 1]):
            c = indices[k]
            v = float(rsrp_dbm[k])
            total[c] += 10.0 ** (0.1 * v)
            if v > best[c]:
                best[c] = v
    best_out = np.full(n_cells, np.nan, dtype=np.float32)
    sinr = np.full(n_cells, np.nan, dtype=np.float32)
    for c in range(n_cells):
        b = best[c]
        if b == -np.inf:
            continue
        pb = 10.0 ** (0.1 * b)
        interf = max(total[c] - pb, 0.0)
        best_out[c] = b
        sinr[c] = 10.0 * math.log10(pb / (load_factor * interf + noise_mw))
    overlap = np.zeros(n_cells, dtype=np.uint8)
    for i in range(rows.size):
        s = rows[i]
        for k in range(indptr[s], indptr[s + 1]):
            c = indices[k]
            b = best[c]
            if b >= min_best_dbm and float(rsrp_dbm[k]) >= b - window_db and overlap[c] < OVERLAP_MAX:
                overlap[c] += 1
    return best_out, sinr, overlap


@jit
def accumulate_power(indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp_dbm: NDArray[np.float32],
                     total_mw: NDArray[np.float64], best_dbm: NDArray[np.float64]) -> None:
    """Add every row of a CSR received-power matrix to per-cell accumulators (first sweep of the chunked form).

    ``total_mw[c]`` += the row's power (mW); ``best_dbm[c]`` = max(itself, the row's power in
    dBm). Start them at 0 and −inf; feed the matrices of every chunk of sites; then
    :func:`finish_sinr`. Only the accumulators are written.
    """
    for s in range(indptr.size - 1):
        for k in range(indptr[s], indptr[s + 1]):
            c = indices[k]
            v = float(rsrp_dbm[k])
            total_mw[c] += 10.0 ** (0.1 * v)
            if v > best_dbm[c]:
                best_dbm[c] = v


@jit
def finish_sinr(total_mw: NDArray[np.float64], best_dbm: NDArray[np.float64], load_factor: float,
                noise_mw: float) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Best server (dBm) and SS-SINR (dB) per cell from the accumulators; NaN where no row reached."""
    n = total_mw.size
    best_out = np.full(n, np.nan, dtype=np.float32)
    sinr = np.full(n, np.nan, dtype=np.float32)
    for c in range(n):
        b = best_dbm[c]
        if b == -np.inf:
            continue
        pb = 10.0 ** (0.1 * b)
        interf = max(total_mw[c] - pb, 0.0)
        best_out[c] = b
        sinr[c] = 10.0 * math.log10(pb / (load_factor * interf + noise_mw))
    return best_out, sinr


@jit
def count_overlap(indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp_dbm: NDArray[np.float32],
                  best_dbm: NDArray[np.float64], window_db: float, min_best_dbm: float,
                  overlap: NDArray[np.uint8]) -> None:
    """Second sweep: ``overlap[c]`` += 1 for each row within ``window_db`` of the final best, where that
    best reaches ``min_best_dbm`` (saturating at 255). Only ``overlap`` is written.
    """
    for s in range(indptr.size - 1):
        for k in range(indptr[s], indptr[s + 1]):
            c = indices[k]
            b = best_dbm[c]
            if b >= min_best_dbm and float(rsrp_dbm[k]) >= b - window_db and overlap[c] < OVERLAP_MAX:
                overlap[c] += 1
