r"""CFT-class engine for the whole min-cost model: partial area targets, k-coverage and side constraints.

Model (a :class:`~planner.optimize._reduce.Reduced` problem with its
:class:`~planner.optimize._side.Side`; formulation and bound in :mod:`kernels.cft_partial`)::

    min Σ_j c_j x_j   s.t.  k_i y_i ≤ Σ_j a_ij x_j,  y_i = 1 (hard rows),
                            Σ_{i∈A} w_i y_i ≥ N_A (areas),  one site per pole group,
                            no conflicting pair,  per-type caps,  x, y ∈ {0, 1}

Fixed and forbidden sites are gone from the reduced model (the reduction takes the fixed
ones and blocks their conflict and group partners). The bound relaxes the cover rows with
multipliers ``u`` and keeps the area targets (each area's fractional knapsack, i.e. its
optimal area multiplier ``v_A``) and the pole groups; conflicts and caps are dropped. It is
evaluated over every free column at each pricing, so the bound reported is valid for the
whole model.

Method (the scheme of :mod:`planner.optimize._cft` for pure cover, Caprara, Fischetti &
Toth 1999, generalised):

1. *Subgradient on a core* of small reduced-cost columns, re-priced over every column with
   a growing period (:func:`kernels.cft_partial.partial_chunk`, :func:`kernels.cft.price`).
2. *Heuristic phase*: at each of :data:`HEUR_ITERS` multipliers, the rows the Lagrangian
   solution wants (hard rows and the rows each area's knapsack takes, which meet every
   target) are covered by the Lagrangian greedy under the side constraints
   (:func:`kernels.cft_partial.side_greedy`); when the side constraints leave a target
   short, the weight greedy :func:`kernels.greedy.greedy_cover` completes it over every
   allowed column; besides, that weight greedy runs on the core scored with the Lagrangian
   costs ``max(c_j(u), 0.001 c_j)``; redundant columns are removed with the targets kept
   (:func:`kernels.greedy.drop_redundant`).
3. *Column fixing*: the first ``max(1, m/200)`` picks of that greedy over every allowed
   column are fixed (with their conflict and group partners blocked, caps lowered); the
   rest is solved again.
4. *Refinement*: the best plan's columns of smallest gap contribution serving a share π of
   the rows it covers are fixed, π = 0.3, then × 1.1 while nothing improves.

The first plan is the Lagrangian plan at the initial multipliers over every column (a lazy
heap: seconds on the whole city model), then the plain weight greedy (the one of
:func:`planner.optimize._heuristics.greedy_select`) on at most :data:`FIRST_GREEDY_SHARE`. Deterministic: the budget
counts work units (touched nonzeros), the multiplier perturbations use a generator seeded
with ``seed``; the wall clock is only a safety stop (``stats["time_limited"]``).
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kernels.cft import price
from kernels.cft_greedy import core_rows
from kernels.cft_partial import (
    col_part,
    lagrangian_partial,
    partial_chunk,
    partial_step,
    reduced_costs,
    row_part,
    side_greedy,
    update_lambda_stall,
)
from kernels.greedy import drop_redundant, greedy_cover
from planner._stop import check
from planner.optimize._budget import OPS_PER_UNIT, Budget
from planner.optimize._cft import (
    ABS_EXIT,
    CORE_PER_ROW,
    EXIT_PERIOD,
    RC_SMALL,
    REL_EXIT,
    CftResult,
    pricing_period,
)
from planner.optimize._cft_model import PartialModel, Residual
from planner.optimize._cft_refine import ALPHA, MIN_FIX, refinement_fix
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side

#: greedy calls (and subgradient steps) of the heuristic phase
HEUR_ITERS = 100
#: initial step factor λ and Beasley's stall period (steps without a better bound before λ
#: halves): on demo_small λ0 = 2 / 50 steps reach 725.5 of the LP's 725.97 in 1,000 steps, the
#: CFT spread rule (λ0 = 0.1) 669 in 3,000 (area knapsacks make L(u) oscillate)
LAMBDA0 = 2.0
LAMBDA_PERIOD = 50
#: subgradient steps of one phase 1 at most (the exit test below usually ends it sooner: over
#: 300 steps the bound rose by less than 1 or than 0.1 %)
MAX_ITERS = 5000
#: share of the budget the first plain weight greedy may use (on the whole city model it does
#: not finish in 2 minutes of CPU; on the demo models it needs well under 1 %)
FIRST_GREEDY_SHARE = 0.2
#: which soft rows the Lagrangian plan covers (see :meth:`_PEngine.wanted`): "x-first" or "ratio"
WANT_RULE = "x-first"
#: share of the budget left that one phase 1 may use (on the whole city model the first one
#: would use all of it: 5.25M nonzeros, ≈ 25M operations a step)
PHASE1_SHARE = 0.6
#: Beasley's clipping of the direction (off: measured equal or better on demo_small)
CLIP = False


class _PEngine:
    """State of one run: the model, the budget and the best plan (see module docstring)."""

    def __init__(self, pm: PartialModel, work_limit: int, seed: int, deadline: float | None) -> None:
        self.pm = pm
        self.work = 0
        self.work_limit = int(work_limit)
        self.deadline = deadline
        self.time_limited = False
        self.rng = np.random.default_rng(seed)
        integral = bool(np.all(pm.cost == np.round(pm.cost)))
        self.integral = integral
        self.eps = 0.999 if integral else 1e-9 * max(1.0, float(pm.cost.sum()))
        self.best = np.zeros(pm.n, dtype=bool)
        self.best_val = math.inf
        self.history: list[tuple[int, float]] = []
        self.gbest = np.full(max(pm.n_groups, 1), -1, dtype=np.int64)
        self.clip = CLIP

    def spent(self) -> bool:
        check()  # SIGINT/SIGTERM: planner._stop
        if self.work >= self.work_limit:
            return True
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.time_limited = True
            return True
        return False

    # --- plans --------------------------------------------------------------------------
    def complete(self, sel: NDArray[np.bool_], allowed: NDArray[np.bool_], gused: NDArray[np.bool_],
                 cap_left: NDArray[np.int64], share: float = 1.0,
                 cost: NDArray[np.float64] | None = None) -> NDArray[np.bool_]:
        """``sel`` plus what the weight greedy adds over ``allowed`` columns to meet every target (the
        greedy stops, its plan short, when ``share`` of the budget left is spent); ``cost``: the
        costs it scores with (default: the model's).
        """
        pm = self.pm
        cnt = pm.counts(sel)
        ok = cnt >= pm.k
        self.work += pm.c_rows.size + pm.m  # the sparse product above
        if not ((pm.hard & ~ok).any() or (pm.area_cover(ok) < pm.need).any()):
            return sel
        cov = pm.area_cover(ok)
        hard_left = np.bincount(pm.area, weights=pm.w * (pm.hard & ~ok), minlength=pm.n_areas)
        hard_area = np.bincount(pm.area, weights=pm.hard.astype(np.float64), minlength=pm.n_areas) > 0
        need = np.where(hard_area, hard_left * (1.0 - 1e-12), pm.need - cov)
        need = np.where(need > 0, need, 0.0).astype(np.float64)
        allow = allowed & ~sel & ~((pm.group >= 0) & gused[np.maximum(pm.group, 0)])
        score_cost = pm.cost if cost is None else cost
        add, ops, _ = greedy_cover(pm.c_ptr, pm.c_rows, score_cost, pm.w, pm.k, pm.area, need, cnt, allow, pm.group,
                                   pm.n_groups, pm.conf_ptr, pm.conf_idx, pm.ctype, np.maximum(cap_left, 0), -1,
                                   math.inf, True, share * max(self.work_limit - self.work, 0))
        self.work += int(ops)
        return np.asarray(sel | add, dtype=bool)

    def offer(self, sel: NDArray[np.bool_]) -> bool:
        """Remove redundant columns from a plan (targets kept); keep it when feasible and the cheapest."""
        pm = self.pm
        self.work += 2 * pm.c_rows.size + pm.m  # two sparse products (feasibility, counts)
        if not pm.feasible(sel):
            return False
        cnt = pm.counts(sel)
        slack = pm.area_cover(cnt >= pm.k) - pm.need
        cols = np.flatnonzero(sel)
        order = cols[np.lexsort((cols, -pm.cost[cols]))].astype(np.int64)
        out = np.asarray(drop_redundant(pm.c_ptr, pm.c_rows, pm.cost, pm.w, pm.k, pm.area, pm.hard, slack, cnt, sel,
                                        order), dtype=bool)
        self.work += 3 * int(np.diff(pm.c_ptr)[cols].sum()) + pm.m + pm.n // 8
        val = float(pm.cost[out].sum())
        if val < self.best_val - 1e-9:
            self.best, self.best_val = out, val
            self.history.append((self.work, val))
            return True
        return False

    def wanted(self, res: Residual, u: NDArray[np.float64], cand: NDArray[np.int64]) -> NDArray[np.int64]:
        """Covers each row needs in the Lagrangian plan at ``u``: every active hard row, and per area the
        soft rows that the Lagrangian solution ``x(u)`` over ``cand`` already serves (:data:`WANT_RULE`
        "x-first") or, by increasing ``k_i u_i / w_i`` (ties: served by ``x(u)`` first, then row order),
        the rows that meet the area's need.
        """
        pm = self.pm
        rcv = np.zeros(cand.size)
        x = np.zeros(cand.size, dtype=bool)
        lagrangian_partial(pm.c_ptr, pm.c_rows, pm.cost, res.k, pm.w, pm.hard, res.a_ptr, res.a_rows, res.need,
                           pm.group, self.gbest, cand, u, rcv, x, np.zeros(pm.m), np.zeros(pm.n_areas))
        xs = np.zeros(pm.n, dtype=bool)
        xs[cand[x]] = True
        served = pm.counts(xs) >= res.k
        rows = res.a_rows
        ratio = res.k[rows] * u[rows] / pm.w[rows]
        key1 = np.where(served[rows], 0.0, 1.0)
        order = (np.lexsort((np.arange(rows.size), ratio, key1, pm.area[rows])) if WANT_RULE == "x-first"
                 else np.lexsort((np.arange(rows.size), key1, ratio, pm.area[rows])))
        r = rows[order]
        want = np.zeros(pm.m, dtype=bool)
        if r.size:  # per area, the rows before the need is met (cumulative weight within the area)
            wr = pm.w[r]
            cum = np.cumsum(wr)
            start = np.searchsorted(pm.area[r], np.arange(pm.n_areas))
            offset = np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
            before = cum - wr - offset[pm.area[r]]
            want[r[before < res.need[pm.area[r]]]] = True
        want |= pm.hard & (res.k > 0)
        self.work += 3 * int(np.diff(pm.c_ptr)[cand].sum()) + 2 * cand.size + 8 * rows.size + pm.c_rows.size
        return np.where(want, res.k, 0).astype(np.int64)

    def lagrangian_plan(self, res: Residual, u: NDArray[np.float64], cand: NDArray[np.int64],
                        rp: NDArray[np.int64], rpos: NDArray[np.int64]) -> tuple[NDArray[np.int64], int]:
        """Side greedy at ``u`` over ``cand`` on the rows of :meth:`wanted`; (picks, rows short)."""
        pm = self.pm
        need_rows = self.wanted(res, u, cand)
        allowed = res.allowed.copy()
        gused = res.gused.copy()
        cap_left = res.cap_left.copy()
        order = np.empty(cand.size, dtype=np.int64)
        n_new, short, w2 = side_greedy(pm.c_ptr, pm.c_rows, rp, rpos, pm.cost, need_rows, u, cand, allowed, pm.group,
                                       gused, pm.conf_ptr, pm.conf_idx, pm.ctype, cap_left, order)
        self.work += w2 + 2 * pm.m
        self._last = (allowed, gused, cap_left)
        return order[:n_new], short

    def try_plan(self, res: Residual, picks: NDArray[np.int64]) -> None:
        sel = res.fixed.copy()
        sel[picks] = True
        allowed, gused, cap_left = self._last
        self.offer(self.complete(sel, allowed, gused, cap_left))

    # --- bound ----------------------------------------------------------------------------
    def initial_u(self, res: Residual) -> NDArray[np.float64]:
        pm = self.pm
        deg = np.diff(pm.c_ptr).astype(np.float64)
        ratio = np.where(res.allowed & (deg > 0), pm.cost / np.maximum(deg, 1.0), np.inf)
        u = np.full(pm.m, np.inf)
        np.minimum.at(u, pm.c_rows, np.repeat(ratio, np.diff(pm.c_ptr)))
        u[~np.isfinite(u) | (res.k <= 0)] = 0.0
        self.work += pm.c_rows.size
        return u

    def price(self, res: Residual, u: NDArray[np.float64],
              rc: NDArray[np.float64]) -> tuple[NDArray[np.int64], float]:
        """A new core and the exact ``L(u)`` over every allowed column (with the residual's rows)."""
        pm = self.pm
        core, _, w = price(pm.c_ptr, pm.c_rows, pm.r_ptr, pm.r_cols, pm.cost, res.k, res.allowed, u, CORE_PER_ROW,
                           RC_SMALL, 5 * pm.m, rc)
        cols = np.flatnonzero(res.allowed).astype(np.int64)
        x = np.zeros(cols.size, dtype=bool)
        val = col_part(cols, rc[cols], pm.group, self.gbest, x)
        y = np.zeros(pm.m)
        rv, w2 = row_part(res.k, pm.w, pm.hard, res.a_ptr, res.a_rows, res.need, u, y, np.zeros(pm.n_areas))
        self.work += w + w2 + 3 * cols.size
        return core, val + rv

    def subgradient(self, res: Residual, u: NDArray[np.float64],
                    ub: float) -> tuple[float, NDArray[np.float64], NDArray[np.int64]]:
        """Phase 1: (best full bound, its multipliers, the last core); at most :data:`PHASE1_SHARE` of the
        budget left, so that the heuristic phase runs on large models.
        """
        pm = self.pm
        stop = self.work + PHASE1_SHARE * max(self.work_limit - self.work, 0)
        rc = np.zeros(pm.n)
        core, lb = self.price(res, u, rc)
        best, best_u = lb, u.copy()
        active = int((res.k > 0).sum())
        max_iters = min(10 * max(active, 1), MAX_ITERS)
        period_cap = max(10, min(1000, active // 3))
        state = np.array([-math.inf, 0.0])
        lam, period, it = LAMBDA0, 10, 0
        next_exit, prev_exit = EXIT_PERIOD, -math.inf
        bu = u.copy()
        per_step = float(pm.m + 1)  # work of one step (the largest seen): chunks end near the budget
        while it < max_iters and best < ub - self.eps and self.work < stop and not self.spent():
            ub_eff = ub if math.isfinite(ub) else 1.2 * max(abs(best), 1.0) + 1.0
            chunk = min(period, max_iters - it, max(1, int((stop - self.work) / per_step)))
            core_lb, lam, w = partial_chunk(pm.c_ptr, pm.c_rows, pm.cost, res.k, pm.w, pm.hard, res.a_ptr, res.a_rows,
                                            res.need, pm.group, core, u, bu, -math.inf, ub_eff, lam, chunk, state,
                                            LAMBDA_PERIOD, self.clip)
            self.work += w
            it += chunk
            per_step = max(per_step, w / chunk)
            core, lb = self.price(res, u, rc)
            if lb > best:
                best, best_u = lb, u.copy()
            delta = (core_lb - lb) / max(abs(ub_eff), 1e-9)
            period = pricing_period(delta, period, period_cap)
            if it >= next_exit:
                next_exit += EXIT_PERIOD
                gain = best - prev_exit
                prev_exit = best
                if gain < ABS_EXIT or gain < REL_EXIT * max(abs(best), 1e-9):
                    break
        return best, best_u, core

    # --- phases ---------------------------------------------------------------------------
    def heuristic(self, res: Residual, u0: NDArray[np.float64], core: NDArray[np.int64]) -> None:
        """Phase 2: a Lagrangian plan at each of :data:`HEUR_ITERS` subgradient steps on the core."""
        pm = self.pm
        u = u0.copy()
        rp, rpos = core_rows(pm.c_ptr, pm.c_rows, pm.m, core)
        self.work += 2 * rpos.size
        y, v, s = np.zeros(pm.m), np.zeros(pm.n_areas), np.zeros(pm.m)
        rcv, x = np.zeros(core.size), np.zeros(core.size, dtype=bool)
        in_core = np.zeros(pm.n, dtype=bool)
        in_core[core] = True
        gb = np.full(max(pm.n_groups, 1), -1, dtype=np.int64)
        state = np.array([-math.inf, 0.0])
        lam = LAMBDA0
        for _ in range(HEUR_ITERS):
            if self.spent():
                return
            picks, _ = self.lagrangian_plan(res, u, core, rp, rpos)
            self.try_plan(res, picks)
            # the weight greedy on the core scored with Lagrangian costs max(c_j(u), 0.001 c_j)
            self.work += reduced_costs(pm.c_ptr, pm.c_rows, pm.cost, core, u, rcv)
            lcost = pm.cost.copy()
            lcost[core] = np.maximum(rcv, 1e-3 * pm.cost[core])
            self.offer(self.complete(res.fixed.copy(), res.allowed & in_core, res.gused, res.cap_left, cost=lcost))
            ub = self.best_val - res.fixed_cost
            ub_eff = ub if math.isfinite(ub) else 1.2 * float(pm.cost[core].sum()) + 1.0
            val, w = partial_step(pm.c_ptr, pm.c_rows, pm.cost, res.k, pm.w, pm.hard, res.a_ptr, res.a_rows, res.need,
                                  pm.group, gb, core, u, rcv, x, y, v, s, ub_eff, lam, self.clip)
            self.work += w
            lam = update_lambda_stall(state, val, lam, LAMBDA_PERIOD)
            if val >= ub - self.eps:
                return

    def three_phase(self, fixed_in: NDArray[np.bool_]) -> tuple[float, NDArray[np.float64]] | None:
        """Phases 1–3 from the columns ``fixed_in``; returns the first pass's (bound, multipliers)."""
        pm = self.pm
        fixed = fixed_in.copy()
        res = Residual(pm, fixed)
        u = self.initial_u(res)
        root: tuple[float, NDArray[np.float64]] | None = None
        while res.any and not self.spent():
            ub = self.best_val - res.fixed_cost
            lb, u_best, core = self.subgradient(res, u, ub)
            if root is None:
                root = (lb, u_best)
            if lb + res.fixed_cost >= self.best_val - self.eps or self.spent():
                break
            self.heuristic(res, u_best, core)
            cand = np.flatnonzero(res.allowed).astype(np.int64)
            rp, rpos = core_rows(pm.c_ptr, pm.c_rows, pm.m, cand)
            self.work += 2 * rpos.size
            picks, _ = self.lagrangian_plan(res, u_best, cand, rp, rpos)
            self.try_plan(res, picks)
            n_fix = max(1, int((res.k > 0).sum()) // 200)
            if picks.size == 0:
                break
            fixed[picks[:n_fix]] = True
            res = Residual(pm, fixed)
            u = u_best * self.rng.uniform(0.9, 1.1, size=pm.m)
            u[res.k <= 0] = 0.0
        if not res.any:
            self.offer(self.complete(fixed, res.allowed, res.gused, res.cap_left))
        return root

    def refine_fix(self, u: NDArray[np.float64], share: float) -> NDArray[np.bool_]:
        """Columns of the best plan with the smallest gap contributions serving ``share`` of the rows it covers."""
        pm = self.pm
        cov = pm.counts(self.best).astype(np.float64)
        out, work = refinement_fix(pm.a, pm.c_ptr, pm.c_rows, pm.cost, pm.k, u, self.best, cov,
                                   int(share * int((cov > 0).sum())))
        self.work += work
        return out


def cft_partial_solve(red: Reduced, side: Side, *, work_limit: int, seed: int = 0,
                      incumbent: NDArray[np.bool_] | None = None, wall_limit_s: float | None = None,
                      max_stale_cycles: int | None = None) -> CftResult:
    """The engine on a reduced min-cost model (see module docstring).

    Parameters
    ----------
    red, side : Reduced, Side
        The reduced model and its side constraints (free-column indices).
    work_limit : int
        Budget in work units (touched nonzeros; :data:`planner.optimize._cft.WORK_PER_S` a second).
    seed : int
        Seed of the multiplier perturbations; same seed and budget, same result.
    incumbent : ndarray of bool, optional
        A known plan over the free columns (the starting upper bound when feasible).
    wall_limit_s : float, optional
        Safety stop only (``stats["time_limited"]``).
    max_stale_cycles : int, optional
        Stop after this many refinement cycles in a row without a cheaper plan.

    Returns
    -------
    CftResult
        ``selected`` over the free columns, ``objective`` and ``bound`` in the reduced
        model's cost (the base selection excluded); the bound is valid for the whole model.
    """
    t0 = time.perf_counter()
    pm = PartialModel(red, side)
    deadline = None if wall_limit_s is None else t0 + float(wall_limit_s)
    eng = _PEngine(pm, work_limit, seed, deadline)
    stats: dict[str, Any] = {"rows": pm.m, "cols": pm.n, "side": pm.has_side}
    if incumbent is not None:
        eng.offer(np.asarray(incumbent, dtype=bool).reshape(-1).copy())
    res0 = Residual(pm, np.zeros(pm.n, dtype=bool))
    if not res0.any:
        eng.offer(np.zeros(pm.n, dtype=bool))
    else:
        # a plan early: the Lagrangian plan at the initial multipliers over every column (a lazy heap,
        # O(nnz log n)), then the plain weight greedy (slower on city models: FIRST_GREEDY_SHARE at most)
        cand = np.flatnonzero(res0.allowed).astype(np.int64)
        rp, rpos = core_rows(pm.c_ptr, pm.c_rows, pm.m, cand)
        eng.work += 2 * rpos.size
        picks, _ = eng.lagrangian_plan(res0, eng.initial_u(res0), cand, rp, rpos)
        eng.try_plan(res0, picks)
        stats["first_plan_work"] = eng.work
        eng.offer(eng.complete(np.zeros(pm.n, dtype=bool), res0.allowed, res0.gused, res0.cap_left, FIRST_GREEDY_SHARE))
    root = eng.three_phase(np.zeros(pm.n, dtype=bool)) if res0.any else None
    lb = root[0] if root is not None else 0.0
    passes, share, prev, restarts, stale, cycle_start = 1, 0.0, math.inf, 0, 0, eng.best_val
    if root is not None and math.isfinite(eng.best_val):
        u_root = root[1]
        while not eng.spent() and lb < eng.best_val - eng.eps:
            share = min(1.0, share * ALPHA)
            if eng.best_val < prev:
                share = MIN_FIX
            prev = eng.best_val
            passes += 1
            eng.three_phase(eng.refine_fix(u_root, share))
            if share >= 1.0:
                stale = stale + 1 if eng.best_val >= cycle_start - 1e-9 else 0
                if max_stale_cycles is not None and stale >= max_stale_cycles:
                    break
                share, prev, cycle_start = 0.0, math.inf, eng.best_val
                restarts += 1
    if eng.integral and math.isfinite(lb):
        lb = math.ceil(lb - 1e-6)
    bound = max(lb, 0.0)
    feasible = math.isfinite(eng.best_val)
    if feasible:
        bound = min(bound, eng.best_val)
    stats.update({"passes": passes, "restarts": restarts, "work": eng.work, "time_limited": eng.time_limited,
                  "seconds": round(time.perf_counter() - t0, 3), "history": eng.history[-20:],
                  "root_bound": float(root[0]) if root is not None else 0.0})
    return CftResult(eng.best if feasible else np.zeros(pm.n, bool), float(eng.best_val), float(bound), feasible,
                     eng.work, stats)


def cft_partial_applies(red: Reduced, side: Side, mode: str) -> bool:
    """Whether :func:`cft_partial_improve` models a reduced problem exactly: min cost with partial
    targets or side constraints (groups, conflicts, caps); no budget or site count (those are
    max-coverage keys). Full covers without side constraints go to :mod:`planner.optimize._cft`.
    """
    return (mode == "min_cost" and red.n_cols > 0 and red.a.shape[0] > 0 and side.max_sites < 0
            and not np.isfinite(side.budget) and (not bool(red.hard.all()) or side.has_side))


def cft_partial_improve(red: Reduced, side: Side, inc: NDArray[np.bool_] | None, budget: Budget, seed: int,
                        stats: dict[str, Any], share: float) -> tuple[NDArray[np.bool_] | None, float]:
    """The engine as a stage of :func:`planner.optimize.solve` (models of :func:`cft_partial_applies`).

    Runs on ``share`` of ``budget`` (at most one refinement cycle without a cheaper plan),
    records its work as stage ``"cft"`` and ``stats["cft"]``, and returns the cheaper of
    ``inc`` (None: the greedy found no plan) and its plan (None when neither exists), with its
    lower bound in reduced cost units (``-inf`` when it has none).
    """
    t0 = time.perf_counter()
    res = cft_partial_solve(red, side, work_limit=int(budget.ops(share)), seed=seed, incumbent=inc,
                            wall_limit_s=budget.seconds_left(), max_stale_cycles=1)
    cut = bool(res.stats.get("time_limited", False))
    stats["cft"] = {"objective": res.objective if res.feasible else None, "bound": res.bound, "work": res.work,
                    "passes": res.stats.get("passes", 0), "root_bound": res.stats.get("root_bound"),
                    "time_limited": cut, "seconds": round(time.perf_counter() - t0, 3)}
    budget.spend("cft", res.work / OPS_PER_UNIT)
    if cut:
        budget.limited("cft")
    sel = inc
    if res.feasible and (inc is None or res.objective < float(side.cost[inc].sum()) - 1e-9):
        sel = res.selected
    return sel, (res.bound if math.isfinite(res.bound) else -math.inf)


#: share of :func:`planner.optimize.solve`'s work budget given to the engine (the local
#: search's share: the local searches do not run on models with side constraints)
CFT_PARTIAL_SHARE = 0.3


@functools.cache
def warm_up_partial() -> None:
    """Compile (or load from numba's cache) the kernels on a 6-row model with a partial target,
    a pole group, a conflict and a type cap (once per process; :func:`planner.optimize.solve.solve`
    calls it before its budget starts).
    """
    from planner.optimize._reduce import reduce_problem
    from planner.optimize._side import side_of
    from planner.optimize.problem import CoverageProblem

    n = 6
    rows = np.r_[np.arange(n), (np.arange(n) + 1) % n]
    a = sp.csr_matrix((np.ones(2 * n), (rows, np.tile(np.arange(n), 2))), shape=(n, n))
    p = CoverageProblem(a=a, cost=np.arange(1.0, n + 1.0), row_weight=np.ones(n), row_area=np.r_[0, 0, 0, 1, 1, 1],
                        row_k=np.r_[1, 1, 1, 1, 1, 2], area_target=np.array([1.0, 0.6]), area_names=["a", "b"],
                        col_group=np.r_[0, 0, -1, -1, -1, -1], col_type=np.array(["x", "x", "y", "y", "y", "y"]),
                        conflicts=np.array([[2, 4]]), type_caps={"y": 3})
    red = reduce_problem(p, "min_cost", dominance=False)
    if red.n_cols and red.a.shape[0]:
        cft_partial_solve(red, side_of(p, red, "min_cost"), work_limit=200_000)


def cft_partial_stage(red: Reduced, side: Side, mode: str, sel: NDArray[np.bool_], ok: bool, greedy_done: bool,
                      lb: float, budget: Budget, seed: int,
                      stats: dict[str, Any]) -> tuple[NDArray[np.bool_], bool, float]:
    """The stage :func:`planner.optimize.solve` runs after its heuristics: ``(plan, whether it meets
    every target, bound)``.

    The engine runs (:func:`cft_partial_improve`, :data:`CFT_PARTIAL_SHARE`) on min-cost models
    of :func:`cft_partial_applies` that have side constraints (the local searches skip them) or
    on which the greedy found no plan (trapped by the side constraints, or stopped by its work
    limit: the engine's first plan, a Lagrangian greedy on a lazy heap, is much cheaper on city
    models); otherwise ``(sel, ok, lb)`` come back unchanged. ``lb``: the bound so far (reduced
    cost units); the larger one is returned. ``greedy_done``: whether the greedy finished
    (recorded in ``stats["cft"]``).
    """
    if not (cft_partial_applies(red, side, mode) and (side.has_side or not ok)):
        return sel, ok, lb
    p_sel, p_lb = cft_partial_improve(red, side, sel if ok else None, budget, seed, stats, CFT_PARTIAL_SHARE)
    stats["cft"]["after_greedy"] = "plan" if ok else ("no plan" if greedy_done else "stopped by its work limit")
    if p_sel is not None:
        sel, ok = p_sel, True
    return sel, ok, max(lb, p_lb)
