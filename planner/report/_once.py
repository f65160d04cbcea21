"""Map elements whose rendered script goes into the page once, without a second Jinja pass.

branca's ``MacroElement.render`` puts each rendered macro (header, html, script) into the page
as ``Element(template=text)``: the text is compiled as a Jinja template and rendered again. For
the report's big layers (a city's candidate canvas, site points, gap polygons, the RSRP image:
2–4 MB of script each) that second pass lexes megabytes for nothing (1.7 s of the 8.4 s a
city report took). :class:`RenderedOnce` renders the same macros in the same order and places
text without Jinja syntax as it is, after the two changes Jinja's pass makes to such text
(line breaks made line feeds, one trailing line break dropped), so the page keeps its bytes;
text with a Jinja opener (``{{``, ``{%``, ``{#``) still takes branca's path.
"""

from __future__ import annotations

import re
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement

__all__ = ["GeoJsonOnce", "ImageOverlayOnce", "RenderedOnce", "placed"]

_JINJA_OPEN = re.compile(r"\{[{%#]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


class _Verbatim(Element):
    """Rendered text placed as it is (see the module docstring)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        lines = _NEWLINE.split(text)
        if lines[-1] == "":  # Jinja's keep_trailing_newline = False
            del lines[-1]
        self._text = "\n".join(lines)

    def render(self, **kwargs: Any) -> str:
        """The text."""
        return self._text


def placed(text: str) -> Element:
    """``text`` as a page element: as it is, or through Jinja when it holds Jinja syntax (as branca does)."""
    return Element(text) if _JINJA_OPEN.search(text) else _Verbatim(text)


class RenderedOnce(MacroElement):
    """A ``MacroElement`` whose macros' output is placed by :func:`placed` (branca 0.8's render otherwise)."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # branca: None, as here
        """Render the header, html and script macros into the figure, then the children."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
        module = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = module.get(part, None)
            if macro is not None:
                getattr(figure, part).add_child(placed(macro(self, kwargs)), name=self.get_name())
        for _, element in self._children.items():
            element.render(**kwargs)


class GeoJsonOnce(folium.GeoJson, RenderedOnce):
    """``folium.GeoJson`` rendered once (:class:`RenderedOnce`)."""


class ImageOverlayOnce(folium.raster_layers.ImageOverlay, RenderedOnce):
    """``folium.raster_layers.ImageOverlay`` rendered once (:class:`RenderedOnce`)."""
