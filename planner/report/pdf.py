"""``report.pdf``: the report printed by headless Chromium through Playwright.

The system's Chromium is driven (``executable_path``; Playwright never downloads a browser
here): ``PLANNER_CHROMIUM`` when set, else ``chromium``, ``chromium-browser``,
``google-chrome`` or ``google-chrome-stable`` on ``PATH``. The page is opened offline (every
request that would leave ``file:``/``data:`` is aborted) and printed with its own print CSS:
A4 portrait text pages, the map on an A3 landscape page (``@page mappage``), the site table
as appendix A on A3 landscape pages (``@page wide``), every chapter on a new page, page
numbers in the footer and PDF bookmarks.

Table of contents with page numbers: Chromium cannot resolve ``target-counter()``, so the
page is printed once, the first page of every chapter is read from the PDF's bookmarks
(pypdf; Chromium writes one per heading), written into the contents, and printed again
(a third time only if that moved a chapter). Chromium lays the A4 pages after the A3 map
page out at one width, so printing chapters one by one would count their pages wrongly.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

from planner.errors import PlannerError, Problem

#: executables tried in order (after the ``PLANNER_CHROMIUM`` environment variable)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
#: the footer of every page: page number / page count (ASCII only: the footer cannot use the page's fonts)
FOOTER = (
    '<div style="width:100%;font-size:8px;color:#6b7280;text-align:center;font-family:sans-serif;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
_PAGE_RE = re.compile(rb"/Type\s*/Page(?![s\w])")


def find_chromium() -> str | None:
    """Path of the Chromium to drive, or None."""
    env = os.environ.get("PLANNER_CHROMIUM", "").strip()
    if env:
        return env if Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def count_pages(pdf: bytes) -> int:
    """Number of pages of a PDF written by Chromium (page objects are not compressed there)."""
    return len(_PAGE_RE.findall(pdf))


def _require() -> tuple[object, str]:
    try:
        import pypdf  # noqa: F401 - needed by first_pages
        from playwright import sync_api
    except ImportError as exc:
        raise PlannerError(
            Problem(
                f"report.pdf needs the Python package {exc.name or 'playwright'}, which is not installed",
                "report",
                "pdf",
                "install the pdf extra into the planner's environment: "
                ".venv/bin/pip install -c constraints.txt -e '.[pdf]' "
                "(no browser download is needed: the system chromium is used), or leave report.pdf off",
            )
        ) from None
    chromium = find_chromium()
    if chromium is None:
        raise PlannerError(
            Problem(
                "report.pdf needs Chromium, and none was found "
                "(PLANNER_CHROMIUM, chromium, chromium-browser, google-chrome)",
                "report",
                "pdf",
                "install it (Debian/Ubuntu: apt-get install -y chromium) or set PLANNER_CHROMIUM=/path/to/chrome; "
                "report.html is written either way and prints from any browser",
            )
        )
    return sync_api, chromium


def first_pages(pdf: bytes) -> dict[str, int]:
    """First page (1-based) of every bookmark of a PDF (any depth), by bookmark title."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    out: dict[str, int] = {}

    def walk(items: list[object]) -> None:
        for it in items:
            if isinstance(it, list):  # the children of the bookmark before it
                walk(it)
                continue
            title = str(getattr(it, "title", ""))
            page = reader.get_destination_page_number(it)  # type: ignore[arg-type]
            if page is not None and page >= 0:
                out.setdefault(title.strip(), page + 1)

    walk(list(reader.outline))
    return out


def check_pdf() -> None:
    """Raise the exit-2 :class:`~planner.errors.PlannerError` of :func:`write_pdf` now when
    Playwright or Chromium is missing (so that ``report.pdf = true`` fails before the solve).
    """
    _require()


_HEADINGS_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll('main > section'))
    .map(s => [s.id, (s.querySelector('h2') || {textContent: ''}).textContent.trim()]))"""
_FIT_MAP_JS = """() => { if (window.plannerPrintFit) { window.plannerPrintFit(); } }"""
_NUMBERS_JS = """(pages) => { for (const [id, n] of Object.entries(pages)) {
    const el = document.querySelector('.toc-page[data-for="' + id + '"]');
    if (el) { el.textContent = String(n); } } }"""


def write_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout_s: float = 300.0) -> Path:
    """Print ``report.html`` to ``report.pdf`` with headless Chromium.

    Parameters
    ----------
    html_path : str or Path
        The report page (as written by :func:`planner.report.write_report`).
    pdf_path : str or Path
        The PDF to write.
    timeout_s : float
        Limit for loading the page and for each print (s).

    Returns
    -------
    Path
        ``pdf_path``.

    Raises
    ------
    PlannerError
        Playwright or Chromium missing (exit 2, with the fix), or Chromium failing.
    """
    sync_api, chromium = _require()
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    ms = int(timeout_s * 1000)
    with sync_api.sync_playwright() as pw:  # type: ignore[attr-defined]
        try:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS, timeout=ms)
        except sync_api.Error as exc:  # type: ignore[attr-defined]
            raise PlannerError(
                Problem(
                    f"Chromium ({chromium}) did not start: {str(exc).splitlines()[0][:200]}",
                    "report",
                    "pdf",
                    "check that it runs (chromium --headless --version), or set PLANNER_CHROMIUM",
                )
            ) from None
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
            context.route(
                "**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "about:")) else r.abort()
            )
            page = context.new_page()
            page.set_default_timeout(ms)
            page.goto(html_path.as_uri(), wait_until="load")
            page.evaluate("document.fonts.ready")
            page.emulate_media(media="print")
            page.evaluate(_FIT_MAP_JS)
            page.wait_for_timeout(500)

            def pdf() -> bytes:
                data: bytes = page.pdf(
                    prefer_css_page_size=True,
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                    outline=True,
                    tagged=True,
                )
                return data

            headings: dict[str, str] = page.evaluate(_HEADINGS_JS)
            data = pdf()
            numbers: dict[str, int] = {}
            for _ in range(2):  # the contents' numbers could move a chapter once; never twice
                marks = first_pages(data)
                found = {cid: marks[h] for cid, h in headings.items() if h in marks}
                if found == numbers:
                    break
                numbers = found
                page.evaluate(_NUMBERS_JS, numbers)
                page.evaluate(_FIT_MAP_JS)
                page.wait_for_timeout(300)
                data = pdf()
        finally:
            browser.close()
    pdf_path.write_bytes(data)
    return pdf_path
