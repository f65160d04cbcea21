"""多杆合一 5G site planner.

``planner.run_scenario(path_or_scenario) -> Plan`` runs the whole pipeline;
``planner.write_plan(plan, out_dir)`` writes the 报批 outputs; ``planner.read_run(dir)``
loads them back; ``planner.sweep`` and ``planner.compare_runs`` compare variants
(more in :mod:`planner.workflow`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.errors import InfeasibleTargetError, InputDataError, PlannerError, ScenarioError
from planner.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from planner.plan import Plan

__all__ = [
    "InfeasibleTargetError",
    "InputDataError",
    "Plan",
    "PlannerError",
    "Scenario",
    "ScenarioError",
    "compare_runs",
    "load_scenario",
    "read_run",
    "run_scenario",
    "sweep",
    "validate_scenario",
    "write_plan",
]


def __getattr__(name: str) -> Any:
    # lazy imports keep `import planner` fast (numba, ortools and folium load on first use)
    if name in ("run_scenario", "validate_scenario"):
        from planner import pipeline

        return getattr(pipeline, name)
    if name == "write_plan":
        from planner.io.outputs import write_plan

        return write_plan
    if name in ("sweep", "compare_runs", "read_run"):
        from planner import workflow

        return getattr(workflow, name)
    if name == "Plan":
        from planner.plan import Plan

        return Plan
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
