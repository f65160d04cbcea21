"""TR 38.901 antenna pattern and LCS rotation: acceptance values, a rotation-matrix reference, properties."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.antenna import best_sector_gain
from planner.radio import antenna_gain_db, sector_gain_db


def ref_element(phi_p: float, theta_p: float, h3: float = 65.0, v3: float = 65.0, sla: float = 30.0,
                amax: float = 30.0) -> float:
    """Table 7.3-1 from the table: φ′ in (−180, 180], θ′ the LCS zenith angle (degrees)."""
    a_h = -min(12 * (phi_p / h3) ** 2, amax)
    a_v = -min(12 * ((theta_p - 90.0) / v3) ** 2, sla)
    return -min(-(a_h + a_v), amax)


def ref_sector(dx: float, dy: float, dz: float, bearing: float, mech: float, elec: float, h3: float = 65.0,
               v3: float = 65.0) -> float:
    """Rotation by matrices instead of eq. 7.1-7/7.1-8: R = Rz(α) Ry(β) (eq. 7.1-2, γ = 0) in the
    mathematical frame (x east, y north, α counter-clockwise from x); the LCS direction is Rᵀ v.
    """
    alpha = math.radians(90.0 - bearing)  # compass bearing -> counter-clockwise from east
    beta = math.radians(mech)
    rz = np.array([[math.cos(alpha), -math.sin(alpha), 0], [math.sin(alpha), math.cos(alpha), 0], [0, 0, 1]])
    ry = np.array([[math.cos(beta), 0, math.sin(beta)], [0, 1, 0], [-math.sin(beta), 0, math.cos(beta)]])
    v = np.array([dx, dy, dz], dtype=float)
    v /= np.linalg.norm(v)
    vl = (rz @ ry).T @ v
    theta_p = math.degrees(math.acos(max(-1.0, min(1.0, vl[2]))))
    phi_p = math.degrees(math.atan2(vl[1], vl[0]))
    return ref_element(phi_p, theta_p - elec, h3, v3)


@pytest.mark.parametrize(("phi", "theta", "want"), [
    (0, 0, 0.0), (32.5, 0, -3.00), (60, 0, -10.22), (90, 0, -23.01), (180, 0, -30.00), (60, 32.5, -13.22),
])
def test_acceptance_values(phi: float, theta: float, want: float) -> None:
    got = float(antenna_gain_db(phi, theta))
    assert abs(got - want) <= 0.01
    assert abs(got - ref_element(phi, theta + 90.0)) < 1e-12


def test_vectorised_shape_and_bounds() -> None:
    phi = np.linspace(-400, 400, 81)[:, None]
    theta = np.linspace(-90, 90, 37)[None, :]
    g = antenna_gain_db(phi, theta)
    assert g.shape == (81, 37)
    assert g.max() <= 0.0 and g.min() >= -30.0
    assert np.allclose(g, antenna_gain_db(-phi, theta))  # symmetric in azimuth
    assert np.allclose(antenna_gain_db(phi + 360.0, theta), g)  # periodic
    assert float(antenna_gain_db(0.0, 0.0)) == 0.0 and math.copysign(1.0, float(antenna_gain_db(0.0, 0.0))) > 0
    # a narrower vertical beam and a lower front-to-back ratio
    assert float(antenna_gain_db(0.0, 6.0, hpbw_v_deg=6.0)) == pytest.approx(-12.0)
    assert float(antenna_gain_db(180.0, 0.0, a_max_db=25.0)) == pytest.approx(-25.0)


def test_bad_pattern_parameters() -> None:
    with pytest.raises(ValueError, match="hpbw_h_deg"):
        antenna_gain_db(0.0, 0.0, hpbw_h_deg=0.0)
    with pytest.raises(ValueError, match="non-negative"):
        antenna_gain_db(0.0, 0.0, sla_v_db=-1.0)
    with pytest.raises(ValueError, match="NaN"):
        antenna_gain_db(float("nan"), 0.0)


@settings(max_examples=300)
@given(
    dx=st.floats(-2000, 2000), dy=st.floats(-2000, 2000), dz=st.floats(-60, 20),
    bearing=st.floats(0, 360), mech=st.floats(-10, 30), elec=st.floats(-10, 30),
)
def test_rotation_parity_with_matrix_reference(dx: float, dy: float, dz: float, bearing: float, mech: float,
                                               elec: float) -> None:
    if math.hypot(dx, dy) < 1.0:  # (nearly) straight down or up: φ′ is undefined there
        return
    got = float(sector_gain_db(dx, dy, dz, bearing, mech, elec))
    assert got == pytest.approx(ref_sector(dx, dy, dz, bearing, mech, elec), abs=1e-9)


def test_tilt_puts_the_boresight_on_the_ue() -> None:
    # 30 m mast, UE at 1.5 m, 100 m away on the sector's bearing: depression 15.9 degrees
    dep = math.degrees(math.atan2(28.5, 100.0))
    for bearing in (0.0, 37.0, 120.0, 240.0, 359.0):
        dx, dy = 100.0 * math.sin(math.radians(bearing)), 100.0 * math.cos(math.radians(bearing))
        assert float(sector_gain_db(dx, dy, -28.5, bearing, dep, 0.0)) == pytest.approx(0.0, abs=1e-9)
        assert float(sector_gain_db(dx, dy, -28.5, bearing, 0.0, dep)) == pytest.approx(0.0, abs=1e-9)
        # untilted: 12 (15.9/65)^2 = 0.72 dB below the peak
        assert float(sector_gain_db(dx, dy, -28.5, bearing, 0.0, 0.0)) == pytest.approx(-12 * (dep / 65) ** 2)
    # mechanical tilt raises the back lobe, electrical tilt does not: behind a 10 degree tilted panel a
    # ray 10 degrees below the horizon is 10 degrees off the vertical boresight only electrically
    back_m = float(sector_gain_db(0.0, -100.0, -100 * math.tan(math.radians(10)), 0.0, 10.0, 0.0))
    back_e = float(sector_gain_db(0.0, -100.0, -100 * math.tan(math.radians(10)), 0.0, 0.0, 10.0))
    assert back_m == pytest.approx(-30.0) and back_e == pytest.approx(-30.0)


def test_three_sectors_average_and_edge() -> None:
    az = np.array([0.0, 120.0, 240.0])
    bearings = np.radians(np.arange(0.0, 360.0, 0.01))
    g = np.array([best_sector_gain(math.sin(b), math.cos(b), 0.0, az, 0.0, 0.0, 65.0, 65.0, 30.0, 30.0)
                  for b in bearings])
    assert g.mean() == pytest.approx(-3.41, abs=0.01)  # DOMAIN.md §4.3: -3.4 dB on average
    assert g.min() == pytest.approx(-10.22, abs=0.01)  # at the sector boundary, 60 degrees off both
    assert best_sector_gain(1.0, 0.0, 0.0, np.empty(0), 0.0, 0.0, 65.0, 65.0, 30.0, 30.0) == 0.0


def test_docstring_examples_run() -> None:
    import planner.radio.antenna

    result = doctest.testmod(planner.radio.antenna)
    assert result.failed == 0 and result.attempted > 0


def test_antenna_overrides_read_missing_cells_of_any_kind() -> None:
    """Empty bearings as "", NaN, None or pd.NA (a string column read back from a GeoPackage) are the
    class's, not a ValueError; tilts NaN where empty.
    """
    import pandas as pd

    from planner.radio.antenna import antenna_overrides

    table = pd.DataFrame({"azimuth_deg": pd.array([pd.NA, "0/120/240", "", "90", None], dtype="string"),
                          "tilt_deg": [np.nan, 4.0, None, 6.0, np.nan]})
    got = antenna_overrides(table)
    assert got["site_azimuths"] == [None, (0.0, 120.0, 240.0), None, (90.0,), None]
    np.testing.assert_array_equal(got["site_tilt_deg"], [np.nan, 4.0, np.nan, 6.0, np.nan])
