"""Kernels of the optimiser against their pure-Python references (seeded random inputs)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from kernels.greedy import drop_redundant, greedy_cover
from kernels.lagrange import lagrangian_value, subgradient
from kernels.localsearch import rwls, swap_search
from kernels.partialcover import column_pairs, partial_ls, partial_ls_run
from kernels.setcover import dominated_columns, dominated_rows
from tests.reference.greedy import drop_redundant_py, greedy_cover_py
from tests.reference.lagrange import lagrangian_value_py
from tests.reference.partialcover import partial_ls_py
from tests.reference.setcover import dominated_columns_py, dominated_rows_py


def random_matrix(seed: int, m: int, n: int, density: float) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    a = (rng.random((m, n)) < density).astype(np.int8)
    for i in range(m):  # every row coverable
        if not a[i].any():
            a[i, rng.integers(n)] = 1
    out = sp.csr_matrix(a)
    out.sort_indices()
    return out


def csr_csc(a: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    c = a.tocsc()
    c.sort_indices()
    return (
        a.indptr.astype(np.int64),
        a.indices.astype(np.int64),
        c.indptr.astype(np.int64),
        c.indices.astype(np.int64),
    )


def col_lists(a: sp.csr_matrix) -> list[list[int]]:
    c = a.tocsc()
    c.sort_indices()
    return [c.indices[c.indptr[j] : c.indptr[j + 1]].tolist() for j in range(a.shape[1])]


@pytest.mark.parametrize(("seed", "m", "n"), [(s, 30, 15) for s in range(8)] + [(s, 300, 200) for s in range(8, 12)])
def test_greedy_matches_reference(seed: int, m: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    a = random_matrix(seed, m, n, 0.2 if n < 100 else 0.03)
    _, _, c_ptr, c_idx = csr_csc(a)
    cost = rng.uniform(1, 10, n)
    w = rng.uniform(0.5, 3, m)
    k = np.where(rng.random(m) < 0.2, 2, 1).astype(np.int64)
    area = rng.integers(0, 2, m).astype(np.int64)
    need = np.array([w[area == 0].sum() * 0.7, np.inf if seed % 2 else w[area == 1].sum() * 0.5])
    group = np.where(np.arange(n) < 4, np.arange(n) // 2, -1).astype(np.int64)
    conflicts = [(4, 5), (6, 9)]
    conf = sp.csr_matrix((np.ones(4), ([4, 5, 6, 9], [5, 4, 9, 6])), shape=(n, n))
    ctype = np.where(np.arange(n) % 3 == 0, 0, -1).astype(np.int64)
    cap = np.array([2], dtype=np.int64)
    max_sites = 6 if seed % 3 == 0 else -1
    budget = 25.0 if seed % 4 == 1 else np.inf
    by_ratio = seed % 5 != 2
    got, ops, done = greedy_cover(
        c_ptr,
        c_idx,
        cost,
        w,
        k,
        area,
        need,
        np.zeros(m, np.int64),
        np.ones(n, bool),
        group,
        2,
        conf.indptr.astype(np.int64),
        conf.indices.astype(np.int64),
        ctype,
        cap,
        max_sites,
        budget,
        by_ratio,
        1e18,
    )
    assert done and ops > 0
    ref = greedy_cover_py(
        col_lists(a),
        cost.tolist(),
        w.tolist(),
        k.tolist(),
        area.tolist(),
        need.tolist(),
        [True] * n,
        group.tolist(),
        conflicts,
        ctype.tolist(),
        cap.tolist(),
        max_sites,
        budget,
        by_ratio,
    )
    assert got.tolist() == ref


def test_greedy_stops_at_its_work_limit() -> None:
    """A work limit below the full run stops the greedy early with a subset of the full selection."""
    rng = np.random.default_rng(3)
    m, n = 2000, 1500
    a = random_matrix(3, m, n, 0.01)
    _, _, c_ptr, c_idx = csr_csc(a)
    cost = rng.uniform(1, 10, n)
    w = np.ones(m)
    k = np.ones(m, np.int64)
    area = np.zeros(m, np.int64)
    need = np.array([float(m)])
    none = np.zeros(n + 1, np.int64)
    args = (
        c_ptr,
        c_idx,
        cost,
        w,
        k,
        area,
        need,
        np.zeros(m, np.int64),
        np.ones(n, bool),
        np.full(n, -1, np.int64),
        0,
        none,
        np.zeros(0, np.int64),
        np.full(n, -1, np.int64),
        np.zeros(0, np.int64),
        -1,
        np.inf,
        True,
    )
    full, ops_full, done_full = greedy_cover(*args, 1e18)
    assert done_full and full.sum() > 10
    part, ops_part, done_part = greedy_cover(*args, 0.5 * ops_full)
    assert not done_part
    assert 0 < part.sum() < full.sum()
    assert not (part & ~full).any()  # the same picks in the same order, cut short
    assert 0.5 * ops_full < ops_part < ops_full


@pytest.mark.parametrize("seed", range(6))
def test_drop_redundant_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = 25, 12
    a = random_matrix(seed, m, n, 0.3)
    _, _, c_ptr, c_idx = csr_csc(a)
    sel = rng.random(n) < 0.7
    w = rng.uniform(0.5, 2, m)
    k = np.ones(m, np.int64)
    area = rng.integers(0, 2, m).astype(np.int64)
    hard = area == 0
    cnt = np.asarray(a @ sel.astype(np.int64)).ravel()
    slack = np.array([0.0, 2.0])
    order = rng.permutation(n).astype(np.int64)
    got = drop_redundant(c_ptr, c_idx, np.ones(n), w, k, area, hard, slack, cnt, sel, order)
    ref = drop_redundant_py(
        col_lists(a), w.tolist(), k.tolist(), area.tolist(), hard.tolist(), slack.tolist(), sel.tolist(), order.tolist()
    )
    assert got.tolist() == ref


@pytest.mark.parametrize("seed", range(6))
def test_dominance_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = random_matrix(seed, 20, 16, 0.25)
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    cost = rng.integers(1, 4, 16).astype(np.float64)
    elig_c = rng.random(16) < 0.9
    got, _ = dominated_columns(c_ptr, c_idx, r_ptr, r_idx, cost, elig_c, 10**9)
    ref = dominated_columns_py([set(c) for c in col_lists(a)], cost.tolist(), elig_c.tolist())
    assert got.tolist() == ref
    elig_r = rng.random(20) < 0.9
    rows = [set(a.indices[a.indptr[i] : a.indptr[i + 1]].tolist()) for i in range(20)]
    got_r, _ = dominated_rows(r_ptr, r_idx, c_ptr, c_idx, elig_r, 10**9)
    assert got_r.tolist() == dominated_rows_py(rows, elig_r.tolist())


@pytest.mark.parametrize("seed", range(5))
def test_lagrangian_value_matches_reference_and_bounds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = 12, 9
    a = random_matrix(seed, m, n, 0.3)
    _, _, c_ptr, c_idx = csr_csc(a)
    cost = rng.integers(1, 6, n).astype(np.float64)
    k = np.ones(m, np.int64)
    w = rng.integers(1, 4, m).astype(np.float64)
    hard = np.arange(m) < 4
    area = np.where(hard, 0, 1)
    soft = np.flatnonzero(~hard)
    a_ptr = np.array([0, 0, soft.size], dtype=np.int64)
    need = np.array([0.0, 0.6 * w[soft].sum()])
    u = rng.uniform(0, 2, m)
    x = np.zeros(n, bool)
    y = np.zeros(m)
    rc = np.zeros(n)
    got = lagrangian_value(c_ptr, c_idx, cost, k, w, hard, a_ptr, soft.astype(np.int64), need, u, x, y, rc)
    ref = lagrangian_value_py(
        col_lists(a),
        cost.tolist(),
        k.tolist(),
        w.tolist(),
        hard.tolist(),
        [[], soft.tolist()],
        need.tolist(),
        u.tolist(),
    )
    assert got == pytest.approx(ref)
    # the subgradient bound never exceeds the true optimum (brute force)
    best = np.inf
    for bits in itertools.product([False, True], repeat=n):
        xs = np.array(bits)
        cov = np.asarray(a @ xs.astype(np.int64)).ravel() >= 1
        if cov[hard].all() and w[soft][cov[soft]].sum() >= need[1] - 1e-9:
            best = min(best, cost[xs].sum())
    u2 = np.ones(m)
    lb, _ = subgradient(
        c_ptr, c_idx, cost, k, w, hard, a_ptr, soft.astype(np.int64), need, u2, float(cost.sum()), 200, 0.5
    )
    assert lb <= best + 1e-9
    _ = area


@pytest.mark.parametrize("seed", range(5))
def test_rwls_finds_valid_optimal_cover(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n = 14, 10
    a = random_matrix(seed, m, n, 0.3)
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    cost = np.ones(n) if seed % 2 == 0 else rng.integers(1, 4, n).astype(np.float64)
    sel = np.ones(n, dtype=bool)
    best = sel.copy()
    best_cost = np.array([cost.sum()])
    rwls(c_ptr, c_idx, r_ptr, r_idx, cost, sel, best, best_cost, 3000, seed, np.zeros(n, np.int64), 0)
    assert (np.asarray(a @ best.astype(np.int64)).ravel() >= 1).all()
    assert best_cost[0] == pytest.approx(cost[best].sum())
    opt = min(
        cost[np.array(bits)].sum()
        for bits in itertools.product([False, True], repeat=n)
        if (np.asarray(a @ np.array(bits, dtype=np.int64)).ravel() >= 1).all()
    )
    if seed % 2 == 0:  # unit costs (the published algorithm): optimal on these tiny instances
        assert best_cost[0] == pytest.approx(opt)
    else:
        assert opt - 1e-9 <= best_cost[0] < cost.sum()


@pytest.mark.parametrize("seed", range(4))
def test_swap_search_improves_to_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n, p = 20, 9, 3
    a = random_matrix(seed, m, n, 0.2)
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    w = rng.integers(1, 5, m).astype(np.float64)
    sel = np.zeros(n, dtype=bool)
    sel[:p] = True
    best = sel.copy()
    val0 = w[np.asarray(a @ sel.astype(np.int64)).ravel() >= 1].sum()
    best_val = np.array([val0])
    swap_search(c_ptr, c_idx, r_ptr, r_idx, w, np.ones(n, bool), sel, best, best_val, 100, 3, n)
    assert best.sum() == p
    assert best_val[0] == pytest.approx(w[np.asarray(a @ best.astype(np.int64)).ravel() >= 1].sum())
    opt = max(
        w[np.asarray(a @ np.isin(np.arange(n), c).astype(np.int64)).ravel() >= 1].sum()
        for c in itertools.combinations(range(n), p)
    )
    assert best_val[0] == pytest.approx(opt)


def partial_instance(seed: int) -> dict:
    """A small partial-target instance with integer weights (exact float sums), k ∈ {1, 2}."""
    rng = np.random.default_rng(seed)
    m, n, n_areas = 24, 12, 3
    a = random_matrix(seed, m, n, 0.3)
    w = rng.integers(1, 5, m).astype(np.float64)
    k = np.where(rng.random(m) < 0.15, 2, 1).astype(np.int64)
    k = np.minimum(k, np.diff(a.indptr))  # every row satisfiable
    area = rng.integers(0, n_areas, m).astype(np.int64)
    need = np.floor(np.bincount(area, weights=w, minlength=n_areas) * 0.7)
    cost = rng.integers(1, 5, n).astype(np.float64)
    return {"a": a, "w": w, "k": k, "area": area, "need": need, "cost": cost, "n_areas": n_areas}


def partial_ok(inst: dict, sel: np.ndarray) -> bool:
    cnt = np.asarray(inst["a"] @ sel.astype(np.int64)).ravel()
    cov = np.bincount(inst["area"], weights=inst["w"] * (cnt >= inst["k"]), minlength=inst["n_areas"])
    return bool((cov >= inst["need"] - 1e-9).all())


@pytest.mark.parametrize("seed", range(6))
def test_partial_ls_matches_reference(seed: int) -> None:
    inst = partial_instance(seed)
    a, n = inst["a"], inst["a"].shape[1]
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    p_ptr, p_area, c_pair, r_pair = column_pairs(c_ptr, c_idx, r_ptr, r_idx, inst["area"], inst["n_areas"])
    sel = np.ones(n, dtype=bool)
    best = sel.copy()
    best_cost = np.array([inst["cost"].sum()])
    alpha = np.ones(inst["n_areas"])
    stamp = np.zeros(n, np.int64)
    steps = 0
    for _ in range(3):  # chunked like the caller: alpha and stamps carried over
        steps = partial_ls(
            c_ptr,
            c_idx,
            c_pair,
            r_ptr,
            r_idx,
            r_pair,
            p_ptr,
            p_area,
            inst["cost"],
            inst["w"],
            inst["k"],
            inst["area"],
            inst["need"],
            sel,
            best,
            best_cost,
            alpha,
            stamp,
            40,
            seed,
            steps,
            3,
        )
    sel_py = [True] * n
    alpha_py = [1.0] * inst["n_areas"]
    stamp_py = [0] * n
    best_py, cost_py, step_py = list(sel_py), float(inst["cost"].sum()), 0
    for _ in range(3):
        b, c, sel_py, step_py = partial_ls_py(
            col_lists(a),
            inst["cost"].tolist(),
            inst["w"].tolist(),
            inst["k"].tolist(),
            inst["area"].tolist(),
            inst["need"].tolist(),
            sel_py,
            cost_py,
            alpha_py,
            stamp_py,
            40,
            seed,
            step_py,
            3,
        )
        if b:
            best_py, cost_py = b, c
    assert steps == step_py
    assert sel.tolist() == sel_py
    assert alpha.tolist() == alpha_py
    assert stamp.tolist() == stamp_py
    assert best_cost[0] == pytest.approx(cost_py)
    assert best.tolist() == best_py
    assert partial_ok(inst, best)
    assert best_cost[0] == pytest.approx(inst["cost"][best].sum())


@pytest.mark.parametrize("seed", range(4))
def test_partial_ls_run_is_the_chunk_loop(seed: int) -> None:
    """``partial_ls_run`` (all chunks in one call, for a worker thread) = the caller's loop over ``partial_ls``."""
    inst = partial_instance(seed)
    a, n = inst["a"], inst["a"].shape[1]
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    pairs = column_pairs(c_ptr, c_idx, r_ptr, r_idx, inst["area"], inst["n_areas"])
    p_ptr, p_area, c_pair, r_pair = pairs
    out = []
    for one_call in (False, True):
        sel = np.ones(n, dtype=bool)
        best, best_cost = sel.copy(), np.array([inst["cost"].sum()])
        alpha, stamp = np.ones(inst["n_areas"]), np.zeros(n, np.int64)
        args = (c_ptr, c_idx, c_pair, r_ptr, r_idx, r_pair, p_ptr, p_area, inst["cost"], inst["w"], inst["k"],
                inst["area"], inst["need"], sel, best, best_cost, alpha, stamp)
        if one_call:
            stop = np.zeros(2, np.int64)
            steps = partial_ls_run(*args, 25, 4, seed, 7, 3, stop)
            assert stop.tolist() == [0, 4]  # not stopped; 4 chunks run
        else:
            steps = 7
            for _ in range(4):
                steps = partial_ls(*args, 25, seed, steps, 3)
        out.append((steps, sel.tobytes(), best.tobytes(), best_cost.tobytes(), alpha.tobytes(), stamp.tobytes()))
    assert out[0][0] > 7
    assert out[0] == out[1]


@pytest.mark.parametrize("seed", range(6))
def test_partial_ls_reaches_optimum_on_tiny_instances(seed: int) -> None:
    inst = partial_instance(seed)
    a, n = inst["a"], inst["a"].shape[1]
    r_ptr, r_idx, c_ptr, c_idx = csr_csc(a)
    p_ptr, p_area, c_pair, r_pair = column_pairs(c_ptr, c_idx, r_ptr, r_idx, inst["area"], inst["n_areas"])
    sel = np.ones(n, dtype=bool)
    best = sel.copy()
    best_cost = np.array([inst["cost"].sum()])
    partial_ls(
        c_ptr,
        c_idx,
        c_pair,
        r_ptr,
        r_idx,
        r_pair,
        p_ptr,
        p_area,
        inst["cost"],
        inst["w"],
        inst["k"],
        inst["area"],
        inst["need"],
        sel,
        best,
        best_cost,
        np.ones(inst["n_areas"]),
        np.zeros(n, np.int64),
        3000,
        seed,
        0,
        3,
    )
    opt = min(
        inst["cost"][np.array(bits)].sum()
        for bits in itertools.product([False, True], repeat=n)
        if partial_ok(inst, np.array(bits))
    )
    assert partial_ok(inst, best)
    assert best_cost[0] == pytest.approx(opt)


def test_greedy_area_past_its_target_does_not_block_another() -> None:
    """An area pushed past its target (need < 0) adds nothing to a column's gain, never a penalty.

    Rows a1, a2, a3 (area 0, need 1.5) and b1 (area 1, weight 0.4, need 0.4). Column 0 covers
    a1, a2 and leaves area 0 at need -0.5; column 1 covers a3 and b1. Counting the negative need
    gave column 1 the gain -0.5 + 0.4 < 0 and the greedy stopped with b1 uncovered.
    """
    a = sp.csc_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float))
    c_ptr, c_idx = a.indptr.astype(np.int64), a.indices.astype(np.int64)
    w = np.array([1.0, 1.0, 1.0, 0.4])
    k = np.ones(4, np.int64)
    area = np.array([0, 0, 0, 1], np.int64)
    need = np.array([1.5, 0.4])
    none = np.zeros(0, np.int64)
    got, _, done = greedy_cover(
        c_ptr, c_idx, np.ones(2), w, k, area, need, np.zeros(4, np.int64), np.ones(2, bool),
        np.full(2, -1, np.int64), 0, np.zeros(3, np.int64), none, np.full(2, -1, np.int64), none,
        -1, np.inf, True, 1e18,
    )  # fmt: skip
    assert done
    assert got.tolist() == [True, True]
    ref = greedy_cover_py(
        [[0, 1], [2, 3]], [1.0, 1.0], w.tolist(), k.tolist(), area.tolist(), need.tolist(), [True, True],
        [-1, -1], [], [-1, -1], [], -1, np.inf, True,
    )  # fmt: skip
    assert ref == [True, True]
