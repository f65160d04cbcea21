"""report.pdf through headless Chromium: page sizes, contents with page numbers, appendix, the
demo_small page budget, and exit 2 with the fix when Chromium is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.cli import main
from planner.errors import PlannerError
from planner.report.pdf import check_pdf, find_chromium
from planner.stages.outputs import write_outputs
from tests.report_fixtures import make_plan

REPO = Path(__file__).resolve().parents[1]
DEMO_SMALL = REPO / "data" / "scenarios" / "demo_small.toml"
needs_chromium = pytest.mark.skipif(
    find_chromium() is None,
    reason="Debian chromium is not installed (apt-get install -y chromium; `make test` does it)",
)


def _mm(x: float) -> int:
    return round(float(x) / 72 * 25.4)


def _pages(path: Path) -> tuple[object, list[tuple[int, int]], dict[str, int]]:
    """Pypdf reader, (width, height) in mm per page, first page (1-based) per top-level bookmark."""
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (pip install -e .[dev])")
    reader = pypdf.PdfReader(str(path))
    sizes = [(_mm(p.mediabox.width), _mm(p.mediabox.height)) for p in reader.pages]
    marks: dict[str, int] = {}

    def walk(items: list[object]) -> None:
        for it in items:
            if isinstance(it, list):
                continue  # sub-headings
            marks[str(it.title)] = reader.get_destination_page_number(it) + 1  # type: ignore[attr-defined]

    outline = reader.outline
    walk(outline[1] if len(outline) > 1 and isinstance(outline[1], list) else outline)  # under the title, if any
    return reader, sizes, marks


def test_missing_chromium_is_exit_2_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    write_outputs(make_plan(tmp_path), run)
    before = (run / "report.html").read_bytes()
    monkeypatch.setenv("PLANNER_CHROMIUM", str(tmp_path / "no-such-chrome"))
    with pytest.raises(PlannerError) as err:
        check_pdf()
    assert err.value.exit_code == 2 and "apt-get install -y chromium" in str(err.value)
    assert main(["report", str(run), "--pdf"]) == 2
    msg = capsys.readouterr().err
    assert "Chromium" in msg and "PLANNER_CHROMIUM" in msg and "Traceback" not in msg
    assert not (run / "report.pdf").exists() and (run / "report.html").read_bytes() == before  # nothing written


@needs_chromium
def test_pdf_pages_contents_and_appendix(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_outputs(make_plan(tmp_path, roads=True, report={"organisation": "某设计院"}), run)
    assert main(["report", str(run), "--pdf", "-q"]) == 0
    pdf = run / "report.pdf"
    reader, sizes, marks = _pages(pdf)
    text = [p.extract_text() for p in reader.pages]  # type: ignore[attr-defined]
    # A4 portrait text, A3 landscape map and appendix
    assert sizes[0] == (210, 297)
    assert sizes[marks["3 规划图"] - 1] == (420, 297)
    assert sizes[marks["附录 A 规划站址表"] - 1] == (420, 297)
    assert marks["1 方案概况"] == 1 and list(marks.values()) == sorted(marks.values())
    # the printed contents give each chapter's first page, as the bookmarks do
    toc = text[0]
    for title, page in marks.items():
        assert re.search(re.escape(title) + r"\s*" + str(page) + r"\b", toc), (title, page, toc[:600])
    # page numbers in the footer, every site in the appendix
    assert f"1 / {len(sizes)}" in text[0] and f"{len(sizes)} / {len(sizes)}" in text[-1]
    appendix = "".join(text[marks["附录 A 规划站址表"] - 1 :])
    plan = make_plan(tmp_path)
    assert all(code in appendix for code in plan.sites["site_code"])
    manifest = (run / "manifest.json").read_text(encoding="utf-8")
    assert "report.pdf" in manifest


@pytest.mark.slow
@needs_chromium
def test_demo_small_pdf_fits_twenty_pages_before_the_appendix(tmp_path: Path) -> None:
    if not DEMO_SMALL.is_file():
        pytest.skip("data/scenarios/demo_small.toml is not in this checkout")
    out = tmp_path / "small"
    assert main(["run", str(DEMO_SMALL), "--out", str(out), "--set", "report.pdf=true", "-q"]) == 0
    reader, sizes, marks = _pages(out / "report.pdf")
    before_appendix = marks["附录 A 规划站址表"] - 1
    assert 5 <= before_appendix <= 20, marks
    toc = reader.pages[0].extract_text()  # type: ignore[attr-defined]
    for title, page in marks.items():  # the contents agree with the bookmarks
        assert re.search(re.escape(title) + r"\s*" + str(page) + r"\b", toc), (title, page)
    assert (420, 297) in sizes and sizes[0] == (210, 297)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "north-arrow" in html and "© OpenStreetMap contributors" in html and "@font-face" in html
    assert "planner-basemap" in html
