"""Refinement passes of the pure CFT engine on the huge path (:data:`planner.optimize._cft.HUGE_COLS`, forced here).

* :func:`planner.optimize._cft_refine.refinement_fix` with a tie key against a pure-Python reference (columns in
  increasing gap contribution, then key, while they serve at most the row limit).
* :meth:`planner.optimize._cft._Engine.pass_start`: the pass's own incumbent is the fixed columns plus the
  Lagrangian greedy cover of the rest (:func:`tests.reference.cft.greedy_py`) without its redundant columns
  (:func:`tests.reference.cft.drop_redundant_py`), and it is offered as a cover.
* The cutoffs of a pass: on the huge path a refinement pass's subgradient steps use the pass's incumbent (never
  below the best cover) and stop at the best cover; the root pass and the standard path use the best cover for both.
* Bounds and covers of the huge path on tiny models against the brute-force optimum (other seeds than
  ``tests/test_cft_huge.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

import planner.optimize._cft as cft_mod
from planner.optimize._cft import _Engine, cft_solve
from planner.optimize._cft_refine import refinement_fix
from tests.reference.cft import drop_redundant_py, greedy_py
from tests.reference.cft_tiny import check_tiny_models
from tests.test_cft import col_lists, random_instance


def refinement_fix_py(cols_rows: list[list[int]], cost: list[float], k: list[int], u: list[float], sel: list[int],
                      limit: int, tie: list[float]) -> list[int]:
    """Reference: the columns of ``sel`` (ascending) in increasing (gap contribution, ``tie``) while the rows they
    serve number at most ``limit``.
    """
    cov = [0] * len(k)
    for j in sel:
        for i in cols_rows[j]:
            cov[i] += 1
    delta = []
    for j in sel:
        rc = cost[j] - sum(u[i] for i in cols_rows[j])
        over = sum(u[i] * max(cov[i] - k[i], 0) / cov[i] for i in cols_rows[j])
        delta.append(max(rc, 0.0) + over)
    covered: set[int] = set()
    out: list[int] = []
    for t in sorted(range(len(sel)), key=lambda q: (delta[q], tie[q])):
        covered_after = covered | set(cols_rows[sel[t]])
        if len(covered_after) > limit:
            break
        covered = covered_after
        out.append(sel[t])
    return sorted(out)


@pytest.mark.parametrize("seed", range(40))
def test_refinement_fix_ties_match_reference(seed: int) -> None:
    """Multipliers in halves and integer costs make contributions exact, with many ties (zero contributions); the
    key decides among them, and no key is the column order.
    """
    a, cost, k = random_instance(300 + seed, m=20, n=40, dens=0.15, kmax=1 + seed % 2)
    rng = np.random.default_rng(seed)
    sel = rng.random(40) < 0.5
    u = rng.integers(0, 3, size=20) / 2.0
    cov = np.asarray(a @ sel.astype(np.int64)).ravel().astype(np.float64)
    limit = int(rng.integers(1, 21))
    c_ptr, c_rows = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    tie = rng.random(int(sel.sum()))
    chosen = np.flatnonzero(sel).tolist()
    for key in (tie, None):
        out, work = refinement_fix(a, c_ptr, c_rows, cost, k, u, sel, cov, limit, key)
        ref_key = tie.tolist() if key is not None else list(range(len(chosen)))
        ref = refinement_fix_py(col_lists(a), cost.tolist(), k.tolist(), u.tolist(), chosen, limit, ref_key)
        assert np.flatnonzero(out).tolist() == ref, (seed, key is None)
        assert work > 0


def test_refinement_fix_key_changes_the_choice() -> None:
    """All contributions 0 (u = 0, each row served once): the key alone orders the columns, so the reversed key fixes
    the other end (a key that were ignored would fail here).
    """
    m = 6
    a = sp.csc_matrix(np.eye(m, dtype=np.int8))
    cost = np.ones(m)
    k = np.ones(m, dtype=np.int64)
    sel = np.ones(m, dtype=bool)
    u = np.zeros(m)
    cov = np.ones(m)
    c_ptr, c_rows = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    key = np.arange(m, dtype=np.float64)
    first, _ = refinement_fix(a, c_ptr, c_rows, cost, k, u, sel, cov, 2, key)
    last, _ = refinement_fix(a, c_ptr, c_rows, cost, k, u, sel, cov, 2, key[::-1].copy())
    assert np.flatnonzero(first).tolist() == [0, 1]
    assert np.flatnonzero(last).tolist() == [4, 5]


@pytest.mark.parametrize("seed", range(25))
def test_pass_start_is_the_greedy_cover(seed: int) -> None:
    """The pass's incumbent: fixed columns + greedy cover of the rows they leave short (initial multipliers) less its
    redundant columns, its cost returned and offered (the best cover is then at most that cost).
    """
    m, n = 15, 30
    a, cost, k = random_instance(400 + seed, m=m, n=n, dens=0.2, kmax=1 + seed % 2)
    free = np.ones(n, dtype=bool)
    eng = _Engine(sp.csc_matrix(a), cost, k, free, 10**9, seed, None)
    rng = np.random.default_rng(seed)
    fixed = np.zeros(n, dtype=bool)
    fixed[rng.choice(n, size=3, replace=False)] = True
    k_res = np.maximum(k - eng.cover_count(fixed), 0)
    rest = free & ~fixed
    u = eng.initial_u(k_res, rest)
    val = eng.pass_start(fixed, rest, k_res, u)
    cols = col_lists(a)
    picks = greedy_py(cols, cost.tolist(), k_res.tolist(), u.tolist(), np.flatnonzero(rest).tolist())
    kept = drop_redundant_py(cols, cost.tolist(), k.tolist(), sorted(np.flatnonzero(fixed).tolist() + picks))
    assert val == pytest.approx(sum(cost[j] for j in kept))
    assert eng.best_val <= val + 1e-9
    assert bool(np.all(eng.cover_count(eng.best) >= k))


def _cutoffs(monkeypatch: pytest.MonkeyPatch, huge: bool) -> list[tuple[bool, float, float, float]]:
    """(refinement pass?, step UB, stop value, best cover's cost) at every phase 1 of one run."""
    seen: list[tuple[bool, float, float, float]] = []
    orig_tp, orig_sub = _Engine.three_phase, _Engine.subgradient
    state = {"refine": False, "fixed_cost": 0.0}

    def three_phase(self: _Engine, fixed_in: np.ndarray) -> tuple[float, np.ndarray] | None:
        state["refine"] = bool(fixed_in.any())
        return orig_tp(self, fixed_in)

    def subgradient(self: _Engine, k_res: np.ndarray, free: np.ndarray, u: np.ndarray, ub_res: float,
                    stop_res: float) -> tuple[float, np.ndarray, object, float]:
        seen.append((bool(state["refine"]), ub_res, stop_res, self.best_val))
        return orig_sub(self, k_res, free, u, ub_res, stop_res)  # type: ignore[no-any-return]

    monkeypatch.setattr(_Engine, "three_phase", three_phase)
    monkeypatch.setattr(_Engine, "subgradient", subgradient)
    monkeypatch.setattr(cft_mod, "HUGE_COLS", 0 if huge else 10**9)
    monkeypatch.setattr(cft_mod, "LARGE_COLS", 0 if huge else 10**9)
    a, cost, k = random_instance(1, m=60, n=300, dens=0.04)  # not closed by the root (bound 26, cover 28)
    res = cft_solve(sp.csc_matrix(a), cost, k, work_limit=40_000_000, seed=0)
    assert res.feasible
    return seen


def test_refinement_pass_steps_use_its_own_incumbent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Huge path: in refinement passes the step's UB comes from the pass's own cover, which is never below the best
    cover and is above it at least once (the greedy of the fixed model is worse than the best cover there), while the
    stop value is the best cover's; the root pass uses the best cover for both. Standard path: both always the best.
    """
    seen = _cutoffs(monkeypatch, huge=True)
    refine = [s for s in seen if s[0]]
    assert refine, "no refinement pass ran"
    for is_refine, ub, stop, _ in seen:
        assert ub >= stop - 1e-9
        if not is_refine:
            assert ub == stop
    assert any(ub > stop + 1e-9 for _, ub, stop, _ in refine)
    seen_std = _cutoffs(monkeypatch, huge=False)
    assert any(s[0] for s in seen_std)
    assert all(ub == stop for _, ub, stop, _ in seen_std)
    assert all(math.isfinite(ub) for _, ub, _, _ in seen + seen_std)


def test_huge_path_passes_valid_on_more_tiny_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """60 further tiny models on the huge path (own pass incumbents, random ties): feasible k-covers, valid bounds,
    "optimal" only when it is, and the same result twice (the ties' key comes from the seeded generator).
    """
    monkeypatch.setattr(cft_mod, "LARGE_COLS", 0)
    monkeypatch.setattr(cft_mod, "HUGE_COLS", 0)
    check_tiny_models(range(60), 1700, 9, 13, work_limit=500_000, zero_cost=True, twice=True)


def test_stop_at_ends_the_run_at_the_target() -> None:
    """``stop_at``: the run ends at the first cover of at most that cost (without it the run goes on from the greedy's
    42 to 38 on this model).
    """
    a, cost, k = random_instance(3, m=60, n=300, dens=0.04)
    full = cft_solve(sp.csc_matrix(a), cost, k, work_limit=40_000_000, seed=0)
    first = full.stats["history"][0][1]
    assert full.objective < first
    res = cft_solve(sp.csc_matrix(a), cost, k, work_limit=40_000_000, seed=0, stop_at=first)
    assert res.feasible and res.objective == first
    assert res.work < full.work
    assert not res.stats["time_limited"]


def test_cpu_limit_is_a_safety_stop() -> None:
    """``cpu_limit_s`` = 0: the run stops at its first check with the greedy cover and says it was time-limited."""
    a, cost, k = random_instance(1, m=60, n=300, dens=0.04)
    res = cft_solve(sp.csc_matrix(a), cost, k, work_limit=40_000_000, seed=0, cpu_limit_s=0.0)
    assert res.feasible and res.stats["time_limited"]
    assert res.objective == res.stats["history"][0][1]
