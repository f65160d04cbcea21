"""Reference ``sites.xlsx`` writer: openpyxl's in-memory workbook, cell by cell (parity tests only).

:func:`planner.io.exports.write_sites_xlsx` streams the rows in openpyxl's write-only mode (no
cell objects kept: a city's 25,895 sites); this is the former writer, which must give the same
bytes (``tests/test_exports.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from planner._text import spreadsheet_cell
from planner.io.exports import FIXED_TIME, _normalise_zip, _notes, _width
from planner.plan import Plan
from planner.present.rollout import rollout_tables
from planner.present.tables import AREA_COLUMNS, area_records, area_table, site_columns, site_table


def _sheet(ws: Any, df: pd.DataFrame, number_formats: dict[int, str]) -> None:
    ws.append([spreadsheet_cell(str(c)) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append([spreadsheet_cell(v.item() if isinstance(v, np.generic) else v) for v in row])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE4F5")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for col_idx, fmt in number_formats.items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=col_idx, max_col=col_idx):
            cell.number_format = fmt
    for j, col in enumerate(df.columns, start=1):
        widest = max([_width(col)] + [_width(v) for v in df.iloc[:, j - 1].tolist()])
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, widest + 2), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def write_sites_xlsx_in_memory(plan: Plan, path: Path) -> Path:
    """``sites.xlsx`` built as an in-memory openpyxl workbook (the layout of :mod:`planner.io.exports`)."""
    lang = plan.scenario.report.language
    wb = Workbook()
    ws = wb.active
    ws.title = "站址表" if lang == "zh" else "sites"
    cols = [c for c, _ in site_columns(plan)]
    fmts = {
        cols.index(c) + 1: f for c, f in (("lon", "0.000000"), ("lat", "0.000000"), ("x_m", "0.000"), ("y_m", "0.000"))
    }
    _sheet(ws, site_table(plan, lang), fmts)
    areas = area_table(plan, lang)
    acols = [c for c, _ in AREA_COLUMNS]
    raw = area_records(plan)
    for c in ("target", "coverage", "best_possible"):
        areas.iloc[:, acols.index(c)] = raw[c].to_numpy(float)
    _sheet(
        wb.create_sheet("重点区域覆盖" if lang == "zh" else "areas"),
        areas,
        {acols.index(c) + 1: "0.00%" for c in ("target", "coverage", "best_possible")},
    )
    _sheet(wb.create_sheet("说明" if lang == "zh" else "notes"), _notes(plan, lang), {})
    for sec in rollout_tables(plan, lang):
        _sheet(wb.create_sheet(sec["title"][:31]), pd.DataFrame(sec["rows"], columns=sec["head"]), {})
    wb.properties.creator = "smartpole-planner"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)
    _normalise_zip(path)
    return path
