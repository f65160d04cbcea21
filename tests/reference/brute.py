"""Brute-force optimum of a tiny coverage model: the reference the bound and engine tests compare with."""

from __future__ import annotations

import itertools
import math

import numpy as np

from planner.optimize.problem import CoverageProblem


def brute_force_optimum(p: CoverageProblem) -> float:
    """Cheapest plan meeting every area target and side constraint, by enumeration.

    Parameters
    ----------
    p : CoverageProblem
        A model with at most ~16 candidates (2**n plans are enumerated); its optional fields
        (fixed, forbidden, groups, types) must be set.

    Returns
    -------
    float
        The least total cost (万元) of a plan meeting every k-coverage row count needed by the
        area targets, the fixed/forbidden sites, the conflicts, one site per pole group and the
        type caps; ``inf`` when no plan does.
    """
    dense = p.a.toarray().astype(np.int64)
    total = np.bincount(p.row_area, weights=p.row_weight, minlength=p.n_areas)
    assert p.fixed is not None and p.forbidden is not None and p.col_group is not None and p.col_type is not None
    best = math.inf
    for bits in itertools.product((False, True), repeat=p.n_cols):
        x = np.array(bits, dtype=bool)
        if (p.fixed & ~x).any() or (p.forbidden & x).any():
            continue
        if p.conflicts is not None and (x[p.conflicts[:, 0]] & x[p.conflicts[:, 1]]).any():
            continue
        g = p.col_group[x]
        if (np.bincount(g[g >= 0], minlength=1) > 1).any():
            continue
        if p.type_caps and any(int((x & (p.col_type == t) & ~p.fixed).sum()) > c for t, c in p.type_caps.items()):
            continue
        ok = dense @ x >= p.row_k
        cov = np.bincount(p.row_area, weights=p.row_weight * ok, minlength=p.n_areas)
        if (cov >= p.area_target * total - 1e-9).all():
            best = min(best, float(p.cost[x].sum()))
    return best
