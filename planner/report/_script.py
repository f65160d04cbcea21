"""JSON safe to inline in a report page's ``<script>`` elements."""

from __future__ import annotations

import html
import json
import re
from typing import Any

#: a ``{`` that is not JSON structure (compact JSON opens an object with ``{"`` or ``{}``): in a string
_STRING_BRACE = re.compile(r"\{(?![\"}])")
#: a Jinja opener (``{{``, ``{%``, ``{#``) in plain text
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def script_json(value: Any) -> str:
    r"""JSON for an inline ``<script>``: UTF-8 kept (compact), but ``<``, ``>``, ``&``, ``'``
    and the JavaScript line separators escaped, so no data can close the script element.

    Braces inside strings are escaped too (``\u007b``): folium renders every map element's
    script a second time as a Jinja template (branca's ``MacroElement.render`` wraps it in
    ``Element(template=...)``), so a name holding ``{{ … }}`` would run as Python there and
    ``{%`` or ``{#`` would stop the page with a TemplateSyntaxError. JavaScript reads the same
    string back.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return _STRING_BRACE.sub(r"\\u007b", text)


def template_inert(text: str) -> str:
    """``text`` with a word joiner (U+2060, invisible) after each ``{`` that opens Jinja syntax.

    For user strings that folium's own elements put into a map script (layer names, tile
    attributions): see :func:`script_json` for why they are rendered as a template.
    """
    return _JINJA_OPEN.sub("{\u2060", text)


def leaflet_label(text: str) -> str:
    """A layer name or tile attribution for folium: HTML-escaped (Leaflet's layer control and
    attribution write it with ``innerHTML``) and :func:`template_inert`.
    """
    return template_inert(html.escape(text))
