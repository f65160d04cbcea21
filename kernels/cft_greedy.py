"""Lagrangian greedy (on a lazy priority queue) and redundant-column removal of the CFT engine.

Greedy on Lagrangian scores (Caprara, Fischetti & Toth 1999, §4): with multipliers ``u``,
a column ``j`` not yet chosen has ``μ_j`` = rows it serves that still lack covers and
``γ_j = c_j − Σ_{those rows} u_i``; its score is ``γ_j / μ_j`` when ``γ_j > 0`` and
``γ_j · μ_j`` otherwise; the smallest score is chosen (ties: smaller index). Covering a row
raises ``γ`` and lowers ``μ`` of its other columns, and both changes raise the score (shown
in the docstring of :func:`greedy`), so a lazy priority queue is exact: a popped entry whose
score is stale is pushed back with its new score. Rows needing ``k_i`` covers stay open
until ``k_i`` chosen columns serve them. ``u = 0`` gives Chvátal's ``c_j / μ_j`` greedy.

The heuristic phase (:mod:`kernels.cft_walk`) makes the same picks on a short-list instead of
the queue. Work is counted in touched nonzeros (machine-independent units).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit


@jit
def core_rows(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], m: int,
              cols: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row-major incidence ``(r_ptr, r_pos)`` of the columns ``cols``: ``r_pos`` holds positions in ``cols``
    (ascending per row when ``cols`` is sorted).
    """
    cnt = np.zeros(m + 1, dtype=np.int64)
    for t in range(cols.size):
        j = cols[t]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            cnt[c_rows[p] + 1] += 1
    for i in range(m):
        cnt[i + 1] += cnt[i]
    r_cols = np.empty(cnt[m], dtype=np.int64)
    fill = cnt[:m].copy()
    for t in range(cols.size):
        j = cols[t]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_rows[p]
            r_cols[fill[i]] = t
            fill[i] += 1
    return cnt, r_cols


#: emptied queue entries tolerated before the queue is rebuilt without them
REBUILD_MIN = 32


@jit
def _score(g: float, mu: int) -> float:
    return g / mu if g > 0.0 else g * mu


@jit
def _before(v1: float, j1: int, v2: float, j2: int) -> bool:
    return v1 < v2 or (v1 == v2 and j1 < j2)


@jit
def _push(hv: NDArray[np.float64], hj: NDArray[np.int64], size: int, v: float, j: int) -> int:
    pos = size
    while pos > 0:
        par = (pos - 1) >> 1
        if _before(v, j, hv[par], hj[par]):
            hv[pos] = hv[par]
            hj[pos] = hj[par]
            pos = par
        else:
            break
    hv[pos] = v
    hj[pos] = j
    return size + 1


@jit
def _pop(hv: NDArray[np.float64], hj: NDArray[np.int64], size: int) -> tuple[float, int, int]:
    v0, j0 = hv[0], hj[0]
    size -= 1
    if size > 0:  # the last entry takes the root's place
        _sift_down(hv, hj, size, 0, hv[size], hj[size])
    return v0, j0, size


@jit
def _sift_down(hv: NDArray[np.float64], hj: NDArray[np.int64], size: int, pos: int, v: float, j: int) -> None:
    """Place ``(v, j)`` at ``pos`` of a heap of ``size`` entries whose subtrees below ``pos`` are heaps."""
    while True:
        c = 2 * pos + 1
        if c >= size:
            break
        if c + 1 < size and _before(hv[c + 1], hj[c + 1], hv[c], hj[c]):
            c += 1
        if _before(hv[c], hj[c], v, j):
            hv[pos] = hv[c]
            hj[pos] = hj[c]
            pos = c
        else:
            break
    hv[pos] = v
    hj[pos] = j


@jit
def _heapify(hv: NDArray[np.float64], hj: NDArray[np.int64], size: int) -> None:
    """Floyd's bottom-up heap construction, O(size)."""
    for pos in range(size // 2 - 1, -1, -1):
        _sift_down(hv, hj, size, pos, hv[pos], hj[pos])


@jit
def _take_rows(
    j: int,
    c_ptr: NDArray[np.int64],
    c_rows: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_pos: NDArray[np.int64],
    need: NDArray[np.int64],
    u: NDArray[np.float64],
    taken: NDArray[np.bool_],
    mu: NDArray[np.int64],
    gam: NDArray[np.float64],
) -> tuple[int, int, int]:
    """Column ``j`` enters a greedy's cover: its rows' needs fall; a row met leaves every untaken
    candidate's count ``mu`` and returns its multiplier to their ``gam``. Returns (rows met, work,
    untaken candidates whose ``mu`` fell to 0: they serve no open row any more).
    """
    met = 0
    work = 0
    died = 0
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_rows[p]
        if need[i] <= 0:
            continue
        need[i] -= 1
        if need[i] == 0:
            met += 1
            ui = u[i]
            for q in range(r_ptr[i], r_ptr[i + 1]):
                o = r_pos[q]
                if not taken[o]:
                    mu[o] -= 1
                    gam[o] += ui
                    if mu[o] == 0:
                        died += 1
            work += r_ptr[i + 1] - r_ptr[i]
    return met, work, died


@jit
def _rebuild(hv: NDArray[np.float64], hj: NDArray[np.int64], size: int, taken: NDArray[np.bool_],
             mu: NDArray[np.int64], gam: NDArray[np.float64]) -> int:
    """Drop the entries of emptied or taken candidates and re-key the rest with their current scores
    (a lazy queue picks the smallest current score whatever the stored keys, so the picks stay the same).
    Returns the new size.
    """
    w = 0
    for q in range(size):
        t = hj[q]
        if not taken[t] and mu[t] > 0:
            hv[w] = _score(gam[t], mu[t])
            hj[w] = t
            w += 1
    _heapify(hv, hj, w)
    return w


@jit
def greedy(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], r_ptr: NDArray[np.int64], r_pos: NDArray[np.int64],
           cost: NDArray[np.float64], need_in: NDArray[np.int64], u: NDArray[np.float64], cand: NDArray[np.int64],
           taken: NDArray[np.bool_], order: NDArray[np.int64], limit: int = -1) -> tuple[int, int, int]:
    """Lagrangian greedy over the columns ``cand`` (``r_ptr/r_pos``: :func:`core_rows` of ``cand``).

    ``limit`` ≥ 0 stops it after that many picks (the column fixing only takes the first few; the
    picks made are those of the full run).

    ``need_in[i]``: covers row ``i`` still needs; ``taken`` (in/out, one flag per entry of
    ``cand``): columns already taken are not chosen again and count nothing (the caller folds
    them into ``need_in``); ``order`` receives the chosen columns (ids) in order. Returns
    ``(columns chosen, rows left short, work)``.

    Monotone scores: covering row ``i`` turns ``(γ, μ)`` into ``(γ + u_i, μ − 1)`` with
    ``u_i ≥ 0``. For ``γ > 0``: ``(γ + u_i)/(μ − 1) ≥ γ/μ``. For ``γ ≤ 0``: ``γ' = γ + u_i``;
    if ``γ' > 0`` the new score is positive; else ``γ'(μ − 1) ≥ γ(μ − 1) ≥ γμ``.
    """
    nc = cand.size
    gam = np.zeros(nc, dtype=np.float64)
    mu = np.zeros(nc, dtype=np.int64)
    work = 0
    for t in range(nc):
        if taken[t]:
            continue
        j = cand[t]
        g = cost[j]
        c = 0
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_rows[p]
            if need_in[i] > 0:
                g -= u[i]
                c += 1
        work += c_ptr[j + 1] - c_ptr[j]
        gam[t] = g
        mu[t] = c
    n_new, short, w = greedy_scored(c_ptr, c_rows, r_ptr, r_pos, need_in, u, cand, taken, order, gam, mu, limit)
    return n_new, short, work + w


@jit
def greedy_scored(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], r_ptr: NDArray[np.int64],
                  r_pos: NDArray[np.int64], need_in: NDArray[np.int64], u: NDArray[np.float64],
                  cand: NDArray[np.int64], taken: NDArray[np.bool_], order: NDArray[np.int64],
                  gam: NDArray[np.float64], mu: NDArray[np.int64], limit: int = -1) -> tuple[int, int, int]:
    """:func:`greedy` from given scores: ``gam[t]``, ``mu[t]`` (overwritten) are the ``γ`` and ``μ`` of
    candidate ``t`` under ``need_in`` and ``u`` (ignored where ``taken[t]``). The heuristic phase passes
    the reduced costs of :func:`~kernels.cft.lagrangian` as ``γ`` (equal when ``u_i = 0`` on every row
    with ``need_i = 0``) and counts ``μ`` once per walk, so a greedy call costs no pass over the core
    before its first pick. Same arguments and returns as :func:`greedy` otherwise.
    """
    nc = cand.size
    need = need_in.copy()
    hv = np.empty(nc + 1, dtype=np.float64)
    hj = np.empty(nc + 1, dtype=np.int64)
    size = 0
    work = 0
    for t in range(nc):
        if not taken[t] and mu[t] > 0:
            hv[size] = _score(gam[t], mu[t])
            hj[size] = t
            size += 1
    _heapify(hv, hj, size)
    short = 0
    for i in range(need.size):
        if need[i] > 0:
            short += 1
    n_new = 0
    dead = 0  # entries of emptied candidates still in the queue
    while short > 0 and size > 0 and n_new != limit:
        if dead > REBUILD_MIN and 2 * dead > size:
            size = _rebuild(hv, hj, size, taken, mu, gam)
            work += 2 * size + dead
            dead = 0
        v, t = hv[0], hj[0]
        work += 8
        if taken[t] or mu[t] == 0:
            _, _, size = _pop(hv, hj, size)
            dead -= 1
            continue
        sc = _score(gam[t], mu[t])
        if sc > v:  # stale: the root takes its new score (as a pop and a push would)
            _sift_down(hv, hj, size, 0, sc, t)
            continue
        _, _, size = _pop(hv, hj, size)
        taken[t] = True
        j = cand[t]
        order[n_new] = j
        n_new += 1
        met, w, died = _take_rows(j, c_ptr, c_rows, r_ptr, r_pos, need, u, taken, mu, gam)
        short -= met
        work += w
        dead += died
    return n_new, short, work


#: redundant columns left to an exact search over their subsets (2**ENUM_MAX subsets at most)
ENUM_MAX = 8


@jit
def _removable(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], k: NDArray[np.int64], cov: NDArray[np.int64],
               j: int) -> bool:
    for p in range(c_ptr[j], c_ptr[j + 1]):
        if cov[c_rows[p]] <= k[c_rows[p]]:
            return False
    return True


@jit
def _best_removal(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                  k: NDArray[np.int64], chosen: NDArray[np.int64], red: NDArray[np.int64],
                  cov: NDArray[np.int64]) -> tuple[int, int]:
    """Bit mask over ``red`` (positions in ``chosen``) of the costliest subset whose removal keeps
    every row at ``k_i`` covers (masks in increasing order; ties keep the first), and the work.

    Depth-first over the bits, highest first and "keep" before "remove", which visits the complete
    masks in increasing order; a removal that would leave a row short cuts its subtree (every superset
    fails too), and so does a subtree whose gain cannot exceed the best one found. The gain of a
    complete mask is summed over its bits in increasing order, and a mask replaces the best only when
    its gain is larger: the mask returned is the one of the plain enumeration of every subset (ties and
    rounding included), at a fraction of its 2^r checks.
    """
    r = red.size
    work = 0
    best_mask = 0
    best_gain = 0.0
    if r == 0:
        return 0, 0
    rest = np.zeros(r + 1, dtype=np.float64)  # rest[b + 1]: cost of bits 0..b (what bits <= b can add)
    integral = True  # integer costs: every sum is exact, so a subtree that can only tie is cut too
    for b in range(r):
        c = cost[chosen[red[b]]]
        rest[b + 1] = rest[b] + c
        if c != np.floor(c) or c > 2.0**40:
            integral = False
    tol = 0.0 if integral else 1e-9
    state = np.zeros(r, dtype=np.int64)  # 0: try keep next, 1: try remove next, 2: both tried
    mask = 0
    gain = 0.0
    b = r - 1
    while True:
        if b < 0:  # a complete mask
            exact = 0.0
            for q in range(r):
                if mask >> q & 1:
                    exact += cost[chosen[red[q]]]
            work += r
            if exact > best_gain:
                best_gain = exact
                best_mask = mask
            b = 0
            continue
        if state[b] == 0:
            bound = gain + rest[b + 1]
            if bound < best_gain - tol * (1.0 + best_gain) or (integral and bound <= best_gain):  # cannot beat it
                b += 1
                if b == r:
                    break
                continue
            state[b] = 1
            b -= 1
            if b >= 0:
                state[b] = 0
            continue
        if state[b] == 1:
            state[b] = 2
            j = chosen[red[b]]
            work += c_ptr[j + 1] - c_ptr[j]
            if _removable(c_ptr, c_rows, k, cov, j):
                for p in range(c_ptr[j], c_ptr[j + 1]):
                    cov[c_rows[p]] -= 1
                mask |= 1 << b
                gain += cost[j]
                b -= 1
                if b >= 0:
                    state[b] = 0
            continue
        if mask >> b & 1:  # both branches done: undo the removal
            j = chosen[red[b]]
            for p in range(c_ptr[j], c_ptr[j + 1]):
                cov[c_rows[p]] += 1
            mask &= ~(1 << b)
            gain -= cost[j]
        state[b] = 0
        b += 1
        if b == r:
            break
    return best_mask, work


@jit
def _drop_costliest(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                    k: NDArray[np.int64], chosen: NDArray[np.int64], keep: NDArray[np.bool_], red: NDArray[np.int64],
                    r: int, cov: NDArray[np.int64], gone: NDArray[np.int64]) -> tuple[int, int, int]:
    """While more than :data:`ENUM_MAX` of the redundant entries ``red[:r]`` (ascending positions in
    ``chosen``) stay redundant, drop the most expensive (ties: the earlier entry). Updates ``keep``, ``cov``
    and ``red`` (the ones left, ascending), writes the dropped entries in order to ``gone``; returns
    ``(entries dropped, entries left, work)``.

    Covers only fall, so a column that stops being redundant never becomes redundant again: the columns
    are taken once in decreasing cost, and when a drop leaves a row with exactly ``k_i`` covers, the
    redundant columns through that row (a row index over them, built once) stop being candidates.
    The same columns go as when every candidate is re-checked after each drop.
    """
    m = k.size
    cand = np.zeros(chosen.size, dtype=np.bool_)
    for q in range(r):
        cand[red[q]] = True
    rptr, pos = core_rows(c_ptr, c_rows, m, chosen[red[:r]])  # the redundant columns through each row
    rlist = red[pos]
    work = 2 * rptr[m] + m
    neg = np.empty(r, dtype=np.float64)
    for q in range(r):
        neg[q] = -cost[chosen[red[q]]]
    by_cost = np.argsort(neg, kind="mergesort")  # decreasing cost, ties: the earlier entry
    work += 4 * r
    alive = r
    nxt = 0
    n_gone = 0
    while alive > ENUM_MAX:
        while not cand[red[by_cost[nxt]]]:
            nxt += 1
        t = red[by_cost[nxt]]
        nxt += 1
        cand[t] = False
        keep[t] = False
        gone[n_gone] = t
        n_gone += 1
        alive -= 1
        j = chosen[t]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_rows[p]
            cov[i] -= 1
            if cov[i] == k[i]:  # row i is tight now: no column through it can go
                for q in range(rptr[i], rptr[i + 1]):
                    if cand[rlist[q]]:
                        cand[rlist[q]] = False
                        alive -= 1
                work += rptr[i + 1] - rptr[i]
        work += c_ptr[j + 1] - c_ptr[j]
    w = 0
    for q in range(r):
        if cand[red[q]]:
            red[w] = red[q]
            w += 1
    return n_gone, w, work


@jit
def drop_listed(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                k: NDArray[np.int64], chosen: NDArray[np.int64], keep: NDArray[np.bool_]) -> tuple[float, int]:
    """Redundant-column removal on the list ``chosen`` (``keep`` out: kept flags); returns ``(kept cost, work)``.

    A column is *redundant* when every row it serves keeps ``k_i`` covers without it. While
    more than :data:`ENUM_MAX` are redundant, the most expensive goes (ties: the earlier entry);
    then the subset of the rest with the largest total cost whose removal keeps the cover is
    found by enumeration (subsets in increasing bit-mask order; ties keep the first).
    """
    cov = np.zeros(k.size, dtype=np.int64)
    work = 0
    total = 0.0
    for t in range(chosen.size):
        j = chosen[t]
        keep[t] = True
        total += cost[j]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            cov[c_rows[p]] += 1
        work += c_ptr[j + 1] - c_ptr[j]
    red = np.empty(chosen.size, dtype=np.int64)
    r = 0
    for t in range(chosen.size):
        if _removable(c_ptr, c_rows, k, cov, chosen[t]):
            red[r] = t
            r += 1
    work += chosen.size
    if r > ENUM_MAX:
        gone = np.empty(r, dtype=np.int64)
        n_gone, r, w = _drop_costliest(c_ptr, c_rows, cost, k, chosen, keep, red, r, cov, gone)
        work += w
        for q in range(n_gone):
            total -= cost[chosen[gone[q]]]
    best_mask, w = _best_removal(c_ptr, c_rows, cost, k, chosen, red[:r], cov)
    work += w
    for b in range(r):
        if best_mask >> b & 1:
            keep[red[b]] = False
            total -= cost[chosen[red[b]]]
    return total, work


@jit
def drop_redundant(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                   k: NDArray[np.int64], sel: NDArray[np.bool_]) -> tuple[int, int]:
    """:func:`drop_listed` on the columns set in ``sel`` (ascending ids; updated in place).

    Returns ``(columns dropped, work)``.
    """
    chosen = np.flatnonzero(sel)
    keep = np.empty(chosen.size, dtype=np.bool_)
    _, work = drop_listed(c_ptr, c_rows, cost, k, chosen, keep)
    dropped = 0
    for t in range(chosen.size):
        if not keep[t]:
            sel[chosen[t]] = False
            dropped += 1
    return dropped, work + sel.size // 8
