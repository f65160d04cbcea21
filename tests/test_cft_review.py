"""Review tests of the pure CFT engine's faster kernels (issue 12): corners the parity tests of ``test_cft.py`` miss.

* :func:`kernels.cft_walk.greedy_good` keeps a short-list with the threshold ``(score, position)`` of its last
  member. A member whose score rises to exactly the threshold score must leave the list when its position is past
  the threshold's, since a candidate off the list may have that score and a smaller position. With integer costs
  1–3 and half multipliers such ties happen (a wrong threshold position, e.g. ``pt = nc``, still passed
  ``test_greedy_short_list_matches_reference`` and failed 5 of the first 200 instances here).
* :func:`kernels.cft_price.price_fused` and :func:`kernels.cft.price` cap the columns of small reduced cost at
  ``max_small``. With most rows open, every such column is also in some row's list, so the cap is not seen in
  the core (a fused pricing that dropped every column below the cut still passed the tests of ``test_cft.py``);
  here no row is open, so the core is the capped set alone, and ties at the cut are decided by the index.
* The engine's bounds and covers on tiny models of known optimum (both size paths), with fixed
  columns, zero-cost columns and k-coverage (rows served by taken columns make the "live" column filter drop
  columns from pricing: the bound must stay valid; a filter that also dropped the columns with one open row gave
  bounds above the optimum, and false "optimal" claims, on several of these 100 models, on both paths).
"""

from __future__ import annotations

import numpy as np
import pytest

import planner.optimize._cft as cft_mod
from kernels.cft import price
from kernels.cft_greedy import core_rows
from kernels.cft_price import price_fused
from kernels.cft_walk import greedy_good
from tests.reference.cft import greedy_py, price_py
from tests.reference.cft_tiny import check_tiny_models
from tests.test_cft import col_lists, ptrs, random_instance


def test_greedy_short_list_threshold_ties_match_reference() -> None:
    """Costs 1–3 and multipliers in halves: scores tie at the short-list's threshold; every list length 1–5 must make
    the reference greedy's picks (smallest score, ties: smaller index) on 200 small instances.
    """
    for seed in range(200):
        rng = np.random.default_rng(seed)
        m, n = int(rng.integers(4, 20)), int(rng.integers(6, 40))
        a, _, k = random_instance(seed, m=m, n=n, dens=float(rng.uniform(0.1, 0.4)), kmax=int(rng.integers(1, 3)))
        c_ptr, c_rows, _, _ = ptrs(a)
        cost = rng.integers(1, 4, size=n).astype(np.float64)
        u = (rng.integers(0, 4, size=m) * 0.5).astype(np.float64)
        cand = np.arange(n, dtype=np.int64)
        rp, rpos = core_rows(c_ptr, c_rows, m, cand)
        rows = col_lists(a)
        ref = greedy_py(rows, cost.tolist(), k.tolist(), u.tolist(), cand.tolist())
        gam = np.array([cost[j] - u[rows[j]].sum() for j in range(n)], dtype=np.float64)
        mu = np.array([len(rows[j]) for j in range(n)], dtype=np.int64)
        for list_len in (1, 2, 3, 4, 5):
            order = np.empty(n, dtype=np.int64)
            n_sel, short, _ = greedy_good(
                c_ptr, c_rows, rp, rpos, k, u, cand, np.zeros(n, dtype=bool), order, gam.copy(), mu.copy(), -1, list_len
            )
            assert short == 0
            assert order[:n_sel].tolist() == ref, (seed, list_len)


@pytest.mark.parametrize("seed", range(4))
def test_price_small_cap_alone_matches_reference(seed: int) -> None:
    """No open row: the core is exactly the ``max_small`` free columns of smallest reduced cost below ``rc_small``
    (ties: smaller index), for both pricings; the cut falls inside a run of equal reduced costs.
    """
    a, cost, _ = random_instance(500 + seed, m=20, n=150, dens=0.1)
    c_ptr, c_rows, r_ptr, r_cols = ptrs(a)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 8, size=a.shape[0]) * 0.5
    k = np.zeros(a.shape[0], dtype=np.int64)
    free = rng.random(a.shape[1]) < 0.9
    rc_all = cost - np.asarray(a.T @ u).ravel()
    small = np.sort(rc_all[free & (rc_all < 2.0)])
    for max_small in (1, 7, small.size // 2, small.size - 1):
        assert 0 < max_small < small.size
        ref_core, ref_lb = price_py(
            col_lists(a), cost.tolist(), k.tolist(), free.tolist(), u.tolist(), 3, 2.0, max_small
        )
        assert len(ref_core) == max_small
        fused, lb_f, _ = price_fused(c_ptr, c_rows, cost, k, free, u, 3, 2.0, max_small, np.zeros(a.shape[1]))
        row, lb_r, _ = price(c_ptr, c_rows, r_ptr, r_cols, cost, k, free, u, 3, 2.0, max_small, np.zeros(a.shape[1]))
        assert fused.tolist() == ref_core and row.tolist() == ref_core
        assert lb_f == pytest.approx(ref_lb, abs=1e-12) and lb_r == pytest.approx(ref_lb, abs=1e-12)
    # the instance has ties at some cut (else an index-order bug could not show)
    assert (np.diff(small) == 0).any()


@pytest.mark.parametrize("large", [False, True])
def test_engine_bounds_are_valid_on_tiny_models(large: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """100 tiny models (fixed and zero-cost columns taken, so rows they serve drop out of pricing; k up to 2), on the
    small-model path and with the large-model one forced: a feasible k-cover, a bound and a root bound (not capped
    by the cover's cost) never above the brute-force optimum, and "optimal" only when it is.
    """
    monkeypatch.setattr(cft_mod, "LARGE_COLS", 0 if large else 10**9)
    check_tiny_models(range(100), 900, 8, 12, work_limit=500_000, zero_cost=True)
