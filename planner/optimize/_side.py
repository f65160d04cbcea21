"""Side constraints of a reduced problem, in free-column indices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.optimize._reduce import Reduced
from planner.optimize.problem import CoverageProblem


@dataclass
class Side:
    """Side constraints over the free columns of a :class:`Reduced` problem."""

    cost: NDArray[np.float64]
    conflicts: NDArray[np.int64]  # (m, 2) pairs of free-column indices
    group: NDArray[np.int64]  # compact group id per free column, -1 = none
    n_groups: int
    ctype: NDArray[np.int64]  # capped-type index per free column, -1 = uncapped
    cap: NDArray[np.int64]  # cap per capped type
    cap_names: list[str]
    max_sites: int  # -1 = none
    budget: float  # inf = none

    def conflict_csr(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Symmetric conflict adjacency as (indptr, indices)."""
        n = self.cost.size
        if self.conflicts.size == 0:
            return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        a, b = self.conflicts[:, 0], self.conflicts[:, 1]
        m = sp.csr_matrix((np.ones(2 * a.size, dtype=np.int8), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        return m.indptr.astype(np.int64), m.indices.astype(np.int64)

    @property
    def has_side(self) -> bool:
        """Whether any constraint other than coverage applies."""
        return bool(
            self.conflicts.size or self.n_groups or self.cap.size or self.max_sites >= 0 or np.isfinite(self.budget)
        )


def side_of(p: CoverageProblem, red: Reduced, objective: str) -> Side:
    """Side constraints restricted to the free columns; budget and ``max_sites`` for max objectives."""
    n = red.n_cols
    pos = np.full(p.n_cols, -1, dtype=np.int64)
    pos[red.cols] = np.arange(n)
    if p.conflicts.size:
        ca, cb = pos[p.conflicts[:, 0]], pos[p.conflicts[:, 1]]
        keep = (ca >= 0) & (cb >= 0) & (ca != cb)
        conf = np.unique(np.column_stack([np.minimum(ca[keep], cb[keep]), np.maximum(ca[keep], cb[keep])]), axis=0)
        conf = conf.astype(np.int64).reshape(-1, 2)
    else:
        conf = np.zeros((0, 2), dtype=np.int64)
    g = p.col_group[red.cols]
    # groups with a single free member impose nothing
    grp = np.full(n, -1, dtype=np.int64)
    if (g >= 0).any():
        vals, inv, counts = np.unique(g[g >= 0], return_inverse=True, return_counts=True)
        multi = counts[inv] > 1
        ids = np.full(vals.size, -1, dtype=np.int64)
        ids[counts > 1] = np.arange(int((counts > 1).sum()))
        gg = np.where(multi, ids[inv], -1)
        grp[np.flatnonzero(g >= 0)] = gg
    n_groups = int(grp.max() + 1) if grp.size and grp.max() >= 0 else 0
    ctype = np.full(n, -1, dtype=np.int64)
    caps: list[int] = []
    names: list[str] = []
    if p.type_caps:
        types = p.col_type[red.cols]
        forced = red.base & ~p.fixed
        for t, cap in sorted(p.type_caps.items()):
            members = types == t
            left = int(cap) - int((forced & (p.col_type == t)).sum())
            if left < int(members.sum()):
                ctype[members] = len(caps)
                caps.append(max(left, 0))
                names.append(t)
    max_sites = -1
    budget = np.inf
    if objective != "min_cost":
        if p.max_sites is not None and p.max_sites < n:
            max_sites = int(p.max_sites)
        if p.budget is not None:
            budget = float(p.budget)
    return Side(
        cost=p.cost[red.cols].astype(np.float64),
        conflicts=conf,
        group=grp,
        n_groups=n_groups,
        ctype=ctype,
        cap=np.asarray(caps, dtype=np.int64),
        cap_names=names,
        max_sites=max_sites,
        budget=budget,
    )


def side_of_subset(side: Side, keep: NDArray[np.int64]) -> Side:
    """The side constraints restricted to a subset ``keep`` of the free columns."""
    pos = np.full(side.cost.size, -1, dtype=np.int64)
    pos[keep] = np.arange(keep.size)
    ca, cb = pos[side.conflicts[:, 0]], pos[side.conflicts[:, 1]]
    ok = (ca >= 0) & (cb >= 0)
    conf = np.column_stack([ca[ok], cb[ok]]).astype(np.int64).reshape(-1, 2)
    return Side(
        cost=side.cost[keep],
        conflicts=conf,
        group=side.group[keep],
        n_groups=side.n_groups,
        ctype=side.ctype[keep],
        cap=side.cap,
        cap_names=side.cap_names,
        max_sites=side.max_sites,
        budget=side.budget,
    )
