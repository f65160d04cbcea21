r"""Whole-model Lagrangian of a decomposed solve: its bound, and the tiles' shares of spanning targets.

:func:`planner.optimize.decompose.solve_decomposed` runs one Lagrangian on the *whole*
reduced model (:class:`WholeLagrangian`) in two parts. Its multipliers come from PDLP's
approximate LP duals (:mod:`planner.optimize._lpdual`, :data:`METHOD` ``"pdlp"``; the
subgradient of :mod:`kernels.lagrange` where the share is too small for PDLP), and ``L(u)``
is always evaluated exactly (with PDLP also one site per pole group, a constraint of the
model). Before the tiles it gives the bound and (through its knapsack) where the relaxation
covers each spanning area; a later :meth:`WholeLagrangian.run` (once the stitched plan exists,
when the decomposition gives it a share) continues from the last PDLP point (the subgradient:
from the best multipliers with that plan's cost as the step's target level).

**Validity of the bound.** The reduction (:func:`planner.optimize._reduce.reduce_problem`,
with dominance) keeps some optimal plan, whose cost is ``base_cost`` plus an optimal plan of
the reduced model. For *any* multipliers ``u ≥ 0`` of the relaxed cover rows, ``L(u)`` (module
docstring of :mod:`kernels.lagrange`: the area targets stay as fractional knapsacks) is at most
the reduced model's optimum (weak duality). So ``base_cost + max(0, max_u L(u))`` over every
``u`` tried is a lower bound of the whole model, however the ``u`` were found (warm starts,
target levels and chunking change how good it is, never whether it is valid).

**Shares of spanning areas** (:func:`tile_shares`). At the best multipliers the knapsack of
area ``A`` covers the rows of smallest ``k_i u_i / w_i`` until its need is met (``y_i``): the
rows the relaxation finds cheap to cover. Tile ``t``'s target for ``A`` becomes
``(C_tA + Σ_{i∈t} w_i y_i) / W_tA`` (``C``: weight its fixed sites already cover, ``W``: the
weight of its rows), instead of the same fraction everywhere: a tile of dear cells (water
edges, sparse suburbs) leaves more of them out and a dense tile covers more, as the whole
model's optimum does. The shares add up to the area's target (each row takes the ``y`` of the
reduced row it was merged into, :func:`reduced_row_of`). Deterministic: the multipliers come from a fixed
number of steps (work units), not from the clock.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.optimize._budget import OPS_PER_UNIT
from planner.optimize._granule import cost_granule, round_to_granule
from planner.optimize._reduce import Reduced, reduce_problem
from planner.optimize.problem import CoverageProblem

#: subgradient steps per kernel call (the safety stop is checked between calls)
CHUNK = 50
#: before a plan exists the step's target level is this multiple of the best bound so far
#: (Held–Karp steps need an upper estimate of the optimum; the stitched plan's cost replaces it)
TARGET_LEVEL = 1.08
#: initial step factor λ (that of :data:`planner.optimize._exact.LAGRANGE_LAMBDA0`)
LAMBDA0 = 2.0
#: how the multipliers are found: "pdlp" (:class:`planner.optimize._lpdual.LpDual`: PDLP's
#: approximate LP duals, ``L(u)`` evaluated exactly; the subgradient only where the share pays
#: for fewer than :data:`planner.optimize._lpdual.MIN_ITERS` PDLP iterations) or "subgradient"
METHOD = "pdlp"
#: the bound method as the manifest and the report state it
METHOD_TEXT = {
    "pdlp": ("Lagrangian L(u) of the whole reduced model (area targets as fractional knapsacks, one site per "
             "pole group) evaluated exactly at approximate LP duals u from PDLP (OR-Tools, one thread, an "
             "iteration limit from the work budget) polished by a few subgradient steps, run before the tiles"),
    "subgradient": ("one subgradient Lagrangian on the whole reduced model (kernels.lagrange), run before the tiles "
                    "and continued after the stitched plan from its best multipliers"),
}


class WholeLagrangian:
    """The subgradient Lagrangian of the whole reduced model, run in parts (module docstring).

    Parameters
    ----------
    problem : CoverageProblem
        The whole model (min_cost).

    Attributes
    ----------
    red : Reduced
        The reduced model (with dominance; its rows merged).
    base_cost : float
        Cost (万元) of the columns fixed or essential before the reduced model.
    u : ndarray of float
        Best multipliers so far, one per reduced row.
    lb : float
        Best ``L(u)`` so far, in reduced cost units (−inf before the first step).
    iterations : int
        Subgradient steps run.
    """

    def __init__(self, problem: CoverageProblem, method: str = METHOD) -> None:
        from planner.optimize._heuristics import csc_of
        from planner.optimize._lpdual import LpDual
        from planner.optimize._side import side_of

        self.red: Reduced = reduce_problem(problem, "min_cost", dominance=True)
        red = self.red
        self.method = method
        self.base_cost = float(problem.cost[red.base].sum())
        self.empty = bool(red.stats.get("infeasible_reason")) or red.a.shape[0] == 0 or red.n_cols == 0
        self.c_ptr, self.c_idx = csc_of(red)
        self.cost = problem.cost[red.cols].astype(np.float64)
        soft = np.flatnonzero(~red.hard)
        self.order = soft[np.argsort(red.area[soft], kind="stable")].astype(np.int64)
        self.a_ptr = np.searchsorted(red.area[self.order], np.arange(red.need.size + 1)).astype(np.int64)
        self.need = np.maximum(red.need, 0.0).astype(np.float64)
        # start: each row's cheapest cost per row covered among its columns
        deg = np.diff(self.c_ptr).astype(np.float64)
        u = np.full(red.a.shape[0], np.inf)
        ratio = np.divide(self.cost, deg, out=np.zeros_like(self.cost), where=deg > 0)
        np.minimum.at(u, self.c_idx, np.repeat(ratio, np.diff(self.c_ptr)))
        u[~np.isfinite(u)] = 0.0
        self.u = u
        self.lam = LAMBDA0
        self.lb = -math.inf
        self.iterations = 0
        self.seconds = 0.0
        self.time_limited = False
        self.granule = cost_granule(self.cost)  # 0: costs of no known granule (bounds not rounded)
        # work per step: two passes over the nonzeros, a sort of the soft rows per area, the columns
        self.per_iter = (3.0 * red.a.nnz + 2.0 * soft.size * max(1.0, math.log2(max(soft.size, 2)))
                         + 4.0 * red.n_cols)
        self.lpd: LpDual | None = None
        if method == "pdlp" and not self.empty:
            self.lpd = LpDual(red, side_of(problem, red, "min_cost"))

    def run(self, max_ops: float, ub: float | None, deadline: float) -> float:
        """Continue for ``max_ops`` counted operations (whole chunks); the work units spent.

        ``ub``: cost (万元, whole model) of a known plan, the step's target level; None before
        one exists (then :data:`TARGET_LEVEL` × the best bound). ``deadline``: the wall-clock
        safety stop (``time.perf_counter()``); a run it cuts says so (:attr:`time_limited`).
        """
        from kernels.lagrange import subgradient

        if self.empty:
            return 0.0
        if self.lpd is not None:
            t_pd = time.perf_counter()
            units = self.lpd.run(max_ops, deadline, None if ub is None else ub - self.base_cost)
            if units > 0.0:
                self.time_limited |= self.lpd.time_limited
                self.seconds += time.perf_counter() - t_pd
                if self.lpd.lb > self.lb:
                    self.lb, self.u = self.lpd.lb, self.lpd.u.copy()
                return units
        t0 = time.perf_counter()
        steps = int(max(0.0, max_ops) / self.per_iter) // CHUNK * CHUNK
        total = float(self.cost.sum())
        done = 0
        while done < steps and self.lam >= 1e-6:
            if time.perf_counter() >= deadline:
                self.time_limited = True
                break
            if ub is not None:
                level = ub - self.base_cost
            else:
                level = total if not math.isfinite(self.lb) else TARGET_LEVEL * max(self.lb, 1.0)
            red = self.red
            val, self.lam = subgradient(self.c_ptr, self.c_idx, self.cost, red.k, red.w, red.hard, self.a_ptr,
                                        self.order, self.need, self.u, float(level), CHUNK, self.lam)
            self.lb = max(self.lb, float(val))
            done += CHUNK
        self.iterations += done
        self.seconds += time.perf_counter() - t0
        return float(done * self.per_iter / OPS_PER_UNIT)

    @property
    def bound(self) -> float:
        """``base_cost + max(0, L)`` (万元), rounded up to the costs' granule: a valid bound."""
        lb = max(0.0, self.lb) if math.isfinite(self.lb) else 0.0
        return self.base_cost + round_to_granule(lb, self.granule)

    def knapsack_y(self) -> NDArray[np.float64]:
        """The knapsack's ``y`` (share of each reduced row counted covered) at the best multipliers."""
        from kernels.lagrange import lagrangian_value

        red = self.red
        y = np.zeros(red.a.shape[0], dtype=np.float64)
        if self.empty:
            return y
        x = np.zeros(red.n_cols, dtype=np.bool_)
        rc = np.zeros(red.n_cols, dtype=np.float64)
        lagrangian_value(self.c_ptr, self.c_idx, self.cost, red.k, red.w, red.hard, self.a_ptr, self.order,
                         self.need, self.u, x, y, rc)
        return y

    def stats(self) -> dict[str, Any]:
        """What the manifest records of the run."""
        out: dict[str, Any] = {"bound": self.bound, "iterations": self.iterations,
                               "time_limited": self.time_limited,
                               "seconds": round(self.seconds, 3), "rows": int(self.red.a.shape[0]),
                               "cols": int(self.red.n_cols), "nnz": int(self.red.a.nnz), "method": self.method}
        if self.lpd is not None:
            out["pdlp_iterations"] = self.lpd.iterations
            out["pdlp_termination"] = self.lpd.termination
        return out


def reduced_row_of(problem: CoverageProblem, red: Reduced) -> NDArray[np.int64]:
    """The reduced row each row of ``problem`` was merged into (−1: none, e.g. already covered).

    Rows match on a 64-bit hash of their columns among the reduced model's, their area and
    their remaining requirement (``k_i`` less the base columns covering them). Two reduced rows
    that column dominance left with the same columns match their first (the same relaxation
    row in all but weight).
    """
    n = problem.n_cols
    rng = np.random.default_rng(20240611)
    key = np.zeros(n, dtype=np.uint64)
    key[red.cols] = rng.integers(1, 2**62, size=red.cols.size, dtype=np.int64).astype(np.uint64)
    mix = rng.integers(1, 2**62, size=2, dtype=np.int64).astype(np.uint64)

    def row_hash(indptr: NDArray[np.integer[Any]], vals: NDArray[np.uint64], extra: NDArray[np.int64]
                 ) -> NDArray[np.uint64]:
        h = np.zeros(indptr.size - 1, dtype=np.uint64)
        nz = np.flatnonzero(np.diff(indptr) > 0)
        if nz.size:
            h[nz] = np.add.reduceat(vals, indptr[:-1][nz].astype(np.int64))
        with np.errstate(over="ignore"):
            out: NDArray[np.uint64] = h * mix[0] + extra.astype(np.uint64) * mix[1]
        return out

    a = problem.a
    base_cnt = np.asarray(a @ red.base.astype(np.int64)).ravel()
    k_rem = np.maximum(problem.row_k - base_cnt, 0)
    h_rows = row_hash(a.indptr, key[a.indices], problem.row_area.astype(np.int64) * 64 + k_rem)
    h_red = row_hash(red.a.indptr, key[red.cols[red.a.indices]], red.area.astype(np.int64) * 64 + red.k)
    order = np.argsort(h_red, kind="stable")
    pos = np.minimum(np.searchsorted(h_red[order], h_rows), max(order.size - 1, 0))
    out = np.full(problem.n_rows, -1, dtype=np.int64)
    if order.size:
        ok = (h_red[order][pos] == h_rows) & (k_rem > 0)
        out[ok] = order[pos[ok]]
    return out


def tile_shares(problem: CoverageProblem, wl: WholeLagrangian, col_tile: NDArray[np.int64],
                owner: NDArray[np.int64]) -> NDArray[np.float64]:
    """Target fraction of every (tile, area): rows of the tiles in ``np.unique(owner[owner >= 0])`` order.

    ``col_tile``: tile of each column; ``owner``: owner tile of each row (−1: no column reaches
    it). Hard areas (target 1) keep 1; others get ``(C_tA + Σ w_i y_i) / W_tA`` (module docstring),
    at most 1.
    """
    keys = np.unique(owner[owner >= 0])
    n_areas = problem.n_areas
    shares = np.zeros((keys.size, n_areas), dtype=np.float64)
    if keys.size == 0:
        return shares
    red = wl.red
    own = owner >= 0
    o_pos = np.searchsorted(keys, owner[own])
    weight = np.zeros_like(shares)
    np.add.at(weight, (o_pos, problem.row_area[own]), problem.row_weight[own])
    base_cnt = np.asarray(problem.a @ red.base.astype(np.int64)).ravel()
    done = own & (base_cnt >= problem.row_k)
    covered = np.zeros_like(shares)
    np.add.at(covered, (np.searchsorted(keys, owner[done]), problem.row_area[done]), problem.row_weight[done])
    if red.a.shape[0] and red.a.nnz:
        match = reduced_row_of(problem, red)
        y = wl.knapsack_y()
        hit = own & (match >= 0)
        np.add.at(covered, (np.searchsorted(keys, owner[hit]), problem.row_area[hit]),
                  problem.row_weight[hit] * y[match[hit]])
    shares = np.minimum(1.0, np.divide(covered, weight, out=np.zeros_like(weight), where=weight > 0))
    hard = problem.area_target >= 1.0 - 1e-9
    shares[:, hard] = 1.0
    shares[:, problem.area_target <= 0.0] = 0.0
    return shares

