"""Every export read back by its own reader matches the plan (synthetic plan)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import ezdxf
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from planner.io.dxf import BLOCK, LAYERS, TAGS
from planner.io.exports import write_exports
from planner.plan import Plan
from tests.report_fixtures import EVIL_NAME, make_plan


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, dict[str, Path]]:
    plan = make_plan()
    return plan, write_exports(plan, tmp_path_factory.mktemp("exports"))


def test_write_exports_returns_every_file(written: tuple[Plan, dict[str, Path]]) -> None:
    _, files = written
    assert {p.name for p in files.values()} == {
        "sites.csv",
        "sites.xlsx",
        "sites.kml",
        "sites.kmz",
        "plan.gpkg",
        "sites.dxf",
    }
    assert all(p.is_file() and p.stat().st_size > 0 for p in files.values())


def test_csv_utf8_bom_chinese_headers_and_coordinates(written: tuple[Plan, dict[str, Path]]) -> None:
    plan, files = written
    raw = files["sites_csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(plan.sites)
    assert list(rows[0])[:4] == ["序号", "站址编号", "站址名称", "候选编号"]
    lon = np.array([float(r["经度 (CGCS2000)"]) for r in rows])
    lat = np.array([float(r["纬度 (CGCS2000)"]) for r in rows])
    assert np.abs(lon - plan.sites.geometry.x.to_numpy()).max() <= 1e-6
    assert np.abs(lat - plan.sites.geometry.y.to_numpy()).max() <= 1e-6
    assert all(len(r["经度 (CGCS2000)"].split(".")[1]) == 6 for r in rows)
    assert [r["站址编号"] for r in rows] == plan.sites["site_code"].tolist()
    assert EVIL_NAME in {r["站址名称"] for r in rows}  # data, not markup: kept verbatim
    assert {r["建设方式"] for r in rows} == {"保留", "共享", "利旧", "新建"}


def test_csv_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_exports(make_plan(), tmp_path / "a")
    time.sleep(1.1)  # a timestamp that leaks into any file would now differ
    b = write_exports(make_plan(), tmp_path / "b")
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_xlsx_sheets_header_and_values(written: tuple[Plan, dict[str, Path]]) -> None:
    plan, files = written
    wb = load_workbook(files["sites_xlsx"])
    assert wb.sheetnames == ["站址表", "重点区域覆盖", "说明"]
    ws = wb["站址表"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:3] == ["序号", "站址编号", "站址名称"] and "产权单位" in header
    assert ws.column_dimensions["B"].width >= 12
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(plan.sites)
    i_lon, i_lat = header.index("经度 (CGCS2000)"), header.index("纬度 (CGCS2000)")
    lon = np.array([r[i_lon] for r in rows], dtype=float)
    lat = np.array([r[i_lat] for r in rows], dtype=float)
    assert np.abs(lon - plan.sites.geometry.x.to_numpy()).max() <= 1e-6
    assert np.abs(lat - plan.sites.geometry.y.to_numpy()).max() <= 1e-6
    wa = wb["重点区域覆盖"]
    assert wa.freeze_panes == "A2" and wa.max_row - 1 == len(plan.areas)
    ah = [c.value for c in wa[1]]
    cov = [r[ah.index("覆盖率")] for r in wa.iter_rows(min_row=2)]
    assert all(c.number_format == "0.00%" for c in cov)
    assert [c.value for c in cov] == pytest.approx(plan.areas["coverage"].astype(float).tolist())
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    for key in ("频段", "RSRP 门限 (dBm)", "求解状态", "相对间隙", "编制单位", "编制日期", "工具版本"):
        assert key in notes, key
    assert any(str(k).startswith("边缘覆盖概率") for k in notes)  # "（设计）": the scenario's edge probability
    assert notes["频段"] == "n78" and notes["RSRP 门限 (dBm)"] == -105 and notes["求解状态"] == "最优（已证明）"


def test_kml_read_back(written: tuple[Plan, dict[str, Path]]) -> None:
    plan, files = written
    text = files["sites_kml"].read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "https://" not in text and "http://maps" not in text  # no online icon
    layers = [name for name, _ in pyogrio.list_layers(files["sites_kml"])]
    assert layers[:3] == ["规划范围", "重点区域", "规划站址"]
    df = pd.concat([pyogrio.read_dataframe(files["sites_kml"], layer=name) for name in layers[3:]], ignore_index=True)
    assert len(df) == len(plan.sites)
    assert df.crs.to_epsg() == 4326
    df = df.set_index("Name").loc[plan.sites["site_code"]]
    assert np.abs(df.geometry.x.to_numpy() - plan.sites.geometry.x.to_numpy()).max() <= 1e-6
    assert np.abs(df.geometry.y.to_numpy() - plan.sites.geometry.y.to_numpy()).max() <= 1e-6
    areas = pyogrio.read_dataframe(files["sites_kml"], layer="重点区域")
    assert len(areas) == len(plan.areas)


def test_gpkg_layers_read_back(written: tuple[Plan, dict[str, Path]]) -> None:
    plan, files = written
    layers = dict(pyogrio.list_layers(files["gpkg"]))
    assert set(layers) == {
        "selected_sites",
        "candidates",
        "priority_areas",
        "coverage_by_area",
        "uncovered",
        "boundary",
    }
    sites = pyogrio.read_dataframe(files["gpkg"], layer="selected_sites")
    assert sites.crs.to_epsg() == 4490 and len(sites) == len(plan.sites)
    assert np.abs(sites.geometry.x.to_numpy() - plan.sites.geometry.x.to_numpy()).max() <= 1e-6
    assert np.abs(sites.geometry.y.to_numpy() - plan.sites.geometry.y.to_numpy()).max() <= 1e-6
    assert sites["site_code"].tolist() == plan.sites["site_code"].tolist()
    assert EVIL_NAME in set(sites["name"])
    cands = pyogrio.read_dataframe(files["gpkg"], layer="candidates")
    assert len(cands) == len(plan.candidates) and int(cands["selected"].sum()) == len(plan.sites)
    areas = pyogrio.read_dataframe(files["gpkg"], layer="priority_areas")
    assert len(areas) == len(plan.areas) and np.allclose(areas["coverage"], plan.areas["coverage"])
    cov = pyogrio.read_dataframe(files["gpkg"], layer="coverage_by_area", read_geometry=False)
    assert (
        cov["name"].tolist() == plan.areas["name"].tolist()
        and cov["met"].astype(bool).tolist() == plan.areas["met"].tolist()
    )
    gaps = pyogrio.read_dataframe(files["gpkg"], layer="uncovered")
    assert int(gaps["cells"].sum()) == int((plan.demand_mask & ~plan.covered).sum())


def test_dxf_read_back_in_metric_crs(written: tuple[Plan, dict[str, Path]]) -> None:
    plan, files = written
    doc = ezdxf.readfile(files["sites_dxf"])
    msp = doc.modelspace()
    refs = msp.query(f"INSERT[name=='{BLOCK}']")
    assert len(refs) == len(plan.sites)
    by_layer: dict[str, int] = {}
    for p in refs:
        by_layer[p.dxf.layer] = by_layer.get(p.dxf.layer, 0) + 1
    expected = plan.sites["build_mode"].map(LAYERS["zh"]).value_counts().to_dict()
    assert by_layer == expected
    xy = np.array([(p.dxf.insert.x, p.dxf.insert.y) for p in refs])
    ref = plan.sites[["x_m", "y_m"]].to_numpy(float)
    assert np.abs(xy - ref).max() < 1e-3  # metres in EPSG:4547
    assert [p.get_attrib_text(TAGS["zh"]["site_code"]) for p in refs] == plan.sites["site_code"].tolist()
    assert doc.header["$INSUNITS"] == 6
    assert len(msp.query("LWPOLYLINE")) >= len(plan.areas) + 1


def test_english_headers_follow_report_language(tmp_path: Path) -> None:
    files = write_exports(make_plan(language="en"), tmp_path)
    header = files["sites_csv"].read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("No.,Site code,Name")
    assert load_workbook(files["sites_xlsx"]).sheetnames == ["sites", "areas", "notes"]


def test_write_plan_outputs_read_back(tmp_path: Path) -> None:
    """The whole run folder via write_plan: coverage.tif (RADIO's writer) by rasterio, manifest hashes."""
    coverage = pytest.importorskip("planner.coverage")
    if not hasattr(coverage, "write_best_server_geotiff"):
        pytest.skip("planner.coverage.write_best_server_geotiff is not available yet")
    import json

    import rasterio

    from planner.stages.outputs import write_outputs as write_plan

    plan = make_plan(tmp_path)
    files = write_plan(plan, tmp_path / "run")
    for name in (
        "report.html",
        "sites.csv",
        "sites.xlsx",
        "sites.kml",
        "plan.gpkg",
        "sites.dxf",
        "coverage.tif",
        "manifest.json",
    ):
        assert (tmp_path / "run" / name).is_file(), name
    with rasterio.open(files["coverage"]) as src:
        assert src.crs.to_epsg() == 4547 and (src.width, src.height) == (plan.grid.nx, plan.grid.ny)
        band = src.read(1, masked=True)
    finite = np.isfinite(plan.best_rsrp)
    np.testing.assert_array_equal(~band.mask, plan.demand_mask)  # RSRP below the threshold too (test_rasters.py)
    assert np.allclose(band.filled(np.nan)[finite], plan.best_rsrp[finite], atol=0.01)
    manifest = json.loads(files["manifest"].read_text(encoding="utf-8"))
    assert {"report", "sites_csv", "gpkg"} <= set(manifest["outputs"])


def test_very_long_names_fit_excel_and_cad_limits(tmp_path: Path) -> None:
    """A name longer than a cell holds: Excel refuses cells over 32,767 characters (openpyxl cuts them
    there), and CAD attribute values are single-line strings of at most 255 characters: the DXF cuts such
    text (ending in "…"). CSV keeps it whole.
    """
    plan = make_plan()
    long_name = "路" * 40_000
    plan.sites.loc[0, "name"] = long_name
    plan.areas.loc[0, "name"] = "区" * 600
    files = write_exports(plan, tmp_path)
    wb = load_workbook(files["sites_xlsx"])
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert all(len(v) <= 32_767 for v in row if isinstance(v, str)), ws.title
    doc = ezdxf.readfile(files["sites_dxf"])
    texts = [a.dxf.text for ins in doc.modelspace().query("INSERT") for a in ins.attribs]
    texts += [t.dxf.text for t in doc.modelspace().query("TEXT")]
    assert max(len(t) for t in texts) == 255 and long_name[:254] + "…" in texts
    with files["sites_csv"].open(encoding="utf-8-sig", newline="") as f:
        assert long_name in {r[2] for r in csv.reader(f)}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_xlsx_streamed_equals_the_in_memory_workbook(tmp_path: Path, language: str) -> None:
    """Write-only rows give the bytes of the former in-memory workbook (tests/reference/xlsx_sites)."""
    from planner.io.exports import write_sites_xlsx
    from tests.reference.xlsx_sites import write_sites_xlsx_in_memory

    plan = make_plan(language=language, n_lamps=80)
    names = plan.sites["name"].astype(str).tolist()
    names[0], names[1] = "=HYPERLINK(1)", ""  # a formula-like text (apostrophe) and an empty cell
    plan.sites["name"] = names
    new = write_sites_xlsx(plan, tmp_path / "new.xlsx").read_bytes()
    assert new == write_sites_xlsx_in_memory(plan, tmp_path / "ref.xlsx").read_bytes()
    wb = load_workbook(tmp_path / "new.xlsx")
    assert wb.worksheets[0].max_row == len(names) + 1 and wb.worksheets[0].freeze_panes == "A2"
