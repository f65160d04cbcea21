"""Reasons for unreachable demand: forbidden zone, line of sight blocked, out of range."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from planner.coverage.reach import (
    BLOCKED,
    FORBIDDEN,
    OUT_OF_RANGE,
    REACHABLE,
    los_radius_m,
    reason_shares,
    unreachable_reasons,
)
from planner.scenario import RadioConfig


def test_reasons_by_hand() -> None:
    # rows: 0 covered by allowed c0; 1 only by forbidden c1; 2 by nobody but within c0's LOS radius;
    # 3 by nobody and far away; 4 needs k=2 and has c0 only
    a = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 0], [0, 0], [1, 0]], dtype=np.int8))
    k = np.array([1, 1, 1, 1, 2])
    forbidden = np.array([False, True])
    rows = (np.array([0.0, 0.0, 50.0, 5000.0, 10.0]), np.zeros(5))
    cands = (np.array([0.0, 100.0]), np.array([0.0, 0.0]))
    reason = unreachable_reasons(a, k, forbidden, row_xy=rows, cand_xy=cands, cand_radius_m=np.array([200.0, 200.0]))
    assert reason.tolist() == [REACHABLE, FORBIDDEN, BLOCKED, OUT_OF_RANGE, OUT_OF_RANGE]
    # without geometry (no terrain) nothing is called blocked
    plain = unreachable_reasons(a, k, forbidden)
    assert plain.tolist() == [REACHABLE, FORBIDDEN, OUT_OF_RANGE, OUT_OF_RANGE, OUT_OF_RANGE]


def test_reason_shares_are_weighted_fractions() -> None:
    reason = np.array([0, 1, 3, 3], dtype=np.int8)
    shares = reason_shares(reason, np.array([0, 0, 0, 1]), np.array([1.0, 1.0, 2.0, 5.0]), 2)
    assert np.allclose(shares["forbidden"], [0.25, 0.0])
    assert np.allclose(shares["out_of_range"], [0.5, 1.0])
    assert np.allclose(shares["blocked"], [0.0, 0.0])


def test_los_radius_grows_with_height_and_class() -> None:
    cls, h = np.array(["micro", "micro", "macro"]), np.array([8.0, 12.0, 30.0])
    r = los_radius_m(RadioConfig(terrain_clear="los"), cls, h)
    assert 0 < r[0] < r[1] < r[2]
    # "auto" without a building layer resolves to the (shorter) expected-loss radius
    auto = los_radius_m(RadioConfig(), cls, h)
    assert np.array_equal(auto, los_radius_m(RadioConfig(terrain_clear="probability"), cls, h))
    assert np.all(auto < r)
