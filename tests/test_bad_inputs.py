"""The bad-input corpus (``tests/data/bad/make_corpus.py``) through the real CLI.

Every case asserts: the exit code, every expected message fragment (file, row or feature,
and the fix), no traceback in stdout + stderr, and for ``run``: no output folder and no
temporary folder left behind by a failed run, and an earlier run in the same ``--out``
folder left untouched. Cases with exit code 2 are also validated in-process, which must
report the same problem.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from planner.cli import main
from planner.errors import InputDataError
from planner.geo.crs import bbox_gap_km, detect_gcj02_shift
from planner.geo.gcj02 import wgs84_to_gcj02
from planner.io.readers import read_vector
from planner.io.rundir import MARKER
from planner.present.warning_text import warning_text
from tests.conftest import earlier_run, load_script

CORPUS_SCRIPT = Path(__file__).resolve().parent / "data" / "bad" / "make_corpus.py"
EARLIER = "an earlier run, to be kept"


corpus = load_script(CORPUS_SCRIPT, "bad_input_corpus")
CASES = {c.name: c for c in corpus.CASES}


def _planner(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def _validate_in_process(scenario: Path, overrides: tuple[str, ...]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["validate", str(scenario)] + [a for o in overrides for a in ("--set", o)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


def _leftovers(parent: Path) -> list[str]:
    """Temporary or backup folders a run may leave next to its output folder."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _live_formulas(out: Path) -> list[str]:
    """Cells of the run's csv/xlsx files that Excel would run as a formula (OWASP CSV injection)."""
    import csv

    from openpyxl import load_workbook

    from planner.io._text import FORMULA_STARTS

    found = [
        f"{p.name}: {c.coordinate}"
        for p in sorted(out.glob("*.xlsx"))
        for ws in load_workbook(p).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    for p in sorted(out.glob("*.csv")):
        rows = csv.reader(io.StringIO(p.read_bytes().decode("utf-8-sig")))
        found += [
            f"{p.name}: {cell!r}"
            for row in rows
            for cell in row
            if cell[:1] in FORMULA_STARTS and not cell.lstrip("+-").replace(".", "", 1).isdigit()
        ]
    return found


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len(CASES) == len(corpus.CASES), "case names must be unique"
    kinds = {c.exit_code for c in CASES.values()}
    assert kinds == {0, 2, 3}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / "case"
    scenario = corpus.build(case, folder)
    runs = tmp_path / "runs"
    out = runs / "out"
    args = [case.command, str(scenario)]
    if case.command == "run" and case.extra.get("out_is_file"):
        runs.mkdir()
        out.write_text(EARLIER, encoding="utf-8")
        args += ["--out", str(out)]
    elif case.command == "run":
        earlier_run(out, EARLIER)
        args += ["--out", str(out)]
    for o in case.overrides:
        args += ["--set", o]

    r = _planner(*args, cwd=folder)
    text = r.stdout + r.stderr
    assert r.returncode == case.exit_code, text
    assert "Traceback" not in text
    for fragment in case.fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    if case.exit_code == 2:
        assert "error:" in r.stderr and "Fix:" in r.stderr

    if case.command == "run" and case.extra.get("out_is_file"):
        assert out.read_text(encoding="utf-8") == EARLIER and _leftovers(runs) == []
    elif case.command == "run":
        assert _leftovers(runs) == [], "a temporary folder was left behind"
        names = sorted(p.name for p in out.iterdir() if p.name != MARKER)
        if case.exit_code == 2:
            assert names == ["keep.txt"], "a failed run touched the output folder"
            assert (out / "keep.txt").read_text(encoding="utf-8") == EARLIER
        elif case.exit_code == 3:
            assert names == ["diagnostics.json"]
            diag = json.loads((out / "diagnostics.json").read_text(encoding="utf-8"))
            assert diag["status"] == "infeasible" and diag["exit_code"] == 3
            assert "cannot be met" in diag["message"]
        else:
            assert "manifest.json" in names and "keep.txt" not in names
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            warned = [f for f in case.fragments if f not in ("sites selected", "report:", "warning:")]
            report = html.unescape((out / "report.html").read_text(encoding="utf-8"))
            language = manifest["scenario"]["report"]["language"]
            for (
                fragment
            ) in warned:  # the run's warnings are listed in the manifest and the report too (in its language)
                assert any(fragment in w for w in manifest["warnings"]), f"manifest warnings lack {fragment!r}"
                assert any(fragment in w and warning_text(w, language) in report for w in manifest["warnings"]), (
                    f"report lacks the warning {fragment!r}"
                )
            if case.extra.get("inert_tables"):
                assert _live_formulas(out) == [], "a csv/xlsx holds a live spreadsheet formula"

    if case.exit_code == 2 and case.command == "run" and not case.extra.get("out_is_file"):
        code, text = _validate_in_process(scenario, case.overrides)
        assert code == 2, text
        for fragment in case.fragments:
            assert fragment in text, f"validate: {fragment!r} not in:\n{text}"


# ----------------------------------------------------------------------------- heuristics stay conservative


def _box(lon0: float, lat0: float, half_deg: float) -> Polygon:
    return box(lon0 - half_deg, lat0 - half_deg, lon0 + half_deg, lat0 + half_deg)


def test_gcj02_shift_detected_both_ways() -> None:
    rng = np.random.default_rng(1)
    area = _box(114.4, 30.5, 0.025)  # a 5 km district
    lon = rng.uniform(114.376, 114.424, 300)
    lat = rng.uniform(30.476, 30.524, 300)
    assert detect_gcj02_shift(lon, lat, area) is None  # CGCS2000 on CGCS2000
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert detect_gcj02_shift(glon, glat, area) == "points"
    ring = np.asarray(area.exterior.coords)
    blon, blat = wgs84_to_gcj02(ring[:, 0], ring[:, 1])
    assert detect_gcj02_shift(lon, lat, Polygon(np.column_stack([blon, blat]))) == "boundary"


def test_gcj02_no_false_alarm_for_catalogues_beyond_the_boundary() -> None:
    rng = np.random.default_rng(2)
    area = _box(114.4, 30.5, 0.025)
    # a city-wide catalogue: most poles lie outside the district, shifted or not
    lon = rng.uniform(114.2, 114.6, 2000)
    lat = rng.uniform(30.3, 30.7, 2000)
    assert detect_gcj02_shift(lon, lat, area) is None
    # a catalogue with a 1 km margin all round
    lon = rng.uniform(114.365, 114.435, 600)
    lat = rng.uniform(30.466, 30.534, 600)
    assert detect_gcj02_shift(lon, lat, area) is None
    # too few points to say anything
    glon, glat = wgs84_to_gcj02(np.full(5, 114.424), np.full(5, 30.476))
    assert detect_gcj02_shift(glon, glat, area) is None


def test_bbox_gap() -> None:
    assert bbox_gap_km([114.0, 30.0, 114.1, 30.1], [114.05, 30.05, 114.2, 30.2]) == 0.0
    assert bbox_gap_km([114.0, 30.0, 114.1, 30.1], [117.0, 30.0, 117.1, 30.1]) == pytest.approx(279, rel=0.02)


def test_dem_cover_rule_matches_build_terrain() -> None:
    from planner.coverage.terrain import MIN_DEM_COVER
    from planner.io.readers import MIN_DEM_COVER as CHECKED_EARLY

    assert CHECKED_EARLY == MIN_DEM_COVER


def test_unexpected_reader_exception_is_wrapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("simulated library bug")

    path = tmp_path / "c.gpkg"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(114.4, 30.5)], crs="EPSG:4490").to_file(path, driver="GPKG")
    monkeypatch.setattr("planner.io.readers._to_geographic", boom)
    with pytest.raises(InputDataError, match="unexpected problem while reading the candidates file") as err:
        read_vector(path, "candidates")
    assert "Fix:" in str(err.value) and "c.gpkg" in str(err.value)


def test_internal_error_exit_1_without_traceback(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("planner.pipeline.validate_scenario", boom)
    assert main(["validate", str(tiny)]) == 1
    captured = capsys.readouterr()
    assert "internal error: RuntimeError: simulated bug" in captured.err and "-v" in captured.err
    assert "Traceback" not in captured.out + captured.err
