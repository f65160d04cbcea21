"""Phased roll-out and two-operator sharing on the demo (``make bench``; not part of ``make test``).

Runs ``data/scenarios/demo.toml``, ``demo_phased.toml`` and ``demo_operators.toml`` in the same
process, one after the other, and checks issue 17's acceptance on the results:

* phases: every phase meets its targets within its budget, the joint plan costs no more than
  the myopic plan, the bound and gap of the multi-phase model are reported;
* operators: every operator meets its targets, no pole is over its ``max_tenants``, the joint
  cost is at most the sum of the single-operator plans, the sharing rate is reported.

Wall times (and their ratio to the single plan: target ≤ 3×) are printed; timings are never
asserted. BENCHMARKS.md is updated by hand.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from planner.plan import Plan

REPO = Path(__file__).resolve().parents[2]
SCEN = REPO / "data" / "scenarios"


def _run(name: str) -> tuple[Plan, float]:
    import planner

    t0 = time.perf_counter()
    plan = planner.run_scenario(SCEN / f"{name}.toml")
    return plan, time.perf_counter() - t0


@pytest.mark.skipif(not (SCEN / "demo_phased.toml").is_file(), reason="demo scenarios not present")
def test_phased_and_operator_demos_meet_issue_17() -> None:
    from planner.scenario import load_scenario
    from planner.stages.rollout import tenancy

    _, t_single = _run("demo")
    phased, t_phased = _run("demo_phased")
    ops, t_ops = _run("demo_operators")
    rec = phased.solution["phases"]
    cov, targets = np.array(rec["coverage"]["joint"]), np.array(rec["targets"])
    assert (cov + 1e-9 >= targets).all(), "a phase misses its targets"
    for entry, budget in zip(rec["joint"]["phases"], rec["budgets"], strict=True):
        assert budget == 0 or entry["new_cost"] <= budget + 1e-6, f"phase {entry['name']} over its budget"
    assert rec["joint"]["discounted_cost"] <= rec["myopic"]["discounted_cost"] + 1e-6
    assert rec["bound"] is not None and rec["gap"] is not None
    orec = ops.solution["operators"]
    assert orec["violations"] == []
    for e in orec["operators"]:
        assert all(c + 1e-9 >= t for c, t in zip(e["coverage"], e["targets"], strict=True)), e["name"]
    assert orec["total_cost"] <= orec["single_total"] + 1e-6
    sc = load_scenario(SCEN / "demo_operators.toml")
    sites = ops.sites
    cap, _ = tenancy(sc, sites)
    free = (sites["build_mode"] != "保留").to_numpy()
    assert (sites["tenants"].to_numpy()[free] <= cap[free]).all()
    print(
        f"\nsingle plan {t_single:.1f} s; phased {t_phased:.1f} s ({t_phased / t_single:.2f}x): joint "
        f"{rec['joint']['total_cost']:,.1f} vs myopic {rec['myopic']['total_cost']:,.1f}, bound {rec['bound']:,.1f}, "
        f"gap {rec['gap']:.1%}; operators {t_ops:.1f} s ({t_ops / t_single:.2f}x): joint {orec['total_cost']:,.1f} vs "
        f"alone {orec['single_total']:,.1f}, 共享率 {orec['share_rate']:.1%}, gap {orec['gap']:.1%}"
    )
