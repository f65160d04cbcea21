"""The pure CFT engine against the brute-force optimum on tiny models: one check shared by the engine's path tests.

``tests/test_cft_review.py`` (small and large paths), ``tests/test_cft_huge.py`` and ``tests/test_cft_review2.py``
(huge path) run the same check on their own series of models; the path is chosen by the caller (monkeypatched
thresholds of :mod:`planner.optimize._cft`).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from planner.optimize._cft import cft_solve
from tests.test_cft import brute_optimum, random_instance


def check_tiny_models(
    seeds: range, base: int, m: int, n: int, *, work_limit: int, zero_cost: bool, twice: bool = False
) -> None:
    """Run :func:`cft_solve` on one tiny model per seed and check it against the brute-force optimum.

    Model of seed ``s``: :func:`tests.test_cft.random_instance` ``(base + s, m, n)`` with a density drawn in
    0.15–0.4 and ``k`` up to 2 (every other seed), 0–2 fixed columns and, with ``zero_cost``, one free column of cost
    0 in every third seed (taken at the start, so the rows it serves are closed from the root on).

    Checked: an infeasible model (brute-force optimum ``inf``) is reported infeasible; else the cover is a
    k-cover holding the fixed columns, its reported cost is its cost and at least the optimum, the bound and the
    root bound (not capped by the cover's cost) are at most the optimum, and "optimal" is claimed only when the
    cover is optimal. With ``twice`` a second run must give the same cover, bound and last improvement
    (work units and cost).

    Parameters
    ----------
    seeds : range
        The models' seeds.
    base : int
        Offset of the instance generator's seed.
    m, n : int
        Rows and columns (``n`` ≤ 14: the optimum is found by enumerating 2**n plans).
    work_limit : int
        The engine's budget (work units).
    zero_cost : bool
        Whether every third model gets a zero-cost column.
    twice : bool
        Whether to run each feasible model twice and compare (determinism).
    """
    for seed in seeds:
        rng = np.random.default_rng(seed)
        a, cost, k = random_instance(base + seed, m=m, n=n, dens=float(rng.uniform(0.15, 0.4)), kmax=1 + seed % 2)
        fixed = np.zeros(n, dtype=bool)
        fixed[rng.choice(n, size=int(rng.integers(0, 3)), replace=False)] = True
        if zero_cost and seed % 3 == 0:
            cost[rng.choice(np.flatnonzero(~fixed))] = 0.0
        opt = brute_optimum(a, cost, k, fixed)
        res = cft_solve(sp.csc_matrix(a), cost, k, fixed, work_limit=work_limit, seed=seed)
        if not np.isfinite(opt):
            assert not res.feasible, seed
            continue
        if twice:
            again = cft_solve(sp.csc_matrix(a), cost, k, fixed, work_limit=work_limit, seed=seed)
            assert again.selected.tolist() == res.selected.tolist() and again.bound == res.bound, seed
            assert again.stats["history"][-1][:2] == res.stats["history"][-1][:2], seed
        assert res.feasible and res.selected[fixed].all(), seed
        assert (a.toarray() @ res.selected >= k).all(), seed
        assert res.objective == pytest.approx(float(cost[res.selected].sum())) and res.objective >= opt, seed
        assert res.bound <= opt + 1e-9 and res.stats["root_bound"] <= opt + 1e-9, (seed, opt, res.stats["root_bound"])
        assert res.objective == opt or not res.optimal, seed
