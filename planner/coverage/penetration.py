"""Penetration loss per priority class (``radio.penetration_by_class``) in the coverage build.

:func:`cell_penetration` rasterises the class table onto the grid; :func:`build_by_penetration`
(called by :func:`planner.coverage.build.build_coverage` when given ``cell_penetration_db``) builds
the cells of each distinct loss as one pass with that loss, with the tilts of the design budget,
and joins the rows (:func:`kernels.coverage.merge_rows`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kernels import coverage as _cov
from planner.coverage.grid import Grid
from planner.coverage.matrix import CoverageMatrix
from planner.scenario import RadioConfig

if TYPE_CHECKING:
    from planner.coverage.terrain import Terrain


def cell_penetration(
    radio: RadioConfig, area_index: NDArray[np.integer[Any]], area_classes: Sequence[str]
) -> NDArray[np.float64] | None:
    """Per cell, the penetration loss (dB) of its priority area's class (``radio.penetration_by_class``).

    ``area_index`` (ny, nx) holds each cell's area row (−1: none) and ``area_classes`` the class
    of each area row. Cells of no area and of classes not listed get ``radio.penetration_loss_db``.
    None when every cell has that default (the plain build).
    """
    default = float(radio.penetration_loss_db)
    per_area = np.array([radio.penetration_of(c) for c in area_classes] + [default], dtype=np.float64)
    if np.all(per_area == default):
        return None
    idx = np.asarray(area_index)
    return per_area[np.where(idx >= 0, idx, len(area_classes))]


def build_by_penetration(
    build_coverage: Callable[..., CoverageMatrix],
    resolve_tilts: Callable[..., NDArray[np.float64]],
    grid: Grid,
    x_m: ArrayLike,
    y_m: ArrayLike,
    h_m: ArrayLike,
    site_class: ArrayLike,
    radio: RadioConfig,
    cell_mask: NDArray[np.bool_] | None,
    terrain: Terrain | None,
    site_azimuths: Sequence[Sequence[float] | None] | None,
    site_tilt_deg: ArrayLike | None,
    cell_penetration_db: ArrayLike,
) -> CoverageMatrix:
    """``build_coverage`` with a penetration loss per cell: one build per distinct loss, rows joined.

    ``build_coverage`` and ``resolve_tilts`` are those of :mod:`planner.coverage.build` (passed in:
    that module calls this one, and the modules of a package import in one direction only).
    """
    t_start = time.perf_counter()
    pen = np.asarray(cell_penetration_db, dtype=np.float64)
    if pen.shape != (grid.ny, grid.nx):
        raise ValueError(f"cell_penetration_db has shape {pen.shape}, expected {(grid.ny, grid.nx)}")
    if not (np.isfinite(pen).all() and (pen >= 0).all()):
        raise ValueError("cell_penetration_db must be finite and >= 0 (dB)")
    mask = np.ones((grid.ny, grid.nx), dtype=np.bool_) if cell_mask is None else np.asarray(cell_mask, dtype=np.bool_)
    if mask.shape != (grid.ny, grid.nx):
        raise ValueError(f"cell_mask has shape {mask.shape}, expected {(grid.ny, grid.nx)}")
    default = float(radio.penetration_loss_db)
    levels = np.unique(pen[mask])
    if levels.size <= 1:  # one loss everywhere: the plain build with it
        one = (
            radio
            if not levels.size or float(levels[0]) == default
            else radio.model_copy(update={"penetration_loss_db": float(levels[0])})
        )
        return build_coverage(
            grid,
            x_m,
            y_m,
            h_m,
            site_class,
            one,
            cell_mask,
            terrain,
            site_azimuths=site_azimuths,
            site_tilt_deg=site_tilt_deg,
        )
    # the tilts of the design budget (radio.penetration_loss_db), the same in every pass
    tilts = resolve_tilts(h_m, site_class, radio, site_tilt_deg) if radio.antenna == "sectors" else site_tilt_deg
    merged: CoverageMatrix | None = None
    parts: list[dict[str, Any]] = []
    main_meta: dict[str, Any] = {}
    timings: dict[str, float] = {}
    dropped = 0
    for p in levels.tolist():
        r_p = radio if p == default else radio.model_copy(update={"penetration_loss_db": float(p)})
        sub = build_coverage(
            grid,
            x_m,
            y_m,
            h_m,
            site_class,
            r_p,
            mask & (pen == p),
            terrain,
            site_azimuths=site_azimuths,
            site_tilt_deg=tilts,
        )
        parts.append(
            {
                "penetration_loss_db": float(p),
                "n_demand_cells": int(sub.meta["n_demand_cells"]),
                "nnz": int(sub.nnz),
                "radius_m_max": sub.meta["radius_m_max"],
            }
        )
        for k, v in sub.meta["timings_s"].items():
            timings[k] = timings.get(k, 0.0) + float(v)
        dropped += int(sub.meta["antenna"].get("pairs_dropped", 0))
        if p == default or not main_meta:
            main_meta = dict(sub.meta)
        if merged is None:
            merged = sub
            continue
        n = sub.n_sites
        total = merged.nnz + sub.nnz
        ip = np.empty(n + 1, dtype=np.int64)
        idx = np.empty(total, dtype=merged.indices.dtype)
        val = np.empty(total, dtype=np.float32)
        _cov.merge_rows(merged.indptr, merged.indices, merged.rsrp, sub.indptr, sub.indices, sub.rsrp, ip, idx, val)
        merged = CoverageMatrix(grid, ip, idx, val, {})
    assert merged is not None
    n_sites = merged.n_sites
    main_meta.update(
        {
            "penetration": {"default_db": default, "by_class": dict(radio.penetration_by_class), "passes": parts},
            "n_demand_cells": int(mask.sum()),
            "nnz": int(merged.nnz),
            "cells_per_site_mean": round(float(merged.nnz) / n_sites, 2) if n_sites else 0.0,
            "radius_m_max": max(float(q["radius_m_max"]) for q in parts),
            "timings_s": {
                **{k: round(v, 4) for k, v in timings.items()},
                "total_s": round(time.perf_counter() - t_start, 4),
            },
        }
    )
    if isinstance(main_meta.get("antenna"), dict) and "pairs_dropped" in main_meta["antenna"]:
        main_meta["antenna"] = {**main_meta["antenna"], "pairs_dropped": dropped}
    return CoverageMatrix(grid, merged.indptr, merged.indices, merged.rsrp, main_meta)
