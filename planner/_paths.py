"""Input paths: only regular files are read.

A named pipe (FIFO) would block the reader forever, a device (``/dev/zero``) never ends, a symlink
loop raises deep inside a library: each is refused here, before anything is opened, with
``os.stat`` (which follows symlinks and reports a loop as ``ELOOP``).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from planner.errors import InputDataError, Problem

__all__ = ["absolute", "not_a_regular_file", "require_regular_file"]

#: folders that are datasets (ESRI File Geodatabase)
DATASET_FOLDERS = frozenset({".gdb"})
#: shapefile sidecars read with the .shp (each must be a regular file when present)
SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")


def absolute(path: Path) -> Path:
    """``path`` made absolute and normalised, symlinks kept as written.

    Messages then name the file the user named (a symlink to ``/dev/zero`` is reported as the
    link), and a symlink loop does not raise here (``Path.resolve`` raises ``RuntimeError`` on
    one in Python 3.11 and 3.12): :func:`require_regular_file` names it.
    """
    return Path(os.path.normpath(os.path.abspath(path)))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def not_a_regular_file(path: Path, what: str) -> str | None:
    """Why ``path`` cannot be read as a file (None when it is a regular file, or a dataset folder).

    Parameters
    ----------
    path : Path
        The path as configured (symlinks allowed: they are followed).
    what : str
        What the file is for (``"candidates"``, ``"dem"``, ``"scenario"``), for the message.
    """
    try:
        st = os.stat(path)  # follows symlinks; never opens (a FIFO would block on open)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{what} path is a symlink loop (the links point at each other)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            if os.path.islink(path):
                return f"{what} path is a symlink to a file that does not exist ({os.readlink(path)})"
            return f"{what} file not found"
        if exc.errno == errno.EACCES:
            return f"{what} file cannot be read: permission denied"
        return f"{what} file cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(st.st_mode):
        if not os.access(path, os.R_OK):
            return f"{what} file cannot be read: permission denied"
        return None
    if stat.S_ISDIR(st.st_mode):
        return None if path.suffix.lower() in DATASET_FOLDERS else f"{what} path is a folder, not a file"
    return f"{what} path is {_kind(st.st_mode)}, not a regular file"


def require_regular_file(path: Path, what: str) -> None:
    """Raise :class:`InputDataError` unless ``path`` is a readable regular file (or a ``.gdb`` folder).

    For a shapefile the sidecars (``.shx``, ``.dbf``, ``.prj``, ``.cpg``) are checked too, and a
    missing ``.dbf`` (the attribute table: ``id``, ``type`` ...) is named as such.
    """
    why = not_a_regular_file(path, what)
    if why is not None:
        if why.endswith("not found"):
            fix = f"check `inputs.{what}` in the scenario (paths are relative to the scenario file)"
        elif "permission" in why:
            fix = "give the planner read access to the file, or copy it somewhere readable"
        elif "folder" in why:
            fix = "point to the file inside it"
        else:
            fix = f"point `inputs.{what}` at a regular file (copy the data into a file first)"
        raise InputDataError(Problem(why, str(path), fix=fix))
    if path.suffix.lower() != ".shp":
        return
    for ext in SHAPEFILE_SIDECARS:
        side = next((path.with_suffix(s) for s in (ext, ext.upper()) if os.path.lexists(path.with_suffix(s))), None)
        if side is None:
            if ext in (".shx", ".dbf"):
                raise InputDataError(
                    Problem(
                        f"the shapefile's {ext} file is missing"
                        + (
                            " (it holds the attribute table: id, type, ...)"
                            if ext == ".dbf"
                            else " (it indexes the shapes)"
                        ),
                        str(path),
                        fix=f"copy {path.with_suffix(ext).name} next to {path.name} (a shapefile is several files), "
                        "or export the layer as a GeoPackage",
                    )
                )
            continue
        why = not_a_regular_file(side, what)
        if why is not None:
            raise InputDataError(Problem(why, str(side), fix="copy the shapefile's files again as regular files"))
