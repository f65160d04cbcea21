"""多杆合一 5G site planner.

``planner.run_scenario(path_or_scenario) -> Plan`` runs the whole pipeline;
``planner.write_plan(plan, out_dir)`` writes the 报批 outputs; ``planner.read_run(dir)``
loads them back; ``planner.explore(plan)`` draws the report's map in a notebook;
``planner.sweep`` and ``planner.compare_runs`` compare variants (more in
:mod:`planner.workflow`).

The functions below are typed entry points that import their stage on first use, so that
``import planner`` stays fast (numba, OR-Tools, geopandas and folium load when needed).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if sys.argv[:1] == ["-m"] or Path(sys.argv[0] if sys.argv else "").stem == "planner":  # the CLI is starting
    from planner._stop import exit_on_signal_while_starting

    exit_on_signal_while_starting()  # 130/143 for a signal during the imports below

from planner.errors import InfeasibleTargetError, InputDataError, PlannerError, ScenarioError
from planner.plan import Plan
from planner.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    import folium

    from planner.workflow.compare import Comparison
    from planner.workflow.sweep_result import SweepResult
    from planner.workflow.sweeps import SweepProgress

try:
    __version__: str = metadata.version("smartpole-planner")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "InfeasibleTargetError",
    "InputDataError",
    "Plan",
    "PlannerError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare_runs",
    "explore",
    "load_scenario",
    "read_run",
    "run_scenario",
    "sweep",
    "validate_scenario",
    "write_plan",
]


def run_scenario(
    scenario: Scenario | str | Path,
    *,
    overrides: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> Plan:
    """Run every stage of a scenario and return its :class:`Plan`.

    See :func:`planner.pipeline.run_scenario` for the parameters and errors.
    """
    from planner.pipeline import run_scenario as run

    return run(scenario, overrides=tuple(overrides), progress=progress)


def validate_scenario(scenario: Scenario | str | Path, *, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Check a scenario and its inputs without computing coverage or solving.

    See :func:`planner.pipeline.validate_scenario`.
    """
    from planner.pipeline import validate_scenario as validate

    return validate(scenario, overrides=tuple(overrides))


def write_plan(plan: Plan, out_dir: str | Path) -> dict[str, Path]:
    """Write every output of ``plan`` into ``out_dir`` atomically; output name → path.

    See :func:`planner.stages.outputs.write_outputs`.
    """
    from planner.stages.outputs import write_outputs

    return write_outputs(plan, out_dir)


def read_run(run_dir: str | Path) -> Plan:
    """Load a run folder written by :func:`write_plan` back into a :class:`Plan`.

    See :func:`planner.io.runio.read_run`.
    """
    from planner.io.runio import read_run as read

    return read(run_dir)


def explore(plan: Plan) -> folium.Map:
    """The report's interactive map of ``plan`` (folium), for display in a notebook."""
    from planner.report import build_map

    return build_map(plan)


def sweep(
    scenario: str | Path,
    params: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    out_dir: str | Path | None = None,
    jobs: int | None = None,
    progress: SweepProgress | None = None,
) -> SweepResult:
    """Run every variant of a scenario and compare them.

    See :func:`planner.workflow.sweeps.sweep`.
    """
    from planner.workflow.sweeps import sweep as run_sweep

    return run_sweep(scenario, params, overrides=overrides, out_dir=out_dir, jobs=jobs, progress=progress)


def compare_runs(
    run_a: Plan | str | Path, run_b: Plan | str | Path, *, out_dir: str | Path | None = None
) -> Comparison:
    """Compare plan B against plan A (plans or run folders).

    See :func:`planner.workflow.compare.compare_runs`.
    """
    from planner.workflow.compare import compare_runs as compare

    return compare(run_a, run_b, out_dir=out_dir)
