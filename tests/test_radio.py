"""Bands, link budget, default spacing (DOMAIN.md §1.8), radius inversion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.errors import ScenarioError
from planner.radio import BANDS, link_budget, los_probability, pathloss, sigma_sf
from planner.scenario import RadioConfig, SiteClassRadio
from tests.test_pathloss import ref_mixture_loss, ref_pl, ref_plos


def test_bands_resource_elements() -> None:
    assert BANDS["n78"].n_rb == 273 and BANDS["n78"].n_re == 3276
    assert BANDS["n41"].fc_ghz == 2.6 and BANDS["n79"].fc_ghz == 4.9
    assert BANDS["n28"].n_rb == 160 and BANDS["n28"].scs_khz == 15
    # DOMAIN.md §4.2: 100 MHz @ 30 kHz → −35.2 dB per RE; 200 W → 17.9 dBm/RE
    assert 10 * math.log10(BANDS["n78"].n_re) == pytest.approx(35.15, abs=0.01)


def test_eirp_per_re_and_margins() -> None:
    lb = link_budget(RadioConfig(), "macro")
    assert lb.model == "uma" and lb.tx_power_dbm == pytest.approx(53.01, abs=0.01)
    assert lb.eirp_per_re_dbm == pytest.approx(53.0103 - 35.1536 + 17.0, abs=1e-3)
    assert lb.shadow_margin_nlos_db == pytest.approx(6.0 * 0.6744898, abs=1e-4)
    assert lb.shadow_margin_los_db == pytest.approx(4.0 * 0.6744898, abs=1e-4)
    micro = link_budget(RadioConfig(), "micro")
    assert micro.model == "umi" and micro.sigma_nlos_db == 7.82
    d = micro.as_dict()
    for key in (
        "model",
        "fc_ghz",
        "eirp_per_re_dbm",
        "n_re",
        "penetration_loss_db",
        "shadow_margin_nlos_db",
        "threshold_dbm",
    ):
        assert key in d
    # explicit σ override and feeder loss
    lb2 = link_budget(
        RadioConfig(
            shadowing_sigma_db=8.0,
            macro=SiteClassRadio(tx_power_w=200, antenna_gain_dbi=17, feeder_loss_db=2, model="uma"),
        ),
        "macro",
    )
    assert lb2.sigma_los_db == lb2.sigma_nlos_db == 8.0
    assert lb2.eirp_per_re_dbm == pytest.approx(lb.eirp_per_re_dbm - 2.0)


def test_bandwidth_override() -> None:
    lb = link_budget(RadioConfig(band="n41", bandwidth_mhz=60), "macro")
    assert lb.band.n_rb == 162
    with pytest.raises(ScenarioError, match="bandwidth"):
        link_budget(RadioConfig(band="n78", bandwidth_mhz=33), "macro")


def test_default_spacing_matches_dense_urban_practice() -> None:
    """3.5 GHz defaults: macro ISD 300–500 m, poles 100–200 m (ISD = 1.5 R, tri-sector hex).

    Radius under the default LOS mode (the exact edge-probability quantile of the TR 38.901
    LOS/NLOS mixture: 223 m / 75 m); the conservative all-NLOS macro ISD is checked too.
    """
    radio = RadioConfig()
    macro = link_budget(radio, "macro")
    micro = link_budget(radio, "micro")
    assert radio.los == "mixture"
    assert macro.max_radius_m(30.0) == pytest.approx(223.4, abs=0.1)
    assert micro.max_radius_m(10.0) == pytest.approx(75.4, abs=0.1)
    assert 300 <= 1.5 * macro.max_radius_m(30.0) <= 500
    assert 300 <= 1.5 * macro.max_radius_m(30.0, "nlos") <= 500
    assert 100 <= 1.5 * micro.max_radius_m(10.0) <= 200
    # LOS (best case, used with terrain) reaches farther
    assert micro.max_radius_m(10.0, "los") > micro.max_radius_m(10.0)


@pytest.mark.parametrize("cls", ["macro", "micro"])
@pytest.mark.parametrize("mode", ["probability", "nlos", "los", "mixture"])
def test_radius_is_where_rsrp_meets_threshold(cls: str, mode: str) -> None:
    radio = RadioConfig()
    lb = link_budget(radio, cls)
    h = 30.0 if cls == "macro" else 8.0
    r = lb.max_radius_m(h, mode)

    def rsrp(d: float) -> float:
        pl_l = float(pathloss(lb.model, lb.fc_ghz, d, h, los=True)) + lb.shadow_margin_los_db
        pl_n = float(pathloss(lb.model, lb.fc_ghz, d, h, los=False)) + lb.shadow_margin_nlos_db
        p = float(los_probability(lb.model, d))
        if mode == "los":
            loss = pl_l
        elif mode == "nlos":
            loss = pl_n
        elif mode == "mixture":
            loss = ref_mixture_loss(
                p,
                pl_l - lb.shadow_margin_los_db,
                pl_n - lb.shadow_margin_nlos_db,
                lb.sigma_los_db,
                lb.sigma_nlos_db,
                lb.edge_probability,
            )
        else:
            loss = p * pl_l + (1 - p) * pl_n
        return lb.budget_db - loss

    assert rsrp(r) >= radio.threshold_dbm - 1e-6
    assert rsrp(r + 0.01) < radio.threshold_dbm


def test_radius_zero_when_unreachable() -> None:
    lb = link_budget(RadioConfig(threshold_dbm=-20.0), "micro")
    assert lb.max_radius_m(10.0) == 0.0


def test_wrapper_broadcasts_and_validates() -> None:
    out = pathloss("umi", [2.6, 3.5], np.array([[50.0], [100.0], [200.0]]), 10.0)
    assert out.shape == (3, 2) and np.all(np.diff(out, axis=0) > 0)
    assert los_probability("fspl", [5.0, 5000.0]).tolist() == [1.0, 1.0]
    assert sigma_sf("umi", False) == 7.82
    with pytest.raises(ValueError, match="NaN"):
        pathloss("uma", 3.5, np.nan, 25.0)
    with pytest.raises(ValueError, match="positive"):
        pathloss("uma", 0.0, 100.0, 25.0)
    with pytest.raises(ValueError, match="site_class"):
        link_budget(RadioConfig(), "pico")


def test_radius_is_capped() -> None:
    from kernels.pathloss import MAX_RADIUS_M

    lb = link_budget(RadioConfig(threshold_dbm=-400.0), "macro")
    assert lb.max_radius_m(30.0) == MAX_RADIUS_M


def test_n28_uses_the_downlink_carrier_centre() -> None:
    """The link budget is a downlink SS-RSRP one, so the path loss uses the downlink carrier.

    TS 38.101-1 Table 5.2-1: n28 UL 703–748 MHz, DL 758–803 MHz; the CMCC/CBN 2 × 30 MHz
    carrier is UL 703–733 / DL 758–788 MHz (DOMAIN.md §4.1) → DL centre (758 + 788)/2 = 773 MHz.
    At 0.7 GHz the UMa loss was 20 log10(773/700) = 0.862 dB too low (hand computation).
    """
    assert BANDS["n28"].fc_ghz == pytest.approx(0.773, abs=1e-9)
    lb = link_budget(RadioConfig(band="n28"), "macro")
    assert lb.fc_ghz == pytest.approx(0.773, abs=1e-9)
    dpl = float(pathloss("uma", lb.fc_ghz, 300.0, 30.0, los=False) - pathloss("uma", 0.7, 300.0, 30.0, los=False))
    assert dpl == pytest.approx(0.862, abs=1e-3)


@pytest.mark.parametrize(
    ("cls", "h", "r_db", "p_at_r", "r_exact"),
    [("macro", 30.0, 250.8, 0.638, 223.4), ("micro", 10.0, 90.8, 0.619, 75.4)],
)
def test_expected_loss_is_optimistic_against_edge_probability(
    cls: str, h: float, r_db: float, p_at_r: float, r_exact: float
) -> None:
    """Pins the documented behaviour of ``los = "probability"`` (planner.radio docstring, README).

    The loss is averaged in dB over LOS/NLOS (TR 38.901 Table 7.4.2-1 p). The location
    probability of the LOS/NLOS log-normal mixture at distance d is
    ``p Φ((A − PL_LOS)/σ_LOS) + (1 − p) Φ((A − PL_NLOS)/σ_NLOS)`` (σ from Table 7.4.1-1,
    A = the allowed loss), computed here with statistics.NormalDist; at the default radius it is
    ≈ 0.64 / 0.62 instead of edge_probability = 0.75. ``los = "mixture"`` meets it (below).
    """
    from statistics import NormalDist

    radio = RadioConfig(los="probability")
    lb = link_budget(radio, cls)
    a = lb.allowed_loss_db

    def p_cov(d: float) -> float:
        p = float(los_probability(lb.model, d))
        pl_l = float(pathloss(lb.model, lb.fc_ghz, d, h, los=True))
        pl_n = float(pathloss(lb.model, lb.fc_ghz, d, h, los=False))
        nd = NormalDist()
        return p * nd.cdf((a - pl_l) / lb.sigma_los_db) + (1 - p) * nd.cdf((a - pl_n) / lb.sigma_nlos_db)

    r = lb.max_radius_m(h)
    assert r == pytest.approx(r_db, abs=0.1)
    assert p_cov(r) == pytest.approx(p_at_r, abs=2e-3) and p_cov(r) < radio.edge_probability
    assert p_cov(r_exact) == pytest.approx(radio.edge_probability, abs=2e-3)
    assert lb.max_radius_m(h, "nlos") < r_exact < r
    assert lb.max_radius_m(h, "mixture") == pytest.approx(r_exact, abs=0.1)


def _mixture_coverage_probability(
    model: str, fc: float, d: float, h_bs: float, allowed_db: float, s_los: float, s_nlos: float, h_ut: float = 1.5
) -> float:
    """P(path loss + shadowing ≤ allowed) at distance d under the LOS/NLOS mixture, from the
    independent TR 38.901 tables of tests/test_pathloss.py (Table 7.4.1-1 path loss,
    Table 7.4.2-1 LOS probability) and statistics.NormalDist.
    """
    from statistics import NormalDist

    p = ref_plos(model, d, h_ut)
    pl_l = ref_pl(model, fc, d, h_bs, h_ut, True)
    pl_n = ref_pl(model, fc, d, h_bs, h_ut, False)
    nd = NormalDist()
    return p * nd.cdf((allowed_db - pl_l) / s_los) + (1 - p) * nd.cdf((allowed_db - pl_n) / s_nlos)


@pytest.mark.parametrize(
    ("cls", "model", "h", "p_tx_w", "gain_dbi", "s_los", "s_nlos", "r_want"),
    [("macro", "uma", 30.0, 200.0, 17.0, 4.0, 6.0, 223.4), ("micro", "umi", 10.0, 20.0, 10.0, 4.0, 7.82, 75.4)],
)
def test_mixture_radius_meets_edge_probability(
    cls: str, model: str, h: float, p_tx_w: float, gain_dbi: float, s_los: float, s_nlos: float, r_want: float
) -> None:
    """``los = "mixture"`` at the defaults (n78 3.5 GHz, 100 MHz at 30 kHz = 3276 RE, −105 dBm,
    20 dB penetration, p_edge = 0.75; 30 m UMa macro 200 W / 17 dBi, 10 m UMi pole 20 W / 10 dBi;
    σ_SF LOS/NLOS 4/6 dB UMa, 4/7.82 dB UMi per TR 38.901 Table 7.4.1-1, LOS probability per
    Table 7.4.2-1): the inverted radius is where the LOS/NLOS mixture meets the threshold with
    probability 0.75, i.e. ≈ 223 m / 75 m. Budget and radius are recomputed here by hand and brentq.
    """
    from scipy.optimize import brentq

    radio = RadioConfig(los="mixture")
    lb = link_budget(radio, cls)
    allowed = 10 * math.log10(p_tx_w * 1000) - 10 * math.log10(12 * 273) + gain_dbi - 20.0 + 105.0
    assert lb.allowed_loss_db == pytest.approx(allowed, abs=1e-9)
    r = lb.max_radius_m(h)
    assert _mixture_coverage_probability(model, 3.5, r, h, allowed, s_los, s_nlos) == pytest.approx(0.75, abs=1e-3)
    r_exact = brentq(
        lambda d: _mixture_coverage_probability(model, 3.5, d, h, allowed, s_los, s_nlos) - 0.75,
        20.0,
        2000.0,
        xtol=1e-6,
    )
    assert r == pytest.approx(r_exact, abs=0.01)
    assert r == pytest.approx(r_want, abs=0.1)
    # ordering against the other modes: nlos (lower bound) < mixture < dB average
    assert lb.max_radius_m(h, "nlos") < r < lb.max_radius_m(h, "probability")


@pytest.mark.parametrize("edge", [0.5, 0.9, 0.95])
@pytest.mark.parametrize(
    ("band", "cls", "h"),
    [("n41", "macro", 25.0), ("n28", "macro", 35.0), ("n79", "micro", 8.0), ("n78", "micro", 12.0)],
)
def test_mixture_radius_meets_other_edge_probabilities(edge: float, band: str, cls: str, h: float) -> None:
    """The mixture radius meets any edge probability, band and height (independent check)."""
    radio = RadioConfig(los="mixture", edge_probability=edge, band=band)
    lb = link_budget(radio, cls)
    r = lb.max_radius_m(h)
    assert r > 20.0
    got = _mixture_coverage_probability(
        lb.model, lb.fc_ghz, r, h, lb.allowed_loss_db, lb.sigma_los_db, lb.sigma_nlos_db
    )
    assert got == pytest.approx(edge, abs=1e-3)


@pytest.mark.parametrize(
    ("los", "want"), [("mixture", (0.75, 0.75)), ("probability", (0.638, 0.619)), ("nlos", (0.778, 0.853))]
)
def test_delivered_edge_probability(los: str, want: tuple[float, float]) -> None:
    """The edge reliability each LOS mode delivers (manifest and report: ``edge_probability_delivered``)."""
    radio = RadioConfig(los=los)
    got = (
        link_budget(radio, "macro").delivered_edge_probability(30.0),
        link_budget(radio, "micro").delivered_edge_probability(10.0),
    )
    assert got == pytest.approx(want, abs=2e-3)
    assert math.isnan(link_budget(radio, "macro", terrain=True).delivered_edge_probability(30.0))


def test_penetration_by_class_table() -> None:
    from planner.scenario import PRIORITY_CLASSES, scenario_from_dict
    from planner.scenario_radio import PriorityClass

    assert PriorityClass.__args__ == PRIORITY_CLASSES  # type: ignore[attr-defined]
    r = RadioConfig()
    assert r.penetration_by_class == {"highway": 0.0, "park": 0.0}
    assert (r.penetration_of("park"), r.penetration_of("highway"), r.penetration_of("central_urban")) == (
        0.0,
        0.0,
        20.0,
    )
    base = {"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}}
    sc = scenario_from_dict({**base, "radio": {"penetration_by_class": {"rail_station": 0}}})
    assert sc.radio.penetration_by_class == {"highway": 0.0, "park": 0.0, "rail_station": 0.0}  # partial table merges
    for table, key in (
        ({"parks": 0}, "radio.penetration_by_class.parks"),
        ({"park": -1}, "radio.penetration_by_class.park"),
    ):
        with pytest.raises(ScenarioError) as err:
            scenario_from_dict({**base, "radio": {"penetration_by_class": table}})
        assert f"[{key}]" in str(err.value)
