"""Pure-Python reference of the dominance tests of the set-cover reductions (:mod:`kernels.setcover`).

Slow, line-by-line versions of the numba kernels, used only by the parity tests
(``tests/test_optimize_kernels.py``); they never run in the product.
"""

from __future__ import annotations


def dominated_columns_py(cols: list[set[int]], cost: list[float], eligible: list[bool]) -> list[bool]:
    """Pure-Python reference of :func:`kernels.setcover.dominated_columns` (same tie rule; quadratic)."""
    n = len(cols)
    out = [False] * n
    for j in range(n):
        if not eligible[j]:
            continue
        if not cols[j]:
            out[j] = True
            continue
        for col in range(n):
            if col == j or not eligible[col] or out[col] or cost[col] > cost[j]:
                continue
            if len(cols[col]) == len(cols[j]) and cost[col] == cost[j] and col > j:
                continue
            if cols[j] <= cols[col]:
                out[j] = True
                break
    return out


def dominated_rows_py(rows: list[set[int]], eligible: list[bool]) -> list[bool]:
    """Pure-Python reference of :func:`kernels.setcover.dominated_rows` (quadratic)."""
    m = len(rows)
    out = [False] * m
    for r in range(m):
        if not eligible[r] or out[r] or not rows[r]:
            continue
        for i in range(m):
            if i == r or not eligible[i] or out[i]:
                continue
            if len(rows[i]) == len(rows[r]) and i < r:
                continue
            if rows[r] <= rows[i]:
                out[i] = True
    return out
