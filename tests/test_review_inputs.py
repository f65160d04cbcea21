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
