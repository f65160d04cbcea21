"""Coverage kernel and CoverageMatrix: parity with a pure-Python reference, properties, GeoTIFF."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from kernels._vmath import vexp, vlog
from planner.coverage import (
    CoverageMatrix,
    Grid,
    Terrain,
    build_coverage,
    write_best_server_geotiff,
)
from planner.radio import link_budget, los_probability, pathloss
from planner.scenario import RadioConfig
from tests.test_pathloss import ref_mixture_loss

#: the engine's omni sites under the dB-averaged LOS probability (the pure-Python reference's model;
#: sectors: tests/test_sectors.py, the mixture: the parametrised parity tests)
OMNI = RadioConfig(antenna="omni", los="probability")


def ref_coverage(
    grid: Grid,
    x: np.ndarray,
    y: np.ndarray,
    h: np.ndarray,
    sc: np.ndarray,
    radio: RadioConfig,
    mask: np.ndarray,
    los_of=None,
) -> list[dict[int, float]]:
    """Per site {cell: RSRP} by brute force over every cell (slow; small grids only).

    ``los_of(site, cell) -> bool`` decides LOS per cell (terrain; clear cells follow
    ``radio.terrain_clear``); otherwise ``radio.los``. ``"mixture"`` is the edge-probability
    quantile of the LOS/NLOS mixture by NormalDist + brentq (:func:`tests.test_pathloss.ref_mixture_loss`).
    """
    out = []
    cx, cy = grid.cell_centres()
    for s in range(x.size):
        lb = link_budget(radio, str(sc[s]), terrain=los_of is not None)
        row: dict[int, float] = {}
        for cell in np.flatnonzero(mask.ravel()):
            d = math.hypot(cx[cell] - x[s], cy[cell] - y[s])
            pl_l = float(pathloss(lb.model, lb.fc_ghz, d, h[s], radio.ue_height_m, True)) + lb.shadow_margin_los_db
            pl_n = float(pathloss(lb.model, lb.fc_ghz, d, h[s], radio.ue_height_m, False)) + lb.shadow_margin_nlos_db
            p = float(los_probability(lb.model, d, radio.ue_height_m))
            expected = p * pl_l + (1 - p) * pl_n
            rule = radio.terrain_clear if los_of is not None else radio.los  # for LOS / clear cells
            if rule == "los":
                loss = pl_l
            elif rule == "nlos":
                loss = pl_n
            elif rule == "mixture":
                loss = ref_mixture_loss(
                    p,
                    pl_l - lb.shadow_margin_los_db,
                    pl_n - lb.shadow_margin_nlos_db,
                    lb.sigma_los_db,
                    lb.sigma_nlos_db,
                    radio.edge_probability,
                )
            else:
                loss = expected
            if los_of is not None and not los_of(s, int(cell)):
                loss = pl_n  # the DSM blocks the ray
            rsrp = lb.budget_db - loss
            if rsrp >= radio.threshold_dbm:
                row[int(cell)] = rsrp
        out.append(row)
    return out


def assert_same(cov: CoverageMatrix, ref: list[dict[int, float]]) -> None:
    assert cov.indptr.dtype == np.int64 and cov.rsrp.dtype == np.float32 and cov.indices.dtype == np.int32
    assert cov.indptr[0] == 0 and cov.indptr[-1] == cov.indices.size == cov.rsrp.size
    for s, want in enumerate(ref):
        idx = cov.indices[cov.indptr[s] : cov.indptr[s + 1]]
        val = cov.rsrp[cov.indptr[s] : cov.indptr[s + 1]]
        assert np.all(np.diff(idx) > 0), "indices ascend within a row"
        assert idx.tolist() == sorted(want), f"site {s}"
        np.testing.assert_allclose(val, [want[c] for c in idx], atol=1e-3)


def random_sites(rng: np.random.Generator, grid: Grid, n: int) -> tuple[np.ndarray, ...]:
    xmin, ymin, xmax, ymax = grid.bounds
    x = rng.uniform(xmin - 100, xmax + 100, n)
    y = rng.uniform(ymin - 100, ymax + 100, n)
    macro = rng.random(n) < 0.3
    h = np.where(macro, rng.uniform(20, 40, n), rng.uniform(6, 12, n))
    return x, y, h, np.where(macro, "macro", "micro")


@pytest.mark.parametrize("los", ["probability", "nlos", "mixture"])
def test_parity_without_terrain(los: str) -> None:
    rng = np.random.default_rng(11)
    grid = Grid(500_000.0, 3_380_000.0, 25.0, 28, 24, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 12)
    mask = rng.random((grid.ny, grid.nx)) < 0.8
    radio = RadioConfig(antenna="omni", los=los, threshold_dbm=-100.0)
    cov = build_coverage(grid, x, y, h, sc, radio, mask)
    assert_same(cov, ref_coverage(grid, x, y, h, sc, radio, mask))
    assert cov.meta["models"] == {"macro": "uma", "micro": "umi"}
    assert cov.meta["nnz"] == cov.nnz


@pytest.mark.parametrize("los", ["probability", "nlos", "mixture"])
@pytest.mark.parametrize(("macro", "micro", "ue_h"), [("uma", "umi", 15.0), ("rma", "fspl", 1.5), ("fspl", "uma", 1.5)])
def test_parity_every_model_without_terrain(los: str, macro: str, micro: str, ue_h: float) -> None:
    """The kernel's slower paths too: RMa, FSPL and UMa with h_UT > 13 m (Table 7.4.2-1's C')."""
    from planner.scenario import SiteClassRadio

    rng = np.random.default_rng(23)
    grid = Grid(500_000.0, 3_380_000.0, 40.0, 20, 18, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 8)
    mask = rng.random((grid.ny, grid.nx)) < 0.8
    radio = RadioConfig(
        antenna="omni",
        los=los,
        threshold_dbm=-100.0,
        ue_height_m=ue_h,
        macro=SiteClassRadio(tx_power_w=200.0, antenna_gain_dbi=17.0, model=macro),
        micro=SiteClassRadio(tx_power_w=20.0, antenna_gain_dbi=10.0, model=micro),
    )
    cov = build_coverage(grid, x, y, h, sc, radio, mask)
    assert cov.nnz > 0
    assert_same(cov, ref_coverage(grid, x, y, h, sc, radio, mask))


@njit
def _map(f, v):  # type: ignore[no-untyped-def]
    out = np.empty_like(v)
    for i in range(v.size):
        out[i] = f(v[i])
    return out


def test_vector_log_exp_within_one_ulp() -> None:
    """kernels._vmath (the branch-free fdlibm log / exp of the fill loop) against the C library."""
    rng = np.random.default_rng(0)
    xs = np.concatenate(
        [
            10.0 ** rng.uniform(-300, 300, 100_000),
            rng.uniform(100.0, 1e7, 100_000),
            rng.uniform(0.5, 2.0, 50_000),
            [1.0, 2.0, 0.5, math.sqrt(2.0), 100.0, 1e300],
        ]
    )
    want = np.array([math.log(v) for v in xs])
    assert _map(vlog, np.array([1.0]))[0] == 0.0
    assert (np.abs(_map(vlog, xs) - want) <= np.spacing(np.abs(want))).all()
    es = np.concatenate(
        [
            rng.uniform(-700.0, 700.0, 100_000),
            rng.uniform(-30.0, 0.0, 100_000),
            rng.uniform(-1e-6, 1e-6, 1_000),
            [0.0, -1.0, 1.0, -700.0, -0.5 * math.log(2.0)],
        ]
    )
    want = np.array([math.exp(v) for v in es])
    assert (np.abs(_map(vexp, es) - want) <= np.spacing(want)).all()
    assert _map(vexp, np.array([-800.0, -1e9])).tolist() == [math.exp(-700.0)] * 2


def test_best_server_and_scipy() -> None:
    rng = np.random.default_rng(5)
    grid = Grid(0.0, 1000.0, 20.0, 40, 30, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 8)
    cov = build_coverage(grid, x, y, h, sc, OMNI, np.ones((grid.ny, grid.nx), bool))
    m = cov.to_scipy()
    assert m.shape == (8, grid.n_cells) and m.nnz == cov.nnz
    sel = np.array([1, 4, 6])
    best = cov.best_server_of(sel)
    dense = m[sel].toarray()
    has = (m[sel] != 0).toarray().any(axis=0) | np.zeros(grid.n_cells, bool)
    want = np.where(has, np.where(has, np.max(np.where((m[sel] != 0).toarray(), dense, -np.inf), axis=0), 0), np.nan)
    np.testing.assert_allclose(best.ravel(), want.astype(np.float32), equal_nan=True)
    assert np.isnan(cov.best_server_of([])).all()


@settings(max_examples=15, deadline=None)
@given(thr=st.floats(-120.0, -80.0), dthr=st.floats(0.0, 15.0), seed=st.integers(0, 1000))
def test_covered_set_shrinks_as_threshold_rises(thr: float, dthr: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    grid = Grid(0.0, 2000.0, 40.0, 50, 50, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 6)
    mask = np.ones((grid.ny, grid.nx), bool)
    lo = build_coverage(grid, x, y, h, sc, RadioConfig(antenna="omni", los="probability", threshold_dbm=thr), mask)
    hi = build_coverage(
        grid, x, y, h, sc, RadioConfig(antenna="omni", los="probability", threshold_dbm=thr + dthr), mask
    )
    for s in range(6):
        a = set(lo.indices[lo.indptr[s] : lo.indptr[s + 1]].tolist())
        b = set(hi.indices[hi.indptr[s] : hi.indptr[s + 1]].tolist())
        assert b <= a


def test_geotiff(tmp_path: Path) -> None:
    grid = Grid(500_000.0, 3_380_000.0, 20.0, 600, 520, "EPSG:4547")
    best = np.random.default_rng(0).normal(-95, 8, (grid.ny, grid.nx)).astype(np.float32)
    best[:50, :70] = np.nan
    path = write_best_server_geotiff(best, grid, tmp_path / "coverage.tif")
    with rasterio.open(path) as ds:
        assert ds.crs.to_epsg() == 4547 and ds.dtypes[0] == "float32"
        assert ds.nodata == -9999.0 and ds.overviews(1)
        assert ds.profile["tiled"] and ds.transform == grid.transform
        data = ds.read(1, masked=True)
    assert data.mask[:50, :70].all() and not data.mask[50:, 70:].any()
    np.testing.assert_allclose(data.filled(np.nan), best, equal_nan=True)


def test_terrain_flat_equals_los() -> None:
    """A flat, empty DSM: every cell in LOS, so the LOS formula applies everywhere."""
    rng = np.random.default_rng(2)
    grid = Grid(0.0, 600.0, 25.0, 24, 24, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 5)
    mask = np.ones((grid.ny, grid.nx), bool)
    terrain = Terrain(grid, np.zeros((24, 24), np.float32), np.zeros((24, 24), np.float32))
    radio = RadioConfig(antenna="omni", los="probability", threshold_dbm=-95.0, terrain_clear="los")
    cov = build_coverage(grid, x, y, h, sc, radio, mask, terrain)
    assert_same(cov, ref_coverage(grid, x, y, h, sc, radio, mask, los_of=lambda s, c: True))


def test_terrain_clear_auto_resolves_on_the_building_share() -> None:
    """``auto``: a bare-earth DSM is not trusted as LOS (the run equals ``probability``);
    buildings over ≥ 15 % of the cells are (the run equals ``los``).
    """
    from planner.coverage.terrain import AUTO_LOS_BUILT_SHARE, built_share, clear_mode

    rng = np.random.default_rng(8)
    grid = Grid(0.0, 600.0, 25.0, 24, 24, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 5)
    mask = np.ones((grid.ny, grid.nx), bool)
    bare = Terrain(grid, np.zeros((24, 24), np.float32), np.zeros((24, 24), np.float32))
    bld = np.zeros((24, 24), np.float32)
    bld.ravel()[: int(np.ceil(AUTO_LOS_BUILT_SHARE * bld.size))] = 3.0  # low roofs at the grid's top rows
    built = Terrain(grid, np.zeros((24, 24), np.float32), bld)
    assert built_share(bare) == 0.0 and built_share(built) >= AUTO_LOS_BUILT_SHARE
    assert (clear_mode("auto", bare), clear_mode("auto", built), clear_mode("auto", None)) == (
        "probability",
        "los",
        "probability",
    )
    assert clear_mode("los", bare) == "los" and clear_mode("probability", built) == "probability"
    auto = RadioConfig(antenna="omni", los="probability", threshold_dbm=-95.0)
    assert auto.terrain_clear == "auto"
    for terrain, resolved in ((bare, "probability"), (built, "los")):
        a = build_coverage(grid, x, y, h, sc, auto, mask, terrain)
        b = build_coverage(grid, x, y, h, sc, auto.model_copy(update={"terrain_clear": resolved}), mask, terrain)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.rsrp, b.rsrp)
        assert a.meta["los"] == f"terrain ray-march (clear cells: {resolved})"


def test_terrain_flat_with_probability_clear_equals_no_terrain() -> None:
    """A flat DSM and ``terrain_clear = "probability"`` give exactly the run without terrain."""
    rng = np.random.default_rng(5)
    grid = Grid(0.0, 600.0, 25.0, 24, 24, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 6)
    mask = np.ones((grid.ny, grid.nx), bool)
    terrain = Terrain(grid, np.zeros((24, 24), np.float32), np.zeros((24, 24), np.float32))
    radio = RadioConfig(antenna="omni", los="probability", threshold_dbm=-95.0, terrain_clear="probability")
    a = build_coverage(grid, x, y, h, sc, radio, mask, terrain)
    b = build_coverage(grid, x, y, h, sc, radio, mask, None)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.rsrp, b.rsrp, atol=1e-4)


def test_parity_with_terrain_on_random_dsm() -> None:
    """Ray-marched LOS per cell: kernel vs the brute-force reference and the Liang–Barsky LOS."""
    from tests.test_los import ref_los

    rng = np.random.default_rng(99)
    grid = Grid(500_000.0, 3_380_000.0, 20.0, 26, 22, "EPSG:4547")
    dem = rng.uniform(0, 4, (grid.ny, grid.nx)).astype(np.float32)
    bld = ((rng.random((grid.ny, grid.nx)) < 0.2) * rng.uniform(5, 35, (grid.ny, grid.nx))).astype(np.float32)
    terrain = Terrain(grid, dem, bld)
    x, y, h, sc = random_sites(rng, grid, 8)
    mask = rng.random((grid.ny, grid.nx)) < 0.9
    radio = RadioConfig(antenna="omni", los="probability", threshold_dbm=-98.0, terrain_clear="los")
    cx, cy = grid.cell_centres()

    def ground(px: float, py: float) -> float:
        c = min(max(math.floor((px - grid.x0) / grid.res), 0), grid.nx - 1)
        r = min(max(math.floor((grid.y0 - py) / grid.res), 0), grid.ny - 1)
        return float(dem[r, c])

    def los_of(s: int, cell: int) -> bool:
        a = (float(x[s]), float(y[s]), ground(x[s], y[s]) + float(h[s]))
        b = (float(cx[cell]), float(cy[cell]), float(dem.ravel()[cell]) + radio.ue_height_m)
        return ref_los(terrain.dsm, grid.x0, grid.y0, grid.res, a, b)

    cov = build_coverage(grid, x, y, h, sc, radio, mask, terrain)
    assert_same(cov, ref_coverage(grid, x, y, h, sc, radio, mask, los_of=los_of))
    assert cov.meta["los"] == "terrain ray-march (clear cells: los)"
    # clear cells by the LOS probability (a DSM that misses obstacles); blocked ones stay NLOS
    radio_p = radio.model_copy(update={"terrain_clear": "probability"})
    cov_p = build_coverage(grid, x, y, h, sc, radio_p, mask, terrain)
    assert_same(cov_p, ref_coverage(grid, x, y, h, sc, radio_p, mask, los_of=los_of))
    assert cov_p.indptr[-1] < cov.indptr[-1]
    # clear cells by the exact mixture quantile: fewer cells than the dB average
    radio_m = radio.model_copy(update={"terrain_clear": "mixture"})
    cov_m = build_coverage(grid, x, y, h, sc, radio_m, mask, terrain)
    assert_same(cov_m, ref_coverage(grid, x, y, h, sc, radio_m, mask, los_of=los_of))
    assert cov_m.indptr[-1] < cov_p.indptr[-1]
    assert cov_m.meta["los"] == "terrain ray-march (clear cells: mixture)"
    # small chunks give the same matrix
    import planner.coverage.build as build_mod

    old = build_mod.CHUNK_BOX_CELLS
    try:
        build_mod.CHUNK_BOX_CELLS = 500
        cov2 = build_coverage(grid, x, y, h, sc, radio, mask, terrain)
    finally:
        build_mod.CHUNK_BOX_CELLS = old
    assert cov2.meta["chunks"] > 1
    np.testing.assert_array_equal(cov2.indptr, cov.indptr)
    np.testing.assert_array_equal(cov2.indices, cov.indices)
    np.testing.assert_array_equal(cov2.rsrp, cov.rsrp)


def test_input_checks_and_empty() -> None:
    grid = Grid(0.0, 500.0, 25.0, 20, 20, "EPSG:4547")
    radio = RadioConfig()
    with pytest.raises(ValueError, match="same length"):
        build_coverage(grid, [0.0, 1.0], [0.0], [10.0], ["micro"], radio)
    with pytest.raises(ValueError, match="site class"):
        build_coverage(grid, [100.0], [100.0], [10.0], ["pico"], radio)
    with pytest.raises(ValueError, match="cell_mask"):
        build_coverage(grid, [100.0], [100.0], [10.0], ["micro"], radio, np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="finite"):
        build_coverage(grid, [np.nan], [100.0], [10.0], ["micro"], radio)
    empty = build_coverage(grid, np.empty(0), np.empty(0), np.empty(0), np.empty(0, str), radio)
    assert empty.n_sites == 0 and empty.nnz == 0 and empty.to_scipy().shape == (0, grid.n_cells)
    far = build_coverage(grid, [1e6], [1e6], [10.0], ["micro"], radio)  # far outside the grid
    assert far.nnz == 0 and far.indptr.tolist() == [0, 0]
    with pytest.raises(IndexError):
        far.best_server_of([3])
    # a masked-out grid keeps nothing
    none = build_coverage(grid, [250.0], [250.0], [10.0], ["micro"], radio, np.zeros((20, 20), bool))
    assert none.nnz == 0


def ref_merge_rows(a: list[dict[int, float]], b: list[dict[int, float]]) -> list[dict[int, float]]:
    """Pure-Python reference of kernels.coverage.merge_rows: per row, the union of two disjoint dicts."""
    assert all(not (set(ra) & set(rb)) for ra, rb in zip(a, b, strict=True))
    return [{**ra, **rb} for ra, rb in zip(a, b, strict=True)]


def _csr(rows: list[dict[int, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ip = np.zeros(len(rows) + 1, np.int64)
    ip[1:] = np.cumsum([len(r) for r in rows])
    idx = np.array([c for r in rows for c in sorted(r)], np.int32)
    val = np.array([r[c] for r in rows for c in sorted(r)], np.float32)
    return ip, idx, val


def test_merge_rows_matches_reference() -> None:
    from kernels.coverage import merge_rows

    rng = np.random.default_rng(4)
    for _ in range(30):
        n = int(rng.integers(0, 6))
        a: list[dict[int, float]] = []
        b: list[dict[int, float]] = []
        for _s in range(n):
            cells = rng.permutation(60)[: int(rng.integers(0, 40))]
            cut = int(rng.integers(0, cells.size + 1))
            a.append({int(c): float(np.float32(rng.normal(-90, 5))) for c in cells[:cut]})
            b.append({int(c): float(np.float32(rng.normal(-90, 5))) for c in cells[cut:]})
        ipa, ia, va = _csr(a)
        ipb, ib, vb = _csr(b)
        ip = np.empty(n + 1, np.int64)
        idx = np.empty(ia.size + ib.size, np.int32)
        val = np.empty(ia.size + ib.size, np.float32)
        merge_rows(ipa, ia, va, ipb, ib, vb, ip, idx, val)
        want_ip, want_idx, want_val = _csr(ref_merge_rows(a, b))
        assert ip.tolist() == want_ip.tolist() and idx.tolist() == want_idx.tolist()
        assert val.tolist() == want_val.tolist()


@pytest.mark.parametrize("antenna", ["omni", "sectors"])
def test_penetration_per_cell_is_one_build_per_loss(antenna: str) -> None:
    """Cells of each penetration loss get the build with that loss (parity with the reference for omni),
    a lower loss reaches farther, and the sector tilts stay those of the design budget.
    """
    from planner.coverage.build import cell_penetration

    rng = np.random.default_rng(21)
    grid = Grid(500_000.0, 3_380_000.0, 25.0, 30, 26, "EPSG:4547")
    x, y, h, sc = random_sites(rng, grid, 7)
    radio = RadioConfig(antenna=antenna, threshold_dbm=-100.0)
    mask = rng.random((grid.ny, grid.nx)) < 0.9
    area_index = np.full((grid.ny, grid.nx), -1, np.int32)
    area_index[:, :10] = 0  # a park strip (0 dB by default)
    area_index[:8, 20:] = 1  # a rail station with open platforms (5 dB here)
    radio = radio.model_copy(update={"penetration_by_class": {"park": 0.0, "highway": 0.0, "rail_station": 5.0}})
    pen = cell_penetration(radio, area_index, ["park", "rail_station"])
    assert pen is not None and set(np.unique(pen).tolist()) == {0.0, 5.0, 20.0}
    cov = build_coverage(grid, x, y, h, sc, radio, mask, cell_penetration_db=pen)
    got = [
        dict(
            zip(
                cov.indices[cov.indptr[s] : cov.indptr[s + 1]].tolist(),
                cov.rsrp[cov.indptr[s] : cov.indptr[s + 1]].tolist(),
                strict=True,
            )
        )
        for s in range(x.size)
    ]
    assert all(np.all(np.diff(cov.indices[cov.indptr[s] : cov.indptr[s + 1]]) > 0) for s in range(x.size))
    want: list[dict[int, float]] = [{} for _ in range(x.size)]
    for p in (0.0, 5.0, 20.0):
        r_p = radio.model_copy(update={"penetration_loss_db": p})
        if antenna == "omni":
            part = ref_coverage(grid, x, y, h, sc, r_p, mask & (pen == p))
        else:  # the sectorised pass of that loss with the design budget's tilts
            from planner.coverage.build import resolve_tilts

            sub = build_coverage(grid, x, y, h, sc, r_p, mask & (pen == p), site_tilt_deg=resolve_tilts(h, sc, radio))
            part = [
                dict(
                    zip(
                        sub.indices[sub.indptr[s] : sub.indptr[s + 1]].tolist(),
                        sub.rsrp[sub.indptr[s] : sub.indptr[s + 1]].tolist(),
                        strict=True,
                    )
                )
                for s in range(x.size)
            ]
        want = ref_merge_rows(want, part)
    for s in range(x.size):
        assert sorted(got[s]) == sorted(want[s]), s
        for c, v in want[s].items():
            assert got[s][c] == pytest.approx(v, abs=2e-3)
    assert [q["penetration_loss_db"] for q in cov.meta["penetration"]["passes"]] == [0.0, 5.0, 20.0]
    plain = build_coverage(grid, x, y, h, sc, radio, mask & (pen == 20.0))
    assert cov.nnz > plain.nnz and cov.meta["radius_m_max"] > plain.meta["radius_m_max"]
    # one loss everywhere: the plain build, bit for bit
    same = build_coverage(grid, x, y, h, sc, radio, mask, cell_penetration_db=np.full((grid.ny, grid.nx), 20.0))
    ref = build_coverage(grid, x, y, h, sc, radio, mask)
    assert same.indices.tolist() == ref.indices.tolist() and same.rsrp.tolist() == ref.rsrp.tolist()
    with pytest.raises(ValueError, match="cell_penetration_db"):
        build_coverage(grid, x, y, h, sc, radio, mask, cell_penetration_db=np.zeros((3, 3)))


def test_cell_penetration_defaults() -> None:
    from planner.coverage.build import cell_penetration

    radio = RadioConfig()
    idx = np.array([[-1, 0, 1, 2]], np.int32)
    assert cell_penetration(radio, idx, ["central_urban", "transport_hub", "other"]) is None  # all indoor: plain build
    pen = cell_penetration(radio, idx, ["park", "highway", "rail_station"])
    assert pen is not None and pen.tolist() == [[20.0, 0.0, 0.0, 20.0]]
    platforms = radio.model_copy(update={"penetration_by_class": {**radio.penetration_by_class, "rail_station": 0.0}})
    assert cell_penetration(platforms, idx, ["park", "highway", "rail_station"]).tolist() == [[20.0, 0.0, 0.0, 0.0]]


@pytest.mark.parametrize(("h", "cls", "edge"), [(30.0, "macro", 0.75), (10.0, "micro", 0.75), (30.0, "macro", 0.5),
                                                 (8.0, "micro", 0.9)])
def test_simd_mixture_fill_matches_the_scalar_root(h: float, cls: str, edge: float) -> None:
    """The SIMD mixture fill (A&S Φ, fixed Newton steps, exact finish) gives the root of
    kernels.pathloss.mixture_loss within 2e-5 dB (float32 RSRP) on every cell out to 1.5 km.
    """
    from kernels.pathloss import mixture_loss

    grid = Grid(0.0, 3000.0, 10.0, 300, 300, "EPSG:4547")
    radio = RadioConfig(antenna="omni", edge_probability=edge, threshold_dbm=-150.0)
    cov = build_coverage(grid, [1503.0], [1497.0], [h], [cls], radio)
    lb = link_budget(radio, cls)
    cx, cy = grid.cell_centres()
    idx = cov.indices[: cov.indptr[1]]
    d = np.hypot(cx[idx] - 1503.0, cy[idx] - 1497.0)
    assert idx.size > 10_000 and d.max() > 800.0  # LOS share from 1 down to ~0.02
    want = np.empty(idx.size)
    for i, dist in enumerate(d):
        pl_l = float(pathloss(lb.model, lb.fc_ghz, dist, h, radio.ue_height_m, True))
        pl_n = float(pathloss(lb.model, lb.fc_ghz, dist, h, radio.ue_height_m, False))
        p = float(los_probability(lb.model, dist, radio.ue_height_m))
        want[i] = lb.budget_db - mixture_loss(p, pl_l, pl_n, lb.shadow_margin_los_db, lb.shadow_margin_nlos_db,
                                              lb.sigma_los_db, lb.sigma_nlos_db, edge)
    np.testing.assert_allclose(cov.rsrp[: cov.indptr[1]], want, atol=2e-5, rtol=0)
