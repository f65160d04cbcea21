"""The header of a lon/lat table (CSV/XLSX): which row names the columns, two-row headers, repeated names."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from planner._text import header_key
from planner.errors import InputDataError, Problem

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


#: names of a column holding both coordinates ("114.398,30.506"), as :func:`planner._text.header_key` gives them
COMBINED_NAMES = ("经纬度", "经纬", "坐标", "lonlat", "lnglat", "lon_lat", "lng_lat", "lon/lat", "lng/lat", "location")
_PAIR = re.compile(r"^\s*\(?\s*([-+]?\d+(?:\.\d+)?)\s*[,，;；\s]\s*([-+]?\d+(?:\.\d+)?)\s*\)?\s*$")


def split_combined_lonlat(df: pd.DataFrame, path: object) -> pd.DataFrame:
    """Split a column holding both coordinates into ``lon`` and ``lat`` when its order is certain.

    Web-map pickers give ``lng,lat`` (高德, 百度), Google Maps gives ``lat, lng``. The order is read
    from the values: in China longitudes are 73–136 and latitudes 3–54, so a file whose every pair
    falls one way round is split that way. Anything else (a pair that is not two numbers, values
    that fit both orders, or a table that has a longitude or latitude column of its own) leaves
    ``df`` unchanged.

    Returns
    -------
    DataFrame
        With ``lon`` and ``lat`` columns added (the combined column kept) and a note naming ``path``
        in ``attrs["read_notes"]``; or ``df`` itself.
    """
    by_key = {header_key(c): c for c in df.columns}
    col = next((by_key[k] for k in COMBINED_NAMES if k in by_key), None)
    if col is None or any(k in by_key for k in (*LON_NAMES, *LAT_NAMES)):  # 经度/纬度 given: they are the coordinates
        return df
    if sum(header_key(c) == header_key(col) for c in df.columns) > 1:  # two 坐标 columns: which one is not guessed
        return df
    text = df[col].astype("string").fillna("")
    pairs = text.str.extract(_PAIR).astype(float)
    filled = text.str.strip() != ""
    if not filled.any() or pairs[filled].isna().any().any():
        return df
    a, b = pairs.loc[filled, 0], pairs.loc[filled, 1]
    if ((73 <= a) & (a <= 136) & (3 <= b) & (b <= 54)).all():
        order, lon, lat = "longitude, latitude", pairs[0], pairs[1]
    elif ((3 <= a) & (a <= 54) & (73 <= b) & (b <= 136)).all():
        order, lon, lat = "latitude, longitude", pairs[1], pairs[0]
    else:
        return df
    out = df.copy()
    out["lon"], out["lat"] = lon.to_numpy(), lat.to_numpy()
    example = text[filled].iloc[0].strip()
    note = f"{path}: column {col} holds both coordinates ({order}, e.g. {example!r}): split into lon and lat"
    out.attrs["read_notes"] = [*df.attrs.get("read_notes", []), note]
    return out


def refuse_repeated_headers(header: list[str], path: Path, row: int) -> None:
    """Refuse a header naming two columns alike (two 经度, two 备注): which one holds the data is unknown."""
    from openpyxl.utils import get_column_letter

    seen: dict[str, list[int]] = {}
    for j, name in enumerate(header):
        seen.setdefault(name, []).append(j)
    repeated = {name: cols for name, cols in seen.items() if len(cols) > 1}
    if repeated:
        listed = "; ".join(
            f"{name!r} in columns {', '.join(get_column_letter(j + 1) for j in cols)}"
            for name, cols in repeated.items()
        )
        raise InputDataError(
            Problem(
                f"the header names two columns alike: {listed}",
                str(path),
                f"row {row}",
                "give each column its own name, or delete the copies you do not need",
            )
        )
