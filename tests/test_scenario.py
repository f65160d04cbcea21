from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import ScenarioError
from planner.scenario import DEFAULT_TYPES, load_scenario, parse_override, scenario_from_dict


def test_defaults_and_relative_paths(tiny: Path) -> None:
    sc = load_scenario(tiny)
    assert sc.inputs.boundary == (tiny.parent / "boundary.geojson").resolve()
    assert sc.grid.resolution_m == 25
    assert sc.demand.classes["rail_station"].k == 2
    # the cost ladder of the defaults: share < reuse < new pole < new tower
    t = DEFAULT_TYPES
    assert t["tower"].cost < t["street_lamp"].cost < t["smart_pole"].cost < t["new_site"].cost


def test_overrides_are_typed_and_recorded(tiny: Path) -> None:
    sc = load_scenario(tiny, ["objective.kind=max_coverage", "objective.max_sites=12", "radio.band=n41"])
    assert sc.objective.kind == "max_coverage"
    assert sc.objective.max_sites == 12
    assert sc.radio.band == "n41"
    assert sc.overrides == ("objective.kind=max_coverage", "objective.max_sites=12", "radio.band=n41")


def test_partial_class_override_keeps_other_defaults(tiny: Path) -> None:
    sc = load_scenario(tiny, ["demand.classes.park.target=0.5"])
    assert sc.demand.classes["park"].target == 0.5
    assert sc.demand.classes["park"].weight == 3
    assert sc.demand.classes["airport"].target == 0.98


def test_every_problem_at_once(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({"inputs": {"boundary": "a"}, "grid": {"resolutoin_m": 3}, "objective": {"budget": -1}})
    text = str(err.value)
    assert "3 problems" in text
    assert "inputs.candidates" in text and "grid.resolutoin_m" in text and "objective.budget" in text
    assert "Fix:" in text


def test_extends_and_cycle(tiny: Path) -> None:
    variant = tiny.parent / "variant.toml"
    variant.write_text(
        'extends = "scenario.toml"\n[objective]\nkind = "max_coverage"\nmax_sites = 3\n', encoding="utf-8"
    )
    sc = load_scenario(variant)
    assert sc.objective.max_sites == 3 and sc.grid.resolution_m == 25
    a, b = tiny.parent / "a.toml", tiny.parent / "b.toml"
    a.write_text('extends = "b.toml"\n', encoding="utf-8")
    b.write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(a)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\nname=1", encoding="utf-8")
    with pytest.raises(ScenarioError, match="invalid TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("item", "keys", "value"),
    [
        ("a.b=3", ["a", "b"], 3),
        ("a=x y", ["a"], "x y"),
        ("a.b=0.5", ["a", "b"], 0.5),
        ('a="n78"', ["a"], "n78"),
    ],
)
def test_parse_override(item: str, keys: list[str], value: object) -> None:
    assert parse_override(item) == (keys, value)


def test_override_without_equals() -> None:
    with pytest.raises(ScenarioError, match="no '='"):
        parse_override("objective.kind")


def test_grid_crs_as_a_bare_epsg_number() -> None:
    sc = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}, "grid": {"crs": 4547}})
    assert sc.grid.crs == "EPSG:4547"


def test_input_paths_windows_separators_and_home(tmp_path: Path) -> None:
    (tmp_path / "scenario.toml").write_text(
        "[inputs]\nboundary = 'data\\b.geojson'\ncandidates = \"~/c.csv\"\n", encoding="utf-8"
    )
    sc = load_scenario(tmp_path / "scenario.toml")
    assert sc.inputs.boundary == (tmp_path / "data" / "b.geojson").resolve()
    assert sc.inputs.candidates == Path("~/c.csv").expanduser()


def test_unknown_type_name_reported_once(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(
            {"inputs": {"boundary": "b", "candidates": "c"}, "candidates": {"types": {"lamp": {"height_m": 9}}}}
        )
    assert len(err.value.problems) == 1
    text = str(err.value)
    assert "[candidates.types.lamp]" in text and "unknown name 'lamp'" in text and "street_lamp" in text


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64 + 5])
def test_seed_outside_signed_64_bit_refused(seed: int) -> None:
    with pytest.raises(ScenarioError, match=r"\[scenario.seed\].*2\^63 − 1"):
        scenario_from_dict({"inputs": {"boundary": "b", "candidates": "c"}, "scenario": {"seed": seed}})
    ok = scenario_from_dict({"inputs": {"boundary": "b", "candidates": "c"}, "scenario": {"seed": 2**63 - 1}})
    assert ok.scenario.seed == 2**63 - 1


@pytest.mark.parametrize("item", ["objective.max_sites=4\nsolver.time_limit_s=1", "scenario.name=a\rb", "a.b=\n3"])
def test_override_with_a_line_break_refused(item: str) -> None:
    with pytest.raises(ScenarioError, match="line break"):
        parse_override(item)


@pytest.mark.parametrize("key", ["radio.threshold_dbm", "grid.resolution_m", "objective.budget", "radio.ue_gain_dbi"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_non_finite_numbers_refused(key: str, value: str) -> None:
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")):
        scenario_from_dict({"inputs": {"boundary": "b", "candidates": "c"}}, overrides=(f"{key}={value}",))


@pytest.mark.parametrize("cost", [0, -1, 1e6 + 1, 1e300])
def test_type_default_cost_range(cost: float) -> None:
    with pytest.raises(ScenarioError, match=r"candidates\.types\.tower\.cost"):
        scenario_from_dict(
            {"inputs": {"boundary": "b", "candidates": "c"}, "candidates": {"types": {"tower": {"cost": cost}}}}
        )


def test_scenario_fifo_and_symlink_loop_refused_at_once(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="named pipe"):
        load_scenario(fifo)  # must not block on open
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    with pytest.raises(ScenarioError, match="symlink loop"):
        load_scenario(tmp_path / "a.toml")


def test_input_symlink_loop_is_kept_for_the_reader(tmp_path: Path) -> None:
    (tmp_path / "x.csv").symlink_to(tmp_path / "y.csv")
    (tmp_path / "y.csv").symlink_to(tmp_path / "x.csv")
    (tmp_path / "scenario.toml").write_text(
        "[inputs]\nboundary = 'b.geojson'\ncandidates = 'x.csv'\n", encoding="utf-8"
    )
    sc = load_scenario(tmp_path / "scenario.toml")  # Path.resolve raises RuntimeError on loops in 3.11
    assert sc.inputs.candidates.name == "x.csv"


#: ``[solver]`` values written in the scenario file (TOML text) that must be refused, naming the key and the fix
BAD_SOLVER_VALUES = [
    ("time_limit_s", "0"),
    ("time_limit_s", "-1.5"),
    ("time_limit_s", '"60"'),
    ("time_limit_s", "nan"),
    ("time_limit_s", "inf"),
    ("time_limit_s", "false"),
    ("time_limit_s", "1e308"),
    ("time_limit_s", "[60]"),
    ("time_limit_s", "{ s = 60 }"),
    ("work_limit", "-1"),
    ("work_limit", "-inf"),
    ("work_limit", "nan"),
    ("work_limit", "true"),
    ("work_limit", '"12000"'),
    ("work_limit", "99999999999999999999"),
    ("workers", "0"),
    ("workers", "3.5"),
    ("workers", "2.0"),
    ("workers", "true"),
    ("workers", '"two"'),
    ("workers", "9223372036854775807"),
]


@pytest.mark.parametrize(("key", "value"), BAD_SOLVER_VALUES)
def test_bad_solver_value_in_the_file_names_the_key_and_the_fix_once(tiny: Path, key: str, value: str) -> None:
    text = tiny.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith(f"{key} =")) if f"\n{key} =" in text else ""
    tiny.write_text(
        text.replace(line, f"{key} = {value}") if line else text.replace("[solver]", f"[solver]\n{key} = {value}"),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(tiny)
    (problem,) = err.value.problems
    assert problem.where == f"[solver.{key}]" and problem.source == str(tiny)
    assert "e.g." in problem.fix and "right type" not in problem.fix  # the key's own fix, not the generic one
    assert "e.g." not in problem.message and "Value error" not in problem.message  # said once, no pydantic prefix


def test_a_bad_value_given_by_set_names_the_override(tiny: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(tiny, ["solver.workers=2", "solver.time_limit_s=0", "report.language=en"])
    (problem,) = err.value.problems
    assert problem.source == f"{tiny} (--set solver.time_limit_s=0)"
    assert problem.where == "[solver.time_limit_s]" and problem.message == "out of range (got 0)"
    assert problem.fix == "give a number of seconds above 0 and at most 1e6, e.g. time_limit_s = 60"
    # a later --set of the same key is the one named; a whole table given by --set names it too
    with pytest.raises(ScenarioError) as err:
        load_scenario(tiny, ["solver.workers=0", "solver.workers=65"])
    assert err.value.problems[0].source.endswith("(--set solver.workers=65)")
    with pytest.raises(ScenarioError) as err:
        load_scenario(tiny, ["solver={ work_limit = -2 }"])
    assert err.value.problems[0].source.endswith("(--set solver={ work_limit = -2 })")


@pytest.mark.parametrize(
    ("key", "value"),
    [("time_limit_s", "1e6"), ("work_limit", "0"), ("work_limit", "1e12"), ("workers", "64"), ("time_limit_s", "0.5")],
)
def test_solver_values_at_the_ends_of_their_range_pass(tiny: Path, key: str, value: str) -> None:
    sc = load_scenario(tiny, [f"solver.{key}={value}"])
    assert getattr(sc.solver, key) == float(value)
