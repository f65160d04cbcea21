"""TR 38.901 path loss: kernel vs an independent pure-Python table, published vectors, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.radio import los_probability, pathloss

C = 299_792_458.0  # free space
C_BP = 3.0e8  # breakpoints: TR 38.901 Table 7.4.1-1 note 1


def ref_pl(
    model: str, fc: float, d2d: float, hbs: float, hut: float, los: bool, w: float = 20.0, h: float = 5.0
) -> float:
    """TR 38.901 v17 Table 7.4.1-1, written from the table with the math module only (valid inputs)."""
    d3d = math.hypot(d2d, hbs - hut)
    lg = math.log10
    if model == "fspl":
        return 20 * lg(4 * math.pi * d3d * fc * 1e9 / C)
    if model == "uma":
        dbp = 4 * (hbs - 1) * (hut - 1) * fc * 1e9 / C_BP
        pl_los = (
            28 + 22 * lg(d3d) + 20 * lg(fc)
            if d2d <= dbp
            else 28 + 40 * lg(d3d) + 20 * lg(fc) - 9 * lg(dbp**2 + (hbs - hut) ** 2)
        )
        if los:
            return pl_los
        return max(pl_los, 13.54 + 39.08 * lg(d3d) + 20 * lg(fc) - 0.6 * (hut - 1.5))
    if model == "umi":
        dbp = 4 * (hbs - 1) * (hut - 1) * fc * 1e9 / C_BP
        pl_los = (
            32.4 + 21 * lg(d3d) + 20 * lg(fc)
            if d2d <= dbp
            else 32.4 + 40 * lg(d3d) + 20 * lg(fc) - 9.5 * lg(dbp**2 + (hbs - hut) ** 2)
        )
        if los:
            return pl_los
        return max(pl_los, 35.3 * lg(d3d) + 22.4 + 21.3 * lg(fc) - 0.3 * (hut - 1.5))
    # rma
    dbp = 2 * math.pi * hbs * hut * fc * 1e9 / C_BP

    def pl1(d: float) -> float:
        return (
            20 * lg(40 * math.pi * d * fc / 3)
            + min(0.03 * h**1.72, 10) * lg(d)
            - min(0.044 * h**1.72, 14.77)
            + 0.002 * lg(h) * d
        )

    pl_los = pl1(d3d) if d2d <= dbp else pl1(dbp) + 40 * lg(d3d / dbp)
    if los:
        return pl_los
    pl_n = (
        161.04
        - 7.1 * lg(w)
        + 7.5 * lg(h)
        - (24.37 - 3.7 * (h / hbs) ** 2) * lg(hbs)
        + (43.42 - 3.1 * lg(hbs)) * (lg(d3d) - 3)
        + 20 * lg(fc)
        - (3.2 * lg(11.75 * hut) ** 2 - 4.97)
    )
    return max(pl_los, pl_n)


def ref_plos(model: str, d: float, hut: float = 1.5) -> float:
    """TR 38.901 Table 7.4.2-1."""
    if model == "rma":
        return 1.0 if d <= 10 else math.exp(-(d - 10) / 1000)
    if d <= 18:
        return 1.0
    if model == "umi":
        return 18 / d + math.exp(-d / 36) * (1 - 18 / d)
    c = 0.0 if hut <= 13 else ((hut - 13) / 10) ** 1.5
    return (18 / d + math.exp(-d / 63) * (1 - 18 / d)) * (1 + c * 5 / 4 * (d / 100) ** 3 * math.exp(-d / 150))


FCS = [0.7, 2.6, 3.5, 4.9]
DISTS = [10.0, 25.0, 60.0, 150.0, 400.0, 900.0, 1600.0, 3000.0]
HBS = [10.0, 15.0, 25.0, 35.0]


@pytest.mark.parametrize("model", ["uma", "umi", "rma", "fspl"])
@pytest.mark.parametrize("los", [True, False])
def test_matches_table_within_0_01_db(model: str, los: bool) -> None:
    grid = np.array(np.meshgrid(FCS, DISTS, HBS, indexing="ij")).reshape(3, -1)
    got = pathloss(model, grid[0], grid[1], grid[2], 1.5, los)
    want = np.array([ref_pl(model, f, d, h, 1.5, los) for f, d, h in grid.T])
    np.testing.assert_allclose(got, want, atol=0.01, rtol=0)


@pytest.mark.parametrize("model", ["uma", "umi", "rma"])
def test_random_table_points(model: str) -> None:
    rng = np.random.default_rng(38901)
    n = 400
    fc = rng.uniform(0.7, 4.9, n)
    d = rng.uniform(10, 3000, n)
    hbs = rng.uniform(10, 35, n)
    # UE below the mast (the clamping floors h_BS at h_UT + 1 m, outside the table)
    hut = rng.uniform(1.5, np.minimum(10.0 if model == "rma" else 22.5, hbs - 1.0))
    los = rng.random(n) < 0.5
    got = pathloss(model, fc, d, hbs, hut, los)
    want = np.array([ref_pl(model, *a) for a in zip(fc, d, hbs, hut, los, strict=True)])
    np.testing.assert_allclose(got, want, atol=0.01, rtol=0)


@pytest.mark.parametrize("model", ["uma", "umi", "rma"])
def test_los_probability_table(model: str) -> None:
    d = np.array([1.0, 10.0, 18.0, 19.0, 50.0, 200.0, 1000.0, 5000.0])
    got = los_probability(model, d, 1.5)
    want = [ref_plos(model, x) for x in d]
    np.testing.assert_allclose(got, want, atol=1e-12)
    got_high = los_probability("uma", d, 20.0)
    np.testing.assert_allclose(got_high, [ref_plos("uma", x, 20.0) for x in d], atol=1e-12)


def test_out_of_validity_is_clamped_not_nan() -> None:
    # d2D below 10 m: the loss at 10 m; a 6 m pole under UMi; far beyond 5 km; odd UE heights
    assert pathloss("umi", 3.5, 0.0, 10.0) == pytest.approx(pathloss("umi", 3.5, 10.0, 10.0))
    vals = pathloss("umi", 3.5, [0.0, 5.0, 50.0, 8000.0], 6.0, [0.5, 1.5, 40.0, 1.5], False)
    assert np.all(np.isfinite(vals))
    for model in ("uma", "umi", "rma", "fspl"):
        v = pathloss(model, [0.3, 3.5, 28.0], [0.0, 20000.0, 3.0], [1.0, 200.0, 2.0], [0.2, 30.0, 1.5], False)
        assert np.all(np.isfinite(v)), model
    with pytest.raises(ValueError, match="unknown path loss model"):
        pathloss("cost231", 3.5, 100.0, 25.0)


@settings(max_examples=60, deadline=None)
@given(
    model=st.sampled_from(["uma", "umi", "rma", "fspl"]),
    fc=st.floats(0.5, 6.0),
    hbs=st.floats(3.0, 60.0),
    hut=st.floats(1.0, 22.5),
    los=st.booleans(),
    d1=st.floats(0.0, 8000.0),
    step=st.floats(0.0, 3000.0),
)
def test_never_decreases_with_distance(
    model: str, fc: float, hbs: float, hut: float, los: bool, d1: float, step: float
) -> None:
    a, b = pathloss(model, fc, [d1, d1 + step], hbs, hut, los)
    assert b >= a - 1e-9


# ns-3 src/propagation/test/three-gpp-propagation-loss-model-test-suite.cc (nsnam/ns-3-dev-git):
# fc = 5 GHz, UE at 1.5 m, BS at 35 m (RMa, W = 20 m, h = 5 m defaults), 25 m (UMa), 10 m (UMi),
# shadowing off, Pt = 0 dBm; the tabulated Pr (dBm) is −PL. ns-3 checks within 0.05 dB.
NS3_VECTORS = [
    ("rma", 35.0, 10.0, True, 77.3784),
    ("rma", 35.0, 100.0, True, 87.2965),
    ("rma", 35.0, 1000.0, True, 108.5577),
    ("rma", 35.0, 10000.0, True, 140.3896),
    ("rma", 35.0, 10.0, False, 77.3784),
    ("rma", 35.0, 100.0, False, 95.7718),
    ("rma", 35.0, 1000.0, False, 133.5223),
    ("rma", 35.0, 5000.0, False, 160.5169),
    ("uma", 25.0, 10.0, True, 72.9380),
    ("uma", 25.0, 100.0, True, 86.2362),
    ("uma", 25.0, 1000.0, True, 109.7252),
    ("uma", 25.0, 5000.0, True, 137.6794),
    ("uma", 25.0, 10.0, False, 82.5131),
    ("uma", 25.0, 100.0, False, 106.1356),
    ("uma", 25.0, 1000.0, False, 144.7641),
    ("uma", 25.0, 5000.0, False, 172.0753),
    ("umi", 10.0, 10.0, True, 69.8591),
    ("umi", 10.0, 100.0, True, 88.4122),
    ("umi", 10.0, 1000.0, True, 119.3114),
    ("umi", 10.0, 5000.0, True, 147.2696),
    ("umi", 10.0, 10.0, False, 76.7563),
    ("umi", 10.0, 100.0, False, 107.9432),
    ("umi", 10.0, 1000.0, False, 143.1886),
    ("umi", 10.0, 5000.0, False, 167.8617),
]


@pytest.mark.parametrize(("model", "hbs", "d", "los", "pl"), NS3_VECTORS)
def test_ns3_published_vectors(model: str, hbs: float, d: float, los: bool, pl: float) -> None:
    assert float(pathloss(model, 5.0, d, hbs, 1.5, los)) == pytest.approx(pl, abs=1e-3)


def test_matlab_nrpathloss_rma_example() -> None:
    """MathWorks 5G Toolbox ``nrPathLoss`` documentation example: RMa, BuildingHeight = 7 m,
    StreetWidth = 25 m, 3.5 GHz, LOS, BS at (0, 0, 30), UE at (1000, 1000, 1.5) → 110.1615 dB
    (https://www.mathworks.com/help/5g/ref/nrpathloss.html).
    """
    got = pathloss("rma", 3.5, math.hypot(1000.0, 1000.0), 30.0, 1.5, True, street_width_m=25.0, building_height_m=7.0)
    assert float(got) == pytest.approx(110.1615, abs=1e-3)


@pytest.mark.parametrize("model", ["uma", "umi", "fspl"])
def test_site_coefficients_agree_with_formulas(model: str) -> None:
    """The coverage kernel's per-site affine form gives the same loss as the table formulas."""
    from kernels.pathloss import coeff_pair, site_coefficients
    from planner.radio import MODEL_CODES

    rng = np.random.default_rng(4)
    for _ in range(200):
        fc, d, hbs, hut = rng.uniform(0.7, 4.9), rng.uniform(0, 3000), rng.uniform(4, 40), rng.uniform(1.5, 3)
        ok, *coef = site_coefficients(MODEL_CODES[model], fc, hbs, hut)
        assert ok
        pl_l, pl_n = coeff_pair(d * d, *coef)
        assert pl_l == pytest.approx(float(pathloss(model, fc, d, hbs, hut, True)), abs=1e-9)
        assert pl_n == pytest.approx(float(pathloss(model, fc, d, hbs, hut, False)), abs=1e-9)
    assert not site_coefficients(MODEL_CODES["rma"], 3.5, 35.0, 1.5)[0]


def test_uma_los_probability_never_exceeds_one() -> None:
    """TR 38.901 Table 7.4.2-1, UMa, h_UT > 13 m: ``[18/d + e^{-d/63}(1 − 18/d)]
    [1 + C'(h_UT) 5/4 (d/100)^3 e^{-d/150}]`` with ``C' = ((h_UT − 13)/10)^1.5``. Just beyond
    d = 18 m the first factor is ≈ 1 and the second already ``1 + 0.0065 C'``, so the printed
    product is 1.0052 at h_UT = 23 m, d = 18.1 m (computed by hand: 0.99994 × 1.00522). A
    probability is at most 1; with the raw product the expected loss fell below the LOS loss.
    """
    raw = ref_plos("uma", 18.1, 23.0)
    assert raw == pytest.approx(1.00516, abs=1e-4)  # the table's formula, unclipped
    d = np.array([18.05, 18.1, 18.3, 18.5, 20.0, 60.0])
    for hut in (16.0, 20.0, 22.5, 23.0, 30.0):
        got = los_probability("uma", d, hut)
        want = np.minimum([ref_plos("uma", x, min(hut, 23.0)) for x in d], 1.0)
        np.testing.assert_allclose(got, want, atol=1e-12)
        assert np.all(got <= 1.0)
    # the expected loss (mode 0) is never below the LOS loss with its margin
    from kernels.pathloss import UMA, link_loss_db

    for x in d:
        exp_loss = link_loss_db(0, UMA, 3.5, float(x), 30.0, 22.5, 2.7, 4.05, 20.0, 5.0, 4.0, 6.0, 0.75)
        los_loss = link_loss_db(2, UMA, 3.5, float(x), 30.0, 22.5, 2.7, 4.05, 20.0, 5.0, 4.0, 6.0, 0.75)
        assert exp_loss >= los_loss - 1e-12


def ref_mixture_loss(p: float, pl_los: float, pl_nlos: float, s_los: float, s_nlos: float, q: float) -> float:
    """The q quantile (dB) of ``PL + X`` with X ~ N(0, σ_LOS²) w.p. p (LOS), N(0, σ_NLOS²) else.

    Written independently of the kernel: statistics.NormalDist for Φ (σ = 0 is a step), and
    scipy.optimize.brentq on a bracket of ±(10 σ + 1) dB around both losses.
    """
    from statistics import NormalDist

    from scipy.optimize import brentq

    def cdf(x: float, mu: float, s: float) -> float:
        return NormalDist(mu, s).cdf(x) if s > 0 else float(x >= mu)

    def f(x: float) -> float:
        return p * cdf(x, pl_los, s_los) + (1 - p) * cdf(x, pl_nlos, s_nlos) - q

    w = 10 * max(s_los, s_nlos) + 1
    return float(brentq(f, min(pl_los, pl_nlos) - w, max(pl_los, pl_nlos) + w, xtol=1e-12, rtol=1e-15))


def test_mixture_loss_matches_reference() -> None:
    """kernels.pathloss.mixture_loss (Newton on erfc) against NormalDist + brentq, including
    point masses (σ = 0), the median (edge_p = 0.5, zero margins), p at 0 and 1, equal losses.
    """
    from statistics import NormalDist

    from kernels.pathloss import mixture_loss

    rng = np.random.default_rng(901)
    cases = []
    for _ in range(300):
        a = rng.uniform(60, 160)
        b = a + rng.choice([0.0, rng.uniform(0, 40)])
        s_l = rng.choice([4.0, 6.0, rng.uniform(0.5, 10)])
        s_n = max(s_l, rng.choice([6.0, 7.82, 8.0, rng.uniform(0.5, 12)]))
        cases.append((rng.choice([rng.uniform(0, 1), 1e-6, 0.999999]), a, b, s_l, s_n, rng.uniform(0.5, 0.99)))
    cases += [
        (0.4, 100.0, 110.0, 0.0, 0.0, 0.75),
        (0.8, 100.0, 110.0, 0.0, 0.0, 0.75),
        (0.3, 100.0, 110.0, 0.0, 6.0, 0.6),
        (1.0, 100.0, 120.0, 4.0, 6.0, 0.75),
        (0.0, 100.0, 120.0, 4.0, 6.0, 0.75),
        (0.5, 100.0, 100.0, 4.0, 6.0, 0.5),
    ]
    for p, a, b, s_l, s_n, q in cases:
        z = NormalDist().inv_cdf(q)
        got = mixture_loss(p, a, b, s_l * z, s_n * z, s_l, s_n, q)
        if p in (0.0, 1.0):
            assert got == (a + s_l * z if p == 1.0 else b + s_n * z)
            continue
        tol = 1e-8 if min(s_l, s_n) > 0 else 2e-6  # Newton converged / a point mass bisected to 1e-6 dB
        assert got == pytest.approx(ref_mixture_loss(p, a, b, s_l, s_n, q), abs=tol), (p, a, b, s_l, s_n, q)


@settings(max_examples=80, deadline=None)
@given(
    model=st.sampled_from(["uma", "umi", "rma", "fspl"]),
    fc=st.floats(0.7, 5.0),
    hbs=st.floats(3.0, 45.0),
    hut=st.floats(1.5, 22.5),
    q=st.floats(0.5, 0.99),
    one_sigma=st.one_of(st.none(), st.floats(0.0, 12.0)),
    d1=st.floats(0.0, 6000.0),
    step=st.floats(0.0, 2000.0),
)
def test_mixture_loss_never_decreases_with_distance(
    model: str, fc: float, hbs: float, hut: float, q: float, one_sigma: float | None, d1: float, step: float
) -> None:
    """Mode 3 (mixture quantile) is non-decreasing in d, which the radius inversion relies on:
    TR 38.901 σ_SF (σ_LOS ≤ σ_NLOS) or one σ for both (``radio.shadowing_sigma_db``).
    """
    from statistics import NormalDist

    from kernels.pathloss import MODE_MIXTURE, link_loss_db, sigma_sf
    from planner.radio import MODEL_CODES

    code = MODEL_CODES[model]
    s_l, s_n = (sigma_sf(code, True), sigma_sf(code, False)) if one_sigma is None else (one_sigma, one_sigma)
    z = NormalDist().inv_cdf(q)
    a, b = (
        link_loss_db(MODE_MIXTURE, code, fc, d, hbs, hut, s_l * z, s_n * z, 20.0, 5.0, s_l, s_n, q)
        for d in (d1, d1 + step)
    )
    assert b >= a - (2e-6 if one_sigma == 0 else 1e-9)  # point masses are bisected to 1e-6 dB
