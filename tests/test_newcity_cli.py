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
