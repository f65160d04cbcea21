"""``run_scenario``: the one function that turns a scenario into a :class:`~planner.plan.Plan`.

The stages, one module each under :mod:`planner.stages`, each handing a typed object to the
next::

    scenario ─► inputs ─► grid ─► candidates ─► coverage ─► problem ─► solution ─► plan ─► outputs
    Scenario    InputLayers StudyArea CandidateSites CoverageMatrix ProblemSetup Solution Plan  files

:func:`prepare_scenario` runs the stages up to coverage (a :class:`Prepared` run, which a
sweep reuses), :func:`plan_prepared` the rest up to the :class:`~planner.plan.Plan`;
:func:`planner.write_plan` (:mod:`planner.stages.outputs`) writes the outputs. The CLI, the
notebooks and the tests all call these; nothing else re-implements a stage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from planner.coverage.grid import Grid
from planner.coverage.matrix import CoverageMatrix
from planner.coverage.terrain import Terrain
from planner.errors import InfeasibleTargetError, InputDataError, PlannerError, Problem
from planner.geo.demand import DemandCells
from planner.io.hashing import file_sha256
from planner.optimize import Solution
from planner.plan import Plan
from planner.radio.interference import attach_plan_sinr
from planner.scenario import Scenario, load_scenario
from planner.stages.assemble import assemble_plan, attach_plan_rsrp
from planner.stages.candidates import (
    CANDIDATE_MARGIN_M,
    CandidateSites,
    exclusion_flags,
    ids_text,
    locate_candidates,
)
from planner.stages.coverage import compute_coverage
from planner.stages.grid import (
    StudyArea,
    grid_and_demand,
    make_grid,
    metric_boundary,
    prepare_areas,
)
from planner.stages.inputs import InputLayers, load_inputs
from planner.stages.problem import build_problem
from planner.stages.rollout import attach_rollout, plan_rollout, single_plan_view
from planner.stages.solve import solve_problem

__all__ = [
    "Inputs",
    "Prepared",
    "Progress",
    "file_sha256",
    "load_inputs",
    "make_grid",
    "plan_prepared",
    "prepare_scenario",
    "run_and_write",
    "run_scenario",
    "validate_scenario",
]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: deprecated alias of :class:`planner.stages.inputs.InputLayers` (``planner.scenario.Inputs``
#: is the scenario's ``[inputs]`` section: the file names, not the layers read from them)
Inputs = InputLayers


class _Stages:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress(name)
        log.info("stage: %s", name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 3)


@dataclass
class Prepared:
    """A run stopped after coverage: what :func:`plan_prepared` needs to optimise and assemble.

    Made by :func:`prepare_scenario`. A sweep over settings that do not change these stages
    (objective, solver, report, per-type caps, separations) solves many variants from one.
    """

    scenario: Scenario
    inputs: InputLayers
    area: StudyArea
    sites: CandidateSites
    coverage: CoverageMatrix
    warnings: list[str]
    timings: dict[str, float]
    #: DEM + buildings on the grid (None without terrain); used to explain unreachable demand
    terrain: Terrain | None = None

    @property
    def grid(self) -> Grid:
        """The planning grid."""
        return self.area.grid

    @property
    def boundary_m(self) -> gpd.GeoDataFrame:
        """The boundary in the metric CRS."""
        return self.area.boundary_m

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The priority areas in the metric CRS."""
        return self.area.areas

    @property
    def demand(self) -> DemandCells:
        """The demand cells."""
        return self.area.demand

    @property
    def candidates(self) -> gpd.GeoDataFrame:
        """The candidates table (EPSG:4490) with metric coordinates, groups and exclusion flags."""
        return self.sites.table


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: Progress | None = None,
) -> Plan:
    """Run every stage of a scenario and return the :class:`~planner.plan.Plan`.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario or the path of a scenario TOML file.
    overrides : list of str
        ``section.key=value`` overrides (only when ``scenario`` is a path).
    progress : callable, optional
        Called with the name of each stage as it starts.

    Raises
    ------
    PlannerError
        For any input the user can fix (exit code 2 in the CLI); InfeasibleTargetError
        when ``objective.on_infeasible = "error"`` and a target cannot be met.
    """
    prep = prepare_scenario(scenario, overrides=overrides, progress=progress)
    return plan_prepared(prep, progress=progress)


def run_and_write(
    scenario: Scenario | str | Path,
    out_dir: str | Path,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: Progress | None = None,
    compute: Callable[..., Plan] | None = None,
    force: bool = False,
) -> tuple[Plan, dict[str, Path]]:
    """:func:`run_scenario`, then every output written into ``out_dir`` (atomically).

    A run whose result is "infeasible" (:class:`~planner.errors.InfeasibleTargetError`) leaves
    ``out_dir`` holding only ``diagnostics.json`` (what could not be met and why) and re-raises.
    An ``out_dir`` the planner may not replace (see :func:`planner.io.rundir.check_out_dir`), and
    outputs that cannot be written (a ``tianditu`` basemap without ``TIANDITU_KEY``), are refused
    before anything is computed.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario or the path of a scenario TOML file.
    out_dir : str or Path
        The run folder.
    overrides : list of str
        ``section.key=value`` overrides (only when ``scenario`` is a path).
    progress : callable, optional
        Called with the name of each stage as it starts (``"write outputs"`` last).
    compute : callable, optional
        ``compute(run_scenario, scenario, progress=progress)`` runs the stages; the CLI passes
        one that computes in a worker thread so that Ctrl-C acts at once. Default: a plain call.
    force : bool
        Replace an earlier planner output folder even if files were added to it by hand (the
        CLI's ``--force``; never a folder the planner did not write).

    Returns
    -------
    (Plan, dict)
        The plan and its output name → path.
    """
    from planner.io.rundir import check_out_dir, input_paths
    from planner.stages.outputs import check_outputs, write_infeasible, write_outputs

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    check_out_dir(out_dir, protect=input_paths(scenario), force=force)  # say so before computing, not after
    check_outputs(scenario)
    try:
        plan = (compute or _call)(run_scenario, scenario, progress=progress)
    except InfeasibleTargetError as exc:
        write_infeasible(out_dir, exc, scenario)
        raise
    if progress is not None:
        progress("write outputs")
    return plan, write_outputs(plan, out_dir)


def _call(fn: Callable[..., Plan], *args: Any, **kwargs: Any) -> Plan:
    return fn(*args, **kwargs)


def prepare_scenario(
    scenario: Scenario | str | Path,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: Progress | None = None,
) -> Prepared:
    """Run the stages up to coverage (load inputs, grid and demand, candidates, coverage).

    :func:`plan_prepared` finishes the run; ``run_scenario`` is the two in sequence.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    st = _Stages(progress)
    # JIT-compile the optimiser's kernels while the inputs load: a fresh install's compile
    # stays out of the optimise stage and its time limit (planner.optimize._warmup.warm_up)
    from planner.optimize._warmup import warm_up_in_background

    warm = warm_up_in_background()
    warnings: list[str] = []
    if scenario.compute.backend == "gpu":  # accepted by the scenario contract, not built: refused before any work
        raise PlannerError(
            Problem(
                "there is no GPU path in this version",
                "compute.backend",
                fix='use compute.backend = "local" (numba on this CPU) or "dask" (a Dask cluster)',
            )
        )
    from planner.stages.sinr_repair import check_sinr_requirement

    check_sinr_requirement(scenario)  # demand.require_sinr with phases/operators: exit 2 before any work
    if scenario.compute.backend == "dask" and scenario.compute.scheduler.strip():
        from planner.coverage.dask_backend import check_scheduler

        check_scheduler(scenario.compute.scheduler)  # an unreachable cluster: exit 2 in seconds, nothing read
    with st.stage("load inputs"):
        inputs = load_inputs(scenario)
        warnings += inputs.warnings
    with st.stage("grid and demand"):
        area = grid_and_demand(scenario, inputs)
        warnings += area.warnings
    with st.stage("candidates"):
        sites = locate_candidates(scenario, inputs, area)
        warnings += sites.warnings
    with st.stage("coverage"):
        cov, terrain, w = compute_coverage(scenario, inputs, area, sites)
        warnings += w
    # a cold cache's compile can outlast the stages above: wait for it here, not inside the
    # optimise stage and its time limit, and say how long (0 on a warm cache)
    t_jit = time.perf_counter()
    warm.join()
    st.timings["jit warm-up wait"] = round(time.perf_counter() - t_jit, 3)
    return Prepared(scenario, inputs, area, sites, cov, warnings, st.timings, terrain)


def plan_prepared(prep: Prepared, scenario: Scenario | None = None, *, progress: Progress | None = None) -> Plan:
    """Optimise and assemble the :class:`~planner.plan.Plan` of a prepared run.

    ``scenario`` (default ``prep.scenario``) may differ from the prepared one only in keys
    that the prepared stages do not read: ``objective``, ``solver``, ``report``,
    ``candidates.max_per_type`` and ``candidates.min_separation_m``.
    """
    scenario = prep.scenario if scenario is None else scenario
    st = _Stages(progress)
    st.timings.update(prep.timings)
    warnings = list(prep.warnings)
    with st.stage("optimise"):
        setup = build_problem(
            single_plan_view(scenario), prep.candidates, prep.areas, prep.demand, prep.coverage, prep.terrain
        )
        # [[phases]] / [operators]: the roll-out stage replaces the single solve and its targets
        # (planner.stages.rollout)
        rollout = plan_rollout(scenario, prep.inputs, prep.area, prep.sites, setup, prep.terrain, prep.coverage)
        warnings += setup.warnings if rollout is None else []
        solution, w = (
            (rollout.solution, rollout.warnings)
            if rollout
            else solve_problem(scenario, setup.problem, (prep.sites.x_m, prep.sites.y_m))
        )
        warnings += w
    with st.stage("plan"):
        plan = assemble_plan(scenario, prep.inputs, prep.area, prep.candidates, prep.coverage, setup, solution)
        attach_rollout(plan, rollout)
    with st.stage("sinr"):  # SS-SINR, overlap and per-area radio quality of the plan (planner.radio.interference)
        attach_plan_sinr(plan, prep.demand.area_index, prep.terrain)
    if scenario.demand.require_sinr and rollout is None:  # SINR as a requirement (planner.stages.sinr_repair)
        from planner.stages.sinr_repair import repair_sinr

        def rebuild(sol: Solution) -> Plan:  # the plan and sinr stages again, for a re-solved selection
            again = assemble_plan(scenario, prep.inputs, prep.area, prep.candidates, prep.coverage, setup, sol)
            attach_plan_sinr(again, prep.demand.area_index, prep.terrain)
            return again

        with st.stage("sinr repair"):
            plan, w = repair_sinr(scenario, prep.area, prep.candidates, setup, solution, plan, rebuild, prep.terrain)
            # the kept plan's own solve warnings (a re-solve cut by the safety stop says "time-limited")
            kept = plan.solution.get("stats", {}).get("warnings", [])
            warnings += [m for m in [*kept, *w] if m not in warnings]
    t0 = time.perf_counter()  # coverage.tif's RSRP below the threshold, of the final plan's sites (counted in "plan")
    attach_plan_rsrp(plan, prep.terrain, prep.demand.area_index)
    st.timings["plan"] = round(st.timings.get("plan", 0.0) + time.perf_counter() - t0, 3)
    plan.warnings = warnings
    plan.timings = st.timings
    for message in warnings:
        log.warning(message)
    return plan


def validate_scenario(
    scenario: Scenario | str | Path, *, overrides: list[str] | tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check a scenario and its inputs without computing coverage or solving.

    Returns a summary (counts, CRS, grid size, warnings); raises PlannerError listing
    every problem found.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    inputs = load_inputs(scenario)
    crs, boundary_m, crs_warning = metric_boundary(scenario, inputs)
    errors: list[PlannerError] = []
    try:
        from planner.stages.sinr_repair import check_sinr_requirement

        check_sinr_requirement(scenario)
    except PlannerError as exc:
        errors.append(exc)
    warnings = list(inputs.warnings)
    if crs_warning:  # grid.crs far from this place (planner.geo.crs.check_grid_crs)
        warnings.append(crs_warning)
    grid_text = "?"
    n_areas = 0
    try:
        grid = make_grid(boundary_m, scenario.grid.resolution_m, crs, scenario.grid.max_cells)
        grid_text = f"{grid.nx} × {grid.ny} cells at {grid.res:g} m"
    except PlannerError as exc:
        errors.append(exc)
    try:
        areas, w = prepare_areas(scenario, inputs, boundary_m, crs)
        warnings += w
        n_areas = len(areas)
    except PlannerError as exc:
        errors.append(exc)
    try:
        cands = inputs.candidates.to_crs(crs)
        near = cands.geometry.within(boundary_m.union_all().buffer(CANDIDATE_MARGIN_M)).to_numpy()
        if not near.any():
            raise InputDataError(
                Problem(
                    "no candidate lies inside (or within 1 km of) the boundary",
                    str(scenario.inputs.candidates),
                    fix="check that candidates and boundary describe the same place and CRS",
                )
            )
        if not near.all():
            warnings.append(
                f"{int((~near).sum())} candidates lie more than {CANDIDATE_MARGIN_M:.0f} m outside the boundary "
                "and would be ignored"
                f" ({ids_text(inputs.candidates, ~near)})"
            )
        _, w = exclusion_flags(scenario, inputs, cands.iloc[np.flatnonzero(near)].reset_index(drop=True), crs)
        warnings += w
    except PlannerError as exc:
        errors.append(exc)
    try:  # the link budgets: a radio.calibration file missing or not one, ul_rb beyond the carrier
        from planner.radio.budget import link_budget

        for site_class in ("macro", "micro"):
            link_budget(scenario.radio, site_class)
    except PlannerError as exc:
        errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputDataError([p for e in errors for p in e.problems])
    return {
        "scenario": scenario.scenario.name,
        "crs": crs,
        "grid": grid_text,
        "candidates": len(inputs.candidates),
        "candidates_by_type": inputs.candidates["type"].value_counts().sort_index().to_dict(),
        "priority_areas": n_areas,
        "warnings": warnings,
    }
