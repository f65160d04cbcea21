"""Tables: messages name the file's own row after blank lines and empty rows (",,," in a ledger), in CSV and XLSX;
a header that names two columns alike is refused naming them.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from planner.errors import InputDataError
from planner.geo.candidates import normalise_candidates
from planner.io.readers import read_vector
from planner.scenario import scenario_from_dict

SC = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})


def test_csv_rows_after_blank_lines_and_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    # line 1 title, 2 blank, 3 header, 4 A, 5 ",,,", 6 blank, 7 B (bad), 8 C (bad)
    path.write_text(
        "站址台账\n\nid,type,lon,lat\nA,tower,114.4,30.5\n,,,\n\nB,tower,inf,30.5\nC,tower,114.4,x\n", encoding="utf-8"
    )
    with pytest.raises(InputDataError) as err:
        read_vector(path, "candidates")
    text = str(err.value)
    assert "row 7 (id 'B')" in text and "row 8 (id 'C')" in text


def test_csv_duplicate_ids_name_the_file_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,type,lon,lat\nA,tower,114.40,30.50\n,,,\nA,tower,114.41,30.51\n", encoding="utf-8")
    gdf = read_vector(path, "candidates")
    with pytest.raises(InputDataError, match=r"duplicate ids: A \(rows 2, 4\)"):
        normalise_candidates(gdf, path, SC)


def test_csv_quoted_line_break_is_one_row(tmp_path: Path) -> None:
    """A cell with a line break is one row, as Excel/WPS show the file (not two lines as an editor does)."""
    path = tmp_path / "c.csv"
    path.write_text('id,name,type,lon,lat\n\nA,"two\nlines",tower,114.4,30.5\nB,b,tower,inf,30.5\n', encoding="utf-8")
    with pytest.raises(InputDataError, match=r"row 4 \(id 'B'\)"):
        read_vector(path, "candidates")


def test_xlsx_rows_after_an_empty_row(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "type", "lon", "lat"])  # row 1
    ws.append(["A", "tower", 114.4, 30.5])  # row 2
    ws.append([None, None, None, None])  # row 3: empty
    ws.append(["B", "tower", "east", 30.5])  # row 4
    wb.save(path)
    with pytest.raises(InputDataError, match=r"row 4 \(id 'B'\)"):
        read_vector(path, "candidates")


@pytest.mark.parametrize(
    ("header", "repeated"),
    [("id,type,经度,纬度,经度", "'经度' in columns C, E"), ("id,type,lon,lat,备注,备注", "'备注' in columns E, F")],
)
def test_repeated_header_is_named(tmp_path: Path, header: str, repeated: str) -> None:
    """Two columns of one name failed as 'unexpected problem (TypeError / AttributeError)'; now named, with the fix."""
    path = tmp_path / "c.csv"
    width = header.count(",") + 1
    path.write_text(f"台账\n{header}\n" + ",".join(["A", "tower", "114.4", "30.5", "x", "y"][:width]) + "\n", "utf-8")
    with pytest.raises(InputDataError) as err:
        read_vector(path, "candidates")
    text = str(err.value)
    assert f"row 2: the header names two columns alike: {repeated}" in text and "give each column its own name" in text
    assert "unexpected" not in text


def test_same_name_in_another_case_still_reads(tmp_path: Path) -> None:
    """'ID' and 'id' are two names: the table reads as before (the first that matches is used)."""
    path = tmp_path / "c.csv"
    path.write_text("id,ID,type,lon,lat\nA,1,tower,114.4,30.5\n", encoding="utf-8")
    assert len(read_vector(path, "candidates")) == 1


def test_duplicate_area_ids_name_their_rows() -> None:
    """Areas repeat an id: the message lists it with the rows it stands in (features of a GIS layer count from 1)."""
    import geopandas as gpd
    from shapely.geometry import box

    from planner.geo.areas import normalise_areas

    lon, lat = 114.398, 30.506
    geoms = [box(lon + i * 0.002, lat, lon + i * 0.002 + 0.001, lat + 0.001) for i in range(3)]
    gdf = gpd.GeoDataFrame({"id": ["P", "Q", "P"], "class": ["park"] * 3}, geometry=geoms, crs="EPSG:4490")
    with pytest.raises(InputDataError, match=r"duplicate area ids: P \(rows 1, 3\)"):
        normalise_areas(gdf, Path("a.geojson"), SC, "EPSG:4547")
