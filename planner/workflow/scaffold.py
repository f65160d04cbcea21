"""``planner init``: a commented template scenario plus small, deterministic sample inputs.

The sample is a 1.2 km × 1.2 km generated block in Optics Valley, Wuhan (光谷): street lamps
every 50 m along a generated street grid (150 m blocks), surveillance poles at some crossings,
two tower sites (one already on air) and a rooftop, with three priority areas. It is *generated*, not surveyed;
it exists so that a new user (or a notebook) can validate and run a scenario at once, and so
that the bring-your-own-data path (Chinese headers, GBK, XLSX, GCJ-02) can be shown on a file
the reader can open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon, box

from planner.errors import PlannerError, Problem

#: centre of the sample block (CGCS2000 degrees): Optics Valley, Wuhan
SAMPLE_LON0, SAMPLE_LAT0 = 114.398, 30.506
#: half-size of the sample block (m)
SAMPLE_HALF_M = 600.0
#: lamp spacing along the sample roads (m)
SAMPLE_LAMP_SPACING_M = 50.0
#: spacing of the sample's road grid (m)
SAMPLE_ROAD_SPACING_M = 150.0

_M_PER_DEG_LAT = 110_946.0  # at 30.5° N
_M_PER_DEG_LON = 111_320.0 * float(np.cos(np.radians(SAMPLE_LAT0)))

#: header of the sample candidate table (Chinese, as planners receive it)
CANDIDATE_HEADERS: dict[str, str] = {
    "id": "编号",
    "name": "名称",
    "type": "类型",
    "lon": "经度",
    "lat": "纬度",
    "height_m": "挂高",
    "owner": "产权单位",
    "status": "状态",
}

Table = Literal["csv", "xlsx"]
Encoding = Literal["utf-8-sig", "utf-8", "gbk"]
Coordinates = Literal["cgcs2000", "gcj02"]


@dataclass(frozen=True)
class SampleInputs:
    """The generated sample, in CGCS2000 geographic coordinates (EPSG:4490).

    Attributes
    ----------
    boundary : GeoDataFrame
        One polygon.
    candidates : DataFrame
        Chinese headers (:data:`CANDIDATE_HEADERS`), longitude/latitude in degrees.
    priority_areas : GeoDataFrame
        Columns ``编号, 名称, 类别`` (class as a Chinese alias) and polygons.
    """

    boundary: gpd.GeoDataFrame
    candidates: pd.DataFrame
    priority_areas: gpd.GeoDataFrame


def _lonlat(
    x_m: NDArray[np.float64] | float, y_m: NDArray[np.float64] | float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Local metres east/north of the sample centre → degrees (good to < 1 m over 1 km)."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    return SAMPLE_LON0 + x / _M_PER_DEG_LON, SAMPLE_LAT0 + y / _M_PER_DEG_LAT


def _circle(x_m: float, y_m: float, r_m: float, n: int = 48) -> Polygon:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    lon, lat = _lonlat(x_m + r_m * np.cos(t), y_m + r_m * np.sin(t))
    return Polygon(np.column_stack([lon, lat]))


def sample_inputs() -> SampleInputs:
    """Build the sample block (deterministic: no randomness at all).

    Returns
    -------
    SampleInputs
        Boundary, candidate table (Chinese headers) and priority areas in CGCS2000 degrees.

    Examples
    --------
    >>> s = sample_inputs()
    >>> len(s.boundary), len(s.priority_areas), s.candidates.columns[0]
    (1, 3, '编号')
    """
    h = SAMPLE_HALF_M
    lon0, lat0 = _lonlat(-h, -h)
    lon1, lat1 = _lonlat(h, h)
    boundary = gpd.GeoDataFrame(
        {"编号": ["B1"], "名称": ["样例规划范围"]},
        geometry=[box(float(lon0), float(lat0), float(lon1), float(lat1))],
        crs="EPSG:4490",
    )
    roads = tuple(np.arange(-h + SAMPLE_ROAD_SPACING_M / 2, h, SAMPLE_ROAD_SPACING_M))  # m from the centre
    s = np.arange(-h + SAMPLE_LAMP_SPACING_M / 2, h, SAMPLE_LAMP_SPACING_M)
    rows: list[dict[str, object]] = []
    n = 0
    for k, c in enumerate(roads):
        for orient, xs, ys in (("东西", s, np.full_like(s, c + 12.0)), ("南北", np.full_like(s, c + 12.0), s)):
            lon, lat = _lonlat(xs, ys)
            for a, b in zip(lon, lat, strict=True):
                n += 1
                rows.append(
                    {
                        "id": f"LD{n:04d}",
                        "name": f"{orient}路{k + 1} 路灯 {n}",
                        "type": "路灯杆",
                        "lon": a,
                        "lat": b,
                        "height_m": 10.0,
                        "owner": "路灯管理处",
                        "status": "",
                    }
                )
    for i, (x, y) in enumerate([(a, b) for a in roads[1::3] for b in roads[1::3]], 1):
        lon, lat = _lonlat(x - 8.0, y - 8.0)
        rows.append(
            {
                "id": f"JK{i:03d}",
                "name": f"路口监控 {i}",
                "type": "监控杆",
                "lon": float(lon),
                "lat": float(lat),
                "height_m": 7.0,
                "owner": "公安",
                "status": "",
            }
        )
    for ident, name, kind, (x, y), hgt, status in (
        ("TT001", "光谷铁塔 1", "铁塔", (-420.0, 380.0), 35.0, "existing_5g"),
        ("TT002", "光谷铁塔 2", "铁塔", (430.0, -410.0), 30.0, ""),
        ("LM001", "写字楼楼顶", "楼顶", (60.0, 80.0), 40.0, ""),
    ):
        lon, lat = _lonlat(x, y)
        rows.append(
            {
                "id": ident,
                "name": name,
                "type": kind,
                "lon": float(lon),
                "lat": float(lat),
                "height_m": hgt,
                "owner": "中国铁塔" if kind == "铁塔" else "业主",
                "status": status,
            }
        )
    cand = pd.DataFrame(rows)
    cand["lon"] = cand["lon"].astype(float).round(7)
    cand["lat"] = cand["lat"].astype(float).round(7)
    cand = cand.rename(columns=CANDIDATE_HEADERS)
    areas = gpd.GeoDataFrame(
        {
            "编号": ["ZD01", "ZD02", "ZD03"],
            "名称": ["光谷广场", "地铁站出入口", "街心公园"],
            "类别": ["公共场所", "地铁站", "公园"],
        },
        geometry=[
            _circle(0.0, 0.0, 160.0),
            _circle(250.0, -300.0, 90.0),
            box(*_lonlat(-520.0, -520.0), *_lonlat(-330.0, -330.0)),
        ],
        crs="EPSG:4490",
    )
    return SampleInputs(boundary, cand, areas)


def _to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from planner.geo.gcj02 import wgs84_to_gcj02

    def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out["geometry"] = shapely.transform(gdf.geometry.to_numpy(), fn)
    return out


def write_sample_inputs(
    folder: str | Path,
    *,
    table: Table = "csv",
    encoding: Encoding = "utf-8-sig",
    coordinates: Coordinates = "cgcs2000",
) -> dict[str, Path]:
    """Write the sample inputs into ``folder`` the way planners receive them.

    Parameters
    ----------
    folder : str or Path
        Created if missing; existing files of the same names are overwritten.
    table : {"csv", "xlsx"}
        Format of the candidate table (Chinese headers 编号/名称/类型/经度/纬度/挂高/产权单位/状态).
        The XLSX has a title row above the header, as bureau exports often do.
    encoding : {"utf-8-sig", "utf-8", "gbk"}
        Text encoding of the CSV (ignored for XLSX).
    coordinates : {"cgcs2000", "gcj02"}
        ``"gcj02"`` shifts every coordinate to GCJ-02 (as in 高德/腾讯 exports); the scenario
        must then say ``inputs.coordinates = "gcj02"``.

    Returns
    -------
    dict
        ``boundary``, ``candidates`` and ``priority_areas`` → path written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = sample_inputs()
    boundary, areas, cand = s.boundary, s.priority_areas, s.candidates.copy()
    if coordinates == "gcj02":
        from planner.geo.gcj02 import wgs84_to_gcj02

        boundary, areas = _to_gcj02(boundary), _to_gcj02(areas)
        lon, lat = wgs84_to_gcj02(cand["经度"].to_numpy(float), cand["纬度"].to_numpy(float))
        cand["经度"], cand["纬度"] = np.round(lon, 7), np.round(lat, 7)
    paths = {"boundary": folder / "boundary.geojson", "priority_areas": folder / "priority_areas.geojson"}
    for key, gdf in (("boundary", boundary), ("priority_areas", areas)):
        # GeoJSON is WGS 84 lon/lat by definition (CGCS2000 agrees to < 1 m); GCJ-02 files
        # claim WGS 84 too, just as real 高德/腾讯 exports do
        gdf.set_crs("EPSG:4326", allow_override=True).to_file(paths[key], driver="GeoJSON")
    if table == "xlsx":
        paths["candidates"] = folder / "candidates.xlsx"
        with pd.ExcelWriter(paths["candidates"], engine="openpyxl") as xw:
            pd.DataFrame([["样例区域 5G 候选杆址清单（生成数据）"]]).to_excel(xw, index=False, header=False, startrow=0)
            cand.to_excel(xw, index=False, startrow=1)
    else:
        paths["candidates"] = folder / "candidates.csv"
        cand.to_csv(paths["candidates"], index=False, encoding=encoding, lineterminator="\n")
    return {k: paths[k] for k in ("boundary", "candidates", "priority_areas")}


def template_text() -> str:
    """The commented template scenario shipped in ``planner/templates/scenario.toml``."""
    return resources.files("planner").joinpath("templates/scenario.toml").read_text(encoding="utf-8")


def init_project(
    folder: str | Path,
    *,
    table: Table = "csv",
    encoding: Encoding = "utf-8-sig",
    coordinates: Coordinates = "cgcs2000",
) -> dict[str, Path]:
    """Write ``scenario.toml`` (every key, its default and unit) and sample inputs into ``folder``.

    Parameters
    ----------
    folder : str or Path
        A new or empty folder.
    table, encoding, coordinates
        As in :func:`write_sample_inputs`; the scenario is written to match.

    Returns
    -------
    dict
        ``scenario`` plus the sample input paths.

    Raises
    ------
    PlannerError
        If ``folder`` exists and is not an empty folder (nothing is overwritten).
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PlannerError(
            Problem(
                "the folder exists and is not empty; nothing was written",
                str(folder),
                fix="give a new or empty folder, e.g. `planner init my_area`",
            )
        )
    files = write_sample_inputs(folder, table=table, encoding=encoding, coordinates=coordinates)
    text = template_text()
    text = text.replace('candidates = "candidates.csv"', f'candidates = "{files["candidates"].name}"', 1)
    text = text.replace('coordinates = "cgcs2000"', f'coordinates = "{coordinates}"', 1)
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8", newline="\n" if os.name != "nt" else None)
    return {"scenario": path, **files}
