"""Why demand cannot be reached: out of range, line of sight blocked, or forbidden zone.

A demand row (grid cell) is *reachable* when at least ``k`` allowed candidates cover it.
For the others this module names the reason, in this order of precedence:

1. ``forbidden`` — enough candidates cover it, but some of them stand in 禁建/限建 zones;
2. ``blocked`` — with terrain, enough candidates are within their best-case (line-of-sight)
   radius, but the DSM blocks the line of sight so the NLOS signal is too weak;
3. ``out_of_range`` — fewer than ``k`` candidates are within reach even in line of sight.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner.coverage.terrain import Terrain, clear_mode
from planner.radio import link_budget
from planner.scenario import RadioConfig

#: reason codes per demand row
REACHABLE, FORBIDDEN, BLOCKED, OUT_OF_RANGE = 0, 1, 2, 3
REACH_REASONS: dict[int, str] = {FORBIDDEN: "forbidden", BLOCKED: "blocked", OUT_OF_RANGE: "out_of_range"}
#: deprecated alias of :data:`REACH_REASONS` (:data:`planner.optimize.analysis.ROW_REASONS`
#: names the model-level reasons)
REASONS = REACH_REASONS


def los_radius_m(
    radio: RadioConfig,
    site_class: Sequence[str] | NDArray[np.str_],
    h_m: NDArray[np.float64],
    terrain: Terrain | None = None,
) -> NDArray[np.float64]:
    """Coverage radius (m) of each candidate where the DSM is clear (``radio.terrain_clear``,
    with ``"auto"`` resolved on ``terrain`` by :func:`planner.coverage.terrain.clear_mode`).

    Parameters
    ----------
    radio : RadioConfig
        The scenario's link budget.
    site_class : array of str
        ``"macro"`` or ``"micro"`` per candidate.
    h_m : array of float
        Antenna heights above ground (m).
    terrain : Terrain, optional
        The run's terrain (resolves ``terrain_clear = "auto"``).
    """
    clear = clear_mode(radio.terrain_clear, terrain)
    cls = np.asarray(site_class).astype(str)
    h = np.asarray(h_m, dtype=np.float64)
    out = np.zeros(h.size, dtype=np.float64)
    for name in ("macro", "micro"):
        sel = cls == name
        if not sel.any():
            continue
        budget = link_budget(radio, name, terrain=True)
        heights, inverse = np.unique(h[sel], return_inverse=True)
        radii = np.array([budget.max_radius_m(float(v), clear) for v in heights], dtype=np.float64)
        out[sel] = radii[inverse]
    return out


def unreachable_reasons(
    a: sp.csr_matrix,
    row_k: NDArray[np.int64],
    forbidden: NDArray[np.bool_],
    *,
    row_xy: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    cand_xy: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    cand_radius_m: NDArray[np.float64] | None = None,
) -> NDArray[np.int8]:
    """Reason code per demand row (see the module docstring); 0 where the row is reachable.

    Parameters
    ----------
    a : csr_matrix, shape (rows, candidates)
        1 where the candidate covers the row (all candidates, forbidden ones included).
    row_k : array of int
        Sites required per row.
    forbidden : array of bool
        Candidates in 禁建/限建 zones.
    row_xy, cand_xy : pairs of float arrays, optional
        Row (cell centre) and candidate coordinates (m) in the grid's CRS; with
        ``cand_radius_m`` they separate ``blocked`` from ``out_of_range`` (terrain runs).
    cand_radius_m : array of float, optional
        Best-case (line-of-sight) radius of each candidate (m).
    """
    k = np.asarray(row_k, dtype=np.int64)
    allowed = np.flatnonzero(~np.asarray(forbidden, dtype=bool))
    n_allowed = np.asarray(a[:, allowed].sum(axis=1)).ravel()
    n_all = np.asarray(a.sum(axis=1)).ravel()
    reason = np.zeros(a.shape[0], dtype=np.int8)
    short = n_allowed < k
    reason[short & (n_all >= k)] = FORBIDDEN
    rest = np.flatnonzero(short & (n_all < k))
    reason[rest] = OUT_OF_RANGE
    if rest.size and row_xy is not None and cand_xy is not None and cand_radius_m is not None and allowed.size:
        cx, cy = cand_xy[0][allowed], cand_xy[1][allowed]
        rad = np.asarray(cand_radius_m, dtype=np.float64)[allowed]
        tree = cKDTree(np.column_stack([cx, cy]))
        px, py = row_xy[0][rest], row_xy[1][rest]
        hits = tree.query_ball_point(np.column_stack([px, py]), r=float(rad.max()))
        for pos, near in enumerate(hits):
            if not near:
                continue
            near_arr = np.asarray(near, dtype=np.int64)
            d2 = (cx[near_arr] - px[pos]) ** 2 + (cy[near_arr] - py[pos]) ** 2
            if int((d2 <= rad[near_arr] ** 2).sum()) >= k[rest[pos]]:
                reason[rest[pos]] = BLOCKED
    return reason


def reason_shares(
    reason: NDArray[np.int8], row_area: NDArray[np.int64], row_weight: NDArray[np.float64], n_areas: int
) -> dict[str, NDArray[np.float64]]:
    """Share (0–1) of each area's demand weight that is unreachable, per reason."""
    total = np.bincount(row_area, weights=row_weight, minlength=n_areas)
    out: dict[str, NDArray[np.float64]] = {}
    for code, name in REACH_REASONS.items():
        w = np.bincount(row_area, weights=row_weight * (reason == code), minlength=n_areas)
        out[name] = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    return out
