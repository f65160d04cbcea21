"""Whole-model lower bounds side by side: subgradient Lagrangian vs PDLP duals (+ exact ``L(u)``), optionally the LP.

``python tests/benchmarks/bound_bench.py MODEL.pkl UNITS [--ub COST] [--lp]``

``MODEL.pkl``: a pickled ``(CoverageProblem, extra)`` taken at the solve stage of a run (what
``planner.stages.solve.solve_problem`` receives). Both methods run on the dominance-reduced model
of :class:`planner.optimize.decompose_bound.WholeLagrangian` with the same work (``UNITS`` work
units of :mod:`planner.optimize._budget`); ``--ub``: a known plan's cost, the subgradient's target
level (else 1.08 × its bound, as the decomposition does before a plan exists); ``--lp``: also
HiGHS' LP optimum of that reduced model (minutes on city-size models). Prints one line per method
with the bound (万元, whole model), the iterations and the CPU seconds.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the exit code."""
    from planner.optimize._lp import solve_lp
    from planner.optimize._side import side_of
    from planner.optimize.decompose_bound import WholeLagrangian

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("units", type=float)
    ap.add_argument("--ub", type=float, default=None)
    ap.add_argument("--lp", action="store_true")
    ap.add_argument("--methods", default="subgradient,pdlp", help="comma-separated: subgradient, pdlp")
    args = ap.parse_args(argv)
    with args.model.open("rb") as fh:
        problem = pickle.load(fh)[0]  # a model this benchmark's user pickled
    for method in args.methods.split(","):
        t = time.process_time()
        wl = WholeLagrangian(problem, method=method)
        red_cpu = time.process_time() - t
        t = time.process_time()
        wl.run(args.units * 1e6, args.ub, math.inf)
        st = wl.stats()
        print(f"{method:12s} bound {wl.bound:,.1f}  subgradient steps {wl.iterations}  "
              f"pdlp iterations {st.get('pdlp_iterations', 0)}  cpu {time.process_time() - t:.1f} s "
              f"(reduction {red_cpu:.1f} s; {st['rows']:,} x {st['cols']:,}, {st['nnz']:,} nnz)", flush=True)
    if args.lp:
        red = wl.red
        t = time.process_time()
        lp = solve_lp(red, side_of(problem, red, "min_cost"), "min_cost", 3600.0)
        print(f"{'HiGHS LP':12s} {'optimum' if lp.ok else 'failed'} {wl.base_cost + lp.bound:,.1f}  "
              f"cpu {time.process_time() - t:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
