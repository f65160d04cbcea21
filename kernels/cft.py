"""Lagrangian kernels of the CFT set-cover engine: bound, subgradient steps on a core, pricing.

Model (weighted set multicover; the wrapper :mod:`planner.optimize._cft` removes fixed and
forbidden columns first, so ``k`` is what each row still needs)::

    min Σ_j c_j x_j   s.t.   Σ_j a_ij x_j ≥ k_i  (every row i),   x_j ∈ {0, 1}

Relaxing the cover rows with multipliers ``u_i ≥ 0`` gives the Lagrangian bound, valid for
any ``u ≥ 0`` and any column set that contains every column (Caprara, Fischetti & Toth 1999,
"A heuristic method for the set covering problem", Oper. Res. 47(5), §2)::

    L(u) = Σ_i k_i u_i + Σ_j min(0, c_j(u)),      c_j(u) = c_j − Σ_i a_ij u_i   (reduced cost)

(the ``x_j ≤ 1`` bounds make a negative reduced cost count once, so ``k_i > 1`` stays valid).
On a *core* (a subset of the columns) ``L`` is only an estimate; :func:`price` evaluates it
over every free column, which is the bound the engine reports. Subgradient steps follow
Held–Karp with the CFT rules: ``s_i = k_i − Σ_j a_ij x_j(u)``, ``s_i := 0`` where ``u_i = 0``
and ``s_i < 0``; ``t = λ (UB − L(u)) / ‖s‖²``; every 20 steps λ halves when the last 20
bounds spread more than 1 % and grows by 1.5 when they spread less than 0.1 %.

Work is counted in touched nonzeros plus columns (machine-independent units).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit

#: steps between two λ updates, and the spread thresholds (CFT 1999, §3)
LAMBDA_PERIOD = 20


@jit
def lagrangian(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64], k: NDArray[np.int64],
               cols: NDArray[np.int64], u: NDArray[np.float64], rcv: NDArray[np.float64]) -> float:
    """``L(u)`` over the columns ``cols``; ``rcv[t]`` = reduced cost of column ``cols[t]``."""
    total = 0.0
    for i in range(k.size):
        total += k[i] * u[i]
    for t in range(cols.size):
        j = cols[t]
        v = cost[j]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            v -= u[c_rows[p]]
        rcv[t] = v
        if v < 0.0:
            total += v
    return total


@jit
def subgradient_step(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                     k: NDArray[np.int64], cols: NDArray[np.int64], u: NDArray[np.float64], rcv: NDArray[np.float64],
                     s: NDArray[np.float64], ub: float, lam: float, clip: bool = True, plain: bool = False) -> float:
    """One step from ``u`` (updated in place); returns ``L(u)`` at the ``u`` it started from.

    Direction (AC-CFT's variant of the subgradient): the columns of negative reduced cost are
    taken in increasing reduced cost and one that only serves rows already holding ``k_i`` of
    them is skipped; ``s_i = k_i −`` (taken columns serving ``i``), and with ``clip``
    ``s_i := 0`` where ``u_i = 0`` and ``s_i < 0`` (Beasley's rule). This damps the over-covered rows that make plain
    subgradient zig-zag. With ``plain`` every column of negative reduced cost counts and nothing is
    clipped (the textbook subgradient, which AC-CFT's heuristic phase uses to vary the multipliers
    between its greedy calls). The value returned is the exact ``L(u)``.
    """
    val = lagrangian(c_ptr, c_rows, cost, k, cols, u, rcv)
    step_from(c_ptr, c_rows, k, cols, u, rcv, s, val, ub, lam, clip, plain)
    return val


@jit
def step_from(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], k: NDArray[np.int64], cols: NDArray[np.int64],
              u: NDArray[np.float64], rcv: NDArray[np.float64], s: NDArray[np.float64], val: float, ub: float,
              lam: float, clip: bool, plain: bool) -> None:
    """The move of :func:`subgradient_step` from ``u`` (in place), given ``rcv`` and ``val = L(u)`` of
    :func:`lagrangian` at that ``u`` (a caller that already has them skips their pass over the core).
    """
    m = k.size
    n_neg = 0
    for t in range(cols.size):
        if rcv[t] < 0.0:
            n_neg += 1
    neg = np.empty(n_neg, dtype=np.int64)
    negv = np.empty(n_neg, dtype=np.float64)
    q = 0
    for t in range(cols.size):
        if rcv[t] < 0.0:
            neg[q] = t
            negv[q] = rcv[t]
            q += 1
    order = np.argsort(negv, kind="mergesort")
    cov = np.zeros(m, dtype=np.int64)
    for r in range(n_neg):
        j = cols[neg[order[r]]]
        useful = plain
        for p in range(c_ptr[j], c_ptr[j + 1]):
            if useful:
                break
            if cov[c_rows[p]] < k[c_rows[p]]:
                useful = True
        if useful:
            for p in range(c_ptr[j], c_ptr[j + 1]):
                cov[c_rows[p]] += 1
    norm = 0.0
    for i in range(m):
        v = float(k[i] - cov[i])
        if clip and not plain and u[i] <= 0.0 and v < 0.0:
            v = 0.0
        s[i] = v
        norm += v * v
    if norm <= 0.0:
        return
    gap = ub - val
    if gap < 1e-9:
        gap = 1e-9
    t_step = lam * gap / norm
    for i in range(m):
        v = u[i] + t_step * s[i]
        u[i] = v if v > 0.0 else 0.0


@jit
def update_lambda(hist: NDArray[np.float64], state: NDArray[np.int64], val: float, lam: float) -> float:
    """Record ``val`` in the ring ``hist`` (``state[0]`` = steps so far); the CFT λ rule every period."""
    n = hist.size
    hist[state[0] % n] = val
    state[0] += 1
    if state[0] % n == 0:
        lo = hist.min()
        hi = hist.max()
        spread = (hi - lo) / max(abs(hi), 1e-9)
        if spread > 0.01:
            lam *= 0.5
        elif spread <= 0.001:
            lam *= 1.5
        lam = min(max(lam, 1e-6), 10.0)
    return lam


@jit
def subgradient_chunk(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                      k: NDArray[np.int64], cols: NDArray[np.int64], u: NDArray[np.float64],
                      best_u: NDArray[np.float64], best_lb: float, ub: float, lam: float, iters: int,
                      hist: NDArray[np.float64], state: NDArray[np.int64],
                      clip: bool = True) -> tuple[float, float, int]:
    """``iters`` subgradient steps on the core ``cols``; keeps the best core multipliers in ``best_u``.

    Stops early when the core bound reaches ``ub − 1e-9``. Returns ``(best core bound, λ, work)``.
    """
    rcv = np.zeros(cols.size, dtype=np.float64)
    s = np.zeros(k.size, dtype=np.float64)
    prev = np.empty(k.size, dtype=np.float64)
    nnz = 0
    for t in range(cols.size):
        nnz += c_ptr[cols[t] + 1] - c_ptr[cols[t]]
    work = 0
    for _ in range(iters):
        prev[:] = u
        val = subgradient_step(c_ptr, c_rows, cost, k, cols, u, rcv, s, ub, lam, clip)
        work += 3 * nnz + 8 * cols.size + 4 * k.size
        if val > best_lb:  # the bound belongs to the multipliers before the step
            best_lb = val
            best_u[:] = prev
        lam = update_lambda(hist, state, val, lam)
        if best_lb >= ub - 1e-9:
            break
    return best_lb, lam, work


@jit
def price(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], r_ptr: NDArray[np.int64], r_cols: NDArray[np.int64],
          cost: NDArray[np.float64], k: NDArray[np.int64], free: NDArray[np.bool_], u: NDArray[np.float64],
          per_row: int, rc_small: float, max_small: int,
          rc: NDArray[np.float64]) -> tuple[NDArray[np.int64], float, int]:
    """Reduced costs of every free column, the valid bound ``L(u)`` and a new core.

    The core: the (at most ``max_small``) free columns of smallest reduced cost below ``rc_small``,
    plus, for every row with ``k_i > 0``, its ``per_row + k_i − 1`` free columns of smallest
    reduced cost (ties: smaller index). Returns ``(sorted core, L(u), work)``.
    """
    n = cost.size
    m = k.size
    total = 0.0
    for i in range(m):
        total += k[i] * u[i]
    n_small = 0
    work = 0
    for j in range(n):
        if not free[j]:
            continue
        v = cost[j]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            v -= u[c_rows[p]]
        work += c_ptr[j + 1] - c_ptr[j] + 1
        rc[j] = v
        if v < 0.0:
            total += v
        if v < rc_small:
            n_small += 1
    in_core = np.zeros(n, dtype=np.bool_)
    small = np.empty(n_small, dtype=np.int64)
    t = 0
    for j in range(n):
        if free[j] and rc[j] < rc_small:
            small[t] = j
            t += 1
    if n_small > max_small:
        order = np.argsort(rc[small], kind="mergesort")  # stable: ties keep the smaller index
        small = small[order[:max_small]]
        work += n_small * 20
    for t in range(small.size):
        in_core[small[t]] = True
    buf_j = np.empty(per_row + 64, dtype=np.int64)
    buf_v = np.empty(per_row + 64, dtype=np.float64)
    for i in range(m):
        if k[i] <= 0:
            continue
        q = per_row + k[i] - 1
        if q > buf_j.size:
            q = buf_j.size
        cnt = 0
        for p in range(r_ptr[i], r_ptr[i + 1]):
            j = r_cols[p]
            if not free[j]:
                continue
            v = rc[j]
            if cnt == q and v >= buf_v[cnt - 1]:
                continue
            pos = cnt if cnt < q else q - 1
            while pos > 0 and buf_v[pos - 1] > v:
                buf_v[pos] = buf_v[pos - 1]
                buf_j[pos] = buf_j[pos - 1]
                pos -= 1
            buf_v[pos] = v
            buf_j[pos] = j
            if cnt < q:
                cnt += 1
        work += r_ptr[i + 1] - r_ptr[i]
        for t in range(cnt):
            in_core[buf_j[t]] = True
    return np.flatnonzero(in_core).astype(np.int64), total, work
