"""Pure-Python references of the CFT engine's kernels (:mod:`kernels.cft`, :mod:`kernels.cft_greedy`).

Slow, line-by-line versions of the numba kernels, used only by the parity tests
(``tests/test_cft.py``); they never run in the product.
"""

from __future__ import annotations

from kernels.cft_greedy import ENUM_MAX


def lagrangian_py(cols_rows: list[list[int]], cost: list[float], k: list[int], cols: list[int],
                  u: list[float]) -> float:
    """Pure-Python reference of :func:`lagrangian` (the bound only)."""
    total = sum(ki * ui for ki, ui in zip(k, u, strict=True))
    for j in cols:
        total += min(0.0, cost[j] - sum(u[i] for i in cols_rows[j]))
    return total


def subgradient_step_py(cols_rows: list[list[int]], cost: list[float], k: list[int], cols: list[int], u: list[float],
                        ub: float, lam: float, clip: bool = True, plain: bool = False) -> tuple[float, list[float]]:
    """Pure-Python reference of :func:`subgradient_step`: ``(L(u), new u)``.

    ``plain``: every column of negative reduced cost counts in the direction and nothing is clipped.
    """
    val = lagrangian_py(cols_rows, cost, k, cols, u)
    rc = {j: cost[j] - sum(u[i] for i in cols_rows[j]) for j in cols}
    cov = [0] * len(k)
    for j in sorted((j for j in cols if rc[j] < 0.0), key=lambda c: (rc[c], cols.index(c))):
        if plain or any(cov[i] < k[i] for i in cols_rows[j]):
            for i in cols_rows[j]:
                cov[i] += 1
    s = [float(k[i] - cov[i]) for i in range(len(k))]
    s = [0.0 if (clip and not plain and u[i] <= 0.0 and s[i] < 0.0) else s[i] for i in range(len(k))]
    norm = sum(v * v for v in s)
    if norm <= 0.0:
        return val, list(u)
    t = lam * max(ub - val, 1e-9) / norm
    return val, [max(0.0, u[i] + t * s[i]) for i in range(len(k))]


def price_py(cols_rows: list[list[int]], cost: list[float], k: list[int], free: list[bool], u: list[float],
             per_row: int, rc_small: float, max_small: int) -> tuple[list[int], float]:
    """Pure-Python reference of :func:`price`: ``(sorted core, L(u))``."""
    n, m = len(cost), len(k)
    rc = {j: cost[j] - sum(u[i] for i in cols_rows[j]) for j in range(n) if free[j]}
    total = sum(k[i] * u[i] for i in range(m)) + sum(min(0.0, v) for v in rc.values())
    small = sorted((v, j) for j, v in rc.items() if v < rc_small)[:max_small]
    core = {j for _, j in small}
    rows: list[list[int]] = [[] for _ in range(m)]
    for j in range(n):
        for i in cols_rows[j]:
            rows[i].append(j)
    for i in range(m):
        if k[i] <= 0:
            continue
        q = min(per_row + k[i] - 1, per_row + 64)
        cand = sorted((rc[j], j) for j in rows[i] if free[j])
        core.update(j for _, j in cand[:q])
    return sorted(core), total


def greedy_py(cols_rows: list[list[int]], cost: list[float], need: list[int], u: list[float],
              cand: list[int]) -> list[int]:
    """Pure-Python reference of :func:`greedy` (no lazy queue: every score recomputed each step)."""
    need = list(need)
    chosen: list[int] = []
    taken: set[int] = set()
    while any(v > 0 for v in need):
        best: tuple[float, int] | None = None
        for j in cand:
            if j in taken:
                continue
            open_rows = [i for i in cols_rows[j] if need[i] > 0]
            if not open_rows:
                continue
            g = cost[j] - sum(u[i] for i in open_rows)
            sc = g / len(open_rows) if g > 0 else g * len(open_rows)
            if best is None or (sc, j) < best:
                best = (sc, j)
        if best is None:
            break
        j = best[1]
        taken.add(j)
        chosen.append(j)
        for i in cols_rows[j]:
            if need[i] > 0:
                need[i] -= 1
    return chosen


def drop_redundant_py(cols_rows: list[list[int]], cost: list[float], k: list[int], chosen: list[int],
                      enum_max: int = ENUM_MAX) -> list[int]:
    """Pure-Python reference of :func:`drop_listed` / :func:`drop_redundant`: the kept columns, sorted."""
    chosen = list(chosen)
    kept = [True] * len(chosen)
    cov = [0] * len(k)
    for j in chosen:
        for i in cols_rows[j]:
            cov[i] += 1

    def removable(j: int) -> bool:
        return all(cov[i] > k[i] for i in cols_rows[j])

    red = [t for t in range(len(chosen)) if removable(chosen[t])]
    while len(red) > enum_max:
        t = max(red, key=lambda q: (cost[chosen[q]], -q))
        kept[t] = False
        for i in cols_rows[chosen[t]]:
            cov[i] -= 1
        red = [q for q in red if q != t and removable(chosen[q])]
    best_mask, best_gain = 0, 0.0
    for mask in range(1, 1 << len(red)):
        out = [chosen[red[b]] for b in range(len(red)) if mask >> b & 1]
        gain = sum(cost[j] for j in out)
        if gain <= best_gain:
            continue
        left = list(cov)
        for j in out:
            for i in cols_rows[j]:
                left[i] -= 1
        if all(left[i] >= k[i] for j in out for i in cols_rows[j]):
            best_mask, best_gain = mask, gain
    for b in range(len(red)):
        if best_mask >> b & 1:
            kept[red[b]] = False
    return sorted(chosen[t] for t in range(len(chosen)) if kept[t])


def heuristic_phase_py(cols_rows: list[list[int]], cost: list[float], k: list[int], cols: list[int], u: list[float],
                       best_val: float, lam: float, iters: int, eps: float, clip: bool,
                       plain: bool) -> tuple[float, list[int] | None, list[float], list[float]]:
    """Pure-Python reference of :func:`heuristic_phase`: ``(best value, its sorted columns or None,
    final u, multipliers of the best core bound)``.
    """
    u = list(u)
    best_sel: list[int] | None = None
    best_lb, best_u = -float("inf"), list(u)
    for _ in range(iters):
        chosen = greedy_py(cols_rows, cost, k, u, cols)
        cov = [0] * len(k)
        for j in chosen:
            for i in cols_rows[j]:
                cov[i] += 1
        if all(cov[i] >= k[i] for i in range(len(k))):
            kept = drop_redundant_py(cols_rows, cost, k, chosen)
            val = sum(cost[j] for j in kept)
            if val < best_val - 1e-9:
                best_val, best_sel = val, kept
        lval, new_u = subgradient_step_py(cols_rows, cost, k, cols, u, best_val, lam, clip, plain)
        if lval > best_lb:
            best_lb, best_u = lval, list(u)
        u = new_u
        if lval >= best_val - eps:
            break
    return best_val, best_sel, u, best_u


def residual_cols_py(cols_rows: list[list[int]], live: list[bool], open_rows: list[bool]) -> list[list[int]]:
    """Reference of :func:`kernels.cft_price.residual_cols`: each live column's open rows, in order; [] otherwise."""
    return [[i for i in rows if open_rows[i]] if live[j] else [] for j, rows in enumerate(cols_rows)]
