"""The JIT warm-up compiles every kernel a solve uses, so no compilation falls inside a work budget.

Issue 12's limit rule holds "cold cache included": a kernel the warm-up misses compiles inside the
optimise stage on a fresh install (the subgradient kernels did: the warm-up's own 1 s budget passed
its safety stop during a cold compile, before its Lagrangian ran). The check runs in a fresh
interpreter, where no other test has called a kernel yet: after :func:`warm_up`, solves along every
path of :func:`planner.optimize.solve` (local search + PDLP + polish + core MIP on a model above a
lowered ``LP_MAX_NNZ``, the CFT engine on a pure cover, the partial CFT engine with a conflict, a
site-capped max coverage) may not add a compiled signature to any numba kernel. On a warm on-disk
cache a kernel loaded from the cache also adds one, so the check holds with any cache state.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import dataclasses
    import importlib
    import pkgutil
    import sys

    import numpy as np
    from numba.core.registry import CPUDispatcher

    import kernels
    from planner.optimize import solve
    from planner.optimize._warmup import warm_up
    from tests.test_optimize import spatial_partial_problem


    def signatures():
        out = {}
        for info in pkgutil.iter_modules(kernels.__path__):
            mod = importlib.import_module("kernels." + info.name)
            for key, value in vars(mod).items():
                if isinstance(value, CPUDispatcher):
                    out[info.name + "." + key] = len(value.signatures)
        return out


    warm_up()
    before = signatures()
    for name in ("planner.optimize.solve", "planner.optimize._exact"):
        setattr(sys.modules[name], "LP_MAX_NNZ", 0)
    large = solve(spatial_partial_problem(0), "min_cost", time_limit_s=5, workers=1, seed=0)
    assert "lp_dual" in large.stats and "core_mip" in large.stats, sorted(large.stats)
    assert large.stats["lp_dual"]["polish_steps"] > 0, large.stats["lp_dual"]
    p = spatial_partial_problem(1)
    cover = dataclasses.replace(p, area_target=np.ones(p.n_areas), row_k=np.ones(p.n_rows, np.int64))
    assert "cft" in solve(cover, "min_cost", time_limit_s=2, workers=1, seed=0).stats
    conflict = dataclasses.replace(p, conflicts=np.array([[0, 1], [2, 3]]))
    assert "cft" in solve(conflict, "min_cost", time_limit_s=2, workers=1, seed=0).stats
    solve(dataclasses.replace(p, max_sites=5), "max_coverage", time_limit_s=2, workers=1, seed=0)
    after = signatures()
    lazy = sorted(k for k in after if after[k] > before.get(k, 0))
    print("compiled inside a solve:", lazy)
    sys.exit(1 if lazy else 0)
    """
)


def test_warm_up_compiles_every_kernel_of_a_solve() -> None:
    res = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]


STOP_SCRIPT = textwrap.dedent(
    """
    import sys
    import threading

    import planner._stop as stop
    from planner.optimize import _warmup

    errors = []
    threading.excepthook = lambda args: errors.append(repr(args.exc_value))
    stop.request_stop()  # SIGTERM while the warm-up runs beside the coverage stage
    _warmup.warm_up_in_background().join()
    assert not _warmup._WARM_DONE, "the warm-up ran to its end: the stop never reached it"
    assert errors == [], errors
    print("quiet")
    """
)


def test_background_warm_up_ends_quietly_on_a_stop_request() -> None:
    # a stop (SIGTERM) reaching the background warm-up's stages printed "Exception in thread
    # planner-jit-warm-up: Traceback ... StopRequested" beside the CLI's clean message (test_interrupt)
    res = subprocess.run([sys.executable, "-c", STOP_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0 and res.stdout.strip() == "quiet", res.stdout[-2000:] + res.stderr[-4000:]
    assert "Traceback" not in res.stderr
