"""What a sweep produced: its variants, the comparison table and the Pareto front.

:class:`SweepResult` is returned by :func:`planner.workflow.sweeps.sweep` and read by the
sweep report (:mod:`planner.workflow.sweep_report`) and the CLI tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from planner.plan import Plan


@dataclass(frozen=True)
class Variant:
    """One point of a sweep.

    Attributes
    ----------
    label : str
        Short human label, e.g. ``"max_sites=50"``.
    overrides : tuple of str
        The swept ``key=value`` items of this variant.
    folder : str
        Name of its run folder inside the sweep folder.
    """

    label: str
    overrides: tuple[str, ...]
    folder: str


def plan_metrics(plan: Plan) -> dict[str, Any]:
    """Headline figures of a plan for comparison tables.

    Returns
    -------
    dict
        ``n_sites``, ``cost`` (万元), ``coverage`` (demand-weighted fraction of the planning
        area covered, counting a cell only when it has its required ``k`` sites; 0–1),
        ``cell_coverage`` (plain fraction of cells with at least one site), ``areas_met``,
        ``areas``, ``status``, ``objective``, ``bound``, ``gap``, ``solve_s``.
    """
    areas = plan.areas
    w = areas["weight"].to_numpy(float) * areas["n_cells"].to_numpy(float)
    cov = areas["coverage"].to_numpy(float)
    n_dem = int(plan.demand_mask.sum())
    sol = plan.solution
    return {
        "n_sites": len(plan.sites),
        "cost": round(float(plan.sites["cost"].sum()), 3),
        "coverage": round(float((w * cov).sum() / w.sum()) if w.sum() > 0 else 0.0, 6),
        "cell_coverage": round(float(plan.covered.sum()) / n_dem, 6) if n_dem else 0.0,
        "areas_met": int(areas["met"].sum()),
        "areas": len(areas),
        "status": sol.get("status"),
        "objective": sol.get("objective"),
        "bound": sol.get("bound"),
        "gap": sol.get("gap"),
        "solve_s": sol.get("runtime_s"),
    }


def pareto_front(table: pd.DataFrame, cost: str = "cost", value: str = "coverage") -> pd.Series:
    """Bool mask of the non-dominated rows (lower ``cost``, higher ``value``)."""
    ok = table[value].notna() & table[cost].notna()
    c = table[cost].to_numpy(float)
    v = table[value].to_numpy(float)
    front = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(ok.to_numpy()):
        dominated = ok.to_numpy() & (c <= c[i]) & (v >= v[i]) & ((c < c[i]) | (v > v[i]))
        front[i] = not dominated.any()
    return pd.Series(front, index=table.index)


@dataclass
class SweepResult:
    """What :func:`sweep` produced.

    Attributes
    ----------
    table : DataFrame
        One row per variant: ``label, folder`` and :func:`plan_metrics` (plus ``error`` and
        ``exit_code`` for variants that failed, and ``pareto``).
    plans : dict
        Variant label → :class:`~planner.plan.Plan` (successful variants only).
    variants : list of Variant
    out_dir : Path or None
        The sweep folder, if one was written.
    shared_coverage : bool
        Whether coverage was computed once for every variant.
    notes : list of str
        Adjustments made to the scenario (e.g. the objective switched to max_coverage).
    failures : dict
        Variant label → ``status, exit_code, message, overrides, diagnostics`` for variants
        that did not plan (written as ``<variant>/diagnostics.json``).
    """

    table: pd.DataFrame
    plans: dict[str, Plan]
    variants: list[Variant]
    out_dir: Path | None = None
    shared_coverage: bool = False
    notes: list[str] = field(default_factory=list)
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 when every variant planned; else the largest error exit code (3 infeasible, 2 input)."""
        codes = self.table["exit_code"].fillna(0).astype(int) if "exit_code" in self.table else pd.Series([0])
        return int(codes.max()) if len(codes) else 0

    def pareto(self) -> pd.DataFrame:
        """The non-dominated variants (cost against coverage), by increasing cost."""
        return self.table[self.table["pareto"]].sort_values(["cost", "coverage"])

    def recommend(self, tolerance: float = 0.01) -> str | None:
        """Label of the cheapest variant whose coverage is within ``tolerance`` of the best.

        Parameters
        ----------
        tolerance : float
            Coverage shortfall accepted against the best variant (fraction; 0.01 = one
            percentage point).
        """
        ok = self.table[self.table["n_sites"].notna()]
        if ok.empty:
            return None
        good = ok[ok["coverage"] >= ok["coverage"].max() - tolerance - 1e-12]
        return str(good.sort_values(["cost", "n_sites", "coverage"], ascending=[True, True, False])["label"].iloc[0])

    def plan(self, label: str | int) -> Plan:
        """The plan of a variant, by label or by row position in :attr:`table`."""
        key = str(self.table["label"].iloc[label]) if isinstance(label, int) else label
        return self.plans[key]

    def plot(self) -> Figure:
        """The Pareto figure (coverage against cost and against number of sites)."""
        return pareto_figure(self.table)


def pareto_figure(table: pd.DataFrame, language: str = "en") -> Figure:
    """Two panels: weighted coverage (%) against cost (万元) and against number of sites.

    Labels are Chinese only when ``language == "zh"`` and a CJK font is installed.
    """
    import matplotlib
    from matplotlib.figure import Figure

    from planner.report.charts import cjk_font

    font = cjk_font()
    zh = language == "zh" and font is not None
    rc: dict[str, Any] = {"font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
    if font is not None:
        rc["font.family"] = [font, "DejaVu Sans"]
    ok = table[table["n_sites"].notna()].sort_values(["cost", "n_sites"])
    with matplotlib.rc_context(cast(Any, rc)):
        fig = Figure(figsize=(9.0, 3.8), dpi=110)
        axes = fig.subplots(1, 2)
        for ax, xcol, xlabel in zip(
            axes,
            ("cost", "n_sites"),
            ("总投资（万元）" if zh else "cost (10k CNY)", "站点数" if zh else "selected sites"),
            strict=True,
        ):
            _panel(ax, ok, xcol, xlabel, zh)
        fig.tight_layout()
    return fig


def _panel(ax: Axes, ok: pd.DataFrame, xcol: str, xlabel: str, zh: bool) -> None:
    y = 100.0 * ok["coverage"].astype(float)
    ax.plot(ok[xcol], y, "-", color="#9aa5b1", zorder=1)
    ax.scatter(ok[xcol], y, color="#9aa5b1", zorder=2, s=24)
    front = ok["pareto"].astype(bool)
    ax.scatter(
        ok.loc[front, xcol], y[front], color="#c0392b", zorder=3, s=36, label="帕累托最优" if zh else "Pareto-optimal"
    )
    for (_, row), yy in zip(ok.iterrows(), y, strict=True):
        ax.annotate(
            str(row["label"]), (float(row[xcol]), float(yy)), fontsize=7, xytext=(4, -10), textcoords="offset points"
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("加权覆盖率（%）" if zh else "weighted coverage (%)")
    ax.grid(alpha=0.3)
    if front.any():
        ax.legend(loc="lower right", fontsize=8, frameon=False)
