"""Pole sectors along the road (``along_road``, planner.geo.sector_columns)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from planner.errors import InputDataError
from planner.geo.sector_columns import nearest_road_bearing, road_sector_bearings
from planner.pipeline import prepare_scenario
from planner.scenario import load_scenario

LON0, LAT0 = 114.398, 30.506
TOML = """
[scenario]
name = "road poles"
seed = 1

[inputs]
boundary = "boundary.geojson"
candidates = "candidates.geojson"
{basemap}

[grid]
resolution_m = 10
crs = "EPSG:4547"

[radio]
antenna = "sectors"

[radio.micro_antenna]
omni = false
sectors = 2
tilt_deg = 0.0
hpbw_v_deg = 65.0
along_road = true
"""


def write_area(folder: Path, *, basemap: bool = True, extra_cols: dict[str, list[object]] | None = None) -> Path:
    """A 400 m box, an east-west road through its middle and a north-south one 150 m east; four lamps.

    P1 and P2 stand 5 m north of the east-west road, P3 5 m west of the north-south road, P4
    200 m from both (beyond the 60 m reach: class bearings).
    """
    folder.mkdir(parents=True, exist_ok=True)
    to_geo = Transformer.from_crs("EPSG:4547", "EPSG:4490", always_xy=True)
    x0, y0 = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(LON0, LAT0)

    def geo(dx: float, dy: float) -> tuple[float, float]:
        return to_geo.transform(x0 + dx, y0 + dy)

    (ax, ay), (bx, by) = geo(-200, -200), geo(200, 200)
    gpd.GeoDataFrame({"id": ["B"]}, geometry=[box(ax, ay, bx, by)], crs="EPSG:4490").to_file(
        folder / "boundary.geojson", driver="GeoJSON")
    cols: dict[str, list[object]] = {"id": ["P1", "P2", "P3", "P4"], "type": ["street_lamp"] * 4}
    cols.update(extra_cols or {})
    gpd.GeoDataFrame(cols, geometry=[Point(*geo(-100, 5)), Point(*geo(60, 5)), Point(*geo(145, 120)),
                                     Point(*geo(-120, 190))], crs="EPSG:4490").to_file(
        folder / "candidates.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"highway": ["primary", "secondary"], "waterway": [None, None]},
                     geometry=[LineString([geo(-300, 0), geo(300, 0)]), LineString([geo(150, -300), geo(150, 300)])],
                     crs="EPSG:4490").to_file(folder / "roads.geojson", driver="GeoJSON")
    path = folder / "scenario.toml"
    path.write_text(TOML.format(basemap='basemap = "roads.geojson"' if basemap else ""), encoding="utf-8")
    return path


def test_nearest_road_bearing_l_shape_and_reach() -> None:
    lines = np.array([LineString([(0, 0), (100, 0), (100, 100)])], dtype=object)
    b = nearest_road_bearing(lines, np.array([50.0, 103.0, 60.0, 300.0]), np.array([4.0, 60.0, -1.0, 300.0]))
    assert b[0] == pytest.approx(90.0) and b[1] == pytest.approx(0.0) and b[2] == pytest.approx(90.0)
    assert np.isnan(b[3])
    # a road drawn the other way round has the same bearing (mod 180)
    back = np.array([LineString([(100, 100), (100, 0), (0, 0)])], dtype=object)
    np.testing.assert_allclose(nearest_road_bearing(back, np.array([50.0]), np.array([4.0])), [90.0])


def test_poles_get_two_sectors_along_their_road(tmp_path: Path) -> None:
    prep = prepare_scenario(write_area(tmp_path))
    az = dict(zip(prep.candidates["id"], prep.candidates["azimuth_deg"], strict=True))
    assert az["P1"] == az["P2"] == "90/270"  # the east-west road
    assert az["P3"] == "0/180"  # the north-south one
    assert az["P4"] == ""  # 190 m from the nearest road: the class's bearings, with a warning
    assert any("60 m" in w and "along_road" in w for w in prep.warnings)
    # the coverage follows the street: P1's cells lie along x, not across it
    cov = prep.coverage.to_scipy()
    p1 = int(np.flatnonzero(prep.candidates["id"].to_numpy() == "P1")[0])
    cells = cov[p1].indices
    cx, cy = prep.grid.cell_centres(cells)
    dx, dy = cx - prep.sites.x_m[p1], cy - prep.sites.y_m[p1]
    along = (np.abs(dx) > 2 * np.abs(dy)).sum()
    across = (np.abs(dy) > 2 * np.abs(dx)).sum()
    assert along > 3 * max(across, 1)


def test_own_columns_win(tmp_path: Path) -> None:
    path = write_area(tmp_path, extra_cols={"azimuth_deg": ["10/190", "", "", ""],
                                            "road_bearing_deg": [None, 30.0, None, 45.0]})
    prep = prepare_scenario(path)
    az = dict(zip(prep.candidates["id"], prep.candidates["azimuth_deg"], strict=True))
    assert az["P1"] == "10/190" and az["P2"] == "30/210" and az["P4"] == "45/225"


def test_without_roads_exit_2_and_omni_classes_untouched(tmp_path: Path) -> None:
    path = write_area(tmp_path, basemap=False)
    scenario = load_scenario(path)
    table = pd.DataFrame({"site_class": ["micro", "macro"]})
    with pytest.raises(InputDataError) as err:
        road_sector_bearings(scenario, table, np.zeros(2), np.zeros(2), "EPSG:4547")
    assert "radio.micro_antenna.along_road" in str(err.value) and "road_bearing_deg" in str(err.value)
    omni = scenario.model_copy(update={"radio": scenario.radio.model_copy(update={"antenna": "omni"})})
    same, w = road_sector_bearings(omni, table, np.zeros(2), np.zeros(2), "EPSG:4547")
    assert same is table and w == []


def _planner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("setting", "needle"), [
    ("radio.micro_antenna.omni=true", "along_road"),
    ('radio.micro_antenna.along_road="yes"', "along_road"),
    ("radio.micro_antenna.azimuths_deg=[0.0, 180.0]", "along_road"),
])
def test_bad_settings_exit_2(tmp_path: Path, setting: str, needle: str) -> None:
    r = _planner("validate", str(write_area(tmp_path)), "--set", setting)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_bad_road_bearing_cell_exit_2(tmp_path: Path) -> None:
    path = write_area(tmp_path, extra_cols={"road_bearing_deg": ["east", None, None, None]})
    r = _planner("validate", str(path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "road_bearing_deg" in r.stderr and "'east'" in r.stderr and "Traceback" not in r.stderr


def test_bearings_stay_below_360_after_rounding(tmp_path: Path) -> None:
    """A road at 179.97° (or 359.96°) rounds its second sector to 0°, never to "360", which the candidate
    column check (0 to < 360) would refuse if the table is read back.
    """
    scenario = load_scenario(write_area(tmp_path))
    table = pd.DataFrame({"site_class": ["micro"] * 3, "road_bearing_deg": [179.97, 359.96, 0.04]})
    out, _ = road_sector_bearings(scenario, table, np.zeros(3), np.zeros(3), "EPSG:4547")
    assert out["azimuth_deg"].tolist() == ["180/0", "0/180", "0/180"]


def test_only_road_lines_give_the_bearing(tmp_path: Path) -> None:
    """An OSM-style basemap also holds a railway and a border nearer to the pole than its road: the
    bearing is the road's (highway tag), not theirs.
    """
    from planner.geo.sector_columns import _road_lines

    path = tmp_path / "osm.geojson"
    gpd.GeoDataFrame(
        {"highway": ["primary", None, None, None], "railway": [None, "rail", None, None],
         "boundary": [None, None, "administrative", None], "waterway": [None, None, None, "river"]},
        geometry=[LineString([(114.0, 30.0), (114.01, 30.0)]),  # east-west road
                  LineString([(114.005, 29.99), (114.005, 30.01)]),  # north-south railway, 2 m from the pole
                  LineString([(114.004, 29.99), (114.006, 30.01)]),  # a border
                  LineString([(114.0049, 29.99), (114.0051, 30.01)])],  # a river
        crs="EPSG:4490").to_file(path, driver="GeoJSON")
    lines = _road_lines(path, "EPSG:4547")
    assert len(lines) == 1
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(114.00502, 30.0001)
    b = nearest_road_bearing(lines, np.array([x]), np.array([y]))
    assert abs(((b[0] - 90.0) + 90.0) % 180.0 - 90.0) < 2.0  # the road, east-west (grid convergence < 2°)
