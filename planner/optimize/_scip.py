"""MIP model of a reduced problem through OR-Tools ``pywraplp`` with SCIP.

``y_i`` of rows with ``k_i = 1`` are continuous in [0, 1] here: ``y_i ≤ Σ_j a_ij x_j`` with
integral ``x`` lets ``y_i`` be positive only when the row is covered, so a fractional ``y_i``
only undercounts. Rows with ``k_i ≥ 2`` need binary ``y_i``: ``k_i y_i ≤ Σ_j a_ij x_j`` would
otherwise count a row served by one of its two sites as half covered. The covered weight
reported by :func:`planner.optimize.solve` is always recomputed from ``x``.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver import pywraplp

from planner._stop import check, stoppable
from planner.optimize._cpsat import CpResult, int_scale
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side


def scip_solve(
    red: Reduced,
    side: Side,
    mode: str,
    *,
    deadline: float,
    workers: int,
    seed: int,
    hint: NDArray[np.bool_] | None,
    gap_limit: float = 0.0,
    min_cover_int: int | None = None,
    node_limit: int | None = None,
    settings: str = "",
    full_hint: bool = False,
) -> CpResult:
    """Build and solve with SCIP; ``mode`` as in :func:`planner.optimize._cpsat.build_and_solve`.

    ``node_limit`` caps the branch-and-bound nodes (SCIP ``limits/totalnodes``, restarts
    included; 1 = the root with its cuts and primal heuristics). One thread and a node limit
    give a reproducible result as long as the wall-clock limit does not end the solve first.
    ``settings``: further SCIP parameters, one ``name = value`` line each (deterministic limits
    only, e.g. ``separating/maxroundsroot = 0``). ``full_hint``: hint ``y`` too (see :func:`_set_hint`).
    """
    t_build = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - SCIP ships with the ortools wheel
        raise RuntimeError("SCIP is not available in this OR-Tools build")
    n = red.n_cols
    x = [solver.BoolVar(f"x{j}") for j in range(n)]
    a = red.a
    w_scale, w_int, w_exact = int_scale(red.w)
    c_scale, c_int, c_exact = int_scale(side.cost)
    y: dict[int, pywraplp.Variable] = {}
    inf = solver.infinity()
    # Python lists: the same calls in the same order, without a numpy scalar per coefficient
    ptr, idx = a.indptr.tolist(), a.indices.tolist()
    k_rows, hard_rows = [int(v) for v in red.k.tolist()], [bool(v) for v in red.hard.tolist()]
    for i in range(a.shape[0]):
        cols = idx[ptr[i] : ptr[i + 1]]
        ki = k_rows[i]
        if mode == "min_cost" and hard_rows[i]:
            ct = solver.Constraint(ki, inf)
            for j in cols:
                ct.SetCoefficient(x[j], 1)
            continue
        yi = solver.BoolVar(f"y{i}") if ki > 1 else solver.NumVar(0.0, 1.0, f"y{i}")
        y[i] = yi
        ct = solver.Constraint(0, inf)
        for j in cols:
            ct.SetCoefficient(x[j], 1)
        ct.SetCoefficient(yi, -ki)
    if mode == "min_cost" and y:
        y_rows = np.fromiter(y, dtype=np.int64, count=len(y))  # ascending: the order they were made in
        y_area = red.area[y_rows]
        for ar in np.unique(y_area):
            need = float(red.need[ar])
            if need <= 0:
                continue
            ct = solver.Constraint(math.ceil(need * w_scale - 1e-6), inf)
            for i in y_rows[y_area == ar].tolist():  # the area's rows in row order, as a scan of y gave them
                ct.SetCoefficient(y[i], float(w_int[i]))
    if mode == "min_cost_at" and min_cover_int is not None:
        ct = solver.Constraint(float(min_cover_int), inf)
        for i, yi in y.items():
            ct.SetCoefficient(yi, float(w_int[i]))
    for aa, bb in side.conflicts:
        ct = solver.Constraint(-inf, 1)
        ct.SetCoefficient(x[int(aa)], 1)
        ct.SetCoefficient(x[int(bb)], 1)
    for g in range(side.n_groups):
        members = np.flatnonzero(side.group == g)
        if members.size > 1:
            ct = solver.Constraint(-inf, 1)
            for j in members:
                ct.SetCoefficient(x[int(j)], 1)
    for t in range(side.cap.size):
        ct = solver.Constraint(-inf, float(side.cap[t]))
        for j in np.flatnonzero(side.ctype == t):
            ct.SetCoefficient(x[int(j)], 1)
    if side.max_sites >= 0:
        ct = solver.Constraint(-inf, float(side.max_sites))
        for v in x:
            ct.SetCoefficient(v, 1)
    if np.isfinite(side.budget):
        ct = solver.Constraint(-inf, float(side.budget))
        for j, v in enumerate(x):
            ct.SetCoefficient(v, float(side.cost[j]))
    obj = solver.Objective()
    if mode in ("min_cost", "min_cost_at"):
        for j, v in enumerate(x):
            obj.SetCoefficient(v, float(c_int[j]))
        obj.SetMinimization()
    else:
        for i, yi in y.items():
            obj.SetCoefficient(yi, float(w_int[i]))
        obj.SetMaximization()
    if hint is not None:
        _set_hint(solver, red, x, y, hint, full=full_hint)
    solver.SetNumThreads(int(max(1, workers)))
    extra = f"randomization/randomseedshift = {int(seed) % 2**31}\n"
    if node_limit is not None:
        extra += f"limits/totalnodes = {max(1, int(node_limit))}\n"
    extra += settings
    solver.SetSolverSpecificParametersAsString(extra)
    remaining = max(0.05, deadline - time.perf_counter())  # the safety stop only: node_limit bounds the work
    solver.SetTimeLimit(int(remaining * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, float(gap_limit))
    t0 = time.perf_counter()
    with stoppable(solver.InterruptSolve):  # SIGINT/SIGTERM: SCIPinterruptSolve (planner._stop)
        st = solver.Solve(params)
    check()
    wall = time.perf_counter() - t0
    cut = st not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.INFEASIBLE) and wall >= 0.98 * remaining
    info = {
        "w_scale": w_scale,
        "c_scale": c_scale,
        "w_exact": w_exact,
        "c_exact": c_exact,
        "scip_status": int(st),
        "wall_s": wall,
        "nodes": int(solver.nodes()),
        "time_build_s": round(t0 - t_build, 3),
        "time_limited": bool(cut),
    }
    if st in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        xs = np.array([v.solution_value() > 0.5 for v in x], dtype=bool)
        bound = obj.BestBound()
        status = "optimal" if st == pywraplp.Solver.OPTIMAL and gap_limit == 0 else "feasible"
        return CpResult(status, xs, obj.Value(), bound, wall, info)
    if st == pywraplp.Solver.INFEASIBLE:
        return CpResult("infeasible", None, math.nan, math.nan, wall, info)
    return CpResult("unknown", None, math.nan, math.nan, wall, info)


def _set_hint(
    solver: pywraplp.Solver,
    red: Reduced,
    x: list[pywraplp.Variable],
    y: dict[int, pywraplp.Variable],
    hint: NDArray[np.bool_],
    *,
    full: bool,
) -> None:
    """Give SCIP the selection ``hint`` as a start: ``x`` alone, or with ``full`` the ``y`` it implies too.

    OR-Tools passes a hint of some variables to SCIP as a *partial* solution, which SCIP's
    completion heuristic drops when more than 85 % of the variables are unknown (a model with
    partial targets has a ``y`` per soft row: 4,694 ``y`` against 632 ``x`` on REVIEW's
    768-candidate model). A hint of every variable is a complete solution, tried as it is.
    """
    names, values = list(x), [float(b) for b in hint]
    if full and y:
        cnt = np.asarray(red.a @ np.asarray(hint, dtype=np.int64)).ravel()
        names += list(y.values())
        values += [float(cnt[i] >= red.k[i]) for i in y]
    solver.SetHint(names, values)
