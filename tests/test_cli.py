"""The CLI through a real subprocess: exit codes, messages, no tracebacks, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from planner.io.rundir import MARKER
from tests.conftest import earlier_run


def _planner(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_run_writes_outputs_and_records_overrides(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = _planner("run", str(tiny), "--out", str(out), "--set", "solver.time_limit_s=5")
    assert r.returncode == 0, r.stderr
    assert "report:" in r.stdout
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["overrides"] == ["solver.time_limit_s=5"]
    assert man["scenario"]["solver"]["time_limit_s"] == 5


def test_validate_ok(tiny: Path) -> None:
    r = _planner("validate", str(tiny))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK:")


def test_bad_scenario_exit_2_no_traceback(tiny: Path, tmp_path: Path) -> None:
    tiny.write_text(tiny.read_text(encoding="utf-8") + "\n[grid2]\nx = 1\n", encoding="utf-8")
    out = tmp_path / "never"
    r = _planner("run", str(tiny), "--out", str(out))
    assert r.returncode == 2
    assert "grid2" in r.stderr and "unknown key" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()


def test_bad_input_keeps_previous_run(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    earlier_run(out, "earlier run")
    (tiny.parent / "boundary.geojson").write_text("{not json", encoding="utf-8")
    r = _planner("run", str(tiny), "--out", str(out))
    assert r.returncode == 2
    assert "boundary.geojson" in r.stderr and "Fix:" in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in out.iterdir() if p.name != MARKER) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_infeasible_exit_3(tiny: Path, tmp_path: Path) -> None:
    r = _planner("run", str(tiny), "--out", str(tmp_path / "o"), "--set", "radio.threshold_dbm=-60",
                 "--set", "objective.on_infeasible=error")
    assert r.returncode == 3
    assert "cannot be met" in r.stderr


def test_version() -> None:
    r = _planner("--version")
    assert r.returncode == 0 and "planner" in r.stdout
