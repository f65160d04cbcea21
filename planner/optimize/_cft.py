r"""CFT-class engine for weighted set (multi)cover: a Lagrangian bound and a cover, on a work budget.

Formulation (columns ``j`` with costs ``c_j ≥ 0``, rows ``i`` needing ``k_i ≥ 1`` covers)::

    min Σ_j c_j x_j
    s.t. Σ_j a_ij x_j ≥ k_i     for every row i         (k-coverage: k_i distinct columns)
         x_j = 1 for fixed columns,  x_j = 0 for forbidden columns,  x_j ∈ {0, 1}

Not modelled: partial area targets (soft rows), conflicts, pole groups, type caps, budgets;
:func:`cft_applies` keeps :func:`planner.optimize.solve` from using the engine on such models.

Fixed columns (and free columns of zero cost, which some optimum always takes) are taken
first; each row then needs ``k_i' = max(0, k_i − fixed columns serving i)``. Relaxing the
cover rows with ``u ≥ 0`` gives the bound ``L(u) = Σ_i k_i' u_i + Σ_j min(0, c_j − Σ_i a_ij u_i)``
over the free columns, plus the cost of the taken columns (:mod:`kernels.cft`).

Method (Caprara, Fischetti & Toth 1999, Oper. Res. 47(5):730–743, with the refinements of
Accorsi & Cavaliere's AC-CFT, studied, not copied):

1. *Subgradient on a core*: the core starts as the cheapest columns of each row; every
   ``T`` steps all free columns are priced with the current ``u`` (the exact ``L(u)``, the
   only bound reported) and the core is rebuilt from the smallest reduced costs
   (``T`` grows from 10 while core and full bounds agree). The phase stops when the bound
   reaches the incumbent, after ``10 m`` steps, or when 300 steps raised it by less than
   :data:`ABS_EXIT` and :data:`REL_EXIT` (relative).
2. *Heuristic phase*: :data:`HEUR_ITERS` more steps from the best multipliers with the phase's
   last step factor λ kept fixed (AC-CFT), a Lagrangian greedy and a redundant-column removal at
   each (:mod:`kernels.cft_greedy`); run twice from the same multipliers, with AC-CFT's plain
   subgradient direction and with phase 1's non-redundant clipped one (two walks, two families
   of greedy covers; measured on scpa1 and rail582 over 8–12 seeds, each direction alone missed
   one of the two far more often).
3. *Column fixing* (multipliers: the best core bound's of the plain heuristic walk, as AC-CFT):
   the columns of reduced cost below −0.001 that share no row, then the first ``max(1, m/200)``
   greedy picks, are fixed; phases 1–3 repeat on the rest.
4. *Refinement*: the best cover's columns of smallest gap contribution
   ``δ_j = max(0, c_j(u*)) + Σ_{i∈j} u*_i (cov_i − k_i)/cov_i`` (root multipliers ``u*``)
   that serve a share π of the rows are fixed and phases 1–3 restart; π starts at 0.3 after
   an improvement and grows by 1.1 otherwise. When π reaches 1 the cycle starts again (the
   multiplier perturbations differ); the run ends when the budget is spent, the bound
   proves the cover optimal, or ``max_stale_cycles`` cycles in a row found nothing better.
   Two refinement *chains* take turns, pass by pass: each has its own root (phases 1–3 on the
   whole model), its own ``u*`` and π, and its own initial step factor (:data:`LAMBDA0S`);
   both fix columns of the one best cover, and the bound reported is the better root's.
   The roots, the chains and the refinement's column choice are in :mod:`planner.optimize._cft_refine`.
5. *Huge models* (:data:`HUGE_COLS` columns and more): one chain (λ0 = :data:`HUGE_LAMBDA0`), one (plain) walk a
   three-phase iteration, and the residual model's entries only in pricing and fixing (as AC-CFT). A refinement
   pass there has its own incumbent (a greedy cover of the fixed model, then the walks' covers) as the step's and
   the walks' upper bound, as AC-CFT's three-phase does (the pass still ends when its bound reaches the best
   cover); and the refinement's choice of columns draws its ties and a ±10 % perturbation of ``u*`` at random
   (:meth:`_Engine.refine_fix`, :meth:`_Engine.pass_start`).

Deterministic: the budget counts work units (touched nonzeros, :data:`WORK_PER_S` per second
of a typical core is the rate used by callers that convert seconds), multipliers are
perturbed by a generator seeded with ``seed``; the wall clock is only a safety stop, and a
run it stops says so in ``stats["time_limited"]``.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kernels.cft import price, subgradient_chunk
from kernels.cft_greedy import core_rows, drop_redundant, greedy
from kernels.cft_price import price_fused, residual_cols
from kernels.cft_walk import heuristic_phase
from planner._stop import check
from planner.optimize._budget import OPS_PER_UNIT, Budget
from planner.optimize._cft_refine import greedy_cover, refinement_fix, run_chains
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side

#: work units per CPU second of one core of the development machine, the rate callers use to turn seconds into a
#: budget (the benchmarks; :func:`planner.optimize.solve` has its own, :data:`planner.optimize._budget.WORK_PER_S`).
#: Re-measured after the short-list greedy (seed 0, fixed budgets, load 2.0-2.4): rail507 3.7e8, rail516 4.5e8,
#: rail582 3.9e8, scp41/42/44 4.3-4.7e8, scpnrg3 4.2e8, scpa2 3.1e8; 4.0e8 over all (was 2.0e8, measured before the
#: session-4/5 kernels; a budget then bought about half the seconds it was meant to)
WORK_PER_S = 4.0e8
#: columns of smallest reduced cost kept per row in the core (plus k_i − 1), and the reduced
#: cost below which a column joins the core anyway (at most 5 m of them; on large models 5 m̄, m̄ = rows still needing
#: covers, as CFT and AC-CFT count the fixed instance's rows: see :data:`LARGE_COLS`)
CORE_PER_ROW = 5
RC_SMALL = 0.1
#: greedy calls (and subgradient steps) of the heuristic phase
HEUR_ITERS = 250
#: subgradient exit: over :data:`EXIT_PERIOD` steps the bound rose by less than both
EXIT_PERIOD = 300
ABS_EXIT = 1.0
REL_EXIT = 0.001
#: initial step factor λ of phase 1, one per refinement chain (module docstring, item 4). The step is
#: λ (UB − L) / ‖s‖² and the CFT rule only changes λ outside a dead band (bound spread 0.1–1 % over 20 steps):
#: with the greedy's UB a few % above the bound, 0.1 (CFT's value) leaves the steps small and the bound slow
#: (root bound, seed 0: rail582 206.9 after 3,600 steps vs 208.5 with λ0 = 1 after ~700; rail507 169.3 vs 171.1;
#: scpnrh1 38.4 vs 45.7), and rail582 / scpnrh1 missed AC-CFT's value; λ0 = 1 alone (Held & Karp, Beasley 1990
#: start at 2) reaches them on 4 of 4 seeds but misses scpnrh3 (61 vs 60) on 4 of 4 seeds, which 0.1 reaches on
#: 4 of 4. No single value served every OR-Library class, so the refinement runs one chain per value. The
#: chains share one best cover: seed 0 then meets AC-CFT's value on all 35 OR-Library files we have; independent
#: chains (each its own cover) did better on other seeds (11 vs 7 of 12 on seeds 1 and 3 of rail582, scpnrh1,
#: scpnrh3, scpa1, scpnrg3, scpnrg4) but missed scpnrg2 and scpnrg3 on seed 0 (BENCHMARKS.md, issue 12, OR)
LAMBDA0S = (1.0, 0.1)
#: models of at least this many columns are "large": pricing by :func:`kernels.cft_price.price_fused` (same cores as
#: :func:`kernels.cft.price`, whose row walk reads scattered reduced costs: 1 M columns 91–182 → 45–58 ms a pricing;
#: scpnrg3 0.6–1.4 vs 1.0–1.2 ms) and the core's small columns capped at 5 m̄, not 5 m (1,000 × 51,000 rail-like:
#: 16 passes in 62 CPU s, not 7, and 173 at 62 s, not 175; on small files seed 0 got slower to AC-CFT's value with
#: 5 m̄: scpclr12 24.1 vs 15.8 CPU s of 23.0, scpnrg3 14.6 vs 12.8 of 16.1, load ~2)
LARGE_COLS = 40_000
#: models of at least this many columns are "huge" (OR-Library rail2536–4872: 0.9–1.1 M columns). There the engine runs
#: as AC-CFT does: one refinement chain with :data:`HUGE_LAMBDA0` (one root pass, not two), one heuristic walk a
#: three-phase iteration (the plain one), and the pricing, core copies and column fixing read only the residual
#: model's entries (live columns, open rows: :meth:`_Engine.focus`). With λ0 = 1 the first steps of every phase 1 on a
#: million columns drove L(u) far below the core's bound (pricing period stuck at 10: 17–18 pricings a phase 1, not
#: 9–13). Measured, seed 0, CPU s: 2,500 × 1,002,500 rail-like root pass 77.7 → 43–45 s, 418 at 46.5 → 414 at 38 s;
#: 8 real-rail blocks (4,233 × 386,742) root 48.4 → 25.0 s, 1,350 at 45.1 → 1,348 at 23.8 s (BENCHMARKS.md, OR
#: session 6). The threshold lies above every model compared with AC-CFT on the standard path (OR-Library files
#: ≤ 63,009 columns, real-rail stacks ≤ 147,263), which keep their measured search unchanged
HUGE_COLS = 200_000
#: phase 1's initial step factor on huge models (CFT's and AC-CFT's value; see :data:`HUGE_COLS`)
HUGE_LAMBDA0 = 0.1


def pricing_period(delta: float, period: int, cap: int) -> int:
    """Subgradient steps until the next pricing: longer while the core's bound ``delta`` (its gap to
    the full bound, relative to the upper bound) stays small, back to 10 when the core is poor (CFT).
    """
    if delta <= 1e-6:
        return min(cap, 10 * period)
    if delta <= 0.02:
        return min(cap, 5 * period)
    if delta <= 0.2:
        return min(cap, 2 * period)
    return 10


@dataclass
class CftResult:
    """Result of :func:`cft_solve`.

    Attributes
    ----------
    selected : ndarray of bool, shape (n_cols,)
        The best cover found (fixed columns included); all False when none was found.
    objective : float
        Its cost (``inf`` when none).
    bound : float
        A valid lower bound on the optimum (rounded up for integral costs); ``inf`` when the
        model is infeasible (some row has fewer than ``k_i`` allowed columns).
    feasible : bool
        Whether ``selected`` covers every row.
    work : int
        Work units spent.
    stats : dict
        Passes, whether the wall-clock safety stop cut the run, and ``history``: one
        ``(work, cost, wall s, CPU s)`` entry per improvement of the cover (seconds since the call;
        the benchmark reads the time to reach a target cost from it).
    """

    selected: NDArray[np.bool_]
    objective: float
    bound: float
    feasible: bool
    work: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        """Whether the bound proves the cover optimal."""
        return self.feasible and self.bound >= self.objective - 1e-9 * max(1.0, abs(self.objective))


@dataclass
class _Core:
    """A core: its column ids (ascending) and their compact column-major copy (``ptr``, ``rows``,
    ``cost``; ``pos`` = 0 … size − 1, the column list the kernels take).
    """

    ids: NDArray[np.int64]
    ptr: NDArray[np.int64]
    rows: NDArray[np.int64]
    cost: NDArray[np.float64]
    pos: NDArray[np.int64]


class _Engine:
    """State of one run: the model over the free columns and the best cover (see module docstring)."""

    def __init__(self, a: sp.csc_matrix, cost: NDArray[np.float64], k0: NDArray[np.int64], free: NDArray[np.bool_],
                 work_limit: int, seed: int, deadline: float | None) -> None:
        self.c_ptr = a.indptr.astype(np.int64)
        self.c_rows = a.indices.astype(np.int64)
        self.large = a.shape[1] >= LARGE_COLS
        self.huge = a.shape[1] >= HUGE_COLS
        r = sp.csr_matrix((1, 1), dtype=np.int8) if self.large else a.tocsr()  # for kernels.cft.price's row walk
        r.sort_indices()
        self.r_ptr, self.r_cols = r.indptr.astype(np.int64), r.indices.astype(np.int64)
        self.a = a
        # the columns the pricing, the core copies and the column fixing read: the model's, or on huge models the
        # residual of the current three-phase iteration (:meth:`focus`)
        self.w_ptr, self.w_rows, self.wa = self.c_ptr, self.c_rows, a
        self.cost = cost
        self.k0 = k0
        self.free0 = free
        self.m, self.n = a.shape
        self.work = 0
        self.work_limit = int(work_limit)
        self.deadline = deadline
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        self.time_limited = False
        self.rng = np.random.default_rng(seed)
        integral = bool(np.all(cost == np.round(cost)))
        self.eps = 0.999 if integral else 1e-9 * max(1.0, float(cost.sum()))
        self.integral = integral
        self.best = np.zeros(self.n, dtype=bool)
        self.best_val = math.inf
        self.history: list[tuple[int, float, float, float]] = []
        # Beasley's clipping of the direction (kernels.cft.subgradient_step). Measured without it:
        # rail582 211 instead of 212, but rail507 176 instead of 175 and scpa1 254 instead of 253
        self.clip = True
        self.lam0 = LAMBDA0S[0]  # λ0 of the next phase 1 (set per refinement chain)
        self.stop_at = -math.inf  # the run ends once the best cover (free columns) costs at most this
        self.cpu_deadline = math.inf  # and once the process's CPU seconds pass this (benchmarks)

    def spent(self) -> bool:
        check()  # SIGINT/SIGTERM: planner._stop
        if self.work >= self.work_limit or self.best_val <= self.stop_at + 1e-9:
            return True
        if self.deadline is not None and time.perf_counter() > self.deadline:
            self.time_limited = True
            return True
        if time.process_time() > self.cpu_deadline:
            self.time_limited = True
            return True
        return False

    def cover_count(self, sel: NDArray[np.bool_], a: sp.spmatrix | None = None) -> NDArray[np.int64]:
        """Covers per row of the columns ``sel`` in ``a`` (default: the model's matrix)."""
        return np.asarray((self.a if a is None else a) @ sel.astype(np.int64)).ravel().astype(np.int64)

    def offer(self, sel: NDArray[np.bool_]) -> None:
        """Remove redundant columns from a cover of the free model; keep it when it is the best."""
        sel = sel.copy()
        _, w = drop_redundant(self.c_ptr, self.c_rows, self.cost, self.k0, sel)
        self.work += w
        val = float(self.cost[sel].sum())
        if val < self.best_val - 1e-9 and bool(np.all(self.cover_count(sel) >= self.k0)):
            self.best, self.best_val = sel, val
            self.history.append((self.work, val, round(time.perf_counter() - self.t0, 4),
                                 round(time.process_time() - self.c0, 4)))

    def initial_u(self, k_res: NDArray[np.int64], free: NDArray[np.bool_]) -> NDArray[np.float64]:
        """``u_i = min over free columns j of row i of c_j / |j|`` (0 for rows already served)."""
        deg = np.diff(self.c_ptr).astype(np.float64)
        ratio = np.where(free & (deg > 0), self.cost / np.maximum(deg, 1.0), np.inf)
        u = np.full(self.m, np.inf)
        np.minimum.at(u, self.c_rows, np.repeat(ratio, np.diff(self.c_ptr)))
        u[~np.isfinite(u) | (k_res <= 0)] = 0.0
        self.work += self.c_rows.size
        return u

    def price(self, k_res: NDArray[np.int64], free: NDArray[np.bool_], u: NDArray[np.float64],
              rc: NDArray[np.float64]) -> tuple[_Core, float]:
        cap = 5 * (max(1, int(np.count_nonzero(k_res > 0))) if self.large else self.m)
        if self.large:
            core, lb, w = price_fused(self.w_ptr, self.w_rows, self.cost, k_res, free, u, CORE_PER_ROW, RC_SMALL,
                                      cap, rc)
        else:
            core, lb, w = price(self.c_ptr, self.c_rows, self.r_ptr, self.r_cols, self.cost, k_res, free, u,
                                CORE_PER_ROW, RC_SMALL, cap, rc)
        self.work += w
        return self.compact(core), lb

    def compact(self, cols: NDArray[np.int64]) -> _Core:
        """The core columns ``cols`` (ascending) copied into contiguous arrays: the core kernels then read
        one small block instead of scattered columns of a large model (same columns, same order, same results).
        """
        lens = self.w_ptr[cols + 1] - self.w_ptr[cols]
        ptr = np.zeros(cols.size + 1, dtype=np.int64)
        np.cumsum(lens, out=ptr[1:])
        rows = self.w_rows[np.repeat(self.w_ptr[cols] - ptr[:-1], lens) + np.arange(ptr[-1], dtype=np.int64)]
        self.work += 2 * int(ptr[-1]) + cols.size
        return _Core(cols, ptr, rows, self.cost[cols], np.arange(cols.size, dtype=np.int64))

    def subgradient(self, k_res: NDArray[np.int64], free: NDArray[np.bool_], u: NDArray[np.float64],
                    ub_res: float, stop_res: float) -> tuple[float, NDArray[np.float64], _Core, float]:
        """Phase 1: returns (best full bound, its multipliers, the last core, the last step factor λ).

        ``ub_res``: the step's upper bound; ``stop_res`` (≤ ``ub_res``): the phase ends once the bound reaches it.
        """
        rc = np.zeros(self.n)
        core, lb = self.price(k_res, free, u, rc)
        best_real, best_u = lb, u.copy()
        active = int((k_res > 0).sum())
        max_iters = 10 * max(active, 1)
        period_cap = max(10, min(1000, active // 3))
        hist, state = np.zeros(20), np.zeros(1, dtype=np.int64)
        lam, period, it = self.lam0, 10, 0
        next_exit, prev_exit = EXIT_PERIOD, -math.inf
        bu = u.copy()
        while it < max_iters and best_real < stop_res - self.eps and not self.spent():
            chunk = min(period, max_iters - it)
            core_lb, lam, w = subgradient_chunk(core.ptr, core.rows, core.cost, k_res, core.pos, u, bu, -math.inf,
                                                ub_res, lam, chunk, hist, state, self.clip)
            self.work += w
            it += chunk
            core, lb = self.price(k_res, free, u, rc)
            if lb > best_real:
                best_real, best_u = lb, u.copy()
            delta = (core_lb - lb) / max(abs(ub_res), 1e-9) if math.isfinite(ub_res) else 1.0
            period = pricing_period(delta, period, period_cap)
            if it >= next_exit:
                next_exit += EXIT_PERIOD
                gain = best_real - prev_exit
                prev_exit = best_real
                if gain < ABS_EXIT and gain < REL_EXIT * max(abs(best_real), 1e-9):
                    break
        return best_real, best_u, core, lam

    def three_phase(self, fixed_in: NDArray[np.bool_]) -> tuple[float, NDArray[np.float64]] | None:
        """Phases 1–3 with ``fixed_in`` taken; returns the first pass's (bound, multipliers)."""
        fixed = fixed_in.copy()
        free = self.free0 & ~fixed
        k_res = np.maximum(self.k0 - self.cover_count(fixed), 0)
        fixed_cost = float(self.cost[fixed].sum())
        u = self.initial_u(k_res, free)
        root: tuple[float, NDArray[np.float64]] | None = None
        # huge models, refinement passes: the pass's own incumbent (a greedy cover of the fixed model, then the walks'
        # covers) is the subgradient's and the walks' cutoff; the global best still ends the pass (:meth:`pass_start`)
        own = self.huge and bool(fixed.any()) and bool((k_res > 0).any())
        inc = self.pass_start(fixed, free, k_res, u) if own else math.inf
        while (k_res > 0).any() and not self.spent():
            ub_res = (inc if own else self.best_val) - fixed_cost
            live = self.live(free, k_res)
            self.focus(live, k_res)
            lb, u_best, core, lam = self.subgradient(k_res, live, u, ub_res, self.best_val - fixed_cost)
            if root is None:
                root = (lb, u_best)
            if lb + fixed_cost >= self.best_val - self.eps or self.spent():
                break
            # two heuristic phases from the same multipliers: AC-CFT's plain subgradient direction, then
            # the non-redundant clipped one of phase 1; the fixing takes the first's best core multipliers
            val, u_fix = ub_res, np.empty(self.m)
            for plain in ((True,) if self.huge else (True, False)):
                sel_core = np.zeros(core.ids.size, dtype=bool)
                u_heur = np.empty(self.m)
                v, w = heuristic_phase(core.ptr, core.rows, core.cost, k_res, core.pos, u_best.copy(), val, lam,
                                       HEUR_ITERS, sel_core, self.eps, self.clip, plain, u_heur)
                self.work += w
                if plain:
                    u_fix = u_heur
                if v < val - 1e-9:
                    val = v
                    sel = fixed.copy()
                    sel[core.ids[sel_core]] = True
                    self.offer(sel)
            inc = min(inc, val + fixed_cost)
            u_best = u_fix
            new = self.fix_columns(k_res, live, u_best)
            fixed |= new
            free &= ~new
            fixed_cost = float(self.cost[fixed].sum())
            k_res = np.maximum(self.k0 - self.cover_count(fixed), 0)
            u = u_best * self.rng.uniform(0.9, 1.1, size=self.m)
            u[k_res <= 0] = 0.0
        if not (k_res > 0).any():
            self.offer(fixed)
        self.w_ptr, self.w_rows, self.wa = self.c_ptr, self.c_rows, self.a
        return root

    def pass_start(self, fixed: NDArray[np.bool_], free: NDArray[np.bool_], k_res: NDArray[np.int64],
                   u: NDArray[np.float64]) -> float:
        """A refinement pass's own incumbent on huge models (:func:`planner.optimize._cft_refine.greedy_cover`, offered
        too): its cost, the step's and walks' cutoff (the best cover is a tight UB of the fixed model: small steps).
        """
        sel, w = greedy_cover(self.c_ptr, self.c_rows, self.cost, self.k0, fixed, free, k_res, u)
        self.work += w
        if sel is None:  # not met: the fixed columns come from a cover
            return self.best_val
        self.offer(sel)
        return float(self.cost[sel].sum())

    def live(self, free: NDArray[np.bool_], k_res: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Free columns serving an open row (the others: ``u_i = 0`` on their rows, nothing to ``L(u)`` or a cover)."""
        self.work += self.c_rows.size
        return free & (np.asarray(self.a.T @ (k_res > 0).astype(np.int32)).ravel() > 0)

    def focus(self, live: NDArray[np.bool_], k_res: NDArray[np.int64]) -> None:
        """On huge models, the residual columns (:func:`kernels.cft_price.residual_cols`: the live columns' entries on
        open rows) become the ones the pricing, the core copies and the fixing read: same reduced costs, bounds,
        cores and fixings (``u_i = 0`` on closed rows); the plain walk's step norm no longer counts closed rows
        (AC-CFT drops them from its instance).
        """
        if not self.huge:
            return
        ptr, rows, w = residual_cols(self.c_ptr, self.c_rows, live, k_res > 0)
        self.work += w
        self.w_ptr, self.w_rows = ptr, rows
        self.wa = sp.csc_matrix((np.ones(rows.size, dtype=np.int8), rows, ptr), shape=(self.m, self.n))

    def fix_columns(self, k_res: NDArray[np.int64], free: NDArray[np.bool_],
                    u: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Phase 3: columns of very negative reduced cost sharing no row, then ``max(1, m/200)`` greedy picks."""
        rc = self.cost - np.asarray(self.wa.T @ u).ravel()
        self.work += self.w_rows.size
        q = free & (rc < -0.001)
        cov = self.cover_count(q, self.wa)  # rows other than the open ones do not count
        over = (cov > np.maximum(k_res, 1)) & (k_res > 0)
        bad = np.zeros(self.n, dtype=bool)
        if over.any():
            bad = np.asarray(self.wa.T @ over.astype(np.int64)).ravel() > 0
        q &= ~bad
        need = np.maximum(k_res - self.cover_count(q, self.wa), 0)
        cand = np.flatnonzero(free & ~q).astype(np.int64)
        rp, rpos = core_rows(self.w_ptr, self.w_rows, self.m, cand)
        order = np.empty(cand.size, dtype=np.int64)
        n_fix = max(1, self.m // 200)
        n_new, _, w = greedy(self.w_ptr, self.w_rows, rp, rpos, self.cost, need, u, cand,
                             np.zeros(cand.size, dtype=bool), order, n_fix)
        self.work += w + 2 * rpos.size
        extra = order[:min(n_new, n_fix)]
        out: NDArray[np.bool_] = np.array(q, dtype=bool)
        out[extra] = True
        return out

    def refine_fix(self, u: NDArray[np.float64], share: float) -> NDArray[np.bool_]:
        """Columns of the best cover with the smallest gap contributions serving ``share`` of the rows; on huge models
        with ``u`` perturbed by ±10 % and ties in random order (st8: 603 of 1,119 contributions 0; in column order every
        cycle repeated the last one's fixings, stuck at 1,347 for 450 CPU s: BENCHMARKS.md, OR session 7).
        """
        cov = self.cover_count(self.best).astype(np.float64)
        tie = None
        if self.huge:  # random ties and multipliers perturbed by ±10 %: each pass and cycle fixes other columns
            tie = self.rng.random(int(self.best.sum()))
            u = u * self.rng.uniform(0.9, 1.1, size=self.m)
        out, work = refinement_fix(self.a, self.c_ptr, self.c_rows, self.cost, self.k0, u, self.best, cov,
                                   int(share * self.m), tie)
        self.work += work
        return out


def cft_solve(a: sp.spmatrix, cost: NDArray[np.float64], k: NDArray[np.int64] | None = None,
              fixed: NDArray[np.bool_] | None = None, forbidden: NDArray[np.bool_] | None = None, *,
              work_limit: int, seed: int = 0, incumbent: NDArray[np.bool_] | None = None,
              wall_limit_s: float | None = None, max_stale_cycles: int | None = None,
              stop_at: float | None = None, cpu_limit_s: float | None = None) -> CftResult:
    """Weighted set multicover by the CFT scheme (see module docstring for the model and method).

    Parameters
    ----------
    a : scipy.sparse matrix, shape (m, n)
        Incidence, nonzero = column ``j`` serves row ``i``.
    cost : ndarray of float, shape (n,)
        Column costs (≥ 0, any unit).
    k : ndarray of int, shape (m,), optional
        Covers each row needs (default 1).
    fixed, forbidden : ndarray of bool, shape (n,), optional
        Columns that must / must not be taken.
    work_limit : int
        Budget in work units (touched nonzeros; :data:`WORK_PER_S` per second is typical).
    seed : int
        Seed of the multiplier perturbation; same seed and budget give the same result.
    incumbent : ndarray of bool, optional
        A known cover (fixed columns may be in it); used as the starting upper bound.
    wall_limit_s : float, optional
        Safety stop only (a run it cuts short is not reproducible: ``stats["time_limited"]``).
    max_stale_cycles : int, optional
        Stop after this many refinement cycles (π from 0.3 up to 1) in a row that did not
        improve the cover; None: restart cycles until the budget is spent.
    stop_at : float, optional
        Stop once a cover of at most this cost is found (benchmarks racing a reference value).
    cpu_limit_s : float, optional
        Safety stop on this process's CPU seconds (benchmarks whose allowance is in CPU seconds; like
        ``wall_limit_s``, a run it cuts short says so in ``stats["time_limited"]``).

    Returns
    -------
    CftResult
    """
    t0, c0 = time.perf_counter(), time.process_time()
    csc = sp.csc_matrix(a, dtype=np.int8)
    csc.sum_duplicates()
    csc.sort_indices()
    csc.data = np.ones(csc.nnz, dtype=np.int8)
    m, n = csc.shape
    cost = np.asarray(cost, dtype=np.float64).reshape(-1)
    kk = np.ones(m, dtype=np.int64) if k is None else np.asarray(k, dtype=np.int64).reshape(-1)
    fix = np.zeros(n, bool) if fixed is None else np.asarray(fixed, dtype=bool).reshape(-1)
    forb = np.zeros(n, bool) if forbidden is None else np.asarray(forbidden, dtype=bool).reshape(-1)
    if cost.size != n or kk.size != m or fix.size != n or forb.size != n:
        raise ValueError("cost/fixed/forbidden need one entry per column and k one per row")
    if (cost < 0).any() or not np.isfinite(cost).all():
        raise ValueError("costs must be finite and ≥ 0")
    if (fix & forb).any():
        raise ValueError("a column cannot be both fixed and forbidden")
    base = fix | ((cost == 0) & ~forb)
    free = ~forb & ~base
    cnt_base = np.asarray(csc @ base.astype(np.int64)).ravel()
    k0 = np.maximum(kk - cnt_base, 0).astype(np.int64)
    base_cost = float(cost[base].sum())
    avail = np.asarray(csc @ free.astype(np.int64)).ravel()
    stats: dict[str, Any] = {"rows": m, "cols": n, "free_cols": int(free.sum()), "base_cols": int(base.sum())}
    if (avail < k0).any():
        stats["infeasible_rows"] = int((avail < k0).sum())
        return CftResult(np.zeros(n, bool), math.inf, math.inf, False, 0, stats)
    deadline = None if wall_limit_s is None else t0 + float(wall_limit_s)
    eng = _Engine(csc, cost, k0, free, work_limit, seed, deadline)
    if stop_at is not None:
        eng.stop_at = float(stop_at) - base_cost
    if cpu_limit_s is not None:
        eng.cpu_deadline = c0 + float(cpu_limit_s)
    eng.t0, eng.c0 = t0, c0  # the history's seconds count from the call
    if incumbent is not None:
        inc = np.asarray(incumbent, dtype=bool).reshape(-1) & free
        eng.offer(inc)
    if (k0 > 0).any():
        u0 = eng.initial_u(k0, free)
        cand = np.flatnonzero(free).astype(np.int64)
        rp, rpos = core_rows(eng.c_ptr, eng.c_rows, m, cand)
        order = np.empty(cand.size, dtype=np.int64)
        n_sel, _, w = greedy(eng.c_ptr, eng.c_rows, rp, rpos, cost, k0, u0, cand, np.zeros(cand.size, dtype=bool),
                             order)
        eng.work += w + 2 * rpos.size
        sel = np.zeros(n, dtype=bool)
        sel[order[:n_sel]] = True
        eng.offer(sel)
    else:
        eng.offer(np.zeros(n, dtype=bool))
    run = run_chains(eng, n, ((HUGE_LAMBDA0,) if eng.huge else LAMBDA0S) if (k0 > 0).any() else (), max_stale_cycles)
    lb, root_bound = run.lb, run.root_bound
    if eng.integral and math.isfinite(lb):
        lb = math.ceil(lb - 1e-6)
    bound = base_cost + max(lb, 0.0)
    best = eng.best | base
    objective = base_cost + eng.best_val if math.isfinite(eng.best_val) else math.inf
    if math.isfinite(objective):
        bound = min(bound, objective)
    stats.update({"passes": run.passes, "restarts": run.restarts, "work": eng.work, "time_limited": eng.time_limited,
                  "seconds": round(time.perf_counter() - t0, 3), "history": eng.history,
                  "root_bound": float(base_cost + root_bound)})
    return CftResult(best if math.isfinite(objective) else np.zeros(n, bool), float(objective), float(bound),
                     math.isfinite(objective), eng.work, stats)


#: share of :func:`planner.optimize.solve`'s work budget given to the engine on models it applies to
#: (the local search's share, which solve skips on those models)
SOLVE_SHARE = 0.3


def cft_applies(red: Reduced, side: Side, mode: str) -> bool:
    """Whether the engine models a reduced problem exactly: min cost, every row hard (full
    cover, any ``k``), no side constraint (conflicts, groups, type caps, budget, site count).
    """
    return (mode == "min_cost" and red.n_cols > 0 and red.a.shape[0] > 0 and bool(red.hard.all())
            and not side.has_side)


def cft_stage(red: Reduced, side: Side, inc: NDArray[np.bool_] | None, ops: float, seed: int, wall_s: float,
              stats: dict[str, Any], max_stale_cycles: int | None = None) -> tuple[NDArray[np.bool_] | None, float]:
    """The engine on a reduced model (see :func:`cft_applies`): ``(cover of the free columns or None,
    lower bound)`` in the reduced model's cost units (the taken columns' cost excluded).

    ``ops``: work budget (elementary operations, as :func:`cft_solve` counts them);
    ``wall_s``: the safety stop; ``inc``: the heuristics' cover, if any.
    """
    t0 = time.perf_counter()
    res = cft_solve(red.a, side.cost, red.k, work_limit=int(ops), seed=seed, incumbent=inc, wall_limit_s=wall_s,
                    max_stale_cycles=max_stale_cycles)
    stats["cft"] = {"objective": res.objective if res.feasible else None, "bound": res.bound, "work": res.work,
                    "passes": res.stats.get("passes", 0), "time_limited": bool(res.stats.get("time_limited", False)),
                    "seconds": round(time.perf_counter() - t0, 3)}
    if not math.isfinite(res.bound):
        return None, math.inf
    return (res.selected if res.feasible else None), float(res.bound)


def cft_improve(red: Reduced, side: Side, inc: NDArray[np.bool_], budget: Budget, seed: int,
                stats: dict[str, Any]) -> tuple[NDArray[np.bool_], float]:
    """The engine as a stage of :func:`planner.optimize.solve` (models of :func:`cft_applies`).

    Runs on :data:`SOLVE_SHARE` of ``budget`` (stopping after one refinement cycle without
    improvement), records its work as stage ``"cft"``, and returns the cheaper of ``inc`` and
    its cover, with its lower bound (reduced cost units; ``-inf`` when it has none).
    """
    sel, lb = cft_stage(red, side, inc, budget.ops(SOLVE_SHARE), seed, budget.seconds_left(), stats, max_stale_cycles=1)
    budget.spend("cft", stats["cft"]["work"] / OPS_PER_UNIT)
    if stats["cft"]["time_limited"]:
        budget.limited("cft")
    if sel is None or float(side.cost[sel].sum()) >= float(side.cost[inc].sum()) - 1e-9:
        sel = inc
    return sel, (lb if math.isfinite(lb) else -math.inf)


@functools.cache
def warm_up_cft() -> None:
    """Compile (or load from numba's cache) the engine's kernels on a 6 × 6 cyclic 2-cover (once per process).

    :func:`planner.optimize.solve` calls it beside :func:`planner.optimize._warmup.warm_up` and
    :func:`planner.optimize._cft_partial.warm_up_partial`, before its budget starts.
    """
    n = 6
    rows = np.r_[np.arange(n), (np.arange(n) + 1) % n, (np.arange(n) + 2) % n]
    a = sp.csc_matrix((np.ones(3 * n), (rows, np.tile(np.arange(n), 3))), shape=(n, n))
    cost = np.arange(1.0, n + 1.0)
    cft_solve(a, cost, np.r_[np.full(n - 1, 1), 2], work_limit=200_000)
    # the large and huge models' kernels, which this model is too small to reach
    price_fused(a.indptr.astype(np.int64), a.indices.astype(np.int64), cost, np.ones(n, dtype=np.int64),
                np.ones(n, dtype=bool), np.ones(n), CORE_PER_ROW, RC_SMALL, 5 * n, np.zeros(n))
    residual_cols(a.indptr.astype(np.int64), a.indices.astype(np.int64), np.ones(n, dtype=bool), np.ones(n, dtype=bool))
