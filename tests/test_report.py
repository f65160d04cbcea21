"""The HTML report and map: offline, escaped, bilingual, reproducible (synthetic plan)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from planner.errors import PlannerError
from planner.plan import Plan
from planner.present.tables import area_table, kpis, site_records, site_table, uncovered_polygons
from planner.report import build_map, charts, render_report, write_report
from planner.report.assets import external_references, inline_assets
from tests.report_fixtures import EVIL_NAME, EVIL_OWNER, make_plan, map_strings

SCRIPT_SRC = re.compile(r"<script[^>]+src=[\"']?(?:https?:)?//", re.IGNORECASE)
LINK_HREF = re.compile(r"<link[^>]+href=[\"']?(?:https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def html_zh() -> str:
    return render_report(make_plan())


def test_write_report_is_one_offline_file(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    path = write_report(plan, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert path.name == "report.html" and 50_000 < path.stat().st_size < 3_000_000
    assert not SCRIPT_SRC.search(text) and not LINK_HREF.search(text)
    assert external_references(text) == []
    assert "cdn." not in text and "jquery" not in text.lower().replace("jquery-free", "")
    assert (
        "L.map(" in text
        and "L.PlannerPoints" in text
        and "L.markerClusterGroup" not in text
        and "L.Control.Measure" in text
    )
    assert "data:image/png;base64," in text  # RSRP overlay inlined
    assert text.count("<svg") >= 3  # three charts


def test_inline_assets_refuses_unknown_cdn_assets() -> None:
    with pytest.raises(RuntimeError, match="network"):
        inline_assets('<script src="https://cdn.example.org/x.js"></script>')
    out = inline_assets(
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>'
    )
    assert "jquery" not in out and "<style>" in out and "url(images/" not in out and "data:image/png" in out


def test_user_strings_are_escaped_everywhere(html_zh: str) -> None:
    assert EVIL_NAME not in html_zh
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_zh  # site table cell, shown as text
    assert "<b>x</b>" not in html_zh and "&lt;b&gt;x&lt;/b&gt;" in html_zh
    assert "<i>for tests</i>" not in html_zh and "地铁站 &lt;B&gt;" in html_zh
    # in the map script, user strings are JSON data with <, >, & escaped, and popups are built
    # with textContent: no raw markup, no JavaScript template literal around user text
    script = html_zh[html_zh.index("var map_") :]
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in script
    assert "<script>alert" not in script and "</script>alert" not in script
    assert "textContent" in script and "innerHTML = r" not in script
    assert "$(`" not in script and "bindTooltip(`" not in script
    assert "\\u003cb\\u003ex\\u003c/b\\u003e" in script  # the owner, inert data


def test_contents_chinese_default(html_zh: str) -> None:
    for needle in (
        "5G 基站",
        "主要指标",
        "利旧共享率",
        "投资估算",
        "站址编号",
        "经度 (CGCS2000)",
        "X 东坐标 (m)",
        "产权单位",
        "覆盖重点区域",
        "传播模型",
        "求解状态",
        "最优（已证明）",
        "SHA-256",
        "ab" * 32,
        "运行提示",
        "3 candidates were ignored",
        "示意图",
        "内部报批资料",
        "站址规划报告",
        "不具有审图号",
        "WH-GG-M0001",
        "114.395500",
        "30.506000",
        "EPSG:4547",
        "候选站址最多可覆盖本区域的 82.0%",
        "@page",
        "A3 landscape",
        "附录 A 规划站址表",
        "编制单位",
        "场景校验值",
        "不按需求权重",
        "north-arrow",
        "UMa（城区宏站）",
        "UMi-Street Canyon",
        "每 RE EIRP (dBm)",
        "求解时限 (s)",
    ):
        assert needle in html_zh, needle
    assert 'lang="zh-CN"' in html_zh
    assert "审图号：" not in html_zh and "GS(" not in html_zh  # no basemap: no review number at all


def test_kpis_and_tables_match_the_plan() -> None:
    plan = make_plan()
    k = kpis(plan)
    assert k["n_sites"] == len(plan.sites) == 14
    assert k["by_mode"] == {"保留": 1, "共享": 2, "利旧": 10, "新建": 1}
    assert k["reuse_share"] == pytest.approx(12 / 14)
    assert k["covered_share"] == pytest.approx(plan.covered.sum() / plan.demand_mask.sum())
    assert k["cand_by_type"] == {"smart_pole": 2, "street_lamp": 30, "tower": 3}
    assert k["total_cost"] == pytest.approx(float(plan.sites["cost"].sum()))
    assert k["sites_per_km2"] == pytest.approx(14 / (plan.demand_mask.sum() * 25.0**2 / 1e6))
    rec = site_records(plan)
    assert np.allclose(rec["lon"], plan.sites.geometry.x, atol=5e-7) and list(rec["seq"]) == list(range(1, 15))
    zh = site_table(plan, "zh")
    en = site_table(plan, "en")
    assert list(zh.columns[:3]) == ["序号", "站址编号", "站址名称"] and "Build mode" in en.columns
    assert set(en["Build mode"]) >= {"reuse (pole)", "share (tower)"}
    at = area_table(plan, "zh")
    assert list(at["是否达标"]) == ["是", "否", "是", "是"] and at["覆盖率"].iloc[1] == pytest.approx(80.0)


def test_english_report() -> None:
    html = render_report(make_plan(language="en", pareto=True))
    assert 'lang="en"' in html
    for needle in (
        "Key figures",
        "Reuse share",
        "Site table",
        "Longitude (CGCS2000)",
        "Schematic map",
        "holds no map review number",
        "reuse (pole) (10)",
        "Coverage vs number of sites",
    ):
        assert needle in html, needle
    assert "站址编号" not in html


def test_report_is_reproducible() -> None:
    assert render_report(make_plan()) == render_report(make_plan())


def test_uncovered_polygons_cover_the_gap_cells() -> None:
    plan = make_plan()
    gaps = uncovered_polygons(plan)
    n_gap = int((plan.demand_mask & ~plan.covered).sum())
    assert n_gap > 0 and int(gaps["cells"].sum()) == n_gap
    assert gaps.crs.to_epsg() == 4490 and gaps.geometry.is_valid.all()


def test_map_layers_and_controls() -> None:
    plan = make_plan()
    html = build_map(plan).get_root().render()
    for name in (
        "规划范围",
        "重点区域",
        "最强服务小区设计 RSRP",
        "未覆盖区域",
        "候选站址 · 路灯杆 (30)",
        "规划站址 · 利旧 (10)",
    ):
        assert name in html or json.dumps(name)[1:-1] in html, name
    assert "L.control.scale({imperial: false" in html and "L.control.fullscreen" in html and "L.Control.Measure" in html
    assert "L.control.layers" in html and "planner-site" in html
    assert "L.tileLayer" not in html  # basemap "none" works offline


def test_candidates_are_compact_canvas_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidates travel as packed coordinates and small tables, not one marker per point;
    names are dropped (and the popup says where they are) above NAME_LIMIT.
    """
    import base64

    from planner.report import _canvas

    plan = make_plan(n_lamps=40)
    html = build_map(plan).get_root().render()
    assert "L.markerClusterGroup" not in html and html.count("new L.PlannerPoints(") == 3  # one layer per type
    unselected = sorted(set(plan.candidates["name"]) - set(plan.sites["name"]))[-1]
    assert unselected in html and "plan.gpkg" not in html  # names kept in small plans
    found = re.findall(r"new L\.PlannerPoints\((.*?), \{\"color\":", html)
    assert len(found) == 3
    data = json.loads(found[0])
    xy = np.frombuffer(base64.b64decode(data["xy"]), dtype="<i4").reshape(-1, 2)
    assert xy.shape[0] == len(data["ids"])
    geo = plan.candidates.set_index("id").loc[data["ids"]].geometry.to_crs("EPSG:4326")
    assert np.allclose(data["x0"] + xy[:, 0] * data["q"], geo.x.to_numpy(), atol=1e-6)
    assert np.allclose(data["y0"] + xy[:, 1] * data["q"], geo.y.to_numpy(), atol=1e-6)
    monkeypatch.setattr(_canvas, "NAME_LIMIT", 10)
    big = build_map(plan).get_root().render()
    assert unselected not in big and "plan.gpkg" in big and '"names":null' in big


def test_site_table_is_cut_at_city_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond SITE_TABLE_ROWS the page lists the first rows and says where the full table is."""
    from planner.report import html as report_html

    plan = make_plan()
    full = render_report(plan)
    assert "site-table-cut" not in full and full.count('<tr><td class="num">') >= len(plan.sites)
    monkeypatch.setattr(report_html, "SITE_TABLE_ROWS", 3)
    cut = render_report(plan)
    body = cut[cut.index('id="site-table"') : cut.index("</table>", cut.index('id="site-table"'))]
    assert body.count('<tr><td class="num">') == 3
    assert f"共 {len(plan.sites):,} 个" in cut and "sites.xlsx" in cut
    last = str(plan.sites["site_code"].iloc[-1])
    assert last not in body and last in cut  # the map still draws every site


def test_basemap_tianditu_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(PlannerError, match="TIANDITU_KEY"):
        build_map(make_plan(basemap="tianditu"))
    monkeypatch.setenv("TIANDITU_KEY", "testkey123")
    html = render_report(make_plan(basemap="tianditu"))
    assert "tianditu.gov.cn" in html and "tk=testkey123" in html and "GS(2024)0650号" in html
    assert "天地图密钥已写入本文件" in html
    assert external_references(html) == []  # tile templates are not <script>/<link> assets


def test_basemap_gaode_shifts_overlays_to_gcj02() -> None:
    plan = make_plan(basemap="gaode")
    plain = make_plan(basemap="osm")
    rows = re.compile(r"var rows = (\[.*?\]);\n")
    html_g = build_map(plan).get_root().render()
    html_o = build_map(plain).get_root().render()
    assert "autonavi" in html_g and "openstreetmap" in html_o.lower()
    g = np.array([r[:2] for block in rows.findall(html_g) for r in json.loads(block)], dtype=float)
    o = np.array([r[:2] for block in rows.findall(html_o) for r in json.loads(block)], dtype=float)
    assert len(g) == len(o) > 10
    # ~0.0054° east, ~0.0024° south around Wuhan
    assert np.median(g[:, 1] - o[:, 1]) == pytest.approx(0.0054, abs=0.0004)
    assert np.median(g[:, 0] - o[:, 0]) == pytest.approx(-0.0024, abs=0.0004)


def test_charts_are_svg_without_glyph_warnings() -> None:
    plan = make_plan(pareto=True)
    for lang in ("zh", "en"):
        for svg in (
            charts.coverage_chart(plan, lang),
            charts.site_mix_chart(plan, lang),
            charts.rsrp_histogram(plan, lang),
        ):
            assert svg.startswith("<svg") and "</svg>" in svg and 'class="chart"' in svg
    assert charts.coverage_chart(make_plan(), "en") != charts.coverage_chart(plan, "en")


def test_owner_with_quotes_and_backticks_is_inert(html_zh: str) -> None:
    assert EVIL_OWNER not in html_zh
    assert "路灯所 &amp; &#34;Co&#34;" in html_zh or "路灯所 &amp; &quot;Co&quot;" in html_zh


def test_empty_selection_and_no_areas_still_render(tmp_path: Path) -> None:
    from planner.io.exports import write_exports

    plan = make_plan()
    plan.sites = plan.sites.iloc[0:0]
    plan.best_rsrp = np.full_like(plan.best_rsrp, np.nan)
    plan.covered = np.zeros_like(plan.covered)
    html = render_report(plan)
    assert "img" not in html.split("planner-rsrp")[0][-50:] and 'id="kpi-sites">0<' in html
    assert len(write_exports(plan, tmp_path / "a")) == 6
    plan = make_plan()
    plan.areas = plan.areas.iloc[0:0]
    assert "L.map(" in render_report(plan)
    assert len(write_exports(plan, tmp_path / "b")) == 6


def test_explore_map_is_offline_in_notebooks_and_when_saved(tmp_path: Path) -> None:
    m = build_map(make_plan())
    frame = m._repr_html_()
    assert frame.startswith("<div") and "srcdoc=" in frame and "cdn.jsdelivr" not in frame and "cdnjs" not in frame
    m.save(tmp_path / "map.html")
    page = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert external_references(page) == [] and "L.map(" in page


def test_one_coverage_table_and_kpi_definitions(html_zh: str) -> None:
    assert html_zh.count('<th class="num">目标覆盖率</th>') == 1  # the area table of section 4 only
    assert html_zh.count('<div class="d">') == 8  # a definition under every KPI card
    assert html_zh.count('<p class="def">') >= 5  # beside every chart and the area table
    assert "optimal" not in html_zh.split("<script>")[0] and "within reach" not in html_zh


def test_header_and_footer_name_organisation_date_version_and_scenario_hash(tmp_path: Path) -> None:
    from planner.report._page import scenario_hash, tool_version

    plan = make_plan(tmp_path, report={"organisation": "武汉某设计院 <有限公司>", "date": "2026-12-01"})
    html = render_report(plan)
    assert html.count("武汉某设计院 &lt;有限公司&gt;") == 2 and html.count("2026-12-01") == 2
    assert html.count(scenario_hash(plan)) == 2 and html.count(tool_version()) >= 2
    other = make_plan(tmp_path, report={"organisation": "另一单位"})
    assert scenario_hash(other) != scenario_hash(plan) and "未填写" in render_report(other)
    with pytest.raises(PlannerError):
        make_plan(tmp_path, report={"date": "1 Dec 2026"})


def test_unnamed_areas_get_class_and_number() -> None:
    import pandas as pd

    from planner.report._page import display_names

    names = pd.Series(
        ["地铁站 未命名 unnamed (114.3001, 30.5002)", "光谷广场", "", "地铁站 未命名 unnamed (114.31, 30.52)", None]
    )
    classes = ["交通枢纽", "重要公共场所", "公园", "交通枢纽", "公园"]
    assert display_names(names, classes, "zh") == ["地铁站 1号", "光谷广场", "公园 1号", "地铁站 2号", "公园 2号"]
    assert display_names(names, classes, "en")[3] == "地铁站 No. 2"


def test_area_reason_is_in_the_report_language() -> None:
    from planner.report._page import area_reason

    row = {"n_cells": 40, "best_possible": 0.82, "target": 0.95, "k": 2, "met": False, "unreachable_out_of_range": 0.18}
    zh = area_reason(row, "zh", "最优")
    assert zh.startswith("候选站址最多可覆盖本区域的 82.0%（需 2 重覆盖）") and "超出候选站址覆盖距离 18.0%" in zh
    assert "82.0%" in area_reason(row, "en", "optimal") and "range 18.0%" in area_reason(row, "en", "optimal")
    assert area_reason({**row, "best_possible": 1.0}, "zh", "可行") == "求解在“可行”状态停止，未达到目标"
    assert area_reason({**row, "best_possible": 1.0, "met": True}, "zh", "最优") == ""


def test_vector_basemap_north_arrow_and_attributions(tmp_path: Path) -> None:
    from planner.report._basemap import attributions, load_basemap

    plan = make_plan(tmp_path, roads=True, report={"attribution": "路灯台账 © 某路灯所 <x>"})
    bm, note = load_basemap(plan)
    assert note == "" and bm is not None and sorted(bm["kind"]) == ["road_major", "road_minor", "water"]
    assert bm.crs.to_epsg() == 4326 and bm.attrs["osm"]
    # clipped to the boundary's box plus the margin (the streets run 0.001° past it)
    w, _s, e, _n = bm.total_bounds
    assert w > 114.398 - 0.0095 and e < 114.398 + 0.0095
    assert attributions(plan, bm) == ["© OpenStreetMap contributors", "路灯台账 © 某路灯所 <x>"]
    html = render_report(plan)
    assert (
        "planner-basemap" in html and "plannerBasemap" in html and "north-arrow" in html and "setPrefix(false)" in html
    )
    assert "路灯台账 © 某路灯所 &lt;x&gt;" in html and "<x>" not in html.split("<script>")[0]
    # without OSM-derived inputs no OSM attribution; a missing basemap file is a warning, not an error
    bare = make_plan(tmp_path)
    assert attributions(bare, None) == []
    (tmp_path / "roads.geojson").unlink()
    gone, note = load_basemap(plan)
    assert gone is None and "roads.geojson" in note
    assert "roads.geojson" in render_report(plan)


#: Jinja syntax in user strings: folium renders every map element's script a second time as a Jinja
#: template (branca's MacroElement.render wraps the output in Element(template=...)), so an unescaped
#: ``{{ … }}`` in a name would run as Python (``lipsum.__globals__`` reaches ``os``) and ``{%``/``{#``
#: would stop the report with a TemplateSyntaxError after the whole solve
JINJA_NAMES = ("{{ lipsum.__name__ }}", "{% if x %}", "{# note", "{{", "{%- raw %}")


def _jinja_plan(tmp: Path | None = None, **kw: object) -> Plan:
    plan = make_plan(tmp, **kw)  # type: ignore[arg-type]
    for i, text in enumerate(JINJA_NAMES):
        plan.sites.loc[i, "name"] = text
        plan.candidates.loc[len(plan.candidates) - 1 - i, "name"] = text  # candidate layer popups
    plan.sites.loc[0, "owner"] = JINJA_NAMES[0]
    plan.areas.loc[0, "name"] = JINJA_NAMES[0]  # area popups
    plan.areas.loc[1, "name"] = JINJA_NAMES[1]
    return plan


def test_jinja_syntax_in_user_strings_is_inert_in_the_map() -> None:
    plan = _jinja_plan()
    plan.sites["phase"] = np.where(np.arange(len(plan.sites)) % 2 == 0, JINJA_NAMES[0], "2021")  # layer names
    html = render_report(plan)
    assert "generate_lorem_ipsum" not in html  # the name was not evaluated
    assert map_strings(html) >= set(JINJA_NAMES)  # every name reaches the map data as it was written


def _layer_names(html: str) -> list[str]:
    """The names the map's layer control shows (Leaflet sets each as innerHTML), JSON-decoded."""
    block = html[html.index("_layers = {") :]
    block = block[: block.index("};")]
    return [json.loads(f'"{k}"') for k in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*[a-z_]+_[0-9a-z]+', block)]


def test_layer_names_and_attributions_are_html_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaflet writes layer names and tile attributions with innerHTML: a phase name (scenario text) or a
    審图号 holding markup must reach them escaped, so it shows as text.
    """
    evil = '<img src=x onerror=alert("phase")>'
    plan = make_plan(basemap="osm", report={"basemap_review_no": '<b onmouseover=alert("no")>GS</b>'})
    plan.sites["phase"] = np.where(np.arange(len(plan.sites)) % 2 == 0, evil, "2021")
    html = render_report(plan)
    names = _layer_names(html)
    assert any(n.startswith("建设期 &lt;img src=x onerror=alert(&quot;phase&quot;)&gt;") for n in names), names
    assert all("<" not in n for n in names), names
    script = html[html.index("var map_") :]
    attr = re.search(r'"attribution":\s*"((?:[^"\\]|\\.)*)"', script)
    assert attr is not None
    assert "<b" not in json.loads(f'"{attr.group(1)}"') and "&lt;b onmouseover" in json.loads(f'"{attr.group(1)}"')
