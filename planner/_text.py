"""Cells and headers as office tables write them: units, full-width digits, decimal commas, brackets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_STARTS",
    "XML_ILLEGAL",
    "exact",
    "header_key",
    "id_text",
    "parse_numbers",
    "spreadsheet_cell",
    "spreadsheet_frame",
    "strip_control_chars",
]


#: traditional -> simplified for the characters of the headers the readers know (a ledger from a traditional-
#: Chinese tool: 經度 is 经度); header names only, never values
_TRADITIONAL = str.maketrans(
    "經緯編號類稱費狀態產權單區別標覆蓋寬層數築樓設圍規則點桿塔監燈掛",
    "经纬编号类称费状态产权单区别标覆盖宽层数筑楼设围规则点杆塔监灯挂",
)


def header_key(name: object) -> str:
    """A column name reduced for matching: NFKC, lower case, units in brackets dropped.

    ``"经度（°）"``, ``"Lon"`` and ``" 挂高(m) "`` become ``"经度"``, ``"lon"`` and ``"挂高"``; the traditional
    characters of the usual headers (經度, 緯度, 編號, 類型, 名稱, 費用, 狀態, 產權單位 ...) become simplified.
    """
    text = unicodedata.normalize("NFKC", str(name)).strip().lower().translate(_TRADITIONAL)
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]\s*$", "", text)  # trailing "(m)", "[万元]" (NFKC made （） ASCII)
    text = re.sub(r"\s*/\s*(m|米|°|度|万元|元)$", "", text)  # "挂高/m"
    return text.strip()


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_HEMISPHERE = re.compile(r"^(?:[EN]|东经|北纬)?\s*([+-]?[\d.,]+)\s*(?:°|度)?\s*(?:[EN])?$", re.IGNORECASE)


def _number_text(text: str, units: tuple[str, ...], *, any_decimal_comma: bool = False) -> str:
    s = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-")  # full-width digits; Unicode minus
    low = s.lower()
    for unit in sorted(units, key=len, reverse=True):
        if low.endswith(unit) and len(s) > len(unit):
            s = s[: len(s) - len(unit)].strip()
            break
    if _DECIMAL_COMMA.fullmatch(s) and (any_decimal_comma or len(s.rpartition(",")[2]) != 3):  # 12,5 (not 1,000)
        s = s.replace(",", ".")
    return s


def parse_numbers(
    values: pd.Series, units: tuple[str, ...] = (), *, coordinate: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Numbers from table cells that may hold them as text.

    Accepts full-width digits (１２．５), a Unicode minus, the column's own unit as a suffix
    (``units``, e.g. ``("m", "米")`` for heights: ``"25m"``, ``"25 米"``), a decimal comma when it
    cannot be a thousands separator (``"12,5"``; ``"1,000"`` is refused), and for
    ``coordinate=True`` a degree sign, an E/N (东经/北纬) prefix or suffix, and any single decimal comma.

    Returns
    -------
    values : Series of float
        NaN where the cell is empty or unreadable.
    unreadable : Series of bool
        Cells with text that is not a number (to be reported).
    """
    out = pd.to_numeric(values, errors="coerce").astype(float)
    text = values.astype("string")
    todo = (out.isna() & text.notna() & (text.str.strip() != "")).to_numpy()
    parsed = out.to_numpy(copy=True)
    failed = np.zeros(len(values), dtype=bool)
    for pos in np.flatnonzero(todo):
        s = _number_text(str(values.iat[pos]), units)
        if coordinate:
            m = _HEMISPHERE.match(s)
            # a coordinate with one comma has a decimal comma (114,398 / 30,506): a thousands separator would
            # make it metres, which the plausibility check refuses anyway
            s = _number_text(m.group(1), (), any_decimal_comma=True) if m else s
        try:
            parsed[pos] = float(s)  # "nan" stays NaN: an empty cell, not an error
        except ValueError:
            failed[pos] = True
    out = pd.Series(parsed, index=values.index, dtype=float)
    unreadable = pd.Series(failed, index=values.index)
    return out, unreadable


#: first characters that make Excel, WPS or LibreOffice read a text cell as a formula (OWASP "CSV
#: Injection": ``=``, ``+``, ``-``, ``@``, tab, carriage return; a line feed is treated the same)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF): an xlsx
#: cannot hold them, and a KML or GeoPackage reader chokes on them
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def spreadsheet_cell(value: object) -> object:
    """A value made safe for a spreadsheet cell (CSV or XLSX).

    Text that a spreadsheet would run as a formula (it starts, possibly after spaces, with one of
    :data:`FORMULA_STARTS`) gets a leading apostrophe, as the OWASP CSV-injection guidance
    advises; characters XML forbids are removed (the inputs are cleaned when read, with a warning;
    this is the writers' safety net). Numbers, booleans and missing values are returned unchanged:
    a negative number stays a number.

    Examples
    --------
    >>> spreadsheet_cell("=1+1")
    "'=1+1"
    >>> spreadsheet_cell(-3.5), spreadsheet_cell("路灯 -3")
    (-3.5, '路灯 -3')
    """
    if not isinstance(value, str):
        return value
    text = XML_ILLEGAL.sub("", value)
    if text.lstrip(" \u3000").startswith(FORMULA_STARTS) or text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def spreadsheet_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) went through :func:`spreadsheet_cell`.

    Numeric columns are left as they are, so ``to_csv``/``to_excel`` still write numbers.
    """
    cols: list[pd.Series] = []
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if col.dtype == object or isinstance(col.dtype, pd.StringDtype | pd.CategoricalDtype):
            col = pd.Series([spreadsheet_cell(v) for v in col.astype(object).tolist()], index=df.index, dtype=object)
        cols.append(col)
    out = pd.concat(cols, axis=1) if cols else df.copy()
    out.columns = [spreadsheet_cell(c) for c in df.columns]
    return out


#: names of the control characters people meet in pasted text (others are shown as U+XXXX)
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 11: "VT", 12: "FF", 27: "ESC", 0xFFFE: "U+FFFE", 0xFFFF: "U+FFFF"}


def strip_control_chars(
    df: pd.DataFrame, label: Callable[[pd.DataFrame, int], str], src: str
) -> tuple[pd.DataFrame, list[str]]:
    """Remove the control characters XML forbids (:data:`XML_ILLEGAL`) from every text cell and header.

    Such characters (ESC, BEL, NUL pasted from terminals or old databases) cannot be stored in
    an xlsx or a KML; they are dropped when the file is read, and a warning names the file, the
    column and the rows (with their ids, as cleaned).

    Parameters
    ----------
    df : DataFrame
        A layer or table as read (a geometry column is left alone).
    label : callable
        ``(frame, row position) -> human label`` such as ``"feature 'L0003' (row 5)"``.
    src : str
        The file, for the warning.

    Returns
    -------
    df : DataFrame
        The cleaned copy (``df`` itself when nothing had to change).
    warnings : list of str
    """
    found: list[tuple[str, list[int], str]] = []
    out = df
    renamed = {c: XML_ILLEGAL.sub("", c) for c in df.columns if isinstance(c, str) and XML_ILLEGAL.search(c)}
    if renamed:
        out = out.rename(columns=renamed)
    for name in list(out.columns):
        col = out[name]
        if name == "geometry" or not (col.dtype == object or isinstance(col.dtype, pd.StringDtype)):
            continue
        values = col.astype(object).tolist()
        if not XML_ILLEGAL.search("\n".join([v for v in values if isinstance(v, str)])):
            continue  # one scan of the whole column ("\n" is legal XML), not one per cell
        hit = [i for i, v in enumerate(values) if isinstance(v, str) and XML_ILLEGAL.search(v)]
        if not hit:
            continue
        codes = sorted({ord(ch) for i in hit for ch in XML_ILLEGAL.findall(values[i])})
        found.append((str(name), hit, ", ".join(_CONTROL_NAMES.get(c, f"U+{c:04X}") for c in codes)))
        if out is df:
            out = df.copy()
        cleaned = [XML_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in values]
        out[name] = pd.Series(cleaned, index=out.index, dtype=object)
    notes = (
        [f"{src}: control characters removed from the column names {', '.join(repr(c) for c in renamed.values())}"]
        if renamed
        else []
    )
    for name, hit, chars in found:
        rows = ", ".join(label(out, i) for i in hit[:10]) + (f" and {len(hit) - 10} more" if len(hit) > 10 else "")
        notes.append(f"{src}: control characters ({chars}) removed from column {name!r} at {rows}")
    return out, notes


def exact(value: float) -> str:
    """A number for a message, exactly as given: ``150.0001`` (not ``150``), ``300``, ``-5``, ``1e+300``, ``inf``.

    Examples
    --------
    >>> exact(150.0001), exact(300.0), exact(-5), exact(1e300), exact(float("nan"))
    ('150.0001', '300', '-5', '1e+300', 'nan')
    """
    x = float(value)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


#: said of a table cell that reads as a formula's text (``=10+5``: a workbook written by a script holds the formula
#: only, see :mod:`planner.io._xlsx`)
FORMULA_HINT = (
    "a formula without a saved value: open the file in Excel or WPS and save it so that the formula keeps its "
    "value, or write the value"
)


def id_text(values: pd.Series) -> pd.Series:
    """Ids as text (a string Series, stripped): whole numbers stored as floats lose their ``.0``.

    A GeoPackage or shapefile with a numeric id column that has one empty cell, or a REAL field,
    gives floats: the ids ``1001``, ``1002`` must not come out as ``1001.0`` in the plan.
    """
    if pd.api.types.is_float_dtype(values.dtype):
        finite = values.dropna()
        if len(finite) and bool(((finite % 1 == 0) & (finite.abs() < 2**53)).all()):
            return values.astype("Int64").astype("string").str.strip()
    return values.astype("string").str.strip()
