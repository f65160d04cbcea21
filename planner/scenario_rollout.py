"""Scenario sections of phased roll-out (``[[phases]]``) and multi-operator sharing (``[operators.*]``).

Kept apart from :mod:`planner.scenario` (which imports these models) so that the file stays
small. :func:`check_rollout` runs the checks that need more than one section (targets named
by class, phases in order, cumulative targets never decreasing) after the scenario is
validated; every message names the key and the fix.

Per-type tenancy defaults (共建共享): a pole hosts at most ``max_tenants`` operators' equipment,
``candidates.types.<type>.max_tenants`` (defaults: lamp, surveillance and traffic pole 1, smart pole 2, tower,
rooftop and new site 3) or a candidate column ``max_tenants``; each
tenant after the first pays ``share_cost`` (万元, default :data:`DEFAULT_SHARE_COST_FRACTION` × the
type's cost: a 共享 rent/fit-out, not a second pole).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from planner.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from planner.scenario import Scenario

#: a further tenant's cost as a share of the type's site cost when ``share_cost`` is not given
DEFAULT_SHARE_COST_FRACTION = 0.3


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PhaseConfig(_Model):
    """One phase (建设期) of a roll-out; targets are cumulative (reached by the end of the phase).

    ``budget`` (万元) and ``max_sites`` cap the sites *new* in this phase (0 = no cap);
    ``targets`` maps a priority class or an area id to the coverage share (0–1) reached by the
    end of the phase. A class named in an earlier phase keeps its target in later phases.
    """

    name: Annotated[str, Field(min_length=1, max_length=40)]
    budget: Annotated[float, Field(ge=0)] = 0.0
    max_sites: Annotated[int, Field(ge=0)] = 0
    targets: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)


class OperatorConfig(_Model):
    """One operator (运营商) sharing the poles: its band, radio settings and targets.

    ``threshold_dbm`` and ``penetration_loss_db`` default to the scenario's ``[radio]``;
    ``targets`` (class or area id → share) default to the class targets of ``[demand.classes]``.
    """

    name: Annotated[str, Field(min_length=1, max_length=60)]
    band: Literal["n78", "n41", "n79", "n28"]
    threshold_dbm: float | None = None
    penetration_loss_db: Annotated[float, Field(ge=0)] | None = None
    targets: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)


def _target_key_problems(
    targets: Mapping[str, float], key: str, source: str, classes: tuple[str, ...]
) -> list[Problem]:
    out = []
    for name in targets:
        if name not in classes and not name.strip():
            out.append(Problem("empty target name", source, f"[{key}]", "name a priority class or an area id"))
    return out


def check_rollout(sc: Scenario, source: str, priority_classes: tuple[str, ...]) -> None:
    """Cross-section checks of ``[[phases]]`` and ``[operators.*]``; raises ScenarioError listing all.

    ``priority_classes`` are the scenario's class names (:data:`planner.scenario.priority_classes`,
    passed in so that this module does not import the scenario module that imports it).

    * phase names are unique and given in order (a phase named by a year comes after the
      years before it);
    * a class or area target never decreases from one phase to the next;
    * a target key that looks like a class name (lower-case letters and ``_``) must be one of
      the priority classes (area ids are checked once the priority areas are read);
    * ``objective.kind`` must be ``min_cost`` with phases or operators;
    * phases and operators are not combined in one scenario (yet).
    """
    problems: list[Problem] = []
    phases = sc.phases
    names = [p.name for p in phases]
    for i, p in enumerate(phases):
        if names.count(p.name) > 1 and names.index(p.name) != i:
            problems.append(
                Problem(
                    f"phase name {p.name!r} is used twice",
                    source,
                    f"[phases.{i}.name]",
                    "give every phase its own name, e.g. 2020, 2021, 2022",
                )
            )
        if i and p.name.isdigit() and names[i - 1].isdigit() and int(p.name) <= int(names[i - 1]):
            problems.append(
                Problem(
                    f"phase {p.name!r} comes after phase {names[i - 1]!r}: phases are out of order",
                    source,
                    f"[phases.{i}.name]",
                    "list the [[phases]] in time order, earliest first",
                )
            )
    for i, p in enumerate(phases):
        for cls in p.targets:
            if _looks_like_class(cls) and cls not in priority_classes:
                problems.append(
                    Problem(
                        f"target for an unknown class {cls!r}",
                        source,
                        f"[phases.{i}.targets.{cls}]",
                        f"use a priority class ({', '.join(priority_classes)}) or an area id",
                    )
                )
        problems += _target_key_problems(p.targets, f"phases.{i}.targets", source, priority_classes)
    seen: dict[str, tuple[int, float]] = {}
    for i, p in enumerate(phases):
        for cls, t in p.targets.items():
            if cls in seen and t + 1e-12 < seen[cls][1]:
                j, before = seen[cls]
                problems.append(
                    Problem(
                        f"target {cls} decreases from {before:g} (phase {names[j]!r}) to {t:g} (phase {p.name!r})",
                        source,
                        f"[phases.{i}.targets.{cls}]",
                        f"targets are cumulative: give at least {before:g}, or leave the key out to keep it",
                    )
                )
            seen[cls] = (i, max(t, seen.get(cls, (i, 0.0))[1]))
    for key, op in sc.operators.items():
        for cls in op.targets:
            if _looks_like_class(cls) and cls not in priority_classes:
                problems.append(
                    Problem(
                        f"target for an unknown class {cls!r}",
                        source,
                        f"[operators.{key}.targets.{cls}]",
                        f"use a priority class ({', '.join(priority_classes)}) or an area id",
                    )
                )
    if (phases or sc.operators) and sc.objective.kind != "min_cost":
        problems.append(
            Problem(
                f"objective.kind = {sc.objective.kind!r} with [[phases]] or [operators]",
                source,
                "[objective.kind]",
                'use objective.kind = "min_cost" (phases and operators plan least cost)',
            )
        )
    if phases and sc.operators:
        problems.append(
            Problem(
                "[[phases]] and [operators] in one scenario are not supported yet",
                source,
                "[operators]",
                "plan the phases for one band, or the operators in one phase",
            )
        )
    if len(sc.operators) == 1:
        problems.append(
            Problem(
                "only one operator: there is nothing to share",
                source,
                "[operators]",
                "list two or more operators, or remove [operators] and set radio.band",
            )
        )
    if problems:
        raise ScenarioError(problems)


def _looks_like_class(name: str) -> bool:
    """Lower-case ASCII letters and underscores only (``rail_station``): meant as a class, not an area id."""
    return bool(name) and all(c.islower() or c == "_" for c in name) and name.isascii()


def tenancy_of_type(sc: Scenario, ctype: str) -> tuple[int, float]:
    """``(max_tenants, share_cost)`` of a candidate type (share cost in 万元)."""
    t = sc.candidates.types.get(ctype)  # type: ignore[call-overload]
    cap = t.max_tenants if t is not None else 1
    if t is not None and t.share_cost is not None:
        share = float(t.share_cost)
    else:
        share = DEFAULT_SHARE_COST_FRACTION * (float(t.cost) if t is not None else 0.0)
    return int(cap), share


#: fixes for out-of-range values of the keys of this module, by the key's last part
_FIXES: dict[str, str] = {
    "budget": "give the phase's budget for new sites in 万元, >= 0 (0 = no cap), e.g. budget = 6000",
    "max_sites": "give a whole number of new sites >= 0 (0 = no cap), e.g. max_sites = 200",
    "band": 'use one of "n78", "n41", "n79", "n28", e.g. band = "n41"',
    "max_tenants": "give the number of operators the pole can host, a whole number from 1 to 10 "
    "(lamp 1, smart pole 2, tower 3)",
    "share_cost": "give the 万元 each tenant after the first pays, >= 0, e.g. share_cost = 1.8",
    "discount_rate": "give a yearly rate from 0 to 1, e.g. discount_rate = 0.05 (0 = no discounting)",
    "name": 'give a short name, e.g. name = "2020"',
}


def rollout_fix(key: str) -> str:
    """The fix for a bad value of a phase, operator or tenancy key (``""`` for other keys)."""
    parts = key.split(".")
    if (
        parts[0] == "phases"
        or parts[0] == "operators"
        or key.endswith((".max_tenants", ".share_cost"))
        or key == "objective.discount_rate"
    ):
        if (len(parts) >= 2 and parts[-2] == "targets") or parts[-1] == "targets":
            return "give a coverage share from 0 to 1 per class or area id, e.g. rail_station = 0.98"
        return _FIXES.get(parts[-1], "")
    return ""
