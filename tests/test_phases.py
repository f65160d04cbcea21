"""Phased roll-out (planner.optimize.phases): hand-solvable instances and scenario checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import ScenarioError
from planner.optimize import CoverageProblem
from planner.optimize.phases import PhaseSpec, evaluate_phases, solve_phases
from planner.scenario import load_scenario


def _problem(rows: list[list[int]], cost: list[float], row_area: list[int], n_areas: int) -> CoverageProblem:
    a = sp.csr_matrix(np.array(rows, dtype=np.int8))
    return CoverageProblem(
        a=a,
        cost=np.array(cost, float),
        row_weight=np.ones(len(rows)),
        row_area=np.array(row_area),
        row_k=np.ones(len(rows), np.int64),
        area_target=np.ones(n_areas),
        area_names=[f"A{i}" for i in range(n_areas)],
    )


# rows A1, A2 (area A), B1 (area B); s0 serves A (4 万元), s1 serves A and B (6), s2 serves B (5)
EARLY = _problem([[1, 1, 0], [1, 1, 0], [0, 1, 1]], [4, 6, 5], [0, 0, 1], 2)
EARLY_SPECS = [PhaseSpec("2020", np.array([1.0, 0.0])), PhaseSpec("2021", np.array([1.0, 1.0]))]


def test_early_site_that_serves_later_phases_beats_the_myopic_plan() -> None:
    # myopic: s0 in 2020 (4), then s2 in 2021 (5) = 9; joint: s1 in 2020 = 6 (also with discounting: 6 < 4 + 5/1.1)
    for rate in (0.0, 0.1):
        r = solve_phases(EARLY, EARLY_SPECS, discount_rate=rate, time_limit_s=2, workers=1)
        assert r.status == "optimal" and r.gap == 0.0
        assert r.plan.phase.tolist() == [-1, 0, -1]
        assert r.myopic.phase.tolist() == [0, -1, 1]
        assert r.plan.total_cost == pytest.approx(6.0)
        assert r.myopic.discounted_cost == pytest.approx(4 + 5 / (1 + rate))
        assert r.saving == pytest.approx(4 + 5 / (1 + rate) - 6)
        assert r.bound == pytest.approx(6.0)


def test_discounting_builds_a_site_only_needed_later_in_the_later_phase() -> None:
    # area B is targeted in 2021 only; with a discount rate the site is cheaper built in 2021
    p = _problem([[1, 0], [0, 1]], [4, 5], [0, 1], 2)
    r = solve_phases(p, EARLY_SPECS, discount_rate=0.25, time_limit_s=2, workers=1)
    assert r.plan.phase.tolist() == [0, 1]
    assert r.plan.discounted_cost == pytest.approx(4 + 5 / 1.25)


# rows A1, A2 of one area; s0 serves A1 (4), s1 serves both (7), s2 serves A2 (4)
BUDGET = _problem([[1, 1, 0], [0, 1, 1]], [4, 7, 4], [0, 0], 1)


def test_binding_budget_pushes_a_site_to_the_next_phase() -> None:
    free = [PhaseSpec("一期", np.array([0.5])), PhaseSpec("二期", np.array([1.0]))]
    r = solve_phases(BUDGET, free, time_limit_s=2, workers=1)
    assert r.plan.phase.tolist() == [-1, 0, -1] and r.plan.total_cost == pytest.approx(7.0)
    capped = [PhaseSpec("一期", np.array([0.5]), budget=5), PhaseSpec("二期", np.array([1.0]))]
    r = solve_phases(BUDGET, capped, time_limit_s=2, workers=1)
    # s1 (7) no longer fits the first budget: s0 now, s2 next phase = 8 (s0 then s1 would be 11)
    assert r.status == "optimal"
    assert r.plan.phase.tolist() == [0, -1, 1] and r.plan.total_cost == pytest.approx(8.0)
    assert r.plan.new_cost.tolist() == [4.0, 4.0]
    assert r.plan.feasible and r.plan.discounted_cost <= r.myopic.discounted_cost + 1e-9


def test_site_cap_per_phase() -> None:
    capped = [PhaseSpec("一期", np.array([1.0]), max_sites=1), PhaseSpec("二期", np.array([1.0]))]
    r = solve_phases(BUDGET, capped, time_limit_s=2, workers=1)
    assert r.plan.phase.tolist() == [-1, 0, -1]
    with_cap = [PhaseSpec("一期", np.array([1.0]), budget=7.5, max_sites=1), PhaseSpec("二期", np.array([1.0]))]
    assert solve_phases(BUDGET, with_cap, time_limit_s=2, workers=1).plan.feasible


def test_budget_too_small_is_named() -> None:
    specs = [PhaseSpec("2020", np.array([1.0]), budget=3), PhaseSpec("2021", np.array([1.0]))]
    r = solve_phases(BUDGET, specs, time_limit_s=2, workers=1)
    assert r.status == "infeasible"
    assert [(i["phase"], i["reason"]) for i in r.infeasible] == [("2020", "budget too small for the target")]
    assert "need at least 7.0 万元" in r.infeasible[0]["message"] and "allow 3 万元" in r.infeasible[0]["message"]


def test_unreachable_demand_is_named() -> None:
    p = _problem([[1, 0], [0, 0]], [4, 5], [0, 1], 2)
    specs = [PhaseSpec("2020", np.array([1.0, 0.0])), PhaseSpec("2021", np.array([1.0, 0.5]))]
    r = solve_phases(p, specs, time_limit_s=2, workers=1)
    assert r.status == "infeasible"
    assert [(i["phase"], i["reason"]) for i in r.infeasible] == [("2021", "unreachable demand")]


def test_random_instances_meet_every_phase_and_never_cost_more_than_myopic() -> None:
    rng = np.random.default_rng(5)
    for trial in range(6):
        n_rows, n_cols = 14, 12
        a = (rng.random((n_rows, n_cols)) < 0.25).astype(np.int8)
        a[np.arange(n_rows), rng.integers(0, n_cols, n_rows)] = 1
        area = rng.integers(0, 3, n_rows)
        p = CoverageProblem(
            a=sp.csr_matrix(a),
            cost=rng.integers(2, 9, n_cols).astype(float),
            row_weight=np.ones(n_rows),
            row_area=area,
            row_k=np.ones(n_rows, np.int64),
            area_target=np.ones(3),
            area_names=["a", "b", "c"],
        )
        specs = [
            PhaseSpec("1", np.array([0.8, 0, 0]), budget=12),
            PhaseSpec("2", np.array([1.0, 0.6, 0])),
            PhaseSpec("3", np.array([1.0, 1.0, 0.9])),
        ]
        r = solve_phases(p, specs, discount_rate=0.05 * trial, time_limit_s=3, workers=1, seed=trial)
        assert r.plan.discounted_cost <= r.myopic.discounted_cost + 1e-9
        if r.status != "infeasible":
            check = evaluate_phases(p, specs, r.plan.phase, r.discount)
            assert check.feasible
            assert np.all(np.diff(check.coverage, axis=0) >= -1e-12)  # built sites stay built
            assert r.bound <= r.plan.discounted_cost + 1e-9


def _scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text('[inputs]\nboundary = "b.geojson"\ncandidates = "c.csv"\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "key", "fix"),
    [
        ('[[phases]]\nname = "2021"\n[[phases]]\nname = "2020"\n', "phases.1.name", "time order"),
        (
            '[[phases]]\nname = "2020"\ntargets = {park = 0.9}\n[[phases]]\nname = "2021"\ntargets = {park = 0.8}\n',
            "phases.1.targets.park",
            "cumulative",
        ),
        ('[[phases]]\nname = "2020"\ntargets = {airprot = 0.9}\n', "phases.0.targets.airprot", "priority class"),
        ('[[phases]]\nname = "2020"\nbudget = -5\n', "phases.0.budget", "0 = no cap"),
        ('[[phases]]\nname = "2020"\n[objective]\nkind = "max_coverage"\n', "objective.kind", "min_cost"),
    ],
)
def test_bad_phase_sections_name_the_key(tmp_path: Path, body: str, key: str, fix: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_scenario(tmp_path, body))
    text = str(exc.value)
    assert f"[{key}]" in text and fix in text


def test_bad_phase_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    from planner.cli import main

    path = _scenario(tmp_path, '[[phases]]\nname = "2021"\n[[phases]]\nname = "2020"\n')
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert not out.exists()


PHASED = """
[[phases]]
name = "2020"
budget = 0
[phases.targets]
transport_hub = 0.9

[[phases]]
name = "2021"
[phases.targets]
public_place = 0.9
central_urban = 0.8
"""


def test_tiny_phased_run_end_to_end(tiny: Path, tmp_path: Path) -> None:
    import csv
    import json

    import openpyxl

    import planner

    tiny.write_text(tiny.read_text(encoding="utf-8") + PHASED, encoding="utf-8")
    plan = planner.run_scenario(tiny)
    rec = plan.solution["phases"]
    assert rec["joint"]["feasible"] and rec["joint"]["discounted_cost"] <= rec["myopic"]["discounted_cost"] + 1e-9
    assert rec["bound"] is not None and rec["bound"] <= rec["joint"]["discounted_cost"] + 1e-9
    assert set(plan.sites["phase"]) <= {"2020", "2021"} and len(plan.sites) > 0
    # cumulative coverage never falls and every phase meets its targets
    cov = np.array(rec["coverage"]["joint"])
    targets = np.array(rec["targets"])
    assert (cov + 1e-9 >= targets).all() and (np.diff(cov, axis=0) >= -1e-12).all()
    planner.write_plan(plan, tmp_path / "run")
    out = {f: tmp_path / "run" / f for f in ("sites.csv", "sites.xlsx", "report.html")}
    header = next(csv.reader(open(out["sites.csv"], encoding="utf-8-sig")))
    assert header[-1] == "建设期"
    assert "分期建设（建设期）" in openpyxl.load_workbook(out["sites.xlsx"]).sheetnames
    html = out["report.html"].read_text(encoding="utf-8")
    assert 'id="phases-table"' in html and 'id="phases-compare-table"' in html
    # a map layer per phase (layer names are JSON in the page's script: \u-escaped)
    assert "planner-rollout-site" in html and json.dumps("建设期 2020 (")[1:-1] in html
    again = planner.read_run(tmp_path / "run")  # plan.gpkg keeps the phase of every site
    assert sorted(again.sites["phase"]) == sorted(plan.sites["phase"])


def test_single_plan_site_table_has_no_rollout_columns(tiny: Path, tmp_path: Path) -> None:
    import csv

    import planner
    from planner.present.i18n import texts
    from planner.present.tables import SITE_COLUMNS

    plan = planner.run_scenario(tiny)
    planner.write_plan(plan, tmp_path / "run")
    out = {f: tmp_path / "run" / f for f in ("sites.csv", "sites.xlsx", "report.html")}
    header = next(csv.reader(open(out["sites.csv"], encoding="utf-8-sig")))
    assert len(header) == len(SITE_COLUMNS) and texts("zh")["phase"] not in header and "运营商" not in header
    assert 'id="phases-table"' not in out["report.html"].read_text(encoding="utf-8")


def test_same_model_and_seed_give_the_same_phases() -> None:
    rng = np.random.default_rng(2)
    a = (rng.random((16, 12)) < 0.3).astype(np.int8)
    a[np.arange(16), rng.integers(0, 12, 16)] = 1
    p = CoverageProblem(
        a=sp.csr_matrix(a),
        cost=rng.integers(2, 9, 12).astype(float),
        row_weight=np.ones(16),
        row_area=rng.integers(0, 2, 16),
        row_k=np.ones(16, np.int64),
        area_target=np.ones(2),
        area_names=["a", "b"],
    )
    specs = [PhaseSpec("1", np.array([0.7, 0.0]), budget=15), PhaseSpec("2", np.array([1.0, 0.9]))]
    runs = [solve_phases(p, specs, discount_rate=0.1, time_limit_s=2, workers=2, seed=7) for _ in range(2)]
    assert runs[0].plan.phase.tolist() == runs[1].plan.phase.tolist()
    assert runs[0].bound == runs[1].bound and runs[0].source == runs[1].source


def test_phase_target_for_an_unknown_area_id_exits_2_and_writes_nothing(tiny: Path, tmp_path: Path) -> None:
    from planner.cli import main

    tiny.write_text(
        tiny.read_text(encoding="utf-8") + '\n[[phases]]\nname = "2020"\n[phases.targets]\nA9 = 0.5\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out)]) == 2
    assert not out.exists()
    with pytest.raises(ScenarioError, match=r"\[phases\.0\.targets\.A9\].*area ids \(A1, A2, A3"):
        import planner

        planner.run_scenario(tiny)
