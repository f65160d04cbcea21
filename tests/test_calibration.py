"""Path-loss calibration against drive-test RSRP (planner.radio.calibration, `planner calibrate`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.coverage.build import coverage_radii
from planner.errors import InputDataError, ScenarioError
from planner.radio.budget import link_budget
from planner.radio.calfile import load_calibration
from planner.radio.calibration import write_calibration
from planner.scenario import RadioConfig, load_scenario
from planner.stages.calibrate import calibrate, site_table
from planner.stages.inputs import load_inputs
from tests.conftest import LAT0, LON0

OFFSET_DB, SIGMA_DB = 3.0, 6.0


def _drive_test(scenario_path: Path, n: int = 3000, *, with_ids: bool, seed: int = 11) -> pd.DataFrame:
    """Synthetic samples: model median RSRP − 3 dB extra path loss + N(0, 6 dB) shadowing."""
    scenario = load_scenario(scenario_path)
    sites = site_table(scenario, load_inputs(scenario))
    rng = np.random.default_rng(seed)
    d = 0.0045
    lon, lat = LON0 + rng.uniform(-d, d, n), LAT0 + rng.uniform(-d, d, n)
    x, y = sites.to_metric(lon, lat)
    site = rng.integers(0, sites.ids.size, n) if with_ids else sites.best_site(x, y)
    rsrp = sites.predict(x, y, site) - OFFSET_DB + rng.normal(0.0, SIGMA_DB, n)
    frame = pd.DataFrame({"经度": lon, "纬度": lat, "RSRP(dBm)": np.round(rsrp, 2)})
    if with_ids:
        frame["site_id"] = sites.ids[site]
    return frame


@pytest.mark.parametrize("with_ids", [True, False])
def test_synthetic_offset_and_rmse_recovered(tiny: Path, with_ids: bool) -> None:
    path = tiny.parent / "drive.csv"
    _drive_test(tiny, with_ids=with_ids).to_csv(path, index=False, encoding="gbk")
    result = calibrate(load_scenario(tiny), path)
    assert set(result.fits) == ({"macro", "micro"} if with_ids else set(result.fits) | {"micro"})
    total = sum(f.n_bins for f in result.fits.values())
    assert total > 2900  # 3.4 m bins in ~1 km²: few samples share a bin
    if with_ids:  # every sample counted once, in its own class (both classes are fitted)
        assert sum(f.n_points for f in result.fits.values()) == 3000
        assert all(f.n_bins <= f.n_points < 3000 for f in result.fits.values())
    checked = 0
    for fit in result.fits.values():
        if fit.n_bins < 200:  # a class with few bins has a noisy mean (σ/√n)
            continue
        checked += 1
        assert fit.offset_db == pytest.approx(OFFSET_DB, abs=0.5)
        assert fit.me_db == pytest.approx(-fit.offset_db)
        assert fit.sigma_db == pytest.approx(SIGMA_DB, abs=0.5)
        assert fit.rmse_db == pytest.approx(math.hypot(OFFSET_DB, SIGMA_DB), abs=0.5)
        assert fit.rmse_calibrated_db < fit.rmse_db
        assert abs(fit.slope_db_per_decade) < 3.0  # no slope in the synthetic data
    assert checked >= 1
    assert result.bin_m == pytest.approx(40 * 0.299792458 / 3.5)


def test_round_trip_changes_coverage(tiny: Path) -> None:
    path = tiny.parent / "drive.csv"
    _drive_test(tiny, with_ids=True).to_csv(path, index=False)
    calib = write_calibration(calibrate(load_scenario(tiny), path), tiny.parent / "calib.json")
    corr = load_calibration(calib)
    text = tiny.read_text(encoding="utf-8")
    tiny.write_text(text + '\n[radio]\ncalibration = "calib.json"\n', encoding="utf-8")
    cal = load_scenario(tiny).radio
    assert cal.calibration == calib.resolve()
    uncal = cal.model_copy(update={"calibration": None})
    for c in ("macro", "micro"):
        lb_cal, lb = link_budget(cal, c), link_budget(uncal, c)
        assert lb.budget_db - lb_cal.budget_db == pytest.approx(corr[c].offset_db)
        assert lb_cal.sigma_los_db == lb_cal.sigma_nlos_db == pytest.approx(corr[c].sigma_db)
        assert lb_cal.as_dict()["calibration_offset_db"] == pytest.approx(corr[c].offset_db, abs=0.01)
    # the calibrated radius equals the uncalibrated one with σ and a threshold raised by the offset
    h, cls = np.array([30.0, 10.0]), np.array(["macro", "micro"])
    r_cal = coverage_radii(h, cls, cal)
    assert np.all(r_cal < coverage_radii(h, cls, uncal))  # +3 dB of path loss shrinks both classes
    for i, c in enumerate(("macro", "micro")):
        same = uncal.model_copy(
            update={"shadowing_sigma_db": corr[c].sigma_db, "threshold_dbm": uncal.threshold_dbm + corr[c].offset_db}
        )
        assert coverage_radii(h[i : i + 1], cls[i : i + 1], cal)[0] == pytest.approx(
            coverage_radii(h[i : i + 1], cls[i : i + 1], same)[0]
        )


def test_cli_writes_file_and_bad_files_exit_2(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tiny.parent / "drive.csv"
    _drive_test(tiny, n=600, with_ids=True).to_csv(good, index=False)
    out = tiny.parent / "calib.json"
    assert main(["calibrate", str(tiny), "--measurements", str(good), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "planner-calibration/1"
    assert "RMSE" in capsys.readouterr().out
    cases = {
        "no_rsrp.csv": ("lon,lat,level\n114.398,30.506,-90\n", "no RSRP column"),
        "nan.csv": ("lon,lat,rsrp\n114.398,30.506,-90\n114.399,30.506,inf\n", "row 3"),
        "range.csv": ("lon,lat,rsrp\n114.398,30.506,-90\n114.399,30.506,-5\n", "outside -160"),
        "outside.csv": ("lon,lat,rsrp\n114.398,30.506,-90\n114.498,30.506,-90\n", "outside the scenario's boundary"),
        "unknown_site.csv": ("lon,lat,rsrp,site_id\n114.398,30.506,-90,X9\n", "not candidate ids"),
    }
    for name, (body, expected) in cases.items():
        bad = tiny.parent / name
        bad.write_text(body, encoding="utf-8")
        target = tiny.parent / f"{name}.json"
        assert main(["calibrate", str(tiny), "--measurements", str(bad), "--out", str(target)]) == 2, name
        err = capsys.readouterr().err
        assert expected in err and name in err, (name, err)
        assert not target.exists()
    with pytest.raises(InputDataError):
        calibrate(load_scenario(tiny), tiny.parent / "range.csv")
    # never overwrites a file that is not a calibration file (here: the measurements)
    assert main(["calibrate", str(tiny), "--measurements", str(good), "--out", str(good)]) == 2
    assert "not a calibration file" in capsys.readouterr().err


def test_bad_calibration_file_is_a_scenario_error(tiny: Path) -> None:
    (tiny.parent / "calib.json").write_text('{"format": "other"}', encoding="utf-8")
    radio = load_scenario(tiny, ['radio.calibration="calib.json"']).radio
    with pytest.raises(ScenarioError, match=r"radio.calibration"):
        link_budget(radio, "macro")
    missing = load_scenario(tiny, ['radio.calibration="nope.json"']).radio
    with pytest.raises(ScenarioError, match="does not exist"):
        link_budget(missing, "micro")


def test_validate_names_a_missing_calibration_file(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tiny), "--set", 'radio.calibration="nope.json"']) == 2
    err = capsys.readouterr().err
    assert "radio.calibration" in err and "planner calibrate" in err


def test_calibration_shifts_the_coverage_matrix(tmp_path: Path) -> None:
    """A +3 dB offset lowers every cell's RSRP by 3 dB (same σ) and drops the cells within 3 dB of the threshold."""
    from planner.coverage.build import build_coverage
    from planner.coverage.grid import Grid

    calib = tmp_path / "calib.json"
    classes = {c: {"model": m, "offset_db": 3.0, "sigma_db": 6.0} for c, m in (("macro", "uma"), ("micro", "umi"))}
    calib.write_text(json.dumps({"format": "planner-calibration/1", "classes": classes}), encoding="utf-8")
    grid = Grid(0.0, 1000.0, 10.0, 100, 100, "EPSG:4547")
    x, y = np.array([300.0, 700.0]), np.array([500.0, 500.0])
    h, sc = np.array([30.0, 10.0]), np.array(["macro", "micro"])
    same_sigma = RadioConfig(shadowing_sigma_db=6.0, antenna="omni")
    cal = build_coverage(grid, x, y, h, sc, same_sigma.model_copy(update={"calibration": calib}))
    base = build_coverage(grid, x, y, h, sc, same_sigma)
    assert 0 < cal.nnz < base.nnz
    for s in range(2):
        a = dict(
            zip(
                cal.indices[cal.indptr[s] : cal.indptr[s + 1]].tolist(),
                cal.rsrp[cal.indptr[s] : cal.indptr[s + 1]].tolist(),
                strict=True,
            )
        )
        b = dict(
            zip(
                base.indices[base.indptr[s] : base.indptr[s + 1]].tolist(),
                base.rsrp[base.indptr[s] : base.indptr[s + 1]].tolist(),
                strict=True,
            )
        )
        assert set(a) <= set(b)
        assert all(b[k] - a[k] == pytest.approx(3.0, abs=1e-3) for k in a)
        assert all(v < same_sigma.threshold_dbm + 3.0 for k, v in b.items() if k not in a)


def test_xlsx_and_geopackage_measurements(tiny: Path) -> None:
    import geopandas as gpd

    frame = _drive_test(tiny, n=800, with_ids=True)
    xlsx = tiny.parent / "drive.xlsx"
    frame.to_excel(xlsx, index=False)
    gpkg = tiny.parent / "drive.gpkg"
    points = gpd.points_from_xy(frame["经度"], frame["纬度"])
    gpd.GeoDataFrame(
        {"rsrp": frame["RSRP(dBm)"], "site_id": frame["site_id"]}, geometry=points, crs="EPSG:4490"
    ).to_file(gpkg)
    a, b = calibrate(load_scenario(tiny), xlsx), calibrate(load_scenario(tiny), gpkg)
    assert a.fits["micro"].offset_db == pytest.approx(b.fits["micro"].offset_db, abs=1e-6)
    assert a.fits["micro"].n_bins > 700


def test_sectors_predict_the_serving_sector_gain(tiny: Path) -> None:
    """With sectors the prediction carries the serving sector's pattern gain toward each bin.

    Synthetic samples around the two 3-sector towers (bearings 0/120/240°, 6° tilt): the model
    median, plus the best-sector gain computed here with ``sector_gain_db``, − 3 dB + N(0, 6 dB).
    The fit recovers the 3 dB offset and σ 6 dB; the same samples fitted with the peak gain
    (``radio.antenna = "omni"``, the former behaviour) miss it by the mean pattern loss.
    """
    from planner.radio.antenna import sector_gain_db
    from planner.radio.calibration import median_rsrp_dbm

    tiny.write_text(tiny.read_text(encoding="utf-8") + '\n[radio]\nantenna = "sectors"\n'
                    "[radio.macro_antenna]\ntilt_deg = 6.0\n", encoding="utf-8")
    scenario = load_scenario(tiny)
    sites = site_table(scenario, load_inputs(scenario))
    towers = np.flatnonzero(sites.site_class == "macro")
    assert towers.size == 2
    rng = np.random.default_rng(5)
    n = 3000
    d = 0.0045
    lon, lat = LON0 + rng.uniform(-d, d, n), LAT0 + rng.uniform(-d, d, n)
    x, y = sites.to_metric(lon, lat)
    site = towers[rng.integers(0, 2, n)]
    dist = np.hypot(x - sites.x_m[site], y - sites.y_m[site])
    ant = scenario.radio.macro_antenna
    gain = np.max([sector_gain_db(x - sites.x_m[site], y - sites.y_m[site], 1.5 - sites.h_m[site], az, 6.0,
                                  hpbw_h_deg=ant.hpbw_h_deg, hpbw_v_deg=ant.hpbw_v_deg, sla_v_db=ant.sla_v_db,
                                  a_max_db=ant.front_to_back_db) for az in (0.0, 120.0, 240.0)], axis=0)
    assert gain.mean() < -3.0  # the pattern matters: several dB on average
    rsrp = median_rsrp_dbm(scenario.radio, "macro", dist, sites.h_m[site]) + gain - OFFSET_DB
    rsrp += rng.normal(0.0, SIGMA_DB, n)
    np.testing.assert_allclose(sites.pattern_gain_db(x, y, site), gain, atol=1e-9)
    path = tiny.parent / "drive_sectors.csv"
    frame = pd.DataFrame({"lon": lon, "lat": lat, "rsrp": np.round(rsrp, 2), "site_id": sites.ids[site]})
    frame.to_csv(path, index=False)
    fit = calibrate(scenario, path).fits["macro"]
    assert fit.offset_db == pytest.approx(OFFSET_DB, abs=0.5)
    assert fit.sigma_db == pytest.approx(SIGMA_DB, abs=0.5)
    assert fit.rmse_db == pytest.approx(math.hypot(OFFSET_DB, SIGMA_DB), abs=0.5)
    omni = calibrate(scenario.model_copy(update={"radio": scenario.radio.model_copy(update={"antenna": "omni"})}),
                     path).fits["macro"]
    assert omni.offset_db - OFFSET_DB > 2.5  # the peak gain overstates every bin off the boresight
    # without named sites the serving site is the best predicted one, sector gain included (exact shortlist)
    best = sites.best_site(x[:200], y[:200])
    full = np.array([[sites.predict(x[i : i + 1], y[i : i + 1], np.array([j]))[0] for j in range(sites.ids.size)]
                     for i in range(200)])
    np.testing.assert_array_equal(best, np.argmax(full, axis=1))
