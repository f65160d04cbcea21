"""Hostile-but-realistic inputs (issue 11), registered into the bad-input corpus of ``make_corpus.py``.

Formula injection in names, control characters, special files as inputs (named pipes, symlink
loops, devices, folders), non-finite and out-of-range numbers, degenerate priority areas, seeds
outside 0 … 2^63 − 1, ``--set`` values with line breaks, a shapefile without its ``.dbf`` and a
boundary across the antimeridian. Each case states its documented exit code and the message
fragments (file, row or key, and the fix). ``extra["inert_tables"]`` asks the test to check that
no csv/xlsx the run wrote holds a live spreadsheet formula.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

FORMULAS = (
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
)


def register(c: ModuleType) -> None:
    """Add the hostile cases to ``c.CASES`` (``c`` is the loaded ``make_corpus`` module)."""
    case, nothing, set_input, edit_csv = c.case, c.nothing, c.set_input, c.edit_csv
    LON0, LAT0, D = c.LON0, c.LAT0, c.D

    # --- formulas and control characters: the run works, the tables are inert

    @case(
        "formula_names",
        "names, owners and area names that start with =, +, -, @, tab or CR: written inert in sites.csv/xlsx",
        command="run",
        exit_code=0,
        fragments=("sites selected",),
        extra={"inert_tables": True},
    )
    def _formulas(f: Path) -> None:
        import csv
        import io

        rows = c.candidate_rows()
        for i, text in enumerate(FORMULAS):
            rows[i][2] = text
        rows[36][2] = FORMULAS[0]  # the towers are selected in every plan
        rows[37][2] = FORMULAS[1]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows([[*c.CSV_HEADER, "lon", "lat"], *rows])  # quoted as Excel does
        (f / "candidates.csv").write_text(buf.getvalue(), encoding="utf-8")
        feats = [c.feature({**p, "name": FORMULAS[i]}, g) for i, (p, g) in enumerate(c.base_areas())]
        (f / "priority_areas.geojson").write_text(c.feature_collection(feats), encoding="utf-8")

    @case(
        "formula_scenario_name",
        "a scenario name that is a formula (it is written into sites.xlsx's notes sheet)",
        command="run",
        exit_code=0,
        overrides=('scenario.name="=HYPERLINK(\\"http://evil.example\\")"',),
        fragments=("sites selected",),
        extra={"inert_tables": True},
    )
    def _formula_name(f: Path) -> None:
        nothing(f)

    @case(
        "control_characters_in_names",
        "ESC, BEL and NUL pasted into names: removed when read, with a warning naming row and id",
        command="run",
        exit_code=0,
        extra={"inert_tables": True},
        fragments=(
            "control characters (NUL, BEL, ESC) removed from column 'name'",
            "feature 'L0000' (row 2)",
            "feature 'T001' (row 38)",
        ),
    )
    def _control(f: Path) -> None:
        def bad(rows: list[list[str]]) -> None:
            rows[0][2] = "路灯\x1b[31m 红\x07"
            rows[36][2] = "铁塔\x00一"

        edit_csv(f, bad)

    @case(
        "control_characters_in_scenario_name",
        "an ESC escape in the scenario name: refused, naming the key",
        command="validate",
        fragments=("scenario.toml", "[scenario.name]", "control characters"),
    )
    def _control_toml(f: Path) -> None:
        path = f / "scenario.toml"
        path.write_text(
            path.read_text(encoding="utf-8").replace('name = "corpus case"', 'name = "corpus\\u001bcase"'),
            encoding="utf-8",
        )

    # --- special files: refused at once, before anything is opened

    def special(kind: str) -> object:
        def build(f: Path) -> None:
            path = f / "candidates.csv"
            path.unlink()
            if kind == "fifo":
                os.mkfifo(path)
            elif kind == "loop":
                path.symlink_to(f / "poles.csv")
                (f / "poles.csv").symlink_to(path)
            elif kind == "folder":
                path.mkdir()
                c.write_csv(path / "candidates.csv", [*c.CSV_HEADER, "lon", "lat"], c.candidate_rows())
            elif kind == "dangling":
                path.symlink_to(f / "moved" / "candidates.csv")
            elif kind == "device":
                path.symlink_to("/dev/zero")
            elif kind == "symlink":
                (f / "data").mkdir()
                c.write_csv(f / "data" / "poles.csv", [*c.CSV_HEADER, "lon", "lat"], c.candidate_rows())
                path.symlink_to(f / "data" / "poles.csv")

        return build

    case(
        "fifo_candidates",
        "a named pipe as inputs.candidates: exit 2 at once, never blocking",
        command="validate",
        fragments=("candidates.csv", "named pipe (FIFO)", "regular file"),
    )(special("fifo"))
    case(
        "fifo_candidates_run",
        "a named pipe as inputs.candidates under `run`: exit 2 at once, the earlier run kept",
        fragments=("candidates.csv", "named pipe (FIFO)", "regular file"),
    )(special("fifo"))
    case(
        "symlink_loop_candidates",
        "two symlinks pointing at each other",
        command="validate",
        fragments=("candidates.csv", "symlink loop", "regular file"),
    )(special("loop"))
    case(
        "candidates_is_a_folder",
        "inputs.candidates names a folder (holding the CSV)",
        command="validate",
        fragments=("candidates.csv", "is a folder", "point to the file inside it"),
    )(special("folder"))
    case(
        "dangling_symlink_candidates",
        "a symlink to a file that was moved",
        command="validate",
        fragments=("candidates.csv", "symlink to a file that does not exist"),
    )(special("dangling"))
    case(
        "device_as_candidates",
        "a symlink to /dev/zero (endless bytes)",
        command="validate",
        fragments=("candidates.csv", "is a device", "regular file"),
    )(special("device"))
    case(
        "symlinked_candidates",
        "a symlink to a regular CSV: followed, works",
        command="validate",
        exit_code=0,
        fragments=("OK:", "38 candidates"),
    )(special("symlink"))

    @case(
        "fifo_scenario",
        "the scenario file itself is a named pipe",
        command="validate",
        fragments=("scenario.toml", "named pipe (FIFO)", "regular .toml file"),
    )
    def _fifo_scenario(f: Path) -> None:
        (f / "scenario.toml").unlink()
        os.mkfifo(f / "scenario.toml")

    @case(
        "shapefile_without_dbf",
        "a shapefile copied without its .dbf: named as such, not 'no id column'",
        command="validate",
        fragments=("poles.shp", "the shapefile's .dbf file is missing", "copy poles.dbf"),
    )
    def _no_dbf(f: Path) -> None:
        c.candidates_frame().to_file(f / "poles.shp")
        (f / "poles.dbf").unlink()
        set_input(f, "candidates", "poles.shp")

    # --- numbers: non-finite and out of range, each naming row and id, ranges printed exactly

    def cell(row: int, col: int, value: str) -> object:
        def build(f: Path) -> None:
            def bad(rows: list[list[str]]) -> None:
                rows[row][col] = value

            edit_csv(f, bad)

        return build

    case(
        "infinite_longitude",
        "a longitude of inf (a spreadsheet overflow)",
        command="validate",
        fragments=("candidates.csv", "row 5 (id 'L0003')", "'inf'", "not finite"),
    )(cell(3, 6, "inf"))
    case(
        "overflowing_latitude",
        "a latitude of 1e999 (parses as infinity)",
        command="validate",
        fragments=("candidates.csv", "row 7 (id 'L0005')", "'1e999'", "not finite"),
    )(cell(5, 7, "1e999"))

    @case(
        "infinite_coordinate_gpkg",
        "a GeoPackage point at infinity",
        command="validate",
        fragments=("poles.gpkg", "NaN or infinity", "feature 'L0002' (row 3)"),
    )
    def _inf_gpkg(f: Path) -> None:
        g = c.candidates_frame()
        g.loc[2, "geometry"] = Point(float("inf"), LAT0)
        g.to_file(f / "poles.gpkg", driver="GPKG")
        set_input(f, "candidates", "poles.gpkg")

    case(
        "height_just_above_150",
        "a height of 150.0001 m: refused, printed exactly (not '150 m')",
        command="validate",
        fragments=("candidates.csv", "'L0000'", "height_m 150.0001 m is out of range", "at most 150 m"),
    )(cell(0, 3, "150.0001"))
    case(
        "height_zero",
        "an antenna height of 0 m: refused (documented: above 0)",
        command="validate",
        fragments=("candidates.csv", "'L0001'", "height_m 0 m is out of range", "0 is refused"),
    )(cell(1, 3, "0"))
    case(
        "cost_1e300",
        "a cost of 1e300 万元 (it would round every ordinary cost to 0 in the solver)",
        command="validate",
        fragments=("candidates.csv", "'L0002'", "cost 1e+300 万元 is out of range", "1,000,000"),
    )(cell(2, 4, "1e300"))
    case(
        "cost_zero",
        "a cost of 0 for a pole that is not on air",
        command="validate",
        fragments=("candidates.csv", "'L0003'", "cost 0 万元 is out of range", "existing_5g"),
    )(cell(3, 4, "0"))
    case(
        "cost_negative",
        "a negative cost",
        command="validate",
        fragments=("candidates.csv", "'L0004'", "cost -8 万元 is out of range"),
    )(cell(4, 4, "-8"))
    case(
        "cost_of_on_air_site_ignored",
        "an on-air (existing_5g) site with cost 0: fine, on-air sites cost 0",
        command="validate",
        exit_code=0,
        fragments=("OK:",),
    )(cell(37, 4, "0"))
    case(
        "nan_cost",
        "a cost written NaN: the type default, with a warning naming the row",
        command="validate",
        exit_code=0,
        fragments=("OK:", "warning:", "have no cost", "feature 'L0004' (row 6)", "the type default was used"),
    )(cell(4, 4, "NaN"))
    case(
        "type_cost_1e300",
        "a type default cost of 1e300 given with --set",
        command="validate",
        overrides=("candidates.types.street_lamp.cost=1e300",),
        fragments=("[candidates.types.street_lamp.cost]", "less than or equal to 1000000"),
    )(nothing)
    case(
        "nan_threshold",
        "radio.threshold_dbm = nan given with --set",
        command="validate",
        overrides=("radio.threshold_dbm=nan",),
        fragments=("[radio.threshold_dbm]", "finite number"),
    )(nothing)

    # --- seeds and --set

    case(
        "seed_above_2_64",
        "a seed above 2^64 (crashed numba before)",
        command="validate",
        overrides=("scenario.seed=18446744073709551617",),
        fragments=("[scenario.seed]", "9223372036854775807", "0 to 2^63 − 1"),
    )(nothing)
    case(
        "negative_seed",
        "a negative seed",
        command="validate",
        overrides=("scenario.seed=-3",),
        fragments=("[scenario.seed]", "greater than or equal to 0", "0 to 2^63 − 1"),
    )(nothing)
    case(
        "largest_seed",
        "the largest seed, 2^63 − 1: plans (CP-SAT gets it reduced to 32 bits)",
        command="run",
        exit_code=0,
        overrides=("scenario.seed=9223372036854775807",),
        fragments=("sites selected",),
    )(nothing)
    case(
        "set_with_newline",
        "--set with an embedded line break (the second line used to be dropped silently)",
        command="validate",
        overrides=("objective.max_sites=4\nsolver.time_limit_s=1",),
        fragments=("--set", "contains a line break", "one key=value per --set"),
    )(nothing)

    # --- geometry: degenerate priority areas dropped, antimeridian refused

    def extra_areas(*geoms: object) -> object:
        def build(f: Path) -> None:
            feats = [c.feature(p, g) for p, g in c.base_areas()]
            for i, g in enumerate(geoms):
                props = {"id": f"X{i + 1}", "name": f"退化区域 {i + 1}", "class": "park"}
                feats.append(
                    {"type": "Feature", "properties": props, "geometry": None} if g is None else c.feature(props, g)
                )
            (f / "priority_areas.geojson").write_text(c.feature_collection(feats), encoding="utf-8")

        return build

    x, y = LON0 + 0.001, LAT0 + 0.001
    case(
        "zero_size_priority_area",
        "a priority area whose four corners coincide (was 'Point' object has no attribute 'exterior')",
        command="run",
        exit_code=0,
        fragments=("priority areas without an area", "feature 'X1' (row 3)"),
    )(extra_areas(Polygon([(x, y)] * 4)))
    case(
        "degenerate_priority_areas",
        "a point, an empty geometry, a zero-length line and a collinear polygon among the areas",
        command="run",
        exit_code=0,
        fragments=("4 priority areas without an area", "'X1'", "'X2'", "'X3'", "'X4'"),
    )(
        extra_areas(
            Point(x, y), None, LineString([(x, y), (x, y)]), Polygon([(x, y), (x + 0.001, y), (x + 0.002, y), (x, y)])
        )
    )
    case(
        "geometry_collection_area",
        "a GeometryCollection (polygon + point) as a priority area: its polygon is planned",
        command="run",
        exit_code=0,
        fragments=("sites selected",),
    )(extra_areas(GeometryCollection([box(x, y, x + 0.001, y + 0.001), Point(x, y)])))

    @case(
        "all_priority_areas_degenerate",
        "every priority area is a point",
        command="validate",
        fragments=("priority_areas.geojson", "no priority area has an area", "'A1'", "'A2'"),
    )
    def _all_points(f: Path) -> None:
        feats = [c.feature(p, g.centroid) for p, g in c.base_areas()]
        (f / "priority_areas.geojson").write_text(c.feature_collection(feats), encoding="utf-8")

    @case(
        "boundary_across_antimeridian",
        "a boundary (Fiji) split at 180° into two parts: refused, not planned in a zone near 0°",
        command="validate",
        fragments=("boundary.geojson", "antimeridian", "split the boundary at 180°"),
    )
    def _antimeridian(f: Path) -> None:
        geom = MultiPolygon([box(179.95, -17.0, 180.0, -16.95), box(-180.0, -17.0, -179.95, -16.95)])
        (f / "boundary.geojson").write_text(c.feature_collection([c.feature({"id": "B1"}, geom)]), encoding="utf-8")

    @case(
        "boundary_with_a_stray_feature",
        "boundary features at 0°, 0° and 120°W besides the district (digitising slips): refused",
        command="validate",
        fragments=("boundary.geojson", "spans longitudes", "remove the stray feature"),
    )
    def _stray(f: Path) -> None:
        feats = [
            c.feature({"id": "B1"}, box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D)),
            c.feature({"id": "B2"}, box(-0.001, -0.001, 0.001, 0.001)),
            c.feature({"id": "B3"}, box(-120.001, 10.0, -120.0, 10.001)),
        ]
        (f / "boundary.geojson").write_text(c.feature_collection(feats), encoding="utf-8")


def register_more(c: ModuleType) -> None:
    """Cases added after the first set (same conventions)."""
    x, y = c.LON0, c.LAT0

    @c.case(
        "boundary_zero_size",
        "a boundary polygon whose corners coincide: refused as having no area, not blamed on the areas",
        command="validate",
        fragments=("boundary.geojson", "the boundary has no area", "feature 'B1' (row 1)"),
    )
    def _zero_boundary(f: Path) -> None:
        (f / "boundary.geojson").write_text(
            c.feature_collection([c.feature({"id": "B1"}, Polygon([(x, y)] * 4))]), encoding="utf-8"
        )

    c.case(
        "budget_1e300",
        "objective.budget = 1e300 (was an internal error in the solver's scaling)",
        command="validate",
        overrides=("objective.kind=max_coverage", "objective.budget=1e300"),
        fragments=("[objective.budget]", "less than or equal to 1000000000"),
    )(c.nothing)
    c.case(
        "threshold_minus_1e300",
        "radio.threshold_dbm = -1e300 (was an internal error sizing the coverage)",
        command="validate",
        overrides=("radio.threshold_dbm=-1e300",),
        fragments=("[radio.threshold_dbm]", "greater than or equal to -500"),
    )(c.nothing)
    c.case(
        "tx_power_1e300",
        "radio.macro.tx_power_w = 1e300",
        command="validate",
        overrides=("radio.macro.tx_power_w=1e300",),
        fragments=("[radio.macro.tx_power_w]", "less than or equal to 10000"),
    )(c.nothing)
    c.case(
        "partial_radio_macro",
        "--set radio.macro.tx_power_w=40 alone keeps the class's other defaults",
        command="validate",
        exit_code=0,
        overrides=("radio.macro.tx_power_w=40",),
        fragments=("OK:",),
    )(c.nothing)
    c.case(
        "cost_tiny",
        "a cost of 1e-300 万元 (yuan divided twice): below the plausible 0.01 万元",
        command="validate",
        fragments=("candidates.csv", "'L0005'", "cost 1e-300 万元 is out of range", "0.01 ≤ cost"),
    )(_cell(c, 5, 4, "1e-300"))

    @c.case(
        "utf16_without_bom",
        "a UTF-16 (little-endian) CSV without a byte-order mark: read as UTF-16, works",
        command="validate",
        exit_code=0,
        fragments=("OK:", "38 candidates"),
    )
    def _utf16_nobom(f: Path) -> None:
        text = (f / "candidates.csv").read_text(encoding="utf-8")
        (f / "candidates.csv").write_bytes(text.replace(",", "\t").encode("utf-16-le"))


def _cell(c: ModuleType, row: int, col: int, value: str) -> object:
    def build(f: Path) -> None:
        def bad(rows: list[list[str]]) -> None:
            rows[row][col] = value

        c.edit_csv(f, bad)

    return build
