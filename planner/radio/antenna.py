"""Antenna pattern: TR 38.901 Table 7.3-1 element pattern and sector gain toward a point.

Layer 2 over :mod:`kernels.antenna`: inputs are broadcast, checked and flattened; results come
back as float64 arrays of the broadcast shape. Sources and conventions (compass azimuths,
positive downtilt, electrical tilt as a shift of the vertical cut) are in the kernel's
docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from kernels import antenna as _ant

__all__ = ["antenna_gain_db", "antenna_overrides", "sector_gain_db"]


def antenna_overrides(table: pd.DataFrame) -> dict[str, Any]:
    """``build_coverage`` keyword arguments from a site table's own antenna columns (empty without them).

    ``azimuth_deg`` holds a site's bearings as text ``"0/120/240"`` (``""`` = the class's) and
    ``tilt_deg`` its mechanical downtilt (NaN = the class's), as
    :func:`planner.geo.sector_columns.parse_sector_columns` leaves them in the candidate table;
    the coverage build, the SINR of a plan and the calibration all read them through here.
    """
    out: dict[str, Any] = {}
    if "azimuth_deg" in table.columns:
        # missing: "", NaN, None, pd.NA (a string column read back from a GeoPackage)
        texts = ["" if t is None or t is pd.NA or (isinstance(t, float) and np.isnan(t)) else str(t).strip()
                 for t in table["azimuth_deg"].tolist()]
        out["site_azimuths"] = [tuple(float(a) for a in t.split("/")) if t.lower() not in ("", "nan", "none")
                                else None for t in texts]
    if "tilt_deg" in table.columns:
        out["site_tilt_deg"] = pd.to_numeric(table["tilt_deg"], errors="coerce").to_numpy(np.float64)
    return out


def _check_pattern(hpbw_h_deg: float, hpbw_v_deg: float, sla_v_db: float, a_max_db: float) -> None:
    if not (0.0 < hpbw_h_deg <= 360.0):
        raise ValueError(f"hpbw_h_deg must be in (0, 360] degrees, got {hpbw_h_deg}")
    if not (0.0 < hpbw_v_deg <= 180.0):
        raise ValueError(f"hpbw_v_deg must be in (0, 180] degrees, got {hpbw_v_deg}")
    if not (sla_v_db >= 0.0 and a_max_db >= 0.0):
        raise ValueError("sla_v_db and a_max_db are attenuations: give them as non-negative dB")


def _flat(name: str, a: NDArray[np.float64]) -> NDArray[np.float64]:
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has NaN or infinite values")
    return np.ascontiguousarray(a.ravel(), dtype=np.float64)


def antenna_gain_db(
    azimuth_offset_deg: ArrayLike,
    elevation_offset_deg: ArrayLike,
    *,
    hpbw_h_deg: float = 65.0,
    hpbw_v_deg: float = 65.0,
    sla_v_db: float = 30.0,
    a_max_db: float = 30.0,
) -> NDArray[np.float64]:
    """TR 38.901 Table 7.3-1 element pattern A(θ′, φ′) in dB relative to the peak (≤ 0).

    ``A = −min{−(A_H + A_V), A_max}`` with ``A_H = −min{12 (φ′/φ_3dB)², A_max}`` and
    ``A_V = −min{12 ((θ′ − 90°)/θ_3dB)², SLA_V}``.

    Parameters
    ----------
    azimuth_offset_deg : array_like
        φ′, the horizontal angle from boresight in the antenna's local frame (degrees; wrapped
        to ±180°).
    elevation_offset_deg : array_like
        θ′ − 90°, the vertical angle from boresight in the local frame (degrees; positive below).
    hpbw_h_deg, hpbw_v_deg : float
        Horizontal and vertical half-power beamwidths φ_3dB, θ_3dB (degrees).
    sla_v_db : float
        Side-lobe attenuation of the vertical cut SLA_V (dB).
    a_max_db : float
        Front-to-back ratio A_max (dB).

    Returns
    -------
    ndarray
        Gain (dB, ≤ 0), the broadcast shape of the offsets.

    Examples
    --------
    >>> [round(float(g), 2) for g in antenna_gain_db([0, 32.5, 60, 90, 180, 60], [0, 0, 0, 0, 0, 32.5])]
    [0.0, -3.0, -10.22, -23.01, -30.0, -13.22]
    """
    _check_pattern(hpbw_h_deg, hpbw_v_deg, sla_v_db, a_max_db)
    p, t = np.broadcast_arrays(np.asarray(azimuth_offset_deg, dtype=np.float64),
                               np.asarray(elevation_offset_deg, dtype=np.float64))
    out = _ant.element_gain_array(_flat("azimuth_offset_deg", p), _flat("elevation_offset_deg", t),
                                  float(hpbw_h_deg), float(hpbw_v_deg), float(sla_v_db), float(a_max_db))
    return out.reshape(p.shape)


def sector_gain_db(
    dx_m: ArrayLike,
    dy_m: ArrayLike,
    dz_m: ArrayLike,
    azimuth_deg: ArrayLike,
    mechanical_tilt_deg: ArrayLike = 0.0,
    electrical_tilt_deg: ArrayLike = 0.0,
    *,
    hpbw_h_deg: float = 65.0,
    hpbw_v_deg: float = 65.0,
    sla_v_db: float = 30.0,
    a_max_db: float = 30.0,
) -> NDArray[np.float64]:
    """Pattern gain (dB, ≤ 0) of a sector toward a point, after the TR 38.901 eq. 7.1-7/7.1-8 rotation.

    Parameters
    ----------
    dx_m, dy_m, dz_m : array_like
        Vector from the antenna to the UE: east, north, up (m); ``dz`` = h_UT − h_BS on flat ground.
    azimuth_deg : array_like
        Sector bearing (compass degrees, clockwise from north).
    mechanical_tilt_deg : array_like
        Mechanical downtilt β (degrees, positive down): rotates the whole pattern.
    electrical_tilt_deg : array_like
        Electrical downtilt (degrees, positive down): shifts the vertical cut only.
    hpbw_h_deg, hpbw_v_deg, sla_v_db, a_max_db : float
        Pattern parameters as in :func:`antenna_gain_db`.

    Returns
    -------
    ndarray
        Gain (dB, ≤ 0), the broadcast shape of the inputs.

    Examples
    --------
    A UE 100 m due east of a 30 m mast, sector facing east with 6° total downtilt: the UE is
    15.9° below the horizon, 9.9° below the beam.

    >>> round(float(sector_gain_db(100.0, 0.0, -28.5, 90.0, 6.0)), 2)
    -0.28
    """
    _check_pattern(hpbw_h_deg, hpbw_v_deg, sla_v_db, a_max_db)
    arrs = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in
                                 (dx_m, dy_m, dz_m, azimuth_deg, mechanical_tilt_deg, electrical_tilt_deg)))
    names = ("dx_m", "dy_m", "dz_m", "azimuth_deg", "mechanical_tilt_deg", "electrical_tilt_deg")
    dx, dy, dz, az, mech, elec = (_flat(n, a) for n, a in zip(names, arrs, strict=True))
    out = _ant.sector_gain_array(dx, dy, dz, az, mech, elec, float(hpbw_h_deg), float(hpbw_v_deg), float(sla_v_db),
                                 float(a_max_db))
    return out.reshape(arrs[0].shape)
