"""planner.optimize: hand-checkable instances, brute-force parity, OR-Library, time limits."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.optimize import (
    CoverageProblem,
    Solution,
    conflicts_from_points,
    evaluate,
    read_orlib,
    solve,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def brute_force(p: CoverageProblem, objective: str) -> float | None:
    """Best objective by enumeration (None = infeasible); budget/max_sites/caps count added sites."""
    assert p.fixed is not None and p.forbidden is not None and p.col_group is not None and p.col_type is not None
    best: float | None = None
    for bits in itertools.product([False, True], repeat=p.n_cols):
        x = np.array(bits, dtype=bool)
        if not feasible(p, x, objective):
            continue
        ev = evaluate(p, np.flatnonzero(x))
        if objective == "min_cost":
            v = ev["cost"]
            best = v if best is None or v < best else best
        else:
            v = ev["covered_weight"]
            best = v if best is None or v > best else best
    return best


def feasible(p: CoverageProblem, x: np.ndarray, objective: str) -> bool:
    """Whether selection ``x`` satisfies every constraint of ``objective``."""
    assert p.fixed is not None and p.forbidden is not None and p.col_group is not None and p.col_type is not None
    if (x & p.forbidden).any() or (~x & p.fixed).any():
        return False
    if p.conflicts is not None and (x[p.conflicts[:, 0]] & x[p.conflicts[:, 1]] & ~(p.fixed[p.conflicts[:, 0]] & p.fixed[p.conflicts[:, 1]])).any():
        return False
    for g in np.unique(p.col_group[p.col_group >= 0]):
        members = p.col_group == g
        if x[members].sum() > max(1, int((p.fixed & members).sum())):
            return False
    new = x & ~p.fixed
    for t, cap in (p.type_caps or {}).items():
        if (new & (p.col_type == t)).sum() > cap:
            return False
    if objective == "min_cost":
        ev = evaluate(p, np.flatnonzero(x))
        return bool((ev["area_covered"] >= p.area_target * ev["area_total"] - 1e-9).all())
    if p.max_sites is not None and new.sum() > p.max_sites:
        return False
    return not (p.budget is not None and p.cost[new].sum() > p.budget + 1e-9)


def random_problem(seed: int, m: int = 18, n: int = 10) -> CoverageProblem:
    rng = np.random.default_rng(seed)
    a = sp.csr_matrix((rng.random((m, n)) < 0.25).astype(np.int8))
    grp = np.full(n, -1)
    grp[:2] = 0
    grp[5:7] = 1
    fixed = np.zeros(n, bool)
    fixed[9] = rng.random() < 0.5
    forbidden = np.zeros(n, bool)
    forbidden[8] = True
    return CoverageProblem(
        a=a, cost=rng.integers(1, 10, n).astype(float), row_weight=rng.integers(1, 5, m).astype(float),
        row_area=rng.integers(0, 2, m), row_k=np.where(rng.random(m) < 0.2, 2, 1), area_target=np.array([1.0, 0.6]),
        area_names=["a", "b"], col_type=np.array(["t", "u"] * (n // 2)), col_group=grp, fixed=fixed, forbidden=forbidden,
        conflicts=np.array([[2, 3], [3, 4]]), type_caps={"u": 2}, budget=12.0, max_sites=3,
    )


def check_solution(p: CoverageProblem, s: Solution, objective: str) -> None:
    """Every returned plan satisfies the constraints; the objective never beats the bound."""
    if s.status in ("infeasible", "unknown") and len(s.selected) == 0:
        return
    x = np.zeros(p.n_cols, dtype=bool)
    x[s.selected] = True
    assert feasible(p, x, objective)
    if objective == "max_coverage":
        assert s.objective <= s.bound + 1e-6
    else:
        assert s.objective >= s.bound - 1e-6


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("objective", ["min_cost", "max_coverage"])
def test_random_small_matches_brute_force(seed: int, objective: str) -> None:
    p = random_problem(seed)
    s = solve(p, objective, time_limit_s=10, workers=2, seed=1)
    best = brute_force(p, objective)
    if best is None:
        assert s.status == "infeasible"
        assert "diagnostic" in s.stats
    else:
        assert s.status == "optimal"
        assert s.objective == pytest.approx(best)
        check_solution(p, s, objective)


def test_conflicts_from_points() -> None:
    x = np.array([0.0, 50.0, 500.0, 520.0])
    y = np.zeros(4)
    cls = np.array(["macro", "macro", "micro", "micro"])
    pairs = conflicts_from_points(x, y, cls, {"macro": 100.0, "micro": 10.0})
    assert pairs.tolist() == [[0, 1]]
    pairs = conflicts_from_points(x, y, cls, {"macro": 100.0, "micro": 30.0})
    assert pairs.tolist() == [[0, 1], [2, 3]]


def test_infeasible_gives_diagnostic() -> None:
    a = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=np.int8))
    p = CoverageProblem(a=a, cost=np.ones(2), row_weight=np.ones(2), row_area=np.zeros(2, np.int64),
                        row_k=np.ones(2, np.int64), area_target=np.array([1.0]), area_names=["A"])
    s = solve(p, "min_cost", time_limit_s=5)
    assert s.status == "infeasible"
    assert s.stats["diagnostic"]["areas"][0]["area"] == "A"
    assert s.stats["diagnostic"]["areas"][0]["best_possible"] == pytest.approx(0.5)


@pytest.mark.skipif(not (SHARED / "orlib" / "scp41.txt").exists(), reason="../shared/data/orlib not present")
def test_scp41_optimum() -> None:
    p = read_orlib(SHARED / "orlib" / "scp41.txt")
    assert p.a.shape == (200, 1000)
    assert p.a.nnz == 4009
    s = solve(p, "min_cost", time_limit_s=60, workers=8, seed=0)
    assert s.status == "optimal"
    assert s.objective == 429


def test_time_limit_returns_solution() -> None:
    rng = np.random.default_rng(5)
    m, n = 400, 600
    a = sp.random(m, n, density=0.02, random_state=rng, format="csr")
    a.data[:] = 1
    a = sp.csr_matrix(a + sp.csr_matrix((np.ones(n), (rng.integers(0, m, n), np.arange(n))), shape=(m, n)))
    a.data[:] = 1
    a = sp.csr_matrix(sp.vstack([a[np.asarray(a.sum(axis=1)).ravel() > 0]]))
    mm = a.shape[0]
    p = CoverageProblem(a=a, cost=rng.integers(1, 100, n).astype(float), row_weight=np.ones(mm),
                        row_area=np.zeros(mm, np.int64), row_k=np.ones(mm, np.int64), area_target=np.array([1.0]),
                        area_names=["all"])
    t0 = time.perf_counter()
    s = solve(p, "min_cost", time_limit_s=2.0, workers=2, seed=0)
    elapsed = time.perf_counter() - t0
    assert s.status in ("optimal", "feasible")
    assert elapsed < 2.0 * 1.5 + 1.0  # generous: the benchmark checks the 10 % rule
    check_solution(p, s, "min_cost")
