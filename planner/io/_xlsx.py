"""Formula cells of an XLSX workbook that hold no saved value.

Excel and WPS save each formula's last value next to it; a workbook written by a script
(openpyxl, some database exports) holds the formula only, and every reader that does not
calculate (pandas, QGIS, this planner) sees an empty cell: a pole's ``=10+5`` height would
silently become the type default. :func:`fill_uncached_formulas` puts the formula's text in
such cells instead, so that a number column refuses it naming the row, and the file's note
tells the user to open and save the workbook.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

#: a formula element in a worksheet's XML (``<f>``, ``<f t="shared" .../>``, ``<x:f>``)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
MAX_NAMED = 5


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (a byte search, no XML parse)."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with z.open(name) as f:
                    if _FORMULA.search(f.read()):
                        return True
    return False


def fill_uncached_formulas(path: Path, sheet: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` (sheet ``sheet`` read with ``header=None``) with formula-only cells holding the formula text.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str
        Name of the sheet ``frame`` was read from.
    frame : DataFrame
        The sheet's cells as strings, row 0 = the sheet's row 1, column 0 = column A.

    Returns
    -------
    frame : DataFrame
        A copy with each formula cell that has no saved value set to its formula text (``=10+5``);
        ``frame`` itself when there is none.
    notes : list of str
        One note naming the cells (the first :data:`MAX_NAMED`) and the fix; empty when there is none.
    """
    if not _has_formulas(path):
        return frame, []
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    found: list[tuple[int, int, str]] = []
    wb_f = load_workbook(path, read_only=True, data_only=False)
    wb_v = load_workbook(path, read_only=True, data_only=True)
    try:
        rows_f = wb_f[sheet].iter_rows(min_row=1, min_col=1, values_only=True)
        rows_v = wb_v[sheet].iter_rows(min_row=1, min_col=1, values_only=True)
        for i, (row_f, row_v) in enumerate(zip(rows_f, rows_v, strict=False)):
            for j, (vf, vv) in enumerate(zip(row_f, row_v, strict=False)):
                text = getattr(vf, "text", vf)  # an ArrayFormula holds its text
                if vv is None and isinstance(text, str) and text.startswith("="):
                    found.append((i, j, text))
    finally:
        wb_f.close()
        wb_v.close()
    if not found:
        return frame, []
    out = frame.copy()
    for i, j, text in found:
        if i < out.shape[0] and j < out.shape[1] and pd.isna(out.iat[i, j]):  # pandas trims empty edges
            out.iat[i, j] = text
    cells = [f"{get_column_letter(j + 1)}{i + 1} ({text[:40]})" for i, j, text in found[:MAX_NAMED]]
    more = f" and {len(found) - MAX_NAMED} more" if len(found) > MAX_NAMED else ""
    note = (
        f"{path}: {len(found)} cells of sheet {sheet!r} hold a formula without a saved value "
        f"({', '.join(cells)}{more}): "
        "read as the formula's text (a number column refuses it); open the workbook in Excel or WPS and save it, so "
        "that every formula keeps its value, or paste the values"
    )
    return out, [note]
