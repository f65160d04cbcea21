"""Fuzzing the CLI with hostile files (hypothesis, derandomised by the project profile).

Each example starts from the bad-input corpus's small valid folder (``tests/data/bad/make_corpus.py``:
a 1 km box at Optics Valley, 38 candidates, two priority areas), breaks it in a few generated ways
and runs ``python -m planner.cli`` in a subprocess (a hang would be a timeout, not a stuck test):

- text cells: formulas (``=HYPERLINK``, ``=cmd|``, ``+``, ``-``, ``@``, tab, CR), HTML, control
  characters (ESC, BEL, NUL), emoji, very long strings, delimiters and quotes;
- numbers: inf, nan, huge, negative, zero, ambiguous thousands, full-width digits, junk;
- geometries: empty, points, zero-size and collinear polygons, bow-ties, lines, collections, a
  boundary across the antimeridian or of zero size;
- encodings: UTF-8, UTF-8 with BOM, GBK, Latin-1 (unencodable text replaced, as an old tool
  would), UTF-16;
- paths: a symlink to the file, a named pipe, a symlink loop, a dangling symlink, a folder, a device;
- scenario: seeds outside 0 … 2^63 − 1, ``--set`` values with line breaks or non-finite numbers,
  a formula as the scenario name.

Every example asserts the documented contract: exit code 0, 2 or 3; no traceback; on failure no
output folder (exit 3: only ``diagnostics.json``); no live formula in any csv/xlsx written; nothing
outside the output folder created, changed or deleted. Bounded: tiny inputs, a 1 s solver limit,
a 40 m grid and a modest ``max_examples``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from planner.io._text import FORMULA_STARTS
from tests.conftest import load_script

CORPUS_SCRIPT = Path(__file__).resolve().parent / "data" / "bad" / "make_corpus.py"
#: a hung run is a failure, not a stuck suite (a normal example takes a few seconds)
RUN_TIMEOUT_S = 240
#: exit codes the README documents for bad input, infeasible targets and success
DOCUMENTED = {0, 2, 3}


corpus = load_script(CORPUS_SCRIPT, "bad_input_corpus_fuzz")
LON0, LAT0, D = corpus.LON0, corpus.LAT0, corpus.D

# ----------------------------------------------------------------------------- strategies

HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            '=HYPERLINK("http://evil.example","点我")',
            "=cmd|' /C calc'!A0",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
            " =1+1",
            "<script>alert(1)</script>",
            "</script><img src=x onerror=alert(1)>",
            "路灯\x1b[31m红\x07",
            "\x00nul\x00",
            "😀🚀 杆",
            "A" * 5000,
            "",
            " ",
            "nan",
            "NULL",
            "\u202eevil",
            "'quoted'",
            '"double"',
            "a,b;c\n d",
            "\ufeffbom",
            "existing_5g",
            "tower",
            "铁塔",
        ]
    ),
    st.text(
        alphabet=st.sampled_from([*"=+-@\t\r\n\x00\x07\x1b,;\"'<>&", "路", "😀", "é", "a", "1"]),
        min_size=1,
        max_size=12,
    ),
)
HOSTILE_NUMBER = st.sampled_from(
    [
        "inf",
        "-inf",
        "Infinity",
        "nan",
        "NaN",
        "1e300",
        "-1e300",
        "1e-300",
        "0",
        "-0",
        "-5",
        "150.0001",
        "1,000",
        "12,5",
        "",
        "abc",
        "9" * 400,
        "0x10",
        "1_000",
        "∞",
        "１２",
        "30m",
        "8万元",
        "=1+1",
    ]
)
TEXT_COLUMNS = ("id", "type", "name", "owner", "status")
NUMBER_COLUMNS = ("lon", "lat", "height_m", "cost")
HEADER = ["id", "type", "name", "height_m", "cost", "status", "lon", "lat", "owner"]


def _area_geometry(kind: str) -> object:
    x, y = LON0 + 0.001, LAT0 + 0.001
    return {
        "empty": None,
        "point": Point(x, y),
        "zero_size": Polygon([(x, y), (x, y), (x, y), (x, y)]),
        "collinear": Polygon([(x, y), (x + 0.001, y), (x + 0.002, y), (x, y)]),
        "bowtie": Polygon([(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001), (x, y)]),
        "line": LineString([(x, y), (x + 0.002, y)]),
        "zero_line": LineString([(x, y), (x, y)]),
        "collection": GeometryCollection([box(x, y, x + 0.001, y + 0.001), Point(x, y)]),
        "antimeridian": MultiPolygon([box(179.9, -17.0, 180.0, -16.9), box(-180.0, -17.0, -179.9, -16.9)]),
        "world": box(-180, -90, 180, 90),
    }[kind]


AREA_KINDS = (
    "empty",
    "point",
    "zero_size",
    "collinear",
    "bowtie",
    "line",
    "zero_line",
    "collection",
    "antimeridian",
    "world",
)
BOUNDARY_KINDS = ("ok", "ok", "ok", "zero_size", "antimeridian", "collinear")
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "latin-1", "utf-16")
PATH_KINDS = ("plain", "plain", "plain", "symlink", "fifo", "loop", "dangling", "folder", "device")
SEEDS = (7, 7, 7, 0, 2**63 - 1, -1, 2**63, 2**64 + 1)
EXTRA_SETS: tuple[tuple[str, ...], ...] = (
    (),
    (),
    (),
    ('scenario.name="=HYPERLINK(\\"http://x\\")"',),
    ("objective.max_sites=4\nsolver.workers=2",),
    ("radio.threshold_dbm=nan",),
    ('report.title="@evil"',),
    ("candidates.types.tower.cost=1e300",),
)


#: what a run must survive and still plan (exit 0): hostile text where text is free, degenerate extra areas,
#: every encoding, a symlinked file, valid seeds, formulas in the scenario's free text
FRIENDLY_AREA_KINDS = ("empty", "point", "zero_size", "collinear", "bowtie", "line", "zero_line", "collection")
FRIENDLY_SETS: tuple[tuple[str, ...], ...] = (
    (),
    ('scenario.name="=HYPERLINK(\\"http://x\\")"',),
    ('report.title="@evil"',),
)


@st.composite
def hostile_case(draw: st.DrawFn, friendly: bool = False) -> dict[str, Any]:
    """One broken planning folder, described as data (written by :func:`_write_case`).

    ``friendly`` draws only breakage the planner must absorb and still plan with (exit 0).
    """
    n_rows = 38
    columns = ("name", "owner") if friendly else TEXT_COLUMNS
    cells = draw(st.lists(st.tuples(st.integers(0, n_rows - 1), st.sampled_from(columns), HOSTILE_TEXT), max_size=4))
    numbers = (
        []
        if friendly
        else draw(
            st.lists(st.tuples(st.integers(0, n_rows - 1), st.sampled_from(NUMBER_COLUMNS), HOSTILE_NUMBER), max_size=2)
        )
    )
    return {
        "cells": cells,
        "numbers": numbers,
        "areas": draw(st.lists(st.sampled_from(FRIENDLY_AREA_KINDS if friendly else AREA_KINDS), max_size=2)),
        "area_names": draw(st.lists(HOSTILE_TEXT, min_size=2, max_size=2)),
        "boundary": "ok" if friendly else draw(st.sampled_from(BOUNDARY_KINDS)),
        "encoding": draw(st.sampled_from(ENCODINGS)),
        "path": draw(st.sampled_from(("plain", "symlink") if friendly else PATH_KINDS)),
        "seed": draw(st.sampled_from(SEEDS[:5] if friendly else SEEDS)),
        "sets": draw(st.sampled_from(FRIENDLY_SETS if friendly else EXTRA_SETS)),
        "friendly": friendly,
    }


# ----------------------------------------------------------------------------- writing a case


def _write_case(case: dict[str, Any], folder: Path) -> Path:
    corpus.write_base(folder)
    rows = [[*r[:8], "路灯管理部门"] for r in corpus.candidate_rows()]
    for row, col, value in case["cells"]:
        rows[row][HEADER.index(col)] = value
    for row, col, value in case["numbers"]:
        rows[row][HEADER.index(col)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([HEADER, *rows])  # as Excel writes it
    data = buf.getvalue().encode(case["encoding"], errors="replace")
    target = folder / "data" / "candidates.csv"
    target.parent.mkdir()
    target.write_bytes(data)

    features = [corpus.feature(p, g) for p, g in corpus.base_areas()]
    for i, name in enumerate(case["area_names"]):
        features[i]["properties"]["name"] = name  # type: ignore[index]
    for i, kind in enumerate(case["areas"]):
        geom = _area_geometry(kind)
        features.append(
            {
                "type": "Feature",
                "properties": {"id": f"X{i}", "name": f"bad {kind}", "class": "park"},
                "geometry": None if geom is None else corpus.feature({}, geom)["geometry"],
            }
        )
    (folder / "priority_areas.geojson").write_text(corpus.feature_collection(features), encoding="utf-8")
    if case["boundary"] != "ok":
        geom = _area_geometry(case["boundary"])
        (folder / "boundary.geojson").write_text(
            corpus.feature_collection([corpus.feature({"id": "B1"}, geom)]), encoding="utf-8"
        )

    link = folder / "candidates.csv"
    link.unlink()
    kind = case["path"]
    if kind == "plain":
        target.rename(link)
    elif kind == "symlink":
        link.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(link)
    elif kind == "loop":
        link.symlink_to(folder / "loop.csv")
        (folder / "loop.csv").symlink_to(link)
    elif kind == "dangling":
        link.symlink_to(folder / "data" / "gone.csv")
    elif kind == "folder":
        link.mkdir()
    elif kind == "device":
        link.symlink_to("/dev/null")
    scenario = folder / "scenario.toml"
    text = (
        scenario.read_text(encoding="utf-8")
        .replace("seed = 7", f"seed = {case['seed']}")
        .replace("resolution_m = 25", "resolution_m = 40")
    )
    scenario.write_text(text, encoding="utf-8")
    return scenario


def _snapshot(root: Path, skip: Path) -> dict[str, tuple[str, int, int, str]]:
    """Every entry under ``root`` except ``skip``: kind, size, mtime (ns) and content hash of regular files."""
    seen: dict[str, tuple[str, int, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in [*dirnames, *filenames]:
            p = here / name
            st_ = os.lstat(p)
            digest = ""
            if stat.S_ISREG(st_.st_mode):
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            kind = (
                "link"
                if stat.S_ISLNK(st_.st_mode)
                else "fifo"
                if stat.S_ISFIFO(st_.st_mode)
                else "dir"
                if stat.S_ISDIR(st_.st_mode)
                else "file"
            )
            target = os.readlink(p) if kind == "link" else ""
            seen[str(p.relative_to(root))] = (
                kind + target,
                st_.st_size if kind == "file" else 0,
                st_.st_mtime_ns if kind == "file" else 0,
                digest,
            )
    return seen


def _live_formulas(out: Path) -> list[str]:
    """Cells of every csv/xlsx under ``out`` that a spreadsheet would run as a formula."""
    found: list[str] = []
    for path in sorted(out.rglob("*.xlsx")):
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                found += [f"{path.name}!{ws.title}!{c.coordinate}: {c.value!r}" for c in row if c.data_type == "f"]
    for path in sorted(out.rglob("*.csv")):
        text = path.read_bytes().decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            found += [f"{path.name}: {cell!r}" for cell in row if cell[:1] in FORMULA_STARTS and not _is_number(cell)]
    return found


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check(case: dict[str, Any], command: str) -> None:
    with tempfile.TemporaryDirectory(prefix="planner-fuzz-") as tmp:
        root = Path(tmp)
        folder = root / "case"
        scenario = _write_case(case, folder)
        out = root / "runs" / "out"
        (root / "runs").mkdir()
        before = _snapshot(root, out)
        args = [sys.executable, "-m", "planner.cli", command, str(scenario), "--set", "solver.time_limit_s=1"]
        if command == "run":
            args += ["--out", str(out)]
        for item in case["sets"]:
            args += ["--set", item]
        try:
            r = subprocess.run(args, capture_output=True, text=True, cwd=folder, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"planner {command} hung for {RUN_TIMEOUT_S} s on {json.dumps(case, ensure_ascii=True)[:2000]}")
        text = r.stdout + r.stderr
        where = f"\ncase: {json.dumps(case, ensure_ascii=True)[:2000]}\noutput:\n{text[-3000:]}"
        assert r.returncode in DOCUMENTED, where
        if case["friendly"]:
            assert r.returncode == 0, where
        assert "Traceback" not in text and "internal error" not in text, where
        if case["path"] in ("fifo", "loop", "dangling", "folder", "device") or case["seed"] not in range(2**63):
            assert r.returncode == 2, where
        if r.returncode == 2:
            assert "error:" in r.stderr and "Fix:" in r.stderr, where
        if command == "run":
            if r.returncode == 2:
                assert not out.exists(), "a failed run left its output folder" + where
            elif r.returncode == 3:
                assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["diagnostics.json"], (
                    where
                )
            else:
                assert (out / "manifest.json").is_file(), where
                assert _live_formulas(out) == [], where
        after = _snapshot(root, out)
        assert after == before, f"entries outside the output folder changed: {set(after) ^ set(before)}" + where


#: always run, besides the generated examples: every kind of hostile text at once, GBK, a symlinked file
RICH_CASE: dict[str, Any] = {
    "cells": [
        (0, "name", '=HYPERLINK("http://evil.example","点我")'),
        (1, "owner", "=cmd|' /C calc'!A0"),
        (2, "name", "\t=1+1"),
        (3, "owner", "@SUM(A1:A2)"),
        (4, "name", "路灯\x1b[31m红\x07"),
        (5, "name", "+1+1"),
        (6, "owner", "-2+3"),
        (7, "name", "</script><img src=x onerror=alert(1)>"),
        (8, "name", "A" * 5000),
        (9, "owner", "\r=1+1"),
    ],
    "numbers": [],
    "areas": ["point", "zero_size"],
    "area_names": ["=1+2", "@area"],
    "boundary": "ok",
    "encoding": "gbk",
    "path": "symlink",
    "seed": 2**63 - 1,
    "sets": FRIENDLY_SETS[1],
    "friendly": True,
}


@pytest.mark.slow
@settings(max_examples=4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=hostile_case(friendly=True))
@example(case=RICH_CASE)
def test_fuzz_run_plans_despite_hostile_text(case: dict[str, Any]) -> None:
    _check(case, "run")


@pytest.mark.slow
@settings(max_examples=4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=hostile_case())
def test_fuzz_run_keeps_the_contract(case: dict[str, Any]) -> None:
    _check(case, "run")


@pytest.mark.slow
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=hostile_case())
def test_fuzz_validate_keeps_the_contract(case: dict[str, Any]) -> None:
    _check(case, "validate")


def test_fifo_candidates_exit_2_within_5_s(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    corpus.write_base(folder)
    (folder / "candidates.csv").unlink()
    os.mkfifo(folder / "candidates.csv")
    # a reader that opened the pipe would block for ever: the timeout is the hang detector (no timing asserted)
    r = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", str(folder / "scenario.toml"), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "named pipe (FIFO)" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
