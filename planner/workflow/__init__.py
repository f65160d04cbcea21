"""Scenario workflows on top of :func:`planner.run_scenario`: sweeps, run comparison,
reading a saved run back, and ``planner init`` scaffolding.

Imports are lazy so that ``import planner.workflow`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "compare_runs",
    "init_project",
    "read_run",
    "replace_inputs",
    "sweep",
    "write_sample_inputs",
]

_HOME = {
    "compare_runs": "planner.workflow.compare",
    "init_project": "planner.workflow.scaffold",
    "write_sample_inputs": "planner.workflow.scaffold",
    "read_run": "planner.io.runio",
    "replace_inputs": "planner.workflow.variants",
    "sweep": "planner.workflow.sweeps",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        import importlib

        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'planner.workflow' has no attribute {name!r}")
