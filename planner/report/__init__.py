"""The 报批 report: folium map, self-contained HTML page (zh/en), charts and tables."""

from __future__ import annotations

from planner.report.html import render_report, write_report
from planner.report.map import build_map

__all__ = ["build_map", "render_report", "write_report"]
