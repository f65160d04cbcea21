"""The report map's roll-out layers: one layer per 建设期 (sites coloured by phase) or per tenancy count.

Drawn only for ``[[phases]]`` / ``[operators]`` plans (the sites carry ``phase`` or ``tenants``,
see :mod:`planner.stages.rollout`); single plans get no extra layer. The layers start hidden so
that the 建设方式 layers stay the default view; the layer control switches them on.
"""

from __future__ import annotations

from typing import Any

import folium
import numpy as np

from planner.plan import Plan
from planner.report._layers import Points as _Points
from planner.report._layers import display_string as _s
from planner.report._layers import transform_geoms as _transform_geoms
from planner.report._script import leaflet_label

#: colour per phase index (early = dark): a sequential palette readable on the grey basemap
PHASE_COLOURS = ("#7f1d1d", "#c2410c", "#ca8a04", "#15803d", "#0e7490", "#1d4ed8", "#6d28d9", "#be185d")
#: colour per tenancy count (1, 2, 3+)
TENANT_COLOURS = ("#64748b", "#0f766e", "#7c3aed")
_LABELS = {
    "zh": {
        "phase": "建设期",
        "tenants": "挂载运营商",
        "operators": "运营商",
        "site": "站址编号",
        "name": "站址名称",
    },
    "en": {"phase": "Phase", "tenants": "Tenants", "operators": "Operators", "site": "Site code", "name": "Site name"},
}


def add_rollout_layers(m: folium.Map, plan: Plan, lang: str, display: Any) -> None:
    """Add a hidden layer per phase (``phase`` column) or per tenancy count (``tenants``) of the plan's sites."""
    sites = plan.sites.reset_index(drop=True)
    if len(sites) == 0 or not ({"phase", "tenants"} & set(sites.columns)):
        return
    lab = _LABELS["en" if lang == "en" else "zh"]
    geo = _transform_geoms(sites, display)
    lat, lon = geo.y.to_numpy(), geo.x.to_numpy()
    if "phase" in sites.columns:
        key = sites["phase"].astype(str).to_numpy()
        joint = (plan.solution.get("phases") or {}).get("joint") or {}
        groups = [str(e["name"]) for e in joint.get("phases", [])] or sorted(set(key) - {""})
        colours = {g: PHASE_COLOURS[i % len(PHASE_COLOURS)] for i, g in enumerate(groups)}
        title = lab["phase"]
    else:
        n = sites["tenants"].to_numpy(np.int64)
        key = np.array([str(min(int(v), 3)) for v in n])
        groups = [g for g in ("1", "2", "3") if (key == g).any()]
        colours = {g: TENANT_COLOURS[int(g) - 1] for g in groups}
        title = lab["tenants"]
    labels = [lab["site"], lab["name"], title] + ([lab["operators"]] if "operators" in sites.columns else [])
    for g in groups:
        sel = np.flatnonzero(key == g)
        if sel.size == 0:
            continue
        rows = []
        for j in sel:
            r = sites.iloc[int(j)]
            radius = 8 if str(r.get("site_class", "")) == "macro" else 5
            values = [
                _s(r.get("site_code", "")),
                _s(r.get("name", "")),
                g + ("+" if title == lab["tenants"] and g == "3" else ""),
            ]
            if "operators" in sites.columns:
                values.append(_s(r.get("operators", "")))
            rows.append([round(float(lat[j]), 6), round(float(lon[j]), 6), radius, "#111827", *values])
        fg = folium.FeatureGroup(name=leaflet_label(f"{title} {g} ({sel.size})"), show=False)  # g: a phase name
        fg.add_child(
            _Points(
                rows,
                labels,
                {
                    "color": "#111827",
                    "weight": 1,
                    "fillColor": colours[g],
                    "fillOpacity": 0.9,
                    "className": "planner-rollout-site",
                },
            )
        )
        fg.add_to(m)
