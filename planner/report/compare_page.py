"""``compare.html``: two plans side by side as a full page in the report's style, zh or en.

Title block (编制单位, 编制日期, tool version, the two plans), headline figures of A, B and the
change with their definitions, the change map (sites added / removed / kept over B's
boundary and priority areas, on the offline vector basemap of ``inputs.basemap`` when B has
one; north arrow, metric scale bar, collapsed layer control, data attributions, legend
beside the map and under it in print), the per-area coverage table and the table of the sites
that changed. Self-contained like ``report.html``: Leaflet inlined, the CJK font subset
embedded, every user string escaped (Jinja2 autoescaping; popups through ``textContent``).

This module takes plain values; :mod:`planner.workflow.compare` computes the comparison.
"""

from __future__ import annotations

import html
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from markupsafe import Markup

from planner.plan import Plan
from planner.present.i18n import CLASS_LABELS, TYPE_LABELS, label, texts
from planner.present.names import display_names
from planner.report._basemap import Attribution, NorthArrow, Panes, VectorBasemap, attributions, load_basemap
from planner.report._layers import Points
from planner.report._layers import display_string as _s
from planner.report._layers import identity as _identity
from planner.report._layers import transform_geoms as _transform_geoms
from planner.report._page import tool_version
from planner.report.map import OfflineMap, _add_areas, _add_boundary, _Legend, _MetricScale

#: marker colour per change
CHANGE_COLOURS = {"added": "#16a34a", "removed": "#dc2626", "kept": "#6b7280"}
#: rows of the changed-site table in the page (the full list is compare.csv)
SITE_ROWS = 2_000
#: headline figures of :func:`planner.workflow.sweep_result.plan_metrics` shown, with their kind
METRICS = (("n_sites", "int"), ("cost", "num"), ("coverage", "pct"), ("cell_coverage", "pct"), ("areas_met", "int"))

#: the page's own words (the map and table headings shared with the report come from planner.present.i18n)
COMPARE_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "doc_kind": "方案对比", "subtitle": "两个规划方案的站址与覆盖变化", "plan_a": "方案 A", "plan_b": "方案 B",
        "change": "变化（B − A）", "figures": "主要指标", "map": "变化地图", "areas": "重点区域覆盖对比",
        "sites": "站址变化明细", "item": "指标", "definition": "定义",
        "added": "新增站址", "removed": "取消站址", "kept": "保留站址", "change_col": "变化",
        "def_added": "只在方案 B 中选中的站址（按候选站址编号匹配）",
        "def_removed": "只在方案 A 中选中的站址",
        "def_kept": "两个方案都选中的站址",
        "n_sites": "站址数", "cost": "投资（万元）", "coverage": "规划范围覆盖率（需求加权）",
        "cell_coverage": "栅格覆盖率", "areas_met": "达标重点区域数",
        "def_n_sites": "方案选中的站址总数（含保留的在网站址）",
        "def_cost": "选中站址的投资合计，万元",
        "def_coverage": "各重点区域按权重和栅格数加权的覆盖率；栅格须达到该区域要求的重叠覆盖数",
        "def_cell_coverage": "规划范围内至少一个站址覆盖（RSRP 不低于门限）的栅格所占比例",
        "def_areas_met": "覆盖率达到目标的重点区域个数",
        "coverage_a": "覆盖率 A", "coverage_b": "覆盖率 B", "change_pp": "变化（百分点）",
        "met_a": "A 达标", "met_b": "B 达标", "site_code_a": "A 站址编号", "site_code_b": "B 站址编号",
        "rows_note": "仅列出前 {n} 行，共 {total} 行；完整列表见 compare.csv。",
        "no_change": "两个方案的站址相同。",
        "legend_changes": "站址变化",
        "map_note": "地图中方案 B 的规划范围与重点区域；点击站址查看属性。",
        "files": "同目录文件：compare.csv（全部站址及变化）、compare_areas.csv（逐区域覆盖对比）。",
    },
    "en": {
        "doc_kind": "Plan comparison", "subtitle": "sites and coverage changed between two plans", "plan_a": "Plan A",
        "plan_b": "Plan B", "change": "Change (B − A)", "figures": "Headline figures", "map": "Change map",
        "areas": "Priority-area coverage", "sites": "Sites that changed", "item": "Figure", "definition": "Definition",
        "added": "Sites added", "removed": "Sites removed", "kept": "Sites kept", "change_col": "Change",
        "def_added": "selected in plan B only (matched by candidate id)",
        "def_removed": "selected in plan A only",
        "def_kept": "selected in both plans",
        "n_sites": "Sites", "cost": "Cost (10k CNY)", "coverage": "Planning-area coverage (demand-weighted)",
        "cell_coverage": "Cell coverage", "areas_met": "Priority areas meeting their target",
        "def_n_sites": "sites selected by the plan, on-air sites kept included",
        "def_cost": "total cost of the selected sites, 10k CNY",
        "def_coverage": "coverage of the priority areas weighted by weight and cell count; a cell counts when it has "
                        "the number of servers its area requires",
        "def_cell_coverage": "share of the cells inside the boundary covered by at least one site (RSRP at or above "
                             "the threshold)",
        "def_areas_met": "priority areas whose coverage reaches their target",
        "coverage_a": "Coverage A", "coverage_b": "Coverage B", "change_pp": "Change (pp)",
        "met_a": "Met in A", "met_b": "Met in B", "site_code_a": "Site code A", "site_code_b": "Site code B",
        "rows_note": "First {n} of {total} rows; the full list is compare.csv.",
        "no_change": "Both plans select the same sites.",
        "legend_changes": "Site change",
        "map_note": "Plan B's boundary and priority areas; click a site for its attributes.",
        "files": "Files beside it: compare.csv (every site and its change), compare_areas.csv (per-area coverage).",
    },
}


def compare_texts(lang: str) -> dict[str, str]:
    """The report's words merged with the comparison page's own (``zh`` unless ``lang == "en"``)."""
    key = "en" if lang == "en" else "zh"
    return {**texts(key), **COMPARE_TEXTS[key]}


def change_legend_html(counts: dict[str, int], lang: str) -> str:
    """The legend of the change map (escaped HTML): one swatch per change with its count."""
    t = compare_texts(lang)
    rows = "".join(f'<div><span class="sw" style="background:{CHANGE_COLOURS[c]}"></span>'
                   f"{html.escape(t[c])} ({counts.get(c, 0)})</div>" for c in CHANGE_COLOURS)
    return (f'<div class="lg-title">{html.escape(t["legend_changes"])}</div>{rows}'
            f'<div><span class="sw ring" style="border-color:#111827;border-style:dashed"></span>'
            f'{html.escape(t["layer_boundary"])}</div>')


def change_map(plan_b: Plan, sites: gpd.GeoDataFrame, lang: str, *, height: str = "600px") -> OfflineMap:
    """The change map: B's boundary and areas, the sites added, removed and kept (one layer each).

    Parameters
    ----------
    plan_b : Plan
        The plan compared against A (boundary, areas, basemap, attributions).
    sites : GeoDataFrame
        ``id, name, type, change, site_code_a, site_code_b, lon, lat`` (EPSG:4490 values).
    lang : {"zh", "en"}
        Language of the layer names, popups and legend.
    height : str
        CSS height of the map element.
    """
    t = compare_texts(lang)
    bounds = plan_b.boundary.to_crs("EPSG:4326").total_bounds
    m = OfflineMap(location=[float((bounds[1] + bounds[3]) / 2), float((bounds[0] + bounds[2]) / 2)], zoom_start=14,
                   tiles=None, control_scale=False, height=height, prefer_canvas=False)
    _MetricScale().add_to(m)
    Panes().add_to(m)
    m.options["maxZoom"] = 19
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    basemap, note = load_basemap(plan_b)
    if basemap is not None:
        fg = folium.FeatureGroup(name=t["layer_basemap"], show=True)
        geoms = _transform_geoms(basemap, _identity).to_numpy()
        VectorBasemap(gpd.GeoDataFrame({"kind": basemap["kind"]}, geometry=geoms, crs="EPSG:4326")).add_to(fg)
        fg.add_to(m)
    m.attributions = tuple(attributions(plan_b, basemap))
    m.basemap_note = note
    _add_boundary(m, plan_b, t, _identity)
    _add_areas(m, plan_b, t, lang, _identity)
    labels = [t["change_col"], t["candidate_id"], t["site_name"], t["type"], t["site_code_a"], t["site_code_b"],
              t["lon"], t["lat"]]
    for change in ("kept", "removed", "added"):  # the changes drawn last, on top
        sel = sites[sites["change"] == change]
        fg = folium.FeatureGroup(name=f"{t[change]} ({len(sel)})", show=True)
        rows = [[float(r["lat"]), float(r["lon"]), 3 if change == "kept" else 6, "#111827", t[change], _s(r["id"]),
                 _s(r.get("name", "")), label(TYPE_LABELS, lang, r.get("type", "")), _s(r.get("site_code_a", "")),
                 _s(r.get("site_code_b", "")), f"{float(r['lon']):.6f}", f"{float(r['lat']):.6f}"]
                for r in sel.to_dict("records")]
        fg.add_child(Points(rows, labels, {"color": "#111827", "weight": 1, "fillColor": CHANGE_COLOURS[change],
                                           "fillOpacity": 0.9, "className": f"planner-change planner-change-{change}"}))
        fg.add_to(m)
    counts = {c: int((sites["change"] == c).sum()) for c in CHANGE_COLOURS}
    _Legend(change_legend_html(counts, lang)).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    NorthArrow(t["north"]).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    Attribution(list(m.attributions)).add_to(m)
    if len(bounds) == 4 and np.all(np.isfinite(bounds)):
        w, s, e, n = (float(v) for v in bounds)
        m.fit_bounds([[s, w], [n, e]])
    return m


def _fmt(value: Any, kind: str, lang: str, *, signed: bool = False) -> str:
    """A headline figure as text: integer, number (2 decimals) or percentage (fraction → %; a change in points)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    v = float(value)
    sign = "+" if signed and v > 0 else ""
    if kind == "pct":
        unit = (" pp" if lang == "en" else " 个百分点") if signed else " %"
        return f"{sign}{100 * v:.2f}{unit}"
    if kind == "int":
        return f"{sign}{round(v):,}"
    return f"{sign}{v:,.2f}"


def compare_context(plan_a: Plan, plan_b: Plan, label_a: str, label_b: str, sites: gpd.GeoDataFrame,
                    areas: pd.DataFrame, metrics_a: dict[str, Any], metrics_b: dict[str, Any],
                    lang: str) -> dict[str, Any]:
    """Everything ``compare.html`` shows, as plain values (escaped by the template).

    Parameters
    ----------
    plan_a, plan_b : Plan
        The two plans (B gives the boundary, areas, basemap and the title block's settings).
    label_a, label_b : str
        Their names on the page.
    sites : GeoDataFrame
        The comparison's site table (:class:`planner.workflow.compare.Comparison`).
    areas : DataFrame
        Per area: ``id, name, class, target, coverage_a, coverage_b, change_pp, met_a, met_b``.
    metrics_a, metrics_b : dict
        :func:`planner.workflow.sweep_result.plan_metrics` of each plan.
    lang : {"zh", "en"}
        Page language.
    """
    from planner.report.html import map_parts

    t = compare_texts(lang)
    rep = plan_b.scenario.report
    counts = {c: int((sites["change"] == c).sum()) for c in CHANGE_COLOURS}
    cards = [(f"{counts[c]:,}", t[c], t["def_" + c], f"card-{c}") for c in ("added", "removed", "kept")]
    figures = []
    for key, kind in METRICS:
        a, b = metrics_a.get(key), metrics_b.get(key)
        diff = None if a is None or b is None else float(b) - float(a)
        figures.append((t[key], _fmt(a, kind, lang), _fmt(b, kind, lang), _fmt(diff, kind, lang, signed=True),
                        t["def_" + key]))
    class_labels = [label(CLASS_LABELS, lang, c) for c in areas["class"].fillna("other").astype(str)]
    names = display_names(areas["name"].fillna("").astype(str), class_labels, lang)
    area_rows = []
    for i, r in enumerate(areas.to_dict("records")):
        met_a, met_b = r.get("met_a"), r.get("met_b")
        pp = None if pd.isna(r.get("change_pp")) else float(r["change_pp"]) / 100
        area_rows.append({
            "name": names[i], "class": class_labels[i], "target": _fmt(r.get("target"), "pct", lang),
            "a": _fmt(r.get("coverage_a"), "pct", lang), "b": _fmt(r.get("coverage_b"), "pct", lang),
            "change": _fmt(pp, "pct", lang, signed=True),
            "met_a": "–" if pd.isna(met_a) else t["yes"] if bool(met_a) else t["no"],
            "met_b": "–" if pd.isna(met_b) else t["yes"] if bool(met_b) else t["no"],
            "worse": pp is not None and pp < 0,
        })
    changed = sites[sites["change"] != "kept"]
    site_rows = [{"change": t[r["change"]], "kind": r["change"], "id": _s(r["id"]), "name": _s(r.get("name", "")),
                  "type": label(TYPE_LABELS, lang, r.get("type", "")), "code_a": _s(r.get("site_code_a", "")),
                  "code_b": _s(r.get("site_code_b", "")), "height": f"{float(r.get('height_m', np.nan)):g}",
                  "cost": f"{float(r.get('cost', np.nan)):g}", "lon": f"{float(r['lon']):.6f}",
                  "lat": f"{float(r['lat']):.6f}"} for r in changed.iloc[:SITE_ROWS].to_dict("records")]
    fmap = change_map(plan_b, sites, lang)
    head, body, script = map_parts(plan_b, fmap)
    return {
        "lang": "en" if lang == "en" else "zh", "t": t, "label_a": label_a, "label_b": label_b,
        "title": f"{label_a} → {label_b}", "organisation": rep.organisation, "report_date": rep.date,
        "version": tool_version(), "cards": cards, "figures": figures, "areas": area_rows, "sites": site_rows,
        "sites_total": len(changed),
        "rows_note": t["rows_note"].format(n=SITE_ROWS, total=len(changed)) if len(changed) > SITE_ROWS else "",
        "legend_html": Markup(change_legend_html(counts, lang)), "attributions": list(fmap.attributions),
        "map_head": Markup(head), "map_body": Markup(body), "map_script": Markup(script),
    }


def render_compare_page(context: dict[str, Any]) -> str:
    """``compare.html`` from :func:`compare_context`: one offline file with its CJK font embedded."""
    from planner.report.assets import external_references
    from planner.report.font import FONT_STACK, font_face_css
    from planner.report.html import FONT_PLACEHOLDER, _env

    page = _env().get_template("compare.html.j2").render(**context, font_stack=Markup(FONT_STACK))
    page = page.replace(FONT_PLACEHOLDER, font_face_css(page), 1)
    leftover = external_references(page)
    if leftover:  # pragma: no cover - guarded by inline_assets
        raise RuntimeError(f"compare.html still references external assets: {leftover}")
    return page
