"""Reductions of a :class:`CoverageProblem` before solving.

The reduced model keeps only the free columns (not fixed, not forbidden, not blocked by a
fixed site's conflict or group, not dominated) and the rows that still matter; rows with the
same column set, area and remaining requirement are merged (weights added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize.problem import CoverageProblem

EPS = 1e-9


@dataclass
class Reduced:
    """A reduced problem over free columns and merged rows (see module docstring)."""

    cols: NDArray[np.int64]  # original index of each free column
    base: NDArray[np.bool_]  # original columns selected before solving (fixed + essential)
    a: sp.csr_matrix  # merged rows × free columns
    w: NDArray[np.float64]  # merged row weight
    area: NDArray[np.int64]  # area of each merged row
    k: NDArray[np.int64]  # remaining requirement (≥ 1)
    hard: NDArray[np.bool_]  # must be covered (min_cost, target-1 areas)
    need: NDArray[np.float64]  # weight each area still needs (min_cost), ≤ 0 = none
    const_w: NDArray[np.float64]  # weight already covered per area by the base selection
    lost_w: NDArray[np.float64]  # weight per area no allowed selection can cover
    total_w: NDArray[np.float64]  # weight per area
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
    return cast(NDArray[np.uint64], h)


def merge_rows(
    a: sp.csr_matrix, w: NDArray[np.float64], area: NDArray[np.int64], k: NDArray[np.int64], hard: NDArray[np.bool_]
) -> tuple[sp.csr_matrix, NDArray[np.float64], NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
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


def _blocked_by(p: CoverageProblem, base: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Columns a selected base column excludes: conflict partners, pole-group mates, full type caps."""
    blocked = np.zeros(p.n_cols, dtype=bool)
    if p.conflicts.size:
        ca, cb = p.conflicts[:, 0], p.conflicts[:, 1]
        blocked[cb[base[ca]]] = True
        blocked[ca[base[cb]]] = True
    grp = p.col_group
    if (grp >= 0).any():
        blocked |= np.isin(grp, np.unique(grp[base & (grp >= 0)])) & (grp >= 0)
    if p.type_caps:
        added = base & ~p.fixed
        for t, cap in p.type_caps.items():
            members = p.col_type == t
            if int((added & members).sum()) >= cap:
                blocked |= members
    return blocked & ~base


def _side_violation(p: CoverageProblem, base: NDArray[np.bool_]) -> str:
    """A side constraint that the forced columns already break ('' when none)."""
    forced = base & ~p.fixed
    if p.conflicts.size:
        both = (
            base[p.conflicts[:, 0]] & base[p.conflicts[:, 1]] & (forced[p.conflicts[:, 0]] | forced[p.conflicts[:, 1]])
        )
        if both.any():
            a_, b_ = p.conflicts[np.flatnonzero(both)[0]]
            return (
                f"sites {p.col_ids[a_]} and {p.col_ids[b_]} are both indispensable "
                "but closer than the minimum separation"
            )
    grp = p.col_group
    for g in np.unique(grp[forced & (grp >= 0)]):
        members = base & (grp == g)
        if members.sum() > max(1, int((p.fixed & (grp == g)).sum())):
            return f"pole group {int(g)} needs two indispensable sites"
    if p.type_caps:
        for t, cap in p.type_caps.items():
            if int((forced & (p.col_type == t)).sum()) > cap:
                return f"more indispensable {t} sites than its cap of {cap}"
    return ""


def reduce_problem(p: CoverageProblem, objective: str, dominance: bool = True, max_checks: int = 50_000_000) -> Reduced:
    """Fix, drop and merge (see module docstring); ``objective`` decides which rows are hard.

    ``min_cost`` makes the rows of target-1 areas hard (they must be covered), which enables
    essential columns (the only way to cover a hard row) and row dominance. ``max_checks``
    bounds the subset tests of each dominance pass (a work limit; ``stats["dominance_checks"]``
    counts those run).
    """
    from kernels.setcover import dominated_columns, dominated_rows

    m, n = p.a.shape
    stats: dict[str, Any] = {"rows_in": m, "cols_in": n, "nnz_in": int(p.a.nnz)}
    fixed = p.fixed.copy()
    base = fixed.copy()
    csc = p.a.tocsc()
    total_w = np.bincount(p.row_area, weights=p.row_weight, minlength=p.n_areas).astype(np.float64)
    hard_area = (p.area_target >= 1.0 - EPS) if objective == "min_cost" else np.zeros(p.n_areas, dtype=bool)
    n_ess = 0
    for _ in range(50):
        blocked = (p.forbidden | _blocked_by(p, base)) & ~base
        if p.max_sites is not None and objective != "min_cost" and int((base & ~fixed).sum()) >= p.max_sites:
            blocked |= ~base
        free = ~base & ~blocked
        base_cnt = np.asarray(csc @ base.astype(np.int64)).ravel()
        free_cnt = np.asarray(csc @ free.astype(np.int64)).ravel()
        k_rem = np.maximum(p.row_k - base_cnt, 0)
        done = k_rem == 0
        lost = (~done) & (free_cnt < k_rem)
        if objective != "min_cost":
            break
        ess_rows = np.flatnonzero(hard_area[p.row_area] & ~done & ~lost & (free_cnt == k_rem) & (p.row_weight > 0))
        if ess_rows.size == 0:
            break
        new = np.zeros(n, dtype=bool)
        new[p.a[ess_rows].indices] = True
        new &= free
        if not new.any():
            break
        n_ess += int(new.sum())
        base |= new
    stats["infeasible_reason"] = _side_violation(p, base)
    const_w = np.bincount(p.row_area[done], weights=p.row_weight[done], minlength=p.n_areas).astype(np.float64)
    lost_w = np.bincount(p.row_area[lost], weights=p.row_weight[lost], minlength=p.n_areas).astype(np.float64)
    if objective == "min_cost":
        need = p.area_target * total_w - const_w
        active_area = need > EPS * np.maximum(total_w, 1.0)
    else:
        need = np.full(p.n_areas, np.inf)
        active_area = np.ones(p.n_areas, dtype=bool)
    live = ~done & ~lost & active_area[p.row_area] & (p.row_weight > 0)
    live_idx = np.flatnonzero(live)
    free_idx = np.flatnonzero(free)
    a = sp.csr_matrix(p.a[live_idx][:, free_idx])
    w = p.row_weight[live_idx]
    area = p.row_area[live_idx]
    k = k_rem[live_idx]
    hard = hard_area[area]
    stats["rows_done_before"] = int(done.sum())
    stats["rows_unreachable"] = int(lost.sum())
    stats["cols_fixed"] = int(fixed.sum())
    stats["cols_essential"] = n_ess
    stats["cols_blocked"] = int((blocked & ~p.forbidden).sum())
    stats["cols_forbidden"] = int(p.forbidden.sum())
    n_before = a.shape[0]
    a, w, area, k, hard = merge_rows(a, w, area, k, hard)
    stats["rows_merged_away"] = int(n_before - a.shape[0])
    cols = free_idx.astype(np.int64)
    stats["rows_dominated"] = 0
    stats["cols_dominated"] = 0
    stats["dominance_checks"] = 0
    if dominance and a.shape[0] and cols.size:
        a.sort_indices()
        c = a.tocsc()
        c.sort_indices()
        r_ptr, r_idx = a.indptr.astype(np.int64), a.indices.astype(np.int64)
        c_ptr, c_idx = c.indptr.astype(np.int64), c.indices.astype(np.int64)
        if objective == "min_cost":
            elig_r = hard & (k == 1)
            if elig_r.any():
                drop_r, n_chk = dominated_rows(r_ptr, r_idx, c_ptr, c_idx, elig_r, int(max_checks))
                stats["dominance_checks"] += int(n_chk)
                if drop_r.any():
                    keep = np.flatnonzero(~drop_r)
                    stats["rows_dominated"] = int(drop_r.sum())
                    a, w, area, k, hard = sp.csr_matrix(a[keep]), w[keep], area[keep], k[keep], hard[keep]
                    c = a.tocsc()
                    c.sort_indices()
                    r_ptr, r_idx = a.indptr.astype(np.int64), a.indices.astype(np.int64)
                    c_ptr, c_idx = c.indptr.astype(np.int64), c.indices.astype(np.int64)
        elig_c = np.ones(cols.size, dtype=bool)
        if p.conflicts.size:
            elig_c &= ~np.isin(cols, p.conflicts.ravel())
        g = p.col_group[cols]
        if (g >= 0).any():
            vals, counts = np.unique(g[g >= 0], return_counts=True)
            elig_c &= ~np.isin(g, vals[counts > 1])
        if p.type_caps:
            elig_c &= ~np.isin(p.col_type[cols], list(p.type_caps))
        multi_k = np.zeros(cols.size, dtype=bool)
        if (k > 1).any():
            multi_k[np.unique(a[np.flatnonzero(k > 1)].indices)] = True
        elig_c &= ~multi_k
        drop_c, n_chk = dominated_columns(
            c_ptr, c_idx, r_ptr, r_idx, p.cost[cols].astype(np.float64), elig_c, int(max_checks)
        )
        stats["dominance_checks"] += int(n_chk)
        if drop_c.any():
            keep_c = np.flatnonzero(~drop_c)
            stats["cols_dominated"] = int(drop_c.sum())
            a = sp.csr_matrix(a[:, keep_c])
            cols = cols[keep_c]
    if objective == "min_cost":  # hard areas need every remaining row
        for ar in np.flatnonzero(hard_area):
            need[ar] = float(w[area == ar].sum()) if need[ar] > 0 else need[ar]
    stats["rows_out"] = int(a.shape[0])
    stats["cols_out"] = int(cols.size)
    stats["nnz_out"] = int(a.nnz)
    return Reduced(
        cols=cols,
        base=base,
        a=a,
        w=w.astype(np.float64),
        area=area.astype(np.int64),
        k=k.astype(np.int64),
        hard=hard,
        need=need.astype(np.float64),
        const_w=const_w,
        lost_w=lost_w,
        total_w=total_w,
        stats=stats,
    )
