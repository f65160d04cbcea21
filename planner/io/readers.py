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
from pyproj import CRS
from pyproj.exceptions import CRSError

from planner.errors import InputDataError, Problem

log = logging.getLogger(__name__)

GEOGRAPHIC = "EPSG:4490"
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}
LON_NAMES = ("lon", "lng", "longitude", "经度", "x_lon", "long")
LAT_NAMES = ("lat", "latitude", "纬度", "y_lat")


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputDataError(
            Problem(f"{what} file not found", str(path), fix=f"check `inputs.{what}` in the scenario (paths are relative to the scenario file)")
        )
    if path.is_dir() and path.suffix.lower() not in {".gdb"}:
        raise InputDataError(Problem(f"{what} path is a folder, not a file", str(path), fix="point to the file inside it"))


def _csv_frame(text: str) -> pd.DataFrame:
    """Rows of a delimited text (comma, tab, semicolon or 、), ragged rows padded."""
    import csv
    import io

    lines = [ln for ln in text.splitlines() if ln.strip()][:20]
    counts = {d: sum(ln.count(d) for ln in lines) for d in (",", "\t", ";", "，")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    rows = [r for r in rows if any(c.strip() for c in r)]
    width = max((len(r) for r in rows), default=0)
    padded = [[c if c.strip() != "" else None for c in r] + [None] * (width - len(r)) for r in rows]
    return pd.DataFrame(padded, dtype=object)


def read_table(path: Path, what: str) -> pd.DataFrame:
    """Read a CSV (UTF-8 or GBK) or XLSX table, skipping title rows above the header.

    The header is the first row (within the first 10) that has a column named like an id,
    longitude or latitude.
    """
    _require_file(path, what)
    suffix = path.suffix.lower()
    raw: pd.DataFrame | None = None
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            raw = pd.read_excel(path, header=None, dtype=str, engine="openpyxl")
        else:
            data = path.read_bytes()
            text = None
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            if text is None:
                raise InputDataError(
                    Problem("cannot decode the text (tried UTF-8 and GBK/GB18030)", str(path), fix="save the CSV as UTF-8")
                )
            raw = _csv_frame(text)
    except InputDataError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many types for corrupt files
        raise InputDataError(
            Problem(f"cannot read the table ({type(exc).__name__}: {exc})", str(path), fix="open it in Excel and save it again as .xlsx or UTF-8 .csv")
        ) from None
    assert raw is not None
    if raw.empty:
        raise InputDataError(Problem("the table is empty", str(path), fix="add a header row and one row per feature"))
    header_row = 0
    keys = {"id", *LON_NAMES, *LAT_NAMES, "编号", "站址编号"}
    for i in range(min(10, len(raw))):
        cells = {str(v).strip().lower() for v in raw.iloc[i].tolist() if isinstance(v, str)}
        if cells & keys:
            header_row = i
            break
    header = [str(v).strip() if isinstance(v, str) else f"column_{j}" for j, v in enumerate(raw.iloc[header_row].tolist())]
    df = raw.iloc[header_row + 1 :].reset_index(drop=True)
    df.columns = header
    df = df.dropna(how="all")
    df.attrs["header_row"] = header_row
    return df


def _points_from_table(df: pd.DataFrame, path: Path, what: str) -> gpd.GeoDataFrame:
    cols = {c.lower(): c for c in df.columns}
    lon_col = next((cols[n] for n in LON_NAMES if n in cols), None)
    lat_col = next((cols[n] for n in LAT_NAMES if n in cols), None)
    if lon_col is None or lat_col is None:
        raise InputDataError(
            Problem(
                f"no longitude/latitude columns (found: {', '.join(map(str, df.columns))})",
                str(path),
                fix="name them `lon` and `lat` (or 经度 and 纬度), in decimal degrees CGCS2000",
            )
        )
    offset = int(df.attrs.get("header_row", 0)) + 2  # 1-based file row of the first data row
    problems = []
    lon = pd.to_numeric(df[lon_col], errors="coerce")
    lat = pd.to_numeric(df[lat_col], errors="coerce")
    bad = lon.isna() | lat.isna()
    for idx in np.flatnonzero(bad.to_numpy())[:20]:
        problems.append(
            Problem(
                f"coordinates {df[lon_col].iloc[idx]!r}, {df[lat_col].iloc[idx]!r} are not decimal degrees",
                str(path),
                f"row {idx + offset}",
                "write decimal degrees such as 114.398, 30.506 (convert DMS first)",
            )
        )
    if problems:
        raise InputDataError(problems)
    gdf = gpd.GeoDataFrame(
        df.drop(columns=[lon_col, lat_col]),
        geometry=gpd.points_from_xy(lon.to_numpy(float), lat.to_numpy(float)),
        crs=GEOGRAPHIC,
    )
    gdf.attrs["row_offset"] = offset
    return gdf


def read_vector(path: Path, what: str) -> gpd.GeoDataFrame:
    """Read any vector file (GeoPackage, GeoJSON, Shapefile, ...) or a lon/lat table.

    Returns a GeoDataFrame in EPSG:4490. Projected inputs are reprojected; inputs without
    a CRS are refused (except tables, which are lon/lat by contract).
    """
    path = Path(path)
    _require_file(path, what)
    if path.suffix.lower() in TABLE_SUFFIXES:
        return _points_from_table(read_table(path, what), path, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputDataError(
            Problem(
                f"cannot open as a vector file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                str(path),
                fix="check the file is a complete GeoPackage, GeoJSON or Shapefile (re-export it from your GIS)",
            )
        ) from None
    if len(gdf) == 0:
        raise InputDataError(Problem(f"the {what} layer is empty", str(path), fix="export the layer with its features"))
    if gdf.crs is None:
        raise InputDataError(
            Problem(
                "the file has no coordinate reference system",
                str(path),
                fix="assign one in your GIS (e.g. EPSG:4490 for CGCS2000 lon/lat, EPSG:4547 for Gauss-Krüger CM 114E)",
            )
        )
    gdf.attrs["row_offset"] = 1
    return _to_geographic(gdf, path)


def _to_geographic(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    try:
        crs = CRS.from_user_input(gdf.crs)
    except CRSError as exc:
        raise InputDataError(Problem(f"unknown CRS: {exc}", str(path), fix="assign a known EPSG code")) from None
    if crs.is_geographic:
        # CGCS2000 and WGS 84 agree to well below a metre; relabel rather than transform.
        out = gdf.set_crs(GEOGRAPHIC, allow_override=True)
    else:
        out = gdf.to_crs(GEOGRAPHIC)
    out.attrs.update(gdf.attrs)
    return out


def check_plausible_lonlat(gdf: gpd.GeoDataFrame, path: Path, what: str) -> list[Problem]:
    """Problems for coordinates that cannot be lon/lat (metres given as degrees, swaps)."""
    problems: list[Problem] = []
    if gdf.empty:
        return problems
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (np.isfinite([minx, miny, maxx, maxy]).all()):
        problems.append(Problem("coordinates contain NaN or infinity", str(path), fix="remove the features without a location"))
        return problems
    if -90 <= minx and maxx <= 90 and 70 <= miny and maxy <= 180 and maxy > 60:
        problems.append(
            Problem(
                "longitude and latitude look swapped (the x values look like latitudes, the y values like longitudes)",
                str(path),
                fix="swap the lon and lat columns (China: lon 73–135, lat 18–54)",
            )
        )
    elif minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        problems.append(
            Problem(
                f"coordinates ({minx:.0f}..{maxx:.0f}, {miny:.0f}..{maxy:.0f}) are not degrees; they look like metres",
                str(path),
                fix="declare the file's real projected CRS (e.g. EPSG:4547) instead of a geographic one",
            )
        )
    return problems


def feature_label(gdf: gpd.GeoDataFrame, pos: int) -> str:
    """Human label of a feature: its id if present, and its row number in the file."""
    offset = int(gdf.attrs.get("row_offset", 1))
    label = f"row {pos + offset}"
    if "id" in gdf.columns:
        value = gdf["id"].iloc[pos]
        if isinstance(value, str) and value:
            label = f"feature {value!r} ({label})"
    return label
