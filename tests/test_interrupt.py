"""A run stopped by SIGINT or SIGTERM in mid-solve leaves nothing half-written.

The scenario is the tiny fixture with many lamps at 10 m and a site cap (a max-coverage
problem CP-SAT needs far longer than a few seconds to prove) and a long time limit. The
test waits until the CLI logs the solve stage, signals it, and checks: exit code 130
(SIGINT) or 143 (SIGTERM) without a traceback and long before the time limit, no temporary
folder, the earlier run in ``--out`` untouched, and a following run into the same folder
works.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TINY_TOML, write_tiny_inputs

SLOW = """
[objective]
kind = "max_coverage"
max_sites = 12
"""
TIME_LIMIT_S = 600  # CP-SAT stops on a deterministic-time budget that grows with it
EARLIER = "an earlier run, to be kept"


def _slow_scenario(folder: Path) -> Path:
    write_tiny_inputs(folder, n_lamps=500, seed=5)
    text = TINY_TOML.replace("resolution_m = 25", "resolution_m = 10").replace("time_limit_s = 10", f"time_limit_s = {TIME_LIMIT_S}")
    path = folder / "scenario.toml"
    path.write_text(text + SLOW, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_solve_leaves_nothing(signum: int, code: int, tmp_path: Path) -> None:
    scenario = _slow_scenario(tmp_path / "inputs")
    runs = tmp_path / "runs"
    out = runs / "out"
    out.mkdir(parents=True)
    (out / "keep.txt").write_text(EARLIER, encoding="utf-8")
    log = tmp_path / "log.txt"
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "-v", "run", str(scenario), "--out", str(out)],
                                stdout=fh, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 240
            while "stage: optimise" not in log.read_text(encoding="utf-8"):
                assert proc.poll() is None, log.read_text(encoding="utf-8")[-3000:]
                assert time.monotonic() < deadline, "the run never reached the solve stage"
                time.sleep(0.1)
            time.sleep(4.0)  # let CP-SAT get going (it catches SIGINT itself while it runs)
            assert proc.poll() is None, "the solve finished before the signal; make the scenario harder"
            proc.send_signal(signum)
            rc = proc.wait(timeout=TIME_LIMIT_S / 3)  # far sooner than the solver's time limit
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log.read_text(encoding="utf-8")
    assert rc == code, text[-3000:]
    assert "Traceback" not in text
    assert "interrupted; no output was written" in text
    assert sorted(p.name for p in runs.iterdir()) == ["out"], "a temporary folder was left behind"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == EARLIER

    # the next run into the same folder works (made quick: coarse grid, min-cost)
    r = subprocess.run([sys.executable, "-m", "planner.cli", "run", str(scenario), "--out", str(out),
                        "--set", "grid.resolution_m=50", "--set", "objective.kind=min_cost", "--set", "solver.time_limit_s=20"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (out / "manifest.json").is_file() and (out / "sites.csv").is_file()
    assert not (out / "keep.txt").exists()
    assert sorted(p.name for p in runs.iterdir()) == ["out"]
