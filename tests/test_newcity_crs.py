"""A ``grid.crs`` copied from another city's scenario (NEWCITY session): refused or warned where it distorts.

A Wuhan scenario says ``grid.crs = "EPSG:4547"`` (Gauss-Krüger CM 114°E); reused in Harbin (126.6°E) its
metres are 1.2 % long and its north turned 9°, and Web Mercator there is 43 % off. Before, both planned
silently with wrong coverage radii, cell sizes and separations.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import ScenarioError
from planner.geo.crs import check_grid_crs
from planner.present.warning_text import warning_code, warning_text

HARBIN = (126.63, 45.755)
WUHAN = (114.398, 30.506)


def test_web_mercator_is_refused_naming_the_auto_zone() -> None:
    with pytest.raises(ScenarioError) as err:
        check_grid_crs("EPSG:3857", "EPSG:3857", *HARBIN)
    text = str(err.value)
    assert "[grid.crs]" in text and "43.3% off true metres" in text and '"auto" (EPSG:4551 here)' in text


def test_a_zone_far_away_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"Gauss-Kruger CM 114E\) distorts .* 5\.\d% off"):
        check_grid_crs("EPSG:4547", "EPSG:4547", 87.617, 43.826)  # Wuhan's zone in Urumqi


def test_a_neighbouring_zone_warns() -> None:
    warning = check_grid_crs("EPSG:4547", "EPSG:4547", *HARBIN)
    assert warning is not None and "1.2% off true metres" in warning and "turned 9.1°" in warning
    assert warning_code(warning) == "W33" and "变形较大" in warning_text(warning, "zh")
    utm = check_grid_crs("EPSG:32650", "EPSG:32650", *HARBIN)
    assert utm is not None and "0.7% off" in utm


@pytest.mark.parametrize(("setting", "where"), [("EPSG:4547", WUHAN), ("EPSG:32650", WUHAN), ("EPSG:4551", HARBIN)])
def test_the_right_zone_and_auto_are_quiet(setting: str, where: tuple[float, float]) -> None:
    assert check_grid_crs(setting, setting, *where) is None
    assert check_grid_crs("auto", "EPSG:3857", *where) is None  # "auto" is the planner's own choice


def test_validate_refuses_web_mercator_and_warns_for_a_wrong_zone(tiny: Path) -> None:
    def validate(*overrides: str) -> tuple[int, str]:
        out = io.StringIO()
        args = ["validate", str(tiny)] + [a for o in overrides for a in ("--set", o)]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(args)
        return code, out.getvalue()

    code, text = validate('grid.crs="EPSG:3857"')  # the tiny scenario lies in Wuhan (30.5°N: 16.1 %)
    assert code == 2 and "16.1% off true metres" in text and "Traceback" not in text
    code, text = validate('grid.crs="EPSG:4549"')  # CM 120°E, 5.6° east of Wuhan
    assert code == 0 and "grid.crs = EPSG:4549" in text and "0.4% off true metres" in text
    code, text = validate()
    assert code == 0 and "distorts" not in text
