"""LP-dual bound (planner.optimize._lpdual): valid against brute-force optima, tends to the LP value, deterministic."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from planner.optimize._budget import Budget
from planner.optimize._lp import solve_lp
from planner.optimize._lpdual import EVAL_OPS_NNZ, MIN_ITERS, LpDual, lp_dual_bound, lp_dual_solve
from planner.optimize._reduce import reduce_problem
from planner.optimize._side import side_of
from planner.optimize.problem import CoverageProblem
from tests.reference.brute import brute_force_optimum

FAR = 1e9  # a safety stop that never fires in these tests


def small_model(seed: int, m: int = 22, n: int = 10, side: bool = True) -> CoverageProblem:
    """Partial targets, k = 2 rows, a hard area; ``side``: a fixed and a forbidden site, groups, a conflict, a cap."""
    rng = np.random.default_rng(1000 + seed)
    dense = rng.random((m, n)) < 0.3
    for i in range(m):
        dense[i, rng.choice(n, size=3, replace=False)] = True
    area = rng.integers(0, 3, size=m)
    target = np.array([1.0, 0.55, 0.85]) if seed % 2 else np.array([0.75, 0.6, 0.9])
    k = np.where(rng.random(m) < 0.25, 2, 1)
    cost = rng.integers(1, 12, size=n).astype(np.float64)
    kw: dict[str, object] = {}
    if side:
        group = np.full(n, -1, dtype=np.int64)
        group[[0, 1]] = 0
        group[[4, 5, 6]] = 1
        fixed = np.zeros(n, bool)
        forbidden = np.zeros(n, bool)
        forbidden[n - 2] = True
        if seed % 3 == 0:
            fixed[2] = True
        kw = {"col_group": group, "col_type": np.array(["lamp"] * 6 + ["mast"] * (n - 6)), "fixed": fixed,
              "forbidden": forbidden, "conflicts": np.array([[3, 7]]), "type_caps": {"mast": 2}}
    return CoverageProblem(a=sp.csr_matrix(dense.astype(np.int8)), cost=cost, row_weight=rng.random(m) + 0.2,
                           row_area=area, row_k=k, area_target=target, area_names=["a", "b", "c"],
                           **kw)  # type: ignore[arg-type]




def lp_dual(p: CoverageProblem) -> tuple[LpDual, float]:
    red = reduce_problem(p, "min_cost", dominance=True)
    if red.stats.get("infeasible_reason") or red.a.shape[0] == 0:
        pytest.skip("draw infeasible or solved by the reductions")
    return LpDual(red, side_of(p, red, "min_cost")), float(p.cost[red.base].sum())


@pytest.mark.parametrize("seed", range(16))
def test_bound_at_most_the_brute_force_optimum(seed: int) -> None:
    p = small_model(seed)
    opt = brute_force_optimum(p)
    ld, base = lp_dual(p)
    units = ld.run(ld.fixed_ops() + 400 * ld.ops_per_iter(), FAR)
    assert units > 0 and ld.iterations > 0  # fewer than asked when PDLP converges first
    assert math.isfinite(ld.lb)
    assert base + ld.lb <= opt + 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_any_multipliers_give_a_valid_bound(seed: int) -> None:
    """``L(u)`` is evaluated exactly, so even wild multipliers (what a poor PDLP run returns) stay below the optimum."""
    p = small_model(seed)
    opt = brute_force_optimum(p)
    ld, base = lp_dual(p)
    rng = np.random.default_rng(seed)
    for scale in (0.1, 1.0, 5.0, 50.0):
        u = scale * rng.random(ld.m)
        assert base + ld.value(u) <= opt + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_bound_tends_to_the_lp_value(seed: int) -> None:
    """Without side constraints the best ``L(u)`` is the LP optimum (HiGHS): PDLP's duals get within 0.5 % of it."""
    p = small_model(seed, m=60, n=14, side=False)
    ld, _ = lp_dual(p)
    lp = solve_lp(ld.red, side_of(p, ld.red, "min_cost"), "min_cost", 30.0)
    assert lp.ok
    ld.run(ld.fixed_ops() + 3000 * ld.ops_per_iter(), FAR)
    assert ld.lb <= lp.bound + 1e-6
    assert ld.lb >= lp.bound - 5e-3 * max(1.0, lp.bound)


def test_groups_tighten_the_bound() -> None:
    """With pole groups the evaluated ``L(u)`` takes one column per group: never below the same ``u`` without them."""
    p = small_model(1)
    ld, _ = lp_dual(p)
    ld.run(ld.fixed_ops() + 300 * ld.ops_per_iter(), FAR)
    free = LpDual(ld.red, side_of(p, ld.red, "min_cost"))
    free.group[:] = -1
    free.n_groups = 0
    assert ld.value(ld.u) >= free.value(ld.u) - 1e-9


def test_same_work_same_multipliers() -> None:
    p = small_model(3, m=60, n=14)
    runs = []
    for _ in range(2):
        ld, _ = lp_dual(p)
        ld.run(ld.fixed_ops() + 250 * ld.ops_per_iter(), FAR)
        ld.run(ld.fixed_ops() + 100 * ld.ops_per_iter(), FAR)
        runs.append((ld.iterations, ld.lb, ld.u.tobytes()))
    assert runs[0] == runs[1]


def test_too_small_a_share_runs_nothing() -> None:
    p = small_model(2)
    ld, _ = lp_dual(p)
    assert ld.run(ld.fixed_ops() + (MIN_ITERS - 1) * ld.ops_per_iter(), FAR) == 0.0
    assert ld.iterations == 0 and ld.lb == -math.inf


def test_solver_hook_records_its_work() -> None:
    """The drop-in for the subgradient stage: its bound, reduced costs of every free column, work in the budget."""
    p = small_model(5)
    opt = brute_force_optimum(p)
    red = reduce_problem(p, "min_cost", dominance=True)
    side = side_of(p, red, "min_cost")
    budget = Budget.start(60.0)
    stats: dict[str, object] = {}
    lb, rc = lp_dual_bound(red, side, math.inf, 5e6, budget, stats)
    assert float(p.cost[red.base].sum()) + lb <= opt + 1e-9
    assert rc.shape == (red.n_cols,)
    assert budget.used["lp_dual"] > 0
    assert isinstance(stats["lp_dual"], dict) and stats["lp_dual"]["iterations"] > 0
    assert time.perf_counter() < budget.deadline


def test_solve_returns_primal_and_knapsack_of_the_relaxation() -> None:
    """``x`` (PDLP's primal, for cores) lies in [0, 1] and its cost is near the bound; ``y`` meets every area's need."""
    p = small_model(6, m=60, n=14, side=False)
    red = reduce_problem(p, "min_cost", dominance=True)
    side = side_of(p, red, "min_cost")
    stats: dict[str, object] = {}
    res = lp_dual_solve(red, side, 1e8, Budget.start(60.0), stats)
    assert res.iterations > 0 and res.x.shape == (red.n_cols,) and res.y.shape == (red.a.shape[0],)
    assert ((res.x >= 0) & (res.x <= 1)).all() and ((res.y >= 0) & (res.y <= 1)).all()
    assert float(side.cost @ res.x) == pytest.approx(res.bound, rel=0.02)
    soft = ~red.hard
    for area in np.unique(red.area[soft]):
        rows = soft & (red.area == area)
        assert float(red.w[rows] @ res.y[rows]) >= red.need[area] - 1e-6


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_polish_never_lowers_the_bound_and_stays_valid(seed: int) -> None:
    """The subgradient polish from PDLP's multipliers keeps the better exact ``L(u)`` (pole groups included)."""
    p = small_model(seed)
    opt = brute_force_optimum(p)
    ld, base = lp_dual(p)
    assert ld._pdlp(ld.fixed_ops() + 70 * ld.ops_per_iter(), FAR) > 0
    before = ld.lb
    level = opt - base if math.isfinite(opt) else None
    ld._polish(80 * ld.sub_ops_per_step() + EVAL_OPS_NNZ * ld.red.a.nnz, level, FAR)
    assert ld.polish_steps == 80
    assert before <= ld.lb <= opt - base + 1e-9
    assert ld.value(ld.u) == ld.lb


def test_an_infeasible_relaxation_gives_no_multipliers() -> None:
    """An area needing more weight than its rows hold: PDLP reports primal infeasibility, its ray is not used."""
    from planner.optimize._reduce import Reduced

    a = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.int8))
    red = Reduced(cols=np.arange(3), base=np.zeros(3, bool), a=a, w=np.ones(3), area=np.zeros(3, np.int64),
                  k=np.ones(3, np.int64), hard=np.zeros(3, bool), need=np.array([5.0]), const_w=np.zeros(1),
                  lost_w=np.zeros(1), total_w=np.array([3.0]))
    p = CoverageProblem(a=a, cost=np.ones(3), row_weight=np.ones(3), row_area=np.zeros(3, np.int64),
                        row_k=np.ones(3, np.int64), area_target=np.array([1.0]), area_names=["a"])
    ld = LpDual(red, side_of(p, red, "min_cost"))
    assert ld.run(ld.fixed_ops() + 5000 * ld.ops_per_iter(), FAR) > 0
    assert ld.termination == "TERMINATION_REASON_PRIMAL_INFEASIBLE"
    assert ld.lb == -math.inf and not ld.u.any()


@pytest.mark.parametrize("seed", [1, 4])
def test_solve_takes_the_pdlp_bound_on_large_models_with_cpsat(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """backend="cpsat" on a model above LP_MAX_NNZ (lowered here): the PDLP bound, valid against the optimum."""
    import importlib

    import planner.optimize._exact as exact_mod
    from planner.optimize import solve

    solve_mod = importlib.import_module("planner.optimize.solve")  # the package re-exports the function
    monkeypatch.setattr(exact_mod, "LP_MAX_NNZ", 10)
    monkeypatch.setattr(solve_mod, "LP_MAX_NNZ", 10)
    p = small_model(seed, side=False)
    opt = brute_force_optimum(p)
    sol = solve(p, "min_cost", time_limit_s=5.0, workers=1, seed=0, backend="cpsat")
    assert sol.stats["lp_dual"]["iterations"] > 0
    assert sol.bound <= opt + 1e-9 <= sol.objective + 2e-9


def test_threads_do_not_change_the_multipliers() -> None:
    """PDLP's matrix shards are fixed, so 1 and 2 threads give the same iterates, bit for bit."""
    p = small_model(2, m=80, n=14)
    red = reduce_problem(p, "min_cost", dominance=True)
    side = side_of(p, red, "min_cost")
    out = []
    for threads in (1, 2):
        ld = LpDual(red, side, threads=threads)
        ld.run(ld.fixed_ops() + 300 * ld.ops_per_iter(), FAR)
        out.append((ld.iterations, ld.lb, ld.u.tobytes(), ld.x.tobytes()))
    assert out[0] == out[1]


@pytest.mark.parametrize("seed", [0, 1])
def test_pure_set_cover_has_no_knapsack_rows(seed: int) -> None:
    """Every target 1 (hard rows only, no ``y`` columns, no area rows): the bound reaches the LP, stays valid."""
    rng = np.random.default_rng(seed)
    dense = rng.random((40, 12)) < 0.3
    for i in range(40):
        dense[i, rng.choice(12, size=2, replace=False)] = True
    p = CoverageProblem(a=sp.csr_matrix(dense.astype(np.int8)), cost=rng.integers(1, 9, 12).astype(np.float64),
                        row_weight=np.ones(40), row_area=np.zeros(40, np.int64), row_k=np.ones(40, np.int64),
                        area_target=np.array([1.0]), area_names=["all"], col_group=np.full(12, -1, np.int64),
                        fixed=np.zeros(12, bool), forbidden=np.zeros(12, bool), col_type=np.array(["site"] * 12))
    ld, base = lp_dual(p)
    assert bool(ld.red.hard.all())
    lp = solve_lp(ld.red, side_of(p, ld.red, "min_cost"), "min_cost", 30.0)
    ld.run(ld.fixed_ops() + 2000 * ld.ops_per_iter(), FAR)
    assert lp.bound - 5e-3 * lp.bound <= ld.lb <= lp.bound + 1e-6
    assert base + ld.lb <= brute_force_optimum(p) + 1e-9


@pytest.mark.parametrize("share", [2e5, 1e6, 5e6])
def test_a_run_stays_within_its_work(share: float) -> None:
    """PDLP, its ``L(u)`` and the polish together never count more than the operations they were given."""
    p = small_model(3, m=60, n=14)
    ld, _ = lp_dual(p)
    units = ld.run(share, FAR)
    assert units * 1e6 <= share + 1e-6
    assert units == 0.0 or ld.iterations >= MIN_ITERS or ld.termination == "TERMINATION_REASON_OPTIMAL"


def test_prefetched_pdlp_gives_the_same_run() -> None:
    """``prefetch`` (PDLP ahead, beside the local search) then ``run``: the run's result without it, bit for bit."""
    p = small_model(3, m=60, n=14, side=False)
    red = reduce_problem(p, "min_cost", dominance=True)
    side = side_of(p, red, "min_cost")
    out = []
    for ahead in (False, True):
        ld = LpDual(red, side)
        ops = ld.fixed_ops() + 400 * ld.ops_per_iter()
        if ahead:
            ld.prefetch(ops, FAR)
            assert ld.prefetched(red, side, ops) and not ld.prefetched(red, side, ops + 1.0)
            with pytest.raises(RuntimeError):
                ld.prefetch(ops, FAR)
        units = ld.run(ops, FAR, 40.0)
        out.append((units, ld.iterations, ld.polish_steps, ld.lb, ld.u.tobytes(), ld.x.tobytes()))
    assert out[0][1] > 0 and out[0][2] > 0
    assert out[0] == out[1]


def test_lp_dual_solve_uses_a_matching_prefetch_only() -> None:
    """``lp_dual_solve(pre=...)``: the same result as without; a prefetch for other work is ignored."""
    p = small_model(6, m=60, n=14, side=False)
    red = reduce_problem(p, "min_cost", dominance=True)
    side = side_of(p, red, "min_cost")
    probe = LpDual(red, side)
    ops = probe.fixed_ops() + 300 * probe.ops_per_iter()  # the iteration limit binds (PDLP is not done by then)
    results = []
    for pre_ops in (None, ops, 0.5 * ops):
        pre = None
        if pre_ops is not None:
            pre = LpDual(red, side)
            pre.prefetch(pre_ops, FAR)
        stats: dict[str, object] = {}
        budget = Budget.start(60.0)
        res = lp_dual_solve(red, side, ops, budget, stats, 50.0, pre)
        results.append((res.bound, res.iterations, res.units, res.u.tobytes(), res.rc.tobytes(), res.x.tobytes(),
                        budget.used["lp_dual"]))
        if pre_ops == ops:
            assert pre is not None and pre.iterations == res.iterations  # the prefetched object was used
        if pre_ops == 0.5 * ops:
            assert pre is not None and pre.iterations != res.iterations  # not this one: a fresh run
    assert results[0][1] > 0
    assert results[0] == results[1] == results[2]


def _large_partial(monkeypatch: pytest.MonkeyPatch, seed: int) -> tuple[Any, Any, list[float]]:
    """``(solve module, a small partial-target model, PDLP prefetch calls)`` with LP_MAX_NNZ lowered so that the
    model counts as large (PDLP may run ahead, beside the local search); every prefetch is recorded.
    """
    import importlib

    import planner.optimize._exact as exact_mod

    solve_mod = importlib.import_module("planner.optimize.solve")
    monkeypatch.setattr(exact_mod, "LP_MAX_NNZ", 10)
    monkeypatch.setattr(solve_mod, "LP_MAX_NNZ", 10)
    calls: list[float] = []
    prefetch = LpDual.prefetch

    def counted(self: LpDual, max_ops: float, deadline: float) -> None:
        calls.append(max_ops)
        prefetch(self, max_ops, deadline)

    monkeypatch.setattr(LpDual, "prefetch", counted)
    return solve_mod, small_model(seed, m=60, n=14, side=False), calls


@pytest.mark.parametrize("seed", [1, 4])
def test_solve_runs_pdlp_beside_the_local_search(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large partial-target models (LP_MAX_NNZ lowered): PDLP ahead, beside the local search; same plan and stats."""
    from planner.optimize import solve

    solve_mod, p, calls = _large_partial(monkeypatch, seed)
    runs = []
    for ahead in (True, False):
        if not ahead:
            monkeypatch.setattr(solve_mod, "_lp_ahead", lambda *args: None)
        # workers=2: PDLP ahead gets 2 threads (where 2 CPUs are), the exact stage's own PDLP one
        sol = solve(p, "min_cost", time_limit_s=5.0, workers=2, seed=seed)
        st = {k: v for k, v in sol.stats.items() if not k.startswith("time_")}
        for key in ("local_search", "lp_dual", "core_mip"):
            if isinstance(st.get(key), dict):
                st[key] = {k: v for k, v in st[key].items() if k != "seconds"}
        runs.append((sol.selected.tolist(), sol.objective, sol.bound, sol.status, repr(st)))
    assert len(calls) == 1  # the first solve ran PDLP ahead, the second did not
    assert "lp_dual" in runs[0][4] and "partial_ls" in runs[0][4]
    assert runs[0] == runs[1]


def test_run_beside_runs_both_and_passes_errors_on() -> None:
    """The local search's worker thread and the work beside it: both run, an error of either reaches the caller."""
    from planner.optimize._heuristics import _run_beside

    done: list[str] = []

    def search(stop: np.ndarray) -> int:
        done.append("search")
        stop[1] = 4
        return 123

    assert _run_beside(search, 4, lambda: done.append("beside"), FAR) == (123, 4, False)
    assert sorted(done) == ["beside", "search"]

    def failing_beside() -> None:
        raise ValueError("beside")

    with pytest.raises(ValueError, match="beside"):
        _run_beside(search, 4, failing_beside, FAR)

    def failing_search(stop: np.ndarray) -> int:
        raise KeyError("search")

    with pytest.raises(KeyError):
        _run_beside(failing_search, 4, lambda: None, FAR)
    done.clear()
    assert _run_beside(search, 4, lambda: done.append("beside"), 0.0) == (0, 0, True)  # past the safety stop
    assert done == []


def test_one_worker_runs_nothing_beside_the_local_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """``workers=1`` asks for one thread: PDLP is not run beside the search, and the plan is that of ``workers=2``."""
    from planner.optimize import solve

    _, p, calls = _large_partial(monkeypatch, 1)
    one = solve(p, "min_cost", time_limit_s=5.0, workers=1, seed=1)
    assert calls == []
    two = solve(p, "min_cost", time_limit_s=5.0, workers=2, seed=1)
    assert len(calls) == 1
    assert one.selected.tolist() == two.selected.tolist()
    assert (one.objective, one.bound) == (two.objective, two.bound)
