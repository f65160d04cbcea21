from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from planner.coverage.grid import Grid
from planner.errors import InputDataError
from planner.geo.areas import normalise_areas
from planner.geo.candidates import normalise_candidates, pole_groups
from planner.geo.crs import choose_metric_crs, gauss_kruger_3deg, utm
from planner.geo.demand import rasterize_demand
from planner.io.readers import read_table, read_vector
from planner.scenario import scenario_from_dict

SC = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})


def test_crs_choice() -> None:
    assert gauss_kruger_3deg(114.35) == "EPSG:4547"  # Wuhan, CM 114E
    assert gauss_kruger_3deg(116.4) == "EPSG:4548"  # Beijing, CM 117E
    assert choose_metric_crs("auto", 114.35, 30.5) == "EPSG:4547"
    assert choose_metric_crs("auto", 2.35, 48.85) == utm(2.35, 48.85) == "EPSG:32631"
    assert choose_metric_crs("EPSG:4526", 114.3, 30.5) == "EPSG:4526"


def test_crs_rejects_geographic() -> None:
    with pytest.raises(Exception, match="not a projected"):
        choose_metric_crs("EPSG:4490", 114.3, 30.5)


def _cands(**cols: object) -> gpd.GeoDataFrame:
    n = len(next(iter(cols.values())))  # type: ignore[arg-type]
    pts = [Point(114.3 + i * 0.001, 30.5) for i in range(n)]
    return gpd.GeoDataFrame(dict(cols), geometry=pts, crs="EPSG:4490")


def test_candidates_defaults_aliases_and_on_air() -> None:
    gdf = _cands(
        id=["a", "b", "c"], type=["路灯杆", "tower", "监控杆"], height_m=[np.nan, 35, 7], status=["", "existing_5g", ""]
    )
    out, warns = normalise_candidates(gdf, Path("c.gpkg"), SC)
    assert out["type"].tolist() == ["street_lamp", "tower", "surveillance_pole"]
    assert out["height_m"].iloc[0] == SC.candidates.types["street_lamp"].height_m
    assert out["build_mode"].tolist() == ["利旧", "保留", "利旧"]
    assert out["cost"].iloc[1] == 0.0
    assert any("no height_m" in w for w in warns)


def test_candidates_collects_every_problem() -> None:
    gdf = _cands(
        id=["a", "a", "c", "d"],
        type=["路灯杆", "ufo", "tower", "tower"],
        height_m=[10, 10, -3, 400],
        cost=["x", 1, 1, 1],
    )
    with pytest.raises(InputDataError) as err:
        normalise_candidates(gdf, Path("c.gpkg"), SC)
    text = str(err.value)
    for fragment in (
        "duplicate ids: a",
        "unknown type 'ufo'",
        "height_m -3",
        "height_m 400",
        "cost 'x' is not a number",
        "c.gpkg",
    ):
        assert fragment in text


def test_candidates_polygons_refused() -> None:
    gdf = gpd.GeoDataFrame(
        {"id": ["a"], "type": ["tower"]}, geometry=[box(114.3, 30.5, 114.31, 30.51)], crs="EPSG:4490"
    )
    with pytest.raises(InputDataError, match="must be points"):
        normalise_candidates(gdf, Path("c.gpkg"), SC)


def test_swapped_and_metre_coordinates_detected() -> None:
    swapped = gpd.GeoDataFrame({"id": ["a"], "type": ["tower"]}, geometry=[Point(30.5, 114.3)], crs="EPSG:4490")
    with pytest.raises(InputDataError, match="swapped"):
        normalise_candidates(swapped, Path("c.gpkg"), SC)
    metres = gpd.GeoDataFrame({"id": ["a"], "type": ["tower"]}, geometry=[Point(529251.0, 3385891.0)], crs="EPSG:4490")
    with pytest.raises(InputDataError, match="look like metres"):
        normalise_candidates(metres, Path("c.gpkg"), SC)


def test_pole_groups() -> None:
    x = np.array([0.0, 3.0, 100.0, 104.0, 300.0])
    y = np.zeros(5)
    g = pole_groups(x, y, 5.0)
    assert g.tolist() == [0, 0, 1, 1, -1]
    assert (pole_groups(x, y, 0.0) == -1).all()


def test_gbk_csv_with_title_row(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    text = "武汉市路灯杆台账（2022）\n编号,类型,经度,纬度,挂高\nL1,路灯杆,114.30,30.50,10\nL2,监控杆,114.31,30.51,7\n"
    p.write_bytes(text.encode("gbk"))
    df = read_table(p, "candidates")
    assert list(df.columns) == ["编号", "类型", "经度", "纬度", "挂高"]
    gdf = read_vector(p, "candidates")
    out, _ = normalise_candidates(gdf, p, SC)
    assert out["id"].tolist() == ["L1", "L2"] and out["height_m"].tolist() == [10.0, 7.0]


def test_xlsx_with_title_row(tmp_path: Path) -> None:
    p = tmp_path / "c.xlsx"
    df = pd.DataFrame([["站址表", None, None, None], ["id", "type", "lon", "lat"], ["T1", "铁塔", 114.3, 30.5]])
    df.to_excel(p, header=False, index=False)
    gdf = read_vector(p, "candidates")
    assert gdf["id"].tolist() == ["T1"] and gdf.geometry.iloc[0].x == pytest.approx(114.3)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="not found"):
        read_vector(tmp_path / "none.gpkg", "candidates")
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"SQLite format 3\x00 garbage")
    with pytest.raises(InputDataError, match="cannot open"):
        read_vector(bad, "candidates")


def test_projected_input_reprojected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(529251.85, 3385891.50)], crs="EPSG:4547")
    gdf.to_file(tmp_path / "p.gpkg", driver="GPKG")
    out = read_vector(tmp_path / "p.gpkg", "candidates")
    assert out.crs.to_epsg() == 4490
    assert out.geometry.iloc[0].x == pytest.approx(114.305, abs=1e-5)
    assert out.geometry.iloc[0].y == pytest.approx(30.593, abs=1e-5)


def test_areas_lines_buffered_invalid_repaired() -> None:
    bowtie = Polygon([(114.30, 30.50), (114.31, 30.51), (114.31, 30.50), (114.30, 30.51)])
    gdf = gpd.GeoDataFrame(
        {"id": ["x", "y"], "class": ["公园", "highway"]},
        geometry=[bowtie, LineString([(114.30, 30.50), (114.32, 30.50)])],
        crs="EPSG:4490",
    )
    out, warns = normalise_areas(gdf, Path("a.gpkg"), SC, "EPSG:4547")
    assert out["class"].tolist() == ["park", "highway"]
    assert out.geometry.is_valid.all()
    assert out.geometry.iloc[1].area == pytest.approx(1900 * 30, rel=0.1)
    assert any("'x'" in w and "make_valid" in w for w in warns)
    assert out["target"].iloc[0] == SC.demand.classes["park"].target


def test_areas_bad_target() -> None:
    gdf = gpd.GeoDataFrame(
        {"class": ["park"], "target": [1.5]}, geometry=[box(114.3, 30.5, 114.31, 30.51)], crs="EPSG:4490"
    )
    with pytest.raises(InputDataError, match=r"target 1\.5 is out of range"):
        normalise_areas(gdf, Path("a.gpkg"), SC, "EPSG:4547")


def test_demand_rank_and_tiny_area() -> None:
    grid = Grid(0.0, 100.0, 10.0, 10, 10, "EPSG:4547")
    boundary = gpd.GeoSeries([box(0, 0, 100, 100)])
    areas = gpd.GeoDataFrame(
        {"rank": [10, 60, 70]}, geometry=[box(0, 0, 100, 100), box(0, 50, 50, 100), box(41, 41, 43, 43)]
    )
    d = rasterize_demand(grid, boundary, areas)
    assert d.mask.all() and d.cells.size == 100
    assert d.n_cells_per_area.tolist() == [74, 25, 1]
    assert d.area_index[0, 0] == 1 and d.area_index[9, 9] == 0


def test_candidate_ranges_printed_exactly_and_costs_bounded() -> None:
    gdf = _cands(
        id=["a", "b", "c", "d", "e", "f", "g"],
        type=["tower"] * 7,
        height_m=[150.0001, 0, 30, 30, 30, 30, 30],
        cost=[6, 6, 1e300, 0, -2, 6, 1e6 + 0.5],
        status=["", "", "", "", "", "existing_5g", ""],
    )
    with pytest.raises(InputDataError) as err:
        normalise_candidates(gdf, Path("c.gpkg"), SC)
    text = str(err.value)
    assert "feature 'a' (row 1): height_m 150.0001 m is out of range (0 < height_m ≤ 150 m)" in text
    assert "feature 'b' (row 2): height_m 0 m is out of range" in text
    assert "feature 'c' (row 3): cost 1e+300 万元 is out of range (0.01 ≤ cost ≤ 1,000,000 万元)" in text
    assert "feature 'd' (row 4): cost 0 万元" in text and "feature 'e' (row 5): cost -2 万元" in text
    assert "cost 1000000.5 万元" in text
    assert "'f'" not in text  # on air: its cost is 0 whatever the file says


def test_nan_cost_warning_names_the_rows() -> None:
    gdf = _cands(id=["a", "b", "c"], type=["tower"] * 3, cost=[6.0, np.nan, "nan"])
    out, warns = normalise_candidates(gdf, Path("c.gpkg"), SC)
    assert out["cost"].tolist() == [6.0, 6.0, 6.0]
    assert any(
        "2 candidates have no cost" in w and "feature 'b' (row 2)" in w and "feature 'c' (row 3)" in w for w in warns
    )


def test_degenerate_priority_areas_dropped_with_a_warning() -> None:
    lon, lat = 114.398, 30.506
    geoms = [
        box(lon, lat, lon + 0.001, lat + 0.001),
        Point(lon, lat),
        Polygon([(lon, lat)] * 4),
        LineString([(lon, lat), (lon, lat)]),
        Polygon(),
        Polygon([(lon, lat), (lon + 0.001, lat), (lon + 0.002, lat), (lon, lat)]),
    ]
    ids = ["ok", "point", "zero", "zero_line", "empty", "flat"]
    gdf = gpd.GeoDataFrame({"id": ids, "class": ["park"] * 6}, geometry=geoms, crs="EPSG:4490")
    out, warns = normalise_areas(gdf, Path("a.geojson"), SC, "EPSG:4547")
    assert out["id"].tolist() == ["ok"]
    dropped = next(w for w in warns if "were dropped" in w)
    assert all(f"feature {i!r}" in dropped for i in ids[1:]) and "a.geojson" in dropped
    with pytest.raises(InputDataError, match="no priority area has an area"):
        normalise_areas(gdf.iloc[1:], Path("a.geojson"), SC, "EPSG:4547")


def test_boundary_across_the_antimeridian_refused(tmp_path: Path) -> None:
    from shapely.geometry import MultiPolygon

    path = tmp_path / "b.geojson"
    gpd.GeoDataFrame(
        {"id": ["fiji"]},
        geometry=[MultiPolygon([box(179.9, -17.0, 180.0, -16.9), box(-180.0, -17.0, -179.9, -16.9)])],
        crs="EPSG:4326",
    ).to_file(path, driver="GeoJSON")
    with pytest.raises(InputDataError, match="antimeridian"):
        read_vector(path, "boundary")
    assert len(read_vector(path, "priority_areas")) == 1  # only the boundary picks the zone


def test_non_finite_coordinates_name_row_and_id(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,type,lon,lat\nA,tower,114.4,30.5\nB,tower,inf,30.5\nC,tower,114.4,-1e999\n", encoding="utf-8")
    with pytest.raises(InputDataError) as err:
        read_vector(path, "candidates")
    text = str(err.value)
    assert "row 3 (id 'B'): coordinates 'inf', '30.5' are not finite" in text and "row 4 (id 'C')" in text
    g = gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[Point(114.4, 30.5), Point(float("inf"), 30.5)], crs="EPSG:4490")
    g.to_file(tmp_path / "c.gpkg", driver="GPKG")
    with pytest.raises(InputDataError, match=r"NaN or infinity.*feature 'B' \(row 2\)"):
        read_vector(tmp_path / "c.gpkg", "candidates")


@pytest.mark.parametrize("kind", ["fifo", "loop", "device", "folder", "dangling"])
def test_only_regular_files_are_read(tmp_path: Path, kind: str) -> None:
    import os

    path = tmp_path / "c.csv"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(tmp_path / "d.csv")
        (tmp_path / "d.csv").symlink_to(path)
    elif kind == "device":
        path = Path("/dev/null")
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(tmp_path / "gone.csv")
    expected = {
        "fifo": "named pipe",
        "loop": "symlink loop",
        "device": "a device",
        "folder": "folder",
        "dangling": "does not exist",
    }
    with pytest.raises(InputDataError, match=expected[kind]):
        read_vector(path, "candidates")


def test_shapefile_without_dbf_named(tmp_path: Path) -> None:
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(114.4, 30.5)], crs="EPSG:4490").to_file(tmp_path / "c.shp")
    (tmp_path / "c.dbf").unlink()
    with pytest.raises(InputDataError, match=r"\.dbf file is missing"):
        read_vector(tmp_path / "c.shp", "candidates")
