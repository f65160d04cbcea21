"""Reader for Beasley's OR-Library set-covering files (``scp*`` and ``rail*`` formats)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.errors import InputDataError, Problem
from planner.optimize.problem import CoverageProblem

#: compressed instance files, read by suffix (the OR-Library distributes the large rail files as ``.gz``)
COMPRESSED: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.decompress,
    ".bz2": bz2.decompress,
    ".xz": lzma.decompress,
}
#: the entries of a file read in one format: row and column (0-based) of every nonzero, and the costs
_Entries = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


def _strip(name: str, suffixes: tuple[str, ...]) -> str:
    """``name`` without each of ``suffixes`` in turn (any case), never down to an empty name."""
    for suffix in suffixes:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def uncompressed_name(path: str | Path) -> str:
    """The file name without a compression suffix (``scp41.txt.gz`` → ``scp41.txt``)."""
    return _strip(Path(path).name, tuple(COMPRESSED))


def instance_name(path: str | Path) -> str:
    """The instance's name: the file name without a compression suffix and without ``.txt``
    (``rail4284.gz`` → ``rail4284``, ``scp41.txt`` → ``scp41``).
    """
    return _strip(uncompressed_name(path), (".txt",))


def read_orlib(path: str | Path, fmt: str = "auto") -> CoverageProblem:
    """Read an OR-Library set-covering instance as a pure-cover :class:`CoverageProblem`.

    Parameters
    ----------
    path : str or Path
        The instance file (whitespace-separated integers; line breaks carry no meaning), plain or
        compressed (``.gz``, ``.bz2``, ``.xz``, by suffix).
    fmt : {"auto", "scp", "rail"}
        ``scp``: ``m n``, the ``n`` costs, then per row ``k_i`` and its ``k_i`` (1-based)
        columns. ``rail``: ``m n``, then per column ``c_j k_j`` and its ``k_j`` (1-based) rows.
        ``auto`` reads ``rail`` when the instance name starts with "rail", ``scp`` when it starts
        with "scp", and the other format when the file does not parse as the name's; a file
        under another name is read as the one format it parses as (a tiny file can parse as
        both, to different models: that is an error asking for ``fmt``).

    Returns
    -------
    CoverageProblem
        One area with target 1, unit row weights, k = 1; costs as given.
    """
    return read_orlib_format(path, fmt)[0]


def read_orlib_format(path: str | Path, fmt: str = "auto") -> tuple[CoverageProblem, str]:
    """:func:`read_orlib` and the format the file was read as (``"scp"`` or ``"rail"``)."""
    path = Path(path)
    if fmt not in ("auto", "scp", "rail"):
        raise InputDataError(Problem(f"unknown OR-Library format {fmt!r}", str(path), fix='use "scp" or "rail"'))
    try:
        text = path.read_bytes()
        unpack = COMPRESSED.get(path.suffix.lower())
        if unpack is not None:
            text = unpack(text)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy warns (deprecation) instead of failing on a bad token
            tok = np.fromstring(text, dtype=np.int64, sep=" ")
    except (OSError, ValueError, EOFError, zlib.error, lzma.LZMAError, DeprecationWarning) as exc:
        raise InputDataError(
            Problem(f"cannot read OR-Library file: {exc}", str(path), fix="check the path and format")
        ) from exc
    del text
    if tok.size < 2:
        raise InputDataError(Problem("empty OR-Library file", str(path)))
    m, n = int(tok[0]), int(tok[1])
    if m < 0 or n < 0:
        raise InputDataError(
            Problem(
                f"negative size in the header: {m} rows, {n} columns",
                str(path),
                fix="the first two numbers are the row and column counts",
            )
        )
    if fmt == "auto":
        name = instance_name(path).lower()
        named = "rail" if name.startswith("rail") else "scp" if name.startswith("scp") else None
        order = ["scp", "rail"] if named in (None, "scp") else ["rail", "scp"]
    else:
        named, order = fmt, [fmt]
    read: dict[str, _Entries] = {}
    errors: list[InputDataError] = []
    for f in order:
        try:
            read[f] = _parse(tok, m, n, f, path)
        except InputDataError as exc:
            errors.append(exc)
        else:
            if named is not None:
                break  # the name's (or the given) format first, the other one only when it does not parse
    del tok  # ~100 MB at 1 M columns: free it before the matrix is built
    if not read:
        raise errors[0]
    if len(read) == 2:
        raise InputDataError(
            Problem("the file parses both as scp and as rail", str(path), fix='give fmt="scp" or fmt="rail"')
        )
    ((f, (r, c, cost)),) = read.items()
    a = sp.csr_matrix((np.ones(r.size, dtype=np.int8), (r, c)), shape=(m, n))
    del r, c
    problem = CoverageProblem(
        a=a,
        cost=cost,
        row_weight=np.ones(m),
        row_area=np.zeros(m, np.int64),
        row_k=np.ones(m, np.int64),
        area_target=np.ones(1),
        area_names=[instance_name(path)],
    )
    return problem, f


def _parse(tok: NDArray[np.int64], m: int, n: int, fmt: str, path: Path) -> _Entries:
    """The entries of the tokens ``tok`` (header ``m n`` included) read as ``fmt``."""
    ends_early = InputDataError(
        Problem(f"the file ends early (read as {fmt})", str(path), fix="check the format (scp or rail)")
    )
    # the records are variable-length: walk their heads (one per row / column), then gather by ragged ranges
    heads = _record_heads(tok, 2 + (n if fmt == "scp" else 0), m if fmt == "scp" else n, 1 if fmt == "scp" else 2)
    if heads is None:
        raise ends_early
    starts, lens, pos = heads
    if fmt == "scp":
        if tok.size < 2 + n:
            raise ends_early
        cost = tok[2 : 2 + n].astype(np.float64)
        r = np.repeat(np.arange(m, dtype=np.int64), lens)
        c = tok[_ragged(starts + 1, lens)] - 1
    else:
        cost = tok[starts].astype(np.float64)
        r = tok[_ragged(starts + 2, lens)] - 1
        c = np.repeat(np.arange(n, dtype=np.int64), lens)
    if pos != tok.size:
        raise InputDataError(
            Problem(
                f"{tok.size - pos} tokens left after parsing as {fmt}", str(path), fix="check the format (scp or rail)"
            )
        )
    if r.size and (r.min() < 0 or r.max() >= m or c.min() < 0 or c.max() >= n):
        raise InputDataError(Problem(f"an index is out of range (read as {fmt})", str(path)))
    if (cost < 0).any():
        j = int(np.argmax(cost < 0))
        raise InputDataError(
            Problem(f"column {j + 1} has a negative cost, {cost[j]:g}", str(path), fix="set-cover costs are >= 0")
        )
    return r, c, cost


def _record_heads(
    tok: NDArray[np.int64], pos: int, count: int, head: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], int] | None:
    """Positions and lengths of ``count`` records ``[head tokens, the last one a length L][L tokens]`` from
    ``pos``, and the position after them; None when the tokens end early or a length is negative.
    """
    size = int(tok.size)
    if pos + count * head > size:  # not even the heads fit (also keeps a wrong header from allocating)
        return None
    starts = np.empty(count, dtype=np.int64)
    lens = np.empty(count, dtype=np.int64)
    # numpy scalars, not tok.tolist(): 1.09 M records walk in 1.0 s, not 1.8 s, without +386 MB of Python ints
    for t in range(count):
        if pos + head > size:
            return None
        length = int(tok[pos + head - 1])
        if length < 0:
            return None
        starts[t] = pos
        lens[t] = length
        pos += head + length
    if pos > size:
        return None
    return starts, lens, pos


def _ragged(first: NDArray[np.int64], lens: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``range(first[t], first[t] + lens[t])`` over ``t``."""
    total = int(lens.sum())
    offs = np.repeat(first - (np.cumsum(lens) - lens), lens)
    out: NDArray[np.int64] = np.arange(total, dtype=np.int64) + offs
    return out
