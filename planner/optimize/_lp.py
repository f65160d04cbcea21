"""LP relaxation of a reduced problem (scipy's HiGHS): a valid bound and reduced costs.

The relaxation lets ``x_j, y_i ∈ [0, 1]``. Its optimum is a lower bound for ``min_cost``
(an upper bound for ``max_coverage``); the reduced costs pick the *core* columns the exact
solver searches first, and fix columns that cannot appear in a better plan.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog

from planner.optimize._reduce import Reduced
from planner.optimize._side import Side

log = logging.getLogger(__name__)


@dataclass
class LpResult:
    """Bound (objective units of the reduced model), primal x and reduced costs of x."""

    ok: bool
    bound: float
    x: NDArray[np.float64]
    reduced_cost: NDArray[np.float64]
    seconds: float


def solve_lp(red: Reduced, side: Side, mode: str, time_limit_s: float) -> LpResult:
    """Solve the LP relaxation; ``mode`` is ``"min_cost"`` or ``"max_coverage"``.

    Returns ``ok=False`` when HiGHS does not finish within ``time_limit_s``.
    """
    import time

    t0 = time.perf_counter()
    n = red.n_cols
    m = red.a.shape[0]
    if mode == "min_cost":
        soft = np.flatnonzero(~red.hard)
    else:
        soft = np.arange(m)
    hard = np.flatnonzero(red.hard) if mode == "min_cost" else np.zeros(0, np.int64)
    ns = soft.size
    blocks: list[sp.csr_matrix] = []
    rhs: list[NDArray[np.float64]] = []
    a = red.a.astype(np.float64)
    if hard.size:
        blocks.append(sp.hstack([-a[hard], sp.csr_matrix((hard.size, ns))]).tocsr())
        rhs.append(-red.k[hard].astype(np.float64))
    if ns:
        blocks.append(sp.hstack([-a[soft], sp.diags(red.k[soft].astype(np.float64))]).tocsr())
        rhs.append(np.zeros(ns))
    if mode == "min_cost" and ns:
        areas = np.unique(red.area[soft])
        rows: list[NDArray[np.int64]] = []
        cols: list[NDArray[np.int64]] = []
        vals: list[NDArray[np.float64]] = []
        b: list[float] = []
        for r, ar in enumerate(areas):
            if red.need[ar] <= 0:
                continue
            members = np.flatnonzero(red.area[soft] == ar)
            rows.append(np.full(members.size, len(b)))
            cols.append(n + members)
            vals.append(-red.w[soft][members])
            b.append(-float(red.need[ar]))
            _ = r
        if b:
            blocks.append(
                sp.csr_matrix(
                    (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(b), n + ns)
                )
            )
            rhs.append(np.asarray(b))
    side_rows: list[tuple[NDArray[np.int64], NDArray[np.float64], float]] = []
    for aa, bb in side.conflicts:
        side_rows.append((np.array([aa, bb]), np.ones(2), 1.0))
    for g in range(side.n_groups):
        members = np.flatnonzero(side.group == g)
        side_rows.append((members, np.ones(members.size), 1.0))
    for t in range(side.cap.size):
        members = np.flatnonzero(side.ctype == t)
        side_rows.append((members, np.ones(members.size), float(side.cap[t])))
    if side.max_sites >= 0:
        side_rows.append((np.arange(n), np.ones(n), float(side.max_sites)))
    if math.isfinite(side.budget):
        side_rows.append((np.arange(n), side.cost.astype(np.float64), float(side.budget)))
    if side_rows:
        r_i = np.concatenate([np.full(c.size, r) for r, (c, _, _) in enumerate(side_rows)])
        c_i = np.concatenate([c for c, _, _ in side_rows])
        v_i = np.concatenate([v for _, v, _ in side_rows])
        blocks.append(sp.csr_matrix((v_i, (r_i, c_i)), shape=(len(side_rows), n + ns)))
        rhs.append(np.array([b for _, _, b in side_rows]))
    if mode == "min_cost":
        c = np.r_[side.cost, np.zeros(ns)]
    else:
        c = np.r_[np.zeros(n), -red.w[soft]]
    a_ub = sp.vstack(blocks).tocsr() if blocks else None
    b_ub = np.concatenate(rhs) if rhs else None
    try:
        res = linprog(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            bounds=(0.0, 1.0),
            method="highs-ipm",
            options={"time_limit": max(0.1, float(time_limit_s)), "presolve": True},
        )
    except (ValueError, MemoryError) as exc:  # pragma: no cover - defensive
        log.info("LP relaxation failed: %s", exc)
        return LpResult(False, math.nan, np.zeros(n), np.zeros(n), time.perf_counter() - t0)
    secs = time.perf_counter() - t0
    if res.status != 0 or res.x is None:
        return LpResult(False, math.nan, np.zeros(n), np.zeros(n), secs)
    rc = np.zeros(n)
    if getattr(res, "lower", None) is not None and res.lower.marginals is not None:
        rc = np.asarray(res.lower.marginals[:n], dtype=np.float64) + np.asarray(
            res.upper.marginals[:n], dtype=np.float64
        )
    bound = float(res.fun) if mode == "min_cost" else -float(res.fun)
    return LpResult(True, bound, np.asarray(res.x[:n], dtype=np.float64), rc, secs)
