"""CFT engine for partial targets and side constraints: kernel parity with pure-Python references,
valid bounds and feasible plans against brute-force optima of small random models.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from kernels.cft_greedy import core_rows
from kernels.cft_partial import col_part, lagrangian_partial, partial_step, row_part, side_greedy
from planner.optimize._cft_partial import PartialModel, cft_partial_solve
from planner.optimize._reduce import reduce_problem
from planner.optimize._side import side_of
from planner.optimize.problem import CoverageProblem
from tests.reference.brute import brute_force_optimum

# --- pure-Python references ---------------------------------------------------------------


def row_part_py(k: list[int], w: list[float], hard: list[bool], area_rows: list[list[int]], need: list[float],
                u: list[float]) -> tuple[float, list[float], list[float]]:
    """Reference of :func:`kernels.cft_partial.row_part`: ``(value, y, v)``."""
    y = [1.0 if (hard[i] and k[i] > 0) else 0.0 for i in range(len(k))]
    total = sum(k[i] * u[i] for i in range(len(k)) if hard[i] and k[i] > 0)
    v = [0.0] * len(area_rows)
    for a, rows in enumerate(area_rows):
        left = need[a]
        if not rows or left <= 0:
            continue
        ranked = sorted(range(len(rows)), key=lambda t: (k[rows[t]] * u[rows[t]] / w[rows[t]], t))
        for t in ranked:
            if left <= 0:
                break
            i = rows[t]
            v[a] = k[i] * u[i] / w[i]
            y[i] = 1.0 if w[i] <= left else left / w[i]
            left = left - w[i] if w[i] <= left else 0.0
            total += k[i] * u[i] * y[i]
    return total, y, v


def col_part_py(cols: list[int], rcv: list[float], group: list[int]) -> tuple[float, list[bool]]:
    """Reference of :func:`kernels.cft_partial.col_part`: ``(value, x)``."""
    x = [False] * len(cols)
    best: dict[int, int] = {}
    for t, j in enumerate(cols):
        if rcv[t] >= 0:
            continue
        g = group[j]
        if g < 0:
            x[t] = True
        elif g not in best or rcv[t] < rcv[best[g]]:
            best[g] = t
    for t in best.values():
        x[t] = True
    return sum(rcv[t] for t in range(len(cols)) if x[t]), x


def partial_step_py(cols_rows: list[list[int]], cost: list[float], k: list[int], w: list[float], hard: list[bool],
                    area_rows: list[list[int]], need: list[float], group: list[int], cols: list[int], u: list[float],
                    ub: float, lam: float, clip: bool) -> tuple[float, list[float]]:
    """Reference of :func:`kernels.cft_partial.partial_step`: ``(L(u), new u)``."""
    rcv = [cost[j] - sum(u[i] for i in cols_rows[j]) for j in cols]
    cval, x = col_part_py(cols, rcv, group)
    rval, y, _ = row_part_py(k, w, hard, area_rows, need, u)
    s = [k[i] * y[i] for i in range(len(k))]
    for t, j in enumerate(cols):
        if x[t]:
            for i in cols_rows[j]:
                s[i] -= 1.0
    s = [0.0 if (k[i] <= 0 or (clip and u[i] <= 0 and s[i] < 0)) else s[i] for i in range(len(k))]
    norm = sum(v * v for v in s)
    val = cval + rval
    if norm <= 0:
        return val, list(u)
    t_step = lam * max(ub - val, 1e-9) / norm
    return val, [max(0.0, u[i] + t_step * s[i]) for i in range(len(k))]


def side_greedy_py(cols_rows: list[list[int]], cost: list[float], need: list[int], u: list[float], cand: list[int],
                   allowed: list[bool], group: list[int], gused: list[bool], conflicts: list[tuple[int, int]],
                   ctype: list[int], cap_left: list[int]) -> list[int]:
    """Reference of :func:`kernels.cft_partial.side_greedy` (every score compared at each pick; ``γ_j``
    kept up to date in the kernel's order of additions, so that exact ties break the same way).
    """
    need, allowed, gused, cap_left = list(need), list(allowed), list(gused), list(cap_left)
    chosen: list[int] = []
    gam: dict[int, float] = {}
    for j in cand:
        g = cost[j]
        for i in cols_rows[j]:
            if need[i] > 0:
                g -= u[i]
        gam[j] = g

    def blocked(j: int) -> bool:
        return (not allowed[j] or (group[j] >= 0 and gused[group[j]])
                or (ctype[j] >= 0 and cap_left[ctype[j]] <= 0))

    dead = {j for j in cand if blocked(j)}
    while any(v > 0 for v in need):
        best: tuple[float, int] | None = None
        for t, j in enumerate(cand):
            if j in dead or j in chosen:
                continue
            if blocked(j):
                dead.add(j)
                continue
            rows = [i for i in cols_rows[j] if need[i] > 0]
            if not rows:
                continue
            g = gam[j]
            sc = g / len(rows) if g > 0 else g * len(rows)
            if best is None or (sc, t) < (best[0], cand.index(best[1])):
                best = (sc, j)
        if best is None:
            break
        j = best[1]
        chosen.append(j)
        allowed[j] = False
        if group[j] >= 0:
            gused[group[j]] = True
        if ctype[j] >= 0:
            cap_left[ctype[j]] -= 1
        for a, b in conflicts:
            if a == j:
                allowed[b] = False
            if b == j:
                allowed[a] = False
        for i in cols_rows[j]:
            if need[i] > 0:
                need[i] -= 1
                if need[i] == 0:
                    for o in cand:
                        if o not in chosen and i in cols_rows[o]:
                            gam[o] += u[i]
    return chosen


# --- random models ------------------------------------------------------------------------


def random_problem(seed: int, m: int = 24, n: int = 11, side: bool = True) -> CoverageProblem:
    """A random model with partial targets, k-coverage, a fixed and a forbidden site, groups, conflicts, a cap."""
    rng = np.random.default_rng(seed)
    dense = rng.random((m, n)) < 0.3
    for i in range(m):
        dense[i, rng.choice(n, size=3, replace=False)] = True
    n_areas = 3
    area = rng.integers(0, n_areas, size=m)
    target = np.array([1.0, 0.6, 0.8]) if seed % 2 else np.array([0.7, 0.5, 0.9])
    k = np.where(rng.random(m) < 0.2, 2, 1)
    cost = rng.integers(1, 10, size=n).astype(np.float64)
    kw: dict[str, object] = {}
    if side:
        group = np.full(n, -1, dtype=np.int64)
        group[[0, 1, 2]] = 0
        group[[5, 6]] = 1
        ctype = np.array(["lamp"] * 5 + ["mast"] * (n - 5))
        fixed = np.zeros(n, bool)
        forbidden = np.zeros(n, bool)
        forbidden[n - 1] = True
        if seed % 3 == 0:
            fixed[3] = True
        kw = {"col_group": group, "col_type": ctype, "fixed": fixed, "forbidden": forbidden,
              "conflicts": np.array([[4, 7], [8, 9]]), "type_caps": {"mast": 3}}
    return CoverageProblem(a=sp.csr_matrix(dense.astype(np.int8)), cost=cost, row_weight=rng.random(m) + 0.1,
                           row_area=area, row_k=k, area_target=target, area_names=["a", "b", "c"], **kw)  # type: ignore[arg-type]




def model_arrays(seed: int) -> tuple[PartialModel, NDArray[np.float64]]:
    p = random_problem(seed, m=30, n=14)
    red = reduce_problem(p, "min_cost", dominance=False)
    pm = PartialModel(red, side_of(p, red, "min_cost"))
    u = np.random.default_rng(seed).random(pm.m) * 3.0
    u[::4] = 0.0
    return pm, u


def lists(pm: PartialModel) -> tuple[list[list[int]], list[list[int]]]:
    cols_rows = [pm.c_rows[pm.c_ptr[j]:pm.c_ptr[j + 1]].tolist() for j in range(pm.n)]
    soft = [i for i in range(pm.m) if not pm.hard[i]]
    area_rows = [[i for i in soft if pm.area[i] == a] for a in range(pm.n_areas)]
    return cols_rows, area_rows


def area_ptr(pm: PartialModel) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    soft = np.flatnonzero(~pm.hard)
    rows = soft[np.argsort(pm.area[soft], kind="stable")].astype(np.int64)
    return np.searchsorted(pm.area[rows], np.arange(pm.n_areas + 1)).astype(np.int64), rows


# --- parity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_lagrangian_and_step_match_reference(seed: int) -> None:
    pm, u = model_arrays(seed)
    cols_rows, area_rows = lists(pm)
    a_ptr, a_rows = area_ptr(pm)
    cols = np.flatnonzero(np.random.default_rng(seed + 50).random(pm.n) < 0.8).astype(np.int64)
    gb = np.full(max(pm.n_groups, 1), -1, dtype=np.int64)
    rcv, x = np.zeros(cols.size), np.zeros(cols.size, dtype=bool)
    y, v = np.zeros(pm.m), np.zeros(pm.n_areas)
    val, _ = lagrangian_partial(pm.c_ptr, pm.c_rows, pm.cost, pm.k, pm.w, pm.hard, a_ptr, a_rows, pm.need, pm.group,
                                gb, cols, u, rcv, x, y, v)
    ref_rv, ref_y, ref_v = row_part_py(pm.k.tolist(), pm.w.tolist(), pm.hard.tolist(), area_rows, pm.need.tolist(),
                                       u.tolist())
    ref_rcv = [pm.cost[j] - sum(u[i] for i in cols_rows[j]) for j in cols]
    ref_cv, ref_x = col_part_py(cols.tolist(), ref_rcv, pm.group.tolist())
    assert val == pytest.approx(ref_cv + ref_rv, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(y, ref_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(v, ref_v, rtol=1e-12, atol=1e-12)
    assert x.tolist() == ref_x
    assert (gb == -1).all()
    for clip in (True, False):
        u2 = u.copy()
        s = np.zeros(pm.m)
        got, _ = partial_step(pm.c_ptr, pm.c_rows, pm.cost, pm.k, pm.w, pm.hard, a_ptr, a_rows, pm.need, pm.group, gb,
                              cols, u2, rcv, x, y, v, s, val + 5.0, 0.7, clip)
        ref, ref_u = partial_step_py(cols_rows, pm.cost.tolist(), pm.k.tolist(), pm.w.tolist(), pm.hard.tolist(),
                                     area_rows, pm.need.tolist(), pm.group.tolist(), cols.tolist(), u.tolist(),
                                     val + 5.0, 0.7, clip)
        assert got == pytest.approx(ref, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(u2, ref_u, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_side_greedy_matches_reference(seed: int) -> None:
    pm, u = model_arrays(seed)
    cols_rows, _ = lists(pm)
    rng = np.random.default_rng(seed + 7)
    need = np.where(rng.random(pm.m) < 0.7, pm.k, 0).astype(np.int64)
    cand = np.flatnonzero(rng.random(pm.n) < 0.9).astype(np.int64)
    allowed = rng.random(pm.n) < 0.95
    gused = np.zeros(max(pm.n_groups, 1), dtype=bool)
    cap_left = pm.cap.copy()
    rp, rpos = core_rows(pm.c_ptr, pm.c_rows, pm.m, cand)
    order = np.empty(cand.size, dtype=np.int64)
    conf = [(int(a), int(b)) for a, b in pm.conflicts]
    ref = side_greedy_py(cols_rows, pm.cost.tolist(), need.tolist(), u.tolist(), cand.tolist(), allowed.tolist(),
                         pm.group.tolist(), gused.tolist(), conf, pm.ctype.tolist(), cap_left.tolist())
    n_new, short, _ = side_greedy(pm.c_ptr, pm.c_rows, rp, rpos, pm.cost, need, u, cand, allowed, pm.group, gused,
                                  pm.conf_ptr, pm.conf_idx, pm.ctype, cap_left, order)
    assert order[:n_new].tolist() == ref
    left = need - np.asarray(pm.a[:, ref].sum(axis=1)).ravel()
    assert short == int((left > 0).sum())


def test_row_part_area_multiplier_is_the_knapsack_dual() -> None:
    """``v_A N_A + Σ min(0, k_i u_i − v_A w_i)`` at the returned ``v_A`` equals the knapsack value."""
    rng = np.random.default_rng(3)
    m = 40
    k = rng.integers(1, 3, size=m).astype(np.int64)
    w = rng.random(m) + 0.05
    hard = np.zeros(m, dtype=bool)
    u = rng.random(m)
    rows = np.arange(m, dtype=np.int64)
    need = np.array([0.45 * w.sum()])
    y, v = np.zeros(m), np.zeros(1)
    val, _ = row_part(k, w, hard, np.array([0, m], dtype=np.int64), rows, need, u, y, v)
    dual = v[0] * need[0] + np.minimum(0.0, k * u - v[0] * w).sum()
    assert val == pytest.approx(dual, rel=1e-12)
    assert (w * y).sum() == pytest.approx(need[0], rel=1e-12)


def test_col_part_takes_one_column_per_group() -> None:
    group = np.array([0, 0, -1, 1, 1, -1], dtype=np.int64)
    cols = np.arange(6, dtype=np.int64)
    rcv = np.array([-1.0, -3.0, -2.0, 0.5, -0.5, 1.0])
    x = np.zeros(6, dtype=bool)
    val = col_part(cols, rcv, group, np.full(2, -1, dtype=np.int64), x)
    assert val == pytest.approx(-5.5)
    assert x.tolist() == [False, True, True, False, True, False]


# --- the engine against exact optima ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_engine_bound_valid_and_plan_feasible(seed: int) -> None:
    p = random_problem(seed)
    opt = brute_force_optimum(p)
    red = reduce_problem(p, "min_cost")
    if red.stats.get("infeasible_reason") or not math.isfinite(opt):
        pytest.skip("infeasible draw")
    side = side_of(p, red, "min_cost")
    base = float(p.cost[red.base].sum())
    res = cft_partial_solve(red, side, work_limit=3_000_000, seed=seed)
    assert base + res.bound <= opt + 1e-9
    assert res.feasible
    sel = np.zeros(p.n_cols, dtype=bool)
    sel[red.cols[res.selected]] = True
    sel |= red.base
    assert float(p.cost[sel].sum()) == pytest.approx(base + res.objective)
    assert base + res.objective >= opt - 1e-9
    pm = PartialModel(red, side)
    assert pm.feasible(res.selected)
    assert np.isclose(base + res.objective, opt) or res.bound < res.objective


def test_engine_finds_most_optima_of_small_models() -> None:
    hits, tried = 0, 0
    for seed in range(20):
        p = random_problem(seed)
        opt = brute_force_optimum(p)
        red = reduce_problem(p, "min_cost")
        if red.stats.get("infeasible_reason") or not math.isfinite(opt):
            continue
        res = cft_partial_solve(red, side_of(p, red, "min_cost"), work_limit=3_000_000, seed=0)
        tried += 1
        hits += bool(np.isclose(float(p.cost[red.base].sum()) + res.objective, opt))
    assert tried >= 10
    assert hits >= 0.8 * tried


def test_engine_same_seed_same_plan() -> None:
    p = random_problem(4, m=60, n=14)
    red = reduce_problem(p, "min_cost")
    side = side_of(p, red, "min_cost")
    r1 = cft_partial_solve(red, side, work_limit=2_000_000, seed=5)
    r2 = cft_partial_solve(red, side, work_limit=2_000_000, seed=5)
    assert np.array_equal(r1.selected, r2.selected) and r1.bound == r2.bound and r1.work == r2.work


@pytest.mark.parametrize("seed", [1, 2, 4, 5])
def test_solve_uses_engine_on_side_constrained_models(seed: int) -> None:
    """``solve`` with the heuristics alone (``backend="greedy"``): the engine's stage runs, the plan
    meets every target and side constraint, and the bound is at most the brute-force optimum.
    """
    from planner.optimize import solve
    from planner.optimize.solve import evaluate

    p = random_problem(seed)
    opt = brute_force_optimum(p)
    if not math.isfinite(opt):
        pytest.skip("infeasible draw")
    sol = solve(p, time_limit_s=5.0, work_limit=20.0, backend="greedy", seed=0)
    assert "cft" in sol.stats and sol.status in ("feasible", "optimal")
    assert sol.bound <= opt + 1e-9 <= sol.objective + 2e-9
    sel = np.zeros(p.n_cols, dtype=bool)
    sel[sol.selected] = True
    ev = evaluate(p, sol.selected)
    assert (ev["area_fraction"] >= p.area_target - 1e-9).all()
    assert p.conflicts is not None and not (sel[p.conflicts[:, 0]] & sel[p.conflicts[:, 1]]).any()
    assert p.col_group is not None and (np.bincount(p.col_group[sel & (p.col_group >= 0)]) <= 1).all()


@pytest.mark.parametrize("seed", [1, 3])
def test_engine_on_full_cover_with_side_constraints(seed: int) -> None:
    """Every area at target 1 (hard rows only, no knapsack rows) with groups, conflicts and a cap."""
    import dataclasses

    p = random_problem(seed)
    p = CoverageProblem(**{**{f.name: getattr(p, f.name) for f in dataclasses.fields(p)},
                           "area_target": np.ones(3)})
    opt = brute_force_optimum(p)
    red = reduce_problem(p, "min_cost")
    if red.stats.get("infeasible_reason") or not math.isfinite(opt):
        pytest.skip("infeasible draw")
    res = cft_partial_solve(red, side_of(p, red, "min_cost"), work_limit=3_000_000, seed=0)
    base = float(p.cost[red.base].sum())
    assert res.feasible and base + res.bound <= opt + 1e-9 <= base + res.objective + 2e-9


def test_solve_finds_a_plan_where_the_greedy_is_trapped() -> None:
    """The greedy takes column 0 (two rows for 1), whose conflicts block every column of row 2, and
    finds no plan; the engine stage finds the optimum {1, 2} (cost 6).
    """
    from planner.optimize import solve

    a = sp.csr_matrix(np.array([[1, 1, 0, 0],
                                [1, 0, 1, 0],
                                [0, 1, 0, 1]], dtype=np.int8))
    p = CoverageProblem(a=a, cost=np.array([1.0, 3.0, 3.0, 3.0]), row_weight=np.ones(3), row_area=np.zeros(3),
                        row_k=np.ones(3), area_target=np.ones(1), area_names=["a"],
                        conflicts=np.array([[0, 1], [0, 3]]))
    assert brute_force_optimum(p) == 6.0
    sol = solve(p, time_limit_s=5.0, work_limit=5.0, backend="greedy", seed=0)
    assert sol.stats["greedy"]["done"] and sol.stats["heuristic_objective"] is None  # the trap
    assert sol.status in ("feasible", "optimal") and sol.objective == 6.0
    assert sol.selected.tolist() == [1, 2]


def test_solve_returns_a_plan_when_the_greedy_runs_out_of_work() -> None:
    """A work budget too small for the lazy greedy (it stops unfinished): the engine's first plan."""
    from planner.optimize import solve
    from planner.optimize.solve import evaluate

    p = random_problem(7, m=200, n=14, side=False)
    sol = solve(p, time_limit_s=5.0, work_limit=1e-4, backend="greedy", seed=0)
    assert not sol.stats["greedy"]["done"]
    assert sol.stats["cft"]["after_greedy"] == "stopped by its work limit"
    assert sol.status in ("feasible", "optimal") and len(sol.selected)
    ev = evaluate(p, sol.selected)
    assert (ev["area_fraction"] >= p.area_target - 1e-9).all()
    assert sol.bound <= brute_force_optimum(p) + 1e-9 <= sol.objective + 2e-9
