"""rich tables printed by the CLI for sweeps and comparisons (presentation only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from planner.present.format import fmt_number, fmt_percent
from planner.workflow.compare import Comparison
from planner.workflow.sweep_result import SweepResult


def _pct(v: Any) -> str:
    return fmt_percent(v, 2, unit=" %", missing="")


def _num(v: Any, fmt: str = "{:,.1f}") -> str:
    return fmt_number(v, fmt, missing="")


def compact_table(title: str) -> Table:
    """A compact table (no side borders, one space between columns) for an 80-column console."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 collapse_padding=True)


def sweep_table(result: SweepResult) -> Table:
    """The comparison table of a sweep (Pareto-optimal rows starred, recommended row bold).

    Fits an 80-column console: the figures never wrap or get cut, the variant label folds onto
    more lines instead, and the run folders are listed below the table (:func:`print_sweep`).
    """
    rec = result.recommend()
    t = compact_table("sweep")
    t.add_column("", width=1, no_wrap=True)  # ★ Pareto-optimal
    t.add_column("variant", overflow="fold", ratio=1, min_width=10)
    for col in ("sites", "cost 万元", "coverage", "met", "solver", "gap"):
        t.add_column(col, justify="left" if col == "solver" else "right", no_wrap=True)
    for _, r in result.table.iterrows():
        mark = "★" if bool(r.get("pareto")) else ""
        if r.get("error"):
            t.add_row(mark, str(r["label"]), "", "", "", "", f"exit {int(r['exit_code'])}", "")
            continue
        t.add_row(
            mark,
            str(r["label"]),
            _num(r["n_sites"], "{:.0f}"),
            _num(r["cost"]),
            _pct(r["coverage"]),
            f"{int(r['areas_met'])}/{int(r['areas'])}",
            str(r["status"]),
            _pct(r["gap"]),
            style="bold" if r["label"] == rec else None,
        )
    return t


def print_sweep(console: Console, result: SweepResult) -> None:
    """Print the sweep table, failed variants' errors, the run folders and the recommended variant."""
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(sweep_table(result))
    for _, r in result.table.iterrows():
        if r.get("error"):
            console.print(f"error in {r['label']}: {r['error']}", markup=False)
    if len(result.table) and "folder" in result.table:
        where = f" in {result.out_dir}" if result.out_dir is not None else ""
        console.print(f"run folders{where}: " + ", ".join(map(str, result.table["folder"])), markup=False)
    rec = result.recommend()
    if rec is not None:
        line = Text("★ Pareto-optimal; recommended (cheapest within 1 point of the best coverage): ")
        line.append(rec, style="bold")
        console.print(line)


def print_comparison(console: Console, cmp: Comparison) -> None:
    """Print the headline figures, the site changes and the per-area coverage change."""
    s = compact_table(f"{cmp.label_b} against {cmp.label_a}")
    s.add_column("", overflow="fold")
    for col in cmp.summary.columns:
        s.add_column(str(col), justify="right", overflow="fold")
    names = {
        "n_sites": "sites",
        "cost": "cost (万元)",
        "coverage": "weighted coverage",
        "cell_coverage": "cell coverage",
        "areas_met": "area targets met",
    }
    for name, row in cmp.summary.iterrows():
        cells = []
        for col, v in row.items():
            change = col == "change"
            if name in ("coverage", "cell_coverage"):
                cells.append(f"{100 * float(v):+.2f} points" if change else _pct(v))
            elif name == "cost":
                cells.append(_num(v, "{:+,.1f}" if change else "{:,.1f}"))
            else:
                cells.append(_num(v, "{:+.0f}" if change else "{:.0f}"))
        s.add_row(names.get(str(name), str(name)), *cells)
    console.print(s)
    c = cmp.counts()
    console.print(f"sites: {c['added']} added, {c['removed']} removed, {c['kept']} kept")
    changed = cmp.sites[cmp.sites["change"] != "kept"]
    if len(changed):
        t = compact_table("added and removed sites")
        for col in ("change", "id", "name", "type", "build_mode", "cost"):
            just = "right" if col == "cost" else "left"
            t.add_column(col, overflow="fold", no_wrap=col in ("change", "cost"), justify=just)  # type: ignore[arg-type]
        for _, r in changed.head(40).iterrows():
            t.add_row(
                str(r["change"]),
                str(r["id"]),
                str(r.get("name", "")),
                str(r.get("type", "")),
                str(r.get("build_mode", "")),
                _num(r.get("cost")),
            )
        if len(changed) > 40:
            t.caption = f"… {len(changed) - 40} more in compare.csv"
        console.print(t)
    a = compact_table("coverage by priority area")
    a.add_column("area", overflow="fold", ratio=1)
    for col in ("target", "A", "B", "change (points)"):
        a.add_column(col, justify="right", no_wrap=True)
    for _, r in cmp.areas.iterrows():
        a.add_row(
            str(r["name"]),
            _pct(r["target"]),
            _pct(r["coverage_a"]),
            _pct(r["coverage_b"]),
            "" if pd.isna(r["change_pp"]) else f"{float(r['change_pp']):+.2f}",
        )
    console.print(a)
