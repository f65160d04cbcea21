"""`planner init` scaffolding and the sample-input helper (no engine needed)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import BaseModel

import planner
from planner.errors import PlannerError
from planner.scenario import Scenario, load_scenario
from planner.workflow.scaffold import (
    CANDIDATE_HEADERS,
    init_project,
    sample_inputs,
    template_text,
    write_sample_inputs,
)


def _leaves(model: type[BaseModel] | BaseModel, prefix: str = "") -> dict[str, Any]:
    """Every TOML key of a scenario model with its default (dict-valued fields as tables)."""
    out: dict[str, Any] = {}
    inst = model if isinstance(model, BaseModel) else None
    cls = type(model) if inst is not None else model
    for name, f in cls.model_fields.items():  # type: ignore[union-attr]
        if f.exclude:
            continue
        value = getattr(inst, name) if inst is not None else f.get_default(call_default_factory=True)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out.update(_leaves(value, key + "."))
        elif isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            for k, v in value.items():
                out.update(_leaves(v, f"{key}.{k}."))
        elif isinstance(value, dict) and value:  # a table of numbers (radio.penetration_by_class): one key each
            for k, v in value.items():
                out[f"{key}.{k}"] = v
        else:
            out[key] = value
    return out


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_template_lists_every_key_with_its_default() -> None:
    raw = tomllib.loads(template_text())
    written = _flatten(raw)
    defaults = _leaves(Scenario.model_validate({**raw, "inputs": raw["inputs"]}))
    # every scenario key appears in the template ...
    optional_inputs = {"inputs.exclusions", "inputs.dem", "inputs.buildings"}  # commented out (default: none)
    text = template_text()
    missing = sorted(
        k
        for k in defaults
        if k not in written
        and k not in optional_inputs
        and not k.startswith("inputs.")
        and not (defaults[k] is None and f"# {k.rsplit('.', 1)[1]} = " in text)  # None: shown commented out
        and not (k in ("phases", "operators") and f"# [{'[phases]' if k == 'phases' else 'operators.'}" in text)
    )
    assert missing == [], f"template lacks keys: {missing}"
    for key in optional_inputs:
        assert f"# {key.split('.')[1]} = " in template_text()
    # ... with the model's default value (inputs are the sample files)
    model_defaults = _leaves(Scenario)
    for key, value in written.items():
        if key.startswith("inputs.") or key.startswith("scenario.name"):
            continue
        expected = model_defaults.get(key, defaults.get(key))
        if isinstance(expected, BaseModel):
            continue
        assert value == expected or (value == {} and expected == {}), (
            f"{key}: template {value!r} != default {expected!r}"
        )


def test_template_comments_english_and_chinese() -> None:
    text = template_text()
    assert "(m)" in text and "(dBm)" in text and "万元" in text
    assert "覆盖门限" in text and "规划范围" in text


def test_init_writes_valid_project(tmp_path: Path) -> None:
    files = init_project(tmp_path / "area")
    assert {p.name for p in (tmp_path / "area").iterdir()} == {
        "scenario.toml",
        "boundary.geojson",
        "candidates.csv",
        "priority_areas.geojson",
    }
    summary = planner.validate_scenario(files["scenario"])
    assert summary["candidates"] == len(sample_inputs().candidates)
    assert summary["priority_areas"] == 3
    assert summary["warnings"] == []
    sc = load_scenario(files["scenario"])
    assert sc.inputs.candidates == files["candidates"].resolve()


def test_init_refuses_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PlannerError, match="not empty") as err:
        init_project(tmp_path)
    assert err.value.exit_code == 2 and "Fix:" in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_sample_csv_gbk_chinese_headers(tmp_path: Path) -> None:
    files = write_sample_inputs(tmp_path, encoding="gbk")
    data = files["candidates"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    df = pd.read_csv(files["candidates"], encoding="gbk")
    assert list(df.columns) == list(CANDIDATE_HEADERS.values())
    assert set(df["类型"]) == {"路灯杆", "监控杆", "铁塔", "楼顶"}


@pytest.mark.parametrize("table", ["csv", "xlsx"])
def test_gcj02_sample_round_trips_through_the_pipeline_reader(tmp_path: Path, table: str) -> None:
    """GCJ-02 files declared as such come back within 0.5 m of the CGCS2000 sample."""
    from planner.pipeline import load_inputs

    plain = init_project(tmp_path / "plain")
    shifted = init_project(tmp_path / "gcj", table=table, encoding="gbk", coordinates="gcj02")  # type: ignore[arg-type]
    a = load_inputs(load_scenario(plain["scenario"]))
    b = load_inputs(load_scenario(shifted["scenario"]))
    assert any("gcj02" in w for w in b.warnings)
    pa = a.candidates.to_crs("EPSG:4547").geometry
    pb = b.candidates.to_crs("EPSG:4547").geometry
    assert len(pa) == len(pb)
    assert float(pa.distance(pb, align=False).max()) < 0.5
    # and the raw GCJ-02 file really is shifted by the usual few hundred metres
    raw = (
        pd.read_excel(shifted["candidates"], header=1)
        if table == "xlsx"
        else pd.read_csv(shifted["candidates"], encoding="gbk")
    )
    s = sample_inputs().candidates
    dlon = (raw["经度"] - s["经度"]).abs().max()
    assert 0.003 < dlon < 0.008


def test_workflow_docstring_examples_run() -> None:
    import doctest

    import planner.workflow.progress
    import planner.workflow.scaffold
    import planner.workflow.sweeps
    import planner.workflow.variants

    for mod in (
        planner.workflow.scaffold,
        planner.workflow.sweeps,
        planner.workflow.variants,
        planner.workflow.progress,
    ):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, mod.__name__
        assert result.attempted > 0, mod.__name__
