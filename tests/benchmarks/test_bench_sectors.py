"""Sectorised against omni coverage build (``make bench``; not part of ``make test``).

The 1,000,000-cell / 20,000-candidate instance of :mod:`tests.benchmarks.test_bench_coverage`
(2,000 macros with the default 3 × 65° panels, 10° vertical beam, tilt "auto"; poles omni), built
three times each with ``radio.antenna = "omni"`` and ``"sectors"`` in one process, both under
``radio.los = "probability"`` (the SIMD fill, so that the pattern pass is not hidden behind the
slower mixture fill) and under the default ``"mixture"``. Target (issue 15): the sectorised build
≤ 4× the omni one, best against best. Figures are printed; BENCHMARKS.md is updated by hand.
"""

from __future__ import annotations

import time

from planner.coverage import build_coverage
from planner.scenario import RadioConfig
from tests.benchmarks.test_bench_coverage import make_instance


def test_sectors_against_omni() -> None:
    grid, x, y, h, cls = make_instance()
    best: dict[str, float] = {}
    for name, radio in (("omni", RadioConfig(antenna="omni", los="probability")),
                        ("sectors", RadioConfig(antenna="sectors", los="probability")),
                        ("omni mixture", RadioConfig(antenna="omni")), ("sectors mixture (default)", RadioConfig())):
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            cov = build_coverage(grid, x, y, h, cls, radio)
            runs.append(time.perf_counter() - t0)
        best[name] = min(runs)
        print(f"\n{name}: {', '.join(f'{t:.3f}' for t in runs)} s, {cov.nnz:,} pairs, phases {cov.meta['timings_s']}")
    print(f"sectors / omni (best of 3 each): {best['sectors'] / best['omni']:.2f}x; under the mixture: "
          f"{best['sectors mixture (default)'] / best['omni mixture']:.2f}x")
    assert best["omni"] > 0
