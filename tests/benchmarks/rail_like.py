"""A generated set-cover instance shaped like the large OR-Library rail files (issue 12), for memory and time checks.

The OR-Library's rail2536 / rail2586 / rail4284 / rail4872 (Italian railways crew scheduling, Ceria,
Nobili & Sassano 1998) have 2,536–4,872 rows, 0.9–1.1 M columns of cost 1–3 and about 10 rows per
column (rail4284: 1,092,610 columns, 11.3 M nonzeros). They are not in ``../shared/data/orlib`` and
nothing may download at run time, so this module builds one of that shape from a seed: each column
is a duty that covers 2–16 trips (rows) drawn from a window of consecutive trips, its cost 1–3
growing with its length; one extra column per row guarantees a cover.

Usage: ``.venv/bin/python tests/benchmarks/rail_like.py ROWS COLS WORK_S OUT.json [ACFT_WALL_S]`` writes the
instance as a rail file in a temporary folder, reads it back with :func:`planner.optimize.read_orlib`, runs
:func:`planner.optimize._cft.cft_solve` on ``WORK_S`` seconds of work (``WORK_PER_S``) and writes the
read/solve wall and CPU seconds, the objective, the bound, the history of the cover (cost, wall s, CPU s)
and the peak RSS (MiB) to ``OUT.json``. With ``ACFT_WALL_S`` AC-CFT runs first on the same file
(``.venv-bench``, :mod:`tests.benchmarks.pycft_runner`, seed 0, killed after ``ACFT_WALL_S`` wall seconds as a
safety stop; its own limit is 300 s of solve): its objective, wall and
CPU seconds and peak RSS, and the engine's wall and CPU seconds to reach its objective: the engine then stops at
that objective (``stop_at``) or at 1.05 × the allowance (2 × AC-CFT's CPU seconds, floor 5 s) of CPU time, and
the verdict compares its CPU seconds with the allowance. ``CFT_SEED`` (environment) sets the engine's seed (0).
With ``stack BLOCKS`` in place of ``ROWS COLS`` the instance is :func:`rail_stack` of the rail files listed
(comma-separated) in the environment variable ``RAIL_STACK``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.optimize import read_orlib
from planner.optimize._cft import WORK_PER_S, cft_solve, warm_up_cft


def rail_like(m: int, n: int, seed: int = 0) -> tuple[sp.csc_matrix, np.ndarray]:
    """Incidence (``m × (n + m)``, int8, CSC) and costs of a rail-shaped instance (see the module docstring).

    Column ``j`` covers ``L_j ∈ [2, 16]`` rows ``s_j + g_1``, ``s_j + g_1 + g_2``, … with gaps
    ``g ∈ {1, 2, 3}`` (distinct rows inside a window of at most ``3 L_j``); cost ``clip((L_j + 4) // 6, 1, 3)``.
    Columns ``n … n + m − 1`` cover one row each at cost 3.
    """
    rng = np.random.default_rng(seed)
    length = rng.integers(2, 17, size=n)
    start = (rng.random(n) * (m - 3 * length)).astype(np.int64)
    total = int(length.sum())
    gaps = rng.integers(1, 4, size=total)
    cs = np.cumsum(gaps)
    first = np.cumsum(length) - length
    row = np.repeat(start - (cs[first] - gaps[first]), length) + cs
    col = np.repeat(np.arange(n, dtype=np.int64), length)
    cost = np.clip((length + 4) // 6, 1, 3).astype(np.float64)
    guard = np.arange(m, dtype=np.int64)
    a = sp.csc_matrix((np.ones(total + m, dtype=np.int8), (np.r_[row, guard], np.r_[col, n + guard])), shape=(m, n + m))
    return a, np.r_[cost, np.full(m, 3.0)]


def rail_stack(paths: list[Path], blocks: int, seed: int = 0) -> tuple[sp.csc_matrix, np.ndarray]:
    """A larger instance made of real rail blocks: block ``b`` is the file ``paths[b % len(paths)]`` with its rows
    shuffled, and, from the second use of a file on, 20 % of its columns dropped (a row left without any gets its
    first column back) and 3 % of its costs flipped between 1 and 2 (no two blocks alike). The blocks share no row
    (the optimum is the sum of theirs), but each keeps the real files' structure (costs 1–2, 5–12 rows a column,
    row degrees from 1 to ~9,000), which :func:`rail_like` does not have.
    """
    rng = np.random.default_rng(seed)
    mats: list[tuple[np.ndarray, np.ndarray, int]] = []
    costs: list[np.ndarray] = []
    m0 = 0
    for b in range(blocks):
        p = read_orlib(paths[b % len(paths)], fmt="rail")
        a = sp.csc_matrix(p.a)
        c = np.asarray(p.cost, dtype=np.float64).copy()
        perm = rng.permutation(a.shape[0])
        a = sp.csc_matrix(a[np.argsort(perm), :])
        if b >= len(paths):
            keep = rng.random(a.shape[1]) < 0.8
            lost = np.flatnonzero(np.asarray(a @ keep.astype(np.int32)).ravel() == 0)
            r = a.tocsr()
            keep[r.indices[r.indptr[lost]]] = True  # a row whose columns were all dropped gets its first one back
            a, c = sp.csc_matrix(a[:, keep]), c[keep]
            flip = (rng.random(c.size) < 0.03) & ((c == 1.0) | (c == 2.0))  # other costs (e.g. 3) stay as they are
            c[flip] = 3.0 - c[flip]
        coo = a.tocoo()
        mats.append((coo.row + m0, coo.col + sum(x.size for x in costs), a.shape[1]))
        costs.append(c)
        m0 += a.shape[0]
    rows = np.concatenate([r for r, _, _ in mats])
    cols = np.concatenate([q for _, q, _ in mats])
    n = sum(x.size for x in costs)
    out = sp.csc_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(m0, n))
    return out, np.concatenate(costs)


def write_rail(path: Path, a: sp.csc_matrix, cost: np.ndarray) -> None:
    """The OR-Library rail layout: ``m n``, then per column ``cost count rows…`` (1-based rows)."""
    a = sp.csc_matrix(a)
    a.sort_indices()
    counts = np.diff(a.indptr)
    with path.open("w") as f:
        f.write(f"{a.shape[0]} {a.shape[1]}\n")
        for j0 in range(0, a.shape[1], 100_000):  # in blocks: one string per column would not fit in memory
            j1 = min(j0 + 100_000, a.shape[1])
            rows = a.indices[a.indptr[j0]:a.indptr[j1]] + 1
            parts = np.split(rows, np.cumsum(counts[j0:j1])[:-1])
            f.write("".join(f"{int(cost[j])} {counts[j]} {' '.join(map(str, r.tolist()))}\n"
                            for j, r in zip(range(j0, j1), parts, strict=True)))


#: AC-CFT's own time limit (seconds of solve), as in the OR-Library comparisons
ACFT_LIMIT_S = 300.0


def run_acft(path: Path, wall_s: float, out: Path) -> dict[str, Any]:
    """AC-CFT on the rail file ``path`` in ``.venv-bench`` (seed 0, its own limit :data:`ACFT_LIMIT_S`; a subprocess
    killed after ``wall_s`` wall seconds, a safety stop that must exceed that limit plus the loading).
    """
    runner = Path(__file__).with_name("pycft_runner.py")
    bench_py = Path(__file__).resolve().parents[2] / ".venv-bench" / "bin" / "python"
    w0 = time.perf_counter()
    try:
        subprocess.run([str(bench_py), str(runner), str(path), "rail", "0", str(ACFT_LIMIT_S), str(out)], check=True,
                       capture_output=True, timeout=wall_s)
        res: dict[str, Any] = json.loads(out.read_text())
        res.pop("selected", None)
    except subprocess.TimeoutExpired:
        res = {"objective": None, "note": f"no result within {wall_s:g} s wall (killed)"}
    res["process_wall_s"] = round(time.perf_counter() - w0, 1)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["process_cpu_s"] = round(child.ru_utime + child.ru_stime, 1)
    res["peak_rss_mib"] = round(child.ru_maxrss / 1024, 1)
    return res


def main() -> None:
    work_s, out = float(sys.argv[3]), Path(sys.argv[4])
    acft_wall = float(sys.argv[5]) if len(sys.argv) > 5 else None
    if sys.argv[1] == "stack":  # stack BLOCKS: real rail files listed in RAIL_STACK (comma-separated paths)
        a, cost = rail_stack([Path(x) for x in os.environ["RAIL_STACK"].split(",")], int(sys.argv[2]))
    else:
        a, cost = rail_like(int(sys.argv[1]), int(sys.argv[2]), seed=0)
    m, n = a.shape
    res: dict[str, Any] = {"rows": m, "cols": n, "nnz": int(a.nnz)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"rail_like_{m}x{n}"
        write_rail(path, a, cost)
        del a, cost
        res["file_mb"] = round(path.stat().st_size / 2**20, 1)
        if acft_wall is not None:
            res["acft"] = run_acft(path, acft_wall, Path(tmp) / "acft.json")
        w0, c0 = time.perf_counter(), time.process_time()
        problem = read_orlib(path, fmt="rail")
        res["read_wall_s"], res["read_cpu_s"] = round(time.perf_counter() - w0, 2), round(time.process_time() - c0, 2)
    res["rss_before_solve_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    warm_up_cft()  # compile outside the timing, the large and huge paths' kernels included
    cft_solve(problem.a[:, :2000], problem.cost[:2000], work_limit=1_000_000)
    target = res.get("acft", {}).get("objective")
    allowance = None if target is None else 2.0 * max(float(res["acft"]["cpu_s"]), 2.5)
    w0, c0 = time.perf_counter(), time.process_time()
    eng = cft_solve(problem.a, problem.cost, problem.row_k, work_limit=int(work_s * WORK_PER_S),
                    seed=int(os.environ.get("CFT_SEED", "0")), stop_at=target,
                    cpu_limit_s=None if allowance is None else 1.05 * allowance)
    res.update({"solve_wall_s": round(time.perf_counter() - w0, 2), "solve_cpu_s": round(time.process_time() - c0, 2),
                "objective": eng.objective, "bound": eng.bound, "work": eng.work, "passes": eng.stats["passes"],
                "first_cover_s": eng.stats["history"][0][2] if eng.stats["history"] else -1.0,
                "history": [(h[1], h[2], h[3]) for h in eng.stats["history"]],
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    if target is not None and allowance is not None:
        reached = next(((w, c) for _, v, w, c in eng.stats["history"] if v <= target + 1e-9), None)
        res["to_acft_objective_s"] = reached
        res["allowance_cpu_s"] = allowance
        res["verdict"] = "met" if reached is not None and reached[1] <= allowance else "not met"
    res["load_1min"] = float(Path("/proc/loadavg").read_text().split()[0]) if Path("/proc/loadavg").exists() else None
    out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
