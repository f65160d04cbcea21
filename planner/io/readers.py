"""Readers for the user's input files.

Every reader returns data in CGCS2000 geographic coordinates (EPSG:4490) or raises
:class:`~planner.errors.InputDataError` naming the file, the row or feature, and the fix.
Tables (CSV/XLSX) may be UTF-8 or GBK/GB18030 and may carry a title row above the header.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from planner._paths import require_regular_file
from planner._text import FORMULA_HINT, header_key, parse_numbers, strip_control_chars
from planner._validate import check_plausible_lonlat, feature_label, file_row, guess_projected_crs
from planner.errors import EmptyLayerError, InputDataError, Problem
from planner.io import _header
from planner.io._checks import legacy_datum_note
from planner.io._dbf import declared_encoding, gbk_records_under_utf8, refuse_web_page, utf8_field_names
from planner.io._dem import (  # noqa: F401 (re-exported)
    DEM_SAMPLE_PIXELS,
    MAX_HEIGHT_M,
    MIN_DEM_COVER,
    MIN_HEIGHT_M,
    inspect_dem,
)
from planner.io._header import LAT_NAMES, LON_NAMES, has_lonlat, header_row, refuse_repeated_headers, two_row_header
from planner.io._xlsx import fill_uncached_formulas

log = logging.getLogger(__name__)

GEOGRAPHIC = "EPSG:4490"
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}
#: ``file.gpkg|layername=poles`` picks one layer of a multi-layer file (QGIS data-source syntax;
#: also a sheet of an XLSX workbook)
LAYER_SEP = "|layername="


def split_layer(path: Path | str) -> tuple[Path, str | None]:
    """``(file, layer)`` of an input path written as ``file|layername=LAYER`` (layer None otherwise)."""
    text = str(path)
    if LAYER_SEP in text:
        file, _, layer = text.partition(LAYER_SEP)
        return Path(file), layer.strip() or None
    return Path(text), None


def _require_file(path: Path, what: str) -> None:
    require_regular_file(path, what)  # FIFOs, devices, folders, symlink loops: refused before opening


def _csv_frame(text: str) -> pd.DataFrame:
    """Rows of a delimited text (comma, tab, semicolon or 、), ragged rows padded."""
    import csv
    import io

    lines = [ln for ln in text.splitlines() if ln.strip()][:20]
    counts = {d: sum(ln.count(d) for ln in lines) for d in (",", "\t", ";", "，")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    rows: list[list[str]] = []
    starts: list[int] = []  # the row Excel/WPS shows each record in (a blank line is a row, a quoted line break is not)
    for number, r in enumerate(csv.reader(io.StringIO(text), delimiter=delim), start=1):
        if any(c.strip() for c in r):
            rows.append(r)
            starts.append(number)
    width = max((len(r) for r in rows), default=0)
    padded = [[c if c.strip() != "" else None for c in r] + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(padded, dtype=object, index=pd.Index(starts, dtype="int64"))


def _read_workbook(path: Path, sheet: str | None) -> pd.DataFrame:
    """The sheet of an XLSX workbook that holds the table.

    With ``sheet`` (``file.xlsx|layername=SHEET``) that sheet; else the only sheet, or the
    only one with lon/lat headers (a workbook often starts with a 说明 sheet).
    """
    sheets = pd.read_excel(path, header=None, dtype=str, engine="openpyxl", sheet_name=None)
    name = _pick_sheet(path, sheet, sheets)
    frame, notes = fill_uncached_formulas(path, name, sheets[name])
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # the sheet's row numbers (leading empty rows are kept)
    frame.attrs["read_notes"] = notes
    return frame


def _pick_sheet(path: Path, sheet: str | None, sheets: dict[str, pd.DataFrame]) -> str:
    """The name of the sheet :func:`_read_workbook` reads (see there)."""
    names = list(sheets)
    if sheet is not None:
        if sheet not in sheets:
            raise InputDataError(
                Problem(
                    f"the workbook has no sheet {sheet!r} (sheets: {', '.join(names)})",
                    str(path),
                    fix=f"write the sheet name after {LAYER_SEP} exactly as Excel shows it",
                )
            )
        return sheet
    if len(names) == 1:
        return names[0]
    with_lonlat = [n for n in names if has_lonlat(sheets[n], header_row(sheets[n]))]
    if len(with_lonlat) == 1:
        return with_lonlat[0]
    if not with_lonlat:
        return names[0]
    raise InputDataError(
        Problem(
            f"the workbook has {len(with_lonlat)} sheets with lon/lat columns ({', '.join(with_lonlat)}); which one "
            "to plan with is ambiguous",
            str(path),
            fix=f'name the sheet in the scenario, e.g. candidates = "{path.name}{LAYER_SEP}{with_lonlat[0]}", '
            "or keep one sheet in the workbook",
        )
    )


def read_table(path: Path, what: str) -> pd.DataFrame:
    """Read a CSV (UTF-8 or GBK) or XLSX table, skipping title rows above the header.

    The header is the first row (within the first 10) that has a column named like an id,
    longitude or latitude. ``path`` may name a sheet: ``table.xlsx|layername=SHEET``.
    """
    path, sheet = split_layer(path)
    _require_file(path, what)
    suffix = path.suffix.lower()
    refuse_web_page(path, "open it in Excel or WPS and save it as .xlsx (a web system's 导出Excel often saves HTML)")
    raw: pd.DataFrame | None = None
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            if path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                raise InputDataError(
                    Problem(
                        "this is an old Excel 97–2003 (.xls) workbook, which cannot be read",
                        str(path),
                        fix="open it in Excel or WPS and save it as .xlsx (or as UTF-8 .csv)",
                    )
                )
            raw = _read_workbook(path, sheet)
        else:
            data = path.read_bytes()
            text = None
            # Excel's "Unicode text" export is UTF-16 with a BOM (tab-separated)
            encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
            head = data[:2000]
            if (
                encodings != ("utf-16",) and head.count(0) > len(head) // 4
            ):  # UTF-16 without a BOM: every other byte is NUL
                encodings = ("utf-16-le",) if head[1::2].count(0) > head[0::2].count(0) else ("utf-16-be",)
            for enc in encodings:
                try:
                    text = data.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            if text is None:
                raise InputDataError(
                    Problem(
                        "cannot decode the text (tried UTF-8, GBK/GB18030 and UTF-16)",
                        str(path),
                        fix="save the CSV as UTF-8",
                    )
                )
            raw = _csv_frame(text)
    except InputDataError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many types for corrupt files
        raise InputDataError(
            Problem(
                f"cannot read the table ({type(exc).__name__}: {exc})",
                str(path),
                fix="open it in Excel and save it again as .xlsx or UTF-8 .csv",
            )
        ) from None
    assert raw is not None
    if raw.empty:
        raise InputDataError(Problem("the table is empty", str(path), fix="add a header row and one row per feature"))
    first = header_row(raw) or 0
    last = two_row_header(raw, first)
    upper, lower = raw.iloc[first].tolist(), raw.iloc[last].tolist()
    names = [lo if isinstance(lo, str) and lo.strip() else up for up, lo in zip(upper, lower, strict=True)]
    header = [str(v).strip() if isinstance(v, str) else f"column_{j}" for j, v in enumerate(names)]
    refuse_repeated_headers(header, path, int(raw.index[last]))
    df = raw.iloc[last + 1 :]
    df.columns = header
    df = df.dropna(how="all")
    file_rows = tuple(int(i) for i in df.index)  # the file's row of each data row (empty rows are dropped)
    df = df.reset_index(drop=True)
    df.attrs["file_rows"] = file_rows
    df.attrs["header_row"] = last
    df.attrs["read_notes"] = list(raw.attrs.get("read_notes", []))
    return df


def _points_from_table(df: pd.DataFrame, path: Path, what: str, collect_rows: bool = False) -> gpd.GeoDataFrame:
    df = _header.split_combined_lonlat(df, path)  # one "经纬度" column: split when its order is certain
    cols: dict[str, str] = {}
    for c in df.columns:
        cols.setdefault(header_key(c), c)
    lon_col = next((cols[n] for n in LON_NAMES if n in cols), None)
    lat_col = next((cols[n] for n in LAT_NAMES if n in cols), None)
    if lon_col is None or lat_col is None:
        pairs = (("x", "y"), ("x坐标", "y坐标"), ("东坐标", "北坐标"), ("横坐标", "纵坐标"), ("easting", "northing"))
        xy = next(([cols[a], cols[b]] for a, b in pairs if a in cols and b in cols), [])
        hint = (
            f" Columns {' and '.join(xy)} are not read: they may be metres as well as degrees"
            + (" (in Chinese surveying X is the northing and Y the easting)." if "坐标" in "".join(xy) else ".")
            if xy
            else ""
        )
        raise InputDataError(
            Problem(
                f"no longitude/latitude columns (found: {', '.join(map(str, df.columns))}).{hint}",
                str(path),
                fix="name them `lon` and `lat` (or 经度 and 纬度), in decimal degrees CGCS2000"
                + ("; projected X/Y in metres: save the layer as a GeoPackage with its CRS instead" if hint else ""),
            )
        )
    offset = int(df.attrs.get("header_row", 0)) + 2  # 1-based file row of the first data row
    if len(df) == 0:
        raise InputDataError(
            Problem(
                f"the {what} table has a header but no rows", str(path), fix="add one row per feature below the header"
            )
        )
    problems = []
    lon, bad_lon = parse_numbers(df[lon_col], coordinate=True)
    lat, bad_lat = parse_numbers(df[lat_col], coordinate=True)
    bad = ~(np.isfinite(lon.to_numpy(float)) & np.isfinite(lat.to_numpy(float)))  # empty, unreadable, inf
    id_col = next((cols[n] for n in ("id", "编号", "站址编号") if n in cols), None)
    for idx in np.flatnonzero(bad)[:20]:
        raw_lon, raw_lat = df[lon_col].iloc[idx], df[lat_col].iloc[idx]
        where = f"row {file_row(df, int(idx))}" + (
            f" (id {df[id_col].iloc[idx]!r})" if id_col and isinstance(df[id_col].iloc[idx], str) else ""
        )
        if np.isinf(lon.iloc[idx]) or np.isinf(lat.iloc[idx]):
            problems.append(
                Problem(
                    f"coordinates {raw_lon!r}, {raw_lat!r} are not finite numbers",
                    str(path),
                    where,
                    "write decimal degrees such as 114.398, 30.506, or delete the row",
                )
            )
            continue
        if not (bad_lon.iloc[idx] or bad_lat.iloc[idx]):
            first = next((str(v).strip() for v in df.iloc[idx].tolist() if isinstance(v, str) and v.strip()), "")
            problems.append(
                Problem(
                    "no coordinates" + (f" (the row starts with {first!r})" if first else ""),
                    str(path),
                    where,
                    "fill in lon and lat, or delete the row (e.g. a 合计 total line or a note below the table)",
                )
            )
            continue
        formula = any(isinstance(v, str) and v.startswith("=") for v in (raw_lon, raw_lat))
        problems.append(
            Problem(
                f"coordinates {raw_lon!r}, {raw_lat!r} are not decimal degrees"
                + (f" ({FORMULA_HINT})" if formula else ""),
                str(path),
                where,
                "write decimal degrees such as 114.398, 30.506 (convert DMS first)",
            )
        )
    if bad.sum() > 20:
        problems.append(Problem(f"{int(bad.sum()) - 20} more rows without readable coordinates", str(path)))
    if problems and not (collect_rows and not bad.all()):
        raise InputDataError(problems)
    points = gpd.points_from_xy(lon.to_numpy(float), lat.to_numpy(float))
    points[bad] = None  # rows already reported (collect_rows): no location, every other check still runs on them
    gdf = gpd.GeoDataFrame(df.drop(columns=[lon_col, lat_col]), geometry=points, crs=GEOGRAPHIC)
    gdf.attrs["row_offset"] = offset
    if "file_rows" in df.attrs:
        gdf.attrs["file_rows"] = df.attrs["file_rows"]
    gdf.attrs["read_notes"] = list(df.attrs.get("read_notes", []))
    if problems:
        _defer_rows(gdf, problems, np.flatnonzero(bad))
    return gdf


def _defer_rows(gdf: gpd.GeoDataFrame, problems: list[Problem], rows: np.ndarray) -> None:
    """Record row-level problems on the layer instead of raising (``read_vector(..., collect_rows=True)``).

    The rows keep their attributes (so that their other problems are found in the same pass) and
    lose their geometry; ``attrs["row_problems"]`` holds the problems and ``attrs["problem_rows"]``
    the positions of the rows already reported.
    """
    gdf.attrs["row_problems"] = [*gdf.attrs.get("row_problems", []), *problems]
    gdf.attrs["problem_rows"] = sorted({*gdf.attrs.get("problem_rows", []), *(int(i) for i in rows)})


def read_vector(path: Path, what: str, *, collect_rows: bool = False) -> gpd.GeoDataFrame:
    """Read any vector file (GeoPackage, GeoJSON, Shapefile, ...) or a lon/lat table.

    Returns a GeoDataFrame in EPSG:4490. Projected inputs are reprojected; inputs without
    a CRS are refused (except tables, which are lon/lat by contract). Coordinates that
    cannot be what the file declares (metres declared as degrees, degrees declared as
    metres, lon/lat swapped) are refused with the likely fix. The declared CRS is kept in
    ``attrs["source_crs"]`` for later messages.

    With ``collect_rows`` a problem of some rows only (unreadable, non-finite, swapped or
    out-of-range coordinates while other rows are fine) does not raise: those rows come back
    without geometry, their problems in ``attrs["row_problems"]`` and their positions in
    ``attrs["problem_rows"]``, so that the caller can check their other columns in the same
    pass and report everything at once (``planner validate``). Whole-file problems still raise.

    Raises
    ------
    InputDataError
        For anything wrong with the file; never any other exception.
    """
    path = Path(path)
    try:
        raw = _read_vector(path, what, collect_rows)
        # ESC, BEL, NUL ... cannot be written to xlsx/KML: dropped here, with a warning naming the rows
        gdf, notes = strip_control_chars(raw, feature_label, str(split_layer(path)[0]))
        gdf.attrs = {**raw.attrs, "read_notes": [*raw.attrs.get("read_notes", []), *notes]}
        if what == "boundary":
            _refuse_antimeridian(gdf, path)
        return gdf
    except InputDataError:
        raise
    except Exception as exc:  # a reader must never leak a library exception to the user
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InputDataError(
            Problem(
                f"unexpected problem while reading the {what} file ({type(exc).__name__}: {first})",
                str(path),
                fix="open the file in QGIS and export it again as GeoPackage (or UTF-8 CSV for tables); "
                "if QGIS reads it fine, please report this file",
            )
        ) from None


def _refuse_antimeridian(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse a boundary without area, or one wider than 180° of longitude: that crosses the antimeridian (or
    has a stray feature on the far side of the globe), and its lon/lat centre would pick a metric zone near 0°.
    """
    polys = gdf.geometry[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    if len(polys) and not (shapely.area(shapely.make_valid(polys.to_numpy())) > 0).any():
        raise InputDataError(
            Problem(
                "the boundary has no area: its polygons are points, lines or zero-size "
                f"({', '.join(feature_label(gdf, i) for i in range(min(len(gdf), 5)))})",
                str(path),
                fix="export the planning boundary polygon again (it must enclose the area to plan)",
            )
        )
    minx, _, maxx, _ = (float(v) for v in gdf.total_bounds)
    if np.isfinite([minx, maxx]).all() and maxx - minx > 180.0:
        raise InputDataError(
            Problem(
                f"the boundary spans longitudes {minx:.4f}..{maxx:.4f}: it crosses the antimeridian (180°), or one "
                "of its "
                "features lies on the other side of the globe; no single metric zone fits it",
                str(path),
                fix="plan each side of 180° as its own scenario (split the boundary at 180°), or remove the stray "
                    "feature",
            )
        )


def _pick_layer(file: Path, layer: str | None) -> str | None:
    """The layer to read: the one named, or the only (spatial) one; several are refused, never guessed."""
    import pyogrio

    try:
        with warnings.catch_warnings():  # GDAL's per-feature warnings belong to the real read, not the listing
            warnings.simplefilter("ignore", RuntimeWarning)
            listed = [(str(n), g) for n, g in pyogrio.list_layers(file)]
    except Exception:  # unreadable: let read_file give its message
        return layer
    names = [n for n, _ in listed]
    if layer is not None:
        if layer not in names:
            raise InputDataError(
                Problem(
                    f"the file has no layer {layer!r} (layers: {', '.join(names)})",
                    str(file),
                    fix=f"write the layer name after {LAYER_SEP} exactly as your GIS shows it",
                )
            )
        return layer
    spatial = [n for n, g in listed if g is not None]
    if len(listed) <= 1 or len(spatial) == 1:
        return spatial[0] if len(spatial) == 1 and len(listed) > 1 else None
    described, sizes = [], {}
    for n in spatial[:8]:
        try:
            info = pyogrio.read_info(file, layer=n)
            sizes[n] = int(info["features"])
            described.append(f"{n} ({info['features']} {info['geometry_type'] or 'features'})")
        except Exception:
            described.append(n)
    example = max(sizes, key=lambda n: sizes[n]) if sizes else spatial[0]
    raise InputDataError(
        Problem(
            f"the file holds {len(spatial)} layers: {', '.join(described)}{' …' if len(spatial) > 8 else ''}; "
            "which one to use is ambiguous",
            str(file),
            fix=f'name the layer in the scenario, e.g. "{file.name}{LAYER_SEP}{example}", '
            "or save the layer you mean in its own file",
        )
    )


def _shapefile_encoding(file: Path, layer: str | None) -> str | None:
    """The text encoding of a shapefile without a .cpg whose .dbf declares none.

    GDAL then reads the .dbf as Latin-1, which turns Chinese field names and values into
    mojibake (and the `id`/`type` columns disappear). The raw bytes tell: valid UTF-8, else
    GBK/GB18030 (what Chinese ArcGIS/MapGIS/SuperMap exports use). None: leave it to GDAL.
    """
    import pyogrio

    if file.suffix.lower() != ".shp" or any(file.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    try:
        if str(pyogrio.read_info(file, layer=layer).get("encoding", "")).upper() not in {"ISO-8859-1", "LATIN1"}:
            return None  # the .dbf's language driver byte names a code page: GDAL honours it
        dbf = next((file.with_suffix(s) for s in (".dbf", ".DBF") if file.with_suffix(s).exists()), None)
        data = dbf.read_bytes()[32:] if dbf is not None else b""  # field descriptors + records
    except Exception:
        return None
    if not any(byte >= 0x80 for byte in data):
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return None


def _read_vector(path: Path, what: str, collect_rows: bool = False) -> gpd.GeoDataFrame:
    file, layer = split_layer(path)
    _require_file(file, what)
    if file.suffix.lower() in TABLE_SUFFIXES:
        gdf = _points_from_table(read_table(path, what), file, what, collect_rows)
        gdf.attrs["source_crs"] = "lon/lat columns"
        _raise_implausible(gdf, file, what, collect_rows)
        return gdf
    path = file
    layer = _pick_layer(file, layer)
    encoding = _shapefile_encoding(file, layer)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, layer=layer, **({"encoding": encoding} if encoding else {}))
    except UnicodeDecodeError:
        if file.suffix.lower() == ".shp" and gbk_records_under_utf8(file):  # a .cpg that says UTF-8 over GBK values
            gdf = utf8_field_names(gpd.read_file(path, layer=layer, encoding="gb18030"), file)  # names stay UTF-8
            encoding = "gb18030"
            gdf.attrs["cpg_declared"] = declared_encoding(file) or "UTF-8"
        else:
            raise InputDataError(
                Problem(
                    "a field name or value is not valid text in the file's declared encoding; in a shapefile this is "
                    "usually a Chinese field name cut mid-character (.dbf field names hold at most 10 bytes: 3 Chinese "
                    "characters in UTF-8)",
                    str(path),
                    fix="export the layer as GeoPackage instead, or shorten the field names (id, type, height_m, ...)",
                )
            ) from None
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        text = str(exc).splitlines()[0] if str(exc) else ""
        text = text.split("; It might help", 1)[0]  # GDAL's driver-prefix hint means nothing to a planner
        damaged = "malformed" in text or "truncated" in text.lower() or "not a database" in text
        detail = text.rsplit("; ", 1)[-1].strip() if damaged else f"{type(exc).__name__}: {text}"
        refuse_web_page(path)
        raise InputDataError(
            Problem(
                ("the file is damaged or truncated" if damaged else "cannot open as a vector file") + f" ({detail})",
                str(path),
                fix="check the file is a complete GeoPackage, GeoJSON or Shapefile (copy it again, or re-export it "
                    "from your GIS)",
            )
        ) from None
    if gdf.geometry.has_z.any():  # 3D exports (CAD, survey): the plan works in 2D; Z is not an antenna height
        gdf = gdf.set_geometry(shapely.force_2d(gdf.geometry.to_numpy()), crs=gdf.crs)
    if "cpg_declared" in gdf.attrs:
        gdf.attrs["read_notes"] = [
            f"{path}: the shapefile's .cpg file says {gdf.attrs.pop('cpg_declared')} but its text is GBK/GB18030; it "
            "was read as GBK/GB18030 (write GBK in the .cpg file to make this explicit)"
        ]
    elif encoding is not None:
        gdf.attrs["read_notes"] = [
            f"{path}: the shapefile has no .cpg file; its text was read as "
            f"{'UTF-8' if encoding == 'utf-8' else 'GBK/GB18030'} (add a .cpg to make this explicit)"
        ]
    if len(gdf) == 0:
        raise EmptyLayerError(
            Problem(f"the {what} layer is empty (no features)", str(path), fix="export the layer with its features")
        )
    if gdf.crs is None:
        raise InputDataError(
            Problem(
                "the file has no coordinate reference system"
                + (" (the .prj file next to the .shp is missing)" if path.suffix.lower() == ".shp" else ""),
                str(path),
                fix="assign one in your GIS (e.g. EPSG:4490 for CGCS2000 lon/lat, EPSG:4547 for Gauss-Krüger CM 114E)",
            )
        )
    gdf.attrs["row_offset"] = 1
    out = _to_geographic(gdf, path, what)
    _raise_implausible(out, path, what, collect_rows)
    return out


def _raise_implausible(gdf: gpd.GeoDataFrame, path: Path, what: str, collect_rows: bool = False) -> None:
    """Raise for coordinates that cannot be lon/lat; with ``collect_rows``, defer those of some rows only.

    Checked again after each deferral (non-finite rows hide out-of-range ones: the check stops at the
    first kind), at most three kinds.
    """
    for _ in range(3):
        rows: list[int] = []
        problems = check_plausible_lonlat(gdf, path, what, bad_rows=rows)
        if not problems:
            return
        if not (collect_rows and rows and len(rows) < len(gdf)):
            raise InputDataError([*gdf.attrs.get("row_problems", []), *problems])
        geoms = gdf.geometry.to_numpy().copy()
        geoms[rows] = None
        gdf[gdf.geometry.name] = gpd.GeoSeries(
            geoms, index=gdf.index, crs=gdf.crs
        )  # in place: the caller holds this frame
        _defer_rows(gdf, problems, np.asarray(rows))


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _to_geographic(gdf: gpd.GeoDataFrame, path: Path, what: str = "input") -> gpd.GeoDataFrame:
    try:
        crs = CRS.from_user_input(gdf.crs)
    except CRSError as exc:
        raise InputDataError(Problem(f"unknown CRS: {exc}", str(path), fix="assign a known EPSG code")) from None
    label = _crs_label(crs)
    if crs.is_geographic:
        # CGCS2000 and WGS 84 agree to well below a metre; relabel rather than transform.
        out = gdf.set_crs(GEOGRAPHIC, allow_override=True)
    else:
        bounds = np.asarray(gdf.total_bounds, dtype=float)
        if np.isfinite(bounds).all() and np.abs(bounds[[0, 2]]).max() <= 180 and np.abs(bounds[[1, 3]]).max() <= 90:
            raise InputDataError(
                Problem(
                    f"coordinates ({bounds[0]:.4f}..{bounds[2]:.4f}, {bounds[1]:.4f}..{bounds[3]:.4f}) look like "
                    "degrees, "
                    f"but the file declares the projected CRS {label} in metres",
                    str(path),
                    fix="declare the file's CRS as EPSG:4490 (CGCS2000 lon/lat) instead (in QGIS: Layer ▸ Set CRS, "
                    "not Reproject)",
                )
            )
        out = gdf.to_crs(GEOGRAPHIC)
        use = crs.area_of_use
        ob = np.asarray(out.total_bounds, dtype=float)
        fix = (
            "the declared CRS is wrong: check it against the data's source ("
            + guess_projected_crs(*(float(v) for v in bounds[[0, 2, 1, 3]]))
            + ")"
        )
        if np.isfinite(bounds).all() and not np.isfinite(ob).all():
            raise InputDataError(
                Problem(
                    f"the coordinates ({bounds[0]:.0f}..{bounds[2]:.0f}, {bounds[1]:.0f}..{bounds[3]:.0f}) cannot "
                    "be placed on the earth "
                    f"with the declared CRS {label}: they are far outside the area where that CRS is used",
                    str(path),
                    fix=fix,
                )
            )
        if use is not None and np.isfinite(ob).all():
            margin = 3.0  # degrees: data just outside a Gauss-Krüger band is common and fine
            if (
                ob[2] < use.west - margin
                or ob[0] > use.east + margin
                or ob[3] < use.south - margin
                or ob[1] > use.north + margin
            ):
                raise InputDataError(
                    Problem(
                        f"after reprojection from {label} the features lie at lon {ob[0]:.2f}..{ob[2]:.2f}, lat "
                        f"{ob[1]:.2f}..{ob[3]:.2f}, "
                        f"far outside the area where that CRS is used (lon {use.west:g}..{use.east:g}, lat "
                        f"{use.south:g}..{use.north:g})",
                        str(path),
                        fix=fix,
                    )
                )
    out.attrs.update(gdf.attrs)
    out.attrs["source_crs"] = label
    note = legacy_datum_note(crs, label, path)
    if note:
        out.attrs["read_notes"] = [*gdf.attrs.get("read_notes", []), note]
    return out
