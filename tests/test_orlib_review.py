"""Review tests of :func:`planner.optimize.read_orlib` on layouts of OR-Library files we have not seen (issue 12).

The acceptance runs "instances you have not seen" (the rail2536–4872 and scpnr files) through the same reader.
Files from other mirrors differ in layout only: CRLF line ends, tabs, trailing blanks, no final newline, a
record wrapped over several lines (the scp files wrap their cost and row lists at 12 numbers a line) or several
records on one line. Each must give the same matrix and costs as the plain layout, in both formats. A file with a
row that no column covers is read as it is (the instance is infeasible) and the engine says so.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from planner.errors import InputDataError
from planner.optimize import read_orlib
from planner.optimize._cft import cft_solve
from planner.optimize.orlib import instance_name, read_orlib_format

#: rows {1, 2}, {3}, {2, 4, 3} (1-based columns), costs 2 1 3 5
SCP = "3 4\n2 1 3 5\n2 1 2\n1 3\n3 2 4 3\n"
#: the same instance per column: cost, count, rows
RAIL = "3 4\n2 1 1\n1 2 1 3\n3 2 2 3\n5 1 3\n"
DENSE = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 1, 1]])


def _layouts(text: str) -> dict[str, bytes]:
    """The same tokens in the layouts other mirrors use."""
    toks = text.split()
    return {
        "plain": text.encode(),
        "crlf": text.replace("\n", "\r\n").encode(),
        "tabs": text.replace(" ", "\t").encode(),
        "trailing_blanks": (text.replace("\n", "  \n") + "\n \n\n").encode(),
        "no_final_newline": text.rstrip("\n").encode(),
        "one_token_a_line": "\n".join(toks).encode(),
        "one_line": " ".join(toks).encode(),
        "leading_blank_lines": ("\n\n  " + text).encode(),
    }


@pytest.mark.parametrize("fmt", ["scp", "rail"])
def test_layouts_read_the_same(tmp_path: Path, fmt: str) -> None:
    """Every layout of both formats gives the same matrix and costs (format picked from the file name)."""
    text = SCP if fmt == "scp" else RAIL
    for name, data in _layouts(text).items():
        path = tmp_path / (f"{fmt}_{name}.txt" if fmt == "scp" else f"RAIL_{name}")  # rail detection ignores case
        path.write_bytes(data)
        p = read_orlib(path)
        np.testing.assert_array_equal(p.a.toarray(), DENSE, err_msg=name)
        np.testing.assert_array_equal(p.cost, [2, 1, 3, 5], err_msg=name)


def test_format_given_explicitly(tmp_path: Path) -> None:
    """A rail file under a neutral name reads with ``fmt="rail"`` and with ``auto`` (which falls back to
    the other format when the name's guess does not parse); as scp it fails with a message, not a model.
    """
    path = tmp_path / "inst.txt"
    path.write_text(RAIL)
    np.testing.assert_array_equal(read_orlib(path, fmt="rail").a.toarray(), DENSE)
    problem, fmt = read_orlib_format(path)
    assert fmt == "rail"
    np.testing.assert_array_equal(problem.a.toarray(), DENSE)
    with pytest.raises(InputDataError, match="scp"):
        read_orlib(path, fmt="scp")
    scp = tmp_path / "rail_named_but_scp.txt"  # and the other way round
    scp.write_text(SCP)
    assert read_orlib_format(scp)[1] == "scp"
    np.testing.assert_array_equal(read_orlib(scp).a.toarray(), DENSE)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_files(tmp_path: Path, suffix: str) -> None:
    """The OR-Library ships the large rail files gzipped: a compressed file reads as the plain one, its
    instance name without the suffixes; a corrupt one is an input error naming the file.
    """
    packers: dict[str, Callable[[bytes], bytes]] = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}
    pack = packers[suffix]
    path = tmp_path / f"rail9{suffix}"
    path.write_bytes(pack(RAIL.encode()))
    problem = read_orlib(path)
    np.testing.assert_array_equal(problem.a.toarray(), DENSE)
    np.testing.assert_array_equal(problem.cost, [2, 1, 3, 5])
    assert problem.area_names == ["rail9"] and instance_name(tmp_path / f"scp41.txt{suffix}") == "scp41"
    bad = tmp_path / f"scp9.txt{suffix}"
    bad.write_bytes(b"not compressed at all")
    with pytest.raises(InputDataError, match="scp9"):
        read_orlib(bad)
    cut = tmp_path / f"scp8.txt{suffix}"  # a valid header, then a corrupt or missing body
    body = bytearray(pack(SCP.encode() * 50))
    body[10] ^= 0xFF  # the first byte of the compressed data: gzip raises zlib.error, bz2 OSError, xz LZMAError
    cut.write_bytes(bytes(body))
    with pytest.raises(InputDataError, match="scp8"):
        read_orlib(cut)


def test_neutral_name_that_parses_both_ways(tmp_path: Path) -> None:
    """A tiny file that parses both as scp and as rail: under a neutral name ``auto`` refuses to guess;
    under a rail name it reads as rail, with ``fmt`` given as that format.
    """
    ambiguous = "2 2\n1 1\n1 1\n1 2\n"  # scp: costs 1 1, rows {1}, {2}; rail: cols (1; {1}), (1; {2})
    path = tmp_path / "inst.txt"
    path.write_text(ambiguous)
    with pytest.raises(InputDataError, match="both"):
        read_orlib(path)
    np.testing.assert_array_equal(read_orlib(path, fmt="scp").a.toarray(), [[1, 0], [0, 1]])
    named = tmp_path / "rail_x.txt"
    named.write_text(ambiguous)
    assert read_orlib_format(named)[1] == "rail"


@pytest.mark.parametrize("fmt", ["scp", "rail"])
def test_uncovered_row_reads_and_engine_says_infeasible(tmp_path: Path, fmt: str) -> None:
    """A row no column covers (scp: count 0; rail: a row no column lists) is kept; the engine reports infeasible."""
    text = "3 4\n2 1 3 5\n2 1 2\n0\n3 2 4 3\n" if fmt == "scp" else "3 4\n2 1 1\n1 1 1\n3 1 3\n5 1 3\n"
    path = tmp_path / (f"{fmt}_uncov.txt" if fmt == "scp" else "rail_uncov")
    path.write_text(text)
    p = read_orlib(path)
    assert p.n_rows == 3 and p.n_cols == 4
    assert np.asarray(p.a.sum(axis=1)).ravel()[1] == 0
    res = cft_solve(p.a, p.cost, p.row_k, work_limit=100_000, seed=0)
    assert not res.feasible and res.stats["infeasible_rows"] == 1
    assert not res.selected.any() and res.objective == np.inf


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("3", "empty"),
        ("3 4\n2 1 3 5\n2 1 2\n1 3\n3 2 4", "ends early"),
        ("3 4\n2 1 3 5\n2 1 2\n1 3\n3 2 4 3\n3\n", "left"),
        ("3 4\n2 1 3 5.0\n2 1 2\n1 3\n3 2 4 3\n", "cannot read"),
        ("\ufeff" + SCP, "cannot read"),
        ("3 4\n2 1 3 5\n2 1 2\n1 0\n3 2 4 3\n", "range"),
        ("-3 4\n2 1 3 5\n", "negative size"),
        ("3 -4\n2 1 3 5\n", "negative size"),
        ("3000000000000 4\n2 1 3 5\n", "ends early"),  # a wrong header: no 24 TB of record heads allocated
        ("3 4\n2 1 -3 5\n2 1 2\n1 3\n3 2 4 3\n", "column 3 has a negative cost"),
    ],
)
def test_bad_files_name_the_fault(tmp_path: Path, text: str, words: str) -> None:
    """A short, long, non-integer, BOM-marked, out-of-range or negative-header file: an error naming fault and file."""
    path = tmp_path / "scp_bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputDataError, match=words) as err:
        read_orlib(path)
    assert "scp_bad.txt" in str(err.value)
