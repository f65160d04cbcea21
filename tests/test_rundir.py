from __future__ import annotations

from pathlib import Path

import pytest

from planner.io.rundir import atomic_dir


def test_success_replaces_previous(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_dir(out) as tmp:
        assert tmp != out and tmp.parent == out.parent
        (tmp / "new.txt").write_text("new")
        assert (out / "old.txt").exists()  # untouched while writing
    assert (out / "new.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_failure_leaves_previous_untouched(tmp_path: Path, exc: type[BaseException]) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(exc), atomic_dir(out) as tmp:
        (tmp / "half.txt").write_text("half")
        raise exc("stop")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_failure_without_previous_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "run") as tmp:
        (tmp / "x").write_text("x")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
