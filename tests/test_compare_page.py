"""``compare.html``: a full page like the report (title, figures, legend, tables, map furniture), zh and en."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.plan import Plan
from planner.report.assets import external_references
from planner.workflow.compare import compare_runs
from tests.report_fixtures import make_plan, map_strings

#: CJK ideographs
HAN = re.compile(r"[\u4e00-\u9fff]")


def _two_plans(tmp: Path) -> tuple[Plan, Plan]:
    """Plan A without B's last site; B without A's first two sites (1 added, 2 removed)."""
    a, b = make_plan(tmp), make_plan(tmp)
    a.sites = a.sites.iloc[:-1].copy()
    b.sites = b.sites.iloc[2:].copy()
    return a, b


def _visible(page: str) -> str:
    """The page's text outside scripts, styles and tags."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<title>.*?</title>", " ", page, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, dict[str, int], Plan]]:
    tmp = tmp_path_factory.mktemp("compare")
    a, b = _two_plans(tmp)
    out = {}
    for lang in ("zh", "en"):
        cmp = compare_runs(a, b, out_dir=tmp / lang, language=lang)
        out[lang] = ((tmp / lang / "compare.html").read_text(encoding="utf-8"), cmp.counts(), b)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare_page_is_a_full_offline_page(pages: dict[str, tuple[str, dict[str, int], Plan]], lang: str) -> None:
    page, counts, _ = pages[lang]
    assert counts == {"added": 1, "removed": 2, "kept": len(pages[lang][2].sites) - 1}
    assert "@font-face" in page and "base64," in page  # the CJK font subset is embedded
    assert external_references(page) == []  # no script or stylesheet from the network
    assert "imperial: false" in page and "metric: true" in page  # metric scale bar only
    assert "north-arrow" in page and '"collapsed": true' in page and '"collapsed": false' not in page
    for table in ("compare-figures", "compare-areas", "change-sites"):
        assert f'id="{table}"' in page
    rows = re.findall(r'<tr class="change-(added|removed)">', page)
    assert sorted(rows) == ["added", "removed", "removed"]
    assert page.count("planner-change-added") >= 1 and "planner-legend" in page
    text = _visible(page)
    if lang == "zh":
        assert text.startswith("方案对比") and "新增站址 (1)" in text and "取消站址 (2)" in text
        assert "编制单位" in text and "工具版本" in text
        # no English interface words; data values (names, ids, codes) aside
        for word in ("Plan comparison", "added", "removed", "kept", "Coverage", "Target", "boundary", "Change"):
            assert word not in text, word
    else:
        assert text.startswith("Plan comparison") and "Sites added (1)" in text and "Sites removed (2)" in text
        # no Chinese except data values: the scenario's name, the site and area names, "路灯" in names
        data = r"光谷 &lt;测试&gt;|路灯 [A-Z0-9]+|光谷广场|地铁站 &lt;B&gt;|华科 &amp; 公园|规划范围其余区域"
        ui = re.sub(data, "", text)
        assert not HAN.search(ui), HAN.findall(ui)[:10]


def test_compare_page_escapes_user_strings(pages: dict[str, tuple[str, dict[str, int], Plan]]) -> None:
    page, _, _ = pages["zh"]
    assert "<测试>" not in page.split("<script>")[0] and "&lt;测试&gt;" in page  # the scenario name stays text


def test_rsrp_change_figure_titles_follow_the_language(tmp_path: Path) -> None:
    from planner.workflow.compare import rsrp_change_figure

    a, b = _two_plans(tmp_path)
    zh = [ax.get_title() for ax in rsrp_change_figure(a, b).axes[:3:2]]
    en = [ax.get_title() for ax in rsrp_change_figure(a, b, language="en").axes[:3:2]]
    assert zh[0] == "A：最强服务小区 RSRP (dBm)" and en[0] == "A: best-server RSRP (dBm)"


def test_compare_page_keeps_jinja_syntax_in_names_inert(tmp_path: Path) -> None:
    """Folium renders each map element's script again as a Jinja template: names holding ``{{ … }}`` or
    ``{%`` must neither run (``lipsum.__globals__`` reaches ``os``) nor stop the page.
    """
    a, b = _two_plans(tmp_path)
    for plan in (a, b):
        plan.sites.iloc[3, plan.sites.columns.get_loc("name")] = "{{ lipsum.__name__ }}"
        plan.sites.iloc[4, plan.sites.columns.get_loc("name")] = "{% if x %}"
        plan.areas.loc[0, "name"] = "{# area"
    compare_runs(a, b, out_dir=tmp_path / "cmp", language="zh")
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    assert "generate_lorem_ipsum" not in page
    assert {"{{ lipsum.__name__ }}", "{% if x %}"} <= map_strings(page)  # kept sites: on the map only
    assert "{# area" in page  # the area table
