r"""Lagrangian kernels of the CFT engine for partial area targets and side constraints.

Model (reduced problem: free columns ``j`` with costs ``c_j ≥ 0``; rows ``i`` needing ``k_i``
distinct serving columns, weight ``w_i > 0`` and area ``A(i)``; hard rows must be covered,
the soft rows of area ``A`` must cover a weight ``N_A``)::

    min Σ_j c_j x_j
    s.t. k_i y_i ≤ Σ_j a_ij x_j                     every row i     (multipliers u_i ≥ 0)
         y_i = 1                                     hard rows
         Σ_{i∈A} w_i y_i ≥ N_A                       every area A    (multipliers v_A ≥ 0)
         Σ_{j∈G} x_j ≤ 1                             every pole group G (合杆)
         conflicts, per-type caps;   x, y ∈ {0, 1}

Relaxing the cover rows with ``u`` and keeping the area, group and 0/1 constraints (conflicts
and caps dropped: a further relaxation) gives, for every ``u ≥ 0``, the valid lower bound::

    L(u) = Σ_{j ungrouped} min(0, c_j(u)) + Σ_G min(0, min_{j∈G} c_j(u))      c_j(u) = c_j − Σ_i a_ij u_i
         + Σ_{i hard} k_i u_i + Σ_A min { Σ_{i∈A} k_i u_i y_i : Σ_{i∈A} w_i y_i ≥ N_A, 0 ≤ y ≤ 1 }

The last term (the linear relaxation of each area's knapsack, a further relaxation) is a
fractional knapsack: rows in increasing ``k_i u_i / w_i`` until ``N_A`` is reached. By LP
duality it equals ``max_{v_A ≥ 0} v_A N_A + Σ_{i∈A} min(0, k_i u_i − v_A w_i)``, so the
critical ratio it stops at is the best *area multiplier* ``v_A`` for this ``u``
(:func:`row_part` returns it). With every area hard this is the pure set-cover bound of
:mod:`kernels.cft` (Caprara, Fischetti & Toth 1999, Oper. Res. 47(5):730–743, §2).

Subgradient direction ``s_i = k_i y_i − Σ_{j: x_j(u) = 1} a_ij`` (rows with ``u_i = 0`` and
``s_i < 0`` clipped to 0, Beasley's rule), step ``t = λ (UB − L(u)) / ‖s‖²``, λ by the CFT
rule of :func:`kernels.cft.update_lambda`.

:func:`side_greedy` is the Lagrangian greedy of :mod:`kernels.cft_greedy` restricted by the
side constraints: a column whose group is used, whose type has reached its cap, or that
conflicts with a chosen column is never chosen.

Work is counted in touched nonzeros plus columns and rows (machine-independent units).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit
from kernels.cft_greedy import _pop, _push, _score, _take_rows


@jit
def row_part(k: NDArray[np.int64], w: NDArray[np.float64], hard: NDArray[np.bool_], a_ptr: NDArray[np.int64],
             a_rows: NDArray[np.int64], need: NDArray[np.float64], u: NDArray[np.float64], y: NDArray[np.float64],
             v: NDArray[np.float64]) -> tuple[float, int]:
    """Row part of ``L(u)``: hard rows and each area's fractional knapsack.

    ``a_ptr/a_rows``: the soft rows (with ``k_i > 0``) of each area; ``need[A]``: weight area
    ``A`` must still cover (≤ 0: none). Fills ``y`` (rows' relaxed cover values) and ``v``
    (the critical ratio of each area, its best multiplier for this ``u``; 0 when the need is
    met without cost). Ties in the ratio: the earlier entry of ``a_rows`` first.
    Returns ``(value, work)``.
    """
    total = 0.0
    m = k.size
    work = m
    for i in range(m):
        if hard[i] and k[i] > 0:
            y[i] = 1.0
            total += k[i] * u[i]
        else:
            y[i] = 0.0
    for a in range(a_ptr.size - 1):
        lo, hi = a_ptr[a], a_ptr[a + 1]
        v[a] = 0.0
        if hi == lo or need[a] <= 0.0:
            continue
        ratio = np.empty(hi - lo, dtype=np.float64)
        for t in range(hi - lo):
            i = a_rows[lo + t]
            ratio[t] = k[i] * u[i] / w[i]
        order = np.argsort(ratio, kind="mergesort")
        work += 4 * (hi - lo) + int((hi - lo) * np.log2(hi - lo + 1))
        left = need[a]
        for t in range(hi - lo):
            if left <= 0.0:
                break
            i = a_rows[lo + order[t]]
            v[a] = ratio[order[t]]
            if w[i] <= left:
                y[i] = 1.0
                left -= w[i]
            else:
                y[i] = left / w[i]
                left = 0.0
            total += k[i] * u[i] * y[i]
    return total, work


@jit
def col_part(cols: NDArray[np.int64], rcv: NDArray[np.float64], group: NDArray[np.int64], gbest: NDArray[np.int64],
             x: NDArray[np.bool_]) -> float:
    """Column part of ``L(u)``: ``Σ min(0, rcv)`` with at most one column per group (its smallest
    reduced cost; ties: the earlier entry). ``rcv[t]``: reduced cost of ``cols[t]``; ``gbest``:
    scratch per group, all −1 on entry and on return; ``x[t]`` receives the minimising ``x``.
    """
    total = 0.0
    for t in range(cols.size):
        x[t] = False
        if rcv[t] >= 0.0:
            continue
        g = group[cols[t]]
        if g < 0:
            x[t] = True
            total += rcv[t]
        elif gbest[g] < 0 or rcv[t] < rcv[gbest[g]]:
            gbest[g] = t
    for t in range(cols.size):
        g = group[cols[t]]
        if g >= 0 and gbest[g] >= 0:
            b = gbest[g]
            x[b] = True
            total += rcv[b]
            gbest[g] = -1
    return total


@jit
def reduced_costs(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                  cols: NDArray[np.int64], u: NDArray[np.float64], rcv: NDArray[np.float64]) -> int:
    """``rcv[t] = c_j − Σ_i a_ij u_i`` for ``j = cols[t]``; returns the work."""
    work = cols.size
    for t in range(cols.size):
        j = cols[t]
        val = cost[j]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            val -= u[c_rows[p]]
        work += c_ptr[j + 1] - c_ptr[j]
        rcv[t] = val
    return work


@jit
def lagrangian_partial(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                       k: NDArray[np.int64], w: NDArray[np.float64], hard: NDArray[np.bool_],
                       a_ptr: NDArray[np.int64], a_rows: NDArray[np.int64], need: NDArray[np.float64],
                       group: NDArray[np.int64], gbest: NDArray[np.int64], cols: NDArray[np.int64],
                       u: NDArray[np.float64], rcv: NDArray[np.float64], x: NDArray[np.bool_], y: NDArray[np.float64],
                       v: NDArray[np.float64]) -> tuple[float, int]:
    """``L(u)`` over the columns ``cols`` (a valid bound when ``cols`` holds every allowed column);
    fills ``rcv``, ``x``, ``y`` and ``v``. Returns ``(L(u), work)``.
    """
    work = reduced_costs(c_ptr, c_rows, cost, cols, u, rcv)
    val = col_part(cols, rcv, group, gbest, x)
    rv, w2 = row_part(k, w, hard, a_ptr, a_rows, need, u, y, v)
    return val + rv, work + w2 + 2 * cols.size


@jit
def partial_step(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                 k: NDArray[np.int64], w: NDArray[np.float64], hard: NDArray[np.bool_], a_ptr: NDArray[np.int64],
                 a_rows: NDArray[np.int64], need: NDArray[np.float64], group: NDArray[np.int64],
                 gbest: NDArray[np.int64], cols: NDArray[np.int64], u: NDArray[np.float64], rcv: NDArray[np.float64],
                 x: NDArray[np.bool_], y: NDArray[np.float64], v: NDArray[np.float64], s: NDArray[np.float64],
                 ub: float, lam: float, clip: bool) -> tuple[float, int]:
    """One subgradient step from ``u`` (updated in place); returns ``(L(u) before the step, work)``."""
    val, work = lagrangian_partial(c_ptr, c_rows, cost, k, w, hard, a_ptr, a_rows, need, group, gbest, cols, u, rcv,
                                   x, y, v)
    m = k.size
    for i in range(m):
        s[i] = k[i] * y[i]
    for t in range(cols.size):
        if x[t]:
            j = cols[t]
            for p in range(c_ptr[j], c_ptr[j + 1]):
                s[c_rows[p]] -= 1.0
            work += c_ptr[j + 1] - c_ptr[j]
    norm = 0.0
    for i in range(m):
        if k[i] <= 0 or (clip and u[i] <= 0.0 and s[i] < 0.0):
            s[i] = 0.0
        norm += s[i] * s[i]
    work += 3 * m
    if norm <= 0.0:
        return val, work
    gap = ub - val
    if gap < 1e-9:
        gap = 1e-9
    t_step = lam * gap / norm
    for i in range(m):
        nv = u[i] + t_step * s[i]
        u[i] = nv if nv > 0.0 else 0.0
    return val, work


@jit
def partial_chunk(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                  k: NDArray[np.int64], w: NDArray[np.float64], hard: NDArray[np.bool_], a_ptr: NDArray[np.int64],
                  a_rows: NDArray[np.int64], need: NDArray[np.float64], group: NDArray[np.int64],
                  cols: NDArray[np.int64], u: NDArray[np.float64], best_u: NDArray[np.float64], best_lb: float,
                  ub: float, lam: float, iters: int, state: NDArray[np.float64], period: int,
                  clip: bool) -> tuple[float, float, int]:
    """``iters`` steps of :func:`partial_step` on the core ``cols``; the best core multipliers go
    to ``best_u``; λ follows :func:`update_lambda_stall` (``state``, ``period``). Stops once the
    core bound reaches ``ub − 1e-9``. Returns ``(best core bound, λ, work)``.
    """
    n_g = 1
    for t in range(cols.size):
        if group[cols[t]] + 1 > n_g:
            n_g = group[cols[t]] + 1
    gbest = np.full(n_g, -1, dtype=np.int64)
    rcv = np.zeros(cols.size, dtype=np.float64)
    x = np.zeros(cols.size, dtype=np.bool_)
    m = k.size
    y = np.zeros(m, dtype=np.float64)
    v = np.zeros(max(a_ptr.size - 1, 1), dtype=np.float64)
    s = np.zeros(m, dtype=np.float64)
    prev = np.empty(m, dtype=np.float64)
    work = 0
    for _ in range(iters):
        prev[:] = u
        val, w2 = partial_step(c_ptr, c_rows, cost, k, w, hard, a_ptr, a_rows, need, group, gbest, cols, u, rcv, x,
                               y, v, s, ub, lam, clip)
        work += w2 + m
        if val > best_lb:
            best_lb = val
            best_u[:] = prev
        lam = update_lambda_stall(state, val, lam, period)
        if best_lb >= ub - 1e-9:
            break
    return best_lb, lam, work


@jit
def update_lambda_stall(state: NDArray[np.float64], val: float, lam: float, period: int) -> float:
    """Beasley's λ rule: ``state = [best value, steps since it rose]``; λ halves after ``period``
    steps without a better value (the CFT spread rule of :func:`kernels.cft.update_lambda`
    shrinks λ too fast when the area knapsacks make ``L(u)`` oscillate).
    """
    if val > state[0] + 1e-12 * max(abs(state[0]), 1.0):
        state[0] = val
        state[1] = 0.0
        return lam
    state[1] += 1.0
    if state[1] >= period:
        state[1] = 0.0
        lam = max(lam * 0.5, 1e-6)
    return lam


@jit
def _blocked(j: int, allowed: NDArray[np.bool_], group: NDArray[np.int64], gused: NDArray[np.bool_],
             ctype: NDArray[np.int64], cap_left: NDArray[np.int64]) -> bool:
    if not allowed[j]:
        return True
    if group[j] >= 0 and gused[group[j]]:
        return True
    return bool(ctype[j] >= 0 and cap_left[ctype[j]] <= 0)


@jit
def side_greedy(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], r_ptr: NDArray[np.int64],
                r_pos: NDArray[np.int64], cost: NDArray[np.float64], need_in: NDArray[np.int64],
                u: NDArray[np.float64], cand: NDArray[np.int64], allowed: NDArray[np.bool_],
                group: NDArray[np.int64], gused: NDArray[np.bool_], conf_ptr: NDArray[np.int64],
                conf_idx: NDArray[np.int64], ctype: NDArray[np.int64], cap_left: NDArray[np.int64],
                order: NDArray[np.int64]) -> tuple[int, int, int]:
    """Lagrangian greedy over ``cand`` under the side constraints (scores of :mod:`kernels.cft_greedy`).

    ``r_ptr/r_pos``: :func:`kernels.cft_greedy.core_rows` of ``cand``; ``need_in[i]``: covers
    row ``i`` still needs (0 = not wanted). In/out, updated as columns are chosen: ``allowed``
    (per column; a chosen column and its conflict partners become False), ``gused`` (per
    group), ``cap_left`` (per capped type). ``order`` receives the chosen columns. A popped
    column that is blocked is dropped for good (blocking only grows). Returns
    ``(columns chosen, rows left short, work)``.
    """
    nc = cand.size
    need = need_in.copy()
    gam = np.zeros(nc, dtype=np.float64)
    mu = np.zeros(nc, dtype=np.int64)
    taken = np.zeros(nc, dtype=np.bool_)
    hv = np.empty(nc + 1, dtype=np.float64)
    hj = np.empty(nc + 1, dtype=np.int64)
    size = 0
    work = 0
    for t in range(nc):
        j = cand[t]
        if _blocked(j, allowed, group, gused, ctype, cap_left):
            taken[t] = True
            continue
        g = cost[j]
        c = 0
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_rows[p]
            if need[i] > 0:
                g -= u[i]
                c += 1
        work += c_ptr[j + 1] - c_ptr[j] + 1
        gam[t] = g
        mu[t] = c
        if c > 0:
            size = _push(hv, hj, size, _score(g, c), t)
    short = 0
    for i in range(need.size):
        if need[i] > 0:
            short += 1
    n_new = 0
    while short > 0 and size > 0:
        sv, t, size = _pop(hv, hj, size)
        work += 8
        if taken[t] or mu[t] == 0:
            continue
        j = cand[t]
        if _blocked(j, allowed, group, gused, ctype, cap_left):
            taken[t] = True
            continue
        sc = _score(gam[t], mu[t])
        if sc > sv:
            size = _push(hv, hj, size, sc, t)
            continue
        taken[t] = True
        allowed[j] = False
        if group[j] >= 0:
            gused[group[j]] = True
        if ctype[j] >= 0:
            cap_left[ctype[j]] -= 1
        for p in range(conf_ptr[j], conf_ptr[j + 1]):
            allowed[conf_idx[p]] = False
        work += conf_ptr[j + 1] - conf_ptr[j]
        order[n_new] = j
        n_new += 1
        met, w, _ = _take_rows(j, c_ptr, c_rows, r_ptr, r_pos, need, u, taken, mu, gam)
        short -= met
        work += w
    return n_new, short, work
