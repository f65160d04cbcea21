r"""Border re-optimisation of a stitched plan: windows across the tile borders solved again.

The tiles of :mod:`planner.optimize.decompose` each cover their own rows, so sites on both
sides of a border serve the strip between them twice. :func:`window_pass` lays squares of the
tile side shifted by a fraction of a tile (by half a tile each window is centred on a corner
where four tiles meet) and, in a fixed order, re-solves each window's columns with every
selected site outside it kept:

* rows: those the window's columns reach; a row's requirement is what the outside sites leave
  (``k_i`` less the outside sites covering it; rows they already serve drop out);
* area targets: the weight the current plan covers in those rows, less the area's surplus over
  its target in the whole plan (so a window may give up coverage another part has in excess,
  never below the whole area's target); hard areas stay fully covered;
* the engine (:func:`improve_window`) starts from the current sites of the window, which meet
  those targets: the project's local search (:func:`planner.optimize._heuristics.improve`) from
  that plan, optionally after the CFT engine of :mod:`planner.optimize._cft_partial` with it as
  incumbent (:data:`WINDOW_CFT_SHARE` of the window's work); the window's new sites replace the
  current ones only when they cost less and every target of the whole model stays met, so the
  plan never gets worse or infeasible.

Starting from the current plan matters: re-solving a window from scratch (the greedy back-end
of :func:`planner.optimize.solve`) took a cheaper plan in 46 of the central city's 80
half-shifted windows (−1,857 万元); starting from the incumbent, 74 of 80 (−3,239) on the
same plan and work.

Deterministic: windows in row-major order, each on a work share proportional to its nonzeros,
the scenario's seed; the wall clock is only a safety stop. The row counts of the plan are kept
up to date window by window (no product over the whole matrix per window).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize.problem import CoverageProblem

#: share of a window's work given to the CFT engine from the current plan (the rest: the local search).
#: Central city, one 3 km half-shifted pass on the stitched plan: 0.3 saved 3,218 万元 in 3,113 counted units,
#: the search alone 3,090 in 2,502; whole solves at 180 s: 0.3 -> 289,794, 0.15 -> 289,455, 0 -> 289,418
#: (more passes fit in the budget)
WINDOW_CFT_SHARE = 0.0


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


def improve_window(win: CoverageProblem, inc: NDArray[np.bool_], work: float, seed: int,
                   deadline: float = math.inf) -> tuple[NDArray[np.bool_], float]:
    """A plan of ``win`` at most as dear as ``inc`` (a plan meeting its targets): the CFT engine, then the search.

    ``work``: work units (:data:`planner.optimize._budget.OPS_PER_UNIT` counted operations each);
    ``deadline``: the safety stop (``time.perf_counter()``). Returns the plan (``inc`` when nothing cheaper
    is found or the model is not one the engine handles) and the work units the engine and the search
    counted (the search runs whole chunks, so a small window may count more than ``work``).
    """
    from planner.optimize._budget import OPS_PER_UNIT
    from planner.optimize._cft_partial import cft_partial_solve
    from planner.optimize._heuristics import _meets_targets, improve
    from planner.optimize._reduce import reduce_problem
    from planner.optimize._side import side_of

    red = reduce_problem(win, "min_cost", dominance=False)  # no dominance: ``inc`` stays a plan of it
    if red.stats.get("infeasible_reason") or red.n_cols == 0 or red.a.shape[0] == 0 or not (inc | ~red.base).all():
        return inc, 0.0
    side = side_of(win, red, "min_cost")
    start = inc[red.cols]
    if not _meets_targets(red, start):
        return inc, 0.0
    ops = float(work) * OPS_PER_UNIT
    best = start
    counted = 0.0
    if WINDOW_CFT_SHARE > 0 and not bool(red.hard.all()):  # the engine's partial-target form
        wall = max(0.0, deadline - time.perf_counter()) if math.isfinite(deadline) else None
        res = cft_partial_solve(red, side, work_limit=int(ops * WINDOW_CFT_SHARE), seed=seed, incumbent=start,
                                wall_limit_s=wall)
        counted += float(res.work)
        if res.feasible and float(side.cost[res.selected].sum()) < float(side.cost[best].sum()):
            best = res.selected
        ops *= 1.0 - WINDOW_CFT_SHARE
    st: dict[str, Any] = {}
    found = improve(red, side, "min_cost", best, ops, seed=seed, stats=st, deadline=deadline)
    counted += float(st.get("local_search", {}).get("ops", 0.0))
    if _meets_targets(red, found) and float(side.cost[found].sum()) < float(side.cost[best].sum()):
        best = found
    out = red.base.copy()
    out[red.cols[best]] = True
    return out, counted / OPS_PER_UNIT


def window_pass(problem: CoverageProblem, sel: NDArray[np.bool_], csc: sp.csc_matrix, x_m: NDArray[np.float64],
                y_m: NDArray[np.float64], tile_m: float, units: float, seed: int, shift: float = 0.5,
                deadline: float = math.inf, max_units: float = math.inf) -> dict[str, Any]:
    """Re-solve every border window of the plan ``sel`` (changed in place); what it did.

    ``units``: work units of the whole pass, split over the windows by their nonzeros (``"work"`` in the
    result: the units the windows counted); ``max_units``: no window starts once the pass has counted
    this many (``"budget_spent"``: True); ``deadline``: the wall-clock safety stop
    (``time.perf_counter()``), shared by the windows.
    """
    assert problem.fixed is not None and problem.forbidden is not None and problem.col_group is not None
    keys = window_keys(x_m, y_m, tile_m, shift)
    free = ~problem.fixed & ~problem.forbidden
    if (problem.col_group >= 0).any():  # pole groups: left to the repair
        free &= problem.col_group < 0
    if problem.conflicts is not None and problem.conflicts.size:
        free[np.unique(problem.conflicts)] = False
    a = problem.a
    k_all, w_all, area_all = problem.row_k, problem.row_weight, problem.row_area
    total = np.bincount(area_all, weights=w_all, minlength=problem.n_areas)
    need = problem.area_target * total * (1 - 1e-12)
    hard = problem.area_target >= 1.0 - 1e-9
    cnt = np.asarray(a @ sel.astype(np.int64)).ravel()  # kept up to date window by window
    cov = np.bincount(area_all, weights=w_all * (cnt >= k_all), minlength=problem.n_areas)
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.r_[True, np.diff(keys[order]) != 0])
    groups = np.split(order, cuts[1:])
    col_nnz = np.diff(csc.indptr)
    sizes = np.array([float(col_nnz[g].sum()) for g in groups])
    out: dict[str, Any] = {"windows": len(groups), "improved": 0, "gain": 0.0, "solved": 0, "work": 0.0}
    for g, size in zip(groups, sizes.tolist(), strict=True):
        cols = np.sort(g[free[g]])
        if cols.size == 0:
            continue
        if time.perf_counter() >= deadline:
            out["time_limited"] = True
            break
        if out["work"] >= max_units:
            out["budget_spent"] = True
            break
        rows = np.unique(csc[:, cols].indices)
        sub_all = sp.csr_matrix(a[rows][:, cols])
        cnt_all = cnt[rows]
        cnt_out = cnt_all - np.asarray(sub_all @ sel[cols].astype(np.int64)).ravel()
        k = k_all[rows]
        k_rem = k - np.minimum(cnt_out, k)
        live = k_rem > 0
        if not live.any():
            continue
        surplus = np.maximum(cov - need, 0.0)
        r_live = rows[live]
        w, area = w_all[r_live], area_all[r_live]
        cur = np.bincount(area, weights=w * (cnt_all[live] >= k[live]), minlength=problem.n_areas)
        w_tot = np.bincount(area, weights=w, minlength=problem.n_areas)
        want = np.where(hard, cur, np.maximum(cur - surplus, 0.0))
        frac = np.minimum(1.0, np.divide(want, w_tot, out=np.zeros_like(w_tot), where=w_tot > 0) * (1 - 1e-12))
        used = np.flatnonzero(w_tot > 0)
        remap = np.full(problem.n_areas, -1, dtype=np.int64)
        remap[used] = np.arange(used.size)
        win = CoverageProblem(a=sp.csr_matrix(sub_all[np.flatnonzero(live)]), cost=problem.cost[cols], row_weight=w,
                              row_area=remap[area], row_k=k_rem[live], area_target=frac[used],
                              area_names=[problem.area_names[i] for i in used.tolist()])
        work = max(1.0, units * size / max(sizes.sum(), 1.0))
        new, counted = improve_window(win, sel[cols].copy(), work, seed, deadline)
        out["solved"] += 1
        out["work"] += counted
        before = float(problem.cost[cols][sel[cols]].sum())
        after = float(problem.cost[cols][new].sum())
        if after >= before - 1e-9:
            continue
        delta = new.astype(np.int64) - sel[cols].astype(np.int64)
        cnt2 = cnt_all + np.asarray(sub_all @ delta).ravel()
        was, now = cnt_all >= k, cnt2 >= k
        cov2 = cov + np.bincount(area_all[rows], weights=w_all[rows] * (now.astype(np.float64) - was),
                                 minlength=problem.n_areas)
        if ((cov2 >= need) | (cov2 >= cov)).all():  # no area falls below its target
            sel[cols] = new
            cnt[rows] = cnt2
            cov = np.bincount(area_all, weights=w_all * (cnt >= k_all), minlength=problem.n_areas)  # exact again
            out["improved"] += 1
            out["gain"] += before - after
    out["work"] = round(out["work"], 3)
    return out
