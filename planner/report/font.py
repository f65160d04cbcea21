"""The CJK font the report embeds, so that it renders the same on every machine.

``static/fonts/NotoSansSC-GB2312.otf`` is a subset of Noto Sans CJK SC (SIL Open Font
License 1.1, ``static/fonts/OFL.txt``): ASCII, Latin-1, punctuation, CJK symbols,
full-width forms and all of GB 2312 (6,763 hanzi), 1.6 MB (``static/fonts/build_subset.py``
rebuilds it). At report time :func:`font_face_css` subsets it again, with fontTools, to the
characters the page uses (the demo's report: a few hundred glyphs, ~100-200 kB) and
returns an ``@font-face`` rule with the font as a base64 ``data:`` URI.

Characters outside the vendored subset (rare hanzi outside GB 2312 in a name, say) are
not in the embedded font; the browser draws them with a system font of the page's
``font-family`` list, or as a box where none has them. :func:`missing_chars` names them.

The charts use the same file through matplotlib (:func:`font_path`), so their axes are
Chinese on machines without any CJK font.
"""

from __future__ import annotations

import base64
import io
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

#: the vendored subset, relative to ``planner/report/static``
FONT_FILE = "fonts/NotoSansSC-GB2312.otf"
#: CSS family name of the embedded subset (distinct from an installed "Noto Sans CJK SC")
FAMILY = "Planner Noto Sans SC"
#: the family stack of the page: the embedded font first, then system fonts for what it lacks
FONT_STACK = (f'"{FAMILY}", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
              '"WenQuanYi Micro Hei", "DejaVu Sans", sans-serif')


@cache
def font_path() -> Path:
    """Path of the vendored font file (inside the installed package)."""
    path = resources.files("planner.report").joinpath("static", *FONT_FILE.split("/"))
    return Path(str(path))


@cache
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(font_path(), lazy=True)
    return frozenset(font.getBestCmap())


def page_chars(text: str) -> set[str]:
    """The characters of ``text`` that a font must draw (no controls, no ASCII whitespace)."""
    return {c for c in set(text) if c.isprintable() and c != " "}


def missing_chars(text: str) -> list[str]:
    """Characters of ``text`` that the vendored font lacks (drawn by a system font, if any)."""
    cmap = _cmap()
    return sorted(c for c in page_chars(text) if ord(c) not in cmap and ord(c) > 0x7F)


def subset_font(text: str) -> bytes:
    """The vendored font subset to the characters of ``text`` (OpenType/CFF bytes).

    The output is reproducible: the ``head`` timestamps are kept from the vendored file.
    About 1 s (parsing the 8,000-glyph CFF); the last few subsets are cached by character set.
    """
    codes = frozenset({ord(c) for c in page_chars(text)} & _cmap()) | frozenset(range(0x20, 0x7F))
    return _subset(codes)


@lru_cache(maxsize=8)
def _subset(codes: frozenset[int]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(font_path(), recalcTimestamp=False)
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence records (OFL)
    options.layout_features = ["kern", "ccmp", "liga", "calt", "mark", "mkmk", "palt", "halt"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codes))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf, reorderTables=True)
    return buf.getvalue()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the font subset to the characters of ``text``.

    Parameters
    ----------
    text : str
        Everything the page shows (its HTML, scripts included: labels built in JavaScript
        need their glyphs, too).

    Returns
    -------
    str
        CSS declaring family :data:`FAMILY` with a ``data:font/otf`` source.
    """
    data = base64.b64encode(subset_font(text)).decode("ascii")
    return (f'@font-face {{ font-family: "{FAMILY}"; font-style: normal; font-weight: 100 900; font-display: block; '
            f'src: url(data:font/otf;base64,{data}) format("opentype"); }}')
