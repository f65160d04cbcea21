"""The roll-out stage: ``[[phases]]`` (建设期) and ``[operators.*]`` (共建共享) in place of the single solve.

``problem → solution``: with phases, :func:`plan_rollout` turns each phase's cumulative
targets (class or area id → share) into per-area targets and runs
:func:`planner.optimize.phases.solve_phases`; with operators, it builds each operator's own
coverage matrix (its band, threshold and penetration loss) and model, and runs
:func:`planner.optimize.operators.solve_operators`. Either way the plan's sites are the
poles built by the last phase / used by any operator, and :func:`attach_rollout` adds
``phase`` (建设期) or ``operators`` / ``tenants`` (运营商) to the site table and the record
(per phase, per operator, myopic/alone comparisons, bound, gap) to the plan's solution,
which the manifest and the report read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.coverage.matrix import CoverageMatrix
from planner.coverage.terrain import Terrain
from planner.errors import InfeasibleTargetError, InputDataError, Problem, ScenarioError
from planner.optimize import Solution
from planner.plan import Plan
from planner.scenario import Scenario
from planner.scenario_rollout import DEFAULT_SHARE_COST_FRACTION
from planner.stages.candidates import CandidateSites
from planner.stages.grid import StudyArea
from planner.stages.inputs import InputLayers
from planner.stages.problem import ProblemSetup, build_problem


@dataclass
class Rollout:
    """What the roll-out stage hands on: the plan's solution, warnings and per-site labels."""

    solution: Solution
    warnings: list[str]
    record: dict[str, Any]
    #: candidate id → phase name (phases) or "、"-joined operator names (operators)
    site_phase: dict[str, str] = field(default_factory=dict)
    site_operators: dict[str, str] = field(default_factory=dict)
    site_tenants: dict[str, int] = field(default_factory=dict)


def area_targets(
    table: dict[str, float], areas: gpd.GeoDataFrame, key: str, source: str, default: np.ndarray | None = None
) -> np.ndarray:
    """Per-area targets from class / area-id keys (an area id wins over its class); unknown ids exit 2."""
    ids = areas["id"].astype(str).tolist()
    classes = areas["class"].astype(str).tolist()
    from planner.scenario import PRIORITY_CLASSES

    unknown = [k for k in table if k not in PRIORITY_CLASSES and k not in ids]
    if unknown:
        raise ScenarioError(
            [
                Problem(
                    f"target for {k!r}: no priority class or area id of that name",
                    source,
                    f"[{key}.{k}]",
                    f"use a priority class or one of the area ids ({', '.join(ids[:8])}"
                    + (" …" if len(ids) > 8 else "")
                    + ")",
                )
                for k in unknown
            ]
        )
    out = np.zeros(len(areas)) if default is None else np.asarray(default, float).copy()
    for i, (aid, cls) in enumerate(zip(ids, classes, strict=True)):
        if aid in table:
            out[i] = table[aid]
        elif cls in table:
            out[i] = table[cls]
    return out


def single_plan_view(scenario: Scenario) -> Scenario:
    """``scenario`` for the single-plan problem stage: with phases or operators its class targets are not
    the plan's (each phase / operator has its own), so they are capped silently rather than raised.
    """
    if not (scenario.phases or scenario.operators) or scenario.objective.on_infeasible == "cap":
        return scenario
    return scenario.model_copy(update={"objective": scenario.objective.model_copy(update={"on_infeasible": "cap"})})


def plan_rollout(
    scenario: Scenario,
    inputs: InputLayers,
    area: StudyArea,
    sites: CandidateSites,
    setup: ProblemSetup,
    terrain: Terrain | None,
    cov: CoverageMatrix | None = None,
) -> Rollout | None:
    """Solve the phases or the operators of ``scenario`` (None when it has neither).

    ``cov`` is the coverage of ``scenario.radio``: an operator with the same radio settings reuses it.
    """
    if scenario.phases:
        return _phases(scenario, area, sites, setup)
    if scenario.operators:
        return _operators(scenario, inputs, area, sites, terrain, cov)
    return None


def _infeasible(scenario: Scenario, messages: list[str], what: str) -> list[str]:
    if messages and scenario.objective.on_infeasible == "error":
        raise InfeasibleTargetError(
            [Problem(m, "scenario", what, "raise the budget, lower the target or add candidates") for m in messages],
            diagnostics={"infeasible": messages},
        )
    return [m + ' (objective.on_infeasible = "cap": the plan is the best found)' for m in messages]


def _phases(scenario: Scenario, area: StudyArea, sites: CandidateSites, setup: ProblemSetup) -> Rollout:
    from planner.optimize.phases import PhaseSpec, solve_phases

    src = str(scenario.source or "scenario")
    areas, cands = area.areas, sites.table
    warnings: list[str] = []
    specs: list[PhaseSpec] = []
    carried: dict[str, float] = {}
    for i, ph in enumerate(scenario.phases):
        carried = {**carried, **ph.targets}
        t = area_targets(carried, areas, f"phases.{i}.targets", src)
        over = t > setup.reach + 1e-9
        for a in np.flatnonzero(over):
            warnings.append(
                f"phase {ph.name}: area {areas['name'].iloc[a]!r} target {t[a]:.1%} is unreachable demand "
                f"(at most {setup.reach[a]:.1%} within reach); planned for the reachable share"
            )
        if over.any() and scenario.objective.on_infeasible == "error":
            raise InfeasibleTargetError(
                [
                    Problem(w, src, f"[phases.{i}.targets]", "lower the target or add candidates near the area")
                    for w in warnings
                ],
                diagnostics={"infeasible": warnings},
            )
        t = np.where(over, np.floor(setup.reach * 1e4) / 1e4, t)
        specs.append(PhaseSpec(ph.name, t, float(ph.budget), int(ph.max_sites)))
    res = solve_phases(
        setup.problem,
        specs,
        discount_rate=scenario.objective.discount_rate,
        time_limit_s=scenario.solver.time_limit_s,
        work_limit=scenario.solver.work_limit,
        workers=scenario.solver.workers,
        seed=scenario.scenario.seed,
    )
    warnings += _infeasible(scenario, [i["message"] for i in res.infeasible], "[phases]") + _time_limited(res.stats)
    names = [s.name for s in specs]
    selected = np.flatnonzero(res.plan.phase >= 0).astype(np.int64)
    record = res.to_dict(names)
    record["targets"] = [[round(float(v), 6) for v in s.targets] for s in specs]
    record["budgets"] = [s.budget for s in specs]
    record["max_sites"] = [s.max_sites for s in specs]
    record["coverage"] = {
        "joint": np.round(res.plan.coverage, 6).tolist(),
        "myopic": np.round(res.myopic.coverage, 6).tolist(),
    }
    sol = Solution(
        res.status,
        float(res.plan.total_cost),
        res.bound,
        res.gap,
        selected,
        float(res.stats["runtime_s"]),
        "phases",
        {"phases": record},
    )
    ids = cands["id"].astype(str).to_numpy()
    site_phase = {str(ids[j]): names[int(res.plan.phase[j])] for j in selected}
    return Rollout(sol, warnings, record, site_phase=site_phase)


def tenancy(scenario: Scenario, cands: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``max_tenants`` and ``share_cost`` (万元) per candidate: type defaults, a ``max_tenants`` column overrides."""
    types = cands["type"].astype(str).to_numpy()
    cost = cands["cost"].to_numpy(float)
    cap = np.ones(len(cands), dtype=np.int64)
    share = np.zeros(len(cands))
    for t in np.unique(types):
        cfg = scenario.candidates.types.get(t)
        m = types == t
        cap[m] = cfg.max_tenants if cfg is not None else 1
        share[m] = (
            cfg.share_cost if cfg is not None and cfg.share_cost is not None else DEFAULT_SHARE_COST_FRACTION * cost[m]
        )
    if "max_tenants" in cands:
        raw = pd.to_numeric(cands["max_tenants"], errors="coerce").to_numpy(float)
        given = ~np.isnan(raw)
        bad = given & ((raw < 1) | (raw != np.round(raw)) | (raw > 10))
        if bad.any():
            rows = np.flatnonzero(bad)[:5]
            raise InputDataError(
                Problem(
                    "max_tenants must be a whole number from 1 to 10 "
                    f"(ids {', '.join(cands['id'].astype(str).iloc[rows])})",
                    str(scenario.inputs.candidates),
                    "column max_tenants",
                    "give the operators each pole can host (1 = no sharing), "
                    "or leave the cell empty for the type default",
                )
            )
        cap[given] = raw[given].astype(np.int64)
    return cap, share


def _operators(
    scenario: Scenario,
    inputs: InputLayers,
    area: StudyArea,
    sites: CandidateSites,
    terrain: Terrain | None,
    cov: CoverageMatrix | None,
) -> Rollout:
    from planner.optimize.operators import solve_operators
    from planner.stages.coverage import compute_coverage

    src = str(scenario.source or "scenario")
    areas, cands = area.areas, sites.table
    warnings: list[str] = []
    problems, names = [], []
    for key, op in scenario.operators.items():
        radio = scenario.radio.model_copy(
            update={
                "band": op.band,
                "threshold_dbm": scenario.radio.threshold_dbm if op.threshold_dbm is None else op.threshold_dbm,
                "penetration_loss_db": scenario.radio.penetration_loss_db
                if op.penetration_loss_db is None
                else op.penetration_loss_db,
            }
        )
        sc_o = scenario.model_copy(update={"radio": radio})
        if cov is not None and radio == scenario.radio:
            cov_o = cov  # same band and settings as [radio]: the run's own coverage
        else:
            cov_o, _, w = compute_coverage(sc_o, inputs, area, sites)
            warnings += [f"operator {op.name}: {m}" for m in w]
        areas_o = areas.copy()
        areas_o["target"] = area_targets(
            dict(op.targets), areas, f"operators.{key}.targets", src, default=areas["target"].to_numpy(float)
        )
        setup_o = build_problem(sc_o, cands, areas_o, area.demand, cov_o, terrain)
        warnings += [f"operator {op.name}: {m}" for m in setup_o.warnings]
        problems.append(setup_o.problem)
        names.append(op.name)
    cap, share = tenancy(scenario, cands)
    res = solve_operators(
        problems,
        cap,
        share,
        time_limit_s=scenario.solver.time_limit_s,
        work_limit=scenario.solver.work_limit,
        workers=scenario.solver.workers,
        seed=scenario.scenario.seed,
    )
    warnings += _time_limited(res.stats)
    if not res.plan.feasible:
        named = [
            v.replace(f"operator {o}:", f"operator {nm}:", 1)
            for v in res.plan.violations
            for o, nm in [_op_of(v, names)]
        ]
        warnings += _infeasible(scenario, named, "[operators]")
    record = res.to_dict(names)
    record["bands"] = [op.band for op in scenario.operators.values()]
    record["keys"] = list(scenario.operators)
    for o, entry in enumerate(record["operators"]):
        entry["band"] = record["bands"][o]
        entry["coverage"] = [round(float(v), 6) for v in res.plan.coverage[o]]
        entry["targets"] = [round(float(v), 6) for v in problems[o].area_target]
    t = res.plan.tenants
    selected = np.flatnonzero(t > 0).astype(np.int64)
    ids = cands["id"].astype(str).to_numpy()
    site_ops = {str(ids[j]): "、".join(names[o] for o in range(len(names)) if res.plan.z[o, j]) for j in selected}
    site_ten = {str(ids[j]): int(t[j]) for j in selected}
    sol = Solution(
        res.status,
        float(res.plan.cost),
        res.bound,
        res.gap,
        selected,
        float(res.stats["runtime_s"]),
        "operators",
        {"operators": record},
    )
    return Rollout(sol, warnings, record, site_operators=site_ops, site_tenants=site_ten)


def _time_limited(stats: dict[str, Any]) -> list[str]:
    """The run warning of a roll-out whose sub-solves or CP-SAT model the wall-clock safety stop cut short."""
    from planner.optimize._budget import TIME_LIMITED_WARNING

    cut = [s for s in stats.get("solves", []) if s.get("time_limited")]
    if not cut and not stats.get("joint", {}).get("time_limited"):
        return []
    return [
        f"{TIME_LIMITED_WARNING} ({len(cut)} sub-solves and the joint model cut by the safety stop: "
        f"{'yes' if stats.get('joint', {}).get('time_limited') else 'no'})"
    ]


def _op_of(violation: str, names: list[str]) -> tuple[int, str]:
    """The operator index a violation text names (``operator 1: …``) and its name; (-1, "") for others."""
    head = violation.split(":", 1)[0]
    if head.startswith("operator ") and head[9:].isdigit() and int(head[9:]) < len(names):
        return int(head[9:]), names[int(head[9:])]
    return -1, ""


def attach_rollout(plan: Plan, rollout: Rollout | None) -> None:
    """Add 建设期 / 运营商 columns to ``plan.sites`` and the record to ``plan.solution`` (no-op for None)."""
    if rollout is None:
        return
    ids = plan.sites["id"].astype(str)
    stats = plan.solution.get("stats", {})
    if rollout.site_phase:
        plan.sites["phase"] = ids.map(rollout.site_phase).fillna("").to_numpy(str)
        plan.solution["phases"] = stats.pop("phases", rollout.record)  # JSON-clean copy made by Solution.to_dict
    if rollout.site_operators:
        plan.sites["operators"] = ids.map(rollout.site_operators).fillna("").to_numpy(str)
        plan.sites["tenants"] = ids.map(rollout.site_tenants).fillna(0).to_numpy(np.int64)
        plan.solution["operators"] = stats.pop("operators", rollout.record)
    plan.solution["rollout_gap"] = rollout.solution.gap if math.isfinite(rollout.solution.gap) else None
