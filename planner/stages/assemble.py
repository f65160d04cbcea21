"""The plan stage: a solved model assembled into a :class:`~planner.plan.Plan`.

``solution → plan``: :func:`assemble_plan` turns the selected columns into the site table
(站址编号, covered areas, cells, unique cells, build order), the per-area coverage and the
reasons an area is not met, the best-server RSRP raster and the cover counts, and the link
budget actually used per site class. :func:`attach_plan_rsrp` then adds the design RSRP of the
cells the plan does not cover (below the threshold), for ``coverage.tif``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.coverage.matrix import CoverageMatrix
from planner.optimize import Solution
from planner.plan import Plan, SolutionSummary
from planner.scenario import Scenario
from planner.stages.grid import StudyArea
from planner.stages.inputs import InputLayers
from planner.stages.problem import ProblemSetup, reason_text

if TYPE_CHECKING:
    from planner.coverage.terrain import Terrain


def assemble_plan(
    scenario: Scenario,
    inputs: InputLayers,
    area: StudyArea,
    cands: gpd.GeoDataFrame,
    cov: CoverageMatrix,
    setup: ProblemSetup,
    solution: Solution,
) -> Plan:
    """The :class:`~planner.plan.Plan` of a solved run: site table, per-area coverage, rasters, link budget.

    Sites are numbered macro first, then poles, by id (``<site_prefix>-M0001``, ``-P0001``);
    an area is met when its weighted share of cells covered by at least ``k`` selected sites
    reaches its target; ``reason`` says why an area is not met.
    """
    grid, boundary_m, areas, demand = area.grid, area.boundary_m, area.areas, area.demand
    problem, targets_used, reach, shares = setup.problem, setup.targets, setup.reach, setup.shares
    from planner.radio import link_budget

    selected_idx = np.asarray(solution.selected, dtype=np.int64)
    selected = np.zeros(len(cands), dtype=bool)
    selected[selected_idx] = True
    # coverage counts of the plan per cell
    sub = cov.to_scipy()[selected_idx]
    count = np.zeros(grid.n_cells, dtype=np.int64)
    if sub.nnz:
        count += np.bincount(sub.indices, minlength=grid.n_cells)
    count_2d = count.reshape(grid.ny, grid.nx)
    covered = (count_2d >= 1) & demand.mask
    best = cov.best_server_of(selected_idx).astype(np.float32)
    best = np.where(demand.mask, best, np.float32(np.nan)).astype(np.float32)

    # per-area coverage (weighted; a cell counts when covered by >= k sites)
    row_area = problem.row_area
    cell_count = count[demand.cells]
    ok = cell_count >= problem.row_k
    w_area = np.bincount(row_area, weights=problem.row_weight, minlength=len(areas))
    w_ok = np.bincount(row_area, weights=problem.row_weight * ok, minlength=len(areas))
    coverage = np.divide(w_ok, w_area, out=np.zeros_like(w_area), where=w_area > 0)
    areas_out = areas.copy()
    areas_out["area_km2"] = np.round(areas.geometry.intersection(boundary_m.union_all()).area.to_numpy() / 1e6, 4)
    areas_out["n_cells"] = demand.n_cells_per_area
    areas_out["coverage"] = np.round(coverage, 6)
    areas_out["best_possible"] = np.round(reach, 6)
    areas_out["met"] = coverage + 1e-9 >= areas["target"].to_numpy(float)
    reasons = []
    for i in range(len(areas)):
        if demand.n_cells_per_area[i] == 0:
            reasons.append("no grid cell inside the boundary")
        elif reach[i] + 1e-9 < areas["target"].iloc[i]:
            why = reason_text({r: float(v[i]) for r, v in shares.items()}) if shares else ""
            k_i = int(areas["k"].iloc[i])
            reasons.append(
                f"only {reach[i]:.1%} of the area is within reach of "
                f"{'≥' + str(k_i) + ' ' if k_i > 1 else ''}candidates" + (f" ({why})" if why else "")
            )
        elif not areas_out["met"].iloc[i]:
            reasons.append(f"solver stopped at {solution.status} before meeting the target")
        else:
            reasons.append("")
    areas_out["reason"] = reasons
    for r, v in (shares or {}).items():
        areas_out[f"unreachable_{r}"] = np.round(v, 6)
    areas_geo = areas_out.to_crs("EPSG:4490")

    # site table
    cands_out = cands.copy()
    cands_out["selected"] = selected
    sites = cands_out.iloc[selected_idx].copy()
    order = np.lexsort((sites["id"].to_numpy(str), (sites["site_class"] != "macro").to_numpy()))
    sites = sites.iloc[order]
    prefix = scenario.report.site_prefix
    is_macro = (sites["site_class"] == "macro").to_numpy(bool)
    m_no, p_no = np.cumsum(is_macro), np.cumsum(~is_macro)
    sites["site_code"] = [
        f"{prefix}-M{m:04d}" if mac else f"{prefix}-P{q:04d}"
        for mac, m, q in zip(is_macro.tolist(), m_no.tolist(), p_no.tolist(), strict=True)
    ]
    covers, n_cov, n_unique = site_cells(
        cov.to_scipy(),
        sites.index.to_numpy(np.int64),
        count,
        demand.area_index.ravel(),
        areas["name"].astype(str).to_numpy(),
        areas["rank"].to_numpy(),
    )
    sites["areas"] = covers
    sites["cells_covered"] = n_cov
    sites["unique_cells"] = n_unique
    # build order (建设时序): on-air first, then greedily by the weighted coverage each site adds
    from planner.rollout import rollout_order

    site_rows = problem.a[:, sites.index.to_numpy()].T.tocsr()
    on_air = (sites["build_mode"] == "保留").to_numpy(bool) if "build_mode" in sites else np.zeros(len(sites), bool)
    rank, served = rollout_order(site_rows, problem.row_weight, problem.row_k, on_air, sites["cost"].to_numpy(float))
    sites["rollout_rank"] = rank
    sites["rollout_served"] = np.round(served, 6)
    sites = sites.reset_index(drop=True)

    radio: dict[str, Any] = {}
    for cls_name in ("macro", "micro"):
        link = link_budget(scenario.radio, cls_name)
        d = link.as_dict()
        typical = cands.loc[cands["site_class"] == cls_name, "height_m"]
        h = float(typical.median()) if len(typical) else (30.0 if cls_name == "macro" else 10.0)
        d["typical_height_m"] = h
        d["radius_m_at_typical_height"] = round(float(link.max_radius_m(h)), 1)
        # the edge reliability the plan delivers under the LOS/NLOS mixture (< edge_probability under "probability")
        delivered = link.delivered_edge_probability(h)
        d["edge_probability_delivered"] = None if delivered != delivered else round(delivered, 3)
        radio[cls_name] = d
    radio["band"] = scenario.radio.band
    radio["threshold_dbm"] = scenario.radio.threshold_dbm
    radio["terrain"] = bool(scenario.inputs.dem is not None or inputs.buildings is not None)
    radio["coverage_meta"] = dict(cov.meta)

    sol = SolutionSummary(solution.to_dict())
    sol["objective_kind"] = scenario.objective.kind
    sol["targets_used"] = [round(float(t), 6) for t in targets_used]
    boundary_geo = boundary_m.to_crs("EPSG:4490")
    return Plan(
        scenario=scenario,
        grid=grid,
        boundary=boundary_geo,
        candidates=cands_out,
        sites=sites,
        areas=areas_geo,
        best_rsrp=best,
        covered=covered,
        demand_mask=demand.mask,
        solution=sol,
        radio=radio,
        input_hashes=inputs.hashes,
        extras={"cover_count": count_2d},
    )


def site_cells(
    csr: sp.csr_matrix,
    cols: NDArray[np.int64],
    count: NDArray[np.int64],
    area_of_cell: NDArray[np.integer[Any]],
    names: NDArray[Any],
    rank: NDArray[Any],
) -> tuple[list[str], NDArray[np.int64], NDArray[np.int64]]:
    """Per selected site: the priority areas it reaches ("、"-joined, highest rank first, then area
    order), its covered cells and the cells only it covers (``count == 1``).

    One pass over the sites' CSR rows (no Python loop over cells): a city's thousands of sites
    take milliseconds.
    """
    rows = csr[cols]
    lengths = np.diff(rows.indptr).astype(np.int64)
    owner = np.repeat(np.arange(len(cols), dtype=np.int64), lengths)
    cells = rows.indices.astype(np.int64, copy=False)
    n_unique = np.bincount(owner, weights=count[cells] == 1, minlength=len(cols)).astype(np.int64)
    area = area_of_cell[cells].astype(np.int64)
    inside = area >= 0
    n_areas = max(len(names), 1)
    pairs = np.unique(owner[inside] * n_areas + area[inside])
    site_of, area_of = pairs // n_areas, pairs % n_areas
    order = np.lexsort((area_of, -rank[area_of], site_of))
    site_of, area_of = site_of[order], area_of[order]
    bounds = np.searchsorted(site_of, np.arange(len(cols) + 1))
    labels = names[area_of].tolist()
    covers = ["、".join(labels[bounds[i] : bounds[i + 1]]) for i in range(len(cols))]
    return covers, lengths, n_unique


def attach_plan_rsrp(
    plan: Plan, terrain: Terrain | None = None, area_index: NDArray[np.integer[Any]] | None = None
) -> None:
    """Best-server design RSRP of the plan's sites in every cell inside the boundary (``coverage.tif``).

    ``plan.best_rsrp`` holds the RSRP only where a selected site covers the cell (≥ the
    threshold, from the solve's matrix). The other cells inside the boundary get the design
    RSRP (same link budget, edge probability, penetration, terrain and antennas as the solve)
    of their best server among the plan's sites (selected and on air), each cell losing the
    penetration of its priority area's class (``radio.penetration_by_class``, as the solve's
    matrix: a park or highway cell is an outdoor user), computed down to the
    interference floor of :mod:`planner.radio.interference` (``N − 10 dB``: thermal noise per
    resource element plus the noise figure, :func:`~planner.radio.interference.noise_per_re_dbm`,
    minus :data:`~planner.radio.interference.FLOOR_BELOW_NOISE_DB`). The SINR module's own
    matrix is not reused: it holds *median* powers (edge probability 0.5), which would put cells
    the plan does not cover above the threshold. With ``radio.uplink`` each class's power is
    lowered by its uplink limit, as in the solve. Cells no site reaches above the floor hold the
    floor; a value the rebuild finds at or above the threshold in a cell the solve left uncovered
    is held just below the threshold, so ``value ≥ threshold`` ⇔ covered in the raster.

    Sets ``plan.extras["rsrp_dbm"]`` (float32 (ny, nx), NaN only outside the boundary) and
    ``plan.extras["rsrp_floor_dbm"]`` (the floor, dBm). Sites are built in runs of about
    :data:`~planner.radio.interference.CHUNK_PAIRS` site–cell pairs, so memory stays bounded
    at city scale.

    Parameters
    ----------
    plan : Plan
        The assembled plan (its ``sites`` need ``x_m, y_m, height_m, site_class``).
    terrain : Terrain, optional
        The terrain the coverage stage used (None without DEM and buildings).
    area_index : ndarray of int, shape (ny, nx), optional
        Each cell's row of ``plan.areas`` (−1: none), the grid stage's
        :attr:`~planner.geo.demand.DemandCells.area_index`; None: the plan's areas rasterised
        again (:func:`~planner.geo.demand.rasterize_demand`).
    """
    from planner.coverage.build import build_coverage
    from planner.geo.sector_columns import site_antenna_overrides
    from planner.radio import link_budget
    from planner.radio.budget import resolve_band
    from planner.radio.interference import CHUNK_PAIRS, FLOOR_BELOW_NOISE_DB, noise_per_re_dbm

    radio, grid, sites = plan.scenario.radio, plan.grid, plan.sites
    thr = float(plan.threshold_dbm)
    below_thr = float(np.nextafter(np.float32(thr), np.float32(-np.inf)))
    band = resolve_band(radio)
    floor = min(noise_per_re_dbm(band.scs_khz, radio.noise_figure_db) - FLOOR_BELOW_NOISE_DB, below_thr)
    demand = np.asarray(plan.demand_mask, dtype=bool)
    known = np.asarray(plan.best_rsrp, dtype=np.float32)
    todo = demand & ~np.isfinite(known)
    best = np.full(grid.n_cells, -np.inf, dtype=np.float64)
    if todo.any() and len(sites):
        deep = radio.model_copy(update={"threshold_dbm": floor, "uplink": False})
        pen = _cell_penetration_of(plan, area_index)
        # chunks sized by the farthest reach (the lowest loss of a cell to fill)
        reach = deep if pen is None else deep.model_copy(update={"penetration_loss_db": float(pen[todo].min())})
        x = sites["x_m"].to_numpy(np.float64)
        y = sites["y_m"].to_numpy(np.float64)
        h = sites["height_m"].to_numpy(np.float64)
        cls = sites["site_class"].to_numpy(str)
        overrides = site_antenna_overrides(sites)
        for name in ("macro", "micro"):
            idx = np.flatnonzero(cls == name)
            if idx.size == 0:
                continue
            radius = link_budget(reach, name).max_radius_m(float(h[idx].max()))
            pairs = max(1.0, math.pi * radius**2 / grid.res**2)
            step = max(1, int(CHUNK_PAIRS // pairs))
            uplink_limit = link_budget(radio, name).uplink_limit_db
            for start in range(0, idx.size, step):
                part = idx[start : start + step]
                kw: dict[str, Any] = {k: [v[i] for i in part.tolist()] if isinstance(v, list) else np.asarray(v)[part]
                                      for k, v in overrides.items()}
                cov = build_coverage(grid, x[part], y[part], h[part], cls[part], deep, cell_mask=todo,
                                     terrain=terrain, cell_penetration_db=pen, **kw)
                got = cov.best_server_of(np.arange(part.size)).ravel().astype(np.float64) - uplink_limit
                np.fmax(best, got, out=best)
    deep_2d = np.minimum(best, below_thr).reshape(grid.ny, grid.nx)
    deep_2d = np.where(np.isfinite(deep_2d), deep_2d, floor)
    full = np.where(np.isfinite(known) & demand, known, np.where(todo, deep_2d, np.nan)).astype(np.float32)
    plan.extras["rsrp_dbm"] = full
    plan.extras["rsrp_floor_dbm"] = float(floor)


def _cell_penetration_of(plan: Plan, area_index: NDArray[np.integer[Any]] | None) -> NDArray[np.float64] | None:
    """Per cell, the penetration loss (dB) of its area's class, as the coverage stage built it (None: one loss)."""
    from planner.coverage.penetration import cell_penetration

    areas = plan.areas
    if "class" not in areas.columns or not len(areas):
        return None
    if area_index is None:
        from planner.geo.demand import rasterize_demand

        crs = plan.grid.crs
        area_index = rasterize_demand(plan.grid, plan.boundary.to_crs(crs).geometry, areas.to_crs(crs)).area_index
    return cell_penetration(plan.scenario.radio, np.asarray(area_index), areas["class"].astype(str).tolist())
