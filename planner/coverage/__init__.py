"""Coverage: grid, terrain, the sparse site × cell coverage matrix and the best-server raster.

Layer 2/3 over :mod:`kernels.coverage` and :mod:`kernels.los`.
"""

from __future__ import annotations

from planner.coverage.build import build_coverage
from planner.coverage.grid import Grid
from planner.coverage.matrix import CoverageMatrix
from planner.coverage.raster import write_best_server_geotiff
from planner.coverage.terrain import Terrain, build_terrain

__all__ = ["CoverageMatrix", "Grid", "Terrain", "build_coverage", "build_terrain", "write_best_server_geotiff"]
