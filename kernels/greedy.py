"""Greedy heuristics for (partial, k-) set cover and budgeted maximum coverage.

Rows carry a weight ``w``, a requirement ``k`` (distinct covering columns) and an area; each
area has a *need* (weight still to cover; ``inf`` = maximise coverage), which falls by ``w_i``
when row ``i`` reaches ``k_i`` covers. A column's gain is ``Σ w_i / k_i`` over its rows that
still lack covers, capped per area by the area's remaining need; this gain never increases as
columns are added, so the classic lazy evaluation is exact (Minoux's accelerated greedy):
re-evaluate only the best stale score.

Side constraints: one column per group, conflict pairs, per-type caps, a site count and a
budget. Chvátal (1979) greedy, ``score = gain / cost`` (``gain`` alone when ``by_ratio`` is
False); columns of zero cost with a positive gain come first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit


@jit
def _gain(
    j: int,
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    w: NDArray[np.float64],
    k: NDArray[np.int64],
    cnt: NDArray[np.int64],
    area: NDArray[np.int64],
    need: NDArray[np.float64],
    scratch: NDArray[np.float64],
) -> float:
    # per-area raw gains, capped by the area's remaining need
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        if cnt[i] < k[i]:
            scratch[area[i]] = 0.0
    total = 0.0
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        if cnt[i] < k[i]:
            scratch[area[i]] += w[i] / k[i]
    for p in range(c_ptr[j], c_ptr[j + 1]):
        i = c_idx[p]
        if cnt[i] < k[i]:
            a = area[i]
            if scratch[a] >= 0.0:
                g = scratch[a]
                # an area already at its target (need <= 0 after its last row) adds nothing; a
                # negative need must not make a column that also serves it look worse
                if g > need[a]:
                    g = max(need[a], 0.0)
                total += g
                scratch[a] = -1.0
    return total


#: counted operations per heap level moved and per nonzero visited: random accesses into
#: arrays of a million entries miss the cache (about 100 ns each), so a step costs tens of
#: operations (1M candidates, 5.4M nonzeros: 69M operations at 1 per level and 3 per nonzero
#: took 36 s of wall time at a load average of 13 on 2 cores)
_HEAP_LEVEL_OPS = 20
_GAIN_NNZ_OPS = 10.0


@jit
def _above(a: int, b: int, score: NDArray[np.float64]) -> bool:
    """Heap order: larger score first, then the smaller index."""
    return score[a] > score[b] or (score[a] == score[b] and a < b)


@jit
def _sift_up(t: int, heap: NDArray[np.int64], pos: NDArray[np.int64], score: NDArray[np.float64]) -> int:
    ops = 0
    while t > 0:
        ops += _HEAP_LEVEL_OPS
        parent = (t - 1) // 2
        if not _above(heap[t], heap[parent], score):
            break
        heap[t], heap[parent] = heap[parent], heap[t]
        pos[heap[t]] = t
        pos[heap[parent]] = parent
        t = parent
    return ops


@jit
def _sift_down(t: int, size: int, heap: NDArray[np.int64], pos: NDArray[np.int64], score: NDArray[np.float64]) -> int:
    ops = 0
    while True:
        ops += _HEAP_LEVEL_OPS
        lft = 2 * t + 1
        if lft >= size:
            break
        c = lft
        if lft + 1 < size and _above(heap[lft + 1], heap[lft], score):
            c = lft + 1
        if not _above(heap[c], heap[t], score):
            break
        heap[t], heap[c] = heap[c], heap[t]
        pos[heap[t]] = t
        pos[heap[c]] = c
        t = c
    return ops


@jit
def _heap_remove(
    j: int, size: int, heap: NDArray[np.int64], pos: NDArray[np.int64], score: NDArray[np.float64]
) -> tuple[int, int]:
    """Remove column ``j`` (if in the heap); returns (new size, operations)."""
    t = pos[j]
    if t < 0:
        return size, 0
    size -= 1
    pos[j] = -1
    if t == size:
        return size, 1
    last = heap[size]
    heap[t] = last
    pos[last] = t
    ops = _sift_up(t, heap, pos, score)
    ops += _sift_down(pos[last], size, heap, pos, score)
    return size, ops


@jit
def greedy_cover(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    cost: NDArray[np.float64],
    w: NDArray[np.float64],
    k: NDArray[np.int64],
    area: NDArray[np.int64],
    need_in: NDArray[np.float64],
    cnt_in: NDArray[np.int64],
    allowed_in: NDArray[np.bool_],
    group: NDArray[np.int64],
    n_groups: int,
    conf_ptr: NDArray[np.int64],
    conf_idx: NDArray[np.int64],
    ctype: NDArray[np.int64],
    cap: NDArray[np.int64],
    max_sites: int,
    budget: float,
    by_ratio: bool,
    max_ops: float,
) -> tuple[NDArray[np.bool_], float, bool]:
    """Lazy greedy selection under a work limit.

    The stale scores sit in a binary max-heap (ties: the smaller index first), so one pick
    costs ``O(log n)`` plus the gain re-evaluations of its stale rivals, not a scan of every
    column. A re-evaluated column is taken when its fresh score is at least the best stale
    score of the others.

    Parameters
    ----------
    c_ptr, c_idx : ndarray of int64
        Column-major incidence (column ``j`` covers rows ``c_idx[c_ptr[j]:c_ptr[j+1]]``).
    cost : ndarray of float64
        Column costs (≥ 0).
    w, k, area : ndarray
        Row weights, requirements (≥ 1) and areas.
    need_in : ndarray of float64
        Weight each area still needs (``inf``: as much as possible; ≤ 0: none).
    cnt_in : ndarray of int64
        Covers each row already has.
    allowed_in : ndarray of bool
        Columns that may be selected.
    group : ndarray of int64
        Group of each column (-1 = none); at most one column per group.
    n_groups : int
        Number of groups.
    conf_ptr, conf_idx : ndarray of int64
        Conflict adjacency (CSR over columns).
    ctype, cap : ndarray of int64
        Type index of each column and the cap of each type (-1 = none).
    max_sites : int
        Maximum number of selected columns (-1 = none).
    budget : float
        Maximum total cost (``inf`` = none).
    by_ratio : bool
        Score by ``gain / cost`` (True) or by ``gain`` (False).
    max_ops : float
        Work limit in counted elementary operations (nonzeros visited, heap moves, area
        checks); the search stops, unfinished, once it is exceeded.

    Returns
    -------
    sel : ndarray of bool
        Selected columns.
    ops : float
        Operations counted.
    done : bool
        False when the work limit stopped the greedy before it finished.
    """
    n = cost.size
    need = need_in.copy()
    cnt = cnt_in.copy()
    allowed = allowed_in.copy()
    sel = np.zeros(n, dtype=np.bool_)
    scratch = np.zeros(need.size, dtype=np.float64)
    gused = np.zeros(max(n_groups, 1), dtype=np.bool_)
    tcount = np.zeros(cap.size, dtype=np.int64)
    score = np.full(n, -1.0, dtype=np.float64)
    heap = np.empty(n, dtype=np.int64)
    pos = np.full(n, -1, dtype=np.int64)
    big = 1e300
    ops = 0.0
    size = 0
    for j in range(n):
        if allowed[j]:
            ops += _GAIN_NNZ_OPS * (c_ptr[j + 1] - c_ptr[j]) + 1.0
            g = _gain(j, c_ptr, c_idx, w, k, cnt, area, need, scratch)
            if g > 0.0:
                score[j] = (g / cost[j] if cost[j] > 0 else big * (1.0 + g * 1e-300)) if by_ratio else g
                heap[size] = j
                pos[j] = size
                size += 1
    for t in range(size // 2 - 1, -1, -1):
        ops += _sift_down(t, size, heap, pos, score)
    n_sel = 0
    spent = 0.0
    while True:
        if ops > max_ops:
            return sel, ops, False
        if max_sites >= 0 and n_sel >= max_sites:
            break
        any_need = False
        for a in range(need.size):
            if need[a] > 1e-12:
                any_need = True
                break
        ops += need.size
        if not any_need:
            break
        best = -1
        while size > 0:
            if ops > max_ops:
                return sel, ops, False
            j = heap[0]
            ok = allowed[j] and spent + cost[j] <= budget + 1e-9
            if ok and group[j] >= 0 and gused[group[j]]:
                ok = False
            if ok and ctype[j] >= 0 and cap[ctype[j]] >= 0 and tcount[ctype[j]] >= cap[ctype[j]]:
                ok = False
            if not ok:
                allowed[j] = False
                score[j] = -1.0
                size, o = _heap_remove(j, size, heap, pos, score)
                ops += o
                continue
            ops += _GAIN_NNZ_OPS * (c_ptr[j + 1] - c_ptr[j]) + 1.0
            g = _gain(j, c_ptr, c_idx, w, k, cnt, area, need, scratch)
            if g <= 0.0:
                score[j] = -1.0
                size, o = _heap_remove(j, size, heap, pos, score)
                ops += o
                continue
            s = (g / cost[j] if cost[j] > 0 else big * (1.0 + g * 1e-300)) if by_ratio else g
            score[j] = s
            ops += _sift_down(0, size, heap, pos, score)
            # still the best? its fresh score against the best stale score of the others, ties
            # to the smaller index as in the heap (stale scores only fall, so the top is exact)
            if heap[0] == j:
                best = j
                break
        if best < 0:
            break
        j = best
        sel[j] = True
        allowed[j] = False
        size, o = _heap_remove(j, size, heap, pos, score)
        ops += o
        score[j] = -1.0
        n_sel += 1
        spent += cost[j]
        if group[j] >= 0:
            gused[group[j]] = True
        if ctype[j] >= 0:
            tcount[ctype[j]] += 1
        for p in range(conf_ptr[j], conf_ptr[j + 1]):
            q = conf_idx[p]
            allowed[q] = False
            size, o = _heap_remove(q, size, heap, pos, score)
            ops += o + 1.0
            score[q] = -1.0
        # update needs, then counts
        ops += _GAIN_NNZ_OPS * (c_ptr[j + 1] - c_ptr[j])
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            if cnt[i] < k[i]:
                cnt[i] += 1
                if cnt[i] == k[i]:
                    need[area[i]] -= w[i]
    return sel, ops, True


@jit
def drop_redundant(
    c_ptr: NDArray[np.int64],
    c_idx: NDArray[np.int64],
    cost: NDArray[np.float64],
    w: NDArray[np.float64],
    k: NDArray[np.int64],
    area: NDArray[np.int64],
    hard: NDArray[np.bool_],
    slack_in: NDArray[np.float64],
    cnt_in: NDArray[np.int64],
    sel_in: NDArray[np.bool_],
    order: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Remove selected columns, in ``order``, whose removal keeps every target met.

    ``slack_in[a]`` is the covered weight of area ``a`` above its requirement; a row counts
    as covered when ``cnt ≥ k``; ``hard`` rows must stay covered. ``cnt_in`` are the counts
    of the selection ``sel_in``.
    """
    sel = sel_in.copy()
    cnt = cnt_in.copy()
    slack = slack_in.copy()
    loss = np.zeros(slack.size, dtype=np.float64)
    for t in range(order.size):
        j = order[t]
        if not sel[j]:
            continue
        ok = True
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            if cnt[i] == k[i]:
                if hard[i]:
                    ok = False
                    break
                loss[area[i]] = 0.0
        if not ok:
            continue
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            if cnt[i] == k[i]:
                loss[area[i]] += w[i]
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            if cnt[i] == k[i] and loss[area[i]] > slack[area[i]] + 1e-9:
                ok = False
                break
        if not ok:
            continue
        for p in range(c_ptr[j], c_ptr[j + 1]):
            i = c_idx[p]
            if cnt[i] == k[i]:
                a = area[i]
                if loss[a] > 0.0:
                    slack[a] -= loss[a]
                    loss[a] = 0.0
            cnt[i] -= 1
        sel[j] = False
    return sel
