"""``sites.kmz``: the plan for Google Earth and 奥维互动地图, offline and in the report's language.

A KMZ is a zip holding ``doc.kml`` and the files it refers to: here one round PNG icon per
建设方式 (``files/<slug>.png``, drawn with Pillow), so nothing is fetched from the network
(no ``http(s)`` reference anywhere). Folders: the planning boundary, the priority areas
(coverage against target in the description) and the selected sites, one sub-folder per
建设方式. Site attributes are KML ``ExtendedData`` with the site-table headers; in Chinese
the values are Chinese too (宏站/微站, 路灯杆, 利旧…). Coordinates are the CGCS2000 values as
they are (KML is WGS 84; the two agree to well under a metre), never GCJ-02.

The element order inside every feature follows the KML 2.2 schema (``name``, ``description``,
``styleUrl``, ``ExtendedData``, geometry). The bytes are reproducible: fixed zip timestamps,
fixed member order, icons drawn deterministically.
"""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from planner._text import XML_ILLEGAL
from planner.plan import Plan
from planner.present.i18n import BUILD_MODES, CLASS_LABELS, MODE_LABELS, TYPE_LABELS, label, texts
from planner.present.names import display_names
from planner.present.tables import SITE_COLUMNS, area_records, site_records

#: icon colour per 建设方式 (RGB) and its ASCII slug (file and style names)
ICONS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "保留": ("keep", (107, 114, 128)),
    "共享": ("share", (37, 99, 235)),
    "利旧": ("reuse", (22, 163, 74)),
    "新建": ("new", (220, 38, 38)),
}
#: zip member timestamp (reproducible bytes)
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
ICON_PX = 32


def _text(value: object) -> str:
    """Escaped XML text without the control characters XML forbids."""
    return escape(XML_ILLEGAL.sub("", "" if value is None else str(value)))


def _balloon(value: object) -> str:
    """:func:`_text` of a ``description``: Google Earth and 奥维 render a description as HTML
    (entity-escaped markup included; Google Earth runs scripts in balloons), so the text is
    HTML-escaped first and a name such as ``<img onerror=…>`` shows as text.
    """
    return _text(html.escape(XML_ILLEGAL.sub("", "" if value is None else str(value)), quote=False))


def icon_png(rgb: tuple[int, int, int], size: int = ICON_PX) -> bytes:
    """A filled circle with a dark outline on a transparent background (PNG bytes)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))  # drawn 4x and reduced: smooth edge
    draw = ImageDraw.Draw(img)
    pad = size // 2
    draw.ellipse(
        (pad, pad, size * 4 - pad, size * 4 - pad), fill=(*rgb, 255), outline=(17, 24, 39, 255), width=size // 4
    )
    buf = io.BytesIO()
    img.resize((size, size), Image.Resampling.LANCZOS).save(buf, format="PNG")
    return buf.getvalue()


def _rings(geom: BaseGeometry) -> str:
    """KML Polygon / MultiGeometry of a (multi)polygon; empty string when nothing areal."""
    polys = list(getattr(geom, "geoms", [geom]))
    out = []
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        outer = " ".join(f"{x:.8f},{y:.8f},0" for x, y, *_ in poly.exterior.coords)
        inner = "".join(
            "<innerBoundaryIs><LinearRing><coordinates>"
            + " ".join(f"{x:.8f},{y:.8f},0" for x, y, *_ in r.coords)
            + "</coordinates></LinearRing></innerBoundaryIs>"
            for r in poly.interiors
        )
        out.append(
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{outer}</coordinates></LinearRing>"
            f"</outerBoundaryIs>{inner}</Polygon>"
        )
    if not out:
        return ""
    return out[0] if len(out) == 1 else "<MultiGeometry>" + "".join(out) + "</MultiGeometry>"


def kml_document(plan: Plan, *, icons: bool = True) -> str:
    """The ``doc.kml`` of :func:`write_sites_kmz` (icons referred to as ``files/<slug>.png``).

    With ``icons=False`` (the standalone ``sites.kml``) the styles name no icon file: viewers
    draw their default placemark, tinted with the 建设方式 colour.
    """
    lang = plan.scenario.report.language
    t = texts(lang)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<kml xmlns="http://www.opengis.net/kml/2.2">',
        "<Document>",
        f"<name>{_text(plan.scenario.report.title or plan.scenario.scenario.name)}</name>",
        f"<description>{_balloon(t['disclaimer'])}</description>",
    ]
    for slug, rgb in ICONS.values():
        icon = (
            f"<scale>0.8</scale><Icon><href>files/{slug}.png</href></Icon>"
            if icons
            else f"<color>ff{rgb[2]:02x}{rgb[1]:02x}{rgb[0]:02x}</color><scale>0.9</scale>"
        )  # KML colour: aabbggrr
        out.append(
            f'<Style id="site-{slug}"><IconStyle>{icon}</IconStyle><LabelStyle><scale>0.7</scale></LabelStyle></Style>'
        )
    out.append(
        '<Style id="boundary"><LineStyle><color>ff271811</color><width>2</width></LineStyle>'
        "<PolyStyle><fill>0</fill></PolyStyle></Style>"
    )
    out.append(
        '<Style id="area"><LineStyle><color>ff0055ff</color><width>1.5</width></LineStyle>'
        "<PolyStyle><color>260055ff</color></PolyStyle></Style>"
    )
    # boundary
    out.append(f"<Folder><name>{_text(t['layer_boundary'])}</name>")
    for geom in plan.boundary.to_crs("EPSG:4490").geometry:
        rings = _rings(geom)
        if rings:
            out.append(
                f"<Placemark><name>{_text(t['layer_boundary'])}</name><styleUrl>#boundary</styleUrl>{rings}</Placemark>"
            )
    out.append("</Folder>")
    # priority areas
    out.append(f"<Folder><name>{_text(t['layer_areas'])}</name>")
    areas = plan.areas.to_crs("EPSG:4490").reset_index(drop=True)
    recs = area_records(plan).to_dict("records")
    names = display_names(
        pd.Series([r["name"] for r in recs], dtype=object), [label(CLASS_LABELS, lang, r["class"]) for r in recs], lang
    )
    for i, geom in enumerate(areas.geometry):
        rings = _rings(geom)
        if not rings:
            continue
        r = recs[i]
        desc = (
            f"{t['area_class']}: {label(CLASS_LABELS, lang, r['class'])} · "
            f"{t['coverage']} {100 * float(r['coverage']):.1f}%"
            f" · {t['target']} {100 * float(r['target']):.1f}% · {t['met']}: {t['yes'] if r['met'] else t['no']}"
        )
        out.append(
            f"<Placemark><name>{_text(names[i])}</name><description>{_balloon(desc)}</description>"
            f"<styleUrl>#area</styleUrl>{rings}</Placemark>"
        )
    out.append("</Folder>")
    # selected sites, one sub-folder per 建设方式 (inside one folder per 建设期 for a phased plan)
    rec = site_records(plan)
    geo = plan.sites.geometry.to_crs("EPSG:4490")
    lons, lats = geo.x.to_numpy(np.float64), geo.y.to_numpy(np.float64)
    modes = rec["build_mode"].astype(str).to_numpy() if len(rec) else np.zeros(0, dtype=str)
    rows = rec.to_dict("records")
    out.append(f"<Folder><name>{_text(t['layer_selected'])}</name>")
    phases = rec["phase"].astype(str).to_numpy() if "phase" in rec.columns and len(rec) else None
    if phases is None or not any(phases.tolist()):
        out += _mode_folders(np.arange(len(rows)), rows, modes, lons, lats, lang)
    else:
        order = [p.name for p in plan.scenario.phases]
        present = set(phases.tolist())
        extra = sorted(present - set(order) - {""})
        for ph in [*(p for p in order if p in present), *extra, *([""] if "" in present else [])]:
            idx = np.flatnonzero(phases == ph)
            title = f"{t['phase']} {ph}" if ph else f"{t['phase']} —"
            out.append(f"<Folder><name>{_text(title)} ({idx.size})</name>")
            out += _mode_folders(idx, rows, modes, lons, lats, lang)
            out.append("</Folder>")
    out.append("</Folder></Document></kml>")
    return "\n".join(out) + "\n"


def _mode_folders(
    sel: NDArray[np.int64],
    rows: list[dict[str, Any]],
    modes: NDArray[np.str_],
    lons: NDArray[np.float64],
    lats: NDArray[np.float64],
    lang: str,
) -> list[str]:
    """One KML ``Folder`` per 建设方式 holding the placemarks of the sites ``sel`` (indices into ``rows``)."""
    t = texts(lang)
    zh = lang != "en"
    out: list[str] = []
    for mode in [*BUILD_MODES, *sorted(set(modes[sel].tolist()) - set(BUILD_MODES))]:
        idx = sel[modes[sel] == mode]
        if not idx.size:
            continue
        slug = ICONS.get(mode, ("new", (0, 0, 0)))[0]
        out.append(f"<Folder><name>{_text(label(MODE_LABELS, lang, mode))} ({idx.size})</name>")
        for j in idx.tolist():
            r = rows[j]
            fields = []
            for col, key in SITE_COLUMNS:
                if col == "seq":
                    continue
                v = r[col]
                if col == "type":
                    v = label(TYPE_LABELS, lang, v)
                elif col == "site_class":
                    v = t.get(str(v), str(v)) if zh else str(v)
                elif col == "build_mode":
                    v = label(MODE_LABELS, lang, v)
                elif col in ("lon", "lat"):
                    v = f"{float(v):.6f}"
                elif col in ("x_m", "y_m"):
                    v = f"{float(v):.3f}"
                elif col in ("height_m", "cost"):
                    v = f"{float(v):g}"
                fields.append(f'<Data name="{_text(t[key])}"><value>{_text(v)}</value></Data>')
            if r.get("phase"):
                fields.append(f'<Data name="{_text(t["phase"])}"><value>{_text(r["phase"])}</value></Data>')
            out.append(
                f"<Placemark><name>{_text(r['site_code'])}</name>"
                f"<description>{_balloon(r['name'])} · {_balloon(label(TYPE_LABELS, lang, r['type']))} · "
                f"{_balloon(label(MODE_LABELS, lang, mode))}</description>"
                f"<styleUrl>#site-{slug}</styleUrl><ExtendedData>{''.join(fields)}</ExtendedData>"
                f"<Point><coordinates>{lons[j]:.8f},{lats[j]:.8f},0</coordinates></Point></Placemark>"
            )
        out.append("</Folder>")
    return out


def write_sites_kmz(plan: Plan, path: str | Path) -> Path:
    """Write ``sites.kmz`` (``doc.kml`` + ``files/<slug>.png`` icons); see the module docstring."""
    path = Path(path)
    members = [("doc.kml", kml_document(plan).encode("utf-8"))]
    members += [(f"files/{slug}.png", icon_png(rgb)) for slug, rgb in ICONS.values()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return path
