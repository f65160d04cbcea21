r"""CFT refinement for the pure set-cover engine: the roots, the two chains and the column fixing of each pass.

Method (Caprara, Fischetti & Toth 1999, Oper. Res. 47(5):730–743, §4; AC-CFT's two-chain variant as
described in :mod:`planner.optimize._cft`, item 4): every chain first runs phases 1–3 on the whole model
(its *root*: the bound and the multipliers ``u*`` it keeps); then the chains take turns, pass by pass. A
pass fixes the best cover's columns of smallest gap contribution

    δ_j = max(0, c_j(u*)) + Σ_{i∈j} u*_i (cov_i − k_i) / cov_i

that serve a share π of the rows (:func:`refinement_fix`) and reruns phases 1–3 on the rest; π starts at
:data:`MIN_FIX` after an improvement and grows by :data:`ALPHA` otherwise. When π reaches 1 the chain's
cycle starts again (new multiplier perturbations); the run ends when the budget is spent, the bound proves
the cover optimal, or ``max_stale_cycles`` cycles in a row found nothing better.

:func:`refinement_fix` also serves the partial-target engine (:mod:`planner.optimize._cft_partial`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kernels.cft_greedy import core_rows, drop_redundant, greedy

#: refinement: first share of rows fixed, and its growth after a pass without improvement
MIN_FIX = 0.3
ALPHA = 1.1


class ChainEngine(Protocol):
    """What the chains need from the engine (:class:`planner.optimize._cft._Engine`)."""

    best_val: float
    eps: float
    lam0: float

    def spent(self) -> bool:
        """Whether the budget (or the safety stop) is used up."""
        ...

    def three_phase(self, fixed_in: NDArray[np.bool_]) -> tuple[float, NDArray[np.float64]] | None:
        """Phases 1–3 with ``fixed_in`` taken; the first phase 1's (bound, multipliers), None when none ran."""
        ...

    def refine_fix(self, u: NDArray[np.float64], share: float) -> NDArray[np.bool_]:
        """The best cover's columns to fix (:func:`refinement_fix`)."""
        ...


@dataclass
class Chain:
    """One refinement chain: its phase-1 step factor ``lam0``, its root multipliers ``u_root`` and bound,
    the share π of rows it fixes next, and the best cost at the previous pass (``prev``) and at the start
    of its cycle.
    """

    lam0: float
    u_root: NDArray[np.float64]
    root_bound: float
    cycle_start: float
    share: float = 0.0
    prev: float = math.inf


@dataclass
class ChainRun:
    """Outcome of :func:`run_chains`: the best root bound ``lb`` (free model, not rounded), the first
    chain's root bound, the passes (roots included) and the cycles restarted.
    """

    lb: float
    root_bound: float
    passes: int
    restarts: int


def run_chains(eng: ChainEngine, n: int, lam0s: tuple[float, ...], max_stale_cycles: int | None) -> ChainRun:
    """The roots (one per step factor in ``lam0s``) then the chains' refinement passes until the budget is
    spent, the cover is proven optimal or ``max_stale_cycles`` cycles in a row did not improve it.

    ``n``: columns of the model; ``lam0s`` empty: nothing to do (every row served).
    """
    lb, passes, restarts = 0.0, 0, 0
    chains: list[Chain] = []
    for lam0 in lam0s:
        if chains and (eng.spent() or lb >= eng.best_val - eng.eps):
            break
        eng.lam0 = lam0
        root = eng.three_phase(np.zeros(n, dtype=bool))
        passes += 1
        if root is None:
            break
        lb = max(lb, root[0])
        chains.append(Chain(lam0, root[1], root[0], eng.best_val))
    root_bound = chains[0].root_bound if chains else 0.0
    stale = 0
    while chains and not eng.spent() and lb < eng.best_val - eng.eps:
        ch = chains[passes % len(chains)]
        ch.share = min(1.0, ch.share * ALPHA)
        if eng.best_val < ch.prev:
            ch.share = MIN_FIX
        ch.prev = eng.best_val
        fixed_cols = eng.refine_fix(ch.u_root, ch.share)
        eng.lam0 = ch.lam0
        passes += 1
        eng.three_phase(fixed_cols)
        if ch.share >= 1.0:  # the chain's refinement ran its course: start it again (new perturbations)
            stale = stale + 1 if eng.best_val >= ch.cycle_start - 1e-9 else 0
            if max_stale_cycles is not None and stale >= max_stale_cycles:
                break
            ch.share, ch.prev, ch.cycle_start = 0.0, math.inf, eng.best_val
            restarts += 1
    return ChainRun(lb, root_bound, passes, restarts)


def refinement_fix(a: sp.csc_matrix, c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                   k: NDArray[np.int64], u: NDArray[np.float64], sel: NDArray[np.bool_], cov: NDArray[np.float64],
                   limit: int, tie: NDArray[np.float64] | None = None) -> tuple[NDArray[np.bool_], int]:
    """CFT refinement: the columns of plan ``sel`` to fix, and the work counted.

    Each chosen column's gap contribution is its positive reduced cost under ``u`` plus its share
    of the over-coverage ``u_i (cov_i − k_i) / cov_i`` of its rows (``cov``: covers per row); the
    columns are taken in increasing contribution while they cover at most ``limit`` rows. Equal
    contributions (often most of a cover's are 0) are taken in increasing ``tie`` (one key per column of
    ``sel``, in column order), or in column order when ``tie`` is None.
    """
    cols = np.flatnonzero(sel)
    excess = np.where(cov > 0, u * np.maximum(cov - k, 0) / np.maximum(cov, 1.0), 0.0)
    sub = a[:, cols]
    rc = cost[cols] - np.asarray(sub.T @ u).ravel()
    delta = np.maximum(rc, 0.0) + np.asarray(sub.T @ excess).ravel()
    work = 4 * int(np.diff(c_ptr)[cols].sum()) + u.size
    covered = np.zeros(u.size, dtype=bool)
    n_cov = 0
    out = np.zeros(sel.size, dtype=bool)
    order = np.argsort(delta, kind="stable") if tie is None else np.lexsort((tie, delta))
    for t in order:
        j = cols[t]
        rows = c_rows[c_ptr[j]:c_ptr[j + 1]]
        n_cov += int((~covered[rows]).sum())
        if n_cov > limit:
            break
        covered[rows] = True
        out[j] = True
    return out, work


def greedy_cover(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64], k: NDArray[np.int64],
                 fixed: NDArray[np.bool_], free: NDArray[np.bool_], k_res: NDArray[np.int64],
                 u: NDArray[np.float64]) -> tuple[NDArray[np.bool_] | None, int]:
    """The columns ``fixed`` plus a Lagrangian greedy cover (multipliers ``u``) of the ``k_res`` covers they leave
    short, from the ``free`` columns, less its redundant columns (``k``: the covers each row needs); None when the
    free columns cannot cover them. Also returns the work counted.

    A refinement pass's own incumbent, as AC-CFT's three-phase starts from its own greedy cover (its cost is the
    step's ``UB`` in ``λ (UB − L) / ‖s‖²`` and the walks' cutoff).
    """
    cand = np.flatnonzero(free).astype(np.int64)
    rp, rpos = core_rows(c_ptr, c_rows, k.size, cand)
    order = np.empty(cand.size, dtype=np.int64)
    n_sel, short, w = greedy(c_ptr, c_rows, rp, rpos, cost, k_res, u, cand, np.zeros(cand.size, dtype=bool), order)
    work = w + 2 * rpos.size
    if short > 0:
        return None, work
    sel = fixed.copy()
    sel[order[:n_sel]] = True
    _, w = drop_redundant(c_ptr, c_rows, cost, k, sel)
    return sel, work + w
