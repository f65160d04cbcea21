"""The CLI through a real subprocess: exit codes, messages, no tracebacks, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner.io.rundir import MARKER
from tests.conftest import earlier_run


def _planner(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def test_run_writes_outputs_and_records_overrides(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = _planner("run", str(tiny), "--out", str(out), "--set", "solver.time_limit_s=5")
    assert r.returncode == 0, r.stderr
    assert "report:" in r.stdout
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["overrides"] == ["solver.time_limit_s=5"]
    assert man["scenario"]["solver"]["time_limit_s"] == 5
    # the summary says "optimal" only for a proven plan, else the gap (issue 12)
    sol = man["solver"]
    said = "solver optimal (proven)" if sol["status"] == "optimal" else f"solver feasible, gap {sol['gap']:.2%}"
    proven = sol["gap"] == 0 and abs(sol["objective"] - sol["bound"]) <= 1e-6 * max(1.0, abs(sol["objective"]))
    assert said in r.stdout and (sol["status"] != "optimal" or proven)
    # a run inside its safety stop says nothing of a time limit (issue 12)
    assert man["solver"]["stats"]["budget"]["time_limited"] is False
    assert "time-limited" not in r.stdout + r.stderr and not any("time-limited" in w for w in man["warnings"])
    assert "W01 " not in (out / "report.html").read_text(encoding="utf-8")


#: the CLI in a child process whose wall-clock safety stop is at the start of the solve
_CUT_AT_ONCE = (
    "import sys, planner.optimize._budget as b; b.SAFETY_FACTOR = 0.0; b.SAFETY_PAD_S = 0.0; "
    "from planner.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_a_plan_cut_by_the_safety_stop_says_so_everywhere(tiny: Path, tmp_path: Path) -> None:
    # issue 12: "time-limited: this plan may not be reproducible" in the manifest, the console and the report
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-c", _CUT_AT_ONCE, "run", str(tiny), "--out", str(out), "--set", "report.language=zh"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    warning = "time-limited: this plan may not be reproducible"
    assert f"warning: {warning}" in r.stdout.splitlines()
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert warning in man["warnings"] and man["solver"]["stats"]["budget"]["time_limited"] is True
    assert "W01 求解被墙钟安全上限截断：本方案可能无法逐字节复现" in (out / "report.html").read_text(encoding="utf-8")


def test_solver_outcome_says_optimal_only_when_proven() -> None:
    from planner.present.i18n import solver_outcome

    assert solver_outcome("optimal", 0.0) == "optimal (proven)"
    assert solver_outcome("feasible", 0.0148) == "feasible, gap 1.48% (not proven optimal)"
    assert solver_outcome("feasible", float("inf")) == "feasible, gap unknown (not proven optimal)"
    assert "optimal" not in solver_outcome("unknown", float("nan")) + solver_outcome("infeasible", None)


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


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [("file", "time_limit_s", "nan"), ("--set", "work_limit", "-1"), ("--set", "workers", "true")],
)
def test_bad_solver_setting_exit_2_keeps_the_earlier_run(
    tiny: Path, tmp_path: Path, where: str, key: str, value: str
) -> None:
    # issue 12: a bad solver.time_limit_s / work_limit / workers, in the file or by --set, is exit 2 naming the key
    # and its fix, with no traceback, and the earlier run in --out is left as it was (nothing half-written)
    out = tmp_path / "out"
    earlier_run(out, "earlier run")
    sets: tuple[str, ...] = ()
    if where == "file":
        text = tiny.read_text(encoding="utf-8")
        tiny.write_text(text.replace("time_limit_s = 10", f"{key} = {value}"), encoding="utf-8")
    else:
        sets = ("--set", f"solver.{key}={value}")
    r = _planner("run", str(tiny), "--out", str(out), *sets)
    assert r.returncode == 2, r.stderr
    assert f"[solver.{key}]" in r.stderr and "Fix: give " in r.stderr and "e.g. " in r.stderr
    assert ("(--set solver." in r.stderr) is (where == "--set")
    assert "Traceback" not in r.stderr + r.stdout and r.stdout == ""
    assert sorted(p.name for p in out.iterdir() if p.name != MARKER) == ["keep.txt"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == "earlier run"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_infeasible_exit_3(tiny: Path, tmp_path: Path) -> None:
    r = _planner(
        "run",
        str(tiny),
        "--out",
        str(tmp_path / "o"),
        "--set",
        "radio.threshold_dbm=-60",
        "--set",
        "objective.on_infeasible=error",
    )
    assert r.returncode == 3
    assert "cannot be met" in r.stderr


def test_version() -> None:
    r = _planner("--version")
    assert r.returncode == 0 and "planner" in r.stdout


# ----------------------------------------------------------------------------- console: errors, warnings, widths


def test_error_text_groups_by_file_and_caps() -> None:
    from planner.cli import error_text
    from planner.errors import InputDataError, Problem

    problems = [Problem(f"bad {i}", "a.csv", f"row {i + 2}", "fix it") for i in range(30)] + [
        Problem("worse", "b.geojson")
    ]
    text = error_text(InputDataError(problems), per_file=25)
    lines = text.splitlines()
    assert lines[0].startswith("31 problems found in 2 files")
    assert "  a.csv: 30 problems" in lines and "  b.geojson: 1 problem" in lines
    assert "    … and 5 more in a.csv" in lines
    assert sum("a.csv: row" in ln for ln in lines) == 25  # each listed line names its file, row and fix
    assert "    31. b.geojson: worse" in lines
    assert all("Fix: fix it" in ln for ln in lines if "a.csv: row" in ln)
    assert error_text(InputDataError(problems[:1])) == str(problems[0])


def test_warnings_held_once() -> None:
    import logging

    from planner.cli import WarningsHeld

    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    root = logging.getLogger()
    handler = Collect()
    root.addHandler(handler)
    try:
        with WarningsHeld() as held:
            logging.getLogger("planner.pipeline").warning("twice")
            logging.getLogger("planner.pipeline").warning("twice")
            logging.getLogger("planner.coverage.terrain").error("an error passes")
            logging.getLogger("other").warning("not ours")
        logging.getLogger("planner.pipeline").warning("after")
    finally:
        root.removeHandler(handler)
    assert held.messages == ["twice"]
    assert seen == ["an error passes", "not ours", "after"]


def test_solve_eta_from_the_work_budget() -> None:
    from planner.workflow.progress import solve_eta

    # a quarter of the work in 8 s: 24 s left at that rate, 2 s of them already gone
    assert solve_eta(1000.0, 250.0, 0.0, 8.0, 10.0, 500.0) == (22.0, False)
    # a loaded machine: the same work at half the rate gives twice the ETA (not the time limit's countdown)
    assert solve_eta(1000.0, 250.0, 0.0, 16.0, 16.0, 500.0) == (48.0, False)
    # a stage slower than the rate said: the ETA is held up (half the rate up to now), never 0:00:00 while running
    assert solve_eta(1000.0, 900.0, 0.0, 10.0, 30.0, 300.0) == (0.5 * 100 * 30 / 900, False)
    assert all(solve_eta(1000.0, 500.0, 0.0, 10.0, t, 300.0)[0] > 0 for t in range(10, 290, 7))
    # a first stage that reports a few units after seconds of work (the reductions): the nominal rate still rules
    assert solve_eta(6000.0, 4.0, 0.0, 0.5, 0.6, 65.0) == (pytest.approx(19.4), False)
    # never past the safety stop, and 0 when the work is spent
    assert solve_eta(1000.0, 100.0, 0.0, 10.0, 40.0, 45.0) == (5.0, True)
    assert solve_eta(1000.0, 1000.0, 0.0, 10.0, 30.0, 45.0) == (0.0, False)


def test_progress_follows_the_budget_and_fits_80_columns() -> None:
    import io

    from rich.console import Console

    from planner.optimize._budget import WORK_OBSERVERS, Budget
    from planner.workflow.progress import StageProgress

    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with StageProgress(console, 40.0) as progress:
        progress("optimise")
        Budget.start(1.0)  # a smaller budget (the JIT warm-up): not the solve's
        budget = Budget.start(40.0)
        assert progress.eta_text()[1].startswith("ETA ")
        budget.spend("local_search", budget.work / 4)
        done, eta = progress.eta_text(now=budget.t0 + 100.0)
        assert done == 0.25 and eta.startswith("ETA")
        progress._tick_once()
        out = Console(file=io.StringIO(), width=80, record=True)
        out.print(progress.progress.get_renderable())
        text = out.export_text()
        assert "25 %" in text and "solve (limit 40 s)" in text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    assert WORK_OBSERVERS == []
    with StageProgress(console, 40.0, work_limit=3000.0) as progress:  # a work budget given directly: named
        progress("optimise")
        assert progress.eta_text()[1] == "ETA 0:00:10"  # 3,000 units / 300 per nominal second
        progress._tick_once()
        out = Console(file=io.StringIO(), width=80, record=True)
        out.print(progress.progress.get_renderable())
        assert "solve (work 3000 units)" in out.export_text()
    assert WORK_OBSERVERS == []


def test_sweep_and_compare_tables_fit_80_columns() -> None:
    import io

    import pandas as pd
    from rich.console import Console

    from planner.workflow.sweep_result import SweepResult
    from planner.workflow.tables import print_sweep

    rows = [
        dict(
            label=f"objective.max_sites={m}, radio.threshold_dbm=-105",
            folder=f"max_sites={m}__threshold_dbm=-105",
            n_sites=m,
            cost=1234.5 * m,
            coverage=0.9123,
            cell_coverage=0.9,
            areas_met=40,
            areas=44,
            status="time_limited",
            objective=1.0,
            bound=1.0,
            gap=0.0123,
            solve_s=3.0,
            pareto=True,
        )
        for m in (50, 100, 2000)
    ]
    console = Console(file=io.StringIO(), width=80, record=True)
    print_sweep(console, SweepResult(table=pd.DataFrame(rows), plans={}, variants=[]))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for cell in ("2,469,000.0", "time_limited", "91.23 %", "40/44", "1.23 %", "max_sites=2000__threshold_dbm=-105"):
        assert cell in text, cell  # figures are never cut


def test_run_prints_each_warning_once(tmp_path: Path) -> None:
    """The pipeline logs every run warning and the summary lists them: the console shows each once."""
    from tests.conftest import load_script

    corpus = load_script(Path(__file__).resolve().parent / "data" / "bad" / "make_corpus.py", "bad_input_corpus")
    scenario = corpus.build(next(c for c in corpus.CASES if c.name == "gcj02_candidates"), tmp_path / "case")
    r = _planner("run", str(scenario), "--out", str(tmp_path / "out"), "--set", "solver.time_limit_s=5")
    assert r.returncode == 0, r.stderr
    text = r.stdout + r.stderr
    assert text.count("offset by ~300–600 m") == 1, text  # the datum warning, logged and listed: printed once
    warned = [line for line in text.splitlines() if line.startswith("warning: ")]
    assert len(warned) == len(set(warned)) >= 2


def test_compare_tables_fit_80_columns() -> None:
    import io

    import geopandas as gpd
    import pandas as pd
    from rich.console import Console

    from planner.workflow.compare import Comparison
    from planner.workflow.tables import print_comparison

    sites = gpd.GeoDataFrame(
        {
            "change": ["added", "removed", "kept"],
            "id": ["WH-GG-00012", "WH-GG-00013", "WH-GG-00014"],
            "name": ["光谷大道与高新大道交叉口东北角路灯杆", "铁塔站址 050", "路灯 7"],
            "type": ["street_lamp", "tower", "street_lamp"],
            "build_mode": ["利旧", "共享", "利旧"],
            "cost": [8.0, 123456.7, 8.0],
        },
        geometry=gpd.points_from_xy([114.39, 114.40, 114.41], [30.50, 30.51, 30.52]),
        crs="EPSG:4490",
    )
    areas = pd.DataFrame(
        {
            "name": ["光谷广场 Optics Valley Square 及周边商业综合体", "地铁站 3号"],
            "target": [0.95, 0.9],
            "coverage_a": [0.9123, 0.8],
            "coverage_b": [0.9345, 0.85],
            "change_pp": [2.22, 5.0],
        }
    )
    summary = pd.DataFrame(
        {
            "runs/demo_before_the_change": [1638, 15455.0, 0.91],
            "runs/demo_after_the_change": [1640, 15470.5, 0.92],
            "change": [2, 15.5, 0.01],
        },
        index=["n_sites", "cost", "coverage"],
    )
    cmp = Comparison(sites, areas, summary, "runs/demo_before_the_change", "runs/demo_after_the_change", sites, {})
    console = Console(file=io.StringIO(), width=80, record=True)
    print_comparison(console, cmp)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    for cell in ("123,456.7", "WH-GG-00012", "93.45 %", "+2.22", "+15.5"):
        assert cell in text, cell  # figures and ids are never cut
