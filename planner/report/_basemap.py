"""Map furniture of the report: an offline vector basemap, the north arrow and the data attributions.

Basemap (``inputs.basemap``): a vector file of roads (lines), water and buildings (polygons),
e.g. the OSM road file the candidates were generated on. It is display only: clipped to the
boundary's box (plus :data:`MARGIN_M`), simplified to :data:`SIMPLIFY_M` in the grid CRS,
coordinates rounded to 1e-5° (~1 m), merged into one multi-geometry per class and drawn as
thin grey lines in a map pane under the plan's layers (the RSRP raster sits below it, so
the streets stay readable through the coverage colours).

Attributions come from the inputs: a ``source``/``provenance`` column or a basemap whose
values or column names mention OpenStreetMap/OSM give "© OpenStreetMap contributors"; the
scenario key ``report.attribution`` adds any other. Leaflet's own prefix (link and flag) is
removed.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template
from numpy.typing import NDArray

from planner.plan import Plan
from planner.report._script import script_json

log = logging.getLogger(__name__)

#: margin around the boundary's box kept from the basemap file (m)
MARGIN_M = 300.0
#: simplification tolerance of the basemap geometries (m)
SIMPLIFY_M = 2.0
#: OSM highway classes drawn as major roads (wider line)
MAJOR_ROADS = frozenset({"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link", "primary_link"})
#: drawing style per basemap class (Leaflet path options)
STYLES: dict[str, dict[str, Any]] = {
    "water": {"stroke": False, "fill": True, "fillColor": "#bfdbfe", "fillOpacity": 0.9},
    "building": {"color": "#cbd5e1", "weight": 0.5, "fill": True, "fillColor": "#e5e7eb", "fillOpacity": 0.9},
    "road_minor": {"color": "#9ca3af", "weight": 0.8, "fill": False, "opacity": 0.9},
    "road_major": {"color": "#6b7280", "weight": 1.6, "fill": False, "opacity": 0.9},
}
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
_OSM_RE = re.compile(r"\bOSM\b|openstreetmap", re.IGNORECASE)
_SOURCE_COLUMNS = ("source", "provenance", "data_source", "attribution", "来源", "数据来源")


def _mentions_osm(df: pd.DataFrame | None) -> bool:
    if df is None or not len(df):
        return False
    if any(str(c).lower().startswith("osm") for c in df.columns):
        return True
    for col in _SOURCE_COLUMNS:
        if col in df.columns:
            values = df[col].dropna().astype(str).unique()
            if any(_OSM_RE.search(v) for v in values):
                return True
    return False


def attributions(plan: Plan, basemap: gpd.GeoDataFrame | None) -> list[str]:
    """The data attributions of a plan's inputs, in display order (plain text)."""
    out: list[str] = []
    cfg = plan.scenario.report
    from_basemap = basemap is not None and bool(basemap.attrs.get("osm"))
    if cfg.basemap == "osm" or from_basemap or _mentions_osm(plan.candidates) or _mentions_osm(plan.areas):
        out.append(OSM_ATTRIBUTION)
    if cfg.attribution.strip():
        out.append(cfg.attribution.strip())
    return out


def _classify(gdf: gpd.GeoDataFrame) -> NDArray[np.object_]:
    kinds = np.full(len(gdf), "", dtype=object)
    gtype = gdf.geometry.geom_type.to_numpy().astype(str)
    lines = np.isin(gtype, ["LineString", "MultiLineString"])
    polys = np.isin(gtype, ["Polygon", "MultiPolygon"])
    highway = gdf["highway"].astype(str).to_numpy() if "highway" in gdf.columns else np.full(len(gdf), "")
    kinds[lines] = np.where(np.isin(highway[lines], list(MAJOR_ROADS)), "road_major", "road_minor")
    water = np.zeros(len(gdf), dtype=bool)
    for col in ("natural", "water", "waterway", "landuse", "kind", "class", "type"):
        if col in gdf.columns:
            water |= (
                gdf[col]
                .astype(str)
                .str.lower()
                .isin(["water", "river", "lake", "reservoir", "水系", "水体"])
                .to_numpy()
            )
    kinds[polys] = np.where(water[polys], "water", "building")
    return kinds


def load_basemap(plan: Plan) -> tuple[gpd.GeoDataFrame | None, str]:
    """The basemap features of ``inputs.basemap`` near the boundary, in EPSG:4326.

    Returns
    -------
    (GeoDataFrame or None, str)
        Columns ``kind`` (``road_major``, ``road_minor``, ``water``, ``building``) and
        ``geometry`` (one merged multi-geometry per kind); and a warning ("" if none). A
        missing or unreadable file is a warning, not an error: the basemap is display only.
    """
    path = plan.scenario.inputs.basemap
    if path is None:
        return None, ""
    path = Path(path)
    try:
        raw = gpd.read_file(path)
    except (OSError, RuntimeError, ValueError) as exc:  # pyogrio's errors are RuntimeErrors: drawn without it
        msg = f"inputs.basemap {path}: cannot be read ({type(exc).__name__}); the map is drawn without it"
        log.warning(msg)
        return None, msg
    raw = raw.set_crs("EPSG:4490") if raw.crs is None else raw
    metric = plan.grid.crs
    xmin, ymin, xmax, ymax = (float(v) for v in plan.boundary.to_crs(metric).total_bounds)
    data = raw.to_crs(metric)
    geoms = shapely.clip_by_rect(
        data.geometry.to_numpy(), xmin - MARGIN_M, ymin - MARGIN_M, xmax + MARGIN_M, ymax + MARGIN_M
    )
    keep = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
    data = data.loc[keep].copy()
    data["geometry"] = shapely.simplify(geoms[keep], SIMPLIFY_M)
    data = data[~data.geometry.is_empty]
    kinds = _classify(data)
    rows, out_geoms = [], []
    for kind in STYLES:
        parts = shapely.get_parts(
            shapely.get_parts(data.geometry.to_numpy()[kinds == kind])
        )  # collections from the clip, too
        is_line = kind.startswith("road")
        parts = parts[shapely.get_type_id(parts) == (1 if is_line else 3)]
        if parts.size:
            rows.append(kind)
            out_geoms.append(shapely.multilinestrings(parts) if is_line else shapely.multipolygons(parts))
    if not rows:
        return None, ""
    merged = gpd.GeoDataFrame({"kind": rows}, geometry=out_geoms, crs=metric).to_crs("EPSG:4326")
    merged["geometry"] = shapely.transform(merged.geometry.to_numpy(), lambda c: np.round(c, 5))
    merged.attrs["osm"] = _mentions_osm(raw)
    return merged, ""


class Panes(MacroElement):
    """Map panes: the RSRP raster (z 230) under the vector basemap (z 260), both under the plan (400)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (m) {
            m.createPane("plannerRaster").style.zIndex = 230;
            var b = m.createPane("plannerBasemap"); b.style.zIndex = 260; b.style.pointerEvents = "none";
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "Panes"


class VectorBasemap(MacroElement):
    """The basemap features as non-interactive GeoJSON in the ``plannerBasemap`` pane."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (fg) {
            var styles = {{ this.styles_json }};
            L.geoJSON({{ this.data_json }}, {pane: "plannerBasemap", interactive: false,
                style: function (f) {
                    return Object.assign({className: "planner-basemap planner-basemap-" + f.properties.kind},
                                         styles[f.properties.kind]);
                }}).addTo(fg);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, basemap: gpd.GeoDataFrame) -> None:
        super().__init__()
        self._name = "VectorBasemap"
        features = [
            {"type": "Feature", "properties": {"kind": str(k)}, "geometry": shapely.geometry.mapping(g)}
            for k, g in zip(basemap["kind"], basemap.geometry, strict=True)
        ]
        self.data_json = script_json({"type": "FeatureCollection", "features": features})
        self.styles_json = script_json(STYLES)


class NorthArrow(MacroElement):
    """A north arrow (``div.north-arrow``, an inline SVG) in the top-right corner.

    Web Mercator maps are north-up, so the arrow always points to the top of the map.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (m) {
            var c = L.control({position: "topright"});
            c.onAdd = function () {
                var div = L.DomUtil.create("div", "north-arrow leaflet-control");
                div.title = {{ this.title_json }};
                div.innerHTML = '<svg viewBox="0 0 40 56" width="30" height="42" aria-hidden="true">' +
                    '<text x="20" y="13" text-anchor="middle" font-size="13" font-weight="700" ' +
                    'fill="#111827">N</text>' +
                    '<polygon points="20,16 31,52 20,44 9,52" fill="#fff" stroke="#111827" stroke-width="1.5"/>' +
                    '<polygon points="20,16 20,44 9,52" fill="#111827"/></svg>';
                return div;
            };
            c.addTo(m);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, title: str) -> None:
        super().__init__()
        self._name = "NorthArrow"
        self.title_json = script_json(title)


class Attribution(MacroElement):
    """The data attributions in Leaflet's attribution control, without Leaflet's prefix and flag."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (m) {
            var a = m.attributionControl || L.control.attribution().addTo(m);
            a.setPrefix(false);
            a.getContainer().setAttribute("translate", "no");  // licence texts, quoted as their owners write them
            {{ this.items_json }}.forEach(function (t) { a.addAttribution(t); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, items: list[str]) -> None:
        super().__init__()
        self._name = "Attribution"
        # addAttribution takes HTML: the texts are escaped here
        self.items_json = script_json([html.escape(t) for t in items])
