"""The run's GeoTIFFs: Cloud-Optimised layout, band descriptions, and RSRP below the threshold.

The COG check reads the TIFF structure itself (no GDAL helper): every image (full resolution
and overviews) tiled, all IFDs at the head of the file before any tile, IFDs in order of
decreasing resolution, each image's tiles in row-major order, and the tiles of the smaller
images stored before those of the larger ones (a reader fetching an overview never seeks
past the full-resolution data). These are the rules GDAL's COG driver documents
(https://gdal.org/drivers/raster/cog.html, "File format details").
"""

from __future__ import annotations

import dataclasses
import itertools
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from planner.coverage.grid import Grid
from planner.coverage.raster import NODATA, write_best_server_geotiff, write_sinr_rasters
from planner.io.runio import write_run_state
from planner.plan import Plan
from tests.report_fixtures import make_plan

#: TIFF tags used by the check
TILE_WIDTH, TILE_OFFSETS, STRIP_OFFSETS, IMAGE_WIDTH = 322, 324, 273, 256
#: TIFF field type -> (struct code, size)
TYPES = {3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}


def tiff_images(path: Path) -> list[tuple[int, dict[int, list[int]]]]:
    """Each IFD of a (Big)TIFF: its file offset and its integer tags (SHORT, LONG, LONG8 values)."""
    raw = path.read_bytes()
    order = {b"II": "<", b"MM": ">"}[raw[:2]]
    version = struct.unpack(order + "H", raw[2:4])[0]
    big = version == 43
    head, count_fmt, entry_size, off_fmt = (8, "Q", 20, "Q") if big else (4, "H", 12, "I")
    offset = struct.unpack(order + off_fmt, raw[head : head + struct.calcsize(off_fmt)])[0]
    images = []
    while offset:
        n = struct.unpack_from(order + count_fmt, raw, offset)[0]
        pos = offset + struct.calcsize(count_fmt)
        tags: dict[int, list[int]] = {}
        for i in range(n):
            entry = pos + i * entry_size
            tag, ftype = struct.unpack_from(order + "HH", raw, entry)
            count = struct.unpack_from(order + ("Q" if big else "I"), raw, entry + 4)[0]
            if ftype not in TYPES:
                continue
            code, size = TYPES[ftype]
            value_at = entry + (12 if big else 8)
            inline = 8 if big else 4
            if count * size > inline:
                value_at = struct.unpack_from(order + off_fmt, raw, value_at)[0]
            tags[tag] = list(struct.unpack_from(order + code * count, raw, value_at))
        images.append((offset, tags))
        offset = struct.unpack_from(order + off_fmt, raw, pos + n * entry_size)[0]
    return images


def assert_cog(path: Path) -> None:
    """Fail unless ``path`` has the Cloud-Optimised GeoTIFF layout (see the module docstring)."""
    images = tiff_images(path)
    assert images, path
    ifd_offsets = [off for off, _ in images]
    assert ifd_offsets == sorted(ifd_offsets), f"{path.name}: IFDs out of order"
    tiles = []
    for _, tags in images:
        assert TILE_WIDTH in tags and STRIP_OFFSETS not in tags, f"{path.name}: an image is not tiled"
        used = [o for o in tags[TILE_OFFSETS] if o > 0]  # 0 = a sparse (empty) tile
        assert used == sorted(used), f"{path.name}: tiles not in row-major order"
        tiles.append(used)
    widths = [tags[IMAGE_WIDTH][0] for _, tags in images]
    assert widths == sorted(widths, reverse=True), f"{path.name}: IFDs not from full resolution down"
    first_tile = min(min(t) for t in tiles if t)
    assert max(ifd_offsets) < first_tile, f"{path.name}: an IFD lies after tile data"
    for larger, smaller in itertools.pairwise(tiles):
        if larger and smaller:
            assert max(smaller) < min(larger), f"{path.name}: overview tiles after the full-resolution tiles"
    with rasterio.open(path) as src:
        assert src.profile["tiled"]
        assert len(src.overviews(1)) == len(images) - 1
        if max(src.width, src.height) > src.block_shapes[0][0]:
            assert src.overviews(1), f"{path.name}: larger than one tile but no overviews"


def test_cog_check_rejects_a_striped_geotiff(tmp_path: Path) -> None:
    """The check can fail: a plain striped GTiff with external-order overviews is refused."""
    path = tmp_path / "plain.tif"
    grid = Grid(500_000.0, 3_380_000.0, 20.0, 600, 520, "EPSG:4547")
    with rasterio.open(path, "w", driver="GTiff", width=600, height=520, count=1, dtype="uint8", crs=grid.crs,
                       transform=grid.transform) as dst:
        dst.write(np.zeros((520, 600), np.uint8), 1)
    with pytest.raises(AssertionError, match="not tiled"):
        assert_cog(path)
    with rasterio.open(path, "r+") as dst:  # overviews appended after the image: tiled but out of order
        dst.build_overviews([2, 4])
    with pytest.raises(AssertionError):
        assert_cog(path)


def big_plan() -> Plan:
    """The fixture plan on a 600 × 520 grid (several tiles, so the COGs carry overviews)."""
    plan = make_plan()
    grid = Grid(500_000.0, 3_380_000.0, 20.0, 600, 520, "EPSG:4547")
    rng = np.random.default_rng(3)
    demand = np.ones((grid.ny, grid.nx), bool)
    demand[:40, :] = False
    best = np.where(demand, rng.normal(-95, 8, (grid.ny, grid.nx)), np.nan).astype(np.float32)
    best[best < plan.threshold_dbm] = np.nan
    extras: dict[str, Any] = {
        "cover_count": np.where(np.isfinite(best), rng.integers(1, 4, best.shape), 0),
        "sinr_db": np.where(demand, rng.normal(5, 6, best.shape), np.nan).astype(np.float32),
        "overlap": rng.integers(0, 5, best.shape).astype(np.uint8),
    }
    return dataclasses.replace(plan, grid=grid, best_rsrp=best, covered=np.isfinite(best), demand_mask=demand,
                               extras=extras)


def test_every_geotiff_writer_makes_a_cog_with_a_described_band(tmp_path: Path) -> None:
    plan = big_plan()
    files = {"coverage": write_best_server_geotiff(plan.best_rsrp, plan.grid, tmp_path / "coverage.tif",
                                                   threshold_dbm=-105.0, floor_dbm=-132.23)}
    files.update(write_run_state(plan, tmp_path))
    files.update(write_sinr_rasters(plan, tmp_path))
    assert set(files) == {"coverage", "cover_count", "sinr", "overlap"}
    units = {"coverage": "dBm", "cover_count": "count", "sinr": "dB", "overlap": "count"}
    for name, path in files.items():
        assert_cog(path)
        with rasterio.open(path) as src:
            assert src.overviews(1), name
            assert src.descriptions[0], name
            assert src.units[0] == units[name]
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    with rasterio.open(files["cover_count"]) as src:
        band = src.read(1)
    np.testing.assert_array_equal(band == 255, ~plan.demand_mask)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    from planner.stages.outputs import write_outputs

    tmp = tmp_path_factory.mktemp("rasters")
    plan = make_plan(tmp)
    plan.best_rsrp = np.where(plan.covered, plan.best_rsrp, np.nan).astype(np.float32)  # as the solve gives it
    write_outputs(plan, tmp / "run")
    return plan, tmp / "run"


def test_coverage_tif_nodata_only_outside_the_boundary(run: tuple[Plan, Path]) -> None:
    plan, folder = run
    with rasterio.open(folder / "coverage.tif") as src:
        band = src.read(1)
        assert src.nodata == NODATA and src.units == ("dBm",)
        assert "nodata only outside the boundary" in src.descriptions[0]
        tags = src.tags(1)
    assert (~plan.demand_mask).any() and (plan.demand_mask & ~np.isfinite(plan.best_rsrp)).any()
    np.testing.assert_array_equal(band == NODATA, ~plan.demand_mask)
    thr, floor = float(tags["threshold_dbm"]), float(tags["floor_dbm"])
    known = np.isfinite(plan.best_rsrp)
    np.testing.assert_allclose(band[known], plan.best_rsrp[known])
    filled = band[plan.demand_mask & ~known]
    assert (filled < thr).all() and (filled >= floor).all()
    assert np.unique(filled).size > 10  # received values, not one constant
    for path in folder.glob("*.tif"):
        assert_cog(path)


def test_read_run_keeps_best_rsrp_to_covered_cells(run: tuple[Plan, Path]) -> None:
    from planner.io.runio import read_run

    plan, folder = run
    back = read_run(folder)
    np.testing.assert_array_equal(np.isfinite(back.best_rsrp), back.covered)
    full = back.extras["rsrp_dbm"]
    np.testing.assert_array_equal(np.isfinite(full), plan.demand_mask)
    np.testing.assert_allclose(full[plan.demand_mask], plan.extras["rsrp_dbm"][plan.demand_mask])


def class_penetration(plan: Plan) -> np.ndarray | None:
    """Per cell, the penetration loss of its area's class (``radio.penetration_by_class``), as the solve builds."""
    from planner.coverage.penetration import cell_penetration
    from planner.geo.demand import rasterize_demand

    grid = plan.grid
    demand = rasterize_demand(grid, plan.boundary.to_crs(grid.crs).geometry, plan.areas.to_crs(grid.crs))
    return cell_penetration(plan.scenario.radio, demand.area_index, plan.areas["class"].astype(str).tolist())


def test_below_threshold_cells_are_the_design_rsrp_of_the_best_site() -> None:
    """A cell the plan does not cover holds the design RSRP its best site gives it: the value the
    solve's coverage builder finds with a threshold 15 dB lower (same radio otherwise).
    """
    from planner.coverage.build import build_coverage
    from planner.stages.assemble import attach_plan_rsrp

    plan = make_plan()
    sites, radio, grid = plan.sites, plan.scenario.radio, plan.grid
    args = (grid, sites["x_m"].to_numpy(float), sites["y_m"].to_numpy(float), sites["height_m"].to_numpy(float),
            sites["site_class"].to_numpy(str))
    thr = float(radio.threshold_dbm)
    pen = class_penetration(plan)
    solve = build_coverage(*args, radio, cell_mask=plan.demand_mask, cell_penetration_db=pen)
    plan.best_rsrp = solve.best_server_of(np.arange(len(sites)))
    lower = build_coverage(*args, radio.model_copy(update={"threshold_dbm": thr - 15.0}), cell_mask=plan.demand_mask,
                           cell_penetration_db=pen)
    ref = lower.best_server_of(np.arange(len(sites)))
    attach_plan_rsrp(plan)
    full = plan.extras["rsrp_dbm"]
    np.testing.assert_array_equal(np.isfinite(full), plan.demand_mask)
    below = plan.demand_mask & ~np.isfinite(plan.best_rsrp) & np.isfinite(ref)
    assert below.sum() > 20
    np.testing.assert_allclose(full[below], ref[below], atol=1e-3)
    assert (full[plan.demand_mask & ~np.isfinite(plan.best_rsrp)] < thr).all()


def test_below_threshold_cells_with_the_uplink_budget_carry_each_class_uplink_limit() -> None:
    """With ``radio.uplink`` the solve's RSRP of a class is its downlink RSRP lowered by the class's uplink
    limit (how much less path loss the uplink allows); the cells below the threshold carry the same offset.
    """
    from planner.coverage.build import build_coverage
    from planner.radio import link_budget
    from planner.stages.assemble import attach_plan_rsrp

    plan = make_plan()
    radio = plan.scenario.radio.model_copy(update={"uplink": True})
    plan.scenario = plan.scenario.model_copy(update={"radio": radio})
    limits = {c: link_budget(radio, c).uplink_limit_db for c in ("macro", "micro")}
    assert limits["macro"] > 0  # n78 defaults: the macro is uplink-limited, so the offset is exercised
    sites, grid, thr = plan.sites, plan.grid, float(radio.threshold_dbm)
    cls = sites["site_class"].to_numpy(str)
    args = (grid, sites["x_m"].to_numpy(float), sites["y_m"].to_numpy(float), sites["height_m"].to_numpy(float), cls)
    pen = class_penetration(plan)
    solve = build_coverage(*args, radio, cell_mask=plan.demand_mask, cell_penetration_db=pen)
    plan.best_rsrp = solve.best_server_of(np.arange(len(sites)))
    downlink = radio.model_copy(update={"threshold_dbm": thr - 15.0, "uplink": False})
    deep = build_coverage(*args, downlink, cell_mask=plan.demand_mask, cell_penetration_db=pen)
    ref = np.full(grid.n_cells, -np.inf)
    for c, limit in limits.items():
        rows = np.flatnonzero(cls == c)
        if rows.size:
            ref = np.fmax(ref, deep.best_server_of(rows).ravel().astype(np.float64) - limit)
    ref_2d = ref.reshape(grid.ny, grid.nx)
    attach_plan_rsrp(plan)
    full = plan.extras["rsrp_dbm"]
    below = plan.demand_mask & ~np.isfinite(plan.best_rsrp) & (ref_2d >= thr - 15.0)
    assert below.sum() > 20
    np.testing.assert_allclose(full[below], np.minimum(ref_2d[below], thr), atol=1e-3)
    assert (full[plan.demand_mask & ~np.isfinite(plan.best_rsrp)] < thr).all()


@pytest.mark.parametrize("pass_index", [True, False])
def test_below_threshold_cells_take_the_penetration_of_each_area_class(pass_index: bool) -> None:
    """A park (``radio.penetration_by_class``: 0 dB, outdoor demand) the plan leaves uncovered holds the design
    RSRP of an outdoor user, as the solve's matrix was built, not that of a user behind ``penetration_loss_db``
    (20 dB) of wall; indoor classes keep the wall. The pipeline passes the grid stage's area index; without it
    the plan's areas are rasterised again.
    """
    from planner.coverage.build import build_coverage
    from planner.coverage.penetration import cell_penetration
    from planner.geo.demand import rasterize_demand
    from planner.stages.assemble import attach_plan_rsrp

    plan = make_plan()
    radio = plan.scenario.radio.model_copy(update={"threshold_dbm": -85.0})  # parts of the park left uncovered
    plan.scenario = plan.scenario.model_copy(update={"radio": radio})
    plan.radio["threshold_dbm"] = -85.0
    sites, grid = plan.sites, plan.grid
    assert radio.penetration_of("park") == 0.0 and radio.penetration_loss_db == 20.0
    demand = rasterize_demand(grid, plan.boundary.to_crs(grid.crs).geometry, plan.areas.to_crs(grid.crs))
    classes = plan.areas["class"].astype(str).tolist()
    pen = cell_penetration(radio, demand.area_index, classes)
    assert pen is not None
    args = (grid, sites["x_m"].to_numpy(float), sites["y_m"].to_numpy(float), sites["height_m"].to_numpy(float),
            sites["site_class"].to_numpy(str))
    thr = float(radio.threshold_dbm)
    solve = build_coverage(*args, radio, cell_mask=plan.demand_mask, cell_penetration_db=pen)
    plan.best_rsrp = solve.best_server_of(np.arange(len(sites)))
    lower = radio.model_copy(update={"threshold_dbm": thr - 40.0})
    ref = build_coverage(*args, lower, cell_mask=plan.demand_mask, cell_penetration_db=pen)
    ref_rsrp = ref.best_server_of(np.arange(len(sites)))
    if pass_index:
        attach_plan_rsrp(plan, area_index=demand.area_index)
    else:
        attach_plan_rsrp(plan)
    full = plan.extras["rsrp_dbm"]
    uncovered = plan.demand_mask & ~np.isfinite(plan.best_rsrp) & np.isfinite(ref_rsrp)
    park = uncovered & (demand.area_index == classes.index("park"))
    indoor = uncovered & (pen == 20.0)
    assert park.sum() > 5 and indoor.sum() > 5
    np.testing.assert_allclose(full[park], np.minimum(ref_rsrp[park], thr - 1e-4), atol=1e-3)
    np.testing.assert_allclose(full[indoor], ref_rsrp[indoor], atol=1e-3)
    assert (full[plan.demand_mask & ~np.isfinite(plan.best_rsrp)] < thr).all()
