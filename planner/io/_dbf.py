"""What an input file's bytes say: a shapefile ``.dbf``'s text encoding, a web page saved under a GIS name."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.errors import InputDataError, Problem


def _dbf(file: Path) -> Path | None:
    return next((file.with_suffix(s) for s in (".dbf", ".DBF") if file.with_suffix(s).exists()), None)


def gbk_records_under_utf8(file: Path) -> bool:
    """Whether the shapefile's field names are UTF-8 (or ASCII) but its records are GBK/GB18030, not UTF-8.

    The case of a ``.cpg`` that says UTF-8 over a Chinese GIS's GBK export: GDAL fails on the first
    Chinese value. A field name cut mid-character (UTF-8 names over 10 bytes) is not this case: there
    the names are the broken part, and re-reading as GBK would only turn them into other characters.
    """
    dbf = _dbf(file)
    if dbf is None:
        return False
    try:
        data = dbf.read_bytes()
    except OSError:
        return False
    if len(data) < 32:
        return False
    header_len = int.from_bytes(data[8:10], "little")
    names = b"".join(data[i : i + 11].split(b"\x00", 1)[0] for i in range(32, max(32, header_len - 32), 32))
    records = data[header_len:]
    try:
        names.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        records.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    try:
        records.rstrip(b"\x1a").decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def utf8_field_names(frame: pd.DataFrame, file: Path) -> pd.DataFrame:
    """``frame`` (read from shapefile ``file`` as GBK) with its field names as the ``.dbf`` holds them, in UTF-8.

    Under :func:`gbk_records_under_utf8` the names are UTF-8 and only the records GBK; re-reading the whole
    file as GBK turns Chinese names into other characters (编号 -> 缂栧彿; a 3-character name loses its
    last byte). The fields come in ``.dbf`` order before the geometry; any other shape leaves ``frame`` as it is.
    """
    dbf = _dbf(file)
    try:
        data = dbf.read_bytes() if dbf is not None else b""
        header_len = int.from_bytes(data[8:10], "little")
        names = [
            data[i : i + 11].split(b"\x00", 1)[0].decode("utf-8").strip()
            for i in range(32, max(32, header_len - 32), 32)
        ]
    except (OSError, UnicodeDecodeError):
        return frame
    fields = [c for c in frame.columns if c != "geometry"]
    if len(names) != len(fields) or len(set(names)) != len(names):
        return frame
    return frame.rename(columns=dict(zip(fields, names, strict=True)))


def declared_encoding(file: Path) -> str:
    """The encoding the shapefile's ``.cpg`` names ("" without one)."""
    cpg = next((file.with_suffix(s) for s in (".cpg", ".CPG") if file.with_suffix(s).exists()), None)
    try:
        return cpg.read_text(encoding="ascii", errors="replace").strip() if cpg is not None else ""
    except OSError:
        return ""


def refuse_web_page(path: Path, fix: str = "download the file again (or export it from your GIS)") -> None:
    """Raise :class:`InputDataError` when ``path`` holds a web page (an HTML error or login page a download saved).

    Called once GDAL could not open the file, so that the message names the cause instead of "not recognized".
    """
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        raise InputDataError(
            Problem(
                "the file is a web page (HTML), not GIS data: a download that saved an error or login page",
                str(path),
                fix=fix,
            )
        )
