"""The exchange files of a plan: ``sites.csv``, ``sites.xlsx``, ``sites.kml``, ``plan.gpkg``, ``sites.dxf``.

Each export is written for the tool planners open it with: Excel (CSV in UTF-8 with BOM,
XLSX with frozen header and Chinese headers), Google Earth / 奥维 (KML, WGS 84 =
CGCS2000 values as-is, never GCJ-02), GIS (GeoPackage in EPSG:4490) and CAD (DXF in the
metric CRS, one layer per 建设方式). Every writer produces the same bytes for the same plan
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
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._text import XML_ILLEGAL, spreadsheet_cell
from planner.plan import Plan
from planner.present.i18n import BUILD_MODES, MODE_LABELS, label, texts
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
#: DXF layer per 建设方式 (ASCII names open everywhere; the Chinese name is the layer description)
DXF_LAYERS = {"保留": "SITE_KEEP", "共享": "SITE_SHARE", "利旧": "SITE_REUSE", "新建": "SITE_NEW"}
DXF_COLOURS = {"保留": 8, "共享": 5, "利旧": 3, "新建": 1}  # AutoCAD colour index
_CORE_MODIFIED_RE = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_EZDXF_STAMP_RE = re.compile(r"(\d+\.\d+\.\d+ @ )\d{4}-\d\d-\d\dT[\d:.]+\+00:00")
#: KML colours per 建设方式 (aabbggrr)
KML_COLOURS = {"保留": "ff807b6b", "共享": "ffeb6325", "利旧": "ff4aa316", "新建": "ff2626dc"}


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
    cols = [[_fmt(col, spreadsheet_cell(v)) for v in (raw[col] if col in _FORMATS else table.iloc[:, j]).tolist()]
            for j, (col, _) in enumerate(site_columns(plan))]
    w.writerows(zip(*cols, strict=True))
    path.write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    return path


def _width(value: object) -> int:
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet(ws: Any, df: pd.DataFrame, number_formats: dict[int, str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    # text that Excel would run as a formula is written as text with a leading apostrophe
    # (planner._text.spreadsheet_cell); numbers stay numbers
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
    from openpyxl.utils import get_column_letter

    for j, col in enumerate(df.columns, start=1):
        widest = max([_width(col)] + [_width(v) for v in df.iloc[:, j - 1].tolist()])
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, widest + 2), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


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


def write_sites_xlsx(plan: Plan, path: Path) -> Path:
    """``sites.xlsx``: site table and per-area sheet, frozen bold header, column widths."""
    from openpyxl import Workbook

    lang = plan.scenario.report.language
    t = texts(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "站址表" if lang == "zh" else "sites"
    sites = site_table(plan, lang)
    cols = [c for c, _ in site_columns(plan)]
    fmts = {cols.index("lon") + 1: "0.000000", cols.index("lat") + 1: "0.000000", cols.index("x_m") + 1: "0.000",
            cols.index("y_m") + 1: "0.000"}
    _sheet(ws, sites, fmts)
    ws2 = wb.create_sheet("重点区域覆盖" if lang == "zh" else "areas")
    areas = area_table(plan, lang)
    acols = [c for c, _ in AREA_COLUMNS]
    _sheet(ws2, areas, {acols.index(c) + 1: "0.00" for c in ("target", "coverage", "best_possible")})
    ws3 = wb.create_sheet("说明" if lang == "zh" else "notes")
    notes = pd.DataFrame({t["item"]: [t["scenario"], t["metric_crs"], t["coverage"], "", ""],
                          t["value"]: [plan.scenario.scenario.name, plan.grid.crs, "%", t["disclaimer"], t["no_review_no"]]})
    _sheet(ws3, notes, {})
    from planner.present.rollout import rollout_tables

    for sec in rollout_tables(plan, lang):  # 建设期 / 运营商 sheets of [[phases]] / [operators] plans (共享率 included)
        _sheet(wb.create_sheet(sec["title"][:31]), pd.DataFrame(sec["rows"], columns=sec["head"]), {})
    wb.properties.creator = "smartpole-planner"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)
    _normalise_zip(path)
    return path


def _xml_text(value: object) -> str:
    """Escaped XML text without the control characters XML forbids (a KML must stay well-formed)."""
    return escape(XML_ILLEGAL.sub("", str(value)))


def _kml_data(fields: list[tuple[str, object]]) -> str:
    return "".join(f'<Data name="{escape(str(k), {chr(34): "&quot;"})}"><value>{_xml_text(v)}</value></Data>'
                   for k, v in fields)


def write_sites_kml(plan: Plan, path: Path) -> Path:
    """``sites.kml``: selected sites (one folder) and priority areas, WGS 84 = CGCS2000 lon/lat.

    The coordinates are CGCS2000 values written as-is (KML is WGS 84 by specification; the
    two agree to well under a metre); they are never GCJ-02-shifted.
    """
    lang = plan.scenario.report.language
    t = texts(lang)
    rec = site_records(plan)
    geo = plan.sites.geometry.to_crs("EPSG:4490")
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<kml xmlns="http://www.opengis.net/kml/2.2">', "<Document>",
           f"<name>{_xml_text(plan.scenario.scenario.name)}</name>",
           f"<description>{escape(t['disclaimer'])}</description>"]
    for mode in BUILD_MODES:
        out.append(f'<Style id="mode-{DXF_LAYERS[mode]}"><IconStyle><color>{KML_COLOURS[mode]}</color><scale>0.9</scale>'
                   "<Icon><href>https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png</href></Icon></IconStyle>"
                   f"<LabelStyle><scale>0.7</scale></LabelStyle></Style>")
    out.append(f"<Folder><name>{escape(t['layer_selected'])}</name>")
    lons, lats = geo.x.to_numpy(np.float64).tolist(), geo.y.to_numpy(np.float64).tolist()
    for i, r in enumerate(rec.to_dict("records")):
        mode = str(r["build_mode"])
        fields: list[tuple[str, object]] = [(t[k], _fmt(c, r[c])) for c, k in site_columns(plan) if c not in ("seq",)]
        style = f"#mode-{DXF_LAYERS[mode]}" if mode in DXF_LAYERS else "#mode-SITE_NEW"
        lon, lat = lons[i], lats[i]
        out.append(f"<Placemark><name>{_xml_text(r['site_code'])}</name>"
                   f"<description>{_xml_text(r['name'])} · {escape(label(MODE_LABELS, lang, mode))}</description>"
                   f"<styleUrl>{style}</styleUrl><ExtendedData>{_kml_data(fields)}</ExtendedData>"
                   f"<Point><coordinates>{lon:.8f},{lat:.8f},0</coordinates></Point></Placemark>")
    out.append("</Folder>")
    out.append(f"<Folder><name>{escape(t['layer_areas'])}</name>")
    areas = plan.areas.to_crs("EPSG:4490")
    for i in range(len(areas)):
        a = areas.iloc[i]
        polys = list(a.geometry.geoms) if a.geometry.geom_type == "MultiPolygon" else [a.geometry]
        rings = []
        for poly in polys:
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            outer = " ".join(f"{x:.8f},{y:.8f},0" for x, y in poly.exterior.coords)
            inner = "".join("<innerBoundaryIs><LinearRing><coordinates>" + " ".join(f"{x:.8f},{y:.8f},0" for x, y in r.coords)
                            + "</coordinates></LinearRing></innerBoundaryIs>" for r in poly.interiors)
            rings.append(f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{outer}</coordinates></LinearRing>"
                         f"</outerBoundaryIs>{inner}</Polygon>")
        if not rings:  # nothing areal to draw
            continue
        geom = rings[0] if len(rings) == 1 else "<MultiGeometry>" + "".join(rings) + "</MultiGeometry>"
        cov = float(a.get("coverage", np.nan))
        out.append(f"<Placemark><name>{_xml_text(a.get('name', ''))}</name>"
                   f"<description>{escape(t['coverage'])} {100 * cov:.1f}%</description>"
                   "<Style><LineStyle><color>ff0055ff</color><width>1.5</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle></Style>"
                   f"{geom}</Placemark>")
    out.append("</Folder></Document></kml>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
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
    keep = [c for c in ("site_code", "id", "name", "type", "site_class", "height_m", "cost", "owner", "build_mode", "status",
                        "x_m", "y_m", "areas", "cells_covered", "unique_cells", "rollout_rank", "rollout_served")
            if c in sites.columns]
    sites = sites[[*keep, "geometry"]]
    cands = plan.candidates.to_crs("EPSG:4490")
    areas = plan.areas.to_crs("EPSG:4490")
    coverage = area_records(plan).drop(columns=["seq"])
    with _gdal_fixed_date():
        pyogrio.write_dataframe(_plain(sites), path, layer="selected_sites", driver="GPKG")
        pyogrio.write_dataframe(_plain(cands), path, layer="candidates", driver="GPKG", append=False)
        pyogrio.write_dataframe(_plain(areas), path, layer="priority_areas", driver="GPKG")
        pyogrio.write_dataframe(_plain(coverage), path, layer="coverage_by_area", driver="GPKG")
        pyogrio.write_dataframe(_plain(uncovered_polygons(plan)), path, layer="uncovered", driver="GPKG",
                                promote_to_multi=True)
        boundary = plan.boundary.to_crs("EPSG:4490")[["geometry"]].copy()
        boundary["part"] = np.arange(len(boundary), dtype=np.int64)
        pyogrio.write_dataframe(boundary, path, layer="boundary", driver="GPKG", promote_to_multi=True)
    return path


def write_sites_dxf(plan: Plan, path: Path) -> Path:
    """``sites.dxf`` in the plan's metric CRS (m): one layer per 建设方式 (point, circle, label),
    plus the boundary and the priority areas as closed polylines."""
    import ezdxf

    doc = ezdxf.new("R2010", setup=True, units=6)  # 6 = metres
    doc.styles.add("CJK", font="simsun.ttf")
    msp = doc.modelspace()
    for mode, layer in DXF_LAYERS.items():
        doc.layers.add(layer, color=DXF_COLOURS[mode]).description = f"建设方式 {mode}"
    doc.layers.add("BOUNDARY", color=7)
    doc.layers.add("PRIORITY_AREA", color=30)
    rec = site_records(plan)
    text_h = max(plan.grid.res * 0.6, 4.0)
    for r in rec.to_dict("records"):
        layer = DXF_LAYERS.get(str(r["build_mode"]), "SITE_NEW")
        x, y = float(r["x_m"]), float(r["y_m"])
        msp.add_point((x, y, 0.0), dxfattribs={"layer": layer})
        msp.add_circle((x, y), radius=text_h / 2, dxfattribs={"layer": layer})
        msp.add_text(str(r["site_code"]), height=text_h, dxfattribs={"layer": layer, "style": "CJK"}).set_placement(
            (x + text_h * 0.8, y + text_h * 0.3))
    for layer, gdf in (("BOUNDARY", plan.boundary), ("PRIORITY_AREA", plan.areas)):
        for geom in gdf.to_crs(plan.grid.crs).geometry:
            polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
            for poly in polys:
                if poly.is_empty or poly.geom_type != "Polygon":
                    continue
                msp.add_lwpolyline([(float(px), float(py)) for px, py in poly.exterior.coords], close=True,
                                   dxfattribs={"layer": layer})
    old = ezdxf.options.write_fixed_meta_data_for_testing
    ezdxf.options.write_fixed_meta_data_for_testing = True
    try:
        # the CLASSES section follows dict order, which depends on PYTHONHASHSEED: sort it
        doc.classes.add_required_classes(doc.dxfversion)
        doc.classes.classes = dict(sorted(doc.classes.classes.items()))
        stream = io.StringIO()
        doc.write(stream)
    finally:
        ezdxf.options.write_fixed_meta_data_for_testing = old
    # ezdxf stamps its own metadata with the current time; fix it for reproducible bytes
    text = _EZDXF_STAMP_RE.sub(r"\g<1>2000-01-01T00:00:00+00:00", stream.getvalue())
    path.write_bytes(text.encode(doc.output_encoding, errors="replace"))
    return path


def write_exports(plan: Plan, folder: str | Path) -> dict[str, Path]:
    """Write every exchange file of a plan into ``folder``.

    Returns
    -------
    dict
        ``{"sites_csv", "sites_xlsx", "sites_kml", "gpkg", "sites_dxf"}`` → path.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "sites_csv": write_sites_csv(plan, folder / "sites.csv"),
        "sites_xlsx": write_sites_xlsx(plan, folder / "sites.xlsx"),
        "sites_kml": write_sites_kml(plan, folder / "sites.kml"),
        "gpkg": write_plan_gpkg(plan, folder / "plan.gpkg"),
        "sites_dxf": write_sites_dxf(plan, folder / "sites.dxf"),
    }
