"""``build_coverage``: the sparse coverage matrix of candidate sites over the demand grid."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kernels import coverage as _cov
from kernels import pathloss as _pl
from planner._resources import check_coverage_memory
from planner.coverage.grid import Grid
from planner.coverage.matrix import CoverageMatrix
from planner.coverage.terrain import clear_mode
from planner.radio.budget import LOS_MODES, LinkBudget, link_budget
from planner.scenario import RadioConfig

if TYPE_CHECKING:
    from planner.coverage.terrain import Terrain

log = logging.getLogger(__name__)

#: with terrain, sites are processed in chunks whose bounding boxes hold at most this many
#: cells: the status scratch (1 byte per cell) stays under 32 MiB
CHUNK_BOX_CELLS = 1 << 25
SITE_CLASSES = ("macro", "micro")
#: how the LOS and NLOS losses are combined without terrain (manifest)
_LOS_AVERAGING = {"probability": "expected loss in dB", "mixture": "edge-probability quantile of the LOS/NLOS mixture"}


def _site_radii(
    cls: NDArray[np.int64], h: NDArray[np.float64], links: list[LinkBudget], radio: RadioConfig, mode: str
) -> NDArray[np.float64]:
    """Radius (m; −1 = covers nothing) of each site: its link budget inverted by bisection.

    ``cls`` indexes ``links``; the bisection runs once per distinct (class, height), since
    candidate files repeat a few pole and tower heights (the demo: 29 heights, 34,673 poles).
    """
    out = np.empty(h.size, dtype=np.float64)
    for i, lb in enumerate(links):
        sel = np.flatnonzero(cls == i)
        if sel.size == 0:
            continue
        uh, inv = np.unique(h[sel], return_inverse=True)
        k = uh.size
        r = _pl.max_radius_array(
            LOS_MODES[mode],
            np.full(k, lb.model_code, dtype=np.int64),
            lb.fc_ghz,
            uh,
            float(radio.ue_height_m),
            np.full(k, lb.shadow_margin_los_db),
            np.full(k, lb.shadow_margin_nlos_db),
            float(radio.rma_street_width_m),
            float(radio.rma_building_height_m),
            np.full(k, lb.budget_db - float(radio.threshold_dbm)),
            np.full(k, lb.sigma_los_db),
            np.full(k, lb.sigma_nlos_db),
            float(lb.edge_probability),
        )
        out[sel] = r[inv]
    return out


#: the rule behind ``tilt_deg = "auto"`` (manifest)
AUTO_TILT_RULE = (
    "arctan((h - h_UT) / R) + hpbw_v / 2 - electrical tilt: the upper -3 dB edge of the vertical beam "
    "on the cell edge, R = the site's omni link-budget radius under radio.los without terrain"
)


def _antenna_meta(radio: RadioConfig, site_class: str, tilts: NDArray[np.float64]) -> dict[str, Any]:
    ant = radio.macro_antenna if site_class == "macro" else radio.micro_antenna
    if ant.omni:
        return {"omni": True}
    out: dict[str, Any] = {
        "azimuths_deg": list(ant.bearings()),
        "tilt_deg": ant.tilt_deg,
        "electrical_tilt_deg": ant.electrical_tilt_deg,
        "hpbw_h_deg": ant.hpbw_h_deg,
        "hpbw_v_deg": ant.hpbw_v_deg,
        "sla_v_db": ant.sla_v_db,
        "front_to_back_db": ant.front_to_back_db,
        "pattern": "3GPP TR 38.901 Table 7.3-1, rotation eq. 7.1-7/7.1-8",
    }
    if ant.tilt_deg == "auto":
        out["tilt_rule"] = AUTO_TILT_RULE
    if tilts.size:
        out["mechanical_tilt_deg_range"] = [round(float(tilts.min()), 2), round(float(tilts.max()), 2)]
    return out


def resolve_tilts(
    h_m: ArrayLike, site_class: ArrayLike, radio: RadioConfig, site_tilt_deg: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Mechanical downtilt (degrees, positive down) of each site.

    A site's own tilt (``site_tilt_deg[i]``, not NaN: the candidate column ``tilt_deg``) wins,
    else its class's ``tilt_deg``. ``"auto"`` is the planning rule that puts the upper −3 dB
    edge of the vertical beam on the cell edge, tilt = arctan((h − h_UT) / R) + θ3dB_V / 2, less
    the class's electrical tilt (the rule sets the total), with R the site's omni radius of the
    scenario's design link budget (:meth:`RadioConfig.design_radio`: a copy with another threshold,
    edge probability or penetration keeps the design's) under ``radio.los`` without terrain, so
    every build of the scenario, the SINR's included, tilts alike. Sources: the RF-planning formula
    下倾角 = arctan(H/D) + θ/2 (e.g. http://ee.mweda.com/rd/63432.html), "upper −3 dB point onto
    the cell range" (https://www.erlang.com/reply/53194/).

    Parameters
    ----------
    h_m : array_like of float
        Antenna heights above ground (m).
    site_class : array_like of str
        ``"macro"`` or ``"micro"`` per site.
    radio : RadioConfig
        The scenario's ``[radio]`` section.
    site_tilt_deg : array_like of float, optional
        Per site, its own mechanical tilt (degrees; NaN keeps the class's).

    Returns
    -------
    ndarray of float64
        One tilt per site (degrees).
    """
    h = np.ascontiguousarray(h_m, dtype=np.float64).ravel()
    cls = (np.asarray(site_class).astype(str).ravel() == "micro").astype(np.int64)
    ants = [radio.macro_antenna, radio.micro_antenna]
    out = np.zeros(h.size, dtype=np.float64)
    auto = np.zeros(h.size, dtype=np.float64)
    if any(a.tilt_deg == "auto" for a in ants):
        design = radio.design_radio()
        links = [link_budget(design, c, terrain=False) for c in SITE_CLASSES]
        r = np.maximum(_site_radii(cls, h, links, design, design.los), 1.0)
        auto = np.degrees(np.arctan2(h - float(radio.ue_height_m), r))
    for i, ant in enumerate(ants):
        sel = cls == i
        if ant.tilt_deg == "auto":
            out[sel] = auto[sel] + 0.5 * float(ant.hpbw_v_deg) - float(ant.electrical_tilt_deg)
        else:
            out[sel] = float(ant.tilt_deg)
    if site_tilt_deg is not None:
        own = np.asarray(site_tilt_deg, dtype=np.float64).ravel()
        if own.size != h.size:
            raise ValueError("site_tilt_deg must have one entry per site")
        out = np.where(np.isfinite(own), own, out)
    return out


def _sectorise(
    indptr: NDArray[np.int64],
    indices: NDArray[np.integer[Any]],
    rsrp: NDArray[np.float32],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    h: NDArray[np.float64],
    cls: NDArray[np.int64],
    radio: RadioConfig,
    g: tuple[float, float, float, int, int],
    site_azimuths: Sequence[Sequence[float] | None] | None,
    tilt_deg: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.integer[Any]], NDArray[np.float32]]:
    """The omni CSR with each cell's best-sector gain added and the cells below the threshold dropped.

    The omni radius stays the outer bound (the pattern gain is ≤ 0 dB); angles use flat ground
    (UE height − antenna height), not the DEM. A site's own bearings (``site_azimuths[i]``, not
    None) replace its class's; ``tilt_deg`` is each site's mechanical tilt (:func:`resolve_tilts`).
    """
    ants = [radio.macro_antenna, radio.micro_antenna]
    bearings = [np.radians(np.asarray(a.bearings(), dtype=np.float64)) for a in ants]
    per_site_az = [bearings[c] for c in cls.tolist()]
    if site_azimuths is not None:
        for i, own in enumerate(site_azimuths):
            if own is not None and len(own):
                per_site_az[i] = np.radians(np.asarray(own, dtype=np.float64))
    n_az = np.array([b.size for b in per_site_az], dtype=np.int64)
    az_ptr = np.zeros(x.size + 1, dtype=np.int64)
    np.cumsum(n_az, out=az_ptr[1:])
    az = np.concatenate(per_site_az) if x.size else np.empty(0)

    # per-class parameters, spread per site
    def per_site(attr: str) -> NDArray[np.float64]:
        return np.array([float(getattr(a, attr)) for a in ants], dtype=np.float64)[cls]

    tilt = np.radians(tilt_deg)
    out_indptr = np.empty_like(indptr)
    out_indices = np.empty_like(indices)
    out_rsrp = np.empty_like(rsrp)
    x0, y0, res, nx, _ = g
    _cov.apply_sectors(
        indptr,
        indices,
        rsrp,
        x,
        y,
        float(radio.ue_height_m) - h,
        az_ptr,
        np.cos(az),
        np.sin(az),
        np.cos(tilt),
        np.sin(tilt),
        per_site("electrical_tilt_deg"),
        per_site("hpbw_h_deg"),
        per_site("hpbw_v_deg"),
        per_site("sla_v_db"),
        per_site("front_to_back_db"),
        float(radio.threshold_dbm),
        x0,
        y0,
        res,
        nx,
        out_indptr,
        out_indices,
        out_rsrp,
    )
    nnz = int(out_indptr[-1])
    return out_indptr, out_indices[:nnz].copy(), out_rsrp[:nnz].copy()


def site_arrays(
    x_m: ArrayLike, y_m: ArrayLike, h_m: ArrayLike, site_class: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.str_]]:
    """The sites' coordinates (m), antenna heights (m) and classes as flat arrays of one length.

    Raises
    ------
    ValueError
        When the four have different lengths.
    """
    x = np.ascontiguousarray(x_m, dtype=np.float64).ravel()
    y = np.ascontiguousarray(y_m, dtype=np.float64).ravel()
    h = np.ascontiguousarray(h_m, dtype=np.float64).ravel()
    sc = np.asarray(site_class).astype(str).ravel()
    n = x.size
    if not (y.size == n and h.size == n and sc.size == n):
        raise ValueError("x_m, y_m, h_m and site_class must have the same length")
    return x, y, h, sc


def build_coverage(
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
    cell_penetration_db: ArrayLike | None = None,
) -> CoverageMatrix:
    """Coverage of every candidate site over the grid's demand cells (RSRP ≥ threshold).

    Parameters
    ----------
    grid : Grid
        The metric grid.
    x_m, y_m : array_like of float
        Site coordinates in the grid's CRS (m).
    h_m : array_like of float
        Antenna heights above ground (m).
    site_class : array_like of str
        ``"macro"`` or ``"micro"`` per site (selects the link budget and model).
    radio : RadioConfig
        The scenario's ``[radio]`` section.
    cell_mask : ndarray of bool, shape (ny, nx), optional
        Demand cells; only these appear in the matrix (all cells when None).
    terrain : Terrain, optional
        DEM + buildings on the grid; LOS is then ray-marched per cell and ``radio.los`` is
        ignored: blocked cells use NLOS, clear cells ``radio.terrain_clear``. Without it, ``radio.los`` picks the
        expected loss under the LOS probability (``"probability"``, averaged in dB: fast, optimistic), the
        ``edge_probability`` quantile of the LOS/NLOS shadowing mixture (``"mixture"``: exact, slower fill) or
        all-NLOS (``"nlos"``: conservative).
    site_azimuths : sequence of (sequence of float or None), optional
        Per site, its own sector bearings (compass degrees, e.g. from the candidate column
        ``azimuth_deg``); None keeps the class's. Used with ``radio.antenna = "sectors"`` only.
    site_tilt_deg : array_like of float, optional
        Per site, its own mechanical downtilt (degrees; NaN keeps the class's). Same condition.
    cell_penetration_db : array_like of float, shape (ny, nx), optional
        Per cell, the penetration loss (dB) in place of ``radio.penetration_loss_db``
        (``radio.penetration_by_class`` rasterised,
        :func:`planner.coverage.penetration.cell_penetration`). The cells of each distinct value
        are built as one pass with that loss (its own, larger radius for a lower loss) and the
        rows joined; a grid of one value is one plain build.

    Returns
    -------
    CoverageMatrix
        CSR rows in the order of the sites; ``meta`` records the model, parameters, counts and
        timings.
    """
    if cell_penetration_db is not None:
        from planner.coverage.penetration import build_by_penetration

        return build_by_penetration(
            build_coverage,
            resolve_tilts,
            grid,
            x_m,
            y_m,
            h_m,
            site_class,
            radio,
            cell_mask,
            terrain,
            site_azimuths,
            site_tilt_deg,
            cell_penetration_db,
        )
    t_start = time.perf_counter()
    x, y, h, sc = site_arrays(x_m, y_m, h_m, site_class)
    n = x.size
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(h).all()):
        raise ValueError("site coordinates and heights must be finite")
    bad = ~np.isin(sc, SITE_CLASSES)
    if bad.any():
        raise ValueError(f"unknown site class {sc[bad][0]!r}; use 'macro' or 'micro'")
    if cell_mask is None:
        mask = np.ones(grid.n_cells, dtype=np.bool_)
    else:
        cm = np.asarray(cell_mask, dtype=np.bool_)
        if cm.shape != (grid.ny, grid.nx):
            raise ValueError(f"cell_mask has shape {cm.shape}, expected {(grid.ny, grid.nx)}")
        mask = np.ascontiguousarray(cm.ravel())
    links = [link_budget(radio, c, terrain=terrain is not None) for c in SITE_CLASSES]
    cls = (sc == "micro").astype(np.int64)
    model = np.array([lb.model_code for lb in links], dtype=np.int64)[cls]
    budget = np.array([lb.budget_db for lb in links])[cls]
    m_los = np.array([lb.shadow_margin_los_db for lb in links])[cls]
    m_nlos = np.array([lb.shadow_margin_nlos_db for lb in links])[cls]
    s_los = np.array([lb.sigma_los_db for lb in links])[cls]
    s_nlos = np.array([lb.sigma_nlos_db for lb in links])[cls]
    q_edge = float(radio.edge_probability)
    fc = links[0].fc_ghz
    hut = float(radio.ue_height_m)
    w, hb = float(radio.rma_street_width_m), float(radio.rma_building_height_m)
    g = (float(grid.x0), float(grid.y0), float(grid.res), int(grid.nx), int(grid.ny))
    timings: dict[str, float] = {}
    # flat cell indices: int32 while they fit (half the memory and writes), else int64
    idx_dtype: Any = np.int32 if grid.n_cells < 2**31 - 1 else np.int64

    t0 = time.perf_counter()
    if terrain is None:
        radius = _site_radii(cls, h, links, radio, radio.los)
        timings["radius_s"] = time.perf_counter() - t0
        check_coverage_memory(radius, grid.res, grid.n_cells, int(mask.sum()))  # refuse before allocating
        t0 = time.perf_counter()
        counts = _cov.count_disk(x, y, radius, *g, mask)
        timings["count_s"] = time.perf_counter() - t0
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = np.empty(int(indptr[-1]), dtype=idx_dtype)
        rsrp = np.empty(int(indptr[-1]), dtype=np.float32)
        t0 = time.perf_counter()
        _cov.fill_disk(
            x,
            y,
            radius,
            h,
            model,
            budget,
            m_los,
            m_nlos,
            s_los,
            s_nlos,
            q_edge,
            LOS_MODES[radio.los],
            fc,
            hut,
            w,
            hb,
            *g,
            mask,
            indptr,
            indices,
            rsrp,
        )
        timings["fill_s"] = time.perf_counter() - t0
        n_chunks = 1
    else:
        terrain.check_grid(grid)
        clear = clear_mode(radio.terrain_clear, terrain)
        radius = _site_radii(cls, h, links, radio, clear)
        radius_nlos = _site_radii(cls, h, links, radio, "nlos")
        timings["radius_s"] = time.perf_counter() - t0
        check_coverage_memory(radius, grid.res, grid.n_cells, int(mask.sum()))  # refuse before allocating
        dsm = terrain.dsm
        dem = terrain.dem
        box = _cov.bbox_sizes(x, y, radius, *g)
        parts_idx: list[NDArray[np.integer[Any]]] = []
        parts_rsrp: list[NDArray[np.float32]] = []
        counts = np.zeros(n, dtype=np.int64)
        timings["count_s"] = timings["fill_s"] = 0.0
        start = 0
        n_chunks = 0
        scratch = np.empty(0, dtype=np.uint8)
        while start < n:
            csum = np.cumsum(box[start:])
            stop = start + max(1, int(np.searchsorted(csum, CHUNK_BOX_CELLS, side="right")))
            sl = slice(start, stop)
            off = np.zeros(stop - start, dtype=np.int64)
            if stop - start > 1:
                np.cumsum(box[start : stop - 1], out=off[1:])
            need = int(box[sl].sum())
            if scratch.size < need:
                scratch = np.empty(need, dtype=np.uint8)
            t0 = time.perf_counter()
            c = _cov.count_terrain(
                x[sl], y[sl], radius[sl], radius_nlos[sl], h[sl], hut, *g, mask, dsm, dem, off, scratch
            )
            timings["count_s"] += time.perf_counter() - t0
            ip = np.zeros(c.size + 1, dtype=np.int64)
            np.cumsum(c, out=ip[1:])
            idx = np.empty(int(ip[-1]), dtype=idx_dtype)
            val = np.empty(int(ip[-1]), dtype=np.float32)
            t0 = time.perf_counter()
            _cov.fill_terrain(
                x[sl],
                y[sl],
                radius[sl],
                h[sl],
                model[sl],
                budget[sl],
                m_los[sl],
                m_nlos[sl],
                s_los[sl],
                s_nlos[sl],
                q_edge,
                fc,
                hut,
                w,
                hb,
                *g,
                off,
                scratch,
                ip,
                idx,
                val,
                LOS_MODES[clear],
            )
            timings["fill_s"] += time.perf_counter() - t0
            counts[sl] = c
            parts_idx.append(idx)
            parts_rsrp.append(val)
            start = stop
            n_chunks += 1
        del scratch
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        indices = np.concatenate(parts_idx) if parts_idx else np.empty(0, dtype=idx_dtype)
        rsrp = np.concatenate(parts_rsrp) if parts_rsrp else np.empty(0, dtype=np.float32)
    antenna: dict[str, Any] = {"mode": "omni"}
    if radio.antenna == "sectors":
        t0 = time.perf_counter()
        n_before = int(indptr[-1])
        own = None if site_tilt_deg is None else np.asarray(site_tilt_deg, dtype=np.float64).ravel()
        if (site_azimuths is not None and len(site_azimuths) != n) or (own is not None and own.size != n):
            raise ValueError("site_azimuths and site_tilt_deg must have one entry per site")
        tilts = resolve_tilts(h, sc, radio, own)
        indptr, indices, rsrp = _sectorise(indptr, indices, rsrp, x, y, h, cls, radio, g, site_azimuths, tilts)
        timings["sectors_s"] = time.perf_counter() - t0
        antenna = {
            "mode": "sectors",
            "pairs_dropped": n_before - int(indptr[-1]),
            **{c: _antenna_meta(radio, c, tilts[cls == i]) for i, c in enumerate(SITE_CLASSES)},
        }
    timings["total_s"] = time.perf_counter() - t_start
    meta: dict[str, Any] = {
        "antenna": antenna,
        "engine": "kernels.coverage two-pass CSR (count, fill)",
        "band": links[0].band.name,
        "fc_ghz": fc,
        "threshold_dbm": float(radio.threshold_dbm),
        "los": f"terrain ray-march (clear cells: {clear_mode(radio.terrain_clear, terrain)})"
        if terrain is not None
        else radio.los,
        "los_averaging": _LOS_AVERAGING.get(radio.los) if terrain is None else None,
        "models": {c: links[i].model for i, c in enumerate(SITE_CLASSES)},
        "link_budgets": {c: links[i].as_dict() for i, c in enumerate(SITE_CLASSES)},
        "n_sites": int(n),
        "n_sites_by_class": {c: int((cls == i).sum()) for i, c in enumerate(SITE_CLASSES)},
        "n_cells": int(grid.n_cells),
        "index_dtype": np.dtype(idx_dtype).name,
        "n_demand_cells": int(mask.sum()),
        "nnz": int(indptr[-1]),
        "cells_per_site_mean": round(float(indptr[-1]) / n, 2) if n else 0.0,
        "radius_m_max": round(float(radius.max()), 2) if n else 0.0,
        "chunks": n_chunks,
        "terrain": terrain.meta if terrain is not None else None,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    log.info("coverage: %d sites, %d site-cell pairs in %.2f s", n, meta["nnz"], timings["total_s"])
    return CoverageMatrix(grid, indptr, indices, rsrp, meta)


def cell_penetration(
    radio: RadioConfig, area_index: NDArray[np.integer[Any]], area_classes: Sequence[str]
) -> NDArray[np.float64] | None:
    """:func:`planner.coverage.penetration.cell_penetration` (kept here for its callers)."""
    from planner.coverage.penetration import cell_penetration as _cell_penetration

    return _cell_penetration(radio, area_index, area_classes)


def coverage_radii(
    h_m: ArrayLike,
    site_class: ArrayLike,
    radio: RadioConfig,
    terrain: Terrain | None = None,
    cell_penetration_db: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Outer coverage radius (m; −1 = covers nothing) of each site, the one :func:`build_coverage` uses.

    The Dask backend's halo (:mod:`planner.coverage.dask_backend`) is the largest of them. With
    ``cell_penetration_db`` the radius is that of its lowest loss (the farthest any cell is covered).
    """
    if cell_penetration_db is not None:
        low = float(np.min(cell_penetration_db))
        if low != float(radio.penetration_loss_db):
            radio = radio.model_copy(update={"penetration_loss_db": low})
    h = np.ascontiguousarray(h_m, dtype=np.float64).ravel()
    cls = (np.asarray(site_class).astype(str).ravel() == "micro").astype(np.int64)
    links = [link_budget(radio, c, terrain=terrain is not None) for c in SITE_CLASSES]
    mode = radio.los if terrain is None else clear_mode(radio.terrain_clear, terrain)
    return _site_radii(cls, h, links, radio, mode)
