"""Radio: TR 38.901 path loss and LOS probability, NR bands, site-class link budgets.

Layer 2 over :mod:`kernels.pathloss`: model names become integer codes here, inputs are
broadcast and checked, and results come back as float64 arrays.

Defaults of the scenario's ``[radio]`` section (``planner.scenario.RadioConfig``), from
``../shared/DOMAIN.md`` §1.7, §1.8 and §4:

==========================  ==========  ===========================================================
key                         default     why
==========================  ==========  ===========================================================
band                        n78         3.5 GHz, 100 MHz, 30 kHz SCS: 273 RB, 3276 RE (CT/CU)
threshold_dbm               −105        SS-RSRP criterion, applied *after* the penetration margin
penetration_loss_db         20          deep coverage: indoor users behind one wall (O2I ≈ 13–27 dB)
edge_probability            0.75        shadowing margin 0.674 σ_SF (≈ 90 % area coverage, one class)
body_loss_db, ue_gain_dbi   0, 0        handset held clear, 0 dBi
ue_height_m                 1.5         TR 38.901 default UE height
los                         mixture     exact edge quantile of the LOS/NLOS mixture (no terrain); see below
macro                       200 W       64T64R AAU, 17 dBi SSB (broadcast) beam, UMa
micro                       20 W        pole AAU 4T4R, 10 dBi, UMi-Street Canyon
antenna                     sectors     TR 38.901 Table 7.3-1 pattern per cell: 3-sector macros, omni poles
noise_figure_db             7           UE noise figure in the SS-SINR noise (:mod:`.interference`)
load_factor                 1           η: interferers' loaded share of REs (1 = SS-SINR, SSB)
overlap_window_db           6           overlap / pilot pollution window below the best server
sinr_min_db                 −3          SS-SINR a cell needs in the per-area statistics
calibration                 none        drive-test fit (``planner calibrate``): class path-loss offset, σ_SF
uplink                      false       true: min(DL, UL) allowed loss per class (:mod:`.uplink`)
ue_power_dbm                23          UE power class 3 (26 = HPUE), for the uplink budget
gnb_noise_figure_db         3.5         gNB noise figure; ``ul_iot_margin_db`` 2 dB on top
ul_edge_rate_mbps           1           UL edge rate on ``ul_rb`` = 24 RB in ``ul_slot_share`` = 0.2
==========================  ==========  ===========================================================

Antennas (:mod:`planner.radio.antenna`; the class's ``antenna_gain_dbi`` is the peak): with
``antenna = "sectors"`` (default) each site class uses ``macro_antenna`` / ``micro_antenna``
and every coverage cell takes its best sector's gain after the eq. 7.1-7/7.1-8 rotation.
Macro defaults: 3 panels at 0/120/240°, 65° horizontal beam (the common macro panel; TR 38.901
Table 7.3-1 φ3dB), 10° vertical beam with SLA_V = 20 dB and a 25 dB front-to-back ratio (the
3-sector antenna of TR 36.814 Table A.2.1.1-2: θ3dB 10°, SLA_V 20 dB, A_m 25 dB); its
directivity 41,253 / (65 · 10) ≈ 18 dBi is about the 17 dBi of ``macro.antenna_gain_dbi`` after
≈ 1 dB of losses. ``tilt_deg = "auto"`` puts the upper −3 dB edge of the vertical beam on the
cell edge, tilt = arctan((h − h_UT)/R) + θ3dB/2 with R the site's omni link-budget radius (the
RF-planning rule 下倾角 = arctan(H/D) + θ/2): 12.3° for a 30 m mast. Over one site the rule is
within 0.05 of the best fixed tilt's covered share at 20–50 m, where a fixed 6° tilt loses the
near ring of tall masts (a 40 m mast keeps 9 % of its omni area at 6°, 53 % at the rule's
14.8°). With these panels a macro covers 53–62 % of the cells the omni model gave it: the omni
model (``antenna = "omni"``: 17 dBi in every direction) is optimistic. Poles stay omni. SINR,
overlap and the edge-throughput estimate of a plan are in :mod:`planner.radio.interference`.

The threshold is compared with RSRP after the penetration margin, so the defaults ask for an
indoor −105 dBm, i.e. an outdoor −85 dBm (plus the shadowing margin). That is 5 dB stricter
than DOMAIN.md's deep-coverage criterion (outdoor −90 ≈ indoor −110 + 20 dB, §0, §1.7) and
20 dB stricter than its continuous-coverage one (outdoor −105, no penetration margin); for
those set ``threshold_dbm = -110`` or ``penetration_loss_db = 0``. The RSRP the coverage
matrix and ``coverage.tif`` hold is this design value (after penetration and shadowing margins),
not the median outdoor RSRP a drive test would measure (that is 20 + 2.7…5.3 dB higher).

``radio.los`` without terrain is a trade-off between speed and honouring ``edge_probability``:

* ``"probability"``: the loss plus margin averaged in dB over LOS and NLOS,
  ``p (PL_LOS + m_LOS) + (1 − p)(PL_NLOS + m_NLOS)`` (:func:`kernels.pathloss.link_loss_db`).
  Fast (the coverage fill runs on SIMD lanes) but optimistic: at its radii the LOS/NLOS
  mixture meets the threshold with probability 0.64 (macro) / 0.62 (pole), i.e. ≈ 0.62–0.64,
  not the stated 0.75.
* ``"mixture"`` (default): exact. The loss is the ``edge_probability`` quantile of the mixture, the L with
  ``p Φ((L − PL_LOS)/σ_LOS) + (1 − p) Φ((L − PL_NLOS)/σ_NLOS) = p_edge``
  (:func:`kernels.pathloss.mixture_loss`, a Newton root per cell, so the coverage fill is
  slower). Radii 223 m / 75 m (ISD ≈ 335 m / 113 m), still inside the practice ranges.
* ``"nlos"``: all-NLOS, conservative (a lower bound).

The report and the manifest state the delivered edge probability of each class
(:meth:`LinkBudget.delivered_edge_probability`: 0.75 under ``"mixture"``, 0.638 / 0.619 under
``"probability"``).

With these defaults at 3.5 GHz a 30 m macro reaches R ≈ 223 m (ISD = 1.5 R ≈ 335 m) and a
10 m pole R ≈ 75 m (ISD ≈ 113 m) under the exact mixture, within the 300–500 m / 100–200 m practice
of dense urban China (DOMAIN.md §1.8); ``tests/test_radio.py`` checks it. The expected loss
(``radio.los = "probability"``) gives R ≈ 251 m / 91 m, all-NLOS (``radio.los = "nlos"``)
R ≈ 216 m / 63 m (ISD ≈ 325 m / 95 m). Without the 20 dB
penetration margin an outdoor −105 dBm criterion gives ISDs about 3× too large (≈ 1.1 km / 390 m; DOMAIN.md §1.8).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kernels import pathloss as _pl
from planner.radio.antenna import antenna_gain_db, sector_gain_db
from planner.radio.bands import BANDS, N_RB_TABLE, Band
from planner.radio.budget import LOS_MODES, MODEL_CODES, LinkBudget, link_budget

__all__ = [
    "BANDS",
    "LOS_MODES",
    "MODEL_CODES",
    "N_RB_TABLE",
    "Band",
    "LinkBudget",
    "antenna_gain_db",
    "link_budget",
    "los_probability",
    "pathloss",
    "sector_gain_db",
    "sigma_sf",
]


def _code(model: str) -> int:
    try:
        return MODEL_CODES[model.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown path loss model {model!r}; use one of {sorted(MODEL_CODES)}") from None


def _finite(name: str, a: NDArray[np.float64]) -> None:
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has NaN or infinite values")


def pathloss(
    model: str,
    fc_ghz: ArrayLike,
    d2d_m: ArrayLike,
    h_bs_m: ArrayLike,
    h_ut_m: ArrayLike = 1.5,
    los: ArrayLike = True,
    *,
    street_width_m: float = 20.0,
    building_height_m: float = 5.0,
) -> NDArray[np.float64]:
    """3GPP TR 38.901 Table 7.4.1-1 path loss (dB), broadcast over the inputs.

    Parameters
    ----------
    model : {"uma", "umi", "rma", "fspl"}
        UMa, UMi-Street Canyon, RMa, or free space.
    fc_ghz : array_like
        Carrier frequency (GHz).
    d2d_m : array_like
        Horizontal distance (m).
    h_bs_m, h_ut_m : array_like
        Antenna heights above ground (m).
    los : array_like of bool
        Line of sight; NLOS is ``max(PL_LOS, PL'_NLOS)``.
    street_width_m, building_height_m : float
        RMa W and h (m).

    Returns
    -------
    ndarray
        Path loss (dB), the broadcast shape of the inputs. Inputs outside the model's
        validity range are clamped or extrapolated as :mod:`kernels.pathloss` documents.

    Examples
    --------
    >>> round(float(pathloss("uma", 3.5, 200.0, 25.0, los=False)), 2)
    114.46
    """
    code = _code(model)
    f, d, hb, hu, lo = np.broadcast_arrays(
        np.asarray(fc_ghz, dtype=np.float64),
        np.asarray(d2d_m, dtype=np.float64),
        np.asarray(h_bs_m, dtype=np.float64),
        np.asarray(h_ut_m, dtype=np.float64),
        np.asarray(los, dtype=np.bool_),
    )
    for name, arr in (("fc_ghz", f), ("d2d_m", d), ("h_bs_m", hb), ("h_ut_m", hu)):
        _finite(name, arr)
    if np.any(f <= 0):
        raise ValueError("fc_ghz must be positive (GHz)")
    out = _pl.pathloss_array(
        code,
        np.ascontiguousarray(f.ravel()),
        np.ascontiguousarray(d.ravel()),
        np.ascontiguousarray(hb.ravel()),
        np.ascontiguousarray(hu.ravel()),
        np.ascontiguousarray(lo.ravel()),
        float(street_width_m),
        float(building_height_m),
    )
    return out.reshape(f.shape)


def los_probability(model: str, d2d_m: ArrayLike, h_ut_m: ArrayLike = 1.5) -> NDArray[np.float64]:
    """3GPP TR 38.901 Table 7.4.2-1 LOS probability, broadcast over the inputs.

    Examples
    --------
    >>> float(los_probability("umi", 10.0))
    1.0
    """
    code = _code(model)
    d, hu = np.broadcast_arrays(np.asarray(d2d_m, dtype=np.float64), np.asarray(h_ut_m, dtype=np.float64))
    _finite("d2d_m", d)
    _finite("h_ut_m", hu)
    out = _pl.los_probability_array(code, np.ascontiguousarray(d.ravel()), np.ascontiguousarray(hu.ravel()))
    return out.reshape(d.shape)


def sigma_sf(model: str, los: bool) -> float:
    """Shadow-fading σ_SF (dB) of TR 38.901 Table 7.4.1-1."""
    return float(_pl.sigma_sf(_code(model), bool(los)))
