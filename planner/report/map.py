"""The report's interactive folium map.

Layers: planning boundary; priority areas styled by class (popup: coverage against target);
candidates by type, each a compact canvas point layer (:mod:`planner.report._canvas`: a
city's 200,000 candidates in ~4 MB); selected sites by 建设方式 (fill) and type (outline),
one SVG marker each; the best-server RSRP raster reprojected to Web Mercator and inlined as
a PNG ``data:`` URI, with a legend; uncovered gaps (one multipolygon, 1e-6° coordinates).
Controls: layers, scale bar, fullscreen, measure.

Every user string (ids, names, owners, area names) is HTML-escaped before it reaches a
popup, and popups are bound with JSON-encoded strings (never folium's ``Popup``/``Tooltip``,
which paste text into JavaScript template literals).

Basemaps: ``none`` (default, offline), ``osm``, ``tianditu`` (key from the environment
variable ``TIANDITU_KEY``) and ``gaode``. Gaode tiles are GCJ-02, so with ``gaode`` every
overlay is shifted to GCJ-02 for display only (:mod:`planner.geo.gcj02`).
"""

from __future__ import annotations

import html
import os
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template
from numpy.typing import NDArray

from planner.errors import Problem, ScenarioError
from planner.geo.gcj02 import wgs84_to_gcj02
from planner.plan import Plan
from planner.present.format import fmt_percent
from planner.present.i18n import (
    BUILD_MODES,
    CLASS_LABELS,
    MODE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    label,
    texts,
)
from planner.present.names import display_names, rename_lists
from planner.present.tables import uncovered_polygons
from planner.report._basemap import (
    Attribution,
    NorthArrow,
    Panes,
    VectorBasemap,
    attributions,
    load_basemap,
)
from planner.report._layers import Display
from planner.report._layers import Points as _Points
from planner.report._layers import display_string as _s
from planner.report._layers import identity as _identity
from planner.report._layers import transform_geoms as _transform_geoms
from planner.report._once import GeoJsonOnce, ImageOverlayOnce
from planner.report._overlay import RSRP_CMAP, RSRP_SPAN_DB, rsrp_png
from planner.report._page import area_reason
from planner.report._script import leaflet_label, script_json
from planner.report.assets import inline_assets
from planner.report.rollout_map import add_rollout_layers

#: fill colour of selected sites per 建设方式
MODE_COLOURS = {"保留": "#6b7280", "共享": "#2563eb", "利旧": "#16a34a", "新建": "#dc2626"}
#: ASCII slug per 建设方式 (CSS classes)
MODE_SLUGS = {"保留": "keep", "共享": "share", "利旧": "reuse", "新建": "new"}
TYPE_COLOURS = {
    "tower": "#1e3a8a",
    "street_lamp": "#d97706",
    "surveillance_pole": "#7c3aed",
    "traffic_pole": "#0891b2",
    "smart_pole": "#db2777",
    "rooftop": "#374151",
    "new_site": "#991b1b",
}
CLASS_COLOURS = {
    "airport": "#b91c1c",
    "rail_station": "#b91c1c",
    "transport_hub": "#ea580c",
    "public_place": "#d97706",
    "industrial_park": "#7c3aed",
    "park": "#15803d",
    "central_urban": "#2563eb",
    "highway": "#525252",
    "other": "#6b7280",
}

TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
GAODE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=7&x={x}&y={y}&z={z}"


class OfflineMap(folium.Map):
    """A folium map that carries the vendored Leaflet assets when shown in a notebook or saved.

    ``Plan.explore()`` returns one, so that the map also displays on an offline machine.
    :func:`build_map` sets ``attributions`` (the data sources it credits) and ``basemap_note``
    (a warning when ``inputs.basemap`` could not be drawn), which the report prints too.
    """

    attributions: tuple[str, ...] = ()
    basemap_note: str = ""

    def page(self) -> str:
        """The standalone HTML page of the map, with every asset inlined."""
        return inline_assets(self.get_root().render())

    def _repr_html_(self, **kwargs: Any) -> str:
        return (
            '<div style="width:100%;"><div style="position:relative;width:100%;height:0;padding-bottom:60%;">'
            f'<iframe srcdoc="{html.escape(self.page())}" style="position:absolute;width:100%;height:100%;left:0;top:0;'
            'border:none !important;" allowfullscreen></iframe></div></div>'
        )

    def save(self, outfile: Any, close_file: bool = True, **kwargs: Any) -> None:
        """Write the standalone, offline HTML page of the map to ``outfile`` (path or binary file)."""
        data = self.page().encode("utf-8")
        if isinstance(outfile, str | os.PathLike):
            with open(outfile, "wb") as fh:
                fh.write(data)
        else:
            outfile.write(data)
            if close_file:
                outfile.close()


def _to_gcj(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return wgs84_to_gcj02(lon, lat)


class _BindPopup(MacroElement):
    """Bind a popup whose HTML (already escaped) is passed as a JSON string."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html_json }}, {maxWidth: 380});
        {% endmacro %}
    """)

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "BindPopup"
        self.html_json = script_json(html_text)  # braces escaped: folium renders the script again (_script)


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres only (folium's ``control_scale`` adds miles too)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, maxWidth: 150}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


class _Legend(MacroElement):
    """A static HTML legend as a Leaflet control (bottom left, above the scale bar)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomleft"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "planner-legend");
                div.innerHTML = {{ this.html_json }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html_json = script_json(html_text)


def _popup_table(rows: list[tuple[str, object]]) -> str:
    """A small two-column HTML table; every label and value is escaped."""
    body = "".join(
        f'<tr><th>{html.escape(str(k))}</th><td translate="no">{html.escape(str(v))}</td></tr>' for k, v in rows
    )  # values are data (names, figures), as in the tables
    return f'<table class="planner-popup">{body}</table>'


def _col(df: Any, name: str) -> list[object]:
    return df[name].tolist() if name in df.columns else [""] * len(df)


def _feature(geom: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(geom)}


def _basemap(m: folium.Map, plan: Plan, lang: str) -> Display:
    """Add the configured basemap; return the display transform for overlays."""
    cfg = plan.scenario.report
    review = leaflet_label(f" · 审图号 {cfg.basemap_review_no}") if cfg.basemap_review_no else ""  # attribution: HTML
    if cfg.basemap == "none":
        return _identity
    if cfg.basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr="© OpenStreetMap contributors" + review).add_to(m)
        return _identity
    if cfg.basemap == "tianditu":
        key = os.environ.get("TIANDITU_KEY", "").strip()
        if not key:
            raise ScenarioError(
                Problem(
                    'report.basemap = "tianditu" needs a Tianditu (天地图) key',
                    "environment",
                    "TIANDITU_KEY",
                    'export TIANDITU_KEY=<your key> before running, or set report.basemap = "none"',
                )
            )
        attr = "天地图 © 国家基础地理信息中心" + review
        folium.TileLayer(
            TIANDITU_URL.replace("{layer}", "vec").replace("{key}", key),
            attr=attr,
            name="天地图 矢量",
            subdomains="01234567",
            max_zoom=18,
        ).add_to(m)
        folium.TileLayer(
            TIANDITU_URL.replace("{layer}", "cva").replace("{key}", key),
            attr=attr,
            name="天地图 注记",
            subdomains="01234567",
            max_zoom=18,
            overlay=True,
            control=False,
        ).add_to(m)
        return _identity
    folium.TileLayer(
        GAODE_URL, attr="© 高德地图 AutoNavi (GCJ-02)" + review, name="高德 Gaode", subdomains="1234", max_zoom=19
    ).add_to(m)
    return _to_gcj


def legend_html(plan: Plan, lang: str) -> str:
    """The map legend's HTML (escaped): RSRP scale, 建设方式 fills, type outlines, gaps."""
    t = texts(lang)
    thr = plan.threshold_dbm
    cmap = matplotlib.colormaps[RSRP_CMAP]
    stops = ", ".join(matplotlib.colors.to_hex(cmap(v)) for v in np.linspace(0, 1, 7))
    modes = "".join(
        f'<div><span class="sw" style="background:{MODE_COLOURS[m]}"></span>'
        f"{html.escape(label(MODE_LABELS, lang, m))}</div>"
        for m in BUILD_MODES
    )
    present = sorted(set(plan.sites["type"].astype(str))) if len(plan.sites) else []
    types = "".join(
        f'<div><span class="sw ring" style="border-color:{TYPE_COLOURS.get(k, "#111827")}"></span>'
        f"{html.escape(label(TYPE_LABELS, lang, k))}</div>"
        for k in present
    )
    return (
        f'<div class="lg-title">{html.escape(t["legend_rsrp"])}</div>'
        f'<div class="lg-bar" style="background:linear-gradient(to right, {stops})"></div>'
        f'<div class="lg-ticks"><span>{thr:.0f}</span><span>{thr + RSRP_SPAN_DB / 2:.0f}</span>'
        f"<span>≥{thr + RSRP_SPAN_DB:.0f}</span></div>"
        f'<div class="lg-title">{html.escape(t["build_mode"])}</div>{modes}'
        f'<div class="lg-title">{html.escape(t["type"])}</div>{types}'
        f'<div><span class="sw gap"></span>{html.escape(t["layer_uncovered"])}</div>'
    )


def _add_boundary(m: folium.Map, plan: Plan, t: dict[str, str], display: Display) -> None:
    """The planning boundary (dashed outline)."""
    fg = folium.FeatureGroup(name=t["layer_boundary"], show=True)
    for geom in _transform_geoms(plan.boundary, display):
        folium.GeoJson(
            _feature(geom),
            style_function=lambda _f: {
                "color": "#111827",
                "weight": 2.5,
                "fill": False,
                "dashArray": "6 4",
                "className": "planner-boundary",
            },
        ).add_to(fg)
    fg.add_to(m)


def _add_areas(m: folium.Map, plan: Plan, t: dict[str, str], lang: str, display: Display) -> None:
    """Priority areas styled by class; popup: coverage against target (largest drawn first)."""
    fg = folium.FeatureGroup(name=t["layer_areas"], show=True)
    areas = plan.areas.reset_index(drop=True)
    geoms = _transform_geoms(areas, display)
    order = (
        np.argsort(-areas.geometry.to_crs(plan.grid.crs).area.to_numpy(), kind="stable")
        if len(areas)
        else np.zeros(0, np.int64)
    )
    class_labels = [
        label(CLASS_LABELS, lang, c) for c in (areas["class"] if "class" in areas else ["other"] * len(areas))
    ]
    names = display_names(areas["name"] if "name" in areas else pd.Series([""] * len(areas)), class_labels, lang)
    status = label(STATUS_LABELS, lang, plan.solution.get("status"))
    records = areas.drop(columns="geometry").to_dict("records")
    for i in order:
        row = areas.iloc[int(i)]
        cls = str(row.get("class", "other"))
        colour = CLASS_COLOURS.get(cls, "#6b7280")
        is_rest = str(row.get("id", "")) == "REST"
        style = {
            "color": colour,
            "weight": 1.5,
            "fillColor": colour,
            "fillOpacity": 0.0 if is_rest else 0.15,
            "className": "planner-area",
        }
        layer = folium.GeoJson(_feature(geoms.iloc[int(i)]), style_function=lambda _f, s=style: s)
        reason = area_reason(records[int(i)], lang, status)
        rows: list[tuple[str, object]] = [
            (t["area_name"], names[int(i)]),
            (t["area_class"], label(CLASS_LABELS, lang, cls)),
            (t["coverage"], fmt_percent(float(row.get("coverage", np.nan)))),
            (t["target"], fmt_percent(float(row.get("target", np.nan)))),
            (t["met"], t["yes"] if bool(row.get("met", False)) else t["no"]),
        ]
        if reason:
            rows.append((t["reason"], reason))
        layer.add_child(_BindPopup(_popup_table(rows)))
        layer.add_to(fg)
    fg.add_to(m)


def _add_rsrp(m: folium.Map, plan: Plan, t: dict[str, str], display: Display) -> None:
    """The best-server RSRP raster as an inlined PNG overlay."""
    png = rsrp_png(plan)
    if png is not None:
        uri, (w, s, e, n) = png
        lon, lat = display(np.array([w, e]), np.array([s, n]))
        ImageOverlayOnce(  # a few MB of PNG data URI: no second Jinja pass (planner.report._once)
            uri,
            bounds=[[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]],
            name=t["layer_rsrp"],
            opacity=0.8,
            interactive=False,
            className="planner-rsrp",
            show=True,
            pane="plannerRaster",
        ).add_to(m)


def _add_gaps(m: folium.Map, plan: Plan, t: dict[str, str], display: Display) -> None:
    """Polygons of the uncovered demand cells."""
    gaps = uncovered_polygons(plan)
    fg = folium.FeatureGroup(name=t["layer_uncovered"], show=True)
    if len(gaps):
        simple = gaps.to_crs(plan.grid.crs).simplify(plan.grid.res / 4).to_crs("EPSG:4490")
        gaps_disp = _transform_geoms(gpd.GeoDataFrame(geometry=simple, crs="EPSG:4490"), display)
        # one multipolygon (one SVG path), coordinates to 1e-6° (≈ 0.1 m): a city's thousands of gaps
        # stay a few MB instead of one feature each with 16-digit coordinates
        merged = shapely.transform(
            shapely.multipolygons(shapely.get_parts(gaps_disp.to_numpy())), lambda c: np.round(c, 6)
        )
        collection = {"type": "FeatureCollection", "features": [_feature(merged)]}
        GeoJsonOnce(
            collection,
            style_function=lambda _f: {
                "color": "#7f1d1d",
                "weight": 0.5,
                "fillColor": "#ef4444",
                "fillOpacity": 0.45,
                "className": "planner-gap",
            },
        ).add_to(fg)
    fg.add_to(m)


def _add_candidates(m: folium.Map, plan: Plan, t: dict[str, str], lang: str, display: Display) -> None:
    """Candidates, one canvas point layer per type (hidden at first; see :mod:`planner.report._canvas`)."""
    from planner.report._canvas import NAME_LIMIT, CanvasPoints

    cands = plan.candidates.reset_index(drop=True)
    cgeo = _transform_geoms(cands, display)
    lon_all, lat_all = cgeo.x.to_numpy(np.float64), cgeo.y.to_numpy(np.float64)
    types = cands["type"].astype(str).to_numpy()
    with_names = len(cands) <= NAME_LIMIT
    note = "" if with_names else t["candidates_popup_note"]
    labels_c = [t["candidate_id"], t["site_name"], t["type"], t["height"], t["owner"]]
    for typ in sorted(set(types.tolist())):
        sel = np.flatnonzero(types == typ)
        sub = cands.iloc[sel]
        name = leaflet_label(f"{t['layer_candidates']} · {label(TYPE_LABELS, lang, typ)} ({sel.size})")
        CanvasPoints(
            name,
            lon_all[sel],
            lat_all[sel],
            [str(v) for v in sub["id"]],
            label(TYPE_LABELS, lang, typ),
            heights=[f"{float(h):g}" for h in sub["height_m"]],
            owners=[_s(v) for v in _col(sub, "owner")],
            names=[_s(v) for v in _col(sub, "name")] if with_names else None,
            labels=labels_c,
            color=TYPE_COLOURS.get(typ, "#374151"),
            class_name="planner-candidate",
            note=note,
        ).add_to(m)


def _add_sites(m: folium.Map, plan: Plan, t: dict[str, str], lang: str, display: Display) -> None:
    """Selected sites, one layer per 建设方式 (fill) with the type as outline colour."""
    sites = plan.sites.reset_index(drop=True)
    sgeo = _transform_geoms(sites, display)
    records = sites.drop(columns="geometry").to_dict("records")
    if "areas" in sites.columns and "name" in plan.areas.columns:  # unnamed areas under their display names
        raw = plan.areas["name"].fillna("").astype(str)
        shown = display_names(
            raw, [label(CLASS_LABELS, lang, c) for c in plan.areas.get("class", ["other"] * len(raw))], lang
        )
        for rec, text in zip(records, rename_lists(sites["areas"], dict(zip(raw, shown, strict=True))), strict=True):
            rec["areas"] = text
    dlon, dlat = sgeo.x.to_numpy(), sgeo.y.to_numpy()
    true_geo = sites.geometry.to_crs("EPSG:4490") if sites.crs is not None else sites.geometry
    lon_true, lat_true = true_geo.x.to_numpy(), true_geo.y.to_numpy()
    modes = [md for md in BUILD_MODES if (sites["build_mode"] == md).any()] + sorted(
        set(sites["build_mode"].astype(str)) - set(BUILD_MODES)
    )
    for md in modes:
        sel = np.flatnonzero((sites["build_mode"].astype(str) == md).to_numpy())
        layer_name = f"{t['layer_selected']} · {label(MODE_LABELS, lang, md)} ({sel.size})"
        fg = folium.FeatureGroup(name=leaflet_label(layer_name), show=True)
        labels_s = [
            t["site_code"],
            t["site_name"],
            t["candidate_id"],
            t["type"],
            t["site_class"],
            t["height"],
            t["build_mode"],
            t["owner"],
            t["cost"],
            t["lon"],
            t["lat"],
            t["covered_areas"],
        ]
        rows_s = []
        for j in sel:
            s_row = records[int(j)]
            radius = 8 if s_row["site_class"] == "macro" else 5
            rows_s.append(
                [
                    round(float(dlat[j]), 6),
                    round(float(dlon[j]), 6),
                    radius,
                    TYPE_COLOURS.get(str(s_row["type"]), "#111827"),
                    _s(s_row.get("site_code", "")),
                    _s(s_row.get("name", "")),
                    _s(s_row["id"]),
                    label(TYPE_LABELS, lang, s_row["type"]),
                    t.get(str(s_row["site_class"]), str(s_row["site_class"])),
                    f"{float(s_row['height_m']):g}",
                    label(MODE_LABELS, lang, md),
                    _s(s_row.get("owner", "")),
                    f"{float(s_row['cost']):g}",
                    f"{lon_true[j]:.6f}",
                    f"{lat_true[j]:.6f}",
                    _s(s_row.get("areas", "")),
                ]
            )
        # two CSS classes per marker so that the browser test can count them by 建设方式
        fg.add_child(
            _Points(
                rows_s,
                labels_s,
                {
                    "color": "#111827",
                    "weight": 2,
                    "fillColor": MODE_COLOURS.get(md, "#0f766e"),
                    "fillOpacity": 0.95,
                    "className": f"planner-site planner-site-{MODE_SLUGS.get(md, 'other')}",
                },
            )
        )
        fg.add_to(m)


def build_map(plan: Plan, *, height: str = "640px") -> OfflineMap:
    """The interactive map of a plan.

    Parameters
    ----------
    plan : Plan
        The plan to draw.
    height : str
        CSS height of the map element.

    Returns
    -------
    OfflineMap
        A ``folium.Map`` whose notebook display and ``save()`` inline the vendored Leaflet
        assets, so it works offline (:func:`planner.report.write_report` embeds it likewise).

    Raises
    ------
    ScenarioError
        ``report.basemap = "tianditu"`` without the ``TIANDITU_KEY`` environment variable.
    """
    lang = plan.scenario.report.language
    t = texts(lang)
    bounds = plan.boundary.to_crs("EPSG:4326").total_bounds
    m = OfflineMap(
        location=[float((bounds[1] + bounds[3]) / 2), float((bounds[0] + bounds[2]) / 2)],
        zoom_start=14,
        tiles=None,
        control_scale=False,
        height=height,
        prefer_canvas=False,
    )
    _MetricScale().add_to(m)
    Panes().add_to(m)
    m.options["maxZoom"] = 19  # without a tile layer Leaflet has no max zoom, and marker clusters need one
    # only Leaflet itself; jQuery, Bootstrap and awesome-markers are not used
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    display = _basemap(m, plan, lang)
    basemap, note = load_basemap(plan)
    if basemap is not None:
        fg = folium.FeatureGroup(name=t["layer_basemap"], show=True)
        VectorBasemap(
            gpd.GeoDataFrame(
                {"kind": basemap["kind"]}, geometry=_transform_geoms(basemap, display).to_numpy(), crs="EPSG:4326"
            )
        ).add_to(fg)
        fg.add_to(m)
    m.attributions = tuple(attributions(plan, basemap))  # also printed under the map
    m.basemap_note = note

    _add_boundary(m, plan, t, display)
    _add_areas(m, plan, t, lang, display)
    _add_rsrp(m, plan, t, display)
    _add_gaps(m, plan, t, display)
    _add_candidates(m, plan, t, lang, display)
    _add_sites(m, plan, t, lang, display)
    add_rollout_layers(m, plan, lang, display)  # a layer per 建设期 / tenancy count ([[phases]] / [operators] only)
    _Legend(legend_html(plan, lang)).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="hectares",
        localization="en" if lang == "en" else "cn",
    ).add_to(m)
    NorthArrow(t["north"]).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    Attribution(list(m.attributions)).add_to(m)
    if len(bounds) == 4 and np.all(np.isfinite(bounds)):
        w, s, e, n = (float(v) for v in bounds)
        lon, lat = display(np.array([w, e]), np.array([s, n]))
        m.fit_bounds([[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]])
    return m
