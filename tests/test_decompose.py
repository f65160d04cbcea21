"""Spatial decomposition of the solve (planner.optimize.decompose) on generated city-like models."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planner.optimize import solve
from planner.optimize.decompose import (
    BOUND_METHOD,
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

    def reversed_runner(tasks: Any) -> list[Any]:  # a pool finishing in another order
        return [solve_tile(t) for t in tasks[::-1]][::-1]

    b = solve_decomposed(p, x, y, time_limit_s=1.0, seed=5, tile_m=1500.0, run_tiles=reversed_runner)
    assert np.array_equal(a.selected, b.selected) and a.objective == b.objective and a.bound == b.bound


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

    d = {"tiles": 81, "tile_m": 3000.0, "repair_added": 12, "polish_removed": 40}
    assert _decomposition_rows({"stats": {}}, "zh") == []
    (zh_label, zh), = _decomposition_rows({"stats": {"decomposition": d}}, "zh")
    assert zh_label == "分区求解" and "81 个 3 公里" in zh and "拉格朗日" in zh
    (_, en), = _decomposition_rows({"stats": {"decomposition": d}}, "en")
    assert "81 tiles of 3 km" in en and "added 12" in en and "removed 40" in en
