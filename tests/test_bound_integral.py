"""Cost bounds are rounded up only when every site cost is an integer (absolute tolerance), to their gcd.

``np.allclose``'s relative tolerance (1e-5) took a cost of 123,456.4 万元 for an integer, so the
greedy path and the whole-model Lagrangian rounded their bounds up past plans that cost a
fraction: a bound above the objective, a negative gap.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from planner.optimize import CoverageProblem, solve
from planner.optimize.decompose_bound import WholeLagrangian

# the module (``planner.optimize.solve`` the attribute is the function it re-exports)
solve_module = importlib.import_module("planner.optimize.solve")


def _problem(cost: list[float]) -> CoverageProblem:
    # four rows, a 3-of-4 partial target: no column is essential, so the greedy path bounds it
    a = sp.csr_matrix(np.array([[1, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=np.int8))
    return CoverageProblem(
        a=a,
        cost=np.array(cost, dtype=np.float64),
        row_weight=np.ones(4),
        row_area=np.zeros(4, np.int64),
        row_k=np.ones(4, np.int64),
        area_target=np.array([0.75]),
        area_names=["a"],
    )


@pytest.mark.parametrize(("cost", "integral"), [([123456.4, 200000.0, 150000.0, 170000.2], False),
                                                ([123456.0, 200000.0, 150000.0, 170000.0], True)])
def test_greedy_bound_rounds_only_integral_costs(monkeypatch: pytest.MonkeyPatch, cost: list[float],
                                                 integral: bool) -> None:
    seen: dict[str, float] = {}

    def bound_just_below(red: Any, side: Any, ub: float, *args: Any) -> tuple[float, None]:
        seen["ub"] = ub
        return ub - 0.1, None  # a Lagrangian bound 0.1 万元 below the greedy plan

    monkeypatch.setattr(solve_module, "lagrangian_bound", bound_just_below)
    sol = solve(_problem(cost), time_limit_s=5, backend="greedy", seed=0)
    assert sol.bound <= sol.objective + 1e-6
    if integral:  # integer costs: no plan costs less than the next integer, so ub - 0.1 proves ub
        assert sol.status == "optimal"
        assert sol.bound == pytest.approx(math.ceil(seen["ub"] - 0.1 - 1e-6))
    else:  # before the fix: rounded up to 323,457 against a plan of 323,456.4
        assert sol.status == "feasible"
        assert sol.bound == pytest.approx(seen["ub"] - 0.1, abs=1e-6)


def test_whole_lagrangian_granule() -> None:
    assert WholeLagrangian(_problem([123456.4, 200000.0, 150000.0, 170000.2])).granule == 0.0
    assert WholeLagrangian(_problem([123456.0, 200000.0, 150000.0, 170000.0])).granule == 16.0
