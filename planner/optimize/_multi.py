"""CP-SAT building blocks shared by the multi-phase and multi-operator models.

:mod:`planner.optimize.phases` and :mod:`planner.optimize.operators` build one CP-SAT model over
several copies of the site variables (one per phase, one per operator). Both need the same
pieces: the columns a fixed site's conflicts or 合杆 group rule out, the demand rows merged
over a core of columns with the sites on air counted, the per-area coverage constraints, the
side constraints on one copy of the variables, integer objective coefficients and a
deterministic solve on a work budget (:mod:`planner.optimize._budget`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner.optimize._budget import DTIME_PER_UNIT, Budget
from planner.optimize._cpsat import int_scale
from planner.optimize._reduce import merge_rows
from planner.optimize.problem import CoverageProblem
from planner.optimize.solve import Solution, solve

_EPS = 1e-9
Lit = Any  # a CP-SAT literal


def usable_core(problem: CoverageProblem, core: NDArray[np.int64]) -> NDArray[np.int64]:
    """``core`` without the columns a fixed site rules out (a conflict pair or a 合杆 group with it)."""
    fixed, g = problem.fixed, problem.col_group
    drop = np.zeros(problem.n_cols, dtype=bool)
    if problem.conflicts.size:
        c = problem.conflicts
        drop[c[fixed[c[:, 0]], 1]] = True
        drop[c[fixed[c[:, 1]], 0]] = True
    for grp in np.unique(g[fixed & (g >= 0)]):
        drop |= g == grp
    return core[~drop[core]]


@dataclass
class Rows:
    """Demand rows over the core columns, merged, with what the sites on air already cover."""

    a: sp.csr_matrix  # merged rows × core columns
    w: NDArray[np.float64]  # merged row weight
    area: NDArray[np.int64]
    k: NDArray[np.int64]  # serving sites still needed
    total_w: NDArray[np.float64]  # weight per area
    const_w: NDArray[np.float64]  # weight per area covered by the sites on air

    def reachable(self) -> NDArray[np.float64]:
        """Weight per area the core columns can cover (with the sites on air)."""
        return self.const_w + np.bincount(self.area, weights=self.w, minlength=self.total_w.size)


def core_rows(problem: CoverageProblem, core: NDArray[np.int64], targeted: NDArray[np.bool_]) -> Rows:
    """Rows of the ``targeted`` areas not yet served by the sites on air, restricted to ``core`` and merged."""
    a, fixed = problem.a, problem.fixed
    if fixed.any():
        base = np.asarray(a[:, np.flatnonzero(fixed)].sum(axis=1)).ravel().astype(np.int64)
    else:
        base = np.zeros(a.shape[0], np.int64)
    n_a = problem.n_areas
    total_w = np.bincount(problem.row_area, weights=problem.row_weight, minlength=n_a).astype(np.float64)
    covered = problem.row_weight * (base >= problem.row_k)
    const_w = np.bincount(problem.row_area, weights=covered, minlength=n_a).astype(np.float64)
    rows = np.flatnonzero(targeted[problem.row_area] & (base < problem.row_k))
    sub = sp.csr_matrix(a[rows][:, core]) if core.size else sp.csr_matrix((rows.size, 0))
    k_left = (problem.row_k[rows] - base[rows]).astype(np.int64)
    ok = np.diff(sub.indptr) >= k_left
    m, w, ar, k, _ = merge_rows(
        sp.csr_matrix(sub[ok]),
        problem.row_weight[rows][ok],
        problem.row_area[rows][ok],
        k_left[ok],
        np.zeros(int(ok.sum()), dtype=bool),
    )
    return Rows(m, w, ar, k, total_w, const_w)


def add_targets(
    model: cp_model.CpModel, rows: Rows, targets: NDArray[np.float64], lit: Callable[[int], Lit], tag: str
) -> None:
    """Σ_{i∈A} w_i y_i ≥ t_A W_A − (covered on air) per area, ``k_i y_i ≤ Σ_j a_ij lit(j)``."""
    w_scale, w_int, _ = int_scale(rows.w)
    for area in np.flatnonzero(targets > 0):
        need = targets[area] * rows.total_w[area] - rows.const_w[area]
        if need <= _EPS * max(rows.total_w[area], 1.0):
            continue
        terms = []
        for i in np.flatnonzero(rows.area == area):
            lits = [lit(int(c)) for c in rows.a.indices[rows.a.indptr[i] : rows.a.indptr[i + 1]]]
            yi = model.new_bool_var(f"y{tag}_{i}")
            if rows.k[i] == 1:
                model.add_bool_or(lits).only_enforce_if(yi)
            else:
                model.add(sum(lits) >= int(rows.k[i])).only_enforce_if(yi)
            terms.append(int(w_int[i]) * yi)
        model.add(sum(terms) >= math.ceil(need * w_scale - 1e-6))


def add_side(model: cp_model.CpModel, problem: CoverageProblem, core: NDArray[np.int64], lits: Sequence[Lit]) -> None:
    """Conflict pairs, 合杆 groups and per-type caps on the core columns' literals ``lits``."""
    pos = np.full(problem.n_cols, -1, dtype=np.int64)
    pos[core] = np.arange(core.size)
    if problem.conflicts.size:
        for u, v in problem.conflicts:
            if pos[u] >= 0 and pos[v] >= 0:
                model.add_at_most_one([lits[int(pos[u])], lits[int(pos[v])]])
    gc = problem.col_group[core]
    for grp in np.unique(gc[gc >= 0]):
        members = np.flatnonzero(gc == grp)
        if members.size > 1:
            model.add_at_most_one([lits[int(j)] for j in members])
    if problem.type_caps:
        tc = problem.col_type[core]
        for t, cap in problem.type_caps.items():
            members = np.flatnonzero(tc == t)
            if members.size > cap:
                model.add(sum(lits[int(j)] for j in members) <= int(cap))


def objective_ints(coef: NDArray[np.float64]) -> tuple[float, NDArray[np.int64], bool]:
    """Integer objective coefficients (sign kept): exact when possible, else the largest scaled to 1e9."""
    mag = np.abs(np.asarray(coef, dtype=np.float64))
    scale, ints, exact = int_scale(mag.ravel())
    if not exact and mag.size and mag.max() > 0:  # finer than int_scale's 1e6: a bound loses ≤ 0.5 unit per term
        scale = 1e9 / float(mag.max())
        ints = np.round(mag.ravel() * scale).astype(np.int64)
    ints = np.where(np.asarray(coef).ravel() < 0, -ints, ints).reshape(mag.shape)
    return scale, ints, exact


def solve_model(
    model: cp_model.CpModel, budget: Budget, workers: int, seed: int
) -> tuple[cp_model.CpSolver, bool, dict[str, Any]]:
    """Solve on the budget's deterministic time (interleaved workers, fixed seed); the solver, found, info."""
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.max_time_in_seconds = budget.seconds_left()  # the safety stop only
    prm.num_workers = int(max(1, workers))
    prm.random_seed = int(seed)
    prm.interleave_search = True
    prm.max_deterministic_time = max(0.01, budget.units() * DTIME_PER_UNIT)
    st = solver.solve(model)
    info = {
        "cpsat_status": solver.status_name(st),
        "deterministic_time": round(float(solver.response_proto.deterministic_time), 3),
        "wall_s": round(solver.wall_time, 3),
        "time_limited": bool(
            st not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and solver.wall_time >= 0.98 * prm.max_time_in_seconds
        ),
    }
    return solver, st in (cp_model.OPTIMAL, cp_model.FEASIBLE), info


def finite(v: float) -> float | None:
    """``v`` rounded to 6 decimals for a JSON record, or None where it is inf or NaN."""
    return round(float(v), 6) if math.isfinite(v) else None


def budgeted_solve(
    sub: CoverageProblem,
    units: float,
    *,
    work: float,
    time_limit_s: float,
    workers: int,
    seed: int,
    log: list[dict[str, Any]],
    tag: dict[str, Any],
    runtime: bool = False,
) -> tuple[Solution, NDArray[np.bool_], float]:
    """One min-cost sub-solve on ``units`` of the call's ``work`` units, logged in ``log``.

    Parameters
    ----------
    sub : CoverageProblem
        The sub-problem (one phase, one operator).
    units, work : float
        The sub-solve's work units and the whole call's (its time limit is the same share of
        ``time_limit_s``, s, at least 0.05 s).
    time_limit_s : float
        The whole call's time limit (s).
    workers, seed : int
        CP-SAT threads and seed.
    log : list of dict
        Gets one record: ``tag`` (stage, phase or operator) then status, objective, bound, work
        units, whether the time limit ended it and, with ``runtime``, the run time (s).
    tag : dict
        The record's first keys.
    runtime : bool
        Record the run time too.

    Returns
    -------
    solution : Solution
    selected : ndarray of bool
        The solution's sites as a mask over the columns.
    lower_bound : float
        The solve's bound (万元), 0 where it has none.
    """
    sol = solve(
        sub,
        "min_cost",
        time_limit_s=max(0.05, time_limit_s * units / work),
        work_limit=units,
        workers=workers,
        seed=seed,
        backend="auto",
    )
    record = {
        **tag,
        "status": sol.status,
        "objective": finite(sol.objective),
        "bound": finite(sol.bound),
        "work_units": round(float(units), 3),
        "time_limited": bool(sol.stats.get("budget", {}).get("time_limited", False)),
    }
    if runtime:
        record["runtime_s"] = round(sol.runtime_s, 3)
    log.append(record)
    sel = np.zeros(sub.n_cols, dtype=bool)
    sel[sol.selected] = True
    return sol, sel, float(sol.bound) if math.isfinite(sol.bound) else 0.0
