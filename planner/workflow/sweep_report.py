"""The combined report of a sweep: one self-contained HTML page (no network, no scripts).

It holds the comparison table, the Pareto figure (embedded PNG), each priority area's
coverage per variant, the recommended variant and relative links to every variant's own
report. Every user-provided string is escaped.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.present.format import fmt_number, fmt_percent
from planner.scenario import Scenario

if TYPE_CHECKING:
    from planner.workflow.sweep_result import SweepResult

_T = {
    "zh": {
        "title": "方案比选报告",
        "scenario": "基础场景",
        "params": "比选参数",
        "notes": "说明",
        "table": "方案对比",
        "pareto": "覆盖率—投资帕累托曲线",
        "areas": "各重点区域覆盖率",
        "recommended": "推荐方案",
        "rec_rule": "覆盖率与最优方案相差不超过 1 个百分点的方案中投资最少者",
        "label": "方案",
        "n_sites": "站点数",
        "cost": "总投资（万元）",
        "coverage": "加权覆盖率",
        "cell_coverage": "栅格覆盖率",
        "areas_met": "达标区域",
        "status": "求解状态",
        "gap": "间隙",
        "report": "方案报告",
        "error": "错误",
        "area": "区域",
        "target": "目标",
        "shared": "各方案共用一次覆盖计算",
        "footer": "示意图 · 内部报批资料 · 由 smartpole-planner 生成",
    },
    "en": {
        "title": "Scenario sweep",
        "scenario": "base scenario",
        "params": "swept parameters",
        "notes": "notes",
        "table": "Variants",
        "pareto": "Coverage–cost Pareto curve",
        "areas": "Coverage of each priority area",
        "recommended": "Recommended variant",
        "rec_rule": "the cheapest variant within one percentage point of the best coverage",
        "label": "variant",
        "n_sites": "sites",
        "cost": "cost (10k CNY)",
        "coverage": "weighted coverage",
        "cell_coverage": "cell coverage",
        "areas_met": "targets met",
        "status": "solver status",
        "gap": "gap",
        "report": "report",
        "error": "error",
        "area": "area",
        "target": "target",
        "shared": "coverage computed once and shared by every variant",
        "footer": "Schematic · internal planning document · made by smartpole-planner",
    },
}

_NOTES_ZH = {
    "objective.kind set to max_coverage: a budget or max_sites sweep has no effect under min_cost": (
        "目标函数已设为 max_coverage（最大覆盖）：在 min_cost（最小投资）目标下，投资或站点数上限的比选没有意义"
    ),
}

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;\
color:#1f2933}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}tr.pareto td{background:#fff5f5}tr.rec td{font-weight:600}
img{max-width:100%}.muted{color:#6b7280;font-size:.85em}
@media print{@page{size:A4 landscape;margin:12mm}body{margin:0;max-width:none}a{color:inherit}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value), quote=True)


def _pct(value: Any) -> str:
    return fmt_percent(value, 2, unit=" %", missing="")


def _num(value: Any, fmt: str = "{:,.1f}") -> str:
    return fmt_number(value, fmt, missing="")


def write_sweep_report(result: SweepResult, base: Scenario, path: Path, pareto_png: Path | None) -> Path:
    """Write the combined sweep report to ``path`` (UTF-8 HTML, self-contained)."""
    lang = base.report.language
    t = _T[lang]
    table = result.table
    rec = result.recommend()
    swept = sorted({o.partition("=")[0] for v in result.variants for o in v.overrides})
    parts = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{_e(t['title'])} · {_e(base.scenario.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(t['title'])} · {_e(base.scenario.name)}</h1>",
        f"<p>{_e(t['scenario'])}: <code>{_e(base.source.name if base.source else '')}</code>; "
        f"{_e(t['params'])}: <code>{_e(', '.join(swept))}</code></p>",
    ]
    notes = [_NOTES_ZH.get(n, n) if lang == "zh" else n for n in result.notes] + (
        [t["shared"]] if result.shared_coverage else []
    )
    if notes:
        parts.append("<ul class='muted'>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    if rec is not None:
        parts.append(
            f"<p><b>{_e(t['recommended'])}: {_e(rec)}</b> <span class='muted'>({_e(t['rec_rule'])})</span></p>"
        )
    # comparison table
    head = ["label", "n_sites", "cost", "coverage", "cell_coverage", "areas_met", "status", "gap", "report"]
    parts.append(f"<h2>{_e(t['table'])}</h2><table><tr>" + "".join(f"<th>{_e(t[h])}</th>" for h in head) + "</tr>")
    for _, r in table.iterrows():
        cls = " ".join(c for c, on in (("pareto", bool(r.get("pareto"))), ("rec", r["label"] == rec)) if on)
        if r.get("error"):
            parts.append(
                f"<tr class='{cls}'><td>{_e(r['label'])}</td>"
                f"<td colspan='{len(head) - 1}'>{_e(t['error'])}: {_e(r['error'])}</td></tr>"
            )
            continue
        met = f"{int(r['areas_met'])}/{int(r['areas'])}"
        link = f"<a href='{_e(r['folder'])}/report.html'>{_e(r['folder'])}</a>"
        cells = [
            _e(r["label"]),
            _num(r["n_sites"], "{:.0f}"),
            _num(r["cost"]),
            _pct(r["coverage"]),
            _pct(r["cell_coverage"]),
            met,
            _e(r["status"]),
            _pct(r["gap"]),
            link,
        ]
        parts.append(f"<tr class='{cls}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    if pareto_png is not None and pareto_png.exists():
        data = base64.b64encode(pareto_png.read_bytes()).decode("ascii")
        parts.append(f"<h2>{_e(t['pareto'])}</h2><img alt='Pareto' src='data:image/png;base64,{data}'>")
    # per-area coverage per variant
    if result.plans:
        labels = [lab for lab in table["label"] if lab in result.plans]
        first = result.plans[labels[0]].areas
        parts.append(
            f"<h2>{_e(t['areas'])}</h2><table><tr><th>{_e(t['area'])}</th><th>{_e(t['target'])}</th>"
            + "".join(f"<th>{_e(lab)}</th>" for lab in labels)
            + "</tr>"
        )
        for i in range(len(first)):
            row = [_e(first["name"].iloc[i]), _pct(first["target"].iloc[i])]
            for lab in labels:
                a = result.plans[lab].areas
                row.append(_pct(a["coverage"].iloc[i]) if i < len(a) else "")
            parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append(f"<p class='muted'>{_e(t['footer'])}</p></body></html>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
