"""Run warnings in the report's language: every kind has a stable code and a Chinese rendering."""

from __future__ import annotations

import re

import pytest

from planner.present.warning_text import CATALOGUE, warning_code, warning_text

#: one message per code, worded exactly as the stages write them (see each code's producer)
SAMPLES: dict[str, str] = {
    "W03": "priority area '光谷广场' extends beyond the boundary; only the part inside is planned",
    "W04": "priority area 'A9' has no grid cell inside the boundary; it is not planned",
    "W05": "12 candidates lie more than 1000 m outside the boundary and were ignored (ids L1, L2 and 10 more)",
    "W06": "2 sites already on air stand in forbid zones; they are kept",
    "W07": "31 candidates are excluded by 禁建/限建 zones",
    "W08": "inputs.coordinates = gcj02: every input was converted from GCJ-02 to CGCS2000",
    "W09": "inputs.coordinates: boundary, priority_areas converted from GCJ-02 to CGCS2000",
    "W11": "areas.geojson: feature 'A2' (row 2) has an invalid polygon (e.g. self-intersection); repaired with "
           "make_valid",
    "W12": "poles.csv: 3 candidates have no cost (empty or NaN at feature 'L1' (row 3), row 7); the type default "
           "was used",
    "W13": "DEM: 3.2% of the grid had no height (outside the DEM or nodata) and took the nearest height",
    "W14": "buildings: 40 of 900 have neither height_m nor levels and were given 12 m",
    "W15": "area '地铁站': target 95.0% cannot be met; at most 80.0% is reachable by candidates (unreachable: out of "
           "range 12.0%, line of sight blocked 3.1%); the plan aims at the reachable share instead",
    "W16": "phase 2025: area '机场' target 98.0% is unreachable demand (at most 91.5% within reach); planned for the "
           "reachable share",
    "W17": "the solver found no plan within solver.time_limit_s = 5 s (status unknown): the result lists only the "
           "2 sites fixed before the solve (already on air) and meets no target it did not meet before; raise "
           "solver.time_limit_s or plan a smaller area",
    "W18": "radio.terrain_clear = auto: building footprints cover 8% of the grid (under 15%: a bare-earth DEM or a "
           "partial building layer), so cells the DSM leaves clear use the expected loss under the 38.901 LOS "
           'probability; set radio.terrain_clear = "los" if the building layer is complete',
    "W20": "poles.csv: control characters (ESC) removed from column 'name' at row 4",
    "W22": "poles.shp: the shapefile has no .cpg file; its text was read as GBK/GB18030 (add a .cpg to make this "
           "explicit)",
    "W23": "dem.tif: the DEM covers only 80% of the boundary's extent; the rest takes the nearest DEM height",
    "W25": 'poles.csv: columns azimuth_deg are used only with radio.antenna = "sectors"; this run models every site '
           "as omni",
    "W26": "7 sites of along_road classes lie more than 40 m from every line of inputs.basemap: they keep their "
           "class's sector bearings",
    "W27": "inputs.basemap roads.gpkg: cannot be read (DataSourceError); the map is drawn without it",
    "W28": "areas.geojson: 2 priority areas without an area (points, empty, zero-length or under 1 m²) were dropped: "
           "feature 'P1' (row 1), row 4; draw them as polygons to plan for them",
    "W29": "boundary.geojson: row 2 without geometry ignored",
}
#: English words a Chinese rendering may keep: scenario keys, units, abbreviations and the sample's data values
KEPT = {"inputs", "coordinates", "gcj02", "GCJ", "CGCS2000", "cgcs2000", "make_valid", "cost", "height_m", "levels",
        "radio", "terrain_clear", "auto", "los", "solver", "time_limit_s", "antenna", "sectors", "azimuth_deg",
        "basemap", "DataSourceError", "SINR", "NaN", "dB", "Shapefile", "cpg", "GBK", "GB18030", "ESC", "name",
        "ids", "L1", "L2", "A2", "A9", "P1", "poles", "csv", "shp", "areas", "geojson", "dem", "tif", "roads", "gpkg",
        "boundary"}


def test_codes_are_unique_and_stable() -> None:
    codes = [k.code for k in CATALOGUE]
    assert len(codes) == len(set(codes)) and all(re.fullmatch(r"W\d\d", c) for c in codes)
    assert codes[:3] == ["W01", "W02", "W03"]  # a code is never renumbered


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_each_kind_is_recognised_and_rendered_in_chinese(code: str) -> None:
    message = SAMPLES[code]
    assert warning_code(message) == code
    assert warning_text(message, "en") == f"{code} {message}"
    zh = warning_text(message, "zh")
    assert zh.startswith(f"{code} ") and re.search(r"[\u4e00-\u9fff]", zh)
    left = set(re.findall(r"[A-Za-z][A-Za-z_0-9]*", zh[len(code) :])) - KEPT
    assert not left, f"English left in the Chinese rendering of {code}: {sorted(left)}: {zh}"


def test_the_solvers_own_warnings_are_known() -> None:
    from planner.optimize._budget import TIME_LIMITED_WARNING
    from planner.optimize.solve import COST_RANGE_WARNING

    assert warning_code(TIME_LIMITED_WARNING) == "W01"
    assert warning_code(COST_RANGE_WARNING) == "W02"
    assert "可能无法" in warning_text(TIME_LIMITED_WARNING, "zh")


@pytest.mark.parametrize("joint", [True, False])
def test_a_time_limited_roll_out_is_w01_in_chinese(joint: bool) -> None:
    # the roll-out stages (phases, operators) append how many sub-solves the safety stop cut: still W01,
    # with no English left in the Chinese report (it fell back to "W00" and English before)
    from planner.stages.rollout import _time_limited

    stats = {"solves": [{"time_limited": True}, {"time_limited": False}, {"time_limited": True}],
             "joint": {"time_limited": joint}}
    (message,) = _time_limited(stats)
    assert warning_code(message) == "W01" and warning_text(message, "en") == f"W01 {message}"
    zh = warning_text(message, "zh")
    assert zh.startswith("W01 求解被墙钟安全上限截断：本方案可能无法逐字节复现（2 个子求解")
    assert ("联合模型被安全上限截断" in zh) is joint and ("联合模型未截断" in zh) is not joint
    assert not re.search(r"[A-Za-z]", zh[len("W01") :])


def test_the_inputs_stage_datum_warning_is_known() -> None:
    text = ("/d/candidates.csv (candidates, declared cgcs2000) and /d/boundary.geojson (boundary, declared cgcs2000) "
            "are offset by ~300–600 m against each other, as GCJ-02 (高德/腾讯 web-map) coordinates are against "
            'CGCS2000: set inputs.coordinates = { candidates = "gcj02", boundary = "cgcs2000" }, or convert the GCJ-02 '
            "file to CGCS2000")
    zh = warning_text(text, "zh")
    assert zh.startswith("W10 /d/candidates.csv（候选站址，声明为 cgcs2000）与 /d/boundary.geojson（规划范围")
    assert "请设置 inputs.coordinates" in zh


def test_operator_prefix_and_unknown_warnings() -> None:
    zh = warning_text("operator 移动: " + SAMPLES["W04"], "zh")
    assert zh == "W04 运营商 移动：重点区域 'A9' 在规划范围内没有栅格，不参与规划"
    assert warning_text("a warning nobody catalogued", "zh") == "W00 a warning nobody catalogued"
