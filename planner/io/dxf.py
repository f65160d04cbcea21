r"""``sites.dxf``: the plan for CAD, in the plan's metric CRS (units: metres).

Layers are named in the report's language (zh: 规划站址-保留/共享/利旧/新建, 规划范围, 重点区域;
en: SITE-KEEP/SHARE/REUSE/NEW, BOUNDARY, PRIORITY-AREA), each with its colour. Every site is
one reference (INSERT) of the block ``SITE`` — a circle and a cross — carrying attributes that
CAD users can extract (AutoCAD ``DATAEXTRACTION``/``ATTOUT``): 编号 (shown next to the
symbol), 名称, 类型, 挂高, 建设方式 (hidden); English tags CODE, NAME, TYPE, HEIGHT, BUILD_MODE
in an English plan. The boundary and priority areas are closed polylines, area names single
TEXT at a point inside each area. Names are inert: AutoCAD's ``%%`` codes and ``\U+`` escapes
are written so that CAD shows them as typed (:func:`cad_text`). Text longer than
:data:`MAX_TEXT` characters is cut (ending in "…"). Text uses one style, ``CJK`` (宋体 ``simsun.ttf``, present
on Chinese Windows; CAD programs substitute a CJK font elsewhere); the drawing holds no other
text or dimension style than the mandatory ``Standard``, and ``ezdxf`` audits it clean.
Reproducible bytes: ezdxf's fixed metadata, sorted classes, fixed timestamps.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from planner.plan import Plan
from planner.present.i18n import MODE_LABELS, TYPE_LABELS, label
from planner.present.tables import site_records

if TYPE_CHECKING:
    import pandas as pd
    from ezdxf.document import Drawing
    from ezdxf.layouts.blocklayout import BlockLayout

#: layer names per language
LAYERS: dict[str, dict[str, str]] = {
    "zh": {
        "保留": "规划站址-保留",
        "共享": "规划站址-共享",
        "利旧": "规划站址-利旧",
        "新建": "规划站址-新建",
        "boundary": "规划范围",
        "areas": "重点区域",
    },
    "en": {
        "保留": "SITE-KEEP",
        "共享": "SITE-SHARE",
        "利旧": "SITE-REUSE",
        "新建": "SITE-NEW",
        "boundary": "BOUNDARY",
        "areas": "PRIORITY-AREA",
    },
}
#: AutoCAD colour index per layer key
COLOURS = {"保留": 8, "共享": 5, "利旧": 3, "新建": 1, "boundary": 7, "areas": 30}
#: attribute tags (site-table column → tag) per language
TAGS: dict[str, dict[str, str]] = {
    "zh": {"site_code": "编号", "name": "名称", "type": "类型", "height_m": "挂高", "build_mode": "建设方式"},
    "en": {"site_code": "CODE", "name": "NAME", "type": "TYPE", "height_m": "HEIGHT", "build_mode": "BUILD_MODE"},
}
BLOCK = "SITE"
STYLE = "CJK"
#: longest text written (characters): a single-line attribute value or TEXT in AutoCAD holds 255
#: (DXF R12; later DXF strings take up to 2049 bytes, 683 CJK characters in UTF-8)
MAX_TEXT = 255
_ENTITIES = "  0\nSECTION\n  2\nENTITIES\n"
_STAMP_RE = re.compile(r"(\d+\.\d+\.\d+ @ )\d{4}-\d\d-\d\dT[\d:.]+\+00:00")


def _cad_pieces(text: str) -> list[str]:
    r"""``text`` character by character, each as DXF text that CAD shows as that character.

    Inert: AutoCAD reads ``%%`` codes in TEXT/ATTRIB values (``%%u`` underline, ``%%d`` °, ``%%c`` ⌀,
    ``%%nnn``), and DXF readers decode ``\U+XXXX`` escapes. When ``%%`` occurs each ``%`` is written
    ``%%%`` (AutoCAD's literal percent); a backslash before ``U+`` is written as its own escape ``\U+005C``
    (decoded once: the text shows ``\U+0041``, not ``A``). The legacy ``\M+NXXXX`` (MIF) notation is left as
    it is: readers decode it after the ``\U+`` escapes, so no escape of it survives.
    """
    percent = "%%%" if "%%" in text else "%"
    pieces = []
    for i, ch in enumerate(text):
        if ch == "%":
            pieces.append(percent)
        elif ch == "\\" and text[i + 1 : i + 3].upper() == "U+":
            pieces.append("\\U+005C")
        else:
            pieces.append(ch)
    return pieces


def cad_text(value: object) -> str:
    """``value`` as inert CAD text (:func:`_cad_pieces`) of at most :data:`MAX_TEXT` characters.

    A longer text is cut (at a character of ``value``, never inside an escape) and ends in "…".
    """
    text = "" if value is None else str(value)
    pieces = _cad_pieces(text)
    if sum(map(len, pieces)) <= MAX_TEXT:
        return "".join(pieces)
    out, n = [], 0
    for piece in pieces:
        if n + len(piece) > MAX_TEXT - 1:
            break
        out.append(piece)
        n += len(piece)
    return "".join(out) + "…"


def _one_line(text: str) -> str:
    """A single-line DXF text as ezdxf stores it (its ``fix_one_line_text``: no line breaks, no trailing ^)."""
    if "\n" in text or "\r" in text or text.endswith("^"):
        text = text.replace("\n", "").replace("\r", "").rstrip("^")
    return text


def _site_entities(
    recs: pd.DataFrame,
    names: dict[str, str],
    tags: dict[str, str],
    lang: str,
    size: float,
    blk: BlockLayout,
    doc: Drawing,
    owner: str,
) -> str:
    """The DXF text of every site: an INSERT of ``blk``, its SEQEND and one ATTRIB per attribute.

    The same bytes as ezdxf's ``add_blockref`` + ``add_auto_attribs`` + ``write`` give
    (``tests/test_exchange.py`` compares the two), written as text instead of 7 ezdxf entities
    per site: a city's 25,895 sites took ezdxf about 20 s of CPU. Takes the handles ezdxf would
    have given (INSERT, SEQEND, then the ATTRIBs, in order) from the drawing's handle generator,
    so the entities added after the sites get the same handles as before. Each ATTRIB is its
    ATTDEF moved by the block reference's matrix (scale ``size``, no rotation, base point 0):
    ``x + 0.8 size``, ``y + dy size``, in ezdxf's order of operations; floats as ezdxf writes
    them (Python's shortest repr).
    """
    attdefs = [
        (a.dxf.tag, float(a.dxf.insert.x), float(a.dxf.insert.y), float(a.dxf.height), int(a.dxf.flags))
        for a in blk.attdefs()
    ]
    if [t for t, *_ in attdefs] != list(tags.values()):
        raise ValueError("the SITE block's attribute definitions do not match TAGS")
    handles = doc.entitydb.handles
    start = int(str(handles), 16)
    n = len(recs)
    handles.reset(f"{start + (2 + len(attdefs)) * n:X}")  # what ezdxf would have used for the sites
    xs = recs["x_m"].astype(float).tolist()
    ys = recs["y_m"].astype(float).tolist()
    modes = recs["build_mode"].astype(str).tolist()
    columns = {
        "site_code": [str(v) for v in recs["site_code"].tolist()],
        "name": [str(v or "") for v in recs["name"].tolist()],
        "type": [label(TYPE_LABELS, lang, v) for v in recs["type"].tolist()],
        "height_m": [f"{float(v):g}" for v in recs["height_m"].tolist()],
        "build_mode": [label(MODE_LABELS, lang, m) for m in modes],
    }
    values = [[_one_line(cad_text(v)) for v in columns[c]] for c in tags]
    s = f"{size}"
    out: list[str] = []
    h = start
    for i in range(n):
        x, y = xs[i], ys[i]
        layer = names.get(modes[i], names["新建"])
        out.append(
            f"  0\nINSERT\n  5\n{h:X}\n330\n{owner}\n100\nAcDbEntity\n  8\n{layer}\n100\nAcDbBlockReference\n"
            f" 66\n1\n  2\n{BLOCK}\n 10\n{x}\n 20\n{y}\n 30\n0.0\n 41\n{s}\n 42\n{s}\n 43\n{s}\n"
        )
        for j, (tag, dx, dy, height, flags) in enumerate(attdefs):
            ax, ay = dx * size + x, dy * size + y
            out.append(
                f"  0\nATTRIB\n  5\n{h + 2 + j:X}\n330\n{owner}\n100\nAcDbEntity\n  8\n0\n100\nAcDbText\n"
                f" 10\n{ax}\n 20\n{ay}\n 30\n0.0\n 40\n{height * size}\n  1\n{values[j][i]}\n  7\n{STYLE}\n"
                f" 11\n{ax}\n 21\n{ay}\n 31\n0.0\n100\nAcDbAttribute\n  2\n{tag}\n 70\n{flags}\n"
            )
        out.append(f"  0\nSEQEND\n  5\n{h + 1:X}\n330\n{h:X}\n100\nAcDbEntity\n  8\n{layer}\n")
        h += 2 + len(attdefs)
    return "".join(out)


def write_sites_dxf(plan: Plan, path: str | Path) -> Path:
    """Write ``sites.dxf`` (see the module docstring); returns ``path``."""
    from ezdxf._options import (
        options as ezdxf_options,  # ezdxf.options (ezdxf's __all__ leaves it out)
    )
    from ezdxf.filemanagement import new as new_drawing

    path = Path(path)
    lang = "en" if plan.scenario.report.language == "en" else "zh"
    names, tags = LAYERS[lang], TAGS[lang]
    doc = new_drawing("R2010", setup=False, units=6)  # 6 = metres; no preset styles
    doc.header["$MEASUREMENT"] = 1  # metric
    doc.styles.add(STYLE, font="simsun.ttf")
    for key, name in names.items():
        doc.layers.add(name, color=COLOURS[key])
    size = max(plan.grid.res * 0.6, 4.0)  # symbol and text height (m)
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
        )  # 1 = invisible
    msp = doc.modelspace()
    recs = site_records(plan)
    sites = _site_entities(recs, names, tags, lang, size, blk, doc, msp.layout_key)
    for key, gdf in (("boundary", plan.boundary), ("areas", plan.areas)):
        metric = gdf.to_crs(plan.grid.crs).reset_index(drop=True)
        for i, geom in enumerate(metric.geometry):
            polys = list(getattr(geom, "geoms", [geom]))
            for poly in polys:
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
        doc.classes.classes = dict(sorted(doc.classes.classes.items()))  # dict order follows PYTHONHASHSEED
        stream = io.StringIO()
        doc.write(stream)
    finally:
        ezdxf_options.write_fixed_meta_data_for_testing = old
    text = _STAMP_RE.sub(r"\g<1>2000-01-01T00:00:00+00:00", stream.getvalue())
    at = text.index(_ENTITIES) + len(_ENTITIES)  # the sites first, where ezdxf would have written them
    text = text[:at] + sites + text[at:]
    path.write_bytes(text.encode(doc.output_encoding, errors="replace"))
    return path


__all__ = ["BLOCK", "LAYERS", "MAX_TEXT", "TAGS", "cad_text", "write_sites_dxf"]
