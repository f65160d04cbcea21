"""Whole-model bound of the decomposition (planner.optimize.decompose_bound) with PDLP multipliers."""

from __future__ import annotations

import math

import pytest

from planner.optimize._lpdual import MIN_ITERS
from planner.optimize.decompose_bound import METHOD_TEXT, WholeLagrangian
from tests.reference.brute import brute_force_optimum
from tests.test_lpdual import small_model


@pytest.mark.parametrize("seed", range(10))
def test_pdlp_bound_is_valid_and_never_falls(seed: int) -> None:
    p = small_model(seed)
    opt = brute_force_optimum(p)
    if not math.isfinite(opt):
        pytest.skip("infeasible draw")
    wl = WholeLagrangian(p)
    if wl.empty:
        pytest.skip("solved by the reductions")
    assert wl.lpd is not None and wl.bound == wl.base_cost
    per = wl.lpd.fixed_ops() + 200 * wl.lpd.ops_per_iter()
    assert wl.run(per, None, math.inf) > 0
    first = wl.bound
    wl.run(per, opt, math.inf)  # continued from PDLP's last point
    assert first <= wl.bound <= opt + 1e-9
    st = wl.stats()
    assert st["method"] == "pdlp" and st["pdlp_iterations"] > 0 and "pdlp_termination" in st


def test_small_share_falls_back_to_the_subgradient() -> None:
    p = small_model(4)
    wl = WholeLagrangian(p)
    assert wl.lpd is not None
    share = 60 * wl.per_iter  # 60 subgradient steps: fewer than MIN_ITERS PDLP iterations
    assert share < wl.lpd.fixed_ops() + MIN_ITERS * wl.lpd.ops_per_iter()
    wl.run(share, None, math.inf)
    assert wl.iterations > 0 and wl.lpd.iterations == 0
    assert wl.bound <= brute_force_optimum(p) + 1e-9


def test_pdlp_at_least_the_subgradient_at_equal_work_and_reproducible() -> None:
    p = small_model(7, m=60, n=14)
    opt = brute_force_optimum(p)
    runs = []
    share = 0.0
    for _ in range(2):
        wl = WholeLagrangian(p)
        assert wl.lpd is not None
        share = wl.lpd.fixed_ops() + 400 * wl.lpd.ops_per_iter()
        wl.run(share, None, math.inf)
        runs.append((wl.bound, wl.u.tobytes(), wl.lpd.iterations))
    assert runs[0] == runs[1]
    sub = WholeLagrangian(p, method="subgradient")
    sub.run(share, None, math.inf)
    assert sub.lpd is None and sub.bound <= wl.bound + 1e-9 <= opt + 2e-9
    assert set(METHOD_TEXT) == {"pdlp", "subgradient"}
