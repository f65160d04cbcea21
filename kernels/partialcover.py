"""Area-weighting local search for min-cost partial k-cover with per-area targets (numba).

Problem: rows ``i`` with weight ``w_i``, requirement ``k_i`` (distinct covering columns) and
an area; a row is *covered* when ``cnt_i ≥ k_i``. Area ``A`` is met when its covered weight
reaches ``need_A`` (hard rows are an area whose need is all of its rows). Minimise the cost
of the selection subject to every area being met.

The search generalises RWLS (Gao, Weise & Li, EJOR 246(3) 2015, row weighting for set cover)
from rows to areas, in the spirit of the weighting local search for partial set cover of
Zhou, Li, Luo & Ma (2019): each area ``A`` carries a weight ``α_A`` and the penalty of a
selection is ``Σ_A α_A · max(0, D_A)`` with the deficit ``D_A = need_A − covered_A``.

* While the selection meets every target it is recorded when cheaper, and the column of
  smallest penalty increase per unit cost is removed (redundant columns first, dearest first).
* Otherwise one step draws ``n_draw`` random uncovered rows of deficient areas and picks,
  among their columns (not the one just removed), the one of largest penalty decrease per
  unit cost. When adding it would bring the cost up to the best plan's, the column of
  smallest penalty increase per cost (not the one just added) is removed first, so the
  search stays below the best cost (RWLS keeps one column fewer than the best cover).
  Then ``α`` of every deficient area rises by one. Ties go to the column changed longest
  ago, then to the smaller index.

Scores are kept per (column, area) *pair*: for an unselected column, the weight of its rows
in that area that adding it would cover (``cnt = k − 1``); for a selected one, the weight it
would uncover when removed (``cnt = k``). They are updated incrementally on every flip.
The removal scans visit a list of the selected columns (kept in step with every flip, with a
copy of each one's clamped cost and pair range in its slot, read in order), not all columns;
its order is arbitrary, so their ties end at the smaller index explicitly, which picks the
column a scan of all columns in index order picked (the same plans, bit for bit).

The pure-Python reference (scores recomputed from scratch) is ``tests/reference/partialcover.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit
from kernels._rng import xorshift64 as _xorshift

_EPS_COST = 1e-9


@jit
def _contrib(selected: bool, c: int, k: int, w: float) -> float:
    if selected:
        return w if c == k else 0.0
    return w if c == k - 1 else 0.0


@jit
def _flip(
    j: int,
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    c_pair: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    r_pair: NDArray[np.int64],
    w: NDArray[np.float64],
    k: NDArray[np.int64],
    area: NDArray[np.int64],
    sel: NDArray[np.bool_],
    cnt: NDArray[np.int64],
    val: NDArray[np.float64],
    deficit: NDArray[np.float64],
    unc: NDArray[np.int64],
    unc_pos: NDArray[np.int64],
    n_unc: NDArray[np.int64],
) -> None:
    """Add (unselected ``j``) or remove (selected ``j``) column ``j``, updating all state."""
    add = not sel[j]
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        old = cnt[i]
        new = old + 1 if add else old - 1
        cnt[i] = new
        ki = k[i]
        if add and new == ki:
            deficit[area[i]] -= w[i]
            t = unc_pos[i]
            last = unc[n_unc[0] - 1]
            unc[t] = last
            unc_pos[last] = t
            unc_pos[i] = -1
            n_unc[0] -= 1
        elif (not add) and old == ki:
            deficit[area[i]] += w[i]
            unc[n_unc[0]] = i
            unc_pos[i] = n_unc[0]
            n_unc[0] += 1
        for q in range(r_ptr[i], r_ptr[i + 1]):
            c = r_idx[q]
            if c == j:
                continue
            d = _contrib(sel[c], new, ki, w[i]) - _contrib(sel[c], old, ki, w[i])
            if d != 0.0:
                val[r_pair[q]] += d
    sel[j] = add
    for p in range(c_ptr[j], c_ptr[j + 1]):
        val[c_pair[p]] = 0.0
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        val[c_pair[p]] += _contrib(add, cnt[i], k[i], w[i])


@jit
def _track(
    j: int,
    sel: NDArray[np.bool_],
    cost: NDArray[np.float64],
    p_ptr: NDArray[np.int64],
    slist: NDArray[np.int64],
    spos: NDArray[np.int64],
    s_cost: NDArray[np.float64],
    s_lo: NDArray[np.int64],
    s_hi: NDArray[np.int64],
    n_sel: NDArray[np.int64],
) -> None:
    """Keep the list of selected columns (and their slot copies) in step with ``sel[j]`` after a flip of ``j``."""
    if sel[j]:
        t = n_sel[0]
        slist[t] = j
        spos[j] = t
        s_cost[t] = cost[j] if cost[j] > _EPS_COST else _EPS_COST
        s_lo[t] = p_ptr[j]
        s_hi[t] = p_ptr[j + 1]
        n_sel[0] += 1
    else:
        t = spos[j]
        e = n_sel[0] - 1
        last = slist[e]
        slist[t] = last
        spos[last] = t
        s_cost[t] = s_cost[e]
        s_lo[t] = s_lo[e]
        s_hi[t] = s_hi[e]
        spos[j] = -1
        n_sel[0] -= 1


@jit
def _rem_delta(
    lo: int,
    hi: int,
    p_area: NDArray[np.int64],
    val: NDArray[np.float64],
    deficit: NDArray[np.float64],
    alpha: NDArray[np.float64],
) -> float:
    s = 0.0
    for t in range(lo, hi):
        v = val[t]
        if v > 0.0:
            a = p_area[t]
            d = deficit[a]
            after = d + v
            s += alpha[a] * ((after if after > 0.0 else 0.0) - (d if d > 0.0 else 0.0))
    return s


@jit
def _add_delta(
    j: int,
    p_ptr: NDArray[np.int64],
    p_area: NDArray[np.int64],
    val: NDArray[np.float64],
    deficit: NDArray[np.float64],
    alpha: NDArray[np.float64],
) -> float:
    s = 0.0
    for t in range(p_ptr[j], p_ptr[j + 1]):
        v = val[t]
        a = p_area[t]
        d = deficit[a]
        if v > 0.0 and d > 0.0:
            s += alpha[a] * (v if v < d else d)
    return s


@jit
def partial_ls(  # noqa: C901 (one numba loop: splitting it costs a call per move in the hot path)
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    c_pair: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    r_pair: NDArray[np.int64],
    p_ptr: NDArray[np.int64],
    p_area: NDArray[np.int64],
    cost: NDArray[np.float64],
    w: NDArray[np.float64],
    k: NDArray[np.int64],
    area: NDArray[np.int64],
    need: NDArray[np.float64],
    sel: NDArray[np.bool_],
    best: NDArray[np.bool_],
    best_cost: NDArray[np.float64],
    alpha: NDArray[np.float64],
    stamp: NDArray[np.int64],
    steps: int,
    seed: int,
    step0: int,
    n_draw: int,
) -> int:
    """Run ``steps`` steps from ``sel`` (modified in place); ``best`` keeps the cheapest plan.

    Parameters
    ----------
    c_ptr, c_idx, c_pair : ndarray of int64
        Column-major incidence, and the pair index of each entry (column, area of the row).
    r_ptr, r_idx, r_pair : ndarray of int64
        Row-major incidence, and the pair index of each entry (column, area of the row).
    p_ptr, p_area : ndarray of int64
        Pairs of each column (``p_ptr[j]:p_ptr[j+1]``) and their area.
    cost, w, k, area : ndarray
        Column costs (≥ 0), row weights, requirements (≥ 1) and areas.
    need : ndarray of float64
        Covered weight each area needs (tolerance already subtracted; ≤ 0: none).
    sel, best : ndarray of bool
        Current selection (in/out) and best plan meeting every target (out).
    best_cost : ndarray of float64, shape (1,)
        Cost of ``best`` (``inf`` when none yet).
    alpha : ndarray of float64
        Area weights (≥ 1; in/out, carried between calls).
    stamp : ndarray of int64
        Step of each column's last flip (in/out).
    steps, seed, step0 : int
        Steps to run, RNG seed, global step count so far.
    n_draw : int
        Uncovered rows drawn per step; their columns are the candidates to add.

    Returns
    -------
    int
        The new global step count.
    """
    state = np.uint64((seed * 0x9E3779B97F4A7C15 + step0 * 0xBF58476D1CE4E5B9 + 1) & 0xFFFFFFFFFFFFFFFF)
    m = r_ptr.size - 1
    n = c_ptr.size - 1
    n_areas = need.size
    cnt = np.zeros(m, dtype=np.int64)
    for j in range(n):
        if sel[j]:
            for p in range(c_ptr[j], c_ptr[j + 1]):
                cnt[c_idx[p]] += 1
    deficit = need.copy()
    unc = np.zeros(m, dtype=np.int64)
    unc_pos = np.full(m, -1, dtype=np.int64)
    n_unc = np.zeros(1, dtype=np.int64)
    for i in range(m):
        if cnt[i] >= k[i]:
            deficit[area[i]] -= w[i]
        else:
            unc[n_unc[0]] = i
            unc_pos[i] = n_unc[0]
            n_unc[0] += 1
    val = np.zeros(p_area.size, dtype=np.float64)
    for j in range(n):
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            val[c_pair[p]] += _contrib(sel[j], cnt[i], k[i], w[i])
    cur = 0.0
    slist = np.zeros(n, dtype=np.int64)
    spos = np.full(n, -1, dtype=np.int64)
    s_cost = np.zeros(n, dtype=np.float64)
    s_lo = np.zeros(n, dtype=np.int64)
    s_hi = np.zeros(n, dtype=np.int64)
    n_sel = np.zeros(1, dtype=np.int64)
    for j in range(n):
        if sel[j]:
            cur += cost[j]
            _track(j, sel, cost, p_ptr, slist, spos, s_cost, s_lo, s_hi, n_sel)
    last_add = -1
    last_rem = -1
    step = step0
    for _ in range(steps):
        step += 1
        while True:
            feasible = True
            for a in range(n_areas):
                if deficit[a] > 0.0:
                    feasible = False
                    break
            if not feasible:
                break
            if cur < best_cost[0] - 1e-9:
                best_cost[0] = cur
                best[:] = sel
            bj = -1
            bs = 1e300
            for t in range(n_sel[0]):
                s = _rem_delta(s_lo[t], s_hi[t], p_area, val, deficit, alpha) / s_cost[t]
                j = slist[t]
                if (
                    bj < 0
                    or s < bs
                    or (
                        s == bs
                        and (
                            cost[j] > cost[bj]
                            or (cost[j] == cost[bj] and (stamp[j] < stamp[bj] or (stamp[j] == stamp[bj] and j < bj)))
                        )
                    )
                ):
                    bs = s
                    bj = j
            if bj < 0:
                break
            _flip(
                bj, c_ptr, c_idx, c_pair, r_ptr, r_idx, r_pair, w, k, area, sel, cnt, val, deficit, unc, unc_pos, n_unc
            )
            _track(bj, sel, cost, p_ptr, slist, spos, s_cost, s_lo, s_hi, n_sel)
            cur -= cost[bj]
            stamp[bj] = step
        if n_unc[0] == 0:
            break
        # the best add among the columns of ``n_draw`` random uncovered rows of deficient areas
        aj = -1
        bs = -1e300
        found = 0
        pos = np.int64(0)
        for _t in range(64 * n_draw):
            if found >= n_draw:
                break
            state = _xorshift(state)
            pos = np.int64(state % np.uint64(n_unc[0]))
            row = unc[pos]
            if deficit[area[row]] <= 0.0:
                continue
            found += 1
            for q in range(r_ptr[row], r_ptr[row + 1]):
                c = r_idx[q]
                if sel[c] or c == last_rem:
                    continue
                cc = cost[c] if cost[c] > _EPS_COST else _EPS_COST
                s = _add_delta(c, p_ptr, p_area, val, deficit, alpha) / cc
                if aj < 0 or s > bs or (s == bs and (stamp[c] < stamp[aj] or (stamp[c] == stamp[aj] and c < aj))):
                    bs = s
                    aj = c
        if found == 0:  # scan from the last draw
            for t in range(n_unc[0]):
                row = unc[(pos + t) % n_unc[0]]
                if deficit[area[row]] > 0.0:
                    found = 1
                    for q in range(r_ptr[row], r_ptr[row + 1]):
                        c = r_idx[q]
                        if sel[c] or c == last_rem:
                            continue
                        cc = cost[c] if cost[c] > _EPS_COST else _EPS_COST
                        s = _add_delta(c, p_ptr, p_area, val, deficit, alpha) / cc
                        if aj < 0 or s > bs or (s == bs and stamp[c] < stamp[aj]):
                            bs = s
                            aj = c
                    break
        if found == 0:
            break
        if aj < 0:
            if last_rem >= 0 and not sel[last_rem]:
                aj = last_rem
            else:
                continue
        # make room when the add would reach the best cost: remove one column (not the one just added)
        if cur + cost[aj] >= best_cost[0] - 1e-9:
            bj = -1
            bs = 1e300
            for t in range(n_sel[0]):
                j = slist[t]
                if j == last_add:
                    continue
                s = _rem_delta(s_lo[t], s_hi[t], p_area, val, deficit, alpha) / s_cost[t]
                if bj < 0 or s < bs or (s == bs and (stamp[j] < stamp[bj] or (stamp[j] == stamp[bj] and j < bj))):
                    bs = s
                    bj = j
            if bj >= 0:
                _flip(
                    bj,
                    c_ptr,
                    c_idx,
                    c_pair,
                    r_ptr,
                    r_idx,
                    r_pair,
                    w,
                    k,
                    area,
                    sel,
                    cnt,
                    val,
                    deficit,
                    unc,
                    unc_pos,
                    n_unc,
                )
                _track(bj, sel, cost, p_ptr, slist, spos, s_cost, s_lo, s_hi, n_sel)
                cur -= cost[bj]
                stamp[bj] = step
                last_rem = bj
        _flip(aj, c_ptr, c_idx, c_pair, r_ptr, r_idx, r_pair, w, k, area, sel, cnt, val, deficit, unc, unc_pos, n_unc)
        _track(aj, sel, cost, p_ptr, slist, spos, s_cost, s_lo, s_hi, n_sel)
        cur += cost[aj]
        stamp[aj] = step
        last_add = aj
        for a in range(n_areas):
            if deficit[a] > 0.0:
                alpha[a] += 1.0
    feasible = True
    for a in range(n_areas):
        if deficit[a] > 0.0:
            feasible = False
    if feasible and cur < best_cost[0] - 1e-9:
        best_cost[0] = cur
        best[:] = sel
    return step


@jit
def partial_ls_run(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    c_pair: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    r_pair: NDArray[np.int64],
    p_ptr: NDArray[np.int64],
    p_area: NDArray[np.int64],
    cost: NDArray[np.float64],
    w: NDArray[np.float64],
    k: NDArray[np.int64],
    area: NDArray[np.int64],
    need: NDArray[np.float64],
    sel: NDArray[np.bool_],
    best: NDArray[np.bool_],
    best_cost: NDArray[np.float64],
    alpha: NDArray[np.float64],
    stamp: NDArray[np.int64],
    chunk: int,
    n_chunks: int,
    seed: int,
    step0: int,
    n_draw: int,
    stop: NDArray[np.int64],
) -> int:
    """``n_chunks`` calls of :func:`partial_ls` of ``chunk`` steps each from step ``step0``, in one call.

    The same calls a Python loop over the chunks makes (each continues from the previous one's
    step count), so the same result, but without returning to Python in between: a worker
    thread running it holds no GIL while another thread works. ``stop`` (two int64): another
    thread sets ``stop[0]`` to non-zero to end the run before its next chunk (the safety stop, a
    stop request); ``stop[1]`` counts the chunks run. Returns the new global step count.
    """
    step = step0
    for _ in range(n_chunks):
        if stop[0] != 0:
            break
        step = partial_ls(
            c_ptr,
            c_idx,
            c_pair,
            r_ptr,
            r_idx,
            r_pair,
            p_ptr,
            p_area,
            cost,
            w,
            k,
            area,
            need,
            sel,
            best,
            best_cost,
            alpha,
            stamp,
            chunk,
            seed,
            step,
            n_draw,
        )
        stop[1] += 1
    return step


def column_pairs(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    area: NDArray[np.int64],
    n_areas: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The (column, area) pairs of an incidence: ``p_ptr, p_area, c_pair, r_pair`` (numpy)."""
    n = c_ptr.size - 1
    col_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(c_ptr))
    key_c = col_of * n_areas + area[c_idx]
    keys = np.unique(key_c)
    c_pair = np.searchsorted(keys, key_c).astype(np.int64)
    row_of = np.repeat(np.arange(r_ptr.size - 1, dtype=np.int64), np.diff(r_ptr))
    r_pair = np.searchsorted(keys, r_idx * n_areas + area[row_of]).astype(np.int64)
    p_ptr = np.searchsorted(keys // n_areas, np.arange(n + 1)).astype(np.int64)
    p_area = (keys % n_areas).astype(np.int64)
    return p_ptr, p_area, c_pair, r_pair
