"""A machine that refuses the outputs gives exit code 4 and one message naming the path, never "internal error".

Disk full: a 256 KiB tmpfs (mounted by the test, as root; skipped cleanly where mounting is not
allowed). Read-only: the same tmpfs remounted read-only. Permission: root ignores file modes, so
the folder is made immutable (``chattr +i``: EPERM even for root; skipped where unsupported).
In every case: no traceback, no temporary folder, an earlier run in the folder untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from planner.io.rundir import MARKER
from tests.conftest import earlier_run

EARLIER = "an earlier run, to be kept"


def _planner(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def _sh(*cmd: str) -> bool:
    return subprocess.run(list(cmd), capture_output=True).returncode == 0


@contextmanager
def _tmpfs(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted for the test (skipped where mounting is not allowed), unmounted afterwards."""
    if os.name != "posix" or shutil.which("mount") is None:
        pytest.skip("no mount command")
    point = Path(tempfile.mkdtemp(prefix="planner-tmpfs-"))
    if not _sh("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)):
        point.rmdir()
        pytest.skip("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)")
    try:
        yield point
    finally:
        _sh("chattr", "-R", "-i", str(point))
        _sh("umount", str(point))
        point.rmdir()


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """256 KiB: too small for a run's outputs."""
    with _tmpfs("256k") as point:
        yield point


@pytest.fixture
def roomy_disk() -> Iterator[Path]:
    """64 MiB: room for every output."""
    with _tmpfs("64m") as point:
        yield point


def _check_env_failure(r: subprocess.CompletedProcess[str], fragments: list[str]) -> None:
    text = r.stdout + r.stderr
    assert r.returncode == 4, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert r.stderr.count("error:") == 1 and "Fix:" in r.stderr, text  # one message
    assert "ERROR 1" not in r.stderr, text  # not GDAL's own lines as well
    for f in fragments:
        assert f in r.stderr, text


def _earlier_intact(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(["keep.txt", MARKER])
    assert (out / "keep.txt").read_text(encoding="utf-8") == EARLIER


def test_disk_full(small_disk: Path, tiny: Path) -> None:
    out = small_disk / "out"
    earlier_run(out, EARLIER)
    r = _planner("run", str(tiny), "--out", str(out), cwd=tiny.parent)
    _check_env_failure(r, ["disk is full", str(out), "MB"])
    assert sorted(p.name for p in small_disk.iterdir()) == ["out"], "a temporary folder was left behind"
    _earlier_intact(out)


def test_read_only_file_system(small_disk: Path, tiny: Path) -> None:
    out = small_disk / "out"
    earlier_run(out, EARLIER)
    if not _sh("mount", "-o", "remount,ro", str(small_disk)):
        pytest.skip("cannot remount the tmpfs read-only")
    r = _planner("run", str(tiny), "--out", str(out), cwd=tiny.parent)
    _check_env_failure(r, ["read-only", str(small_disk)])
    _earlier_intact(out)


def test_folder_without_write_permission(small_disk: Path, tiny: Path) -> None:
    parent = small_disk / "locked"
    parent.mkdir()
    if not _sh("chattr", "+i", str(parent)):
        pytest.skip("chattr +i is not supported here")
    r = _planner("run", str(tiny), "--out", str(parent / "out"), cwd=tiny.parent)
    _check_env_failure(r, ["not permitted", str(parent)])
    assert list(parent.iterdir()) == []


def test_output_folder_that_cannot_be_renamed(roomy_disk: Path, tiny: Path) -> None:
    out = roomy_disk / "out"
    earlier_run(out, EARLIER)
    if not _sh("chattr", "+i", str(out)):
        pytest.skip("chattr +i is not supported here")
    r = _planner("run", str(tiny), "--out", str(out), "--set", "grid.resolution_m=50", cwd=tiny.parent)
    _check_env_failure(r, ["rename", str(out)])
    assert sorted(p.name for p in roomy_disk.iterdir()) == ["out"], "a temporary folder was left behind"
    _earlier_intact(out)
