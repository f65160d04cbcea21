r"""Multi-operator sharing (共建共享): several operators' networks on one set of poles, least total cost.

Each operator ``o`` has its own coverage problem over the *same* candidate columns (its band
and thresholds give its own matrix ``a^o``, its own targets). Formulation (``z_{oj}`` =
operator ``o`` has equipment on pole ``j``, ``u_j`` = pole ``j`` is used)::

    z_{oj} ≤ u_j ≤ Σ_o z_{oj},      Σ_o z_{oj} ≤ m_j                     (max_tenants of the pole)
    k_i · y_{oi} ≤ Σ_j a^o_ij z_{oj},   Σ_{i∈A} w_i y_{oi} ≥ t_{oA} Σ_{i∈A} w_i   (every operator's targets)
    min Σ_j c_j u_j + Σ_j s_j (Σ_o z_{oj} − u_j)                         (first tenant c_j, others s_j)

with the side constraints (separations, 合杆 groups, per-type caps) on ``u``. Sites on air
(fixed) serve every operator at no cost and are not counted against ``m_j``.

Solved (:func:`solve_operators`) on shares of one deterministic work budget: every operator
alone (:func:`planner.optimize.solve`; also the "planning alone" comparison and, through its
bound, a bound of the joint model: the poles used must meet each operator's targets, so the
joint cost is at least ``max_o LB_o``); each operator alone again at the least cost a tenancy
can have, ``min(c_j, s_j + (c_j − s_j) / min(m_j, O))`` (the pole's cost split over its most
tenants), whose bounds add up to a second bound of the joint model; then operators added one at a time, each paying
``s_j`` on poles already used and ``c_j`` elsewhere, poles at ``m_j`` forbidden (both orders,
then one more pass re-planning each operator given the others); then CP-SAT on the joint
model over a core (every column up to :data:`FULL_MODEL_COLS`, else the columns of the plans
found), hinted with the best. The cheapest plan meeting every operator's targets is returned;
the sum of the single plans is its reference when their union respects ``m_j``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner.optimize._budget import Budget, resolve_work
from planner.optimize._multi import (
    add_side,
    add_targets,
    budgeted_solve,
    core_rows,
    finite,
    objective_ints,
    solve_model,
    usable_core,
)
from planner.optimize.analysis import unreachable
from planner.optimize.problem import CoverageProblem
from planner.optimize.solve import evaluate

#: joint models with at most this many free columns go to CP-SAT whole (bound valid for the model)
FULL_MODEL_COLS = 3000
#: share of the work budget for the single and sequential solves; the rest is CP-SAT's
SUBSOLVE_SHARE = 0.75
#: a single-operator solve gets this many times the work of a sequential one (its bound bounds the joint model)
SINGLE_WEIGHT = 3.0
_EPS = 1e-9


@dataclass
class OperatorsPlan:
    """Tenancies of every operator and their cost.

    Attributes
    ----------
    z : ndarray of bool, shape (n_operators, n_cols)
        Operator ``o`` has equipment on pole ``j`` (sites on air included for every operator).
    cost : float
        Total cost (万元): site cost of every used pole plus the sharing cost of further tenants.
    operator_cost : ndarray of float
        Cost attributed to each operator: the first listed operator on a pole pays its site
        cost, every further one its sharing cost.
    coverage : list of ndarray
        Per operator, the weighted coverage share of each area.
    violations : list of str
        Targets missed or poles over ``max_tenants`` (empty = feasible).
    over_cap : int
        Poles over ``max_tenants`` (a plan with any cannot be built; one that misses a target can).
    shortfall : float
        Sum over operators and areas of the target share not covered (0 = every target met).
    """

    z: NDArray[np.bool_]
    cost: float
    operator_cost: NDArray[np.float64]
    coverage: list[NDArray[np.float64]]
    violations: list[str]
    over_cap: int = 0
    shortfall: float = 0.0

    @property
    def feasible(self) -> bool:
        """Every operator meets its targets and no pole is over its tenancy cap."""
        return not self.violations

    @property
    def tenants(self) -> NDArray[np.int64]:
        """Operators on each pole."""
        return cast(NDArray[np.int64], self.z.sum(axis=0).astype(np.int64))


@dataclass
class OperatorsSolution:
    """Result of :func:`solve_operators`: the joint plan, the single plans, bound, gap and 共享率."""

    plan: OperatorsPlan
    single_cost: NDArray[np.float64]
    single_z: NDArray[np.bool_]
    status: str
    bound: float
    gap: float
    source: str
    free: NDArray[np.bool_]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def share_rate(self) -> float:
        """共享率: share of the tenancies on poles with two or more tenants (sites on air excluded)."""
        t = self.plan.tenants[self.free]
        total = int(t.sum())
        return float(t[t >= 2].sum()) / total if total else 0.0

    @property
    def saving(self) -> float:
        """Sum of the single-operator plans' costs minus the joint cost (万元)."""
        return float(self.single_cost.sum()) - self.plan.cost

    def to_dict(self, names: list[str]) -> dict[str, Any]:
        """JSON-ready record for the manifest."""
        z, t = self.plan.z, self.plan.tenants
        ops = [
            {
                "name": nm,
                "sites": int(z[o].sum()),
                "cost": round(float(self.plan.operator_cost[o]), 6),
                "shared_sites": int((z[o] & (t >= 2)).sum()),
                "single_cost": round(float(self.single_cost[o]), 6),
                "single_sites": int(self.single_z[o].sum()),
            }
            for o, nm in enumerate(names)
        ]
        return {
            "status": self.status,
            "bound": finite(self.bound),
            "gap": finite(self.gap),
            "source": self.source,
            "total_cost": round(self.plan.cost, 6),
            "single_total": round(float(self.single_cost.sum()), 6),
            "saving": round(self.saving, 6),
            "share_rate": round(self.share_rate, 6),
            "poles": int((t > 0).sum()),
            "tenancies": int(t.sum()),
            "operators": ops,
            "violations": list(self.plan.violations),
            "stats": self.stats,
        }


def evaluate_operators(
    problems: list[CoverageProblem],
    z: NDArray[np.bool_],
    max_tenants: NDArray[np.int64],
    share_cost: NDArray[np.float64],
) -> OperatorsPlan:
    """Cost (first tenant pays the site, further ones ``share_cost``), coverage and violations of tenancies ``z``."""
    base = problems[0]
    z = np.asarray(z, dtype=bool).copy()
    z[:, base.fixed] = True
    free = ~base.fixed
    t = z.sum(axis=0)
    used = (t > 0) & free
    cost = float(base.cost[used].sum() + (share_cost * np.maximum(t - 1, 0))[free].sum())
    first = np.argmax(z, axis=0)  # lowest operator index on each pole
    op_cost = np.zeros(len(problems))
    for o in range(len(problems)):
        mine = z[o] & free
        op_cost[o] = float(np.where(first[mine] == o, base.cost[mine], share_cost[mine]).sum())
    bad: list[str] = []
    cov = []
    shortfall = 0.0
    for o, p in enumerate(problems):
        ev = evaluate(p, np.flatnonzero(z[o]))
        cov.append(ev["area_fraction"])
        shortfall += float(np.maximum(p.area_target - np.asarray(ev["area_fraction"], dtype=np.float64), 0.0).sum())
        short = [
            p.area_names[a]
            for a in range(p.n_areas)
            if p.area_target[a] > 0
            and ev["area_covered"][a] + _EPS * max(1.0, ev["area_total"][a]) < p.area_target[a] * ev["area_total"][a]
        ]
        if short:
            bad.append(f"operator {o}: target not met in {', '.join(short[:5])}" + (" …" if len(short) > 5 else ""))
    over = np.flatnonzero(free & (t > max_tenants))
    if over.size:
        bad.append(f"{over.size} poles over max_tenants (e.g. {base.col_ids[int(over[0])]})")
    return OperatorsPlan(z, cost, op_cost, cov, bad, int(over.size), round(shortfall, 9))


def solve_operators(
    problems: list[CoverageProblem],
    max_tenants: NDArray[np.int64],
    share_cost: NDArray[np.float64],
    *,
    time_limit_s: float = 60.0,
    work_limit: float = 0.0,
    workers: int = 2,
    seed: int = 0,
    full_model_cols: int = FULL_MODEL_COLS,
) -> OperatorsSolution:
    """Plan every operator on shared poles at the least total cost (see the module docstring).

    Parameters
    ----------
    problems : list of CoverageProblem
        One per operator, same columns (cost = site cost in 万元, fixed, forbidden, side
        constraints taken from the first), each with its own rows and targets.
    max_tenants : ndarray of int
        Operators each pole can host (≥ 1).
    share_cost : ndarray of float
        Cost of each tenant after the first (万元, ≥ 0).
    time_limit_s, work_limit : float
        The work budget (``work_limit`` units, or ``time_limit_s`` × 300) of the whole call.
    workers, seed : int
        CP-SAT threads (interleaved, deterministic) and seed of every stage.
    full_model_cols : int
        Up to this many free columns CP-SAT gets every column.
    """
    base = problems[0]
    t0 = time.perf_counter()
    n_op, n = len(problems), base.n_cols
    cap = np.asarray(max_tenants, dtype=np.int64)
    share = np.asarray(share_cost, dtype=np.float64)
    if n_op < 1 or (cap < 1).any() or (share < 0).any():
        raise ValueError("solve_operators needs ≥ 1 operator, max_tenants ≥ 1 and share_cost ≥ 0")
    work = resolve_work(time_limit_s, work_limit)
    sizes = np.array([float(p.a.nnz) + 1.0 for p in problems])
    n_solves = (
        SINGLE_WEIGHT + 2 + 1 + 1
    )  # singles, two sequential orders, one re-planning pass, bound (each over every operator)
    stats: dict[str, Any] = {"work_limit": round(work, 3), "solves": []}

    def run(
        o: int, cost: NDArray[np.float64], banned: NDArray[np.bool_], label: str
    ) -> tuple[NDArray[np.bool_] | None, float]:
        weight = SINGLE_WEIGHT if label == "single" else 1.0
        units = max(1.0, SUBSOLVE_SHARE * work * weight * sizes[o] / (float(sizes.sum()) * n_solves))
        p = problems[o]
        sub = replace(p, cost=cost, forbidden=(p.forbidden | banned) & ~p.fixed)
        if banned.any():
            # poles at their tenancy cap can leave a target out of reach: plan this operator for the reachable
            # share (best effort; evaluate_operators still reports the shortfall against its own targets)
            # rather than give it no site at all
            best = np.floor(unreachable(sub)["area_best"] * 1e4) / 1e4
            if (sub.area_target > best + 1e-12).any():
                sub = replace(sub, area_target=np.minimum(sub.area_target, best))
        sol, sel, lb = budgeted_solve(
            sub, units, work=work, time_limit_s=time_limit_s, workers=workers, seed=seed,
            log=stats["solves"], tag={"stage": label, "operator": o},
        )
        if not math.isfinite(sol.objective):
            return None, lb
        return sel, lb

    none = np.zeros(n, dtype=bool)
    single_z = np.zeros((n_op, n), dtype=bool)
    single_cost = np.zeros(n_op)
    lbs = np.zeros(n_op)
    for o in range(n_op):
        sel, lbs[o] = run(o, base.cost, none, "single")
        if sel is not None:
            single_z[o] = sel
        single_cost[o] = float(base.cost[single_z[o] & ~base.fixed].sum())
    plans: list[tuple[str, OperatorsPlan]] = [("singles", evaluate_operators(problems, single_z, cap, share))]
    # a tenancy costs at least the pole's cost split evenly over its most tenants plus their sharing costs
    # (avg over t tenants = s + (c − s)/t, smallest at t = min(max_tenants, operators) when s ≤ c)
    m = np.minimum(cap, n_op).astype(np.float64)
    per_tenancy = np.minimum(base.cost, share + (base.cost - share) / m)
    shared_lb = 0.0
    for o in range(n_op):
        shared_lb += run(o, per_tenancy, none, "bound")[1]

    def sequential(order: list[int], start: NDArray[np.bool_]) -> NDArray[np.bool_]:
        z = start.copy()
        for o in order:
            z[o] = False
            t = z.sum(axis=0)
            cost = np.where(t > 0, share, base.cost)
            sel, _ = run(o, cost, t >= cap, "sequential")
            if sel is not None:
                z[o] = sel
        return z

    empty = np.zeros((n_op, n), dtype=bool)
    for order in (list(range(n_op)), list(range(n_op))[::-1]):
        z = sequential(order, empty)
        plans.append((f"sequential {order}", evaluate_operators(problems, z, cap, share)))
    name, best = _best(plans)
    if best.feasible:
        z = sequential(list(range(n_op)), best.z)
        plans.append(("re-planned", evaluate_operators(problems, z, cap, share)))
    name, best = _best(plans)
    free = ~base.forbidden & ~base.fixed
    if int(free.sum()) <= full_model_cols:
        core, full = np.flatnonzero(free), True
    else:
        mask = np.zeros(n, dtype=bool)
        for _, pl in plans:
            mask |= pl.z.any(axis=0)
        core, full = np.flatnonzero(mask & free), False
    budget = Budget.start(time_limit_s * (1 - SUBSOLVE_SHARE), work * (1 - SUBSOLVE_SHARE))
    jz, jbound, info = _joint_cpsat(problems, core, cap, share, best.z, budget, workers, seed)
    stats["joint"] = {**info, "core_cols": int(core.size), "full_model": full}
    if jz is not None:
        plans.append(("joint", evaluate_operators(problems, jz, cap, share)))
    name, best = _best(plans)
    bound = max(float(lbs.max()) if lbs.size else 0.0, shared_lb)
    stats["bounds"] = {
        "max_single": finite(float(lbs.max()) if lbs.size else 0.0),
        "per_tenancy_sum": finite(shared_lb),
    }
    if full and math.isfinite(jbound):
        bound = max(bound, jbound)
    if best.feasible:
        gap = max(0.0, best.cost - bound) / max(abs(best.cost), 1e-9)
        status = "optimal" if gap <= 1e-6 else "feasible"
        gap = 0.0 if status == "optimal" else gap
    else:
        status, gap = "infeasible", math.inf
    stats["plans"] = {nm: round(pl.cost, 6) for nm, pl in plans}
    stats["runtime_s"] = round(time.perf_counter() - t0, 3)
    return OperatorsSolution(best, single_cost, single_z, status, bound, gap, name, ~base.fixed, stats)


def _best(plans: list[tuple[str, OperatorsPlan]]) -> tuple[str, OperatorsPlan]:
    feas = [(pl.cost, i) for i, (_, pl) in enumerate(plans) if pl.feasible]
    # no feasible plan: first one that respects every tenancy cap (buildable, short of some target), then the
    # least target share missed, then the cost
    i = (
        min(feas)[1]
        if feas
        else min((pl.over_cap > 0, pl.shortfall, pl.cost, i) for i, (_, pl) in enumerate(plans))[3]
    )
    return plans[i]


def _joint_cpsat(
    problems: list[CoverageProblem],
    core: NDArray[np.int64],
    cap: NDArray[np.int64],
    share: NDArray[np.float64],
    hint: NDArray[np.bool_],
    budget: Budget,
    workers: int,
    seed: int,
) -> tuple[NDArray[np.bool_] | None, float, dict[str, Any]]:
    """CP-SAT on the joint model over ``core``; tenancies, bound (万元) and info."""
    base = problems[0]
    n_op, fixed = len(problems), base.fixed
    core = usable_core(base, core)
    m = core.size
    model = cp_model.CpModel()
    u = [model.new_bool_var(f"u{j}") for j in range(m)]
    z = [[model.new_bool_var(f"z{o}_{j}") for j in range(m)] for o in range(n_op)]
    for j in range(m):
        for o in range(n_op):
            model.add_implication(z[o][j], u[j])
        model.add_bool_or([z[o][j] for o in range(n_op)]).only_enforce_if(u[j])
        if cap[core[j]] < n_op:
            model.add(sum(z[o][j] for o in range(n_op)) <= int(cap[core[j]]))
    info: dict[str, Any] = {"rows": 0}
    for o, p in enumerate(problems):
        rows = core_rows(p, core, p.area_target > 0)
        info["rows"] += int(rows.a.shape[0])
        if ((p.area_target * rows.total_w) > rows.reachable() + _EPS * np.maximum(rows.total_w, 1.0)).any():
            info["cpsat_status"] = "CORE_INFEASIBLE"
            return None, math.nan, info
        add_targets(model, rows, p.area_target, z[o].__getitem__, f"o{o}")
    add_side(model, base, core, u)
    # Σ (c_j − s_j) u_j + Σ_o s_j z_oj
    scale, ints, exact = objective_ints(np.r_[base.cost[core] - share[core], share[core]])
    model.minimize(
        sum(int(ints[j]) * u[j] for j in range(m) if ints[j])
        + sum(int(ints[m + j]) * z[o][j] for o in range(n_op) for j in range(m) if ints[m + j])
    )
    for j, col in enumerate(core):
        model.add_hint(u[j], bool(hint[:, col].any()))
        for o in range(n_op):
            model.add_hint(z[o][j], bool(hint[o, col]))
    solver, found, more = solve_model(model, budget, workers, seed)
    info.update(more)
    if not found:
        return None, math.nan, info
    out = np.zeros((n_op, base.n_cols), dtype=bool)
    out[:, fixed] = True
    for o in range(n_op):
        for j, col in enumerate(core):
            out[o, col] = solver.boolean_value(z[o][j])
    slack = 0.0 if exact else 0.5 * m * (n_op + 1)
    return out, (float(solver.best_objective_bound) - slack) / scale, info
