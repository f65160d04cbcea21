"""The CFT engine's Lagrangian greedy on a candidate short-list, and its heuristic phase (the walk).

:func:`greedy_good` makes the picks of :func:`kernels.cft_greedy.greedy_scored` (smallest score
``γ/μ`` or ``γ·μ``, ties: smaller position) without a priority queue. The idea is AC-CFT's (Accorsi &
Cavaliere, the ``select_good_scores`` step of its greedy; studied, not copied): keep a short-list of the
candidates of smallest score, take the minimum of the list by a linear scan, and select a new list only
when it runs empty. Covering a row only raises the scores of the columns serving it (the monotony shown in
:func:`kernels.cft_greedy.greedy`), so with the threshold ``P = (score, position)`` of the list's last
member at selection, every candidate off the list stays above ``P``; a member whose score rises above
``P`` leaves the list; the list's minimum is therefore the minimum over every candidate, and the picks
are the queue's. The lazy queue re-keyed a stale root with a sift-down on each of the thousands of score
changes of a call; the list pays one comparison per change and a scan per pick. Measured on captured
cores of a 1,000 × 51,000 rail-like instance (2,075–3,393 columns, ~200 picks): a greedy 0.85–1.1 ms →
0.45–0.7 ms, a walk of 250 steps 163–432 ms → 111–290 ms (BENCHMARKS.md, issue 12, OR session 5).

The heuristic phase runs subgradient steps with a fixed step factor from near-optimal multipliers and a
greedy (plus removal of redundant columns) at each of them, keeping the cheapest cover (CFT 1999 §4,
AC-CFT's ``Subgradient::heuristic``). Work is counted in touched entries (machine-independent units).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit
from kernels.cft import lagrangian, step_from
from kernels.cft_greedy import _score, core_rows, drop_listed

#: short-list length at each selection: the rows still open divided by :data:`LIST_DIV`, at least :data:`LIST_MIN`
#: (any length gives the same picks; these were the fastest of 1–3 / 16–256 on captured cores of a 1,000 × 51,000
#: rail-like instance, 2,075–3,393 columns)
LIST_MIN = 256
LIST_DIV = 2


@jit
def _above(v: float, t: int, pv: float, pt: int) -> bool:
    """Whether ``(v, t)`` comes after the threshold ``(pv, pt)`` (score first, then position)."""
    return v > pv or (v == pv and t > pt)


@jit
def _select(gam: NDArray[np.float64], mu: NDArray[np.int64], taken: NDArray[np.bool_], want: int,
            sc: NDArray[np.float64], good: NDArray[np.int64], slot: NDArray[np.int64],
            gsc: NDArray[np.float64]) -> tuple[int, float, int, int]:
    """The ``want`` live candidates (untaken, ``μ > 0``) of smallest ``(score, position)`` into ``good``
    (``gsc``: their scores, ``slot``: each member's place, −1 off the list). Returns ``(size, threshold
    score, threshold position, work)``; size 0 when no candidate is live.
    """
    nc = gam.size
    n_live = 0
    for t in range(nc):
        slot[t] = -1
        if not taken[t] and mu[t] > 0:
            sc[n_live] = _score(gam[t], mu[t])
            n_live += 1
    if n_live == 0:
        return 0, 0.0, -1, nc
    want = min(want, n_live)
    pv = np.inf
    quota = want  # members of score pv to take (smallest positions first)
    if want < n_live:
        pv = np.partition(sc[:n_live], want - 1)[want - 1]
        for q in range(n_live):
            if sc[q] < pv:
                quota -= 1
    size = 0
    pt = nc
    for t in range(nc):
        if taken[t] or mu[t] <= 0:
            continue
        v = _score(gam[t], mu[t])
        if v == pv:
            if quota <= 0:
                continue
            quota -= 1
            pt = t
        elif v > pv:
            continue
        good[size] = t
        gsc[size] = v
        slot[t] = size
        size += 1
    return size, pv, pt, 3 * nc + n_live


@jit
def greedy_good(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], r_ptr: NDArray[np.int64],
                r_pos: NDArray[np.int64], need_in: NDArray[np.int64], u: NDArray[np.float64],
                cand: NDArray[np.int64], taken: NDArray[np.bool_], order: NDArray[np.int64],
                gam: NDArray[np.float64], mu: NDArray[np.int64], limit: int = -1,
                list_len: int = 0) -> tuple[int, int, int]:
    """:func:`kernels.cft_greedy.greedy_scored` (same arguments, picks and returns) on a short-list.

    ``gam[t]``, ``mu[t]`` (overwritten): ``γ`` and ``μ`` of candidate ``t`` under ``need_in`` and ``u``
    (ignored where ``taken[t]``); ``limit`` ≥ 0 stops after that many picks; ``list_len`` > 0 fixes the
    short-list's length (tests; 0: :data:`LIST_MIN` / :data:`LIST_DIV`). Returns ``(columns chosen,
    rows left short, work)``; the scan of the list counts a quarter unit per member (a compare of
    contiguous entries, measured about four times cheaper than a touched entry of the queue's kernels).
    """
    nc = cand.size
    need = need_in.copy()
    sc = np.empty(nc, dtype=np.float64)
    good = np.empty(nc, dtype=np.int64)
    gsc = np.empty(nc, dtype=np.float64)
    slot = np.full(nc, -1, dtype=np.int64)
    short = 0
    for i in range(need.size):
        if need[i] > 0:
            short += 1
    size, pv, pt = 0, 0.0, -1
    n_new = 0
    work = 0
    while short > 0 and n_new != limit:
        if size == 0:
            want = list_len if list_len > 0 else max(LIST_MIN, short // LIST_DIV)
            size, pv, pt, w = _select(gam, mu, taken, want, sc, good, slot, gsc)
            work += w
            if size == 0:
                break
        q_best = 0
        for q in range(1, size):  # the list's minimum (score, then position)
            if gsc[q] < gsc[q_best] or (gsc[q] == gsc[q_best] and good[q] < good[q_best]):
                q_best = q
        work += size // 4
        t = good[q_best]
        size -= 1  # leaves the list: the last member takes its place
        good[q_best] = good[size]
        gsc[q_best] = gsc[size]
        slot[good[q_best]] = q_best
        slot[t] = -1
        taken[t] = True
        j = cand[t]
        order[n_new] = j
        n_new += 1
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_rows[p]
            if need[i] <= 0:
                continue
            need[i] -= 1
            if need[i] > 0:
                continue
            short -= 1
            ui = u[i]
            for q in range(r_ptr[i], r_ptr[i + 1]):
                o = r_pos[q]
                if taken[o]:
                    continue
                mu[o] -= 1
                gam[o] += ui
                s = slot[o]
                if s < 0:
                    continue
                v = _score(gam[o], mu[o]) if mu[o] > 0 else np.inf
                if mu[o] == 0 or _above(v, o, pv, pt):
                    size -= 1
                    good[s] = good[size]
                    gsc[s] = gsc[size]
                    slot[good[s]] = s
                    slot[o] = -1
                else:
                    gsc[s] = v
            work += r_ptr[i + 1] - r_ptr[i]
    return n_new, short, work


@jit
def heuristic_phase(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], cost: NDArray[np.float64],
                    k: NDArray[np.int64], cols: NDArray[np.int64], u: NDArray[np.float64], best_val: float,
                    lam: float, iters: int, best_sel: NDArray[np.bool_], eps: float, clip: bool, plain: bool,
                    best_u: NDArray[np.float64]) -> tuple[float, int]:
    """``iters`` subgradient steps on the core ``cols`` with a greedy + removal at each ``u``.

    ``best_val``: cost of the best cover known for this (residual) model; a cheaper one found
    here replaces it and is written to ``best_sel``. ``u`` is moved in place with the fixed step
    factor ``lam`` (AC-CFT: the subgradient phase's last λ, so the steps stay near the optimal
    multipliers) and the direction of :func:`~kernels.cft.subgradient_step` (``clip``, ``plain``).
    ``best_u`` receives the multipliers of the best core bound seen (the column fixing's).
    Stops early once the core bound comes within ``eps`` of the best value. Returns
    ``(best value, work)``.
    """
    m = k.size
    nc = cols.size
    r_ptr, r_pos = core_rows(c_ptr, c_rows, m, cols)
    rcv = np.zeros(nc, dtype=np.float64)
    s = np.zeros(m, dtype=np.float64)
    order = np.empty(nc, dtype=np.int64)
    taken = np.zeros(nc, dtype=np.bool_)
    keep = np.empty(nc, dtype=np.bool_)
    gam = np.empty(nc, dtype=np.float64)
    mu = np.empty(nc, dtype=np.int64)
    mu0 = np.zeros(nc, dtype=np.int64)  # rows of each column that need covers: the same at every step
    for t in range(nc):
        j = cols[t]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            if k[c_rows[p]] > 0:
                mu0[t] += 1
    work = 3 * r_pos.size
    found = False
    best_list = np.empty(0, dtype=np.int64)
    best_lb = -np.inf
    prev = np.empty(m, dtype=np.float64)
    best_u[:] = u
    for _ in range(iters):
        # L(u) and the reduced costs once: they are the greedy's γ (rows with k_i = 0 carry u_i = 0,
        # checked; otherwise γ is counted from the columns as greedy does) and the step's input
        lval = lagrangian(c_ptr, c_rows, cost, k, cols, u, rcv)
        exact = True
        for i in range(m):
            if k[i] <= 0 and u[i] != 0.0:
                exact = False
        taken[:] = False
        mu[:] = mu0
        if exact:
            gam[:] = rcv
        else:
            for t in range(nc):
                j = cols[t]
                g = cost[j]
                for p in range(c_ptr[j], c_ptr[j + 1]):
                    if k[c_rows[p]] > 0:
                        g -= u[c_rows[p]]
                gam[t] = g
            work += r_pos.size
        n_sel, short, w = greedy_good(c_ptr, c_rows, r_ptr, r_pos, k, u, cols, taken, order, gam, mu)
        work += w + 4 * nc + m
        if short == 0:
            val, w = drop_listed(c_ptr, c_rows, cost, k, order[:n_sel], keep[:n_sel])
            work += w
            if val < best_val - 1e-9:
                best_val = val
                best_list = order[:n_sel][keep[:n_sel]].copy()
                found = True
        prev[:] = u
        step_from(c_ptr, c_rows, k, cols, u, rcv, s, lval, best_val, lam, clip, plain)
        work += 2 * r_pos.size + 8 * nc + 5 * m
        if lval > best_lb:
            best_lb = lval
            best_u[:] = prev
        if lval >= best_val - eps:
            break
    if found:
        best_sel[:] = False
        for t in range(best_list.size):
            best_sel[best_list[t]] = True
    return best_val, work
