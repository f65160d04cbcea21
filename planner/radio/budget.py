"""Downlink SS-RSRP link budget of a site class.

``RSRP = EIRP/RE − PL − shadowing margin − penetration − body loss + UE gain`` (dBm), with
``EIRP/RE = P_tx − 10 log10(12 N_RB) + G_ant − L_feeder`` (DOMAIN.md §4.2) and the shadowing
margin ``σ_SF Φ⁻¹(p_edge)`` for a log-normal shadowing at cell-edge coverage probability
``p_edge`` (σ_SF from TR 38.901 Table 7.4.1-1 per model and LOS state). A cell is covered when
RSRP ≥ the threshold. Under ``los_mode = "mixture"`` the loss is instead the ``p_edge`` quantile
of the LOS/NLOS shadowing mixture (:func:`kernels.pathloss.mixture_loss`), which reads
``sigma_*_db`` and ``edge_probability`` too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

from kernels import pathloss as _pl
from planner.errors import Problem, ScenarioError
from planner.radio.bands import BANDS, Band
from planner.radio.uplink import ul_allowed_loss_db, ul_params
from planner.scenario import RadioConfig

MODEL_CODES: dict[str, int] = {"fspl": _pl.FSPL, "uma": _pl.UMA, "umi": _pl.UMI, "rma": _pl.RMA}
#: LOS modes: expected loss under the LOS probability (dB average), all NLOS, all LOS (terrain
#: best case), the edge-probability quantile of the LOS/NLOS shadowing mixture
LOS_MODES: dict[str, int] = {"probability": 0, "nlos": 1, "los": 2, "mixture": 3}


@dataclass(frozen=True)
class LinkBudget:
    """The link budget of one site class (all powers in dBm, gains and losses in dB).

    Build it with :func:`link_budget`. ``allowed_loss_db`` is the largest path loss plus
    shadowing margin at which RSRP still meets the threshold.
    """

    site_class: str
    model: str
    band: Band
    tx_power_w: float
    antenna_gain_dbi: float
    feeder_loss_db: float
    ue_gain_dbi: float
    ue_height_m: float
    body_loss_db: float
    penetration_loss_db: float
    edge_probability: float
    sigma_los_db: float
    sigma_nlos_db: float
    threshold_dbm: float
    los_mode: str
    street_width_m: float
    building_height_m: float
    #: path-loss offset (dB) added by ``radio.calibration`` (:mod:`planner.radio.calibration`)
    calibration_offset_db: float = 0.0
    #: uplink allowed path loss plus margin (dB, before calibration) when ``radio.uplink``; None = downlink only
    ul_allowed_loss_db: float | None = None
    #: the uplink settings shown beside it (name, value) when ``radio.uplink``
    ul_params: tuple[tuple[str, float], ...] = ()

    @property
    def model_code(self) -> int:
        """Integer code of the path-loss model for the kernels (:data:`kernels.pathloss` codes)."""
        return MODEL_CODES[self.model]

    @property
    def fc_ghz(self) -> float:
        """Carrier frequency (GHz)."""
        return self.band.fc_ghz

    @property
    def tx_power_dbm(self) -> float:
        """Transmit power (dBm)."""
        return 10.0 * math.log10(self.tx_power_w * 1000.0)

    @property
    def eirp_per_re_dbm(self) -> float:
        """``P_tx − 10 log10(12 N_RB) + G_ant − L_feeder`` (dBm per resource element)."""
        return self.tx_power_dbm - 10.0 * math.log10(self.band.n_re) + self.antenna_gain_dbi - self.feeder_loss_db

    @property
    def shadow_margin_los_db(self) -> float:
        """LOS shadowing margin at the edge probability (dB): ``σ_LOS · Φ⁻¹(p)``."""
        return self.sigma_los_db * NormalDist().inv_cdf(self.edge_probability)

    @property
    def shadow_margin_nlos_db(self) -> float:
        """NLOS shadowing margin at the edge probability (dB): ``σ_NLOS · Φ⁻¹(p)``."""
        return self.sigma_nlos_db * NormalDist().inv_cdf(self.edge_probability)

    @property
    def budget_db(self) -> float:
        """RSRP before path loss and shadowing (dBm): EIRP/RE + UE gain − penetration − body loss − calibration offset.

        With an uplink budget that allows less path loss than the downlink, lowered by the
        difference (:attr:`uplink_limit_db`), so that ``allowed_loss_db`` is min(DL, UL).
        """
        return self.dl_budget_db - self.calibration_offset_db - self.uplink_limit_db

    @property
    def dl_budget_db(self) -> float:
        """EIRP/RE + UE gain − penetration − body loss (dBm), uncalibrated downlink."""
        return self.eirp_per_re_dbm + self.ue_gain_dbi - self.penetration_loss_db - self.body_loss_db

    @property
    def uplink_limit_db(self) -> float:
        """How much less path loss the uplink allows than the downlink (dB, ≥ 0; 0 without ``radio.uplink``)."""
        if self.ul_allowed_loss_db is None:
            return 0.0
        return max(0.0, self.dl_budget_db - self.threshold_dbm - self.ul_allowed_loss_db)

    @property
    def allowed_loss_db(self) -> float:
        """Largest path loss + shadowing margin (dB) that still meets the threshold."""
        return self.budget_db - self.threshold_dbm

    def max_radius_m(self, h_bs_m: float, los_mode: str | None = None) -> float:
        """Distance (m) at which RSRP falls to the threshold, inverted by bisection.

        Parameters
        ----------
        h_bs_m : float
            Antenna height above ground (m).
        los_mode : {"probability", "nlos", "los", "mixture"}, optional
            Defaults to the budget's mode; with terrain the mode is ``"los"`` (best case: no
            cell farther than this can be covered).

        Returns
        -------
        float
            The radius (m); 0.0 when even 10 m away the threshold is not met.
        """
        mode = LOS_MODES[los_mode or self.los_mode]
        r = _pl.max_radius(
            mode,
            self.model_code,
            self.fc_ghz,
            float(h_bs_m),
            self.ue_height_m,
            self.shadow_margin_los_db,
            self.shadow_margin_nlos_db,
            self.street_width_m,
            self.building_height_m,
            self.allowed_loss_db,
            self.sigma_los_db,
            self.sigma_nlos_db,
            self.edge_probability,
        )
        return max(float(r), 0.0)

    def delivered_edge_probability(self, h_bs_m: float, los_mode: str | None = None) -> float:
        """Probability that the threshold is met at the cell edge, under the LOS/NLOS shadowing mixture.

        At the radius of ``los_mode`` (default the budget's, :meth:`max_radius_m`) the location
        probability ``p Φ((A − PL_LOS)/σ_LOS) + (1 − p) Φ((A − PL_NLOS)/σ_NLOS)`` with
        ``A`` = :attr:`allowed_loss_db` and ``p`` the TR 38.901 Table 7.4.2-1 LOS probability: the
        edge reliability the plan delivers. It equals ``edge_probability`` under ``"mixture"``, is
        lower under ``"probability"`` (0.638 macro / 0.619 pole at the 3.5 GHz defaults: the
        dB-averaged loss is optimistic) and higher under ``"nlos"``. With terrain (``"los"``)
        the mixture is not the model (LOS is ray-marched): NaN.
        """
        mode = los_mode or self.los_mode
        if mode == "los":
            return math.nan
        d = self.max_radius_m(h_bs_m, mode)
        if d <= 0.0:
            return math.nan
        pl_los, pl_nlos = _pl.pathloss_pair(
            self.model_code,
            self.fc_ghz,
            d,
            float(h_bs_m),
            self.ue_height_m,
            self.street_width_m,
            self.building_height_m,
        )
        p = float(_pl.los_probability(self.model_code, d, self.ue_height_m))
        a = self.allowed_loss_db
        nd = NormalDist()

        def cdf(x: float, s: float) -> float:
            return nd.cdf(x / s) if s > 0.0 else float(x >= 0.0)

        return p * cdf(a - pl_los, self.sigma_los_db) + (1.0 - p) * cdf(a - pl_nlos, self.sigma_nlos_db)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (for the manifest and the report's method section)."""
        out: dict[str, Any] = {
            "site_class": self.site_class,
            "model": self.model,
            "band": self.band.name,
            "fc_ghz": self.fc_ghz,
            "bandwidth_mhz": self.band.bandwidth_mhz,
            "scs_khz": self.band.scs_khz,
            "n_rb": self.band.n_rb,
            "n_re": self.band.n_re,
            "tx_power_w": self.tx_power_w,
            "tx_power_dbm": round(self.tx_power_dbm, 2),
            "antenna_gain_dbi": self.antenna_gain_dbi,
            "feeder_loss_db": self.feeder_loss_db,
            "eirp_per_re_dbm": round(self.eirp_per_re_dbm, 2),
            "ue_gain_dbi": self.ue_gain_dbi,
            "ue_height_m": self.ue_height_m,
            "body_loss_db": self.body_loss_db,
            "penetration_loss_db": self.penetration_loss_db,
            "edge_probability": self.edge_probability,
            "sigma_sf_los_db": self.sigma_los_db,
            "sigma_sf_nlos_db": self.sigma_nlos_db,
            "shadow_margin_los_db": round(self.shadow_margin_los_db, 2),
            "shadow_margin_nlos_db": round(self.shadow_margin_nlos_db, 2),
            "threshold_dbm": self.threshold_dbm,
            "allowed_loss_db": round(self.allowed_loss_db, 2),
            "los_mode": self.los_mode,
            "calibration_offset_db": round(self.calibration_offset_db, 2),
            "reference": "3GPP TR 38.901 Table 7.4.1-1 (path loss), Table 7.4.2-1 (LOS probability)",
        }
        if self.ul_allowed_loss_db is not None:  # radio.uplink: both links side by side
            out = {
                **out,
                **dict(self.ul_params),
                "ul_allowed_loss_db": round(self.ul_allowed_loss_db, 2),
                "dl_allowed_loss_db": round(self.dl_budget_db - self.threshold_dbm, 2),
                "limiting_link": "UL" if self.uplink_limit_db > 0 else "DL",
            }
        return out


def resolve_band(radio: RadioConfig) -> Band:
    """The band of the scenario with its bandwidth override applied."""
    band = BANDS[radio.band]
    if radio.bandwidth_mhz is not None:
        band = Band(band.name, band.fc_ghz, int(radio.bandwidth_mhz), band.scs_khz, band.note)
        try:
            band.n_rb  # noqa: B018 - validates the bandwidth
        except ValueError as exc:
            raise ScenarioError(
                Problem(
                    str(exc),
                    "scenario",
                    "[radio.bandwidth_mhz]",
                    "use a bandwidth from TS 38.101-1 Table 5.3.2-1 or leave it out",
                )
            ) from None
    return band


def link_budget(
    radio: RadioConfig, site_class: Literal["macro", "micro"] | str, *, terrain: bool = False
) -> LinkBudget:
    """The :class:`LinkBudget` of ``site_class`` under the scenario's ``[radio]`` settings.

    Parameters
    ----------
    radio : RadioConfig
        The scenario's radio section.
    site_class : {"macro", "micro"}
        Macro (towers, rooftops; TR 38.901 UMa by default) or micro (lamp, surveillance and
        smart poles; UMi-Street Canyon by default).
    terrain : bool
        True when LOS is ray-marched on a DSM (the budget's mode is then ``"los"`` for the
        best-case radius).
    """
    if site_class not in ("macro", "micro"):
        raise ValueError(f"site_class must be 'macro' or 'micro', got {site_class!r}")
    cls = radio.macro if site_class == "macro" else radio.micro
    code = MODEL_CODES[cls.model]
    if radio.shadowing_sigma_db is not None:
        s_los = s_nlos = float(radio.shadowing_sigma_db)
    else:
        s_los = float(_pl.sigma_sf(code, True))
        s_nlos = float(_pl.sigma_sf(code, False))
    band = resolve_band(radio)
    if radio.uplink and radio.ul_rb > band.n_rb:
        raise ScenarioError(
            Problem(
                f"ul_rb = {radio.ul_rb} is more than the carrier's {band.n_rb} resource blocks",
                "scenario",
                "[radio.ul_rb]",
                f"give the edge UE's grant, 1 … {band.n_rb} RB",
            )
        )
    offset = 0.0
    if radio.calibration is not None:  # fitted offset and σ (planner calibrate)
        from planner.radio.calfile import load_calibration

        corr = load_calibration(radio.calibration).get(site_class)
        if corr is not None:
            if corr.model != cls.model:
                raise ScenarioError(
                    Problem(
                        f"the calibration of {site_class} sites was fitted for model {corr.model!r}, "
                        f"the scenario uses {cls.model!r}",
                        "scenario",
                        "[radio.calibration]",
                        "calibrate again with this scenario, or set the model back",
                    )
                )
            offset, s_los, s_nlos = corr.offset_db, corr.sigma_db, corr.sigma_db
    return LinkBudget(
        site_class=site_class,
        model=cls.model,
        band=band,
        tx_power_w=cls.tx_power_w,
        antenna_gain_dbi=cls.antenna_gain_dbi,
        feeder_loss_db=cls.feeder_loss_db,
        ue_gain_dbi=radio.ue_gain_dbi,
        ue_height_m=radio.ue_height_m,
        body_loss_db=radio.body_loss_db,
        penetration_loss_db=radio.penetration_loss_db,
        edge_probability=radio.edge_probability,
        sigma_los_db=s_los,
        sigma_nlos_db=s_nlos,
        threshold_dbm=radio.threshold_dbm,
        los_mode="los" if terrain else radio.los,
        street_width_m=radio.rma_street_width_m,
        building_height_m=radio.rma_building_height_m,
        calibration_offset_db=offset,
        ul_allowed_loss_db=ul_allowed_loss_db(radio, cls, band) if radio.uplink else None,
        ul_params=ul_params(radio, band) if radio.uplink else (),
    )
