"""Build order (建设时序) of a plan's sites: the lazy greedy against its slow reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from planner.rollout import rollout_order, rollout_reference


@pytest.mark.parametrize("seed", range(8))
def test_rollout_equals_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_sites, n_rows = int(rng.integers(1, 25)), int(rng.integers(1, 80))
    a = sp.random(n_sites, n_rows, density=0.15, random_state=seed, format="csr")
    a.data[:] = 1.0
    w = rng.choice([0.5, 1.0, 2.0], n_rows)  # repeated weights: ties in gain must break the same way
    k = rng.choice([1, 1, 2], n_rows)
    on_air = rng.random(n_sites) < 0.2
    cost = rng.choice([3.0, 5.0], n_sites)
    rank, served = rollout_order(a, w, k, on_air, cost)
    rank_ref, served_ref = rollout_reference(a, w, k, on_air, cost)
    np.testing.assert_array_equal(rank, rank_ref)
    np.testing.assert_allclose(served, served_ref, rtol=0, atol=1e-12)
    assert np.all(rank[on_air] == 0) and sorted(rank[~on_air]) == list(range(1, int((~on_air).sum()) + 1))
    # the curve never falls along the build order and ends at the plan's served share
    order = np.argsort(rank, kind="stable")
    assert np.all(np.diff(served[order]) >= -1e-12)
    full = np.asarray(a.sum(axis=0)).ravel() >= k
    assert served[order][-1] == pytest.approx(float(w[full].sum() / w.sum()))


def test_rollout_by_hand() -> None:
    """Site 1 serves rows 0-2, site 0 rows 2-3, site 2 row 4 (needs 2 sites: 2 and 0)."""
    a = sp.csr_matrix(np.array([[0, 0, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 0, 0, 1]]))
    w = np.ones(5)
    k = np.array([1, 1, 1, 1, 2])
    rank, served = rollout_order(a, w, k, np.zeros(3, bool))
    # gains: site 1 = 3, site 0 = 2 + 0.5, site 2 = 0.5 → 1 first; then site 0 (1 + 0.5); then site 2
    assert rank.tolist() == [2, 1, 3]
    assert served.tolist() == pytest.approx([0.8, 0.6, 1.0])
    # an on-air site is rank 0 and counts from the start
    rank, served = rollout_order(a, w, k, np.array([False, False, True]))
    assert rank.tolist() == [2, 1, 0] and served[2] == 0.0 and served[0] == pytest.approx(1.0)
