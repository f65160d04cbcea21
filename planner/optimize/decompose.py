r"""Spatial decomposition of large min-cost models: tiles solved apart, stitched, repaired, polished.

Coverage is local (a site reaches a few hundred metres), so a city model splits into tiles whose
interactions are only along their borders. :func:`solve_decomposed`:

1. **Tiles.** Columns are placed in squares of :data:`TILE_M` metres laid from the candidates'
   north-west corner (a pole group goes with its lowest-index member). Each demand row is
   *owned* by the tile of its lowest-index covering column, so the rows are partitioned. Tile
   ``t``'s model holds its owned rows and every column that covers one of them (its own columns
   and a halo of its neighbours'). Nothing depends on the number of workers or on where a tile
   runs: the plan is the same sequentially, on a LocalCluster and on a Dask cluster.
2. **Whole-model Lagrangian, then targets.** The Lagrangian of the whole reduced model
   (:class:`planner.optimize.decompose_bound.WholeLagrangian`, :data:`BOUND_SHARE` of the
   budget: ``L(u)`` evaluated exactly at PDLP's approximate LP duals, polished with a lazy
   greedy's cost as target level; :data:`planner.optimize.decompose_bound.METHOD`) runs first.
   An area ``A`` that spans tiles (``central_urban`` spans the city) gets in each tile part the share its
   knapsack covers there (:func:`planner.optimize.decompose_bound.tile_shares`): the dear
   cells the relaxation leaves out are left out where they are, not the same fraction in every
   tile (``SHARES = "equal"`` keeps ``min(1, t_A · W_A / W_A^own)`` everywhere). Shares are
   capped at what the part's allowed columns reach.
3. **Solve.** Each tile is :func:`planner.optimize.solve` on a share of the work budget
   proportional to its nonzeros (:data:`TILE_SHARE` in all), one solver thread (the CP-SAT
   interleaving then does not depend on the machine), the scenario's seed. The tiles are charged
   the work they counted (each at most its share); what they leave goes to the windows.
4. **Stitch and repair.** The union of the tiles' plans; a pole group or conflict pair broken
   across tiles keeps its fixed or lowest-index member; areas still under target (parts capped
   at their reach, shares moved across a border, side repairs) are repaired by a lazy greedy
   over the whole model (covered weight of the deficient areas per 万元).
5. **Polish.** Redundant sites are dropped, dearest first, while every target stays met; windows
   across the tile borders are solved again with the plan outside them kept
   (:func:`planner.optimize.decompose_window.window_pass`, :data:`WINDOW_PASSES`;
   each window starts from the current plan there: the local search from it, the CFT engine
   first where :data:`planner.optimize.decompose_window.WINDOW_CFT_SHARE` > 0): the tiles each
   cover their own rows, so the sites on both sides of a border serve its strip twice; then the
   redundant-site pass again. (Left out: the project's local search on the whole model after
   the windows; on the central city it saved 122 万元 in 2,871 work units, where a window pass
   of 2,400–6,000 saves 240–3,300.)
6. **Bound.** The Lagrangian of step 2 may continue from its best multipliers with the plan's
   cost as target level (:data:`BOUND2_SHARE`, 0 by default: one long PDLP run before the tiles
   gives a better bound than two halves). (Tried and left out: the tiles' LP duals under costs
   split by rows as a warm start; on the central city their whole-model ``L`` was 83,969
   against 103,417 from the subgradient, the tiles' fixed target shares price the spanning
   area differently in each tile, and the LPs took longer than the tile solves.)
   Validity (:mod:`planner.optimize.decompose_bound`): for any multipliers ``u ≥ 0`` the
   Lagrangian function is at most the reduced model's optimum, and the reduction keeps some
   optimal plan, so ``base_cost + max(0, L(u))`` bounds the whole model; the gap reported is
   the true gap of the plan against it. The tiles' own bounds are *not* summed into it (a
   halo column is priced in several tiles); their sum is reported for information only.

Memory: the tiles are cut one at a time from the CSR (O(nnz of the tile)); the reduced models
of the Lagrangian is O(nnz) of the whole matrix; a window is cut from the CSR like a tile.
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

from planner.optimize.decompose_bound import METHOD, METHOD_TEXT, WholeLagrangian, tile_shares
from planner.optimize.decompose_window import window_pass
from planner.optimize.problem import CoverageProblem

log = logging.getLogger(__name__)

#: models with more candidate columns than this are decomposed (the demo and the small
#: scenarios stay on the direct solve and keep their plans)
DECOMPOSE_MIN_COLS = 50_000
#: tile side (m): about 30 site radii of a street lamp, a few of a macro tower
TILE_M = 3000.0
#: share of the work budget given to the tiles (split by nonzeros, at most) and to the whole-model Lagrangian
#: before the tiles and after the stitched plan; the windows get the rest (counted work). Central city
#: (180 s = 54,000 units, 0.27 / 0.38 / 0.35 for the windows): the bound took 33.5 s of CPU, the tiles 30.3 s,
#: eight window passes 105.6 s (their local search runs whole chunks: more than their nominal units)
TILE_SHARE = 0.30
BOUND_SHARE = 0.35
BOUND2_SHARE = 0.0
#: back-end of the tile solves per solver.backend: with "auto" the tiles run the heuristics and a Lagrangian
#: bound only ("greedy"); CP-SAT on a 3 km tile of the city (partial targets, 9,000 x 2,200 after reductions)
#: spent 60 % of the tile's budget without a branch and never improved the local search's plan (tiles 10, 40,
#: 55 of the central city: 1,676 / 1,412 / 938 with "greedy" against 1,678 / 1,412 / 938 with "auto")
TILE_BACKEND = {"auto": "greedy"}
#: border windows (:mod:`planner.optimize.decompose_window`), one pass each while the budget lasts: (side as a
#: fraction of the tile side, shift as a fraction of the window side). Central city from the stitched 294,906:
#: −3,249 / −605 / −242 / −229 (3 km), −379 / −316 (2 km), −362 / −298 (1.5 km) 万元; smaller windows after the
#: large ones find what the 3 km passes leave (a 4.5 km pass there: −46)
WINDOW_PASSES = ((1.0, 0.5), (1.0, 0.0), (1.0, 0.25), (1.0, 0.75), (2 / 3, 0.5), (2 / 3, 0.0), (0.5, 0.5), (0.5, 0.0))
#: how spanning area targets are split over the tiles ("lagrangian": by the whole-model knapsack,
#: :func:`planner.optimize.decompose_bound.tile_shares`; "equal": the same share everywhere)
SHARES = "lagrangian"
SHARES_RULE = {"lagrangian": "spanning area targets split by the whole-model Lagrangian's knapsack "
                             "(the rows the relaxation covers, per tile)",
               "equal": "spanning area targets split as equal shares"}
#: the border repair, for the manifest and the report
BORDER_REPAIR = ("pole groups / conflict pairs broken across tiles keep the fixed or lowest-index site; areas under "
                 "target repaired by a lazy greedy on the whole model; redundant sites dropped, dearest first; "
                 "windows across the tile borders (the tile side shifted by 1/2, 0, 1/4, 3/4, then 2/3 and 1/2 of "
                 "it) solved again from the current plan with the plan outside them kept, taken when cheaper, "
                 "while the work budget lasts")
#: a bound method name for the manifest and the report
BOUND_METHOD = METHOD_TEXT[METHOD]

#: ``run_tiles(tasks, done)``: :func:`solve_tile` of every task, results in task order; ``done(n, total)``
#: is called as tiles finish (progress display only)
TileRunner = Callable[[Sequence[dict[str, Any]], Callable[[int, int], None]], list[Any]]


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


def row_owner(problem: CoverageProblem, col_tile: NDArray[np.int64]) -> NDArray[np.int64]:
    """Owner tile of each row: the tile of its lowest-index covering column (−1: no column reaches it)."""
    a = problem.a
    nz = np.diff(a.indptr) > 0
    owner = np.full(problem.n_rows, -1, dtype=np.int64)
    owner[nz] = col_tile[a.indices[a.indptr[:-1][nz]]]
    return owner


def equal_shares(problem: CoverageProblem, owner: NDArray[np.int64]) -> NDArray[np.float64]:
    """The same share of every spanning area in each tile: ``min(1, t_A · W_A / W_A^own)``, one row per tile."""
    nz = owner >= 0
    total = np.bincount(problem.row_area, weights=problem.row_weight, minlength=problem.n_areas)
    owned = np.bincount(problem.row_area[nz], weights=problem.row_weight[nz], minlength=problem.n_areas)
    share = np.minimum(1.0, np.divide(problem.area_target * total, owned, out=np.zeros_like(total), where=owned > 0))
    return np.tile(share, (np.unique(owner[nz]).size, 1))


def _tile_models(problem: CoverageProblem, owner: NDArray[np.int64], shares: NDArray[np.float64]
                 ) -> list[tuple[NDArray[np.int64], NDArray[np.int64], CoverageProblem]]:
    """(columns, rows, model) of every non-empty tile, in tile order; ``shares``: target fraction per (tile, area)."""
    a = problem.a
    assert problem.fixed is not None and problem.forbidden is not None and problem.col_group is not None
    assert problem.col_type is not None
    allowed = (~problem.forbidden).astype(np.int64)
    reach_cnt = np.asarray(a @ allowed).ravel()
    order = np.argsort(owner, kind="stable")
    cuts = np.searchsorted(owner[order], np.unique(owner[owner >= 0]))
    ends = np.r_[cuts[1:], order.size]
    out: list[tuple[NDArray[np.int64], NDArray[np.int64], CoverageProblem]] = []
    for t, (lo, hi) in enumerate(zip(cuts.tolist(), ends.tolist(), strict=True)):
        rows = np.sort(order[lo:hi])
        sub = a[rows]
        cols = np.unique(sub.indices).astype(np.int64)
        sub = sub[:, cols]
        areas, r_area = np.unique(problem.row_area[rows], return_inverse=True)
        w, k = problem.row_weight[rows], problem.row_k[rows]
        w_tot = np.bincount(r_area, weights=w, minlength=areas.size)
        w_reach = np.bincount(r_area, weights=w * (reach_cnt[rows] >= k), minlength=areas.size)
        frac = np.divide(w_reach, w_tot, out=np.ones_like(w_tot), where=w_tot > 0)
        target = np.minimum(shares[t, areas], frac)
        conflicts = None
        if problem.conflicts is not None:
            pos = np.full(problem.n_cols, -1, dtype=np.int64)
            pos[cols] = np.arange(cols.size)
            pc = pos[problem.conflicts]
            conflicts = pc[(pc >= 0).all(axis=1)]
        out.append((cols, rows, CoverageProblem(
            a=sub, cost=problem.cost[cols], row_weight=w, row_area=r_area.astype(np.int64), row_k=k,
            area_target=target, area_names=[problem.area_names[i] for i in areas.tolist()],
            col_ids=[problem.col_ids[j] for j in cols.tolist()], col_type=problem.col_type[cols],
            col_group=problem.col_group[cols], fixed=problem.fixed[cols], forbidden=problem.forbidden[cols],
            conflicts=conflicts)))
    return out


def solve_tile(task: dict[str, Any]) -> dict[str, Any]:
    """One tile's solve (a Dask task or a plain call): selected columns (global), status, bound."""
    from planner.optimize.solve import solve

    sol = solve(task["problem"], objective="min_cost", time_limit_s=task["time_limit_s"], workers=1, seed=task["seed"],
                backend=task["backend"], gap_limit=task["gap_limit"], work_limit=task["work"])
    ok = sol.status in ("optimal", "feasible")
    out = {"selected": task["cols"][sol.selected] if ok else np.zeros(0, np.int64), "status": sol.status,
           "objective": sol.objective, "bound": sol.bound,
           "time_limited": bool(sol.stats.get("budget", {}).get("time_limited")),
           "work": float(sum(sol.stats.get("budget", {}).get("work_used", {}).values()))}
    return out


def _solve_counted(task: dict[str, Any], total: int, done: Callable[[int, int], None]) -> dict[str, Any]:
    """:func:`solve_tile`, then ``done(1, total)`` (the sequential runner's progress report)."""
    out = solve_tile(task)
    done(1, total)
    return out


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


def _greedy_level(wl: WholeLagrangian, problem: CoverageProblem, stats: dict[str, Any]) -> float:
    """Cost (万元) of the lazy greedy on the whole reduced model: the first subgradient target level only."""
    from planner.optimize._heuristics import greedy_select
    from planner.optimize._side import side_of

    if wl.empty:
        return wl.base_cost
    side = side_of(problem, wl.red, "min_cost")
    st: dict[str, Any] = {}
    sel = greedy_select(wl.red, side, "min_cost", wl.c_ptr, wl.c_idx, stats=st)
    stats["level_greedy"] = {**st.get("greedy", {}), "cost": float(side.cost[sel].sum()) + wl.base_cost}
    return float(side.cost[sel].sum()) + wl.base_cost


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
    cpu = [time.process_time()]  # CPU seconds of this process at each stage's end (information only)
    units = resolve_work(time_limit_s, work_limit)
    assert problem.fixed is not None
    stats: dict[str, Any] = {"objective_kind": "min_cost"}
    col_tile = tile_of_columns(problem, x_m, y_m, tile_m)
    owner = row_owner(problem, col_tile)
    # 1. the whole model's Lagrangian (bound, and where the relaxation covers each spanning area)
    budget = Budget.start(time_limit_s, work_limit)
    wl = WholeLagrangian(problem)
    level = _greedy_level(wl, problem, stats)
    budget.spend("lagrangian", stats.get("level_greedy", {}).get("ops", 0.0) / 1e6)
    budget.spend("lagrangian", wl.run(budget.ops(BOUND_SHARE), level, budget.deadline))
    area_shares = tile_shares(problem, wl, col_tile, owner) if SHARES == "lagrangian" else equal_shares(problem, owner)
    cpu.append(time.process_time())
    # 2. the tiles, their spanning targets split by those shares
    tiles = _tile_models(problem, owner, area_shares)
    nnz = np.array([p.a.nnz for _, _, p in tiles], dtype=np.float64)
    shares = TILE_SHARE * nnz / max(nnz.sum(), 1.0)
    # each tile's work budget is its share; its wall-clock safety stop is that of all the tiles together, so a
    # loaded machine slows a tile down without cutting it short (the plan stays the same)
    tasks = [{"problem": p, "cols": cols, "work": max(1.0, units * s),
              "time_limit_s": time_limit_s * TILE_SHARE, "seed": seed, "backend": TILE_BACKEND.get(backend, backend),
              "gap_limit": gap_limit}
             for (cols, _, p), s in zip(tiles, shares.tolist(), strict=True)]
    t_tiles = time.perf_counter()

    def tile_done(done: int, total: int) -> None:  # progress display only (the bar's work spent)
        budget.spend("tiles", units * TILE_SHARE / max(total, 1))

    results = run_tiles(tasks, tile_done) if run_tiles is not None else [_solve_counted(t, len(tasks), tile_done)
                                                                         for t in tasks]
    del tiles
    t_tiles = time.perf_counter() - t_tiles
    cpu.append(time.process_time())
    # the whole-model stages' safety stop starts again after the tiles, which had their own: a cluster's
    # start-up or a slow worker never cuts the bound or the search of the stitched plan
    span = budget.deadline - budget.t0
    budget.deadline = time.perf_counter() + span
    # the tiles' counted work (each at most its share): what they leave goes to the windows
    budget.used["tiles"] = round(sum(min(r["work"], t["work"]) for r, t in zip(results, tasks, strict=True)), 3)
    del tasks
    sel = problem.fixed.copy()
    for r in results:
        sel[r["selected"]] = True
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    n_stitched = int(sel.sum())
    # 3. stitch, repair, polish
    csc = problem.a.tocsc()
    dropped_side = _side_repair(problem, sel)
    added = _repair(problem, sel, csc)
    removed = _polish(problem, sel, csc)
    stitched_cost = float(problem.cost[sel].sum())
    cpu.append(time.process_time())
    # border windows solved again with the plan outside them kept (planner.optimize.decompose_window), on the
    # units the bound and the tiles left (counted work), one pass after the other while the last one's fits
    windows: list[dict[str, Any]] = []
    w_left = units - sum(budget.used.values())
    for i, (size, shift) in enumerate(WINDOW_PASSES):
        if budget.expired():
            budget.limited("windows")
            break
        if windows and windows[-1]["work"] > w_left:
            break
        w_units = max(0.0, w_left) / (len(WINDOW_PASSES) - i)
        windows.append({"side_m": round(size * tile_m, 1), "shift": shift,
                        **window_pass(problem, sel, csc, x_m, y_m, size * tile_m, w_units, seed, shift=shift,
                                      deadline=budget.deadline, max_units=max(0.0, w_left))})
        budget.spend("windows", windows[-1]["work"])
        w_left -= windows[-1]["work"]
        if windows[-1].get("time_limited"):
            budget.limited("windows")
    removed += _polish(problem, sel, csc)
    windows_cost = float(problem.cost[sel].sum())
    del csc
    cpu.append(time.process_time())
    # 4. the Lagrangian again, from its best multipliers, with the plan's cost as the target level
    if BOUND2_SHARE > 0:
        budget.spend("lagrangian", wl.run(budget.ops(BOUND2_SHARE), float(problem.cost[sel].sum()), budget.deadline))
    bound = wl.bound
    stats["lagrangian"] = wl.stats()
    stats["bound_reduction"] = dict(wl.red.stats)
    del wl
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
                "covering them",
        "area_shares": SHARES_RULE[SHARES],
        "tile_backend": TILE_BACKEND.get(backend, backend), "tile_status": statuses,
        "tile_time_limited": int(sum(r["time_limited"] for r in results)),
        "tile_bounds_sum_info": float(sum(r["bound"] for r in results if math.isfinite(r["bound"]))),
        "stitched_sites": n_stitched, "side_repair_dropped": dropped_side, "repair_added": added,
        "polish_removed": removed, "stitched_cost": stitched_cost, "windows": windows,
        "after_windows_cost": windows_cost, "targets_met": met,
        "border_repair": BORDER_REPAIR, "bound_method": BOUND_METHOD, "bound": bound,
        "gap_whole_model": _gap(obj, bound) if met else None, "tiles_wall_s": round(t_tiles, 3),
        "stage_cpu_s": dict(zip(("bound_and_shares", "tiles", "stitch_repair", "windows"),
                                np.round(np.diff(cpu), 2).tolist(), strict=True)),
    }
    if stats["lagrangian"].get("time_limited"):  # the safety stop cut it: say so (the bound may then vary)
        budget.limited("lagrangian")
    stats["budget"] = {**budget.report(), "safety_stop_s": round(span, 3)}  # restarted after the tiles
    if budget.cut or stats["decomposition"]["tile_time_limited"]:
        stats["warnings"] = [TIME_LIMITED_WARNING]
    log.info("decomposed solve: %d tiles, %d sites (stitched %d, +%d repair, -%d polish), cost %.6g, bound %.6g",
             len(results), ev["n_sites"], n_stitched, added, removed, obj, bound)
    gap = 0.0 if status == "optimal" else _gap(obj, bound)
    return Solution(status, obj, float(bound), float(gap), selected, time.perf_counter() - t_start,
                    "decomposed", stats)
