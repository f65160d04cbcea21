"""Output folders: atomic replacement, and never replacing what the planner did not write."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from planner.errors import OutputEnvironmentError, PlannerError
from planner.io.rundir import (
    MARKER,
    TOOL,
    atomic_dir,
    atomic_file,
    check_out_dir,
    check_out_file,
    environment_error,
)


def _earlier_run(out: Path, text: str = "old") -> None:
    """A folder the planner wrote earlier (what atomic_dir leaves behind)."""
    with atomic_dir(out) as tmp:
        (tmp / "old.txt").write_text(text)


def test_success_replaces_previous(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _earlier_run(out)
    with atomic_dir(out) as tmp:
        assert tmp != out and tmp.parent == out.parent
        (tmp / "new.txt").write_text("new")
        assert (out / "old.txt").exists()  # untouched while writing
    assert (out / "new.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker == {"tool": TOOL, "entries": ["new.txt"]}


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_failure_leaves_previous_untouched(tmp_path: Path, exc: type[BaseException]) -> None:
    out = tmp_path / "run"
    _earlier_run(out)
    with pytest.raises(exc), atomic_dir(out) as tmp:
        (tmp / "half.txt").write_text("half")
        raise exc("stop")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "old.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failure_without_previous_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "run") as tmp:
        (tmp / "x").write_text("x")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_empty_folder_is_written(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("a")
    assert (out / "a.txt").is_file()


@pytest.mark.parametrize("names", [["notes.txt"], [".git", "pyproject.toml"], ["manifest.json"]])
def test_foreign_folder_is_refused_and_kept(tmp_path: Path, names: list[str]) -> None:
    out = tmp_path / "project"
    out.mkdir()
    for n in names:
        (out / n).write_text("mine")
    for force in (False, True):  # --force never replaces a folder the planner did not write
        with pytest.raises(PlannerError, match="not written by the planner") as info, atomic_dir(out, force=force):
            pytest.fail("must refuse before yielding")
        assert str(out) in str(info.value) and "Fix:" in str(info.value) and info.value.exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert all((out / n).read_text() == "mine" for n in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_manifest_of_another_tool_is_not_enough(tmp_path: Path) -> None:
    out = tmp_path / "x"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"tool": "someone-else", "outputs": {}}))
    with pytest.raises(PlannerError, match="not written by the planner"):
        check_out_dir(out)


def test_legacy_run_folder_with_manifest_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    manifest = {"tool": TOOL, "outputs": {"sites": {"file": "sites.csv", "sha256": ""}}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "sites.csv").write_text("id\n")
    assert check_out_dir(out) == out.resolve()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(PlannerError, match=r"notes\.txt"):
        check_out_dir(out)


def test_planner_folder_with_user_files_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _earlier_run(out)
    (out / "my_notes.txt").write_text("mine")
    with pytest.raises(PlannerError, match="--force") as info, atomic_dir(out, force=False):
        pass
    assert "my_notes.txt" in str(info.value)
    assert (out / "my_notes.txt").read_text() == "mine"
    with atomic_dir(out, force=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "new.txt"])


def test_dangerous_locations_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PlannerError, match="filesystem root"):
        check_out_dir("/")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(PlannerError, match="home folder"):
        check_out_dir(home)
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    monkeypatch.chdir(work / "sub")
    for p in (work / "sub", work, Path(".")):
        with pytest.raises(PlannerError, match="current folder"):
            check_out_dir(p)
    monkeypatch.chdir(work)
    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    scenario = data / "scenario.toml"
    scenario.write_text("")
    for p in (data, scenario, data / "..", data / ".." / "data" / "scenario.toml"):
        with pytest.raises(PlannerError, match="input of this command"):
            check_out_dir(p, protect=[scenario])
    assert check_out_dir(data / "runs" / "new", protect=[scenario]) == (data / "runs" / "new").resolve()


def test_path_that_is_a_file_or_below_one(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("keep")
    with pytest.raises(PlannerError, match="is a file"):
        check_out_dir(f)
    with pytest.raises(PlannerError, match="part of the output path is a file"), atomic_dir(f / "sub"):
        pass
    assert f.read_text() == "keep"


def test_fifo_named_like_the_marker_is_never_opened(tmp_path: Path) -> None:
    out = tmp_path / "x"
    out.mkdir()
    os.mkfifo(out / MARKER)
    os.mkfifo(out / "manifest.json")
    with pytest.raises(PlannerError, match="not written by the planner"):  # and no hang
        check_out_dir(out)


def test_report_file_rules(tmp_path: Path) -> None:
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>")
    with pytest.raises(PlannerError, match="not written by the planner"):
        check_out_file(mine)
    with pytest.raises(PlannerError, match="is a folder"):
        check_out_file(tmp_path)
    ours = tmp_path / "report.html"
    ours.write_text(f'<!DOCTYPE html><html><head><meta name="generator" content="{TOOL}"></head></html>')
    with atomic_file(ours) as tmp:
        tmp.write_text("new")
    assert ours.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.html", "report.html"]
    with pytest.raises(RuntimeError), atomic_file(tmp_path / "new.html") as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.html", "report.html"]


def test_environment_messages_name_path_and_need(tmp_path: Path) -> None:
    full = environment_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path, "write the outputs",
                             needed_bytes=5_000_000)
    assert isinstance(full, OutputEnvironmentError) and full.exit_code == 4
    assert str(tmp_path) in str(full) and "disk is full" in str(full) and "5.0 MB" in str(full) and "Fix:" in str(full)
    gdal_text = "TIFFAppendToStrip:Write error at scanline 3: No space left on device"
    gdal = environment_error(RuntimeError(gdal_text), tmp_path, "write")
    assert "disk is full" in str(gdal)
    denied = environment_error(PermissionError(errno.EACCES, "Permission denied"), tmp_path, "create the output folder")
    assert "permission denied" in str(denied) and "write permission" in str(denied)
    ro = environment_error(OSError(errno.EROFS, "Read-only file system"), tmp_path, "write")
    assert "read-only" in str(ro)


def test_failed_rename_is_an_environment_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    _earlier_run(out, "earlier")
    real = os.replace

    def busy(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == out and ".tmp-" in Path(src).name:
            raise OSError(errno.EBUSY, "Device or resource busy", str(src))
        real(src, dst)

    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(OutputEnvironmentError, match="rename") as info, atomic_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert info.value.exit_code == 4 and str(out) in str(info.value)
    monkeypatch.setattr(os, "replace", real)
    assert (out / "old.txt").read_text() == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_environment_errors_outside_the_writers(tmp_path: Path) -> None:
    from planner.io.rundir import as_environment_error

    err = as_environment_error(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x.gpkg")))
    assert err is not None and err.exit_code == 4 and str(tmp_path / "x.gpkg") in str(err)
    wrapped = RuntimeError("writing failed")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert as_environment_error(wrapped) is not None
    assert as_environment_error(ValueError("a bug")) is None
    assert as_environment_error(OSError(errno.ENOENT, "No such file")) is None
