"""Path-loss calibration against drive-test RSRP (``planner calibrate``, ``radio.calibration``).

Drive-test points (lon, lat, RSRP in dBm, optionally the serving site's id) are averaged in
square bins of 40 λ (Lee's criterion: 40 wavelengths average out fast fading; 3.4 m at
3.5 GHz), each bin is compared with the outdoor **median** RSRP the scenario's link budget
predicts from its serving site (the named one, else the best predicted candidate)::

    RSRP_pred = EIRP/RE + G_UE − L_body − PL(d)

with the class's TR 38.901 model (``PL = p·PL_LOS + (1 − p)·PL_NLOS`` under the LOS probability
``p``, all-NLOS when ``radio.los = "nlos"``), no penetration and no shadowing margin, and the
site's peak antenna gain plus, with ``radio.antenna = "sectors"``, the pattern gain (≤ 0 dB) of
its best sector toward the bin (the serving sector: the TR 38.901 Table 7.3-1 pattern after the
eq. 7.1-7/7.1-8 rotation, the site's own ``azimuth_deg`` / ``tilt_deg`` columns or its class's
antenna, as the coverage build uses them; flat ground). Per site
class the extra path loss ``e = RSRP_pred − RSRP_meas`` is fitted by least squares as an offset
(``e = a``) and as offset and slope (``e = a + b·log10(d / 1 m)``, reported only). ME, σ and RMSE
are reported per class; the calibration file stores the offset and σ, which a scenario applies
with ``radio.calibration = "calib.json"``: the offset is added to the class's path loss and σ
replaces σ_SF (LOS and NLOS) in the shadowing margin (:func:`planner.radio.budget.link_budget`).

Sources: W. C. Y. Lee, *Mobile Communications Engineering*, 2nd ed., §6 (40 λ averaging);
3GPP TR 38.901 Table 7.4.1-1 (path loss, σ_SF), Table 7.4.2-1 (LOS probability).
"""

from __future__ import annotations

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
from planner.errors import InputDataError, Problem
from planner.radio.calfile import FORMAT, SITE_CLASSES, is_calibration
from planner.scenario import RadioConfig

#: plausible SS-RSRP of a drive-test sample (dBm)
RSRP_RANGE_DBM = (-160.0, -20.0)
#: bin side in wavelengths (Lee's 40 λ averaging)
BIN_WAVELENGTHS = 40.0
#: nearest distance used in the prediction (m); closer samples are clamped
MIN_DISTANCE_M = 10.0
#: with sectors, the sites of highest omni prediction evaluated first per point (:meth:`SiteTable.best_site`)
BEST_SITE_SHORTLIST = 16


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
    #: per site, its own sector bearings (None: the class's), as the candidate column ``azimuth_deg``
    azimuths: tuple[tuple[float, ...] | None, ...] | None = None
    #: per site, its own mechanical downtilt (degrees; NaN: the class's), the column ``tilt_deg``
    tilt_deg: NDArray[np.float64] | None = None

    def pattern_gain_db(
        self, x_m: NDArray[np.float64], y_m: NDArray[np.float64], site: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Pattern gain (dB, ≤ 0) of each point's site toward it: its best sector; 0 for omni sites.

        With ``radio.antenna = "omni"`` every gain is 0 (the peak gain in every direction). Else
        a site takes its own bearings (``azimuths``) or its class's (none when the class is omni),
        and its mechanical tilt from :func:`planner.coverage.build.resolve_tilts` (its own
        ``tilt_deg``, else the class's, ``"auto"`` resolved as in the coverage build).
        """
        from planner.coverage.build import resolve_tilts
        from planner.radio.antenna import sector_gain_db

        site = np.asarray(site, dtype=np.int64).ravel()
        out = np.zeros(site.size, dtype=np.float64)
        radio = self.radio
        if radio.antenna != "sectors" or site.size == 0:
            return out
        used = np.unique(site)
        own_tilt = None if self.tilt_deg is None else np.asarray(self.tilt_deg, dtype=np.float64)[used]
        tilts = resolve_tilts(self.h_m[used], self.site_class[used], radio, own_tilt)
        order = np.argsort(site, kind="stable")
        bounds = np.searchsorted(site[order], used)
        ends = np.append(bounds[1:], site.size)
        for k, s in enumerate(used.tolist()):
            ant = radio.macro_antenna if self.site_class[s] == "macro" else radio.micro_antenna
            own = None if self.azimuths is None else self.azimuths[s]
            bearings = tuple(own) if own else ant.bearings()
            if not bearings:
                continue  # omni
            idx = order[bounds[k] : ends[k]]
            dx, dy = x_m[idx] - self.x_m[s], y_m[idx] - self.y_m[s]
            dz = float(radio.ue_height_m) - float(self.h_m[s])
            gains = [
                sector_gain_db(dx, dy, dz, az, float(tilts[k]), float(ant.electrical_tilt_deg),
                               hpbw_h_deg=ant.hpbw_h_deg, hpbw_v_deg=ant.hpbw_v_deg, sla_v_db=ant.sla_v_db,
                               a_max_db=ant.front_to_back_db)
                for az in bearings
            ]
            out[idx] = np.max(np.vstack(gains), axis=0)
        return out

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
        return out + self.pattern_gain_db(x_m, y_m, site)

    def best_site(self, x_m: NDArray[np.float64], y_m: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of the candidate with the highest predicted median RSRP at each point (first on ties).

        With sectors the prediction includes each site's best-sector gain (:meth:`pattern_gain_db`).
        Since that gain is ≤ 0 dB, only the :data:`BEST_SITE_SHORTLIST` sites with the highest
        omni prediction are evaluated first; a point where a site beyond them could still win
        (its omni prediction above the best found) is evaluated over every site: exact.
        """
        arg = np.zeros(x_m.size, np.int64)
        n_sites = self.ids.size
        step = max(1, 2_000_000 // max(n_sites, 1))  # ~2M point-site pairs at a time
        sectors = self.radio.antenna == "sectors"
        for s0 in range(0, x_m.size, step):
            sl = slice(s0, s0 + step)
            xs, ys = x_m[sl], y_m[sl]
            n = xs.size
            pred = np.full((n, n_sites), -np.inf)
            for c in SITE_CLASSES:
                cols = np.flatnonzero(self.site_class == c)
                if cols.size == 0:
                    continue
                d = np.hypot(xs[:, None] - self.x_m[None, cols], ys[:, None] - self.y_m[None, cols])
                pred[:, cols] = median_rsrp_dbm(self.radio, c, d, np.broadcast_to(self.h_m[cols], d.shape))
            if not sectors:
                arg[sl] = np.argmax(pred, axis=1)
                continue
            k = min(BEST_SITE_SHORTLIST, n_sites)
            short = np.sort(np.argsort(-pred, axis=1, kind="stable")[:, :k], axis=1)  # column order: first on ties
            rows = np.repeat(np.arange(n), k)
            flat = short.ravel()
            val = (pred[rows, flat] + self.pattern_gain_db(xs[rows], ys[rows], flat)).reshape(n, k)
            j = np.argmax(val, axis=1)
            best_val = val[np.arange(n), j]
            out = short[np.arange(n), j]
            if k < n_sites:
                kth = -np.sort(-pred, axis=1)[:, k]  # the best omni prediction outside the shortlist
                for r in np.flatnonzero(kth >= best_val).tolist():  # a site beyond it could win: all sites
                    cols = np.arange(n_sites)
                    full = pred[r] + self.pattern_gain_db(np.full(n_sites, xs[r]), np.full(n_sites, ys[r]), cols)
                    out[r] = int(np.argmax(full))
            arg[sl] = out
        return arg


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


def fit_measurements(sites: SiteTable, pts: pd.DataFrame, path: Path) -> CalibrationResult:
    """Bin drive-test samples (40 λ), predict their median RSRP and fit each site class.

    Parameters
    ----------
    sites : SiteTable
        The scenario's candidates (position, height, class, id) and radio settings.
    pts : DataFrame
        ``lon``, ``lat`` (CGCS2000 degrees), ``rsrp_dbm``, ``serving`` (a candidate id or ""),
        ``row`` (the file row, for messages), as :func:`planner.stages.calibrate.read_measurements` returns.
    path : Path
        The measurement file (named in messages and in the result).

    Returns
    -------
    CalibrationResult
        Per site class with at least two bins: offset (dB, added to the path loss), σ, ME, RMSE.

    Raises
    ------
    InputDataError
        An unknown serving site id, or no class with two bins.
    """
    from planner.radio.budget import resolve_band

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
    band = resolve_band(sites.radio)
    size = BIN_WAVELENGTHS * 0.299792458 / band.fc_ghz
    mx, my = sites.to_metric(pts["lon"].to_numpy(np.float64), pts["lat"].to_numpy(np.float64))
    bx, by, brsrp, bserv, bcount = _bin(
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
        pred = median_rsrp_dbm(sites.radio, c, d_bin[m], ch[site[m]]) + sites.pattern_gain_db(bx[m], by[m], site[m])
        model = (sites.radio.macro if c == "macro" else sites.radio.micro).model
        fits[c] = _fit(c, model, pred - brsrp[m], d_bin[m], n_points=int(bcount[m].sum()))  # the class's samples
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
    if out.is_dir() or (out.exists() and not is_calibration(out)):
        raise InputDataError(
            Problem(
                "the output exists and is not a calibration file the planner wrote",
                str(out),
                "--out",
                "give --out a new file name such as calib.json (an earlier calibration file is replaced)",
            )
        )
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out
