"""Uplink (PUSCH) link budget of a site class: the allowed path loss of the edge UE.

``radio.uplink = true`` makes the coverage use, per site class, the smaller of the downlink and
uplink allowed path loss (:func:`planner.radio.budget.link_budget`). The uplink allowed loss
(path loss plus shadowing margin, dB) is::

    L_UL = P_UE − 10 log10(12 N_RB,UL) + G_gNB − L_feeder + G_UE − L_body − L_pen
           − (−174 + 10 log10(SCS / Hz) + NF_gNB + IoT + SINR_req)

per resource element, like the downlink's SS-RSRP budget: the UE spreads ``ue_power_dbm``
(23 dBm power class 3; 26 dBm HPUE, power class 2, TS 38.101-1 Table 6.2.1-1) over the
``ul_rb`` resource blocks of its grant; the gNB receives with its noise figure
(``gnb_noise_figure_db``) under an interference-over-thermal margin (``ul_iot_margin_db``).
``SINR_req`` is the SINR at which the attenuated Shannon bound carries the stated edge rate
``R`` (``ul_edge_rate_mbps``) in the grant's share of the TDD frame::

    R = s · α · B · log2(1 + SINR_req),  B = 12 N_RB,UL · SCS

with α = 0.6 (the attenuation factor of 3GPP TR 36.942 Annex A.2; also used for the downlink
estimate in :mod:`planner.radio.interference`) and ``s = ul_slot_share`` (0.2 = one uplink slot in
DDDSU). Defaults (n78: 30 kHz, 24 RB, 1 Mbit/s, 0.2, NF 3.5 dB, IoT 2 dB, macro 17 dBi) give
SINR_req −0.2 dB and an uplink allowed loss of 139.3 dB before penetration, against 139.9 dB for
the downlink at −105 dBm: at 3.5 GHz the uplink co-limits macros.
"""

from __future__ import annotations

import math

from planner.radio.bands import Band
from planner.scenario import RadioConfig, SiteClassRadio

#: attenuation factor of the Shannon bound (3GPP TR 36.942 Annex A.2)
SHANNON_ALPHA_UL = 0.6


def required_ul_sinr_db(
    rate_mbps: float, n_rb: int, scs_khz: float, slot_share: float, alpha: float = SHANNON_ALPHA_UL
) -> float:
    """SINR (dB) at which ``s · α · B · log2(1 + SINR)`` carries ``rate_mbps`` over ``n_rb`` RBs.

    Examples
    --------
    >>> round(required_ul_sinr_db(1.0, 24, 30.0, 0.2), 2)
    -0.22
    """
    bandwidth_hz = 12.0 * n_rb * scs_khz * 1e3
    bits_per_hz = rate_mbps * 1e6 / (slot_share * alpha * bandwidth_hz)
    return 10.0 * math.log10(2.0**bits_per_hz - 1.0)


def ul_allowed_loss_db(radio: RadioConfig, cls: SiteClassRadio, band: Band) -> float:
    """Uplink allowed path loss plus shadowing margin (dB) of a site class, before calibration.

    Parameters
    ----------
    radio : RadioConfig
        ``ue_power_dbm``, ``ul_rb``, ``gnb_noise_figure_db``, ``ul_iot_margin_db``,
        ``ul_edge_rate_mbps``, ``ul_slot_share``, the UE gain, body and penetration losses.
    cls : SiteClassRadio
        The class's antenna gain and feeder loss (reciprocal with the downlink).
    band : Band
        The band (subcarrier spacing).
    """
    per_re_dbm = radio.ue_power_dbm - 10.0 * math.log10(12.0 * radio.ul_rb)
    gains = cls.antenna_gain_dbi - cls.feeder_loss_db + radio.ue_gain_dbi
    gains -= radio.body_loss_db + radio.penetration_loss_db
    noise = -174.0 + 10.0 * math.log10(band.scs_khz * 1e3) + radio.gnb_noise_figure_db + radio.ul_iot_margin_db
    sinr = required_ul_sinr_db(radio.ul_edge_rate_mbps, radio.ul_rb, band.scs_khz, radio.ul_slot_share)
    return per_re_dbm + gains - (noise + sinr)


def ul_params(radio: RadioConfig, band: Band) -> tuple[tuple[str, float], ...]:
    """The uplink settings and the required SINR, as (key, value) pairs for the link-budget table."""
    sinr = required_ul_sinr_db(radio.ul_edge_rate_mbps, radio.ul_rb, band.scs_khz, radio.ul_slot_share)
    return (
        ("ue_power_dbm", radio.ue_power_dbm),
        ("ul_rb", float(radio.ul_rb)),
        ("gnb_noise_figure_db", radio.gnb_noise_figure_db),
        ("ul_iot_margin_db", radio.ul_iot_margin_db),
        ("ul_edge_rate_mbps", radio.ul_edge_rate_mbps),
        ("ul_slot_share", radio.ul_slot_share),
        ("ul_required_sinr_db", round(sinr, 2)),
    )
