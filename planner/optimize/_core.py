"""Core MIP stage for large min-cost models: SCIP on the columns of smallest Lagrangian reduced cost.

A *core* keeps the incumbent's columns and the :data:`CORE_MIP_COLS` free columns of smallest
Lagrangian reduced cost ``c_j − Σ_i a_ij u_i`` (Caprara, Fischetti & Toth 1999 build their
core the same way for set cover), plus, for every hard row the core would leave short, its
cheapest columns in reduced cost. Rows that no core column can serve are dropped (they stay
uncovered in every core plan), rows that became identical are merged again. SCIP solves the
core MIP from the incumbent (a hint) with its LP-based heuristics (diving, RENS), which on the
demo model find plans that CP-SAT on the whole model and on the same core did not.

Any core plan is a plan of the whole model (the other columns stay at 0), so it replaces the
incumbent only when cheaper and checked against every target. The core's own bound is *not*
a bound of the whole model and is only reported (``stats["core_mip"]``).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize._budget import WORK_PER_S
from planner.optimize._reduce import Reduced, merge_rows
from planner.optimize._side import Side, side_of_subset

#: free columns of smallest Lagrangian reduced cost in the core (besides the incumbent's).
#: Demo model (24,442 columns, incumbent 15,975 with 1,693 sites, multipliers of 1,100–1,200
#: subgradient steps), SCIP root only: 2,000 columns 2 s → 15,513; 2,500: 4.5–6 s → 15,441–15,455;
#: 3,000: 18 s → 15,437; 5,000 (550-step multipliers): root unfinished after 60 s
CORE_MIP_COLS = 2500
#: free core columns per nominal second of the core stage's share (capped at :data:`CORE_MIP_COLS`).
#: SCIP's root (LP, cuts, diving and RENS heuristics) has no work limit of its own and its work
#: grows with the core, so the core is sized to the share instead: a share below
#: ``CORE_MIP_COLS / CORE_COLS_PER_S`` nominal seconds gets a proportionally smaller core (the
#: incumbent's columns always stay). Measured on the demo model's cores, SCIP root, one thread:
#: 2,607 columns (9,551 rows, 21,411 nonzeros) 6.6 CPU s; 3,056 columns (12,028 rows, 29,997
#: nonzeros) 15 s wall at a load average of 2.5 on the 2-vCPU development machine
CORE_COLS_PER_S = 450.0
#: below this share (nominal seconds) the core MIP is skipped: its root alone would overrun it
CORE_MIN_S = 0.5
#: nominal seconds (:data:`~planner.optimize._budget.WORK_PER_S` work units each) of one SCIP
#: branch-and-bound node after the root on a core of :data:`CORE_NODE_REF_COLS` columns; a node
#: on a core of ``c`` columns is charged ``CORE_NODE_S × (c / CORE_NODE_REF_COLS) ** CORE_NODE_EXP``
#: (:func:`core_node_s`). Measured 2026-12-06 on the demo models' PDLP cores with
#: :data:`CORE_SCIP_SETTINGS`, one thread, load 2.9-3.4 on the 2-vCPU machine, CPU s: new
#: defaults, 6,452 columns (24,879 rows, 58,499 nonzeros): 1 node 17.7 s, 6 nodes 34.0 s, i.e.
#: 3.3 s a node; old model, 2,968 columns (11,394 rows): root 4.8 s, 11 nodes 11.7-17.1 s, 17
#: nodes 22.2 s, 30 nodes 25.1 s, i.e. 0.7-1.1 s a node on average (the later nodes are cheaper).
#: The exponent is fitted to 3.3 and 1.0 s. The former flat rate (1 node per nominal s) gave the
#: new demo's core nodes a third of their cost
CORE_NODE_S = 3.3
CORE_NODE_REF_COLS = 6450.0
CORE_NODE_EXP = 1.5
#: core columns per nominal second of the root's estimate (model build, LP, 5 separation rounds,
#: diving and RENS heuristics). PDLP cores of the demo models, CPU s at load 2.4-3.6 on the 2-vCPU
#: machine: new defaults 6,452 columns 15.7-17.7 s, 6,652 columns 18.6 s (358-411 columns a
#: second); old model 2,968 columns 4.8 s (618 a second). Above 6,652 columns the root's time is
#: erratic (6,852 columns 50.6 s, 7,002 35.5 s, 7,152 45.7 s), which is why :data:`CORE_X_COLS`
#: caps the core. (300 before: it put the new demo's 2,500-column core above its share.)
CORE_ROOT_COLS_PER_S = 350.0


#: SCIP settings of the core MIP (``name = value`` lines, deterministic limits only). Five
#: separation rounds at the root instead of SCIP's default (up to 20+ on the demo): on the new
#: demo's 6,652-column PDLP core the rounds after the fifth moved the core's bound by < 0.01 %
#: and took about 40 % of the root's time; whole solve 69 → 42 CPU s (42,690 → 42,734)
CORE_SCIP_SETTINGS = "separating/maxroundsroot = 5\n"


def core_node_s(n_cols: int) -> float:
    """Nominal seconds charged for one SCIP node after the root on a core of ``n_cols`` columns.

    See :data:`CORE_NODE_S`; at least :data:`CORE_NODE_MIN_S`.
    """
    return max(CORE_NODE_MIN_S, CORE_NODE_S * math.pow(max(1, n_cols) / CORE_NODE_REF_COLS, CORE_NODE_EXP))


def core_nodes(core_span: float, n_cols: int) -> int:
    """SCIP's node limit on a core of ``n_cols`` columns with a share of ``core_span`` nominal s.

    The root (1 node), plus as many nodes of :func:`core_node_s` as fit in the share left after
    the root's estimate of ``n_cols /`` :data:`CORE_ROOT_COLS_PER_S` seconds (at most
    :data:`CORE_MAX_NODES`).
    """
    left = max(0.0, core_span - n_cols / CORE_ROOT_COLS_PER_S)
    return 1 + int(min(CORE_MAX_NODES - 1, left / core_node_s(n_cols)))


def core_units(n_cols: int, nodes: int) -> float:
    """Work units charged for SCIP's root and ``nodes − 1`` further nodes on a core of ``n_cols`` columns."""
    return WORK_PER_S * (n_cols / CORE_ROOT_COLS_PER_S + max(0, nodes - 1) * core_node_s(n_cols))


#: most SCIP nodes of a core MIP, and the least a node is charged (nominal s): the power law of
#: :func:`core_node_s` is fitted on demo-sized cores and not trusted far below them
CORE_MAX_NODES = 200
CORE_NODE_MIN_S = 0.1


def core_size(core_span: float) -> int:
    """Free columns of the core for a stage share of ``core_span`` nominal seconds (see :data:`CORE_COLS_PER_S`)."""
    return int(min(CORE_MIP_COLS, CORE_COLS_PER_S * max(0.0, core_span)))


def lagrangian_core(
    red: Reduced, rc: NDArray[np.float64], inc: NDArray[np.bool_] | None, size: int
) -> NDArray[np.int64]:
    """Sorted free-column indices of the core (see module docstring); ties go to the smaller index."""
    n = red.n_cols
    keep = np.zeros(n, dtype=bool) if inc is None else inc.copy()
    order = np.lexsort((np.arange(n), rc))
    keep[order[: min(size, n)]] = True
    _cover_hard(red, keep, order)
    return np.flatnonzero(keep).astype(np.int64)


#: LP core (:func:`lp_core`): free columns outside the incumbent added by PDLP's primal value
#: (largest first) per nominal second of the core stage's share, at most :data:`CORE_X_COLS`,
#: only those with ``x_j ≥`` :data:`CORE_X_MIN`. Measured on the demo models (SCIP root, one
#: thread, load 7, 2026-12-06): new defaults (incumbent 4,151 sites, PDLP 3,000 units) x > 0.3:
#: 6,486 columns, 16.6 CPU s → 43,936 to 42,670 (the Lagrangian core of 5,148 columns: 43,520);
#: x > 0.2: 7,667 columns, root unfinished after 98 CPU s (42,786 so far). Old model (omni,
#: LOS probability; incumbent 15,971) x > 0.2: 3,035 columns, 9.7 CPU s → 15,385 (Lagrangian
#: core: 15,433); x > 0.1: 3,588 columns, unfinished after 25 CPU s. New demo, PDLP x of 674
#: iterations, root only, CPU s at load 2.9-3.6: 2,300 new columns 15.7-17.7 s → 42,784, 2,500:
#: 18.6 s → 42,734, 2,700: 50.6 s → 42,658, 2,850: 35.5 s → 42,624, 3,000: 45.7 s → 42,602 (the
#: root's time jumps above 2,500, see :data:`CORE_ROOT_COLS_PER_S`)
CORE_X_COLS = 2500
CORE_X_COLS_PER_S = 185.0
CORE_X_MIN = 0.2


def lp_core(
    red: Reduced, x: NDArray[np.float64], rc: NDArray[np.float64], inc: NDArray[np.bool_], n_new: int
) -> NDArray[np.int64]:
    """Sorted free-column indices of the LP core: the incumbent plus the ``n_new`` columns of largest ``x``.

    Only columns with ``x_j ≥`` :data:`CORE_X_MIN` join; ties go to the smaller reduced cost
    ``rc``, then to the smaller index. Every hard row the core would leave short gets its
    columns of smallest ``rc`` (as in :func:`lagrangian_core`).
    """
    n = red.n_cols
    keep = inc.copy()
    order = np.lexsort((np.arange(n), rc, -x))
    cand = order[(x[order] >= CORE_X_MIN) & ~inc[order]]
    keep[cand[: max(0, n_new)]] = True
    _cover_hard(red, keep, np.lexsort((np.arange(n), rc)))
    return np.flatnonzero(keep).astype(np.int64)


def _cover_hard(red: Reduced, keep: NDArray[np.bool_], order: NDArray[np.int64]) -> None:
    """Add to ``keep`` (in place), for every hard row it leaves short, its first columns in ``order``."""
    n = red.n_cols
    a = red.a
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    in_core = np.asarray(a @ keep.astype(np.int64)).ravel()
    for i in np.flatnonzero(red.hard & (in_core < red.k)):
        cols = a.indices[a.indptr[i] : a.indptr[i + 1]]
        keep[cols[np.argsort(rank[cols])[: int(red.k[i])]]] = True


def core_problem(red: Reduced, keep: NDArray[np.int64]) -> Reduced:
    """The reduced problem on the columns ``keep``: rows no core plan can serve dropped, identical rows merged."""
    a = sp.csr_matrix(red.a[:, keep])
    live = np.diff(a.indptr) >= red.k
    rows = np.flatnonzero(live)
    a2, w2, area2, k2, hard2 = merge_rows(
        sp.csr_matrix(a[rows]), red.w[rows], red.area[rows], red.k[rows], red.hard[rows]
    )
    return Reduced(
        cols=red.cols[keep],
        base=red.base,
        a=a2,
        w=w2,
        area=area2,
        k=k2,
        hard=hard2,
        need=red.need,
        const_w=red.const_w,
        lost_w=red.lost_w,
        total_w=red.total_w,
        stats=red.stats,
    )


def core_mip(
    red: Reduced,
    side: Side,
    inc: NDArray[np.bool_],
    rc: NDArray[np.float64],
    *,
    deadline: float,
    node_limit: int | None,
    seed: int,
    stats: dict[str, Any],
    size: int = CORE_MIP_COLS,
    keep: NDArray[np.int64] | None = None,
) -> NDArray[np.bool_] | None:
    """SCIP on a core, hinted with ``inc``; a cheaper plan meeting every target, or None.

    ``keep``: the core's free columns (e.g. :func:`lp_core`); None: the Lagrangian core of
    ``size`` columns (:func:`lagrangian_core`). ``node_limit``: SCIP nodes (the work bound;
    None: until optimal); ``deadline``: the solve's safety stop (``time.perf_counter()``).
    """
    from planner.optimize._heuristics import _meets_targets
    from planner.optimize._scip import scip_solve

    t0 = time.perf_counter()
    if keep is None:
        keep = lagrangian_core(red, rc, inc, size)
    sub = core_problem(red, keep)
    sub_side = side_of_subset(side, keep)
    info: dict[str, Any] = {"cols": int(keep.size), "rows": int(sub.a.shape[0]), "nnz": int(sub.a.nnz)}
    stats["core_mip"] = info
    if deadline - time.perf_counter() < 1.0:  # the safety stop (not the work budget) is near
        info["skipped"] = "safety stop reached"
        info["time_limited"] = True
        return None
    res = scip_solve(
        sub,
        sub_side,
        "min_cost",
        deadline=deadline,
        workers=1,
        seed=seed,
        hint=inc[keep],
        node_limit=node_limit,
        settings=CORE_SCIP_SETTINGS,
    )
    start = float(side.cost[inc].sum())
    info.update(
        status=res.status,
        nodes=res.info.get("nodes"),
        node_limit=node_limit,
        seconds=round(time.perf_counter() - t0, 3),
        start=start,
        time_limited=bool(res.info.get("time_limited")),
    )
    if res.x is None:
        return None
    cand = np.zeros(red.n_cols, dtype=bool)
    cand[keep[res.x]] = True
    value = float(side.cost[cand].sum())
    ok = _meets_targets(red, cand)
    info.update(objective=value, core_bound=float(res.bound / res.info["c_scale"]), feasible=ok)
    if not ok or value >= start - 1e-9:
        return None
    return cand
