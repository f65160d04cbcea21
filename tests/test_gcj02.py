"""GCJ-02 display transform: offsets measured in DOMAIN.md §2.2 and the iterative inverse."""

from __future__ import annotations

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
    assert float(np.ravel(_metres(np.array([114.305]), np.array([30.593]), glon, glat))[0]) == pytest.approx(586.0, abs=1.5)
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
