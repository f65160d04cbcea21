"""Min-cost bounds rounded up to the costs' granule: valid, and proofs where the gap is below one granule.

Every plan costs a sum of site costs, so with costs that are all multiples of ``g`` (6, 8, 12
and 18 万元: ``g = 2``) no plan costs less than the next multiple of ``g`` above a bound.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from planner.optimize import CoverageProblem, evaluate, solve
from planner.optimize._granule import cost_granule, round_cost_bound


@pytest.mark.parametrize(
    ("cost", "g"),
    [
        ([6.0, 8.0, 12.0, 18.0], 2.0),
        ([6.0, 8.0, 12.0, 18.0, 45.0], 1.0),
        ([0.0, 9.0, 12.0], 3.0),
        ([0.0, 0.0], 1.0),
        ([1.5, 3.0], 0.0),
        ([4.0, 1e300], 1.0),
        ([123456.4, 200000.0], 0.0),  # near an integer only relatively (np.allclose's rtol): no granule
        ([0.3 * 20, 8.0], 2.0),  # 6.000000000000001: floating-point noise still counts as integral
        ([], 0.0),
    ],
)
def test_cost_granule(cost: list[float], g: float) -> None:
    assert cost_granule(np.array(cost, dtype=np.float64)) == g


def test_round_cost_bound() -> None:
    c = np.array([6.0, 8.0, 12.0, 18.0])
    assert round_cost_bound(1068.36, c) == 1070.0
    assert round_cost_bound(1068.0000001, c) == 1068.0  # floating-point noise above a multiple
    assert round_cost_bound(1066.03, c) == 1068.0
    assert round_cost_bound(7.2, np.array([1.5, 3.0])) == 7.2  # no granule: unchanged
    assert round_cost_bound(-np.inf, c) == -np.inf
    # costs 123,456.4 and 200,000 万元 (the schema allows up to 1e6): their only plan costs 323,456.4, a valid
    # bound must stay at or below it (rounded on the relative tolerance it became 323,520)
    big = np.array([123456.4, 200000.0])
    assert round_cost_bound(323456.4, big) == 323456.4


def brute_force(p: CoverageProblem) -> float:
    n = p.a.shape[1]
    dense = p.a.toarray() > 0
    best = np.inf
    total = p.row_weight.sum()
    for r in range(n + 1):
        for combo in itertools.combinations(range(n), r):
            covered = dense[:, list(combo)].any(axis=1)
            if p.row_weight[covered].sum() >= p.area_target[0] * total - 1e-9:
                best = min(best, float(p.cost[list(combo)].sum()))
    return best


@pytest.mark.parametrize("backend", ["auto", "scip"])
@pytest.mark.parametrize("seed", range(6))
def test_rounded_bounds_stay_valid(seed: int, backend: str) -> None:
    rng = np.random.default_rng(seed)
    m, n = 40, 11
    a = sp.csr_matrix((rng.random((m, n)) < 0.25).astype(np.int8))
    p = CoverageProblem(
        a=a,
        cost=3.0 * rng.integers(1, 7, n),
        row_weight=rng.uniform(0.5, 2.0, m),
        row_area=np.zeros(m, np.int64),
        row_k=np.ones(m, np.int64),
        area_target=np.array([0.6]),
        area_names=["a"],
    )
    opt = brute_force(p)
    s = solve(p, "min_cost", time_limit_s=5, workers=1, seed=0, backend=backend)
    assert s.bound <= opt + 1e-9
    assert s.objective == pytest.approx(opt)
    assert s.status == "optimal"
    assert evaluate(p, s.selected)["area_fraction"][0] >= 0.6 - 1e-9
