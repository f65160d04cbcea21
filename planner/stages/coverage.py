"""The coverage stage: terrain on the grid and the sparse candidate × cell coverage matrix.

``candidates → coverage``: :func:`compute_coverage` rasterises the DEM and buildings (when
given) and runs the numba coverage kernels (:func:`planner.coverage.build_coverage`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from planner.coverage.matrix import CoverageMatrix
from planner.coverage.terrain import Terrain
from planner.scenario import Scenario
from planner.stages.candidates import CandidateSites
from planner.stages.grid import StudyArea
from planner.stages.inputs import InputLayers

log = logging.getLogger(__name__)


def compute_coverage(
    scenario: Scenario, inputs: InputLayers, area: StudyArea, sites: CandidateSites
) -> tuple[CoverageMatrix, Terrain | None, list[str]]:
    """The coverage matrix of every candidate, the terrain it used (None without) and warnings."""
    from planner.coverage import build_coverage, build_terrain
    from planner.coverage.build import cell_penetration
    from planner.geo.sector_columns import site_antenna_overrides

    warnings: list[str] = []
    grid, demand, cand_all = area.grid, area.demand, sites.table
    terrain = None
    if scenario.inputs.dem is not None or inputs.buildings is not None:
        terrain = build_terrain(grid, dem_path=scenario.inputs.dem, buildings=inputs.buildings)
        warnings += list(terrain.warnings)
        if scenario.radio.terrain_clear == "auto":
            from planner.coverage.terrain import AUTO_LOS_BUILT_SHARE, built_share, clear_mode

            share = built_share(terrain)
            if clear_mode("auto", terrain) == "probability":
                warnings.append(
                    f"radio.terrain_clear = auto: building footprints cover {share:.0%} of the grid (under "
                    f"{AUTO_LOS_BUILT_SHARE:.0%}: a bare-earth DEM or a partial building layer), so cells the DSM "
                    "leaves clear use the expected loss under the 38.901 LOS probability; set "
                    'radio.terrain_clear = "los" if the building layer is complete'
                )
            else:
                log.info(
                    "radio.terrain_clear = auto: building footprints cover %.0f%% of the grid; clear cells "
                    "use the LOS formula",
                    100 * share,
                )
    build: Any = build_coverage
    extra: dict[str, Any] = {}
    # penetration loss per priority class (radio.penetration_by_class): outdoor classes without the wall
    pen = cell_penetration(scenario.radio, area.demand.area_index, area.areas["class"].astype(str).tolist())
    if pen is not None:
        extra["cell_penetration_db"] = pen
    if scenario.compute.backend == "dask":  # the same matrix, bit for bit, built as tiles on a Dask cluster
        from planner.coverage.dask_backend import build_coverage_dask

        build = build_coverage_dask
        extra.update(scheduler=scenario.compute.scheduler, workers=scenario.solver.workers)
    cov = build(
        grid,
        sites.x_m,
        sites.y_m,
        cand_all["height_m"].to_numpy(np.float64),
        cand_all["site_class"].to_numpy(str),
        scenario.radio,
        cell_mask=demand.mask,
        terrain=terrain,
        **site_antenna_overrides(cand_all),  # candidate columns azimuth_deg / tilt_deg (planner.geo.sector_columns)
        **extra,
    )
    return cov, terrain, warnings
