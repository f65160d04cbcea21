"""Every subcommand through a real subprocess (`python -m planner.cli`): exit codes, files, messages.

One small sweep (tiny generated scenario, 4 site caps) is shared by the sweep, compare and
report tests; the demo sweep is a slow test that skips until data/scenarios/demo.toml exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import TINY_TOML, write_tiny_inputs

REPO = Path(__file__).resolve().parents[1]


def _planner(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def _no_traceback(r: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in r.stdout + r.stderr


@pytest.fixture(scope="module")
def tiny_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    write_tiny_inputs(d)
    (d / "scenario.toml").write_text(TINY_TOML, encoding="utf-8")
    return d / "scenario.toml"


@pytest.fixture(scope="module")
def swept(tiny_toml: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("sweep") / "s"
    r = _planner(
        "sweep",
        str(tiny_toml),
        "--param",
        "objective.max_sites=1,2,4,8",
        "--out",
        str(out),
        "--jobs",
        "2",
        "--set",
        "solver.time_limit_s=10",
    )
    return r, out


# ----------------------------------------------------------------------------- init / validate / run


def test_init_validate_run(tmp_path: Path) -> None:
    folder = tmp_path / "area"
    r = _planner("init", str(folder))
    assert r.returncode == 0, r.stderr
    assert (folder / "scenario.toml").is_file() and (folder / "candidates.csv").is_file()
    r = _planner("validate", str(folder / "scenario.toml"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK:")
    out = tmp_path / "run"
    r = _planner(
        "run",
        str(folder / "scenario.toml"),
        "--out",
        str(out),
        "--set",
        "solver.time_limit_s=15",
        "--set",
        "report.language=en",
    )
    assert r.returncode == 0, r.stderr
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["overrides"] == ["solver.time_limit_s=15", "report.language=en"]
    assert man["scenario"]["solver"]["time_limit_s"] == 15 and man["scenario"]["report"]["language"] == "en"
    assert (out / "cover_count.tif").is_file() and "cover_count" in man["outputs"]


def test_init_refuses_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    r = _planner("init", str(tmp_path))
    assert r.returncode == 2
    assert "not empty" in r.stderr and "Fix:" in r.stderr
    _no_traceback(r)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_init_gbk_gcj02_validates(tmp_path: Path) -> None:
    r = _planner("init", str(tmp_path / "a"), "--encoding", "gbk", "--coordinates", "gcj02", "--table", "xlsx")
    assert r.returncode == 0, r.stderr
    r = _planner("validate", str(tmp_path / "a" / "scenario.toml"))
    assert r.returncode == 0, r.stderr
    assert "gcj02" in r.stdout


def test_validate_lists_every_problem(tiny_toml: Path) -> None:
    r = _planner(
        "validate",
        str(tiny_toml),
        "--set",
        "grid.resolution_m=-1",
        "--set",
        "objective.kind=cheapest",
        "--set",
        "radio.bandd=n41",
    )
    assert r.returncode == 2
    assert "3 problems" in r.stderr
    for key in ("grid.resolution_m", "objective.kind", "radio.bandd"):
        assert key in r.stderr
    _no_traceback(r)


def test_quiet_prints_nothing(tiny_toml: Path) -> None:
    r = _planner("--quiet", "validate", str(tiny_toml))
    assert r.returncode == 0 and r.stdout == ""


def test_verbose_and_version(tiny_toml: Path) -> None:
    r = _planner("--verbose", "validate", str(tiny_toml))
    assert r.returncode == 0, r.stderr
    r = _planner("--version")
    assert r.returncode == 0 and r.stdout.startswith("planner ")


def test_unknown_subcommand_is_a_usage_error() -> None:
    r = _planner("plan-everything")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_run_infeasible_exit_3(tiny_toml: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    r = _planner(
        "run",
        str(tiny_toml),
        "--out",
        str(out),
        "--set",
        "radio.threshold_dbm=-60",
        "--set",
        "objective.on_infeasible=error",
    )
    assert r.returncode == 3
    assert "cannot be met" in r.stderr
    _no_traceback(r)


# ----------------------------------------------------------------------------- sweep


def test_sweep_exit_0_table_plot_report(swept: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    r, out = swept
    assert r.returncode == 0, r.stderr
    _no_traceback(r)
    assert "max_sites=8" in r.stdout and "report:" in r.stdout
    assert "max_coverage" in r.stdout  # the note that the objective was switched
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert list(table["label"]) == ["max_sites=1", "max_sites=2", "max_sites=4", "max_sites=8"]
    assert (out / "pareto.png").is_file() and (out / "report.html").is_file()
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert meta["shared_coverage"] is True


def test_sweep_pareto_is_monotone(swept: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = swept
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    cov = table["coverage"].to_numpy(float)
    assert np.all(np.diff(cov) >= -1e-9), cov
    assert np.all(np.diff(table["cost"].to_numpy(float)) >= -1e-9)


def test_sweep_variants_record_their_overrides(swept: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = swept
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    for folder, label in zip(table["folder"], table["label"], strict=True):
        man = json.loads((out / folder / "manifest.json").read_text(encoding="utf-8"))
        cap = int(label.split("=")[1])
        assert f"objective.max_sites={cap}" in man["overrides"]
        assert "solver.time_limit_s=10" in man["overrides"] and "objective.kind=max_coverage" in man["overrides"]
        assert man["scenario"]["objective"]["max_sites"] == cap


def test_sweep_bad_param_exit_2(tiny_toml: Path, tmp_path: Path) -> None:
    r = _planner("sweep", str(tiny_toml), "--param", "objective.max_sites=5,-3", "--out", str(tmp_path / "s"))
    assert r.returncode == 2
    assert "max_sites=-3" in r.stderr
    _no_traceback(r)
    assert not (tmp_path / "s").exists()


# ----------------------------------------------------------------------------- compare / report


def test_compare_two_runs(swept: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path) -> None:
    _, out = swept
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    a, b = out / table["folder"].iloc[0], out / table["folder"].iloc[3]
    r = _planner("compare", str(a), str(b), "--out", str(tmp_path / "cmp"))
    assert r.returncode == 0, r.stderr
    assert "added" in r.stdout and "coverage by priority area" in r.stdout
    sites = pd.read_csv(tmp_path / "cmp" / "compare.csv", encoding="utf-8-sig")
    n_a = int(table["n_sites"].iloc[0])
    n_b = int(table["n_sites"].iloc[3])
    vc = sites["change"].value_counts()
    assert vc.get("kept", 0) + vc.get("removed", 0) == n_a and vc.get("kept", 0) + vc.get("added", 0) == n_b
    html = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and 'src="http' not in html
    assert (tmp_path / "cmp" / "compare_areas.csv").is_file()


def test_compare_missing_run_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    r = _planner("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp"))
    assert r.returncode == 2
    assert "Fix:" in r.stderr
    _no_traceback(r)


def test_report_rerenders_without_solving(swept: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = swept
    run = out / pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")["folder"].iloc[2]
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.name not in ("report.html", "manifest.json")}
    r = _planner("report", str(run), "--language", "en")
    assert r.returncode == 0, r.stderr
    en = run / "report_en.html"
    assert en.is_file() and "report_en.html" in r.stdout
    assert 'lang="en"' in en.read_text(encoding="utf-8")[:2000] or "Coverage" in en.read_text(encoding="utf-8")
    r = _planner("report", str(run))
    assert r.returncode == 0, r.stderr
    after = {
        p.name: p.read_bytes()
        for p in run.iterdir()
        if p.name not in ("report.html", "manifest.json", "report_en.html")
    }
    assert after == before  # nothing else in the run folder changed
    man = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    files = {v["file"] for v in man["outputs"].values()}
    assert {"report.html", "report_en.html"} <= files


def test_report_on_a_non_run_folder_exit_2(tmp_path: Path) -> None:
    r = _planner("report", str(tmp_path))
    assert r.returncode == 2
    assert "manifest.json" in r.stderr and "Fix:" in r.stderr
    _no_traceback(r)


# ----------------------------------------------------------------------------- demo


@pytest.mark.slow
def test_demo_sweep_four_budgets_is_monotone(tmp_path: Path) -> None:
    demo = REPO / "data" / "scenarios" / "demo.toml"
    if not demo.exists():
        pytest.skip("data/scenarios/demo.toml is not built yet")
    out = tmp_path / "demo_sweep"
    r = _planner(
        "sweep",
        str(demo),
        "--param",
        "objective.budget=200,400,800,1600",
        "--out",
        str(out),
        "--set",
        "solver.time_limit_s=20",
    )
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(table) == 4
    assert np.all(np.diff(table["coverage"].to_numpy(float)) >= -1e-6)
    assert np.all(table["cost"].to_numpy(float) <= np.array([200, 400, 800, 1600]) + 1e-6)


def test_sweep_sigterm_leaves_nothing_behind(tiny_toml: Path, tmp_path: Path) -> None:
    """SIGTERM while the variants are written: exit 143, no sweep folder, no temporary folder, workers gone."""
    import signal
    import time

    out = tmp_path / "s"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "sweep",
            str(tiny_toml),
            "--param",
            "objective.max_sites=1,2,3,4,5,6,7,8",
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None and not any(tmp_path.glob(".s.tmp-*")):
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the sweep finished before it could be interrupted")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_global_flags_after_the_subcommand(tiny_toml: Path) -> None:
    r = _planner("validate", str(tiny_toml), "--quiet")
    assert r.returncode == 0 and r.stdout == ""
