"""Scenario workflows on top of :func:`planner.run_scenario`: sweeps, run comparison,
reading a saved run back, and ``planner init`` scaffolding.
"""

from __future__ import annotations

from planner.io.runio import read_run
from planner.workflow.compare import compare_runs
from planner.workflow.scaffold import init_project, write_sample_inputs
from planner.workflow.sweeps import sweep
from planner.workflow.variants import replace_inputs

__all__ = [
    "compare_runs",
    "init_project",
    "read_run",
    "replace_inputs",
    "sweep",
    "write_sample_inputs",
]
