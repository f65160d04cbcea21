"""Reader for Beasley's OR-Library set-covering files (``scp*`` and ``rail*`` formats)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from planner.errors import InputDataError, Problem
from planner.optimize.problem import CoverageProblem


def read_orlib(path: str | Path, fmt: str = "auto") -> CoverageProblem:
    """Read an OR-Library set-covering instance as a pure-cover :class:`CoverageProblem`.

    Parameters
    ----------
    path : str or Path
        The instance file (whitespace-separated integers; line breaks carry no meaning).
    fmt : {"auto", "scp", "rail"}
        ``scp``: ``m n``, the ``n`` costs, then per row ``k_i`` and its ``k_i`` (1-based)
        columns. ``rail``: ``m n``, then per column ``c_j k_j`` and its ``k_j`` (1-based) rows.
        ``auto`` picks ``rail`` when the file name starts with "rail".

    Returns
    -------
    CoverageProblem
        One area with target 1, unit row weights, k = 1; costs as given.
    """
    path = Path(path)
    if fmt == "auto":
        fmt = "rail" if path.name.lower().startswith("rail") else "scp"
    try:
        tok = np.array(path.read_text().split(), dtype=np.int64)
    except (OSError, ValueError) as exc:
        raise InputDataError(
            Problem(f"cannot read OR-Library file: {exc}", str(path), fix="check the path and format")
        ) from exc
    if tok.size < 2:
        raise InputDataError(Problem("empty OR-Library file", str(path)))
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    try:
        if fmt == "scp":
            cost = tok[pos : pos + n].astype(np.float64)
            pos += n
            for i in range(m):
                k = int(tok[pos])
                c = tok[pos + 1 : pos + 1 + k] - 1
                if c.size != k:
                    raise IndexError
                pos += 1 + k
                rows.append(np.full(k, i, dtype=np.int64))
                cols.append(c)
        elif fmt == "rail":
            cost = np.zeros(n, dtype=np.float64)
            for j in range(n):
                cost[j] = tok[pos]
                k = int(tok[pos + 1])
                r = tok[pos + 2 : pos + 2 + k] - 1
                if r.size != k:
                    raise IndexError
                pos += 2 + k
                rows.append(r)
                cols.append(np.full(k, j, dtype=np.int64))
        else:
            raise InputDataError(Problem(f"unknown OR-Library format {fmt!r}", str(path), fix='use "scp" or "rail"'))
    except IndexError as exc:
        raise InputDataError(Problem("the file ends early", str(path), fix="check the format (scp or rail)")) from exc
    if pos != tok.size:
        raise InputDataError(
            Problem(
                f"{tok.size - pos} tokens left after parsing as {fmt}", str(path), fix="check the format (scp or rail)"
            )
        )
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    if r.size and (r.min() < 0 or r.max() >= m or c.min() < 0 or c.max() >= n):
        raise InputDataError(Problem("an index is out of range", str(path)))
    a = sp.csr_matrix((np.ones(r.size, dtype=np.int8), (r, c)), shape=(m, n))
    return CoverageProblem(
        a=a,
        cost=cost,
        row_weight=np.ones(m),
        row_area=np.zeros(m, np.int64),
        row_k=np.ones(m, np.int64),
        area_target=np.ones(1),
        area_names=[path.stem],
    )
