"""Review tests of the pure CFT engine's huge-model path (issue 12, session 6): corners ``test_cft_huge.py`` leaves.

On models of at least :data:`planner.optimize._cft.HUGE_COLS` columns each three-phase iteration reads a residual
copy of the model (:func:`kernels.cft_price.residual_cols`: the live columns' entries on rows still open), runs one
heuristic walk, and the refinement runs one chain. The claim is that, with ``u_i = 0`` on the closed rows, the
pricing (reduced costs, bound, core) is that of the full model. Checked here beside ``test_cft_huge.py``:

* the fused pricing on the residual copy against the same pricing on the full model with the small-reduced-cost
  cap binding (1, 5) and not (150);
* the core copy after :meth:`_Engine.focus`: each core column's open rows, in order;
* the engine's bounds and covers with the huge path forced, on 50 tiny models of known optimum with zero-cost
  columns (rows closed from the root on), and on 16 50 × 150 models (costs 1–2, some k = 2) whose root does not
  close the gap (optimum by :func:`scipy.optimize.milp`), so that refinement passes run; same result twice.

A residual copy left over from an earlier iteration or pass would still be right (the live columns and the open
rows only shrink from the root's first iteration on, and ``u_i = 0`` on the rows closed since), so the parity
tests, not the bound tests, are what tie the residual copy down.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

import planner.optimize._cft as cft_mod
from kernels.cft_price import price_fused, residual_cols
from planner.optimize._cft import _Engine, cft_solve
from tests.reference.cft_tiny import check_tiny_models
from tests.test_cft import random_instance


def _closed_model(seed: int) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random model with about a third of its rows closed (``k_res = 0``), its free columns and multipliers
    ``u >= 0`` that are 0 on the closed rows (as the engine keeps them).
    """
    rng = np.random.default_rng(seed)
    a, cost, k = random_instance(3000 + seed, m=30, n=80, dens=0.12, kmax=2)
    k_res = np.where(rng.random(a.shape[0]) < 0.35, 0, k).astype(np.int64)
    free = rng.random(a.shape[1]) < 0.85
    u = rng.uniform(0.0, 3.0, a.shape[0])
    u[k_res <= 0] = 0.0
    return a, cost, k_res, free, u


@pytest.mark.parametrize("seed", range(20))
def test_residual_pricing_equals_full_pricing(seed: int) -> None:
    """Same core, bound and reduced costs of the live columns on the residual copy as on the full model."""
    a, cost, k_res, free, u = _closed_model(seed)
    c_ptr, c_rows = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    live = free & (np.asarray(a.T @ (k_res > 0).astype(np.int64)).ravel() > 0)
    ptr, rows, _ = residual_cols(c_ptr, c_rows, live, k_res > 0)
    assert ptr.size == a.shape[1] + 1 and (np.diff(ptr)[~live] == 0).all()
    assert ((k_res > 0)[rows]).all()
    rc_f, rc_r = np.zeros(a.shape[1]), np.zeros(a.shape[1])
    for max_small in (1, 5, 150):  # the small-reduced-cost cap binding or not
        core_f, lb_f, _ = price_fused(c_ptr, c_rows, cost, k_res, live, u, 3, 0.5, max_small, rc_f)
        core_r, lb_r, _ = price_fused(ptr, rows, cost, k_res, live, u, 3, 0.5, max_small, rc_r)
        assert core_r.tolist() == core_f.tolist(), max_small
        assert lb_r == pytest.approx(lb_f, abs=1e-9)
        np.testing.assert_allclose(rc_r[live], rc_f[live], atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_focused_core_copy_is_the_residual(seed: int) -> None:
    """:meth:`_Engine.compact` after :meth:`_Engine.focus` copies each core column's open rows, in order (pointers and
    rows both from the residual copy: lengths from the full model and rows from the residual misalign the core, which
    no bound test sees, since the engine's bounds come from the pricing and its covers are checked on the full model).
    """
    a, cost, k_res, free, _ = _closed_model(seed)
    eng = _Engine(a, cost, np.maximum(k_res, 0), free, 10**9, seed, None)
    eng.huge = True
    live = eng.live(free, k_res)
    eng.focus(live, k_res)
    cols = np.flatnonzero(live)[::2].astype(np.int64)
    core = eng.compact(cols)
    dense = a.toarray()
    want = [np.flatnonzero(dense[:, j] & (k_res > 0)).tolist() for j in cols]
    assert [core.rows[core.ptr[t] : core.ptr[t + 1]].tolist() for t in range(cols.size)] == want
    assert core.ids.tolist() == cols.tolist() and core.cost.tolist() == cost[cols].tolist()
    assert any(len(w) < int(dense[:, j].sum()) for w, j in zip(want, cols, strict=True))  # some entry was dropped


@pytest.mark.parametrize("seed_block", range(2))
def test_huge_path_bounds_are_valid_on_tiny_models(seed_block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """25 tiny models a block with the huge-model path forced and zero-cost columns in every third (taken at the
    start, so the rows they serve are closed from the root on): a feasible k-cover, bound and root bound never above
    the brute-force optimum, "optimal" only when it is, and the same result twice (determinism).
    """
    monkeypatch.setattr(cft_mod, "LARGE_COLS", 0)
    monkeypatch.setattr(cft_mod, "HUGE_COLS", 0)
    check_tiny_models(
        range(25 * seed_block, 25 * seed_block + 25), 1900, 9, 13, work_limit=2_000_000, zero_cost=True, twice=True
    )


@pytest.mark.parametrize("seed", range(16))
def test_huge_path_with_refinement_passes(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 50 × 150 model, costs 1–2, some rows needing 2 covers, the huge path forced and a budget for refinement
    passes: cover feasible, bound never above the MILP optimum, same cover and bound twice.
    """
    monkeypatch.setattr(cft_mod, "LARGE_COLS", 0)
    monkeypatch.setattr(cft_mod, "HUGE_COLS", 0)
    rng = np.random.default_rng(seed)
    m, n = 50, 150
    dense = rng.random((m, n)) < 0.06
    for i in range(m):
        dense[i, rng.choice(n, 3, replace=False)] = True
    a = sp.csc_matrix(dense.astype(np.int8))
    cost = rng.integers(1, 3, n).astype(np.float64)
    k = np.where(rng.random(m) < 0.2, 2, 1).astype(np.int64)
    ref = milp(cost, constraints=LinearConstraint(a, lb=k, ub=np.inf), integrality=np.ones(n), bounds=Bounds(0, 1))
    assert ref.success
    opt = round(float(ref.fun))
    res = cft_solve(a, cost, k, work_limit=20_000_000, seed=seed)
    again = cft_solve(a, cost, k, work_limit=20_000_000, seed=seed)
    assert again.selected.tolist() == res.selected.tolist() and again.bound == res.bound
    assert res.feasible and (dense.astype(np.int64) @ res.selected >= k).all()
    assert res.objective >= opt and res.bound <= opt + 1e-9 and res.stats["root_bound"] <= opt + 1e-9
    assert res.objective == opt or not res.optimal
    if res.stats["root_bound"] < opt - 1:  # the root left a gap: the refinement ran
        assert res.stats["passes"] > 2
