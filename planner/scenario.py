"""Scenario files: TOML -> frozen, validated :class:`Scenario`.

Unknown keys are errors (``extra="forbid"``); every message names the key and the fix.
Paths in ``[inputs]`` resolve relative to the scenario file. ``extends = "base.toml"``
inherits from another scenario; ``overrides`` (``--set key=value``) apply last.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from planner._paths import absolute
from planner.errors import ScenarioError
from planner.scenario_radio import DEFAULT_ANTENNAS as DEFAULT_ANTENNAS
from planner.scenario_radio import RadioConfig as RadioConfig
from planner.scenario_radio import ScenarioModel
from planner.scenario_radio import SectorAntenna as SectorAntenna
from planner.scenario_radio import SiteClassRadio as SiteClassRadio
from planner.scenario_rollout import OperatorConfig, PhaseConfig, check_rollout
from planner.scenario_toml import MAX_SEED as MAX_SEED
from planner.scenario_toml import SOLVER_FIXES, apply_overrides, format_validation, load_raw
from planner.scenario_toml import parse_override as parse_override

PriorityClass = Literal[
    "airport",
    "rail_station",
    "transport_hub",
    "public_place",
    "park",
    "industrial_park",
    "central_urban",
    "highway",
    "other",
]
PRIORITY_CLASSES: tuple[str, ...] = PriorityClass.__args__  # type: ignore[attr-defined]

CandidateType = Literal[
    "tower",
    "street_lamp",
    "surveillance_pole",
    "traffic_pole",
    "smart_pole",
    "rooftop",
    "new_site",
]
CANDIDATE_TYPES: tuple[str, ...] = CandidateType.__args__  # type: ignore[attr-defined]

#: Chinese aliases accepted in the ``type`` column of candidate files.
TYPE_ALIASES: dict[str, str] = {
    "铁塔": "tower",
    "通信铁塔": "tower",
    "路灯杆": "street_lamp",
    "路灯": "street_lamp",
    "监控杆": "surveillance_pole",
    "交通杆": "traffic_pole",
    "智慧杆": "smart_pole",
    "多功能杆": "smart_pole",
    "楼顶": "rooftop",
    "楼面": "rooftop",
    "新建": "new_site",
    # other ledgers' words (NEWCITY session); English keys as compared: lower case, spaces/hyphens as "_"
    "通信塔": "tower",
    "基站铁塔": "tower",
    "mast": "tower",
    "telecom_tower": "tower",
    "communication_tower": "tower",
    "路灯灯杆": "street_lamp",
    "street_light": "street_lamp",
    "streetlight": "street_lamp",
    "lamp_post": "street_lamp",
    "lamp": "street_lamp",
    "监控": "surveillance_pole",
    "摄像头杆": "surveillance_pole",
    "cctv_pole": "surveillance_pole",
    "camera_pole": "surveillance_pole",
    "信号灯杆": "traffic_pole",
    "红绿灯杆": "traffic_pole",
    "traffic_light": "traffic_pole",
    "traffic_signal": "traffic_pole",
    "智慧灯杆": "smart_pole",
    "综合杆": "smart_pole",
    "屋顶": "rooftop",
    "roof": "rooftop",
    "新建站": "new_site",
    "greenfield": "new_site",
}

BuildMode = Literal["保留", "共享", "利旧", "新建"]


#: strict, frozen base of the scenario sections (see :class:`planner.scenario_radio.ScenarioModel`)
_Model = ScenarioModel


def _no_control_chars(value: Any) -> Any:
    """Refuse text holding characters XML forbids (ESC, BEL, NUL ...): no xlsx or KML could hold it."""
    from planner._text import XML_ILLEGAL

    if isinstance(value, str) and XML_ILLEGAL.search(value):
        raise ValueError(
            "contains control characters (e.g. ESC, BEL, NUL) that no report or spreadsheet can hold; remove them"
        )
    return value



class ScenarioMeta(_Model):
    """The ``[scenario]`` section: name, description and the seed."""

    name: str = "unnamed scenario"
    description: str = ""
    #: seed for every random choice, 0 … 2^63 − 1 (refused outside: numba seeds are signed 64-bit)
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 7

    _text = field_validator("name", "description", mode="before")(_no_control_chars)


Datum = Literal["cgcs2000", "wgs84", "gcj02"]
DATUMS: tuple[str, ...] = Datum.__args__  # type: ignore[attr-defined]
#: the inputs whose datum ``inputs.coordinates`` may set one by one (the vector layers read by the inputs stage)
DATUM_INPUTS: tuple[str, ...] = ("boundary", "candidates", "priority_areas", "exclusions", "buildings")


class Inputs(_Model):
    """Input files; relative paths resolve against the scenario file's folder."""

    boundary: Path
    candidates: Path
    priority_areas: Path | None = None
    exclusions: Path | None = None
    dem: Path | None = None
    buildings: Path | None = None
    #: roads / water / buildings drawn under the plan in the report map (offline vector basemap; display only)
    basemap: Path | None = None
    #: datum of the input coordinates: "cgcs2000" (= WGS 84 for this purpose) or "gcj02", for every
    #: input, or a table per input, e.g. ``{ boundary = "gcj02", candidates = "cgcs2000" }`` (inputs
    #: not named: "cgcs2000"); see :meth:`datum`
    coordinates: Datum | dict[str, Datum] = "cgcs2000"

    @field_validator("coordinates", mode="before")
    @classmethod
    def _datums(cls, value: Any) -> Any:
        """Refuse an unknown datum or input name with the allowed ones (the key is named by the caller)."""
        allowed = ", ".join(f'"{d}"' for d in DATUMS)
        if isinstance(value, str):
            if value.strip().lower() not in DATUMS:
                raise ValueError(f"unknown datum {value!r}: use {allowed}, or a table per input")
            return value.strip().lower()
        if isinstance(value, dict):
            out = {}
            for key, datum in value.items():
                if key not in DATUM_INPUTS:
                    raise ValueError(f"unknown input {key!r} in the table (inputs: {', '.join(DATUM_INPUTS)})")
                if not isinstance(datum, str) or datum.strip().lower() not in DATUMS:
                    raise ValueError(f"unknown datum {datum!r} for {key}: use {allowed}")
                out[key] = datum.strip().lower()
            return out
        raise ValueError(f"must be a datum name ({allowed}) or a table per input")

    def datum(self, name: str) -> str:
        """The datum of input ``name`` (``"boundary"``, ``"candidates"``, ...): "cgcs2000", "wgs84" or "gcj02"."""
        if isinstance(self.coordinates, str):
            return self.coordinates
        return self.coordinates.get(name, "cgcs2000")


class GridConfig(_Model):
    """The ``[grid]`` section: cell size (m), metric CRS and the cell limit.

    (:class:`planner.coverage.grid.Grid` is the grid laid out from it.)
    """

    resolution_m: Annotated[float, Field(gt=0, le=1000)] = 20.0
    crs: str = "auto"

    @field_validator("crs", mode="before")
    @classmethod
    def _epsg_number(cls, value: Any) -> Any:
        """``crs = 4547`` (a bare EPSG number) means "EPSG:4547"."""
        return f"EPSG:{value}" if isinstance(value, int) and not isinstance(value, bool) else value

    #: refuse grids larger than this many cells before allocating anything
    max_cells: Annotated[int, Field(gt=0)] = 20_000_000


class ClassDefaults(_Model):
    """Per priority-class defaults: demand weight per km², coverage target, k."""

    weight: Annotated[float, Field(ge=0)] = 1.0
    target: Annotated[float, Field(ge=0, le=1)] = 0.9
    k: Annotated[int, Field(ge=1, le=10)] = 1
    #: higher wins where areas overlap
    rank: int = 0


DEFAULT_CLASSES: dict[str, ClassDefaults] = {
    "airport": ClassDefaults(weight=10, target=0.98, k=2, rank=90),
    "rail_station": ClassDefaults(weight=10, target=0.98, k=2, rank=80),
    "transport_hub": ClassDefaults(weight=6, target=0.95, k=1, rank=70),
    "public_place": ClassDefaults(weight=5, target=0.95, k=1, rank=60),
    "industrial_park": ClassDefaults(weight=4, target=0.95, k=1, rank=50),
    "park": ClassDefaults(weight=3, target=0.90, k=1, rank=40),
    "highway": ClassDefaults(weight=2, target=0.90, k=1, rank=30),
    "other": ClassDefaults(weight=1, target=0.85, k=1, rank=20),
    "central_urban": ClassDefaults(weight=1, target=0.90, k=1, rank=10),
}


class TypeDefaults(_Model):
    """Per candidate-type defaults. Costs in 万元 (10,000 CNY), heights in m."""

    height_m: Annotated[float, Field(gt=0, le=150)]
    #: 万元; 0.01 (100 yuan) … 10^6 万元, as in the candidate files (only sites already on air cost 0)
    cost: Annotated[float, Field(ge=0.01, le=1e6)]
    site_class: Literal["macro", "micro"]
    build_mode: BuildMode
    owner: str = ""
    #: operators a pole of this type can host (共建共享 tenancies; a candidate column max_tenants overrides it)
    max_tenants: Annotated[int, Field(ge=1, le=10)] = 1
    #: 万元 each tenant after the first pays (None = 0.3 × cost)
    share_cost: Annotated[float, Field(ge=0, le=1e6)] | None = None


DEFAULT_TYPES: dict[str, TypeDefaults] = {
    "tower": TypeDefaults(height_m=30, cost=6, site_class="macro", build_mode="共享", owner="中国铁塔", max_tenants=3),
    "street_lamp": TypeDefaults(
        height_m=10, cost=8, site_class="micro", build_mode="利旧", owner="路灯管理部门", max_tenants=1
    ),
    "surveillance_pole": TypeDefaults(
        height_m=7, cost=8, site_class="micro", build_mode="利旧", owner="公安", max_tenants=1
    ),
    "traffic_pole": TypeDefaults(
        height_m=7, cost=8, site_class="micro", build_mode="利旧", owner="交管", max_tenants=1
    ),
    "rooftop": TypeDefaults(height_m=25, cost=12, site_class="macro", build_mode="利旧", owner="业主", max_tenants=3),
    "smart_pole": TypeDefaults(
        height_m=12, cost=18, site_class="micro", build_mode="新建", owner="中国铁塔", max_tenants=2
    ),
    "new_site": TypeDefaults(
        height_m=30, cost=45, site_class="macro", build_mode="新建", owner="中国铁塔", max_tenants=3
    ),
}


class Demand(_Model):
    """The ``[demand]`` section: per-class targets, weights and k, and how lines are buffered."""

    #: lines in the priority-area file are buffered by this width (m)
    line_width_m: Annotated[float, Field(gt=0)] = 30.0
    #: SS-SINR as a requirement: an area counts a cell only when it is covered and its SINR reaches
    #: radio.sinr_min_db; a repair loop after the solve (planner.stages.sinr_repair) adds conflicts
    #: between sites that pollute each other and re-solves, or reports per area why not
    require_sinr: Annotated[bool, Field(strict=True)] = False
    #: re-solves the repair loop may run (each on a share of the solver's work budget)
    sinr_repair_iterations: Annotated[int, Field(ge=1, le=20, strict=True)] = 4
    classes: dict[PriorityClass, ClassDefaults] = Field(
        default_factory=lambda: cast("dict[PriorityClass, ClassDefaults]", dict(DEFAULT_CLASSES))
    )

    @field_validator("classes", mode="before")
    @classmethod
    def _merge_classes(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {k: v.model_dump() for k, v in DEFAULT_CLASSES.items()}
        for key, override in value.items():
            if key in merged and isinstance(override, dict):
                merged[key] = {**merged[key], **override}
            else:
                merged[key] = override
        return merged


class Candidates(_Model):
    """The ``[candidates]`` section: per-type defaults, merging, separations and caps."""

    types: dict[CandidateType, TypeDefaults] = Field(
        default_factory=lambda: cast("dict[CandidateType, TypeDefaults]", dict(DEFAULT_TYPES))
    )
    #: minimum separation between selected sites of the same class (m); 0 = none
    min_separation_m: dict[Literal["macro", "micro"], Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    #: per-type cap on the number of selected sites; absent = no cap
    max_per_type: dict[CandidateType, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    #: candidates closer than this (m) are one physical pole group (合杆): at most one selected
    merge_within_m: Annotated[float, Field(ge=0)] = 0.0

    @field_validator("types", mode="before")
    @classmethod
    def _merge_types(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {k: v.model_dump() for k, v in DEFAULT_TYPES.items()}
        for key, override in value.items():
            if key in merged and isinstance(override, dict):
                merged[key] = {**merged[key], **override}
            else:
                merged[key] = override
        return merged


class Objective(_Model):
    """The ``[objective]`` section: what the solve optimises, budgets and caps."""

    kind: Literal["min_cost", "max_coverage", "lexicographic"] = "min_cost"
    #: cost budget for max_coverage (万元; 0 = none)
    budget: Annotated[float, Field(ge=0, le=1e9)] = 0.0
    #: cap on the sites the plan adds for max_coverage (0 = none); on-air sites (保留) are not counted
    max_sites: Annotated[int, Field(ge=0)] = 0
    #: a target no selection can meet: "cap" plans for the reachable share and says so in
    #: the report; "error" stops with exit code 3 after writing the diagnostics
    on_infeasible: Literal["cap", "error"] = "cap"
    #: with [[phases]]: cost of phase p weighted by 1 / (1 + discount_rate)^p (0 = no discounting)
    discount_rate: Annotated[float, Field(ge=0, le=1)] = 0.0


class Solver(_Model):
    """The ``[solver]`` section: time limit, work budget, workers, back-end and gap limit."""

    #: nominal limit of the solve (s): the work budget is time_limit_s × 300 units when
    #: work_limit is 0 (same plan on any machine and load); the wall clock stops a solve only
    #: at 3 × max(time_limit_s, work_limit / 300) + 5 s, a safety stop that marks the plan "time-limited"
    time_limit_s: float = 60.0
    #: work budget of the solve in work units (0 = time_limit_s × 300). A unit is 1e6 counted
    #: kernel operations, 0.08 / 300 s of CP-SAT deterministic time, or its share of SCIP nodes
    #: (planner.optimize._budget)
    work_limit: float = 0.0
    workers: int = 2
    backend: Literal["auto", "cpsat", "scip", "greedy"] = "auto"
    #: stop when the relative gap falls below this
    gap_limit: Annotated[float, Field(ge=0, lt=1)] = 0.0

    @field_validator("time_limit_s", "work_limit", mode="before")
    @classmethod
    def _finite_number(cls, value: Any, info: Any) -> Any:
        seconds = info.field_name == "time_limit_s"
        fix = SOLVER_FIXES[f"solver.{info.field_name}"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"not a number: {fix}")
        v = float(value)
        if not math.isfinite(v) or (v <= 0 if seconds else v < 0) or v > (1e6 if seconds else 1e12):
            raise ValueError(f"out of range: {fix}")
        return v

    @field_validator("workers", mode="before")
    @classmethod
    def _whole_workers(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
            raise ValueError(f"not a whole number from 1 to 64: {SOLVER_FIXES['solver.workers']}")
        return value


class Compute(_Model):
    """The ``[compute]`` section: where coverage is computed."""

    backend: Literal["local", "dask", "gpu"] = "local"
    scheduler: str = ""


class Report(_Model):
    """The ``[report]`` section: language, basemap, title and site numbering."""

    language: Literal["zh", "en"] = "zh"
    basemap: Literal["none", "osm", "tianditu", "gaode"] = "none"
    title: str = ""
    #: 审图号 of the basemap, shown in the footer when a basemap is used
    basemap_review_no: str = ""
    #: prefix of the 站址编号 (site codes), e.g. "WH-HS" gives WH-HS-M0001 / WH-HS-P0001
    site_prefix: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")] = "5G"
    #: 编制单位 (organisation that prepared the plan), in the report's header and footer
    organisation: Annotated[str, Field(max_length=200)] = ""
    #: 编制日期, ISO date "YYYY-MM-DD" (empty: shown as not filled in; never the clock, so reports stay reproducible)
    date: Annotated[str, Field(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = ""
    #: data attribution shown on the map for inputs that are not OpenStreetMap (e.g. "路灯台账 © 市路灯管理处")
    attribution: Annotated[str, Field(max_length=300)] = ""
    #: also write report.pdf (headless Chromium through Playwright; `planner report RUN --pdf` does it for a saved run)
    pdf: bool = False

    _text = field_validator("title", "basemap_review_no", "organisation", "attribution", mode="before")(
        _no_control_chars
    )


#: deprecated alias of :class:`GridConfig` (``planner.coverage.grid.Grid`` is the laid-out grid)
Grid = GridConfig


class Scenario(_Model):
    """A complete, validated scenario. Build with :func:`load_scenario`."""

    scenario: ScenarioMeta = ScenarioMeta()
    inputs: Inputs
    grid: GridConfig = GridConfig()
    radio: RadioConfig = RadioConfig()
    demand: Demand = Demand()
    candidates: Candidates = Candidates()
    objective: Objective = Objective()
    solver: Solver = Solver()
    compute: Compute = Compute()
    report: Report = Report()
    #: phased roll-out (建设期), cumulative targets; see planner.scenario_rollout
    phases: tuple[PhaseConfig, ...] = ()
    #: operators sharing the poles (共建共享); see planner.scenario_rollout
    operators: dict[str, OperatorConfig] = Field(default_factory=dict)
    #: folder the relative paths were resolved against (not a TOML key)
    base_dir: Path = Field(default=Path("."), exclude=True)
    #: the file it was loaded from, and the ``--set`` overrides applied (for the manifest)
    source: Path | None = Field(default=None, exclude=True)
    overrides: tuple[str, ...] = Field(default=(), exclude=True)

    @model_validator(mode="after")
    def _resolve_paths(self) -> Scenario:
        resolved = {}
        for name in Inputs.model_fields:
            value = getattr(self.inputs, name)
            if isinstance(value, Path) and not value.is_absolute():
                resolved[name] = absolute(self.base_dir / value)
        if resolved:
            object.__setattr__(self, "inputs", self.inputs.model_copy(update=resolved))
        cal = self.radio.calibration
        if cal is not None and not cal.is_absolute():
            object.__setattr__(
                self, "radio", self.radio.model_copy(update={"calibration": absolute(self.base_dir / cal)})
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the resolved scenario (for ``manifest.json``)."""
        return self.model_dump(mode="json")


# ----------------------------------------------------------------------------- loading


def scenario_from_dict(
    raw: dict[str, Any],
    base_dir: Path | str = ".",
    source: Path | None = None,
    overrides: tuple[str, ...] = (),
) -> Scenario:
    """Validate a scenario given as a dict (as parsed from TOML)."""
    raw = apply_overrides(raw, tuple(overrides))
    try:
        sc = Scenario.model_validate(
            {**raw, "base_dir": Path(base_dir), "source": source, "overrides": tuple(overrides)}
        )
    except ValidationError as exc:
        raise ScenarioError(format_validation(exc, str(source or "scenario"), tuple(overrides))) from None
    check_rollout(sc, str(source or "scenario"), PRIORITY_CLASSES)
    return sc


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load, merge (``extends``), override (``--set``) and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario TOML file.
    overrides : list of str
        ``section.key=value`` items; values are parsed as TOML literals when possible.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the key and the fix.
    """
    path = Path(path)
    raw = load_raw(path)
    return scenario_from_dict(raw, base_dir=absolute(path).parent, source=path, overrides=tuple(overrides))
