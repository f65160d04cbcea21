"""Map building blocks shared by :mod:`planner.report.map` and :mod:`planner.report.rollout_map`.

The display transform type and the identity transform, the compact circle-marker layer, the
geometry transform for display, and the display string of a value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from folium.template import Template
from numpy.typing import NDArray

from planner.report._once import RenderedOnce
from planner.report._script import script_json

#: lon/lat (WGS 84) → display lon/lat (identity, or GCJ-02 for the Gaode basemap)
Display = Callable[[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]]


def identity(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return lon, lat


class Points(RenderedOnce):
    """Many circle markers from one compact JSON array.

    Each row is ``[lat, lon, radius, stroke colour or null, value_1, ..., value_n]``; the
    popup is a two-column table of ``labels`` and values, built lazily with ``textContent``
    (user strings are never parsed as HTML).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows_json }};
            var labels = {{ this.labels_json }};
            var style = {{ this.style_json }};
            var popup = function (r) {
                var t = document.createElement("table");
                t.className = "planner-popup";
                for (var k = 0; k < labels.length; k++) {
                    var v = r[4 + k];
                    if (v === "" || v === null) { continue; }
                    var tr = t.insertRow();
                    var th = document.createElement("th");
                    th.textContent = labels[k];
                    tr.appendChild(th);
                    var td = tr.insertCell();
                    td.textContent = String(v);
                    td.setAttribute("translate", "no");  // a data value, as in the tables
                }
                return t;
            };
            var bind = function (m, r) { m.bindPopup(function () { return popup(r); }, {maxWidth: 380}); };
            var parent = {{ this._parent.get_name() }};
            var markers = [];
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var opts = Object.assign({}, style, {radius: r[2]}, r[3] ? {color: r[3]} : {});
                var m = L.circleMarker([r[0], r[1]], opts);
                bind(m, r);
                markers.push(m);
            }
            if (parent.addLayers) { parent.addLayers(markers); }  // marker clusters: one bulk insert
            else { markers.forEach(function (m) { parent.addLayer(m); }); }
        })();
        {% endmacro %}
    """)

    def __init__(self, rows: list[list[Any]], labels: list[str], style: dict[str, Any]) -> None:
        super().__init__()
        self._name = "Points"
        self.rows_json = script_json(rows)
        self.labels_json = script_json(labels)
        self.style_json = script_json(style)


def transform_geoms(gdf: gpd.GeoDataFrame, display: Display) -> gpd.GeoSeries:
    geo = gdf.geometry.to_crs("EPSG:4326") if gdf.crs is not None else gdf.geometry
    if display is identity:
        return geo

    def fn(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = display(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return gpd.GeoSeries(shapely.transform(geo.to_numpy(), fn), crs="EPSG:4326")


def display_string(value: object) -> str:
    """A display string; missing values become empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)
