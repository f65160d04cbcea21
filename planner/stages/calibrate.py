"""The calibration stage: drive-test file + scenario → :class:`~planner.radio.calibration.CalibrationResult`.

Reads the measurement points (any table or vector reader of :mod:`planner.io.readers`: CSV in
UTF-8 or GBK, XLSX, GeoPackage; 经度/纬度 headers), checks them (exit 2 with file, row and fix),
builds the scenario's :class:`~planner.radio.calibration.SiteTable` and hands both to
:func:`planner.radio.calibration.fit_measurements` (the binning and the fit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from planner._paths import not_a_regular_file
from planner._text import header_key
from planner._validate import file_row
from planner.errors import InputDataError, Problem
from planner.geo.crs import choose_metric_crs
from planner.geo.sector_columns import road_sector_bearings
from planner.io.readers import read_vector
from planner.radio.antenna import antenna_overrides
from planner.radio.calibration import RSRP_RANGE_DBM, CalibrationResult, SiteTable, fit_measurements
from planner.scenario import Scenario
from planner.stages.inputs import InputLayers, load_inputs

_RSRP_NAMES = ("rsrp", "ss-rsrp", "ss_rsrp", "rsrp_dbm", "nr_rsrp", "电平", "场强", "接收电平")
_SERVING_NAMES = (
    "site_id",
    "serving_site",
    "serving_site_id",
    "serving",
    "服务站址",
    "服务小区",
    "基站编号",
    "站址编号",
)


def site_table(scenario: Scenario, layers: InputLayers) -> SiteTable:
    """The scenario's candidates in its metric CRS (the grid's ``crs`` setting at the boundary's centre)."""
    centre = layers.boundary.union_all().centroid
    crs = choose_metric_crs(scenario.grid.crs, centre.x, centre.y)
    cand = layers.candidates
    ids = cand["id"].astype(str).str.strip().to_numpy()
    h = cand["height_m"].to_numpy(np.float64)
    cls = cand["site_class"].astype(str).to_numpy()
    empty = np.empty(0, np.float64)
    x, y = SiteTable(scenario.radio, crs, ids, empty, empty, h, cls).to_metric(
        cand.geometry.x.to_numpy(np.float64), cand.geometry.y.to_numpy(np.float64)
    )
    cand, _ = road_sector_bearings(scenario, cand, x, y, crs)  # along_road classes: bearings of their roads
    own = antenna_overrides(cand)  # the columns azimuth_deg / tilt_deg: the serving sector's gain with sectors
    az = own.get("site_azimuths")
    return SiteTable(scenario.radio, crs, ids, x, y, h, cls, azimuths=None if az is None else tuple(az),
                     tilt_deg=own.get("site_tilt_deg"))


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    keys = {header_key(c): c for c in df.columns}
    return next((keys[n] for n in names if n in keys), None)


def read_measurements(path: Path, boundary: Any) -> pd.DataFrame:
    """Drive-test points as a frame with ``lon``, ``lat``, ``rsrp_dbm``, ``serving`` (str or None), ``row``.

    Raises :class:`~planner.errors.InputDataError` (exit 2) naming the file, row and fix for a
    missing RSRP column, a non-finite or implausible RSRP, or a point outside the boundary.
    """
    why = not_a_regular_file(Path(str(path).split("|", 1)[0]), "measurements")
    if why is not None and why.endswith("not found"):  # named on the command line, not in the scenario
        raise InputDataError(
            Problem(
                why,
                str(path),
                fix="check the --measurements path (relative to the current folder, not to the scenario file)",
            )
        )
    gdf = read_vector(path, "measurements")
    src = str(path)
    rsrp_col = _column(gdf, _RSRP_NAMES)
    if rsrp_col is None:
        cols = ", ".join(str(c) for c in gdf.columns if c != "geometry")
        raise InputDataError(
            Problem(
                f"no RSRP column (found: {cols})",
                src,
                fix="name the column `rsrp` (SS-RSRP in dBm; 电平 or 场强 are read too)",
            )
        )
    if len(gdf) == 0:
        raise InputDataError(
            Problem("the measurement file has no points", src, fix="add one row per drive-test sample")
        )
    rows = np.array([file_row(gdf, i) for i in range(len(gdf))], dtype=np.int64)
    where = "row" if "row_offset" in gdf.attrs else "feature"
    rsrp = pd.to_numeric(
        gdf[rsrp_col].astype("string").str.strip().str.replace("dBm", "", regex=False), errors="coerce"
    ).to_numpy(dtype=np.float64)
    problems: list[Problem] = []
    bad = ~np.isfinite(rsrp)
    for i in np.flatnonzero(bad)[:10]:
        problems.append(
            Problem(
                f"RSRP {gdf[rsrp_col].iloc[i]!r} is not a finite number",
                src,
                f"{where} {rows[i]}",
                "write the SS-RSRP in dBm (e.g. -95.5), or delete the row",
            )
        )
    lo, hi = RSRP_RANGE_DBM
    out_of_range = np.isfinite(rsrp) & ((rsrp < lo) | (rsrp > hi))
    for i in np.flatnonzero(out_of_range)[:10]:
        problems.append(
            Problem(
                f"RSRP {rsrp[i]:g} dBm is outside {lo:g} … {hi:g} dBm",
                src,
                f"{where} {rows[i]}",
                "check the unit (dBm, not mW or a signal level index) or delete the row",
            )
        )
    lon = gdf.geometry.x.to_numpy(dtype=np.float64)
    lat = gdf.geometry.y.to_numpy(dtype=np.float64)
    inside = shapely.contains_xy(boundary, lon, lat)
    for i in np.flatnonzero(~inside)[:10]:
        problems.append(
            Problem(
                f"point {lon[i]:.6f}, {lat[i]:.6f} lies outside the scenario's boundary",
                src,
                f"{where} {rows[i]}",
                "delete samples outside the planning area, or check the coordinates (CGCS2000 decimal degrees)",
            )
        )
    n_bad = int(bad.sum() + out_of_range.sum() + (~inside).sum())
    if n_bad > len(problems):
        problems.append(Problem(f"{n_bad - len(problems)} more rows with the same problems", src))
    if problems:
        raise InputDataError(problems)
    serving_col = _column(gdf, _SERVING_NAMES)
    serving = (
        gdf[serving_col].astype("string").str.strip().fillna("").to_numpy(dtype=object)
        if serving_col is not None
        else np.full(len(gdf), "", dtype=object)
    )
    return pd.DataFrame({"lon": lon, "lat": lat, "rsrp_dbm": rsrp, "serving": serving, "row": rows})


def calibrate(scenario: Scenario, measurements: Path | str) -> CalibrationResult:
    """Fit the scenario's path-loss models to drive-test measurements.

    Parameters
    ----------
    scenario : Scenario
        Supplies the boundary, the candidate sites (position, height, class, id) and the link budget.
    measurements : path
        CSV/XLSX (UTF-8 or GBK; ``lon``/``lat`` or 经度/纬度, ``rsrp`` in dBm, optional
        ``site_id`` of the serving site) or any vector file of points.

    Returns
    -------
    CalibrationResult
        Per site class with at least two 40 λ bins: offset (dB, added to the path loss), σ, ME, RMSE.

    Raises
    ------
    InputDataError
        Unreadable or implausible measurements (file, row, fix), an unknown serving site id, or
        no class with two bins.
    """
    path = Path(measurements)
    layers = load_inputs(scenario)
    pts = read_measurements(path, layers.boundary.union_all())
    return fit_measurements(site_table(scenario, layers), pts, path)
