r"""Spatial decomposition of large min-cost models: tiles solved apart, stitched, repaired, polished.

Coverage is local (a site reaches a few hundred metres), so a city model splits into tiles whose
interactions are only along their borders. :func:`solve_decomposed`:

1. **Tiles.** Columns are placed in squares of :data:`TILE_M` metres laid from the candidates'
   north-west corner (a pole group goes with its lowest-index member). Each demand row is
   *owned* by the tile of its lowest-index covering column, so the rows are partitioned. Tile
   ``t``'s model holds its owned rows and every column that covers one of them (its own columns
   and a halo of its neighbours'). Nothing depends on the number of workers or on where a tile
   runs: the plan is the same sequentially, on a LocalCluster and on a Dask cluster.
2. **Targets.** An area ``A`` that spans tiles (``central_urban`` spans the city) gets the same
   share in every tile part: ``min(1, t_A · W_A / W_A^own)``, where ``W_A^own`` is the weight of
   its rows some column reaches, capped at what the part's allowed columns reach. If every part
   meets its share the union meets ``t_A`` (the parts' covered weights add up).
3. **Solve.** Each tile is :func:`planner.optimize.solve` on a share of the work budget
   proportional to its nonzeros (:data:`TILE_SHARE` in all), one solver thread (the CP-SAT
   interleaving then does not depend on the machine), the scenario's seed.
4. **Stitch and repair.** The union of the tiles' plans; a pole group or conflict pair broken
   across tiles keeps its fixed or lowest-index member; areas still under target (parts capped
   at their reach, side repairs) are repaired by a lazy greedy over the whole model (covered
   weight of the deficient areas per 万元).
5. **Polish.** Redundant sites are dropped, dearest first, while every target stays met; then
   the project's local search (:func:`planner.optimize._heuristics.improve`, :data:`LS_SHARE`)
   runs on the whole model from the stitched plan after the bound (where it applies: no pole
   groups or conflicts), and the redundant-site pass again.
6. **Bound.** One subgradient Lagrangian run on the *whole* reduced model
   (:func:`planner.optimize._exact.lagrangian_bound`, :data:`BOUND_SHARE` of the budget).
   Validity: the reductions (:func:`planner.optimize._reduce.reduce_problem`) keep every optimal
   plan's cost equal to ``base_cost`` plus an optimal plan of the reduced model; relaxing the
   cover and area constraints with multipliers ``u ≥ 0`` gives a Lagrangian function ``L(u)``
   that is at most the reduced model's optimum for every ``u`` (weak duality: for a feasible
   plan the relaxed terms are ≥ 0 and are subtracted). Hence ``base_cost + max_u L(u)`` is a
   lower bound of the whole model, and the gap reported is the true gap of the stitched plan
   against it. The tiles' own bounds are *not* summed (a halo column is priced in several
   tiles); their sum is reported for information only.

Memory: the tiles are cut one at a time from the CSR (O(nnz of the tile)); the reduced model
and the Lagrangian run are O(nnz) of the whole matrix.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize.problem import CoverageProblem

log = logging.getLogger(__name__)

#: models with more candidate columns than this are decomposed (the demo and the small
#: scenarios stay on the direct solve and keep their plans)
DECOMPOSE_MIN_COLS = 50_000
#: tile side (m): about 30 site radii of a street lamp, a few of a macro tower
TILE_M = 3000.0
#: share of the work budget given to the tiles (split by nonzeros), and to the global bound
TILE_SHARE = 0.5
BOUND_SHARE = 0.15
#: share of the work budget for the local search on the whole stitched plan
LS_SHARE = 0.25
#: a bound method name for the manifest and the report
BOUND_METHOD = "one subgradient Lagrangian run on the whole reduced model (kernels.lagrange)"

TileRunner = Callable[[Sequence[dict[str, Any]]], list[Any]]


def decompose_applies(problem: CoverageProblem, objective: str, min_cols: int = DECOMPOSE_MIN_COLS) -> bool:
    """Whether :func:`solve_decomposed` is used: min_cost, above ``min_cols`` columns, no per-type caps."""
    return objective == "min_cost" and problem.n_cols > min_cols and not problem.type_caps


def tile_of_columns(problem: CoverageProblem, x_m: NDArray[np.float64], y_m: NDArray[np.float64],
                    tile_m: float = TILE_M) -> NDArray[np.int64]:
    """Row-major tile number of each column (squares from the north-west corner; groups kept together)."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    tx = np.floor((x - x.min()) / tile_m).astype(np.int64) if x.size else np.zeros(0, np.int64)
    ty = np.floor((y.max() - y) / tile_m).astype(np.int64) if y.size else np.zeros(0, np.int64)
    key = ty * (int(tx.max()) + 1 if tx.size else 1) + tx
    grp = problem.col_group
    if grp is not None and (grp >= 0).any():
        g = np.flatnonzero(grp >= 0)
        order = g[np.lexsort((g, grp[g]))]  # by group, then index: each group's first is its lowest index
        first = np.r_[True, grp[order][1:] != grp[order][:-1]]
        lead = np.repeat(order[first], np.diff(np.r_[np.flatnonzero(first), order.size]))
        key[order] = key[lead]
    return np.asarray(key, dtype=np.int64)


def _tile_models(problem: CoverageProblem, col_tile: NDArray[np.int64]
                 ) -> tuple[list[tuple[NDArray[np.int64], CoverageProblem]], NDArray[np.int64]]:
    """(columns, model) of every non-empty tile, in tile order, and the owner tile of each row (−1: unreachable)."""
    a = problem.a
    assert problem.fixed is not None and problem.forbidden is not None and problem.col_group is not None
    assert problem.col_type is not None
    nz = np.diff(a.indptr) > 0
    owner = np.full(problem.n_rows, -1, dtype=np.int64)
    owner[nz] = col_tile[a.indices[a.indptr[:-1][nz]]]
    total = np.bincount(problem.row_area, weights=problem.row_weight, minlength=problem.n_areas)
    owned = np.bincount(problem.row_area[nz], weights=problem.row_weight[nz], minlength=problem.n_areas)
    share = np.minimum(1.0, np.divide(problem.area_target * total, owned, out=np.zeros_like(total), where=owned > 0))
    allowed = (~problem.forbidden).astype(np.int64)
    reach_cnt = np.asarray(a @ allowed).ravel()
    order = np.argsort(owner, kind="stable")
    cuts = np.searchsorted(owner[order], np.unique(owner[owner >= 0]))
    ends = np.r_[cuts[1:], order.size]
    out: list[tuple[NDArray[np.int64], CoverageProblem]] = []
    for lo, hi in zip(cuts.tolist(), ends.tolist(), strict=True):
        rows = np.sort(order[lo:hi])
        sub = a[rows]
        cols = np.unique(sub.indices).astype(np.int64)
        sub = sub[:, cols]
        areas, r_area = np.unique(problem.row_area[rows], return_inverse=True)
        w, k = problem.row_weight[rows], problem.row_k[rows]
        w_tot = np.bincount(r_area, weights=w, minlength=areas.size)
        w_reach = np.bincount(r_area, weights=w * (reach_cnt[rows] >= k), minlength=areas.size)
        frac = np.divide(w_reach, w_tot, out=np.ones_like(w_tot), where=w_tot > 0)
        target = np.minimum(share[areas], frac)
        conflicts = None
        if problem.conflicts is not None:
            pos = np.full(problem.n_cols, -1, dtype=np.int64)
            pos[cols] = np.arange(cols.size)
            pc = pos[problem.conflicts]
            conflicts = pc[(pc >= 0).all(axis=1)]
        out.append((cols, CoverageProblem(
            a=sub, cost=problem.cost[cols], row_weight=w, row_area=r_area.astype(np.int64), row_k=k,
            area_target=target, area_names=[problem.area_names[i] for i in areas.tolist()],
            col_ids=[problem.col_ids[j] for j in cols.tolist()], col_type=problem.col_type[cols],
            col_group=problem.col_group[cols], fixed=problem.fixed[cols], forbidden=problem.forbidden[cols],
            conflicts=conflicts)))
    return out, owner


def solve_tile(task: dict[str, Any]) -> dict[str, Any]:
    """One tile's solve (a Dask task or a plain call): selected columns (global), status, bound."""
    from planner.optimize.solve import solve

    sol = solve(task["problem"], objective="min_cost", time_limit_s=task["time_limit_s"], workers=1, seed=task["seed"],
                backend=task["backend"], gap_limit=task["gap_limit"], work_limit=task["work"])
    ok = sol.status in ("optimal", "feasible")
    return {"selected": task["cols"][sol.selected] if ok else np.zeros(0, np.int64), "status": sol.status,
            "objective": sol.objective, "bound": sol.bound,
            "time_limited": bool(sol.stats.get("budget", {}).get("time_limited"))}


def _side_repair(problem: CoverageProblem, sel: NDArray[np.bool_]) -> int:
    """Drop sites that break a pole group or conflict pair across tiles (fixed or lowest index kept); count."""
    assert problem.fixed is not None and problem.col_group is not None
    dropped = 0
    grp = problem.col_group
    s = np.flatnonzero(sel & (grp >= 0))
    if s.size:
        order = s[np.lexsort((s, ~problem.fixed[s], grp[s]))]  # by group, fixed first, then index
        later = np.r_[False, grp[order][1:] == grp[order][:-1]]
        drop = order[later & ~problem.fixed[order]]
        sel[drop] = False
        dropped += int(drop.size)
    if problem.conflicts is not None:
        for a_, b_ in problem.conflicts.tolist():
            if sel[a_] and sel[b_]:
                j = b_ if (problem.fixed[a_] or (not problem.fixed[b_] and a_ < b_)) else a_
                if not problem.fixed[j]:
                    sel[j] = False
                    dropped += 1
    return dropped


def _blocked(problem: CoverageProblem, sel: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Columns that cannot be added: forbidden, in a group with a selected site, or conflicting with one."""
    assert problem.forbidden is not None and problem.col_group is not None
    block = problem.forbidden.copy()
    grp = problem.col_group
    used = np.unique(grp[sel & (grp >= 0)])
    block |= np.isin(grp, used) & (grp >= 0)
    if problem.conflicts is not None and problem.conflicts.size:
        c = problem.conflicts
        block[c[sel[c[:, 0]], 1]] = True
        block[c[sel[c[:, 1]], 0]] = True
    return block


def _repair(problem: CoverageProblem, sel: NDArray[np.bool_], csc: sp.csc_matrix) -> int:
    """Lazy greedy until every area meets its target (covered weight of deficient areas per cost); sites added."""
    a = problem.a
    cnt = np.asarray(a @ sel.astype(np.int64)).ravel()
    total = np.bincount(problem.row_area, weights=problem.row_weight, minlength=problem.n_areas)
    need = problem.area_target * total * (1 - 1e-12)
    cov = np.bincount(problem.row_area, weights=problem.row_weight * (cnt >= problem.row_k), minlength=problem.n_areas)
    short = cov < need
    if not short.any():
        return 0
    block = _blocked(problem, sel)
    cost = np.maximum(problem.cost, 1e-9)
    w, k, area = problem.row_weight, problem.row_k, problem.row_area

    def gain(j: int) -> float:
        r = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        live = short[area[r]] & (cnt[r] < k[r])
        return float((w[r][live] / (k[r][live] - cnt[r][live])).sum())

    heap = [(-gain(j) / cost[j], j) for j in np.flatnonzero(~sel & ~block).tolist()]
    heap = [h for h in heap if h[0] < 0]
    heapq.heapify(heap)
    added = 0
    while short.any() and heap:
        _, j = heapq.heappop(heap)
        if sel[j] or block[j]:
            continue
        g = gain(j) / cost[j]
        if g <= 0:
            continue
        if heap and -g > heap[0][0] + 1e-15:  # stale: push back with its true ratio
            heapq.heappush(heap, (-g, j))
            continue
        sel[j] = True
        added += 1
        r = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        before = cnt[r] >= k[r]
        cnt[r] += 1
        newly = (cnt[r] >= k[r]) & ~before
        np.add.at(cov, area[r[newly]], w[r[newly]])
        short = cov < need
        if problem.col_group is not None and problem.col_group[j] >= 0:
            block |= problem.col_group == problem.col_group[j]
        if problem.conflicts is not None and problem.conflicts.size:
            c = problem.conflicts
            block[c[c[:, 0] == j, 1]] = True
            block[c[c[:, 1] == j, 0]] = True
    return added


def _polish(problem: CoverageProblem, sel: NDArray[np.bool_], csc: sp.csc_matrix) -> int:
    """Drop redundant sites, dearest first (ties: lowest index), while every target stays met; sites dropped."""
    assert problem.fixed is not None
    cnt = np.asarray(problem.a @ sel.astype(np.int64)).ravel()
    total = np.bincount(problem.row_area, weights=problem.row_weight, minlength=problem.n_areas)
    need = problem.area_target * total * (1 - 1e-12)
    k, w, area = problem.row_k, problem.row_weight, problem.row_area
    cov = np.bincount(area, weights=w * (cnt >= k), minlength=problem.n_areas)
    cand = np.flatnonzero(sel & ~problem.fixed)
    cand = cand[np.lexsort((cand, -problem.cost[cand]))]
    dropped = 0
    for j in cand.tolist():
        r = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        lose = r[cnt[r] == k[r]]
        if lose.size:
            loss = np.bincount(area[lose], weights=w[lose], minlength=problem.n_areas)
            if ((cov - loss < need) & (loss > 0)).any():
                continue
            cov -= loss
        cnt[r] -= 1
        sel[j] = False
        dropped += 1
    return dropped


def _improve_and_bound(problem: CoverageProblem, sel: NDArray[np.bool_], budget: Any, seed: int,
                       stats: dict[str, Any]) -> tuple[NDArray[np.bool_], float]:
    """``base_cost + max(0, L(u))`` of the whole model, then the project's local search from ``sel``.

    The reduction runs without dominance (fixed, essential, merged identical rows only), so the
    stitched plan stays a plan of the reduced model; the bound is valid for any reduction that
    keeps the optimum (module docstring).
    """
    from planner.optimize._exact import lagrangian_bound
    from planner.optimize._heuristics import _meets_targets, improve
    from planner.optimize._reduce import reduce_problem
    from planner.optimize._side import side_of

    red = reduce_problem(problem, "min_cost", dominance=False)
    base_cost = float(problem.cost[red.base].sum())
    stats["bound_reduction"] = dict(red.stats)
    if red.stats.get("infeasible_reason") or red.a.shape[0] == 0 or red.n_cols == 0:
        return sel, base_cost
    side = side_of(problem, red, "min_cost")
    # the bound first: a loaded machine's safety stop then cuts the local search, never the bound
    ub = float(problem.cost[sel].sum()) - base_cost
    lb, _ = lagrangian_bound(red, side, max(0.0, ub), budget.ops(BOUND_SHARE), budget, stats)
    if np.allclose(side.cost, np.round(side.cost)):
        lb = math.ceil(lb - 1e-6)
    s_red = sel[red.cols]
    if (sel | ~red.base).all() and _meets_targets(red, s_red):  # the plan holds every fixed/essential site
        before = float(side.cost[s_red].sum())
        new = improve(red, side, "min_cost", s_red, budget.ops(LS_SHARE), seed=seed, stats=stats,
                      deadline=budget.deadline)
        budget.spend("local_search", stats.get("local_search", {}).get("ops", 0.0) / 1e6)
        if _meets_targets(red, new) and float(side.cost[new].sum()) < before:
            sel = red.base.copy()
            sel[red.cols[new]] = True
            stats["local_search_gain"] = before - float(side.cost[new].sum())
    return sel, base_cost + max(0.0, float(lb))


def solve_decomposed(problem: CoverageProblem, x_m: NDArray[np.float64], y_m: NDArray[np.float64], *,
                     time_limit_s: float = 60.0, work_limit: float = 0.0, seed: int = 0, backend: str = "auto",
                     gap_limit: float = 0.0, tile_m: float = TILE_M, run_tiles: TileRunner | None = None) -> Any:
    """Min-cost plan of a large model by spatial decomposition (module docstring), with a whole-model bound.

    ``run_tiles`` maps :func:`solve_tile` over the tile tasks (in order); None runs them here one
    after the other (a Dask backend passes its own, with the same results). Returns a
    :class:`planner.optimize.solve.Solution` whose ``stats["decomposition"]`` states the tiles,
    the repairs and the bound method.
    """
    from planner.optimize._budget import TIME_LIMITED_WARNING, Budget, resolve_work
    from planner.optimize._warmup import warm_up
    from planner.optimize.solve import Solution, _gap, evaluate

    warm_up()
    t_start = time.perf_counter()
    units = resolve_work(time_limit_s, work_limit)
    assert problem.fixed is not None
    col_tile = tile_of_columns(problem, x_m, y_m, tile_m)
    tiles, owner = _tile_models(problem, col_tile)
    nnz = np.array([p.a.nnz for _, p in tiles], dtype=np.float64)
    shares = TILE_SHARE * nnz / max(nnz.sum(), 1.0)
    # each tile's work budget is its share; its wall-clock safety stop is that of all the tiles together, so a
    # loaded machine slows a tile down without cutting it short (the plan stays the same)
    tasks = [{"problem": p, "cols": cols, "work": max(1.0, units * s), "time_limit_s": time_limit_s * TILE_SHARE,
              "seed": seed, "backend": backend, "gap_limit": gap_limit}
             for (cols, p), s in zip(tiles, shares.tolist(), strict=True)]
    t_tiles = time.perf_counter()
    results = run_tiles(tasks) if run_tiles is not None else [solve_tile(t) for t in tasks]
    del tasks, tiles
    t_tiles = time.perf_counter() - t_tiles
    # the whole-model stages' budget (and its safety stop) starts after the tiles, which had their own:
    # a cluster's start-up or a slow worker never cuts the bound or the search of the stitched plan
    budget = Budget.start(time_limit_s, work_limit)
    budget.spend("tiles", units * TILE_SHARE)
    sel = problem.fixed.copy()
    for r in results:
        sel[r["selected"]] = True
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    n_stitched = int(sel.sum())
    csc = problem.a.tocsc()
    dropped_side = _side_repair(problem, sel)
    added = _repair(problem, sel, csc)
    removed = _polish(problem, sel, csc)
    stats: dict[str, Any] = {"objective_kind": "min_cost"}
    sel, bound = _improve_and_bound(problem, sel, budget, seed, stats)
    removed += _polish(problem, sel, csc)
    del csc
    selected = np.flatnonzero(sel).astype(np.int64)
    ev = evaluate(problem, selected)
    total = ev["area_total"]
    met = bool((ev["area_covered"] >= problem.area_target * total * (1 - 1e-9)).all())
    obj = float(ev["cost"])
    status = ("optimal" if met and bound >= obj - 1e-9 * max(1.0, obj) else "feasible") if met else "unknown"
    stats["coverage"] = {"covered_weight": ev["covered_weight"], "cost": ev["cost"], "n_sites": ev["n_sites"],
                         "area_fraction": [float(v) for v in ev["area_fraction"]]}
    stats["decomposition"] = {
        "tiles": len(results), "tile_m": tile_m, "rows_unowned": int((owner < 0).sum()),
        "rule": "columns in squares from the candidates' north-west corner (pole groups with their lowest index); "
                "each row owned by the tile of its lowest-index covering column; a tile = its rows + every column "
                "covering them; spanning area targets split as equal shares",
        "tile_status": statuses, "tile_time_limited": int(sum(r["time_limited"] for r in results)),
        "tile_bounds_sum_info": float(sum(r["bound"] for r in results if math.isfinite(r["bound"]))),
        "stitched_sites": n_stitched, "side_repair_dropped": dropped_side, "repair_added": added,
        "polish_removed": removed, "targets_met": met, "bound_method": BOUND_METHOD, "tiles_wall_s": round(t_tiles, 3),
    }
    for name in ("local_search", "lagrangian"):  # the safety stop cut them: say so (the plan may then vary)
        if isinstance(stats.get(name), dict) and stats[name].get("time_limited"):
            budget.limited(name)
    stats["budget"] = budget.report()
    if budget.cut or stats["decomposition"]["tile_time_limited"]:
        stats["warnings"] = [TIME_LIMITED_WARNING]
    log.info("decomposed solve: %d tiles, %d sites (stitched %d, +%d repair, -%d polish), cost %.6g, bound %.6g",
             len(results), ev["n_sites"], n_stitched, added, removed, obj, bound)
    gap = 0.0 if status == "optimal" else _gap(obj, bound)
    return Solution(status, obj, float(bound), float(gap), selected, time.perf_counter() - t_start,
                    "decomposed", stats)
