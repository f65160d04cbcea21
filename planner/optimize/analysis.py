"""Diagnostics and sweeps over a :class:`CoverageProblem`: unreachable demand, per-site
contributions, and the cost–coverage Pareto curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.optimize.problem import CoverageProblem
from planner.optimize.solve import evaluate, solve

#: reason codes of :func:`unreachable`
REACHABLE, NO_CANDIDATE, ONLY_FORBIDDEN, FEWER_THAN_K = 0, 1, 2, 3
ROW_REASONS = {
    NO_CANDIDATE: "no candidate reaches it (out of range or line of sight blocked)",
    ONLY_FORBIDDEN: "only candidates in forbidden (禁建/限建) zones reach it",
    FEWER_THAN_K: "fewer candidates than its k-coverage requirement reach it",
}
#: deprecated alias of :data:`ROW_REASONS` (:data:`planner.coverage.reach.REACH_REASONS` names
#: the geometric reasons: out of range, line of sight blocked, forbidden zone)
REASONS = ROW_REASONS


def unreachable(problem: CoverageProblem) -> dict[str, Any]:
    """Demand rows no allowed selection can cover, and the best coverage of each area.

    Returns
    -------
    dict
        ``rows``: indices of the unreachable rows; ``reason``: a code per row (0 reachable,
        1 no candidate, 2 only forbidden candidates, 3 fewer than k allowed candidates; see
        :data:`ROW_REASONS`); ``area_best``: the best achievable covered fraction per area (all
        allowed candidates built, side constraints ignored); ``area_names``.
    """
    a = problem.a
    any_cnt = np.diff(a.indptr)
    allowed_cnt = np.asarray(a @ (~problem.forbidden).astype(np.int64)).ravel()
    reason = np.full(problem.n_rows, REACHABLE, dtype=np.int64)
    reason[(allowed_cnt < problem.row_k) & (allowed_cnt > 0)] = FEWER_THAN_K
    reason[(allowed_cnt == 0) & (any_cnt > 0)] = ONLY_FORBIDDEN
    reason[any_cnt == 0] = NO_CANDIDATE
    ok = reason == REACHABLE
    total = np.bincount(problem.row_area, weights=problem.row_weight, minlength=problem.n_areas)
    reach = np.bincount(problem.row_area, weights=problem.row_weight * ok, minlength=problem.n_areas)
    best = np.divide(reach, total, out=np.ones_like(total), where=total > 0)
    return {
        "rows": np.flatnonzero(~ok).astype(np.int64),
        "reason": reason,
        "area_best": best,
        "area_names": list(problem.area_names),
    }


def site_contributions(
    problem: CoverageProblem, selected: Sequence[int] | NDArray[np.int64]
) -> dict[str, NDArray[Any]]:
    """Covered, marginal and unique weight of each selected site.

    ``covered``: weight of the rows the site serves that the plan covers; ``marginal``: weight
    the plan loses without the site (rows covered exactly k times); ``unique``: weight of the
    rows the site alone serves.
    """
    sel = np.asarray(selected, dtype=np.int64)
    x = np.zeros(problem.n_cols, dtype=np.int64)
    x[sel] = 1
    cnt = np.asarray(problem.a @ x).ravel()
    ok = cnt >= problem.row_k
    csc = problem.a.tocsc()
    w = problem.row_weight
    covered = np.zeros(sel.size)
    marginal = np.zeros(sel.size)
    unique = np.zeros(sel.size)
    for t, j in enumerate(sel):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        covered[t] = w[rows][ok[rows]].sum()
        marginal[t] = w[rows][cnt[rows] == problem.row_k[rows]].sum()
        unique[t] = w[rows][cnt[rows] == 1].sum()
    return {"selected": sel, "covered": covered, "marginal": marginal, "unique": unique}


def pareto_curve(
    problem: CoverageProblem,
    *,
    budgets: Sequence[float] | None = None,
    max_sites: Sequence[int] | None = None,
    time_limit_s: float = 30.0,
    workers: int = 8,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """The cost–coverage Pareto curve: one ``max_coverage`` solve per budget or site count.

    Exactly one of ``budgets`` / ``max_sites`` is given; the values are solved in ascending
    order, each with ``time_limit_s``. A larger budget can always keep the previous plan, so
    when a solve returns less coverage than the point before, the earlier plan is kept:
    the curve is monotone.

    Returns
    -------
    list of dict
        Per value: ``value``, ``cost``, ``coverage`` (covered weight), ``fraction`` (of all
        weight), ``n_sites``, ``status``, ``bound``, ``gap`` and ``selected``.
    """
    if (budgets is None) == (max_sites is None):
        raise ValueError("give exactly one of budgets or max_sites")
    key = "budget" if budgets is not None else "max_sites"
    values = sorted(budgets if budgets is not None else max_sites or [])
    total = float(problem.row_weight.sum())
    points: list[dict[str, Any]] = []
    prev: dict[str, Any] | None = None
    for v in values:
        p = (
            replace(problem, budget=float(v), max_sites=problem.max_sites)
            if key == "budget"
            else replace(problem, max_sites=int(v), budget=problem.budget)
        )
        s = solve(p, "lexicographic", time_limit_s=time_limit_s, workers=workers, seed=seed)
        if s.status in ("infeasible", "unknown"):
            point = {
                "value": v,
                "status": s.status,
                "cost": np.nan,
                "coverage": np.nan,
                "fraction": np.nan,
                "n_sites": 0,
                "bound": s.stats.get("stage1", {}).get("bound"),
                "gap": None,
                "selected": [],
            }
        else:
            ev = evaluate(problem, s.selected)
            point = {
                "value": v,
                "status": s.status,
                "cost": ev["cost"],
                "coverage": ev["covered_weight"],
                "fraction": ev["covered_weight"] / total if total > 0 else 1.0,
                "n_sites": ev["n_sites"],
                "bound": s.stats.get("stage1", {}).get("bound"),
                "gap": s.gap,
                "selected": s.selected.tolist(),
            }
        if prev is not None and np.isfinite(prev["coverage"]) and not (point["coverage"] >= prev["coverage"]):
            point = dict(prev, value=v, status="kept_previous")
        points.append(point)
        prev = point
    return points


#: deprecated alias of :func:`pareto_curve` (``planner.sweep`` runs scenario variants)
sweep = pareto_curve
