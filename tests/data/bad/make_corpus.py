"""The bad-input corpus: broken inputs that real planners produce, each with its expected outcome.

Every case starts from a small, valid planning folder (a 1 km box at Optics Valley, Wuhan:
``boundary.geojson``, ``candidates.csv``, ``priority_areas.geojson``, ``scenario.toml``) and
breaks one thing (or, for ``three_problems``, three). The table :data:`CASES` says, per case,
which CLI command to run, with which ``--set`` overrides, the exit code and the message
fragments expected in stdout + stderr. ``tests/test_bad_inputs.py`` runs every case through
``python -m planner.cli``.

The files are generated (binary formats such as GeoPackage, XLSX and GeoTIFF cannot be
committed readably). To look at them::

    python tests/data/bad/make_corpus.py /tmp/corpus          # every case
    python tests/data/bad/make_corpus.py /tmp/corpus gbk_csv  # one case

writes one folder per case with its inputs, ``scenario.toml`` and ``expected.json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, Polygon, box

LON0, LAT0 = 114.398, 30.506  # Optics Valley Square, Wuhan
D = 0.005  # half-width of the planning box in degrees (~500 m)

BASE_TOML = """\
[scenario]
name = "corpus case"
seed = 7

[inputs]
boundary = "boundary.geojson"
candidates = "candidates.csv"
priority_areas = "priority_areas.geojson"

[grid]
resolution_m = 25

[solver]
time_limit_s = 10
workers = 1
"""

CSV_HEADER = ["id", "type", "name", "height_m", "cost", "status"]


def candidate_rows() -> list[list[str]]:
    """36 street lamps on a 6 × 6 lattice and two towers (one already on air), as CSV text cells."""
    rows = []
    k = 0
    for j in range(6):
        for i in range(6):
            lon = LON0 - 0.0042 + 0.00168 * i
            lat = LAT0 - 0.0042 + 0.00168 * j
            rows.append([f"L{k:04d}", "street_lamp", f"路灯 {k}", "10", "8", "", f"{lon:.6f}", f"{lat:.6f}"])
            k += 1
    rows.append(["T001", "tower", "铁塔 1", "30", "6", "", f"{LON0 - D / 2:.6f}", f"{LAT0:.6f}"])
    rows.append(["T002", "tower", "铁塔 2", "35", "6", "existing_5g", f"{LON0 + D / 2:.6f}", f"{LAT0 + D / 3:.6f}"])
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    """A plain comma-separated file (no quoting needed for these cells)."""
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode(encoding))


def candidates_frame() -> gpd.GeoDataFrame:
    """The base candidates as a GeoDataFrame in EPSG:4490."""
    rows = candidate_rows()
    df = pd.DataFrame([r[:6] for r in rows], columns=CSV_HEADER)
    df["height_m"] = df["height_m"].astype(float)
    df["cost"] = df["cost"].astype(float)
    pts = [Point(float(r[6]), float(r[7])) for r in rows]
    return gpd.GeoDataFrame(df, geometry=pts, crs="EPSG:4490")


def feature_collection(features: list[dict[str, object]], crs: str | None = None) -> str:
    """GeoJSON text (optionally with the old-style ``crs`` member)."""
    fc: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(fc, ensure_ascii=False, indent=1)


def feature(props: dict[str, object], geom: object) -> dict[str, object]:
    from shapely.geometry import mapping

    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def base_areas() -> list[tuple[dict[str, object], Polygon]]:
    return [
        (
            {"id": "A1", "name": "光谷广场", "class": "public_place"},
            box(LON0 - 0.0015, LAT0 - 0.0015, LON0 + 0.0015, LAT0 + 0.0015),
        ),
        (
            {"id": "A2", "name": "地铁站", "class": "transport_hub"},
            box(LON0 + 0.002, LAT0 - 0.004, LON0 + 0.004, LAT0 - 0.002),
        ),
    ]


def write_base(folder: Path) -> None:
    """The valid planning folder every case starts from."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "boundary.geojson").write_text(
        feature_collection([feature({"id": "B1", "name": "光谷测试区"}, box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D))]),
        encoding="utf-8",
    )
    write_csv(folder / "candidates.csv", [*CSV_HEADER, "lon", "lat"], candidate_rows())
    (folder / "priority_areas.geojson").write_text(
        feature_collection([feature(p, g) for p, g in base_areas()]), encoding="utf-8"
    )
    (folder / "scenario.toml").write_text(BASE_TOML, encoding="utf-8")


def set_input(folder: Path, key: str, value: str) -> None:
    """Point ``inputs.<key>`` of the scenario at another file (adds the key if absent)."""
    path = folder / "scenario.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("[inputs]")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    body = [ln for ln in lines[start + 1 : end] if not ln.startswith(f"{key} =")]
    body = [ln for ln in body if ln.strip()] + [f'{key} = "{value}"', ""]
    path.write_text("\n".join([*lines[: start + 1], *body, *lines[end:]]) + "\n", encoding="utf-8")


def edit_csv(folder: Path, fn: Callable[[list[list[str]]], None], header: list[str] | None = None) -> None:
    """Rewrite candidates.csv after ``fn`` changed the rows in place (cells: id … lon, lat)."""
    rows = candidate_rows()
    fn(rows)
    write_csv(folder / "candidates.csv", header or [*CSV_HEADER, "lon", "lat"], rows)


def gcj_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 → GCJ-02 (the public formula, DOMAIN.md §2.2), kept here so the corpus stands alone."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * pi * x) + 20.0 * np.sin(2.0 * pi * x)) * 2.0 / 3.0
        + (20.0 * np.sin(pi * y) + 40.0 * np.sin(pi * y / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(pi * y / 12.0) + 320.0 * np.sin(pi * y / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * pi * x) + 20.0 * np.sin(2.0 * pi * x)) * 2.0 / 3.0
        + (20.0 * np.sin(pi * x) + 40.0 * np.sin(pi * x / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(pi * x / 12.0) + 300.0 * np.sin(pi * x / 30.0)) * 2.0 / 3.0
    )
    rad = np.radians(lat)
    w = 1.0 - ee * np.sin(rad) ** 2
    dlat = dlat * 180.0 / ((a * (1.0 - ee)) / (w * np.sqrt(w)) * pi)
    dlon = dlon * 180.0 / (a / np.sqrt(w) * np.cos(rad) * pi)
    return lon + dlon, lat + dlat


def write_dem(
    path: Path,
    west: float,
    north: float,
    nx: int,
    ny: int,
    res_deg: float,
    *,
    crs: str | None = "EPSG:4490",
    hole: bool = False,
    mostly_nodata: bool = False,
) -> None:
    """A flat 30 m DEM (float32, nodata -9999), optionally with a nodata hole in its middle third
    (or with nodata everywhere but a strip along its western edge).
    """
    import rasterio
    from affine import Affine

    data = np.full((ny, nx), 30.0, dtype=np.float32)
    if hole:
        data[ny // 3 : 2 * ny // 3, nx // 3 : 2 * nx // 3] = -9999.0
    if mostly_nodata:
        data[:, nx // 5 :] = -9999.0
    profile = {
        "driver": "GTiff",
        "width": nx,
        "height": ny,
        "count": 1,
        "dtype": "float32",
        "nodata": -9999.0,
        "transform": Affine(res_deg, 0.0, west, 0.0, -res_deg, north),
    }
    if crs:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)


# ----------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One broken input and its expected outcome.

    ``command`` is ``run`` (through the whole pipeline into ``--out``) or ``validate``.
    ``fragments`` must all appear in stdout + stderr. ``engine`` marks cases that need a
    complete run (coverage, solver, outputs) to reach their outcome.
    """

    name: str
    doc: str
    build: Callable[[Path], None]
    command: str = "run"
    exit_code: int = 2
    fragments: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()
    engine: bool = False
    scenario: str = "scenario.toml"
    extra: dict[str, object] = field(default_factory=dict)


CASES: list[Case] = []


def case(name: str, doc: str, **kw: object) -> Callable[[Callable[[Path], None]], Callable[[Path], None]]:
    def deco(fn: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES.append(Case(name, doc, fn, **kw))  # type: ignore[arg-type]
        return fn

    return deco


def nothing(folder: Path) -> None:
    """No change: the outcome comes from the overrides."""


# --- files


@case(
    "missing_file",
    "inputs.candidates names a file that is not there",
    fragments=("poles.gpkg", "candidates file not found", "inputs.candidates"),
)
def _missing_file(f: Path) -> None:
    set_input(f, "candidates", "poles.gpkg")


@case(
    "corrupt_gpkg",
    "a GeoPackage cut off half-way (interrupted copy)",
    fragments=("candidates.gpkg", "damaged or truncated", "re-export"),
)
def _corrupt_gpkg(f: Path) -> None:
    candidates_frame().to_file(f / "full.gpkg", layer="candidates", driver="GPKG")
    data = (f / "full.gpkg").read_bytes()
    (f / "candidates.gpkg").write_bytes(data[: len(data) // 3])
    (f / "full.gpkg").unlink()
    set_input(f, "candidates", "candidates.gpkg")


@case(
    "empty_layer",
    "a GeoPackage layer with no features",
    fragments=("candidates.gpkg", "layer is empty", "export the layer with its features"),
)
def _empty_layer(f: Path) -> None:
    candidates_frame().iloc[:0].to_file(f / "candidates.gpkg", layer="candidates", driver="GPKG")
    set_input(f, "candidates", "candidates.gpkg")


@case(
    "header_only_csv",
    "a CSV with its header and no rows",
    fragments=("candidates.csv", "header but no rows", "one row per feature"),
)
def _header_only(f: Path) -> None:
    write_csv(f / "candidates.csv", [*CSV_HEADER, "lon", "lat"], [])


@case(
    "polygons_as_candidates",
    "building footprints given as candidates",
    fragments=("candidates.geojson", "must be points", "Polygon", "'L0000'", "convert them to points"),
)
def _polygons(f: Path) -> None:
    c = candidates_frame()
    c["geometry"] = c.geometry.to_crs("EPSG:4547").buffer(10.0).to_crs("EPSG:4490")
    (f / "candidates.geojson").write_text(c.to_json(ensure_ascii=False), encoding="utf-8")
    set_input(f, "candidates", "candidates.geojson")


@case(
    "shapefile_without_prj",
    "a shapefile whose .prj was not copied",
    fragments=("candidates.shp", ".prj", "no coordinate reference system", "EPSG:4490"),
)
def _no_prj(f: Path) -> None:
    candidates_frame().to_file(f / "candidates.shp")
    (f / "candidates.prj").unlink()
    set_input(f, "candidates", "candidates.shp")


@case(
    "geojson_in_metres_without_crs",
    "a GeoJSON exported in Gauss-Krüger metres with no crs member",
    fragments=("boundary.geojson", "look like metres", "GeoPackage", "EPSG:4547"),
)
def _geojson_metres(f: Path) -> None:
    b = gpd.GeoDataFrame(
        {"id": ["B1"]}, geometry=[box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D)], crs="EPSG:4490"
    ).to_crs("EPSG:4547")
    (f / "boundary.geojson").write_text(
        feature_collection([feature({"id": "B1"}, b.geometry.iloc[0])]), encoding="utf-8"
    )


@case(
    "latlon_swapped",
    "the lat and lon columns swapped in the CSV",
    fragments=("candidates.csv", "look swapped", "swap the lon and lat columns"),
)
def _swapped(f: Path) -> None:
    write_csv(f / "candidates.csv", [*CSV_HEADER, "lat", "lon"], candidate_rows())


@case(
    "degrees_declared_as_metres",
    "lon/lat values in a GeoPackage labelled EPSG:4547",
    fragments=("candidates.gpkg", "look like degrees", "EPSG:4547", "EPSG:4490"),
)
def _deg_as_m(f: Path) -> None:
    candidates_frame().set_crs("EPSG:4547", allow_override=True).to_file(
        f / "candidates.gpkg", layer="c", driver="GPKG"
    )
    set_input(f, "candidates", "candidates.gpkg")


@case(
    "metres_declared_as_degrees",
    "Gauss-Krüger metres in a GeoPackage labelled EPSG:4490",
    fragments=("priority_areas.gpkg", "look like metres", "EPSG:4547"),
)
def _m_as_deg(f: Path) -> None:
    areas = gpd.GeoDataFrame([p for p, _ in base_areas()], geometry=[g for _, g in base_areas()], crs="EPSG:4490")
    areas.to_crs("EPSG:4547").set_crs("EPSG:4490", allow_override=True).to_file(
        f / "priority_areas.gpkg", layer="a", driver="GPKG"
    )
    set_input(f, "priority_areas", "priority_areas.gpkg")


@case(
    "mixed_crs_no_overlap",
    "GK CM 114E metres labelled UTM 50N: the layer lands ~300 km east",
    fragments=(
        "candidates.gpkg",
        "does not overlap the boundary",
        "km away",
        "EPSG:32650",
        "wrong coordinate reference system",
    ),
)
def _mixed_crs(f: Path) -> None:
    candidates_frame().to_crs("EPSG:4547").set_crs("EPSG:32650", allow_override=True).to_file(
        f / "candidates.gpkg", layer="c", driver="GPKG"
    )
    set_input(f, "candidates", "candidates.gpkg")


@case(
    "zone_prefixed_eastings_as_cm",
    "8-digit zone-38 eastings (EPSG:4526) labelled CM 114E (EPSG:4547)",
    fragments=("boundary.gpkg", "far outside the area where that CRS is used", "EPSG:4526"),
)
def _zone_prefix(f: Path) -> None:
    b = gpd.GeoDataFrame({"id": ["B1"]}, geometry=[box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D)], crs="EPSG:4490")
    b.to_crs("EPSG:4526").set_crs("EPSG:4547", allow_override=True).to_file(
        f / "boundary.gpkg", layer="b", driver="GPKG"
    )
    set_input(f, "boundary", "boundary.gpkg")


# --- coordinates


@case(
    "gcj02_candidates",
    "candidates copied from Gaode (GCJ-02) over a CGCS2000 boundary: works, with a warning",
    command="validate",
    exit_code=0,
    fragments=("OK:", "warning:", "candidates.csv", "GCJ-02", "gcj02"),
)
def _gcj_cands(f: Path) -> None:
    def shift(rows: list[list[str]]) -> None:
        lon = np.array([float(r[6]) for r in rows])
        lat = np.array([float(r[7]) for r in rows])
        glon, glat = gcj_forward(lon, lat)
        for r, x, y in zip(rows, glon, glat, strict=True):
            r[6], r[7] = f"{x:.6f}", f"{y:.6f}"

    edit_csv(f, shift)


@case(
    "gcj02_boundary",
    "a boundary digitised on a Gaode basemap (GCJ-02) over CGCS2000 candidates: warning",
    command="validate",
    exit_code=0,
    fragments=("OK:", "warning:", "boundary.geojson", "GCJ-02"),
)
def _gcj_boundary(f: Path) -> None:
    ring = np.array(box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D).exterior.coords)
    x, y = gcj_forward(ring[:, 0], ring[:, 1])
    (f / "boundary.geojson").write_text(
        feature_collection([feature({"id": "B1"}, Polygon(np.column_stack([x, y])))]), encoding="utf-8"
    )


@case(
    "gcj02_candidates_declared",
    "the same GCJ-02 candidates declared per input (inputs.coordinates table): converted, no mismatch left",
    command="validate",
    exit_code=0,
    overrides=('inputs.coordinates={ candidates = "gcj02" }',),
    fragments=("OK:", "inputs.coordinates: candidates converted from GCJ-02 to CGCS2000"),
)
def _gcj_cands_declared(f: Path) -> None:
    _gcj_cands(f)


@case(
    "coordinates_table_unknown_input",
    "a misspelt input name in the inputs.coordinates table",
    command="validate",
    overrides=('inputs.coordinates={ boundry = "gcj02" }',),
    fragments=("[inputs.coordinates]", "unknown input 'boundry'", 'boundary = "gcj02", candidates = "cgcs2000"'),
)
def _coord_key(f: Path) -> None:
    pass


@case(
    "coordinates_table_bad_datum",
    "a datum the planner does not know (Baidu's BD-09) in the table",
    command="validate",
    overrides=('inputs.coordinates={ candidates = "bd09" }',),
    fragments=("[inputs.coordinates]", "unknown datum 'bd09' for candidates", '"gcj02"'),
)
def _coord_datum(f: Path) -> None:
    pass


# --- tables


@case(
    "gbk_csv_chinese_headers",
    "a GBK CSV from Excel with 编号/类型/经度/纬度 and Chinese types: must work",
    exit_code=0,
    engine=True,
    fragments=("sites selected", "report:"),
)
def _gbk(f: Path) -> None:
    def chinese(rows: list[list[str]]) -> None:
        for r in rows:
            r[1] = {"street_lamp": "路灯杆", "tower": "铁塔"}[r[1]]

    edit_csv(f, chinese, header=["编号", "类型", "名称", "挂高", "费用", "状态", "经度", "纬度"])
    data = (f / "candidates.csv").read_text(encoding="utf-8")
    (f / "candidates.csv").write_bytes(data.encode("gbk"))


@case(
    "xlsx_title_row",
    "an XLSX with a merged-style title row above the header: must work",
    exit_code=0,
    engine=True,
    fragments=("sites selected", "report:"),
)
def _xlsx(f: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["光谷片区 5G 站址候选表（2026 年 11 月）"])
    ws.append([*CSV_HEADER, "lon", "lat"])
    for r in candidate_rows():
        ws.append([r[0], r[1], r[2], float(r[3]), float(r[4]), r[5] or None, float(r[6]), float(r[7])])
    wb.save(f / "candidates.xlsx")
    (f / "candidates.csv").unlink()
    set_input(f, "candidates", "candidates.xlsx")


@case(
    "excel_unicode_text",
    "Excel's 'Unicode text' export: UTF-16, tab-separated, Chinese headers: must work",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates"),
)
def _utf16(f: Path) -> None:
    rows = candidate_rows()
    text = (
        "\r\n".join("\t".join(r) for r in [["编号", "类型", "名称", "挂高", "费用", "状态", "经度", "纬度"], *rows])
        + "\r\n"
    )
    (f / "candidates.txt").write_bytes(text.encode("utf-16"))
    (f / "candidates.csv").unlink()
    set_input(f, "candidates", "candidates.txt")


@case(
    "csv_metres_in_lonlat_columns",
    "Gauss-Krüger metres pasted into the lon/lat columns",
    fragments=("candidates.csv", "look like metres", "decimal degrees", "EPSG:4547"),
)
def _csv_metres(f: Path) -> None:
    metric = candidates_frame().to_crs("EPSG:4547")

    def to_metres(rows: list[list[str]]) -> None:
        for r, g in zip(rows, metric.geometry, strict=True):
            r[6], r[7] = f"{g.x:.2f}", f"{g.y:.2f}"

    edit_csv(f, to_metres)


@case("corrupt_xlsx", "a CSV renamed to .xlsx", fragments=("candidates.xlsx", "cannot read the table", "save it again"))
def _corrupt_xlsx(f: Path) -> None:
    (f / "candidates.csv").rename(f / "candidates.xlsx")
    set_input(f, "candidates", "candidates.xlsx")


@case(
    "duplicate_ids",
    "the same id on two rows",
    fragments=("candidates.csv", "duplicate ids: L0003 (rows 5, 9)", "make every `id` unique"),
)
def _dup(f: Path) -> None:
    def dup(rows: list[list[str]]) -> None:
        rows[7][0] = "L0003"

    edit_csv(f, dup)


@case("missing_type_column", "no type column at all", fragments=("candidates.csv", "no `type` column", "street_lamp"))
def _no_type(f: Path) -> None:
    rows = [r[:1] + r[2:] for r in candidate_rows()]
    write_csv(f / "candidates.csv", ["id", "name", "height_m", "cost", "status", "lon", "lat"], rows)


@case(
    "unknown_type",
    "a type nobody knows (灯杆 is not a listed alias)",
    fragments=("candidates.csv", "unknown type '灯杆'", "row 5", "路灯杆"),
)
def _unknown_type(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[3][1] = "灯杆"

    edit_csv(f, bad)


@case("empty_type_cell", "a row whose type cell is empty", fragments=("candidates.csv", "missing type", "row 11"))
def _empty_type(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[9][1] = ""

    edit_csv(f, bad)


@case(
    "nan_height",
    "heights left empty or NaN: the type default is used, with a warning",
    command="validate",
    exit_code=0,
    fragments=("OK:", "warning:", "have no height_m", "feature 'L0001' (row 3)", "the type default was used"),
)
def _nan_height(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[1][3] = "NaN"
        rows[2][3] = ""

    edit_csv(f, bad)


@case(
    "negative_height",
    "a negative antenna height",
    fragments=("candidates.csv", "height_m -5 m is out of range", "'L0002'", "above 0"),
)
def _neg_height(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[2][3] = "-5"

    edit_csv(f, bad)


@case(
    "absurd_height",
    "a height of 300 m (a typo for 30)",
    fragments=("candidates.csv", "height_m 300 m is out of range", "'T001'", "at most 150 m"),
)
def _absurd_height(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[36][3] = "300"

    edit_csv(f, bad)


@case(
    "non_numeric_cost",
    "costs written in words",
    fragments=("candidates.csv", "cost '八万' is not a number", "'L0004'", "万元"),
)
def _cost(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[4][4] = "八万"

    edit_csv(f, bad)


@case(
    "dms_coordinates",
    "coordinates in degrees-minutes-seconds",
    fragments=("candidates.csv", "row 3", "not decimal degrees", "convert DMS"),
)
def _dms(f: Path) -> None:
    def bad(rows: list[list[str]]) -> None:
        rows[1][6] = "114°23′52″"

    edit_csv(f, bad)


# --- geometry


@case(
    "self_intersecting_area",
    "a bow-tie priority area: repaired with make_valid, run succeeds with a warning",
    exit_code=0,
    engine=True,
    fragments=("sites selected", "warning:", "priority_areas.geojson", "'A1'", "make_valid"),
)
def _bowtie(f: Path) -> None:
    x0, y0, e = LON0, LAT0, 0.0015
    bowtie = Polygon([(x0 - e, y0 - e), (x0 + e, y0 + e), (x0 + e, y0 - e), (x0 - e, y0 + e), (x0 - e, y0 - e)])
    areas = base_areas()
    areas[0] = (areas[0][0], bowtie)
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


@case(
    "self_intersecting_boundary",
    "a bow-tie in the boundary: repaired, with a warning naming the feature",
    command="validate",
    exit_code=0,
    fragments=("OK:", "warning:", "boundary.geojson", "'B1'", "make_valid"),
)
def _bowtie_boundary(f: Path) -> None:
    ring = [
        (LON0 - D, LAT0 - D),
        (LON0 + D, LAT0 - D),
        (LON0 - D, LAT0 + D),
        (LON0 + D, LAT0 + D),
        (LON0 - D, LAT0 - D),
    ]
    (f / "boundary.geojson").write_text(feature_collection([feature({"id": "B1"}, Polygon(ring))]), encoding="utf-8")


@case(
    "area_outside_boundary",
    "a priority area drawn in the neighbouring district",
    fragments=("priority_areas.geojson", "priority areas outside the boundary", "邻区公园", "move them inside"),
)
def _outside(f: Path) -> None:
    areas = base_areas()
    areas.append(
        ({"id": "A3", "name": "邻区公园", "class": "park"}, box(LON0 + 0.006, LAT0, LON0 + 0.008, LAT0 + 0.002))
    )
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


@case(
    "boundary_as_lines",
    "the boundary exported as its outline (a line), not a polygon",
    fragments=("boundary.geojson", "the boundary must be polygons", "LineString", "polygon layer"),
)
def _boundary_line(f: Path) -> None:
    line = LineString(box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D).exterior.coords)
    (f / "boundary.geojson").write_text(feature_collection([feature({"id": "B1"}, line)]), encoding="utf-8")


@case(
    "area_target_above_1_in_file",
    "a per-feature target of 120 (percent) in the areas file",
    fragments=("priority_areas.geojson", "target 120 is out of range", "'A1'", "fractions 0–1"),
)
def _area_target(f: Path) -> None:
    areas = base_areas()
    areas[0][0]["target"] = 120
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


# --- terrain


@case(
    "dem_missing",
    "inputs.dem names a file that is not there",
    fragments=("dem.tif", "dem file not found", "inputs.dem"),
)
def _dem_missing(f: Path) -> None:
    set_input(f, "dem", "dem.tif")


@case(
    "dem_not_a_raster",
    "a DEM that is not a raster (an HTML error page saved as .tif)",
    fragments=("dem.tif", "cannot open the DEM as a raster", "GeoTIFF"),
)
def _dem_junk(f: Path) -> None:
    (f / "dem.tif").write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    set_input(f, "dem", "dem.tif")


@case(
    "dem_without_crs",
    "a DEM with no CRS",
    fragments=("dem.tif", "the DEM has no coordinate reference system", "assign its CRS"),
)
def _dem_nocrs(f: Path) -> None:
    write_dem(f / "dem.tif", LON0 - 0.01, LAT0 + 0.01, 80, 80, 0.00025, crs=None)
    set_input(f, "dem", "dem.tif")


@case(
    "dem_not_covering",
    "a DEM of the next district (10 km away)",
    fragments=("dem.tif", "does not cover the planning area", "covers the boundary"),
)
def _dem_far(f: Path) -> None:
    write_dem(f / "dem.tif", LON0 + 0.1, LAT0 + 0.01, 80, 80, 0.00025)
    set_input(f, "dem", "dem.tif")


@case(
    "dem_nodata_holes",
    "a DEM with a nodata hole over the area: the run works and says so",
    exit_code=0,
    engine=True,
    fragments=("sites selected", "warning:", "dem.tif", "nodata holes"),
)
def _dem_holes(f: Path) -> None:
    write_dem(f / "dem.tif", LON0 - 0.01, LAT0 + 0.01, 80, 80, 0.00025, hole=True)
    set_input(f, "dem", "dem.tif")


@case(
    "dem_mostly_nodata",
    "a DEM that is nodata over most of the area (wrong nodata value on export)",
    fragments=("dem.tif", "heights for only", "nodata value"),
)
def _dem_mostly_nodata(f: Path) -> None:
    write_dem(f / "dem.tif", LON0 - 0.01, LAT0 + 0.01, 80, 80, 0.00025, mostly_nodata=True)
    set_input(f, "dem", "dem.tif")


@case(
    "dem_partly_covering",
    "a DEM clipped to three quarters of the area: usable, with a warning",
    command="validate",
    exit_code=0,
    fragments=("OK:", "warning:", "dem.tif", "covers only", "nearest DEM height"),
)
def _dem_partial(f: Path) -> None:
    write_dem(f / "dem.tif", LON0 - 0.01, LAT0 + 0.01, 50, 80, 0.00025)  # ends 0.0025° short of the east edge
    set_input(f, "dem", "dem.tif")


# --- output folder


@case(
    "out_is_a_file",
    "--out names an existing file: refused before any work",
    extra={"out_is_file": True},
    fragments=("the output path exists and is a file", "choose a folder name with --out"),
)
def _out_file(f: Path) -> None:
    nothing(f)


# --- size


@case(
    "huge_grid",
    "a 1 km² box at 2 cm: refused before allocating, with the memory and a resolution that fits",
    overrides=("grid.resolution_m=0.02",),
    fragments=("[grid.resolution_m]", "GiB", "cells", "use resolution_m = 1 or coarser"),
)
def _huge(f: Path) -> None:
    nothing(f)


# --- scenario


@case(
    "unknown_toml_key",
    "a misspelt key",
    fragments=("scenario.toml", "[grid.resolutoin_m]", "unknown key", "check its spelling"),
)
def _unknown_key(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("resolution_m = 25", "resolutoin_m = 25"), encoding="utf-8"
    )


@case(
    "wrong_type",
    "a number written as words",
    fragments=("scenario.toml", "[solver.time_limit_s]", "'ten'", "not a number", "e.g. time_limit_s = 60"),
)
def _wrong_type(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("time_limit_s = 10", 'time_limit_s = "ten"'), encoding="utf-8"
    )


@case(
    "negative_budget",
    "a negative budget given with --set",
    overrides=("objective.kind=max_coverage", "objective.budget=-50"),
    fragments=("[objective.budget]", "greater than or equal to 0", "-50"),
)
def _neg_budget(f: Path) -> None:
    nothing(f)


@case(
    "target_above_1",
    "a class target written as a percentage",
    fragments=("scenario.toml", "[demand.classes.park.target]", "less than or equal to 1"),
)
def _target(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[demand.classes.park]\ntarget = 95\n", encoding="utf-8")


@case(
    "unknown_objective",
    "an objective kind that does not exist",
    overrides=("objective.kind=cheapest",),
    fragments=("[objective.kind]", "'cheapest'", "min_cost"),
)
def _objective(f: Path) -> None:
    nothing(f)


@case(
    "invalid_toml",
    "a TOML syntax error (unclosed string)",
    fragments=("scenario.toml", "invalid TOML", "correct the TOML syntax"),
)
def _toml(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('name = "corpus case"', 'name = "corpus case'), encoding="utf-8"
    )


@case(
    "scenario_not_found",
    "the scenario file name mistyped",
    scenario="scenaro.toml",
    fragments=("scenaro.toml", "scenario file not found"),
)
def _no_scenario(f: Path) -> None:
    nothing(f)


@case(
    "infeasible_target",
    "a -60 dBm threshold no candidate reaches, with on_infeasible = error: exit 3, diagnostics written",
    exit_code=3,
    engine=True,
    overrides=("radio.threshold_dbm=-60", "objective.on_infeasible=error"),
    fragments=("cannot be met", "diagnostics:", "diagnostics.json"),
)
def _infeasible(f: Path) -> None:
    nothing(f)


@case(
    "no_candidates_after_exclusions",
    "a 禁建 zone drawn over the whole district",
    fragments=("exclusions.geojson", "no candidate is left after the exclusions", "`rule`"),
)
def _all_excluded(f: Path) -> None:
    zone = box(LON0 - 2 * D, LAT0 - 2 * D, LON0 + 2 * D, LAT0 + 2 * D)
    (f / "exclusions.geojson").write_text(
        feature_collection([feature({"id": "X1", "rule": "禁建"}, zone)]), encoding="utf-8"
    )
    set_input(f, "exclusions", "exclusions.geojson")


@case(
    "unknown_exclusion_rule",
    "an exclusion rule word the planner does not know",
    fragments=("exclusions.geojson", "unknown rule '禁止'", "'X1'", "forbid"),
)
def _bad_rule(f: Path) -> None:
    zone = box(LON0 - 0.001, LAT0 - 0.001, LON0 + 0.001, LAT0 + 0.001)
    (f / "exclusions.geojson").write_text(
        feature_collection([feature({"id": "X1", "rule": "禁止"}, zone)]), encoding="utf-8"
    )
    set_input(f, "exclusions", "exclusions.geojson")


@case(
    "three_problems",
    "three problems in three files: validate lists all three at once",
    command="validate",
    fragments=(
        "3 problems found",
        "candidates.csv",
        "duplicate ids: L0003",
        "priority_areas.geojson",
        "unknown class '机场区'",
        "exclusions.geojson",
        "unknown rule 'maybe'",
    ),
)
def _three(f: Path) -> None:
    _dup(f)
    areas = base_areas()
    areas[1][0]["class"] = "机场区"
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")
    zone = box(LON0 - 0.001, LAT0 - 0.001, LON0 + 0.001, LAT0 + 0.001)
    (f / "exclusions.geojson").write_text(
        feature_collection([feature({"id": "X1", "rule": "maybe"}, zone)]), encoding="utf-8"
    )
    set_input(f, "exclusions", "exclusions.geojson")


def _row_kinds(f: Path) -> None:
    """Five rows of candidates.csv broken five ways, and one class of priority_areas.geojson."""

    def broken(rows: list[list[str]]) -> None:
        rows[3][6], rows[3][7] = rows[3][7], rows[3][6]  # L0003: lat, lon swapped
        rows[5][4] = "-3"  # L0005: negative cost
        rows[7][1] = "spaceship"  # L0007: unknown type
        rows[9][0] = "L0008"  # a second L0008
        rows[11][6] = "abc"  # L0011: unreadable longitude

    edit_csv(f, broken)
    areas = base_areas()
    areas[1][0]["class"] = "机场区"
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


ROW_KINDS = (
    "6 problems found in 2 files",
    "candidates.csv: 5 problems",
    "priority_areas.geojson: 1 problem",
    "row 13 (id 'L0011'): coordinates 'abc'",
    "look swapped at feature 'L0003' (row 5)",
    "feature 'L0005' (row 7): cost -3 万元 is out of range",
    "feature 'L0007' (row 9): unknown type 'spaceship'",
    "duplicate ids: L0008 (rows 10, 11)",
    "feature 'A2' (row 2): unknown class '机场区'",
)


@case(
    "row_problems_one_pass",
    "rows broken five ways (coordinates unreadable or swapped, negative cost, unknown type, "
    "duplicate id) and a second broken file: one validate lists all six, grouped by file",
    command="validate",
    fragments=ROW_KINDS,
)
def _rows_validate(f: Path) -> None:
    _row_kinds(f)


@case(
    "row_problems_one_pass_run",
    "the same through `planner run`: its input stage lists all six before computing",
    fragments=ROW_KINDS,
)
def _rows_run(f: Path) -> None:
    _row_kinds(f)


# --- realistic inputs from other offices (red team, Hankou): unusual but good ones must work, bad ones be named


def write_gpkg_layers(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG")


@case(
    "gpkg_two_layers",
    "a project GeoPackage with an old and a current pole layer: refused, never guessed",
    fragments=(
        "candidates.gpkg",
        "holds 2 layers",
        "old_poles (5 Point)",
        "poles (38 Point)",
        "candidates.gpkg|layername=poles",
    ),
)
def _two_layers(f: Path) -> None:
    c = candidates_frame()
    write_gpkg_layers(f / "candidates.gpkg", {"old_poles": c.iloc[:5], "poles": c})
    set_input(f, "candidates", "candidates.gpkg")


@case(
    "gpkg_layer_named",
    "the layer picked with QGIS's `file.gpkg|layername=poles`: works",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates"),
)
def _layer_named(f: Path) -> None:
    _two_layers(f)
    set_input(f, "candidates", "candidates.gpkg|layername=poles")


@case(
    "shapefile_gbk_without_cpg",
    "a Chinese-GIS shapefile in GBK whose .cpg was not copied: read as GBK, with a warning",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates", "warning:", "candidates.shp", "no .cpg", "GBK"),
)
def _shp_gbk(f: Path) -> None:
    c = candidates_frame().rename(columns={"id": "编号", "type": "类型", "name": "名称"})
    c["类型"] = c["类型"].map({"street_lamp": "路灯杆", "tower": "铁塔"})
    c.to_file(f / "candidates.shp", encoding="gbk")
    (f / "candidates.cpg").unlink()
    set_input(f, "candidates", "candidates.shp")


@case(
    "shapefile_cut_utf8_field_name",
    "a UTF-8 shapefile whose Chinese field name was cut at 10 bytes mid-character",
    fragments=("candidates.shp", "cut mid-character", "GeoPackage"),
)
def _shp_cut(f: Path) -> None:
    import warnings

    c = candidates_frame()
    c["产权单位"] = "路灯所"  # 12 bytes in UTF-8: the .dbf keeps 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c.to_file(f / "candidates.shp", encoding="utf-8")
    set_input(f, "candidates", "candidates.shp")


@case(
    "csv_one_row_swapped",
    "one row with lat and lon swapped among good rows: the row is named",
    fragments=(
        "candidates.csv",
        "look swapped at feature 'L0007' (row 9)",
        "the other rows are fine",
        "swap the two values",
    ),
)
def _one_swapped(f: Path) -> None:
    def swap(rows: list[list[str]]) -> None:
        rows[7][6], rows[7][7] = rows[7][7], rows[7][6]

    edit_csv(f, swap)


@case(
    "csv_numbers_as_text",
    "an office table: 挂高(m) with '10m'/'10 米', full-width digits, 费用（万元） '8万元', "
    "经度（°） with a degree sign, E/N prefixes, 'ID'/'Type' headers, 'Street Lamp': works",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates"),
)
def _text_numbers(f: Path) -> None:
    def office(rows: list[list[str]]) -> None:
        for k, r in enumerate(rows):
            r[1] = {"street_lamp": "Street Lamp", "tower": "Tower"}[r[1]]
            r[3] = (f"{r[3]}m", f"{r[3]} 米", r[3].translate(str.maketrans("0123456789", "０１２３４５６７８９")))[
                k % 3
            ]
            r[4] = f"{r[4]}万元"
            r[6] = f"{r[6]}°" if k % 2 else f"E{r[6]}"
            r[7] = f"N{r[7]}" if k % 2 else f"{r[7]}°"

    edit_csv(f, office, header=["ID", "Type", "Name", "挂高(m)", "费用（万元）", "Status", "经度（°）", "纬度（°）"])


@case(
    "csv_decimal_commas",
    "a semicolon CSV from a European-locale Excel: decimal commas in coordinates and heights: works",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates"),
)
def _decimal_commas(f: Path) -> None:
    rows = candidate_rows()
    for r in rows:
        r[3] = r[3] + ",5"
        r[6], r[7] = r[6].replace(".", ","), r[7].replace(".", ",")
    text = "\n".join(";".join(r) for r in [[*CSV_HEADER, "lon", "lat"], *rows]) + "\n"
    (f / "candidates.csv").write_text(text, encoding="utf-8")


@case(
    "csv_total_row",
    "a 合计 (total) line below the table: the row is named as having no coordinates",
    fragments=("candidates.csv", "row 40", "no coordinates", "'合计'", "delete the row"),
)
def _total_row(f: Path) -> None:
    text = (f / "candidates.csv").read_text(encoding="utf-8") + "合计,,,,,,,\n"
    (f / "candidates.csv").write_text(text, encoding="utf-8")


@case(
    "candidate_empty_geometry",
    "a GeoPackage point whose geometry is empty: named as having no location",
    fragments=("candidates.gpkg", "without a location", "'L0003'"),
)
def _empty_point(f: Path) -> None:
    c = candidates_frame()
    c.loc[3, "geometry"] = Point()
    c.to_file(f / "candidates.gpkg", driver="GPKG")
    set_input(f, "candidates", "candidates.gpkg")


@case(
    "xlsx_notes_sheet_first",
    "a workbook whose first sheet is 说明 (notes): the sheet with lon/lat is used",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates"),
)
def _notes_sheet(f: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["本表为光谷片区候选杆址，坐标为 CGCS2000"])
    ws = wb.create_sheet("杆址")
    ws.append([*CSV_HEADER, "lon", "lat"])
    for r in candidate_rows():
        ws.append([r[0], r[1], r[2], float(r[3]), float(r[4]), r[5] or None, float(r[6]), float(r[7])])
    wb.save(f / "candidates.xlsx")
    set_input(f, "candidates", "candidates.xlsx")


@case(
    "area_target_percent_text",
    "per-area targets written '95%' and '90 %': read as 0.95 and 0.90",
    command="validate",
    exit_code=0,
    fragments=("OK:", "2 priority areas"),
)
def _target_pct(f: Path) -> None:
    areas = base_areas()
    areas[0][0]["target"] = "95%"
    areas[1][0]["target"] = "90 %"
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


@case(
    "area_target_word",
    "a per-area target written in words: refused (it used to become the class default silently)",
    fragments=("priority_areas.geojson", "target '高' is not a number", "'A1'", "95%"),
)
def _target_word(f: Path) -> None:
    areas = base_areas()
    areas[0][0]["target"] = "高"
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


@case(
    "area_k_fraction",
    "k = 1.5 in the areas file: refused (it used to be rounded silently)",
    fragments=("priority_areas.geojson", "k 1.5 is not a whole number", "'A2'"),
)
def _k_frac(f: Path) -> None:
    areas = base_areas()
    areas[1][0]["k"] = 1.5
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


@case(
    "area_missing_class",
    "an area whose class cell is empty: 'missing class', not '<NA>'",
    fragments=("priority_areas.geojson", "'A2'", "missing class", "公园"),
)
def _no_class(f: Path) -> None:
    areas = base_areas()
    areas[1][0]["class"] = None
    (f / "priority_areas.geojson").write_text(feature_collection([feature(p, g) for p, g in areas]), encoding="utf-8")


@case(
    "exclusion_rule_variants",
    "exclusions with a 规则 column and 禁建区/限建区 values: works",
    command="validate",
    exit_code=0,
    fragments=("OK:", "excluded by 禁建/限建 zones"),
)
def _rule_variants(f: Path) -> None:
    z1 = box(LON0 - 0.001, LAT0 - 0.001, LON0 + 0.001, LAT0 + 0.001)
    z2 = box(LON0 + 0.002, LAT0 - 0.004, LON0 + 0.004, LAT0 - 0.002)
    (f / "exclusions.geojson").write_text(
        feature_collection(
            [feature({"编号": "X1", "规则": "禁建区"}, z1), feature({"编号": "X2", "规则": "限建区"}, z2)]
        ),
        encoding="utf-8",
    )
    set_input(f, "exclusions", "exclusions.geojson")


@case(
    "exclusion_points",
    "禁建 zones given as points: refused (a point excludes nothing)",
    fragments=("exclusions.geojson", "must be polygons", "Point", "'X1'", "buffer"),
)
def _ex_points(f: Path) -> None:
    (f / "exclusions.geojson").write_text(
        feature_collection([feature({"id": "X1", "rule": "forbid"}, Point(LON0, LAT0))]), encoding="utf-8"
    )
    set_input(f, "exclusions", "exclusions.geojson")


def _buildings(props: list[dict[str, object]]) -> str:
    return feature_collection(
        [
            feature({"id": f"B{i}", **p}, box(LON0 + i * 0.0004, LAT0, LON0 + i * 0.0004 + 0.0002, LAT0 + 0.0002))
            for i, p in enumerate(props)
        ]
    )


@case(
    "buildings_bad_heights",
    "building heights that are negative or text: refused (they used to become 10 m silently)",
    fragments=("buildings.geojson", "height_m must be a number", "'B0'", "-5", "'B2'", "abc"),
)
def _bad_buildings(f: Path) -> None:
    (f / "buildings.geojson").write_text(
        _buildings([{"height_m": -5}, {"height_m": 20}, {"height_m": "abc"}]), encoding="utf-8"
    )
    set_input(f, "buildings", "buildings.geojson")


@case(
    "buildings_chinese_columns",
    "buildings with 高度 '30m' and 层数: read as height_m and levels",
    command="validate",
    exit_code=0,
    fragments=("OK:",),
)
def _cn_buildings(f: Path) -> None:
    (f / "buildings.geojson").write_text(
        _buildings([{"高度": "30m", "层数": 10}, {"层数": 6}, {"高度": 12}]), encoding="utf-8"
    )
    set_input(f, "buildings", "buildings.geojson")


@case(
    "dem_nodata_unset",
    "a DEM whose -9999 fill has no nodata tag: refused with the value to declare",
    fragments=("dem.tif", "impossible heights", "-9999", "nodata"),
)
def _dem_nodata_unset(f: Path) -> None:
    import rasterio
    from affine import Affine

    data = np.full((80, 80), 30.0, dtype=np.float32)
    data[:, 40:] = -9999.0
    with rasterio.open(
        f / "dem.tif",
        "w",
        driver="GTiff",
        width=80,
        height=80,
        count=1,
        dtype="float32",
        crs="EPSG:4490",
        transform=Affine(0.00025, 0.0, LON0 - 0.01, 0.0, -0.00025, LAT0 + 0.01),
    ) as dst:
        dst.write(data, 1)
    set_input(f, "dem", "dem.tif")


@case(
    "boundary_3d",
    "a boundary exported with Z values (CAD/survey): the whole run works (the KML export used to crash)",
    exit_code=0,
    engine=True,
    fragments=("sites selected", "report:"),
)
def _boundary_3d(f: Path) -> None:
    ring = [(x, y, 25.0) for x, y in box(LON0 - D, LAT0 - D, LON0 + D, LAT0 + D).exterior.coords]
    (f / "boundary.geojson").write_text(feature_collection([feature({"id": "B1"}, Polygon(ring))]), encoding="utf-8")


@case(
    "boundary_null_feature",
    "a boundary layer with an extra feature without geometry: ignored, with a warning naming it",
    command="validate",
    exit_code=0,
    fragments=("OK:", "warning:", "boundary.geojson", "'B2'", "without geometry ignored"),
)
def _boundary_null(f: Path) -> None:
    fc = json.loads((f / "boundary.geojson").read_text(encoding="utf-8"))
    fc["features"].append({"type": "Feature", "properties": {"id": "B2"}, "geometry": None})
    (f / "boundary.geojson").write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")


@case(
    "toml_with_bom",
    "a scenario saved by Windows Notepad as 'UTF-8 with BOM': works",
    command="validate",
    exit_code=0,
    fragments=("OK:",),
)
def _bom(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


@case(
    "toml_windows_relative_path",
    r"an input written as 'data\candidates.csv' (Windows separators): works on Linux too",
    command="validate",
    exit_code=0,
    fragments=("OK:", "38 candidates"),
)
def _win_rel(f: Path) -> None:
    (f / "数据").mkdir()
    (f / "candidates.csv").rename(f / "数据" / "candidates.csv")
    path = f / "scenario.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'candidates = "candidates.csv"', "candidates = '数据\\candidates.csv'"
        ),
        encoding="utf-8",
    )


@case(
    "toml_windows_drive_path",
    r"an input on a Windows drive (D:\规划\...): refused with the fix",
    fragments=("scenario.toml", "[inputs.candidates]", "Windows drive", "relative to it"),
)
def _win_abs(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'candidates = "candidates.csv"', "candidates = 'D:\\规划\\candidates.csv'"
        ),
        encoding="utf-8",
    )


@case(
    "toml_empty_path",
    "boundary = \"\": named as an empty path, not 'a folder'",
    fragments=("scenario.toml", "[inputs.boundary]", "empty path"),
)
def _empty_path(f: Path) -> None:
    set_input(f, "boundary", "")


@case(
    "toml_chinese_key",
    "[demand.classes.公园] (a Chinese bare key): the TOML error says keys are English names",
    fragments=("scenario.toml", "invalid TOML", "[demand.classes.park]"),
)
def _cn_key(f: Path) -> None:
    path = f / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[demand.classes.公园]\ntarget = 0.9\n", encoding="utf-8")


def _register_hostile() -> None:
    """The hostile-input cases (issue 11) live beside this file in ``hostile_cases.py``; they register here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{__name__}_hostile", Path(__file__).with_name("hostile_cases.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.register(sys.modules[__name__])
    module.register_more(sys.modules[__name__])


_register_hostile()


def build(c: Case, folder: Path) -> Path:
    """Write the base folder and break it as case ``c`` says; returns the scenario path."""
    write_base(folder)
    c.build(folder)
    return folder / c.scenario


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    out = Path(argv[0])
    wanted = set(argv[1:])
    for c in CASES:
        if wanted and c.name not in wanted:
            continue
        folder = out / c.name
        build(c, folder)
        info = {k: v for k, v in asdict(c).items() if k != "build"}
        (folder / "expected.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"{c.name:32s} {c.command:8s} exit {c.exit_code}  {c.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
