"""The cell-edge loss quantile under TR 38.901's LOS/NLOS shadowing mixture (numba kernels).

Split from :mod:`kernels.pathloss` (which re-exports these names): the Newton root of
``p Φ((L − PL_LOS)/σ_LOS) + (1 − p) Φ((L − PL_NLOS)/σ_NLOS) = edge_p`` that ``radio.los =
"mixture"`` uses per site–cell pair. Pure-Python reference: ``tests/test_pathloss.py``
(``ref_mixture_loss``).
"""

from __future__ import annotations

import math

from kernels._jit import jit

#: 1/√2 and 1/√(2π): Φ(u) = erfc(−u/√2)/2 and φ(u) = e^{−u²/2}/√(2π)
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: :func:`mixture_loss` stops when a Newton step (or, bisecting, its bracket) is below this (dB)
MIXTURE_TOL_DB = 1e-6
#: the coverage fill's stopping step for :func:`mixture_loss_from` (dB): after a Newton step this small
#: the root is within ≈ 1e-8 dB (quadratic convergence), far below float32 resolution
FILL_TOL_DB = 1e-4


@jit
def _mixture_cdf(x: float, p: float, pl_los: float, pl_nlos: float, s_los: float, s_nlos: float) -> tuple[float, float]:
    """``(F(x), F'(x))``: CDF and density of the LOS/NLOS mixture at loss ``x`` (dB); σ = 0 is a
    point mass (density 0).
    """
    f = 0.0
    df = 0.0
    if s_los > 0.0:
        u = (x - pl_los) / s_los
        f += p * 0.5 * math.erfc(-u * INV_SQRT2)
        df += p * INV_SQRT_2PI * math.exp(-0.5 * u * u) / s_los
    elif x >= pl_los:
        f += p
    if s_nlos > 0.0:
        u = (x - pl_nlos) / s_nlos
        f += (1.0 - p) * 0.5 * math.erfc(-u * INV_SQRT2)
        df += (1.0 - p) * INV_SQRT_2PI * math.exp(-0.5 * u * u) / s_nlos
    elif x >= pl_nlos:
        f += 1.0 - p
    return f, df


@jit
def mixture_loss(
    p: float,
    pl_los: float,
    pl_nlos: float,
    margin_los_db: float,
    margin_nlos_db: float,
    sigma_los_db: float,
    sigma_nlos_db: float,
    edge_p: float,
) -> float:
    """The ``edge_p`` quantile (dB) of path loss + shadowing under the LOS/NLOS mixture.

    Solves ``p Φ((L − PL_LOS)/σ_LOS) + (1 − p) Φ((L − PL_NLOS)/σ_NLOS) = edge_p`` for L, so that
    at this distance RSRP ≥ ``budget − L`` with probability ``edge_p`` exactly (log-normal
    shadowing, TR 38.901 Table 7.4.1-1 path loss and σ_SF, Table 7.4.2-1 LOS probability p).

    The margins must be ``σ Φ⁻¹(edge_p)`` (as :class:`planner.radio.LinkBudget` gives them): the
    root then lies between the components' own quantiles ``PL_LOS + m_LOS`` and
    ``PL_NLOS + m_NLOS``, which bracket a safeguarded Newton iteration started at the dB average
    (Φ via ``math.erfc``; a step that leaves the bracket bisects it). It stops when a Newton step
    is below :data:`MIXTURE_TOL_DB` (1e-6 dB; with quadratic convergence the returned value is
    then within ≈ 1e-12 dB of the root), after 4 iterations on average at the scenario defaults;
    the result is deterministic. ``σ = 0`` is a point mass (bisection to 1e-6 dB);
    ``p = 1`` / ``p = 0`` return the LOS / NLOS quantile exactly.
    """
    return mixture_loss_from(math.nan, MIXTURE_TOL_DB, p, pl_los, pl_nlos, margin_los_db, margin_nlos_db,
                             sigma_los_db, sigma_nlos_db, edge_p)


@jit
def mixture_loss_from(
    x0: float,
    tol_db: float,
    p: float,
    pl_los: float,
    pl_nlos: float,
    margin_los_db: float,
    margin_nlos_db: float,
    sigma_los_db: float,
    sigma_nlos_db: float,
    edge_p: float,
) -> float:
    """:func:`mixture_loss` started at ``x0`` (dB; NaN or outside the bracket: the dB average) and
    stopped when a Newton step is below ``tol_db``.

    The coverage fill passes the previous cell's root (its neighbour in the row, a fraction of a
    dB away) and ``tol_db`` = :data:`FILL_TOL_DB`: about 2.3 Φ evaluations per cell instead of
    3.1–4.0, the result within 1e-7 dB of :func:`mixture_loss` (the error after a Newton step of
    size t is of order t², 1e-8 dB here; below the float32 resolution of an RSRP, ≈ 8e-6 dB).
    """
    q_los = pl_los + margin_los_db
    q_nlos = pl_nlos + margin_nlos_db
    if p >= 1.0:
        return q_los
    if p <= 0.0:
        return q_nlos
    lo = min(q_los, q_nlos)
    hi = max(q_los, q_nlos)
    if hi - lo <= tol_db:
        return hi
    if lo < x0 < hi:
        x = x0
    else:
        x = min(max(p * q_los + (1.0 - p) * q_nlos, lo), hi)
    for _ in range(200):
        f, df = _mixture_cdf(x, p, pl_los, pl_nlos, sigma_los_db, sigma_nlos_db)
        f -= edge_p
        if f >= 0.0:  # the CDF is non-decreasing: the root is at or below x
            hi = x
        else:
            lo = x
        if df > 0.0:
            step = f / df
            if abs(step) <= tol_db:  # converged (a step this small may not move x at all)
                return x - step
            xn = x - step
            if lo < xn < hi:
                x = xn
                continue
        if hi - lo <= tol_db:
            return hi
        x = 0.5 * (lo + hi)
    return x
