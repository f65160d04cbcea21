"""SS-SINR, overlap and throughput: the two-site check, a pure-Python reference, reach beyond the radius."""

from __future__ import annotations

import doctest
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kernels.sinr import sinr_overlap
from planner.coverage import CoverageMatrix, Grid, build_coverage
from planner.errors import ScenarioError
from planner.radio import pathloss
from planner.radio.interference import (
    SinrResult,
    area_sinr_statistics,
    dl_throughput_mbps,
    noise_per_re_dbm,
    plan_sinr,
    sinr_of_matrix,
)
from planner.scenario import RadioConfig, scenario_from_dict


def ref_sinr(
    rows_cells: list[list[tuple[int, float]]],
    n_cells: int,
    eta: float,
    noise_dbm: float,
    window: float,
    min_best: float,
) -> tuple[list[float], list[float], list[int]]:
    """Per cell from lists of (cell, dBm) per site, with the math module only."""
    per_cell: list[list[float]] = [[] for _ in range(n_cells)]
    for row in rows_cells:
        for c, v in row:
            per_cell[c].append(v)
    best, sinr, ov = [], [], []
    for vals in per_cell:
        if not vals:
            best.append(math.nan)
            sinr.append(math.nan)
            ov.append(0)
            continue
        b = max(vals)
        others = sum(10 ** (v / 10) for v in vals) - 10 ** (b / 10)
        best.append(b)
        sinr.append(10 * math.log10(10 ** (b / 10) / (eta * max(others, 0.0) + 10 ** (noise_dbm / 10))))
        ov.append(sum(v >= b - window for v in vals) if b >= min_best else 0)
    return best, sinr, ov


def _csr(rows_cells: list[list[tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    indptr = np.zeros(len(rows_cells) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows_cells])
    indices = np.array([c for r in rows_cells for c, _ in r], dtype=np.int32)
    rsrp = np.array([v for r in rows_cells for _, v in r], dtype=np.float32)
    return indptr, indices, rsrp


def test_two_site_acceptance() -> None:
    """UMa NLOS, 30 m masts, 3.5 GHz, UE 100 m from A and 300 m from B, equal EIRP, eta 1, no noise."""
    pl_a = float(pathloss("uma", 3.5, 100.0, 30.0, 1.5, los=False))
    pl_b = float(pathloss("uma", 3.5, 300.0, 30.0, 1.5, los=False))
    assert pl_a == pytest.approx(103.24, abs=0.01)
    assert pl_b == pytest.approx(121.30, abs=0.01)
    eirp = 34.8
    indptr, indices, rsrp = _csr([[(0, eirp - pl_a)], [(0, eirp - pl_b)]])
    best, sinr, ov = sinr_overlap(indptr, indices, rsrp, np.array([0, 1]), 1, 1.0, 1e-30, 6.0, -200.0)
    assert float(sinr[0]) == pytest.approx(18.06, abs=0.01)
    assert float(best[0]) == pytest.approx(eirp - pl_a, abs=1e-4)
    assert int(ov[0]) == 1  # B is 18 dB down: one dominant server


def test_two_site_through_the_coverage_build() -> None:
    """The same check end to end: a 1-row grid, the sites 100 m east and 300 m west of the UE cell."""
    grid = Grid(x0=-10.0, y0=10.0, res=20.0, nx=1, ny=1, crs="EPSG:4547")
    radio = RadioConfig(los="nlos", load_factor=1.0, noise_figure_db=0.0, penetration_loss_db=0.0, antenna="omni")
    res = plan_sinr(grid, [100.0, -300.0], [0.0, 0.0], [30.0, 30.0], ["macro", "macro"], radio)
    assert float(res.sinr_db[0, 0]) == pytest.approx(18.06, abs=0.01)
    assert res.meta["sites"] == 2 and res.meta["nnz"] == 2


def test_sectors_of_one_site_interfere() -> None:
    """Each sector is a server (its own cell and SSB): the site's other sectors interfere. On the
    boundary of two sectors of a 3-sector macro the two are equal, so SS-SINR ≤ 0 dB; the reference
    sums the three sectors' powers (omni median RSRP + TR 38.901 sector gain each, η 1) and the noise.
    """
    from planner.coverage.build import resolve_tilts
    from planner.radio.antenna import sector_gain_db
    from planner.radio.interference import median_radio

    grid = Grid(x0=-10.0, y0=10.0, res=20.0, nx=1, ny=1, crs="EPSG:4547")  # one cell centred on (0, 0)
    radio = RadioConfig(load_factor=1.0, noise_figure_db=0.0, penetration_loss_db=0.0, antenna="sectors")
    med, noise_dbm, _ = median_radio(radio)
    tilt = float(resolve_tilts(np.array([30.0]), np.array(["macro"]), med)[0])
    ant = radio.macro_antenna
    d = 28.5 / math.tan(math.radians(tilt))  # the UE on the vertical beam's axis
    for bearing in (60.0, 0.0, 100.0):  # the UE at `bearing` from the site
        b = math.radians(bearing)
        sx, sy = -d * math.sin(b), -d * math.cos(b)
        omni = build_coverage(grid, [sx], [sy], [30.0], ["macro"], med.model_copy(update={"antenna": "omni"}))
        g = [
            float(
                sector_gain_db(
                    -sx,
                    -sy,
                    1.5 - 30.0,
                    a,
                    tilt,
                    hpbw_h_deg=ant.hpbw_h_deg,
                    hpbw_v_deg=ant.hpbw_v_deg,
                    sla_v_db=ant.sla_v_db,
                    a_max_db=ant.front_to_back_db,
                )
            )
            for a in ant.bearings()
        ]
        p = 10.0 ** ((float(omni.rsrp[0]) + np.array(g)) / 10.0)
        want = 10.0 * math.log10(p.max() / (p.sum() - p.max() + 10.0 ** (noise_dbm / 10.0)))
        res = plan_sinr(grid, [sx], [sy], [30.0], ["macro"], radio)
        assert float(res.sinr_db[0, 0]) == pytest.approx(want, abs=0.01)
        assert res.meta["sites"] == 1 and res.meta["servers"] == 3
        if bearing == 60.0:
            assert want < 0.0  # two equal sectors: at best 0 dB
        else:
            assert want > 5.0
    # a site given its own single bearing is one server
    own = plan_sinr(grid, [sx], [sy], [30.0], ["macro"], radio, site_azimuths=[(100.0,)])
    assert own.meta["servers"] == 1 and float(own.sinr_db[0, 0]) > float(res.sinr_db[0, 0]) + 3.0


@pytest.mark.parametrize(("n", "want"), [(1, None), (2, 0.0), (3, -3.01), (4, -4.77)])
def test_equal_servers(n: int, want: float | None) -> None:
    indptr, indices, rsrp = _csr([[(0, -80.0)] for _ in range(n)])
    _, sinr, ov = sinr_overlap(indptr, indices, rsrp, np.arange(n, dtype=np.int64), 1, 1.0, 1e-30, 6.0, -105.0)
    if want is not None:
        assert float(sinr[0]) == pytest.approx(want, abs=0.01)
    assert int(ov[0]) == n


def test_kernel_parity_with_reference() -> None:
    rng = np.random.default_rng(11)
    n_cells = 60
    rows_cells = []
    for _ in range(25):
        cells = np.sort(rng.choice(n_cells, size=int(rng.integers(0, 30)), replace=False))
        rows_cells.append([(int(c), float(np.float32(rng.uniform(-130, -60)))) for c in cells])
    indptr, indices, rsrp = _csr(rows_cells)
    use = np.array(sorted(rng.choice(25, size=15, replace=False)), dtype=np.int64)
    best, sinr, ov = sinr_overlap(indptr, indices, rsrp, use, n_cells, 0.5, 10 ** (-12.2), 6.0, -105.0)
    rb, rs, ro = ref_sinr([rows_cells[i] for i in use], n_cells, 0.5, -122.0, 6.0, -105.0)
    np.testing.assert_allclose(best, np.array(rb, dtype=np.float32), equal_nan=True)
    np.testing.assert_allclose(sinr, np.array(rs), rtol=0, atol=2e-4, equal_nan=True)
    assert ov.tolist() == ro


def test_wrapper_dedups_and_checks() -> None:
    grid = Grid(x0=0.0, y0=20.0, res=10.0, nx=2, ny=2, crs="EPSG:4547")
    indptr, indices, rsrp = _csr([[(0, -80.0), (3, -90.0)], [(0, -83.0)]])
    m = CoverageMatrix(grid, indptr, indices, rsrp)
    a = sinr_of_matrix(m, [0, 1, 1], noise_dbm=-200.0, load_factor=1.0, window_db=6.0, min_best_dbm=-105.0)
    assert a.sinr_db.shape == (2, 2)
    assert float(a.sinr_db[0, 0]) == pytest.approx(3.0, abs=1e-3)  # -80 against -83, counted once
    assert a.overlap.tolist() == [[2, 0], [0, 1]]
    assert math.isnan(float(a.sinr_db[0, 1]))
    with pytest.raises(ValueError, match="load_factor"):
        sinr_of_matrix(m, [0], noise_dbm=-120.0, load_factor=1.5, window_db=6.0, min_best_dbm=-105.0)
    with pytest.raises(IndexError):
        sinr_of_matrix(m, [2], noise_dbm=-120.0, load_factor=1.0, window_db=6.0, min_best_dbm=-105.0)


def test_interference_reaches_beyond_the_coverage_radius() -> None:
    """A site whose design coverage stops short of a cell still interferes there (omni: the geometry of
    the reach; with the default tilted sectors a site 400 m away is seen ~9 dB under its vertical beam).
    """
    grid = Grid(x0=0.0, y0=2000.0, res=20.0, nx=60, ny=1, crs="EPSG:4547")
    radio = RadioConfig(antenna="omni")
    x, y, h = [10.0, 1010.0], [1990.0, 1990.0], [30.0, 30.0]
    design = build_coverage(grid, x, y, h, ["macro", "macro"], radio)
    covered = [set(design.indices[design.indptr[s] : design.indptr[s + 1]].tolist()) for s in range(2)]
    res = plan_sinr(grid, x, y, h, ["macro", "macro"], radio)
    alone = plan_sinr(grid, x[:1], y[:1], h[:1], ["macro"], radio)
    # the cell 600 m from site 0 and 400 m from site 1 is covered by neither, yet both are received there
    c = 30
    assert c not in covered[0] and c not in covered[1]
    alone1 = plan_sinr(grid, x[1:], y[1:], h[1:], ["macro"], radio)
    assert float(res.sinr_db[0, c]) < float(alone1.sinr_db[0, c]) - 1.0
    assert float(res.best_rsrp_dbm[0, c]) == float(alone1.best_rsrp_dbm[0, c])
    # next to site 0 the far site (1 km) still costs a little SINR; the power reach is far beyond the radius
    assert float(alone.sinr_db[0, 0]) > float(res.sinr_db[0, 0]) >= float(alone.sinr_db[0, 0]) - 2.0
    assert res.meta["radius_m_max"] > design.meta["radius_m_max"] * 3


def test_noise_and_throughput() -> None:
    assert noise_per_re_dbm(30, 7.0) == pytest.approx(-122.23, abs=0.01)
    assert noise_per_re_dbm(15, 9.0) == pytest.approx(-123.24, abs=0.01)
    t = dl_throughput_mbps([-20.0, -10.0, 60.0, float("nan")], 273, 30)
    assert t[0] == 0.0 and t[1] > 0.0
    assert t[2] == pytest.approx(7.4063 * 12 * 273 * 30e3 * 0.643 * 0.86 / 1e6)  # capped at 256QAM
    assert math.isnan(t[3])
    import planner.radio.interference as mod

    result = doctest.testmod(mod)
    assert result.failed == 0 and result.attempted >= 2


def test_area_statistics() -> None:
    sinr = np.array([[-5.0, 0.0, 10.0, np.nan]], dtype=np.float32)
    ov = np.array([[5, 4, 1, 0]], dtype=np.uint8)
    res = SinrResult(sinr, sinr, ov)
    area = np.array([[0, 0, 1, 1]], dtype=np.int32)
    mask = np.ones((1, 4), dtype=bool)
    t = area_sinr_statistics(res, area, mask, ["A", "B"], sinr_min_db=-3.0, n_rb=273, scs_khz=30)
    a, b, every = (t.iloc[i] for i in range(3))
    assert a["name"] == "A" and a["cells"] == 2 and a["sinr_ok"] == 0.5 and a["polluted"] == 1.0
    assert b["sinr_ok"] == 0.5 and b["polluted"] == 0.0 and b["mean_overlap"] == 1.0
    assert pd.isna(b["sinr_p5_db"]) and b["edge_dl_mbps"] == 0.0  # an unreached cell is the edge
    assert every["name"] == "all" and every["cells"] == 4 and every["sinr_ok"] == 0.5 and every["polluted"] == 0.5


@pytest.mark.parametrize(
    ("key", "value"),
    [("noise_figure_db", -1.0), ("load_factor", 1.5), ("load_factor", -0.1), ("overlap_window_db", -2.0)],
)
def test_bad_radio_keys_name_key_and_fix(key: str, value: float) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}, "radio": {key: value}})
    text = str(err.value)
    assert f"radio.{key}" in text and "Fix:" in text
    assert "0 to 1" in text if key == "load_factor" else "dB" in text


def test_chunked_equals_one_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of sites (bounded memory at city scale) give the same rasters, bit for bit."""
    import planner.radio.interference as mod

    rng = np.random.default_rng(4)
    grid = Grid(x0=0.0, y0=1500.0, res=20.0, nx=75, ny=75, crs="EPSG:4547")
    n = 14
    x, y = rng.uniform(0, 1500, n), rng.uniform(0, 1500, n)
    h = np.r_[np.full(4, 30.0), np.full(n - 4, 10.0)]
    cls = ["macro"] * 4 + ["micro"] * (n - 4)
    whole = plan_sinr(grid, x, y, h, cls, RadioConfig())
    monkeypatch.setattr(mod, "CHUNK_PAIRS", 3000)
    parts = plan_sinr(grid, x, y, h, cls, RadioConfig())
    assert whole.meta["chunks"] == 1 and parts.meta["chunks"] > 3
    np.testing.assert_array_equal(whole.sinr_db, parts.sinr_db)
    np.testing.assert_array_equal(whole.best_rsrp_dbm, parts.best_rsrp_dbm)
    np.testing.assert_array_equal(whole.overlap, parts.overlap)
    assert whole.meta["nnz"] == parts.meta["nnz"]
    # and the chunked form equals the one-matrix kernel over the servers (each macro sector one row)
    srv = mod.sector_servers(x, y, h, np.asarray(cls), RadioConfig())
    assert srv.site.size == 4 * 3 + (n - 4) and whole.meta["servers"] == srv.site.size
    power = build_coverage(
        grid,
        srv.x,
        srv.y,
        srv.h,
        srv.cls,
        RadioConfig().model_copy(update={"edge_probability": 0.5, "threshold_dbm": noise_per_re_dbm(30, 7.0) - 10.0}),
        site_azimuths=srv.azimuths,
    )
    one = sinr_of_matrix(
        power,
        np.arange(srv.site.size),
        noise_dbm=noise_per_re_dbm(30, 7.0),
        load_factor=RadioConfig().load_factor,  # the default η
        window_db=6.0,
        min_best_dbm=-105.0,
    )
    np.testing.assert_allclose(one.sinr_db, whole.sinr_db, atol=1e-3, equal_nan=True)
    np.testing.assert_array_equal(one.overlap, whole.overlap)


def test_site_rows_once_equal_the_servers_built_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each site's path losses built once and copied per sector: bit for bit the servers' own builds.

    Reference: ``build_coverage`` over the servers (one row per sector, as before 2026-12-06), with
    penetration by class (two losses), a site's own bearings and tilt, then the one-matrix kernel.
    Chunked (small ``CHUNK_PAIRS``) and whole give the same, and the overlap needs no second build.
    """
    import planner.radio.interference as mod

    rng = np.random.default_rng(11)
    grid = Grid(x0=0.0, y0=4000.0, res=40.0, nx=100, ny=100, crs="EPSG:4547")
    n = 12
    x, y = rng.uniform(0, 4000, n), rng.uniform(0, 4000, n)
    h = np.r_[np.full(4, 30.0), np.full(n - 4, 10.0)]
    cls = np.array(["macro"] * 4 + ["micro"] * (n - 4))
    az: list[tuple[float, ...] | None] = [None] * n
    az[1] = (45.0, 200.0)
    tilt = np.full(n, np.nan)
    tilt[2] = 9.0
    pen = np.where(np.arange(100)[:, None] < 55, 20.0, 12.0) * np.ones((100, 100))
    pen[:4, 94:] = 0.0  # a park of 24 cells in a corner: only the sites near it are built at 0 dB
    mask = np.ones((100, 100), dtype=bool)
    mask[:5, :5] = False
    import planner.coverage.build as build

    calls: list[int] = []
    real = build.build_coverage

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(build, "build_coverage", counted)
    radio = RadioConfig(load_factor=0.7)
    kw = {"cell_mask": mask, "site_azimuths": az, "site_tilt_deg": tilt, "cell_penetration_db": pen}
    whole = plan_sinr(grid, x, y, h, cls, radio, **kw)  # type: ignore[arg-type]
    assert len(calls) == 3 and min(calls) < n == max(calls)  # 0 dB: only the sites near the park
    srv = mod.sector_servers(x, y, h, cls, radio, az, tilt)
    assert srv.site.size == 3 * 3 + 2 + (n - 4)
    med, noise, _ = mod.median_radio(radio)
    power = build_coverage(
        grid,
        srv.x,
        srv.y,
        srv.h,
        srv.cls,
        med,
        cell_mask=mask,
        site_azimuths=srv.azimuths,
        site_tilt_deg=srv.tilt,
        cell_penetration_db=pen,
    )
    one = sinr_of_matrix(
        power,
        np.arange(srv.site.size),
        noise_dbm=noise,
        load_factor=0.7,
        window_db=radio.overlap_window_db,
        min_best_dbm=radio.threshold_dbm,
    )
    assert whole.meta["nnz"] == power.nnz and whole.meta["servers"] == srv.site.size
    np.testing.assert_array_equal(one.best_rsrp_dbm, whole.best_rsrp_dbm)
    np.testing.assert_array_equal(one.sinr_db, whole.sinr_db)
    np.testing.assert_array_equal(one.overlap, whole.overlap)
    assert whole.overlap.max() >= 2  # the window test is exercised
    monkeypatch.setattr(mod, "CHUNK_PAIRS", 2000)
    parts = plan_sinr(grid, x, y, h, cls, radio, **kw)  # type: ignore[arg-type]
    assert parts.meta["chunks"] > 3
    np.testing.assert_array_equal(parts.sinr_db, whole.sinr_db)
    np.testing.assert_array_equal(parts.overlap, whole.overlap)
    # the chunks' powers on threads, summed in chunk order: the same bits
    for threads in (2, 3):
        on_threads = plan_sinr(grid, x, y, h, cls, radio, **kw, threads=threads)  # type: ignore[arg-type]
        np.testing.assert_array_equal(on_threads.sinr_db, parts.sinr_db)
        np.testing.assert_array_equal(on_threads.best_rsrp_dbm, parts.best_rsrp_dbm)
        np.testing.assert_array_equal(on_threads.overlap, parts.overlap)
        assert on_threads.meta["nnz"] == parts.meta["nnz"]


def test_cli_bad_radio_values_exit_2(tiny: Path, tmp_path: Path) -> None:
    """`planner run` with a negative noise figure and an azimuth outside 0-360: exit 2, each key and its fix.

    Nothing is written.
    """
    import subprocess
    import sys

    out = tmp_path / "never"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            str(tiny),
            "--out",
            str(out),
            "--set",
            "radio.noise_figure_db=-1",
            "--set",
            "radio.macro_antenna.azimuths_deg=[0, 120, 400]",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 2
    assert "radio.noise_figure_db" in r.stderr and "UE noise figure" in r.stderr
    assert "radio.macro_antenna.azimuths_deg" in r.stderr and "one bearing per sector" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not out.exists()
