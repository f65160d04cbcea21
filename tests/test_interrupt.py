"""SIGINT/SIGTERM at any moment of a run end with 130/143, nothing half-written, earlier run kept.

The scenario is the tiny fixture with many lamps at 10 m and a site cap (a max-coverage
problem CP-SAT needs far longer than a few seconds to prove) and a long time limit. Signals
are sent at fixed times after the start (1, 3 and 8 s: imports, inputs, grid or coverage,
depending on the machine's speed), each several times, and in mid-solve (after the CLI logs
the solve stage, while CP-SAT runs). Each run must end with exit code 130 (SIGINT) or 143
(SIGTERM), without a traceback and without ``terminate called without an active exception``
(exit 134: the process ending while a native solver thread still runs), long before the time
limit; no temporary folder is left and the earlier run in ``--out`` is untouched. A following
run into the same folder works.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.io.rundir import MARKER
from tests.conftest import TINY_TOML, earlier_run, write_tiny_inputs

SLOW = """
[objective]
kind = "max_coverage"
max_sites = 12
"""
TIME_LIMIT_S = 600  # CP-SAT stops on a deterministic-time budget that grows with it
EARLIER = "an earlier run, to be kept"
#: generous bound on the time from the signal to the exit (the CLI aims at < 5 s; this only catches a hang)
EXIT_WITHIN_S = 60


@pytest.fixture(scope="module")
def slow_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("interrupt") / "inputs"
    write_tiny_inputs(folder, n_lamps=500, seed=5)
    text = TINY_TOML.replace("resolution_m = 25", "resolution_m = 10")
    text = text.replace("time_limit_s = 10", f"time_limit_s = {TIME_LIMIT_S}")
    text = text.replace("workers = 1", "workers = 2")  # CP-SAT's own worker threads run when the signal comes
    path = folder / "scenario.toml"
    path.write_text(text + SLOW, encoding="utf-8")
    return path


def _start(scenario: Path, out: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w", encoding="utf-8") as fh:
        return subprocess.Popen([sys.executable, "-m", "planner.cli", "-v", "run", str(scenario), "--out", str(out)],
                                stdout=fh, stderr=subprocess.STDOUT, cwd=out.parent)


def _signal_and_check(proc: subprocess.Popen[bytes], signum: int, code: int, runs: Path, out: Path, log: Path) -> None:
    try:
        assert proc.poll() is None, "the run ended before the signal:\n" + log.read_text(encoding="utf-8")[-3000:]
        proc.send_signal(signum)
        rc = proc.wait(timeout=EXIT_WITHIN_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(encoding="utf-8")
    assert rc == code, text[-3000:]
    assert "Traceback" not in text and "terminate called" not in text, text[-3000:]
    assert "interrupted; no output was written" in text
    assert sorted(p.name for p in runs.iterdir()) == ["out"], "a temporary folder was left behind"
    assert sorted(p.name for p in out.iterdir()) == sorted(["keep.txt", MARKER])
    assert (out / "keep.txt").read_text(encoding="utf-8") == EARLIER


def _fresh(tmp_path: Path, tag: str) -> tuple[Path, Path, Path]:
    runs = tmp_path / f"runs_{tag}"
    out = runs / "out"
    runs.mkdir()
    earlier_run(out, EARLIER)
    return runs, out, tmp_path / f"log_{tag}.txt"


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [1.0, 3.0, 8.0])
def test_sigterm_at_fixed_times(delay_s: float, slow_scenario: Path, tmp_path: Path) -> None:
    for rep in range(3):
        runs, out, log = _fresh(tmp_path, str(rep))
        proc = _start(slow_scenario, out, log)
        time.sleep(delay_s)
        _signal_and_check(proc, signal.SIGTERM, 143, runs, out, log)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_solve_leaves_nothing(signum: int, code: int, slow_scenario: Path, tmp_path: Path) -> None:
    runs, out, log = _fresh(tmp_path, "solve")
    proc = _start(slow_scenario, out, log)
    deadline = time.monotonic() + 240
    while "stage: optimise" not in log.read_text(encoding="utf-8"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the run never reached the solve stage:\n" + log.read_text(encoding="utf-8")[-3000:])
        time.sleep(0.1)
    time.sleep(4.0)  # let the solver get going
    _signal_and_check(proc, signum, code, runs, out, log)

    if signum == signal.SIGINT:
        return
    # the next run into the same folder works (made quick: coarse grid, min-cost)
    r = subprocess.run([sys.executable, "-m", "planner.cli", "run", str(slow_scenario), "--out", str(out),
                        "--set", "grid.resolution_m=50", "--set", "objective.kind=min_cost",
                        "--set", "solver.time_limit_s=20"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (out / "manifest.json").is_file() and (out / "sites.csv").is_file()
    assert not (out / "keep.txt").exists()
    assert sorted(p.name for p in runs.iterdir()) == ["out"]


def test_stop_registry_reaches_a_running_cpsat_solve() -> None:
    """:func:`planner._stop.request_stop` ends a CP-SAT solve in progress through ``stop_search``."""
    import threading

    from ortools.sat.python import cp_model

    from planner import _stop

    model = cp_model.CpModel()
    xs = [model.new_int_var(0, 50, f"x{i}") for i in range(40)]
    for i in range(39):
        model.add(xs[i] + xs[i + 1] <= 50 + (i % 7))
    model.add_all_different(xs)
    model.maximize(sum((i % 5 + 1) * x for i, x in enumerate(xs)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 120.0
    solver.parameters.num_workers = 2
    solver.parameters.catch_sigint_signal = False
    box: dict[str, object] = {}

    def work() -> None:
        try:
            with _stop.stoppable(solver.stop_search):
                box["status"] = solver.solve(model)
            _stop.check()
        except _stop.StopRequested:
            box["stopped"] = True

    _stop.reset()
    t = threading.Thread(target=work)
    t.start()
    try:
        time.sleep(1.0)
        deadline = time.monotonic() + 30
        while t.is_alive() and time.monotonic() < deadline:
            _stop.request_stop()
            t.join(0.05)
        assert not t.is_alive(), "CP-SAT did not stop"
    finally:
        _stop.reset()
        t.join()
    assert box.get("stopped") is True
    assert solver.wall_time < 60


def test_no_solver_starts_after_a_stop_request() -> None:
    from planner import _stop

    calls: list[str] = []
    _stop.reset()
    _stop.request_stop()
    try:
        with pytest.raises(_stop.StopRequested), _stop.stoppable(lambda: calls.append("stop")):
            calls.append("solve")
    finally:
        _stop.reset()
    assert calls == []
    with _stop.stoppable(lambda: calls.append("stop")):
        calls.append("solve")
    assert calls == ["solve"]


@pytest.mark.slow
def test_sigterm_mid_sweep_in_one_process(slow_scenario: Path, tmp_path: Path) -> None:
    """``sweep --jobs 1`` solves in the CLI's own process: a signal must still stop CP-SAT there."""
    runs = tmp_path / "runs"
    runs.mkdir()
    out = runs / "sweep"
    log = tmp_path / "log.txt"
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "planner.cli", "-v", "sweep", str(slow_scenario), "--param",
                                 "objective.max_sites=11,12", "--jobs", "1", "--out", str(out)],
                                stdout=fh, stderr=subprocess.STDOUT, cwd=tmp_path)
    deadline = time.monotonic() + 240
    while "stage: optimise" not in log.read_text(encoding="utf-8"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the sweep never reached the solve stage:\n" + log.read_text(encoding="utf-8")[-3000:])
        time.sleep(0.1)
    time.sleep(3.0)
    try:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=EXIT_WITHIN_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(encoding="utf-8")
    assert rc == 143, text[-3000:]
    assert "Traceback" not in text and "terminate called" not in text
    assert list(runs.iterdir()) == [], "a temporary folder was left behind"
