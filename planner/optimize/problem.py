"""The coverage problem (numpy / scipy.sparse only) and conflict pairs from minimum separations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from planner.errors import PlannerError, Problem


@dataclass
class CoverageProblem:
    r"""A site-placement problem: rows = demand, columns = candidate sites.

    Formulation (``x_j`` = site ``j`` is built, ``y_i`` = demand row ``i`` is covered)::

        x_j ∈ {0, 1}  for every candidate j;   y_i ∈ [0, 1]  for every (aggregated) demand row i
        k_i · y_i ≤ Σ_j a_ij x_j                                  (row i needs k_i serving sites)

        min_cost:      min Σ_j c_j x_j
                       s.t. Σ_{i∈A} w_i y_i ≥ t_A · Σ_{i∈A} w_i   for every area A
        max_coverage:  max Σ_i w_i y_i
                       s.t. Σ_j c_j x_j ≤ budget   and/or   Σ_j x_j ≤ max_sites
        lexicographic: max coverage as above, then min cost at that coverage

        side constraints (all objectives):
          x_j = 1 for fixed sites (existing 5G, on air), x_j = 0 for forbidden sites,
          x_a + x_b ≤ 1 for every conflict pair (minimum separation per class pair),
          Σ_{j of type T} x_j ≤ cap_T (per-type caps),
          Σ_{j∈G} x_j ≤ 1 for every pole group G (合杆: one site per merged pole group).

    Budget, ``max_sites`` and per-type caps count the sites the plan *adds*: fixed sites
    are already built and are not counted against them. The cost of a fixed site is
    included in the objective as given (normally 0). Since a row is either covered or not
    in an optimal integer plan, ``y_i`` is modelled as binary (for ``t_A = 1`` the row
    becomes the plain cover constraint ``Σ_j a_ij x_j ≥ k_i``).

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        Coverage, rows × columns, nonzero = column ``j`` serves row ``i``.
    cost : ndarray of float, shape (n_cols,)
        Cost of each candidate (万元, or any unit; ≥ 0).
    row_weight : ndarray of float, shape (n_rows,)
        Demand weight of each row (e.g. weight × km² of the cell).
    row_area : ndarray of int, shape (n_rows,)
        Area index of each row, in ``0 .. n_areas-1``.
    row_k : ndarray of int, shape (n_rows,)
        Number of distinct serving sites each row needs (k-coverage, ≥ 1).
    area_target : ndarray of float, shape (n_areas,)
        Fraction of each area's weight that must be covered (``min_cost``), in [0, 1].
    area_names : list of str
        Name of each area.
    col_ids : list of str, optional
        Identifier of each candidate; left out (empty): ``"0"``, ``"1"``, ...
    col_type : ndarray of str, optional
        Type of each candidate (for ``type_caps``); left out (empty): ``"site"`` for all.
    col_group : ndarray of int, optional
        Pole group of each candidate; ``-1`` = alone. At most one site per group ≥ 0.
        Left out (empty): every candidate alone.
    fixed, forbidden : ndarray of bool, optional
        Candidates that must / must not be selected; left out (empty): none.
    conflicts : ndarray of int, shape (m, 2), optional
        Pairs of column indices that may not both be selected; left out: none (shape (0, 2)).
    type_caps : dict of str to int, optional
        Maximum number of added sites per candidate type; left out (empty): no cap.
    budget : float, optional
        Maximum total cost of the added sites (``max_coverage``, ``lexicographic``).
    max_sites : int, optional
        Maximum number of added sites (``max_coverage``, ``lexicographic``).

    After construction every per-column field is a full-length array, ``conflicts`` an
    ``(m, 2)`` array and ``type_caps`` a dict (``None`` given for any of them means "left
    out"), so code reading a problem never tests for ``None``.
    """

    a: sp.csr_matrix
    cost: NDArray[np.float64]
    row_weight: NDArray[np.float64]
    row_area: NDArray[np.int64]
    row_k: NDArray[np.int64]
    area_target: NDArray[np.float64]
    area_names: list[str]
    col_ids: list[str] = field(default_factory=list)
    col_type: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype=str))
    col_group: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    fixed: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    forbidden: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    conflicts: NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    type_caps: Mapping[Any, int] = field(default_factory=dict)
    budget: float | None = None
    max_sites: int | None = None

    def __post_init__(self) -> None:
        a = sp.csr_matrix(self.a)
        a.sum_duplicates()
        a.sort_indices()
        a.data = np.ones(a.nnz, dtype=np.int8)
        self.a = a
        m, n = a.shape
        self.cost = np.asarray(self.cost, dtype=np.float64).reshape(-1)
        self.row_weight = np.asarray(self.row_weight, dtype=np.float64).reshape(-1)
        self.row_area = np.asarray(self.row_area, dtype=np.int64).reshape(-1)
        self.row_k = np.asarray(self.row_k, dtype=np.int64).reshape(-1)
        self.area_target = np.asarray(self.area_target, dtype=np.float64).reshape(-1)
        self.area_names = [str(s) for s in self.area_names]
        if not self.col_ids:
            self.col_ids = [str(j) for j in range(n)]
        self.col_type = _filled(self.col_type, n, "site").astype(str)
        self.col_group = _filled(self.col_group, n, -1).astype(np.int64)
        self.fixed = _filled(self.fixed, n, False).astype(bool)
        self.forbidden = _filled(self.forbidden, n, False).astype(bool)
        self.type_caps = {} if self.type_caps is None else {str(t): int(v) for t, v in self.type_caps.items()}
        conf = np.zeros((0, 2)) if self.conflicts is None else np.asarray(self.conflicts)
        self.conflicts = conf.astype(np.int64).reshape(-1, 2)
        problems: list[str] = []
        for name, arr, size in (
            ("cost", self.cost, n),
            ("row_weight", self.row_weight, m),
            ("row_area", self.row_area, m),
            ("row_k", self.row_k, m),
            ("col_type", self.col_type, n),
            ("col_group", self.col_group, n),
            ("fixed", self.fixed, n),
            ("forbidden", self.forbidden, n),
        ):
            if arr.shape[0] != size:
                problems.append(f"{name} has {arr.shape[0]} entries, expected {size}")
        if len(self.col_ids) != n:
            problems.append(f"col_ids has {len(self.col_ids)} entries, expected {n}")
        if len(self.area_names) != self.area_target.size:
            problems.append(f"area_names has {len(self.area_names)} entries, expected {self.area_target.size}")
        if m and (self.row_area.min() < 0 or self.row_area.max() >= self.area_target.size):
            problems.append("row_area must index area_target")
        if m and self.row_k.min() < 1:
            problems.append("row_k must be ≥ 1")
        if (self.cost < 0).any() or not np.isfinite(self.cost).all():
            problems.append("costs must be finite and ≥ 0")
        if (self.row_weight < 0).any() or not np.isfinite(self.row_weight).all():
            problems.append("row weights must be finite and ≥ 0")
        if ((self.area_target < 0) | (self.area_target > 1)).any():
            problems.append("area targets must lie in [0, 1]")
        if (self.fixed & self.forbidden).any():
            problems.append("a site cannot be both fixed and forbidden")
        if self.conflicts.size and (self.conflicts.min() < 0 or self.conflicts.max() >= n):
            problems.append("conflict pairs must index columns")
        if self.budget is not None and self.budget < 0:
            problems.append("budget must be ≥ 0")
        if self.max_sites is not None and self.max_sites < 0:
            problems.append("max_sites must be ≥ 0")
        if problems:
            raise PlannerError([Problem(p, "CoverageProblem") for p in problems])

    @property
    def n_rows(self) -> int:
        """Number of demand rows."""
        return int(self.a.shape[0])

    @property
    def n_cols(self) -> int:
        """Number of candidate columns."""
        return int(self.a.shape[1])

    @property
    def n_areas(self) -> int:
        """Number of areas."""
        return int(self.area_target.size)


def _filled(values: Any, n: int, default: Any) -> NDArray[Any]:
    """``values`` as a flat array, or ``n`` copies of ``default`` when left out (None or empty)."""
    arr = np.zeros(0) if values is None else np.asarray(values).reshape(-1)
    return np.full(n, default) if arr.size == 0 and n > 0 else arr


def conflicts_from_points(
    x_m: NDArray[np.float64],
    y_m: NDArray[np.float64],
    site_class: NDArray[np.str_] | Sequence[str],
    min_sep: Mapping[Any, float],
) -> NDArray[np.int64]:
    """Pairs of candidates closer than the minimum separation of their classes.

    Parameters
    ----------
    x_m, y_m : ndarray of float
        Candidate coordinates in a metric CRS (m).
    site_class : array of str
        Class (or type) of each candidate, e.g. ``"macro"`` / ``"micro"``.
    min_sep : mapping
        Minimum separation (m). Keys are a class (``"macro"``: between two macro sites),
        or a class pair ``"macro-micro"`` / ``"macro:micro"`` (either order). A pair of
        classes without an explicit pair key uses the larger of the two single-class values
        only when both classes are equal; different classes without a pair key do not conflict.

    Returns
    -------
    ndarray of int64, shape (m, 2)
        Index pairs ``(i, j)`` with ``i < j``, sorted.
    """
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    cls = np.asarray(site_class).astype(str)
    seps: dict[tuple[str, str], float] = {}
    for key, value in min_sep.items():
        parts = [p.strip() for p in str(key).replace(":", "-").replace("|", "-").split("-") if p.strip()]
        if len(parts) == 1:
            parts = parts * 2
        if len(parts) != 2:
            raise PlannerError(
                Problem(
                    f"bad separation key {key!r}",
                    "candidates.min_separation_m",
                    fix='use a class ("macro") or a pair ("macro-micro")',
                )
            )
        a_, b_ = sorted(parts)
        seps[(a_, b_)] = float(value)
    out: list[NDArray[np.int64]] = []
    if x.size < 2 or not seps:
        return np.zeros((0, 2), dtype=np.int64)
    pts = np.column_stack([x, y])
    for (ca, cb), d in seps.items():
        if d <= 0:
            continue
        ia = np.flatnonzero(cls == ca)
        ib = np.flatnonzero(cls == cb)
        if ia.size == 0 or ib.size == 0:
            continue
        ta, tb = cKDTree(pts[ia]), cKDTree(pts[ib])
        pairs = ta.sparse_distance_matrix(tb, d, output_type="ndarray")
        if pairs.size == 0:
            continue
        i = ia[pairs["i"]]
        j = ib[pairs["j"]]
        keep = (i != j) & (pairs["v"] < d)
        lo, hi = np.minimum(i[keep], j[keep]), np.maximum(i[keep], j[keep])
        out.append(np.column_stack([lo, hi]).astype(np.int64))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    allp = np.unique(np.vstack(out), axis=0)
    return np.ascontiguousarray(allp, dtype=np.int64)
