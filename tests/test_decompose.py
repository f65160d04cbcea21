"""Spatial decomposition of the solve (planner.optimize.decompose) on generated city-like models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planner.optimize import solve
from planner.optimize.decompose import (
    BOUND_METHOD,
    WINDOW_PASSES,
    decompose_applies,
    solve_decomposed,
    solve_tile,
    tile_of_columns,
)
from planner.optimize.problem import CoverageProblem
from planner.optimize.solve import evaluate


def _model(seed: int = 1, n_cols: int = 900, side_m: float = 5000.0, groups: bool = False
           ) -> tuple[CoverageProblem, np.ndarray, np.ndarray]:
    """Cells every 100 m, sites of radius 300-450 m; area 0 = the whole square (target 0.9), area 1 = a disc (1.0)."""
    rng = np.random.default_rng(seed)
    g = np.arange(50.0, side_m, 100.0)
    cx, cy = (v.ravel() for v in np.meshgrid(g, g))
    x, y = rng.uniform(0, side_m, n_cols), rng.uniform(0, side_m, n_cols)
    r = rng.choice([300.0, 450.0], n_cols)
    tree = cKDTree(np.c_[cx, cy])
    rows: list[int] = []
    cols: list[int] = []
    for j in range(n_cols):
        hit = tree.query_ball_point((x[j], y[j]), r[j])
        rows += hit
        cols += [j] * len(hit)
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(cx.size, n_cols))
    disc = np.hypot(cx - 0.3 * side_m, cy - 0.6 * side_m) < 600
    group = np.full(n_cols, -1, dtype=np.int64)
    if groups:  # pairs of nearby columns in one pole group (some across tile borders)
        group[: n_cols // 2 * 2] = np.repeat(np.arange(n_cols // 2), 2)
        x[1::2][: n_cols // 2] = x[0::2][: n_cols // 2] + 3.0
        y[1::2][: n_cols // 2] = y[0::2][: n_cols // 2]
    p = CoverageProblem(a=a, cost=rng.integers(2, 9, n_cols).astype(float), row_weight=np.ones(cx.size),
                        row_area=disc.astype(np.int64), row_k=np.ones(cx.size, dtype=np.int64),
                        area_target=np.array([0.9, 1.0]), area_names=["central_urban", "hub"], col_group=group)
    return p, x, y


def _met(p: CoverageProblem, sel: np.ndarray) -> bool:
    ev = evaluate(p, sel)
    return bool((ev["area_covered"] >= p.area_target * ev["area_total"] * (1 - 1e-9)).all())


def test_plan_meets_targets_bound_is_valid_and_stats_say_how() -> None:
    p, x, y = _model()
    sol = solve_decomposed(p, x, y, time_limit_s=2.0, seed=3, tile_m=1500.0)
    assert sol.status in ("feasible", "optimal")
    assert _met(p, sol.selected)
    d = sol.stats["decomposition"]
    assert d["tiles"] > 4 and d["bound_method"] == BOUND_METHOD and d["targets_met"]
    # a valid bound is below every feasible plan's cost, also the direct solve's plan
    direct = solve(p, "min_cost", time_limit_s=3.0, workers=1, seed=3)
    assert sol.bound <= direct.objective + 1e-9
    assert direct.bound <= sol.objective + 1e-9
    assert 0 < sol.bound <= sol.objective
    assert sol.gap == (sol.objective - sol.bound) / sol.objective or sol.status == "optimal"


def test_plan_does_not_depend_on_where_or_in_which_order_tiles_run() -> None:
    p, x, y = _model(seed=2)
    a = solve_decomposed(p, x, y, time_limit_s=1.0, seed=5, tile_m=1500.0)

    reports: list[tuple[int, int]] = []

    def reversed_runner(tasks: Any, done: Any) -> list[Any]:  # a pool finishing in another order
        out = [solve_tile(t) for t in tasks[::-1]][::-1]
        for i in range(len(tasks)):
            done(i + 1, len(tasks))
            reports.append((i + 1, len(tasks)))
        return out

    b = solve_decomposed(p, x, y, time_limit_s=1.0, seed=5, tile_m=1500.0, run_tiles=reversed_runner)
    assert np.array_equal(a.selected, b.selected) and a.objective == b.objective and a.bound == b.bound
    assert reports[-1] == (a.stats["decomposition"]["tiles"],) * 2
    assert a.stats["budget"]["work_used"]["tiles"] == b.stats["budget"]["work_used"]["tiles"] > 0


def test_pole_groups_across_tiles_are_repaired() -> None:
    p, x, y = _model(seed=4, groups=True)
    sol = solve_decomposed(p, x, y, time_limit_s=1.0, seed=1, tile_m=1000.0)
    assert p.col_group is not None
    g = p.col_group[sol.selected]
    g = g[g >= 0]
    assert np.unique(g).size == g.size  # at most one site per pole group
    assert _met(p, sol.selected)
    key = tile_of_columns(p, x, y, 1000.0)
    pairs = np.flatnonzero(p.col_group >= 0)
    assert np.array_equal(key[pairs[0::2]], key[pairs[1::2]])  # a group stays in one tile


def test_threshold_keeps_small_models_on_the_direct_solve() -> None:
    p, _, _ = _model(n_cols=200)
    assert not decompose_applies(p, "min_cost")
    assert decompose_applies(p, "min_cost", min_cols=100)
    assert not decompose_applies(p, "max_coverage", min_cols=100)


def test_report_states_the_decomposition() -> None:
    from planner.report.html import _decomposition_rows

    d = {"tiles": 81, "tile_m": 3000.0, "repair_added": 12, "polish_removed": 40, "gap_whole_model": 0.0271,
         "windows": [{"shift": 0.5, "gain": 1700.0}, {"shift": 0.0, "gain": 42.0}],
         "area_shares": "spanning area targets split by the whole-model Lagrangian's knapsack"}
    assert _decomposition_rows({"stats": {}}, "zh") == []
    (zh_label, zh), = _decomposition_rows({"stats": {"decomposition": d}}, "zh")
    assert zh_label == "分区求解" and "81 个 3 公里" in zh and "拉格朗日" in zh
    (_, en), = _decomposition_rows({"stats": {"decomposition": d}}, "en")
    assert "81 tiles of 3 km" in en and "added 12" in en and "removed 40" in en
    assert "gap for the whole model 2.7" in en and "split by the whole-model Lagrangian" in en
    assert "全模型差距 2.7" in zh and "按全模型拉格朗日松弛分配" in zh
    assert "saved 1,742 万元" in en and "节省 1,742 万元" in zh
    assert "PDLP" not in en and "PDLP" not in zh
    d["bound_method"] = "Lagrangian L(u) of the whole reduced model ... at approximate LP duals u from PDLP"
    (_, zh), = _decomposition_rows({"stats": {"decomposition": d}}, "zh")
    (_, en), = _decomposition_rows({"stats": {"decomposition": d}}, "en")
    assert "at approximate LP duals (PDLP)" in en and "PDLP 近似线性规划对偶值" in zh


def test_whole_lagrangian_bound_is_valid_and_shares_add_up_to_the_target() -> None:
    """Any multipliers give a bound below the optimum; the tiles' shares of the spanning area sum to its need."""
    from planner.optimize.decompose import equal_shares, row_owner
    from planner.optimize.decompose_bound import WholeLagrangian, tile_shares

    p, x, y = _model(seed=7, n_cols=400, side_m=3000.0)
    exact = solve(p, "min_cost", time_limit_s=20.0, workers=1, seed=1)
    wl = WholeLagrangian(p, method="subgradient")  # PDLP multipliers: tests/test_decompose_bound.py
    assert wl.bound == wl.base_cost  # before any step: the trivial bound
    wl.run(400 * wl.per_iter, None, float("inf"))
    first = wl.bound
    wl.run(200 * wl.per_iter, exact.objective, float("inf"))  # continued: never lower, still valid
    assert wl.iterations == 600 and 0 < first <= wl.bound <= exact.bound + 1e-9 <= exact.objective + 1e-9
    col_tile = tile_of_columns(p, x, y, 1000.0)
    owner = row_owner(p, col_tile)
    shares = tile_shares(p, wl, col_tile, owner)
    keys = np.unique(owner[owner >= 0])
    assert shares.shape == (keys.size, p.n_areas) and ((shares >= 0) & (shares <= 1)).all()
    assert (shares[:, 1] == 1.0).all()  # the hub (target 1) is covered in every tile
    weight = np.zeros_like(shares)
    np.add.at(weight, (np.searchsorted(keys, owner[owner >= 0]), p.row_area[owner >= 0]), p.row_weight[owner >= 0])
    total = float(p.row_weight[p.row_area == 0].sum())
    # the spanning area's shares cover its target (a reduced row counts in the tile of its lowest column)
    assert abs(float((shares[:, 0] * weight[:, 0]).sum()) - 0.9 * total) <= 0.02 * total
    assert not np.allclose(shares[:, 0], shares[0, 0])  # not the same everywhere
    assert np.allclose(equal_shares(p, owner)[:, 0], equal_shares(p, owner)[0, 0])


def test_border_windows_only_take_cheaper_plans_that_keep_every_target() -> None:
    from planner.optimize.decompose_window import window_keys, window_pass

    p, x, y = _model(seed=8, n_cols=500, side_m=4000.0)
    sel = np.ones(p.n_cols, dtype=bool)  # every site: feasible and dear
    before = float(p.cost[sel].sum())
    st = window_pass(p, sel, p.a.tocsc(), x, y, 1500.0, 200.0, 3)
    assert st["windows"] == np.unique(window_keys(x, y, 1500.0)).size > 4 and st["improved"] > 0
    assert float(p.cost[sel].sum()) == before - st["gain"] < before
    assert _met(p, np.flatnonzero(sel))
    again = sel.copy()
    st2 = window_pass(p, again, p.a.tocsc(), x, y, 1500.0, 200.0, 3, shift=0.0)
    assert float(p.cost[again].sum()) <= float(p.cost[sel].sum()) and _met(p, np.flatnonzero(again))
    assert st2["gain"] >= 0
    sol = solve_decomposed(p, x, y, time_limit_s=2.0, seed=3, tile_m=1500.0)
    d = sol.stats["decomposition"]
    passes = [(w["side_m"], w["shift"]) for w in d["windows"]]  # in order, while the budget lasts
    assert 1 <= len(passes) and passes == [(round(f * 1500.0, 1), s) for f, s in WINDOW_PASSES][: len(passes)]
    spent = sol.stats["budget"]["work_used"]["windows"]
    assert spent > 0 and abs(spent - sum(w["work"] for w in d["windows"])) < 1e-6
    assert d["after_windows_cost"] <= d["stitched_cost"] and _met(p, sol.selected)


@pytest.mark.parametrize("cft_share", [0.0, 0.3])
def test_window_engine_starts_from_the_plan_and_never_returns_a_dearer_one(cft_share: float,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.optimize import decompose_window
    from planner.optimize.decompose_window import improve_window

    monkeypatch.setattr(decompose_window, "WINDOW_CFT_SHARE", cft_share)

    p, _, _ = _model(seed=5, n_cols=300, side_m=3000.0)
    every = np.ones(p.n_cols, dtype=bool)  # a plan meeting every target, dear
    out, used = improve_window(p, every.copy(), 100.0, 2)
    assert used > 0
    assert _met(p, np.flatnonzero(out)) and float(p.cost[out].sum()) < float(p.cost[every].sum())
    again, _ = improve_window(p, out.copy(), 100.0, 2)  # from a good plan: never dearer, and reproducible
    assert _met(p, np.flatnonzero(again)) and float(p.cost[again].sum()) <= float(p.cost[out].sum())
    assert np.array_equal(improve_window(p, every.copy(), 100.0, 2)[0], out)
