r"""Phased roll-out (建设期): one plan over several phases with per-phase budgets and cumulative targets.

Formulation (``x_{jp}`` = site ``j`` is built by the end of phase ``p``, ``p = 0 … P−1``;
``y_{ip}`` = demand row ``i`` is covered at the end of phase ``p``)::

    x_{j,p−1} ≤ x_{jp}                                    (a site built stays built)
    k_i · y_{ip} ≤ Σ_j a_ij x_{jp}                          (row i needs k_i serving sites)
    Σ_{i∈A} w_i y_{ip} ≥ t_{Ap} · Σ_{i∈A} w_i               (cumulative target of area A by phase p)
    Σ_j c_j (x_{jp} − x_{j,p−1}) ≤ B_p,   Σ_j (x_{jp} − x_{j,p−1}) ≤ M_p   (new sites of phase p)
    min Σ_p d_p Σ_j c_j (x_{jp} − x_{j,p−1}),   d_p = (1 + r)^{−p}

with ``x_{j,−1} = 0`` (sites on air are built in phase 0 at their cost, normally 0), and the
side constraints of :class:`~planner.optimize.CoverageProblem` (separations, 合杆 groups,
per-type caps) on the final phase's selection.

How it is solved (:func:`solve_phases`), every stage on a share of one deterministic work
budget (:mod:`planner.optimize._budget`):

1. *scratch* — each phase's targets met from nothing by :func:`planner.optimize.solve`:
   its bound ``LB_p`` bounds the cost of the sites built by ``p`` in any plan, so
   ``Σ_p (d_p − d_{p+1}) LB_p`` (``d_P = 0``) bounds the whole multi-phase objective (the
   discounted cost telescopes into ``Σ_p (d_p − d_{p+1}) · cost(built by p)``);
2. *myopic* — phase by phase in order, the sites of earlier phases fixed (free);
3. *backward* — the last phase's scratch plan, then each earlier phase chosen among the
   sites of the next one (nothing built early that is not needed later); and *guided* —
   forward, each phase chosen among the last phase's scratch plan and what is built, or over
   every column where that breaks the phase's budget or site cap;
4. *joint* — CP-SAT on the whole model above (deterministic time, interleaved workers,
   fixed seed) over a core of columns (every column for models up to
   :data:`FULL_MODEL_COLS` columns, else the columns of the three plans above), hinted
   with the best of them. With every column its bound is the model's own.

The returned plan is the cheapest of the four that meets every phase's targets, budget and
site cap (the myopic plan among them: the joint cost never exceeds it).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from planner.optimize._budget import Budget, resolve_work
from planner.optimize._cpsat import int_scale
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
from planner.optimize.problem import CoverageProblem
from planner.optimize.solve import evaluate

#: models with at most this many columns go to CP-SAT whole (bound valid for the model)
FULL_MODEL_COLS = 3000
#: share of the work budget spent on the sub-solves (scratch, myopic, backward); the rest is CP-SAT's
SUBSOLVE_SHARE = 0.75
#: a scratch solve gets this many times the work of a myopic or backward one (its bound is the model's bound)
SCRATCH_WEIGHT = 2.0
_EPS = 1e-9


@dataclass(frozen=True)
class PhaseSpec:
    """One phase: name, cumulative target per area (0–1; 0 = none), caps on its *new* sites.

    ``budget`` (万元) and ``max_sites`` of 0 mean no cap.
    """

    name: str
    targets: NDArray[np.float64]
    budget: float = 0.0
    max_sites: int = 0


@dataclass
class PhasePlan:
    """A phase assignment and its check against every phase's targets and caps.

    Attributes
    ----------
    phase : ndarray of int64
        Per column, the phase it is built in (``-1`` = never).
    new_cost, new_sites : ndarray
        Cost (万元) and count of the sites new in each phase.
    coverage : ndarray of float64, shape (P, n_areas)
        Weighted coverage share of every area at the end of each phase.
    total_cost, discounted_cost : float
        Undiscounted and discounted cost of the whole plan.
    violations : list of str
        What the plan misses (empty = feasible).
    """

    phase: NDArray[np.int64]
    new_cost: NDArray[np.float64]
    new_sites: NDArray[np.int64]
    coverage: NDArray[np.float64]
    total_cost: float
    discounted_cost: float
    violations: list[str]

    @property
    def feasible(self) -> bool:
        """Meets every phase's targets, budget and site cap."""
        return not self.violations

    def to_dict(self, names: list[str]) -> dict[str, Any]:
        """JSON-ready summary per phase."""
        return {
            "total_cost": round(self.total_cost, 6),
            "discounted_cost": round(self.discounted_cost, 6),
            "feasible": self.feasible,
            "violations": list(self.violations),
            "phases": [
                {"name": n, "new_sites": int(self.new_sites[p]), "new_cost": round(float(self.new_cost[p]), 6)}
                for p, n in enumerate(names)
            ],
        }


@dataclass
class PhasedSolution:
    """Result of :func:`solve_phases`: the chosen plan, the myopic plan, bound and gap.

    ``status`` is ``optimal`` (cost = bound), ``feasible`` or ``infeasible`` (no plan found
    meeting every phase; ``plan`` is then the one with the fewest violations and
    ``infeasible`` names the phases and why).
    """

    plan: PhasePlan
    myopic: PhasePlan
    status: str
    bound: float
    gap: float
    source: str
    discount: NDArray[np.float64]
    infeasible: list[dict[str, Any]]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def saving(self) -> float:
        """Myopic minus chosen discounted cost (万元; ≥ 0)."""
        return self.myopic.discounted_cost - self.plan.discounted_cost

    def to_dict(self, names: list[str]) -> dict[str, Any]:
        """JSON-ready record for the manifest."""
        return {
            "status": self.status,
            "bound": finite(self.bound),
            "gap": finite(self.gap),
            "source": self.source,
            "discount": [round(float(d), 9) for d in self.discount],
            "joint": self.plan.to_dict(names),
            "myopic": self.myopic.to_dict(names),
            "saving": round(self.saving, 6),
            "infeasible": self.infeasible,
            "stats": self.stats,
        }


def discount_factors(n_phases: int, rate: float) -> NDArray[np.float64]:
    """``d_p = (1 + rate)^{−p}`` for ``p = 0 … n_phases − 1``."""
    return np.power(1.0 + float(rate), -np.arange(n_phases, dtype=np.float64))


def evaluate_phases(
    problem: CoverageProblem, specs: list[PhaseSpec], phase: NDArray[np.int64], discount: NDArray[np.float64]
) -> PhasePlan:
    """Cost, coverage and violations of a phase assignment (``phase[j]`` = phase built, −1 never)."""
    ph = np.asarray(phase, dtype=np.int64).copy()
    n_ph = len(specs)
    new_cost = np.zeros(n_ph)
    new_sites = np.zeros(n_ph, dtype=np.int64)
    cov = np.zeros((n_ph, problem.n_areas))
    bad: list[str] = []
    if (problem.fixed & (ph != 0)).any():
        bad.append("a site on air is not in phase 0")
    for p, spec in enumerate(specs):
        new = ph == p
        new_cost[p] = float(problem.cost[new].sum())
        new_sites[p] = int((new & ~problem.fixed).sum())
        ev = evaluate(problem, np.flatnonzero((ph >= 0) & (ph <= p)))
        cov[p] = ev["area_fraction"]
        short = [
            problem.area_names[a]
            for a in range(problem.n_areas)
            if spec.targets[a] > 0
            and ev["area_covered"][a] + _EPS * max(1.0, ev["area_total"][a]) < spec.targets[a] * ev["area_total"][a]
        ]
        if short:
            bad.append(
                f"phase {spec.name}: target not met in {', '.join(short[:5])}" + (" …" if len(short) > 5 else "")
            )
        if spec.budget > 0 and new_cost[p] > spec.budget * (1 + 1e-12) + 1e-9:
            bad.append(f"phase {spec.name}: new sites cost {new_cost[p]:.1f} 万元 > budget {spec.budget:g}")
        if spec.max_sites > 0 and new_sites[p] > spec.max_sites:
            bad.append(f"phase {spec.name}: {new_sites[p]} new sites > max_sites {spec.max_sites}")
    return PhasePlan(ph, new_cost, new_sites, cov, float(new_cost.sum()), float((new_cost * discount).sum()), bad)


def _sub_problem(
    problem: CoverageProblem, targets: NDArray[np.float64], built: NDArray[np.bool_], allowed: NDArray[np.bool_] | None
) -> CoverageProblem:
    """Phase targets met with ``built`` fixed at cost 0 (the objective is the new cost) and only ``allowed`` columns."""
    fixed = problem.fixed | built
    forbidden = problem.forbidden.copy()
    if allowed is not None:
        forbidden |= ~allowed
    forbidden &= ~fixed
    cost = np.where(built & ~problem.fixed, 0.0, problem.cost)
    caps: dict[str, int] = {}
    if problem.type_caps:
        extra = built & ~problem.fixed
        caps = {t: max(0, int(c) - int((extra & (problem.col_type == t)).sum())) for t, c in problem.type_caps.items()}
    return replace(
        problem,
        cost=cost,
        area_target=np.asarray(targets, np.float64),
        fixed=fixed,
        forbidden=forbidden,
        type_caps=caps,
        budget=None,
        max_sites=None,
    )


def _sizes(problem: CoverageProblem, specs: list[PhaseSpec]) -> NDArray[np.float64]:
    """Nonzeros of each phase's targeted rows (+1): the share of work a solve of that phase gets."""
    nnz_row = np.diff(problem.a.indptr)
    out = np.zeros(len(specs))
    for p, spec in enumerate(specs):
        rows = spec.targets[problem.row_area] > 0
        out[p] = float(nnz_row[rows].sum()) + 1.0
    return out


def solve_phases(
    problem: CoverageProblem,
    specs: list[PhaseSpec],
    *,
    discount_rate: float = 0.0,
    time_limit_s: float = 60.0,
    work_limit: float = 0.0,
    workers: int = 2,
    seed: int = 0,
    full_model_cols: int = FULL_MODEL_COLS,
) -> PhasedSolution:
    """Plan the phases jointly (see the module docstring) and the myopic plan for comparison.

    Parameters
    ----------
    problem : CoverageProblem
        The single-plan model (its ``area_target``, ``budget`` and ``max_sites`` are ignored).
    specs : list of PhaseSpec
        The phases in order; targets are cumulative per area.
    discount_rate : float
        Phase ``p`` costs are weighted by ``(1 + rate)^{−p}``.
    time_limit_s, work_limit : float
        The work budget (``work_limit`` units, or ``time_limit_s`` × 300), shared by every stage.
    workers, seed : int
        CP-SAT threads (interleaved, deterministic) and seed of every stage.
    full_model_cols : int
        Up to this many columns, CP-SAT gets the whole model (a bound valid for it).

    Returns
    -------
    PhasedSolution
    """
    if not specs:
        raise ValueError("solve_phases needs at least one phase")
    t0 = time.perf_counter()
    work = resolve_work(time_limit_s, work_limit)
    n_ph, n = len(specs), problem.n_cols
    disc = discount_factors(n_ph, discount_rate)
    sizes = _sizes(problem, specs)
    # solves: scratch P, myopic P-1, backward P-1, guided P-1 (+ a fallback where a budget binds)
    weights = np.r_[SCRATCH_WEIGHT * sizes, sizes[1:], sizes[:-1], sizes[:-1]]
    sub_work = SUBSOLVE_SHARE * work
    stats: dict[str, Any] = {"work_limit": round(work, 3), "solves": []}

    def run(
        p: int, built: NDArray[np.bool_], allowed: NDArray[np.bool_] | None, label: str
    ) -> tuple[NDArray[np.bool_] | None, float]:
        units = max(1.0, sub_work * sizes[p] * (SCRATCH_WEIGHT if label == "scratch" else 1.0) / float(weights.sum()))
        sol, sel, lb = budgeted_solve(
            _sub_problem(problem, specs[p].targets, built, allowed), units, work=work, time_limit_s=time_limit_s,
            workers=workers, seed=seed, log=stats["solves"], tag={"stage": label, "phase": specs[p].name}, runtime=True,
        )
        if sol.status in ("infeasible", "unknown") and not math.isfinite(sol.objective):
            return None, lb
        return sel | built, lb

    none = np.zeros(n, dtype=bool)
    scratch: list[NDArray[np.bool_] | None] = []
    lbs = np.zeros(n_ph)
    for p in range(n_ph):
        sel_p, lb = run(p, none, None, "scratch")
        scratch.append(sel_p)
        lbs[p] = max(lb, lbs[p - 1] if p and _dominates(specs[p], specs[p - 1]) else 0.0)
    d_next = np.r_[disc[1:], 0.0]
    bound = float(((disc - d_next) * lbs).sum())
    # myopic
    phase_my = np.full(n, -1, dtype=np.int64)
    built = problem.fixed.copy()
    phase_my[built] = 0
    for p in range(n_ph):
        sel_p = scratch[0] if p == 0 else run(p, built, None, "myopic")[0]
        if sel_p is None:
            continue  # this phase cannot be planned: the evaluation names it
        phase_my[sel_p & (phase_my < 0)] = p
        built = sel_p
    myopic = evaluate_phases(problem, specs, phase_my, disc)
    plans: list[tuple[str, PhasePlan]] = [("myopic", myopic)]
    # backward from the last phase's scratch plan
    last = scratch[-1]
    if last is not None:
        phase_bw = np.full(n, -1, dtype=np.int64)
        phase_bw[last] = n_ph - 1
        allowed = last
        ok = True
        for p in range(n_ph - 2, -1, -1):
            sel_p = run(p, problem.fixed.copy(), allowed, "backward")[0]
            if sel_p is None:
                ok = False
                break
            phase_bw[sel_p] = p
            allowed = sel_p
        if ok:
            phase_bw[problem.fixed] = 0
            plans.append(("backward", evaluate_phases(problem, specs, phase_bw, disc)))
        guided = _guided(problem, specs, last, run)
        if guided is not None:
            plans.append(("guided", evaluate_phases(problem, specs, guided, disc)))
    best_name, best = _best(plans)
    # joint CP-SAT
    allowed_cols = ~problem.forbidden & ~problem.fixed
    if int(allowed_cols.sum()) <= full_model_cols:
        core = np.flatnonzero(allowed_cols)
        full = True
    else:
        mask = np.zeros(n, dtype=bool)
        for _, pl in plans:
            mask |= pl.phase >= 0
        for s in scratch:
            if s is not None:
                mask |= s
        core = np.flatnonzero(mask & allowed_cols)
        full = False
    budget = Budget.start(time_limit_s * (1 - SUBSOLVE_SHARE), work * (1 - SUBSOLVE_SHARE))
    jp, jbound, jinfo = _joint_cpsat(problem, specs, disc, core, best.phase, budget, workers, seed)
    stats["joint"] = {**jinfo, "core_cols": int(core.size), "full_model": full}
    if jp is not None:
        plans.append(("joint", evaluate_phases(problem, specs, jp, disc)))
    if full and math.isfinite(jbound):
        bound = max(bound, jbound)
    best_name, best = _best(plans)
    infeasible = _infeasible_phases(problem, specs, best, lbs, jinfo, full)
    if best.feasible:
        obj = best.discounted_cost
        gap = max(0.0, obj - bound) / max(abs(obj), 1e-9)
        status = "optimal" if gap <= 1e-6 else "feasible"
        if status == "optimal":
            gap = 0.0
    else:
        status, gap = "infeasible", math.inf
    stats["plans"] = {name: round(pl.discounted_cost, 6) for name, pl in plans}
    stats["runtime_s"] = round(time.perf_counter() - t0, 3)
    return PhasedSolution(best, myopic, status, bound, gap, best_name, disc, infeasible, stats)


def _guided(
    problem: CoverageProblem, specs: list[PhaseSpec], last: NDArray[np.bool_], run: Any
) -> NDArray[np.int64] | None:
    """Forward plan guided by the last phase's scratch plan ``last``.

    Each phase but the last picks the cheapest sites among ``last`` (and what is built) that
    meet its targets; where that breaks the phase's budget or site cap, the phase is solved
    over every column instead (the myopic step). The last phase keeps ``last`` when it holds
    every site built so far, else it is solved with them fixed.
    """
    n_ph = len(specs)
    phase = np.full(problem.n_cols, -1, dtype=np.int64)
    built = problem.fixed.copy()
    phase[built] = 0
    for p in range(n_ph):
        spec = specs[p]
        sel: NDArray[np.bool_] | None
        if p == n_ph - 1 and not (built & ~last).any():
            sel = last | built
        else:
            sel = run(p, built, last | built, "guided")[0] if p < n_ph - 1 else None
            new = sel & ~built if sel is not None else None
            if (
                new is None
                or (spec.budget > 0 and float(problem.cost[new].sum()) > spec.budget + 1e-9)
                or (spec.max_sites > 0 and int((new & ~problem.fixed).sum()) > spec.max_sites)
            ):
                sel = run(p, built, None, "guided")[0]
            if sel is None:
                return None
        phase[sel & (phase < 0)] = p
        built = sel
    return phase


def _dominates(a: PhaseSpec, b: PhaseSpec) -> bool:
    """Whether phase ``a``'s targets are at least ``b``'s everywhere (then ``LB_a ≥ LB_b``)."""
    return bool((a.targets >= b.targets - 1e-12).all())


def _best(plans: list[tuple[str, PhasePlan]]) -> tuple[str, PhasePlan]:
    """Cheapest feasible plan (ties: the earlier one, myopic first); else the one with fewest violations."""
    feas = [(pl.discounted_cost, i) for i, (_, pl) in enumerate(plans) if pl.feasible]
    if feas:
        i = min(feas)[1]
    else:
        i = min((len(pl.violations), pl.discounted_cost, i) for i, (_, pl) in enumerate(plans))[2]
    return plans[i]


def _infeasible_phases(
    problem: CoverageProblem,
    specs: list[PhaseSpec],
    best: PhasePlan,
    lbs: NDArray[np.float64],
    jinfo: dict[str, Any],
    full: bool,
) -> list[dict[str, Any]]:
    """Phases the plan misses, each with its reason (unreachable demand, budget too small, site cap)."""
    if best.feasible:
        return []
    out: list[dict[str, Any]] = []
    ev = evaluate(problem, np.flatnonzero(~problem.forbidden))
    reach = ev["area_fraction"]
    cum_budget = 0.0
    capped = True
    for p, spec in enumerate(specs):
        capped = capped and spec.budget > 0
        cum_budget += spec.budget
        unreach = [problem.area_names[a] for a in range(problem.n_areas) if spec.targets[a] > reach[a] + 1e-9]
        if unreach:
            out.append(
                {
                    "phase": spec.name,
                    "reason": "unreachable demand",
                    "message": f"phase {spec.name}: targets above what every candidate together reaches in "
                    f"{', '.join(unreach[:5])}",
                }
            )
        elif capped and lbs[p] > cum_budget + 1e-9:
            out.append(
                {
                    "phase": spec.name,
                    "reason": "budget too small for the target",
                    "message": f"phase {spec.name}: its targets need at least {lbs[p]:.1f} 万元 of sites, the budgets "
                    f"up to it allow {cum_budget:g} 万元",
                }
            )
        elif any(v.startswith(f"phase {spec.name}:") for v in best.violations):
            why = [v for v in best.violations if v.startswith(f"phase {spec.name}:")]
            proven = full and jinfo.get("cpsat_status") == "INFEASIBLE"
            reason = (
                "budget too small for the target"
                if any("budget" in w for w in why)
                else ("site cap too small for the target" if any("max_sites" in w for w in why) else "no plan found")
            )
            out.append(
                {
                    "phase": spec.name,
                    "reason": reason,
                    "message": "; ".join(why)
                    + (
                        " (proven: no plan meets every phase)"
                        if proven
                        else " (best plan found; raise the budget or the solver limit)"
                    ),
                }
            )
    return out


def _joint_cpsat(
    problem: CoverageProblem,
    specs: list[PhaseSpec],
    disc: NDArray[np.float64],
    core: NDArray[np.int64],
    hint: NDArray[np.int64],
    budget: Budget,
    workers: int,
    seed: int,
) -> tuple[NDArray[np.int64] | None, float, dict[str, Any]]:
    """CP-SAT on the multi-phase model over ``core`` (free columns); phases per column, bound (万元), info."""
    n_ph, fixed = len(specs), problem.fixed
    targeted = np.zeros(problem.n_areas, dtype=bool)
    for s in specs:
        targeted |= s.targets > 0
    core = usable_core(problem, core)
    rows = core_rows(problem, core, targeted)
    info: dict[str, Any] = {"rows": int(rows.a.shape[0])}
    reach = rows.reachable()
    for s in specs:
        if ((s.targets * rows.total_w) > reach + _EPS * np.maximum(rows.total_w, 1.0)).any():
            info.update({"cpsat_status": "CORE_INFEASIBLE", "phase": s.name})
            return None, math.nan, info
    model = cp_model.CpModel()
    m = core.size
    x = [[model.new_bool_var(f"x{j}_{p}") for p in range(n_ph)] for j in range(m)]
    for j in range(m):
        for p in range(1, n_ph):
            model.add_implication(x[j][p - 1], x[j][p])
    for p, s in enumerate(specs):
        add_targets(model, rows, s.targets, functools.partial(_lit, x, p), f"p{p}")
    cost = problem.cost[core]
    c_scale, c_int, c_exact = int_scale(cost)
    c_up = c_int if c_exact else np.ceil(cost * c_scale).astype(np.int64)
    for p, s in enumerate(specs):
        new = [(x[j][p], x[j][p - 1] if p else None) for j in range(m)]
        if s.budget > 0:
            spent = sum(int(c_up[j]) * now for j, (now, _) in enumerate(new))
            before = sum(int(c_up[j]) * prev for j, (_, prev) in enumerate(new) if prev is not None)
            model.add(spent - before <= math.floor(s.budget * c_scale + 1e-6))
        if s.max_sites > 0:
            model.add(sum(now for now, _ in new) - sum(prev for _, prev in new if prev is not None) <= s.max_sites)
    add_side(model, problem, core, [x[j][n_ph - 1] for j in range(m)])
    # objective: Σ_p (d_p − d_{p+1}) c_j x_jp
    o_scale, o_int, o_exact = objective_ints(np.outer(cost, disc - np.r_[disc[1:], 0.0]))
    model.minimize(sum(int(o_int[j, p]) * x[j][p] for j in range(m) for p in range(n_ph) if o_int[j, p]))
    for j, col in enumerate(core):
        for p in range(n_ph):
            model.add_hint(x[j][p], bool(0 <= hint[col] <= p))
    solver, found, more = solve_model(model, budget, workers, seed)
    info.update(more)
    info["exact_costs"] = bool(c_exact and o_exact)
    if not found:
        return None, math.nan, info
    phase = np.full(problem.n_cols, -1, dtype=np.int64)
    phase[fixed] = 0
    for j, col in enumerate(core):
        built = [p for p in range(n_ph) if solver.boolean_value(x[j][p])]
        if built:
            phase[col] = built[0]
    # rounded coefficients: each of the at most core × phases terms is off by ≤ 0.5 integer units
    slack = 0.0 if o_exact else 0.5 * m * n_ph
    return phase, (float(solver.best_objective_bound) - slack) / o_scale + float(problem.cost[fixed].sum()), info


def _lit(x: list[list[Any]], p: int, col: int) -> Any:
    """The literal of core column ``col`` in phase ``p``."""
    return x[col][p]
