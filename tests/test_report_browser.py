"""Open report.html in headless Debian Chromium (Playwright) with the network disabled.

Checks: the map renders, one marker per selected site, the layer control lists every
layer, no console errors, no request leaves ``file://``, the hostile site name stays
text (no dialog ever opens) and a screenshot is saved. Skips only when Chromium or
Playwright is missing (``make test`` installs Chromium; see the Makefile).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner.present.i18n import MODE_LABELS, TYPE_LABELS, label, texts
from planner.report import write_report
from planner.report.map import MODE_SLUGS
from tests.report_fixtures import EVIL_NAME, make_plan

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian chromium is not installed (apt-get install -y chromium; `make test` does it)"
    ),
]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_report_in_headless_chromium(tmp_path: Path, language: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    plan = make_plan(tmp_path, language=language, roads=True)
    report = write_report(plan, tmp_path / "report.html")
    console_errors: list[str] = []
    page_errors: list[str] = []
    dialogs: list[str] = []
    external: list[str] = []
    failed: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})

            def route(r: object) -> None:
                url = r.request.url  # type: ignore[attr-defined]
                if url.startswith(("file:", "data:", "about:")):
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    external.append(url)
                    r.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            page = context.new_page()

            def on_console(msg: object) -> None:
                if msg.type == "error":  # type: ignore[attr-defined]
                    console_errors.append(msg.text)  # type: ignore[attr-defined]

            page.on("console", on_console)
            page.on("requestfailed", lambda r: failed.append(r.url[:200]))
            page.on("pageerror", lambda e: page_errors.append(str(e)))

            def on_dialog(dialog: object) -> None:
                dialogs.append(dialog.message)  # type: ignore[attr-defined]
                dialog.dismiss()  # type: ignore[attr-defined]

            page.on("dialog", on_dialog)
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_selector(".leaflet-container .leaflet-overlay-pane svg", timeout=15_000)
            page.wait_for_timeout(300)

            # the map renders: Leaflet container with overlay paths and the RSRP image
            assert page.locator(".leaflet-container").count() == 1
            assert page.locator("img.planner-rsrp").count() == 1
            assert page.locator("path.planner-area").count() == len(plan.areas)
            assert page.locator("path.planner-boundary").count() >= 1
            assert page.locator("path.planner-gap").count() >= 1
            # one marker per selected site, split by 建设方式
            assert page.locator("path.planner-site").count() == len(plan.sites)
            for mode, slug in MODE_SLUGS.items():
                assert page.locator(f"path.planner-site-{slug}").count() == int(
                    (plan.sites["build_mode"] == mode).sum()
                )
            # the layer control starts collapsed (it would cover the east of the area) and lists every layer
            assert page.locator(".leaflet-control-layers-expanded").count() == 0
            page.evaluate(EXPAND_LAYERS_JS)
            labels = [s.strip() for s in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]
            t = texts(language)
            expected = [
                t["layer_basemap"],
                t["layer_boundary"],
                t["layer_areas"],
                t["layer_rsrp"],
                t["layer_uncovered"],
            ]
            for typ, n in sorted(plan.candidates["type"].value_counts().items()):
                expected.append(f"{t['layer_candidates']} · {label(TYPE_LABELS, language, typ)} ({n})")
            for mode in ("保留", "共享", "利旧", "新建"):
                n = int((plan.sites["build_mode"] == mode).sum())
                if n:
                    expected.append(f"{t['layer_selected']} · {label(MODE_LABELS, language, mode)} ({n})")
            assert sorted(labels) == sorted(expected)
            # the candidate layers (hidden at first) switch on: one canvas per type, with points drawn on it
            assert page.locator("canvas.planner-candidate").count() == 0
            page.evaluate("""() => document.querySelectorAll('.leaflet-control-layers-overlays input')
                .forEach(i => { if (!i.checked) { i.click(); } })""")
            page.wait_for_timeout(300)
            n_types = plan.candidates["type"].nunique()
            assert page.locator("canvas.planner-candidate").count() == n_types
            drawn = page.evaluate("""() => Array.from(document.querySelectorAll('canvas.planner-candidate')).map(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } } return n; })""")
            assert sum(drawn) > 0, drawn
            # a click next to a candidate opens its popup with the candidate's id
            cid, clon, clat = page.evaluate("""() => { const m = Object.values(window).find(v => v instanceof L.Map);
                let hit = null; m.eachLayer(l => { if (l instanceof L.PlannerPoints && !hit) { hit = l; } });
                return [hit._data.ids[0], hit._lon[0], hit._lat[0]]; }""")
            page.locator(".map-wrap").scroll_into_view_if_needed()
            xy = page.evaluate(f"""() => {{ const m = Object.values(window).find(v => v instanceof L.Map);
                window._plannerView = [m.getCenter(), m.getZoom()]; m.setView([{clat}, {clon}], 18, {{animate: false}});
                const p = m.latLngToContainerPoint([{clat}, {clon}]);
                const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }}""")
            page.wait_for_timeout(200)
            page.mouse.click(xy[0] + 1, xy[1] + 1)
            page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
            page.wait_for_timeout(400)  # an area popup that the candidate's replaced fades out first
            assert page.locator(".leaflet-popup-content").count() == 1
            assert cid in page.locator(".leaflet-popup-content").inner_text()
            page.keyboard.press("Escape")
            page.evaluate("""() => { const m = Object.values(window).find(v => v instanceof L.Map); m.closePopup();
                m.setView(window._plannerView[0], window._plannerView[1], {animate: false}); }""")
            page.wait_for_timeout(200)
            # controls: scale (metric only), fullscreen, measure, north arrow; attributions without Leaflet's flag
            for sel in (
                ".leaflet-control-scale",
                ".leaflet-control-zoom-fullscreen",
                ".leaflet-control-measure",
                ".north-arrow",
            ):
                assert page.locator(sel).count() == 1, sel
            assert page.locator(".leaflet-control-scale-imperial").count() == 0
            attribution = page.locator(".leaflet-control-attribution").inner_text()
            assert "© OpenStreetMap contributors" in attribution and "Leaflet" not in attribution
            assert page.locator(".leaflet-control-attribution svg").count() == 0
            # the vector basemap: roads and water under the plan, in their own pane below the overlays
            assert page.locator(".leaflet-pane.leaflet-plannerBasemap-pane path.planner-basemap").count() == 3
            assert page.locator(".leaflet-pane.leaflet-plannerRaster-pane img.planner-rsrp").count() == 1
            # a site popup opens and shows the hostile name as text
            reuse = plan.sites[plan.sites["build_mode"] == "利旧"].reset_index(drop=True)
            k = int(reuse.index[reuse["name"] == EVIL_NAME][0])
            page.locator("path.planner-site-reuse").nth(k).dispatch_event("click")
            page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
            popup = page.locator(".leaflet-popup-content")
            assert popup.count() == 1 and EVIL_NAME in popup.inner_text()
            assert page.locator(".leaflet-popup-content script").count() == 0
            # the site table shows it as text, too
            assert EVIL_NAME in page.locator("#site-table").text_content()
            # the measure tool measures (and needs no image from disk or network)
            page.keyboard.press("Escape")
            page.locator(".leaflet-control-measure").hover()
            page.locator(".leaflet-control-measure .js-start").click()
            box = page.locator(".map-wrap").bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 420, box["y"] + 320)
            page.mouse.click(box["x"] + 620, box["y"] + 420)
            page.wait_for_timeout(200)
            assert ("Meters" if language == "en" else "米") in page.locator(
                ".leaflet-control-measure .js-results"
            ).inner_text()
            page.locator(".leaflet-control-measure .js-cancel").click()
            # print to PDF (A4 pages from the print CSS)
            page.emulate_media(media="print")
            pdf = page.pdf(format="A4", print_background=True)
            assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 4
            page.emulate_media(media="screen")
            # screenshot of the map
            page.locator(".map-wrap").screenshot(path=str(tmp_path / "map.png"))
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "map.png").stat().st_size > 10_000
    assert page_errors == [] and console_errors == [], (page_errors, console_errors)
    assert dialogs == [], dialogs  # alert(1) never ran
    assert external == [], external
    assert failed == [], failed


#: words allowed in the Chinese report outside data values: standard abbreviations and units
ZH_ALLOWED = {
    "RSRP",
    "SINR",
    "dBm",
    "dB",
    "dBi",
    "5G",
    "G",
    "n78",
    "n41",
    "n79",
    "n28",
    "CGCS2000",
    "EPSG",
    "SHA-256",
    "EIRP",
    "RE",
    "RB",
    "LOS",
    "NLOS",
    "UMa",
    "UMi",
    "RMa",
    "3GPP",
    "TR",
    "GHz",
    "MHz",
    "kHz",
    "W",
    "km",
    "m",
    "s",
    "k",
    "X",
    "Y",
    "A",
    "N",
    "GCJ-02",
    "SS",
    "SS-SINR",
    "SS-RSRP",
    "TDD",
    "FDD",
    "QAM",
    "MIMO",
    "Hz",
    "bit",
    "Mbit",
    "kbit",
}
#: open the map's layer control (its labels count as visible text)
EXPAND_LAYERS_JS = (
    "() => document.querySelector('.leaflet-control-layers').classList.add('leaflet-control-layers-expanded')"
)
#: visible text of the page outside elements marked translate="no" (data values: names, ids, hashes, file names)
VISIBLE_TEXT_JS = """() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), out = [];
    while (walker.nextNode()) {
        const n = walker.currentNode, el = n.parentElement;
        if (!el || el.closest('[translate=no], script, style')) { continue; }
        const cs = getComputedStyle(el);
        if (cs.display === 'none' || cs.visibility === 'hidden' || el.getClientRects().length === 0) { continue; }
        out.push(n.textContent);
    }
    return out.join(' ');
}"""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_report_speaks_one_language(tmp_path: Path, language: str) -> None:
    """zh: no English word but standard abbreviations and units; en: no Chinese character.
    Data values (names, ids, file names, hashes, the OSM attribution) are marked translate="no"
    and left out of the scan; the map's layer control is expanded so that its labels count.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    import re

    plan = make_plan(tmp_path, language=language, roads=True, report={"organisation": "某设计院", "date": "2026-12-01"})
    report = write_report(plan, tmp_path / "report.html")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(offline=True, viewport={"width": 1280, "height": 900}).new_page()
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_selector(".leaflet-container .leaflet-overlay-pane svg", timeout=15_000)
            page.evaluate(EXPAND_LAYERS_JS)
            text = page.evaluate(VISIBLE_TEXT_JS)
        finally:
            browser.close()
    assert len(text) > 2_000
    if language == "zh":
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9\-]*", text)) - ZH_ALLOWED
        assert words == set(), sorted(words)
        assert "规划站址" in text and "编制单位" in text
    else:
        han = set(re.findall(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]", text))
        assert han == set(), sorted(han)
        assert "Prepared by" in text


def test_site_table_pages_on_screen_and_prints_whole(tmp_path: Path) -> None:
    """50 rows a page on screen with previous/next buttons; every row in print."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    plan = make_plan(tmp_path, n_lamps=240)
    n = len(plan.sites)
    assert n > 60
    report = write_report(plan, tmp_path / "report.html")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(offline=True).new_page()
            page.goto(report.as_uri(), wait_until="load")
            visible = (
                "() => Array.from(document.querySelectorAll('#site-table tbody tr'))"
                ".filter(r => r.getClientRects().length).length"
            )
            assert page.evaluate(visible) == 50
            assert "1 / 2" in page.locator("#site-pager .pg-label").inner_text().replace("第 ", "").replace(" 页", "")
            page.locator("#site-pager button[data-step='1']").click()
            assert page.evaluate(visible) == n - 50
            page.emulate_media(media="print")
            assert page.evaluate(visible) == n
            assert not page.locator("#site-pager").is_visible()
        finally:
            browser.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_compare_page_offline_inert_and_in_one_language(tmp_path: Path, language: str) -> None:
    """compare.html in Chromium with the network off: no request leaves file:// (scripts, fonts, tiles),
    hostile names never run (no dialog, no page error; Jinja syntax stays text), and the visible text
    outside data values is in one language (the layer control expanded so its labels count).
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    import re

    from planner.workflow.compare import compare_runs

    report = {"organisation": '某设计院 <img src=x onerror=alert("org")>', "date": "2026-12-01"}
    a = make_plan(tmp_path, language=language, roads=True, report=report)
    b = make_plan(tmp_path, language=language, roads=True, report=report)
    a.sites = a.sites.iloc[:-1].copy()
    b.sites = b.sites.iloc[2:].copy()
    for plan in (a, b):
        names = plan.sites.columns.get_loc("name")
        plan.sites.iloc[1, names] = '"><img src=x onerror=alert(2)>'
        plan.sites.iloc[3, names] = "{{ lipsum.__name__ }}"
    compare_runs(a, b, out_dir=tmp_path / "cmp", language=language)
    page_path = tmp_path / "cmp" / "compare.html"
    external: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})

            def route(r: object) -> None:
                url = r.request.url  # type: ignore[attr-defined]
                if url.startswith(("file:", "data:", "about:")):
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    external.append(url)
                    r.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            def on_dialog(dialog: object) -> None:
                dialogs.append(dialog.message)  # type: ignore[attr-defined]
                dialog.dismiss()  # type: ignore[attr-defined]

            page.on("dialog", on_dialog)
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_selector(".leaflet-container .leaflet-overlay-pane svg", timeout=15_000)
            page.evaluate("() => document.fonts.ready")
            for marker in page.locator("path.planner-change-added, path.planner-change-removed").all()[:3]:
                marker.click(force=True)  # popups with the hostile names
                page.wait_for_timeout(100)
            page.evaluate(EXPAND_LAYERS_JS)
            text = page.evaluate(VISIBLE_TEXT_JS)
            content = page.content()
        finally:
            browser.close()
    assert external == [], external
    assert dialogs == [] and errors == [], (dialogs, errors)
    assert "generate_lorem_ipsum" not in content
    assert len(text) > 500
    if language == "zh":
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9\-]*", text)) - ZH_ALLOWED - {"B"}  # 方案 A / 方案 B
        assert words == set(), (sorted(words), text[:3000])
    else:
        han = set(re.findall(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]", text))
        assert han == set(), (sorted(han), text[:3000])
