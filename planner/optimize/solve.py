"""``solve``: reductions, a fast heuristic, then an exact OR-Tools back-end under one work budget."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from planner._json import jsonable
from planner.errors import PlannerError, Problem
from planner.optimize._budget import (
    OPS_PER_UNIT,
    TIME_LIMITED_WARNING,
    Budget,
    resolve_work,
)
from planner.optimize._cft import cft_applies, cft_improve, warm_up_cft
from planner.optimize._cft_partial import cft_partial_stage, warm_up_partial
from planner.optimize._exact import (  # noqa: F401  (re-exported: the stage constants live there)
    CORE_MIN_COLS,
    DTIME_PER_S,
    LAGRANGE_SHARE,
    LP_DUAL_SHARE,
    LP_MAX_NNZ,
    _value,
    backend_name,
    lagrangian_bound,
    run_exact,
)
from planner.optimize._granule import round_cost_bound
from planner.optimize._heuristics import greedy_select, improve
from planner.optimize._reduce import Reduced, reduce_problem
from planner.optimize._side import side_of
from planner.optimize._warmup import warm_up
from planner.optimize.problem import CoverageProblem

log = logging.getLogger(__name__)

Objective = Literal["min_cost", "max_coverage", "lexicographic"]
Backend = Literal["auto", "cpsat", "scip", "greedy"]
OBJECTIVES = ("min_cost", "max_coverage", "lexicographic")
BACKENDS = ("auto", "cpsat", "scip", "greedy")


@dataclass
class Solution:
    """The result of :func:`solve`.

    Attributes
    ----------
    status : str
        ``"optimal"`` (proven), ``"feasible"`` (a plan, not proven optimal), ``"infeasible"``
        (no plan meets the constraints; see ``stats["diagnostic"]``) or ``"unknown"``
        (no plan found within the work budget).
    objective : float
        Total cost (``min_cost``, ``lexicographic``) or covered weight (``max_coverage``).
    bound : float
        Proven lower (min) or upper (max) bound on the objective.
    gap : float
        ``|objective − bound| / max(|objective|, 1e-9)``; 0 when optimal.
    selected : ndarray of int64
        Sorted indices of the selected columns (fixed sites included).
    runtime_s : float
        Wall time of the solve from the start of its work budget (s); the JIT warm-up before
        it is ``stats["time_compile_s"]``.
    backend : str
        Back-end that produced the plan.
    stats : dict
        Reduction sizes, timings, coverage per area, heuristic values.
    """

    status: str
    objective: float
    bound: float
    gap: float
    selected: NDArray[np.int64]
    runtime_s: float
    backend: str
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the selected indices as a list; :func:`planner._json.jsonable`)."""
        return {
            "status": self.status,
            "objective": jsonable(self.objective),
            "bound": jsonable(self.bound),
            "gap": jsonable(self.gap),
            "selected": [int(j) for j in self.selected],
            "n_selected": len(self.selected),
            "runtime_s": round(float(self.runtime_s), 3),
            "backend": self.backend,
            "stats": jsonable(self.stats),
        }


def evaluate(p: CoverageProblem, selected: NDArray[np.int64]) -> dict[str, Any]:
    """Cost, covered weight and per-area coverage of a selection in the original problem."""
    sel = np.zeros(p.n_cols, dtype=bool)
    sel[np.asarray(selected, dtype=np.int64)] = True
    cnt = np.asarray(p.a @ sel.astype(np.int64)).ravel() if p.n_rows else np.zeros(0, np.int64)
    ok = cnt >= p.row_k
    total = np.bincount(p.row_area, weights=p.row_weight, minlength=p.n_areas)
    cov = np.bincount(p.row_area, weights=p.row_weight * ok, minlength=p.n_areas)
    frac = np.divide(cov, total, out=np.ones_like(total), where=total > 0)
    return {
        "cost": float(p.cost[sel].sum()),
        "covered_weight": float(cov.sum()),
        "area_covered": cov,
        "area_total": total,
        "area_fraction": frac,
        "n_sites": int(sel.sum()),
    }


def _gap(obj: float, bound: float) -> float:
    if not (math.isfinite(obj) and math.isfinite(bound)):
        return math.inf
    return abs(obj - bound) / max(abs(obj), 1e-9)


def _csc(red: Reduced) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    c = red.a.tocsc()
    c.sort_indices()
    return c.indptr.astype(np.int64), c.indices.astype(np.int64)


def _feasible_min_cost(red: Reduced, sel: NDArray[np.bool_]) -> bool:
    from planner.optimize._heuristics import _meets_targets

    return _meets_targets(red, sel)


def _covered_int(red: Reduced, sel: NDArray[np.bool_], w_int: NDArray[np.int64]) -> int:
    cnt = np.asarray(red.a @ sel.astype(np.int64)).ravel()
    return int(w_int[cnt >= red.k].sum())


def _diagnose(p: CoverageProblem, red: Reduced) -> dict[str, Any] | None:
    """Areas whose need exceeds what every allowed site together can cover (min_cost)."""
    reach = red.total_w - red.lost_w
    bad = []
    for ar in range(p.n_areas):
        req = p.area_target[ar] * red.total_w[ar]
        if req > reach[ar] + 1e-9 * max(red.total_w[ar], 1.0):
            bad.append(
                {
                    "area": p.area_names[ar],
                    "target": float(p.area_target[ar]),
                    "best_possible": float(reach[ar] / red.total_w[ar]) if red.total_w[ar] > 0 else 0.0,
                }
            )
    if not bad:
        return None
    return {"reason": "targets above the best achievable coverage", "areas": bad}


def solve(
    problem: CoverageProblem,
    objective: Objective | str = "min_cost",
    time_limit_s: float = 60.0,
    workers: int = 8,
    seed: int = 0,
    backend: Backend | str = "auto",
    gap_limit: float = 0.0,
    deterministic: bool = True,
    work_limit: float = 0.0,
) -> Solution:
    """Solve a :class:`CoverageProblem`.

    Stages, each bounded by a share of one *work budget* (:mod:`planner.optimize._budget`;
    ``work_limit`` units, or ``time_limit_s ×`` :data:`~planner.optimize._budget.WORK_PER_S`),
    never by the clock: reductions (fixed/forbidden sites, essential columns, identical rows
    merged, dominated rows and columns dropped, :data:`REDUCE_SHARE`; sizes in
    ``stats["reduction"]``); lazy greedy + redundant-site removal (at most
    :data:`GREEDY_SHARE`); local search (row-weighting for pure set cover, area-weighting for
    min cost with partial targets, tabu swap for max coverage with a site count; 30 % of the
    budget, :data:`PARTIAL_LS_SHARE` for partial targets above :data:`LP_MAX_NNZ`); a bound
    (LP relaxation with scipy's HiGHS IPM up to :data:`LP_MAX_NNZ` nonzeros, else a
    subgradient Lagrangian bound); for ≥ :data:`CORE_MIN_COLS` columns a CP-SAT solve on the
    core of small reduced-cost columns; then the exact back-end on the whole reduced model,
    hinted with the best plan (CP-SAT on deterministic time, SCIP on a node limit). Min-cost
    models above :data:`LP_MAX_NNZ` nonzeros (backend ``auto`` or ``scip``) skip that last
    step: the bound is ``L(u)`` at PDLP's approximate LP duals (:mod:`planner.optimize._lpdual`,
    ``stats["lp_dual"]``) and SCIP solves the core of PDLP's largest primal values plus the
    incumbent (:mod:`planner.optimize._core`; ``stats["core_mip"]``); with partial targets
    and backend ``auto`` these get :data:`PARTIAL_EXACT_SHARE` of the budget, and their PDLP runs
    beside the local search (on ``workers`` threads; :func:`_lp_ahead`: the same plan). The returned
    bound is the best of the LP/Lagrangian and solver bounds (rounded when costs or weights
    are integral), always valid for the whole model.

    ``stats["budget"]`` records the resolved budget, the work each stage used and
    ``time_limited``: True when the wall-clock safety stop (3 × the limit + 5 s) cut a stage
    short; the plan may then differ between runs, and ``stats["warnings"]`` says so.
    JIT compilation of the kernels (:func:`warm_up`) happens before the budget starts.

    Parameters
    ----------
    problem : CoverageProblem
        The problem (see its docstring for the formulation).
    objective : {"min_cost", "max_coverage", "lexicographic"}
        What to optimise.
    time_limit_s : float
        Nominal limit of the whole call (s, > 0): converted into the work budget when
        ``work_limit`` is 0, and the base of the wall-clock safety stop.
    workers : int
        Threads of the exact solver.
    seed : int
        Random seed of CP-SAT, SCIP and the local search.
    backend : {"auto", "cpsat", "scip", "greedy"}
        Exact back-end, or the heuristics alone. ``auto``: CP-SAT (deterministic time), with
        SCIP on the Lagrangian core of large min-cost models, and SCIP instead of CP-SAT on
        min-cost models with partial targets whose share pays for its root and
        :data:`~planner.optimize._exact.AUTO_SCIP_MIN_NODES` nodes. ``greedy`` bounds ``min_cost``
        by a short subgradient Lagrangian run (:data:`GREEDY_BOUND_SHARE` of the budget);
        its ``max_coverage`` bound is the total reachable weight.
    gap_limit : float
        Stop when the relative gap falls below this.
    deterministic : bool
        Same seed, inputs and budget give the same selection: CP-SAT interleaves its workers
        in deterministic batches (``interleave_search``). ``False`` runs CP-SAT's free
        parallel portfolio (not reproducible); the other stages are work-bounded either way.
    work_limit : float
        Work budget in units (≥ 0; 0 = derive it from ``time_limit_s``).

    Returns
    -------
    Solution
        Never raises on infeasible targets: status ``"infeasible"`` and ``stats["diagnostic"]``.
    """
    if objective not in OBJECTIVES:
        raise PlannerError(
            Problem(f"unknown objective {objective!r}", "objective.kind", fix=f"use one of {', '.join(OBJECTIVES)}")
        )
    if backend not in BACKENDS:
        raise PlannerError(
            Problem(f"unknown backend {backend!r}", "solver.backend", fix=f"use one of {', '.join(BACKENDS)}")
        )
    try:
        resolve_work(time_limit_s, work_limit)
    except (TypeError, ValueError) as exc:
        raise PlannerError(
            Problem(str(exc), "solver", fix="give solver.time_limit_s > 0 s and solver.work_limit >= 0")
        ) from None
    t_compile = time.perf_counter()
    warm_up()
    warm_up_cft()
    warm_up_partial()
    budget = Budget.start(time_limit_s, work_limit)
    t0 = budget.t0
    mode = "min_cost" if objective == "min_cost" else "max_coverage"
    red = reduce_problem(problem, mode, max_checks=_reduce_checks(problem, budget))
    side = side_of(problem, red, mode)
    stats: dict[str, Any] = {
        "reduction": dict(red.stats),
        "objective_kind": objective,
        "time_compile_s": round(t0 - t_compile, 4),
    }
    budget.spend("reduce", red.stats.get("dominance_checks", 0) * REDUCE_OPS_PER_CHECK / OPS_PER_UNIT)
    t_red = time.perf_counter()
    stats["time_reduce_s"] = round(t_red - t0, 4)
    base_sel = np.flatnonzero(red.base)
    base_cost = float(problem.cost[red.base].sum())

    def finish(status: str, sel_free: NDArray[np.bool_] | None, bound: float, backend_name: str) -> Solution:
        sel = np.sort(np.r_[base_sel, red.cols[sel_free] if sel_free is not None else np.zeros(0, np.int64)]).astype(
            np.int64
        )
        ev = evaluate(problem, sel)
        obj = ev["covered_weight"] if objective == "max_coverage" else ev["cost"]
        stats["coverage"] = {
            "covered_weight": ev["covered_weight"],
            "cost": ev["cost"],
            "n_sites": ev["n_sites"],
            "area_fraction": [float(v) for v in ev["area_fraction"]],
        }
        if status in ("infeasible", "unknown") and sel_free is None:
            obj = math.nan
        notes: list[str] = []
        if (
            sel_free is not None
            and objective != "max_coverage"
            and not _costs_resolvable(problem, ev["cost"], ev["n_sites"])
        ):
            if status == "optimal":
                status = "feasible"  # sums of these costs cannot tell plans apart: no proof
            notes.append(COST_RANGE_WARNING)
            stats["cost_range"] = {"proof_possible": False}
        gap = 0.0 if status == "optimal" else _gap(obj, bound)
        rt = time.perf_counter() - t0
        _collect_time_limits(stats, budget)
        stats["budget"] = budget.report()
        if budget.cut:
            notes.append(TIME_LIMITED_WARNING)
        if notes:
            stats["warnings"] = notes
        return Solution(status, float(obj), float(bound), float(gap), sel, rt, backend_name, stats)

    if red.stats.get("infeasible_reason"):
        stats["diagnostic"] = {"reason": red.stats["infeasible_reason"]}
        return finish("infeasible", None, math.nan, "presolve")
    if mode == "min_cost":
        diag = _diagnose(problem, red)
        if diag is not None:
            stats["diagnostic"] = diag
            return finish("infeasible", None, math.nan, "presolve")
        if red.a.shape[0] == 0:  # nothing left to cover: the fixed sites suffice
            return finish("optimal", np.zeros(red.n_cols, bool), base_cost, "presolve")

    # stage: greedy
    c_ptr, c_idx = _csc(red)
    th = time.perf_counter()
    g_sel = greedy_select(red, side, mode, c_ptr, c_idx, max_ops=budget.ops(GREEDY_SHARE), stats=stats)
    budget.spend("greedy", stats["greedy"]["ops"] / OPS_PER_UNIT if "greedy" in stats else 0.0)
    greedy_done = bool(stats.get("greedy", {}).get("done", True))
    g_ok = greedy_done and (_feasible_min_cost(red, g_sel) if mode == "min_cost" else True)
    # stage: local search (full-cover min-cost models: the CFT engine below instead, on the same share)
    large_partial = mode == "min_cost" and backend == "auto" and red.a.nnz > LP_MAX_NNZ and not bool(red.hard.all())
    lp_pre = _lp_ahead(red, side, objective, large_partial and g_ok, budget, workers)
    if g_ok and red.n_cols and not cft_applies(red, side, mode):
        if backend == "greedy":
            frac = 0.5
        else:
            frac = 0.3 if backend == "auto" else 0.15
            if large_partial:
                frac = PARTIAL_LS_SHARE
        g_sel = improve(
            red,
            side,
            mode,
            g_sel,
            budget.ops(frac),
            seed=seed,
            stats=stats,
            deadline=budget.deadline,
            beside=None if lp_pre is None else lp_pre[1],
        )
        budget.spend("local_search", stats.get("local_search", {}).get("ops", 0.0) / OPS_PER_UNIT)
    stats["time_heuristic_s"] = round(time.perf_counter() - th, 4)
    const_w = float(red.const_w.sum())
    if mode == "min_cost":
        stats["heuristic_objective"] = base_cost + float(side.cost[g_sel].sum()) if g_ok else None
        trivial_bound = base_cost
    else:
        stats["heuristic_objective"] = const_w + float(
            red.w[np.asarray(red.a @ g_sel.astype(np.int64)).ravel() >= red.k].sum()
        )
        trivial_bound = const_w + float(red.w.sum())
    cft_lb = (
        -math.inf
    )  # full-cover min-cost models: the CFT engine's cover and Lagrangian bound (planner.optimize._cft)
    if g_ok and cft_applies(red, side, mode):
        g_sel, cft_lb = cft_improve(red, side, g_sel, budget, seed, stats)
    # partial targets with side constraints, or no greedy plan: planner.optimize._cft_partial
    g_sel, g_ok, cft_lb = cft_partial_stage(red, side, mode, g_sel, g_ok, greedy_done, cft_lb, budget, seed, stats)
    if g_ok and cft_lb >= float(side.cost[g_sel].sum()) - 1e-9 * max(1.0, float(side.cost[g_sel].sum())):
        return finish("optimal", g_sel, base_cost + float(side.cost[g_sel].sum()), "cft")
    if backend == "greedy" or red.n_cols == 0:
        if mode == "min_cost" and not g_ok:
            reason = (
                "the greedy ran out of its work budget before meeting every target (raise solver.time_limit_s "
                "or solver.work_limit)"
                if not greedy_done
                else "the heuristic found no plan meeting every target under the side constraints"
            )
            stats["diagnostic"] = {"reason": reason}
            return finish("unknown", None, trivial_bound, "greedy")
        bnd = trivial_bound if objective != "lexicographic" else base_cost
        if objective == "min_cost" and red.n_cols and red.a.shape[0]:
            ub = float(side.cost[g_sel].sum())
            lb, _ = lagrangian_bound(red, side, ub, budget.ops(GREEDY_BOUND_SHARE), budget, stats)
            lb = round_cost_bound(lb, side.cost)
            bnd = base_cost + max(0.0, lb, cft_lb)
            if lb >= ub - 1e-9 * max(1.0, ub):
                return finish("optimal", g_sel, base_cost + ub, "greedy")
        return finish("feasible", g_sel, bnd, "greedy")

    # stage: bound, core and exact back-end
    stats["deterministic"] = deterministic
    span = budget.nominal_s(PARTIAL_EXACT_SHARE if large_partial else 0.7)
    if objective == "lexicographic":
        from planner.optimize._cpsat import int_scale

        sel1, st1, bnd1 = run_exact(
            red,
            side,
            "max_coverage",
            g_sel,
            budget=budget,
            span=0.5 * span,
            workers=workers,
            seed=seed,
            gap_limit=gap_limit,
            backend=backend,
            stats=stats.setdefault("stage1", {}),
            deterministic=deterministic,
        )
        if sel1 is None:
            sel1 = g_sel
        _, w_int, _ = int_scale(red.w)
        target = _covered_int(red, sel1, w_int)
        stats["stage1"].update(
            {
                "status": st1,
                "covered_weight": const_w + _value(red, side, "max_coverage", sel1),
                "bound": const_w + bnd1,
            }
        )
        sel2, st2, bnd2 = run_exact(
            red,
            side,
            "min_cost_at",
            sel1,
            budget=budget,
            span=0.5 * span,
            workers=workers,
            seed=seed,
            gap_limit=gap_limit,
            backend=backend,
            stats=stats.setdefault("stage2", {}),
            min_cover_int=target,
            deterministic=deterministic,
        )
        status = "optimal" if (st1 == "optimal" and st2 == "optimal") else "feasible"
        bound = base_cost + bnd2 if st1 == "optimal" else base_cost  # a cost bound holds only at proven coverage
        return finish(status, sel2, bound, stats.get("backend_used", backend_name(backend)))
    sel, status, bnd = run_exact(
        red,
        side,
        mode,
        g_sel if g_ok else None,
        budget=budget,
        span=span,
        workers=workers,
        seed=seed,
        gap_limit=gap_limit,
        backend=backend,
        stats=stats,
        deterministic=deterministic,
        lp_pre=None if lp_pre is None else lp_pre[0],
    )
    if status == "infeasible":
        stats["diagnostic"] = {
            "reason": "no selection meets every target under the side constraints "
            "(conflicts, pole groups, per-type caps)"
        }
        return finish("infeasible", None, math.nan, stats.get("backend_used", backend_name(backend)))
    if sel is None:
        return finish(
            "unknown",
            None,
            base_cost + bnd if mode == "min_cost" else const_w + bnd,
            stats.get("backend_used", backend_name(backend)),
        )
    return finish(
        status,
        sel,
        base_cost + max(bnd, cft_lb) if mode == "min_cost" else const_w + bnd,
        stats.get("backend_used", backend_name(backend)),
    )


def _lp_ahead(
    red: Reduced, side: Any, objective: str, applies: bool, budget: Budget, workers: int = 1
) -> tuple[Any, Callable[[], None]] | None:
    """PDLP to run beside the local search: ``(LpDual, the call that runs it)``, or None.

    On large min-cost models with partial targets and a greedy plan (``applies``), the exact stage
    starts with PDLP on the whole model (:func:`planner.optimize._exact._lp_core_stage`), which
    depends on the model alone, not on the local search's plan. Its PDLP part
    (:meth:`planner.optimize._lpdual.LpDual.prefetch`, the same work units as there:
    :data:`LP_DUAL_SHARE` of :data:`PARTIAL_EXACT_SHARE`) then runs in the main thread while the
    area-weighting search runs on a worker thread (:func:`planner.optimize._heuristics.improve_partial`):
    the same plans, bounds and work, in less wall time when a second core is free. The exact stage
    uses it only when it matches its own call (else PDLP runs there as before). With ``workers`` = 1
    nothing runs beside the search (the user asked for one thread; the plan is the same). PDLP gets
    ``workers`` threads (at most the CPUs it may run on and :data:`~planner.optimize._lpdual.PDLP_SHARDS`): its
    fixed shards make its iterates independent of the threads (see
    :data:`~planner.optimize._lpdual.PDLP_THREADS` for the timings).
    """
    if objective != "min_cost" or not applies or red.n_cols == 0 or workers < 2:
        return None
    from planner.optimize._lpdual import PDLP_SHARDS, LpDual

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    ld = LpDual(red, side, threads=max(1, min(int(workers), PDLP_SHARDS, cpus)))
    ops = budget.ops(LP_DUAL_SHARE * budget.nominal_s(PARTIAL_EXACT_SHARE) / budget.nominal_s())
    return ld, lambda: ld.prefetch(ops, budget.deadline)


def _collect_time_limits(stats: dict[str, Any], budget: Budget) -> None:
    """Mark in ``budget`` every stage whose stats say the safety stop cut it short."""
    for name, part in (
        ("local_search", stats.get("local_search")),
        ("lagrangian", stats.get("lagrangian")),
        ("lp_dual", stats.get("lp_dual")),
        ("lp", stats.get("lp")),
        ("core", stats.get("core")),
        ("core_mip", stats.get("core_mip")),
        ("exact", stats.get("exact")),
        ("stage1", (stats.get("stage1") or {}).get("exact")),
        ("stage2", (stats.get("stage2") or {}).get("exact")),
    ):
        if isinstance(part, dict) and part.get("time_limited"):
            budget.limited(name)


#: a proven optimum is withheld (status "feasible") when the costs span too wide a range
COST_RANGE_WARNING = (
    "the site costs span too wide a range (the largest swamps the smallest in sums of costs): "
    "the plan is not proven optimal; check for absurd costs"
)


def _costs_resolvable(p: CoverageProblem, plan_cost: float, n_sites: int) -> bool:
    """Whether a float sum at the plan's cost still resolves half the smallest cost a better plan could use.

    Columns dearer than the plan are in no better plan and do not count. Two needed sites of
    1e300 万元 make every ordinary cost vanish in the plan's total, so no objective value or
    bound can prove that plan optimal.
    """
    cost = p.cost[~p.forbidden]
    pos = cost[(cost > 0) & (cost <= plan_cost)]
    if pos.size == 0:
        return True
    err = abs(plan_cost) * 4.0 * max(n_sites, 1) * float(np.finfo(np.float64).eps)
    return math.isfinite(plan_cost) and err < 0.5 * float(pos.min())


def _reduce_checks(problem: CoverageProblem, budget: Budget) -> int:
    """Subset tests the dominance reductions may run (:data:`REDUCE_SHARE` of the budget)."""
    return int(min(50_000_000, max(10_000.0, budget.ops(REDUCE_SHARE) / REDUCE_OPS_PER_CHECK)))


#: share of the work budget the dominance reductions may use at most
REDUCE_SHARE = 0.1
#: operations counted per dominance subset test (a merge of two short sorted lists, plus the
#: candidate scan around it: 6.4M tests took 15 s at a load average of 13 on 2 cores)
REDUCE_OPS_PER_CHECK = 200.0
#: share of the work budget the greedy may use at most before it stops unfinished (it
#: normally needs a small fraction: a few passes over the nonzeros)
GREEDY_SHARE = 0.5


#: share of the limit given to the partial-target local search on large models (above
#: :data:`LP_MAX_NNZ`, backend ``auto``); the PDLP bound and the core MIP on PDLP's ``x`` do the
#: rest (:data:`PARTIAL_EXACT_SHARE`). Old demo model: 105,000 steps reach 16,031, 210,000
#: 15,971, and the core MIP ends at 15,367–15,375 from either
PARTIAL_LS_SHARE = 0.15
#: share of the limit given to the bound + core stage on those models (what the reductions,
#: the greedy and the local search leave, less 1 %)
PARTIAL_EXACT_SHARE = 0.84


#: share of the budget given to a Lagrangian bound (:func:`lagrangian_bound`) with
#: ``backend="greedy"`` and ``min_cost``: a real bound for the heuristics-only back-end,
#: which otherwise could only report the fixed sites' cost (gap near 100 %)
GREEDY_BOUND_SHARE = 0.1
