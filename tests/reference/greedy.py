"""Pure-Python reference of the lazy greedy and redundant-column removal (:mod:`kernels.greedy`).

Slow, line-by-line versions of the numba kernels, used only by the parity tests
(``tests/test_optimize_kernels.py``); they never run in the product.
"""

from __future__ import annotations


def greedy_cover_py(cols: list[list[int]], cost: list[float], w: list[float], k: list[int], area: list[int],
                    need: list[float], allowed: list[bool], group: list[int], conflicts: list[tuple[int, int]],
                    ctype: list[int], cap: list[int], max_sites: int, budget: float, by_ratio: bool) -> list[bool]:
    """Pure-Python reference of :func:`kernels.greedy.greedy_cover` (plain, non-lazy greedy; no ties assumed)."""
    n = len(cost)
    need = list(need)
    cnt = [0] * len(w)
    sel = [False] * n
    ok = list(allowed)
    used_groups: set[int] = set()
    tcount = [0] * len(cap)
    spent = 0.0

    def gain(j: int) -> float:
        per: dict[int, float] = {}
        for i in cols[j]:
            if cnt[i] < k[i]:
                per[area[i]] = per.get(area[i], 0.0) + w[i] / k[i]
        return sum(min(g, max(need[a], 0.0)) for a, g in per.items())

    while (max_sites < 0 or sum(sel) < max_sites) and any(v > 1e-12 for v in need):
        best, best_s = -1, 0.0
        for j in range(n):
            if not ok[j] or sel[j] or spent + cost[j] > budget + 1e-9:
                continue
            if group[j] >= 0 and group[j] in used_groups:
                continue
            if ctype[j] >= 0 and cap[ctype[j]] >= 0 and tcount[ctype[j]] >= cap[ctype[j]]:
                continue
            g = gain(j)
            if g <= 0:
                continue
            s = (g / cost[j] if cost[j] > 0 else 1e300) if by_ratio else g
            if s > best_s:
                best, best_s = j, s
        if best < 0:
            break
        sel[best] = True
        spent += cost[best]
        if group[best] >= 0:
            used_groups.add(group[best])
        if ctype[best] >= 0:
            tcount[ctype[best]] += 1
        for a_, b_ in conflicts:
            if a_ == best:
                ok[b_] = False
            if b_ == best:
                ok[a_] = False
        for i in cols[best]:
            if cnt[i] < k[i]:
                cnt[i] += 1
                if cnt[i] == k[i]:
                    need[area[i]] -= w[i]
    return sel


def drop_redundant_py(cols: list[list[int]], w: list[float], k: list[int], area: list[int], hard: list[bool],
                      slack: list[float], sel: list[bool], order: list[int]) -> list[bool]:
    """Pure-Python reference of :func:`kernels.greedy.drop_redundant`."""
    sel = list(sel)
    cnt = [0] * len(w)
    for j, rows in enumerate(cols):
        if sel[j]:
            for i in rows:
                cnt[i] += 1
    slack = list(slack)
    for j in order:
        if not sel[j]:
            continue
        lost = [i for i in cols[j] if cnt[i] == k[i]]
        if any(hard[i] for i in lost):
            continue
        per: dict[int, float] = {}
        for i in lost:
            per[area[i]] = per.get(area[i], 0.0) + w[i]
        if any(v > slack[a] + 1e-9 for a, v in per.items()):
            continue
        for a, v in per.items():
            slack[a] -= v
        for i in cols[j]:
            cnt[i] -= 1
        sel[j] = False
    return sel
