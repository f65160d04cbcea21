"""Pure-Python reference of the Lagrangian bound of partial k-fold cover (:mod:`kernels.lagrange`).

Slow, line-by-line versions of the numba kernels, used only by the parity tests
(``tests/test_optimize_kernels.py``); they never run in the product.
"""

from __future__ import annotations


def lagrangian_value_py(cols: list[list[int]], cost: list[float], k: list[int], w: list[float], hard: list[bool],
                        area_rows: list[list[int]], need: list[float], u: list[float]) -> float:
    """Pure-Python reference of :func:`kernels.lagrange.lagrangian_value` (the bound only)."""
    total = 0.0
    for j, rows in enumerate(cols):
        s = cost[j] - sum(u[i] for i in rows)
        total += min(0.0, s)
    total += sum(k[i] * u[i] for i in range(len(k)) if hard[i])
    for a, rows in enumerate(area_rows):
        left = need[a]
        if left <= 0:
            continue
        for i in sorted(rows, key=lambda r: k[r] * u[r] / w[r] if w[r] > 0 else 1e300):
            if left <= 0:
                break
            yv = 1.0 if w[i] <= left else left / w[i]
            left -= w[i] * yv
            total += k[i] * u[i] * yv
    return total
