"""Valid rounding of cost bounds: every plan costs a sum of site costs.

With site costs that are all integer multiples of a granule ``g`` (万元; the gcd of integer
costs), no plan costs less than the next multiple of ``g`` above a lower bound. Shared by the
exact stage (:mod:`planner.optimize._exact`), the greedy path of :func:`planner.optimize.solve`
and the whole-model Lagrangian of a decomposed solve (:mod:`planner.optimize.decompose_bound`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

#: absolute distance to an integer below which a cost or weight counts as integral (:func:`integral`)
INTEGRAL_ATOL = 1e-9


def integral(values: NDArray[np.float64]) -> bool:
    """Whether every value is finite and within :data:`INTEGRAL_ATOL` of an integer.

    An absolute tolerance: ``np.allclose``'s relative one (1e-5) took 123,456.4 for an integer,
    and a bound rounded up on that granule (or a covered weight rounded down) could pass the
    optimum. 1e-9 still absorbs floating-point noise such as 0.3 × 20 = 6.000000000000001.
    """
    v = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.isfinite(v)) and np.all(np.abs(v - np.round(v)) <= INTEGRAL_ATOL))


def cost_granule(cost: NDArray[np.float64]) -> float:
    """The largest ``g`` such that every site cost is an integer multiple of ``g``; 0 when none is known.

    Integer costs give the greatest common divisor of the positive ones (1 when none is
    positive, or when one is 2**53 or more: the plain ceiling); costs that are not all finite
    integers give 0.
    """
    c = np.asarray(cost, dtype=np.float64)
    if c.size == 0 or not integral(c):
        return 0.0
    pos = np.round(c[c > 0.5])
    if pos.size == 0:
        return 1.0
    if pos.max() >= 2.0**53:
        return 1.0
    return float(np.gcd.reduce(pos.astype(np.int64)))


def round_cost_bound(lb: float, cost: NDArray[np.float64]) -> float:
    """A min-cost lower bound ``lb`` raised to the next multiple of the costs' granule (:func:`cost_granule`).

    Every plan's cost is a sum of site costs, hence a multiple of the granule ``g``, so no plan
    costs less than ``g ⌈lb / g⌉``: with costs 6, 8, 12 and 18 万元 a bound of 1,068.4 becomes
    1,070. A tolerance of 1e-6 ``g`` keeps a bound that floating point put just above a
    multiple at that multiple. Costs of no known granule leave ``lb`` unchanged.
    """
    return round_to_granule(lb, cost_granule(cost))


def round_to_granule(lb: float, g: float) -> float:
    """``lb`` raised to the next multiple of ``g`` (a tolerance of 1e-6 ``g``); unchanged when ``g`` ≤ 0.

    For a caller that rounds many bounds of the same costs: ``g`` is :func:`cost_granule` once.
    """
    if g <= 0 or not math.isfinite(lb):
        return float(lb)
    return float(math.ceil(lb / g - 1e-6) * g)
