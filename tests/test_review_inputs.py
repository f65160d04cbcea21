"""Review of session 7's input heuristics against valid inputs (a heuristic must not misfire on them)."""

from __future__ import annotations

from pathlib import Path


def test_a_coordinate_pair_column_does_not_override_lon_lat_columns(tmp_path: Path) -> None:
    """A ledger with 经度/纬度 and also a 坐标 column (another datum, a map picker's value): the 经度/纬度 are the
    coordinates. The combined-column split added lon/lat columns that took precedence over them (and a W37 note).
    """
    from planner.io.readers import read_vector

    path = tmp_path / "poles.csv"
    path.write_text(
        '编号,类型,经度,纬度,坐标\nP0,路灯杆,126.630,45.750,"126.700,45.800"\nP1,路灯杆,126.631,45.751,"126.701,45.801"\n',
        encoding="utf-8",
    )
    gdf = read_vector(path, "candidates")
    assert gdf.geometry.x.round(3).tolist() == [126.630, 126.631]
    assert gdf.geometry.y.round(3).tolist() == [45.750, 45.751]
    assert not any("holds both coordinates" in n for n in gdf.attrs.get("read_notes", []))


def test_a_proj_string_grid_crs_warning_is_translated() -> None:
    """W33 for a grid.crs written as a PROJ string (spaces in it) was unclassified (W00) and stayed English."""
    from planner.geo.crs import check_grid_crs, choose_metric_crs
    from planner.present.warning_text import warning_code, warning_text

    setting = "+proj=tmerc +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    warning = check_grid_crs(setting, choose_metric_crs(setting, 126.6, 45.7), 126.6, 45.7)
    assert warning is not None and warning_code(warning) == "W33"
    assert f"grid.crs = {setting}（" in warning_text(warning, "zh") and "变形较大" in warning_text(warning, "zh")


def test_gbk_records_under_utf8_chinese_field_names_keep_their_names(tmp_path: Path) -> None:
    """A .cpg saying UTF-8, Chinese field names in UTF-8 (as the .cpg says) and GBK values: the GBK re-read turned
    the names into other characters (编号 -> 缂栧彿; a 3-character name lost its last byte), so the id column was
    not found. The names are read from the .dbf as UTF-8.
    """
    import warnings

    import geopandas as gpd
    from shapely.geometry import Point

    from planner.io.readers import read_vector

    gdf = gpd.GeoDataFrame(
        {"编号": ["a", "b"], "站址名": ["x", "y"], "type": ["PHPHPH", "PHPHP2"]},
        geometry=[Point(126.63, 45.75), Point(126.64, 45.75)],
        crs="EPSG:4490",
    )
    path = tmp_path / "poles.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(path, encoding="utf-8")
    (tmp_path / "poles.cpg").write_text("UTF-8", encoding="ascii")
    dbf = tmp_path / "poles.dbf"  # the values as a Chinese GIS writes them: GBK
    dbf.write_bytes(
        dbf.read_bytes().replace(b"PHPHPH", "路灯杆".encode("gbk")).replace(b"PHPHP2", "铁塔  ".encode("gbk"))
    )
    read = read_vector(path, "candidates")
    assert [c for c in read.columns if c != "geometry"] == ["编号", "站址名", "type"]
    assert read["编号"].tolist() == ["a", "b"] and read["type"].str.strip().tolist() == ["路灯杆", "铁塔"]


def test_a_cost_converted_from_yuan_and_out_of_range_names_the_files_value() -> None:
    """8.5 under a 费用(元) header (万元 under a wrong unit) is refused as out of range; the message said 'cost 0.00085
    万元' only, a number that is in no cell of the file (the W38 conversion note is not shown with an error).
    """
    import geopandas as gpd
    import pytest
    from shapely.geometry import Point

    from planner.errors import InputDataError
    from planner.geo.candidates import normalise_candidates
    from planner.scenario import scenario_from_dict

    scenario = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"], "type": ["tower", "tower"], "费用(元)": ["8.5", "60000"]},
        geometry=[Point(126.63, 45.75), Point(126.64, 45.75)],
        crs="EPSG:4490",
    )
    with pytest.raises(InputDataError) as err:
        normalise_candidates(gdf, Path("c.csv"), scenario)
    assert "cost 0.00085 万元 (8.5 yuan in the file, ÷ 10,000) is out of range" in str(err.value)
    assert "feature 'b'" not in str(err.value)


def test_two_pair_columns_of_one_name_are_not_guessed(tmp_path: Path) -> None:
    """Two 坐标 columns (a header repeated in a ledger): the split took both as one frame and failed with 'unexpected
    problem while reading (AttributeError ...)'; now neither is guessed: the repeated header is named (columns C, D).
    """
    import pytest

    from planner.errors import InputDataError
    from planner.io.readers import read_vector

    path = tmp_path / "poles.csv"
    path.write_text('编号,类型,坐标,坐标\nP0,路灯杆,"126.63,45.75",x\n', encoding="utf-8")
    with pytest.raises(InputDataError, match=r"names two columns alike: '坐标' in columns C, D"):
        read_vector(path, "candidates")
