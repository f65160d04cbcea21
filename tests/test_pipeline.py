"""End-to-end: a tiny generated scenario through every stage, and the demo subset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import planner
from planner.errors import InfeasibleTargetError, InputDataError, ResourceLimitError

REPO = Path(__file__).resolve().parents[1]


def test_tiny_plan_meets_targets(tiny: Path) -> None:
    plan = planner.run_scenario(tiny)
    assert len(plan.sites) > 0
    areas = plan.areas.set_index("id")
    for _, row in areas.iterrows():
        assert row["coverage"] + 1e-9 >= min(row["target"], row["best_possible"]), row["name"]
        if row["best_possible"] + 1e-9 >= row["target"]:
            assert row["met"], row["name"]
    # the on-air tower is always part of the plan, at cost 0, as 保留
    on_air = plan.sites[plan.sites["id"] == "T002"]
    assert len(on_air) == 1 and on_air["build_mode"].iloc[0] == "保留" and on_air["cost"].iloc[0] == 0
    assert plan.solution["status"] in {"optimal", "feasible"}
    assert plan.solution["bound"] <= plan.solution["objective"] + 1e-6
    # covered cells have a best-server RSRP above the threshold
    thr = plan.scenario.radio.threshold_dbm
    assert np.all(plan.best_rsrp[plan.covered] >= thr - 1e-3)
    assert plan.grid.crs == "EPSG:4547"
    assert list(plan.sites["site_code"])[:1] == ["5G-M0001"]


def test_tiny_outputs_and_determinism(tiny: Path, tmp_path: Path) -> None:
    plan = planner.run_scenario(tiny)
    out = tmp_path / "run1"
    files = planner.write_plan(plan, out)
    for name in ("report.html", "plan.gpkg", "sites.csv", "manifest.json", "coverage.tif", "sites.xlsx", "sites.kml",
                 "sinr.tif", "overlap.tif"):
        assert (out / name).is_file(), name
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["seed"] == 7 and man["solver"]["status"] in {"optimal", "feasible"}
    assert set(man["inputs_sha256"]) == {"boundary", "candidates", "priority_areas"}
    assert man["radio"]["macro"]["model"] == "uma" and man["radio"]["micro"]["model"] == "umi"
    # the honest defaults (issue 15): the exact mixture, 3-sector macros, and the edge reliability delivered
    assert man["scenario"]["radio"]["los"] == "mixture" and man["scenario"]["radio"]["antenna"] == "sectors"
    for c in ("macro", "micro"):
        assert man["radio"][c]["los_mode"] == "mixture"
        assert man["radio"][c]["edge_probability_delivered"] == man["radio"][c]["edge_probability"] == 0.75
    assert man["radio"]["coverage_meta"]["antenna"]["macro"]["tilt_deg"] == "auto"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "边缘覆盖概率（实际，视距/非视距混合）" in html
    sinr = man["radio"]["interference"]  # SS-SINR/overlap per area (planner.radio.interference)
    assert [a["name"] for a in sinr["areas"]][-1] == "all" and len(sinr["areas"]) == len(plan.areas) + 1
    assert {"sinr", "overlap"} <= set(man["outputs"])
    plan2 = planner.run_scenario(tiny)
    planner.write_plan(plan2, tmp_path / "run2")
    assert (out / "sites.csv").read_bytes() == (tmp_path / "run2" / "sites.csv").read_bytes()
    assert files["report"] == out / "report.html"


def test_max_coverage_respects_site_cap(tiny: Path) -> None:
    plan = planner.run_scenario(tiny, overrides=["objective.kind=max_coverage", "objective.max_sites=3"])
    # the cap counts the sites the plan adds; the on-air tower (保留) is kept on top of it
    added = plan.sites[plan.sites["build_mode"] != "保留"]
    assert 1 <= len(added) <= 3
    assert (plan.sites["id"] == "T002").any()


def test_unreachable_target_is_capped_and_named(tiny: Path) -> None:
    plan = planner.run_scenario(tiny, overrides=["radio.threshold_dbm=-60"])
    assert any("cannot be met" in w for w in plan.warnings)
    assert (plan.areas["reason"] != "").any()


def test_unreachable_target_error_mode(tiny: Path) -> None:
    with pytest.raises(InfeasibleTargetError, match="cannot be met"):
        planner.run_scenario(tiny, overrides=["radio.threshold_dbm=-60", "objective.on_infeasible=error"])


def test_huge_grid_refused_before_allocating(tiny: Path) -> None:
    with pytest.raises(ResourceLimitError, match=r"resolution_m = "):
        planner.run_scenario(tiny, overrides=["grid.resolution_m=0.05"])


def test_missing_input_names_file(tiny: Path) -> None:
    (tiny.parent / "candidates.gpkg").unlink()
    with pytest.raises(InputDataError, match=r"candidates\.gpkg"):
        planner.run_scenario(tiny)


def test_validate_summary(tiny: Path) -> None:
    summary = planner.validate_scenario(tiny)
    assert summary["candidates"] == 42 and summary["crs"] == "EPSG:4547"


@pytest.mark.slow
def test_demo_small_end_to_end(tmp_path: Path) -> None:
    """The committed demo data on a 2 km × 2 km box around Optics Valley Square."""
    scenario = REPO / "data" / "scenarios" / "demo_small.toml"
    if not scenario.exists():
        pytest.skip("demo_small scenario not built")
    plan = planner.run_scenario(scenario)
    unmet = plan.areas[~plan.areas["met"]]
    # every area meets its target, or the report names why it cannot
    assert (unmet["reason"] != "").all()
    assert len(plan.sites) > 0
    planner.write_plan(plan, tmp_path / "demo_small")
    assert (tmp_path / "demo_small" / "report.html").stat().st_size > 10_000


def test_unbuilt_gpu_backend_is_refused_before_any_work(tiny: Path) -> None:
    from planner.errors import PlannerError

    with pytest.raises(PlannerError, match=r"compute\.backend: there is no GPU path.*Fix: use compute\.backend"):
        planner.run_scenario(tiny, overrides=["compute.backend=gpu"])


def test_terrain_clear_auto_on_a_partial_building_layer_is_explained() -> None:
    """demo_small's buildings cover ~8 % of the grid: ``auto`` uses the LOS probability for clear cells and says so."""
    from planner.pipeline import prepare_scenario

    prep = prepare_scenario(planner.load_scenario(REPO / "data" / "scenarios" / "demo_small.toml",
                                                  ["radio.terrain_clear=auto"]))
    assert prep.coverage.meta["los"] == "terrain ray-march (clear cells: probability)"
    assert any("radio.terrain_clear = auto" in w and "8%" in w for w in prep.warnings), prep.warnings


def test_build_order_of_the_plan(tiny: Path, tmp_path: Path) -> None:
    """Sites carry a build order (on air = 0, then 1..n) whose last step serves what the plan serves;
    the report draws it and a re-read run keeps it.
    """
    from planner.io.runio import read_run
    from planner.present.i18n import texts

    plan = planner.run_scenario(tiny)
    s = plan.sites
    on_air = (s["build_mode"] == "保留").to_numpy()
    assert on_air.any() and np.all(s.loc[on_air, "rollout_rank"] == 0)
    assert sorted(s.loc[~on_air, "rollout_rank"]) == list(range(1, int((~on_air).sum()) + 1))
    ordered = s.sort_values("rollout_rank", kind="stable")["rollout_served"].to_numpy(float)
    assert np.all(np.diff(ordered) >= -1e-9)
    assert 0.0 < ordered[-1] <= 1.0
    # the last site brings the served share to what the per-area table reports for the whole plan
    areas = plan.areas
    cell_w = areas["weight"] * areas["n_cells"]  # class weight per cell × cells (equal cells)
    served = float((cell_w * areas["coverage"]).sum() / cell_w.sum())
    assert ordered[-1] == pytest.approx(served, abs=1e-3)
    out = planner.write_plan(plan, tmp_path / "run")["report"].parent
    html = (out / "report.html").read_text(encoding="utf-8")
    assert texts("zh")["chart_rollout"] in html and texts("zh")["chart_areas"] in html
    again = read_run(out)
    assert again.sites["rollout_rank"].tolist() == s["rollout_rank"].tolist()


def test_site_cells_match_a_loop_per_site() -> None:
    """The one-pass per-site areas / cells / unique cells equal the plain loop over sites."""
    import scipy.sparse as sp

    from planner.stages.assemble import site_cells as _site_cells

    rng = np.random.default_rng(3)
    n_sites, n_cells, n_areas = 40, 500, 6
    csr = sp.random(n_sites, n_cells, density=0.05, format="csr", random_state=4)
    csr.sort_indices()
    cols = np.array([7, 3, 30, 12, 0, 39], dtype=np.int64)
    count = np.bincount(csr[cols].indices, minlength=n_cells).astype(np.int64)
    area_of_cell = rng.integers(-1, n_areas, n_cells)
    names = np.array([f"A{i}" for i in range(n_areas)], dtype=object)
    rank = np.array([3, 1, 3, 2, 0, 1])
    covers, n_cov, n_unique = _site_cells(csr, cols, count, area_of_cell, names, rank)
    for k, j in enumerate(cols):
        cells = csr.indices[csr.indptr[j]:csr.indptr[j + 1]]
        idx = np.unique(area_of_cell[cells])
        idx = idx[idx >= 0]
        idx = idx[np.argsort(-rank[idx], kind="stable")]
        assert covers[k] == "、".join(names[idx].tolist())
        assert n_cov[k] == cells.size and n_unique[k] == int((count[cells] == 1).sum())


def test_freed_memory_is_returned_without_error() -> None:
    from planner.stages.solve import return_freed_memory as _return_freed_memory

    _return_freed_memory()  # glibc: malloc_trim; elsewhere a no-op


def test_no_plan_in_time_is_a_warning_not_a_silent_result(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A solve that ends 'unknown' without a plan (a city at a short limit) says so in the warnings."""
    import dataclasses
    import math

    import planner.optimize as po

    real = po.solve

    def no_plan(problem, **kwargs):  # type: ignore[no-untyped-def]
        sol = real(problem, **kwargs)
        fixed = np.flatnonzero(np.asarray(problem.fixed, dtype=bool)).astype(np.int64)
        return dataclasses.replace(sol, status="unknown", objective=math.nan, gap=math.nan, selected=fixed)

    monkeypatch.setattr(po, "solve", no_plan)
    plan = planner.run_scenario(tiny)
    assert any("found no plan within solver.time_limit_s" in w for w in plan.warnings)
