"""Path-loss calibration against drive-test RSRP (``planner calibrate``, ``radio.calibration``).

Drive-test points (lon, lat, RSRP in dBm, optionally the serving site's id) are averaged in
square bins of 40 λ (Lee's criterion: 40 wavelengths average out fast fading; 3.4 m at
3.5 GHz), each bin is compared with the outdoor **median** RSRP the scenario's link budget
predicts from its serving site (the named one, else the best predicted candidate)::

    RSRP_pred = EIRP/RE + G_UE − L_body − PL(d)

with the class's TR 38.901 model (``PL = p·PL_LOS + (1 − p)·PL_NLOS`` under the LOS probability
``p``, all-NLOS when ``radio.los = "nlos"``), no penetration and no shadowing margin, and the
site's peak antenna gain (omni; the sector pattern is not applied to the prediction). Per site
class the extra path loss ``e = RSRP_pred − RSRP_meas`` is fitted by least squares as an offset
(``e = a``) and as offset and slope (``e = a + b·log10(d / 1 m)``, reported only). ME, σ and RMSE
are reported per class; the calibration file stores the offset and σ, which a scenario applies
with ``radio.calibration = "calib.json"``: the offset is added to the class's path loss and σ
replaces σ_SF (LOS and NLOS) in the shadowing margin (:func:`planner.radio.budget.link_budget`).

Sources: W. C. Y. Lee, *Mobile Communications Engineering*, 2nd ed., §6 (40 λ averaging);
3GPP TR 38.901 Table 7.4.1-1 (path loss, σ_SF), Table 7.4.2-1 (LOS probability).
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kernels import pathloss as _pl
from planner._text import header_key
from planner.errors import InputDataError, Problem, ScenarioError
from planner.scenario import RadioConfig, Scenario

#: format tag of the calibration file
FORMAT = "planner-calibration/1"
#: plausible SS-RSRP of a drive-test sample (dBm)
RSRP_RANGE_DBM = (-160.0, -20.0)
#: bin side in wavelengths (Lee's 40 λ averaging)
BIN_WAVELENGTHS = 40.0
#: nearest distance used in the prediction (m); closer samples are clamped
MIN_DISTANCE_M = 10.0
SITE_CLASSES = ("macro", "micro")
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


@dataclass(frozen=True)
class ClassFit:
    """The fit of one site class (dB; ``e = RSRP_pred − RSRP_meas`` is the extra path loss).

    ``offset_db`` is the mean extra path loss (the applied correction), ``me_db`` the mean
    error of the uncalibrated prediction (measured − predicted, = −offset), ``sigma_db`` the
    standard deviation about the offset (the calibrated shadowing σ), ``rmse_db`` the RMS
    error before calibration, ``slope_db_per_decade``/``intercept_db`` the offset-and-slope
    fit ``e = intercept + slope·log10(d)`` (reported, not applied).
    """

    site_class: str
    model: str
    n_points: int
    n_bins: int
    offset_db: float
    sigma_db: float
    me_db: float
    rmse_db: float
    rmse_calibrated_db: float
    intercept_db: float
    slope_db_per_decade: float


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate` returns: the per-class fits and what they were made from."""

    band: str
    fc_ghz: float
    bin_m: float
    measurements: str
    fits: dict[str, ClassFit]

    def as_dict(self) -> dict[str, Any]:
        """The calibration file's content (JSON-ready)."""
        return {
            "format": FORMAT,
            "band": self.band,
            "fc_ghz": self.fc_ghz,
            "bin_m": round(self.bin_m, 4),
            "measurements": self.measurements,
            "classes": {
                k: {key: (round(v, 4) if isinstance(v, float) else v) for key, v in asdict(f).items()}
                for k, f in self.fits.items()
            },
        }


@dataclass(frozen=True)
class ClassCorrection:
    """The part of a calibration file a link budget applies to one class."""

    model: str
    offset_db: float
    sigma_db: float


def median_rsrp_dbm(
    radio: RadioConfig, site_class: str, d2d_m: NDArray[np.float64], h_bs_m: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Outdoor median SS-RSRP (dBm) of ``site_class`` sites at distance ``d2d_m`` and height ``h_bs_m``.

    ``EIRP/RE + G_UE − L_body − PL`` with PL the LOS-probability average of TR 38.901's LOS and
    NLOS loss (all NLOS when ``radio.los = "nlos"``); uncalibrated (no ``radio.calibration``).
    """
    from planner.radio.budget import MODEL_CODES, resolve_band

    cls = radio.macro if site_class == "macro" else radio.micro
    code = MODEL_CODES[cls.model]
    band = resolve_band(radio)
    d = np.maximum(np.asarray(d2d_m, dtype=np.float64), MIN_DISTANCE_M).ravel()
    hb = np.broadcast_to(np.asarray(h_bs_m, dtype=np.float64), np.asarray(d2d_m).shape).ravel()
    f = np.full(d.shape, band.fc_ghz)
    hu = np.full(d.shape, radio.ue_height_m)
    w, h = float(radio.rma_street_width_m), float(radio.rma_building_height_m)
    nlos = _pl.pathloss_array(code, f, d, np.ascontiguousarray(hb), hu, np.zeros(d.shape, np.bool_), w, h)
    if radio.los == "nlos":
        loss = nlos
    else:
        los = _pl.pathloss_array(code, f, d, np.ascontiguousarray(hb), hu, np.ones(d.shape, np.bool_), w, h)
        p = _pl.los_probability_array(code, d, hu)
        loss = p * los + (1.0 - p) * nlos
    tx_dbm = 10.0 * math.log10(cls.tx_power_w * 1000.0)
    eirp = tx_dbm - 10.0 * math.log10(band.n_re) + cls.antenna_gain_dbi - cls.feeder_loss_db
    out = eirp + radio.ue_gain_dbi - radio.body_loss_db - loss
    return np.asarray(out.reshape(np.asarray(d2d_m).shape), dtype=np.float64)


@dataclass(frozen=True)
class SiteTable:
    """The scenario's candidate sites in its metric CRS, for predictions at drive-test points."""

    radio: RadioConfig
    crs: str
    ids: NDArray[Any]
    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    h_m: NDArray[np.float64]
    site_class: NDArray[Any]

    @classmethod
    def from_layers(cls, scenario: Scenario, layers: Any) -> SiteTable:
        """From the inputs stage's layers (:func:`planner.stages.inputs.load_inputs`)."""
        from planner.geo.crs import choose_metric_crs

        centre = layers.boundary.union_all().centroid
        crs = choose_metric_crs(scenario.grid.crs, centre.x, centre.y)
        cand = layers.candidates
        table = cls(
            scenario.radio,
            crs,
            cand["id"].astype(str).str.strip().to_numpy(),
            np.empty(0),
            np.empty(0),
            cand["height_m"].to_numpy(np.float64),
            cand["site_class"].astype(str).to_numpy(),
        )
        x, y = table.to_metric(cand.geometry.x.to_numpy(np.float64), cand.geometry.y.to_numpy(np.float64))
        return cls(table.radio, crs, table.ids, x, y, table.h_m, table.site_class)

    def to_metric(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """CGCS2000 lon/lat (degrees) to the scenario's metric CRS (m)."""
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4490", self.crs, always_xy=True).transform(lon, lat)
        return np.asarray(x, np.float64), np.asarray(y, np.float64)

    def predict(
        self, x_m: NDArray[np.float64], y_m: NDArray[np.float64], site: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Uncalibrated outdoor median RSRP (dBm) at points ``(x_m, y_m)`` from sites ``site`` (indices)."""
        d = np.hypot(x_m - self.x_m[site], y_m - self.y_m[site])
        out = np.empty(d.shape)
        for c in SITE_CLASSES:
            m = self.site_class[site] == c
            if m.any():
                out[m] = median_rsrp_dbm(self.radio, c, d[m], self.h_m[site[m]])
        return out

    def best_site(self, x_m: NDArray[np.float64], y_m: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of the candidate with the highest predicted median RSRP at each point (first on ties)."""
        arg = np.zeros(x_m.size, np.int64)
        step = max(1, 2_000_000 // max(self.ids.size, 1))  # ~2M point-site pairs at a time
        for s0 in range(0, x_m.size, step):
            sl = slice(s0, s0 + step)
            n = x_m[sl].size
            best = np.full(n, -np.inf)
            for c in SITE_CLASSES:
                cols = np.flatnonzero(self.site_class == c)
                if cols.size == 0:
                    continue
                d = np.hypot(x_m[sl, None] - self.x_m[None, cols], y_m[sl, None] - self.y_m[None, cols])
                pred = median_rsrp_dbm(self.radio, c, d, np.broadcast_to(self.h_m[cols], d.shape))
                j = np.argmax(pred, axis=1)
                v = pred[np.arange(n), j]
                better = v > best
                best[better] = v[better]
                arg[sl][better] = cols[j[better]]
        return arg


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    keys = {header_key(c): c for c in df.columns}
    return next((keys[n] for n in names if n in keys), None)


def read_measurements(path: Path, scenario: Scenario, boundary: Any) -> pd.DataFrame:
    """Drive-test points as a frame with ``lon``, ``lat``, ``rsrp_dbm``, ``serving`` (str or None), ``row``.

    Raises :class:`~planner.errors.InputDataError` (exit 2) naming the file, row and fix for a
    missing RSRP column, a non-finite or implausible RSRP, or a point outside the boundary.
    """
    from planner.io.readers import read_vector

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
    offset = int(gdf.attrs.get("row_offset", 1))
    rows = np.arange(len(gdf)) + offset
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
    import shapely

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


def _bin(
    x: NDArray[np.float64], y: NDArray[np.float64], rsrp: NDArray[np.float64], serving: NDArray[Any], size_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[Any], NDArray[np.int64]]:
    """Mean position and linear-power mean RSRP (dBm) per (bin, serving site); sorted, deterministic."""
    ix = np.floor(x / size_m).astype(np.int64)
    iy = np.floor(y / size_m).astype(np.int64)
    frame = pd.DataFrame({"ix": ix, "iy": iy, "s": serving.astype(str), "x": x, "y": y, "mw": 10.0 ** (rsrp / 10.0)})
    g = frame.groupby(["ix", "iy", "s"], sort=True)
    agg = g.agg(x=("x", "mean"), y=("y", "mean"), mw=("mw", "mean"), n=("mw", "size")).reset_index()
    return (
        agg["x"].to_numpy(np.float64),
        agg["y"].to_numpy(np.float64),
        10.0 * np.log10(agg["mw"].to_numpy(np.float64)),
        agg["s"].to_numpy(dtype=object),
        agg["n"].to_numpy(np.int64),
    )


def _fit(site_class: str, model: str, e: NDArray[np.float64], d: NDArray[np.float64], n_points: int) -> ClassFit:
    """Least-squares offset and offset-and-slope fits of the extra path loss ``e`` (dB)."""
    offset = float(e.mean())
    resid = e - offset
    sigma = float(resid.std(ddof=1)) if e.size > 1 else 0.0
    a = np.column_stack([np.ones_like(d), np.log10(np.maximum(d, MIN_DISTANCE_M))])
    if e.size >= 3 and float(np.ptp(a[:, 1])) > 1e-9:
        coef = np.linalg.lstsq(a, e, rcond=None)[0]
        intercept, slope = float(coef[0]), float(coef[1])
    else:
        intercept, slope = offset, 0.0
    return ClassFit(
        site_class=site_class,
        model=model,
        n_points=n_points,
        n_bins=int(e.size),
        offset_db=offset,
        sigma_db=sigma,
        me_db=-offset,
        rmse_db=float(np.sqrt(np.mean(e**2))),
        rmse_calibrated_db=float(np.sqrt(np.mean(resid**2))),
        intercept_db=intercept,
        slope_db_per_decade=slope,
    )


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
        Per site class with at least two bins: offset (dB, added to the path loss), σ, ME, RMSE.

    Raises
    ------
    InputDataError
        Unreadable or implausible measurements, an unknown serving site id, or no class with two bins.
    """
    from planner.radio.budget import resolve_band
    from planner.stages.inputs import load_inputs

    path = Path(measurements)
    layers = load_inputs(scenario)
    boundary = layers.boundary.union_all()
    pts = read_measurements(path, scenario, boundary)
    sites = SiteTable.from_layers(scenario, layers)
    ids, ch, ccls = sites.ids, sites.h_m, sites.site_class
    index = {k: i for i, k in enumerate(ids)}
    unknown = sorted({s for s in pts["serving"] if s and s not in index})
    if unknown:
        first = pts.loc[pts["serving"] == unknown[0], "row"].iloc[0]
        raise InputDataError(
            Problem(
                f"serving site id(s) {', '.join(map(repr, unknown[:5]))} are not candidate ids",
                str(path),
                f"row {first}",
                "use the `id` of a site in the candidates file, or leave the cell empty",
            )
        )
    band = resolve_band(scenario.radio)
    size = BIN_WAVELENGTHS * 0.299792458 / band.fc_ghz
    mx, my = sites.to_metric(pts["lon"].to_numpy(np.float64), pts["lat"].to_numpy(np.float64))
    bx, by, brsrp, bserv, _ = _bin(
        mx, my, pts["rsrp_dbm"].to_numpy(np.float64), pts["serving"].to_numpy(dtype=object), size
    )
    site = np.array([index.get(s, -1) for s in bserv], dtype=np.int64)
    free = np.flatnonzero(site < 0)
    if free.size:
        site[free] = sites.best_site(bx[free], by[free])
    cx, cy = sites.x_m, sites.y_m
    d_bin = np.hypot(bx - cx[site], by - cy[site])
    fits: dict[str, ClassFit] = {}
    for c in SITE_CLASSES:
        m = ccls[site] == c
        if int(m.sum()) < 2:
            continue
        pred = median_rsrp_dbm(scenario.radio, c, d_bin[m], ch[site[m]])
        model = (scenario.radio.macro if c == "macro" else scenario.radio.micro).model
        fits[c] = _fit(c, model, pred - brsrp[m], d_bin[m], n_points=len(pts))
    if not fits:
        raise InputDataError(
            Problem(
                f"too few samples: {len(bx)} bin(s) of {size:.1f} m, fewer than 2 per site class",
                str(path),
                fix="add drive-test samples (at least two 40 λ bins per site class)",
            )
        )
    return CalibrationResult(band=band.name, fc_ghz=band.fc_ghz, bin_m=size, measurements=path.name, fits=fits)


def write_calibration(result: CalibrationResult, out: Path | str) -> Path:
    """Write the calibration file (JSON, UTF-8) atomically; returns its path."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out


def load_calibration(path: Path | str) -> dict[str, ClassCorrection]:
    """The per-class corrections of a calibration file (cached on path, size and mtime).

    Raises :class:`~planner.errors.ScenarioError` naming ``[radio.calibration]`` when the file
    is missing or not a calibration file.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise ScenarioError(
            Problem(
                f"calibration file {str(p)!r} does not exist",
                "scenario",
                "[radio.calibration]",
                "write it with `planner calibrate SCENARIO --measurements FILE --out calib.json`",
            )
        ) from None
    return _load(str(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load(path: str, size: int, mtime_ns: int) -> dict[str, ClassCorrection]:
    fix = "write it with `planner calibrate SCENARIO --measurements FILE --out calib.json`"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, not {FORMAT!r}")
        out = {}
        for c, v in data["classes"].items():
            if c not in SITE_CLASSES:
                raise ValueError(f"unknown site class {c!r}")
            off, sig = float(v["offset_db"]), float(v["sigma_db"])
            if not (math.isfinite(off) and math.isfinite(sig) and abs(off) <= 60 and 0 <= sig <= 30):
                raise ValueError(f"{c}: offset {off} dB / sigma {sig} dB outside |offset| ≤ 60, 0 ≤ σ ≤ 30")
            out[c] = ClassCorrection(model=str(v["model"]), offset_db=off, sigma_db=sig)
    except (ValueError, KeyError, TypeError, AttributeError, OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            Problem(f"{path} is not a usable calibration file ({exc})", "scenario", "[radio.calibration]", fix)
        ) from None
    return out
