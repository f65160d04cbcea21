"""Reductions of a :class:`CoverageProblem` before solving.

The reduced model keeps only the free columns (not fixed, not forbidden, not blocked by a
fixed site's conflict or group, not dominated) and the rows that still matter; rows with the
same column set, area and remaining requirement are merged (weights added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize.problem import CoverageProblem

EPS = 1e-9


@dataclass
class Reduced:
    """A reduced problem over free columns and merged rows (see module docstring)."""

    cols: NDArray[np.int64]            # original index of each free column
    base: NDArray[np.bool_]            # original columns selected before solving (fixed + essential)
    a: sp.csr_matrix                   # merged rows × free columns
    w: NDArray[np.float64]             # merged row weight
    area: NDArray[np.int64]            # area of each merged row
    k: NDArray[np.int64]               # remaining requirement (≥ 1)
    hard: NDArray[np.bool_]            # must be covered (min_cost, target-1 areas)
    need: NDArray[np.float64]          # weight each area still needs (min_cost), ≤ 0 = none
    const_w: NDArray[np.float64]       # weight already covered per area by the base selection
    lost_w: NDArray[np.float64]        # weight per area no allowed selection can cover
    total_w: NDArray[np.float64]       # weight per area
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return int(self.cols.size)


def _row_keys(a: sp.csr_matrix, extra: NDArray[np.int64], seed: int = 12345) -> NDArray[np.uint64]:
    """64-bit hash of each row's column set and an extra key (area, k)."""
    rng = np.random.default_rng(seed)
    n = a.shape[1]
    r = rng.integers(1, 2**63 - 1, size=n + 1, dtype=np.int64).astype(np.uint64)
    vals = r[a.indices]
    h = np.zeros(a.shape[0], dtype=np.uint64)
    nz = np.diff(a.indptr) > 0
    if a.nnz:
        sums = np.add.reduceat(vals, a.indptr[:-1][nz].astype(np.int64))
        h[nz] = sums
    mix = rng.integers(1, 2**63 - 1, size=2, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = h * mix[0] + extra.astype(np.uint64) * mix[1]
    return h


def merge_rows(a: sp.csr_matrix, w: NDArray[np.float64], area: NDArray[np.int64], k: NDArray[np.int64],
               hard: NDArray[np.bool_]) -> tuple[sp.csr_matrix, NDArray[np.float64], NDArray[np.int64],
                                                 NDArray[np.int64], NDArray[np.bool_]]:
    """Merge rows with identical column sets, area, requirement and hardness (weights add)."""
    if a.shape[0] == 0:
        return a, w, area, k, hard
    extra = (area.astype(np.int64) * 64 + k.astype(np.int64)) * 2 + hard.astype(np.int64)
    key = _row_keys(a, extra)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    # keep the merged rows in order of first appearance (deterministic, stable)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    inv2 = rank[inv.ravel()]
    reps = first[order]
    w2 = np.bincount(inv2, weights=w, minlength=reps.size).astype(np.float64)
    a2 = a[reps]
    # verify (hash collisions): every row must equal its representative
    nnz_rows = np.diff(a.indptr)
    if not np.array_equal(nnz_rows, np.diff(a2.indptr)[inv2]):
        raise RuntimeError("row hash collision")  # pragma: no cover
    return sp.csr_matrix(a2), w2, area[reps], k[reps], hard[reps]


def reduce_problem(p: CoverageProblem, objective: str) -> Reduced:
    """Fix, drop and merge (see module docstring); ``objective`` decides which rows are hard."""
    assert p.fixed is not None and p.forbidden is not None and p.col_group is not None
    m, n = p.a.shape
    stats: dict[str, Any] = {"rows_in": m, "cols_in": n, "nnz_in": int(p.a.nnz)}
    fixed = p.fixed.copy()
    blocked = p.forbidden.copy()
    # a fixed site blocks its conflict partners and the rest of its pole group
    if p.conflicts is not None:
        ca, cb = p.conflicts[:, 0], p.conflicts[:, 1]
        blocked[cb[fixed[ca]]] = True
        blocked[ca[fixed[cb]]] = True
    grp = p.col_group
    if (grp >= 0).any():
        fixed_groups = np.unique(grp[fixed & (grp >= 0)])
        blocked |= np.isin(grp, fixed_groups) & (grp >= 0)
    if p.type_caps and p.col_type is not None:
        for t, cap in p.type_caps.items():
            if cap <= 0:
                blocked |= p.col_type == t
    if p.max_sites is not None and p.max_sites == 0 and objective != "min_cost":
        blocked[:] = True
    blocked &= ~fixed
    free = ~fixed & ~blocked
    total_w = np.bincount(p.row_area, weights=p.row_weight, minlength=p.n_areas).astype(np.float64)
    csc = p.a.tocsc()
    fixed_cnt = np.asarray(p.a[:, np.flatnonzero(fixed)].sum(axis=1)).ravel().astype(np.int64) if fixed.any() else np.zeros(m, np.int64)
    k_rem = np.maximum(p.row_k - fixed_cnt, 0)
    free_idx = np.flatnonzero(free)
    free_cnt = np.asarray(csc[:, free_idx].sum(axis=1)).ravel().astype(np.int64) if free_idx.size else np.zeros(m, np.int64)
    done = k_rem == 0
    lost = (~done) & (free_cnt < k_rem)
    const_w = np.bincount(p.row_area[done], weights=p.row_weight[done], minlength=p.n_areas).astype(np.float64)
    lost_w = np.bincount(p.row_area[lost], weights=p.row_weight[lost], minlength=p.n_areas).astype(np.float64)
    if objective == "min_cost":
        req = p.area_target * total_w
        need = req - const_w
        hard_area = p.area_target >= 1.0 - EPS
        active_area = need > EPS * np.maximum(total_w, 1.0)
    else:
        need = np.full(p.n_areas, np.inf)
        hard_area = np.zeros(p.n_areas, dtype=bool)
        active_area = np.ones(p.n_areas, dtype=bool)
    live = ~done & ~lost & active_area[p.row_area] & (p.row_weight > 0)
    live_idx = np.flatnonzero(live)
    a = sp.csr_matrix(p.a[live_idx][:, free_idx])
    w = p.row_weight[live_idx]
    area = p.row_area[live_idx]
    k = k_rem[live_idx]
    hard = hard_area[area]
    stats["rows_done_by_fixed"] = int(done.sum())
    stats["rows_unreachable"] = int(lost.sum())
    stats["cols_fixed"] = int(fixed.sum())
    stats["cols_blocked"] = int((blocked & ~p.forbidden).sum())
    stats["cols_forbidden"] = int(p.forbidden.sum())
    n_before = a.shape[0]
    a, w, area, k, hard = merge_rows(a, w, area, k, hard)
    stats["rows_merged_away"] = int(n_before - a.shape[0])
    base = fixed.copy()
    cols = free_idx.astype(np.int64)
    stats["rows_out"] = int(a.shape[0])
    stats["cols_out"] = int(cols.size)
    stats["nnz_out"] = int(a.nnz)
    return Reduced(cols=cols, base=base, a=a, w=w, area=area.astype(np.int64), k=k.astype(np.int64), hard=hard,
                   need=need, const_w=const_w, lost_w=lost_w, total_w=total_w, stats=stats)
