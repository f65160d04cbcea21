"""Sweeps, run read-back and comparison through the Python API (tiny generated scenario)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planner
from planner.errors import ScenarioError
from planner.workflow.sweep_result import SweepResult, Variant, pareto_front
from planner.workflow.sweeps import parse_params, shares_preparation
from tests.conftest import TINY_TOML, write_tiny_inputs


def test_parse_params_cartesian_product() -> None:
    vs = parse_params(["objective.max_sites=5,10", "radio.band=n78,n41"])
    assert [v.label for v in vs] == [
        "max_sites=5, band=n78",
        "max_sites=5, band=n41",
        "max_sites=10, band=n78",
        "max_sites=10, band=n41",
    ]
    assert vs[0] == Variant(
        "max_sites=5, band=n78", ("objective.max_sites=5", "radio.band=n78"), "1_max_sites-5_band-n78"
    )
    assert len({v.folder for v in vs}) == 4


def test_parse_params_keeps_bracketed_values_and_names_clashes() -> None:
    vs = parse_params(['report.title="a,b",c', "solver.gap_limit=0.0,0.01"])
    assert [v.overrides[0] for v in vs[::2]] == ['report.title="a,b"', "report.title=c"]
    vs = parse_params(["radio.macro.model=uma,rma", "radio.micro.model=umi"])
    assert vs[0].label == "radio.macro.model=uma, radio.micro.model=umi"


@pytest.mark.parametrize("bad", [[], ["objective.max_sites"], ["objective.max_sites="], ["a.b=1", "a.b=2"]])
def test_parse_params_rejects(bad: list[str]) -> None:
    with pytest.raises(ScenarioError):
        parse_params(bad)


def test_bad_param_value_is_named_as_param(tmp_path: Path) -> None:
    """A bad value a ``--param`` gives is named as that --param item, not as a ``--set``."""
    from planner.workflow.sweeps import _resolve_variants

    write_tiny_inputs(tmp_path)
    path = tmp_path / "s.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        _resolve_variants(path, ["solver.time_limit_s=10,-1"], ["solver.workers=1"])
    sources = [p.source for p in err.value.problems]
    assert sources and all(s.endswith("(--param solver.time_limit_s=-1)") for s in sources), sources


def test_shares_preparation() -> None:
    assert shares_preparation(["objective.max_sites", "solver.time_limit_s", "candidates.max_per_type.tower"])
    assert not shares_preparation(["objective.budget", "radio.band"])
    assert not shares_preparation(["candidates.merge_within_m"])
    assert shares_preparation(["report.basemap"]) and not shares_preparation(["report.language"])


def test_pareto_front() -> None:
    t = pd.DataFrame({"cost": [10.0, 20.0, 20.0, 30.0, np.nan], "coverage": [0.5, 0.7, 0.6, 0.7, np.nan]})
    assert pareto_front(t).tolist() == [True, True, False, False, False]


@pytest.fixture(scope="module")
def tiny_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    write_tiny_inputs(d)
    (d / "scenario.toml").write_text(TINY_TOML, encoding="utf-8")
    return d / "scenario.toml"


@pytest.fixture(scope="module")
def tiny_sweep(tiny_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> SweepResult:
    out = tmp_path_factory.mktemp("sweeps") / "s"
    return planner.sweep(tiny_scenario, ["objective.max_sites=2,3,5,8"], out_dir=out, jobs=1)


def test_sweep_is_monotone_and_shares_coverage(tiny_sweep: SweepResult) -> None:
    r = tiny_sweep
    assert r.shared_coverage
    assert any("max_coverage" in n for n in r.notes)
    t = r.table
    assert list(t["label"]) == ["max_sites=2", "max_sites=3", "max_sites=5", "max_sites=8"]
    assert (t["exit_code"] == 0).all() and r.exit_code == 0
    for cap, plan in zip([2, 3, 5, 8], r.plans.values(), strict=True):  # sites already on air are not capped
        assert len(plan.sites) <= cap + int((plan.sites["status"] == "existing_5g").sum())
    cov = t["coverage"].to_numpy(float)
    assert np.all(np.diff(cov) >= -1e-9), cov  # more sites never covers less
    for plan in r.plans.values():
        assert plan.scenario.objective.kind == "max_coverage"
        assert plan.extras["pareto"] and len(plan.extras["pareto"]) == 4
    assert r.recommend() in set(t["label"])


def test_sweep_folder(tiny_sweep: SweepResult) -> None:
    out = tiny_sweep.out_dir
    assert out is not None
    names = {p.name for p in out.iterdir()}
    assert {"sweep.csv", "sweep.json", "pareto.png", "report.html"} <= names
    for v in tiny_sweep.variants:
        assert (out / v.folder / "report.html").is_file() and (out / v.folder / "manifest.json").is_file()
    csv = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(csv) == 4
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "<script" not in html
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_without_shared_coverage_matches(tiny_scenario: Path) -> None:
    """A swept key that changes coverage recomputes it per variant (here in worker processes)."""
    r = planner.sweep(tiny_scenario, ["radio.threshold_dbm=-110,-100"], jobs=2)
    assert not r.shared_coverage
    cells = [int(p.covered.sum()) for p in r.plans.values()]
    assert cells[0] >= cells[1]


def test_read_run_round_trip(tiny_sweep: SweepResult) -> None:
    v = tiny_sweep.variants[2]
    assert tiny_sweep.out_dir is not None
    plan = tiny_sweep.plans[v.label]
    back = planner.read_run(tiny_sweep.out_dir / v.folder)
    assert back.grid == plan.grid
    np.testing.assert_array_equal(back.demand_mask, plan.demand_mask)
    np.testing.assert_array_equal(back.covered, plan.covered)
    np.testing.assert_array_equal(np.isnan(back.best_rsrp), np.isnan(plan.best_rsrp))
    np.testing.assert_allclose(
        back.best_rsrp[~np.isnan(back.best_rsrp)], plan.best_rsrp[~np.isnan(plan.best_rsrp)], atol=1e-3
    )
    assert sorted(back.sites["id"]) == sorted(plan.sites["id"])
    assert list(back.areas["id"]) == list(plan.areas["id"])
    np.testing.assert_allclose(
        back.areas["coverage"].to_numpy(float), plan.areas["coverage"].to_numpy(float), atol=1e-6
    )
    assert back.scenario.objective == plan.scenario.objective
    assert back.solution["status"] == plan.solution["status"]
    assert back.summary().loc["selected sites", "value"] == len(plan.sites)


def test_compare_plans(tiny_sweep: SweepResult, tmp_path: Path) -> None:
    a, b = tiny_sweep.plan(0), tiny_sweep.plan(3)
    cmp = planner.compare_runs(a, b, out_dir=tmp_path / "cmp")
    c = cmp.counts()
    assert c["kept"] + c["removed"] == len(a.sites) and c["kept"] + c["added"] == len(b.sites)
    assert set(cmp.sites["change"]) <= {"added", "removed", "kept"}
    assert list(cmp.areas["id"]) == list(b.areas["id"])
    np.testing.assert_allclose(
        cmp.areas["change_pp"], 100 * (b.areas["coverage"].to_numpy() - a.areas["coverage"].to_numpy()), atol=1e-3
    )
    html = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    assert '<script src="http' not in html and "https://cdn" not in html
    assert pd.read_csv(tmp_path / "cmp" / "compare.csv", encoding="utf-8-sig").shape[0] == len(cmp.sites)


def test_rsrp_change_same_plan_is_zero(tiny_sweep: SweepResult) -> None:
    from planner.workflow.compare import rsrp_change, rsrp_change_figure

    p = tiny_sweep.plan(1)
    s = rsrp_change(p, p)
    assert s["lost"] == 0 and s["gained"] == 0 and s["mean_change_db"] == 0.0
    fig = rsrp_change_figure(p, tiny_sweep.plan(2))
    assert len(fig.axes) == 6  # three panels and their colour bars


def test_sweep_with_an_infeasible_variant(tiny_scenario: Path, tmp_path: Path) -> None:
    """The infeasible variant gets diagnostics.json, the others their run folder; exit code 3."""
    r = planner.sweep(tiny_scenario, ["objective.on_infeasible=cap,error"], out_dir=tmp_path / "s", jobs=1)
    assert r.exit_code == 3
    assert set(r.plans) == {"on_infeasible=cap"} and set(r.failures) == {"on_infeasible=error"}
    assert "cannot be met" in r.failures["on_infeasible=error"]["message"]
    ok, bad = r.variants
    assert (tmp_path / "s" / ok.folder / "report.html").is_file()
    diag = json.loads((tmp_path / "s" / bad.folder / "diagnostics.json").read_text(encoding="utf-8"))
    assert diag["status"] == "infeasible" and diag["exit_code"] == 3
    assert "error" in (tmp_path / "s" / "report.html").read_text(encoding="utf-8")


def test_sweep_refuses_a_file_as_output_before_computing(tiny_scenario: Path, tmp_path: Path) -> None:
    from planner.errors import PlannerError

    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(PlannerError, match="is a file"):
        planner.sweep(tiny_scenario, ["objective.max_sites=1,2"], out_dir=target)
