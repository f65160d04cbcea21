"""rich tables printed by the CLI for sweeps and comparisons (presentation only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from planner.present.format import fmt_number, fmt_percent
from planner.workflow.compare import Comparison
from planner.workflow.sweep_result import SweepResult


def _pct(v: Any) -> str:
    return fmt_percent(v, 2, unit=" %", missing="")


def _num(v: Any, fmt: str = "{:,.1f}") -> str:
    return fmt_number(v, fmt, missing="")


def sweep_table(result: SweepResult) -> Table:
    """The comparison table of a sweep (Pareto-optimal rows starred, recommended row bold)."""
    rec = result.recommend()
    t = Table(title="sweep", title_justify="left")
    for col, just in (
        ("variant", "left"),
        ("sites", "right"),
        ("cost 万元", "right"),
        ("coverage", "right"),
        ("targets met", "right"),
        ("solver", "left"),
        ("gap", "right"),
        ("folder", "left"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for _, r in result.table.iterrows():
        mark = "★ " if bool(r.get("pareto")) else "  "
        if r.get("error"):
            t.add_row(
                mark + str(r["label"]), "", "", "", "", f"error (exit {int(r['exit_code'])})", "", str(r["error"])[:80]
            )
            continue
        t.add_row(
            mark + str(r["label"]),
            _num(r["n_sites"], "{:.0f}"),
            _num(r["cost"]),
            _pct(r["coverage"]),
            f"{int(r['areas_met'])}/{int(r['areas'])}",
            str(r["status"]),
            _pct(r["gap"]),
            str(r["folder"]),
            style="bold" if r["label"] == rec else None,
        )
    return t


def print_sweep(console: Console, result: SweepResult) -> None:
    """Print the sweep table, notes and the recommended variant."""
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(sweep_table(result))
    rec = result.recommend()
    if rec is not None:
        console.print(
            f"★ Pareto-optimal; recommended (cheapest within 1 point of the best coverage): [bold]{rec}[/bold]"
        )


def print_comparison(console: Console, cmp: Comparison) -> None:
    """Print the headline figures, the site changes and the per-area coverage change."""
    s = Table(title=f"{cmp.label_b} against {cmp.label_a}", title_justify="left")
    s.add_column("")
    for col in cmp.summary.columns:
        s.add_column(str(col), justify="right")
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
        t = Table(title="added and removed sites", title_justify="left")
        for col in ("change", "id", "name", "type", "build_mode", "cost"):
            t.add_column(col)
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
    a = Table(title="coverage by priority area", title_justify="left")
    for col, just in (
        ("area", "left"),
        ("target", "right"),
        ("A", "right"),
        ("B", "right"),
        ("change (points)", "right"),
    ):
        a.add_column(col, justify=just)  # type: ignore[arg-type]
    for _, r in cmp.areas.iterrows():
        a.add_row(
            str(r["name"]),
            _pct(r["target"]),
            _pct(r["coverage_a"]),
            _pct(r["coverage_b"]),
            "" if pd.isna(r["change_pp"]) else f"{float(r['change_pp']):+.2f}",
        )
    console.print(a)
