"""Vendored Leaflet assets and the post-processing that makes the report self-contained.

folium renders ``<script src=https://cdn...>`` and ``<link href=https://cdn...>`` tags for
Leaflet, its plugins, jQuery, Bootstrap and Font Awesome. The report must open on an
offline government network, so :func:`inline_assets` replaces every such tag by the
vendored file's content (CSS images become ``data:`` URIs) and drops the libraries the
report does not use (jQuery, Bootstrap, awesome-markers, Font Awesome). An external
script or stylesheet it does not know is an internal error, never silently kept.

The vendored files, their versions and licences are listed in ``static/README.md``.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources
from urllib.parse import urlparse

#: basename in folium's CDN URL → vendored file in ``static/``
VENDORED: dict[str, str] = {
    "leaflet.js": "leaflet.js",
    "leaflet.css": "leaflet.css",
    "Control.FullScreen.min.js": "Control.FullScreen.js",
    "Control.FullScreen.js": "Control.FullScreen.js",
    "Control.FullScreen.css": "Control.FullScreen.css",
    "leaflet-measure.min.js": "leaflet-measure.min.js",
    "leaflet-measure.js": "leaflet-measure.min.js",
    "leaflet-measure.min.css": "leaflet-measure.css",
    "leaflet-measure.css": "leaflet-measure.css",
}

#: folium defaults the report does not need (no awesome-markers icons, no jQuery popups)
DROPPED: frozenset[str] = frozenset({
    "jquery-3.7.1.min.js",
    "bootstrap.bundle.min.js",
    "bootstrap.min.css",
    "bootstrap-glyphicons.css",
    "leaflet.awesome-markers.js",
    "leaflet.awesome-markers.css",
    "leaflet.awesome.rotate.min.css",
    "all.min.css",
})

_SCRIPT_RE = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>', re.IGNORECASE)
_LINK_RE = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>', re.IGNORECASE)
_CSS_URL_RE = re.compile(r"url\((['\"]?)([^)'\"#]+)\1\)")
_SOURCE_MAP_RE = re.compile(r"//# sourceMappingURL=\S+")
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


def _static() -> resources.abc.Traversable:
    return resources.files("planner.report").joinpath("static")


@cache
def static_text(name: str) -> str:
    """Text of a vendored file in ``planner/report/static``."""
    return _static().joinpath(name).read_text(encoding="utf-8")


@cache
def _data_uri(relpath: str) -> str:
    name = relpath.split("?")[0]
    path = _static().joinpath(*name.split("/"))
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{_MIME.get(suffix, 'application/octet-stream')};base64,{data}"


@cache
def inline_css(name: str) -> str:
    """A vendored stylesheet with every relative ``url(...)`` turned into a ``data:`` URI."""

    def repl(m: re.Match[str]) -> str:
        target = m.group(2).strip()
        if target.startswith(("data:", "http:", "https:", "//")):
            return m.group(0)
        return f"url({_data_uri(target)})"

    return _CSS_URL_RE.sub(repl, static_text(name))


@cache
def inline_js(name: str) -> str:
    """A vendored script, safe to place inside ``<script>`` (no source-map lookups)."""
    code = _SOURCE_MAP_RE.sub("", static_text(name))
    return code.replace("</script", "<\\/script")


@cache
def _default_icon_fix() -> str:
    """Leaflet finds its default marker images from a CSS url(); with inlined CSS it would
    request ``marker-icon.png`` next to the page. Point the default icon at data URIs.
    """
    return ("L.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({"
            f"iconUrl: '{_data_uri('images/marker-icon.png')}', "
            f"iconRetinaUrl: '{_data_uri('images/marker-icon-2x.png')}', "
            f"shadowUrl: '{_data_uri('images/marker-shadow.png')}'}});\n")


def _basename(url: str) -> str:
    return urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]


def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def inline_assets(html: str) -> str:
    """Replace every CDN ``<script src>``/``<link href>`` in ``html`` by inline content.

    Raises
    ------
    RuntimeError
        When an external script or stylesheet is neither vendored nor known to be unused
        (the report would silently need the network).
    """
    seen: set[str] = set()

    def vendored(url: str) -> str | None:
        """The vendored file for an external URL, or None when it is dropped or already inlined."""
        base = _basename(url)
        if base in DROPPED:
            return None
        if base not in VENDORED:
            raise RuntimeError(f"report would load {url} from the network; vendor it in planner/report/static")
        target = VENDORED[base]
        if target in seen:
            return None
        seen.add(target)
        return target

    def script(m: re.Match[str]) -> str:
        if not _is_external(m.group(1)):
            return m.group(0)
        target = vendored(m.group(1))
        if target is None:
            return ""
        extra = _default_icon_fix() if target == "leaflet.js" else ""
        return f"<script>/* {target} (vendored) */\n{inline_js(target)}\n{extra}</script>"

    def link(m: re.Match[str]) -> str:
        if not _is_external(m.group(1)):
            return m.group(0)
        target = vendored(m.group(1))
        if target is None:
            return ""
        return f"<style>/* {target} (vendored) */\n{inline_css(target)}\n</style>"

    return _LINK_RE.sub(link, _SCRIPT_RE.sub(script, html))


def external_references(html: str) -> list[str]:
    """External URLs still loaded by ``<script src>`` or ``<link href>`` tags (should be none)."""
    urls = [m.group(1) for m in _SCRIPT_RE.finditer(html)] + [m.group(1) for m in _LINK_RE.finditer(html)]
    return [u for u in urls if _is_external(u)]
