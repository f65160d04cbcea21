"""The SINR repair stage: ``demand.require_sinr = true`` makes ``radio.sinr_min_db`` a requirement.

``plan → plan``: with the requirement on, an area counts a cell only when the plan covers it
(≥ k sites at the design RSRP) **and** its SS-SINR (:mod:`planner.radio.interference`) reaches
``radio.sinr_min_db`` — the operators' coverage-rate definition "SS-RSRP ≥ threshold and
SS-SINR ≥ −3 dB" (``../shared/DOMAIN.md`` §1.7). An area meets the requirement when that share
of its cells reaches its coverage target (the target the solve used, capped where unreachable).

:func:`repair_sinr` is a deterministic loop of at most ``demand.sinr_repair_iterations``
re-solves:

1. **Diagnose.** In every area that misses the requirement, each covered cell whose SINR is
   below the minimum gets the median received powers of the plan's sites (the SINR stage's
   settings, :func:`planner.radio.interference.median_radio`; one server per sector). Its
   strongest interferers are removed one at a time until ``P_best / (η Σ rest + N) ≥ γ``; each
   removed interferer forms a *polluting pair* with the best server's site (the serving site's
   other sectors stay: no conflict removes them). Pairs are scored by the demand weight of the cells
   that need them. A pair of two sites already on air (fixed) cannot be split: those cells are
   reported as interfered by on-air sites.
2. **Constrain.** The pairs become conflicts ``x_a + x_b ≤ 1`` of the model (as a minimum
   separation does): the two sites may not both be built. Conflicts accumulate over iterations.
   When no pair is left to split (interference between sites on air, or pairs already tried),
   the failing areas' coverage targets are raised instead, to ``target + interfered share +
   ½ cell`` where that is reachable: the plan covers enough extra cells to make up for the
   interfered ones (the solve covers an area only just to its target, so a single interfered
   cell can miss the requirement).
3. **Re-solve, warm-started from the plan.** A large-neighbourhood step around the problem
   cells: the plan's sites that reach an interfered cell (or belong to a polluting pair) are
   freed, every candidate reaching those cells or a cell a freed site served may enter, and the
   rest of the plan stays fixed as it is (the candidates reaching only its cells stay out, so the
   sub-model is local even when the failing area is the whole planning area; a coverage uplift
   adds the failing areas' uncovered cells to the problem cells). The sub-model is solved with
   :func:`planner.optimize.solve` on :data:`REPAIR_WORK_SHARE` of the solver's work budget
   (work units, never the clock). Budget, site and per-type caps are reduced by the fixed
   sites, so they still hold for the whole plan.
4. **Accept or back off.** A re-solve that finds no plan, or a plan whose requirement shortfall
   (Σ over areas of the target minus the share, by weight) is not smaller, is rejected: the
   batch is halved for the next attempt, and a single rejected pair is never tried again.

The loop stops when every area meets the requirement, when nothing is left to try (no pair to
split, no target to raise), or after the iterations. The best plan seen is kept; per area the
record gives the share of cells not covered at the RSRP design threshold (more sites help, not
fewer) and the share covered but interfered, with why the loop could not fix them. The plan's
bound stays that of the first solve: the conflicts only raise the optimum, so it is still a
valid lower bound (for ``max_coverage``, an upper bound).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.coverage.matrix import CoverageMatrix
from planner.coverage.terrain import Terrain
from planner.errors import PlannerError, Problem
from planner.optimize import CoverageProblem, Solution
from planner.plan import Plan
from planner.scenario import Scenario
from planner.stages.grid import StudyArea
from planner.stages.problem import ProblemSetup

__all__ = ["REPAIR_WORK_SHARE", "check_sinr_requirement", "polluting_pairs", "repair_sinr", "sinr_requirement"]

log = logging.getLogger(__name__)

#: share of the solver's work budget (``solver.work_limit``, or ``time_limit_s`` in work units) per re-solve
REPAIR_WORK_SHARE = 0.25


def check_sinr_requirement(scenario: Scenario) -> None:
    """Refuse, before any work, a SINR requirement the repair loop cannot honour (exit 2)."""
    if scenario.demand.require_sinr and (scenario.phases or scenario.operators):
        raise PlannerError(
            Problem(
                "demand.require_sinr = true is not supported with [[phases]] or [operators] (the repair loop "
                "re-solves a single plan)",
                "scenario",
                "demand.require_sinr",
                "set demand.require_sinr = false for a phased or shared plan, or plan one operator in one phase",
            )
        )


def sinr_requirement(
    plan: Plan, area_index: NDArray[np.integer[Any]], targets: NDArray[np.float64]
) -> list[dict[str, Any]]:
    """Per area: the share of its cells covered (≥ k sites) with SINR ≥ ``radio.sinr_min_db``, against its target.

    Needs ``plan.extras["sinr_db"]`` (the SINR stage) and ``plan.extras["cover_count"]``.

    Returns
    -------
    list of dict
        ``name, cells, target, share`` (0–1), ``met``, ``interfered`` and ``not_covered``
        (shares of the area's cells: covered but SINR below the minimum / covered by fewer
        than k sites).
    """
    gamma = float(plan.scenario.radio.sinr_min_db)
    sinr = np.asarray(plan.extras["sinr_db"], dtype=np.float64)
    count = np.asarray(plan.extras["cover_count"])
    good = np.isfinite(sinr) & (np.nan_to_num(sinr, nan=-np.inf) >= gamma)
    aidx = np.asarray(area_index)
    ks = plan.areas["k"].to_numpy(np.int64)
    out = []
    for i, name in enumerate(plan.areas["name"].astype(str).tolist()):
        sel = plan.demand_mask & (aidx == i)
        n = int(sel.sum())
        covered = count >= ks[i]
        share = float((sel & covered & good).sum()) / n if n else 1.0
        target = float(targets[i]) if n else 0.0
        out.append(
            {
                "name": name,
                "cells": n,
                "target": round(target, 6),
                "share": round(share, 6),
                "met": bool(share + 1e-9 >= target),
                "interfered": round(float((sel & covered & ~good).sum()) / n, 6) if n else 0.0,
                "not_covered": round(float((sel & ~covered).sum()) / n, 6) if n else 0.0,
            }
        )
    return out


def _shortfall(rows: list[dict[str, Any]], weights: NDArray[np.float64]) -> float:
    return float(sum(max(0.0, r["target"] - r["share"]) * w for r, w in zip(rows, weights, strict=True)))


def polluting_pairs(
    powers: CoverageMatrix,
    cols: NDArray[np.int64],
    cells: NDArray[np.int64],
    cell_weight: NDArray[np.float64],
    *,
    sinr_min_db: float,
    load_factor: float,
    noise_dbm: float,
) -> tuple[dict[tuple[int, int], float], NDArray[np.bool_]]:
    """Polluting pairs (best server, interferer) that keep ``cells`` below the SINR minimum.

    Parameters
    ----------
    powers : CoverageMatrix
        Received power per RE (dBm) of the plan's sites (rows) over the grid.
    cols : ndarray of int64
        Candidate column of each row of ``powers`` (a sectorised site has one row per sector,
        :func:`planner.radio.interference.sector_servers`; its sectors share the column and
        never form a pair).
    cells : ndarray of int64
        Flat grid indices of the cells to diagnose.
    cell_weight : ndarray of float
        Demand weight of each of ``cells``.
    sinr_min_db, load_factor, noise_dbm : float
        γ (dB), η and the noise per RE (dBm).

    Returns
    -------
    (dict, ndarray of bool)
        Pair ``(a, b)`` of candidate columns, ``a < b`` → summed weight of the cells that need
        it split; and per cell whether removing interferers can reach γ at all (False: the best
        server is below γ over the noise and its own site's other sectors).
    """
    csc = sp.csr_matrix(
        (powers.rsrp.astype(np.float64), powers.indices, powers.indptr), shape=(powers.n_sites, powers.grid.n_cells)
    ).tocsc()
    gamma = 10.0 ** (sinr_min_db / 10.0)
    noise = 10.0 ** (noise_dbm / 10.0)
    pairs: dict[tuple[int, int], float] = {}
    fixable = np.zeros(cells.size, dtype=bool)
    for i, c in enumerate(cells.tolist()):
        lo, hi = csc.indptr[c], csc.indptr[c + 1]
        if hi == lo:
            continue
        rows = csc.indices[lo:hi]
        p = 10.0 ** (csc.data[lo:hi] / 10.0)
        order = np.lexsort((cols[rows], -p))  # strongest first; ties by column (deterministic)
        rows, p = rows[order], p[order]
        best = p[0]
        serving = cols[rows[0]]
        same = cols[rows] == serving  # the serving site's other sectors: no conflict removes them
        stay = float(p[1:][same[1:]].sum())
        if best / (load_factor * stay + noise) < gamma:
            continue  # noise- or own-site-limited: no interferer to remove helps
        fixable[i] = True
        rest = float(p[1:].sum())
        for j in range(1, p.size):
            if best / (load_factor * max(rest, 0.0) + noise) >= gamma:
                break
            if same[j]:
                continue
            a, b = sorted((int(serving), int(cols[rows[j]])))
            pairs[(a, b)] = pairs.get((a, b), 0.0) + float(cell_weight[i])
            rest -= float(p[j])
    return pairs, fixable


@dataclass
class _State:
    solution: Solution
    plan: Plan
    rows: list[dict[str, Any]]
    shortfall: float


def repair_sinr(
    scenario: Scenario,
    area: StudyArea,
    cands: gpd.GeoDataFrame,
    setup: ProblemSetup,
    solution: Solution,
    plan: Plan,
    rebuild: Callable[[Solution], Plan],
    terrain: Terrain | None = None,
) -> tuple[Plan, list[str]]:
    """Repair a plan until every area meets the SINR requirement, or say per area why not.

    Parameters
    ----------
    scenario : Scenario
        The run's scenario (``demand.sinr_repair_iterations``, ``radio``, ``solver``, ``objective``).
    area : StudyArea
        Grid, areas and demand cells.
    cands : GeoDataFrame
        The candidate table of the model (``x_m, y_m, height_m, site_class`` and the antenna columns).
    setup : ProblemSetup
        The model the plan was solved on, and the targets it used.
    solution : Solution
        The solve's solution.
    plan : Plan
        Its plan, with the SINR stage's rasters (:func:`planner.radio.interference.attach_plan_sinr`).
    rebuild : callable
        ``rebuild(solution)`` → the plan of another selection with its SINR rasters (the
        pipeline's plan and sinr stages).
    terrain : Terrain, optional
        As in the coverage stage.

    Returns
    -------
    (Plan, list of str)
        The plan kept (the best seen; the input plan when nothing helped) and warnings; the
        loop's record is ``plan.radio["interference"]["requirement"]`` (manifest and report).
    """
    from planner.coverage.build import build_coverage, cell_penetration
    from planner.radio.antenna import antenna_overrides
    from planner.radio.interference import median_radio, sector_servers

    radio = scenario.radio
    demand = area.demand
    problem = setup.problem
    targets = setup.targets
    n_areas = len(area.areas)
    w_area = np.bincount(problem.row_area, weights=problem.row_weight, minlength=n_areas).astype(np.float64)
    cell_w = np.zeros(area.grid.n_cells, dtype=np.float64)
    cell_w[demand.cells] = problem.row_weight
    row_of_cell = np.full(area.grid.n_cells, -1, dtype=np.int64)
    row_of_cell[demand.cells] = np.arange(demand.cells.size)
    median, noise_dbm, _ = median_radio(radio)
    pen = cell_penetration(radio, demand.area_index, area.areas["class"].astype(str).tolist())  # as the SINR stage
    fixed0 = np.asarray(problem.fixed, dtype=bool)
    rows0 = sinr_requirement(plan, demand.area_index, targets)
    best = _State(solution, plan, rows0, _shortfall(rows0, w_area))
    current = best
    conflicts: set[tuple[int, int]] = set()
    rejected: set[tuple[int, int]] = set()
    batch_limit: int | None = None
    uplift: dict[int, float] = {}  # area → coverage target of the re-solves (raised, accepted)
    tried_lift: dict[int, float] = {}  # raised targets that did not help
    log_rows: list[dict[str, Any]] = []
    stop = "iterations exhausted"
    for it in range(scenario.demand.sinr_repair_iterations + 1):
        failing = [i for i, r in enumerate(current.rows) if not r["met"]]
        if not failing:
            stop = "met"
            break
        if it == scenario.demand.sinr_repair_iterations:
            break
        sel_idx = np.asarray(current.solution.selected, dtype=np.int64)
        fail_area = np.isin(demand.area_index, failing) & demand.mask
        count = np.asarray(current.plan.extras["cover_count"])
        ks = area.areas["k"].to_numpy(np.int64)
        k_cell = np.where(demand.area_index >= 0, ks[np.maximum(demand.area_index, 0)], 1)
        sinr = np.nan_to_num(np.asarray(current.plan.extras["sinr_db"], dtype=np.float64), nan=-np.inf)
        bad = fail_area & (count >= k_cell) & (sinr < radio.sinr_min_db)
        cells = np.flatnonzero(bad.ravel())
        pairs: dict[tuple[int, int], float] = {}
        if cells.size:
            sub = cands.iloc[sel_idx]
            own = antenna_overrides(sub)
            srv = sector_servers(  # one server per sector, as the SINR stage counts them
                sub["x_m"].to_numpy(np.float64),
                sub["y_m"].to_numpy(np.float64),
                sub["height_m"].to_numpy(np.float64),
                sub["site_class"].to_numpy(str),
                radio,
                own.get("site_azimuths"),
                own.get("site_tilt_deg"),
            )
            powers = build_coverage(
                area.grid,
                srv.x,
                srv.y,
                srv.h,
                srv.cls,
                median,
                cell_mask=bad,
                terrain=terrain,
                site_azimuths=srv.azimuths,
                site_tilt_deg=srv.tilt,
                cell_penetration_db=pen,
            )
            pairs, _ = polluting_pairs(
                powers,
                sel_idx[srv.site],
                cells,
                cell_w[cells],
                sinr_min_db=radio.sinr_min_db,
                load_factor=radio.load_factor,
                noise_dbm=noise_dbm,
            )
        on_air = {p for p in pairs if fixed0[p[0]] and fixed0[p[1]]}  # two sites on air: cannot be split
        todo = sorted(
            (p for p in pairs if p not in on_air and p not in conflicts and p not in rejected),
            key=lambda p: (-pairs[p], p),
        )
        batch: list[tuple[int, int]] = []
        lift: dict[int, float] = {}
        if todo:
            batch = todo[: batch_limit or len(todo)]
        else:  # nothing left to split: ask for more coverage where the interfered cells stay interfered
            lift = _uplift(current.rows, failing, setup.reach, {**uplift, **tried_lift})
            if not lift:
                stop = "nothing left to try" if cells.size else "no covered cell below the SINR minimum"
                break
        # the rows the re-solve works on: the interfered cells, and for an uplift the failing areas' uncovered cells
        focus = bad | (fail_area & (count < k_cell)) if lift else bad
        focus_rows = row_of_cell[np.flatnonzero(focus.ravel())]
        pair_cols = np.array(sorted({c for p in pairs for c in p}), dtype=np.int64)
        trial = _resolve(
            scenario,
            problem,
            sel_idx,
            conflicts | set(batch),
            focus_rows[focus_rows >= 0],
            pair_cols,
            {**uplift, **lift},
        )
        entry: dict[str, Any] = {
            "iteration": it + 1,
            "action": "conflicts" if batch else "coverage uplift",
            "cells_diagnosed": int(cells.size),
            "pairs_found": len(pairs),
            "pairs_on_air": len(on_air),
            "pairs_tried": len(batch),
            "targets_raised": {str(area.areas["name"].iloc[i]): round(t, 6) for i, t in sorted(lift.items())},
            "status": trial.status if trial else "no plan",
        }
        accepted = False
        if trial is not None and len(trial.selected) and math.isfinite(trial.objective):
            sol = _honest(trial, solution, problem, scenario.objective.kind, len(conflicts) + len(batch))
            new_plan = rebuild(sol)
            rows = sinr_requirement(new_plan, demand.area_index, targets)
            short = _shortfall(rows, w_area)
            entry.update({"shortfall": round(short, 6), "sites": len(sol.selected), "objective": sol.objective})
            if short < current.shortfall - 1e-12:
                accepted = True
                conflicts |= set(batch)
                uplift.update(lift)
                current = _State(sol, new_plan, rows, short)
                if short < best.shortfall - 1e-12:
                    best = current
                batch_limit = None
        if not accepted and batch:
            if len(batch) == 1:
                rejected.add(batch[0])
            batch_limit = max(1, len(batch) // 2)
        elif not accepted:
            tried_lift.update(lift)
        entry["accepted"] = accepted
        log_rows.append(entry)
        log.info("SINR repair %d: %s", it + 1, entry)
    return _report(best, rows0, log_rows, stop, conflicts, rejected, scenario, problem.col_ids)


def _uplift(
    rows: list[dict[str, Any]], failing: list[int], reach: NDArray[np.float64], done: dict[int, float]
) -> dict[int, float]:
    """Coverage targets that leave room for the interfered cells: ``target + interfered + ½ cell``.

    Only for failing areas with interfered cells, where the raised target is reachable and above
    the one already asked for (``done``).
    """
    out: dict[int, float] = {}
    for i in failing:
        r = rows[i]
        if r["interfered"] <= 0 or not r["cells"]:
            continue
        t = min(1.0, r["target"] + r["interfered"] + 0.5 / r["cells"])
        if t <= float(reach[i]) + 1e-9 and t > done.get(i, 0.0) + 1e-12:
            out[i] = min(t, float(reach[i]))
    return out


def _resolve(
    scenario: Scenario,
    problem: CoverageProblem,
    selected: NDArray[np.int64],
    conflicts: set[tuple[int, int]],
    focus_rows: NDArray[np.int64],
    pair_cols: NDArray[np.int64],
    targets: dict[int, float],
) -> Solution | None:
    """Re-solve the neighbourhood of ``focus_rows`` with the conflicts; the plan's other sites fixed.

    Freed: the plan's sites (not on air) that reach a focus row or belong to a polluting pair.
    Free to enter: every candidate reaching a focus row or a row a freed site served. The other
    rows keep the fixed sites that cover them, so the candidates reaching only them stay out
    (the sub-model is local even when the failing area is the whole planning area). ``targets``
    raises the coverage target of some areas (area index → share).
    """
    from planner.optimize import solve

    n = problem.n_cols
    in_plan = np.zeros(n, dtype=bool)
    in_plan[selected] = True
    fixed0 = np.asarray(problem.fixed, dtype=bool)
    touch = np.zeros(n, dtype=bool)
    if focus_rows.size:
        touch[np.unique(problem.a[focus_rows].indices)] = True
    touch[pair_cols] = True
    freed = np.flatnonzero(in_plan & touch & ~fixed0)
    newly = in_plan & ~touch & ~fixed0
    csc = problem.a.tocsc()
    near_rows = np.union1d(focus_rows, csc[:, freed].indices) if freed.size else focus_rows
    near = np.zeros(n, dtype=bool)
    if near_rows.size:
        near[np.unique(problem.a[near_rows].indices)] = True
    outside = ~near & ~in_plan & ~fixed0
    old = problem.conflicts if problem.conflicts is not None else np.zeros((0, 2), dtype=np.int64)
    extra = np.array(sorted(conflicts), dtype=np.int64).reshape(-1, 2)
    caps = None
    if problem.type_caps is not None:
        types = np.asarray(problem.col_type).astype(str)
        caps = {t: max(0, int(v) - int((newly & (types == t)).sum())) for t, v in problem.type_caps.items()}
    cost = float(problem.cost[newly].sum())
    area_target = problem.area_target.copy()
    for i, t in targets.items():
        area_target[i] = max(area_target[i], t)
    sub = replace(
        problem,
        area_target=area_target,
        fixed=fixed0 | newly,
        forbidden=np.asarray(problem.forbidden, dtype=bool) | outside,
        conflicts=np.concatenate([old, extra]),
        type_caps=caps,
        budget=None if problem.budget is None else max(0.0, problem.budget - cost),
        max_sites=None if problem.max_sites is None else max(0, problem.max_sites - int(newly.sum())),
    )
    sv = scenario.solver
    try:
        return solve(
            sub,
            objective=scenario.objective.kind,
            time_limit_s=sv.time_limit_s * REPAIR_WORK_SHARE,
            workers=sv.workers,
            seed=scenario.scenario.seed,
            backend=sv.backend,
            gap_limit=sv.gap_limit,
            work_limit=sv.work_limit * REPAIR_WORK_SHARE,
        )
    except PlannerError:  # the constrained model is contradictory (e.g. a conflict between two forced sites)
        return None


def _honest(trial: Solution, first: Solution, problem: CoverageProblem, kind: str, n_conflicts: int) -> Solution:
    """The re-solved plan as a solution of the whole model: its objective there, the first solve's bound."""
    from planner.optimize import evaluate

    ev = evaluate(problem, trial.selected)
    obj = ev["covered_weight"] if kind == "max_coverage" else ev["cost"]
    gap = abs(obj - first.bound) / max(abs(obj), 1e-9) if math.isfinite(first.bound) else math.inf
    stats = {
        **first.stats,
        "sinr_repair": {
            "neighbourhood_status": trial.status,
            "neighbourhood_objective": trial.objective,
            "conflicts": n_conflicts,
        },
    }
    stats["warnings"] = list(dict.fromkeys([*first.stats.get("warnings", []), *trial.stats.get("warnings", [])]))
    cut = trial.stats.get("budget", {})
    if cut.get("time_limited"):  # the re-solve met the wall-clock safety stop: the kept plan says so too
        budget = dict(first.stats.get("budget", {}))
        budget["time_limited"] = True
        more = [f"sinr repair: {x}" for x in cut.get("time_limited_stages", [])]
        budget["time_limited_stages"] = [*budget.get("time_limited_stages", []), *more]
        stats["budget"] = budget
    return Solution(
        "feasible",
        float(obj),
        float(first.bound),
        float(gap),
        np.sort(trial.selected),
        first.runtime_s + trial.runtime_s,
        trial.backend,
        stats,
    )


def _report(
    best: _State,
    rows0: list[dict[str, Any]],
    log_rows: list[dict[str, Any]],
    stop: str,
    conflicts: set[tuple[int, int]],
    rejected: set[tuple[int, int]],
    scenario: Scenario,
    ids: list[str],
) -> tuple[Plan, list[str]]:
    plan = best.plan
    gamma = scenario.radio.sinr_min_db
    warnings: list[str] = []
    areas = []
    for r0, r in zip(rows0, best.rows, strict=True):
        reason = ""
        if not r["met"]:
            parts = []
            if r["not_covered"] > 1e-9:
                parts.append(f"{r['not_covered']:.1%} of its cells are not covered at the RSRP threshold")
            if r["interfered"] > 1e-9:
                why = {
                    "met": "",
                    "nothing left to try": "the interfering sites are both on air, or keeping them apart broke a "
                    "coverage target or did not help, and covering more cells did not help either",
                    "no covered cell below the SINR minimum": "",
                }.get(stop, f"{stop} after {len(log_rows)} re-solves")
                parts.append(
                    f"{r['interfered']:.1%} are covered but below SINR {gamma:g} dB" + (f" ({why})" if why else "")
                )
            reason = "; ".join(parts)
            warnings.append(
                f"area {r['name']!r}: SINR requirement not met: {r['share']:.1%} of its cells covered with "
                f"SINR ≥ {gamma:g} dB against the target {r['target']:.1%} ({reason}); see manifest "
                "radio.interference.requirement"
            )
        areas.append({**r, "share_before": r0["share"], "reason": reason})
    plan.radio.setdefault("interference", {})["requirement"] = {
        "definition": f"share of an area's cells covered by >= k sites with SS-SINR >= {gamma:g} dB, "
        "against its target",
        "met": all(a["met"] for a in areas),
        "stop": stop,
        "iterations": log_rows,
        "conflicts_added": [[ids[a], ids[b]] for a, b in sorted(conflicts)],
        "pairs_rejected": [[ids[a], ids[b]] for a, b in sorted(rejected)],
        "work_share_per_resolve": REPAIR_WORK_SHARE,
        "areas": areas,
    }
    if not warnings:
        log.info("SINR requirement met in every area after %d re-solves", len(log_rows))
    return plan, warnings
