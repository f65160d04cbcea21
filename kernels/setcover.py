"""Dominance tests for set-cover reductions (Beasley 1987; Caprara, Fischetti & Toth 2000, §2).

* Column ``j`` is dominated by column ``l`` when ``rows(j) ⊆ rows(l)`` and ``c_l ≤ c_j``
  (equal sets and costs: the larger index goes). Only *eligible* columns (no side
  constraint tells them apart, every row of ``j`` needs one cover) are compared.
* Row ``i`` is dominated by row ``r`` when ``cols(r) ⊆ cols(i)``: covering ``r`` covers ``i``
  (equal sets: the larger index goes). Only *eligible* rows (must be covered once) count.

Candidates are found through the rarest element: a dominating column contains the rarest
row of ``j``; a dominated row contains the rarest column of ``r``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit


@jit
def _subset(a_ptr: NDArray[np.int64], a_idx: NDArray[np.int64], i: int, j: int) -> bool:
    """Whether the sorted set of ``i`` is a subset of the sorted set of ``j``."""
    p, pe = a_ptr[i], a_ptr[i + 1]
    q, qe = a_ptr[j], a_ptr[j + 1]
    if pe - p > qe - q:
        return False
    while p < pe:
        v = a_idx[p]
        while q < qe and a_idx[q] < v:
            q += 1
        if q == qe or a_idx[q] != v:
            return False
        p += 1
        q += 1
    return True


@jit
def dominated_columns(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    cost: NDArray[np.float64],
    eligible: NDArray[np.bool_],
    max_checks: int,
) -> tuple[NDArray[np.bool_], int]:
    """Columns dominated by another eligible column (see module docstring), and the subset tests run.

    ``c_ptr/c_idx``: rows of each column (sorted); ``r_ptr/r_idx``: columns of each row.
    ``max_checks`` bounds the number of subset tests (work limit): past it the remaining
    columns are kept (a deterministic, weaker reduction).
    """
    n = cost.size
    out = np.zeros(n, dtype=np.bool_)
    checks = 0
    for j in range(n):
        if not eligible[j]:
            continue
        if c_ptr[j + 1] == c_ptr[j]:
            out[j] = True
            continue
        # rarest row of j
        best = -1
        bn = 1 << 62
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            d = r_ptr[i + 1] - r_ptr[i]
            if d < bn:
                bn = d
                best = i
        nj = c_ptr[j + 1] - c_ptr[j]
        for q in range(r_ptr[best], r_ptr[best + 1]):
            col = r_idx[q]
            if col == j or not eligible[col] or out[col]:
                continue
            if cost[col] > cost[j]:
                continue
            nl = c_ptr[col + 1] - c_ptr[col]
            if nl < nj:
                continue
            if nl == nj and cost[col] == cost[j] and col > j:
                continue
            checks += 1
            if _subset(c_ptr, c_idx, j, col):
                out[j] = True
                break
        if checks > max_checks:
            break
    return out, checks


@jit
def dominated_rows(
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    eligible: NDArray[np.bool_],
    max_checks: int,
) -> tuple[NDArray[np.bool_], int]:
    """Rows implied by another eligible row (see module docstring), and the subset tests run.

    At most ``max_checks`` tests plus those of one row.
    """
    m = r_ptr.size - 1
    out = np.zeros(m, dtype=np.bool_)
    checks = 0
    for r in range(m):
        if not eligible[r] or out[r] or r_ptr[r + 1] == r_ptr[r]:
            continue
        best = -1
        bn = 1 << 62
        for p in range(r_ptr[r], r_ptr[r + 1]):
            j = r_idx[p]
            d = c_ptr[j + 1] - c_ptr[j]
            if d < bn:
                bn = d
                best = j
        nr = r_ptr[r + 1] - r_ptr[r]
        for q in range(c_ptr[best], c_ptr[best + 1]):
            i = c_idx[q]
            if i == r or not eligible[i] or out[i]:
                continue
            ni = r_ptr[i + 1] - r_ptr[i]
            if ni < nr or (ni == nr and i < r):
                continue
            checks += 1
            if _subset(r_ptr, r_idx, r, i):
                out[i] = True
        if checks > max_checks:
            break
    return out, checks
