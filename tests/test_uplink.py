"""Uplink budget (planner.radio.uplink): min(DL, UL) allowed path loss per site class behind radio.uplink."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from planner.coverage.build import coverage_radii
from planner.errors import ScenarioError
from planner.radio.budget import link_budget
from planner.radio.uplink import required_ul_sinr_db
from planner.scenario import RadioConfig, load_scenario


def test_required_sinr_carries_the_edge_rate() -> None:
    sinr = required_ul_sinr_db(1.0, 24, 30.0, 0.2)
    assert sinr == pytest.approx(-0.22, abs=0.005)
    rate = 0.2 * 0.6 * 12 * 24 * 30e3 * math.log2(1 + 10 ** (sinr / 10)) / 1e6
    assert rate == pytest.approx(1.0)
    assert required_ul_sinr_db(2.0, 24, 30.0, 0.2) > sinr + 3.0  # twice the rate needs well over 3 dB more


def test_default_off_keeps_the_downlink_budget() -> None:
    for c in ("macro", "micro"):
        lb = link_budget(RadioConfig(), c)
        assert lb.uplink_limit_db == 0.0
        assert "ul_allowed_loss_db" not in lb.as_dict()
    assert link_budget(RadioConfig(), "macro").allowed_loss_db == pytest.approx(119.86, abs=0.01)


def test_uplink_co_limits_macros_at_n78() -> None:
    """Issue 15: UE 23 dBm, MAPL ≈ 139 dB against 139.9 dB downlink at −105 dBm (no penetration)."""
    radio = RadioConfig(uplink=True, penetration_loss_db=0.0)
    macro, micro = link_budget(radio, "macro"), link_budget(radio, "micro")
    d = macro.as_dict()
    assert d["ul_allowed_loss_db"] == pytest.approx(139.35, abs=0.01)
    assert d["dl_allowed_loss_db"] == pytest.approx(139.86, abs=0.01)
    assert d["limiting_link"] == "UL" and d["ue_power_dbm"] == 23.0
    assert macro.allowed_loss_db == pytest.approx(min(d["ul_allowed_loss_db"], d["dl_allowed_loss_db"]), abs=0.01)
    assert micro.as_dict()["limiting_link"] == "DL"  # 20 W poles with 10 dBi: the downlink limits
    assert micro.allowed_loss_db == pytest.approx(
        link_budget(RadioConfig(penetration_loss_db=0.0), "micro").allowed_loss_db
    )
    hpue = link_budget(RadioConfig(uplink=True, ue_power_dbm=26.0), "macro")  # HPUE: +3 dB, the downlink limits again
    assert hpue.as_dict()["limiting_link"] == "DL"


def test_uplink_shrinks_macro_radius_only() -> None:
    h, cls = np.array([30.0, 10.0]), np.array(["macro", "micro"])
    off, on = coverage_radii(h, cls, RadioConfig()), coverage_radii(h, cls, RadioConfig(uplink=True))
    assert on[0] < off[0] - 3.0  # 0.5 dB less allowed loss: 223.4 m -> 217.1 m (mixture)
    assert on[1] == pytest.approx(off[1])


def test_bad_uplink_keys_exit_2(tiny: Path) -> None:
    with pytest.raises(ScenarioError, match="ue_power_dbm"):
        load_scenario(tiny, ["radio.ue_power_dbm=40"])
    radio = load_scenario(tiny, ["radio.uplink=true", "radio.ul_rb=275", "radio.bandwidth_mhz=20"]).radio
    with pytest.raises(ScenarioError, match=r"radio.ul_rb"):
        link_budget(radio, "macro")
