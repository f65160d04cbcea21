"""The exchange files of a plan.

``sites.csv``, ``sites.xlsx``, ``sites.kml``, ``sites.kmz``, ``plan.gpkg``, ``sites.dxf``.

Each export is written for the tool planners open it with: Excel (CSV in UTF-8 with BOM,
XLSX with frozen header, Chinese headers, rates in percent format and a 说明 sheet), Google
Earth / 奥维 (KML/KMZ from :mod:`planner.io.kmz`: WGS 84 = CGCS2000 values as-is, never GCJ-02,
icons inside the KMZ), GIS (GeoPackage in EPSG:4490) and CAD (DXF from :mod:`planner.io.dxf`
in the metric CRS: layers per 建设方式 in the report's language, one block reference with
attributes per site). Every writer produces the same bytes for the same plan
(no timestamps, fixed float formats), so run manifests can be compared.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._text import spreadsheet_cell
from planner.plan import Plan
from planner.present.i18n import label, texts
from planner.present.tables import (
    AREA_COLUMNS,
    area_records,
    area_table,
    site_columns,
    site_records,
    site_table,
)

#: fixed timestamp written where a format insists on one (xlsx core properties, zip entries)
FIXED_TIME = datetime(2000, 1, 1, 0, 0, 0)
#: CSV/XLSX number formats per internal column
_FORMATS = {"lon": "{:.6f}", "lat": "{:.6f}", "x_m": "{:.3f}", "y_m": "{:.3f}", "height_m": "{:g}", "cost": "{:g}"}
_CORE_MODIFIED_RE = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fmt(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    fmt = _FORMATS.get(column)
    if fmt is not None:
        return fmt.format(float(value))
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    return str(value)


def write_sites_csv(plan: Plan, path: Path) -> Path:
    """``sites.csv``: the site table, UTF-8 with BOM (Excel), CRLF, fixed number formats."""
    lang = plan.scenario.report.language
    table = site_table(plan, lang)
    raw = site_records(plan)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([spreadsheet_cell(c) for c in table.columns])
    # column by column (a city's thousands of rows: no per-cell pandas lookups); text cells that a
    # spreadsheet would run as a formula are neutralised before formatting (numbers stay numbers)
    cols = [
        [_fmt(col, spreadsheet_cell(v)) for v in (raw[col] if col in _FORMATS else table.iloc[:, j]).tolist()]
        for j, (col, _) in enumerate(site_columns(plan))
    ]
    w.writerows(zip(*cols, strict=True))
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return path


def _width(value: object) -> int:
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet(ws: Any, df: pd.DataFrame, number_formats: dict[int, str]) -> None:
    """Write ``df`` into the write-only sheet ``ws``: bold filled header, number formats, widths, frozen header, filter.

    openpyxl's write-only mode (rows streamed to the file, no cell objects kept; a city's 25,895
    sites): the layout (column widths, frozen pane, filter) is set before the first row, and the
    sheet's ``<dimension>`` is given (openpyxl's writer asks the sheet for it), so the bytes are
    those of the former in-memory workbook (``tests/test_exports.py`` compares the two).
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for j, col in enumerate(df.columns, start=1):
        texts = {str(v) for v in df.iloc[:, j - 1].tolist()}  # each distinct text once (a city: 25,895 rows)
        widest = max([_width(col)] + [_width(v) for v in texts])
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, widest + 2), 60)
    ws.freeze_panes = "A2"
    ref = f"A1:{get_column_letter(max(1, len(df.columns)))}{len(df) + 1}"
    ws.auto_filter.ref = ref
    ws.calculate_dimension = lambda: ref  # the <dimension> element of an in-memory sheet
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE4F5")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header = []
    # text that Excel would run as a formula is written as text with a leading apostrophe
    # (planner._text.spreadsheet_cell); numbers stay numbers
    for c in df.columns:
        cell = WriteOnlyCell(ws, spreadsheet_cell(str(c)))
        cell.font, cell.fill, cell.alignment = bold, fill, centre
        header.append(cell)
    ws.append(header)
    formats = {j - 1: fmt for j, fmt in number_formats.items()}
    for row in df.itertuples(index=False):
        values: list[Any] = [spreadsheet_cell(v.item() if isinstance(v, np.generic) else v) for v in row]
        for j, fmt in formats.items():
            cell = WriteOnlyCell(ws, values[j])
            cell.number_format = fmt
            values[j] = cell
        ws.append(values)


def _normalise_zip(path: Path) -> None:
    """Rewrite a zip container (xlsx) with fixed entry timestamps, for reproducible bytes."""
    with zipfile.ZipFile(path) as src:
        items = [(info, src.read(info.filename)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = _CORE_MODIFIED_RE.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    path.write_bytes(buf.getvalue())


def _notes(plan: Plan, lang: str) -> pd.DataFrame:
    """The 说明 sheet: what the tables are (scenario, band, threshold, edge probability, solver
    status and gap, 编制单位/编制日期, tool version, CRS) and the 报批 disclaimers.
    """
    from importlib import metadata

    from planner.present.i18n import RADIO_LABELS, STATUS_LABELS

    t = texts(lang)
    rl = RADIO_LABELS["en" if lang == "en" else "zh"]
    sc, sol = plan.scenario, plan.solution
    try:
        version = metadata.version("smartpole-planner")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed
        version = "0+unknown"
    gap = sol.get("gap")
    rows: list[tuple[str, object]] = [
        (t["scenario"], sc.scenario.name),
        (t["band"], str(plan.radio.get("band", sc.radio.band))),
        (t["threshold"], float(plan.radio.get("threshold_dbm", sc.radio.threshold_dbm))),
        (rl["edge_probability"], float(sc.radio.edge_probability)),
        (t["solver_status"], label(STATUS_LABELS, lang, sol.get("status"))),
        (t["gap"], "–" if gap is None else f"{100 * float(gap):.2f}%"),
        (t["organisation"], sc.report.organisation or t["not_filled"]),
        (t["date"], sc.report.date or t["not_filled"]),
        (t["version"], version),
        (t["metric_crs"], plan.grid.crs),
        (t["coverage"], t["xlsx_rates"]),
        (t["disclaimer"], ""),
        (t["no_review_no"], ""),
    ]
    return pd.DataFrame({t["item"]: [k for k, _ in rows], t["value"]: [v for _, v in rows]})


def write_sites_xlsx(plan: Plan, path: Path) -> Path:
    """``sites.xlsx``: site table and per-area sheet, frozen bold header, column widths."""
    from openpyxl import Workbook

    lang = plan.scenario.report.language
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("站址表" if lang == "zh" else "sites")
    sites = site_table(plan, lang)
    cols = [c for c, _ in site_columns(plan)]
    fmts = {
        cols.index("lon") + 1: "0.000000",
        cols.index("lat") + 1: "0.000000",
        cols.index("x_m") + 1: "0.000",
        cols.index("y_m") + 1: "0.000",
    }
    _sheet(ws, sites, fmts)
    ws2 = wb.create_sheet("重点区域覆盖" if lang == "zh" else "areas")
    areas = area_table(plan, lang)
    acols = [c for c, _ in AREA_COLUMNS]
    raw = area_records(plan)
    for c in ("target", "coverage", "best_possible"):  # fractions shown as percentages by the cell format
        areas.iloc[:, acols.index(c)] = raw[c].to_numpy(float)
    _sheet(ws2, areas, {acols.index(c) + 1: "0.00%" for c in ("target", "coverage", "best_possible")})
    ws3 = wb.create_sheet("说明" if lang == "zh" else "notes")
    _sheet(ws3, _notes(plan, lang), {})
    from planner.present.rollout import rollout_tables

    for sec in rollout_tables(plan, lang):  # 建设期 / 运营商 sheets of [[phases]] / [operators] plans (共享率 included)
        _sheet(wb.create_sheet(sec["title"][:31]), pd.DataFrame(sec["rows"], columns=sec["head"]), {})
    wb.properties.creator = "smartpole-planner"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)
    _normalise_zip(path)
    return path


def write_sites_kml(plan: Plan, path: Path) -> Path:
    """``sites.kml``: :func:`planner.io.kmz.kml_document` without icon files (boundary, priority
    areas and per-建设方式 site folders; values in the report's language; CGCS2000 lon/lat as-is,
    never GCJ-02; no network reference). ``sites.kmz`` carries the same document with its icons.
    """
    from planner.io.kmz import kml_document

    path.write_text(kml_document(plan, icons=False), encoding="utf-8")
    return path


@contextmanager
def _gdal_fixed_date() -> Iterator[None]:
    """GeoPackage timestamps (gpkg_contents.last_change) fixed for reproducible bytes."""
    import pyogrio

    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _plain(gdf: gpd.GeoDataFrame | pd.DataFrame) -> Any:
    """Columns GDAL can store: object columns as text, no helper columns."""
    out = gdf.copy()
    for c in out.columns:
        if c == "geometry":
            continue
        if out[c].dtype == object or str(out[c].dtype).startswith("string"):
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    return out


def write_plan_gpkg(plan: Plan, path: Path) -> Path:
    """``plan.gpkg`` (EPSG:4490): selected_sites, candidates, priority_areas, coverage_by_area, uncovered, boundary."""
    import pyogrio

    from planner.present.tables import uncovered_polygons

    sites = plan.sites.to_crs("EPSG:4490")
    keep = [
        c
        for c in (
            "site_code",
            "id",
            "name",
            "type",
            "site_class",
            "height_m",
            "cost",
            "owner",
            "build_mode",
            "status",
            "x_m",
            "y_m",
            "areas",
            "cells_covered",
            "unique_cells",
            "rollout_rank",
            "rollout_served",
            "phase",
            "operators",
            "tenants",
        )  # the last three: [[phases]] / [operators] plans only
        if c in sites.columns
    ]
    sites = sites[[*keep, "geometry"]]
    cands = plan.candidates.to_crs("EPSG:4490")
    areas = plan.areas.to_crs("EPSG:4490")
    coverage = area_records(plan).drop(columns=["seq"])
    with _gdal_fixed_date():
        pyogrio.write_dataframe(_plain(sites), path, layer="selected_sites", driver="GPKG")
        pyogrio.write_dataframe(_plain(cands), path, layer="candidates", driver="GPKG", append=False)
        pyogrio.write_dataframe(_plain(areas), path, layer="priority_areas", driver="GPKG")
        pyogrio.write_dataframe(_plain(coverage), path, layer="coverage_by_area", driver="GPKG")
        pyogrio.write_dataframe(
            _plain(uncovered_polygons(plan)), path, layer="uncovered", driver="GPKG", promote_to_multi=True
        )
        boundary = plan.boundary.to_crs("EPSG:4490")[["geometry"]].copy()
        boundary["part"] = np.arange(len(boundary), dtype=np.int64)
        pyogrio.write_dataframe(boundary, path, layer="boundary", driver="GPKG", promote_to_multi=True)
    return path


def write_sites_dxf(plan: Plan, path: Path) -> Path:
    """``sites.dxf`` in the plan's metric CRS (m); see :mod:`planner.io.dxf` (layers per
    language, each site a block reference with 编号/名称/类型/挂高/建设方式 attributes).
    """
    from planner.io.dxf import write_sites_dxf as write_dxf

    return write_dxf(plan, path)


def write_exports(plan: Plan, folder: str | Path) -> dict[str, Path]:
    """Write every exchange file of a plan into ``folder``.

    Returns
    -------
    dict
        ``{"sites_csv", "sites_xlsx", "sites_kml", "sites_kmz", "gpkg", "sites_dxf"}`` → path.
    """
    from planner.io.kmz import write_sites_kmz

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "sites_csv": write_sites_csv(plan, folder / "sites.csv"),
        "sites_xlsx": write_sites_xlsx(plan, folder / "sites.xlsx"),
        "sites_kml": write_sites_kml(plan, folder / "sites.kml"),
        "sites_kmz": write_sites_kmz(plan, folder / "sites.kmz"),
        "gpkg": write_plan_gpkg(plan, folder / "plan.gpkg"),
        "sites_dxf": write_sites_dxf(plan, folder / "sites.dxf"),
    }
