r"""Border re-optimisation of a stitched plan: windows across the tile borders solved again.

The tiles of :mod:`planner.optimize.decompose` each cover their own rows, so sites on both
sides of a border serve the strip between them twice. :func:`window_pass` lays squares of the
tile side shifted by half a tile (each window is centred on a corner where four tiles meet) and,
in a fixed order, re-solves each window's columns with every selected site outside it kept:

* rows: those the window's columns reach; a row's requirement is what the outside sites leave
  (``k_i`` less the outside sites covering it; rows they already serve drop out);
* area targets: the weight the current plan covers in those rows, less the area's surplus over
  its target in the whole plan (so a window may give up coverage another part has in excess,
  never below the whole area's target); hard areas stay fully covered;
* the window's new sites replace the current ones there only when they cost less and meet those
  targets (the current sites always do, so the plan never gets worse or infeasible).

Deterministic: windows in row-major order, each solved by :func:`planner.optimize.solve` on a
work share proportional to its nonzeros, one thread, the scenario's seed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize.problem import CoverageProblem


def window_keys(x_m: NDArray[np.float64], y_m: NDArray[np.float64], tile_m: float, shift: float = 0.5
                ) -> NDArray[np.int64]:
    """Row-major number of each column's window (squares of ``tile_m`` shifted by ``shift`` of a tile)."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0, dtype=np.int64)
    wx = np.floor((x - x.min() + shift * tile_m) / tile_m).astype(np.int64)
    wy = np.floor((y.max() - y + shift * tile_m) / tile_m).astype(np.int64)
    return np.asarray(wy * (int(wx.max()) + 1) + wx, dtype=np.int64)


def window_pass(problem: CoverageProblem, sel: NDArray[np.bool_], csc: sp.csc_matrix, x_m: NDArray[np.float64],
                y_m: NDArray[np.float64], tile_m: float, units: float, seed: int, backend: str,
                time_limit_s: float, shift: float = 0.5) -> dict[str, Any]:
    """Re-solve every border window of the plan ``sel`` (changed in place); what it did.

    ``units``: work units of the whole pass, split over the windows by their nonzeros;
    ``time_limit_s``: the windows' shared wall-clock safety stop.
    """
    from planner.optimize.solve import solve

    assert problem.fixed is not None and problem.forbidden is not None and problem.col_group is not None
    keys = window_keys(x_m, y_m, tile_m, shift)
    free = ~problem.fixed & ~problem.forbidden
    if problem.col_group is not None and (problem.col_group >= 0).any():  # pole groups: left to the repair
        free &= problem.col_group < 0
    if problem.conflicts is not None and problem.conflicts.size:
        free[np.unique(problem.conflicts)] = False
    a = problem.a
    total = np.bincount(problem.row_area, weights=problem.row_weight, minlength=problem.n_areas)
    need = problem.area_target * total * (1 - 1e-12)
    hard = problem.area_target >= 1.0 - 1e-9
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.r_[True, np.diff(keys[order]) != 0])
    groups = np.split(order, cuts[1:])
    sizes = np.array([float(np.diff(csc.indptr)[g].sum()) for g in groups])
    out = {"windows": len(groups), "improved": 0, "gain": 0.0, "solved": 0}
    for g, size in zip(groups, sizes.tolist(), strict=True):
        cols = np.sort(g[free[g]])
        if cols.size == 0:
            continue
        rows = np.unique(csc[:, cols].indices)
        inside = np.zeros(problem.n_cols, dtype=bool)
        inside[cols] = True
        cnt_all = np.asarray(a[rows] @ sel.astype(np.int64)).ravel()
        cnt_out = np.asarray(a[rows] @ (sel & ~inside).astype(np.int64)).ravel()
        k = problem.row_k[rows]
        k_rem = k - np.minimum(cnt_out, k)
        live = k_rem > 0
        if not live.any():
            continue
        cnt = np.asarray(a @ sel.astype(np.int64)).ravel()
        cov = np.bincount(problem.row_area, weights=problem.row_weight * (cnt >= problem.row_k),
                          minlength=problem.n_areas)
        surplus = np.maximum(cov - need, 0.0)
        r_live = rows[live]
        w, area = problem.row_weight[r_live], problem.row_area[r_live]
        cur = np.bincount(area, weights=w * (cnt_all[live] >= k[live]), minlength=problem.n_areas)
        w_tot = np.bincount(area, weights=w, minlength=problem.n_areas)
        want = np.where(hard, cur, np.maximum(cur - surplus, 0.0))
        frac = np.minimum(1.0, np.divide(want, w_tot, out=np.zeros_like(w_tot), where=w_tot > 0) * (1 - 1e-12))
        used = np.flatnonzero(w_tot > 0)
        remap = np.full(problem.n_areas, -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        sub = sp.csr_matrix(a[r_live][:, cols])
        win = CoverageProblem(a=sub, cost=problem.cost[cols], row_weight=w, row_area=remap[area], row_k=k_rem[live],
                              area_target=frac[used], area_names=[problem.area_names[i] for i in used.tolist()])
        work = max(1.0, units * size / max(sizes.sum(), 1.0))
        sol = solve(win, objective="min_cost", time_limit_s=time_limit_s, workers=1, seed=seed, backend=backend,
                    work_limit=work)
        out["solved"] += 1
        if sol.status not in ("optimal", "feasible") or not math.isfinite(sol.objective):
            continue
        before = float(problem.cost[cols][sel[cols]].sum())
        new = np.zeros(cols.size, dtype=bool)
        new[sol.selected] = True
        after = float(problem.cost[cols][new].sum())
        if after < before - 1e-9:
            trial = sel.copy()
            trial[cols] = new
            c2 = np.asarray(a @ trial.astype(np.int64)).ravel()
            cov2 = np.bincount(problem.row_area, weights=problem.row_weight * (c2 >= problem.row_k),
                               minlength=problem.n_areas)
            if (cov2 >= need).all():
                sel[cols] = new
                out["improved"] += 1
                out["gain"] += before - after
    return out
