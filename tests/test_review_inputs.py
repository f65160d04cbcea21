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
