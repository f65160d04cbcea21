"""Small pieces of the report page: the document's identity (version, scenario hash), area
reasons in the report language and the table of contents (area names: :mod:`planner.present.names`).
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from planner.plan import Plan
from planner.present.names import display_names

#: site-table rows per screen page
PAGE_SIZE = 50


def tool_version() -> str:
    """The installed package version (``0+unknown`` when run from a bare checkout)."""
    try:
        return metadata.version("smartpole-planner")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed in the venv
        return "0+unknown"


def scenario_hash(plan: Plan) -> str:
    """First 16 hex digits of the SHA-256 of the resolved scenario (as echoed to the manifest),
    with input paths reduced to their file names so that a moved run keeps its hash.
    """
    data = plan.scenario.model_dump(mode="json")
    data["inputs"] = {
        k: (Path(v).name if isinstance(v, str) and k != "coordinates" else v) for k, v in data.get("inputs", {}).items()
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_digest(path: Path) -> str:
    """SHA-256 of a file (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def toc(t: dict[str, str]) -> list[tuple[str, str]]:
    """(anchor, heading) of every chapter, in page order."""
    return [
        ("summary", f"1 {t['summary']}"),
        ("kpis", f"2 {t['kpis']}"),
        ("map", f"3 {t['map']}"),
        ("areas", f"4 {t['areas']}"),
        ("charts", f"5 {t['charts']}"),
        ("method", f"6 {t['method']}"),
        ("inputs", f"7 {t['inputs']}"),
        ("warnings", f"8 {t['warnings']}"),
        ("sites", t["appendix_sites"]),
    ]


_REASON_PARTS = {
    "zh": {
        "forbidden": "禁建/限建区内站址 {v}",
        "blocked": "地形/建筑遮挡 {v}",
        "out_of_range": "超出候选站址覆盖距离 {v}",
    },
    "en": {
        "forbidden": "candidates in forbidden zones {v}",
        "blocked": "line of sight blocked {v}",
        "out_of_range": "out of the candidates' range {v}",
    },
}


def area_reason(row: dict[str, object], language: str, solver_status: str) -> str:
    """Why a priority area misses its target, in the report's language, from the area's
    numbers (``n_cells``, ``best_possible``, ``target``, ``k``, ``met``, ``unreachable_*``)
    rather than the English text stored with the plan.
    """
    lang = "en" if language == "en" else "zh"

    def num(key: str, default: float = float("nan")) -> float:
        try:
            return float(row.get(key, default))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return default

    if num("n_cells", 1.0) == 0:
        return "规划范围内无栅格" if lang == "zh" else "no grid cell inside the boundary"
    reach, target, k = num("best_possible"), num("target"), int(num("k", 1.0))
    if reach == reach and target == target and reach + 1e-9 < target:
        parts = [
            text.format(v=f"{100 * num('unreachable_' + code, 0.0):.1f}%")
            for code, text in _REASON_PARTS[lang].items()
            if num("unreachable_" + code, 0.0) > 0
        ]
        kk = (f"（需 {k} 重覆盖）" if lang == "zh" else f" (k = {k})") if k > 1 else ""
        head = (
            f"候选站址最多可覆盖本区域的 {100 * reach:.1f}%{kk}"
            if lang == "zh"
            else f"only {100 * reach:.1f}% of the area is within reach of the candidates{kk}"
        )
        sep = "；" if lang == "zh" else "; "
        return head + (("：" if lang == "zh" else ": ") + sep.join(parts) if parts else "")
    if not bool(row.get("met", True)):
        return (
            f"求解在“{solver_status}”状态停止，未达到目标"
            if lang == "zh"
            else f"the solver stopped ({solver_status}) before meeting the target"
        )
    return ""


__all__ = ["PAGE_SIZE", "area_reason", "display_names", "file_digest", "scenario_hash", "toc", "tool_version"]
