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
