"""Inputs as other cities' ledgers and exports write them (NEWCITY session): aliases, cells, CAD text."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from planner.errors import InputDataError
from planner.geo.candidates import normalise_candidates
from planner.scenario import scenario_from_dict

SC = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})


def _cands(**cols: object) -> gpd.GeoDataFrame:
    n = len(next(iter(cols.values())))  # type: ignore[arg-type]
    pts = [Point(126.63 + i * 0.001, 45.75) for i in range(n)]
    return gpd.GeoDataFrame(dict(cols), geometry=pts, crs="EPSG:4490")


def test_chinese_status_words_are_read() -> None:
    """在网/已开通 are on air (the fix text named them, and they were refused); 现有, 规划, 无 and "On Air" too."""
    statuses = ["在网", "已开通", "5G在网", "On Air", "existing-5G", "现有", "规划", "拟建", "无", "", "EXISTING_5G"]
    gdf = _cands(id=[f"H{i}" for i in range(len(statuses))], type=["路灯杆"] * len(statuses), status=statuses)
    out, _ = normalise_candidates(gdf, Path("c.csv"), SC)
    assert out["status"].tolist() == [
        *["existing_5g"] * 5,
        "existing",
        "planned",
        "planned",
        "",
        "",
        "existing_5g",
    ]
    on_air = out["status"] == "existing_5g"
    assert (out.loc[on_air, "build_mode"] == "保留").all()
    assert (out.loc[on_air, "cost"] == 0.0).all()
    assert (out.loc[~on_air, "cost"] > 0).all()


def test_ambiguous_status_is_refused_with_the_words_that_work() -> None:
    gdf = _cands(id=["a", "b"], type=["tower", "tower"], status=["已建", "ufo"])
    with pytest.raises(InputDataError) as err:
        normalise_candidates(gdf, Path("c.csv"), SC)
    text = str(err.value)
    assert "unknown status '已建' (ambiguous" in text
    assert "unknown status 'ufo'" in text
    assert "在网" in text and "现有" in text and "规划" in text


def test_status_of_an_on_air_site_with_a_cost_column() -> None:
    """An on-air site spelled 在网 costs 0 even with an empty cost cell (the cost check knows the alias)."""
    gdf = _cands(id=["a", "b"], type=["tower", "tower"], status=["在网", ""], cost=[np.nan, 6.0])
    out, warns = normalise_candidates(gdf, Path("c.csv"), SC)
    assert out["cost"].tolist() == [0.0, 6.0]
    assert not any("no cost" in w for w in warns)


def _workbook(path: Path, height_cell: object, name_cell: object = "杆 1") -> None:
    """A candidate workbook of three poles; the second pole's height and name are the given cells."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["编号", "名称", "类型", "经度", "纬度", "挂高"])
    ws.append(["P0", "杆 0", "路灯杆", 126.630, 45.750, 10])
    ws.append(["P1", name_cell, "路灯杆", 126.631, 45.750, height_cell])
    ws.append(["P2", "杆 2", "铁塔", 126.632, 45.750, 30])
    wb.save(path)


def _cache_value(path: Path, cell: str, value: str) -> None:
    """Give the formula in ``cell`` a saved value, as Excel or WPS does on save (openpyxl writes none)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml, n = re.subn(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?', rf"\1<v>{value}</v>", xml)
    assert n == 1
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_xlsx_formula_without_saved_value_is_not_a_silent_default(tmp_path: Path) -> None:
    """A height written as ``=10+5`` by a script (no saved value) was read as empty: the type default, silently."""
    from planner.io.readers import read_vector

    path = tmp_path / "poles.xlsx"
    _workbook(path, "=10+5")
    gdf = read_vector(path, "candidates")
    assert gdf["挂高"].tolist()[1] == "=10+5"
    with pytest.raises(InputDataError) as err:
        normalise_candidates(gdf, path, SC)
    text = str(err.value)
    assert "row 3" in text and "'=10+5' is not a number" in text and "save it" in text
    (note,) = gdf.attrs["read_notes"]
    assert "F3 (=10+5)" in note and "Excel or WPS" in note
    from planner.present.warning_text import warning_code, warning_text

    assert warning_code(note) == "W32" and "公式" in warning_text(note, "zh")


def test_xlsx_formula_with_saved_value_reads_the_value(tmp_path: Path) -> None:
    from planner.io.readers import read_vector

    path = tmp_path / "poles.xlsx"
    _workbook(path, "=10+5")
    _cache_value(path, "F3", "15")
    gdf = read_vector(path, "candidates")
    assert gdf.attrs.get("read_notes", []) == []
    out, _ = normalise_candidates(gdf, path, SC)
    assert out["height_m"].tolist() == [10.0, 15.0, 30.0]


def test_xlsx_text_formula_without_value_keeps_its_text(tmp_path: Path) -> None:
    """A name cell ``=HYPERLINK(...)`` without a value reads as its text (the writers neutralise it), with a note."""
    from planner.io.readers import read_vector

    path = tmp_path / "poles.xlsx"
    _workbook(path, 12, name_cell='=HYPERLINK("http://example.invalid","点我")')
    gdf = read_vector(path, "candidates")
    out, _ = normalise_candidates(gdf, path, SC)
    assert out["name"].tolist()[1] == '=HYPERLINK("http://example.invalid","点我")'
    assert "B3 (=HYPERLINK" in gdf.attrs["read_notes"][0]


def test_dxf_text_codes_in_names_are_inert(tmp_path: Path) -> None:
    r"""Names holding AutoCAD text codes (``%%u`` underline, ``%%d`` degree) and ``\U+`` escapes show as written.

    Read back the way CAD shows text: ezdxf's ``recover`` reader decodes the ``\U+`` escapes in every DXF
    version (as AutoCAD does), ``plain_text`` renders the ``%%`` codes as AutoCAD does. Before, ``\P%%u0\U+0041``
    showed as ``\P0A`` (underlined).
    """
    from ezdxf import recover
    from ezdxf.tools.text import plain_text

    from planner.io.dxf import write_sites_dxf
    from tests.report_fixtures import make_plan

    plan = make_plan()
    names = ["\\P%%u0\\U+0041", "50%%d 25%", "%%c%%%", "a\\u+00e9b", "50% plain", "路" * 300 + "%%u"]
    plan.sites.loc[plan.sites.index[: len(names)], "name"] = names
    plan.areas.loc[plan.areas.index[0], "name"] = "%%o区\\U+4E2D"
    path = write_sites_dxf(plan, tmp_path / "sites.dxf")
    doc, auditor = recover.readfile(path)
    assert not auditor.has_errors
    shown = {plain_text(a.dxf.text) for ins in doc.modelspace().query("INSERT") for a in ins.attribs}
    for name in names[:-1]:
        assert name in shown
    assert "路" * 254 + "…" in shown  # cut at a character, never inside an escape
    texts = {plain_text(t.dxf.text) for t in doc.modelspace().query("TEXT")}
    assert "%%o区\\U+4E2D" in texts


def test_other_ledgers_class_and_type_words() -> None:
    """Words other cities' files use for classes and types ("Railway Station" was 'unknown class')."""
    from shapely.geometry import box

    from planner.geo.areas import normalise_areas

    words = ["Railway Station", "CBD", "Metro-Station", "高速", "开发区", "广场", "Green Space", "地铁", "公园"]
    expected = [
        "rail_station",
        "central_urban",
        "transport_hub",
        "highway",
        "industrial_park",
        "public_place",
        "park",
        "transport_hub",
        "park",
    ]
    gdf = gpd.GeoDataFrame(
        {"name": [f"a{i}" for i in range(len(words))], "class": words},
        geometry=[box(126.63 + i * 0.001, 45.75, 126.6308 + i * 0.001, 45.7508) for i in range(len(words))],
        crs="EPSG:4490",
    )
    areas, _ = normalise_areas(gdf, Path("a.geojson"), SC, "EPSG:4551")
    assert areas["class"].tolist() == expected
    types = ["Street Light", "CCTV pole", "通信塔", "Traffic-Light", "智慧灯杆", "Tower", "路灯杆"]
    cands, _ = normalise_candidates(_cands(id=[f"c{i}" for i in range(len(types))], type=types), Path("c.csv"), SC)
    assert cands["type"].tolist() == [
        "street_lamp",
        "surveillance_pole",
        "tower",
        "traffic_pole",
        "smart_pole",
        "tower",
        "street_lamp",
    ]


def test_areas_of_the_same_name_are_told_apart_by_id() -> None:
    """Five subway stations all named 地铁站 gave five identical warnings 'area '地铁站': target ... cannot be met'."""
    from shapely.geometry import box

    from planner.geo.areas import normalise_areas

    gdf = gpd.GeoDataFrame(
        {
            "id": ["S1", "S2", "", "P1"],
            "name": ["地铁站", "地铁站", "地铁站", "公园"],
            "class": ["地铁站"] * 3 + ["公园"],
        },
        geometry=[box(126.63 + i * 0.001, 45.75, 126.6308 + i * 0.001, 45.7508) for i in range(4)],
        crs="EPSG:4490",
    )
    areas, _ = normalise_areas(gdf, Path("a.geojson"), SC, "EPSG:4551")
    assert areas["name"].tolist() == ["地铁站 (S1)", "地铁站 (S2)", "地铁站 (A003)", "公园"]


def test_xlsx_two_row_header_with_merged_position_cell(tmp_path: Path) -> None:
    """经度 | 纬度 under a merged 位置 cell: 'no longitude/latitude columns (found: ..., 位置, column_4)' before."""
    from openpyxl import Workbook

    from planner.io.readers import read_vector

    wb = Workbook()
    ws = wb.active
    ws.append(["杆塔资源台账"])
    ws.merge_cells("A1:E1")
    ws.append(["编号", "类型", "位置", None, "挂高"])
    ws.append([None, None, "经度", "纬度", None])
    ws.merge_cells("C2:D2")
    for col in "ABE":
        ws.merge_cells(f"{col}2:{col}3")
    ws.append(["P0", "路灯杆", 126.630, 45.750, 10])
    ws.append(["P1", "铁塔", 126.631, 45.751, None])
    path = tmp_path / "poles.xlsx"
    wb.save(path)
    gdf = read_vector(path, "candidates")
    assert list(gdf.columns) == ["编号", "类型", "挂高", "geometry"]
    assert gdf.geometry.x.tolist() == [126.630, 126.631]
    _, warns = normalise_candidates(gdf, path, SC)
    assert any("feature 'P1' (row 5)" in w for w in warns)  # the file's own row numbers


def test_projected_xy_columns_of_a_chinese_ledger_get_the_hint(tmp_path: Path) -> None:
    """X坐标/Y坐标 in Gauss-Krüger metres (a common ledger layout) got only 'no longitude/latitude columns'."""
    from planner.io.readers import read_vector

    path = tmp_path / "poles.csv"
    path.write_text("编号,类型,X坐标(m),Y坐标(m)\nP0,路灯杆,5069136.8,549017.6\n", encoding="utf-8")
    with pytest.raises(InputDataError) as err:
        read_vector(path, "candidates")
    text = str(err.value)
    assert "Columns X坐标(m) and Y坐标(m) are not read" in text and "X is the northing" in text
    assert "GeoPackage with its CRS" in text


def test_shapefile_whose_cpg_says_utf8_over_gbk_text(tmp_path: Path) -> None:
    """A Chinese GIS's GBK export with a .cpg saying UTF-8 failed 'a Chinese field name cut mid-character'
    (its field names were ASCII): it reads as GBK now, with a note.
    """
    import warnings

    from planner.io.readers import read_vector
    from planner.present.warning_text import warning_code

    gdf = _cands(id=["a", "b"], type=["路灯杆", "铁塔"], name=["道里路灯", "中央大街铁塔"])
    path = tmp_path / "poles.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(path, encoding="gbk")
    (tmp_path / "poles.cpg").write_text("UTF-8", encoding="ascii")
    read = read_vector(path, "candidates")
    assert read["name"].tolist() == ["道里路灯", "中央大街铁塔"] and read["type"].tolist() == ["路灯杆", "铁塔"]
    (note,) = read.attrs["read_notes"]
    assert ".cpg file says UTF-8 but its text is GBK" in note and warning_code(note) == "W36"


def test_whole_number_ids_stored_as_floats_keep_their_text(tmp_path: Path) -> None:
    """A GeoPackage REAL id column (or an integer one with an empty cell) gave sites '1001.0' in the plan."""
    from planner.io.readers import read_vector

    path = tmp_path / "poles.gpkg"
    _cands(id=[1001.0, 1002.0, 1003.0], type=["tower"] * 3).to_file(path, driver="GPKG")
    out, _ = normalise_candidates(read_vector(path, "candidates"), path, SC)
    assert out["id"].tolist() == ["1001", "1002", "1003"]
    fractional = _cands(id=[1.5, 2.0], type=["tower"] * 2)
    out, _ = normalise_candidates(fractional, Path("c.gpkg"), SC)
    assert out["id"].tolist() == ["1.5", "2.0"]  # not whole numbers: kept as written


@pytest.mark.parametrize(
    ("cells", "order"),
    [
        (["126.630,45.750", "126.631，45.751"], "longitude, latitude"),
        (["45.750, 126.630", "45.751 126.631"], "latitude, longitude"),
    ],
)
def test_one_lonlat_column_is_split_when_its_order_is_certain(tmp_path: Path, cells: list[str], order: str) -> None:
    """A ledger's single 经纬度 column ('126.63,45.75' from a web-map picker) gave 'no longitude/latitude columns'."""
    from planner.io.readers import read_vector
    from planner.present.warning_text import warning_code, warning_text

    path = tmp_path / "poles.csv"
    rows = "\n".join(f'P{i},路灯杆,"{c}"' for i, c in enumerate(cells))
    path.write_text(f"编号,类型,经纬度\n{rows}\n", encoding="utf-8")
    gdf = read_vector(path, "candidates")
    assert gdf.geometry.x.round(3).tolist() == [126.630, 126.631]
    assert gdf.geometry.y.round(3).tolist() == [45.750, 45.751]
    (note,) = gdf.attrs["read_notes"]
    assert f"column 经纬度 holds both coordinates ({order}" in note and warning_code(note) == "W37"
    assert "已拆分为经度和纬度" in warning_text(note, "zh")


def test_an_ambiguous_lonlat_column_is_not_guessed(tmp_path: Path) -> None:
    from planner.io.readers import read_vector

    path = tmp_path / "poles.csv"
    path.write_text('编号,类型,经纬度\nP0,路灯杆,"20.1,30.2"\nP1,路灯杆,"x"\n', encoding="utf-8")
    with pytest.raises(InputDataError, match="no longitude/latitude columns"):
        read_vector(path, "candidates")


def test_costs_in_yuan_become_wan() -> None:
    """A ledger's 费用(元) header lost its unit (header_key drops it): 80000 yuan were read as 80,000 万元, 10,000 x
    too dear and still in range; a cell '80000元' was 'not a number'.
    """
    from planner.present.warning_text import warning_code

    gdf = _cands(id=["a", "b", "c"], type=["tower"] * 3, **{"费用(元)": ["80000", "6万", "12万元"]})
    out, warns = normalise_candidates(gdf, Path("c.csv"), SC)
    assert out["cost"].tolist() == [8.0, 6.0, 12.0]
    (note,) = [w for w in warns if "yuan" in w]
    assert "1 costs are in yuan (the column header says 元)" in note and warning_code(note) == "W38"
    gdf = _cands(id=["a", "b"], type=["tower"] * 2, cost=["80000元", "6"])
    out, warns = normalise_candidates(gdf, Path("c.csv"), SC)
    assert out["cost"].tolist() == [8.0, 6.0] and any("cells ending in 元" in w for w in warns)


@pytest.mark.parametrize("name", ["areas.geojson", "poles.xls", "poles.csv"])
def test_a_web_page_saved_under_a_gis_or_table_name_is_named(tmp_path: Path, name: str) -> None:
    """A download that saved an error page, or a web system's 导出Excel that writes an HTML table as .xls: the
    message said 'not recognized as being in a supported file format' (or parsed the HTML as a table).
    """
    from planner.io.readers import read_vector

    path = tmp_path / name
    path.write_text("\ufeff<!DOCTYPE html><html><body><table><tr><td>经度</td></tr></table></body></html>", "utf-8")
    with pytest.raises(InputDataError) as err:
        read_vector(path, "candidates")
    text = str(err.value)
    assert name in text and "the file is a web page (HTML)" in text
    assert ("导出Excel" in text) is (name != "areas.geojson")


def test_traditional_chinese_headers_are_read(tmp_path: Path) -> None:
    """經度/緯度/編號/類型/掛高 (a ledger from a traditional-Chinese tool): 'no longitude/latitude columns' before."""
    from planner.io.readers import read_vector

    path = tmp_path / "poles.csv"
    rows = "編號,名稱,類型,經度,緯度,掛高(m),產權單位\nP0,杆 0,路灯杆,126.63,45.75,11,路燈處\n"
    path.write_text(rows, encoding="utf-8")
    out, _ = normalise_candidates(read_vector(path, "candidates"), path, SC)
    first = out[["id", "name", "type", "height_m", "owner"]].iloc[0].tolist()
    assert first == ["P0", "杆 0", "street_lamp", 11.0, "路燈處"]
