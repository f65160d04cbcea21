"""Reading a run folder back into a :class:`~planner.plan.Plan`, without solving again.

A run folder written by :func:`planner.write_plan` holds everything a Plan needs, in open,
non-pickle formats:

- ``manifest.json``: the resolved scenario, ``--set`` overrides, grid (CRS, origin, size),
  solver summary, link budget, warnings, input hashes and timings;
- ``plan.gpkg``: layers ``selected_sites``, ``candidates`` and ``priority_areas`` (from
  :func:`planner.io.exports.write_exports`) and ``boundary`` (added by
  :func:`write_run_state` when the exports do not write it);
- ``coverage.tif``: best-server RSRP (dBm) in every cell inside the boundary (below the
  threshold where no selected site covers it; runs before that: nodata there);
- ``cover_count.tif``: written by :func:`write_run_state`: uint8, the number of selected
  sites covering each cell (capped at 254), 255 (nodata) outside the planning boundary. It
  gives back the demand mask, the covered cells and the k-coverage counts exactly.

:func:`read_run` puts these together; :func:`planner.stages.outputs.rerender_report` re-renders ``report.html``
(optionally in another language or with another basemap) from them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner.coverage.grid import Grid
from planner.errors import PlannerError, Problem
from planner.plan import Plan, SolutionSummary
from planner.scenario import Scenario

#: nodata value of ``cover_count.tif`` (cells outside the planning boundary)
OUTSIDE = 255
#: layer names in ``plan.gpkg``
LAYERS = {"sites": "selected_sites", "candidates": "candidates", "areas": "priority_areas", "boundary": "boundary"}


def write_run_state(plan: Plan, folder: Path) -> dict[str, Path]:
    """Save what :func:`read_run` needs beyond the exports: the cover counts.

    Called by :func:`planner.write_plan` after the exports, inside the temporary run folder.

    Returns
    -------
    dict
        ``cover_count`` → path (the ``boundary`` layer is written into ``plan.gpkg`` by the exports).
    """
    from planner.coverage.raster import write_band

    out: dict[str, Path] = {}
    count = plan.extras.get("cover_count")
    counts = np.asarray(count, dtype=np.int64) if count is not None else plan.covered.astype(np.int64)
    band = np.where(plan.demand_mask, np.clip(counts, 0, OUTSIDE - 1), OUTSIDE).astype(np.uint8)
    meaning = "number of selected sites covering the cell; 255 = outside the planning boundary"
    out["cover_count"] = write_band(  # a Cloud-Optimised GeoTIFF, as coverage.tif and sinr.tif
        band,
        plan.grid,
        folder / "cover_count.tif",
        dtype="uint8",
        nodata=OUTSIDE,
        resampling="nearest",
        description="selected sites covering the cell (capped at 254)",
        units="count",
        tags={"meaning": meaning},
    )
    return out


def _not_a_run(run_dir: Path, what: str) -> PlannerError:
    return PlannerError(
        Problem(
            f"not a complete run folder: {what}",
            str(run_dir),
            fix="give a folder written by `planner run --out DIR` (or run the scenario again)",
        )
    )


def _read_layer(gpkg: Path, layer: str, run_dir: Path) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gpd.read_file(gpkg, layer=layer)
    except Exception as exc:  # pyogrio raises several types for a missing layer or a broken file
        raise _not_a_run(run_dir, f"cannot read layer {layer!r} of plan.gpkg ({type(exc).__name__})") from None


def _read_band(path: Path) -> tuple[NDArray[Any], float | None]:
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1), src.nodata


def _band_tag(path: Path, key: str) -> str | None:
    import rasterio

    with rasterio.open(path) as src:
        value = src.tags(1).get(key)
    return None if value is None else str(value)


def _bool_column(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    text = s.astype("string").str.strip().str.lower()
    return text.isin(["1", "true", "yes", "是", "达标"]).astype(bool)


def read_run(run_dir: str | Path) -> Plan:
    """Load a run folder written by :func:`planner.write_plan` back into a Plan.

    Parameters
    ----------
    run_dir : str or Path
        The run folder (``manifest.json``, ``plan.gpkg``, ``coverage.tif``, ``cover_count.tif``).

    Returns
    -------
    Plan
        The same tables, rasters and solver summary as the plan that was written;
        ``extras["cover_count"]`` holds the k-coverage counts and ``extras["run_dir"]``
        the folder.

    Raises
    ------
    PlannerError
        If a file is missing or unreadable (the message names it).
    """
    run_dir = Path(run_dir).resolve()
    man_path = run_dir / "manifest.json"
    if not run_dir.is_dir():
        raise PlannerError(
            Problem("run folder not found", str(run_dir), fix="give the --out folder of an earlier `planner run`")
        )
    if not man_path.is_file():
        raise _not_a_run(run_dir, "no manifest.json")
    try:
        man = json.loads(man_path.read_text(encoding="utf-8"))
        g = man["grid"]
        grid = Grid(
            float(g["x0"]),
            float(g["y0"]),
            float(g["res"] if "res" in g else g["resolution_m"]),
            int(g["nx"]),
            int(g["ny"]),
            str(g["crs"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise _not_a_run(run_dir, f"manifest.json is incomplete ({type(exc).__name__}: {exc})") from None
    try:
        scenario = Scenario.model_validate(
            {**man["scenario"], "source": man.get("scenario_file"), "overrides": tuple(man.get("overrides", ()))}
        )
    except Exception as exc:  # pydantic ValidationError: written by another version
        raise PlannerError(
            Problem(
                f"the scenario saved in manifest.json no longer validates ({type(exc).__name__})",
                str(man_path),
                fix="run the scenario again with this version of the planner",
            )
        ) from None

    gpkg = run_dir / "plan.gpkg"
    if not gpkg.is_file():
        raise _not_a_run(run_dir, "no plan.gpkg")
    sites = _read_layer(gpkg, LAYERS["sites"], run_dir).to_crs("EPSG:4490")
    cands = _read_layer(gpkg, LAYERS["candidates"], run_dir).to_crs("EPSG:4490")
    areas = _read_layer(gpkg, LAYERS["areas"], run_dir).to_crs("EPSG:4490")
    boundary = _read_layer(gpkg, LAYERS["boundary"], run_dir).to_crs("EPSG:4490")
    for df in (sites, cands):
        for col in ("id", "name", "type", "site_class", "owner", "build_mode", "status", "site_code", "areas"):
            if col in df.columns:
                df[col] = df[col].astype("string").fillna("").astype(str)
    if "selected" in cands.columns:
        cands["selected"] = _bool_column(cands["selected"])
    elif "id" in cands.columns and "id" in sites.columns:
        cands["selected"] = cands["id"].isin(set(sites["id"]))
    if "id" in sites.columns and "id" in cands.columns:  # candidate columns the site layer leaves out
        extra = [c for c in ("group", "forbidden") if c in cands.columns and c not in sites.columns]
        if extra:
            lookup = cands.drop_duplicates("id").set_index("id")
            for col in extra:
                sites[col] = sites["id"].map(lookup[col]).to_numpy()
        sites["selected"] = True
    if "met" in areas.columns:
        areas["met"] = _bool_column(areas["met"])
    if "reason" in areas.columns:
        areas["reason"] = areas["reason"].astype("string").fillna("").astype(str)

    cov_path = run_dir / "coverage.tif"
    if not cov_path.is_file():
        raise _not_a_run(run_dir, "no coverage.tif")
    rsrp, nodata = _read_band(cov_path)
    best = rsrp.astype(np.float32)
    if nodata is not None and not np.isnan(nodata):
        best[rsrp == nodata] = np.nan
    if best.shape != (grid.ny, grid.nx):
        raise _not_a_run(
            run_dir, f"coverage.tif is {best.shape[1]} × {best.shape[0]} cells, the manifest says {grid.nx} × {grid.ny}"
        )
    cc_path = run_dir / "cover_count.tif"
    if cc_path.is_file():
        band, _ = _read_band(cc_path)
        demand = band != OUTSIDE
        count = np.where(demand, band, 0).astype(np.int64)
    else:  # a folder from before cover_count.tif: rebuild the mask from the boundary
        from planner.geo.demand import rasterize_demand

        empty = gpd.GeoDataFrame({"rank": pd.Series(dtype=int)}, geometry=gpd.GeoSeries([], crs=grid.crs), crs=grid.crs)
        demand = rasterize_demand(grid, boundary.to_crs(grid.crs).geometry, empty).mask
        count = (~np.isnan(best) & demand).astype(np.int64)
    covered = (count >= 1) & demand
    extras: dict[str, Any] = {"cover_count": count, "run_dir": run_dir}
    floor = _band_tag(cov_path, "floor_dbm")
    if floor is not None:  # RSRP in every cell inside the boundary (planner.stages.assemble.attach_plan_rsrp)
        extras.update(rsrp_dbm=np.where(demand, best, np.nan).astype(np.float32), rsrp_floor_dbm=float(floor))
        best = np.where(covered, best, np.nan).astype(np.float32)  # Plan.best_rsrp: covered cells only

    return Plan(
        scenario=scenario,
        grid=grid,
        boundary=boundary,
        candidates=cands,
        sites=sites,
        areas=areas,
        best_rsrp=best,
        covered=covered,
        demand_mask=demand,
        solution=SolutionSummary(man.get("solver") or {}),
        radio=dict(man.get("radio") or {}),
        warnings=list(man.get("warnings") or []),
        input_hashes=dict(man.get("inputs_sha256") or {}),
        timings=dict(man.get("timings_s") or {}),
        extras=extras,
    )
