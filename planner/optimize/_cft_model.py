"""The reduced min-cost model in the arrays of the partial-target CFT engine, and its residual
after some columns are taken (:mod:`planner.optimize._cft_partial`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize._reduce import Reduced
from planner.optimize._side import Side


class PartialModel:
    """Arrays of a reduced min-cost model in the form the kernels take (model: :mod:`kernels.cft_partial`)."""

    def __init__(self, red: Reduced, side: Side) -> None:
        a = sp.csc_matrix(red.a, dtype=np.int8)
        a.sum_duplicates()
        a.sort_indices()
        a.data = np.ones(a.nnz, dtype=np.int8)
        self.a = a
        self.m, self.n = a.shape
        self.c_ptr = a.indptr.astype(np.int64)
        self.c_rows = a.indices.astype(np.int64)
        r = a.tocsr()
        r.sort_indices()
        self.r_ptr = r.indptr.astype(np.int64)
        self.r_cols = r.indices.astype(np.int64)
        self.cost = np.ascontiguousarray(side.cost, dtype=np.float64)
        self.k = np.ascontiguousarray(red.k, dtype=np.int64)
        self.w = np.ascontiguousarray(red.w, dtype=np.float64)
        self.area = np.ascontiguousarray(red.area, dtype=np.int64)
        self.hard = np.ascontiguousarray(red.hard, dtype=bool)
        tol = 1e-9 * np.maximum(red.total_w, 1.0)
        self.need = np.where(red.need > tol, red.need - tol, 0.0).astype(np.float64)
        self.n_areas = int(self.need.size)
        self.group = np.ascontiguousarray(side.group, dtype=np.int64)
        self.n_groups = int(side.n_groups)
        self.conf_ptr, self.conf_idx = side.conflict_csr()
        self.conflicts = side.conflicts
        self.ctype = np.ascontiguousarray(side.ctype, dtype=np.int64)
        self.cap = np.ascontiguousarray(side.cap, dtype=np.int64)
        self.has_side = bool(self.conflicts.size or self.n_groups or self.cap.size)

    def counts(self, sel: NDArray[np.bool_]) -> NDArray[np.int64]:
        """Covers of each row by the columns in ``sel``."""
        return np.asarray(self.a @ sel.astype(np.int64)).ravel().astype(np.int64)

    def area_cover(self, ok: NDArray[np.bool_]) -> NDArray[np.float64]:
        """Weight per area of the rows flagged in ``ok``."""
        return np.bincount(self.area, weights=self.w * ok, minlength=self.n_areas).astype(np.float64)

    def feasible(self, sel: NDArray[np.bool_]) -> bool:
        """Whether ``sel`` meets every hard row, area target, group, conflict and cap."""
        ok = self.counts(sel) >= self.k
        if (self.hard & ~ok).any() or (self.area_cover(ok) < self.need).any():
            return False
        if self.conflicts.size and (sel[self.conflicts[:, 0]] & sel[self.conflicts[:, 1]]).any():
            return False
        g = self.group[sel]
        if (np.bincount(g[g >= 0], minlength=1) > 1).any():
            return False
        t = self.ctype[sel]
        return not (self.cap.size and (np.bincount(t[t >= 0], minlength=self.cap.size) > self.cap).any())


class Residual:
    """The model left after taking the columns ``fixed``: allowed columns, rows' residual needs."""

    def __init__(self, pm: PartialModel, fixed: NDArray[np.bool_]) -> None:
        self.fixed = fixed
        cnt = pm.counts(fixed)
        k_res = np.maximum(pm.k - cnt, 0)
        done = k_res == 0
        self.need = np.maximum(pm.need - pm.area_cover(done & ~pm.hard), 0.0)
        active = (k_res > 0) & (pm.hard | (self.need[pm.area] > 0))
        self.k = np.where(active, k_res, 0).astype(np.int64)
        soft = np.flatnonzero(active & ~pm.hard)
        self.a_rows = soft[np.argsort(pm.area[soft], kind="stable")].astype(np.int64)
        self.a_ptr = np.searchsorted(pm.area[self.a_rows], np.arange(pm.n_areas + 1)).astype(np.int64)
        allowed = ~fixed
        self.gused = np.zeros(max(pm.n_groups, 1), dtype=bool)
        fg = pm.group[fixed]
        self.gused[fg[fg >= 0]] = True
        allowed &= ~((pm.group >= 0) & self.gused[np.maximum(pm.group, 0)])
        if pm.conflicts.size:
            ca, cb = pm.conflicts[:, 0], pm.conflicts[:, 1]
            allowed[cb[fixed[ca]]] = False
            allowed[ca[fixed[cb]]] = False
        self.cap_left = pm.cap.copy()
        if pm.cap.size:
            ft = pm.ctype[fixed]
            self.cap_left -= np.bincount(ft[ft >= 0], minlength=pm.cap.size)
            full = np.flatnonzero(self.cap_left <= 0)
            allowed &= ~np.isin(pm.ctype, full)
        self.allowed = allowed
        self.fixed_cost = float(pm.cost[fixed].sum())
        self.any = bool((self.k > 0).any())
