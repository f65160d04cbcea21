"""A compact canvas point layer for the report map: hundreds of thousands of candidates.

One Leaflet layer per candidate type draws every point as a small square on one
``<canvas>`` (redrawn on pan and zoom), instead of one SVG marker and one JSON row per
candidate. The coordinates travel as base64 little-endian int32 offsets in 1e-6° from the
layer's south-west corner (8 bytes a point; ≈ 0.1 m), heights and owners as indexes into
small tables, ids as one JSON list. A click within a few pixels of a point opens a popup
with its id, type, height and owner (and its name when the map carries names, see
:data:`NAME_LIMIT`); the candidates layer of ``plan.gpkg`` keeps every attribute.

A city (200,000 candidates) costs about 3 MB of HTML this way, against about 20 MB as
clustered markers, and the page opens in a second: the points are decoded once and drawn
without creating a Leaflet object per point.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from folium.map import Layer
from folium.template import Template
from numpy.typing import NDArray

from planner.report._once import RenderedOnce
from planner.report._script import script_json

#: names go into the popups only while the map carries at most this many candidates
#: (the demo's 34,673 keep theirs; a city's 200,000 would add ~5 MB of names)
NAME_LIMIT = 50_000
#: coordinate quantum (degrees): 1e-6° ≈ 0.1 m
QUANTUM_DEG = 1e-6

_JS_CLASS = """
if (!L.PlannerPoints) {
    L.PlannerPoints = L.Layer.extend({
        initialize: function (data, options) {
            this._data = data;
            L.setOptions(this, options);
        },
        _decode: function () {
            var d = this._data, crs = L.CRS.EPSG3857;
            var bin = atob(d.xy), n = bin.length / 8, bytes = new Uint8Array(bin.length);
            for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
            var view = new DataView(bytes.buffer);
            var idx = function (b64) {  // one byte per point up to 256 distinct values, else two (little-endian)
                if (!b64) { return null; }
                var s = atob(b64), wide = s.length === 2 * n, out = new Uint16Array(n);
                for (var k = 0; k < n; k++) {
                    out[k] = wide ? s.charCodeAt(2 * k) | (s.charCodeAt(2 * k + 1) << 8) : s.charCodeAt(k);
                }
                return out;
            };
            this._lat = new Float64Array(n); this._lon = new Float64Array(n);
            this._px = new Float64Array(n); this._py = new Float64Array(n);
            for (i = 0; i < n; i++) {
                var lon = d.x0 + view.getInt32(8 * i, true) * d.q, lat = d.y0 + view.getInt32(8 * i + 4, true) * d.q;
                var p = crs.latLngToPoint(L.latLng(lat, lon), 0);
                this._lon[i] = lon; this._lat[i] = lat; this._px[i] = p.x; this._py[i] = p.y;
            }
            this._hi = idx(d.hi); this._oi = idx(d.oi);
            this._n = n;
        },
        onAdd: function (map) {
            if (!this._px) { this._decode(); }
            this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide " + (this.options.className || ""));
            this._canvas.style.pointerEvents = "none";
            this.getPane().appendChild(this._canvas);
            map.on("moveend zoomend resize viewreset", this._draw, this);
            map.on("preclick", this._click, this);
            this._draw();
        },
        onRemove: function (map) {
            map.off("moveend zoomend resize viewreset", this._draw, this);
            map.off("preclick", this._click, this);
            L.DomUtil.remove(this._canvas);
            this._canvas = null;
        },
        _frame: function () {
            var map = this._map, origin = map.getPixelOrigin(), tl = map.containerPointToLayerPoint([0, 0]);
            return {k: Math.pow(2, map.getZoom()), ox: origin.x + tl.x, oy: origin.y + tl.y, tl: tl,
                    size: map.getSize()};
        },
        _draw: function () {
            if (!this._map || !this._canvas) { return; }
            var f = this._frame(), c = this._canvas, z = this._map.getZoom();
            L.DomUtil.setPosition(c, f.tl);
            c.width = f.size.x; c.height = f.size.y;
            var ctx = c.getContext("2d"), r = z >= 17 ? 3 : (z >= 15 ? 2 : 1), w = f.size.x, h = f.size.y;
            ctx.fillStyle = this.options.color;
            for (var i = 0; i < this._n; i++) {
                var x = this._px[i] * f.k - f.ox, y = this._py[i] * f.k - f.oy;
                if (x >= -r && y >= -r && x <= w + r && y <= h + r) { ctx.fillRect(x - r, y - r, 2 * r, 2 * r); }
            }
        },
        _click: function (e) {
            // "preclick": a layer with a popup stops the "click" before it reaches the map. A click on a
            // marker (a selected site, the measure tool's cursor) is that marker's; one on a polygon
            // (priority area, gap) opens the nearest candidate's popup instead, if there is one
            if (!this._map || (e.sourceTarget && e.sourceTarget !== this._map && e.sourceTarget.getLatLng)) { return; }
            var f = this._frame(), best = -1, bd = 36, cx = e.containerPoint.x, cy = e.containerPoint.y;
            for (var i = 0; i < this._n; i++) {
                var dx = this._px[i] * f.k - f.ox - cx, dy = this._py[i] * f.k - f.oy - cy, dd = dx * dx + dy * dy;
                if (dd < bd) { bd = dd; best = i; }
            }
            if (best < 0) { return; }
            var d = this._data, t = document.createElement("table");
            t.className = "planner-popup";
            var pick = function (table, index) {
                return index ? table[index[best]] : (table.length === 1 ? table[0] : "");
            };
            var vals = [d.ids[best], d.names ? d.names[best] : "", d.type, pick(d.hv, this._hi), pick(d.ov, this._oi)];
            for (var k = 0; k < d.labels.length; k++) {
                if (vals[k] === "" || vals[k] === null || vals[k] === undefined) { continue; }
                var tr = t.insertRow(), th = document.createElement("th");
                th.textContent = d.labels[k];
                tr.appendChild(th);
                var td = tr.insertCell();
                td.textContent = String(vals[k]);
                td.setAttribute("translate", "no");  // a data value (id, name, owner), as in the tables
            }
            if (d.note) {
                var cap = t.createCaption();
                cap.textContent = d.note; cap.style.captionSide = "bottom"; cap.style.fontSize = "11px";
            }
            var map = this._map;
            var popup = L.popup({maxWidth: 380}).setLatLng([this._lat[best], this._lon[best]]).setContent(t);
            setTimeout(function () { popup.openOn(map); }, 0);  // after the polygon's own popup, which it replaces
        }
    });
}
"""


def _index(values: list[str]) -> tuple[list[str], str | None]:
    """Distinct values (first-seen order) and the base64 index of each point into them.

    The index is one byte per point up to 256 distinct values, two (little-endian) up to
    65,536, and None when every point has the same value (or there are too many values to
    be worth a table: they stay in ``plan.gpkg``).
    """
    table: dict[str, int] = {}
    idx = np.fromiter((table.setdefault(v, len(table)) for v in values), dtype=np.int64, count=len(values))
    if len(table) > 65536:
        return [], None
    if len(table) <= 1:
        return list(table), None
    dtype = "u1" if len(table) <= 256 else "<u2"
    return list(table), base64.b64encode(idx.astype(dtype).tobytes()).decode("ascii")


def encode_points(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> dict[str, Any]:
    """``x0``, ``y0`` (degrees), ``q`` and ``xy`` (base64 int32 pairs) of a point set."""
    ix = np.rint(np.asarray(lon, dtype=np.float64) / QUANTUM_DEG).astype(np.int64)
    iy = np.rint(np.asarray(lat, dtype=np.float64) / QUANTUM_DEG).astype(np.int64)
    x0 = int(ix.min()) if ix.size else 0
    y0 = int(iy.min()) if iy.size else 0
    xy = np.empty(2 * ix.size, dtype="<i4")
    xy[0::2] = ix - x0
    xy[1::2] = iy - y0
    return {
        "x0": round(x0 * QUANTUM_DEG, 6),
        "y0": round(y0 * QUANTUM_DEG, 6),
        "q": QUANTUM_DEG,
        "xy": base64.b64encode(xy.tobytes()).decode("ascii"),
    }


class CanvasPoints(Layer, RenderedOnce):
    """A folium overlay drawing many points on one canvas (see the module docstring).

    Parameters
    ----------
    name : str
        Layer name shown in the layer control.
    lon, lat : arrays
        Display coordinates (degrees).
    ids : list of str
        Point ids (popup).
    type_label : str
        The points' type, shown in every popup.
    heights, owners, names : list of str, optional
        Per-point popup values; ``names`` None leaves names out.
    labels : list of str
        Popup labels for id, name, type, height and owner.
    color : str
        CSS colour of the points.
    class_name : str
        CSS class of the canvas element.
    note : str
        Caption under each popup (e.g. where the full attributes are).
    show : bool
        Whether the layer is on when the page opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        """
        + _JS_CLASS
        + """
        var {{ this.get_name() }} = new L.PlannerPoints({{ this.data_json }}, {{ this.options_json }});
        {% endmacro %}
    """
    )

    def __init__(
        self,
        name: str,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        ids: list[str],
        type_label: str,
        *,
        heights: list[str] | None = None,
        owners: list[str] | None = None,
        names: list[str] | None = None,
        labels: list[str],
        color: str,
        class_name: str,
        note: str = "",
        show: bool = False,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PlannerPoints"
        hv, hi = _index(heights or [])
        ov, oi = _index(owners or [])
        data = {
            **encode_points(lon, lat),
            "ids": ids,
            "names": names,
            "type": type_label,
            "hv": hv,
            "hi": hi,
            "ov": ov,
            "oi": oi,
            "labels": labels,
            "note": note,
        }
        self.data_json = script_json(data)
        self.options_json = script_json({"color": color, "className": class_name})
