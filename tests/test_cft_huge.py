"""The pure CFT engine's path for huge models (:data:`planner.optimize._cft.HUGE_COLS` columns and more).

* :func:`kernels.cft_price.residual_cols` against its pure-Python reference.
* The residual model gives the pricing and the column fixing the same results as the whole one when the
  multipliers are 0 on the closed rows (the claim that lets the huge path read fewer entries).
* The huge path's bounds and covers on tiny models of known optimum (path forced by a zero threshold), and its
  single chain (one root pass).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import planner.optimize._cft as cft_mod
from kernels.cft_price import price_fused, residual_cols
from planner.optimize._cft import _Engine, cft_solve
from tests.reference.cft import residual_cols_py
from tests.reference.cft_tiny import check_tiny_models
from tests.test_cft import col_lists, random_instance


def _masks(seed: int, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random(n) < 0.7, rng.random(m) < 0.6


@pytest.mark.parametrize("seed", range(30))
def test_residual_cols_matches_reference(seed: int) -> None:
    """Each live column keeps its open rows in order, the others none; the numbering and ``n + 1`` pointers stay."""
    a, _, _ = random_instance(seed, m=15, n=25, dens=0.3)
    live, open_rows = _masks(seed, 15, 25)
    ptr, rows, work = residual_cols(a.indptr.astype(np.int64), a.indices.astype(np.int64), live, open_rows)
    ref = residual_cols_py(col_lists(a), live.tolist(), open_rows.tolist())
    assert ptr.size == 26 and ptr[0] == 0 and work > 0
    assert [rows[ptr[j]:ptr[j + 1]].tolist() for j in range(25)] == ref


@pytest.mark.parametrize("seed", range(30))
def test_pricing_on_residual_is_the_same(seed: int) -> None:
    """Multipliers 0 on closed rows: the residual columns give the whole model's core, bound and reduced costs of the
    live columns (a residual that lost an open row's entry changes the reduced costs and fails here).
    """
    a, cost, k = random_instance(100 + seed, m=15, n=30, dens=0.3, kmax=2)
    live, open_rows = _masks(seed, 15, 30)
    k_res = np.where(open_rows, k, 0).astype(np.int64)
    u = np.where(open_rows, np.random.default_rng(seed).uniform(0.0, 3.0, 15), 0.0)
    c_ptr, c_rows = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    rc_full, rc_res = np.zeros(30), np.zeros(30)
    core_f, lb_f, _ = price_fused(c_ptr, c_rows, cost, k_res, live, u, 3, 0.5, 20, rc_full)
    ptr, rows, _ = residual_cols(c_ptr, c_rows, live, open_rows)
    core_r, lb_r, _ = price_fused(ptr, rows, cost, k_res, live, u, 3, 0.5, 20, rc_res)
    assert core_r.tolist() == core_f.tolist()
    assert lb_r == lb_f
    assert np.array_equal(rc_res[live], rc_full[live])


@pytest.mark.parametrize("seed", range(20))
def test_fixing_on_residual_is_the_same(seed: int) -> None:
    """The column fixing of one three-phase iteration picks the same columns from the residual model as from the
    whole one (negative reduced costs, the no-overlap test on open rows and the greedy picks).
    """
    a, cost, k = random_instance(200 + seed, m=30, n=60, dens=0.15, kmax=2)
    a = sp.csc_matrix(a)
    free = np.ones(60, dtype=bool)
    eng = _Engine(a, cost, k, free, 10**9, seed, None)
    rng = np.random.default_rng(seed)
    k_res = np.where(rng.random(30) < 0.6, k, 0).astype(np.int64)
    u = np.where(k_res > 0, rng.uniform(0.0, 4.0, 30), 0.0)
    live = eng.live(free, k_res)
    eng.huge = False
    eng.focus(live, k_res)
    whole = eng.fix_columns(k_res, live, u)
    eng.huge = True
    eng.focus(live, k_res)
    assert eng.w_rows.size < eng.c_rows.size
    assert np.array_equal(eng.fix_columns(k_res, live, u), whole)


def test_huge_path_bounds_are_valid_on_tiny_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """60 tiny models on the huge path (forced): a feasible k-cover, bound and root bound never above the brute-force
    optimum, "optimal" only when it is.
    """
    monkeypatch.setattr(cft_mod, "LARGE_COLS", 0)
    monkeypatch.setattr(cft_mod, "HUGE_COLS", 0)
    check_tiny_models(range(60), 700, 8, 12, work_limit=500_000, zero_cost=False)


def test_huge_path_runs_one_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """One chain on the huge path: a single three-phase pass on the whole model (two on the standard path)."""
    a, cost, k = random_instance(1, m=60, n=300, dens=0.04)  # not closed by the first root (bound 26, cover 28)
    roots: list[int] = []
    orig = _Engine.three_phase

    def counting(self: _Engine, fixed_in: np.ndarray) -> tuple[float, np.ndarray] | None:
        if not fixed_in.any():
            roots.append(1)
        return orig(self, fixed_in)

    monkeypatch.setattr(_Engine, "three_phase", counting)
    for huge, want in ((False, 2), (True, 1)):
        roots.clear()
        monkeypatch.setattr(cft_mod, "HUGE_COLS", 0 if huge else 10**9)
        monkeypatch.setattr(cft_mod, "LARGE_COLS", 0 if huge else 10**9)  # huge models are large too
        res = cft_solve(sp.csc_matrix(a), cost, k, work_limit=20_000_000, seed=0)
        assert res.feasible and not res.optimal
        assert len(roots) == want, (huge, roots)
