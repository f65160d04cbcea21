"""The self-contained HTML report (``report.html``).

One file, no network: the folium map's Leaflet assets are inlined
(:mod:`planner.report.assets`), the RSRP overlay is a ``data:`` PNG and the charts are
inline SVG. The page is rendered from ``templates/report.html.j2`` with Jinja2
autoescaping, so every user string (scenario name, ids, names, owners, area names,
warnings) is HTML-escaped. Print CSS gives A4 portrait pages and an A3 landscape page for
the wide site table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import folium
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from planner.plan import Plan
from planner.present.format import fmt_number, fmt_percent
from planner.present.i18n import (
    BUILD_MODES,
    CLASS_LABELS,
    INPUT_LABELS,
    LOS_LABELS,
    MODE_LABELS,
    MODEL_LABELS,
    OBJECTIVE_LABELS,
    PARAM_LABELS,
    RADIO_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    label,
    texts,
)
from planner.present.names import rename_lists
from planner.present.rollout import rollout_tables
from planner.present.tables import area_records, kpis, site_records
from planner.present.warning_text import warning_text
from planner.report import charts
from planner.report._page import (
    PAGE_SIZE,
    area_reason,
    display_names,
    file_digest,
    scenario_hash,
    toc,
    tool_version,
)
from planner.report.assets import external_references, inline_assets
from planner.report.font import FONT_STACK, font_face_css
from planner.report.map import build_map, legend_html
from planner.report.sinr import sinr_section

#: rows of the site table in the page: a city's 15,000 sites would take a browser ~8 s to lay out
#: (the full table is sites.xlsx / sites.csv; the map still draws every site)
SITE_TABLE_ROWS = 2_000
#: where the template's ``@font-face`` rule goes (filled once the page's characters are known)
FONT_PLACEHOLDER = "/* planner-font-face */"
_HEAD_RE = re.compile(r"<head>(.*?)</head>", re.DOTALL)
_BODY_RE = re.compile(r"<body>(.*?)</body>\s*<script>(.*)</script>\s*</html>", re.DOTALL)
_MAP_NAME_RE = re.compile(r"var (map_[0-9a-z]+) = L\.map\(")
_UUID_RE = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9A-Za-z])")
#: folium's full-window page styles, replaced by the report's own layout
_PAGE_STYLE_RE = re.compile(
    r"<style>\s*html,\s*body\s*\{[^}]*\}\s*</style>|<style>\s*#map\s*\{[^}]*\}\s*</style>"
    r"|<meta\s+name=\"viewport\"[^>]*>|<meta\s+http-equiv=[^>]*>"
)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("planner.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["keep_names"] = keep_names
    return env


#: words of a sentence that are names, not language: warning codes (W01) and file names (manifest.json)
_NAME_RE = re.compile(r"\bW\d{2}\b|\b[\w.-]+\.(?:json|csv|xlsx|kmz|kml|gpkg|dxf|tif|html|pdf|toml)\b")


def keep_names(text: str) -> Markup:
    """``text`` escaped, with its warning codes and file names marked ``translate="no"``.

    They stay as they are in every language (a browser's translator, and the report's
    one-language check, leave them alone), like the data values the template marks.
    """
    out, last = [], 0
    for m in _NAME_RE.finditer(text):
        out += [str(escape(text[last : m.start()])), f'<span translate="no">{escape(m.group(0))}</span>']
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def _num(value: Any, digits: int = 2) -> str:
    """Fixed-decimal number with thousands separators, or an en dash for missing values."""
    return fmt_number(value, f"{{:,.{digits}f}}")


def _pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage, or an en dash for missing values."""
    return fmt_percent(value, digits)


#: fits the map to the planning boundary when printing (Leaflet caches its size; the printed map is larger)
_PRINT_FIT = """
window.plannerPrintFit = function () {{
    var m = {name}, b = null;
    m.options.zoomSnap = 0.1;  // fill the printed page rather than the next whole zoom level
    m.invalidateSize(false);
    m.eachLayer(function (l) {{
        if (l.getBounds && l.options && l.options.className === "planner-boundary") {{
            var lb = l.getBounds(); b = b ? b.extend(lb) : L.latLngBounds(lb.getSouthWest(), lb.getNorthEast());
        }}
    }});
    if (b) {{ m.fitBounds(b, {{animate: false, padding: [8, 8]}}); }}
}};
window.addEventListener("beforeprint", window.plannerPrintFit);
window.addEventListener("afterprint", function () {{ {name}.invalidateSize(false); }});
"""


def map_parts(plan: Plan, fmap: folium.Map | None = None) -> tuple[str, str, str]:
    """The map rendered by folium, split into (head assets, body HTML, script), offline."""
    page = (fmap if fmap is not None else build_map(plan)).get_root().render()
    page = inline_assets(page)
    # folium names every element with a random uuid; number them for reproducible bytes
    ids: dict[str, str] = {}
    page = _UUID_RE.sub(lambda m: ids.setdefault(m.group(0), f"e{len(ids):04d}"), page)
    head_m = _HEAD_RE.search(page)
    body_m = _BODY_RE.search(page)
    if head_m is None or body_m is None:  # pragma: no cover - folium's page layout changed
        raise RuntimeError("unexpected folium page layout; cannot embed the map")
    head = _PAGE_STYLE_RE.sub("", head_m.group(1))
    script = body_m.group(2)
    name = _MAP_NAME_RE.search(script)
    if name is not None:
        script += _PRINT_FIT.format(name=name.group(1))
    return head, body_m.group(1), script


def _scalar_items(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for k, v in d.items():
        if isinstance(v, dict | list | tuple | np.ndarray):
            continue
        if isinstance(v, float | np.floating):
            out.append((str(k), f"{float(v):.4g}"))
        else:
            out.append((str(k), str(v)))
    return out


def _radio_table(plan: Plan, lang: str) -> tuple[list[str], list[list[str]]]:
    """Link budget side by side per site class: (column heads, rows of label + values)."""
    t = texts(lang)
    labels = RADIO_LABELS["en" if lang == "en" else "zh"]
    classes = [c for c in ("macro", "micro") if isinstance(plan.radio.get(c), dict)]
    items = {c: dict(_scalar_items(plan.radio[c])) for c in classes}
    keys: list[str] = []
    for c in classes:
        keys += [k for k in items[c] if k not in keys and k not in ("site_class", "band")]
    rows = []
    for k in keys:
        values = []
        for c in classes:
            v = items[c].get(k, "–")
            values.append(
                label(MODEL_LABELS, lang, v) if k == "model" else label(LOS_LABELS, lang, v) if k == "los_mode" else v
            )
        rows.append([labels.get(k, k), *values])
    return [t["item"], *[t.get(c, c) for c in classes]], rows


def report_context(plan: Plan) -> dict[str, Any]:
    """Everything the template shows, as plain values (escaped by the template)."""
    sc = plan.scenario
    lang = sc.report.language
    t = texts(lang)
    k = kpis(plan)
    sites = site_records(plan)
    sites["type_label"] = [label(TYPE_LABELS, lang, v) for v in sites["type"]]
    sites["class_label"] = [t.get(v, v) for v in sites["site_class"]]
    sites["mode_label"] = [label(MODE_LABELS, lang, v) for v in sites["build_mode"]]
    areas = area_records(plan)
    areas["class_label"] = [label(CLASS_LABELS, lang, v) for v in areas["class"]]
    areas["display_name"] = display_names(areas["name"], list(areas["class_label"]), lang)
    sites["areas"] = rename_lists(sites["areas"], dict(zip(areas["name"], areas["display_name"], strict=True)))
    status_label = label(STATUS_LABELS, lang, plan.solution.get("status"))
    areas["reason"] = [
        area_reason(r, lang, status_label) for r in plan.areas.drop(columns="geometry").to_dict("records")
    ]
    sol = plan.solution
    basemap = sc.report.basemap
    basemap_attr = {
        "none": t["basemap_vector"] if sc.inputs.basemap is not None else t["basemap_none"],
        "osm": "© OpenStreetMap contributors (ODbL)",
        "tianditu": "天地图 (国家地理信息公共服务平台)",
        "gaode": "高德地图 AutoNavi (GCJ-02)",
    }[basemap]
    params = [
        (t["band"], sc.radio.band),
        (t["threshold"], f"{plan.threshold_dbm:g}"),
        (t["grid"], f"{plan.grid.res:g} m · {plan.grid.nx} × {plan.grid.ny}"),
        (t["metric_crs"], plan.grid.crs),
        (t["objective_kind"], label(OBJECTIVE_LABELS, lang, sc.objective.kind)),
    ]
    pl = PARAM_LABELS["en" if lang == "en" else "zh"]
    if sc.objective.budget:
        params.append((pl["budget"], f"{sc.objective.budget:g}"))
    if sc.objective.max_sites:
        params.append((pl["max_sites"], str(sc.objective.max_sites)))
    params += [
        (pl["time_limit_s"], f"{sc.solver.time_limit_s:g}"),
        (pl["workers"], str(sc.solver.workers)),
        (pl["seed"], str(sc.scenario.seed)),
        (t["basemap_attr"], basemap_attr),
    ]
    radio_head, radio_rows = _radio_table(plan, lang)
    solver_rows = [
        (t["solver_status"], label(STATUS_LABELS, lang, sol.get("status"))),
        (t["objective_kind"], label(OBJECTIVE_LABELS, lang, sol.get("objective_kind", sc.objective.kind))),
        (t["objective"], _num(sol.get("objective"), 3)),
        (t["bound"], _num(sol.get("bound"), 3)),
        (t["gap"], _pct(sol.get("gap"), 2) if sol.get("gap") is not None else "–"),
        (t["runtime"], _num(sol.get("runtime_s"), 2)),
        (t["backend"], sol.get("backend", "")),
    ]
    solver_rows += _decomposition_rows(sol, lang)
    fmap = build_map(plan)
    head, body, script = map_parts(plan, fmap)
    curve = (
        "chart_pareto" if plan.extras.get("pareto") else "chart_rollout" if charts.has_rollout(plan) else "chart_areas"
    )
    chart_list = [(t[curve], Markup(charts.coverage_chart(plan, lang)), t["def_" + curve])]
    if curve != "chart_areas":
        chart_list.append((t["chart_areas"], Markup(charts.area_chart(plan, lang)), t["def_chart_areas"]))
    chart_list += [
        (t["chart_mix"], Markup(charts.site_mix_chart(plan, lang)), t["def_chart_mix"]),
        (t["chart_rsrp"], Markup(charts.rsrp_histogram(plan, lang)), t["def_chart_rsrp"]),
    ]
    hashes = [(label(INPUT_LABELS, lang, name), digest) for name, digest in sorted(plan.input_hashes.items())]
    bm_path = sc.inputs.basemap
    if bm_path is not None and Path(bm_path).is_file() and "basemap" not in plan.input_hashes:
        hashes.append((label(INPUT_LABELS, lang, "basemap"), file_digest(Path(bm_path))))
    logged = list(plan.warnings) + ([fmap.basemap_note] if fmap.basemap_note else [])
    warnings = [warning_text(w, lang) for w in logged]  # in the report's language, with a stable code
    cards = [
        (str(k["n_sites"]), "sites_total", "kpi-sites"),
        (str(k["n_candidates"]), "candidates_total", ""),
        (_pct(k["reuse_share"]), "reuse_share", ""),
        (_num(k["total_cost"], 1), "total_cost", ""),
        (_num(k["area_km2"], 2), "planning_area", ""),
        (_num(k["sites_per_km2"], 2), "sites_per_km2", ""),
        (f"{k['areas_met']}/{k['n_areas']}", "areas_met", ""),
        (_pct(k["covered_share"]), "covered_share", "kpi-covered"),
    ]
    return {
        "lang": lang,
        "t": t,
        "title": sc.report.title or sc.scenario.name,
        "doc_kind": t["title"],
        "scenario_name": sc.scenario.name,
        "description": sc.scenario.description,
        "scenario_file": sc.source.name if sc.source else "",
        "overrides": list(sc.overrides),
        "params": params,
        "k": k,
        "by_type": [
            (label(TYPE_LABELS, lang, typ), k["by_type"].get(typ, 0), n_cand)  # type: ignore[attr-defined]
            for typ, n_cand in k["cand_by_type"].items()  # type: ignore[attr-defined]
        ],
        "by_mode": [(label(MODE_LABELS, lang, m), k["by_mode"].get(m, 0)) for m in BUILD_MODES],  # type: ignore[attr-defined]
        "by_class": [(t.get(c, c), n) for c, n in k["by_class"].items()],  # type: ignore[attr-defined]
        "areas": areas.to_dict("records"),
        "sites": sites.iloc[:SITE_TABLE_ROWS].to_dict("records"),
        "sites_total": len(sites),
        "metric_crs": plan.grid.crs,
        "radio_head": radio_head,
        "radio_rows": radio_rows,
        "radio_common": [
            (t["band"], plan.radio.get("band", sc.radio.band)),
            (t["threshold"], plan.threshold_dbm),
            (t["terrain"], t["yes_terrain"] if plan.radio.get("terrain") else t["no_terrain"]),
        ],
        "solver_rows": solver_rows,
        "hashes": hashes,
        "warnings": warnings,
        "cards": cards,
        "toc": toc(t),
        "page_size": PAGE_SIZE,
        "organisation": sc.report.organisation,
        "report_date": sc.report.date,
        "version": tool_version(),
        "scenario_hash": scenario_hash(plan),
        "attributions": list(fmap.attributions),
        "legend_html": Markup(legend_html(plan, lang)),
        "basemap": basemap,
        "basemap_attr": basemap_attr,
        "review_no": sc.report.basemap_review_no if basemap != "none" else "",
        "gcj": basemap == "gaode",
        "map_head": Markup(head),
        "map_body": Markup(body),
        "map_script": Markup(script),
        "charts": chart_list,
        "sinr": sinr_section(plan, lang),
        "rollout": rollout_tables(plan, lang),  # [[phases]] / [operators] plans only (planner.present.rollout)
    }


def render_report(plan: Plan) -> str:
    """The report page as one HTML string (works offline, with its CJK font embedded)."""
    html = _env().get_template("report.html.j2").render(**report_context(plan), font_stack=Markup(FONT_STACK))
    # the font subset is made from the finished page, so every character it shows is in it
    html = html.replace(FONT_PLACEHOLDER, font_face_css(html), 1)
    leftover = external_references(html)
    if leftover:  # pragma: no cover - guarded by inline_assets
        raise RuntimeError(f"report still references external assets: {leftover}")
    return html


def write_report(plan: Plan, path: str | Path) -> Path:
    """Write the self-contained ``report.html`` of a plan.

    Parameters
    ----------
    plan : Plan
        The plan.
    path : str or Path
        Output file (its folder must exist).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ScenarioError
        ``report.basemap = "tianditu"`` without the ``TIANDITU_KEY`` environment variable.
    """
    path = Path(path)
    path.write_text(render_report(plan), encoding="utf-8")
    return path


def _decomposition_rows(sol: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The spatial decomposition of a large solve (planner.optimize.decompose), when one was used."""
    d = (sol.get("stats") or {}).get("decomposition")
    if not d:
        return []
    km = float(d.get("tile_m", 0)) / 1000
    lagr = "lagrangian" in str(d.get("area_shares", "")).lower()
    pdlp = "pdlp" in str(d.get("bound_method", "")).lower()
    gap = d.get("gap_whole_model")
    saved = sum(float(w.get("gain", 0.0)) for w in d.get("windows") or [])
    if lang == "en":
        return [
            (
                "Spatial decomposition",
                f"{d.get('tiles')} tiles of {km:g} km"
                + ("; targets of areas spanning tiles split by the whole-model Lagrangian" if lagr else "")
                + f"; border and area repair added {d.get('repair_added')} sites, polishing removed "
                f"{d.get('polish_removed')}"
                + (f"; windows across tile borders solved again saved {_num(saved, 0)} 万元" if saved > 0 else "")
                + "; bound: one Lagrangian relaxation of the whole model"
                + (" at approximate LP duals (PDLP)" if pdlp else "")
                + (f"; gap for the whole model {_pct(gap)}" if gap is not None else ""),
            )
        ]
    return [
        (
            "分区求解",
            f"{d.get('tiles')} 个 {km:g} 公里见方分区"
            + ("；跨分区区域目标按全模型拉格朗日松弛分配" if lagr else "")
            + f"；边界与区域目标修复增加 {d.get('repair_added')} 个站址，精简去除 {d.get('polish_removed')} 个；"
            + (f"跨分区边界窗口重新求解节省 {_num(saved, 0)} 万元；" if saved > 0 else "")
            + "下界：全模型拉格朗日松弛"
            + ("（取 PDLP 近似线性规划对偶值）" if pdlp else "")
            + (f"，全模型差距 {_pct(gap)}" if gap is not None else ""),
        )
    ]
