"""Property-based tests: garbage fed to the readers never raises anything but a PlannerError.

Random bytes, random CSV tables built from realistic and hostile cells, and random
GeoJSON documents go through :func:`read_vector` / :func:`read_table` and, when they are
read, through :func:`normalise_candidates` and :func:`normalise_areas`. Any exception other
than :class:`~planner.errors.PlannerError` is a bug (it would reach the user as a
traceback). The number of examples is fixed and small, and the search is derandomised, so
the suite is reproducible and bounded in ``make test``.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import PlannerError
from planner.geo.areas import normalise_areas
from planner.geo.candidates import normalise_candidates
from planner.io.readers import read_table, read_vector
from planner.scenario import scenario_from_dict

SC = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

COLUMNS = [
    "id",
    "type",
    "lon",
    "lat",
    "经度",
    "纬度",
    "编号",
    "类型",
    "height_m",
    "挂高",
    "cost",
    "name",
    "status",
    "class",
    "target",
    "k",
    "weight",
    "",
    "id",
    "lon",
    "x",
]
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-0",
            "0",
            "114.398",
            "30.506",
            "30.5",
            "114.4",
            "529251.85",
            "3385891.5",
            "38529251",
            "路灯杆",
            "tower",
            "铁塔",
            "ufo",
            "existing_5g",
            "在网",
            "114°23′52″",
            "八万",
            "10",
            "-5",
            "300",
            "L0001",
            "L0001",
            "=SUM(A1)",
            '"',
            "'",
            "\\",
            ";",
            "\t",
            "public_place",
            "机场",
            "1.5",
            "None",
            "#N/A",
        ]
    ),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


def _with_file(suffix: str, data: bytes, check: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        check(path)


def _only_planner_errors(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except PlannerError as exc:
        assert str(exc)  # a message the user can read
        return None


def _through_everything(path: Path) -> None:
    gdf = _only_planner_errors(lambda: read_vector(path, "candidates"))
    if gdf is None:
        return
    _only_planner_errors(lambda: normalise_candidates(gdf, path, SC))
    _only_planner_errors(lambda: normalise_areas(gdf, path, SC, "EPSG:4547"))


@FUZZ
@given(
    data=st.binary(max_size=400),
    suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".gpkg", ".geojson", ".shp", ".json"]),
)
def test_random_bytes(data: bytes, suffix: str) -> None:
    _with_file(suffix, data, _through_everything)


@FUZZ
@given(
    header=st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=7),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=8), min_size=0, max_size=6),
    title=st.booleans(),
    delimiter=st.sampled_from([",", ";", "\t", "，"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]),
)
def test_random_csv(header: list[str], rows: list[list[str]], title: bool, delimiter: str, encoding: str) -> None:
    lines = (["候选站址表"] if title else []) + [delimiter.join(header)] + [delimiter.join(r) for r in rows]
    try:
        data = "\n".join(lines).encode(encoding)
    except UnicodeEncodeError:
        data = "\n".join(lines).encode("utf-8", errors="replace")
    _with_file(".csv", data, _through_everything)
    _with_file(".csv", data, lambda p: _only_planner_errors(lambda: read_table(p, "candidates")))


@settings(max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(
            st.one_of(CELLS, st.floats(allow_nan=True, allow_infinity=False), st.none(), st.booleans()),
            min_size=0,
            max_size=8,
        ),
        min_size=0,
        max_size=6,
    ),
    header=st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=7),
    title=st.booleans(),
)
def test_random_xlsx(rows: list[list[Any]], header: list[str], title: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.xlsx"
        try:
            if title:
                ws.append(["光谷片区候选站址（2026）"])
            ws.append(header)
            for r in rows:
                ws.append(r)
            wb.save(path)
        except IllegalCharacterError:  # openpyxl refuses control characters: not the reader's business
            return
        _through_everything(path)


NUM = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(min_value=113.0, max_value=116.0),
    st.floats(min_value=29.0, max_value=32.0),
    st.integers(-(10**9), 10**9),
    st.none(),
    st.text(max_size=3),
)
LON = st.floats(min_value=114.39, max_value=114.41)
LAT = st.floats(min_value=30.50, max_value=30.52)
VALID = st.tuples(LON, LAT).map(list)
POSITION = st.one_of(VALID, VALID, st.lists(NUM, min_size=0, max_size=3))
RING = st.lists(POSITION, min_size=0, max_size=6)
CLOSED = st.lists(VALID, min_size=3, max_size=6).map(lambda r: [*r, r[0]])  # valid or self-intersecting
GEOMETRY = st.one_of(
    st.builds(lambda c: {"type": "Point", "coordinates": c}, VALID),
    st.builds(lambda c: {"type": "Polygon", "coordinates": [c]}, CLOSED),
    st.builds(lambda c: {"type": "MultiPolygon", "coordinates": [[c]]}, CLOSED),
    st.none(),
    st.builds(lambda c: {"type": "Point", "coordinates": c}, POSITION),
    st.builds(lambda c: {"type": "MultiPoint", "coordinates": c}, RING),
    st.builds(lambda c: {"type": "LineString", "coordinates": c}, RING),
    st.builds(lambda c: {"type": "Polygon", "coordinates": c}, st.lists(RING, max_size=2)),
    st.builds(
        lambda c: {"type": "GeometryCollection", "geometries": c},
        st.lists(st.builds(lambda p: {"type": "Point", "coordinates": p}, POSITION), max_size=2),
    ),
    st.builds(lambda t: {"type": t}, st.sampled_from(["Point", "Polygon", "Circle", ""])),
)
PROPS = st.one_of(
    st.none(), st.dictionaries(st.sampled_from(COLUMNS), st.one_of(CELLS, NUM, st.booleans()), max_size=6)
)


def _feature(geom: Any, props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geom, "properties": props}


@FUZZ
@given(
    features=st.lists(st.builds(_feature, GEOMETRY, PROPS), min_size=0, max_size=6),
    crs=st.sampled_from([None, "EPSG:4490", "EPSG:4547", "urn:ogc:def:crs:EPSG::4326", "EPSG:999999", "nonsense"]),
    wrap=st.booleans(),
)
def test_random_geojson(features: list[dict[str, Any]], crs: str | None, wrap: bool) -> None:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    payload: Any = doc if wrap else (features[0] if features else [])

    def default(value: Any) -> Any:  # pragma: no cover - json only calls it for odd objects
        return str(value)

    text = json.dumps(payload, ensure_ascii=False, allow_nan=True, default=default)
    _with_file(".geojson", text.encode("utf-8"), _through_everything)


def test_fuzz_settings_are_bounded() -> None:
    assert FUZZ.max_examples <= 50 and FUZZ.derandomize and FUZZ.deadline is None
    assert not math.isnan(0.0)


# ----------------------------------------------------------------------------- numbers written as text


def test_parse_numbers_reads_office_spellings() -> None:
    import pandas as pd

    from planner.io.readers import parse_numbers

    cells = pd.Series(
        ["25m", "25 米", "２５", "12,5", "−5", "8万元", "NaN", "", None, 7, "1,000", "abc", "25 km"], dtype=object
    )
    values, unreadable = parse_numbers(cells, ("m", "米", "万元"))
    expected = [25, 25, 25, 12.5, -5, 8, None, None, None, 7, None, None, None]
    for got, want, bad, cell in zip(values, expected, unreadable, cells, strict=True):
        assert math.isnan(got) if want is None else got == want, cell
        assert bad == (cell in ("1,000", "abc", "25 km")), cell  # a thousands separator is ambiguous: refused
    coords = pd.Series(
        ["114.398°", "E114.398", "东经114.398", "114,398", "30.506N", "114°23′52″", "114.398W"], dtype=object
    )
    values, unreadable = parse_numbers(coords, coordinate=True)
    assert values.iloc[:4].tolist() == [114.398] * 4 and values.iloc[4] == 30.506
    assert unreadable.tolist() == [False] * 5 + [True, True]  # DMS and the western hemisphere are not guessed


@FUZZ
@given(cells=st.lists(st.one_of(CELLS, st.none(), st.floats(allow_nan=True)), max_size=20), coordinate=st.booleans())
def test_parse_numbers_never_raises(cells: list[Any], coordinate: bool) -> None:
    import pandas as pd

    from planner.io.readers import parse_numbers

    values, unreadable = parse_numbers(pd.Series(cells, dtype=object), ("m", "米"), coordinate=coordinate)
    assert len(values) == len(cells) and values[unreadable].isna().all()


def test_header_key_drops_units_and_case() -> None:
    from planner.io.readers import header_key

    assert [header_key(h) for h in ["经度（°）", " Lon ", "挂高(m)", "费用[万元]", "挂高/m", "ID"]] == [
        "经度",
        "lon",
        "挂高",
        "费用",
        "挂高",
        "id",
    ]


def test_line_areas_use_their_own_width_m() -> None:
    import geopandas as gpd
    from shapely.geometry import LineString

    line = LineString([(114.39, 30.50), (114.40, 30.50)])
    areas = gpd.GeoDataFrame(
        {"id": ["R1", "R2"], "class": ["highway", "highway"], "width_m": [100, None]},
        geometry=[line, line],
        crs="EPSG:4490",
    )
    out, _ = normalise_areas(areas, Path("a.geojson"), SC, "EPSG:4547")
    length = float(gpd.GeoSeries([line], crs="EPSG:4490").to_crs("EPSG:4547").length.iloc[0])
    for got, width in zip(out.geometry.area, (100.0, SC.demand.line_width_m), strict=True):  # R2: demand.line_width_m
        assert abs(got - (length * width + math.pi * (width / 2) ** 2)) < 0.01 * got  # round end caps
    areas["width_m"] = ["宽", None]
    try:
        normalise_areas(areas, Path("a.geojson"), SC, "EPSG:4547")
    except PlannerError as exc:
        assert "width_m" in str(exc) and "'R1'" in str(exc)
    else:
        raise AssertionError("a width in words must be refused")
