"""Spreadsheet formula injection: text cells that Excel would run are written inert, numbers stay numbers.

OWASP "CSV Injection": a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is a
formula to Excel, WPS and LibreOffice. Every csv/xlsx the planner writes passes its text through
:func:`planner.io._text.spreadsheet_cell`, which prefixes an apostrophe.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from planner.io._text import FORMULA_STARTS, spreadsheet_cell, spreadsheet_frame
from planner.io.exports import write_sites_csv, write_sites_xlsx
from tests.report_fixtures import make_plan

EVIL = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)",
        "\t=1+1", "\r=1+1", " =1+1"]


def test_spreadsheet_cell_neutralises_text_only() -> None:
    for text in EVIL:
        out = spreadsheet_cell(text)
        assert isinstance(out, str) and out.startswith("'") and out[1:] == text
    assert spreadsheet_cell("路灯 1") == "路灯 1"
    assert spreadsheet_cell("a=b") == "a=b"
    assert spreadsheet_cell(-3.5) == -3.5 and spreadsheet_cell(-7) == -7
    assert spreadsheet_cell(None) is None
    assert spreadsheet_cell("bell\x07 esc\x1b nul\x00") == "bell esc nul"


def test_spreadsheet_frame_keeps_numeric_columns() -> None:
    df = pd.DataFrame({"name": ["=1+1", "ok"], "delta": [-1.5, 2.0], "n": [-3, 4]})
    out = spreadsheet_frame(df)
    assert out["name"].tolist() == ["'=1+1", "ok"]
    assert out["delta"].dtype == np.float64 and out["n"].dtype == np.int64
    assert out.to_csv(index=False).splitlines()[1] == "'=1+1,-1.5,-3"


def _evil_plan() -> object:
    plan = make_plan(language="en")
    sites = plan.sites
    n = len(sites)
    sites["name"] = [EVIL[i % len(EVIL)] for i in range(n)]
    sites["owner"] = [EVIL[(i + 3) % len(EVIL)] for i in range(n)]
    sites["id"] = [f"{EVIL[(i + 5) % len(EVIL)]}#{i}" for i in range(n)]
    plan.areas["name"] = [EVIL[i % len(EVIL)] for i in range(len(plan.areas))]
    return plan


def _no_live_formula_xlsx(path: Path) -> int:
    wb = load_workbook(path)
    strings = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and cell.value.startswith("'"):
                    strings += 1
    return strings


def test_sites_xlsx_and_csv_hold_no_live_formula(tmp_path: Path) -> None:
    plan = _evil_plan()
    xlsx = write_sites_xlsx(plan, tmp_path / "sites.xlsx")  # type: ignore[arg-type]
    assert _no_live_formula_xlsx(xlsx) >= 3 * len(plan.sites)  # type: ignore[attr-defined]
    wb = load_workbook(xlsx)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    first = {h: c for h, c in zip(header, ws[2], strict=True)}
    name_cell = next(c for h, c in first.items() if str(h).lower().startswith("name") or h == "名称")
    assert name_cell.data_type == "s" and name_cell.value == "'" + EVIL[0]
    # numbers stay numbers (coordinates, costs, heights)
    assert any(c.data_type == "n" and isinstance(c.value, float) for c in ws[2])

    path = write_sites_csv(plan, tmp_path / "sites.csv")  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    evil_cells = 0
    for row in rows[1:]:
        for cell in row:
            if cell[:1] in FORMULA_STARTS:
                pytest.fail(f"live formula cell {cell!r} in sites.csv")
            evil_cells += cell.startswith("'")
    assert evil_cells >= 3 * len(rows[1:])


def test_negative_numbers_stay_numbers_in_csv(tmp_path: Path) -> None:
    plan = make_plan(language="en")
    sites = plan.sites
    # a plan in the western/southern hemisphere: negative coordinates and metric offsets
    sites["x_m"] = -np.abs(sites["x_m"].to_numpy(float))
    path = write_sites_csv(plan, tmp_path / "sites.csv")
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    x_col = next(j for j, h in enumerate(rows[0]) if h.startswith("X"))
    assert all(r[x_col].startswith("-") and float(r[x_col]) < 0 for r in rows[1:])


def test_cli_run_with_formula_names_writes_inert_tables(tiny: Path, tmp_path: Path) -> None:
    cands = gpd.read_file(tiny.parent / "candidates.gpkg")
    cands["name"] = [EVIL[i % len(EVIL)] for i in range(len(cands))]
    cands["owner"] = [EVIL[(i + 1) % len(EVIL)] for i in range(len(cands))]
    cands.to_file(tiny.parent / "candidates.gpkg", layer="candidates", driver="GPKG")
    areas = gpd.read_file(tiny.parent / "priority_areas.gpkg")
    areas["name"] = ["=1+2", "@evil", "-area"]
    areas.to_file(tiny.parent / "priority_areas.gpkg", layer="priority_areas", driver="GPKG")
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "planner.cli", "run", str(tiny), "--out", str(out),
                        "--set", "solver.time_limit_s=3"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert _no_live_formula_xlsx(out / "sites.xlsx") > 0
    text = (out / "sites.csv").read_bytes().decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        assert not any(cell[:1] in FORMULA_STARTS for cell in row), row


def test_control_characters_dropped_at_input_with_a_warning(tmp_path: Path) -> None:
    from shapely.geometry import Point

    from planner.io.readers import read_vector

    gdf = gpd.GeoDataFrame({"id": ["a\x01b", "c"], "name": ["esc\x1b[31m", "bell\x07"], "h\x1bx": ["1", "2"]},
                           geometry=[Point(114.4, 30.5), Point(114.41, 30.5)], crs="EPSG:4490")
    path = tmp_path / "c.gpkg"
    gdf.to_file(path, driver="GPKG")
    out = read_vector(path, "candidates")
    assert out["id"].tolist() == ["ab", "c"] and out["name"].tolist() == ["esc[31m", "bell"]
    assert "hx" in out.columns
    notes = "\n".join(out.attrs["read_notes"])
    assert "control characters (U+0001) removed from column 'id' at feature 'ab' (row 1)" in notes
    assert "(BEL, ESC)" in notes and "feature 'c' (row 2)" in notes and "c.gpkg" in notes
    assert "column names 'hx'" in notes


def test_scenario_text_with_control_characters_is_refused() -> None:
    from planner.errors import ScenarioError
    from planner.scenario import scenario_from_dict

    with pytest.raises(ScenarioError, match=r"\[scenario.name\].*control characters"):
        scenario_from_dict({"scenario": {"name": "x\x1b"}, "inputs": {"boundary": "b", "candidates": "c"}})


def test_cli_run_with_template_and_markup_names_writes_an_inert_report(tiny: Path, tmp_path: Path) -> None:
    """Names holding Jinja syntax (folium renders map scripts as templates again) or markup: the run
    ends with exit 0, nothing of them runs in report.html, and the names reach the tables as written.
    """
    names = ["{% if x %}", "{{ lipsum.__name__ }}", "{# note", '"><img src=x onerror=alert(1)>']
    cands = gpd.read_file(tiny.parent / "candidates.gpkg")
    cands["name"] = [names[i % len(names)] for i in range(len(cands))]
    cands.to_file(tiny.parent / "candidates.gpkg", layer="candidates", driver="GPKG")
    areas = gpd.read_file(tiny.parent / "priority_areas.gpkg")
    areas["name"] = ["{{ 7 * 191 }}", "{% raw %}", "<b>x</b>"]
    areas.to_file(tiny.parent / "priority_areas.gpkg", layer="priority_areas", driver="GPKG")
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "planner.cli", "run", str(tiny), "--out", str(out),
                        "--set", "solver.time_limit_s=3"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "generate_lorem_ipsum" not in page and "1337" not in page
    assert "<img src=x" not in page and "<b>x</b>" not in page
    text = (out / "sites.csv").read_bytes().decode("utf-8-sig")
    assert any(n in text for n in names[:3])
