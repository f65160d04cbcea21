"""The problem stage: the coverage matrix as a :class:`~planner.optimize.CoverageProblem`.

``coverage → problem``: :func:`build_problem` is the adapter from geometry to the model
(rows = demand cells with weight = area × class weight and ``k``, columns = candidates with
cost, type, 合杆 group, fixed and forbidden flags, separation conflicts, caps). It checks
every area's target against what all candidates together can reach first: an unmeetable
target is capped (``objective.on_infeasible = "cap"``) or raised, naming every such area.
The model itself (:mod:`planner.optimize`) is numpy/scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.coverage.matrix import CoverageMatrix
from planner.coverage.terrain import Terrain
from planner.errors import InfeasibleTargetError, Problem
from planner.geo.demand import DemandCells
from planner.optimize import CoverageProblem
from planner.scenario import Scenario


@dataclass(frozen=True)
class ProblemSetup:
    """The model of a run and what was checked while building it (made by :func:`build_problem`).

    Attributes
    ----------
    problem : CoverageProblem
        Rows = demand cells, columns = candidates.
    targets : ndarray of float64
        Target per area actually used (0–1; capped to the reachable share when
        ``objective.on_infeasible = "cap"``).
    reach : ndarray of float64
        Weighted share of each area that all allowed candidates together reach (0–1).
    shares : dict
        Unreachable share of each area's weight per reason (``out_of_range``, ``blocked``,
        ``forbidden``; see :mod:`planner.coverage.reach`).
    warnings : list of str
        Warnings raised by this stage.
    """

    problem: CoverageProblem
    targets: NDArray[np.float64]
    reach: NDArray[np.float64]
    shares: dict[str, NDArray[np.float64]]
    warnings: list[str]


def build_problem(
    scenario: Scenario,
    cands: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    demand: DemandCells,
    cov: CoverageMatrix,
    terrain: Terrain | None = None,
) -> ProblemSetup:
    """The CoverageProblem (rows = demand cells, columns = candidates) and target checks.

    Returns the problem with the targets used (capped to what is reachable), the reachable
    share per area, the unreachable share per area and reason (see :mod:`planner.coverage.reach`)
    and warnings. Raises InfeasibleTargetError, naming every unmeetable area, when
    ``objective.on_infeasible = "error"``.
    """
    from planner.coverage.reach import los_radius_m, reason_shares, unreachable_reasons
    from planner.optimize import conflicts_from_points

    warnings: list[str] = []
    n_rows = demand.cells.size
    row_of_cell = np.full(cov.grid.n_cells, -1, dtype=np.int64)
    row_of_cell[demand.cells] = np.arange(n_rows)
    rows = row_of_cell[np.asarray(cov.indices, dtype=np.int64)]
    if (rows < 0).any():  # the kernel only returns masked cells: a bug, not the user's input (exit 1)
        raise RuntimeError("internal error: coverage returned a cell outside the demand mask")
    at = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.int8), rows, np.asarray(cov.indptr, dtype=np.int64)), shape=(len(cands), n_rows)
    )
    a = at.T.tocsr()
    cell_area_km2 = (cov.grid.res**2) / 1e6
    row_area = demand.area_index.ravel()[demand.cells].astype(np.int64)
    row_weight = areas["weight"].to_numpy(float)[row_area] * cell_area_km2
    row_k = areas["k"].to_numpy(int)[row_area]
    forbidden = cands["forbidden"].to_numpy(bool)
    fixed = (cands["status"] == "existing_5g").to_numpy()
    # best achievable coverage per area with every allowed candidate
    reach_count = np.asarray(a[:, np.flatnonzero(~forbidden)].sum(axis=1)).ravel()
    reachable = reach_count >= row_k
    w_area = np.bincount(row_area, weights=row_weight, minlength=len(areas))
    w_reach = np.bincount(row_area, weights=row_weight * reachable, minlength=len(areas))
    reach = np.divide(w_reach, w_area, out=np.zeros_like(w_area), where=w_area > 0)
    row_xy = cov.grid.cell_centres(demand.cells) if terrain is not None else None
    cand_xy = (cands["x_m"].to_numpy(float), cands["y_m"].to_numpy(float))
    radius = (
        los_radius_m(scenario.radio, cands["site_class"].to_numpy(str), cands["height_m"].to_numpy(float), terrain)
        if terrain is not None
        else None
    )
    reason = unreachable_reasons(a, row_k, forbidden, row_xy=row_xy, cand_xy=cand_xy, cand_radius_m=radius)
    shares = reason_shares(reason, row_area, row_weight, len(areas))
    targets = areas["target"].to_numpy(float).copy()
    unmeetable: list[dict[str, Any]] = []
    for i in range(len(areas)):
        name = str(areas["name"].iloc[i])
        if demand.n_cells_per_area[i] == 0:
            warnings.append(f"priority area {name!r} has no grid cell inside the boundary; it is not planned")
            targets[i] = 0.0
        elif w_area[i] == 0:
            targets[i] = 0.0  # weight 0: no demand to plan for
        elif targets[i] > reach[i] + 1e-9:
            k_i = int(areas["k"].iloc[i])
            why = reason_text({r: float(v[i]) for r, v in shares.items()})
            msg = (
                f"area {name!r}: target {targets[i]:.1%} cannot be met; at most {reach[i]:.1%} is reachable "
                f"by {'≥' + str(k_i) + ' ' if k_i > 1 else ''}candidates ({why})"
            )
            unmeetable.append(
                {
                    "id": str(areas["id"].iloc[i]),
                    "name": name,
                    "class": str(areas["class"].iloc[i]),
                    "target": round(float(targets[i]), 6),
                    "reachable": round(float(reach[i]), 6),
                    "k": k_i,
                    "unreachable_share": {r: round(float(v[i]), 6) for r, v in shares.items()},
                    "message": msg,
                }
            )
            if scenario.objective.on_infeasible == "cap":
                warnings.append(msg + "; the plan aims at the reachable share instead")
                targets[i] = np.floor(reach[i] * 1e4) / 1e4
    if unmeetable and scenario.objective.on_infeasible == "error":
        raise InfeasibleTargetError(
            [
                Problem(
                    u["message"],
                    "scenario",
                    "[demand.classes]",
                    'lower the target, add candidates near the area, or set objective.on_infeasible = "cap"',
                )
                for u in unmeetable
            ],
            diagnostics={"unmeetable_areas": unmeetable},
        )
    conflicts = np.zeros((0, 2), dtype=np.int64)
    if scenario.candidates.min_separation_m:
        conflicts = conflicts_from_points(
            cands["x_m"].to_numpy(float),
            cands["y_m"].to_numpy(float),
            cands["site_class"].to_numpy(str),
            dict(scenario.candidates.min_separation_m),
        )
    obj = scenario.objective
    problem = CoverageProblem(
        a=a,
        cost=cands["cost"].to_numpy(float),
        row_weight=row_weight,
        row_area=row_area,
        row_k=row_k,
        area_target=targets,
        area_names=areas["name"].astype(str).tolist(),
        col_ids=cands["id"].astype(str).tolist(),
        col_type=cands["type"].to_numpy(str),
        col_group=cands["group"].to_numpy(np.int64),
        fixed=fixed,
        forbidden=forbidden,
        conflicts=conflicts,
        type_caps=dict(scenario.candidates.max_per_type),
        budget=obj.budget or None,
        max_sites=obj.max_sites or None,
    )
    return ProblemSetup(problem, targets, reach, shares, warnings)


def reason_text(shares: dict[str, float]) -> str:
    """'out of range 12.0 %, line of sight blocked 3.1 %' for the nonzero unreachable shares."""
    labels = {
        "out_of_range": "out of range",
        "blocked": "line of sight blocked",
        "forbidden": "only from 禁建/限建 zones",
    }
    parts = [f"{labels[k]} {v:.1%}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1]) if v > 0]
    return "unreachable: " + ", ".join(parts) if parts else "no unreachable cell"
