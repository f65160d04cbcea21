"""Reference ``sites.dxf`` writer: every site an ezdxf INSERT with ``add_auto_attribs`` (parity tests only).

:func:`planner.io.dxf.write_sites_dxf` writes the sites' INSERT/ATTRIB/SEQEND entities as text
(a city's 25,895 sites took ezdxf about 20 s of CPU); this is the former writer, entity by
entity through ezdxf, which must give the same bytes (``tests/test_exchange.py``).
"""

from __future__ import annotations

import io
from pathlib import Path

from ezdxf._options import options as ezdxf_options
from ezdxf.filemanagement import new as new_drawing

from planner.io.dxf import _STAMP_RE, BLOCK, COLOURS, LAYERS, STYLE, TAGS, cad_text
from planner.plan import Plan
from planner.present.i18n import MODE_LABELS, TYPE_LABELS, label
from planner.present.tables import site_records


def write_sites_dxf_ezdxf(plan: Plan, path: Path) -> Path:
    """``sites.dxf`` built entity by entity with ezdxf (the layout of :mod:`planner.io.dxf`)."""
    lang = "en" if plan.scenario.report.language == "en" else "zh"
    names, tags = LAYERS[lang], TAGS[lang]
    doc = new_drawing("R2010", setup=False, units=6)
    doc.header["$MEASUREMENT"] = 1
    doc.styles.add(STYLE, font="simsun.ttf")
    for key, name in names.items():
        doc.layers.add(name, color=COLOURS[key])
    size = max(plan.grid.res * 0.6, 4.0)
    blk = doc.blocks.new(BLOCK, base_point=(0, 0))
    blk.add_circle((0, 0), radius=0.5)
    blk.add_line((-0.7, 0), (0.7, 0))
    blk.add_line((0, -0.7), (0, 0.7))
    for i, (col, tag) in enumerate(tags.items()):
        blk.add_attdef(
            tag,
            insert=(0.8, 0.3 - 1.2 * i),
            text="",
            dxfattribs={"height": 1.0, "style": STYLE, "prompt": tag, "flags": 0 if col == "site_code" else 1},
        )
    msp = doc.modelspace()
    for r in site_records(plan).to_dict("records"):
        mode = str(r["build_mode"])
        ref = msp.add_blockref(
            BLOCK,
            (float(r["x_m"]), float(r["y_m"])),
            dxfattribs={"layer": names.get(mode, names["新建"]), "xscale": size, "yscale": size, "zscale": size},
        )
        values = {
            "site_code": str(r["site_code"]),
            "name": str(r["name"] or ""),
            "type": label(TYPE_LABELS, lang, r["type"]),
            "height_m": f"{float(r['height_m']):g}",
            "build_mode": label(MODE_LABELS, lang, mode),
        }
        ref.add_auto_attribs({tags[c]: cad_text(v) for c, v in values.items()})
    for key, gdf in (("boundary", plan.boundary), ("areas", plan.areas)):
        metric = gdf.to_crs(plan.grid.crs).reset_index(drop=True)
        for i, geom in enumerate(metric.geometry):
            for poly in list(getattr(geom, "geoms", [geom])):
                if poly.is_empty or poly.geom_type != "Polygon":
                    continue
                msp.add_lwpolyline(
                    [(float(px), float(py)) for px, py, *_ in poly.exterior.coords],
                    close=True,
                    dxfattribs={"layer": names[key]},
                )
            if key == "areas" and "name" in metric.columns and not geom.is_empty:
                p = geom.representative_point()
                msp.add_text(
                    cad_text(metric["name"].iloc[i]), height=size, dxfattribs={"layer": names[key], "style": STYLE}
                ).set_placement((float(p.x), float(p.y)))
    old = ezdxf_options.write_fixed_meta_data_for_testing
    ezdxf_options.write_fixed_meta_data_for_testing = True
    try:
        doc.classes.add_required_classes(doc.dxfversion)
        doc.classes.classes = dict(sorted(doc.classes.classes.items()))
        stream = io.StringIO()
        doc.write(stream)
    finally:
        ezdxf_options.write_fixed_meta_data_for_testing = old
    text = _STAMP_RE.sub(r"\g<1>2000-01-01T00:00:00+00:00", stream.getvalue())
    path.write_bytes(text.encode(doc.output_encoding, errors="replace"))
    return path
