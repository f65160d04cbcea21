"""Work budgets of the solve, the solver settings' validation and extreme costs.

The solve is bounded by work units, not wall-clock shares (:mod:`planner.optimize._budget`);
the wall clock is only a safety stop whose cuts are flagged. Bad ``[solver]`` settings are
scenario errors (exit 2) naming the key and the fix. Costs of extreme range never make the
exact back-ends see ordinary costs as zero, and never yield an unproven "optimal".
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import ScenarioError
from planner.optimize import CoverageProblem, evaluate, solve
from planner.optimize._budget import TIME_LIMITED_WARNING, WORK_PER_S, Budget, resolve_work
from planner.scenario import load_scenario


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("time_limit_s", "0"),
        ("time_limit_s", "-5"),
        ("time_limit_s", '"abc"'),
        ("time_limit_s", "nan"),
        ("time_limit_s", "inf"),
        ("time_limit_s", "true"),
        ("work_limit", "-1"),
        ("work_limit", '"x"'),
        ("work_limit", "nan"),
        ("workers", "0"),
        ("workers", "2.5"),
        ("workers", '"2"'),
        ("workers", "true"),
        ("workers", "65"),
    ],
)
def test_bad_solver_settings_name_the_key_and_the_fix(tiny: Path, key: str, value: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(tiny, [f"solver.{key}={value}"])
    text = str(err.value)
    assert f"solver.{key}" in text
    assert "e.g." in text  # the fix shows a valid value


def test_good_solver_settings_pass(tiny: Path) -> None:
    sc = load_scenario(tiny, ["solver.time_limit_s=7.5", "solver.work_limit=1200", "solver.workers=3"])
    assert (sc.solver.time_limit_s, sc.solver.work_limit, sc.solver.workers) == (7.5, 1200.0, 3)


def test_bad_workers_exit_2_without_traceback(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    r = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", str(tiny), "--out", str(out), "--set", "solver.workers=0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    assert "solver.workers" in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert not out.exists()


def test_resolve_work() -> None:
    assert resolve_work(2.0) == 2.0 * WORK_PER_S
    assert resolve_work(2.0, 50.0) == 50.0
    for bad in ((0.0, 0.0), (-1.0, 0.0), (float("nan"), 0.0), (1.0, -1.0), (1.0, float("inf"))):
        with pytest.raises(ValueError):
            resolve_work(*bad)


def random_cover(seed: int, m: int, n: int, per_col: int) -> sp.csr_matrix:
    """``m × n`` 0/1 matrix: every column covers ``per_col`` random rows, every row at least two columns."""
    rng = np.random.default_rng(seed)
    rows = np.r_[rng.integers(0, m, n * per_col), np.arange(m), np.arange(m)]
    cols = np.r_[np.repeat(np.arange(n), per_col), rng.integers(0, n, m), rng.integers(0, n, m)]
    a = sp.csr_matrix((np.ones(rows.size, np.int8), (rows, cols)), shape=(m, n))
    a.data[:] = 1
    return a


def cover_problem(a: sp.csr_matrix, cost: np.ndarray) -> CoverageProblem:
    m = a.shape[0]
    return CoverageProblem(
        a=a,
        cost=cost,
        row_weight=np.ones(m),
        row_area=np.zeros(m, np.int64),
        row_k=np.ones(m, np.int64),
        area_target=np.array([1.0]),
        area_names=["all"],
    )


def brute_force_min_cost(a: sp.csr_matrix, cost: np.ndarray) -> float:
    dense = a.toarray().astype(bool)
    best = np.inf
    for r in range(1, a.shape[1] + 1):
        for combo in itertools.combinations(range(a.shape[1]), r):
            if dense[:, list(combo)].any(axis=1).all():
                best = min(best, float(cost[list(combo)].sum()))
    return best


@pytest.mark.parametrize("backend", ["auto", "cpsat", "scip"])
def test_extreme_costs_do_not_zero_ordinary_costs(backend: str) -> None:
    # two sites of 1e300 cover everything; ordinary sites of cost 1..9 suffice too. A scaling to
    # the largest cost made every ordinary cost 0 and the solver call any cover "optimal"
    rng = np.random.default_rng(4)
    a = random_cover(4, 14, 10, 3)
    big = sp.csr_matrix(np.ones((14, 2), np.int8))
    cost = np.r_[rng.integers(1, 10, 10).astype(float), 1e300, 1e300]
    p = cover_problem(sp.csr_matrix(sp.hstack([a, big])), cost)
    s = solve(p, "min_cost", time_limit_s=5, workers=1, seed=0, backend=backend)
    assert not np.isin([10, 11], s.selected).any()
    assert s.objective == pytest.approx(brute_force_min_cost(a, cost[:10]))
    assert s.status == "optimal"  # proven on the clipped costs, which keep the optimum


def test_needed_extreme_cost_is_never_called_optimal() -> None:
    # one row only the 1e300 sites serve: every plan costs 1e300, which swamps the other costs
    a = random_cover(5, 14, 10, 3)
    extra = sp.csr_matrix(np.r_[np.zeros((14, 2)), np.ones((1, 2))].astype(np.int8))
    a2 = sp.csr_matrix(sp.hstack([sp.vstack([a, sp.csr_matrix((1, 10), dtype=np.int8)]), extra]))
    cost = np.r_[np.arange(1.0, 11.0), 1e300, 1e300]
    s = solve(cover_problem(a2, cost), "min_cost", time_limit_s=5, workers=1, seed=0)
    assert s.status == "feasible"
    assert evaluate(cover_problem(a2, cost), s.selected)["covered_weight"] == a2.shape[0]
    assert any("too wide a range" in w for w in s.stats["warnings"])


def test_budget_starved_greedy_stops_early_and_says_so() -> None:
    # 200,000 candidates on a budget of 2 work units: the greedy stops unfinished, the exact
    # stage is skipped (building its model alone would exceed the budget), and the solution
    # says that no plan was found within the work budget
    a = random_cover(6, 60_000, 200_000, 4)
    cost = np.random.default_rng(6).integers(1, 20, 200_000).astype(float)
    s = solve(cover_problem(a, cost), "min_cost", time_limit_s=1.0, work_limit=2.0, workers=1, seed=0)
    assert s.stats["greedy"]["done"] is False
    assert s.status == "unknown" and not np.isfinite(s.objective)
    assert s.stats["exact"]["skipped"]
    assert s.stats["budget"]["work_limit"] == 2.0


def test_safety_stop_flags_the_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    # a safety stop at the very start cuts the local search: the solution must say so
    import planner.optimize._budget as budget_mod

    monkeypatch.setattr(budget_mod, "SAFETY_FACTOR", 0.0)
    monkeypatch.setattr(budget_mod, "SAFETY_PAD_S", 0.0)
    a = random_cover(7, 300, 400, 5)
    cost = np.random.default_rng(7).integers(1, 50, 400).astype(float)
    s = solve(cover_problem(a, cost), "min_cost", time_limit_s=5, workers=1, seed=0)
    assert s.stats["budget"]["time_limited"] is True
    assert TIME_LIMITED_WARNING in s.stats["warnings"]
    assert s.status in ("feasible", "optimal")


def test_budget_accounting() -> None:
    b = Budget.start(2.0)
    assert b.work == 2.0 * WORK_PER_S and b.nominal_s() == pytest.approx(2.0)
    b.spend("x", 1.5)
    b.spend("x", 1.0)
    rep = b.report()
    assert rep["work_used"] == {"x": 2.5} and rep["time_limited"] is False and "warning" not in rep
    b.limited("x")
    assert b.report()["time_limited_stages"] == ["x"]


def test_time_limited_plan_is_a_run_warning(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the solver's safety-stop note reaches the run's warnings (manifest, report, console)
    import planner
    import planner.optimize._budget as budget_mod

    monkeypatch.setattr(budget_mod, "SAFETY_FACTOR", 0.0)
    monkeypatch.setattr(budget_mod, "SAFETY_PAD_S", 0.0)
    plan = planner.run_scenario(tiny, overrides=["solver.work_limit=600"])
    assert TIME_LIMITED_WARNING in plan.warnings
    assert plan.solution["stats"]["budget"]["work_limit"] == 600.0


@pytest.mark.parametrize("backend", ["auto", "greedy"])
def test_safety_stop_before_the_lagrangian_keeps_a_valid_plan(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the large-model path (Lagrangian bound, SCIP core) cut by the safety stop at once: a plan
    # with a valid bound and the flag, no crash on an empty subgradient run
    import planner.optimize._budget as budget_mod

    for name in ("planner.optimize.solve", "planner.optimize._exact"):
        monkeypatch.setattr(sys.modules[name], "LP_MAX_NNZ", 0)
    monkeypatch.setattr(budget_mod, "SAFETY_FACTOR", 0.0)
    monkeypatch.setattr(budget_mod, "SAFETY_PAD_S", 0.0)
    rng = np.random.default_rng(8)
    m, n = 300, 60
    xy_r, xy_c = rng.random((m, 2)), rng.random((n, 2))
    a = sp.csr_matrix((np.linalg.norm(xy_r[:, None, :] - xy_c[None, :, :], axis=2) < 0.25).astype(np.int8))
    p = CoverageProblem(
        a=a,
        cost=rng.choice([6.0, 8.0, 18.0], n),
        row_weight=np.ones(m),
        row_area=np.zeros(m, np.int64),
        row_k=np.ones(m, np.int64),
        area_target=np.array([0.8]),
        area_names=["a"],
    )
    s = solve(p, "min_cost", time_limit_s=5, workers=1, seed=0, backend=backend)
    assert s.stats["budget"]["time_limited"] is True
    assert s.status in ("feasible", "optimal") and np.isfinite(s.objective)
    assert s.bound <= s.objective + 1e-9
    assert evaluate(p, s.selected)["area_fraction"][0] >= 0.8 - 1e-9


def test_gap_limit_stop_is_not_called_optimal() -> None:
    """CP-SAT ends OPTIMAL once the gap is within ``gap_limit``: that is no proof (found by REVIEW).

    Seed 2 with a 30 % gap limit: CP-SAT stops at 587 with its bound at 575; the plan must stay
    "feasible" with that bound, not "optimal" with the bound raised to the objective.
    """
    a = random_cover(2, 400, 300, 6)
    cost = np.random.default_rng(2).integers(1, 50, 300).astype(float)
    p = cover_problem(a, cost)
    p.area_target[:] = 0.9
    sol = solve(p, "min_cost", time_limit_s=5, workers=1, seed=0, gap_limit=0.3, backend="cpsat")
    assert sol.stats["exact"]["cpsat_status"] == "GAP_LIMIT_REACHED"  # CP-SAT's own word is OPTIMAL there
    assert sol.stats["exact"]["status"] == "gap_limit"  # not repeated as "optimal" in the manifest
    assert sol.status == "feasible"
    assert sol.bound < sol.objective
    assert sol.gap > 0
