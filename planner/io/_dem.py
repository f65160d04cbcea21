"""Early checks of a DEM/DSM GeoTIFF (:func:`inspect_dem`), run by ``validate`` before any work."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np

from planner._paths import not_a_regular_file
from planner.errors import Problem

__all__ = ["DEM_SAMPLE_PIXELS", "MAX_HEIGHT_M", "MIN_DEM_COVER", "MIN_HEIGHT_M", "inspect_dem"]

GEOGRAPHIC = "EPSG:4490"

#: largest number of DEM pixels read to look for nodata holes (decimated above this)
DEM_SAMPLE_PIXELS = 4_000_000
#: a DEM must have valid heights over at least this share of the boundary's extent
#: (the rule of ``planner.coverage.terrain.MIN_DEM_COVER``, checked here before any work)
MIN_DEM_COVER = 0.5
#: heights outside this range (m) cannot be terrain (Dead Sea −430 m, Everest 8,849 m): unset nodata
MIN_HEIGHT_M, MAX_HEIGHT_M = -500.0, 9000.0


def inspect_dem(path: Path, boundary: gpd.GeoDataFrame) -> tuple[list[Problem], list[str]]:
    """Check that a DEM opens, has a CRS and covers the boundary; report nodata holes.

    Parameters
    ----------
    path : Path
        The DEM/DSM GeoTIFF (heights in m, any CRS).
    boundary : GeoDataFrame
        The planning boundary in EPSG:4490.

    Returns
    -------
    problems : list of Problem
        The DEM cannot be read, has no CRS, or does not overlap the boundary at all.
    warnings : list of str
        The DEM covers only part of the boundary, or has nodata holes inside it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rasterio/affine deprecation chatter is not the user's business
        return _inspect_dem(path, boundary)


def _inspect_dem(path: Path, boundary: gpd.GeoDataFrame) -> tuple[list[Problem], list[str]]:
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.warp import transform_bounds
    from rasterio.windows import from_bounds

    src_name = str(path)
    problems: list[Problem] = []
    notes: list[str] = []
    why = not_a_regular_file(path, "dem")
    if why is not None:
        return [
            Problem(why, src_name, fix="check `inputs.dem`: a GeoTIFF file (paths are relative to the scenario file)")
        ], notes
    try:
        ds = rasterio.open(path)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        return [
            Problem(
                f"cannot open the DEM as a raster ({type(exc).__name__}: {first})",
                src_name,
                fix="export the DEM as a GeoTIFF (heights in metres)",
            )
        ], notes
    try:
        with ds:
            if ds.crs is None:
                return [
                    Problem(
                        "the DEM has no coordinate reference system",
                        src_name,
                        fix="assign its CRS in your GIS (e.g. EPSG:4490 or EPSG:4547) and save it again",
                    )
                ], notes
            bx0, by0, bx1, by1 = (float(v) for v in boundary.total_bounds)
            dx0, dy0, dx1, dy1 = transform_bounds(ds.crs, GEOGRAPHIC, *ds.bounds, densify_pts=21)
            ix0, iy0, ix1, iy1 = max(bx0, dx0), max(by0, dy0), min(bx1, dx1), min(by1, dy1)
            if ix0 >= ix1 or iy0 >= iy1:
                return [
                    Problem(
                        f"the DEM does not cover the planning area (DEM lon {dx0:.3f}..{dx1:.3f}, lat "
                        f"{dy0:.3f}..{dy1:.3f}; "
                        f"boundary lon {bx0:.3f}..{bx1:.3f}, lat {by0:.3f}..{by1:.3f})",
                        src_name,
                        fix="use a DEM that covers the boundary plus about 1 km around it, or remove `inputs.dem`",
                    )
                ], notes
            share = (ix1 - ix0) * (iy1 - iy0) / max((bx1 - bx0) * (by1 - by0), 1e-18)
            # nodata holes inside the boundary's extent (decimated read for big rasters)
            wx0, wy0, wx1, wy1 = transform_bounds(GEOGRAPHIC, ds.crs, ix0, iy0, ix1, iy1, densify_pts=21)
            win = from_bounds(wx0, wy0, wx1, wy1, transform=ds.transform).round_offsets().round_lengths()
            w = max(int(win.width), 1)
            h = max(int(win.height), 1)
            step = max(1.0, float(np.sqrt(w * h / DEM_SAMPLE_PIXELS)))
            shape = (max(int(h / step), 1), max(int(w / step), 1))
            band = ds.read(1, window=win, out_shape=shape, masked=True, boundless=True, resampling=Resampling.nearest)
            values = np.ma.masked_invalid(band.astype(np.float64))
            heights = values.compressed()
            odd = (heights < MIN_HEIGHT_M) | (heights > MAX_HEIGHT_M)
            if odd.any():  # e.g. -9999 or -32768 fill values in a DEM whose nodata value was never set
                fill = float(np.median(heights[odd]))
                problems.append(
                    Problem(
                        f"the DEM holds impossible heights ({fill:g} m over {odd.mean():.0%} of the boundary's extent; "
                        f"declared nodata: {ds.nodata if ds.nodata is not None else 'none'})",
                        src_name,
                        fix=f"set the DEM's nodata value to {fill:g} (QGIS: Raster ▸ Conversion ▸ Translate, or "
                        f"`gdal_edit.py -a_nodata {fill:g} {path.name}`), or remove `inputs.dem`",
                    )
                )
                return problems, notes
            holes = float(np.ma.getmaskarray(values).mean()) if values.size else 0.0
            valid = share * (1.0 - holes)
            if valid < MIN_DEM_COVER:  # the same rule as coverage.terrain.build_terrain
                problems.append(
                    Problem(
                        f"the DEM has heights for only {valid:.0%} of the boundary's extent "
                        f"(it covers {share:.0%}, and {holes:.0%} of that is nodata)",
                        src_name,
                        fix="use a DEM that covers the boundary with valid heights (check its CRS and nodata "
                            "value), or remove `inputs.dem`",
                    )
                )
            else:
                if share < 0.999:
                    notes.append(
                        f"{src_name}: the DEM covers only {share:.0%} of the boundary's extent; "
                        "the rest takes the nearest DEM height"
                    )
                if holes > 0:
                    notes.append(
                        f"{src_name}: the DEM has nodata holes over {holes:.1%} of the boundary's extent; "
                        "they take the nearest valid height"
                    )
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        problems.append(
            Problem(
                f"cannot read the DEM ({type(exc).__name__}: {first})",
                src_name,
                fix="export the DEM again as a GeoTIFF (heights in metres)",
            )
        )
    return problems, notes
