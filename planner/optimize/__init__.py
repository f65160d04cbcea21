"""Site placement: coverage problems, reductions and OR-Tools solvers.

``CoverageProblem`` (numpy/scipy only) holds the model; :func:`solve` reduces it, warm-starts
from heuristics and runs CP-SAT (or SCIP) on one deterministic work budget (derived from the
time limit, see :mod:`planner.optimize._budget`), returning a
:class:`Solution` with status, objective, bound and gap. :func:`pareto_curve` traces the
cost–coverage Pareto curve; :func:`unreachable` and :func:`site_contributions` diagnose.
"""

from planner.optimize.analysis import (
    REASONS,
    ROW_REASONS,
    pareto_curve,
    site_contributions,
    sweep,
    unreachable,
)
from planner.optimize.orlib import read_orlib
from planner.optimize.problem import CoverageProblem, conflicts_from_points
from planner.optimize.solve import Solution, evaluate, solve

__all__ = [
    "REASONS",
    "ROW_REASONS",
    "CoverageProblem",
    "Solution",
    "conflicts_from_points",
    "evaluate",
    "pareto_curve",
    "read_orlib",
    "site_contributions",
    "solve",
    "sweep",
    "unreachable",
]
