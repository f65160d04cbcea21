"""The header of a lon/lat table (CSV/XLSX): which row names the columns, and two-row headers."""

from __future__ import annotations

import pandas as pd

from planner._text import header_key

LON_NAMES = ("lon", "lng", "longitude", "经度", "x_lon", "long")
LAT_NAMES = ("lat", "latitude", "纬度", "y_lat")


def header_row(raw: pd.DataFrame) -> int | None:
    """The first row (within the first 10) with a column named like an id, longitude or latitude."""
    keys = {"id", *LON_NAMES, *LAT_NAMES, "编号", "站址编号"}
    for i in range(min(10, len(raw))):
        cells = {header_key(v) for v in raw.iloc[i].tolist() if isinstance(v, str)}
        if cells & keys:
            return i
    return None


def has_lonlat(raw: pd.DataFrame, row: int | None) -> bool:
    """Whether row ``row`` (or the row below it, in a two-row header) names the lon and lat columns."""
    if row is None:
        return False
    rows = range(row, min(row + 2, len(raw)))
    names = {header_key(v) for r in rows for v in raw.iloc[r].tolist() if isinstance(v, str)}
    return bool(names & set(LON_NAMES)) and bool(names & set(LAT_NAMES))


def two_row_header(raw: pd.DataFrame, first: int) -> int:
    """The last header row: ``first + 1`` when the lon/lat names sit in the row below ``first``, else ``first``.

    Chinese ledgers often head 经度 | 纬度 with a merged 位置 cell above them; the header is then two rows,
    each column named by its lower cell (or the upper one where the lower is empty).
    """

    def lonlat(row: int) -> bool:
        names = {header_key(v) for v in raw.iloc[row].tolist() if isinstance(v, str)}
        return bool(names & set(LON_NAMES)) and bool(names & set(LAT_NAMES))

    return first + 1 if first + 1 < len(raw) and not lonlat(first) and lonlat(first + 1) else first
