"""Output folders: never replace what the planner did not write; build in a temporary sibling, then rename.

Rules for an output folder ``--out DIR`` (``run``, ``sweep``, ``compare``; checked by
:func:`check_out_dir` before anything is computed, and again just before the rename):

- a new path, or an empty folder, is written;
- a folder the planner wrote (it holds the planner's marker :data:`MARKER`, or a run
  ``manifest.json`` whose ``"tool"`` is :data:`TOOL`) is replaced as a whole, provided every
  entry in it is one the planner wrote; a planner folder that also holds other files is replaced
  only with ``force=True`` (the CLI's ``--force``), which deletes them too. The CLI applies this
  rule before computing; :func:`atomic_dir` (the library writers) replaces a planner folder as a
  whole;
- any other existing folder is refused (``--force`` does not change that), and so are the
  filesystem root, the home folder, the current folder or one above it, a folder that holds an
  input of the command (the scenario file, an input file, a compared run), and a path that is a
  file.

A refusal is a :class:`~planner.errors.PlannerError` (exit code 2) naming the folder and the fix.
:func:`atomic_dir` then writes every output into a temporary sibling folder and renames it into
place only when complete: a run stopped half-way (error, SIGINT, SIGTERM) leaves the previous
contents untouched and no partial folder behind. A machine that refuses the write (disk full,
permission denied, read-only file system, a folder that cannot be renamed) gives
:class:`~planner.errors.OutputEnvironmentError` (exit code 4) naming the path and what it needs.
:func:`atomic_file` and :func:`check_out_file` do the same for one file (``report --out``).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from planner.errors import OutputEnvironmentError, PlannerError, Problem

__all__ = ["MARKER", "TOOL", "as_environment_error", "atomic_dir", "atomic_file", "check_out_dir", "check_out_file",
           "check_writable", "environment_error",
           "input_paths", "refuse_file_as_folder", "written_entries"]

#: the ``"tool"`` value of the marker and of a run's ``manifest.json``
TOOL = "smartpole-planner"
#: marker written into every folder :func:`atomic_dir` creates: ``{"tool": TOOL, "entries": [...]}``
MARKER = ".smartpole-planner.json"
#: errno values that mean "the machine refused", not "the inputs are wrong"
ENV_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exhausted",
              errno.EACCES: "permission denied", errno.EPERM: "operation not permitted",
              errno.EROFS: "the file system is read-only"}
#: the same, as the text native libraries (GDAL, SQLite) put in their messages
ENV_TEXT = {"no space left on device": errno.ENOSPC, "disk quota exceeded": errno.EDQUOT,
            "read-only file system": errno.EROFS, "permission denied": errno.EACCES}
_NEW_FOLDER = "give --out a new folder (or an empty one): the planner replaces only folders it wrote itself"
_MAX_JSON = 64 * 2**20  # bytes: a marker or manifest larger than this is not the planner's


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


def _absolute(path: str | Path) -> Path:
    p = Path(path).expanduser()
    try:
        return p.resolve()
    except (RuntimeError, OSError):  # a symlink loop: keep it (named by the caller's checks)
        return Path(os.path.normpath(os.path.abspath(p)))


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _read_json(path: Path) -> Any:
    """The JSON in ``path`` when it is a small regular file (never opens a FIFO or a device)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_JSON:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def written_entries(folder: Path) -> set[str] | None:
    """Names in ``folder`` that the planner wrote, or None when the folder is not the planner's.

    The planner's folders hold :data:`MARKER` (the entries it wrote) or, for runs written before
    the marker existed, a ``manifest.json`` with ``"tool": TOOL`` (its ``outputs`` name the files).
    """
    names: set[str] | None = None
    marker = _read_json(folder / MARKER)
    if isinstance(marker, dict) and marker.get("tool") == TOOL and isinstance(marker.get("entries"), list):
        names = {str(e) for e in marker["entries"]}
    man = _read_json(folder / "manifest.json")
    if isinstance(man, dict) and man.get("tool") == TOOL:
        outputs: dict[str, Any] = man["outputs"] if isinstance(man.get("outputs"), dict) else {}
        names = (names or set()) | {"manifest.json"} | {
            v["file"] for v in outputs.values() if isinstance(v, dict) and isinstance(v.get("file"), str)}
    return None if names is None else names | {MARKER}


def _sample(names: Iterable[str], k: int = 4) -> str:
    items = sorted(names)
    shown = ", ".join(items[:k])
    return shown + (f" and {len(items) - k} more" if len(items) > k else "")


def _refuse(out: Path, message: str, fix: str = _NEW_FOLDER) -> PlannerError:
    return PlannerError(Problem(message, str(out), fix=fix))


def _part_is_file(out: Path) -> PlannerError:
    return _refuse(out, "a part of the output path is a file", fix="give --out a path whose parents are folders")


def _stat_output(
    path: str | Path, protect: Iterable[str | Path], what: str, *, loop_fix: str, part_is_file: bool
) -> tuple[Path, os.stat_result | None]:
    """``path`` made absolute and checked by :func:`_guard_location`, with its ``os.stat`` (None when absent).

    A symlink loop is refused with ``loop_fix``; with ``part_is_file`` a parent that is a file is
    refused too; any other ``OSError`` is an :class:`OutputEnvironmentError` naming the ``what``.
    """
    out = _absolute(path)
    _guard_location(out, protect, what)
    try:
        return out, os.stat(out)
    except FileNotFoundError:
        return out, None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refuse(out, "the output path is a symlink loop", fix=loop_fix) from None
        if part_is_file and exc.errno == errno.ENOTDIR:
            raise _part_is_file(out) from None
        raise environment_error(exc, out, f"check the {what}") from None


def _guard_location(out: Path, protect: Iterable[str | Path], what: str) -> None:
    """Refuse the root, the home folder, the current folder (or above) and anything holding an input."""
    if out.parent == out:
        raise _refuse(out, f"the filesystem root cannot be an {what}")
    home = _absolute(Path.home())
    if out == home:
        raise _refuse(out, f"this is your home folder; it cannot be an {what}")
    if _within(_absolute(Path.cwd()), out):
        raise _refuse(out, f"this is the current folder or a folder above it; it cannot be an {what}")
    for p in protect:
        src = _absolute(p)
        if _within(src, out):
            raise _refuse(out, f"this {what} would replace an input of this command ({src})",
                          fix="give --out a new folder outside the inputs")


def check_out_dir(out_dir: str | Path, *, protect: Iterable[str | Path] = (), force: bool = False) -> Path:
    """Check that ``out_dir`` may be written (see the module docstring) and return it, absolute.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    protect : iterable of path
        The command's inputs (scenario file, input files, compared runs): ``out_dir`` may be
        neither one of them nor a folder above one.
    force : bool
        Replace a planner folder even when it also holds files the planner did not write.

    Raises
    ------
    PlannerError
        When the folder may not be replaced (exit code 2), with the fix.
    OutputEnvironmentError
        When the folder cannot be listed (permission denied).
    """
    out, st = _stat_output(out_dir, protect, "output folder", loop_fix=_NEW_FOLDER, part_is_file=True)
    if st is None:
        return out
    if not stat.S_ISDIR(st.st_mode):
        raise _refuse(out, "the output path exists and is a file", fix="choose a folder name with --out")
    try:
        entries = os.listdir(out)
    except OSError as exc:
        raise environment_error(exc, out, "list the output folder") from None
    if not entries:
        return out
    written = written_entries(out)
    if written is None:
        raise _refuse(out, "the output folder exists and was not written by the planner "
                           f"(it holds {_sample(entries)}); "
                           "it is left as it is")
    extra = [e for e in entries if e not in written and not (e.startswith(".") and e.endswith(".tmp"))]
    if extra and not force:
        raise _refuse(out, f"the output folder is an earlier planner output but also holds files the planner did not "
                           f"write ({_sample(extra)}); it is left as it is",
                      fix="move those files out, give --out a new folder, "
                          "or add --force to replace the folder with them")
    return out


def check_writable(out_dir: str | Path) -> None:
    """Fail now, before computing, when the output folder could not be created (read-only, no permission).

    Creates and removes an empty probe folder beside ``out_dir`` (in its nearest existing parent).

    Raises
    ------
    OutputEnvironmentError
        Read-only file system, permission denied (exit code 4).
    """
    out = _absolute(out_dir)
    parent = out.parent
    while not parent.exists() and parent.parent != parent:
        parent = parent.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent))
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            raise _part_is_file(out) from None
        raise environment_error(exc, parent, "create the output folder") from None


def refuse_file_as_folder(out_dir: str | Path, *, protect: Iterable[str | Path] = (), force: bool = True) -> None:
    """:func:`check_out_dir` without its return value, for the library writers (called before computing).

    ``force`` defaults to True as in :func:`atomic_dir`: hand-added files in a planner folder are
    the CLI's question (``--force``).
    """
    check_out_dir(out_dir, protect=protect, force=force)


def input_paths(scenario: Any) -> list[Path]:
    """The files a scenario reads (its TOML and every ``inputs.*`` path, without a ``|layername=`` suffix).

    Pass them as ``protect`` to :func:`check_out_dir`: an output folder may hold none of them.
    """
    paths: list[Path] = []
    source = getattr(scenario, "source", None)
    if source:
        paths.append(Path(source))
    for _name, value in getattr(scenario, "inputs", ()):
        if isinstance(value, Path | str) and str(value) not in ("", "cgcs2000", "wgs84", "gcj02"):
            paths.append(Path(str(value).split("|layername=")[0]))
    return paths


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _tree_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def _cause_errno(exc: BaseException) -> int | None:
    """The environment errno behind ``exc`` (its chain, or the text native libraries raise)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in ENV_ERRNOS:
            return e.errno
        text = str(e).lower()
        for needle, code in ENV_TEXT.items():
            if needle in text:
                return code
        e = e.__cause__ or e.__context__
    return None


def _probe_errno(folder: Path) -> int | None:
    """Why writing under ``folder`` may have failed, from the file system itself."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return errno.EROFS
    except OSError:
        return None
    free = _free_bytes(folder)
    if free is not None and free < 2 * 2**20:
        return errno.ENOSPC
    if not os.access(folder, os.W_OK):
        return errno.EACCES
    return None


def environment_error(exc: BaseException, path: Path, action: str, *, code: int | None = None,
                      needed_bytes: int | None = None) -> OutputEnvironmentError:
    """An :class:`OutputEnvironmentError` for ``exc``, naming ``path`` and what it needs.

    Parameters
    ----------
    exc : BaseException
        The error raised by the write (its errno, or the text of a native library's message).
    path : Path
        The file or folder concerned.
    action : str
        What the planner was doing ("write the outputs", "rename the output folder").
    code : int, optional
        The errno, when already known.
    needed_bytes : int, optional
        How much had been written when the disk filled up (the outputs need at least this).
    """
    code = code if code is not None else _cause_errno(exc)
    if code is None and isinstance(exc, OSError):
        code = exc.errno
    where = path if path.is_dir() else path.parent
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = _free_bytes(where)
        need = f"; the outputs need more than {needed_bytes / 1e6:.1f} MB" if needed_bytes else ""
        have = f" ({free / 1e6:.1f} MB free)" if free is not None else ""
        msg = f"cannot {action}: {ENV_ERRNOS[code]}{have}{need}"
        fix = "free space on that disk, or give --out a folder on another disk"
    elif code in (errno.EACCES, errno.EPERM):
        msg = f"cannot {action}: {ENV_ERRNOS[code]} (the planner needs write permission here)"
        fix = "give --out a folder you can write to, or get write permission on this one"
    elif code == errno.EROFS:
        msg = f"cannot {action}: {ENV_ERRNOS[code]}"
        fix = "give --out a folder on a writable disk"
    else:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        msg = f"cannot {action} ({reason})"
        fix = ("make sure no other program holds the folder (and that it is not a mount point), "
               "then run again, or give --out a new folder")
    return OutputEnvironmentError(Problem(msg, str(path), fix=fix))


def as_environment_error(exc: BaseException) -> OutputEnvironmentError | None:
    """``exc`` as an :class:`OutputEnvironmentError` when the machine refused it, else None.

    Disk full, permission denied, read-only file system.

    The CLI's last resort for such an error raised outside :func:`atomic_dir` (the message names
    the file from the error, or the current folder).
    """
    code = _cause_errno(exc)
    if code is None:
        return None
    name = getattr(exc, "filename", None)
    path = Path(os.fsdecode(name)) if isinstance(name, str | bytes) else Path.cwd()
    return environment_error(exc, path, "read or write this path", code=code)


def _write_marker(folder: Path) -> None:
    entries = sorted(os.listdir(folder))
    data = {"tool": TOOL, "entries": entries}
    (folder / MARKER).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@contextmanager
def atomic_dir(out_dir: str | Path, *, protect: Iterable[str | Path] = (), force: bool = True) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out_dir`` in one rename.

    Parameters
    ----------
    out_dir : str or Path
        The output folder, checked by :func:`check_out_dir` on entry and just before the rename.
    protect, force
        As in :func:`check_out_dir`. ``force`` defaults to True here: files added by hand to a
        planner folder are the CLI's question (``--force``), asked before computing.

    Raises
    ------
    PlannerError
        If ``out_dir`` may not be replaced (see :func:`check_out_dir`).
    OutputEnvironmentError
        If the machine refuses the write (disk full, permission denied, read-only, rename
        refused); the temporary folder is removed and an earlier ``out_dir`` is kept.
    """
    protect = tuple(protect)
    out = check_out_dir(out_dir, protect=protect, force=force)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            raise _part_is_file(out) from None
        raise environment_error(exc, out.parent, "create the output folder") from None
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    renaming = False
    try:
        with _signals_as_exceptions():
            yield tmp
            _write_marker(tmp)
            os.chmod(tmp, 0o755)
            check_out_dir(out, protect=protect, force=force)  # nothing appeared there while computing
            renaming = True
            if out.exists():
                os.replace(out, old)
            os.replace(tmp, out)
    except BaseException as exc:
        env: OutputEnvironmentError | None = None
        if isinstance(exc, Exception) and not isinstance(exc, PlannerError):
            code = _cause_errno(exc)
            if renaming:  # every failure here is the machine's (EBUSY mount point, EXDEV, EACCES, ...)
                env = environment_error(exc, out, "rename the new output folder into place", code=code)
            elif (code := code or _probe_errno(out.parent)) is not None:
                env = environment_error(exc, out, "write the outputs", code=code, needed_bytes=_tree_bytes(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            os.replace(old, out)
        if env is not None:
            raise env from None
        raise
    shutil.rmtree(old, ignore_errors=True)


def _is_planner_report(path: Path) -> bool:
    """Whether ``path`` is an HTML report the planner wrote (its generator meta tag)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'name="generator" content="{TOOL}' in head


def check_out_file(out_file: str | Path, *, protect: Iterable[str | Path] = ()) -> Path:
    """Check that the file ``out_file`` may be written (``report --out``) and return it, absolute.

    A new path is fine; an existing file is replaced only when it is an HTML report the planner
    wrote (its ``generator`` meta tag, or an ``.html`` listed by the planner folder it sits in).
    A folder, a FIFO or device, an input of the command, and any other file are refused.
    """
    out, st = _stat_output(out_file, protect, "output file", loop_fix="give --out a new file name", part_is_file=False)
    if st is None:
        return out
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(out, "the output path is a folder; --out takes a file name",
                      fix="give --out a file name such as report_en.html")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(out, "the output path exists and is not a regular file", fix="give --out a new file name")
    listed = written_entries(out.parent) or set()
    if out.suffix.lower() in (".html", ".htm") and (out.name in listed or _is_planner_report(out)):
        return out
    raise _refuse(out, "the output file exists and was not written by the planner; it is left as it is",
                  fix="give --out a new file name (the planner replaces only reports it wrote)")


@contextmanager
def atomic_file(out_file: str | Path, *, protect: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``out_file``; on success it replaces ``out_file`` in one rename.

    ``out_file`` is checked with :func:`check_out_file`. Environment failures (disk full,
    permission denied, read-only) raise :class:`OutputEnvironmentError`; the temporary file is
    removed and an earlier ``out_file`` kept.
    """
    out = check_out_file(out_file, protect=protect)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            raise _part_is_file(out) from None
        raise environment_error(exc, out.parent, "create the output file") from None
    tmp = Path(name)
    try:
        with _signals_as_exceptions():
            yield tmp
            os.chmod(tmp, 0o644)
            os.replace(tmp, out)
    except Exception as exc:
        code = None if isinstance(exc, PlannerError) else (_cause_errno(exc) or _probe_errno(out.parent))
        size = tmp.stat().st_size if tmp.exists() else None
        tmp.unlink(missing_ok=True)
        if code is not None:
            raise environment_error(exc, out, "write the output file", code=code, needed_bytes=size) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
