"""Pure-Python reference of the area-weighting local search for partial cover (:mod:`kernels.partialcover`).

Slow, line-by-line versions of the numba kernels, used only by the parity tests
(``tests/test_optimize_kernels.py``); they never run in the product.
"""

from __future__ import annotations

#: cost floor of the kernel's score ratios (kernels.partialcover._EPS_COST)
_EPS_COST = 1e-9


def _xorshift_py(x: int) -> int:
    mask = 0xFFFFFFFFFFFFFFFF
    x ^= (x << 13) & mask
    x ^= x >> 7
    x ^= (x << 17) & mask
    return x & mask


def partial_ls_py(  # noqa: C901 (line-by-line reference of partial_ls)
    cols: list[list[int]], cost: list[float], w: list[float], k: list[int], area: list[int],
                  need: list[float], sel: list[bool], best_cost: float, alpha: list[float], stamp: list[int],
                  steps: int, seed: int, step0: int, n_draw: int) -> tuple[list[bool], float, list[bool], int]:
    """Pure-Python reference of :func:`kernels.partialcover.partial_ls`: every score recomputed from scratch.

    ``best_cost`` is the cost of the best plan so far (``inf``: none). Returns ``(best,
    best_cost, final selection, step)``, ``best`` empty when no cheaper plan was found;
    ``alpha`` and ``stamp`` are updated in place. Uncovered rows are drawn from the same list order as the kernel
    (swap-with-last removal).
    """
    mask = 0xFFFFFFFFFFFFFFFF
    state = (seed * 0x9E3779B97F4A7C15 + step0 * 0xBF58476D1CE4E5B9 + 1) & mask
    m, n, n_areas = len(w), len(cost), len(need)
    rows_of = [[j for j in range(n) if i in cols[j]] for i in range(m)]
    sel = list(sel)
    cnt = [sum(1 for j in rows_of[i] if sel[j]) for i in range(m)]
    unc = [i for i in range(m) if cnt[i] < k[i]]
    best: list[bool] = []

    def deficits() -> list[float]:
        d = list(need)
        for i in range(m):
            if cnt[i] >= k[i]:
                d[area[i]] -= w[i]
        return d

    def per_area(j: int, removing: bool) -> dict[int, float]:
        out: dict[int, float] = {}
        for i in cols[j]:
            if (removing and cnt[i] == k[i]) or (not removing and cnt[i] == k[i] - 1):
                out[area[i]] = out.get(area[i], 0.0) + w[i]
            else:
                out.setdefault(area[i], 0.0)
        return out

    def rem_delta(j: int) -> float:
        d = deficits()
        return sum(alpha[a] * (max(0.0, d[a] + v) - max(0.0, d[a]))
                   for a, v in sorted(per_area(j, True).items()) if v > 0)

    def add_delta(j: int) -> float:
        d = deficits()
        return sum(alpha[a] * min(v, d[a]) for a, v in sorted(per_area(j, False).items()) if v > 0 and d[a] > 0)

    def flip(j: int) -> None:
        add = not sel[j]
        for i in cols[j]:
            old = cnt[i]
            cnt[i] += 1 if add else -1
            if add and cnt[i] == k[i]:
                t = unc.index(i)
                unc[t] = unc[-1]
                unc.pop()
            elif not add and old == k[i]:
                unc.append(i)
        sel[j] = add

    def cc(j: int) -> float:
        return cost[j] if cost[j] > _EPS_COST else _EPS_COST

    cur = sum(cost[j] for j in range(n) if sel[j])
    last_add = last_rem = -1
    step = step0
    for _ in range(steps):
        step += 1
        while all(v <= 0.0 for v in deficits()):
            if cur < best_cost - 1e-9:
                best_cost, best = cur, list(sel)
            cand = [j for j in range(n) if sel[j]]
            if not cand:
                break
            bj = min(cand, key=lambda j: (rem_delta(j) / cc(j), -cost[j], stamp[j], j))
            flip(bj)
            cur -= cost[bj]
            stamp[bj] = step
        if not unc:
            break
        d = deficits()
        cands: list[int] = []
        found, pos = 0, 0
        for _t in range(64 * n_draw):
            if found >= n_draw:
                break
            state = _xorshift_py(state)
            pos = state % len(unc)
            if d[area[unc[pos]]] <= 0.0:
                continue
            found += 1
            cands += [c for c in rows_of[unc[pos]] if not sel[c] and c != last_rem]
        if found == 0:
            for t in range(len(unc)):
                r = unc[(pos + t) % len(unc)]
                if d[area[r]] > 0.0:
                    found = 1
                    cands = [c for c in rows_of[r] if not sel[c] and c != last_rem]
                    break
        if found == 0:
            break
        if cands:
            aj = min(cands, key=lambda c: (-add_delta(c) / cc(c), stamp[c], c))
        elif last_rem >= 0 and not sel[last_rem]:
            aj = last_rem
        else:
            continue
        if cur + cost[aj] >= best_cost - 1e-9:
            cand = [j for j in range(n) if sel[j] and j != last_add]
            if cand:
                bj = min(cand, key=lambda j: (rem_delta(j) / cc(j), stamp[j], j))
                flip(bj)
                cur -= cost[bj]
                stamp[bj] = step
                last_rem = bj
        flip(aj)
        cur += cost[aj]
        stamp[aj] = step
        last_add = aj
        for a, v in enumerate(deficits()):
            if v > 0.0:
                alpha[a] += 1.0
    if all(v <= 0.0 for v in deficits()) and cur < best_cost - 1e-9:
        best_cost, best = cur, list(sel)
    _ = n_areas
    return best, float(best_cost), sel, step
