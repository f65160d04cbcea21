"""``--out`` never replaces what the planner did not write (run, sweep, compare, report), refused before computing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.cli import main
from planner.io.rundir import MARKER

MINE = "my own file, not the planner's"


@pytest.fixture(scope="module")
def done_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scenario, run folder) of one tiny run."""
    from tests.conftest import TINY_TOML, write_tiny_inputs

    folder = tmp_path_factory.mktemp("outsafety")
    write_tiny_inputs(folder / "inputs")
    scenario = folder / "inputs" / "scenario.toml"
    scenario.write_text(TINY_TOML.replace("resolution_m = 25", "resolution_m = 50"), encoding="utf-8")
    run = folder / "runs" / "a"
    assert main(["-q", "run", str(scenario), "--out", str(run)]) == 0
    return scenario, run


def _project(folder: Path) -> Path:
    """A folder that is not a planner output: a project with .git and pyproject.toml."""
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "pyproject.toml").write_text(MINE)
    return folder


def _intact(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == [".git", "pyproject.toml"]
    assert (folder / "pyproject.toml").read_text() == MINE and (folder / ".git" / "HEAD").is_file()


def _refused(capsys: pytest.CaptureFixture[str], code: int, *fragments: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert "error:" in err and "Fix:" in err and "Traceback" not in err
    for f in fragments:
        assert f in err, err
    return err


def test_run_into_a_project_folder_is_refused(done_run: tuple[Path, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    scenario, _ = done_run
    project = _project(tmp_path / "project")
    code = main(["run", str(scenario), "--out", str(project)])
    err = _refused(capsys, code, str(project), "not written by the planner", "--out")
    assert "sites selected" not in err  # refused before computing
    _intact(project)
    code = main(["run", str(scenario), "--out", str(project), "--force"])  # --force never applies to it
    _refused(capsys, code, "not written by the planner")
    _intact(project)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


@pytest.mark.parametrize("where", ["root", "scenario folder", "above the scenario", "scenario file", "cwd"])
def test_dangerous_out_is_refused(where: str, done_run: tuple[Path, Path], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    scenario, _ = done_run
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = {"root": Path("/"), "scenario folder": scenario.parent, "above the scenario": scenario.parent.parent,
           "scenario file": scenario, "cwd": Path(".")}[where]
    before = sorted(p.name for p in scenario.parent.iterdir())
    _refused(capsys, main(["run", str(scenario), "--out", str(out)]))
    assert sorted(p.name for p in scenario.parent.iterdir()) == before


def test_hand_added_files_need_force(done_run: tuple[Path, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    scenario, run = done_run
    out = tmp_path / "b"
    shutil.copytree(run, out)
    (out / "notes.txt").write_text(MINE)
    _refused(capsys, main(["run", str(scenario), "--out", str(out)]), "notes.txt", "--force")
    assert (out / "notes.txt").read_text() == MINE and (out / "manifest.json").is_file()
    assert main(["-q", "run", str(scenario), "--out", str(out), "--force"]) == 0
    assert not (out / "notes.txt").exists() and (out / "manifest.json").is_file() and (out / MARKER).is_file()
    # a clean planner folder: replaced without --force
    assert main(["-q", "run", str(scenario), "--out", str(out)]) == 0


def test_sweep_and_compare_refuse_foreign_folders(done_run: tuple[Path, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    scenario, run = done_run
    project = _project(tmp_path / "project")
    code = main(["sweep", str(scenario), "--param", "objective.max_sites=1,2", "--out", str(project)])
    _refused(capsys, code, "not written by the planner")
    _intact(project)
    _refused(capsys, main(["compare", str(run), str(run), "--out", str(project)]), "not written by the planner")
    _intact(project)
    _refused(capsys, main(["compare", str(run), str(run), "--out", str(run)]), "input of this command")
    assert (run / "manifest.json").is_file()


def test_report_out_never_overwrites_a_foreign_file(done_run: tuple[Path, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, run = done_run
    mine = tmp_path / "notes.html"
    mine.write_text(MINE)
    _refused(capsys, main(["report", str(run), "--out", str(mine)]), "not written by the planner")
    assert mine.read_text() == MINE
    _refused(capsys, main(["report", str(run), "--out", str(tmp_path)]), "folder")
    _refused(capsys, main(["report", str(run), "--out", str(run / "manifest.json")]), "not written by the planner")
    assert (run / "manifest.json").read_text(encoding="utf-8").startswith("{")
    target = tmp_path / "copy.html"
    assert main(["-q", "report", str(run), "--out", str(target)]) == 0
    assert main(["-q", "report", str(run), "--out", str(target)]) == 0  # its own report: replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.html", "notes.html"]
