"""Two runs of the same scenario give byte-identical site tables and the same manifest.

The manifest may differ between runs only in these keys, which hold measured run times:

- ``timings_s`` (anywhere: pipeline stages, coverage kernels),
- ``runtime_s``, ``wall_s`` and ``seconds`` (solver wall time, per phase),
- ``time_<what>_s`` such as ``time_reduce_s``/``time_heuristic_s`` (solver phases; never
  ``time_limit_s``, which is a setting),
- ``outputs.report.sha256``: ``report.html`` prints the solver's run time.

Every other output's SHA-256, the solution, the statistics and the warnings must match.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO_SMALL = REPO / "data" / "scenarios" / "demo_small.toml"
VOLATILE = re.compile(r"timings_s|runtime_s|wall_s|seconds|time_(?!limit_)\w+_s")
VOLATILE_OUTPUTS = {"report"}


def normalise_manifest(value: Any, path: tuple[str, ...] = ()) -> Any:
    """The manifest with run-time values replaced by a marker (see the module docstring)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            here = (*path, str(k))
            if VOLATILE.fullmatch(str(k)) or (here[:1] == ("outputs",) and len(here) == 2 and k in VOLATILE_OUTPUTS):
                out[k] = "<run time>"
            else:
                out[k] = normalise_manifest(v, here)
        return out
    if isinstance(value, list):
        return [normalise_manifest(v, path) for v in value]
    return value


def _run(scenario: Path, out: Path, *overrides: str) -> dict[str, Any]:
    sets = [x for o in overrides for x in ("--set", o)]
    r = subprocess.run(
        [sys.executable, "-m", "planner.cli", "-q", "run", str(scenario), "--out", str(out), *sets],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    manifest: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest


#: KNOWN BUGS (owners told): outputs whose bytes still differ between identical runs.
#: Remove an entry when it is fixed; ``test_tiny_outputs_byte_identical`` tracks them.
KNOWN_NONDETERMINISTIC: dict[str, str] = {}  # empty: every output is byte-stable


def _assert_same(a: Path, b: Path, man_a: dict[str, Any], man_b: dict[str, Any], *, known: bool = True) -> None:
    assert (a / "sites.csv").read_bytes() == (b / "sites.csv").read_bytes()
    differing = _leaf_diff(normalise_manifest(man_a), normalise_manifest(man_b))
    if known:
        differing = [d for d in differing if not any(d.startswith(f"outputs.{k}.") for k in KNOWN_NONDETERMINISTIC)]
    assert not differing, f"manifests differ beyond run times: {differing}"


def _leaf_diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Paths (a.b.c) of the values that differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b), key=str)
            for d in _leaf_diff(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _leaf_diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_normalise_marks_only_run_times() -> None:
    man = {
        "timings_s": {"load": 1.0},
        "solver": {"runtime_s": 2.0, "stats": {"time_reduce_s": 0.1, "cpsat": {"wall_s": 3.0}}},
        "scenario": {"solver": {"time_limit_s": 60}},
        "outputs": {"report": {"sha256": "x"}, "sites_csv": {"sha256": "y"}},
    }
    norm = normalise_manifest(man)
    assert norm["timings_s"] == "<run time>"
    assert (
        norm["solver"]["runtime_s"]
        == norm["solver"]["stats"]["time_reduce_s"]
        == norm["solver"]["stats"]["cpsat"]["wall_s"]
        == "<run time>"
    )
    assert norm["scenario"]["solver"]["time_limit_s"] == 60
    assert norm["outputs"]["report"] == "<run time>" and norm["outputs"]["sites_csv"] == {"sha256": "y"}


def test_tiny_twice_identical(tiny: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _assert_same(a, b, _run(tiny, a), _run(tiny, b))


@pytest.mark.xfail(bool(KNOWN_NONDETERMINISTIC), strict=False, reason="; ".join(KNOWN_NONDETERMINISTIC.values()))
def test_tiny_outputs_byte_identical(tiny: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _assert_same(a, b, _run(tiny, a), _run(tiny, b), known=False)


@contextmanager
def cpu_burners(n: int = 2) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``n`` busy Python processes (``while True: pass``) for the duration of the block, then killed."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait(timeout=30)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux ``/proc/<pid>/stat``, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_cpu_burners_run_and_stop() -> None:
    with cpu_burners(2) as procs:
        time.sleep(1.0)
        assert all(p.poll() is None for p in procs)  # still running inside the block
        if Path("/proc").is_dir():
            assert all(_cpu_s(p.pid) > 0.1 for p in procs)  # and burning CPU
    assert all(p.returncode is not None for p in procs)


@pytest.mark.slow
def test_demo_small_twice_identical(tmp_path: Path) -> None:
    """Same plan idle and under load: the solve is bounded by work units, not by the clock.

    The second run shares the machine with two CPU-burning processes; its stages take longer
    but do the same work, so sites.csv and the manifest (run times aside) are identical. A
    run cut by the wall-clock safety stop would carry ``budget.time_limited`` and fail here.
    Both runs do demo_small's own work (its 20 s × 300 units) with the safety stop of a 60 s
    limit (3 × 60 + 5 s), so that a CI machine already busy with other jobs does not reach it.
    """
    if not DEMO_SMALL.is_file():
        pytest.skip("data/scenarios/demo_small.toml is not in this checkout")
    a, b = tmp_path / "a", tmp_path / "b"
    same_work = ("solver.time_limit_s=60", "solver.work_limit=6000")
    man_a = _run(DEMO_SMALL, a, *same_work)
    with cpu_burners(2) as procs:
        t_b = time.perf_counter()
        man_b = _run(DEMO_SMALL, b, *same_work)
        wall_b = time.perf_counter() - t_b
        # the load was real: both burners still ran at the end and each burnt CPU through run b (a tenth of
        # its wall at least, far below the 0.4 of a fair share of 2 cores among 5 busy processes)
        assert all(p.poll() is None for p in procs)
        if Path("/proc").is_dir():
            assert all(_cpu_s(p.pid) > 0.1 * wall_b for p in procs), [_cpu_s(p.pid) for p in procs]
    assert man_a["solver"]["stats"]["budget"]["time_limited"] is False
    assert man_b["solver"]["stats"]["budget"]["time_limited"] is False
    _assert_same(a, b, man_a, man_b)
