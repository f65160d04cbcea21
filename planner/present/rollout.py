"""Tables of a phased (建设期) or multi-operator (共建共享) plan, shared by the report and ``sites.xlsx``.

Read ``plan.solution["phases"]`` / ``plan.solution["operators"]`` (written by
:mod:`planner.stages.rollout`, saved in ``manifest.json`` so a re-rendered report shows them).
Each table is a dict: ``id``, ``title``, ``head`` (column heads), ``rows`` (display strings) and
``note``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.plan import Plan
from planner.present.i18n import CLASS_LABELS, label

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "phases_title": "分期建设（建设期）",
        "phase": "建设期",
        "new_sites": "新增站址",
        "new_cost": "新增费用 (万元)",
        "budget": "预算 (万元)",
        "cum_cost": "累计费用 (万元)",
        "no_cap": "不限",
        "met": "目标达成",
        "compare_title": "联合优化与逐期（短视）规划对比",
        "plan": "方案",
        "joint": "联合优化（多期一体）",
        "myopic": "逐期规划（每期单独求解）",
        "total": "合计 (万元)",
        "discounted": "折现合计 (万元)",
        "phases_note": "覆盖率为期末累计值 / 目标（按区域需求加权）。联合优化下界 {bound}，差距 {gap}；"
        "较逐期规划节省 {saving} 万元。",
        "ops_title": "多运营商共建共享",
        "operator": "运营商",
        "band": "频段",
        "sites": "站址",
        "shared": "其中共享站址",
        "cost": "分摊费用 (万元)",
        "alone": "单独规划费用 (万元)",
        "coverage": "覆盖率 / 目标",
        "all": "合计",
        "ops_note": "首个挂载的运营商（按场景顺序）承担建设/改造费用，其余运营商承担共享费用。"
        "共享率（共享站址上的挂载数 / 总挂载数）"
        "{rate}；较各运营商单独规划合计节省 {saving} 万元；下界 {bound}，差距 {gap}。",
        "tenancies": "挂载数",
        "share_rate": "共享率",
    },
    "en": {
        "phases_title": "Phased roll-out",
        "phase": "Phase",
        "new_sites": "New sites",
        "new_cost": "New cost (10k CNY)",
        "budget": "Budget (10k CNY)",
        "cum_cost": "Cumulative cost (10k CNY)",
        "no_cap": "none",
        "met": "Targets met",
        "compare_title": "Joint plan vs myopic (phase by phase) plan",
        "plan": "Plan",
        "joint": "Joint (all phases at once)",
        "myopic": "Myopic (each phase alone, in order)",
        "total": "Total (10k CNY)",
        "discounted": "Discounted total (10k CNY)",
        "phases_note": "Coverage is cumulative at the end of the phase / target (demand-weighted). "
        "Joint plan bound {bound}, "
        "gap {gap}; saving against the myopic plan {saving} (10k CNY).",
        "ops_title": "Multi-operator sharing",
        "operator": "Operator",
        "band": "Band",
        "sites": "Sites",
        "shared": "of which shared",
        "cost": "Attributed cost (10k CNY)",
        "alone": "Planning alone (10k CNY)",
        "coverage": "Coverage / target",
        "all": "Total",
        "ops_note": "The first operator on a pole (scenario order) pays its site cost, further ones the sharing cost. "
        "Sharing rate "
        "(tenancies on shared poles / all tenancies) {rate}; saving against each operator planning alone {saving} "
        "(10k CNY); bound {bound}, gap {gap}.",
        "tenancies": "Tenancies",
        "share_rate": "Sharing rate",
    },
}


def _num(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    x = float(v)
    return "–" if x != x else f"{x:,.{digits}f}"


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100.0 * float(v):.1f}%"


def _class_coverage(plan: Plan, cov: list[float], targets: list[float], language: str) -> list[str]:
    """Per targeted class: demand-weighted coverage / target, e.g. ``交通枢纽 96.2% / 95%``."""
    a = plan.areas
    cls = a["class"].astype(str).to_numpy()
    w = (a["n_cells"].to_numpy(float) if "n_cells" in a else np.ones(len(a))) * (
        a["weight"].to_numpy(float) if "weight" in a else 1.0
    )
    c, t = np.asarray(cov, float), np.asarray(targets, float)
    out = []
    for k in dict.fromkeys(cls[t > 0]):
        m = (cls == k) & (t > 0)
        tot = float(w[m].sum())
        share = float((w[m] * c[m]).sum()) / tot if tot > 0 else float(c[m].mean())
        tgt = float((w[m] * t[m]).sum()) / tot if tot > 0 else float(t[m].mean())
        out.append(f"{label(CLASS_LABELS, language, k)} {100 * share:.1f}% / {100 * tgt:.0f}%")
    return out


def _met(cov: list[float], targets: list[float]) -> str:
    c, t = np.asarray(cov, float), np.asarray(targets, float)
    on = t > 0
    return f"{int((c[on] + 1e-9 >= t[on]).sum())}/{int(on.sum())}"


def rollout_tables(plan: Plan, language: str = "zh") -> list[dict[str, Any]]:
    """The roll-out tables of ``plan`` (empty for a single plan)."""
    lab = LABELS["en" if language == "en" else "zh"]
    sol = plan.solution if isinstance(plan.solution, dict) else {}
    out: list[dict[str, Any]] = []
    ph = sol.get("phases")
    if isinstance(ph, dict) and ph.get("joint"):
        joint, myopic = ph["joint"], ph["myopic"]
        names = [p["name"] for p in joint["phases"]]
        cov = ph.get("coverage", {}).get("joint") or [[] for _ in names]
        rows, cum = [], 0.0
        for p, entry in enumerate(joint["phases"]):
            cum += float(entry["new_cost"])
            budget = ph.get("budgets", [0] * len(names))[p]
            tgt = ph.get("targets", [[]] * len(names))[p]
            rows.append(
                [
                    entry["name"],
                    str(entry["new_sites"]),
                    _num(entry["new_cost"]),
                    _num(budget) if budget else lab["no_cap"],
                    _num(cum),
                    _met(cov[p], tgt) if tgt else "–",
                    "；".join(_class_coverage(plan, cov[p], tgt, language)) if tgt else "",
                ]
            )
        note = lab["phases_note"].format(
            bound=_num(ph.get("bound")), gap=_pct(ph.get("gap")), saving=_num(ph.get("saving"))
        )
        out.append(
            {
                "id": "phases",
                "title": lab["phases_title"],
                "note": note,
                "rows": rows,
                "head": [
                    lab["phase"],
                    lab["new_sites"],
                    lab["new_cost"],
                    lab["budget"],
                    lab["cum_cost"],
                    lab["met"],
                    lab["coverage"],
                ],
            }
        )
        comp = []
        for key, pl in (("joint", joint), ("myopic", myopic)):
            comp.append(
                [lab[key]]
                + [f"{_num(e['new_cost'])} ({e['new_sites']})" for e in pl["phases"]]
                + [_num(pl["total_cost"]), _num(pl["discounted_cost"])]
            )
        out.append(
            {
                "id": "phases-compare",
                "title": lab["compare_title"],
                "note": "",
                "rows": comp,
                "head": [lab["plan"]] + [f"{n} {lab['new_cost']}" for n in names] + [lab["total"], lab["discounted"]],
            }
        )
    op = sol.get("operators")
    if isinstance(op, dict) and op.get("operators"):
        rows = []
        for e in op["operators"]:
            cov_txt = "；".join(_class_coverage(plan, e.get("coverage", []), e.get("targets", []), language))
            rows.append(
                [
                    e["name"],
                    e.get("band", ""),
                    str(e["sites"]),
                    str(e["shared_sites"]),
                    _num(e["cost"]),
                    _num(e["single_cost"]),
                    cov_txt,
                ]
            )
        rows.append(
            [
                lab["all"],
                "",
                f"{op['poles']} ({lab['tenancies']} {op['tenancies']})",
                "",
                _num(op["total_cost"]),
                _num(op["single_total"]),
                f"{lab['share_rate']} {_pct(op.get('share_rate'))}",
            ]
        )
        note = lab["ops_note"].format(
            rate=_pct(op.get("share_rate")),
            saving=_num(op.get("saving")),
            bound=_num(op.get("bound")),
            gap=_pct(op.get("gap")),
        )
        out.append(
            {
                "id": "operators",
                "title": lab["ops_title"],
                "note": note,
                "rows": rows,
                "head": [
                    lab["operator"],
                    lab["band"],
                    lab["sites"],
                    lab["shared"],
                    lab["cost"],
                    lab["alone"],
                    lab["coverage"],
                ],
            }
        )
    return out
