"""The report's downlink-quality section: SS-SINR and overlap per priority area.

Reads ``plan.radio["interference"]`` (written by :func:`planner.radio.interference.attach_plan_sinr`
and saved in ``manifest.json``, so a re-rendered report shows it too).
"""

from __future__ import annotations

from typing import Any

from planner.plan import Plan
from planner.present.i18n import SINR_LABELS

#: columns of the section's table, in order, and the digits they are shown with (None: a share)
COLUMNS: tuple[tuple[str, int | None], ...] = (
    ("cells", 0), ("sinr_ok", None), ("polluted", None), ("sinr_p5_db", 1), ("sinr_median_db", 1),
    ("edge_dl_mbps", 1), ("mean_overlap", 2),
)


def _fmt(value: Any, digits: int | None) -> str:
    if value is None:
        return "–"
    x = float(value)
    if x != x:
        return "–"
    if digits is None:
        return f"{100.0 * x:.1f}%"
    return f"{x:,.{digits}f}"


def sinr_section(plan: Plan, language: str) -> dict[str, Any] | None:
    """Title, note, column heads and rows of the section; None when the plan has no SINR figures."""
    info = plan.radio.get("interference") if isinstance(plan.radio, dict) else None
    if not isinstance(info, dict) or not info.get("areas"):
        return None
    lab = SINR_LABELS["en" if language == "en" else "zh"]
    fields = {
        "noise": f"{info.get('noise_per_re_dbm', float('nan')):.1f}", "nf": f"{info.get('noise_figure_db', 0):g}",
        "eta": f"{info.get('load_factor', 0):g}", "floor": f"{info.get('interference_floor_dbm', float('nan')):.1f}",
        "window": f"{info.get('overlap_window_db', 0):g}", "polluted": str(info.get("polluted_servers", 4)),
        "sinr_min": f"{info.get('sinr_min_db', 0):g}",
        "antenna": lab["sectors"] if info.get("antenna") == "sectors" else lab["omni"],
    }
    head = [lab["area"]] + [lab[c].format(**fields) for c, _ in COLUMNS]
    rows = []
    for rec in info["areas"]:
        name = lab["all"] if rec.get("name") == "all" and rec is info["areas"][-1] else str(rec.get("name", ""))
        rows.append([name] + [_fmt(rec.get(c), d) for c, d in COLUMNS])
    note = lab["note"].format(**fields)
    req = info.get("requirement")
    if isinstance(req, dict) and req.get("areas"):
        note += " " + requirement_note(req, language)
    return {"title": lab["title"], "note": note, "head": head, "rows": rows}


def requirement_note(req: dict[str, Any], language: str) -> str:
    """One sentence on the SINR requirement (``demand.require_sinr``; :mod:`planner.stages.sinr_repair`)."""
    areas = [a for a in req["areas"] if a.get("cells")]
    met = sum(bool(a.get("met")) for a in areas)
    n_it, n_conf = len(req.get("iterations", [])), len(req.get("conflicts_added", []))
    miss = [a for a in areas if not a.get("met")]
    if language == "en":
        text = (f"SINR requirement (demand.require_sinr): {met} of {len(areas)} areas meet it after {n_it} re-solves "
                f"({n_conf} pairs of polluting sites kept apart).")
        parts = [f"{a['name']}: {_fmt(a['share'], None)} covered with SINR met against {_fmt(a['target'], None)} "
                 f"(not covered {_fmt(a['not_covered'], None)}, interfered {_fmt(a['interfered'], None)})"
                 for a in miss]
        return text + (" Not met: " + "; ".join(parts) + "." if parts else "")
    text = (f"SINR 要求（demand.require_sinr）：{len(areas)} 个区域中 {met} 个达标，重解 {n_it} 次"
            f"（{n_conf} 对互扰站址不同时建设）。")
    parts = [f"{a['name']}：覆盖且 SINR 达标 {_fmt(a['share'], None)}，目标 {_fmt(a['target'], None)}"
             f"（未覆盖 {_fmt(a['not_covered'], None)}，覆盖但受干扰 {_fmt(a['interfered'], None)}）" for a in miss]
    return text + ("未达标：" + "；".join(parts) + "。" if parts else "")
