"""Bounds and exact stages of :func:`planner.optimize.solve`, each on its share of the work budget.

* LP relaxation (scipy's HiGHS IPM) up to :data:`LP_MAX_NNZ` nonzeros, else a subgradient
  Lagrangian bound (:func:`lagrangian_bound`);
* for large min-cost models, SCIP on the Lagrangian core (:func:`_core_stage`,
  :mod:`planner.optimize._core`); for ≥ :data:`CORE_MIN_COLS` columns, CP-SAT on the LP core;
* the exact back-end on the whole reduced model: CP-SAT on deterministic time, or SCIP on a
  node limit (:func:`run_exact`).

Costs reach the integer models through :func:`clipped_costs` (an extreme cost above the
incumbent's cannot force a scaling that rounds ordinary costs to zero) and a solver's
"optimal" counts only when its integer costs were exact.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize._budget import (
    DTIME_PER_UNIT,
    OPS_PER_UNIT,
    SCIP_EXACT_SETTINGS,
    WORK_PER_S,
    Budget,
    scip_lp_size,
    scip_nodes,
    scip_units,
)
from planner.optimize._granule import integral, round_cost_bound
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side

#: CP-SAT deterministic time per nominal second of the budget (:data:`WORK_PER_S` units;
#: measured 0.3–0.46 deterministic s per wall second on the 2-vCPU development machine under
#: load, so the deterministic limit, not the safety stop, ends the search)
DTIME_PER_S = DTIME_PER_UNIT * WORK_PER_S
#: core (reduced-cost) CP-SAT stage only from this many free columns (rail-type instances)
CORE_MIN_COLS = 5000
#: above this many nonzeros a min-cost LP relaxation is replaced by the Lagrangian bound
LP_MAX_NNZ = 700_000
#: initial subgradient step factor λ (Beasley 1990 uses 2); on the demo model 800 steps
#: reach 15 215 from λ = 2 against 14 716 from λ = 0.1
LAGRANGE_LAMBDA0 = 2.0
#: share of the exact stage's span given to the Lagrangian bound on large min-cost models
#: (its work estimate is conservative: 1,100 steps, about 8 s on the demo model at 40 s;
#: 550 steps gave 15,148, 1,100 give 15,222, 1,200 15,224); the rest goes to the core MIP
LAGRANGE_SHARE = 0.8
#: share of the exact stage's span given to the PDLP bound (:func:`planner.optimize._lpdual.lp_dual_solve`)
#: on large min-cost models with an incumbent (backend ``auto``/``scip``); the rest goes to
#: SCIP on the core of PDLP's primal ``x`` (:func:`planner.optimize._core.lp_core`). On the demo
#: (40 s, partial targets: 33.6 nominal s of span) that is 4,025 PDLP units → bound 41,786 on
#: the new defaults (1,100 subgradient steps in 6,746 units: 41,456) and 15,216 on the old
#: model (15,182); the core gets 20.2 nominal s (the Lagrangian core had 5.6). Shares 0.35–0.5
#: measured: 0.45 gave 41,791 / 15,218 but the new demo's solve took 49.8 s on a near-idle
#: machine (load 1.2) against the 46 s of issue 12's limit rule; 0.4 (with CORE_X_COLS 2,300) 45.4 s.
#: With 2,500 core columns and the core charged by its size (:func:`planner.optimize._core.core_units`):
#: new demo 42,734 / 41,787 in 28.5 CPU s of optimise stage, old 15,367 / 15,216 in 31.1 (load 2.3-2.9)
LP_DUAL_SHARE = 0.4
def lagrangian_bound(
    red: Reduced, side: Side, ub: float, max_ops: float, budget: Budget, stats: dict[str, Any]
) -> tuple[float, NDArray[np.float64]]:
    """Subgradient Lagrangian bound (kernels.lagrange) in reduced cost units, and reduced costs.

    ``max_ops``: work in counted operations (iterations × their cost estimate, 20 to
    2,000 iterations); ``budget``: where the work used is recorded and the safety stop.
    """
    from kernels.lagrange import subgradient
    from planner.optimize._heuristics import csc_of

    t0 = time.perf_counter()
    c_ptr, c_idx = csc_of(red)
    m = red.a.shape[0]
    cost = side.cost.astype(np.float64)
    soft = np.flatnonzero(~red.hard)
    order = soft[np.argsort(red.area[soft], kind="stable")]
    a_ptr = np.searchsorted(red.area[order], np.arange(red.need.size + 1)).astype(np.int64)
    need = np.maximum(red.need, 0.0).astype(np.float64)
    deg = np.diff(c_ptr).astype(np.float64)
    u = np.full(m, np.inf)
    ratio = np.divide(cost, deg, out=np.zeros_like(cost), where=deg > 0)
    np.minimum.at(u, c_idx, np.repeat(ratio, np.diff(c_ptr)))
    u[~np.isfinite(u)] = 0.0
    if not math.isfinite(ub):
        ub = float(cost.sum())
    # work per iteration: two passes over the nonzeros and a sort of the soft rows per area
    per_iter = 3.0 * red.a.nnz + 2.0 * soft.size * max(1.0, math.log2(max(soft.size, 2))) + 4.0 * red.n_cols
    iters = int(min(2000, max(20, max_ops / per_iter)))
    chunk, done, lam, lb, cut = 50, 0, LAGRANGE_LAMBDA0, -math.inf, False
    while done < iters:
        if budget.expired():
            cut = True
            break
        val, lam = subgradient(
            c_ptr, c_idx, cost, red.k, red.w, red.hard, a_ptr, order.astype(np.int64), need, u, ub, chunk, lam
        )
        lb = max(lb, val)
        done += chunk
        if lam < 1e-6:
            break
    if not math.isfinite(lb):  # the safety stop came before the first iteration: costs are >= 0
        lb = 0.0
    rc = cost - np.asarray(red.a.T @ u).ravel()
    budget.spend("lagrangian", done * per_iter / OPS_PER_UNIT)
    stats["lagrangian"] = {
        "bound": float(lb),
        "iterations": done,
        "time_limited": cut,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return float(lb), rc


#: operations counted per nonzero, row and column for the LP relaxation (HiGHS IPM with
#: presolve: 0.8–3.2 s for the 77,000 nonzeros of demo_small, idle to a load average of 8;
#: 1.1 CPU s, i.e. 307 units per CPU second, at a load of 14)
LP_OPS = 4000.0
#: the IPM's work on models with partial targets (a ``y`` column per soft row, area rows) grows
#: faster than their size: ``LP_OPS × size × (size / LP_REF_SIZE) ** LP_SIZE_EXP`` above
#: ``LP_REF_SIZE`` (size = nonzeros + rows + columns). Fitted to two measurements, 2026-12-06, load
#: 14, CPU seconds: demo_small (84,606) 1.1 s, the demo's whole reduced model (1,097,427; above
#: :data:`LP_MAX_NNZ`, solved offline) 44.0 s, 58 IPM iterations, i.e. 100 units of the linear
#: count per CPU second. Pure covers stay linear: rail507 (LP 0.65 CPU s for 779 units) and
#: scpnre1 (0.5 CPU s for 1,020 units) run far below their count
LP_REF_SIZE = 100_000
LP_SIZE_EXP = 0.45


def lp_units(red: Reduced) -> float:
    """Work units charged for the LP relaxation of ``red`` (:data:`LP_OPS`, :data:`LP_SIZE_EXP`)."""
    size = float(red.a.nnz + red.a.shape[0] + red.n_cols)
    grow = max(1.0, size / LP_REF_SIZE) ** LP_SIZE_EXP if not bool(red.hard.all()) else 1.0
    return LP_OPS * size * grow / OPS_PER_UNIT


#: operations counted per nonzero, row and column for building a CP-SAT or SCIP model (a
#: Python loop per row through the solver's API: about 1–3 µs per nonzero on the development
#: machine); an exact stage whose build alone would exceed its share is skipped
EXACT_BUILD_OPS = 1000.0


#: backend ``auto`` on min-cost models with partial targets (a ``y`` per soft row, area rows):
#: SCIP instead of CP-SAT in the exact stage when its share pays for SCIP's root and at least
#: this many nodes (:func:`planner.optimize._budget.scip_nodes`). With few nodes SCIP is a root
#: with heuristics and CP-SAT's search improves plans more; with hundreds its LP bound and
#: branching prove what CP-SAT's search does not. REVIEW's 768-candidate model (4,694 × 632,
#: optimum 1,074, found offline by SCIP in 2,276 nodes): 20 s CP-SAT 1,084 / 1,068 vs SCIP (13
#: nodes) 1,086 / 1,070; 60 s CP-SAT 1,084 / 1,068 vs SCIP (183 nodes) 1,078 / 1,068; 240 s
#: CP-SAT 1,078 / 1,070 vs SCIP 1,074 proven. demo_small (5,336 × 2,158): SCIP's root does not
#: fit 20 s, 2 nodes at 60 s (CP-SAT kept: 1,284 / 1,234 and 1,282 / 1,236)
AUTO_SCIP_MIN_NODES = 100


def backend_name(backend: str) -> str:
    """The exact back-end that ``backend`` resolves to."""
    return "scip" if backend == "scip" else "cpsat"


def _value(red: Reduced, side: Side, mode: str, sel: NDArray[np.bool_]) -> float:
    """Objective of a free-column selection in the reduced model (cost, or covered weight)."""
    if mode in ("min_cost", "min_cost_at"):
        return float(side.cost[sel].sum())
    cnt = np.asarray(red.a @ sel.astype(np.int64)).ravel()
    return float(red.w[cnt >= red.k].sum())


def restrict(red: Reduced, keep: NDArray[np.int64]) -> Reduced:
    """The reduced problem on a subset of its free columns (a *core*)."""
    return Reduced(
        cols=red.cols[keep],
        base=red.base,
        a=sp.csr_matrix(red.a[:, keep]),
        w=red.w,
        area=red.area,
        k=red.k,
        hard=red.hard,
        need=red.need,
        const_w=red.const_w,
        lost_w=red.lost_w,
        total_w=red.total_w,
        stats=red.stats,
    )


def choose_core(
    red: Reduced, rc: NDArray[np.float64], x_lp: NDArray[np.float64], inc: NDArray[np.bool_] | None, per_row: int
) -> NDArray[np.int64]:
    """Columns of the LP support, the incumbent and each row's ``per_row + k − 1`` smallest reduced costs."""
    keep = x_lp > 1e-6
    if inc is not None:
        keep |= inc
    a = red.a
    order_val = rc + 1e-9 * np.arange(rc.size)  # deterministic ties
    for i in range(a.shape[0]):
        cols = a.indices[a.indptr[i] : a.indptr[i + 1]]
        q = per_row + int(red.k[i]) - 1
        if cols.size <= q:
            keep[cols] = True
        else:
            keep[cols[np.argpartition(order_val[cols], q)[:q]]] = True
    return np.flatnonzero(keep).astype(np.int64)


def _lp_core_stage(
    red: Reduced,
    side: Side,
    inc: NDArray[np.bool_],
    *,
    budget: Budget,
    span: float,
    seed: int,
    stats: dict[str, Any],
    lp_pre: Any = None,
) -> tuple[NDArray[np.bool_], str, float]:
    """Large min-cost models with an incumbent: the PDLP bound, then SCIP on the core of PDLP's ``x``.

    :data:`LP_DUAL_SHARE` of ``span`` goes to PDLP (:func:`planner.optimize._lpdual.lp_dual_solve`:
    the bound ``L(u)`` at its duals, valid for any multipliers) and the rest to the core MIP
    (:func:`_core_stage` on :func:`planner.optimize._core.lp_core`). When that share pays for
    too few PDLP iterations (nothing ran), the subgradient bound of :data:`LAGRANGE_SHARE` and
    the Lagrangian core are used instead. ``lp_pre``: an :class:`~planner.optimize._lpdual.LpDual`
    whose PDLP part ran ahead (beside the local search), used when it matches (same result).
    """
    from planner.optimize._lpdual import lp_dual_solve

    ub = float(side.cost[inc].sum())
    res = lp_dual_solve(red, side, budget.ops(LP_DUAL_SHARE * span / budget.nominal_s()), budget, stats, ub, lp_pre)
    x: NDArray[np.float64] | None = res.x
    lb, rc, share = res.bound, res.rc, LP_DUAL_SHARE
    if res.iterations == 0:
        lb, rc = lagrangian_bound(red, side, ub, budget.ops(LAGRANGE_SHARE * span / budget.nominal_s()), budget, stats)
        x, share = None, LAGRANGE_SHARE
    bound = max(0.0, round_cost_bound(lb, side.cost))
    return _core_stage(red, side, inc, rc, bound, budget=budget, span=(1.0 - share) * span, seed=seed, stats=stats, x=x)


def _core_stage(
    red: Reduced,
    side: Side,
    inc: NDArray[np.bool_],
    rc: NDArray[np.float64],
    bound: float,
    *,
    budget: Budget,
    span: float,
    seed: int,
    stats: dict[str, Any],
    x: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.bool_], str, float]:
    """Large min-cost models: SCIP on a core instead of an exact solve of the whole model.

    ``span``: the core stage's own share (nominal s). The core is PDLP's (the incumbent and
    the columns of largest primal ``x``, :func:`~planner.optimize._core.lp_core`, sized by
    :data:`~planner.optimize._core.CORE_X_COLS_PER_S`) when ``x`` is given, else the
    Lagrangian one (smallest reduced costs ``rc``, :func:`~planner.optimize._core.core_size`).
    The bound stays the Lagrangian/LP-dual one (the core's bound holds for the core only).
    SCIP runs on a node limit (:func:`~planner.optimize._core.core_nodes`: the root plus
    nodes for the share left after the root's estimate from the core's size); below
    :data:`~planner.optimize._core.CORE_MIN_S` the stage is skipped.
    """
    from planner.optimize._core import (
        CORE_MIN_S,
        CORE_X_COLS,
        CORE_X_COLS_PER_S,
        core_mip,
        core_nodes,
        core_size,
        core_units,
        lagrangian_core,
        lp_core,
    )

    core_span = span
    stats["backend_used"] = "scip"
    best, best_val = inc, float(side.cost[inc].sum())
    cand = None
    if core_span >= CORE_MIN_S:
        if x is not None:
            keep = lp_core(red, x, rc, inc, int(min(CORE_X_COLS, CORE_X_COLS_PER_S * core_span)))
        else:
            keep = lagrangian_core(red, rc, inc, core_size(core_span))
        nodes = core_nodes(core_span, int(keep.size))
        cand = core_mip(
            red,
            side,
            inc,
            rc,
            deadline=budget.deadline,
            node_limit=nodes,
            seed=seed,
            stats=stats,
            keep=keep,
        )
        stats["core_mip"]["core"] = "lp" if x is not None else "lagrangian"
        # charged what its core and node limit are estimated to cost (above the share when the
        # root's estimate alone is: the overrun is then on record), not the share itself
        budget.spend("core_mip", core_units(int(keep.size), nodes))
    else:
        stats["core_mip"] = {"skipped": f"its share ({core_span:.2f} nominal s) is below {CORE_MIN_S} s"}
    if cand is not None:
        best, best_val = cand, float(side.cost[cand].sum())
    if abs(best_val - bound) <= 1e-9 * max(1.0, abs(best_val)):
        return best, "optimal", best_val
    return best, "feasible", bound


def clipped_costs(side: Side, mode: str, ub: float) -> Side:
    """Side constraints with every cost above a cap lowered to the cap, for the exact models.

    ``min_cost``/``min_cost_at`` with an incumbent of cost ``ub``: a column dearer than
    ``ub`` is in no better plan, and at cost ``floor(ub) + 1`` it still is not, so the model
    keeps its optimum while an extreme cost (say 1e300 万元) no longer forces a scaling that
    rounds every ordinary cost to zero. ``max_coverage`` with a budget: a column dearer
    than the budget is never affordable, at ``floor(budget) + 1`` neither. Otherwise
    ``side`` is returned unchanged.
    """
    if mode in ("min_cost", "min_cost_at") and math.isfinite(ub):
        cap = math.floor(ub) + 1.0
    elif mode == "max_coverage" and math.isfinite(side.budget):
        cap = math.floor(side.budget) + 1.0
    else:
        return side
    if not (side.cost > cap).any():
        return side
    return replace(side, cost=np.minimum(side.cost, cap))


def costs_representable(cost: NDArray[np.float64]) -> bool:
    """Whether the exact back-ends can use these costs without rounding.

    See :func:`~planner.optimize._cpsat.int_scale`.
    """
    from planner.optimize._cpsat import int_scale

    return bool(int_scale(np.asarray(cost, dtype=np.float64))[2])


def run_exact(
    red: Reduced,
    side: Side,
    mode: str,
    inc: NDArray[np.bool_] | None,
    *,
    budget: Budget,
    span: float,
    workers: int,
    seed: int,
    gap_limit: float,
    backend: str,
    stats: dict[str, Any],
    min_cover_int: int | None = None,
    deterministic: bool = True,
    lp_pre: Any = None,
) -> tuple[NDArray[np.bool_] | None, str, float]:
    """LP bound, a core solve, then the full model; returns (selection, status, bound) in reduced units.

    ``mode``: ``min_cost``, ``max_coverage`` or ``min_cost_at`` (lexicographic stage 2).
    ``span``: this stage's share of the budget in nominal seconds (``budget.nominal_s``).
    A solver optimum counts as proven only when the model's integer costs (weights) are
    exact; a bound equal to the plan's value proves it in any case. ``lp_pre``: PDLP run ahead
    for the large min-cost path (:func:`_lp_core_stage`), or None.
    """
    from planner.optimize._cpsat import build_and_solve
    from planner.optimize._lp import solve_lp

    minimise = mode != "max_coverage"
    best = inc
    best_val = _value(red, side, mode, inc) if inc is not None else (math.inf if minimise else -math.inf)
    model_side = clipped_costs(side, mode, best_val if minimise and best is not None else math.inf)
    problem_side = model_side
    bound = 0.0 if minimise else float(red.w.sum())
    core_used = False
    if mode == "min_cost" and red.a.nnz > LP_MAX_NNZ:
        if backend != "cpsat" and best is not None:
            return _lp_core_stage(red, side, best, budget=budget, span=span, seed=seed, stats=stats, lp_pre=lp_pre)
        from planner.optimize._lpdual import lp_dual_bound

        ub_known = best_val if best is not None else math.inf
        bound_ops = budget.ops(LAGRANGE_SHARE * span / budget.nominal_s())
        lb, _ = lp_dual_bound(red, side, ub_known, bound_ops, budget, stats)
        if not stats["lp_dual"]["iterations"]:  # too small a share for PDLP: the subgradient
            lb, _ = lagrangian_bound(red, side, ub_known, bound_ops, budget, stats)
        bound = max(bound, round_cost_bound(lb, side.cost))
    elif (
        mode != "min_cost_at"
        and red.n_cols >= 50
        and red.a.nnz <= LP_MAX_NNZ
        and (lp_work := lp_units(red)) <= 0.5 * span * WORK_PER_S
    ):
        # HiGHS' interior point method has no work limit: its estimated work comes off this stage's share
        span -= lp_work / WORK_PER_S
        budget.spend("lp", lp_work)
        lp = solve_lp(red, side, "min_cost" if minimise else "max_coverage", budget.seconds_left())
        stats["lp"] = {"ok": lp.ok, "bound": lp.bound if lp.ok else None, "seconds": round(lp.seconds, 3)}
        if not lp.ok and budget.expired():
            stats["lp"]["time_limited"] = True
        if lp.ok:
            lb = lp.bound
            if minimise:
                lb = round_cost_bound(lb, side.cost)
            elif integral(red.w):
                lb = math.floor(lb + 1e-6)
            bound = max(bound, lb) if minimise else min(bound, lb)
            if red.n_cols >= CORE_MIN_COLS and minimise:
                core = choose_core(red, lp.reduced_cost, lp.x, inc, 5 if minimise else 3)
                stats["core_cols"] = int(core.size)
                if core.size < 0.7 * red.n_cols:
                    sub = restrict(red, core)
                    from planner.optimize._side import side_of_subset

                    sub_side = side_of_subset(problem_side, core)
                    hint = inc[core] if inc is not None else None
                    core_used = True
                    rc_ = build_and_solve(
                        sub,
                        sub_side,
                        mode,
                        deadline=budget.deadline,
                        dtime=DTIME_PER_S * 0.35 * span,
                        workers=workers,
                        seed=seed,
                        hint=hint,
                        gap_limit=gap_limit,
                        deterministic=deterministic,
                        min_cover_int=min_cover_int,
                    )
                    budget.spend("core", DTIME_PER_S * 0.35 * span / DTIME_PER_UNIT)
                    stats["core"] = {
                        "status": rc_.status,
                        "objective": rc_.objective,
                        "seconds": round(rc_.wall_s, 3),
                        "time_limited": bool(rc_.info.get("time_limited")),
                    }
                    if rc_.x is not None:
                        cand = np.zeros(red.n_cols, dtype=bool)
                        cand[core[rc_.x]] = True
                        v = _value(red, side, mode, cand)
                        if (v < best_val - 1e-9) if minimise else (v > best_val + 1e-9):
                            best, best_val = cand, v
    exact_span = (0.5 if core_used else 0.85) * span
    build_ops = EXACT_BUILD_OPS * (red.a.nnz + red.a.shape[0] + red.n_cols)
    if build_ops > exact_span * WORK_PER_S * OPS_PER_UNIT:
        # building the model alone would overrun this stage's share (a deterministic test)
        stats["exact"] = {
            "skipped": "the model is too large for the work budget",
            "build_units": build_ops / OPS_PER_UNIT,
        }
        return _without_exact(best, best_val, bound)
    # ``auto`` runs CP-SAT here (its deterministic time bounds the whole search), except on
    # min-cost models with partial targets whose share pays for SCIP's root and AUTO_SCIP_MIN_NODES
    # nodes (see there); SCIP's work is bounded by its node limit and settings
    spent = exact_span * WORK_PER_S
    y_rows = int((~red.hard).sum()) if mode == "min_cost" else int(red.a.shape[0])
    size = scip_lp_size(int(red.a.nnz), int(red.a.shape[0]), int(red.n_cols), y_rows)
    nodes = scip_nodes(size, exact_span * WORK_PER_S)
    if backend == "auto" and mode == "min_cost" and y_rows > 0 and nodes >= AUTO_SCIP_MIN_NODES:
        backend = "scip"
        stats["auto_scip"] = {"node_limit": nodes, "min_nodes": AUTO_SCIP_MIN_NODES}
    if backend == "scip":
        from planner.optimize._scip import scip_solve

        stats["backend_used"] = "scip"
        if nodes == 0:  # SCIP's root alone would overrun this stage's share (a deterministic test)
            stats["exact"] = {
                "skipped": "SCIP's root node alone would exceed its share of the work budget",
                "root_units": round(scip_units(size, 1), 3),
                "share_units": round(exact_span * WORK_PER_S, 3),
            }
            return _without_exact(best, best_val, bound)
        # one thread: SCIP's concurrent solver (2 threads and more) is not reproducible; the full
        # hint (x and the y it implies) starts the search from the incumbent
        res = scip_solve(
            red,
            model_side,
            mode,
            deadline=budget.deadline,
            workers=1,
            seed=seed,
            hint=best,
            gap_limit=gap_limit,
            min_cover_int=min_cover_int,
            node_limit=nodes,
            settings=SCIP_EXACT_SETTINGS,
            full_hint=True,
        )
        res.info["node_limit"] = nodes
        spent = scip_units(size, nodes)
    else:
        res = build_and_solve(
            red,
            model_side,
            mode,
            deadline=budget.deadline,
            dtime=DTIME_PER_S * exact_span,
            workers=workers,
            seed=seed,
            hint=best,
            gap_limit=gap_limit,
            deterministic=deterministic,
            min_cover_int=min_cover_int,
        )
    budget.spend("exact", spent)
    at_gap = res.status == "optimal" and abs(float(res.objective) - float(res.bound)) > 1e-6 * max(
        1.0, abs(float(res.objective))
    )  # CP-SAT's OPTIMAL at solver.gap_limit > 0: no proof, so no "optimal" in the manifest either
    stats["exact"] = dict(res.info, status="gap_limit" if at_gap else res.status, seconds=round(res.wall_s, 3))
    if at_gap and "cpsat_status" in res.info:  # the manifest never repeats the solver's "OPTIMAL" without a proof
        stats["exact"]["cpsat_status"] = "GAP_LIMIT_REACHED"
    exact = bool(res.info.get("c_exact", True)) if minimise else bool(res.info.get("w_exact", True))
    if res.status == "infeasible":
        if best is None:
            return None, "infeasible", math.nan
        # cannot happen for a valid incumbent; keep it
        return best, "feasible", bound
    if res.x is not None:
        v = _value(red, side, mode, res.x)
        scale = res.info["c_scale"] if minimise else res.info["w_scale"]
        b = round_cost_bound(res.bound / scale, side.cost) if minimise else res.bound / scale
        if exact:
            bound = max(bound, b) if minimise else min(bound, b)
        if (v < best_val - 1e-9) if minimise else (v > best_val + 1e-9) or best is None:
            best, best_val = res.x, v
    if best is None:
        return None, "unknown", bound
    # a solver's "optimal" proves the plan only when its own bound meets its objective: with
    # solver.gap_limit > 0 CP-SAT reports OPTIMAL as soon as the gap is within the limit
    proven = (
        exact
        and res.status == "optimal"
        and not at_gap
        and res.x is not None
        and abs(_value(red, side, mode, res.x) - best_val) < 1e-9
    )
    if abs(best_val - bound) <= 1e-9 * max(1.0, abs(best_val)):
        proven = True
    if proven:
        bound = best_val
    return best, "optimal" if proven else "feasible", bound


def _without_exact(
    best: NDArray[np.bool_] | None, best_val: float, bound: float
) -> tuple[NDArray[np.bool_] | None, str, float]:
    """The result of :func:`run_exact` when its exact back-end is skipped: the incumbent and the bound so far."""
    if best is None:
        return None, "unknown", bound
    proven = abs(best_val - bound) <= 1e-9 * max(1.0, abs(best_val))
    return best, "optimal" if proven else "feasible", best_val if proven else bound
