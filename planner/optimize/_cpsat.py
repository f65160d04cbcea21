"""CP-SAT model of a reduced problem (OR-Tools ``ortools.sat``)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner._stop import check, stoppable
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side


def int_scale(values: NDArray[np.float64], max_total: float = 2.0**40) -> tuple[float, NDArray[np.int64], bool]:
    """A factor ``s`` with ``round(values·s)`` integer; ``exact`` when no rounding error > 1e-6.

    Tries the smallest positive value as the unit (weights that are multiples of one cell
    weight), then powers of ten; else (``exact`` False) scales the largest value to 1e6 and
    rounds every positive value to at least 1, so that no positive cost or weight becomes 0
    (an extreme range such as 1e300 next to 5 would otherwise zero the ordinary values).
    A model built on inexact values is never reported optimal by :func:`planner.optimize.solve`.
    """
    v = np.asarray(values, dtype=np.float64)
    pos = v[v > 0]
    if pos.size == 0:
        return 1.0, np.zeros(v.size, dtype=np.int64), True
    cands = [1.0 / float(pos.min())] + [10.0**e for e in range(0, 7)]
    for s in cands:
        sv = v * s
        r = np.round(sv)
        if np.abs(sv - r).max() <= 1e-6 * max(1.0, 1.0) and r.sum() < max_total:
            return s, r.astype(np.int64), True
    s = 1e6 / float(pos.max())
    r = np.round(v * s)
    r[(v > 0) & (r < 1)] = 1.0
    return s, r.astype(np.int64), False


@dataclass
class CpResult:
    """What one CP-SAT run returned, in the reduced model's integer units."""

    status: str
    x: NDArray[np.bool_] | None
    objective: float
    bound: float
    wall_s: float
    info: dict[str, Any]


def build_and_solve(
    red: Reduced,
    side: Side,
    mode: str,
    *,
    deadline: float,
    dtime: float | None = None,
    workers: int,
    seed: int,
    hint: NDArray[np.bool_] | None,
    gap_limit: float = 0.0,
    min_cover_int: int | None = None,
    deterministic: bool = False,
) -> CpResult:
    """Build the CP-SAT model and solve it.

    ``mode`` is ``"min_cost"`` (hard rows + area needs), ``"max_coverage"`` (maximise covered
    weight) or ``"min_cost_at"`` (minimise cost with covered weight ≥ ``min_cover_int``, in
    the integer weight units returned in ``info["w_scale"]``).
    """
    model = cp_model.CpModel()
    n = red.n_cols
    x = [model.new_bool_var(f"x{j}") for j in range(n)]
    a = red.a
    indptr, indices = a.indptr, a.indices
    w_scale, w_int, w_exact = int_scale(red.w)
    c_scale, c_int, c_exact = int_scale(side.cost)
    soft_rows: list[int] = []
    y: dict[int, Any] = {}
    for i in range(a.shape[0]):
        cols = indices[indptr[i] : indptr[i + 1]]
        lits = [x[j] for j in cols]
        ki = int(red.k[i])
        if mode == "min_cost" and red.hard[i]:
            if ki == 1:
                model.add_bool_or(lits)
            else:
                model.add(sum(lits) >= ki)
            continue
        yi = model.new_bool_var(f"y{i}")
        y[i] = yi
        soft_rows.append(i)
        if ki == 1:
            model.add_bool_or(lits).only_enforce_if(yi)
        else:
            model.add(sum(lits) >= ki).only_enforce_if(yi)
    if mode == "min_cost":
        for ar in np.unique(red.area[soft_rows]) if soft_rows else []:
            rows = [i for i in soft_rows if red.area[i] == ar]
            need = float(red.need[ar])
            if need <= 0:
                continue
            req = math.ceil(need * w_scale - 1e-6) if w_exact else math.ceil(need * w_scale)
            model.add(sum(int(w_int[i]) * y[i] for i in rows) >= req)
    cover_expr = sum(int(w_int[i]) * y[i] for i in soft_rows) if soft_rows else 0
    if mode == "min_cost_at" and min_cover_int is not None:
        model.add(cover_expr >= int(min_cover_int))
    # side constraints
    for aa, bb in side.conflicts:
        model.add_at_most_one([x[int(aa)], x[int(bb)]])
    if side.n_groups:
        order = np.argsort(side.group, kind="stable")
        g_sorted = side.group[order]
        start = np.searchsorted(g_sorted, 0)
        bounds = np.flatnonzero(np.diff(g_sorted[start:])) + 1
        for members in np.split(order[start:], bounds):
            if members.size > 1:
                model.add_at_most_one([x[int(j)] for j in members])
    for t in range(side.cap.size):
        members = np.flatnonzero(side.ctype == t)
        model.add(sum(x[int(j)] for j in members) <= int(side.cap[t]))
    if side.max_sites >= 0:
        model.add(sum(x) <= side.max_sites)
    if np.isfinite(side.budget):
        if c_exact:
            model.add(sum(int(c_int[j]) * x[j] for j in range(n)) <= math.floor(side.budget * c_scale + 1e-6))
        else:  # conservative: costs rounded up
            cu = np.ceil(side.cost * c_scale).astype(np.int64)
            model.add(sum(int(cu[j]) * x[j] for j in range(n)) <= math.floor(side.budget * c_scale))
    if mode in ("min_cost", "min_cost_at"):
        model.minimize(sum(int(c_int[j]) * x[j] for j in range(n)))
    else:
        model.maximize(cover_expr)
    if hint is not None:
        for j in range(n):
            model.add_hint(x[j], bool(hint[j]))
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.05, deadline - time.perf_counter())  # the safety stop only
    prm.num_workers = int(max(1, workers))
    prm.random_seed = int(seed) % 2**31  # CP-SAT seeds are int32: reduced deterministically, as SCIP's shift is
    prm.relative_gap_limit = float(gap_limit)
    prm.log_search_progress = False
    if deterministic:
        prm.interleave_search = True
        if dtime is not None:
            prm.max_deterministic_time = max(0.01, float(dtime))
    prm.catch_sigint_signal = False  # keep Python's SIGINT/SIGTERM handlers: the CLI stops the search (planner._stop)
    with stoppable(solver.stop_search):
        st = solver.solve(model)
    check()  # stopped by a signal: no result, the run ends
    name = solver.status_name(st)
    # stopped by the safety stop rather than by its deterministic-time limit or a proof
    cut = st not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and solver.wall_time >= 0.98 * prm.max_time_in_seconds
    info = {
        "w_scale": w_scale,
        "c_scale": c_scale,
        "w_exact": w_exact,
        "c_exact": c_exact,
        "cpsat_status": name,
        "branches": int(solver.num_branches),
        "wall_s": solver.wall_time,
        "deterministic_time": round(float(solver.response_proto.deterministic_time), 3),
        "time_limited": bool(cut),
    }
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        xs = np.array([solver.boolean_value(v) for v in x], dtype=bool)
        return CpResult(
            "optimal" if st == cp_model.OPTIMAL else "feasible",
            xs,
            solver.objective_value,
            solver.best_objective_bound,
            solver.wall_time,
            info,
        )
    if st == cp_model.INFEASIBLE:
        return CpResult("infeasible", None, math.nan, math.nan, solver.wall_time, info)
    return CpResult("unknown", None, math.nan, math.nan, solver.wall_time, info)
