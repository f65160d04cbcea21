"""Report charts (matplotlib, Agg/SVG backend, no pyplot state), returned as inline SVG text.

Axis labels follow the report language: the charts draw text as paths with the report's
vendored CJK font (:mod:`planner.report.font`), so Chinese axes need no installed font.
Chart titles live in the HTML, which embeds the same font.
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from planner.plan import Plan
from planner.present.i18n import BUILD_MODES, MODE_LABELS, TYPE_LABELS, label
from planner.report.font import font_path

#: fonts with Chinese glyphs, in order of preference
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "AR PL UKai CN",
)

MODE_COLOURS = {"保留": "#6b7280", "共享": "#2563eb", "利旧": "#16a34a", "新建": "#dc2626"}

_AXES = {
    "zh": {
        "n_sites": "站址数",
        "coverage": "覆盖率 (%)",
        "area": "重点区域序号",
        "target": "目标",
        "achieved": "覆盖率",
        "plan": "本方案",
        "sites": "站址数",
        "rsrp": "最强服务小区 RSRP (dBm)",
        "cells": "栅格数",
        "threshold": "门限",
        "pareto": "帕累托前沿",
        "built": "新增站址数（按建设时序）",
        "served": "需求覆盖率 (%)",
        "final": "方案终值",
    },
    "en": {
        "n_sites": "number of sites",
        "coverage": "coverage (%)",
        "area": "priority area (No.)",
        "target": "target",
        "achieved": "coverage",
        "plan": "this plan",
        "sites": "sites",
        "rsrp": "best-server RSRP (dBm)",
        "cells": "cells",
        "threshold": "threshold",
        "pareto": "Pareto front",
        "built": "sites added (in build order)",
        "served": "demand served (%)",
        "final": "whole plan",
    },
}


@cache
def cjk_font() -> str | None:
    """Name of the CJK-capable font the charts use: the report's vendored Noto Sans CJK SC
    subset (:mod:`planner.report.font`), registered with matplotlib once; an installed CJK
    font only if the vendored file cannot be read.
    """
    from matplotlib import font_manager

    try:
        font_manager.fontManager.addfont(str(font_path()))
        return font_manager.FontProperties(fname=str(font_path())).get_name()
    except (OSError, RuntimeError):  # pragma: no cover - the file ships with the package
        pass
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    return None


def _chart_language(language: str) -> str:
    return "zh" if language == "zh" and cjk_font() is not None else "en"


def _rc(salt: str) -> Any:
    rc: dict[str, Any] = {
        "svg.hashsalt": salt,
        "svg.fonttype": "path",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    font = cjk_font()
    if font is not None:
        rc["font.family"] = [font, "DejaVu Sans"]
    return rc


def _svg(fig: Figure) -> str:
    FigureCanvasSVG(fig)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    svg = text[start:] if start >= 0 else text
    # scale with the page: drop the fixed pt size, keep the viewBox
    return re.sub(
        r'<svg([^>]*?)\swidth="[^"]*"\sheight="[^"]*"',
        r'<svg\1 class="chart" preserveAspectRatio="xMidYMid meet"',
        svg,
        count=1,
    )


def has_rollout(plan: Plan) -> bool:
    """Whether the plan's sites carry a build order (:mod:`planner.rollout`)."""
    return len(plan.sites) > 0 and {"rollout_rank", "rollout_served"} <= set(plan.sites.columns)


def coverage_chart(plan: Plan, language: str = "zh") -> str:
    """Coverage against number of sites: the Pareto curve when ``plan.extras["pareto"]``
    exists, else the plan's build-order curve (:func:`rollout_chart`), else (a run written
    before build orders existed) each priority area's coverage against its target.
    """
    pareto = plan.extras.get("pareto") if isinstance(plan.extras, dict) else None
    if not pareto:
        return rollout_chart(plan, language) if has_rollout(plan) else area_chart(plan, language)
    lang = _chart_language(language)
    ax_t = _AXES[lang]
    with matplotlib.rc_context(_rc("planner-coverage")):
        fig = Figure(figsize=(6.0, 3.2))
        ax = fig.add_subplot()
        pts = sorted(((float(p["n_sites"]), float(p["coverage"])) for p in pareto), key=lambda p: p[0])
        xs = np.array([p[0] for p in pts])
        ys = np.array([p[1] for p in pts])
        ys = ys * 100.0 if ys.max(initial=0.0) <= 1.0 + 1e-9 else ys
        ax.plot(xs, ys, "o-", color="#2563eb", label=ax_t["pareto"])
        ax.set_xlabel(ax_t["n_sites"])
        ax.set_ylabel(ax_t["coverage"])
        areas = plan.areas
        if len(areas) and "coverage" in areas:
            w = areas["n_cells"].astype(float).to_numpy() if "n_cells" in areas else np.ones(len(areas))
            mean_cov = float(np.average(areas["coverage"].astype(float).to_numpy(), weights=np.maximum(w, 1e-12)))
            ax.plot([len(plan.sites)], [mean_cov * 100.0], "*", color="#dc2626", markersize=12, label=ax_t["plan"])
        ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        return _svg(fig)


def rollout_chart(plan: Plan, language: str = "zh") -> str:
    """The weighted share of demand served against the number of sites added in build order
    (``rollout_rank``/``rollout_served`` of the sites; on-air sites at 0).
    """
    lang = _chart_language(language)
    ax_t = _AXES[lang]
    s = plan.sites
    rank = s["rollout_rank"].to_numpy(np.int64)
    served = s["rollout_served"].to_numpy(np.float64) * 100.0
    base = float(served[rank == 0].max()) if (rank == 0).any() else 0.0
    order = np.argsort(rank[rank > 0], kind="stable")
    xs = np.r_[0, rank[rank > 0][order]]
    ys = np.r_[base, served[rank > 0][order]]
    with matplotlib.rc_context(_rc("planner-rollout")):
        fig = Figure(figsize=(6.0, 3.2))
        ax = fig.add_subplot()
        ax.plot(xs, ys, "-", color="#2563eb", linewidth=1.8)
        final = float(ys[-1])
        ax.axhline(final, color="#6b7280", linestyle=":", linewidth=1.0, label=f"{ax_t['final']} {final:.1f}%")
        ax.set_xlabel(ax_t["built"])
        ax.set_ylabel(ax_t["served"])
        ax.set_xlim(0, max(float(xs[-1]), 1.0))
        ax.set_ylim(0, 105)
        ax.legend(frameon=False, loc="lower right")
        return _svg(fig)


def area_chart(plan: Plan, language: str = "zh") -> str:
    """Each priority area's coverage against its target (bars numbered as the area table)."""
    lang = _chart_language(language)
    ax_t = _AXES[lang]
    with matplotlib.rc_context(_rc("planner-areas")):
        fig = Figure(figsize=(6.0, 3.2))
        ax = fig.add_subplot()
        areas = plan.areas.reset_index(drop=True)
        idx = np.arange(1, len(areas) + 1)
        cov = areas["coverage"].astype(float).to_numpy() * 100.0 if len(areas) else np.zeros(0)
        tgt = areas["target"].astype(float).to_numpy() * 100.0 if len(areas) else np.zeros(0)
        met = areas["met"].astype(bool).to_numpy() if len(areas) else np.zeros(0, bool)
        ax.bar(idx, cov, color=np.where(met, "#16a34a", "#dc2626"), label=ax_t["achieved"])
        ax.scatter(idx, tgt, marker="_", s=300, color="#111827", linewidths=2, label=ax_t["target"], zorder=3)
        # every area numbered up to 20; beyond that 1, 5, 10, ... so the labels never overlap
        ax.set_xticks(idx if len(idx) <= 20 else np.unique(np.r_[1, np.arange(5, len(idx) + 1, 5)]))
        ax.set_xlim(0.3, len(idx) + 0.7)
        ax.set_xlabel(ax_t["area"])
        ax.set_ylabel(ax_t["coverage"])
        ax.set_ylim(0, 105)
        ax.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        return _svg(fig)


def site_mix_chart(plan: Plan, language: str = "zh") -> str:
    """Selected sites per candidate type, stacked by 建设方式."""
    lang = _chart_language(language)
    ax_t = _AXES[lang]
    sites = plan.sites
    with matplotlib.rc_context(_rc("planner-mix")):
        fig = Figure(figsize=(6.0, 3.0))
        ax = fig.add_subplot()
        types = sorted(sites["type"].astype(str).unique()) if len(sites) else []
        left = np.zeros(len(types))
        modes = [m for m in BUILD_MODES if len(sites) and (sites["build_mode"] == m).any()]
        for mode in modes:
            counts = np.array([int(((sites["type"] == t) & (sites["build_mode"] == mode)).sum()) for t in types])
            ax.barh(
                [label(TYPE_LABELS, lang, t) for t in types],
                counts,
                left=left,
                color=MODE_COLOURS.get(mode, "#0f766e"),
                label=label(MODE_LABELS, lang, mode),
            )
            left = left + counts
        ax.set_xlabel(ax_t["sites"])
        if modes:
            ax.legend(frameon=False, fontsize=8)
        return _svg(fig)


def rsrp_histogram(plan: Plan, language: str = "zh") -> str:
    """Histogram of the best-server RSRP (dBm) over the covered-or-reached cells, with the threshold."""
    lang = _chart_language(language)
    ax_t = _AXES[lang]
    values = np.asarray(plan.best_rsrp, dtype=np.float64)
    values = values[np.isfinite(values) & np.asarray(plan.demand_mask, dtype=bool)]
    thr = plan.threshold_dbm
    with matplotlib.rc_context(_rc("planner-rsrp")):
        fig = Figure(figsize=(6.0, 3.0))
        ax = fig.add_subplot()
        if values.size:
            lo = float(np.floor(min(values.min(), thr) / 2.0) * 2.0)
            hi = float(np.ceil(values.max() / 2.0) * 2.0) + 2.0
            ax.hist(values, bins=np.arange(lo, hi + 1e-9, 2.0).tolist(), color="#2563eb")
        ax.axvline(thr, color="#dc2626", linestyle="--", label=f"{ax_t['threshold']} {thr:g} dBm")
        ax.set_xlabel(ax_t["rsrp"])
        ax.set_ylabel(ax_t["cells"])
        ax.legend(frameon=False)
        return _svg(fig)
