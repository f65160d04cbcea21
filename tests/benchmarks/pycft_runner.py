"""Run AC-CFT (``pycft``) on one OR-Library set-cover file; executed by ``.venv-bench`` only.

Usage: ``.venv-bench/bin/python tests/benchmarks/pycft_runner.py FILE scp|rail SEED TIME_LIMIT_S OUT.json``
(FILE plain or compressed: ``.gz``, ``.bz2``, ``.xz``)

Never imported by the project (``pycft`` is not a project dependency). Reads the file with a
small parser of its own (same formats as :func:`planner.optimize.orlib.read_orlib`), adds
one set per column, runs ``SetCoverSolver.solve`` with its default parameters and writes the
cost, the lower bound, the wall and process-CPU seconds of the solve, and the selection.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import sys
import time
from pathlib import Path

from pycft import SetCoverSolver


def read_sets(path: Path, fmt: str) -> tuple[int, list[list[int]], list[float]]:
    """Rows, the rows of each column (0-based) and the column costs."""
    unpack = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}.get(path.suffix.lower())
    data = path.read_bytes()
    tok = [int(t) for t in (unpack(data) if unpack else data).split()]
    m, n = tok[0], tok[1]
    pos = 2
    sets: list[list[int]] = [[] for _ in range(n)]
    if fmt == "scp":
        cost = [float(c) for c in tok[pos:pos + n]]
        pos += n
        for i in range(m):
            k = tok[pos]
            for c in tok[pos + 1:pos + 1 + k]:
                sets[c - 1].append(i)
            pos += 1 + k
    else:
        cost = [0.0] * n
        for j in range(n):
            cost[j] = float(tok[pos])
            k = tok[pos + 1]
            sets[j] = [r - 1 for r in tok[pos + 2:pos + 2 + k]]
            pos += 2 + k
    return m, sets, cost


def main() -> None:
    path, fmt, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[5])
    seed, limit = int(sys.argv[3]), float(sys.argv[4])
    m, sets, cost = read_sets(path, fmt)
    solver = SetCoverSolver()
    # SetCoverSolver.add_set appends with Instance.add and then returns len(Instance.costs), which copies the
    # whole cost vector out of C++ on every call: loading n sets is quadratic (165,835 sets ~190 s, 1 M ~2 h,
    # all before solve). Its own Instance.add, called directly, is the same instance in O(1) a set; solve()
    # prepares it as after add_set. Costs and rows are checked here as add_set would.
    add = getattr(getattr(solver, "_instance", None), "add", None)
    if add is None:  # another pycft: its public method
        add = solver.add_set
    if any(c < 0 for c in cost) or any(r < 0 for rows in sets for r in rows):
        raise SystemExit(f"{path}: negative cost or row index")
    for rows, c in zip(sets, cost, strict=True):
        if rows:
            add(sorted(rows), c)
        else:  # an empty column can never help; keep the indices aligned
            add([0], c + 1e9)
    w0, c0 = time.perf_counter(), time.process_time()
    solver.solve(seed=seed, time_limit=limit, verbose=0)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    sol = solver.get_solution() or []
    out.write_text(json.dumps({"objective": solver.get_cost(), "bound": solver.get_lower_bound(), "wall_s": wall,
                               "cpu_s": cpu, "rows": m, "cols": len(cost), "selected": sorted(int(j) for j in sol)}))


if __name__ == "__main__":
    main()
