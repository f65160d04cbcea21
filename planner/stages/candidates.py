"""The candidates stage: candidates near the boundary, in metric coordinates, with exclusions and 合杆 groups.

``grid → candidates``: :func:`locate_candidates` drops candidates farther than
:data:`CANDIDATE_MARGIN_M` outside the boundary, flags those in 禁建/限建 zones
(:func:`exclusion_flags`) and groups poles within ``candidates.merge_within_m`` (合杆).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

from planner.errors import InputDataError, Problem
from planner.geo.candidates import pole_groups
from planner.geo.sector_columns import road_sector_bearings
from planner.scenario import Scenario
from planner.stages.grid import StudyArea
from planner.stages.inputs import InputLayers, exclusion_rules

#: candidates farther than this outside the boundary (m) cannot matter and are dropped
CANDIDATE_MARGIN_M = 1000.0


@dataclass(frozen=True)
class CandidateSites:
    """The candidates of a run (made by :func:`locate_candidates`).

    Attributes
    ----------
    table : GeoDataFrame
        Candidates within reach of the boundary (EPSG:4490), with ``x_m``, ``y_m`` (metric,
        rounded to mm), ``group`` (合杆 group) and ``forbidden`` (bool) columns.
    x_m, y_m : ndarray of float64
        Metric coordinates (m, unrounded), one per row of ``table``.
    warnings : list of str
        Warnings raised by this stage.
    """

    table: gpd.GeoDataFrame
    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    warnings: list[str]


def locate_candidates(scenario: Scenario, inputs: InputLayers, area: StudyArea) -> CandidateSites:
    """Candidates near the boundary, in the run's metric CRS, with exclusion flags and pole groups."""
    warnings: list[str] = []
    crs, boundary_m = area.crs, area.boundary_m
    cands = inputs.candidates.to_crs(crs)
    outline = boundary_m.union_all()
    near = cands.geometry.within(outline.buffer(CANDIDATE_MARGIN_M)).to_numpy()
    if not near.all():
        warnings.append(
            f"{int((~near).sum())} candidates lie more than {CANDIDATE_MARGIN_M:.0f} m outside the boundary "
            "and were ignored"
            f" ({ids_text(inputs.candidates, ~near)})"
        )
    keep = np.flatnonzero(near)
    cand_all = inputs.candidates.iloc[keep].reset_index(drop=True)
    cands = cands.iloc[keep].reset_index(drop=True)
    if len(cands) == 0:
        raise InputDataError(
            Problem(
                "no candidate lies inside (or within 1 km of) the boundary",
                str(scenario.inputs.candidates),
                fix="check that candidates and boundary describe the same place and CRS",
            )
        )
    x_m = cands.geometry.x.to_numpy(np.float64)
    y_m = cands.geometry.y.to_numpy(np.float64)
    forbidden, w = exclusion_flags(scenario, inputs, cands, crs)
    warnings += w
    groups = pole_groups(x_m, y_m, scenario.candidates.merge_within_m)
    cand_all = cand_all.assign(x_m=np.round(x_m, 3), y_m=np.round(y_m, 3), group=groups, forbidden=forbidden)
    cand_all, w = road_sector_bearings(scenario, cand_all, x_m, y_m, crs)  # along_road classes: azimuth_deg
    warnings += w
    return CandidateSites(cand_all, x_m, y_m, warnings)


def exclusion_flags(
    scenario: Scenario, inputs: InputLayers, cands: gpd.GeoDataFrame, crs: str
) -> tuple[NDArray[np.bool_], list[str]]:
    """Forbidden flags from 禁建 (forbid: no site) and 限建 (restrict: no macro) zones."""
    forbidden = np.zeros(len(cands), dtype=bool)
    warnings: list[str] = []
    if inputs.exclusions is None:
        return forbidden, warnings
    ex = inputs.exclusions.to_crs(crs)
    src = str(scenario.inputs.exclusions)
    rule, problems = exclusion_rules(ex, src)
    if problems:
        raise InputDataError(problems)
    ex = ex.assign(rule=rule)
    for kind, applies in (
        ("forbid", np.ones(len(cands), bool)),
        ("restrict", (cands["site_class"] == "macro").to_numpy()),
    ):
        zone = ex[ex["rule"] == kind]
        if len(zone) == 0:
            continue
        hit = cands.geometry.within(zone.make_valid().union_all()).to_numpy() & applies
        on_air = (cands["status"] == "existing_5g").to_numpy()
        if (hit & on_air).any():
            warnings.append(f"{int((hit & on_air).sum())} sites already on air stand in {kind} zones; they are kept")
        forbidden |= hit & ~on_air
    on_air_all = (cands["status"] == "existing_5g").to_numpy()
    if forbidden.any() and not (~forbidden & ~on_air_all).any():
        raise InputDataError(
            Problem(
                f"no candidate is left after the exclusions: all {int(forbidden.sum())} candidates that are not "
                "already on air "
                "stand in forbid (禁建) or restrict (限建, macro sites) zones",
                src,
                fix="check the exclusion polygons and their `rule` (forbid = no site at all, "
                "restrict = no macro site), "
                "or add candidates outside the zones",
            )
        )
    if forbidden.any():
        warnings.append(f"{int(forbidden.sum())} candidates are excluded by 禁建/限建 zones")
    return forbidden, warnings


def ids_text(gdf: gpd.GeoDataFrame, mask: Any) -> str:
    """'ids A, B, C and 4 more' for a warning that names features."""
    ids = (
        gdf["id"].astype(str).to_numpy()[np.asarray(mask, dtype=bool)]
        if "id" in gdf.columns
        else np.array([], dtype=str)
    )
    if ids.size == 0:
        return "no id"
    return "ids " + ", ".join(ids[:5].tolist()) + (f" and {ids.size - 5} more" if ids.size > 5 else "")
