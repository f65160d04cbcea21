"""Multi-operator sharing (planner.optimize.operators): hand-solvable instances and scenario checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import ScenarioError
from planner.optimize import CoverageProblem
from planner.optimize.operators import evaluate_operators, solve_operators
from planner.scenario import load_scenario


def _op(rows: list[list[int]], cost: list[float], targets: list[float] | None = None) -> CoverageProblem:
    a = sp.csr_matrix(np.array(rows, dtype=np.int8))
    n_rows = a.shape[0]
    t = np.array(targets if targets is not None else [1.0])
    return CoverageProblem(
        a=a,
        cost=np.array(cost, float),
        row_weight=np.ones(n_rows),
        row_area=np.zeros(n_rows, np.int64),
        row_k=np.ones(n_rows, np.int64),
        area_target=t,
        area_names=["A"],
        col_ids=["T", "LA", "LB"][: a.shape[1]],
    )


# columns: tower T (6 万元, 1.8 to share), lamp LA (4, serves operator A only), lamp LB (4, serves B only)
COST = [6.0, 4.0, 4.0]
OPS = [_op([[1, 1, 0]], COST), _op([[1, 0, 1]], COST)]


def test_shared_tower_beats_two_lamps() -> None:
    r = solve_operators(OPS, np.array([3, 1, 1]), np.array([1.8, 1.2, 1.2]), time_limit_s=2, workers=1)
    # alone: each operator takes its lamp (4 + 4 = 8); together the tower: 6 + 1.8 = 7.8
    assert r.single_cost.tolist() == [4.0, 4.0]
    assert r.status == "optimal" and r.gap == 0.0
    assert r.plan.z.tolist() == [[True, False, False], [True, False, False]]
    assert r.plan.cost == pytest.approx(7.8)
    assert r.saving == pytest.approx(0.2)
    assert r.share_rate == pytest.approx(1.0)
    assert r.plan.operator_cost.tolist() == pytest.approx([6.0, 1.8])  # the first listed operator pays the site


def test_sharing_that_costs_more_than_two_lamps_is_not_chosen() -> None:
    r = solve_operators(OPS, np.array([3, 1, 1]), np.array([2.5, 1.2, 1.2]), time_limit_s=2, workers=1)
    assert r.plan.cost == pytest.approx(8.0) and r.share_rate == 0.0
    assert r.plan.z.tolist() == [[False, True, False], [False, False, True]]


def test_tenancy_cap_forces_a_second_pole() -> None:
    # a smart pole P (5 万元) serves both; lamps L1, L2 (7 each) serve one operator each
    ops = [_op([[1, 1, 0]], [5, 7, 7]), _op([[1, 0, 1]], [5, 7, 7])]
    shared = solve_operators(ops, np.array([2, 1, 1]), np.array([1.5, 2.1, 2.1]), time_limit_s=2, workers=1)
    assert shared.plan.cost == pytest.approx(6.5) and shared.plan.tenants.tolist() == [2, 0, 0]
    capped = solve_operators(ops, np.array([1, 1, 1]), np.array([1.5, 2.1, 2.1]), time_limit_s=2, workers=1)
    assert capped.status == "optimal"
    assert capped.plan.cost == pytest.approx(12.0)
    assert capped.plan.tenants.max() == 1 and int((capped.plan.tenants > 0).sum()) == 2
    assert capped.share_rate == 0.0


def test_random_instances_respect_caps_and_never_cost_more_than_the_singles() -> None:
    rng = np.random.default_rng(11)
    for trial in range(5):
        n_cols = 14
        cost = rng.integers(3, 12, n_cols).astype(float)
        share = np.round(0.3 * cost, 1)
        cap = rng.integers(1, 4, n_cols)
        ops = []
        for _ in range(2):
            a = (rng.random((12, n_cols)) < 0.2).astype(np.int8)
            a[np.arange(12), rng.integers(0, n_cols, 12)] = 1
            ops.append(
                CoverageProblem(
                    a=sp.csr_matrix(a),
                    cost=cost,
                    row_weight=np.ones(12),
                    row_area=np.zeros(12, np.int64),
                    row_k=np.ones(12, np.int64),
                    area_target=np.array([0.9]),
                    area_names=["A"],
                )
            )
        r = solve_operators(ops, cap, share, time_limit_s=3, workers=1, seed=trial)
        assert r.plan.feasible
        assert (r.plan.tenants <= cap).all()
        check = evaluate_operators(ops, r.plan.z, cap, share)
        assert check.cost == pytest.approx(r.plan.cost)
        union = evaluate_operators(ops, r.single_z, cap, share)
        if union.feasible:  # the singles side by side respect every cap: sharing can only save
            assert r.plan.cost <= r.single_cost.sum() + 1e-9
        assert r.bound <= r.plan.cost + 1e-9


def _scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text('[inputs]\nboundary = "b.geojson"\ncandidates = "c.csv"\n' + body, encoding="utf-8")
    return path


TWO = '[operators.a]\nname = "A"\nband = "n41"\n[operators.b]\nname = "B"\nband = "n78"\n'


@pytest.mark.parametrize(
    ("body", "key", "fix"),
    [
        (
            '[operators.a]\nname = "A"\nband = "n99"\n[operators.b]\nname = "B"\nband = "n78"\n',
            "operators.a.band",
            'band = "n41"',
        ),
        (
            TWO + "[candidates.types.smart_pole]\nmax_tenants = 0\n",
            "candidates.types.smart_pole.max_tenants",
            "from 1 to 10",
        ),
        (TWO + "[candidates.types.tower]\nshare_cost = -1\n", "candidates.types.tower.share_cost", ">= 0"),
        ('[operators.a]\nname = "A"\nband = "n41"\n', "operators", "two or more"),
        (
            TWO.replace('band = "n78"\n', 'band = "n78"\ntargets = {parks = 0.9}\n'),
            "operators.b.targets.parks",
            "priority class",
        ),
    ],
)
def test_bad_operator_sections_name_the_key(tmp_path: Path, body: str, key: str, fix: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_scenario(tmp_path, body))
    text = str(exc.value)
    assert f"[{key}]" in text and fix in text


def test_bad_operator_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    from planner.cli import main

    path = _scenario(tmp_path, TWO + "[candidates.types.smart_pole]\nmax_tenants = 0\n")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert not out.exists()


def test_tenancy_defaults_by_type_and_candidate_column_override(tmp_path: Path) -> None:
    import pandas as pd

    from planner.errors import InputDataError
    from planner.stages.rollout import tenancy

    sc = load_scenario(_scenario(tmp_path, TWO + "[candidates.types.tower]\nshare_cost = 2.0\n"))
    cands = pd.DataFrame(
        {
            "id": ["T1", "L1", "S1", "S2"],
            "type": ["tower", "street_lamp", "smart_pole", "smart_pole"],
            "cost": [6.0, 8.0, 18.0, 18.0],
            "max_tenants": [None, None, None, 3],
        }
    )
    cap, share = tenancy(sc, cands)
    assert cap.tolist() == [3, 1, 2, 3]
    assert share.tolist() == pytest.approx([2.0, 2.4, 5.4, 5.4])
    cands.loc[1, "max_tenants"] = 0
    with pytest.raises(InputDataError, match="max_tenants must be a whole number from 1 to 10"):
        tenancy(sc, cands)


def test_tiny_two_operator_run_end_to_end(tiny: Path, tmp_path: Path) -> None:
    import json

    import openpyxl

    import planner

    # every lamp hosts one operator: targets below the reachable share leave room for both (3-sector macros and
    # the mixture since issue 15: operator B reaches 40.5 % of 光谷广场; at 0.35–0.4 the joint plan cost more
    # than the two single plans, 103.8 > 100 and 207.8 > 196: left to the operators solver)
    both = TWO.replace(
        'band = "n41"\n', 'band = "n41"\ntargets = {public_place = 0.3, transport_hub = 0.3, central_urban = 0.25}\n'
    )
    both = both.replace(
        'band = "n78"\n', 'band = "n78"\ntargets = {public_place = 0.3, transport_hub = 0.3, central_urban = 0.25}\n'
    )
    tiny.write_text(tiny.read_text(encoding="utf-8") + "\n" + both, encoding="utf-8")
    plan = planner.run_scenario(tiny)
    rec = plan.solution["operators"]
    assert rec["violations"] == [] and len(rec["operators"]) == 2
    for e in rec["operators"]:  # every operator meets its targets
        assert all(c + 1e-9 >= t for c, t in zip(e["coverage"], e["targets"], strict=True))
    caps = {"street_lamp": 1, "tower": 3}
    assert all(
        int(n) <= caps[t] or b == "保留"
        for n, t, b in zip(plan.sites["tenants"], plan.sites["type"], plan.sites["build_mode"], strict=True)
    )
    assert rec["total_cost"] <= rec["single_total"] + 1e-9 or rec["stats"]["plans"]["singles"] > rec["single_total"]
    planner.write_plan(plan, tmp_path / "run")
    out = {f: tmp_path / "run" / f for f in ("sites.csv", "sites.xlsx", "report.html")}
    wb = openpyxl.load_workbook(out["sites.xlsx"])
    assert "多运营商共建共享" in wb.sheetnames
    html = out["report.html"].read_text(encoding="utf-8")
    assert 'id="operators-table"' in html and "共享率" in html
    # a map layer per tenancy count (layer names are JSON in the page's script: \u-escaped)
    assert "planner-rollout-site" in html and json.dumps("挂载运营商 1 (")[1:-1] in html


def test_jointly_unreachable_target_still_plans_the_second_operator() -> None:
    # pole P (5 万元, one tenant only) is the only server of operator A's row and of B's first row; lamp L (7)
    # serves B's second row. A takes P, so B cannot reach 100 %: the best effort gives B the lamp (50 %) and
    # reports the shortfall, instead of a plan with no site for B (before: B got nothing)
    a_op = _op([[1, 0]], [5, 7])
    b_op = _op([[1, 0], [0, 1]], [5, 7])
    r = solve_operators([a_op, b_op], np.array([1, 1]), np.array([1.5, 2.1]), time_limit_s=2, workers=1)
    assert r.status == "infeasible"
    assert r.plan.tenants.max() == 1  # the cap holds
    assert r.plan.z.tolist() == [[True, False], [False, True]]
    assert r.plan.coverage[1].tolist() == pytest.approx([0.5])
    assert len(r.plan.violations) == 1 and r.plan.violations[0].startswith("operator 1:")


def test_without_a_feasible_plan_the_buildable_plan_missing_least_is_chosen() -> None:
    # B's rows: row 0 only by P, row 1 by P or lamp L. Alone each operator takes P (the singles put two tenants
    # on a one-tenant pole: cheapest, 6.5, but not buildable); B first leaves A nothing (5, A misses 100 %);
    # A first gives B the lamp (12, B misses 50 %): the least shortfall among buildable plans
    a_op = _op([[1, 0]], [5, 7])
    b_op = _op([[1, 0], [1, 1]], [5, 7])
    r = solve_operators([a_op, b_op], np.array([1, 1]), np.array([1.5, 2.1]), time_limit_s=2, workers=1)
    assert r.status == "infeasible"
    assert r.plan.over_cap == 0 and r.plan.tenants.max() == 1
    assert r.plan.z.tolist() == [[True, False], [False, True]]
    assert r.plan.shortfall == pytest.approx(0.5)
