"""A boundary file with a stray feature (NEWCITY session): named, not "use a coarser grid".

Broken exports put a feature at 0°, 0° (null island), and a boundary file reused from another city may keep a
leftover polygon. The grid over both is too big, and the message used to advise ``resolution_m = 2325 or
coarser``: obeyed, that plans the city on a 2 km grid. Now the stray feature is named.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from planner.cli import main
from tests.conftest import LAT0, LON0


def _validate(scenario: Path) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["validate", str(scenario)])
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("stray", "km"),
    [(box(0.0, 0.0, 0.001, 0.001), "km from the largest polygon"), (box(126.6, 45.7, 126.61, 45.71), "km from")],
)
def test_a_stray_boundary_feature_is_named(tiny: Path, stray: object, km: str) -> None:
    d = 0.005
    gpd.GeoDataFrame(
        {"id": ["B1", "B9"], "name": ["test box", "stray"]},
        geometry=[box(LON0 - d, LAT0 - d, LON0 + d, LAT0 + d), stray],
        crs="EPSG:4326",
    ).to_file(tiny.parent / "boundary.geojson", driver="GeoJSON")
    code, text = _validate(tiny)
    assert code == 2 and "Traceback" not in text
    assert "boundary.geojson" in text and "feature 'B9' (row 2) lies about" in text and km in text
    assert "remove the stray feature" in text and "or coarser" not in text


def test_a_big_compact_boundary_still_gets_the_resolution_advice(tiny: Path) -> None:
    gpd.GeoDataFrame(
        {"id": ["B1"]}, geometry=[box(LON0 - 1.5, LAT0 - 1.5, LON0 + 1.5, LAT0 + 1.5)], crs="EPSG:4326"
    ).to_file(tiny.parent / "boundary.geojson", driver="GeoJSON")
    code, text = _validate(tiny)
    assert code == 2 and "or coarser" in text and "stray" not in text


def test_two_near_parts_plan_as_one_boundary(tiny: Path) -> None:
    """An island 1 km off the shore is no stray feature."""
    d = 0.005
    gpd.GeoDataFrame(
        {"id": ["B1", "B2"]},
        geometry=[
            box(LON0 - d, LAT0 - d, LON0 + d, LAT0 + d),
            box(LON0 + d + 0.01, LAT0, LON0 + d + 0.012, LAT0 + 0.002),
        ],
        crs="EPSG:4326",
    ).to_file(tiny.parent / "boundary.geojson", driver="GeoJSON")
    code, text = _validate(tiny)
    assert code == 0, text


@pytest.mark.parametrize("layer", ["priority_areas", "exclusions", "buildings"])
def test_an_empty_optional_layer_plans_as_if_not_given(tiny: Path, layer: str) -> None:
    """A city with no 禁建 zone this year exports an empty exclusions layer: that was exit 2 ("layer is empty")."""
    from planner.present.warning_text import warning_code

    empty = tiny.parent / f"{layer}_empty.geojson"
    gpd.GeoDataFrame({"name": [], "rule": []}, geometry=[], crs="EPSG:4326").to_file(empty, driver="GeoJSON")
    text = tiny.read_text(encoding="utf-8")
    if layer == "priority_areas":
        text = text.replace('priority_areas = "priority_areas.gpkg"', f'priority_areas = "{empty.name}"')
    else:
        text = text.replace("[inputs]\n", f'[inputs]\n{layer} = "{empty.name}"\n')
    tiny.write_text(text, encoding="utf-8")
    code, out = _validate(tiny)
    assert code == 0, out
    line = next(ln for ln in out.splitlines() if "layer is empty" in ln)
    assert empty.name in line and "planned without" in line
    assert warning_code(line.removeprefix("warning: ")) == "W35"


def test_an_empty_candidates_layer_is_still_refused(tiny: Path) -> None:
    gpd.GeoDataFrame({"id": [], "type": []}, geometry=[], crs="EPSG:4326").to_file(
        tiny.parent / "candidates.gpkg", layer="candidates", driver="GPKG"
    )
    code, out = _validate(tiny)
    assert code == 2 and "the candidates layer is empty" in out
