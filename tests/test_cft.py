"""CFT set-cover engine: kernel parity with pure-Python references, and tiny models of known optimum."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from kernels.cft import lagrangian, price, subgradient_step
from kernels.cft_greedy import core_rows, drop_listed, drop_redundant, greedy, greedy_scored
from kernels.cft_price import price_fused
from kernels.cft_walk import greedy_good, heuristic_phase
from planner.errors import InputDataError
from planner.optimize import read_orlib
from planner.optimize._cft import cft_solve
from tests.reference.cft import (
    drop_redundant_py,
    greedy_py,
    heuristic_phase_py,
    lagrangian_py,
    price_py,
    subgradient_step_py,
)


def random_instance(
    seed: int, m: int = 12, n: int = 20, dens: float = 0.25, kmax: int = 1
) -> tuple[sp.csc_matrix, NDArray[np.float64], NDArray[np.int64]]:
    """A random incidence in which every row has at least ``kmax + 1`` columns, integer costs 1..9."""
    rng = np.random.default_rng(seed)
    dense = rng.random((m, n)) < dens
    for i in range(m):
        extra = rng.choice(n, size=kmax + 1, replace=False)
        dense[i, extra] = True
    a = sp.csc_matrix(dense.astype(np.int8))
    a.sort_indices()
    cost = rng.integers(1, 10, size=n).astype(np.float64)
    k = rng.integers(1, kmax + 1, size=m).astype(np.int64)
    return a, cost, k


def col_lists(a: sp.csc_matrix) -> list[list[int]]:
    return [a.indices[a.indptr[j] : a.indptr[j + 1]].tolist() for j in range(a.shape[1])]


def ptrs(a: sp.csc_matrix) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    r = a.tocsr()
    r.sort_indices()
    return (
        a.indptr.astype(np.int64),
        a.indices.astype(np.int64),
        r.indptr.astype(np.int64),
        r.indices.astype(np.int64),
    )


def brute_optimum(
    a: sp.csc_matrix,
    cost: NDArray[np.float64],
    k: NDArray[np.int64],
    fixed: NDArray[np.bool_] | None = None,
    forbidden: NDArray[np.bool_] | None = None,
) -> float:
    """Cheapest cover by enumerating every subset (n ≤ 14)."""
    n = a.shape[1]
    dense = a.toarray().astype(np.int64)
    best = np.inf
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits, dtype=bool)
        if fixed is not None and (fixed & ~x).any():
            continue
        if forbidden is not None and (forbidden & x).any():
            continue
        if (dense @ x >= k).all():
            best = min(best, float(cost[x].sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_and_step_match_reference(seed: int) -> None:
    a, cost, k = random_instance(seed, kmax=1 + seed % 3)
    c_ptr, c_rows, _, _ = ptrs(a)
    rng = np.random.default_rng(100 + seed)
    u = rng.random(a.shape[0]) * 4.0
    u[rng.random(u.size) < 0.2] = 0.0
    cols = np.flatnonzero(rng.random(a.shape[1]) < 0.7).astype(np.int64)
    rcv = np.zeros(cols.size)
    got = lagrangian(c_ptr, c_rows, cost, k, cols, u, rcv)
    ref = lagrangian_py(col_lists(a), cost.tolist(), k.tolist(), cols.tolist(), u.tolist())
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-12)
    steps = []
    for clip, plain in ((True, False), (False, False), (True, True)):
        u2 = u.copy()
        val = subgradient_step(c_ptr, c_rows, cost, k, cols, u2, rcv, np.zeros(k.size), 60.0, 0.7, clip, plain)
        ref_val, ref_u = subgradient_step_py(
            col_lists(a), cost.tolist(), k.tolist(), cols.tolist(), u.tolist(), 60.0, 0.7, clip, plain
        )
        assert val == pytest.approx(ref_val, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(u2, ref_u, rtol=1e-12, atol=1e-12)
        steps.append(u2)
    if seed == 0:  # the three directions differ on this instance (the test would not see a swapped flag)
        assert not np.allclose(steps[0], steps[2]) and not np.allclose(steps[1], steps[2])


@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_bounds_the_optimum(seed: int) -> None:
    """L(u) over all columns never exceeds the brute-force optimum, for any u ≥ 0."""
    a, cost, k = random_instance(seed, m=8, n=11, kmax=2)
    c_ptr, c_rows, _, _ = ptrs(a)
    opt = brute_optimum(a, cost, k)
    rng = np.random.default_rng(seed)
    cols = np.arange(a.shape[1], dtype=np.int64)
    for _ in range(20):
        u = rng.random(a.shape[0]) * 6.0
        assert lagrangian(c_ptr, c_rows, cost, k, cols, u, np.zeros(cols.size)) <= opt + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_price_matches_reference(seed: int) -> None:
    a, cost, k = random_instance(seed, m=15, n=40, kmax=1 + seed % 2)
    c_ptr, c_rows, r_ptr, r_cols = ptrs(a)
    rng = np.random.default_rng(seed)
    u = rng.random(a.shape[0]) * 3.0
    k = k.copy()
    k[rng.random(k.size) < 0.2] = 0
    free = rng.random(a.shape[1]) < 0.85
    for per_row, small, max_small in ((2, 0.1, 5), (5, 0.5, 100), (1, -1.0, 0)):
        core, lb, _ = price(
            c_ptr, c_rows, r_ptr, r_cols, cost, k, free, u, per_row, small, max_small, np.zeros(a.shape[1])
        )
        ref_core, ref_lb = price_py(
            col_lists(a), cost.tolist(), k.tolist(), free.tolist(), u.tolist(), per_row, small, max_small
        )
        assert core.tolist() == ref_core
        assert lb == pytest.approx(ref_lb, rel=1e-12, abs=1e-12)
        rc = np.zeros(a.shape[1])
        core_f, lb_f, _ = price_fused(c_ptr, c_rows, cost, k, free, u, per_row, small, max_small, rc)
        assert core_f.tolist() == ref_core
        assert lb_f == pytest.approx(ref_lb, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_price_fused_ties_and_caps_match_reference(seed: int) -> None:
    """Quarter multipliers and integer costs: many equal reduced costs, so both caps (``max_small`` below the
    number of small columns, and each row's list) are decided by the index; k up to 3 lengthens the row lists.
    """
    a, cost, k = random_instance(300 + seed, m=30, n=200, dens=0.1, kmax=3)
    c_ptr, c_rows, _, _ = ptrs(a)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 8, size=a.shape[0]) * 0.25
    k[rng.random(k.size) < 0.2] = 0
    free = rng.random(a.shape[1]) < 0.9
    for per_row, small, max_small in ((1, 0.5, 3), (3, 2.0, 17), (2, 9.0, 0)):
        rc = np.zeros(a.shape[1])
        core, lb, _ = price_fused(c_ptr, c_rows, cost, k, free, u, per_row, small, max_small, rc)
        ref_core, ref_lb = price_py(
            col_lists(a), cost.tolist(), k.tolist(), free.tolist(), u.tolist(), per_row, small, max_small
        )
        assert core.tolist() == ref_core
        assert lb == pytest.approx(ref_lb, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_greedy_and_removal_match_reference(seed: int) -> None:
    """Exact arithmetic (u in quarters, integer costs) so both pick the same columns in the same order."""
    a, cost, k = random_instance(seed, m=14, n=30, kmax=1 + seed % 3)
    c_ptr, c_rows, _, _ = ptrs(a)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 12, size=a.shape[0]) * 0.25
    cand = np.flatnonzero(rng.random(a.shape[1]) < 0.9).astype(np.int64)
    rp, rc = core_rows(c_ptr, c_rows, a.shape[0], cand)
    order = np.empty(cand.size, dtype=np.int64)
    n_sel, short, _ = greedy(c_ptr, c_rows, rp, rc, cost, k, u, cand, np.zeros(cand.size, dtype=bool), order)
    ref = greedy_py(col_lists(a), cost.tolist(), k.tolist(), u.tolist(), cand.tolist())
    assert order[:n_sel].tolist() == ref
    first = np.empty(cand.size, dtype=np.int64)  # a limited run makes the full run's first picks
    n_lim, _, _ = greedy(c_ptr, c_rows, rp, rc, cost, k, u, cand, np.zeros(cand.size, dtype=bool), first, 2)
    assert first[:n_lim].tolist() == ref[:2]
    sel = np.zeros(a.shape[1], dtype=bool)
    sel[order[:n_sel]] = True
    dense = a.toarray()
    if short == 0:
        assert (dense @ sel >= k).all()
        kept_ref = drop_redundant_py(col_lists(a), cost.tolist(), k.tolist(), sorted(ref))
        drop_redundant(c_ptr, c_rows, cost, k, sel)
        assert np.flatnonzero(sel).tolist() == kept_ref
        assert (dense @ sel >= k).all()


@pytest.mark.parametrize("seed", range(4))
def test_greedy_queue_rebuild_keeps_the_picks(seed: int) -> None:
    """Sparse columns on many rows: hundreds of candidates lose their last open row, so the queue is rebuilt
    without them (and re-keyed) several times; the picks must stay the reference's.
    """
    a, cost, k = random_instance(100 + seed, m=80, n=600, dens=0.03, kmax=1 + seed % 2)
    c_ptr, c_rows, _, _ = ptrs(a)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 12, size=a.shape[0]) * 0.25
    cand = np.arange(a.shape[1], dtype=np.int64)
    rp, rc = core_rows(c_ptr, c_rows, a.shape[0], cand)
    order = np.empty(cand.size, dtype=np.int64)
    n_sel, _, _ = greedy(c_ptr, c_rows, rp, rc, cost, k, u, cand, np.zeros(cand.size, dtype=bool), order)
    ref = greedy_py(col_lists(a), cost.tolist(), k.tolist(), u.tolist(), cand.tolist())
    assert order[:n_sel].tolist() == ref


def _walk_matches_reference(a: sp.csc_matrix, cost: NDArray[np.float64], k: NDArray[np.int64],
                            cols: NDArray[np.int64], u0: NDArray[np.float64], steps: int, plain: bool) -> None:
    """``heuristic_phase`` from ``u0`` (λ 0.3) gives the reference's cover, value, ``u`` and best ``u``."""
    c_ptr, c_rows, _, _ = ptrs(a)
    u, sel, best_u = u0.copy(), np.zeros(a.shape[1], dtype=bool), np.empty(a.shape[0])
    val, _ = heuristic_phase(c_ptr, c_rows, cost, k, cols, u, 1e9, 0.3, steps, sel, 0.999, True, plain, best_u)
    ref_val, ref_sel, ref_u, ref_best_u = heuristic_phase_py(
        col_lists(a), cost.tolist(), k.tolist(), cols.tolist(), u0.tolist(), 1e9, 0.3, steps, 0.999, True, plain
    )
    assert val == pytest.approx(ref_val, rel=1e-12) and ref_sel is not None
    assert np.flatnonzero(sel).tolist() == ref_sel
    assert (a.toarray() @ sel >= k).all() and float(cost[sel].sum()) == pytest.approx(val, rel=1e-12)
    np.testing.assert_allclose(u, ref_u, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(best_u, ref_best_u, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_heuristic_phase_matches_reference(seed: int) -> None:
    """Fixed-λ walk with a greedy + removal at each step, in both directions (plain / clipped)."""
    a, cost, k = random_instance(seed, m=14, n=30, kmax=1 + seed % 2)
    rng = np.random.default_rng(seed)
    cost = cost + rng.random(cost.size)  # no two covers of the same cost: no ties to break by rounding
    u0 = rng.integers(0, 12, size=a.shape[0]) * 0.25
    cols = np.flatnonzero(rng.random(a.shape[1]) < 0.9).astype(np.int64)
    for plain in (True, False):
        _walk_matches_reference(a, cost, k, cols, u0, 12, plain)


@pytest.mark.parametrize("seed", range(4))
def test_heuristic_phase_with_served_rows_matches_reference(seed: int) -> None:
    """Rows already served (``k_i = 0``): with ``u_i = 0`` there the walk's greedy takes its γ from the reduced
    costs; with ``u_i > 0`` there (no longer equal) it counts γ from the columns. Both must match the reference,
    which recomputes every score from the open rows.
    """
    a, cost, k = random_instance(40 + seed, m=16, n=32, kmax=1 + seed % 2)
    rng = np.random.default_rng(seed)
    cost = cost + rng.random(cost.size)
    k[rng.random(k.size) < 0.3] = 0
    cols = np.arange(a.shape[1], dtype=np.int64)
    for served_u in (0.0, 0.5):
        u0 = rng.integers(1, 12, size=a.shape[0]) * 0.25
        u0[k == 0] = served_u
        _walk_matches_reference(a, cost, k, cols, u0, 10, True)


def test_greedy_scored_from_reduced_costs_matches_greedy() -> None:
    """Given γ = the reduced costs and μ = the rows needing covers, the picks are :func:`greedy`'s."""
    a, cost, k = random_instance(7, m=40, n=120, dens=0.08, kmax=2)
    c_ptr, c_rows, _, _ = ptrs(a)
    u = np.random.default_rng(7).integers(0, 12, size=a.shape[0]) * 0.25
    cand = np.arange(a.shape[1], dtype=np.int64)
    rp, rpos = core_rows(c_ptr, c_rows, a.shape[0], cand)
    rcv = np.empty(cand.size)
    lagrangian(c_ptr, c_rows, cost, k, cand, u, rcv)
    mu = np.diff(c_ptr).astype(np.int64)
    order, ref = np.empty(cand.size, dtype=np.int64), np.empty(cand.size, dtype=np.int64)
    n_sel, short, _ = greedy_scored(c_ptr, c_rows, rp, rpos, k, u, cand, np.zeros(cand.size, dtype=bool), order,
                                    rcv, mu)
    n_ref, short_ref, _ = greedy(c_ptr, c_rows, rp, rpos, cost, k, u, cand, np.zeros(cand.size, dtype=bool), ref)
    assert (n_sel, short) == (n_ref, short_ref) and order[:n_sel].tolist() == ref[:n_ref].tolist()


@pytest.mark.parametrize("seed", range(8))
def test_greedy_short_list_matches_reference(seed: int) -> None:
    """:func:`greedy_good` makes the reference's picks for any short-list length (1 forces a selection at almost
    every pick; quarter multipliers and integer costs give many tied scores, broken by position), with and
    without a pick limit and with columns already taken.
    """
    a, cost, k = random_instance(200 + seed, m=60, n=300, dens=0.05, kmax=1 + seed % 3)
    c_ptr, c_rows, _, _ = ptrs(a)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 12, size=a.shape[0]) * 0.25
    cand = np.flatnonzero(rng.random(a.shape[1]) < 0.9).astype(np.int64)
    rp, rpos = core_rows(c_ptr, c_rows, a.shape[0], cand)
    ref = greedy_py(col_lists(a), cost.tolist(), k.tolist(), u.tolist(), cand.tolist())
    pre = np.zeros(cand.size, dtype=bool)
    pre[rng.choice(cand.size, size=3, replace=False)] = True  # taken before the call: never chosen
    need = np.maximum(k - a[:, cand[pre]].toarray().sum(axis=1), 0).astype(np.int64)
    ref_pre = greedy_py(col_lists(a), cost.tolist(), need.tolist(), u.tolist(), cand[~pre].tolist())

    def scores(nd: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        open_rows = [c_rows[c_ptr[j]:c_ptr[j + 1]][nd[c_rows[c_ptr[j]:c_ptr[j + 1]]] > 0] for j in cand]
        return (np.array([cost[j] - u[r].sum() for j, r in zip(cand, open_rows, strict=True)]),
                np.array([r.size for r in open_rows], dtype=np.int64))

    gam, mu = scores(k)
    gam_pre, mu_pre = scores(need)
    for list_len in (1, 2, 7, 0):
        order = np.empty(cand.size, dtype=np.int64)
        n_sel, _, _ = greedy_good(c_ptr, c_rows, rp, rpos, k, u, cand, np.zeros(cand.size, dtype=bool), order,
                                  gam.copy(), mu.copy(), -1, list_len)
        assert order[:n_sel].tolist() == ref
        n_lim, _, _ = greedy_good(c_ptr, c_rows, rp, rpos, k, u, cand, np.zeros(cand.size, dtype=bool), order,
                                  gam.copy(), mu.copy(), 3, list_len)
        assert order[:n_lim].tolist() == ref[:3]
        taken = pre.copy()
        n_pre, _, _ = greedy_good(c_ptr, c_rows, rp, rpos, need, u, cand, taken, order, gam_pre.copy(),
                                  mu_pre.copy(), -1, list_len)
        assert order[:n_pre].tolist() == ref_pre


def test_core_rows_is_the_transpose() -> None:
    a, _, _ = random_instance(3, m=10, n=25)
    c_ptr, c_rows, _, _ = ptrs(a)
    cols = np.array([1, 4, 5, 9, 17, 24], dtype=np.int64)
    rp, rc = core_rows(c_ptr, c_rows, a.shape[0], cols)
    ref = a[:, cols].tocsr()
    ref.sort_indices()
    assert rp.tolist() == ref.indptr.tolist()
    assert rc.tolist() == ref.indices.tolist()


@pytest.mark.parametrize("seed", range(10))
def test_cft_solve_tiny_models_reach_the_optimum(seed: int) -> None:
    a, cost, k = random_instance(seed, m=9, n=12, dens=0.3, kmax=1 + seed % 2)
    opt = brute_optimum(a, cost, k)
    res = cft_solve(a, cost, k, work_limit=2_000_000, seed=seed)
    assert res.feasible
    assert (a.toarray() @ res.selected >= k).all()
    assert res.objective == pytest.approx(float(cost[res.selected].sum()))
    assert res.bound <= opt + 1e-9
    assert res.objective == opt


@pytest.mark.parametrize("seed", range(5))
def test_cft_solve_fixed_and_forbidden(seed: int) -> None:
    a, cost, k = random_instance(seed, m=9, n=12, dens=0.35, kmax=2)
    rng = np.random.default_rng(seed)
    fixed = np.zeros(12, dtype=bool)
    fixed[rng.choice(12, 2, replace=False)] = True
    forbidden = np.zeros(12, dtype=bool)
    forbidden[rng.choice(np.flatnonzero(~fixed), 1)] = True
    opt = brute_optimum(a, cost, k, fixed, forbidden)
    res = cft_solve(a, cost, k, fixed, forbidden, work_limit=2_000_000, seed=seed)
    if not np.isfinite(opt):
        assert not res.feasible and res.bound == np.inf
        return
    assert res.selected[fixed].all() and not res.selected[forbidden].any()
    assert res.bound <= opt + 1e-9
    assert res.objective == opt


def test_known_instance_and_bound_proof() -> None:
    """Rows {0,1,2,3}; the pair {A, B} (cost 2 + 2) beats C alone (cost 5) and D + E (cost 3 + 3)."""
    rows_of = {0: [0, 1], 1: [2, 3], 2: [0, 1, 2, 3], 3: [0, 2], 4: [1, 3]}
    rr = [i for j in range(5) for i in rows_of[j]]
    cc = [j for j in range(5) for _ in rows_of[j]]
    a = sp.csc_matrix((np.ones(12), (rr, cc)), shape=(4, 5))
    cost = np.array([2.0, 2.0, 5.0, 3.0, 3.0])
    res = cft_solve(a, cost, work_limit=100_000)
    assert res.selected.tolist() == [True, True, False, False, False]
    assert res.objective == 4.0 and res.bound == 4.0 and res.optimal


def test_infeasible_rows_and_determinism() -> None:
    a, cost, k = random_instance(4, m=30, n=60, dens=0.12, kmax=2)
    forbidden = np.zeros(60, dtype=bool)
    forbidden[a.tocsr()[0].indices] = True
    bad = cft_solve(a, cost, k, forbidden=forbidden, work_limit=10_000)
    assert not bad.feasible and bad.stats["infeasible_rows"] >= 1
    r1 = cft_solve(a, cost, k, work_limit=3_000_000, seed=7)
    r2 = cft_solve(a, cost, k, work_limit=3_000_000, seed=7)
    assert r1.selected.tolist() == r2.selected.tolist() and r1.bound == r2.bound and r1.work == r2.work


@pytest.mark.parametrize("seed", range(3))
def test_fused_pricing_runs_the_same_search(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both pricings give the same cores, so a run that ends by its stale cycles (not by the budget, which they
    count differently) makes the same covers, history of costs and bound with either.
    """
    import planner.optimize._cft as cft_mod

    a, cost, k = random_instance(60 + seed, m=120, n=1200, dens=0.02, kmax=1 + seed % 2)  # 29 passes, not proven
    row = cft_solve(a, cost, k, work_limit=10**10, seed=seed, max_stale_cycles=1)

    def fused_price(c_ptr: NDArray[np.int64], c_rows: NDArray[np.int64], _rp: NDArray[np.int64],
                    _rc: NDArray[np.int64], *rest: Any) -> tuple[NDArray[np.int64], float, int]:
        return price_fused(c_ptr, c_rows, *rest)

    monkeypatch.setattr(cft_mod, "price", fused_price)
    fused = cft_solve(a, cost, k, work_limit=10**10, seed=seed, max_stale_cycles=1)
    assert fused.selected.tolist() == row.selected.tolist() and fused.bound == row.bound
    assert [h[1] for h in fused.stats["history"]] == [h[1] for h in row.stats["history"]]
    assert fused.stats["passes"] == row.stats["passes"]


@pytest.mark.parametrize("seed", range(3))
def test_refinement_chains_report_only_the_best_cover(seed: int) -> None:
    """The refinement chains keep their own covers; the history lists only improvements of the best one
    (strictly falling, each a cover's cost), ending at the result, and both chains ran (two roots at least).
    """
    a, cost, k = random_instance(10 + seed, m=60, n=240, dens=0.06, kmax=2)
    res = cft_solve(a, cost, k, work_limit=40_000_000, seed=seed)
    vals = [v for _, v, _, _ in res.stats["history"]]
    assert vals and all(b < a_ for a_, b in itertools.pairwise(vals))
    assert vals[-1] == pytest.approx(res.objective) == pytest.approx(float(cost[res.selected].sum()))
    cov = np.asarray(sp.csc_matrix(a) @ res.selected.astype(np.int64)).ravel()
    assert (cov >= k).all()
    assert res.stats["passes"] >= 2 or res.optimal


@pytest.mark.parametrize("seed", range(4))
def test_cft_stage_on_a_reduced_full_cover_model(seed: int) -> None:
    """Fixed / forbidden sites and k-rows through the project's reductions: the engine's cover plus the
    taken columns is a plan meeting every row, and its bound never exceeds the brute-force optimum.
    """
    from planner.optimize._cft import cft_applies, cft_stage
    from planner.optimize._reduce import reduce_problem
    from planner.optimize._side import side_of
    from planner.optimize.problem import CoverageProblem

    a, cost, k = random_instance(seed, m=10, n=13, dens=0.35, kmax=2)
    rng = np.random.default_rng(seed)
    fixed = np.zeros(13, dtype=bool)
    fixed[rng.choice(13, 1)] = True
    forbidden = np.zeros(13, dtype=bool)
    forbidden[rng.choice(np.flatnonzero(~fixed), 1)] = True
    opt = brute_optimum(a, cost, k, fixed, forbidden)
    m = a.shape[0]
    p = CoverageProblem(
        a=a.tocsr(),
        cost=cost,
        row_weight=np.ones(m),
        row_area=np.zeros(m, np.int64),
        row_k=k,
        area_target=np.ones(1),
        area_names=["all"],
        fixed=fixed,
        forbidden=forbidden,
    )
    red = reduce_problem(p, "min_cost")
    if red.stats.get("infeasible_reason") or red.a.shape[0] == 0 or red.n_cols == 0:
        pytest.skip("the reductions settle this model")
    side = side_of(p, red, "min_cost")
    assert cft_applies(red, side, "min_cost") and not cft_applies(red, side, "max_coverage")
    stats: dict[str, object] = {}
    sel, lb = cft_stage(red, side, None, 2_000_000, seed, 60.0, stats)
    assert sel is not None and "cft" in stats
    plan = red.base.copy()
    plan[red.cols[sel]] = True
    assert (a.toarray() @ plan >= k).all() and plan[fixed].all() and not plan[forbidden].any()
    assert float(cost[red.base].sum()) + lb <= opt + 1e-9
    assert float(cost[plan].sum()) == opt


@pytest.mark.parametrize("seed", range(8))
def test_drop_listed_enumeration_matches_reference(seed: int) -> None:
    """Many redundant columns (a random cover plus extra columns): greedy removal, then enumeration."""
    from kernels.cft_greedy import ENUM_MAX

    a, cost, k = random_instance(seed, m=12, n=30, dens=0.3, kmax=1 + seed % 2)
    c_ptr, c_rows, _, _ = ptrs(a)
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(30)[:22].astype(np.int64)
    dense = a.toarray()
    if not (dense[:, chosen].sum(axis=1) >= k).all():
        chosen = np.arange(30, dtype=np.int64)
    for enum_max in (ENUM_MAX,):  # the kernel's threshold
        keep = np.empty(chosen.size, dtype=bool)
        total, _ = drop_listed(c_ptr, c_rows, cost, k, chosen, keep)
        ref = drop_redundant_py(col_lists(a), cost.tolist(), k.tolist(), chosen.tolist(), enum_max)
        assert sorted(chosen[keep].tolist()) == ref
        assert total == pytest.approx(float(cost[chosen[keep]].sum()))
        assert (dense[:, chosen[keep]].sum(axis=1) >= k).all()
    # with every redundant column left to the enumeration the kept cost is minimal over removals
    small = chosen[:10]
    if (dense[:, small].sum(axis=1) >= k).all():
        keep = np.empty(small.size, dtype=bool)
        total, _ = drop_listed(c_ptr, c_rows, cost, k, small, keep)
        best = min(
            float(cost[small[list(s)]].sum())
            for r in range(11)
            for s in itertools.combinations(range(10), r)
            if (dense[:, small[list(s)]].sum(axis=1) >= k).all()
        )
        cov = dense[:, small].sum(axis=1)
        n_red = sum(bool((cov[dense[:, j] > 0] > k[dense[:, j] > 0]).all()) for j in small)
        assert total >= best - 1e-9
        if n_red <= ENUM_MAX:
            assert total == pytest.approx(best)


@pytest.mark.parametrize("costs", ["unit", "integer", "fractional"])
def test_drop_listed_search_matches_enumeration(costs: str) -> None:
    """The depth-first search of the best removal returns the plain enumeration's subset, ties included
    (unit costs: many subsets of the same gain; fractional: sums that round).
    """
    for seed in range(30):
        a, cost, k = random_instance(200 + seed, m=10, n=24, dens=0.35, kmax=1 + seed % 2)
        rng = np.random.default_rng(seed)
        if costs == "unit":
            cost = np.ones(cost.size)
        elif costs == "fractional":
            cost = np.round(rng.random(cost.size) * 3.0, 1) + 0.1
        c_ptr, c_rows, _, _ = ptrs(a)
        chosen = rng.permutation(24)[: 12 + seed % 6].astype(np.int64)
        if not (a.toarray()[:, chosen].sum(axis=1) >= k).all():
            chosen = np.arange(24, dtype=np.int64)
        keep = np.empty(chosen.size, dtype=bool)
        drop_listed(c_ptr, c_rows, cost, k, chosen, keep)
        ref = drop_redundant_py(col_lists(a), cost.tolist(), k.tolist(), chosen.tolist())
        assert sorted(chosen[keep].tolist()) == ref


def test_solve_takes_the_engines_cover_and_bound() -> None:
    """Solve on a full-cover model with k-rows and a fixed site: the engine runs as a stage
    (stats["cft"]), the plan meets every row, and the proof is reported as optimal.
    """
    from planner.optimize import solve
    from planner.optimize.problem import CoverageProblem

    a, cost, k = random_instance(11, m=60, n=120, dens=0.06, kmax=2)
    m = a.shape[0]
    fixed = np.zeros(120, dtype=bool)
    fixed[3] = True
    p = CoverageProblem(
        a=a.tocsr(),
        cost=cost,
        row_weight=np.ones(m),
        row_area=np.zeros(m, np.int64),
        row_k=k,
        area_target=np.ones(1),
        area_names=["all"],
        fixed=fixed,
    )
    sol = solve(p, "min_cost", time_limit_s=5.0, workers=1, seed=0)
    assert "cft" in sol.stats and sol.stats["cft"]["objective"] is not None
    plan = np.zeros(120, dtype=bool)
    plan[sol.selected] = True
    assert (a.toarray() @ plan >= k).all() and plan[3]
    assert sol.bound <= sol.objective + 1e-9
    assert sol.status == "optimal"


def test_read_orlib_formats_and_errors(tmp_path: Path) -> None:
    """Both OR-Library layouts give the same matrix; a short, long, non-integer or out-of-range file names the fault."""
    scp = tmp_path / "scp_t.txt"
    scp.write_text("3 4\n 2 1 3 5\n2 1 2\n 1 3\n3 2 4 3\n")  # rows: {1,2}, {3}, {2,4,3} (1-based columns)
    rail = tmp_path / "rail_t"
    rail.write_text("3 4\n2 1 1\n1 2 1 3\n3 2 2 3\n5 1 3\n")  # per column: cost, count, rows
    a, b = read_orlib(scp), read_orlib(rail)
    dense = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 1, 1]])
    np.testing.assert_array_equal(a.a.toarray(), dense)
    np.testing.assert_array_equal(b.a.toarray(), dense)
    np.testing.assert_array_equal(a.cost, [2, 1, 3, 5])
    np.testing.assert_array_equal(b.cost, [2, 1, 3, 5])
    head = "3 4\n2 1 3 5\n"
    cases = [
        (head + "2 1 2\n1\n3 2 4", "ends early"),
        (head + "2 1 2\n1 3\n3 2 4 3 7", "left"),
        (head + "2 1 x\n1 3\n3 2 4 3", "cannot read"),
        (head + "2 1 9\n1 3\n3 2 4 3", "range"),
    ]
    for text, words in cases:
        bad = tmp_path / "scp_bad.txt"
        bad.write_text(text)
        with pytest.raises(InputDataError, match=words):
            read_orlib(bad)
