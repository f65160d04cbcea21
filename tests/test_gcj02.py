"""GCJ-02 display transform: offsets measured in DOMAIN.md §2.2 and the iterative inverse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from planner.geo.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02

GEOD = Geod(ellps="WGS84")


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_forward_offset_over_wuhan_is_550_to_620_m() -> None:
    lon, lat = np.meshgrid(np.linspace(113.7, 115.1, 15), np.linspace(29.97, 31.4, 15))
    glon, glat = wgs84_to_gcj02(lon, lat)
    d = _metres(lon.ravel(), lat.ravel(), glon.ravel(), glat.ravel())
    assert d.min() > 540.0 and d.max() < 625.0
    # Optics Valley Square (the demo area)
    d0 = _metres(np.array([114.398]), np.array([30.506]), *wgs84_to_gcj02(114.398, 30.506))
    assert 550.0 <= float(np.ravel(d0)[0]) <= 620.0


def test_forward_matches_published_jianghan_offset() -> None:
    # DOMAIN.md §2.2, measured with prcoords: Jianghan 586 m, ΔN −268 m, ΔE +522 m
    glon, glat = wgs84_to_gcj02(114.305, 30.593)
    assert float(np.ravel(_metres(np.array([114.305]), np.array([30.593]), glon, glat))[0]) == pytest.approx(
        586.0, abs=1.5
    )
    dn = float(np.ravel(_metres(np.array([114.305]), np.array([30.593]), np.array([114.305]), glat))[0])
    de = float(np.ravel(_metres(np.array([114.305]), np.array([30.593]), glon, np.array([30.593])))[0])
    assert dn == pytest.approx(268.0, abs=2.0) and float(glat) < 30.593
    assert de == pytest.approx(522.0, abs=2.0) and float(glon) > 114.305


def test_round_trip_better_than_half_a_metre() -> None:
    rng = np.random.default_rng(1)
    lon = rng.uniform(73.5, 135.0, 2000)
    lat = rng.uniform(18.0, 53.5, 2000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    err = _metres(lon, lat, back_lon, back_lat)
    assert err.max() < 0.5
    assert err.max() < 1e-3  # the iteration actually converges far below the requirement


def test_inverse_beats_the_naive_one_step_inverse() -> None:
    lon, lat = np.array([114.305, 114.9, 113.8]), np.array([30.593, 30.4, 31.3])
    glon, glat = wgs84_to_gcj02(lon, lat)
    flon, flat = wgs84_to_gcj02(glon, glat)
    naive = _metres(lon, lat, 2 * glon - flon, 2 * glat - flat)
    it = _metres(lon, lat, *gcj02_to_wgs84(glon, glat))
    assert (it < naive).all() and it.max() < 0.01


def test_outside_china_is_unchanged_and_shapes_broadcast() -> None:
    lon, lat = wgs84_to_gcj02(np.array([2.35, 114.3]), np.array([48.85, 30.6]))
    assert lon[0] == 2.35 and lat[0] == 48.85 and lon[1] != 114.3
    assert in_china(114.3, 30.6) and not in_china(2.35, 48.85)
    glon, glat = wgs84_to_gcj02(np.full((3, 4), 114.3), 30.6)
    assert glon.shape == glat.shape == (3, 4)
    s_lon, s_lat = gcj02_to_wgs84(114.31, 30.59)
    assert np.ndim(s_lon) == 0 and np.isfinite(s_lat)


# ----------------------------------------------------------------------------- datums per input (inputs.coordinates)


def _corpus_folder(tmp_path: Path, case: str) -> Path:
    from tests.conftest import load_script

    corpus = load_script(Path(__file__).resolve().parent / "data" / "bad" / "make_corpus.py", "bad_input_corpus")
    return corpus.build(next(c for c in corpus.CASES if c.name == case), tmp_path / case)


def test_datum_per_input_converts_only_that_input(tmp_path: Path) -> None:
    from planner.scenario import load_scenario
    from planner.stages.inputs import load_inputs

    scenario = _corpus_folder(tmp_path, "gcj02_candidates")  # GCJ-02 candidates over a CGCS2000 boundary
    plain = load_inputs(load_scenario(scenario))
    mismatch = [w for w in plain.warnings if "offset by ~300–600 m" in w]
    assert len(mismatch) == 1 and "candidates.csv (candidates, declared cgcs2000)" in mismatch[0]
    assert "boundary.geojson (boundary, declared cgcs2000)" in mismatch[0]  # both files named
    assert '{ candidates = "gcj02", boundary = "cgcs2000" }' in mismatch[0]

    declared = load_inputs(
        load_scenario(scenario, ['inputs.coordinates={ candidates = "gcj02", boundary = "cgcs2000" }'])
    )
    assert not [w for w in declared.warnings if "offset by" in w]
    assert "inputs.coordinates: candidates converted from GCJ-02 to CGCS2000" in declared.warnings
    assert declared.boundary.geometry.geom_equals(plain.boundary.geometry).all()  # the boundary is not moved
    moved = Geod(ellps="WGS84").inv(
        plain.candidates.geometry.x.to_numpy(),
        plain.candidates.geometry.y.to_numpy(),
        declared.candidates.geometry.x.to_numpy(),
        declared.candidates.geometry.y.to_numpy(),
    )[2]
    assert 450 < moved.min() and moved.max() < 650  # metres: each candidate moved back by the GCJ-02 offset

    every = load_inputs(load_scenario(scenario, ['inputs.coordinates="gcj02"']))  # a CGCS2000 boundary called GCJ-02
    mismatch = [w for w in every.warnings if "offset by" in w]
    assert len(mismatch) == 1 and "declared gcj02" in mismatch[0] and 'boundary = "cgcs2000"' in mismatch[0]


@pytest.mark.parametrize("value", ['"bd09"', '{ boundry = "gcj02" }', '{ candidates = "baidu" }', "[1, 2]", "3"])
def test_bad_coordinates_value_names_the_key(tmp_path: Path, value: str) -> None:
    from planner.errors import ScenarioError
    from planner.scenario import load_scenario

    scenario = _corpus_folder(tmp_path, "gcj02_candidates")
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario, [f"inputs.coordinates={value}"])
    assert "[inputs.coordinates]" in str(err.value) and 'candidates = "cgcs2000"' in str(err.value)
