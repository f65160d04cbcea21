"""Small, explicit scenario edits for notebooks and sweeps (a Scenario is frozen)."""

from __future__ import annotations

from pathlib import Path

from planner.errors import Problem, ScenarioError
from planner.scenario import Inputs, Scenario


def replace_inputs(scenario: Scenario, **paths: str | Path | None) -> Scenario:
    """A copy of ``scenario`` with some input files replaced or removed.

    Parameters
    ----------
    scenario : Scenario
        The scenario to start from (unchanged).
    **paths : str, Path or None
        ``inputs`` keys (``dem``, ``buildings``, ``exclusions``, ...) → new file, or None to
        drop an optional input. Relative paths resolve against the scenario's folder.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> from planner.scenario import scenario_from_dict
    >>> sc = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv", "dem": "d.tif"}})
    >>> replace_inputs(sc, dem=None).inputs.dem is None
    True
    """
    update: dict[str, Path | None] = {}
    for key, value in paths.items():
        if key not in Inputs.model_fields or key == "coordinates":
            raise ScenarioError(
                Problem(f"unknown input {key!r}", "inputs", fix=f"use one of {', '.join(Inputs.model_fields)}")
            )
        if value is None and Inputs.model_fields[key].is_required():
            raise ScenarioError(
                Problem(f"inputs.{key} is required and cannot be removed", "inputs", fix="give another file")
            )
        update[key] = None if value is None else (scenario.base_dir / Path(value)).resolve()
    inputs = scenario.inputs.model_copy(update=update)
    return scenario.model_copy(update={"inputs": inputs})
