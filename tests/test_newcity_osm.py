"""OpenStreetMap exports as inputs (NEWCITY session): classes and types read from OSM tags.

The exports are generated here as OSM XML and read through GDAL's OSM driver (the schema QuickOSM and
``ogr2ogr`` write too: tag columns plus an ``other_tags`` hstore text, and a ``type`` column holding
the relation type ``multipolygon``). Before, the multipolygon layer failed with "unknown class
'multipolygon'" / "missing class" on every feature and the points layer with "no `type` column".
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from planner.cli import main
from planner.errors import InputDataError
from planner.geo.areas import normalise_areas
from planner.geo.candidates import normalise_candidates
from planner.io.readers import read_vector
from planner.present.warning_text import warning_code, warning_text
from planner.scenario import scenario_from_dict

LON0, LAT0, D = 126.63, 45.755, 0.008  # Harbin, CGCS2000 3° zone CM 126°E (EPSG:4551)
SC = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})


def _tags(tags: dict[str, str]) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def write_osm(path: Path, pole_tags: list[dict[str, str]]) -> None:
    """An OSM XML file: one node per entry of ``pole_tags`` and six tagged areas (ways and one relation)."""
    rng = np.random.default_rng(5)
    nodes: list[str] = []
    ways: list[str] = []
    next_id = [1000]

    def node(lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        next_id[0] += 1
        nodes.append(f'<node id="{next_id[0]}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{_tags(tags or {})}</node>')
        return next_id[0]

    for tags in pole_tags:
        node(LON0 + rng.uniform(-D, D), LAT0 + rng.uniform(-D, D), tags)

    def ring(way_id: int, cx: float, cy: float, r: float, tags: dict[str, str]) -> None:
        ids = [node(cx + r * np.cos(a), cy + r * 0.7 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 13)[:-1]]
        refs = "".join(f'<nd ref="{i}"/>' for i in [*ids, ids[0]])
        ways.append(f'<way id="{way_id}" version="1">{refs}{_tags(tags)}</way>')

    ring(5001, LON0 - 0.004, LAT0 - 0.004, 0.0015, {"leisure": "park", "name": "斯大林公园"})
    ring(5002, LON0 + 0.003, LAT0 - 0.002, 0.0015, {"railway": "station", "building": "train_station", "name": "站"})
    ring(5003, LON0 + 0.004, LAT0 + 0.004, 0.002, {"landuse": "industrial", "name": "哈药厂"})
    ring(5004, LON0 - 0.004, LAT0 + 0.004, 0.001, {"amenity": "hospital", "name": "医大一院"})
    ring(5005, LON0, LAT0, 0.001, {"landuse": "residential", "name": "小区"})
    ring(5006, LON0, LAT0 - 0.006, 0.0012, {})
    ring(5007, LON0, LAT0 - 0.006, 0.0005, {})
    relation = (
        '<relation id="9001" version="1"><member type="way" ref="5006" role="outer"/>'
        '<member type="way" ref="5007" role="inner"/>'
        + _tags({"type": "multipolygon", "leisure": "park", "name": "兆麟公园"})
        + "</relation>"
    )
    body = "\n".join([*nodes, *ways, relation])
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n{body}\n</osm>\n', encoding="utf-8")


POLES = [
    {"highway": "street_lamp"},
    {"man_made": "mast", "tower:type": "communication"},
    {"man_made": "tower", "tower:type": "communication"},
    {"highway": "traffic_signals"},
    {"man_made": "surveillance"},
] * 8


def test_osm_multipolygons_give_classes_from_tags(tmp_path: Path) -> None:
    path = tmp_path / "city.osm"
    write_osm(path, POLES)
    layer = Path(f"{path}|layername=multipolygons")
    gdf = read_vector(layer, "priority_areas")
    assert "type" in gdf.columns and "multipolygon" in set(gdf["type"].dropna())  # GDAL's relation type column
    areas, warns = normalise_areas(gdf, layer, SC, "EPSG:4551")
    by_name = dict(zip(areas["name"], areas["class"], strict=True))
    assert by_name == {
        "兆麟公园": "park",
        "斯大林公园": "park",
        "站": "rail_station",
        "哈药厂": "industrial_park",
        "医大一院": "public_place",
        "小区": "other",
    }
    (note,) = [w for w in warns if "OpenStreetMap" in w]
    assert "park 2 (leisure=park/garden)" in note and "landuse=residential ×1" in note
    assert warning_code(note) == "W30" and "OpenStreetMap 标签" in warning_text(note, "zh")


def test_osm_points_give_candidate_types_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "city.osm"
    write_osm(path, POLES)
    layer = Path(f"{path}|layername=points")
    cands, warns = normalise_candidates(read_vector(layer, "candidates"), layer, SC)
    assert cands["type"].tolist() == ["street_lamp", "tower", "tower", "traffic_pole", "surveillance_pole"] * 8
    assert cands["id"].tolist()[:2] == ["1001", "1002"]  # osm_id
    (note,) = [w for w in warns if "OpenStreetMap" in w]
    assert "tower 16" in note and warning_code(note) == "W31"


def test_osm_point_without_a_pole_tag_is_named(tmp_path: Path) -> None:
    path = tmp_path / "city.osm"
    write_osm(path, [*POLES, {"power": "pole"}, {"man_made": "tower", "tower:type": "observation"}])
    layer = Path(f"{path}|layername=points")
    with pytest.raises(InputDataError) as err:
        normalise_candidates(read_vector(layer, "candidates"), layer, SC)
    text = str(err.value)
    assert "feature '1041' (row 41): missing type" in text and "feature '1042' (row 42): missing type" in text
    assert "highway=street_lamp" in text and "delete the features that are no pole" in text


def test_a_class_column_wins_over_tags_and_a_plain_type_column_is_still_a_class() -> None:
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"], "type": ["公园", "机场"], "leisure": ["park", "park"]},
        geometry=[box(LON0, LAT0, LON0 + 0.002, LAT0 + 0.002), box(LON0 + 0.003, LAT0, LON0 + 0.005, LAT0 + 0.002)],
        crs="EPSG:4490",
    )
    areas, warns = normalise_areas(gdf, Path("a.geojson"), SC, "EPSG:4551")
    assert areas["class"].tolist() == ["park", "airport"]
    assert not any("OpenStreetMap" in w for w in warns)


def test_osm_export_plans_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "city.osm"
    write_osm(path, POLES)
    gpd.GeoDataFrame(geometry=[box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D)], crs="EPSG:4490").to_file(
        tmp_path / "boundary.geojson", driver="GeoJSON"
    )
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[inputs]\nboundary = "boundary.geojson"\ncandidates = "city.osm|layername=points"\n'
        'priority_areas = "city.osm|layername=multipolygons"\n[grid]\nresolution_m = 50\n',
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(scenario)])
    assert code == 0, out.getvalue() + err.getvalue()
    assert "40 candidates, 6 priority areas" in out.getvalue() + err.getvalue()


@pytest.mark.parametrize(("crs", "datum"), [("EPSG:2439", "Beijing 1954"), ("EPSG:4610", "Xian 1980")])
def test_a_legacy_datum_file_is_warned_about(tmp_path: Path, crs: str, datum: str) -> None:
    """Municipal data in 北京54/西安80 reprojects with a zero offset in PROJ: tens of metres off, silently before."""
    from shapely.geometry import Point

    path = tmp_path / "poles.gpkg"
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "type": ["tower", "tower"]},
        geometry=[Point(LON0, LAT0), Point(LON0 + 0.001, LAT0)],
        crs="EPSG:4490",
    )
    gdf.set_crs("EPSG:4214" if datum == "Beijing 1954" else "EPSG:4610", allow_override=True).to_crs(crs).to_file(
        path, driver="GPKG"
    )
    read = read_vector(path, "candidates")
    (note,) = [n for n in read.attrs["read_notes"] if "datum" in n]
    assert f"on the {datum} datum" in note and "surveying bureau" in note
    assert warning_code(note) == "W34" and "大地基准" in warning_text(note, "zh")
    plain = tmp_path / "plain.gpkg"
    gdf.to_crs("EPSG:4551").to_file(plain, driver="GPKG")
    assert not [n for n in read_vector(plain, "candidates").attrs.get("read_notes", []) if "datum" in n]


def test_a_land_use_code_column_is_not_taken_for_osm_tags() -> None:
    """A planning layer with a `landuse` column of Chinese land-use codes (M1, G1) matches no OSM rule: it is
    refused as before ("no `class` column"), not planned as all "other"; a pole file with a `highway` column
    of road names likewise keeps "no `type` column".
    """
    gdf = gpd.GeoDataFrame(
        {"name": ["a", "b"], "landuse": ["M1", "G1"]},
        geometry=[box(LON0, LAT0, LON0 + 0.002, LAT0 + 0.002), box(LON0 + 0.003, LAT0, LON0 + 0.005, LAT0 + 0.002)],
        crs="EPSG:4490",
    )
    with pytest.raises(InputDataError, match="no `class` column"):
        normalise_areas(gdf, Path("a.geojson"), SC, "EPSG:4551")
    from shapely.geometry import Point

    poles = gpd.GeoDataFrame({"id": ["a"], "highway": ["中山路"]}, geometry=[Point(LON0, LAT0)], crs="EPSG:4490")
    with pytest.raises(InputDataError, match="no `type` column"):
        normalise_candidates(poles, Path("c.csv"), SC)


def test_a_web_map_kml_gets_the_fix_that_works_for_kml(tmp_path: Path) -> None:
    """A KML from Google Earth or 奥维 (name + description per placemark) was told to 'add a unique id column'."""
    marks = "".join(
        f"<Placemark><name>杆{i}</name><description>路灯</description>"
        f"<Point><coordinates>{LON0 + i * 0.001},{LAT0},0</coordinates></Point></Placemark>"
        for i in range(3)
    )
    path = tmp_path / "sites.kml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{marks}'
        "</Document></kml>",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError) as err:
        normalise_candidates(read_vector(path, "candidates"), path, SC)
    text = str(err.value)
    assert "sites.kml" in text and "奥维" in text and "CSV/XLSX with 编号, 类型" in text
