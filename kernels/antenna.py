"""3GPP TR 38.901 antenna element pattern (Table 7.3-1) and the LCS rotation (§7.1.3), in numba.

Element pattern (one radiating element, power gain relative to boresight, dB):

* ``A_H(φ′) = −min{12 (φ′/φ_3dB)², A_max}``
* ``A_V(θ′) = −min{12 ((θ′ − 90°)/θ_3dB)², SLA_V}``
* ``A(θ′, φ′) = −min{−(A_H + A_V), A_max}``

with Table 7.3-1 values φ_3dB = θ_3dB = 65°, SLA_V = 30 dB, A_max = 30 dB. The element's peak
gain (8 dBi in the table) is not included: the link budget's ``antenna_gain_dbi`` holds it, so
every value here is ≤ 0 dB.

Rotation from the global coordinate system (GCS) to the antenna's local one (LCS), TR 38.901
eq. 7.1-7 and 7.1-8 with bearing α, mechanical downtilt β and slant γ = 0:

* ``θ′ = arccos(cos β cos θ + sin β cos(φ − α) sin θ)``
* ``φ′ = arg(cos β sin θ cos(φ − α) − sin β cos θ + j sin θ sin(φ − α))``

θ is the zenith angle of the direction to the UE (90° = horizontal, > 90° below the horizon),
φ − α its azimuth from the sector's boresight. A positive β points the boresight below the
horizon (θ′ = 90° at θ = 90° + β, φ = α). Electrical downtilt is a steering of the vertical
beam, not a rotation of the panel: it shifts the vertical cut, ``A_V(θ′ − θ_etilt)`` (the
``θ_etilt`` of TR 36.897 §5.2.2 and ITU-R M.2101 Table 3), so the back lobe is not tilted up by
it. Azimuths here are compass bearings (clockwise from north); only ``φ − α`` enters and the
pattern is symmetric in φ′, so the counter-clockwise convention of TR 38.901 gives the same
gain.

Angles are in degrees at the interface, radians inside.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit, jit_vec

# jit_vec (kernels._jit) where the per-cell gain loops should vectorise: no ZeroDivisionError
# branches (division by zero gives inf / NaN as in numpy)

DEG = math.pi / 180.0


@jit
def wrap180(a_deg: float) -> float:
    """``a_deg`` wrapped into [−180°, 180°)."""
    return (a_deg + 180.0) % 360.0 - 180.0


@jit
def element_gain(phi_off_deg: float, theta_off_deg: float, hpbw_h_deg: float, hpbw_v_deg: float,
                 sla_v_db: float, a_max_db: float) -> float:
    """TR 38.901 Table 7.3-1 element gain (dB, ≤ 0) at LCS offsets from boresight.

    ``phi_off_deg`` = φ′ (wrapped to ±180°), ``theta_off_deg`` = θ′ − 90° (positive below the
    boresight).
    """
    p = wrap180(phi_off_deg) / hpbw_h_deg
    t = theta_off_deg / hpbw_v_deg
    a_h = min(12.0 * p * p, a_max_db)
    a_v = min(12.0 * t * t, sla_v_db)
    return 0.0 - min(a_h + a_v, a_max_db)  # 0.0 - x: boresight is +0.0 dB, not -0.0


@jit
def lcs_offsets(dx: float, dy: float, dz: float, azimuth_deg: float, mech_tilt_deg: float) -> tuple[float, float]:
    """(φ′, θ′ − 90°) in degrees of the direction (dx east, dy north, dz up; m) from the antenna.

    TR 38.901 eq. 7.1-7 / 7.1-8 with bearing ``azimuth_deg`` (compass, clockwise from north) and
    mechanical downtilt ``mech_tilt_deg`` (positive down), slant 0. A zero vector is boresight.
    """
    d2 = math.hypot(dx, dy)
    if d2 == 0.0 and dz == 0.0:
        return 0.0, 0.0
    theta = math.atan2(d2, dz)  # zenith angle, 0..π
    phi = math.atan2(dx, dy) - azimuth_deg * DEG  # bearing offset from boresight
    b = mech_tilt_deg * DEG
    st, ct = math.sin(theta), math.cos(theta)
    sb, cb = math.sin(b), math.cos(b)
    cz = cb * ct + sb * math.cos(phi) * st
    cz = min(1.0, max(-1.0, cz))
    theta_p = math.acos(cz)
    re = cb * st * math.cos(phi) - sb * ct
    im = st * math.sin(phi)
    phi_p = math.atan2(im, re)
    return phi_p / DEG, theta_p / DEG - 90.0


@jit
def sector_gain(dx: float, dy: float, dz: float, azimuth_deg: float, mech_tilt_deg: float, elec_tilt_deg: float,
                hpbw_h_deg: float, hpbw_v_deg: float, sla_v_db: float, a_max_db: float) -> float:
    """Pattern gain (dB, ≤ 0) of one sector toward (dx, dy, dz) m: rotation, then the element pattern
    with the vertical cut shifted by the electrical tilt.
    """
    pp, tp = lcs_offsets(dx, dy, dz, azimuth_deg, mech_tilt_deg)
    return element_gain(pp, tp - elec_tilt_deg, hpbw_h_deg, hpbw_v_deg, sla_v_db, a_max_db)


@jit
def element_gain_array(phi_off_deg: NDArray[np.float64], theta_off_deg: NDArray[np.float64], hpbw_h_deg: float,
                       hpbw_v_deg: float, sla_v_db: float, a_max_db: float) -> NDArray[np.float64]:
    """:func:`element_gain` over flat arrays of equal length."""
    n = phi_off_deg.size
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        out[i] = element_gain(phi_off_deg[i], theta_off_deg[i], hpbw_h_deg, hpbw_v_deg, sla_v_db, a_max_db)
    return out


@jit
def sector_gain_array(dx: NDArray[np.float64], dy: NDArray[np.float64], dz: NDArray[np.float64],
                      azimuth_deg: NDArray[np.float64], mech_tilt_deg: NDArray[np.float64],
                      elec_tilt_deg: NDArray[np.float64], hpbw_h_deg: float, hpbw_v_deg: float, sla_v_db: float,
                      a_max_db: float) -> NDArray[np.float64]:
    """:func:`sector_gain` over flat arrays of equal length."""
    n = dx.size
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        out[i] = sector_gain(dx[i], dy[i], dz[i], azimuth_deg[i], mech_tilt_deg[i], elec_tilt_deg[i],
                             hpbw_h_deg, hpbw_v_deg, sla_v_db, a_max_db)
    return out


@jit
def best_sector_gain(dx: float, dy: float, dz: float, azimuths_deg: NDArray[np.float64], mech_tilt_deg: float,
                     elec_tilt_deg: float, hpbw_h_deg: float, hpbw_v_deg: float, sla_v_db: float,
                     a_max_db: float) -> float:
    """Highest :func:`sector_gain` over the sectors ``azimuths_deg`` (dB); 0 dB (omni) when there is none."""
    if azimuths_deg.size == 0:
        return 0.0
    best = -math.inf
    for k in range(azimuths_deg.size):
        g = sector_gain(dx, dy, dz, azimuths_deg[k], mech_tilt_deg, elec_tilt_deg, hpbw_h_deg, hpbw_v_deg,
                        sla_v_db, a_max_db)
        best = max(best, g)
    return best


@jit
def pattern_constants(elec_tilt_deg: float, hpbw_h_deg: float, hpbw_v_deg: float, sla_v_db: float,
                      a_max_db: float) -> tuple[float, float, float, float, float, float]:
    """Per-site constants of :func:`best_gain_fast`: ``(kh, kv, e, h_cap, v_lo, v_hi)``.

    ``A_H = (kh φ′)²`` and ``A_V = (kv (θ′ − 90° − e))²`` with angles in radians. ``h_cap`` is φ′
    (rad) where A_H reaches A_max: beyond it the sector's attenuation is A_max whatever θ′.
    The vertical cut reaches SLA_V where ``|θ′ − 90° − e| ≥ t_cap``, i.e. where
    ``cos θ′ ≤ v_lo`` or ``cos θ′ ≥ v_hi`` (±2 when that side cannot be reached).
    """
    kh = math.sqrt(12.0) / (DEG * hpbw_h_deg)
    kv = math.sqrt(12.0) / (DEG * hpbw_v_deg)
    e = elec_tilt_deg * DEG
    h_cap = math.sqrt(a_max_db) / kh
    t_cap = math.sqrt(sla_v_db) / kv
    # θ′ − 90° = −asin(cos θ′): capped where asin(cos θ′) ≤ −e − t_cap or ≥ t_cap − e
    v_lo = math.sin(-e - t_cap) if -e - t_cap > -0.5 * math.pi else -2.0
    v_hi = math.sin(t_cap - e) if t_cap - e < 0.5 * math.pi else 2.0
    return kh, kv, e, h_cap, v_lo, v_hi


@jit_vec
def best_gain_fast(dx: float, dy: float, dz: float, cos_az: NDArray[np.float64], sin_az: NDArray[np.float64],
                   cos_b: float, sin_b: float, kh: float, kv: float, e: float, h_cap: float, v_lo: float, v_hi: float,
                   sla_v_db: float, a_max_db: float) -> float:
    """:func:`best_sector_gain` for one direction, in the form the coverage kernel runs per cell.

    The same eq. 7.1-7/7.1-8 rotation, with ``cos(φ − α)`` and ``sin(φ − α)`` formed from the
    direction's components (sector bearings and tilt given by their cosines and sines) and the
    pattern's constants from :func:`pattern_constants`. Per sector at most one ``acos`` and one
    ``atan2``, skipped where the result is known to be capped: φ′ beyond ``h_cap`` (the
    attenuation is A_max) or θ′ outside the vertical beam with SLA_V ≥ A_max. 0 dB when there is
    no sector; a direction straight down or up takes φ − α = 0.
    """
    n = cos_az.size
    if n == 0:
        return 0.0
    d = math.sqrt(dx * dx + dy * dy)
    r = math.sqrt(d * d + dz * dz)
    if r == 0.0:
        return 0.0 - min((kv * e) ** 2, sla_v_db, a_max_db)
    st = d / r
    ct = dz / r
    if d > 0.0:
        ub = dx / d  # sin of the bearing
        vb = dy / d  # cos of the bearing
    else:
        ub = 0.0
        vb = 1.0
    obtuse = h_cap > 0.5 * math.pi
    tan_h = math.tan(math.pi - h_cap) if obtuse else math.tan(h_cap)
    best = a_max_db  # the smallest attenuation so far
    for k in range(n):
        # bearing minus sector azimuth (compass): cos = vb cos α + ub sin α, sin = ub cos α − vb sin α
        cphi = vb * cos_az[k] + ub * sin_az[k]
        sphi = ub * cos_az[k] - vb * sin_az[k]
        y = st * sphi
        x = cos_b * st * cphi - sin_b * ct  # φ′ = atan2(y, x)
        if h_cap < math.pi:
            if obtuse:
                if x < 0.0 and abs(y) <= -x * tan_h:
                    continue  # |φ′| ≥ h_cap: A_max
            elif x <= 0.0 or abs(y) >= x * tan_h:
                continue
        cz = cos_b * ct + sin_b * cphi * st
        cz = min(1.0, max(-1.0, cz))
        if cz <= v_lo or cz >= v_hi:
            a_v = sla_v_db
            if a_v >= a_max_db:
                continue
        else:
            a_v = min((kv * (math.acos(cz) - 0.5 * math.pi - e)) ** 2, sla_v_db)
        a_h = min((kh * math.atan2(y, x)) ** 2, a_max_db)
        best = min(best, a_h + a_v)
    return 0.0 - min(best, a_max_db)
