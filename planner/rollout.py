"""Build order (建设时序) of a plan's sites: coverage against the number of sites built.

A plan is rarely built in one go; planners phase it (一期/二期). The order here is the
greedy one: sites already on air come first (rank 0), then, one at a time, the site that
adds the most weighted coverage. A demand row that needs ``k`` sites credits each site that
brings it closer to ``k`` with ``w / k`` until it is served, so k-coverage areas are not
left to the end. The curve reports the weighted share of demand served (covered by at least
``k`` sites) after each site, the same measure as the per-area coverage table.

The greedy order guarantees the classic ``1 - 1/e`` share of the best coverage any set of the
same size drawn from the plan could give (for k = 1); it is a phasing aid, not a new plan.
"""

from __future__ import annotations

import heapq
from typing import cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


def rollout_order(
    site_rows: sp.csr_matrix,
    row_weight: NDArray[np.float64],
    row_k: NDArray[np.int64],
    on_air: NDArray[np.bool_],
    cost: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Greedy build order of the sites of a plan.

    Parameters
    ----------
    site_rows : scipy.sparse.csr_matrix, shape (n_sites, n_rows)
        Nonzero where a site covers a demand row.
    row_weight : ndarray of float, shape (n_rows,)
        Demand weight of each row.
    row_k : ndarray of int, shape (n_rows,)
        Sites a row needs to count as served (k-coverage).
    on_air : ndarray of bool, shape (n_sites,)
        Sites already on air: rank 0, counted before any other.
    cost : ndarray of float, optional
        Not used for the order (coverage per site, not per 万元); ties in gain go to the
        cheaper site, then the lower index, so the order is deterministic.

    Returns
    -------
    rank : ndarray of int, shape (n_sites,)
        0 for on-air sites, then 1, 2, ... in build order.
    served : ndarray of float, shape (n_sites,)
        Weighted share of all demand served once the site is built (on-air sites: the
        share the on-air network serves; 0 when there is no demand weight).
    """
    m = site_rows.tocsr()
    m.sort_indices()
    n_sites = m.shape[0]
    w = np.asarray(row_weight, dtype=np.float64)
    k = np.maximum(np.asarray(row_k, dtype=np.int64), 1)
    total = float(w.sum())
    cost_arr = np.zeros(n_sites) if cost is None else np.asarray(cost, dtype=np.float64)
    count = np.zeros(w.size, dtype=np.int64)
    rank = np.zeros(n_sites, dtype=np.int64)
    served = np.zeros(n_sites, dtype=np.float64)
    credit = w / k

    def rows_of(j: int) -> NDArray[np.int32]:
        return cast(NDArray[np.int32], m.indices[m.indptr[j]:m.indptr[j + 1]])

    def gain(j: int) -> float:
        r = rows_of(j)
        return float(credit[r][count[r] < k[r]].sum())

    done = 0.0
    air = np.asarray(on_air, dtype=bool)
    for s in np.flatnonzero(air).tolist():
        r = rows_of(s)
        before = count[r] >= k[r]
        count[r] += 1
        done += float(w[r][(count[r] >= k[r]) & ~before].sum())
    served[air] = done / total if total > 0 else 0.0

    heap: list[tuple[float, float, int]] = [(-gain(s), float(cost_arr[s]), s) for s in np.flatnonzero(~air).tolist()]
    heapq.heapify(heap)
    step = 0
    while heap:
        _, c, j = heapq.heappop(heap)
        fresh = (-gain(j), c, j)
        # gains only fall, so a queued key is a bound: take the site when its fresh key still leads
        if heap and fresh > heap[0]:
            heapq.heappush(heap, fresh)
            continue
        r = rows_of(j)
        before = count[r] >= k[r]
        count[r] += 1
        done += float(w[r][(count[r] >= k[r]) & ~before].sum())
        step += 1
        rank[j] = step
        served[j] = done / total if total > 0 else 0.0
    return rank, served


def rollout_reference(
    site_rows: sp.csr_matrix,
    row_weight: NDArray[np.float64],
    row_k: NDArray[np.int64],
    on_air: NDArray[np.bool_],
    cost: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Slow reference of :func:`rollout_order`: recompute every gain at every step."""
    dense = site_rows.toarray() != 0
    n_sites = dense.shape[0]
    w = np.asarray(row_weight, dtype=np.float64)
    k = np.maximum(np.asarray(row_k, dtype=np.int64), 1)
    total = float(w.sum())
    cost_arr = np.zeros(n_sites) if cost is None else np.asarray(cost, dtype=np.float64)
    count = np.zeros(w.size, dtype=np.int64)
    rank = np.zeros(n_sites, dtype=np.int64)
    served = np.zeros(n_sites)
    for j in range(n_sites):
        if on_air[j]:
            count += dense[j]
    base = float(w[count >= k].sum()) / total if total > 0 else 0.0
    served[np.asarray(on_air, dtype=bool)] = base
    left = [j for j in range(n_sites) if not on_air[j]]
    step = 0
    while left:
        gains = [float((w / k)[dense[j] & (count < k)].sum()) for j in left]
        best = max(gains)
        tied = [j for j, g in zip(left, gains, strict=True) if g == best]
        j = min(tied, key=lambda t: (cost_arr[t], t))
        count += dense[j]
        step += 1
        rank[j] = step
        served[j] = float(w[count >= k].sum()) / total if total > 0 else 0.0
        left.remove(j)
    return rank, served
