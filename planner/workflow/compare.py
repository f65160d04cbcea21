"""Compare two plans (or two run folders): which sites were added, removed or kept, and how
each priority area's coverage changed; a map of the changes (self-contained, offline HTML).

``compare_runs("runs/base", "runs/n41", out_dir="runs/cmp")`` writes::

    compare.csv          one row per site selected in either run: change = added/removed/kept
    compare_areas.csv    per priority area: target, coverage in A and B, change (percentage points)
    compare.html         a page like the report (planner.report.compare_page): title block, headline
                         figures of A, B and the change with definitions, the change map (added green,
                         removed red, kept grey over B's areas; north arrow, metric scale, legend),
                         the per-area table and the sites that changed; in B's report language
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.plan import Plan

if TYPE_CHECKING:
    import folium
    from matplotlib.figure import Figure

#: marker colour per change (planner.report.compare_page.CHANGE_COLOURS draws compare.html with the same)
CHANGE_COLOURS = {"added": "#16a34a", "removed": "#dc2626", "kept": "#6b7280"}
_SITE_COLS = ["id", "name", "type", "site_class", "build_mode", "height_m", "cost"]


@dataclass
class Comparison:
    """Result of :func:`compare_runs`.

    Attributes
    ----------
    sites : GeoDataFrame
        Sites selected in A or B (EPSG:4490): ``id, name, type, site_class, build_mode,
        height_m, cost, change`` (``added`` = only in B, ``removed`` = only in A, ``kept``),
        ``site_code_a``, ``site_code_b``, ``lon``, ``lat``.
    areas : DataFrame
        Per priority area (matched by ``id``): ``id, name, class, target, coverage_a,
        coverage_b, change_pp`` (percentage points), ``met_a``, ``met_b``.
    summary : DataFrame
        Headline figures (rows) for A, B and B − A (columns).
    label_a, label_b : str
    boundary : GeoDataFrame
        B's planning boundary (for the map).
    files : dict
        Paths written (empty unless ``out_dir`` was given).
    plan_a, plan_b : Plan or None
        The two plans (for ``compare.html``: B's areas, basemap, title-block settings).
    language : {"zh", "en"}
        Language of ``compare.html`` and :meth:`explore`.
    """

    sites: gpd.GeoDataFrame
    areas: pd.DataFrame
    summary: pd.DataFrame
    label_a: str
    label_b: str
    boundary: gpd.GeoDataFrame
    files: dict[str, Path]
    plan_a: Plan | None = field(default=None, repr=False)
    plan_b: Plan | None = field(default=None, repr=False)
    language: str = "zh"

    def counts(self) -> dict[str, int]:
        """Number of sites added, removed and kept."""
        vc = self.sites["change"].value_counts()
        return {k: int(vc.get(k, 0)) for k in ("added", "removed", "kept")}

    def explore(self) -> folium.Map:
        """The change map (folium) for display in a notebook."""
        return change_map(self)


def _as_plan(run: Plan | str | Path) -> tuple[Plan, str]:
    if isinstance(run, Plan):
        return run, run.scenario.scenario.name
    from planner.io.runio import read_run

    return read_run(run), Path(run).resolve().name


def _site_frame(plan: Plan) -> gpd.GeoDataFrame:
    s = plan.sites
    cols = [c for c in _SITE_COLS if c in s.columns]
    out = gpd.GeoDataFrame(s[cols].copy(), geometry=s.geometry.to_numpy(), crs=s.crs)
    out["id"] = out["id"].astype(str)
    out["site_code"] = s["site_code"].astype(str).to_numpy() if "site_code" in s.columns else ""
    return out


def _same_place(plan_a: Plan, plan_b: Plan, label_a: str, label_b: str) -> None:
    """Refuse two plans whose boundaries do not overlap: every site would be "added" or "removed".

    Raises
    ------
    InputDataError
        Naming both runs, the distance between their boundaries and the fix.
    """
    from planner.errors import InputDataError, Problem
    from planner.geo.crs import bbox_gap_km

    a = plan_a.boundary.to_crs("EPSG:4490")
    b = plan_b.boundary.to_crs("EPSG:4490")
    if a.empty or b.empty or a.union_all().intersects(b.union_all()):
        return
    gap = bbox_gap_km([float(v) for v in a.total_bounds], [float(v) for v in b.total_bounds])
    raise InputDataError(
        Problem(
            f"the two runs plan different places: the boundaries of {label_a} and {label_b} do not overlap "
            f"({gap:,.1f} km apart), so every site would count as added or removed",
            "compare",
            fix="compare two runs of the same area (variants of one scenario: --set, planner sweep)",
        )
    )


def compare_runs(
    run_a: Plan | str | Path,
    run_b: Plan | str | Path,
    *,
    out_dir: str | Path | None = None,
    language: str | None = None,
) -> Comparison:
    """Compare plan B against plan A.

    Parameters
    ----------
    run_a, run_b : Plan, str or Path
        Plans, or run folders written by ``planner run`` (read with
        :func:`planner.io.runio.read_run`; nothing is solved again).
    out_dir : str or Path, optional
        Write ``compare.csv``, ``compare_areas.csv`` and ``compare.html`` there (atomically).
    language : {"zh", "en"}, optional
        Language of ``compare.html``; default B's ``report.language``.

    Returns
    -------
    Comparison
    """
    from planner.workflow.sweep_result import plan_metrics

    plan_a, label_a = _as_plan(run_a)
    plan_b, label_b = _as_plan(run_b)
    _same_place(plan_a, plan_b, label_a, label_b)
    if label_a == label_b:
        label_a, label_b = f"A: {label_a}", f"B: {label_b}"
    sa, sb = _site_frame(plan_a), _site_frame(plan_b)
    ida, idb = set(sa["id"]), set(sb["id"])
    kept_b = sb[sb["id"].isin(ida)].assign(change="kept")
    added = sb[~sb["id"].isin(ida)].assign(change="added")
    removed = sa[~sa["id"].isin(idb)].assign(change="removed")
    code_a = dict(zip(sa["id"], sa["site_code"], strict=True))
    code_b = dict(zip(sb["id"], sb["site_code"], strict=True))
    sites = pd.concat([added, removed, kept_b], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=plan_b.sites.crs or "EPSG:4490")
    order = {"added": 0, "removed": 1, "kept": 2}
    sites = sites.iloc[np.lexsort((sites["id"].to_numpy(str), sites["change"].map(order).to_numpy()))].reset_index(
        drop=True
    )
    sites["site_code_a"] = sites["id"].map(code_a).fillna("")
    sites["site_code_b"] = sites["id"].map(code_b).fillna("")
    sites = sites.drop(columns="site_code")
    geo = sites.to_crs("EPSG:4490") if sites.crs is not None else sites
    sites["lon"] = np.round(geo.geometry.x.to_numpy(), 6)
    sites["lat"] = np.round(geo.geometry.y.to_numpy(), 6)

    aa = pd.DataFrame(plan_a.areas.drop(columns="geometry"))
    ab = pd.DataFrame(plan_b.areas.drop(columns="geometry"))
    keep = ["id", "name", "class", "target", "coverage", "met"]
    areas = ab[keep].merge(aa[["id", "target", "coverage", "met"]], on="id", how="outer", suffixes=("_b", "_a"))
    names_a = dict(zip(aa["id"], aa["name"], strict=True))
    classes_a = dict(zip(aa["id"], aa["class"], strict=True))
    areas["name"] = areas["name"].fillna(areas["id"].map(names_a))
    areas["class"] = areas["class"].fillna(areas["id"].map(classes_a))
    areas["target"] = areas["target_b"].fillna(areas["target_a"])
    areas["change_pp"] = np.round(100.0 * (areas["coverage_b"] - areas["coverage_a"]), 3)
    areas = areas[["id", "name", "class", "target", "coverage_a", "coverage_b", "change_pp", "met_a", "met_b"]]

    ma, mb = plan_metrics(plan_a), plan_metrics(plan_b)
    rows = ["n_sites", "cost", "coverage", "cell_coverage", "areas_met"]
    summary = pd.DataFrame({label_a: [ma[r] for r in rows], label_b: [mb[r] for r in rows]}, index=rows)
    summary["change"] = summary[label_b].astype(float) - summary[label_a].astype(float)
    lang = language or plan_b.scenario.report.language
    result = Comparison(
        gpd.GeoDataFrame(sites, geometry="geometry", crs=sites.crs),
        areas.reset_index(drop=True),
        summary,
        label_a,
        label_b,
        plan_b.boundary,
        {},
        plan_a,
        plan_b,
        "en" if lang == "en" else "zh",
    )
    if out_dir is not None:
        result.files = write_comparison(result, Path(out_dir))
    return result


def change_map(cmp: Comparison) -> folium.Map:
    """The change map (folium): B's boundary and areas, the added, removed and kept sites (one layer each).

    With the plans at hand (:func:`compare_runs` keeps them) it is the map of ``compare.html``
    (:func:`planner.report.compare_page.change_map`); a :class:`Comparison` built by hand
    without them gets the boundary and the three site layers only.
    """
    import folium

    from planner.report.compare_page import change_map as page_map
    from planner.report.compare_page import compare_texts

    if cmp.plan_b is not None:
        return page_map(cmp.plan_b, cmp.sites, cmp.language)
    t = compare_texts(cmp.language)
    b = cmp.boundary.to_crs("EPSG:4490")
    xmin, ymin, xmax, ymax = (float(v) for v in b.total_bounds)
    m = folium.Map(location=[(ymin + ymax) / 2, (xmin + xmax) / 2], zoom_start=14, tiles=None, control_scale=False)
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    folium.GeoJson(
        b[["geometry"]].to_json(),
        name=t["layer_boundary"],
        style_function=lambda _f: {"color": "#1f2933", "weight": 2, "fill": False},
    ).add_to(m)
    for change in ("added", "removed", "kept"):
        sel = cmp.sites[cmp.sites["change"] == change]
        layer = folium.FeatureGroup(name=f"{t[change]} ({len(sel)})")
        for r in sel.to_dict("records"):
            folium.CircleMarker(
                [float(r["lat"]), float(r["lon"])],
                radius=5 if change != "kept" else 3,
                color=CHANGE_COLOURS[change],
                fill=True,
                fill_opacity=0.9,
                weight=1,
            ).add_to(layer)
        layer.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _page_html(cmp: Comparison) -> str:
    """``compare.html``: the full page with the plans, or the bare change map without them."""
    from planner.report.assets import inline_assets
    from planner.report.compare_page import compare_context, render_compare_page
    from planner.workflow.sweep_result import plan_metrics

    if cmp.plan_a is None or cmp.plan_b is None:
        return inline_assets(change_map(cmp).get_root().render())
    ctx = compare_context(
        cmp.plan_a,
        cmp.plan_b,
        cmp.label_a,
        cmp.label_b,
        cmp.sites,
        cmp.areas,
        plan_metrics(cmp.plan_a),
        plan_metrics(cmp.plan_b),
        cmp.language,
    )
    return render_compare_page(ctx)


def write_comparison(cmp: Comparison, out_dir: Path) -> dict[str, Path]:
    """Write ``compare.csv``, ``compare_areas.csv`` and ``compare.html`` into ``out_dir`` (atomically)."""
    from planner._text import spreadsheet_frame
    from planner.io.rundir import atomic_dir

    out_dir = Path(out_dir).resolve()
    with atomic_dir(out_dir) as tmp:
        table = pd.DataFrame(cmp.sites.drop(columns="geometry"))
        # text a spreadsheet would run as a formula (names, ids from the inputs) is written inert
        spreadsheet_frame(table).to_csv(tmp / "compare.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
        spreadsheet_frame(cmp.areas).to_csv(
            tmp / "compare_areas.csv", index=False, encoding="utf-8-sig", lineterminator="\n"
        )
        (tmp / "compare.html").write_text(_page_html(cmp), encoding="utf-8")
    return {name: out_dir / name for name in ("compare.csv", "compare_areas.csv", "compare.html")}


def rsrp_change(plan_a: Plan, plan_b: Plan) -> pd.Series:
    """How the best-server RSRP and the covered cells changed from plan A to plan B.

    Both plans must share one grid (same scenario area and resolution).

    Returns
    -------
    Series
        ``cells`` (demand cells), ``covered_a``, ``covered_b``, ``lost`` (covered in A only),
        ``gained`` (B only), ``mean_rsrp_a_dbm``, ``mean_rsrp_b_dbm`` and
        ``mean_change_db`` (over cells covered in both).
    """
    from planner.errors import PlannerError, Problem

    if plan_a.grid != plan_b.grid:
        raise PlannerError(
            Problem(
                "the two plans are on different grids",
                "compare",
                fix="compare runs of the same area at the same grid.resolution_m",
            )
        )
    mask = plan_a.demand_mask & plan_b.demand_mask
    ca, cb = plan_a.covered & mask, plan_b.covered & mask
    both = ca & cb
    a, b = plan_a.best_rsrp, plan_b.best_rsrp
    return pd.Series(
        {
            "cells": int(mask.sum()),
            "covered_a": int(ca.sum()),
            "covered_b": int(cb.sum()),
            "lost": int((ca & ~cb).sum()),
            "gained": int((cb & ~ca).sum()),
            "mean_rsrp_a_dbm": round(float(np.nanmean(a[ca])), 2) if ca.any() else float("nan"),
            "mean_rsrp_b_dbm": round(float(np.nanmean(b[cb])), 2) if cb.any() else float("nan"),
            "mean_change_db": round(float(np.nanmean(b[both] - a[both])), 2) if both.any() else float("nan"),
        }
    )


def rsrp_change_figure(
    plan_a: Plan, plan_b: Plan, labels: tuple[str, str] = ("A", "B"), *, language: str | None = None
) -> Figure:
    """Three panels on the plans' common grid: best-server RSRP of A, of B, and B − A (dB).

    Titles in ``language`` (default B's ``report.language``; Chinese is drawn with the report's
    embedded CJK font, English where that font is unavailable).
    """
    import matplotlib
    from matplotlib.figure import Figure

    from planner.report.charts import _AXES, _chart_language, _rc

    axis_text = _AXES[_chart_language(language or plan_b.scenario.report.language)]
    sep = ": " if axis_text is _AXES["en"] else "："

    rsrp_change(plan_a, plan_b)  # checks the grids match
    xmin, ymin, xmax, ymax = plan_a.grid.bounds
    extent = (xmin, xmax, ymin, ymax)
    with matplotlib.rc_context(_rc("planner-rsrp-change")):
        fig = Figure(figsize=(12.0, 3.9), dpi=100)
        axes = fig.subplots(1, 3)
        lo = float(
            np.nanmin([np.nanmin(p.best_rsrp) if np.isfinite(p.best_rsrp).any() else -120.0 for p in (plan_a, plan_b)])
        )
        hi = float(
            np.nanmax([np.nanmax(p.best_rsrp) if np.isfinite(p.best_rsrp).any() else -60.0 for p in (plan_a, plan_b)])
        )
        for ax, plan, label in zip(axes[:2], (plan_a, plan_b), labels, strict=True):
            im = ax.imshow(plan.best_rsrp, extent=extent, cmap="viridis", vmin=lo, vmax=hi)
            ax.set_title(f"{label}{sep}{axis_text['rsrp']}", fontsize=9)
            fig.colorbar(im, ax=ax, shrink=0.8)
        diff = plan_b.best_rsrp - plan_a.best_rsrp
        lim = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() else 1.0
        im = axes[2].imshow(diff, extent=extent, cmap="RdBu", vmin=-lim, vmax=lim)
        axes[2].set_title(f"{labels[1]} − {labels[0]} (dB)", fontsize=9)
        fig.colorbar(im, ax=axes[2], shrink=0.8)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.tight_layout()
    return fig
