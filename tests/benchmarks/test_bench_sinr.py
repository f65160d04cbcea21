"""SS-SINR / overlap benchmark on the demo plan (``make bench``; not part of ``make test``).

Plans the demo (``data/scenarios/demo.toml``, solver limit cut to 20 s: the plan's size, not its
optimality, sets the SINR cost), then times :func:`planner.radio.interference.attach_plan_sinr`
(the pipeline's ``sinr`` stage: the median received-power matrix of the plan's sites down to
N − 10 dB, the SINR/overlap kernel, the per-area table), best of 3 after one warm-up call.
Target (issue 15): ≤ 5 s. Figures are printed; BENCHMARKS.md is updated by hand.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "scenarios" / "demo.toml"


@pytest.mark.skipif(not DEMO.is_file(), reason="demo scenario not present")
def test_sinr_on_the_demo_plan() -> None:
    from planner.pipeline import plan_prepared, prepare_scenario
    from planner.radio.interference import attach_plan_sinr

    prep = prepare_scenario(DEMO, overrides=["solver.time_limit_s=20"])
    plan = plan_prepared(prep)
    stage = plan.timings.get("sinr", float("nan"))
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        attach_plan_sinr(plan, prep.demand.area_index, prep.terrain)
        runs.append(time.perf_counter() - t0)
    info = plan.radio["interference"]
    every = info["areas"][-1]
    print(
        f"\nSINR on the demo plan: {len(plan.sites)} sites, {plan.grid.nx} x {plan.grid.ny} cells, "
        f"{info['nnz']:,} site-cell powers (reach {info['radius_m_max']:.0f} m)"
    )
    print(
        f"  pipeline stage (first call in the process): {stage:.2f} s; best of 3: {min(runs):.2f} s "
        f"(power {info['timings_s']['power_s']:.2f} s, SINR + overlap {info['timings_s']['sinr_overlap_s']:.2f} s, "
        f"{info['chunks']} chunk(s))"
    )
    print(
        f"  whole area: SINR >= {info['sinr_min_db']:g} dB {every['sinr_ok']:.1%}, polluted {every['polluted']:.1%}, "
        f"p5 {every['sinr_p5_db']} dB, median {every['sinr_median_db']} dB, edge DL {every['edge_dl_mbps']} Mbit/s"
    )
    assert min(runs) > 0
