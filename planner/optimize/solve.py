"""``solve``: reductions, a fast heuristic, then an exact OR-Tools back-end under one time limit."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.errors import PlannerError, Problem
from planner.optimize._heuristics import greedy_select, improve
from planner.optimize._reduce import Reduced, reduce_problem
from planner.optimize._side import Side, side_of
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
        (no plan found in the time limit).
    objective : float
        Total cost (``min_cost``, ``lexicographic``) or covered weight (``max_coverage``).
    bound : float
        Proven lower (min) or upper (max) bound on the objective.
    gap : float
        ``|objective − bound| / max(|objective|, 1e-9)``; 0 when optimal.
    selected : ndarray of int64
        Sorted indices of the selected columns (fixed sites included).
    runtime_s : float
        Wall time of the whole solve (s).
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
        """JSON-ready dictionary (the selected indices as a list)."""

        def clean(v: Any) -> Any:
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.floating | float):
                f = float(v)
                return f if math.isfinite(f) else None
            if isinstance(v, np.bool_):
                return bool(v)
            return v

        return {
            "status": self.status,
            "objective": clean(self.objective),
            "bound": clean(self.bound),
            "gap": clean(self.gap),
            "selected": [int(j) for j in self.selected],
            "n_selected": len(self.selected),
            "runtime_s": round(float(self.runtime_s), 3),
            "backend": self.backend,
            "stats": clean(self.stats),
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
    return {"cost": float(p.cost[sel].sum()), "covered_weight": float(cov.sum()), "area_covered": cov,
            "area_total": total, "area_fraction": frac, "n_sites": int(sel.sum())}


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
            bad.append({"area": p.area_names[ar], "target": float(p.area_target[ar]),
                        "best_possible": float(reach[ar] / red.total_w[ar]) if red.total_w[ar] > 0 else 0.0})
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
) -> Solution:
    """Solve a :class:`CoverageProblem`.

    Steps, all inside ``time_limit_s``: reductions (fixed/forbidden sites, essential columns,
    identical rows merged, dominated rows and columns dropped; sizes in ``stats["reduction"]``);
    lazy greedy + redundant-site removal; local search (row-weighting for pure set cover,
    area-weighting for min cost with partial targets, tabu swap for max coverage with a site
    count; about 30 % of the limit, :data:`PARTIAL_LS_SHARE` for partial targets above
    :data:`LP_MAX_NNZ`); a bound (LP
    relaxation with scipy's HiGHS IPM, or a subgradient Lagrangian bound above
    :data:`LP_MAX_NNZ` nonzeros); for ≥ :data:`CORE_MIN_COLS` columns a CP-SAT solve on the
    core of small reduced-cost columns; then the exact back-end on the whole reduced model,
    hinted with the best plan. Min-cost models above :data:`LP_MAX_NNZ` nonzeros (backend
    ``auto`` or ``scip``) skip that last step: SCIP solves the core of the smallest Lagrangian
    reduced costs (:mod:`planner.optimize._core`; ``stats["core_mip"]``) and the bound stays
    the Lagrangian one. The returned bound is the best of the LP/Lagrangian and solver
    bounds (rounded when costs or weights are integral), always valid for the whole model.

    Parameters
    ----------
    problem : CoverageProblem
        The problem (see its docstring for the formulation).
    objective : {"min_cost", "max_coverage", "lexicographic"}
        What to optimise.
    time_limit_s : float
        Wall-clock limit of the whole call (s): reductions, heuristics and the exact solver.
    workers : int
        Threads of the exact solver.
    seed : int
        Random seed of CP-SAT, SCIP and the local search.
    backend : {"auto", "cpsat", "scip", "greedy"}
        Exact back-end, or the heuristics alone. ``auto``: SCIP for small pure set-cover
        models, CP-SAT otherwise (see :data:`SCIP_MAX_NNZ`). ``greedy`` bounds ``min_cost``
        by a short subgradient Lagrangian run (:data:`GREEDY_BOUND_SHARE` of the limit);
        its ``max_coverage`` bound is the total reachable weight.
    gap_limit : float
        Stop when the relative gap falls below this.
    deterministic : bool
        Same seed and inputs give the same selection. Heuristic budgets are counted in work
        (steps) derived from ``time_limit_s``, not wall time; CP-SAT interleaves its workers
        in deterministic batches (``interleave_search``) and stops on a deterministic-time
        limit of :data:`DTIME_PER_S` units per second of the limit. The wall limit still
        applies as a safety net: a run it cuts short (an overloaded machine, or a model whose
        deterministic time accrues slower than 1 unit/s) is not reproducible. ``False``
        runs CP-SAT's free parallel portfolio and wall-clock heuristics.

    Returns
    -------
    Solution
        Never raises on infeasible targets: status ``"infeasible"`` and ``stats["diagnostic"]``.
    """
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
    if objective not in OBJECTIVES:
        raise PlannerError(Problem(f"unknown objective {objective!r}", "objective.kind", fix=f"use one of {', '.join(OBJECTIVES)}"))
    if backend not in BACKENDS:
        raise PlannerError(Problem(f"unknown backend {backend!r}", "solver.backend", fix=f"use one of {', '.join(BACKENDS)}"))
    mode = "min_cost" if objective == "min_cost" else "max_coverage"
    red = reduce_problem(problem, mode)
    side = side_of(problem, red, mode)
    stats: dict[str, Any] = {"reduction": dict(red.stats), "objective_kind": objective}
    t_red = time.perf_counter()
    stats["time_reduce_s"] = round(t_red - t0, 4)
    base_sel = np.flatnonzero(red.base)
    base_cost = float(problem.cost[red.base].sum())

    def finish(status: str, sel_free: NDArray[np.bool_] | None, bound: float, backend_name: str) -> Solution:
        sel = np.sort(np.r_[base_sel, red.cols[sel_free] if sel_free is not None else np.zeros(0, np.int64)]).astype(np.int64)
        ev = evaluate(problem, sel)
        obj = ev["covered_weight"] if objective == "max_coverage" else ev["cost"]
        stats["coverage"] = {"covered_weight": ev["covered_weight"], "cost": ev["cost"], "n_sites": ev["n_sites"],
                             "area_fraction": [float(v) for v in ev["area_fraction"]]}
        if status in ("infeasible", "unknown") and sel_free is None:
            obj = math.nan
        gap = 0.0 if status == "optimal" else _gap(obj, bound)
        rt = time.perf_counter() - t0
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

    c_ptr, c_idx = _csc(red)
    th = time.perf_counter()
    g_sel = greedy_select(red, side, mode, c_ptr, c_idx)
    g_ok = _feasible_min_cost(red, g_sel) if mode == "min_cost" else True
    if g_ok and red.n_cols and backend != "greedy":
        frac = 0.3 if backend == "auto" else 0.15
        if mode == "min_cost" and backend == "auto" and red.a.nnz > LP_MAX_NNZ and not bool(red.hard.all()):
            frac = PARTIAL_LS_SHARE
        budget = frac * time_limit_s if deterministic else frac * (deadline - time.perf_counter())
        g_sel = improve(red, side, mode, g_sel, budget, seed=seed, deterministic=deterministic, stats=stats)
    elif g_ok and red.n_cols:
        g_sel = improve(red, side, mode, g_sel, 0.5 * time_limit_s if deterministic else 0.5 * (deadline - time.perf_counter()), seed=seed,
                        deterministic=deterministic, stats=stats)
    stats["time_heuristic_s"] = round(time.perf_counter() - th, 4)
    const_w = float(red.const_w.sum())
    if mode == "min_cost":
        stats["heuristic_objective"] = base_cost + float(side.cost[g_sel].sum()) if g_ok else None
        trivial_bound = base_cost
    else:
        stats["heuristic_objective"] = const_w + float(red.w[np.asarray(red.a @ g_sel.astype(np.int64)).ravel() >= red.k].sum())
        trivial_bound = const_w + float(red.w.sum())
    if backend == "greedy" or red.n_cols == 0:
        if mode == "min_cost" and not g_ok:
            stats["diagnostic"] = {"reason": "the heuristic found no plan meeting every target under the side constraints"}
            return finish("unknown", None, trivial_bound, "greedy")
        bnd = trivial_bound if objective != "lexicographic" else base_cost
        if objective == "min_cost" and red.n_cols and red.a.shape[0]:
            ub = float(side.cost[g_sel].sum())
            lb, _ = lagrangian_bound(red, side, ub, GREEDY_BOUND_SHARE * time_limit_s if deterministic
                                     else GREEDY_BOUND_SHARE * (deadline - time.perf_counter()), deterministic, stats)
            if np.allclose(side.cost, np.round(side.cost)):
                lb = math.ceil(lb - 1e-6)
            bnd = base_cost + max(0.0, lb)
            if lb >= ub - 1e-9 * max(1.0, ub):
                return finish("optimal", g_sel, base_cost + ub, "greedy")
        return finish("feasible", g_sel, bnd, "greedy")

    stats["deterministic"] = deterministic
    if objective == "lexicographic":
        from planner.optimize._cpsat import int_scale

        mid = time.perf_counter() + 0.5 * (deadline - time.perf_counter())
        sel1, st1, bnd1 = run_exact(red, side, "max_coverage", g_sel, deadline=mid, span=0.35 * time_limit_s, workers=workers, seed=seed,
                                    gap_limit=gap_limit, backend=backend, stats=stats.setdefault("stage1", {}),
                                    deterministic=deterministic)
        if sel1 is None:
            sel1 = g_sel
        _, w_int, _ = int_scale(red.w)
        target = _covered_int(red, sel1, w_int)
        stats["stage1"].update({"status": st1, "covered_weight": const_w + _value(red, side, "max_coverage", sel1),
                                "bound": const_w + bnd1})
        sel2, st2, bnd2 = run_exact(red, side, "min_cost_at", sel1, deadline=deadline, span=0.35 * time_limit_s, workers=workers, seed=seed,
                                    gap_limit=gap_limit, backend=backend, stats=stats.setdefault("stage2", {}),
                                    min_cover_int=target, deterministic=deterministic)
        status = "optimal" if (st1 == "optimal" and st2 == "optimal") else "feasible"
        bound = base_cost + bnd2 if st1 == "optimal" else base_cost  # a cost bound holds only at proven coverage
        return finish(status, sel2, bound, stats.get("backend_used", backend_name(backend)))
    sel, status, bnd = run_exact(red, side, mode, g_sel if g_ok else None, deadline=deadline, span=0.7 * time_limit_s, workers=workers,
                                 seed=seed, gap_limit=gap_limit, backend=backend, stats=stats, deterministic=deterministic)
    if status == "infeasible":
        stats["diagnostic"] = {"reason": "no selection meets every target under the side constraints "
                               "(conflicts, pole groups, per-type caps)"}
        return finish("infeasible", None, math.nan, stats.get("backend_used", backend_name(backend)))
    if sel is None:
        return finish("unknown", None, base_cost + bnd if mode == "min_cost" else const_w + bnd, stats.get("backend_used", backend_name(backend)))
    return finish(status, sel, base_cost + bnd if mode == "min_cost" else const_w + bnd, stats.get("backend_used", backend_name(backend)))


#: CP-SAT deterministic time granted per second of the time limit in deterministic mode
#: (measured 0.3–0.46 per wall second on the 2-vCPU development machine under load, so the
#: deterministic limit, not the wall clock, normally ends the search)
DTIME_PER_S = 1.0
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
#: share of the limit given to the partial-target local search on large models (above
#: :data:`LP_MAX_NNZ`): 210,000 steps on the demo model reach the 15,975 that 315,000 did,
#: and the core MIP does the rest (CP-SAT on the whole model did not improve it in 23 s)
PARTIAL_LS_SHARE = 0.3


def lagrangian_bound(red: Reduced, side: Side, ub: float, budget_s: float, deterministic: bool,
                     stats: dict[str, Any]) -> tuple[float, NDArray[np.float64]]:
    """Subgradient Lagrangian bound (kernels.lagrange) in reduced cost units, and reduced costs."""
    from kernels.lagrange import subgradient
    from planner.optimize._heuristics import OPS_PER_S, csc_of

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
    iters = int(min(2000, max(20, budget_s * OPS_PER_S / per_iter)))
    chunk, done, lam, lb = 50, 0, LAGRANGE_LAMBDA0, -math.inf
    deadline = t0 + budget_s
    while done < iters and (deterministic or time.perf_counter() < deadline):
        val, lam = subgradient(c_ptr, c_idx, cost, red.k, red.w, red.hard, a_ptr, order.astype(np.int64), need, u, ub,
                               chunk, lam)
        lb = max(lb, val)
        done += chunk
        if lam < 1e-6 or time.perf_counter() > t0 + 2.5 * budget_s:  # guard for an overloaded machine
            break
    rc = cost - np.asarray(red.a.T @ u).ravel()
    stats["lagrangian"] = {"bound": float(lb), "iterations": done, "seconds": round(time.perf_counter() - t0, 3)}
    return float(lb), rc


#: share of the limit given to a Lagrangian bound (:func:`lagrangian_bound`) with
#: ``backend="greedy"`` and ``min_cost``: a real bound for the heuristics-only back-end,
#: which otherwise could only report the fixed sites' cost (gap near 100 %)
GREEDY_BOUND_SHARE = 0.1


#: ``backend="auto"`` uses SCIP for small pure set-cover models (measured faster proofs:
#: scp41 1.0 s vs 2.7 s, scpa1 6.1 s vs 8.8 s, 2 threads) and CP-SAT otherwise (partial
#: targets, k-coverage, side constraints, and large models, where building the MIP row by
#: row through pywraplp is slow and CP-SAT's parallel portfolio finds better plans).
SCIP_MAX_NNZ = 100_000
SCIP_MAX_COLS = 5000


def prefers_scip(red: Reduced, side: Side, mode: str) -> bool:
    """Whether ``auto`` picks SCIP for this reduced model (see :data:`SCIP_MAX_NNZ`)."""
    pure = mode == "min_cost" and bool(red.hard.all()) and bool((red.k == 1).all()) and not side.has_side
    return pure and red.a.nnz <= SCIP_MAX_NNZ and red.n_cols <= SCIP_MAX_COLS


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
    return Reduced(cols=red.cols[keep], base=red.base, a=sp.csr_matrix(red.a[:, keep]), w=red.w, area=red.area, k=red.k,
                   hard=red.hard, need=red.need, const_w=red.const_w, lost_w=red.lost_w, total_w=red.total_w,
                   stats=red.stats)


def choose_core(red: Reduced, rc: NDArray[np.float64], x_lp: NDArray[np.float64], inc: NDArray[np.bool_] | None,
                per_row: int) -> NDArray[np.int64]:
    """Columns of the LP support, the incumbent and each row's ``per_row + k − 1`` smallest reduced costs."""
    keep = x_lp > 1e-6
    if inc is not None:
        keep |= inc
    a = red.a
    order_val = rc + 1e-9 * np.arange(rc.size)  # deterministic ties
    for i in range(a.shape[0]):
        cols = a.indices[a.indptr[i]:a.indptr[i + 1]]
        q = per_row + int(red.k[i]) - 1
        if cols.size <= q:
            keep[cols] = True
        else:
            keep[cols[np.argpartition(order_val[cols], q)[:q]]] = True
    return np.flatnonzero(keep).astype(np.int64)


def _core_stage(red: Reduced, side: Side, inc: NDArray[np.bool_], rc: NDArray[np.float64], bound: float, *,
                deadline: float, span: float, seed: int, deterministic: bool,
                stats: dict[str, Any]) -> tuple[NDArray[np.bool_], str, float]:
    """Large min-cost models: SCIP on the Lagrangian core instead of an exact solve of the whole model.

    The bound stays the Lagrangian one (the core's bound holds for the core only).
    """
    from planner.optimize._core import CORE_NODES_PER_S, CORE_ROOT_S, core_mip

    core_span = (1.0 - LAGRANGE_SHARE) * span
    nodes = 1 + int(CORE_NODES_PER_S * max(0.0, core_span - CORE_ROOT_S)) if deterministic else None
    stats["backend_used"] = "scip"
    best, best_val = inc, float(side.cost[inc].sum())
    cand = core_mip(red, side, inc, rc, deadline=deadline, node_limit=nodes, seed=seed, stats=stats)
    if cand is not None:
        best, best_val = cand, float(side.cost[cand].sum())
    if abs(best_val - bound) <= 1e-9 * max(1.0, abs(best_val)):
        return best, "optimal", best_val
    return best, "feasible", bound


def run_exact(red: Reduced, side: Side, mode: str, inc: NDArray[np.bool_] | None, *, deadline: float, span: float, workers: int,
              seed: int, gap_limit: float, backend: str, stats: dict[str, Any],
              min_cover_int: int | None = None, deterministic: bool = True) -> tuple[NDArray[np.bool_] | None, str, float]:
    """LP bound, a core solve, then the full model; returns (selection, status, bound) in reduced units.

    ``mode``: ``min_cost``, ``max_coverage`` or ``min_cost_at`` (lexicographic stage 2).
    """
    from planner.optimize._cpsat import build_and_solve
    from planner.optimize._lp import solve_lp

    minimise = mode != "max_coverage"
    problem_side = side
    best = inc
    best_val = _value(red, side, mode, inc) if inc is not None else (math.inf if minimise else -math.inf)
    bound = 0.0 if minimise else float(red.w.sum())
    lp_ok = False
    core_used = False
    now = time.perf_counter()
    remaining = deadline - now
    if mode == "min_cost" and red.a.nnz > LP_MAX_NNZ and remaining > 1.0:
        lb, rc = lagrangian_bound(red, side, best_val if best is not None else math.inf,
                                 LAGRANGE_SHARE * span if deterministic else LAGRANGE_SHARE * remaining,
                                    deterministic, stats)
        if np.allclose(side.cost, np.round(side.cost)):
            lb = math.ceil(lb - 1e-6)
        bound = max(bound, lb)
        if backend != "cpsat" and best is not None:
            return _core_stage(red, side, best, rc, bound, deadline=deadline, span=span, seed=seed,
                               deterministic=deterministic, stats=stats)
    elif mode != "min_cost_at" and red.n_cols >= 50 and remaining > 1.0:
        lp = solve_lp(red, side, "min_cost" if minimise else "max_coverage", (0.3 if minimise else 0.5) * remaining)
        stats["lp"] = {"ok": lp.ok, "bound": lp.bound if lp.ok else None, "seconds": round(lp.seconds, 3)}
        if lp.ok:
            lp_ok = True
            lb = lp.bound
            if minimise and np.allclose(side.cost, np.round(side.cost)):
                lb = math.ceil(lb - 1e-6)
            elif not minimise and np.allclose(red.w, np.round(red.w)):
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
                    t_core = time.perf_counter() + 0.55 * (deadline - time.perf_counter())
                    core_used = True
                    rc_ = build_and_solve(sub, sub_side, mode, deadline=t_core, dtime=DTIME_PER_S * 0.35 * span,
                                          workers=workers, seed=seed, hint=hint,
                                          gap_limit=gap_limit, deterministic=deterministic, min_cover_int=min_cover_int)
                    stats["core"] = {"status": rc_.status, "objective": rc_.objective, "seconds": round(rc_.wall_s, 3)}
                    if rc_.x is not None:
                        cand = np.zeros(red.n_cols, dtype=bool)
                        cand[core[rc_.x]] = True
                        v = _value(red, side, mode, cand)
                        if (v < best_val - 1e-9) if minimise else (v > best_val + 1e-9):
                            best, best_val = cand, v
    if backend == "scip" or (backend == "auto" and prefers_scip(red, side, mode)):
        from planner.optimize._scip import scip_solve

        stats["backend_used"] = "scip"

        res = scip_solve(red, side, mode, deadline=deadline, workers=workers, seed=seed, hint=best, gap_limit=gap_limit,
                         min_cover_int=min_cover_int)
    else:
        res = build_and_solve(red, side, mode, deadline=deadline, dtime=DTIME_PER_S * (0.5 if core_used else 0.85) * span,
                              workers=workers,
                              seed=seed, hint=best,
                              gap_limit=gap_limit, deterministic=deterministic, min_cover_int=min_cover_int)
    stats["exact"] = dict(res.info, status=res.status, seconds=round(res.wall_s, 3))
    if res.status == "infeasible":
        if best is None:
            return None, "infeasible", math.nan
        # cannot happen for a valid incumbent; keep it
        return best, "feasible", bound
    if res.x is not None:
        v = _value(red, side, mode, res.x)
        scale = res.info["c_scale"] if minimise else res.info["w_scale"]
        b = res.bound / scale
        if (minimise and res.info.get("c_exact", True)) or (not minimise and res.info.get("w_exact", True)):
            bound = max(bound, b) if minimise else min(bound, b)
        if (v < best_val - 1e-9) if minimise else (v > best_val + 1e-9) or best is None:
            best, best_val = res.x, v
    if best is None:
        return None, "unknown", bound
    proven = res.status == "optimal" and res.x is not None and abs(_value(red, side, mode, res.x) - best_val) < 1e-9
    if abs(best_val - bound) <= 1e-9 * max(1.0, abs(best_val)):
        proven = True
    if proven:
        bound = best_val
    _ = lp_ok
    return best, "optimal" if proven else "feasible", bound
