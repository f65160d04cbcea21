"""Coverage engine benchmark (``make bench``; not part of ``make test``).

Synthetic 10 km × 10 km area at 10 m (1,000,000 cells) with 20,000 candidates (2,000 macro on
25–40 m towers, 18,000 micro on 6–12 m poles), n78 defaults. Measures, in one run:

(a) build time and peak memory, LOS off (expected loss under the LOS probability) and on
    (a synthetic DSM: rolling DEM + 6-cell building blocks separated by streets);
(b) the ratio against a straightforward numpy/scipy baseline: cKDTree ``query_ball_point`` on
    the cell centres plus vectorised numpy path loss per site (timed on a subset of sites and
    extrapolated linearly);
(c) the ratio against a spopt-style dense ``scipy.spatial.distance.cdist`` + radius threshold on
    an instance the dense matrix can hold;
(d) cells evaluated per second per core;
(e) a demo-sized build (96 km² at 20 m, 30,000 candidates) in a fresh process with an empty
    numba cache, i.e. including compilation.

The results are printed and written into the "Coverage engine" section of BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from kernels.coverage import bbox_sizes
from planner.coverage import Grid, Terrain, build_coverage
from planner.radio import link_budget
from planner.scenario import RadioConfig

REPO = Path(__file__).resolve().parents[2]
N_SITES = 20_000
N_MACRO = 2_000
RES = 10.0
SIDE = 10_000.0
X0, Y0 = 500_000.0, 3_390_000.0
C_BP = 3.0e8


def make_instance(
    n_sites: int = N_SITES, n_macro: int = N_MACRO, res: float = RES, side: float = SIDE, seed: int = 7
) -> tuple[Grid, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = int(side / res)
    grid = Grid(X0, Y0, res, n, n, "EPSG:4547")
    rng = np.random.default_rng(seed)
    x = rng.uniform(X0, X0 + side, n_sites)
    y = rng.uniform(Y0 - side, Y0, n_sites)
    h = np.concatenate([rng.uniform(25, 40, n_macro), rng.uniform(6, 12, n_sites - n_macro)])
    sc = np.array(["macro"] * n_macro + ["micro"] * (n_sites - n_macro))
    return grid, x, y, h, sc


def make_terrain(grid: Grid, seed: int = 11) -> Terrain:
    """Rolling DEM (±8 m) and 60 m building blocks (35 % built, 6–45 m) between 30 m streets."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : grid.ny, 0 : grid.nx]
    dem = (20 + 8 * np.sin(xx / 150.0) * np.cos(yy / 210.0)).astype(np.float32)
    blocks = rng.random((grid.ny // 6 + 1, grid.nx // 6 + 1)) < 0.35
    heights = rng.uniform(6, 45, blocks.shape) * blocks
    bld = np.kron(heights, np.ones((6, 6)))[: grid.ny, : grid.nx].astype(np.float32)
    bld[(xx % 12 < 3) | (yy % 12 < 3)] = 0.0
    return Terrain(grid, dem, bld)


# ---------------------------------------------------------------- numpy baseline (b), (c)


def np_pl(model: str, fc: float, d2d: np.ndarray, hbs: float, hut: float, los: bool) -> np.ndarray:
    """Vectorised numpy TR 38.901 UMa / UMi path loss (what a straightforward tool would write)."""
    d2 = np.maximum(d2d, 10.0)
    d3 = np.sqrt(d2 * d2 + (hbs - hut) ** 2)
    lf = 20 * np.log10(fc)
    dbp = 4 * (hbs - 1) * (hut - 1) * fc * 1e9 / C_BP
    if model == "uma":
        pl_los = np.where(
            d2 <= dbp,
            28 + 22 * np.log10(d3) + lf,
            28 + 40 * np.log10(d3) + lf - 9 * np.log10(dbp**2 + (hbs - hut) ** 2),
        )
        nlos = 13.54 + 39.08 * np.log10(d3) + lf - 0.6 * (hut - 1.5)
    else:
        pl_los = np.where(
            d2 <= dbp,
            32.4 + 21 * np.log10(d3) + lf,
            32.4 + 40 * np.log10(d3) + lf - 9.5 * np.log10(dbp**2 + (hbs - hut) ** 2),
        )
        nlos = 22.4 + 35.3 * np.log10(d3) + 21.3 * np.log10(fc) - 0.3 * (hut - 1.5)
    return pl_los if los else np.maximum(pl_los, nlos)


def np_plos(model: str, d: np.ndarray) -> np.ndarray:
    dd = np.maximum(d, 1e-9)
    k = 63.0 if model == "uma" else 36.0
    return np.where(d <= 18, 1.0, 18 / dd + np.exp(-dd / k) * (1 - 18 / dd))


def baseline_kdtree(
    grid: Grid,
    x: np.ndarray,
    y: np.ndarray,
    h: np.ndarray,
    sc: np.ndarray,
    radio: RadioConfig,
    radii: np.ndarray,
    tree: cKDTree,
) -> int:
    links = {c: link_budget(radio, c) for c in ("macro", "micro")}
    nnz = 0
    for s in range(x.size):
        lb = links[str(sc[s])]
        idx = np.asarray(tree.query_ball_point([x[s], y[s]], radii[s]), dtype=np.int64)
        cx = grid.x0 + (idx % grid.nx + 0.5) * grid.res
        cy = grid.y0 - (idx // grid.nx + 0.5) * grid.res
        d = np.hypot(cx - x[s], cy - y[s])
        p = np_plos(lb.model, d)
        loss = p * (np_pl(lb.model, lb.fc_ghz, d, h[s], 1.5, True) + lb.shadow_margin_los_db) + (1 - p) * (
            np_pl(lb.model, lb.fc_ghz, d, h[s], 1.5, False) + lb.shadow_margin_nlos_db
        )
        rsrp = (lb.budget_db - loss).astype(np.float32)
        keep = rsrp >= radio.threshold_dbm
        order = np.argsort(idx[keep])
        nnz += int(keep.sum())
        _ = idx[keep][order], rsrp[keep][order]
    return nnz


# ---------------------------------------------------------------- helpers


def timed(fn: Any) -> tuple[Any, float, float, float]:
    """(result, wall s, CPU s, tracemalloc peak MiB)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, wall, cpu, peak / 2**20


def best_of(n: int, fn: Any) -> float:
    """Shortest wall time (s) of ``n`` calls (the usual timeit practice on a shared machine)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


COLD_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
sys.path.insert(0, {repo!r})
from tests.benchmarks.test_bench_coverage import make_instance
from planner.coverage import build_coverage
from planner.scenario import RadioConfig
t_import = time.perf_counter() - t0
grid, x, y, h, sc = make_instance(n_sites=30_000, n_macro=300, res=20.0, side=9_800.0)
radio = RadioConfig(antenna="omni", los="probability")
mask = np.ones((grid.ny, grid.nx), bool)
t1 = time.perf_counter()
cov = build_coverage(grid, x, y, h, sc, radio, mask)
t_cold = time.perf_counter() - t1
t2 = time.perf_counter()
cov = build_coverage(grid, x, y, h, sc, radio, mask)
t_warm = time.perf_counter() - t2
print(json.dumps({{"cells": grid.n_cells, "sites": 30000, "import_s": t_import, "cold_s": t_cold,
                  "warm_s": t_warm, "nnz": cov.nnz}}))
"""


def run_cold_demo() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = subprocess.run(
            [sys.executable, "-c", COLD_SCRIPT.format(repo=str(REPO))],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=str(REPO),
        )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def write_section(text: str) -> None:
    path = REPO / "BENCHMARKS.md"
    doc = path.read_text(encoding="utf-8")
    head = "## Coverage engine (issue 3)\n"
    start = doc.index(head) + len(head)
    nxt = doc.find("\n## ", start)
    end = len(doc) if nxt < 0 else nxt + 1
    path.write_text(doc[:start] + "\n" + text.rstrip() + "\n\n" + doc[end:], encoding="utf-8")


# ---------------------------------------------------------------- the benchmark


@pytest.mark.timeout(1800)
def test_bench_coverage() -> None:
    load0 = os.getloadavg()[0]
    # the engine as issue 3 measured it: omni sites, expected loss under the LOS probability (the
    # defaults are 3-sector macros and the mixture quantile since issue 15: tests/benchmarks/test_bench_sectors.py)
    radio = RadioConfig(antenna="omni", los="probability")
    grid, x, y, h, sc = make_instance()
    mask = np.ones((grid.ny, grid.nx), dtype=bool)
    # warm-up on a tiny instance (compilation is measured separately in (e))
    build_coverage(grid, x[:20], y[:20], h[:20], sc[:20], radio, mask)
    terrain = make_terrain(grid)
    build_coverage(grid, x[:5], y[:5], h[:5], sc[:5], radio, mask, terrain)

    # (a) LOS off / on
    cov, wall_first, cpu_off, peak_off = timed(lambda: build_coverage(grid, x, y, h, sc, radio, mask))
    meta_off = cov.meta
    wall_off = min(wall_first, best_of(2, lambda: build_coverage(grid, x, y, h, sc, radio, mask)))
    radius = np.empty(x.size)
    for c in ("macro", "micro"):
        lb = link_budget(radio, c)
        sel = sc == c
        uh, inv = np.unique(h[sel], return_inverse=True)
        radius[sel] = np.array([lb.max_radius_m(v) for v in uh])[inv]
    scanned_off = int(bbox_sizes(x, y, radius, grid.x0, grid.y0, grid.res, grid.nx, grid.ny).sum())
    nnz_off = cov.nnz
    out_mib = (cov.indices.nbytes + cov.rsrp.nbytes + cov.indptr.nbytes) / 2**20
    del cov
    cov_t, wall_on, cpu_on, peak_on = timed(lambda: build_coverage(grid, x, y, h, sc, radio, mask, terrain))
    meta_on = cov_t.meta
    nnz_on = cov_t.nnz
    del cov_t
    rss_after_engine = maxrss_mib()

    # (b) cKDTree + numpy baseline on a subset, extrapolated linearly
    cx, cy = grid.cell_centres()
    pts = np.column_stack([cx, cy])
    t0 = time.perf_counter()
    tree = cKDTree(pts)
    t_tree_first = time.perf_counter() - t0
    t_tree = min(t_tree_first, best_of(2, lambda: cKDTree(pts)))
    del cx, cy
    rng = np.random.default_rng(3)
    sub = np.sort(rng.choice(x.size, 1000, replace=False))
    t0 = time.perf_counter()
    nnz_sub = baseline_kdtree(grid, x[sub], y[sub], h[sub], sc[sub], radio, radius[sub], tree)
    t_sub_first = time.perf_counter() - t0
    t_sub = min(
        t_sub_first,
        best_of(2, lambda: baseline_kdtree(grid, x[sub], y[sub], h[sub], sc[sub], radio, radius[sub], tree)),
    )
    base_full = t_tree + t_sub * x.size / sub.size
    base_first = t_tree_first + t_sub_first * x.size / sub.size
    sub_cov = build_coverage(grid, x[sub], y[sub], h[sub], sc[sub], radio, mask)
    assert abs(sub_cov.nnz - nnz_sub) <= max(5, 1e-5 * nnz_sub)  # same physics (float32 edge rounding aside)

    # (c) spopt-style dense cdist + threshold: 2,000 candidates × 40,000 cells (4 km² at 10 m)
    gd, xd, yd, hd, scd = make_instance(n_sites=2_000, n_macro=200, res=10.0, side=2_000.0, seed=5)
    md = np.ones((gd.ny, gd.nx), bool)
    rd = np.where(
        scd == "macro", link_budget(radio, "macro").max_radius_m(30.0), link_budget(radio, "micro").max_radius_m(10.0)
    )

    def dense() -> int:
        gx, gy = gd.cell_centres()
        dmat = cdist(np.column_stack([xd, yd]), np.column_stack([gx, gy]))
        a = dmat <= rd[:, None]
        return int(a.sum())

    _, t_dense_first, _, peak_dense = timed(dense)
    t_dense = min(t_dense_first, best_of(2, dense))
    t0 = time.perf_counter()
    build_coverage(gd, xd, yd, hd, scd, radio, md)
    t_ours_dense_first = time.perf_counter() - t0
    t_ours_dense = min(t_ours_dense_first, best_of(2, lambda: build_coverage(gd, xd, yd, hd, scd, radio, md)))

    # (e) demo size, fresh process, empty numba cache
    cold = run_cold_demo()

    ratio_b = base_full / wall_off
    ratio_c = t_dense / t_ours_dense
    ratio_b_first = base_first / wall_first
    ratio_c_first = t_dense_first / t_ours_dense_first
    rate_scan = scanned_off / cpu_off
    rate_pairs = nnz_off / cpu_off
    rate_los = meta_on["nnz"] / cpu_on
    lines = [
        "Measured by `make bench` (this part alone: `.venv/bin/python -m pytest -q "
        "tests/benchmarks/test_bench_coverage.py "
        f'-p no:cacheprovider -o addopts="" -s`) on {time.strftime("%Y-%m-%d")}, '
        f"Python {platform.python_version()}, {os.cpu_count()} vCPUs shared with other work (about one core of "
        "throughput); numba kernels run single-threaded (no `prange`), so wall time ≈ CPU time of one core. "
        f"Other engineers' jobs ran concurrently (1-min load average {load0:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} "
        "at the end), so repeated runs vary by ±30 % or more; ratios are measured in the same run, each side the "
        "best of 3 timings.",
        "",
        f"Instance: synthetic 10 km × 10 km at 10 m = {grid.n_cells:,} cells, {N_SITES:,} candidates "
        f"({N_MACRO:,} macro UMa on 25–40 m, {N_SITES - N_MACRO:,} micro UMi on 6–12 m), n78 defaults "
        f"(threshold {radio.threshold_dbm:g} dBm, penetration {radio.penetration_loss_db:g} dB, edge probability "
        f"{radio.edge_probability:g}).",
        "",
        '| | LOS off (expected loss, `radio.los = "probability"`) | LOS on (DSM ray-march) |',
        "|---|---|---|",
        f"| (a) build time (LOS off: best of 3, the first {wall_first:.2f} s; LOS on: one run) | **{wall_off:.2f} "
        f"s** | **{wall_on:.1f} s** |",
        f"| site–cell pairs kept | {nnz_off:,} | {nnz_on:,} |",
        f"| peak traced memory during the build (tracemalloc: numpy + Python allocations) | {peak_off:.0f} MiB | "
        f"{peak_on:.0f} MiB |",
        f"| CSR output (int64 indptr + int32 indices + float32 RSRP) | {out_mib:.0f} MiB | |",
        f"| kernel phases (radius / count / fill) | {meta_off['timings_s']['radius_s']:.2f} / "
        f"{meta_off['timings_s']['count_s']:.2f} / "
        f"{meta_off['timings_s']['fill_s']:.2f} s | {meta_on['timings_s']['radius_s']:.2f} / "
        f"{meta_on['timings_s']['count_s']:.1f} / "
        f"{meta_on['timings_s']['fill_s']:.2f} s ({meta_on['chunks']} chunks) |",
        "",
        f"Process peak resident memory after both builds (getrusage ru_maxrss, whole process incl. the 1 M-cell DSM "
        f"and numba): **{rss_after_engine:.0f} MiB** (limit 2 GB).",
        "",
        f"(b) cKDTree baseline: tree over the 1 M cell centres {t_tree:.2f} s, then `query_ball_point` + numpy "
        f"path loss for {sub.size:,} random sites {t_sub:.2f} s (same {nnz_sub:,} pairs as the kernel), "
        f"extrapolated linearly to {N_SITES:,} sites: {base_full:.1f} s → **the kernel is {ratio_b:.1f}× faster** "
        f"(target ≥ 10×: {'met' if ratio_b >= 10 else 'not met'}); first calls only (fresh memory on both sides): "
        f"{base_first:.1f} s vs {wall_first:.2f} s, **{ratio_b_first:.1f}×** "
        f"({'met' if ratio_b_first >= 10 else 'not met'}). "
        f"Per site-cell pair the baseline spends {t_sub / max(nnz_sub, 1) * 1e9:.0f} ns, the whole build "
        f"{wall_off / max(nnz_off, 1) * 1e9:.1f} ns and its fill pass "
        f"{meta_off['timings_s']['fill_s'] / max(nnz_off, 1) * 1e9:.1f} ns: "
        "one logarithm, one square root and one exponential per kept cell (the LOS probability) in float64, in a loop "
        "over the site's cells that LLVM runs on SIMD lanes (branch-free fdlibm log / exp of `kernels/_vmath.py`, "
        "within 1 ulp of the C library's).",
        "",
        f"(c) spopt-style dense `cdist` + radius threshold on 2,000 candidates × {gd.n_cells:,} cells "
        f"(4 km²; a {2_000 * gd.n_cells * 8 / 2**20:.0f} MiB float64 matrix, traced peak {peak_dense:.0f} MiB). "
        f"First calls (what one planning run pays; the dense side maps its matrix's fresh pages): "
        f"{t_dense_first:.2f} s vs our kernel, with full RSRP, {t_ours_dense_first:.4f} s → **{ratio_c_first:.0f}× "
        f"faster** (target ≥ 20×: {'met' if ratio_c_first >= 20 else 'not met'}). Best of 3 (memory recycled): "
        f"{t_dense:.2f} s vs {t_ours_dense:.4f} s, **{ratio_c:.0f}×** ({'met' if ratio_c >= 20 else 'not met'}). The "
        "dense "
        f"cost grows with candidates × cells: at {t_dense / (2_000 * gd.n_cells) * 1e9:.1f} ns per entry the "
        f"1 M-cell, 20,000-candidate instance would need a {N_SITES * grid.n_cells * 8 / 2**30:.0f} GiB matrix and "
        f"≈ {t_dense / (2_000 * gd.n_cells) * N_SITES * grid.n_cells:.0f} s, against {wall_off:.2f} s here.",
        "",
        f"(d) per core, LOS off: the whole build {rate_scan / 1e6:,.0f} M bounding-box cells/s and "
        f"{rate_pairs / 1e6:.1f} M covered cells with RSRP/s; its first pass alone (per row, the span of cells within "
        "the inverted radius, then the demand mask summed over it) "
        f"{scanned_off / max(meta_off['timings_s']['count_s'], 1e-9) / 1e6:,.0f} M "
        f"cells/s. LOS on: {rate_los / 1e6:.2f} M ray-marched covered cells/s.",
        "",
        f"(e) demo size ({cold['cells']:,} cells at 20 m, {cold['sites']:,} candidates), fresh process, empty "
        f"numba cache: import {cold['import_s']:.1f} s, first build incl. compilation **{cold['cold_s']:.1f} s**, "
        f"second build {cold['warm_s']:.2f} s.",
    ]
    text = "\n".join(lines)
    print("\n" + text)
    write_section(text)
    assert rss_after_engine < 2048
    assert sub_cov.nnz > 0 and nnz_off > 0
