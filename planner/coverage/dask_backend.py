"""``compute.backend = "dask"``: the coverage matrix built as spatial tiles on a Dask cluster.

The candidates are split into square tiles of the grid (fixed by the scenario alone: the tile
side is :data:`TILE_SIDE_RADII` times the largest coverage radius, at least :data:`MIN_TILE_M`,
laid from the grid's origin; never by the number of workers). A tile's candidates can only reach
cells inside the tile widened by a halo of that largest radius (the ``dask.array.map_overlap``
pattern), and a site's CSR row depends on that site alone, so each tile is one Dask task that
runs :func:`planner.coverage.build.build_coverage` on its candidates. The grid, the demand mask,
the terrain and the per-site arrays are sent to the cluster once (``Client.scatter``), never per
task. The rows come back in tile order and are placed in candidate order, so the assembled CSR
is bit for bit the one :func:`~planner.coverage.build.build_coverage` builds on this machine
(``tests/test_dask_backend.py``).

``compute.scheduler = ""`` starts a :class:`distributed.LocalCluster` of worker processes on this
machine (``solver.workers`` of them, one thread each, no dashboard, bound to 127.0.0.1) and shuts
it down after the build; ``compute.scheduler = "tcp://host:port"`` connects to a running
scheduler (``dask scheduler`` + ``dask worker tcp://host:port``; the workers need this package
installed). A scheduler that cannot be reached is a :class:`~planner.errors.ScenarioError`
(exit 2) naming ``compute.scheduler`` within :data:`CONNECT_TIMEOUT_S`.

Memory (client side): the tiles' parts plus the assembled matrix, at most 2 × nnz × 8 bytes
(int32 cell index + float32 RSRP per site–cell pair) at the assembly's peak.
"""

from __future__ import annotations

import logging
import math
import socket
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import ArrayLike, NDArray

from planner.coverage.grid import Grid
from planner.coverage.matrix import CoverageMatrix
from planner.errors import Problem, ScenarioError
from planner.scenario import RadioConfig

if TYPE_CHECKING:
    from planner.coverage.terrain import Terrain

log = logging.getLogger(__name__)

#: tile side in multiples of the largest coverage radius (the halo): tiles whose halo is small
#: next to their side, so little of the grid is shared between neighbouring tasks
TILE_SIDE_RADII = 4.0
#: smallest tile side (m): a few tasks for a district, hundreds for a city
MIN_TILE_M = 1000.0
#: seconds allowed to reach an existing scheduler (TCP probe, then the client's handshake)
CONNECT_TIMEOUT_S = 5.0
_FIX = ('start a scheduler ("dask scheduler --port 8786" and "dask worker tcp://HOST:8786" on each machine), '
        'give its address as compute.scheduler = "tcp://HOST:8786", or set compute.scheduler = "" to start a '
        'local cluster on this machine')

Progress = Callable[[int, int], None]


def parse_scheduler(address: str) -> tuple[str, int]:
    """Host and port of ``compute.scheduler`` (``tcp://host:port``); ScenarioError otherwise."""
    parts = urlsplit(address.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None:
        raise ScenarioError(Problem(f"{address!r} is not a Dask scheduler address", "compute.scheduler",
                                    fix='give it as "tcp://HOST:PORT", e.g. compute.scheduler = "tcp://10.0.0.5:8786", '
                                        'or "" to start a local cluster'))
    return parts.hostname, port


def check_scheduler(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Refuse (exit 2, naming ``compute.scheduler``) a scheduler that does not accept a TCP connection.

    Called before the inputs are read, so an unreachable cluster is reported within seconds and
    nothing is computed or written.
    """
    host, port = parse_scheduler(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ScenarioError(Problem(f"cannot reach the Dask scheduler {address!r} ({exc.strerror or exc})",
                                    "compute.scheduler", fix=_FIX)) from None


def tile_keys(x: NDArray[np.float64], y: NDArray[np.float64], grid: Grid, tile_m: float) -> NDArray[np.int64]:
    """Row-major tile number of each site (tiles of ``tile_m`` metres from the grid's top-left corner)."""
    nx_t = max(1, math.ceil(grid.nx * grid.res / tile_m))
    ny_t = max(1, math.ceil(grid.ny * grid.res / tile_m))
    tx = np.clip(np.floor((x - grid.x0) / tile_m), 0, nx_t - 1).astype(np.int64)
    ty = np.clip(np.floor((grid.y0 - y) / tile_m), 0, ny_t - 1).astype(np.int64)  # row 0 is the north edge
    return ty * nx_t + tx


TileRows = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.integer[Any]], NDArray[np.float32], dict[str, Any]]


def _tile_task(sel: NDArray[np.int64], grid: Grid, sites: dict[str, Any], radio: RadioConfig,
               mask: NDArray[np.bool_] | None, terrain: Terrain | None) -> TileRows:
    """One tile on a worker: the CSR rows of the candidates ``sel`` (their cells, RSRP, counts)."""
    from planner.coverage.build import build_coverage

    az = sites["azimuths"]
    tilt = sites["tilt"]
    cov = build_coverage(grid, sites["x"][sel], sites["y"][sel], sites["h"][sel], sites["cls"][sel], radio,
                         cell_mask=mask, terrain=terrain,
                         site_azimuths=None if az is None else [az[i] for i in sel.tolist()],
                         site_tilt_deg=None if tilt is None else tilt[sel], cell_penetration_db=sites.get("pen"))
    return sel, np.diff(cov.indptr), cov.indices, cov.rsrp, cov.meta


def _client(scheduler: str, workers: int) -> tuple[Any, Any]:
    """A connected ``distributed.Client`` and the LocalCluster it owns (None for an existing scheduler)."""
    import distributed

    dist: Any = distributed  # untyped functions: called through Any under mypy --strict
    Client, LocalCluster = dist.Client, dist.LocalCluster
    if scheduler.strip():
        check_scheduler(scheduler)
        try:
            return Client(scheduler.strip(), timeout=CONNECT_TIMEOUT_S, set_as_default=False), None
        except (OSError, TimeoutError) as exc:
            raise ScenarioError(Problem(f"cannot connect to the Dask scheduler {scheduler!r} ({exc})",
                                        "compute.scheduler", fix=_FIX)) from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
    try:
        return Client(cluster, set_as_default=False), cluster
    except BaseException:
        cluster.close()
        raise


def _in_order(client: Any, futs: list[Any], label: str, progress: Progress | None) -> list[Any]:
    """The futures' results in submission order, gathered as they finish (progress: tasks done)."""
    import distributed

    as_completed: Any = distributed.as_completed
    results: list[Any] = [None] * len(futs)
    index = {f.key: i for i, f in enumerate(futs)}
    done = 0
    for fut in as_completed(futs, loop=client.loop):
        results[index[fut.key]] = fut.result()
        fut.release()
        done += 1
        log.info("%s (dask): %d/%d tile tasks done", label, done, len(futs))
        if progress is not None:
            progress(done, len(futs))
    return results


def tile_runner(scheduler: str, workers: int) -> Callable[[Sequence[dict[str, Any]], Progress | None], list[Any]]:
    """A ``run_tiles`` for :func:`planner.optimize.decompose.solve_decomposed`: each tile solve a Dask task.

    Every task carries its own tile model (sent once, to the worker that solves it); the results
    come back in tile order, so the stitched plan is the one of a sequential run. ``done(n, total)``
    is called as tasks finish (the solve's progress bar counts them).
    """
    def run(tasks: Sequence[dict[str, Any]], done: Progress | None = None) -> list[Any]:
        from planner.optimize.decompose import solve_tile

        client, cluster = _client(scheduler, workers)
        try:
            futs = [client.submit(solve_tile, t, key=f"solve-tile-{i}", pure=False) for i, t in enumerate(tasks)]
            return _in_order(client, futs, "solve", done)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return run


def build_coverage_dask(
    grid: Grid,
    x_m: ArrayLike,
    y_m: ArrayLike,
    h_m: ArrayLike,
    site_class: ArrayLike,
    radio: RadioConfig,
    cell_mask: NDArray[np.bool_] | None = None,
    terrain: Terrain | None = None,
    *,
    site_azimuths: Sequence[Sequence[float] | None] | None = None,
    site_tilt_deg: ArrayLike | None = None,
    cell_penetration_db: ArrayLike | None = None,
    scheduler: str = "",
    workers: int = 2,
    progress: Progress | None = None,
) -> CoverageMatrix:
    """:func:`~planner.coverage.build.build_coverage` run as spatial tiles on a Dask cluster.

    Parameters are those of ``build_coverage``, plus:

    scheduler : str
        ``""`` starts a LocalCluster of ``workers`` processes for this build; ``"tcp://host:port"``
        uses a running scheduler (its own workers).
    workers : int
        Worker processes of the LocalCluster (``solver.workers``). The tiles and the matrix do
        not depend on it.
    progress : callable(done, total), optional
        Called as tile tasks finish (also logged at INFO).

    Returns
    -------
    CoverageMatrix
        Bit for bit the local build's matrix; ``meta["backend"]`` records the tiles.
    """
    from planner.coverage.build import SITE_CLASSES, coverage_radii, site_arrays

    t_start = time.perf_counter()
    x, y, h, sc = site_arrays(x_m, y_m, h_m, site_class)
    n = x.size
    tilts = None if site_tilt_deg is None else np.asarray(site_tilt_deg, dtype=np.float64).ravel()
    # the halo: the largest radius of any candidate (the one the local build's radii use)
    pen = None if cell_penetration_db is None else np.asarray(cell_penetration_db, dtype=np.float64)
    radius = coverage_radii(h, sc, radio, terrain, cell_penetration_db=pen)  # per-class penetration: the lowest
    if radius.size and np.isfinite(radius).all():  # bad rows: the local build raises the same error below
        from planner._resources import check_coverage_memory

        mask_cells = grid.n_cells if cell_mask is None else int(np.asarray(cell_mask, dtype=np.bool_).sum())
        check_coverage_memory(radius, grid.res, grid.n_cells, mask_cells)  # refuse before any worker starts
    halo = float(radius.max()) if radius.size else 0.0
    tile_m = max(MIN_TILE_M, TILE_SIDE_RADII * halo)
    keys = tile_keys(x, y, grid, tile_m)
    order = np.argsort(keys, kind="stable")  # tile order, candidate order within a tile
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    tiles = np.split(order, bounds) if n else []
    sites = {"x": x, "y": y, "h": h, "cls": sc, "tilt": tilts, "pen": pen,
             "azimuths": None if site_azimuths is None else list(site_azimuths)}
    mask = None if cell_mask is None else np.asarray(cell_mask, dtype=np.bool_)
    client, cluster = _client(scheduler, workers)
    try:
        n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        # sent once, shared by every task (not pickled into each task's graph)
        g_f, s_f, r_f, m_f, t_f = client.scatter([grid, sites, radio, mask, terrain], broadcast=True)
        futs = [client.submit(_tile_task, sel, g_f, s_f, r_f, m_f, t_f, key=f"coverage-tile-{i}", pure=False)
                for i, sel in enumerate(tiles)]
        results = _in_order(client, futs, "coverage", progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return _assemble(grid, n, results, sc, {
        "name": "dask", "scheduler": scheduler.strip() or "LocalCluster (this machine)",
        "workers": n_workers, "tiles": len(tiles), "tile_m": round(tile_m, 2), "halo_m": round(halo, 2),
        "scatter": "grid, sites, radio, demand mask and terrain sent once (broadcast)",
        "wall_s": round(time.perf_counter() - t_start, 4)}, SITE_CLASSES)


def _assemble(grid: Grid, n: int, results: list[Any], sc: NDArray[np.str_], backend: dict[str, Any],
              classes: Sequence[str]) -> CoverageMatrix:
    """The candidate-ordered CSR from the tiles' rows (fixed order: bit-identical to the local build)."""
    counts = np.zeros(n, dtype=np.int64)
    for sel, cnt, *_ in results:
        counts[sel] = cnt
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    idx_dtype = results[0][2].dtype if results else (np.int32 if grid.n_cells < 2**31 - 1 else np.int64)
    indices = np.empty(nnz, dtype=idx_dtype)
    rsrp = np.empty(nnz, dtype=np.float32)
    chunks = dropped = 0
    meta: dict[str, Any] = dict(results[0][4]) if results else {}
    for k, (sel, cnt, idx, val, m) in enumerate(results):
        local = np.zeros(cnt.size + 1, dtype=np.int64)
        np.cumsum(cnt, out=local[1:])
        dest = np.repeat(indptr[sel] - local[:-1], cnt) + np.arange(int(local[-1]), dtype=np.int64)
        indices[dest] = idx
        rsrp[dest] = val
        chunks += int(m.get("chunks", 0))
        dropped += int(m.get("antenna", {}).get("pairs_dropped", 0))
        results[k] = None  # free the tile's part as soon as it is placed
    meta.update({
        "n_sites": int(n), "n_sites_by_class": {c: int((sc == c).sum()) for c in classes}, "nnz": nnz,
        "cells_per_site_mean": round(nnz / n, 2) if n else 0.0,
        "radius_m_max": backend["halo_m"], "chunks": chunks, "backend": backend,
        "timings_s": {"total_s": backend["wall_s"]},
    })
    if isinstance(meta.get("antenna"), dict) and "pairs_dropped" in meta["antenna"]:
        meta["antenna"] = {**meta["antenna"], "pairs_dropped": dropped}
    log.info("coverage (dask): %d sites, %d site-cell pairs from %d tiles in %.2f s", n, nnz, backend["tiles"],
             backend["wall_s"])
    return CoverageMatrix(grid, indptr, indices, rsrp, meta)
