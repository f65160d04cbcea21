"""Atomic run folders: build every output in a temporary sibling, then move it into place.

A run stopped half-way (error, SIGINT, SIGTERM) leaves the previous contents of the
output folder untouched and no partial folder behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from planner.errors import PlannerError, Problem


@contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while writing, so cleanup runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def atomic_dir(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out_dir`` in one rename.

    Raises
    ------
    PlannerError
        If ``out_dir`` exists and is a file, or its parent cannot be written.
    """
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise PlannerError(Problem("the output path exists and is a file", str(out_dir), fix="choose a folder name with --out"))
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise PlannerError(Problem(f"cannot create the output folder ({exc.strerror})", str(out_dir.parent),
                                   fix="choose a writable folder with --out")) from None
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    try:
        with _signals_as_exceptions():
            yield tmp
            os.chmod(tmp, 0o755)
            if out_dir.exists():
                os.replace(out_dir, old)
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out_dir.exists():
            os.replace(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
