"""The :class:`Plan`: everything one run produced, in plain tables.

The report, the exporters and the notebooks read a Plan; they never re-run a stage.
Geometries are in CGCS2000 geographic coordinates (EPSG:4490); metric coordinates are in
the columns ``x_m``/``y_m`` (CRS in :attr:`Plan.metric_crs`).
"""

from __future__ import annotations

import sys
import warnings as _warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.scenario import Scenario

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

    from planner.coverage.grid import Grid


class SolutionSummary(dict[str, Any]):
    """The solver summary of a plan: a JSON-ready dict with typed accessors.

    Keys (as in ``manifest.json`` ``"solver"``): ``status, objective, bound, gap, selected,
    n_selected, runtime_s, backend, stats, objective_kind, targets_used`` and what later stages
    add (e.g. ``phases``). Read it as a dict (``plan.solution["gap"]``, as before) or through
    the properties below, which type the common keys (missing or non-finite values are None).
    """

    @property
    def status(self) -> str:
        """``"optimal"``, ``"feasible"``, ``"infeasible"`` or ``"unknown"``."""
        return str(self.get("status", "unknown"))

    @property
    def objective(self) -> float | None:
        """Total cost (万元, ``min_cost``) or covered weight (``max_coverage``)."""
        return _number(self.get("objective"))

    @property
    def bound(self) -> float | None:
        """Proven bound on the objective."""
        return _number(self.get("bound"))

    @property
    def gap(self) -> float | None:
        """Relative optimality gap (0–1)."""
        return _number(self.get("gap"))

    @property
    def runtime_s(self) -> float | None:
        """Wall time of the solve (s)."""
        return _number(self.get("runtime_s"))

    @property
    def backend(self) -> str:
        """Back-end that produced the plan."""
        return str(self.get("backend", ""))

    @property
    def objective_kind(self) -> str:
        """``"min_cost"`` or ``"max_coverage"``."""
        return str(self.get("objective_kind", ""))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and value == value else None


@dataclass
class Plan:
    """Result of :func:`planner.run_scenario`.

    Attributes
    ----------
    scenario : Scenario
        The resolved scenario.
    grid : Grid
        The metric grid the coverage was computed on.
    boundary : GeoDataFrame
        The planning boundary (EPSG:4490).
    candidates : GeoDataFrame
        Every candidate after validation (EPSG:4490). Columns: ``id, name, type, site_class,
        height_m, cost, owner, build_mode, status, group, x_m, y_m, selected`` (bool).
    sites : GeoDataFrame
        The selected sites (EPSG:4490), ``candidates`` columns plus ``site_code`` (站址编号),
        ``areas`` (names of the priority areas it covers, "、"-joined), ``cells_covered``
        and ``unique_cells`` (cells only it covers), ``rollout_rank`` (build order: 0 = on air,
        then 1, 2, ... by the coverage each site adds; :mod:`planner.rollout`) and
        ``rollout_served`` (weighted share of all demand served once it is built, 0–1).
    areas : GeoDataFrame
        Priority areas (EPSG:4490). Columns: ``id, name, class, target, weight, k,
        area_km2, n_cells, coverage`` (fraction of weight covered, 0–1), ``met`` (bool),
        ``best_possible`` (fraction reachable by all candidates together), ``reason``, and
        ``unreachable_out_of_range``, ``unreachable_blocked`` (line of sight blocked by the DSM),
        ``unreachable_forbidden`` (reachable only from 禁建/限建 zones): shares 0–1 of the weight.
    best_rsrp : ndarray
        Best-server RSRP (dBm) on the grid, shape (ny, nx), float32, NaN where no site
        reaches the cell or the cell is outside the boundary.
    covered : ndarray
        Bool (ny, nx): cell inside the boundary and covered by the plan.
    demand_mask : ndarray
        Bool (ny, nx): cell inside the boundary.
    solution : SolutionSummary
        Solver summary (a dict with typed accessors): ``status, objective, bound, gap,
        runtime_s, backend, objective_kind`` and reduction statistics.
    radio : dict
        The link budget actually used per site class (model, fc, EIRP/RE, margins, radius).
    warnings : list of str
        Warnings raised while loading and solving (also in the manifest and report).
    input_hashes : dict
        SHA-256 of every input file, keyed by the scenario input name.
    timings : dict
        Wall-clock seconds per stage.
    extras : dict
        Anything else a stage wants to hand to the report (e.g. a Pareto sweep).
    """

    scenario: Scenario
    grid: Grid
    boundary: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    best_rsrp: NDArray[np.float32]
    covered: NDArray[np.bool_]
    demand_mask: NDArray[np.bool_]
    solution: SolutionSummary
    radio: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    input_hashes: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.solution, SolutionSummary):  # a plain dict (older callers)
            self.solution = SolutionSummary(self.solution)

    @property
    def threshold_dbm(self) -> float:
        """The coverage threshold (dBm) the plan was computed with (from :attr:`radio`)."""
        return float(self.radio.get("threshold_dbm", self.scenario.radio.threshold_dbm))

    @property
    def metric_crs(self) -> str:
        """The metric CRS of the grid (``x_m``/``y_m`` columns)."""
        return self.grid.crs

    def summary(self) -> pd.DataFrame:
        """Key figures of the plan as a one-column DataFrame (for notebooks and logs)."""
        import pandas as pd

        sites = self.sites
        area_km2 = float(self.demand_mask.sum()) * self.grid.res**2 / 1e6
        reuse = sites["build_mode"].isin(["共享", "利旧"]).sum()
        rows: dict[str, Any] = {
            "scenario": self.scenario.scenario.name,
            "candidates": len(self.candidates),
            "selected sites": len(sites),
            "macro sites": int((sites["site_class"] == "macro").sum()),
            "pole (micro) sites": int((sites["site_class"] == "micro").sum()),
            "reuse share (共享+利旧)": round(float(reuse) / max(len(sites), 1), 4),
            "total cost (万元)": round(float(sites["cost"].sum()), 2),
            "planning area (km²)": round(area_km2, 3),
            "sites per km²": round(len(sites) / area_km2, 3) if area_km2 else float("nan"),
            "area targets met": f"{int(self.areas['met'].sum())}/{len(self.areas)}",
            "solver status": self.solution.get("status"),
            "objective": self.solution.get("objective"),
            "bound": self.solution.get("bound"),
            "gap": self.solution.get("gap"),
        }
        for mode, n in sites["build_mode"].value_counts().sort_index().items():
            rows[f"sites {mode}"] = int(n)
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    # Plan holds data only: the writers and the report sit above it (planner.stages.outputs,
    # planner.report), so these two deprecated conveniences look the package-level functions up
    # at call time in the `planner` package (always imported before this module) instead of
    # importing upwards.
    def explore(self) -> folium.Map:
        """Deprecated: use :func:`planner.explore` (the report's interactive map)."""
        _warnings.warn("Plan.explore() is deprecated; use planner.explore(plan)", DeprecationWarning, stacklevel=2)
        result: folium.Map = sys.modules["planner"].explore(self)
        return result

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Deprecated: use :func:`planner.write_plan` (every output, written atomically)."""
        _warnings.warn(
            "Plan.write() is deprecated; use planner.write_plan(plan, out_dir)", DeprecationWarning, stacklevel=2
        )
        files: dict[str, Path] = sys.modules["planner"].write_plan(self, out_dir)
        return files
