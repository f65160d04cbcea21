"""Line of sight over a DSM: analytic DEMs, parity with an independent reference, build_terrain."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from shapely.geometry import box

from kernels.los import line_of_sight, los_to_cells
from planner.coverage import Grid, build_terrain
from planner.errors import InputDataError


def ref_los(
    dsm: np.ndarray, x0: float, y0: float, res: float, a: tuple[float, float, float], b: tuple[float, float, float]
) -> bool:
    """Slow reference: clip the segment against every cell of its bounding box (Liang–Barsky).

    A cell the segment crosses (other than the two end cells) blocks when its surface is above
    the segment's lowest point inside it.
    """
    ny, nx = dsm.shape
    (xa, ya, za), (xb, yb, zb) = a, b
    ua, va, ub, vb = (xa - x0) / res, (y0 - ya) / res, (xb - x0) / res, (y0 - yb) / res
    ends = {(math.floor(va), math.floor(ua)), (math.floor(vb), math.floor(ub))}
    for r in range(max(0, math.floor(min(va, vb))), min(ny, math.floor(max(va, vb)) + 1)):
        for c in range(max(0, math.floor(min(ua, ub))), min(nx, math.floor(max(ua, ub)) + 1)):
            if (r, c) in ends:
                continue
            t0, t1 = 0.0, 1.0
            ok = True
            for p, q in ((-(ub - ua), ua - c), (ub - ua, c + 1 - ua), (-(vb - va), va - r), (vb - va, r + 1 - va)):
                if p == 0:
                    if q < 0:
                        ok = False
                else:
                    t = q / p
                    if p < 0:
                        t0 = max(t0, t)
                    else:
                        t1 = min(t1, t)
            if not ok or t1 <= t0:
                continue
            z_low = min(za + (zb - za) * t0, za + (zb - za) * t1)
            if dsm[r, c] > z_low:
                return False
    return True


def test_flat_dem_is_all_los() -> None:
    dsm = np.zeros((40, 50), np.float32)
    cells = np.arange(dsm.size, dtype=np.int64)
    assert los_to_cells(dsm, dsm, 0.0, 400.0, 10.0, 123.0, 211.0, 8.0, 1.5, cells).all()


@pytest.mark.parametrize(("ridge_col", "h_ridge"), [(10, 20.0), (6, 12.0), (15, 25.0)])
def test_single_ridge_shadow_is_geometric(ridge_col: int, h_ridge: float) -> None:
    """A one-cell ridge across the grid; the antenna (30 m) stands in column 0 of the same row.

    The segment to the centre of column c descends from 30 m to 1.5 m; its lowest point in the
    ridge cell is at the ridge's far edge x = ridge_col + 1 (in cells, antenna at 0.5), so the
    cell is shadowed exactly when 30 − 28.5 (ridge_col + 0.5) / c < h_ridge.
    """
    res, nx, ny = 10.0, 80, 5
    dem = np.zeros((ny, nx), np.float32)
    dem[:, ridge_col] = h_ridge
    row = 2
    xs, ys = 0.5 * res, 400.0 - (row + 0.5) * res
    cells = row * nx + np.arange(nx, dtype=np.int64)
    flat = np.zeros_like(dem)
    los = los_to_cells(dem, flat, 0.0, 400.0, res, xs, ys, 30.0, 1.5, cells)
    for c in range(nx):
        if c <= ridge_col:
            expected = True
        else:
            z_edge = 30.0 - 28.5 * (ridge_col + 0.5) / c
            expected = not (h_ridge > z_edge)
        assert bool(los[c]) == expected, c
    # the shadow is non-empty and ends where the geometry says
    shadow = [c for c in range(nx) if not los[c]]
    c_end = math.ceil(28.5 * (ridge_col + 0.5) / (30.0 - h_ridge))
    assert shadow == list(range(ridge_col + 1, min(c_end, nx)))


def test_parity_with_reference_on_random_dsm() -> None:
    rng = np.random.default_rng(20261124)
    for trial in range(6):
        ny, nx, res = 30, 40, 5.0 + 5.0 * trial
        x0, y0 = 1000.0, 5000.0
        dsm = (rng.random((ny, nx)) < 0.25).astype(np.float32) * rng.uniform(3, 40, (ny, nx)).astype(np.float32)
        dsm += rng.uniform(0, 5, (ny, nx)).astype(np.float32)
        for _ in range(150):
            a = (x0 + rng.uniform(-2, nx + 2) * res, y0 - rng.uniform(-2, ny + 2) * res, rng.uniform(5, 50))
            b = (x0 + rng.uniform(0, nx) * res, y0 - rng.uniform(0, ny) * res, rng.uniform(1, 30))
            got = line_of_sight(dsm, x0, y0, res, *b, *a, float(dsm.max()))
            assert got == ref_los(dsm, x0, y0, res, a, b), (trial, a, b)
            assert got == line_of_sight(dsm, x0, y0, res, *a, *b, math.inf)


def from_origin(west: float, north: float, xres: float, yres: float) -> Affine:
    """Rasterio's ``from_origin`` without its deprecated ``*`` composition."""
    return Affine(xres, 0.0, west, 0.0, -yres, north)


def _write_dem(path: Path, data: np.ndarray, crs: str, transform: object, nodata: float | None = None) -> Path:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data.astype(np.float32), 1)
    return path


def test_build_terrain_reprojects_dem_and_rasterises_buildings(tmp_path: Path) -> None:
    grid = Grid(500_000.0, 3_376_000.0, 20.0, 50, 40, "EPSG:4547")
    # a planar ramp in EPSG:4547 at 10 m: bilinear resampling keeps a plane exactly
    xs = 499_900.0 + (np.arange(140) + 0.5) * 10.0
    ramp = np.tile((xs - 499_900.0) * 0.01, (120, 1))
    dem_path = _write_dem(tmp_path / "dem.tif", ramp, "EPSG:4547", from_origin(499_900.0, 3_376_100.0, 10.0, 10.0))
    bl = gpd.GeoDataFrame(
        {"height_m": [30.0, None, None], "levels": [None, 6, None]},
        geometry=[
            box(500_100, 3_375_500, 500_200, 3_375_600),
            box(500_400, 3_375_300, 500_460, 3_375_360),
            box(500_700, 3_375_500, 500_760, 3_375_560),
        ],
        crs="EPSG:4547",
    ).to_crs("EPSG:4490")
    terrain = build_terrain(grid, dem_path, bl)
    cx = grid.x0 + (np.arange(grid.nx) + 0.5) * grid.res
    np.testing.assert_allclose(terrain.dem[5], (cx - 499_900.0) * 0.01, atol=1e-3)
    assert terrain.buildings.max() == pytest.approx(30.0)
    assert set(np.unique(terrain.buildings).round(3)) == {0.0, 10.0, 18.0, 30.0}
    assert terrain.meta["buildings_default_height"] == 1 and terrain.warnings
    np.testing.assert_allclose(terrain.dsm, terrain.dem + terrain.buildings)


def test_dem_holes_are_filled_with_a_warning(tmp_path: Path) -> None:
    grid = Grid(500_000.0, 3_376_000.0, 20.0, 30, 30, "EPSG:4547")
    data = np.full((60, 60), 25.0)
    data[20:25, 20:25] = -32768
    path = _write_dem(
        tmp_path / "holes.tif", data, "EPSG:4547", from_origin(500_000.0, 3_376_000.0, 10.0, 10.0), nodata=-32768
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        terrain = build_terrain(grid, path)
    assert np.allclose(terrain.dem, 25.0)
    assert terrain.meta["dem_filled_share"] > 0 and any("nearest" in w for w in terrain.warnings)


def test_dem_outside_the_grid_is_an_input_error(tmp_path: Path) -> None:
    grid = Grid(500_000.0, 3_376_000.0, 20.0, 30, 30, "EPSG:4547")
    path = _write_dem(
        tmp_path / "far.tif", np.ones((10, 10)), "EPSG:4547", from_origin(600_000.0, 3_376_000.0, 10.0, 10.0)
    )
    with pytest.raises(InputDataError, match="covers only"):
        build_terrain(grid, path)
    nocrs = _write_dem(tmp_path / "nocrs.tif", np.ones((10, 10)), None, from_origin(0, 10, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="no CRS"):
        build_terrain(grid, nocrs)
