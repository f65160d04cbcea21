"""CLI texts a new user copies (NEWCITY session)."""

from __future__ import annotations

import contextlib
import io
import os
import shlex
from pathlib import Path

import pytest

from planner.cli import main


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell quoting")
@pytest.mark.parametrize("name", ["my area", "武汉 光谷", "x$(touch pwned)", "plain"])
def test_init_prints_a_next_command_that_pastes_as_one_word(tmp_path: Path, name: str) -> None:
    """``planner init "my area"`` printed ``planner validate my area/scenario.toml``: pasted, that is two words
    (and a folder named ``$(...)`` ran a command).
    """
    folder = tmp_path / name
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["init", str(folder)]) == 0
    line = out.getvalue().strip().splitlines()[-1]
    words = shlex.split(line)
    assert words[:3] == ["next:", "planner", "validate"]
    assert words[3] == str(folder / "scenario.toml")
    assert words[-2:] == ["--out", f"runs/{name}"]


def test_a_missing_measurements_file_names_the_option_not_a_scenario_key(tiny: Path) -> None:
    """``calibrate --measurements drive.csv`` with a wrong path said: check `inputs.measurements` in the scenario."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["calibrate", str(tiny), "--measurements", str(tiny.parent / "nope.csv")])
    text = out.getvalue()
    assert code == 2 and "nope.csv" in text and "measurements file not found" in text
    assert "--measurements path (relative to the current folder" in text and "inputs.measurements" not in text


def test_compare_refuses_runs_of_two_places(tmp_path: Path) -> None:
    """Comparing a Harbin run with an Urumqi run printed '20 added, 100 removed': a comparison of nothing."""
    from shapely.affinity import translate

    from planner.errors import InputDataError
    from planner.workflow.compare import compare_runs
    from tests.report_fixtures import make_plan

    a, b = make_plan(), make_plan(seed=6)
    b.boundary["geometry"] = [translate(g, xoff=5.0) for g in b.boundary.to_crs("EPSG:4490").geometry]
    b.boundary = b.boundary.set_crs("EPSG:4490", allow_override=True)
    with pytest.raises(InputDataError) as err:
        compare_runs(a, b, out_dir=tmp_path / "cmp")
    assert "plan different places" in str(err.value) and "km apart" in str(err.value)
    assert not (tmp_path / "cmp").exists()
    assert compare_runs(a, make_plan(seed=6)).counts()  # the same place still compares
