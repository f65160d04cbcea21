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
    return {"title": lab["title"], "note": lab["note"].format(**fields), "head": head, "rows": rows}
