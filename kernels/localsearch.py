"""Local search for set cover and maximum coverage (numba).

* :func:`rwls` — row-weighting local search for (weighted) set cover, after Gao, Weise & Li,
  "An efficient local search heuristic with row weighting for the unicost set covering
  problem", EJOR 246(3) (2015) 750–761. Each step removes the column with the best score
  (smallest weighted loss per cost; not the one just added), then covers a random uncovered
  row with its best column (not the one just removed), and raises the weight of every
  uncovered row by one. Ties go to the column changed longest ago. Whenever the selection
  covers every row it is recorded if cheaper, and a column is removed. Costs scale scores
  (``score / cost``), so unit costs give the original algorithm.
* :func:`swap_search` — tabu 1-swap search for maximum coverage with a fixed number of sites.

Both work on resumable state arrays and a step budget, so the caller can run them in chunks
under a wall-clock limit; given the same state and budget they are deterministic.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit
from kernels._rng import xorshift64 as _xorshift


@jit
def _unique_cover(r_ptr: NDArray[np.int64], r_idx: NDArray[np.int64], sel: NDArray[np.bool_], i: int, skip: int) -> int:
    for q in range(r_ptr[i], r_ptr[i + 1]):
        c = r_idx[q]
        if c != skip and sel[c]:
            return int(c)
    return -1


@jit
def rwls_init(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    sel: NDArray[np.bool_],
    cnt: NDArray[np.int64],
    rw: NDArray[np.int64],
    score: NDArray[np.float64],
) -> None:
    """Fill ``cnt`` (covers per row) and ``score`` (gain of unselected, −loss of selected) for ``sel``."""
    m = r_ptr.size - 1
    n = c_ptr.size - 1
    for i in range(m):
        cnt[i] = 0
        for q in range(r_ptr[i], r_ptr[i + 1]):
            if sel[r_idx[q]]:
                cnt[i] += 1
    for j in range(n):
        s = 0.0
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            if sel[j]:
                if cnt[i] == 1:
                    s -= rw[i]
            elif cnt[i] == 0:
                s += rw[i]
        score[j] = s


@jit
def _add(
    j: int,
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    sel: NDArray[np.bool_],
    cnt: NDArray[np.int64],
    rw: NDArray[np.int64],
    score: NDArray[np.float64],
    unc: NDArray[np.int64],
    unc_pos: NDArray[np.int64],
    n_unc: NDArray[np.int64],
) -> None:
    sel[j] = True
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        cnt[i] += 1
        if cnt[i] == 1:
            for q in range(r_ptr[i], r_ptr[i + 1]):
                c = r_idx[q]
                if c != j:
                    score[c] -= rw[i]
            # drop i from the uncovered list
            k = unc_pos[i]
            last = unc[n_unc[0] - 1]
            unc[k] = last
            unc_pos[last] = k
            unc_pos[i] = -1
            n_unc[0] -= 1
        elif cnt[i] == 2:
            u = _unique_cover(r_ptr, r_idx, sel, i, j)
            if u >= 0:
                score[u] += rw[i]
    score[j] = -score[j]


@jit
def _remove(
    j: int,
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    sel: NDArray[np.bool_],
    cnt: NDArray[np.int64],
    rw: NDArray[np.int64],
    score: NDArray[np.float64],
    unc: NDArray[np.int64],
    unc_pos: NDArray[np.int64],
    n_unc: NDArray[np.int64],
) -> None:
    sel[j] = False
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        cnt[i] -= 1
        if cnt[i] == 0:
            for q in range(r_ptr[i], r_ptr[i + 1]):
                c = r_idx[q]
                if c != j:
                    score[c] += rw[i]
            unc[n_unc[0]] = i
            unc_pos[i] = n_unc[0]
            n_unc[0] += 1
        elif cnt[i] == 1:
            u = _unique_cover(r_ptr, r_idx, sel, i, -1)
            if u >= 0:
                score[u] -= rw[i]
    score[j] = -score[j]


@jit
def rwls(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    cost: NDArray[np.float64],
    sel: NDArray[np.bool_],
    best: NDArray[np.bool_],
    best_cost: NDArray[np.float64],
    steps: int,
    seed: int,
    stamp: NDArray[np.int64],
    step0: int,
) -> int:
    """Run ``steps`` RWLS steps from ``sel`` (modified in place); ``best`` keeps the cheapest cover.

    ``best_cost[0]`` is the cost of ``best`` (``inf`` when none yet); ``stamp`` holds the
    step of each column's last change; ``step0`` is the global step count so far. Returns
    the new global step count. Row weights restart at 1 on every call (a chunked run is
    still deterministic for a fixed chunk size).
    """
    state = np.uint64((seed * 0x9E3779B97F4A7C15 + step0 * 0xBF58476D1CE4E5B9 + 1) & 0xFFFFFFFFFFFFFFFF)
    m = r_ptr.size - 1
    n = c_ptr.size - 1
    cnt = np.zeros(m, dtype=np.int64)
    rw = np.ones(m, dtype=np.int64)
    score = np.zeros(n, dtype=np.float64)
    rwls_init(c_ptr, c_idx, r_ptr, r_idx, sel, cnt, rw, score)
    unc = np.zeros(m, dtype=np.int64)
    unc_pos = np.full(m, -1, dtype=np.int64)
    n_unc = np.zeros(1, dtype=np.int64)
    for i in range(m):
        if cnt[i] == 0:
            unc[n_unc[0]] = i
            unc_pos[i] = n_unc[0]
            n_unc[0] += 1
    cur = 0.0
    for j in range(n):
        if sel[j]:
            cur += cost[j]
    last_add = -1
    last_rem = -1
    step = step0
    for _ in range(steps):
        step += 1
        while n_unc[0] == 0:
            if cur < best_cost[0] - 1e-9:
                best_cost[0] = cur
                best[:] = sel
            # remove the column with the best score per cost
            bj = -1
            bs = -1e300
            for j in range(n):
                if sel[j]:
                    s = score[j] / cost[j] if cost[j] > 0 else score[j] * 1e9
                    if s > bs or (s == bs and stamp[j] < stamp[bj]):
                        bs = s
                        bj = j
            if bj < 0:
                break
            _remove(bj, c_ptr, c_idx, r_ptr, r_idx, sel, cnt, rw, score, unc, unc_pos, n_unc)
            cur -= cost[bj]
            stamp[bj] = step
        if n_unc[0] == 0:
            break
        # remove one column (not the one just added)
        bj = -1
        bs = -1e300
        for j in range(n):
            if sel[j] and j != last_add:
                s = score[j] / cost[j] if cost[j] > 0 else score[j] * 1e9
                if s > bs or (s == bs and stamp[j] < stamp[bj]):
                    bs = s
                    bj = j
        if bj >= 0:
            _remove(bj, c_ptr, c_idx, r_ptr, r_idx, sel, cnt, rw, score, unc, unc_pos, n_unc)
            cur -= cost[bj]
            stamp[bj] = step
            last_rem = bj
        # cover a random uncovered row with its best column (not the one just removed)
        state = _xorshift(state)
        i = unc[np.int64(state % np.uint64(n_unc[0]))]
        aj = -1
        bs = -1e300
        for q in range(r_ptr[i], r_ptr[i + 1]):
            c = r_idx[q]
            if c == last_rem:
                continue
            s = score[c] / cost[c] if cost[c] > 0 else score[c] * 1e9
            if s > bs or (s == bs and stamp[c] < stamp[aj]):
                bs = s
                aj = c
        if aj < 0:
            aj = last_rem
        _add(aj, c_ptr, c_idx, r_ptr, r_idx, sel, cnt, rw, score, unc, unc_pos, n_unc)
        cur += cost[aj]
        stamp[aj] = step
        last_add = aj
        # raise the weights of the uncovered rows
        for t in range(n_unc[0]):
            r = unc[t]
            rw[r] += 1
            for q in range(r_ptr[r], r_ptr[r + 1]):
                score[r_idx[q]] += 1.0
    if n_unc[0] == 0 and cur < best_cost[0] - 1e-9:
        best_cost[0] = cur
        best[:] = sel
    return step


@jit
def swap_search(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    r_ptr: NDArray[np.int64],
    r_idx: NDArray[np.int64],
    w: NDArray[np.float64],
    allowed: NDArray[np.bool_],
    sel: NDArray[np.bool_],
    best: NDArray[np.bool_],
    best_val: NDArray[np.float64],
    steps: int,
    tenure: int,
    n_try: int,
) -> None:
    """Tabu 1-swap search for max coverage (k = 1, fixed site count, no side constraints).

    Each step swaps one selected column out and one allowed column in: the best swap among
    the ``n_try`` columns of largest gain, excluding tabu moves unless they beat the best.
    ``sel`` is modified in place; ``best`` / ``best_val[0]`` keep the best selection.
    """
    m = r_ptr.size - 1
    n = c_ptr.size - 1
    cnt = np.zeros(m, dtype=np.int64)
    for i in range(m):
        for q in range(r_ptr[i], r_ptr[i + 1]):
            if sel[r_idx[q]]:
                cnt[i] += 1
    gain = np.zeros(n, dtype=np.float64)
    loss = np.zeros(n, dtype=np.float64)
    tabu = np.zeros(n, dtype=np.int64)
    corr = np.zeros(n, dtype=np.float64)
    cur = 0.0
    for i in range(m):
        if cnt[i] > 0:
            cur += w[i]
    for it in range(1, steps + 1):
        # gains and losses
        for j in range(n):
            gain[j] = 0.0
            loss[j] = 0.0
        for i in range(m):
            if cnt[i] == 0:
                for q in range(r_ptr[i], r_ptr[i + 1]):
                    gain[r_idx[q]] += w[i]
            elif cnt[i] == 1:
                u = _unique_cover(r_ptr, r_idx, sel, i, -1)
                loss[u] += w[i]
        # candidate adds: the n_try largest gains
        order = np.argsort(-gain)
        best_delta = -1e300
        ba = -1
        br = -1
        tried = 0
        for t in range(n):
            a = order[t]
            if tried >= n_try or gain[a] <= 0.0:
                break
            if sel[a] or not allowed[a]:
                continue
            tried += 1
            # rows of a covered once: removing their cover keeps them covered
            for p in range(c_ptr[a], c_ptr[a + 1]):
                i = c_idx[p]
                if cnt[i] == 1:
                    u = _unique_cover(r_ptr, r_idx, sel, i, -1)
                    corr[u] += w[i]
            for j in range(n):
                if sel[j]:
                    d = gain[a] - loss[j] + corr[j]
                    is_tabu = tabu[a] >= it or tabu[j] >= it
                    if is_tabu and cur + d <= best_val[0] + 1e-9:
                        continue
                    if d > best_delta:
                        best_delta = d
                        ba = a
                        br = j
            for p in range(c_ptr[a], c_ptr[a + 1]):
                i = c_idx[p]
                if cnt[i] == 1:
                    u = _unique_cover(r_ptr, r_idx, sel, i, -1)
                    corr[u] = 0.0
        if ba < 0:
            break
        sel[br] = False
        for p in range(c_ptr[br], c_ptr[br + 1]):
            cnt[c_idx[p]] -= 1
        sel[ba] = True
        for p in range(c_ptr[ba], c_ptr[ba + 1]):
            cnt[c_idx[p]] += 1
        cur += best_delta
        tabu[br] = it + tenure
        tabu[ba] = it + tenure // 2
        if cur > best_val[0] + 1e-9:
            best_val[0] = cur
            best[:] = sel
