"""Scenario section ``[radio]``: link budget, site classes and sector antennas.

Kept apart from :mod:`planner.scenario` (which imports and re-exports these models) so that
the file stays small. :class:`ScenarioModel` is the strict, frozen base of every scenario section.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator


class ScenarioModel(BaseModel):
    """Base of every scenario section: unknown keys refused, frozen, no inf/nan."""

    # inf and nan are refused in every number (TOML reads `inf`/`nan`; a NaN threshold or an
    # infinite time limit would run without meaning)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SiteClassRadio(ScenarioModel):
    """Transmit side of one site class (units in the field names)."""

    tx_power_w: Annotated[float, Field(gt=0, le=10_000)]
    antenna_gain_dbi: Annotated[float, Field(ge=-30, le=40)]
    feeder_loss_db: Annotated[float, Field(ge=0, le=50)] = 0.0
    model: Literal["uma", "umi", "rma", "fspl"]


class SectorAntenna(ScenarioModel):
    """Sector antennas of one site class, used when ``radio.antenna = "sectors"`` (TR 38.901 Table 7.3-1 pattern).

    ``omni`` keeps the class omni at peak gain. Otherwise each site has ``sectors`` panels at
    ``azimuths_deg`` (compass degrees; default evenly spaced from 0°: 0/120/240 for three),
    mechanical downtilt ``tilt_deg`` and electrical downtilt ``electrical_tilt_deg`` (degrees,
    positive down), half-power beamwidths and side-lobe / front-to-back attenuations (dB).
    Every cell takes the gain of its best sector (≤ 0 dB relative to ``antenna_gain_dbi``).

    Defaults (a 3-sector macro panel; sources in ``planner.radio`` and README "Radio defaults"):
    65° horizontal beam (the common dual-polarised macro panel; TR 38.901 Table 7.3-1 φ3dB),
    10° vertical beam with SLA_V = 20 dB and a 25 dB front-to-back ratio (the 3-sector antenna
    of TR 36.814 Table A.2.1.1-2). 65° × 10° is a directivity of 41,253 / (65 · 10) ≈ 18 dBi,
    about 17 dBi after ≈ 1 dB of losses: the macro's ``antenna_gain_dbi``. ``tilt_deg = "auto"``
    points the upper −3 dB edge of the vertical beam at the cell edge, the planning rule
    tilt = arctan((h − h_UT) / R) + θ3dB/2 (total of mechanical and electrical), with R the site's
    omni link-budget radius at its height: 12.3° for a 30 m mast (R 223 m), 14.8° at 40 m.
    """

    omni: bool = False
    sectors: Annotated[int, Field(ge=1, le=6)] = 3
    azimuths_deg: tuple[Annotated[float, Field(ge=0, lt=360)], ...] | None = None
    #: mechanical downtilt (degrees, positive down, −10 … 30) or "auto" (see the class docstring)
    tilt_deg: float | Literal["auto"] = "auto"
    electrical_tilt_deg: Annotated[float, Field(ge=-10, le=30)] = 0.0
    hpbw_h_deg: Annotated[float, Field(gt=0, le=360)] = 65.0
    hpbw_v_deg: Annotated[float, Field(gt=0, le=180)] = 10.0
    sla_v_db: Annotated[float, Field(ge=0, le=60)] = 20.0
    front_to_back_db: Annotated[float, Field(ge=0, le=60)] = 25.0
    #: first sector along the nearest road, the others evenly spaced (2 sectors: both ways along the
    #: street); the road from the candidate column road_bearing_deg or inputs.basemap (planner.geo.sector_columns)
    along_road: Annotated[bool, Field(strict=True)] = False

    @field_validator("tilt_deg", mode="before")
    @classmethod
    def _tilt(cls, value: Any) -> Any:
        """One error naming the key (not one per member of the union): "auto" or −10 … 30 degrees."""
        if isinstance(value, str) and value.strip() == "auto":
            return "auto"
        if isinstance(value, bool) or not isinstance(value, int | float) or not -10.0 <= float(value) <= 30.0:
            raise ValueError("tilt_deg must be \"auto\" or a downtilt from −10 to 30 degrees")
        return float(value)

    @model_validator(mode="after")
    def _azimuth_count(self) -> SectorAntenna:
        if self.along_road and (self.omni or self.azimuths_deg is not None):
            raise ValueError("along_road takes the bearings from the road: set omni = false and leave azimuths_deg out")
        if self.azimuths_deg is not None and len(self.azimuths_deg) != self.sectors:
            raise ValueError(f"azimuths_deg lists {len(self.azimuths_deg)} bearings for {self.sectors} sectors; "
                             "give one bearing per sector or leave azimuths_deg out")
        return self

    def bearings(self) -> tuple[float, ...]:
        """Sector bearings (compass degrees); empty when omni."""
        if self.omni:
            return ()
        if self.azimuths_deg is not None:
            return tuple(float(a) for a in self.azimuths_deg)
        return tuple(360.0 * k / self.sectors for k in range(self.sectors))


#: default antennas per class: 3 × 65° macro panels, 10° vertical beam, tilt from mast height and cell
#: radius ("auto"); poles omni (a 2-sector pole along the road is an option: ``micro_antenna``)
DEFAULT_ANTENNAS: dict[str, SectorAntenna] = {
    "macro": SectorAntenna(),
    "micro": SectorAntenna(omni=True, hpbw_v_deg=65.0, tilt_deg=6.0),
}


#: priority classes of ``[demand]`` (``planner.scenario`` re-exports it; tests/test_radio.py checks they agree)
PriorityClass = Literal["airport", "rail_station", "transport_hub", "public_place", "park", "industrial_park",
                        "central_urban", "highway", "other"]

#: penetration loss (dB) per priority class where it is not ``radio.penetration_loss_db``: the outdoor
#: classes, whose users stand on the road or in the open (TR 38.901 §7.4.3 O2I loss applies to indoor UEs only)
DEFAULT_PENETRATION_BY_CLASS: dict[PriorityClass, float] = {"highway": 0.0, "park": 0.0}


class RadioConfig(ScenarioModel):
    """Link budget parameters; defaults documented in README and ``planner.radio``."""

    band: Literal["n78", "n41", "n79", "n28"] = "n78"
    #: channel bandwidth (MHz); None = the band's default carrier (see planner.radio.BANDS)
    bandwidth_mhz: Annotated[int, Field(gt=0)] | None = None
    #: SS-RSRP threshold (dBm); a sanity range (TS 38.133 reports SS-RSRP over −156 … −31 dBm)
    threshold_dbm: Annotated[float, Field(ge=-500, le=0)] = -105.0
    ue_height_m: Annotated[float, Field(gt=0, le=30)] = 1.5
    ue_gain_dbi: float = 0.0
    body_loss_db: Annotated[float, Field(ge=0)] = 0.0
    #: building penetration / deep-coverage margin (dB), subtracted before the threshold test:
    #: with threshold_dbm = −105 and 20 dB the criterion is indoor −105 dBm, i.e. an
    #: outdoor-equivalent −85 dBm (DOMAIN.md §1.7–1.8)
    penetration_loss_db: Annotated[float, Field(ge=0)] = 20.0
    #: penetration loss (dB) of the cells of a priority class, in place of ``penetration_loss_db``
    #: (the cells of no area and of classes not listed keep it). Default: the outdoor classes
    #: ``highway`` and ``park`` 0 dB (users on the road or in the park, no wall); set e.g.
    #: ``rail_station = 0`` for open platforms. A partial table keeps the other defaults.
    penetration_by_class: dict[PriorityClass, Annotated[float, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: dict(DEFAULT_PENETRATION_BY_CLASS))
    #: shadow-fading σ (dB) for both LOS and NLOS; None = TR 38.901 per model and LOS state
    shadowing_sigma_db: Annotated[float, Field(ge=0)] | None = None
    #: RMa average street width W and building height h (m), TR 38.901 Table 7.4.1-1
    rma_street_width_m: Annotated[float, Field(ge=5, le=50)] = 20.0
    rma_building_height_m: Annotated[float, Field(ge=5, le=50)] = 5.0
    #: cell-edge coverage probability used for the log-normal shadowing margin
    edge_probability: Annotated[float, Field(ge=0.5, lt=1.0)] = 0.75
    #: without terrain, how LOS and NLOS combine under the 38.901 LOS probability p:
    #: "mixture" (default) = the exact edge_probability quantile of the LOS/NLOS shadowing
    #: mixture (a root per cell); "probability" = p·(PL_LOS + m_LOS) + (1 − p)·(PL_NLOS + m_NLOS),
    #: averaged in dB: faster (SIMD) but OPTIMISTIC, the edge is met with probability ≈ 0.62–0.64
    #: at the default 0.75 (radii 251 m / 91 m at 3.5 GHz instead of 223 m / 75 m); "nlos" =
    #: all-NLOS, conservative. With a DEM or buildings, LOS is ray-marched.
    los: Literal["probability", "mixture", "nlos"] = "mixture"
    #: with terrain, cells the DSM leaves in the clear: "los" = the 38.901 LOS formula (the DSM
    #: holds every obstacle), "probability" = expected loss under the LOS probability (the DSM
    #: misses obstacles such as trees or unmapped buildings, e.g. a partial OSM layer),
    #: "mixture" = the same case with the exact mixture quantile (see ``los``),
    #: "auto" = "los" when building footprints cover at least 15 % of the grid, else
    #: "probability" (a bare-earth DEM or a partial building layer). Cells the DSM blocks
    #: always use NLOS.
    terrain_clear: Literal["auto", "los", "probability", "mixture"] = "auto"
    #: UE noise figure (dB): the SINR's noise per resource element is −174 + 10 log10(SCS/Hz) + NF dBm
    noise_figure_db: Annotated[float, Field(ge=0, le=30)] = 7.0
    #: η, the share of the interferers' resource elements that carry power in the SINR (0–1).
    #: 1 (default) is the SS-SINR of TS 38.215 §5.1.5: the SSB bursts of synchronised TDD cells
    #: collide on the same resource elements; a value below 1 (e.g. 0.5 = half-loaded PDSCH)
    #: gives a PDSCH SINR at that load, not the SS-SINR
    load_factor: Annotated[float, Field(ge=0, le=1)] = 1.0
    #: overlap (pilot pollution): servers within this many dB of the best server count
    overlap_window_db: Annotated[float, Field(ge=0, le=30)] = 6.0
    #: SS-SINR (dB) a cell needs to count as usable in the report's SINR statistics
    sinr_min_db: Annotated[float, Field(ge=-20, le=40)] = -3.0
    macro: SiteClassRadio = SiteClassRadio(tx_power_w=200.0, antenna_gain_dbi=17.0, model="uma")
    micro: SiteClassRadio = SiteClassRadio(tx_power_w=20.0, antenna_gain_dbi=10.0, model="umi")
    #: "sectors" (default): each class uses its ``macro_antenna`` / ``micro_antenna`` (best-sector
    #: TR 38.901 pattern gain per cell, the link-budget radius as the outer bound; macros 3 sectors,
    #: poles omni); "omni": every site radiates its peak gain in every direction, OPTIMISTIC for
    #: macros (a 17 dBi panel gain all round; three 65° sectors average −3.4 dB, −10.2 dB at the edges)
    antenna: Literal["omni", "sectors"] = "sectors"
    #: calibration file written by ``planner calibrate`` (relative to the scenario file): its per-class
    #: offset is added to the path loss and its σ replaces σ_SF in the shadowing margin
    calibration: Path | None = None
    #: uplink budget (planner.radio.uplink): coverage uses min(downlink, uplink) allowed path loss per
    #: site class; default off so plans stay unchanged
    uplink: bool = False
    #: UE transmit power (dBm): 23 = power class 3, 26 = HPUE power class 2 (TS 38.101-1 Table 6.2.1-1)
    ue_power_dbm: Annotated[float, Field(ge=0, le=33)] = 23.0
    #: gNB receiver noise figure (dB) and uplink interference-over-thermal margin (dB)
    gnb_noise_figure_db: Annotated[float, Field(ge=0, le=20)] = 3.5
    ul_iot_margin_db: Annotated[float, Field(ge=0, le=20)] = 2.0
    #: uplink edge rate (Mbit/s) the edge UE must reach on ``ul_rb`` resource blocks in the TDD
    #: frame's uplink share ``ul_slot_share`` (0.2 = DDDSU); sets the required UL SINR
    ul_edge_rate_mbps: Annotated[float, Field(gt=0, le=1000)] = 1.0
    ul_rb: Annotated[int, Field(ge=1, le=275)] = 24
    ul_slot_share: Annotated[float, Field(gt=0, le=1)] = 0.2
    macro_antenna: SectorAntenna = DEFAULT_ANTENNAS["macro"]
    micro_antenna: SectorAntenna = DEFAULT_ANTENNAS["micro"]

    @field_validator("macro", "micro", mode="before")
    @classmethod
    def _merge_site_class(cls, value: Any, info: ValidationInfo) -> Any:
        """A partial table keeps the class's other defaults (``--set radio.macro.tx_power_w=40`` alone)."""
        default = cls.model_fields[str(info.field_name)].default
        if isinstance(value, dict) and isinstance(default, SiteClassRadio):
            return {**default.model_dump(), **value}
        return value

    #: the design link budget (threshold, edge probability, penetration, uplink, LOS mode) this section was
    #: validated with; copies made with ``model_copy(update=...)`` keep it (see :meth:`design_radio`)
    _design: tuple[float, float, float, bool, str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _remember_design(self) -> RadioConfig:
        self._design = (self.threshold_dbm, self.edge_probability, self.penetration_loss_db, self.uplink, self.los)
        return self

    def design_radio(self) -> RadioConfig:
        """The section with the link-budget settings it was validated with.

        Derived builds change the threshold (the SINR's received-power floor, the plan's
        below-threshold RSRP), the edge probability (median powers) or the penetration (one pass
        per class); the antennas' ``tilt_deg = "auto"`` must not follow them, so it is computed
        from this design budget (band, powers and models stay the copy's own).
        """
        if self._design is None:
            return self
        thr, edge, pen, uplink, los = self._design
        if (thr, edge, pen, uplink, los) == (self.threshold_dbm, self.edge_probability, self.penetration_loss_db,
                                              self.uplink, self.los):
            return self
        return self.model_copy(update={"threshold_dbm": thr, "edge_probability": edge, "penetration_loss_db": pen,
                                       "uplink": uplink, "los": los})

    @field_validator("penetration_by_class", mode="before")
    @classmethod
    def _merge_penetration(cls, value: Any) -> Any:
        """A partial table keeps the other classes' defaults (``rail_station = 0`` alone keeps parks at 0 dB)."""
        if isinstance(value, dict):
            return {**DEFAULT_PENETRATION_BY_CLASS, **value}
        return value

    def penetration_of(self, priority_class: str) -> float:
        """Penetration loss (dB) of the cells of ``priority_class`` (``penetration_loss_db`` unless listed)."""
        return float(self.penetration_by_class.get(priority_class, self.penetration_loss_db))  # type: ignore[call-overload]

    @field_validator("macro_antenna", "micro_antenna", mode="before")
    @classmethod
    def _merge_antenna(cls, value: Any, info: ValidationInfo) -> Any:
        """A partial table keeps the class's other defaults (``tilt_deg = 4`` alone stays 3 sectors)."""
        if isinstance(value, dict):
            base = DEFAULT_ANTENNAS["macro" if info.field_name == "macro_antenna" else "micro"].model_dump()
            return {**base, **value}
        return value

