"""The report's embedded CJK font: subset, licence, reproducible bytes, and glyphs in a browser
that has no CJK font of its own (a fontconfig that only knows DejaVu).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from planner.report import font, render_report
from tests.report_fixtures import make_plan

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FACE_RE = re.compile(r"url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)")


def test_vendored_font_covers_gb2312_and_carries_its_licence() -> None:
    path = font.font_path()
    assert path.stat().st_size < 3_000_000
    assert (path.parent / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE Version 1.1") == 1
    f = TTFont(path)
    cmap = f.getBestCmap()
    hanzi = [
        bytes([hi, lo]).decode("gb2312")
        for hi in range(0xB0, 0xF8)
        for lo in range(0xA1, 0xFF)
        if not (hi == 0xD7 and lo > 0xF9)
    ]
    assert len(hanzi) == 6763 and all(ord(c) in cmap for c in hanzi)
    assert all(ord(c) in cmap for c in "，。、（）：；·–—≥≤×²°©")
    names = {r.nameID: r.toUnicode() for r in f["name"].names if r.langID == 0x409}
    assert "Open Font License" in names[13]


def test_missing_chars_are_named() -> None:
    assert font.missing_chars("光谷广场 abc") == []
    assert font.missing_chars("龘站") == ["龘"]  # outside GB 2312: drawn by a system font, if any


def test_subset_has_the_page_characters_only_and_is_reproducible() -> None:
    a = font.subset_font("规划站址")
    font._subset.cache_clear()
    assert font.subset_font("规划站址") == a
    cmap = TTFont(io.BytesIO(a)).getBestCmap()
    assert {ord(c) for c in "规划站址"} <= set(cmap) and ord("路") not in cmap
    assert len(a) < 60_000


def test_report_embeds_a_font_with_every_character_it_shows() -> None:
    html = render_report(make_plan())
    m = FACE_RE.search(html)
    assert m is not None
    cmap = TTFont(io.BytesIO(base64.b64decode(m.group(1)))).getBestCmap()
    shown = {c for c in re.sub(r"<[^>]+>", "", html) if "\u4e00" <= c <= "\u9fff"}
    assert len(shown) > 100 and {ord(c) for c in shown} <= set(cmap)
    assert f'font-family: "{font.FAMILY}"' in html and font.FAMILY in html.split("<body")[0]


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (apt-get install -y chromium; `make test` does it)"
)
@pytest.mark.skipif(not DEJAVU.is_dir(), reason="DejaVu fonts (fonts-dejavu-core) are not installed")
def test_chinese_renders_from_the_embedded_font_without_system_cjk_fonts(tmp_path: Path) -> None:
    """With a fontconfig that only sees DejaVu (no CJK glyphs anywhere on the system), two
    different Chinese strings must render as different glyphs in the report's font, while the
    control (the same strings in DejaVu only) renders as identical tofu boxes.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{DEJAVU}</dir><cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>""",
        encoding="utf-8",
    )
    report = tmp_path / "report.html"
    report.write_text(render_report(make_plan(tmp_path)), encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "HOME": str(tmp_path)}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, env=env)
        try:
            page = browser.new_context(offline=True).new_page()
            page.goto(report.as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready")
            assert page.evaluate(f"document.fonts.check('16px \"{font.FAMILY}\"', '规划站址')")
            page.evaluate("""() => { for (const [id, fam, text] of [["a", "", "规划站址"], ["b", "", "覆盖范围"],
                    ["c", "'DejaVu Sans'", "规划站址"], ["d", "'DejaVu Sans'", "覆盖范围"]]) {
                const s = document.createElement("span"); s.id = "probe-" + id; s.textContent = text;
                s.style.cssText = "font-size:32px;position:fixed;left:0;top:" + (60 * "abcd".indexOf(id)) +
                    "px;background:#fff;z-index:9999";
                if (fam) { s.style.fontFamily = fam; } document.body.appendChild(s); } }""")
            page.wait_for_timeout(200)
            shots = {k: page.locator(f"#probe-{k}").screenshot() for k in "abcd"}
            widths = {
                k: page.evaluate(f"document.getElementById('probe-{k}').getBoundingClientRect().width") for k in "abcd"
            }
        finally:
            browser.close()
    # the control: without the embedded font both strings are the same boxes
    assert shots["c"] == shots["d"], (
        "the DejaVu-only control draws distinct glyphs: the fontconfig still sees a CJK font"
    )
    # the embedded font: real, different glyphs, unlike the tofu rendering
    assert shots["a"] != shots["b"]
    assert shots["a"] != shots["c"] and widths["a"] > 100


def test_charts_draw_chinese_axes_with_the_vendored_font() -> None:
    """The charts' zh axes come from the vendored font, with or without an installed CJK font."""
    from planner.report import charts

    assert charts.cjk_font() == "Noto Sans CJK SC"
    plan = make_plan()
    zh, en = charts.rsrp_histogram(plan, "zh"), charts.rsrp_histogram(plan, "en")
    assert charts._chart_language("zh") == "zh" and zh != en
