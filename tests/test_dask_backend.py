"""``compute.backend = "dask"``: the same coverage matrix and the same plan as the local build.

A real ``dask scheduler`` and two ``dask worker`` processes of this venv are started on
127.0.0.1 (a free port, no dashboard) for the module and always killed at its end. The runs go
through the ``planner`` CLI in subprocesses (a LocalCluster spawns its workers from the main
module, which must be a script). Timings are never asserted except the 10 s an unreachable
scheduler may take to be refused (issue 14's acceptance).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import write_tiny_inputs

VENV_BIN = Path(sys.executable).parent
PLANNER = [sys.executable, "-m", "planner.cli"] if not (VENV_BIN / "planner").exists() else [str(VENV_BIN / "planner")]
DASK = VENV_BIN / "dask"
REPO = Path(__file__).resolve().parents[1]

SCENARIO = """
[scenario]
name = "dask backend test"
seed = 11

[inputs]
boundary = "boundary.geojson"
candidates = "candidates.gpkg"
priority_areas = "priority_areas.gpkg"

[grid]
resolution_m = 25

[solver]
time_limit_s = 3
workers = 2
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(scenario: Path, out: Path, *sets: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    args = [*PLANNER, "run", str(scenario), "--out", str(out), "-q"]
    for s in sets:
        args += ["--set", s]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=scenario.parent)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dask_scn")
    write_tiny_inputs(folder, n_lamps=120, seed=5)
    path = folder / "scenario.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_sites(scenario: Path) -> bytes:
    out = scenario.parent / "run_local"
    res = _run(scenario, out)
    assert res.returncode == 0, res.stderr
    return (out / "sites.csv").read_bytes()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tcp://127.0.0.1:PORT`` of a real scheduler with two single-thread worker processes."""
    if not DASK.exists():
        pytest.skip("the dask CLI is not installed in this venv (pip install -c constraints.txt -e .)")
    work = tmp_path_factory.mktemp("dask_cluster")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs: list[subprocess.Popen[bytes]] = []
    logs = [open(work / name, "wb") for name in ("scheduler.log", "worker0.log", "worker1.log")]
    try:
        procs.append(subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=logs[0]))
        for i in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(work),
                                           "--name", f"w{i}"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                          stderr=logs[1 + i]))
        _wait_for_workers(address, 2, timeout_s=120.0, work=work)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=15)
        for fh in logs:
            fh.close()


def _wait_for_workers(address: str, n: int, timeout_s: float, work: Path) -> None:
    code = ("import sys; from distributed import Client; c = Client(sys.argv[1], timeout=30); "
            "c.wait_for_workers(int(sys.argv[2]), timeout=float(sys.argv[3])); c.close()")
    res = subprocess.run([sys.executable, "-c", code, address, str(n), str(timeout_s)], capture_output=True,
                         text=True, timeout=timeout_s + 60)
    if res.returncode != 0:
        logs = "\n".join(f.read_text(errors="replace")[-2000:] for f in sorted(work.glob("*.log")))
        raise AssertionError(f"the dask cluster did not start: {res.stderr[-2000:]}\n{logs}")


def test_local_cluster_plan_is_byte_identical(scenario: Path, local_sites: bytes) -> None:
    out = scenario.parent / "run_localcluster"
    res = _run(scenario, out, "compute.backend=dask")
    assert res.returncode == 0, res.stderr
    assert (out / "sites.csv").read_bytes() == local_sites
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert "LocalCluster" in manifest


def test_local_cluster_keeps_the_penetration_by_class(scenario: Path) -> None:
    """A class with its own penetration loss (radio.penetration_by_class) reaches the Dask tiles too.

    The coverage stage once replaced its keyword arguments for the Dask backend and dropped the
    per-cell losses, so the cluster built every cell behind the default 20 dB wall.
    """
    pen = "radio.penetration_by_class.public_place=0"
    local, dask = scenario.parent / "run_pen_local", scenario.parent / "run_pen_dask"
    res = _run(scenario, local, pen)
    assert res.returncode == 0, res.stderr
    res = _run(scenario, dask, pen, "compute.backend=dask")
    assert res.returncode == 0, res.stderr
    assert (dask / "sites.csv").read_bytes() == (local / "sites.csv").read_bytes()
    assert (dask / "coverage.tif").read_bytes() == (local / "coverage.tif").read_bytes()


def test_real_scheduler_plan_is_byte_identical(scenario: Path, local_sites: bytes, cluster: str) -> None:
    out = scenario.parent / "run_cluster"
    res = _run(scenario, out, "compute.backend=dask", f'compute.scheduler="{cluster}"')
    assert res.returncode == 0, res.stderr
    assert (out / "sites.csv").read_bytes() == local_sites
    assert cluster in (out / "manifest.json").read_text(encoding="utf-8")


def test_unreachable_scheduler_is_exit_2_and_writes_nothing(scenario: Path) -> None:
    """The CLI refuses before reading any input; the check itself returns within 10 s (start-up not timed)."""
    from planner.coverage.dask_backend import check_scheduler
    from planner.errors import ScenarioError

    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    with pytest.raises(ScenarioError, match=r"compute\.scheduler.*Fix:"):
        check_scheduler(address)
    assert time.monotonic() - t0 < 10.0
    out = scenario.parent / "run_unreachable"
    res = _run(scenario, out, "compute.backend=dask", f'compute.scheduler="{address}"', timeout=120)
    assert res.returncode == 2, res.stderr
    assert "compute.scheduler" in res.stderr and "Fix:" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_bad_scheduler_address_names_the_key() -> None:
    from planner.coverage.dask_backend import parse_scheduler
    from planner.errors import ScenarioError

    assert parse_scheduler("tcp://10.0.0.5:8786") == ("10.0.0.5", 8786)
    for bad in ("10.0.0.5:8786", "tcp://host", "http://h:1", "tcp://h:notaport"):
        with pytest.raises(ScenarioError, match=r"compute\.scheduler"):
            parse_scheduler(bad)


def test_tiles_on_the_cluster_give_the_local_matrix_bit_for_bit(cluster: str) -> None:
    """Many tiles (a 5 km grid, 1 km tiles), sectors with per-site bearings: rows placed in candidate order."""
    from planner.coverage.build import build_coverage
    from planner.coverage.dask_backend import build_coverage_dask, tile_keys
    from planner.coverage.grid import Grid
    from planner.scenario import RadioConfig

    rng = np.random.default_rng(2)
    grid = Grid(x0=0.0, y0=5000.0, res=25.0, nx=200, ny=200, crs="EPSG:32650")
    n = 400
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    h = rng.choice([8.0, 10.0, 12.0, 30.0], n)
    cls = np.where(h >= 30.0, "macro", "micro")
    mask = rng.random((grid.ny, grid.nx)) < 0.8
    radio = RadioConfig.model_validate({"antenna": "sectors"})
    az = [None if i % 3 else [float(i % 360)] for i in range(n)]
    kw = {"cell_mask": mask, "site_azimuths": az}
    local = build_coverage(grid, x, y, h, cls, radio, **kw)  # type: ignore[arg-type]
    done: list[tuple[int, int]] = []
    dist = build_coverage_dask(grid, x, y, h, cls, radio, **kw, scheduler=cluster,  # type: ignore[arg-type]
                               progress=lambda d, t: done.append((d, t)))
    tiles = dist.meta["backend"]["tiles"]
    assert tiles == np.unique(tile_keys(x, y, grid, dist.meta["backend"]["tile_m"])).size > 4
    assert done[-1] == (tiles, tiles)
    for a in ("indptr", "indices", "rsrp"):
        assert getattr(dist, a).dtype == getattr(local, a).dtype
        assert getattr(dist, a).tobytes() == getattr(local, a).tobytes(), a
    assert dist.meta["nnz"] == local.meta["nnz"] and dist.meta["radius_m_max"] == local.meta["radius_m_max"]


def test_decomposed_solve_on_the_cluster_gives_the_sequential_plan(cluster: str) -> None:
    """Tile solves as Dask tasks on two workers: the same plan, bound and repairs as one after the other."""
    from planner.coverage.dask_backend import tile_runner
    from planner.optimize.decompose import solve_decomposed
    from tests.test_decompose import _model

    p, x, y = _model(seed=6, n_cols=500, side_m=4000.0)
    local = solve_decomposed(p, x, y, time_limit_s=4.0, seed=2, tile_m=1500.0)
    runner = tile_runner(cluster, 2)
    seen: list[tuple[int, int]] = []

    def run(tasks: Any, done: Any) -> list[Any]:  # the tasks' progress reports reach the solve's progress bar
        def report(d: int, t: int) -> None:
            seen.append((d, t))
            done(d, t)

        return runner(tasks, report)

    dist = solve_decomposed(p, x, y, time_limit_s=4.0, seed=2, tile_m=1500.0, run_tiles=run)
    assert not local.stats["budget"]["time_limited"] and not dist.stats["budget"]["time_limited"]
    assert local.stats["decomposition"]["tiles"] > 2
    assert seen == [(i + 1, len(seen)) for i in range(local.stats["decomposition"]["tiles"])]
    assert np.array_equal(local.selected, dist.selected)
    assert (local.objective, local.bound) == (dist.objective, dist.bound)
