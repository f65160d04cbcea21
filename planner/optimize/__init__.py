"""Site placement: coverage problems, reductions and OR-Tools solvers.

``CoverageProblem`` (numpy/scipy only) holds the model; :func:`solve` reduces it, warm-starts
from a heuristic and runs CP-SAT (or SCIP) under one time limit, returning a
:class:`Solution` with status, objective, bound and gap.
"""

from planner.optimize.orlib import read_orlib
from planner.optimize.problem import CoverageProblem, conflicts_from_points
from planner.optimize.solve import Solution, evaluate, solve

__all__ = ["CoverageProblem", "Solution", "conflicts_from_points", "evaluate", "read_orlib", "solve"]
