"""Lagrangian lower bound for partial, k-fold set cover by subgradient optimisation.

Relaxing ``k_i y_i ≤ Σ_j a_ij x_j`` with multipliers ``u_i ≥ 0`` gives, for any ``u``, the
valid lower bound (Beasley 1990; Caprara, Fischetti & Toth 1999 for pure cover)::

    L(u) = Σ_j min(0, c_j − Σ_i a_ij u_i)                      (x_j = 1 iff its reduced cost < 0)
         + Σ_{i hard} k_i u_i                                  (hard rows: y_i = 1)
         + Σ_A min { Σ_{i∈A} k_i u_i y_i : Σ_{i∈A} w_i y_i ≥ N_A, 0 ≤ y ≤ 1 }   (fractional knapsack)

Side constraints are dropped (a further relaxation), so ``L(u)`` stays a valid bound. The
multipliers follow Held–Karp subgradient steps ``u ← max(0, u + t·g)`` with
``g_i = k_i y_i − Σ_j a_ij x_j`` and ``t = λ (UB − L) / ‖g‖²``; λ halves after 20 steps
without improvement.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit


@jit
def lagrangian_value(c_ptr: NDArray[np.int64], c_idx: NDArray[np.int64], cost: NDArray[np.float64],
                     k: NDArray[np.int64], w: NDArray[np.float64], hard: NDArray[np.bool_],
                     a_ptr: NDArray[np.int64], a_rows: NDArray[np.int64], need: NDArray[np.float64],
                     u: NDArray[np.float64], x: NDArray[np.bool_], y: NDArray[np.float64],
                     rc: NDArray[np.float64]) -> float:
    """``L(u)``; fills the minimising ``x``, ``y`` and the reduced costs ``rc``.

    ``a_ptr/a_rows`` list the soft rows of each area (``need`` per area).
    """
    n = cost.size
    total = 0.0
    for j in range(n):
        s = cost[j]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            s -= u[c_idx[p]]
        rc[j] = s
        x[j] = s < 0.0
        if s < 0.0:
            total += s
    m = k.size
    for i in range(m):
        if hard[i]:
            y[i] = 1.0
            total += k[i] * u[i]
        else:
            y[i] = 0.0
    for a in range(a_ptr.size - 1):
        lo, hi = a_ptr[a], a_ptr[a + 1]
        if hi == lo or need[a] <= 0.0:
            continue
        rows = a_rows[lo:hi]
        ratio = np.empty(hi - lo, dtype=np.float64)
        for t in range(hi - lo):
            i = rows[t]
            ratio[t] = k[i] * u[i] / w[i] if w[i] > 0 else 1e300
        order = np.argsort(ratio)
        left = need[a]
        for t in range(hi - lo):
            i = rows[order[t]]
            if left <= 0.0:
                break
            if w[i] <= left:
                y[i] = 1.0
                left -= w[i]
            else:
                y[i] = left / w[i]
                left = 0.0
            total += k[i] * u[i] * y[i]
    return total


@jit
def subgradient(c_ptr: NDArray[np.int64], c_idx: NDArray[np.int64], cost: NDArray[np.float64],
                k: NDArray[np.int64], w: NDArray[np.float64], hard: NDArray[np.bool_],
                a_ptr: NDArray[np.int64], a_rows: NDArray[np.int64], need: NDArray[np.float64],
                u: NDArray[np.float64], ub: float, iters: int, lam: float) -> tuple[float, float]:
    """Run ``iters`` subgradient steps from ``u`` (updated in place to the best multipliers).

    Returns ``(best bound, final λ)``.
    """
    n = cost.size
    m = k.size
    x = np.zeros(n, dtype=np.bool_)
    y = np.zeros(m, dtype=np.float64)
    rc = np.zeros(n, dtype=np.float64)
    g = np.zeros(m, dtype=np.float64)
    best = -1e300
    best_u = u.copy()
    since = 0
    for _ in range(iters):
        val = lagrangian_value(c_ptr, c_idx, cost, k, w, hard, a_ptr, a_rows, need, u, x, y, rc)
        if val > best + 1e-12:
            best = val
            best_u[:] = u
            since = 0
        else:
            since += 1
            if since >= 20:
                lam *= 0.5
                since = 0
        for i in range(m):
            g[i] = k[i] * y[i]
        for j in range(n):
            if x[j]:
                for p in range(c_ptr[j], c_ptr[j + 1]):
                    g[c_idx[p]] -= 1.0
        norm = 0.0
        for i in range(m):
            if u[i] > 0.0 or g[i] > 0.0:
                norm += g[i] * g[i]
        if norm <= 1e-12 or lam < 1e-6:
            break
        gapv = ub - val
        if gapv <= 1e-9:
            break
        t = lam * gapv / norm
        for i in range(m):
            v = u[i] + t * g[i]
            u[i] = v if v > 0.0 else 0.0
    u[:] = best_u
    return best, lam
