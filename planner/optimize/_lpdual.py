r"""A valid lower bound from approximate LP duals: PDLP on the relaxation, then ``L(u)`` evaluated exactly.

The relaxation of a reduced min-cost model (:class:`~planner.optimize._reduce.Reduced`,
notation of :mod:`kernels.cft_partial`)::

    min Σ_j c_j x_j   s.t.  Σ_j a_ij x_j − k_i y_i ≥ 0   soft row i      (dual u_i ≥ 0)
                            Σ_j a_ij x_j ≥ k_i             hard row i      (dual u_i ≥ 0)
                            Σ_{i∈A} w_i y_i ≥ N_A          area A, N_A > 0
                            Σ_{j∈G} x_j ≤ 1                pole group G (合杆)
                            0 ≤ x, y ≤ 1

is solved *approximately* by PDLP (primal–dual hybrid gradient with restarts, Applegate et
al. 2021, "Practical large-scale linear programming using primal-dual hybrid gradient",
NeurIPS; OR-Tools' implementation, ``ortools.pdlp``) for a fixed number of iterations. Its
objective estimates are **never** reported: the cover-row duals ``u = max(0, dual)`` are only
a multiplier vector, and the bound is ``L(u)`` of :mod:`kernels.cft_partial` (cover rows
relaxed with ``u``; each area's fractional knapsack solved exactly, i.e. the best area
multiplier for this ``u``; at most one column per pole group; conflicts and type caps
dropped), evaluated by :func:`kernels.cft_partial.lagrangian_partial` over *every* free
column. Weak duality makes ``L(u)`` a lower bound of the reduced model for **any** ``u ≥ 0``,
however inaccurate PDLP's duals are; with the best multipliers it equals the LP optimum
(the relaxed subproblem has the integrality property), so as PDLP converges the bound tends to
the LP value.

Why not the subgradient of :mod:`kernels.lagrange`: on the demo model (88,008 rows × 31,662
columns, 849,909 nonzeros) 1,100 subgradient steps stop at 41,456 against the LP's 41,798
(HiGHS, 51 CPU s); 500 PDLP iterations (5 CPU s) give ``L(u)`` = 41,772, 1,500 give 41,795
(BENCHMARKS.md, "the LP-dual bound").

Deterministic: a fixed number of matrix shards (the same iterates on any number of threads),
no presolve, an iteration limit from the work budget (work units, :data:`PDLP_OPS_NNZ`,
:data:`PDLP_OPS_VEC`), no wall-clock share; the wall clock is only the safety stop (a run it
cuts says so, ``time_limited``). A later :meth:`LpDual.run` continues from the last
primal–dual point (PDLP's warm start).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize._budget import OPS_PER_UNIT
from planner.optimize._reduce import Reduced
from planner.optimize._side import Side

#: counted operations per constraint-matrix nonzero and per row + column in one PDLP iteration
#: (a product with the matrix and one with its transpose, the step, the restart and termination
#: checks every 64 iterations). Measured 2026-12-06 on the demo model (1,025,925 nonzeros,
#: 207,678 rows + columns), load 6–7 on 2 cores: 9–12 ms of CPU per iteration, so 5.35 units per
#: iteration is about 450 units per CPU second (the subgradient Lagrangian: 375–430); on the
#: city model (4.59 M nonzeros, 29.2 units an iteration) 510 iterations took 34 CPU s, 440 units/s
PDLP_OPS_NNZ = 4.0
PDLP_OPS_VEC = 6.0
#: counted operations per nonzero for building the LP and for one exact evaluation of ``L(u)``
BUILD_OPS_NNZ = 20.0
EVAL_OPS_NNZ = 3.0
#: PDLP's threads and its fixed number of matrix shards: with the shards fixed the iterates do
#: not depend on the threads (demo model, 300 and 1,000 iterations: the same dual bytes with 1
#: and 2 threads), so a caller with a free core may give it more threads without changing a
#: plan. One by default: on the shared 2-vCPU machine (load 3.8) 2 threads took 11.4 s of wall
#: for 1,000 demo iterations against 7.6 s with one. The work units count operations, not threads.
#: ``solve`` gives the PDLP it runs beside the local search its ``workers`` threads
#: (:func:`planner.optimize.solve._lp_ahead`): 2026-12-07 (PERF), demo's 677 iterations, the same
#: bytes with 1 and 2 threads: beside other sessions' jobs (load 2.8–3.7) 1 thread 3.6–3.7 s alone and
#: 6.0–7.5 s beside the local search, 2 threads 2.8–4.8 s and 5.5–5.7 s; beside two CPU burners started
#: from the same shell 1 thread 14.7–15.4 s alone and 20–24 s beside the search, 2 threads 5.2–7.2 s and
#: 8.7–10.3 s (Linux schedules by autogroup, one per session: within its group a process gets a share
#: per thread, against other groups one share whatever its threads)
PDLP_THREADS = 1
PDLP_SHARDS = 8
#: share of a run's work given to a short subgradient from PDLP's multipliers
#: (:func:`kernels.lagrange.subgradient`, λ = :data:`POLISH_LAMBDA`, each chunk of
#: :data:`POLISH_CHUNK` steps continued from its best point): it removes part of PDLP's dual
#: noise. Measured from PDLP's point: demo +9 in 10 steps, +15 in 60; city +53 in 50 steps
#: (λ 0.002–0.05 within a few 万元 of each other; 0.2 gains nothing on the city)
POLISH_SHARE = 0.1
POLISH_LAMBDA = 0.01
POLISH_CHUNK = 25
#: without a known plan the polish's target level is this multiple of the bound
POLISH_LEVEL = 1.05
#: PDLP endings whose dual point is kept (a primal-infeasibility ray would give an arbitrarily large
#: ``L(u)`` for a model with no plan, and a numerical failure nothing useful)
USABLE = ("TERMINATION_REASON_ITERATION_LIMIT", "TERMINATION_REASON_OPTIMAL", "TERMINATION_REASON_TIME_LIMIT")
#: fewest PDLP iterations worth running (below this the duals are not better than the
#: subgradient's starting point)
MIN_ITERS = 64


class LpDual:
    """The LP relaxation of a reduced min-cost model, PDLP's state and the best exact ``L(u)``.

    Parameters
    ----------
    red : Reduced
        The reduced model (``min_cost``).
    side : Side
        Its side constraints (costs, pole groups; conflicts and caps are dropped by the bound).
    threads : int
        PDLP's threads (default :data:`PDLP_THREADS`). The matrix is always cut into
        :data:`PDLP_SHARDS` shards, so the result does not depend on it: bit-identical multipliers
        with 1 or 2 threads (tested); only the wall time changes.

    Attributes
    ----------
    u : ndarray of float
        Multipliers of the reduced rows at the best ``L(u)`` so far (zeros before a run).
    x : ndarray of float
        PDLP's approximate primal ``x`` of the last run (clipped to [0, 1]; not feasible in
        general: for cores and rounding, never for a bound).
    lb : float
        Best exact ``L(u)`` (reduced cost units, −inf before a run).
    iterations : int
        PDLP iterations run, all runs together.
    time_limited : bool
        Whether the wall-clock safety stop cut a run short.
    termination : str
        PDLP's termination reason of the last run (``TERMINATION_REASON_ITERATION_LIMIT`` normally).
    """

    def __init__(self, red: Reduced, side: Side, threads: int = 0) -> None:
        from planner.optimize._heuristics import csc_of

        self.red = red
        self.side = side
        self.threads = int(threads) if threads > 0 else PDLP_THREADS
        self.m = int(red.a.shape[0])
        self.n = int(red.n_cols)
        self.cost = np.ascontiguousarray(side.cost, dtype=np.float64)
        self.group = (np.ascontiguousarray(side.group, dtype=np.int64) if side.n_groups
                      else np.full(self.n, -1, dtype=np.int64))
        self.n_groups = int(side.n_groups)
        self.c_ptr, self.c_idx = csc_of(red)
        soft = np.flatnonzero(~red.hard)
        self.order = soft[np.argsort(red.area[soft], kind="stable")].astype(np.int64)
        self.a_ptr = np.searchsorted(red.area[self.order], np.arange(red.need.size + 1)).astype(np.int64)
        self.need = np.maximum(red.need, 0.0).astype(np.float64)
        self.u = np.zeros(self.m, dtype=np.float64)
        self.x = np.zeros(self.n, dtype=np.float64)
        self.lb = -math.inf
        self.iterations = 0
        self.polish_steps = 0
        self.time_limited = False
        self.termination = ""
        self.seconds = 0.0
        self._qp: Any = None
        self._rows: NDArray[np.int64] = np.zeros(0, np.int64)  # reduced row of each LP cover row
        self._start: Any = None
        self.lp_nnz = 0
        self.lp_size = 0
        self._pre: tuple[float, float] | None = None  # (max_ops, operations) of a run's PDLP part done ahead

    # --- the LP ----------------------------------------------------------------------------
    def _build(self) -> None:
        """The PDLP model: cover rows that can bind (hard, or soft in an area that needs weight), areas, groups."""
        from ortools.pdlp.python import pdlp

        red = self.red
        m, n = self.m, self.n
        need_row = red.need[red.area] > 0
        rows = np.flatnonzero(red.hard | need_row).astype(np.int64)
        soft = rows[~red.hard[rows]]
        ns = soft.size
        a = sp.csr_matrix(red.a[rows].astype(np.float64))
        pos = np.full(m, -1, dtype=np.int64)
        pos[rows] = np.arange(rows.size)
        ycol = sp.csr_matrix((-red.k[soft].astype(np.float64), (pos[soft], np.arange(ns))), shape=(rows.size, ns))
        areas = np.unique(red.area[soft])  # the areas whose soft rows must cover weight (hard areas: hard rows)
        apos = np.full(red.need.size, -1, dtype=np.int64)
        apos[areas] = np.arange(areas.size)
        amat = sp.csr_matrix((red.w[soft].astype(np.float64), (apos[red.area[soft]], n + np.arange(ns))),
                             shape=(areas.size, n + ns))
        blocks = [sp.hstack([a, ycol]).tocsr(), amat]
        lo = [np.where(red.hard[rows], red.k[rows].astype(np.float64), 0.0), red.need[areas].astype(np.float64)]
        hi = [np.full(rows.size, np.inf), np.full(areas.size, np.inf)]
        if self.n_groups:
            gcols = np.flatnonzero(self.group >= 0)
            blocks.append(sp.csr_matrix((np.ones(gcols.size), (self.group[gcols], gcols)),
                                        shape=(self.n_groups, n + ns)))
            lo.append(np.full(self.n_groups, -np.inf))
            hi.append(np.ones(self.n_groups))
        mat = sp.vstack(blocks).tocsc()
        qp = pdlp.QuadraticProgram()
        qp.objective_vector = np.r_[self.cost, np.zeros(ns)]
        qp.constraint_lower_bounds = np.concatenate(lo)
        qp.constraint_upper_bounds = np.concatenate(hi)
        qp.variable_lower_bounds = np.zeros(n + ns)
        qp.variable_upper_bounds = np.ones(n + ns)
        qp.constraint_matrix = mat
        self._qp = qp
        self._rows = rows
        self.lp_nnz = int(mat.nnz)
        self.lp_size = int(mat.shape[0] + mat.shape[1])

    def ops_per_iter(self) -> float:
        """Counted operations of one PDLP iteration (:data:`PDLP_OPS_NNZ`, :data:`PDLP_OPS_VEC`)."""
        soft = int((~self.red.hard).sum())  # before the build: an estimate (a y column per soft row)
        nnz = self.lp_nnz or int(self.red.a.nnz) + soft
        size = self.lp_size or self.m + self.n + soft
        return PDLP_OPS_NNZ * nnz + PDLP_OPS_VEC * size

    def fixed_ops(self) -> float:
        """Counted operations of building the LP (first run only) and one exact ``L(u)``."""
        nnz = float(self.red.a.nnz)
        return (BUILD_OPS_NNZ * nnz if self._qp is None else 0.0) + EVAL_OPS_NNZ * nnz + 4.0 * (self.m + self.n)

    def run(self, max_ops: float, deadline: float, level: float | None = None) -> float:
        """PDLP, ``L(u)``, then the subgradient polish, for ``max_ops`` counted operations in all.

        ``deadline``: the wall-clock safety stop (``time.perf_counter()``). ``level``: a known
        plan's cost in reduced units, the polish's target level (None: :data:`POLISH_LEVEL` ×
        the bound). Returns the work units spent. Fewer than :data:`MIN_ITERS` affordable PDLP
        iterations: nothing is run (0).
        """
        t0 = time.perf_counter()
        if self._pre is not None:  # its PDLP part ran ahead (:meth:`prefetch`)
            if self._pre[0] != max_ops:
                raise RuntimeError("run: max_ops differs from the prefetched PDLP's")
            ops = self._pre[1]
        else:
            ops = self._pdlp((1.0 - POLISH_SHARE) * max_ops, deadline)
        self._pre = None
        if ops > 0.0:
            ops += self._polish(POLISH_SHARE * max_ops, level, deadline)
        self.seconds += time.perf_counter() - t0
        return ops / OPS_PER_UNIT

    def prefetch(self, max_ops: float, deadline: float) -> None:
        """The PDLP part of a first :meth:`run` of ``max_ops``, done now; that run then goes on with the polish.

        PDLP depends on the model alone (not on a known plan), so a caller may run it ahead, e.g.
        beside the local search (:func:`planner.optimize._heuristics.improve_partial`); the run
        gives the same multipliers, bound and work as without it. Only before any run.
        """
        if self.iterations or self._pre is not None:
            raise RuntimeError("prefetch: only before the first run")
        t0 = time.perf_counter()
        self._pre = (float(max_ops), self._pdlp((1.0 - POLISH_SHARE) * max_ops, deadline))
        self.seconds += time.perf_counter() - t0

    def prefetched(self, red: Reduced, side: Side, max_ops: float) -> bool:
        """Whether :meth:`prefetch` ran for this model (the same objects) and this ``max_ops``."""
        return self._pre is not None and self.red is red and self.side is side and self._pre[0] == float(max_ops)

    def sub_ops_per_step(self) -> float:
        """Counted operations of one subgradient step (the estimate of :mod:`planner.optimize._exact`)."""
        soft = float(self.order.size)
        return 3.0 * float(self.red.a.nnz) + 2.0 * soft * max(1.0, math.log2(max(soft, 2.0))) + 4.0 * self.n

    def _polish(self, max_ops: float, level: float | None, deadline: float) -> float:
        """Subgradient steps from the best multipliers (:data:`POLISH_SHARE`); keeps a better exact ``L(u)``."""
        from kernels.lagrange import subgradient

        steps = int((max_ops - EVAL_OPS_NNZ * float(self.red.a.nnz)) / self.sub_ops_per_step())
        if steps <= 0 or not math.isfinite(self.lb):
            return 0.0
        lvl = float(level) if level is not None and level > self.lb else POLISH_LEVEL * max(self.lb, 1.0)
        red = self.red
        k = red.k.astype(np.int64)
        w = red.w.astype(np.float64)
        u = self.u.copy()
        lam, done = POLISH_LAMBDA, 0
        while done < steps and lam >= 1e-6:
            if time.perf_counter() >= deadline:
                self.time_limited = True
                break
            chunk = min(POLISH_CHUNK, steps - done)
            _, lam = subgradient(self.c_ptr, self.c_idx, self.cost, k, w, red.hard, self.a_ptr, self.order,
                                 self.need, u, lvl, chunk, lam)
            done += chunk
        self.polish_steps += done
        val = self.value(u)  # the kernel's own value drops the pole groups: evaluate exactly
        if val > self.lb:
            self.lb, self.u = val, u
        return done * self.sub_ops_per_step() + EVAL_OPS_NNZ * float(red.a.nnz)

    def _pdlp(self, max_ops: float, deadline: float) -> float:
        """PDLP from the last point for the iterations ``max_ops`` pays for; the counted operations spent."""
        from ortools.pdlp import solve_log_pb2, solvers_pb2
        from ortools.pdlp.python import pdlp

        if self.m == 0 or self.n == 0:
            return 0.0
        fixed = self.fixed_ops()
        if int((max_ops - fixed) / self.ops_per_iter()) < MIN_ITERS:
            return 0.0
        if self._qp is None:
            self._build()
        iters = int((max_ops - fixed) / self.ops_per_iter())
        params = solvers_pb2.PrimalDualHybridGradientParams()
        params.num_threads = self.threads
        params.num_shards = PDLP_SHARDS
        params.verbosity_level = 0
        params.presolve_options.use_glop = False
        crit = params.termination_criteria
        crit.iteration_limit = iters
        crit.simple_optimality_criteria.eps_optimal_relative = 1e-9
        crit.simple_optimality_criteria.eps_optimal_absolute = 1e-9
        crit.time_sec_limit = max(0.05, deadline - time.perf_counter())
        res = pdlp.primal_dual_hybrid_gradient(self._qp, params, initial_solution=self._start)
        log = solve_log_pb2.SolveLog.FromString(res.solve_log_str) if hasattr(res, "solve_log_str") else res.solve_log
        done = int(log.iteration_count)
        self.termination = solve_log_pb2.TerminationReason.Name(log.termination_reason)
        if log.termination_reason == solve_log_pb2.TERMINATION_REASON_TIME_LIMIT:
            self.time_limited = True
        start = pdlp.PrimalAndDualSolution()
        start.primal_solution = np.asarray(res.primal_solution, dtype=np.float64)
        start.dual_solution = np.asarray(res.dual_solution, dtype=np.float64)
        self._start = start
        self.x = np.clip(np.asarray(res.primal_solution, dtype=np.float64)[: self.n], 0.0, 1.0)
        self.iterations += done
        if self.termination not in USABLE:  # an infeasibility ray or a failure: no multipliers to keep
            self._start = None
            return fixed + done * self.ops_per_iter()
        u = np.zeros(self.m, dtype=np.float64)
        u[self._rows] = np.maximum(np.asarray(res.dual_solution, dtype=np.float64)[: self._rows.size], 0.0)
        val = self.value(u)
        if val > self.lb:
            self.lb, self.u = val, u
        return fixed + done * self.ops_per_iter()

    # --- the exact Lagrangian --------------------------------------------------------------
    def value(self, u: NDArray[np.float64], y: NDArray[np.float64] | None = None,
              rc: NDArray[np.float64] | None = None) -> float:
        """Exact ``L(u)`` over every free column (:func:`kernels.cft_partial.lagrangian_partial`).

        ``y`` and ``rc``, when given, receive the knapsack's row values and the reduced costs.
        """
        from kernels.cft_partial import lagrangian_partial

        red = self.red
        y_ = np.zeros(self.m, dtype=np.float64) if y is None else y
        rc_ = np.zeros(self.n, dtype=np.float64) if rc is None else rc
        val, _ = lagrangian_partial(self.c_ptr, self.c_idx, self.cost, red.k.astype(np.int64),
                                    red.w.astype(np.float64), red.hard, self.a_ptr, self.order, self.need, self.group,
                                    np.full(max(self.n_groups, 1), -1, dtype=np.int64),
                                    np.arange(self.n, dtype=np.int64), np.ascontiguousarray(u, dtype=np.float64),
                                    rc_, np.zeros(self.n, dtype=np.bool_), y_,
                                    np.zeros(red.need.size, dtype=np.float64))
        return float(val)

    def reduced_costs(self) -> NDArray[np.float64]:
        """``c_j − Σ_i a_ij u_i`` at the best multipliers (one per free column)."""
        rc: NDArray[np.float64] = self.cost - np.asarray(self.red.a.T @ self.u, dtype=np.float64).ravel()
        return rc

    def knapsack_y(self) -> NDArray[np.float64]:
        """Each reduced row's knapsack value ``y_i`` at the best multipliers."""
        y = np.zeros(self.m, dtype=np.float64)
        self.value(self.u, y=y)
        return y


@dataclass
class LpDualResult:
    """What :func:`lp_dual_solve` returns (reduced model's units and indices)."""

    bound: float  # exact L(u) at the best u (reduced cost units; 0 when nothing ran)
    u: NDArray[np.float64]  # multipliers, one per reduced row
    rc: NDArray[np.float64]  # reduced costs c_j - Σ_i a_ij u_i, one per free column
    x: NDArray[np.float64]  # PDLP's approximate primal x (not a plan, not feasible in general)
    y: NDArray[np.float64]  # the knapsack's y_i at u (rows the relaxation counts covered)
    units: float  # work units spent
    iterations: int


def lp_dual_solve(red: Reduced, side: Side, max_ops: float, budget: Any, stats: dict[str, Any],
                  ub: float = math.inf, pre: LpDual | None = None) -> LpDualResult:
    """PDLP on the relaxation for ``max_ops`` counted operations: bound, multipliers, reduced costs, primal ``x``.

    ``budget`` (:class:`~planner.optimize._budget.Budget`): the work is recorded as stage
    ``"lp_dual"``, its deadline is the safety stop. ``ub``: a known plan's cost in reduced
    units (the polish's target level; inf: none). ``stats["lp_dual"]``: bound, iterations,
    polish steps, seconds, units, ``time_limited``, PDLP's termination reason. ``pre``: an
    :class:`LpDual` whose PDLP part ran ahead (:meth:`LpDual.prefetch`), used when it is this
    model's and this ``max_ops``' (else a fresh one runs): the same result either way.
    """
    ld = pre if pre is not None and pre.prefetched(red, side, max_ops) else LpDual(red, side)
    units = ld.run(max_ops, budget.deadline, ub if math.isfinite(ub) else None)
    budget.spend("lp_dual", units)
    lb = ld.lb if math.isfinite(ld.lb) else 0.0
    stats["lp_dual"] = {"bound": float(lb), "iterations": ld.iterations, "polish_steps": ld.polish_steps,
                        "time_limited": ld.time_limited, "seconds": round(ld.seconds, 3), "units": round(units, 3),
                        "termination": ld.termination}
    y = ld.knapsack_y() if ld.iterations else np.zeros(ld.m, dtype=np.float64)
    return LpDualResult(float(lb), ld.u, ld.reduced_costs(), ld.x, y, units, ld.iterations)


def lp_dual_bound(red: Reduced, side: Side, ub: float, max_ops: float, budget: Any,
                  stats: dict[str, Any]) -> tuple[float, NDArray[np.float64]]:
    """Drop-in for :func:`planner.optimize._exact.lagrangian_bound`: ``(L(u), reduced costs)``, reduced units.

    ``max_ops``: the stage's work in counted operations; ``budget``
    (:class:`~planner.optimize._budget.Budget`): where the work is recorded (stage
    ``"lp_dual"``) and the safety stop. ``ub``: a known plan's cost in reduced units (inf:
    none), the polish's target level. ``stats["lp_dual"]`` records bound, iterations, seconds and
    ``time_limited``. Falls back to 0 (costs are ≥ 0) when the share pays for fewer than
    :data:`MIN_ITERS` iterations.
    """
    res = lp_dual_solve(red, side, max_ops, budget, stats, ub)
    return res.bound, res.rc
