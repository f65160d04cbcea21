"""Downlink SS-SINR, overlap (pilot pollution) and edge throughput of a plan.

Layer 2/3 over :mod:`kernels.sinr`. After the solve, the plan's sites (selected and on air)
get a *received-power* matrix of their own, built by :func:`planner.coverage.build_coverage`
with two changes to the scenario's radio settings:

* **median powers**: ``edge_probability = 0.5`` makes the shadowing margin 0 (Φ⁻¹(0.5) = 0),
  so each entry is the median RSRP per resource element (after the penetration margin: the
  SINR is that of the design user, indoors when ``penetration_loss_db`` is set). Under
  ``radio.los = "mixture"`` it is the median of the LOS/NLOS mixture;
* **a reach down to the noise**: the threshold becomes ``N − 10 dB``
  (:data:`FLOOR_BELOW_NOISE_DB`), so every site enters the sum wherever it is received
  within 10 dB of the noise floor, far beyond the coverage radius (a macro at 3.5 GHz:
  ≈ 1.5 km instead of 250 m).

The coverage matrix of the solve is not reused: it holds only the cells each site *covers*
(design RSRP ≥ threshold, within the site's radius), so interference from a site just beyond
its coverage radius would be missing and the SINR optimistic by several dB.

**Approximation, stated honestly**: interference is summed only from sites received above
``N − 10 dB``. Each omitted interferer is weaker than a tenth of the noise power; if many of
them add up (a dense plan seen from far away), the SINR is overstated. In noise-limited cells
the omission is at most ``10 log10(1 + m/10)`` dB for m omitted sites at the floor (0.4 dB for
one, 1.8 dB for five); in interference-limited cells (the ones that fail ``sinr_min_db``)
strong interferers dominate and the omission is smaller still relative to the sum. Only the
plan's own sites interfere: other operators and neighbouring areas are not modelled. The antenna
follows ``radio.antenna``: omni sites radiate their peak gain everywhere, which overstates both
the wanted and the interfering power off the sectors' boresights; with ``"sectors"`` (the
default) each sector is a server of its own (:func:`sector_servers`: its cell and SSB), with its
pattern gain, so a site's other sectors interfere with it (two sectors equal at their boundary:
0 dB) and the overlap counts sectors, as a drive test counts cells.

Formulas and sources (``../shared/DOMAIN.md`` §4.3):

* noise per RE ``N = −174 + 10 log10(SCS / Hz) + NF`` dBm (thermal noise density −174 dBm/Hz
  at 290 K; 30 kHz and NF 7 dB → −122.2 dBm);
* SS-SINR ``= P_best / (η Σ_{k≠best} P_k + N)``, TS 38.215 §5.1.5, η = ``radio.load_factor``;
* overlap: servers within ``radio.overlap_window_db`` (6 dB) of the best, where the best
  reaches ``radio.threshold_dbm``; a cell with ≥ :data:`POLLUTED_SERVERS` (4) is polluted
  (operators' optimisation practice);
* downlink throughput: attenuated Shannon, TR 36.942 Annex A.2,
  ``T = min(α log2(1 + SINR), SE_max) · 12 N_RB · SCS · f_DL · (1 − OH)``, 0 below −10 dB, with
  α = 0.6, ``SE_max`` = 7.4063 bit/s/Hz (TS 38.214 Table 5.2.2.1-3, 256QAM code rate 948/1024),
  overhead OH = 0.14 (TS 38.306 §4.1.2, FR1 downlink) and the downlink share of the TDD frame
  f_DL = 0.643 (DDDSUDDSUU with 10:2:2 special slots, CT/CU n78). One layer, the whole carrier to
  one user: a per-user peak, not a cell capacity. The "edge" figure is at the 5th percentile of
  the area's SINR (the ITU-R M.2410 cell-edge user convention).
"""

from __future__ import annotations

import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from kernels.sinr import accumulate_power, count_overlap, finish_sinr, sinr_overlap
from planner.radio.budget import resolve_band
from planner.radio.sinr_powers import server_rows, site_powers
from planner.scenario import RadioConfig

if TYPE_CHECKING:
    from planner.coverage.grid import Grid
    from planner.coverage.matrix import CoverageMatrix
    from planner.coverage.terrain import Terrain
    from planner.plan import Plan

__all__ = [
    "CHUNK_PAIRS",
    "FLOOR_BELOW_NOISE_DB",
    "POLLUTED_SERVERS",
    "Servers",
    "SinrResult",
    "area_sinr_statistics",
    "dl_throughput_mbps",
    "median_radio",
    "noise_per_re_dbm",
    "plan_sinr",
    "sector_servers",
    "sinr_of_matrix",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: sites are summed where received above noise minus this (dB)
FLOOR_BELOW_NOISE_DB = 10.0
#: site–cell pairs per chunk of the power matrix (≈ 8 bytes each: 128 MiB)
CHUNK_PAIRS = 16_000_000
#: a cell with at least this many servers within the overlap window is polluted
POLLUTED_SERVERS = 4
#: attenuated-Shannon parameters (TR 36.942 A.2; TS 38.214 Table 5.2.2.1-3; TS 38.306 §4.1.2)
SHANNON_ALPHA = 0.6
SE_MAX_BPS_HZ = 7.4063
SINR_MIN_THROUGHPUT_DB = -10.0
DL_OVERHEAD = 0.14
DL_SHARE_TDD = 0.643


def noise_per_re_dbm(scs_khz: float, noise_figure_db: float) -> float:
    """Thermal noise plus the UE noise figure in one resource element (dBm).

    Examples
    --------
    >>> round(noise_per_re_dbm(30, 7.0), 2)
    -122.23
    """
    if scs_khz <= 0:
        raise ValueError("scs_khz must be positive (kHz)")
    return -174.0 + 10.0 * math.log10(scs_khz * 1e3) + float(noise_figure_db)


def dl_throughput_mbps(
    sinr_db: ArrayLike,
    n_rb: int,
    scs_khz: float,
    *,
    alpha: float = SHANNON_ALPHA,
    se_max: float = SE_MAX_BPS_HZ,
    dl_share: float = DL_SHARE_TDD,
    overhead: float = DL_OVERHEAD,
    sinr_min_db: float = SINR_MIN_THROUGHPUT_DB,
) -> NDArray[np.float64]:
    """Downlink single-layer throughput (Mbit/s) from SINR by the attenuated Shannon bound.

    ``T = min(α log2(1 + SINR), se_max) · 12 n_rb · SCS · dl_share · (1 − overhead)``; 0 below
    ``sinr_min_db``; NaN stays NaN. Sources in the module docstring.

    Examples
    --------
    >>> [round(float(t)) for t in dl_throughput_mbps([-3.0, 0.0, 10.0, 30.0], 273, 30)]
    [19, 33, 113, 325]
    """
    s = np.asarray(sinr_db, dtype=np.float64)
    se = np.minimum(alpha * np.log2(1.0 + 10.0 ** (s / 10.0)), se_max)
    se = np.where(s < sinr_min_db, 0.0, se)
    return se * 12 * n_rb * scs_khz * 1e3 * dl_share * (1.0 - overhead) / 1e6


@dataclass
class SinrResult:
    """Per-cell downlink quality of a plan on its grid, arrays of shape (ny, nx).

    Attributes
    ----------
    best_rsrp_dbm : float32
        Median best-server SS-RSRP (dBm, after the penetration margin); NaN where no site is
        received above the floor.
    sinr_db : float32
        SS-SINR (dB); NaN where no site is received above the floor.
    overlap : uint8
        Servers within the overlap window of the best (best included) where the best reaches
        the threshold; 0 elsewhere.
    meta : dict
        Parameters, approximation and timings (for the manifest).
    """

    best_rsrp_dbm: NDArray[np.float32]
    sinr_db: NDArray[np.float32]
    overlap: NDArray[np.uint8]
    meta: dict[str, Any] = field(default_factory=dict)


def sinr_of_matrix(
    matrix: CoverageMatrix,
    rows: ArrayLike,
    *,
    noise_dbm: float,
    load_factor: float,
    window_db: float,
    min_best_dbm: float,
) -> SinrResult:
    """SS-SINR and overlap over the given rows of a received-power matrix (layer 2 over the kernel).

    Parameters
    ----------
    matrix : CoverageMatrix
        CSR of received power per RE (dBm) per site and cell.
    rows : array_like of int
        Sites (rows) that transmit; duplicates are dropped.
    noise_dbm : float
        Noise per resource element (dBm), :func:`noise_per_re_dbm`.
    load_factor : float
        η (0–1).
    window_db : float
        Overlap window (dB, ≥ 0).
    min_best_dbm : float
        Overlap is counted where the best server reaches this (dBm).
    """
    if not 0.0 <= load_factor <= 1.0:
        raise ValueError(f"load_factor must be within 0–1, got {load_factor}")
    if window_db < 0:
        raise ValueError(f"window_db must be ≥ 0 dB, got {window_db}")
    r = np.unique(np.asarray(rows, dtype=np.int64).ravel())
    if r.size and (r[0] < 0 or r[-1] >= matrix.n_sites):
        raise IndexError(f"row index out of range 0..{matrix.n_sites - 1}")
    g = matrix.grid
    best, sinr, ov = sinr_overlap(
        matrix.indptr,
        matrix.indices,
        matrix.rsrp,
        r,
        g.n_cells,
        float(load_factor),
        10.0 ** (noise_dbm / 10.0),
        float(window_db),
        float(min_best_dbm),
    )
    shape = (g.ny, g.nx)
    return SinrResult(best.reshape(shape), sinr.reshape(shape), ov.reshape(shape))


def _in_order(fn: Callable[[_T], _R], items: Sequence[_T], threads: int) -> Iterator[_R]:
    """``fn(item)`` for each item, yielded in order, up to ``threads`` computed at once.

    At most ``threads`` results wait beside the one being consumed (bounded memory); one
    thread (or one item) runs them in the caller's thread.
    """
    if threads <= 1 or len(items) <= 1:
        yield from (fn(item) for item in items)
        return
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sinr") as pool:
        pending: deque[Future[_R]] = deque()
        for item in items:
            if len(pending) >= threads:
                yield pending.popleft().result()
            pending.append(pool.submit(fn, item))
        while pending:
            yield pending.popleft().result()


def _chunks(
    x: NDArray[np.float64],
    h: NDArray[np.float64],
    cls: NDArray[np.str_],
    radio: RadioConfig,
    res_m: float,
    rows_per_site: NDArray[np.int64] | None = None,
) -> list[slice]:
    """Runs of sites whose power matrices hold about :data:`CHUNK_PAIRS` pairs together.

    A site counts π R² / res² pairs per row (``rows_per_site``: its servers, 1 when None).
    """
    from planner.radio.budget import link_budget

    est = np.zeros(x.size, dtype=np.float64)
    for c in ("macro", "micro"):
        sel = np.flatnonzero(cls == c)
        if sel.size == 0:
            continue
        lb = link_budget(radio, c)
        heights, inv = np.unique(h[sel], return_inverse=True)
        r = np.array([lb.max_radius_m(float(v)) for v in heights])
        est[sel] = (np.pi * r**2 / res_m**2)[inv]
    if rows_per_site is not None:
        est *= rows_per_site
    out: list[slice] = []
    start, acc = 0, 0.0
    for i, e in enumerate(est.tolist()):
        if acc > 0 and acc + e > CHUNK_PAIRS:
            out.append(slice(start, i))
            start, acc = i, 0.0
        acc += e
    out.append(slice(start, x.size))
    return out


@dataclass(frozen=True)
class Servers:
    """The servers (cells, one SSB each) of a set of sites: one per sector, one per omni site.

    ``site`` maps each server to its site (index into the sites given); the arrays are the
    site's, repeated per sector; ``azimuths`` holds each server's single bearing (None: omni).
    """

    site: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    h: NDArray[np.float64]
    cls: NDArray[np.str_]
    azimuths: list[tuple[float, ...] | None] | None
    tilt: NDArray[np.float64] | None


def sector_servers(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    h: NDArray[np.float64],
    cls: NDArray[np.str_],
    radio: RadioConfig,
    site_azimuths: Sequence[Sequence[float] | None] | None = None,
    site_tilt_deg: NDArray[np.float64] | None = None,
) -> Servers:
    """Split sectorised sites into one server per sector (each sector is a cell with its own SSB).

    With ``radio.antenna = "sectors"`` a site of a sectorised class (or with its own bearings)
    becomes one server per bearing, each with that single bearing; the other sectors of the same
    site then interfere with it, as on air (TS 38.215 §5.1.5: all other cells' power in the SSB's
    resource elements). Omni sites, and every site with ``radio.antenna = "omni"``, stay one server.
    """
    n = x.size
    own_az = (
        None if site_azimuths is None else [None if a is None else tuple(float(v) for v in a) for a in site_azimuths]
    )
    if own_az is not None and len(own_az) != n:
        raise ValueError("site_azimuths must have one entry per site")
    if radio.antenna != "sectors":
        return Servers(np.arange(n, dtype=np.int64), x, y, h, cls, own_az, site_tilt_deg)
    ants = {"macro": radio.macro_antenna, "micro": radio.micro_antenna}
    site: list[int] = []
    az: list[tuple[float, ...] | None] = []
    for i in range(n):
        own = None if own_az is None else own_az[i]
        bearings = own if own else ants[str(cls[i])].bearings()
        if not bearings:
            site.append(i)
            az.append(None)
            continue
        site.extend([i] * len(bearings))
        az.extend((b,) for b in bearings)
    idx = np.asarray(site, dtype=np.int64)
    tilt = None if site_tilt_deg is None else np.asarray(site_tilt_deg, dtype=np.float64)[idx]
    return Servers(idx, x[idx], y[idx], h[idx], cls[idx], az, tilt)


def median_radio(radio: RadioConfig) -> tuple[RadioConfig, float, float]:
    """The radio settings of the received-power matrices, the noise per RE and the floor (dBm).

    Median powers (``edge_probability = 0.5``: no shadowing margin), the reach down to
    ``N − 10 dB`` (:data:`FLOOR_BELOW_NOISE_DB`), the downlink budget only; see the module
    docstring. Shared by :func:`plan_sinr` and the repair loop (:mod:`planner.stages.sinr_repair`).
    """
    band = resolve_band(radio)
    noise = noise_per_re_dbm(band.scs_khz, radio.noise_figure_db)
    floor = noise - FLOOR_BELOW_NOISE_DB
    clear = "mixture" if radio.terrain_clear == "mixture" else "probability"
    median = radio.model_copy(
        update={"edge_probability": 0.5, "threshold_dbm": floor, "terrain_clear": clear, "uplink": False}
    )  # received powers: the downlink budget
    return median, noise, floor


def plan_sinr(
    grid: Grid,
    x_m: ArrayLike,
    y_m: ArrayLike,
    h_m: ArrayLike,
    site_class: ArrayLike,
    radio: RadioConfig,
    cell_mask: NDArray[np.bool_] | None = None,
    terrain: Terrain | None = None,
    *,
    site_azimuths: Sequence[Sequence[float] | None] | None = None,
    site_tilt_deg: ArrayLike | None = None,
    cell_penetration_db: NDArray[np.float64] | None = None,
    threads: int = 1,
) -> SinrResult:
    """SS-SINR and overlap of a set of transmitting sites over the grid (layer 3).

    Builds the median received-power matrix of the sites down to ``N − 10 dB`` (see the module
    docstring for why, and for the approximation) in chunks of sites of about
    :data:`CHUNK_PAIRS` server–cell pairs, so memory stays bounded at city scale. Each chunk's path
    losses are built once per site (omni) and copied per sector with that sector's gain
    (:mod:`planner.radio.sinr_powers`: bit for bit the servers' own builds, 3× less path-loss work for a
    3-sector macro). One sweep sums the power and keeps the best server per cell; it also keeps
    the pairs that can count in the overlap (within ``overlap_window_db`` of a best that reaches
    ``threshold_dbm``, i.e. ≥ threshold − window: a few % of the pairs), which a second pass
    counts against the final best, with no chunk built twice. With terrain, cells the DSM leaves clear use the
    expected loss under the LOS probability (or the mixture median with ``terrain_clear =
    "mixture"``), never the pure LOS formula, which would reach ≈ 9 km at the noise floor.

    Parameters
    ----------
    grid : Grid
        The metric grid.
    x_m, y_m, h_m : array_like of float
        Site coordinates in the grid's CRS and antenna heights (m).
    site_class : array_like of str
        ``"macro"`` or ``"micro"`` per site.
    radio : RadioConfig
        The scenario's radio section (``noise_figure_db``, ``load_factor``,
        ``overlap_window_db``, ``threshold_dbm`` are read here).
    cell_mask : ndarray of bool, shape (ny, nx), optional
        Cells to evaluate (all when None).
    terrain : Terrain, optional
        As in :func:`planner.coverage.build_coverage`.
    site_azimuths, site_tilt_deg : optional
        Per site, its own sector bearings and mechanical tilt, as in
        :func:`planner.coverage.build_coverage` (:func:`planner.radio.antenna.antenna_overrides`).
    cell_penetration_db : ndarray of float, shape (ny, nx), optional
        Penetration loss per cell (dB; ``radio.penetration_by_class`` rasterised by
        :func:`planner.coverage.penetration.cell_penetration`), as the solve's coverage build
        used it; None: ``radio.penetration_loss_db`` everywhere. It changes the SINR where the
        noise counts (the wanted and the interfering powers lose the same dB).
    threads : int
        Chunks whose powers are built at the same time (threads; the kernels release the GIL).
        The result does not depend on it: the chunks are summed in order.
    """
    from planner.coverage.build import resolve_tilts

    t0 = time.perf_counter()
    median, noise, floor = median_radio(radio)
    clear = median.terrain_clear
    x = np.ascontiguousarray(x_m, dtype=np.float64).ravel()
    y = np.ascontiguousarray(y_m, dtype=np.float64).ravel()
    h = np.ascontiguousarray(h_m, dtype=np.float64).ravel()
    cls = np.asarray(site_class).astype(str).ravel()
    tilt = None if site_tilt_deg is None else np.asarray(site_tilt_deg, dtype=np.float64).ravel()
    srv = sector_servers(x, y, h, cls, radio, site_azimuths, tilt)  # one server per sector
    n_sites = x.size
    pen = None if cell_penetration_db is None else np.asarray(cell_penetration_db, dtype=np.float64)
    reach = median if pen is None else median.model_copy(update={"penetration_loss_db": float(pen.min())})
    per_site = np.bincount(srv.site, minlength=n_sites).astype(np.int64)
    parts = _chunks(x, h, cls, reach, float(grid.res), per_site)  # sized by the farthest reach (the lowest loss)
    # each site's path losses once (omni), then one row per server with its sector's gain (sinr_powers)
    omni = median.model_copy(update={"antenna": "omni"})
    srv_ptr = np.zeros(n_sites + 1, dtype=np.int64)
    np.cumsum(per_site, out=srv_ptr[1:])
    tilts = (
        resolve_tilts(srv.h, srv.cls, median, srv.tilt) if radio.antenna == "sectors" else None
    )  # as build_coverage resolves them per server

    total = np.zeros(grid.n_cells, dtype=np.float64)
    best = np.full(grid.n_cells, -np.inf, dtype=np.float64)
    window, thr = float(radio.overlap_window_db), float(radio.threshold_dbm)
    # only a pair within the window of a best ≥ thr counts in the overlap: keep those (a superset) from the
    # first sweep instead of rebuilding every chunk for the second
    keep_from = thr - window - 0.01
    kept_idx: list[NDArray[np.int64]] = []
    kept_val: list[NDArray[np.float32]] = []
    nnz, radius_max = 0, 0.0

    def powers(part: slice) -> tuple[tuple[NDArray[np.int64], NDArray[Any], NDArray[np.float32]], float]:
        (ip, idx, val), r_max = site_powers(grid, x[part], y[part], h[part], cls[part], omni, cell_mask, terrain, pen)
        if radio.antenna == "sectors" and tilts is not None:
            servers = slice(int(srv_ptr[part.start]), int(srv_ptr[part.stop]))
            ip, idx, val = server_rows(ip, idx, val, srv, servers, part.start, omni, tilts, grid)
        return (ip, idx, val), r_max

    # the chunks' powers on `threads` threads (numba kernels without the GIL), summed here in chunk order:
    # the same floating-point sums, hence the same bits, as one thread; at most `threads` + 1 chunks held
    for (ip, idx, val), r_max in _in_order(powers, parts, threads):
        radius_max = max(radius_max, r_max)
        accumulate_power(ip, idx, val, total, best)
        nnz += int(ip[-1])
        sel = val >= keep_from
        kept_idx.append(idx[sel].astype(np.int64))
        kept_val.append(val[sel])
    t1 = time.perf_counter()
    best_out, sinr = finish_sinr(total, best, float(radio.load_factor), 10.0 ** (noise / 10.0))
    overlap = np.zeros(grid.n_cells, dtype=np.uint8)
    k_idx = np.concatenate(kept_idx) if kept_idx else np.empty(0, dtype=np.int64)
    k_val = np.concatenate(kept_val) if kept_val else np.empty(0, dtype=np.float32)
    count_overlap(np.array([0, k_idx.size], dtype=np.int64), k_idx, k_val, best, window, thr, overlap)
    shape = (grid.ny, grid.nx)
    res = SinrResult(best_out.reshape(shape), sinr.reshape(shape), overlap.reshape(shape))
    res.meta = {
        "definition": "SS-SINR = P_best / (eta * sum of other sites + N), median powers per RE after penetration "
        "(TS 38.215 5.1.5); overlap = servers within the window of the best, where the best reaches "
        "the threshold",
        "noise_per_re_dbm": round(noise, 2),
        "noise_figure_db": radio.noise_figure_db,
        "load_factor": radio.load_factor,
        "overlap_window_db": radio.overlap_window_db,
        "sinr_min_db": radio.sinr_min_db,
        "polluted_servers": POLLUTED_SERVERS,
        "interference_floor_dbm": round(floor, 2),
        "approximation": "interference summed only from the plan's sites received above "
        f"N - {FLOOR_BELOW_NOISE_DB:g} dB (median power); no other operators or areas; "
        + (
            "each sector a server (its pattern gain; the site's other sectors interfere)"
            if radio.antenna == "sectors"
            else "omni sites (no antenna pattern)"
        )
        + (f"; terrain: blocked cells NLOS, clear cells {clear}" if terrain is not None else ""),
        "antenna": radio.antenna,
        "sites": int(n_sites),
        "servers": int(srv.site.size),
        "nnz": int(nnz),
        "chunks": len(parts),
        "radius_m_max": round(radius_max, 2),
        "timings_s": {"power_s": round(t1 - t0, 4), "sinr_overlap_s": round(time.perf_counter() - t1, 4)},
    }
    return res


def area_sinr_statistics(
    res: SinrResult,
    area_index: NDArray[np.integer[Any]],
    cell_mask: NDArray[np.bool_],
    names: list[str],
    *,
    sinr_min_db: float,
    n_rb: int,
    scs_khz: float,
) -> pd.DataFrame:
    """Per area: share of cells with SINR ≥ ``sinr_min_db``, polluted share, SINR percentiles, edge throughput.

    Shares are of the area's cells (a cell no site reaches counts as failing). ``area_index``
    (ny, nx) gives each cell's area (-1 none), as :class:`planner.geo.demand.DemandCells` does;
    a last row ``"all"`` covers every cell of ``cell_mask``.

    Returns
    -------
    DataFrame
        ``name, cells, sinr_ok`` (0–1), ``polluted`` (0–1), ``sinr_p5_db, sinr_median_db,
        edge_dl_mbps`` (throughput at the 5th-percentile SINR) and ``mean_overlap`` (over
        covered cells).
    """
    sinr = res.sinr_db.ravel()
    ov = res.overlap.ravel()
    mask = np.asarray(cell_mask, dtype=bool).ravel()
    aidx = np.asarray(area_index).ravel()
    groups = [(str(n), mask & (aidx == i)) for i, n in enumerate(names)] + [("all", mask)]
    rows = []
    for name, sel in groups:
        n = int(sel.sum())
        s = sinr[sel].astype(np.float64)
        s_fill = np.where(np.isfinite(s), s, -np.inf)
        o = ov[sel]
        if n:
            p5 = float(np.percentile(s_fill, 5, method="inverted_cdf"))  # no interpolation with -inf
            med = float(np.percentile(s_fill, 50, method="inverted_cdf"))
        else:
            p5 = med = float("nan")
        edge = float(dl_throughput_mbps(p5, n_rb, scs_khz)) if math.isfinite(p5) else 0.0 if n else float("nan")
        covered = o > 0
        rows.append(
            {
                "name": name,
                "cells": n,
                "sinr_ok": round(float((s_fill >= sinr_min_db).mean()), 6) if n else float("nan"),
                "polluted": round(float((o >= POLLUTED_SERVERS).mean()), 6) if n else float("nan"),
                "sinr_p5_db": round(p5, 2) if math.isfinite(p5) else None,
                "sinr_median_db": round(med, 2) if math.isfinite(med) else None,
                "edge_dl_mbps": round(edge, 1) if math.isfinite(edge) else None,
                "mean_overlap": round(float(o[covered].mean()), 3) if covered.any() else None,
            }
        )
    return pd.DataFrame(rows)


def attach_plan_sinr(plan: Plan, area_index: NDArray[np.integer[Any]], terrain: Terrain | None = None) -> None:
    """Compute the plan's SINR and overlap and attach them (the pipeline's hook after the plan stage).

    Sets ``plan.extras["sinr_db"]`` and ``plan.extras["overlap"]`` (rasters for ``sinr.tif`` and
    ``overlap.tif``) and ``plan.radio["interference"]`` (parameters, approximation, timings and
    ``areas``: the per-area table of :func:`area_sinr_statistics` as records; manifest and report).
    Each cell loses the penetration of its area's class (``radio.penetration_by_class``), as in the solve.
    """
    from planner.coverage.build import cell_penetration
    from planner.radio.antenna import antenna_overrides

    sites = plan.sites
    radio = plan.scenario.radio
    res = plan_sinr(
        plan.grid,
        sites["x_m"].to_numpy(np.float64),
        sites["y_m"].to_numpy(np.float64),
        sites["height_m"].to_numpy(np.float64),
        sites["site_class"].to_numpy(str),
        radio,
        cell_mask=plan.demand_mask,
        terrain=terrain,
        **antenna_overrides(sites),
        cell_penetration_db=cell_penetration(radio, area_index, plan.areas["class"].astype(str).tolist()),
        threads=max(1, min(plan.scenario.solver.workers, os.cpu_count() or 1)),  # the run's threads
    )
    band = resolve_band(plan.scenario.radio)
    table = area_sinr_statistics(
        res,
        area_index,
        plan.demand_mask,
        plan.areas["name"].astype(str).tolist(),
        sinr_min_db=plan.scenario.radio.sinr_min_db,
        n_rb=band.n_rb,
        scs_khz=band.scs_khz,
    )
    plan.extras["sinr_db"] = np.where(plan.demand_mask, res.sinr_db, np.float32(np.nan)).astype(np.float32)
    plan.extras["overlap"] = np.where(plan.demand_mask, res.overlap, 0).astype(np.uint8)
    plan.radio["interference"] = {**res.meta, "areas": table.to_dict(orient="records")}
