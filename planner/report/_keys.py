"""Keys the report's online basemaps need, read from the environment (never from the scenario file)."""

from __future__ import annotations

import os

from planner.errors import Problem, ScenarioError


def tianditu_key() -> str:
    """The Tianditu (天地图) key from ``TIANDITU_KEY``; ScenarioError naming the fix when it is not set."""
    key = os.environ.get("TIANDITU_KEY", "").strip()
    if not key:
        raise ScenarioError(
            Problem(
                'report.basemap = "tianditu" needs a Tianditu (天地图) key',
                "environment",
                "TIANDITU_KEY",
                'export TIANDITU_KEY=<your key> before running, or set report.basemap = "none"',
            )
        )
    return key
