"""The grid stage: the metric CRS, the planning grid and the demand cells.

``inputs → grid``: :func:`grid_and_demand` picks the metric CRS, lays the square grid over
the boundary (refusing, before allocating, a grid over ``grid.max_cells``), normalises the
priority areas and rasterises the demand; cells in no area form the implicit area "rest of
the boundary". The result is a :class:`StudyArea`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._validate import feature_label
from planner.coverage.grid import Grid
from planner.errors import InputDataError, Problem, ResourceLimitError
from planner.geo.areas import normalise_areas
from planner.geo.crs import check_grid_crs, choose_metric_crs
from planner.geo.demand import DemandCells, rasterize_demand
from planner.scenario import Scenario
from planner.stages.inputs import InputLayers

#: bytes per grid cell held during a run (masks, area index, best-server raster, DSM)
BYTES_PER_CELL = 24


@dataclass(frozen=True)
class StudyArea:
    """The planning area on its metric grid (made by :func:`grid_and_demand`).

    Attributes
    ----------
    crs : str
        The metric CRS of the run.
    boundary_m : GeoDataFrame
        The planning boundary in ``crs`` (repaired with ``make_valid``).
    grid : Grid
        The planning grid.
    areas : GeoDataFrame
        Priority areas in ``crs`` (the implicit rest-of-boundary area last, when there is one).
    demand : DemandCells
        Demand mask, cell → area index and demand cell indices.
    warnings : list of str
        Warnings raised by this stage.
    """

    crs: str
    boundary_m: gpd.GeoDataFrame
    grid: Grid
    areas: gpd.GeoDataFrame
    demand: DemandCells
    warnings: list[str]


def metric_boundary(scenario: Scenario, inputs: InputLayers) -> tuple[str, gpd.GeoDataFrame, str | None]:
    """The run's metric CRS (``grid.crs``, or chosen at the boundary's centre), the boundary in it, and a warning.

    A ``grid.crs`` that distorts distances there by more than 2 % is refused; over 0.2 % the warning
    says so (:func:`planner.geo.crs.check_grid_crs`), else it is None.
    """
    centre = inputs.boundary.to_crs("EPSG:4326").union_all().centroid
    crs = choose_metric_crs(scenario.grid.crs, centre.x, centre.y)
    warning = check_grid_crs(scenario.grid.crs, crs, centre.x, centre.y)
    boundary_m = inputs.boundary.to_crs(crs)
    boundary_m.attrs["source"] = str(scenario.inputs.boundary)
    boundary_m["geometry"] = boundary_m.geometry.make_valid()
    return crs, boundary_m, warning


def grid_and_demand(scenario: Scenario, inputs: InputLayers) -> StudyArea:
    """Metric CRS, grid, priority areas and demand cells of a run."""
    crs, boundary_m, crs_warning = metric_boundary(scenario, inputs)
    grid = make_grid(boundary_m, scenario.grid.resolution_m, crs, scenario.grid.max_cells)
    areas, warnings = prepare_areas(scenario, inputs, boundary_m, crs)
    if crs_warning:
        warnings = [crs_warning, *warnings]
    demand = rasterize_demand(grid, boundary_m.geometry, areas)
    if demand.cells.size == 0:
        raise InputDataError(
            Problem(
                "the boundary contains no grid cell centre",
                str(scenario.inputs.boundary),
                fix="check the boundary polygon, or use a finer grid.resolution_m",
            )
        )
    areas, demand = add_remainder_area(scenario, areas, demand, grid, boundary_m)
    return StudyArea(crs, boundary_m, grid, areas, demand, warnings)


def make_grid(boundary_m: gpd.GeoDataFrame, res: float, crs: str, max_cells: int) -> Grid:
    """Grid covering the boundary; refuses, before allocating, a grid over ``max_cells``."""
    xmin, ymin, xmax, ymax = boundary_m.total_bounds
    nx = int(np.ceil((xmax - xmin) / res)) + 1
    ny = int(np.ceil((ymax - ymin) / res)) + 1
    n = nx * ny
    if n > max_cells:
        area_km2 = (xmax - xmin) * (ymax - ymin) / 1e6
        fit = float(np.ceil(np.sqrt((xmax - xmin) * (ymax - ymin) / max_cells)))
        stray = _stray_parts(boundary_m)
        if stray:
            raise InputDataError(
                Problem(
                    f"the boundary's polygons lie far apart ({stray}): their extent, {area_km2:,.0f} km², would need "
                    f"{n:,} cells at {res:g} m",
                    str(boundary_m.attrs.get("source", "boundary")),
                    fix="remove the stray feature from the boundary file (a broken export often puts one at 0°, 0°), "
                    "or plan each part as its own scenario; a coarser grid would only hide it",
                )
            )
        raise ResourceLimitError(
            Problem(
                f"a {area_km2:,.0f} km² area at {res:g} m needs {n:,} cells "
                f"(about {n * BYTES_PER_CELL / 2**30:.1f} GiB "
                f"before coverage), over the limit of {max_cells:,} cells",
                "scenario",
                "[grid.resolution_m]",
                f"use resolution_m = {fit:g} or coarser, or raise grid.max_cells if this machine has the memory",
            )
        )
    return Grid.from_bounds(xmin, ymin, xmax, ymax, res, crs)


#: a boundary part this far (m) from the largest one, and further than 10 × that part's size, is "stray"
STRAY_MIN_M = 20_000.0


def _stray_parts(boundary_m: gpd.GeoDataFrame) -> str:
    """Name the boundary features that lie far from its largest polygon ("" when none does).

    A boundary whose grid is too big because of one stray feature (a polygon at 0°, 0° from a broken export,
    a leftover of another city) needs that feature removed, not a coarser grid.
    """
    parts = boundary_m.geometry.explode(index_parts=False)
    parts = parts[~parts.is_empty & (parts.area > 0)]
    if len(parts) < 2:
        return ""
    areas = parts.area.to_numpy()
    main = parts.iloc[int(np.argmax(areas))]
    reach = max(STRAY_MIN_M, 10.0 * float(np.sqrt(areas.max())))
    distance = parts.distance(main).to_numpy()
    positions = {label: pos for pos, label in enumerate(boundary_m.index)}
    far: dict[int, float] = {}
    for label, d in zip(parts.index, distance, strict=True):
        if d > reach:
            pos = positions[label]
            far[pos] = max(far.get(pos, 0.0), float(d))
    listed = [
        f"{feature_label(boundary_m, pos)} lies about {d / 1000:,.0f} km from the largest polygon"
        for pos, d in far.items()
    ]
    return "; ".join(listed[:5]) + (f"; and {len(listed) - 5} more" if len(listed) > 5 else "")


def prepare_areas(
    scenario: Scenario, inputs: InputLayers, boundary_m: gpd.GeoDataFrame, crs: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The priority areas in ``crs`` (an empty table without them) and warnings.

    Areas outside the boundary are refused; areas that extend beyond it are warned about.
    """
    from planner.geo.areas import AREA_COLUMNS

    warnings: list[str] = []
    if inputs.areas_raw is not None:
        assert scenario.inputs.priority_areas is not None
        areas, w = normalise_areas(inputs.areas_raw, scenario.inputs.priority_areas, scenario, crs)
        warnings += w
        outline = boundary_m.union_all()
        inside = areas.geometry.intersects(outline)
        if not inside.all():
            names = ", ".join(areas.loc[~inside, "name"].astype(str).tolist()[:10])
            raise InputDataError(
                Problem(
                    f"priority areas outside the boundary: {names}",
                    str(scenario.inputs.priority_areas),
                    fix="move them inside the planning boundary or enlarge the boundary",
                )
            )
        partial = ~areas.geometry.within(outline.buffer(1.0))
        for name in areas.loc[partial, "name"].astype(str):
            warnings.append(f"priority area {name!r} extends beyond the boundary; only the part inside is planned")
    else:
        areas = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in AREA_COLUMNS}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
        )
    return areas, warnings


def add_remainder_area(
    scenario: Scenario, areas: gpd.GeoDataFrame, demand: DemandCells, grid: Grid, boundary_m: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, DemandCells]:
    """Cells inside the boundary but in no area become the implicit area 'rest of boundary'."""
    rest = demand.mask & (demand.area_index < 0)
    if not rest.any():
        return areas, demand
    cls = scenario.demand.classes["other"]
    row = {
        "id": "REST",
        "name": "规划范围其余区域" if scenario.report.language == "zh" else "rest of the boundary",
        "class": "other",
        "target": cls.target,
        "weight": cls.weight,
        "k": cls.k,
        "rank": -1,
    }
    extra = gpd.GeoDataFrame([row], geometry=[boundary_m.union_all()], crs=areas.crs or grid.crs)
    areas = pd.concat([areas, extra], ignore_index=True) if len(areas) else extra
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=grid.crs)
    area_index = demand.area_index.copy()
    area_index[rest] = len(areas) - 1
    counts = np.bincount(area_index[demand.mask].ravel(), minlength=len(areas)).astype(np.int64)
    return areas, DemandCells(demand.mask, area_index, demand.cells, counts)
