"""Deprecated location of :mod:`planner._paths` (moved below :mod:`planner.io` and
:mod:`planner.scenario`, which both use it); these names are re-exported for old imports.
"""

from planner._paths import (
    DATASET_FOLDERS,
    SHAPEFILE_SIDECARS,
    absolute,
    not_a_regular_file,
    require_regular_file,
)

__all__ = ["DATASET_FOLDERS", "SHAPEFILE_SIDECARS", "absolute", "not_a_regular_file", "require_regular_file"]
