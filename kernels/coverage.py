"""Sparse site × cell coverage (CSR) in two passes: count, then fill.

Each site visits only the cells of its bounding box of radius ``R`` (the link budget inverted
once per site, :func:`kernels.pathloss.max_radius`), row by row, with a squared-distance test
``dx² + dy² ≤ R²`` on cell centres and the demand mask. Rows run north to south and columns west
to east, so the flat cell indices of a site come out ascending. No dense site × cell array
exists at any time.

Without terrain the loss is a non-decreasing function of distance, so ``d ≤ R`` *is* the
coverage test and the first pass is pure geometry; the second pass evaluates RSRP only on the
covered cells. With terrain the radius is that of the best case (LOS); the first pass
ray-marches each cell in it (:func:`kernels.los.line_of_sight`) and records a status byte
(0 = not covered, 1 = covered in LOS, 2 = covered in NLOS) in a scratch array laid out by
bounding box, which the second pass reads, so every ray is walked once.

RSRP (dBm) = ``budget − link_loss`` where ``budget`` = EIRP per resource element + UE gain −
penetration − body loss (per site) and ``link_loss`` = path loss + shadowing margin
(:func:`kernels.pathloss.link_loss_sq`).

Note on ``cache=True``: numba keys a cached kernel on its own source file only, so after
editing ``pathloss.py``, ``los.py`` or ``_vmath.py`` delete ``kernels/__pycache__/*.nb[ic]`` (a fresh checkout
has none).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kernels._jit import jit, jit_vec
from kernels._vmath import vexp, vlog
from kernels.antenna import best_gain_fast, pattern_constants
from kernels.los import ground_at, line_of_sight
from kernels.pathloss import (
    D2D_MIN,
    FILL_TOL_DB,
    FSPL,
    HALF_INV_LN10,
    UMA,
    UMI,
    coeff_pair,
    link_loss_sq,
    los_probability,
    mixture_loss_from,
    site_coefficients,
)

# jit_vec (kernels._jit) for loops meant to run on SIMD lanes: no ZeroDivisionError branch on
# float division (which stops LLVM's vectoriser); division by zero gives inf / NaN as in numpy

#: LOS modes (as in :func:`kernels.pathloss.link_loss_db`)
MODE_EXPECTED = 0
MODE_NLOS = 1
MODE_LOS = 2
MODE_MIXTURE = 3


@jit
def _rows(sy: float, rad: float, y0: float, res: float, ny: int) -> tuple[int, int]:
    r0 = max(0, math.ceil((y0 - sy - rad) / res - 0.5))
    r1 = min(ny - 1, math.floor((y0 - sy + rad) / res - 0.5))
    return r0, r1


@jit
def _cols(sx: float, rad: float, x0: float, res: float, nx: int) -> tuple[int, int]:
    c0 = max(0, math.ceil((sx - rad - x0) / res - 0.5))
    c1 = min(nx - 1, math.floor((sx + rad - x0) / res - 0.5))
    return c0, c1


@jit
def bbox_sizes(
    sx: NDArray[np.float64], sy: NDArray[np.float64], radius: NDArray[np.float64],
    x0: float, y0: float, res: float, nx: int, ny: int,
) -> NDArray[np.int64]:
    """Number of grid cells in each site's bounding box of its radius (0 when R < 0)."""
    n = sx.size
    out = np.zeros(n, dtype=np.int64)
    for s in range(n):
        rad = radius[s]
        if rad < 0.0:
            continue
        r0, r1 = _rows(sy[s], rad, y0, res, ny)
        c0, c1 = _cols(sx[s], rad, x0, res, nx)
        if r1 >= r0 and c1 >= c0:
            out[s] = (r1 - r0 + 1) * (c1 - c0 + 1)
    return out


@jit
def _span(sx: float, dy2: float, r2: float, c0: int, c1: int, x0: float, res: float) -> tuple[int, int]:
    """Columns ``a..b`` of the cells of one row with ``dx² + dy² ≤ R²`` (empty when b < a).

    ``dx`` rises with the column, so ``dx² + dy²`` falls then rises and the cells that pass
    the test are contiguous: a one-cell-wide guess from the circle is trimmed by the same
    floating-point test the cells would get one by one.
    """
    half = math.sqrt(r2 - dy2)
    a = max(c0, math.ceil((sx - half - x0) / res - 0.5) - 1)
    b = min(c1, math.floor((sx + half - x0) / res - 0.5) + 1)
    while a <= b:
        dx = x0 + (a + 0.5) * res - sx
        if dx * dx + dy2 <= r2:
            break
        a += 1
    while b >= a:
        dx = x0 + (b + 0.5) * res - sx
        if dx * dx + dy2 <= r2:
            break
        b -= 1
    return a, b


@jit
def count_disk(
    sx: NDArray[np.float64], sy: NDArray[np.float64], radius: NDArray[np.float64],
    x0: float, y0: float, res: float, nx: int, ny: int, mask: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """Pass 1 without terrain: number of masked cells with centre within R of each site."""
    n = sx.size
    counts = np.zeros(n, dtype=np.int64)
    for s in range(n):
        rad = radius[s]
        if rad < 0.0:
            continue
        r2 = rad * rad
        r0, r1 = _rows(sy[s], rad, y0, res, ny)
        c0, c1 = _cols(sx[s], rad, x0, res, nx)
        k = 0
        for r in range(r0, r1 + 1):
            dy = y0 - (r + 0.5) * res - sy[s]
            dy2 = dy * dy
            if dy2 > r2:
                continue
            a, b = _span(sx[s], dy2, r2, c0, c1, x0, res)
            base = r * nx
            for c in range(base + a, base + b + 1):
                k += mask[c]
        counts[s] = k
    return counts


@jit_vec
def fill_disk(
    sx: NDArray[np.float64], sy: NDArray[np.float64], radius: NDArray[np.float64],
    h_bs: NDArray[np.float64], model: NDArray[np.int64], budget: NDArray[np.float64],
    margin_los: NDArray[np.float64], margin_nlos: NDArray[np.float64],
    sigma_los: NDArray[np.float64], sigma_nlos: NDArray[np.float64], edge_p: float,
    mode: int, fc_ghz: float, h_ut: float, street_w: float, bldg_h: float,
    x0: float, y0: float, res: float, nx: int, ny: int, mask: NDArray[np.bool_],
    indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp: NDArray[np.float32],
) -> None:
    """Pass 2 without terrain: write cell indices and RSRP (dBm) of the cells :func:`count_disk` counted.

    Per site, a first loop walks the rows and writes the cell indices and the squared distances
    (to a scratch array); a second loop turns the distances into RSRP. For UMa, UMi and FSPL
    that loop uses the per-site coefficients of :func:`kernels.pathloss.site_coefficients`
    (one logarithm per cell, plus a square root and an exponential for the LOS probability of
    TR 38.901 Table 7.4.2-1 in mode 0) and the branch-free :func:`kernels._vmath.vlog` and
    :func:`kernels._vmath.vexp`, so that it runs on SIMD lanes (the kernel is compiled with
    ``error_model="numpy"`` for that); RMa and UMa with h_UT > 13 m use
    :func:`kernels.pathloss.link_loss_sq` one cell at a time. Mode 3 (the mixture quantile of
    :func:`kernels.pathloss.mixture_loss`) runs :data:`MIXTURE_SIMD_STEPS` Newton steps on SIMD lanes
    for UMa/UMi (:func:`_mixture_rsrp`) and finishes the few unconverged cells one by one; RMa,
    UMa with h_UT > 13 m and σ = 0 take the scalar root, warm-started from the previous cell.
    ``sigma_*`` (σ_SF per site, dB) and ``edge_p`` serve only mode 3.
    """
    n = sx.size
    lfc = math.log10(max(fc_ghz, 0.1))
    most = 0
    for s in range(n):
        most = max(most, indptr[s + 1] - indptr[s])
    d2s = np.empty(most, dtype=np.float64)
    for s in range(n):
        rad = radius[s]
        if rad < 0.0:
            continue
        r2 = rad * rad
        r0, r1 = _rows(sy[s], rad, y0, res, ny)
        c0, c1 = _cols(sx[s], rad, x0, res, nx)
        k0 = indptr[s]
        m = 0
        for r in range(r0, r1 + 1):
            dy = y0 - (r + 0.5) * res - sy[s]
            dy2 = dy * dy
            if dy2 > r2:
                continue
            a, b = _span(sx[s], dy2, r2, c0, c1, x0, res)
            base = r * nx
            for c in range(a, b + 1):
                if mask[base + c]:
                    dx = x0 + (c + 0.5) * res - sx[s]
                    d2s[m] = dx * dx + dy2
                    indices[k0 + m] = base + c
                    m += 1
        _rsrp_of_d2(d2s, m, model[s], mode, fc_ghz, lfc, h_bs[s], h_ut, budget[s], margin_los[s],
                    margin_nlos[s], sigma_los[s], sigma_nlos[s], edge_p, street_w, bldg_h, rsrp[k0:k0 + m])


@jit_vec
def _rsrp_of_d2(
    d2s: NDArray[np.float64], m: int, model: int, mode: int, fc_ghz: float, lfc: float, h_bs: float,
    h_ut: float, budget: float, ml: float, mn: float, sl: float, sn: float, q: float, street_w: float,
    bldg_h: float, out: NDArray[np.float32],
) -> None:
    """``out[i]`` = RSRP (dBm) at squared 2D distance ``d2s[i]`` (m²) from one site, i < m."""
    ok, dz2, dbp2, a1, b1, a2, b2, an, bn = site_coefficients(model, fc_ghz, h_bs, h_ut)
    inv_k = 0.0
    if model == UMA and h_ut <= 13.0:
        inv_k = 1.0 / 63.0
    elif model == UMI:
        inv_k = 1.0 / 36.0
    if ok and (mode == MODE_EXPECTED or mode == MODE_MIXTURE) and model == FSPL:
        mode = MODE_LOS  # FSPL is always LOS (p = 1): the expected loss is the LOS loss
    if not ok:  # RMa
        for i in range(m):
            out[i] = budget - link_loss_sq(mode, model, fc_ghz, lfc, d2s[i], h_bs, h_ut, ml, mn, street_w, bldg_h,
                                           sl, sn, q)
        return
    if mode == MODE_MIXTURE and inv_k != 0.0 and sl > 0.0 and sn > 0.0:  # the SIMD form (below)
        _mixture_rsrp(d2s, m, dz2, dbp2, a1, b1, a2, b2, an, bn, inv_k, budget, ml, mn, sl, sn, q, out)
        return
    if mode == MODE_MIXTURE:  # the edge-probability quantile: a root per cell, no SIMD
        prev = math.nan  # warm start: the neighbour cell's root (the cells come row by row)
        for i in range(m):
            pl_l, pl_n = coeff_pair(d2s[i], dz2, dbp2, a1, b1, a2, b2, an, bn)
            p = los_probability(model, math.sqrt(d2s[i]), h_ut)
            prev = mixture_loss_from(prev, FILL_TOL_DB, p, pl_l, pl_n, ml, mn, sl, sn, q)
            out[i] = budget - prev
        return
    if mode == MODE_EXPECTED and inv_k == 0.0:  # UMa with h_UT > 13 m: the general Table 7.4.2-1
        for i in range(m):
            pl_l, pl_n = coeff_pair(d2s[i], dz2, dbp2, a1, b1, a2, b2, an, bn)
            p = los_probability(model, math.sqrt(d2s[i]), h_ut)
            out[i] = budget - (p * (pl_l + ml) + (1.0 - p) * (pl_n + mn))
        return
    # the affine forms of coeff_pair, with d_2D² floored at 100 m² and L = log10(d_3D)
    if mode == MODE_LOS:
        for i in range(m):
            d2 = max(d2s[i], D2D_MIN * D2D_MIN)
            lg = HALF_INV_LN10 * vlog(d2 + dz2)
            pl_l = a1 + b1 * lg if d2 <= dbp2 else a2 + b2 * lg
            out[i] = budget - (pl_l + ml)
    elif mode == MODE_NLOS:
        for i in range(m):
            d2 = max(d2s[i], D2D_MIN * D2D_MIN)
            lg = HALF_INV_LN10 * vlog(d2 + dz2)
            pl_l = a1 + b1 * lg if d2 <= dbp2 else a2 + b2 * lg
            out[i] = budget - (max(pl_l, an + bn * lg) + mn)
    else:
        for i in range(m):
            d2 = max(d2s[i], D2D_MIN * D2D_MIN)
            lg = HALF_INV_LN10 * vlog(d2 + dz2)
            pl_l = a1 + b1 * lg if d2 <= dbp2 else a2 + b2 * lg
            pl_n = max(pl_l, an + bn * lg)
            # Table 7.4.2-1 (UMa with h_UT ≤ 13 m, UMi): p = 1 for d ≤ 18 m, else
            # 18/d + exp(−d/k)(1 − 18/d); with d raised to 18 m the formula gives exactly 1 there
            d = max(math.sqrt(d2s[i]), 18.0)
            q = 18.0 / d
            p = q + vexp(-d * inv_k) * (1.0 - q)
            out[i] = budget - (p * (pl_l + ml) + (1.0 - p) * (pl_n + mn))


#: Newton iterations of the SIMD mixture root (:func:`_mixture_rsrp`); lanes not converged then finish one by one
MIXTURE_SIMD_STEPS = 4
#: Abramowitz & Stegun 7.1.26: erfc(z) ≈ t (A1 + t (A2 + t (A3 + t (A4 + t A5)))) e^(−z²), t = 1 / (1 + P z),
#: z ≥ 0, absolute error ≤ 1.5e-7 (Handbook of Mathematical Functions, 1964)
AS_P = 0.3275911
AS_A1 = 0.254829592
AS_A2 = -0.284496736
AS_A3 = 1.421413741
AS_A4 = -1.453152027
AS_A5 = 1.061405429


@jit_vec
def _phi_pdf(u: float) -> tuple[float, float]:
    """(Φ(u), φ(u)) of the standard normal, branch-free: Φ from A&S 7.1.26 (|error| ≤ 7.5e-8), one exp."""
    e = vexp(-0.5 * u * u)
    z = abs(u) * 0.7071067811865476
    t = 1.0 / (1.0 + AS_P * z)
    tail = 0.5 * t * (AS_A1 + t * (AS_A2 + t * (AS_A3 + t * (AS_A4 + t * AS_A5)))) * e  # Φ(−|u|)
    cdf = 1.0 - tail if u >= 0.0 else tail
    return cdf, 0.3989422804014327 * e


@jit_vec
def _mixture_rsrp(
    d2s: NDArray[np.float64], m: int, dz2: float, dbp2: float, a1: float, b1: float, a2: float, b2: float,
    an: float, bn: float, inv_k: float, budget: float, ml: float, mn: float, sl: float, sn: float, q: float,
    out: NDArray[np.float32],
) -> None:
    """RSRP under the mixture quantile for UMa (h_UT ≤ 13 m) and UMi, in loops that run on SIMD lanes.

    The same root as :func:`kernels.pathloss.mixture_loss` (``p Φ((L − PL_LOS)/σ_LOS) + (1 − p)
    Φ((L − PL_NLOS)/σ_NLOS) = q``), found by :data:`MIXTURE_SIMD_STEPS` safeguarded Newton steps
    over all cells at once (start at the dB average, bracket between the two components' quantiles,
    a step that leaves the bracket bisects it; Φ by A&S 7.1.26 with one shared exponential). A cell
    whose last step was above :data:`kernels.pathloss.FILL_TOL_DB`, or whose p is 0 or 1, is then
    finished by :func:`kernels.pathloss.mixture_loss_from` (exact Φ) from where it stands. The Φ error
    (≤ 7.5e-8) moves the root by ≤ 2e-6 dB at the defaults, under float32 resolution.
    """
    pl = np.empty(m)
    pn = np.empty(m)
    pp = np.empty(m)
    lo = np.empty(m)
    hi = np.empty(m)
    x = np.empty(m)
    st = np.empty(m)
    for i in range(m):
        d2 = max(d2s[i], D2D_MIN * D2D_MIN)
        lg = HALF_INV_LN10 * vlog(d2 + dz2)
        a = a1 + b1 * lg if d2 <= dbp2 else a2 + b2 * lg
        b = max(a, an + bn * lg)
        d = max(math.sqrt(d2s[i]), 18.0)
        r = 18.0 / d
        p = r + vexp(-d * inv_k) * (1.0 - r)
        ql = a + ml
        qn = b + mn
        pl[i] = a
        pn[i] = b
        pp[i] = p
        lo[i] = min(ql, qn)
        hi[i] = max(ql, qn)
        x[i] = p * ql + (1.0 - p) * qn
        st[i] = 1.0
    isl = 1.0 / sl
    isn = 1.0 / sn
    for _ in range(MIXTURE_SIMD_STEPS):
        for i in range(m):
            ca, fa = _phi_pdf((x[i] - pl[i]) * isl)
            cb, fb = _phi_pdf((x[i] - pn[i]) * isn)
            f = pp[i] * ca + (1.0 - pp[i]) * cb - q
            df = pp[i] * fa * isl + (1.0 - pp[i]) * fb * isn
            up = f >= 0.0
            h = x[i] if up else hi[i]
            lw = lo[i] if up else x[i]
            step = f / df if df > 0.0 else 0.0
            xn = x[i] - step
            # a converged lane keeps its root (its bracket may have closed on it); others bisect when leaving it
            ok = df > 0.0 and (abs(step) <= FILL_TOL_DB or (lw < xn and xn < h))
            x[i] = xn if ok else 0.5 * (lw + h)
            st[i] = step if ok else h - lw
            hi[i] = h
            lo[i] = lw
    for i in range(m):
        p = pp[i]
        if p >= 1.0 or p <= 0.0 or abs(st[i]) > FILL_TOL_DB:
            loss = mixture_loss_from(x[i], FILL_TOL_DB, p, pl[i], pn[i], ml, mn, sl, sn, q)
        else:
            loss = x[i]
        out[i] = budget - loss


#: block size (cells) of the surface maxima used to stop rays early
ZMAX_BLOCK = 16


@jit
def block_maxima(dsm: NDArray[np.float32], block: int) -> NDArray[np.float64]:
    """Maximum of ``dsm`` over each ``block`` × ``block`` tile (edge tiles may be partial)."""
    ny, nx = dsm.shape
    nby = (ny + block - 1) // block
    nbx = (nx + block - 1) // block
    out = np.full((nby, nbx), -np.inf)
    for r in range(ny):
        br = r // block
        for c in range(nx):
            bc = c // block
            v = float(dsm[r, c])
            if v > out[br, bc]:
                out[br, bc] = v
    return out


@jit
def count_terrain(
    sx: NDArray[np.float64], sy: NDArray[np.float64], radius_los: NDArray[np.float64],
    radius_nlos: NDArray[np.float64], h_bs: NDArray[np.float64], h_ut: float,
    x0: float, y0: float, res: float, nx: int, ny: int, mask: NDArray[np.bool_],
    dsm: NDArray[np.float32], dem: NDArray[np.float32], box_off: NDArray[np.int64],
    status: NDArray[np.uint8],
) -> NDArray[np.int64]:
    """Pass 1 with terrain: ray-march every masked cell within the LOS radius.

    ``status[box_off[s] + local]`` receives 1 (covered, LOS), 2 (covered, NLOS: within the NLOS
    radius) or 0, where ``local`` is the cell's row-major position in the site's bounding box.
    """
    n = sx.size
    counts = np.zeros(n, dtype=np.int64)
    block_max = block_maxima(dsm, ZMAX_BLOCK)
    for s in range(n):
        rad = radius_los[s]
        if rad < 0.0:
            continue
        r2 = rad * rad
        rn2 = radius_nlos[s] * radius_nlos[s] if radius_nlos[s] >= 0.0 else -1.0
        r0, r1 = _rows(sy[s], rad, y0, res, ny)
        c0, c1 = _cols(sx[s], rad, x0, res, nx)
        width = c1 - c0 + 1
        zs = ground_at(dem, x0, y0, res, sx[s], sy[s]) + h_bs[s]
        # every ray of this site stays inside its bounding box: the box's highest surface bounds
        # what can block, so a ray that rises above it is clear (the early exit of line_of_sight)
        zmax = -np.inf
        for br in range(r0 // ZMAX_BLOCK, r1 // ZMAX_BLOCK + 1):
            for bc in range(c0 // ZMAX_BLOCK, c1 // ZMAX_BLOCK + 1):
                zmax = max(zmax, block_max[br, bc])
        k = 0
        for r in range(r0, r1 + 1):
            dy = y0 - (r + 0.5) * res - sy[s]
            base = r * nx
            row_off = box_off[s] + (r - r0) * width - c0
            for c in range(c0, c1 + 1):
                status[row_off + c] = 0
                dx = x0 + (c + 0.5) * res - sx[s]
                d2 = dx * dx + dy * dy
                if d2 > r2 or not mask[base + c]:
                    continue
                xt = x0 + (c + 0.5) * res
                yt = y0 - (r + 0.5) * res
                if line_of_sight(dsm, x0, y0, res, xt, yt, float(dem[r, c]) + h_ut, sx[s], sy[s], zs, zmax):
                    status[row_off + c] = 1
                    k += 1
                elif d2 <= rn2:
                    status[row_off + c] = 2
                    k += 1
        counts[s] = k
    return counts


@jit
def fill_terrain(
    sx: NDArray[np.float64], sy: NDArray[np.float64], radius_los: NDArray[np.float64],
    h_bs: NDArray[np.float64], model: NDArray[np.int64], budget: NDArray[np.float64],
    margin_los: NDArray[np.float64], margin_nlos: NDArray[np.float64],
    sigma_los: NDArray[np.float64], sigma_nlos: NDArray[np.float64], edge_p: float,
    fc_ghz: float, h_ut: float, street_w: float, bldg_h: float,
    x0: float, y0: float, res: float, nx: int, ny: int,
    box_off: NDArray[np.int64], status: NDArray[np.uint8],
    indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp: NDArray[np.float32],
    clear_mode: int = MODE_LOS,
) -> None:
    """Pass 2 with terrain: RSRP as :func:`count_terrain` decided: ``clear_mode`` (the LOS
    formula, the expected loss under the LOS probability, or the mixture quantile) where the
    DSM is clear, NLOS where it blocks. ``radius_los`` must be the radius of ``clear_mode``.
    """
    n = sx.size
    lfc = math.log10(max(fc_ghz, 0.1))
    for s in range(n):
        rad = radius_los[s]
        if rad < 0.0:
            continue
        r0, r1 = _rows(sy[s], rad, y0, res, ny)
        c0, c1 = _cols(sx[s], rad, x0, res, nx)
        width = c1 - c0 + 1
        k = indptr[s]
        for r in range(r0, r1 + 1):
            dy = y0 - (r + 0.5) * res - sy[s]
            base = r * nx
            row_off = box_off[s] + (r - r0) * width - c0
            for c in range(c0, c1 + 1):
                st = status[row_off + c]
                if st == 0:
                    continue
                dx = x0 + (c + 0.5) * res - sx[s]
                mode = clear_mode if st == 1 else MODE_NLOS
                loss = link_loss_sq(mode, model[s], fc_ghz, lfc, dx * dx + dy * dy, h_bs[s], h_ut,
                                    margin_los[s], margin_nlos[s], street_w, bldg_h, sigma_los[s],
                                    sigma_nlos[s], edge_p)
                indices[k] = base + c
                rsrp[k] = budget[s] - loss
                k += 1


@jit
def best_server(
    indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp: NDArray[np.float32],
    rows: NDArray[np.int64], n_cells: int,
) -> NDArray[np.float32]:
    """Highest RSRP (dBm) per cell over the given rows (sites); NaN where none reaches."""
    out = np.full(n_cells, np.nan, dtype=np.float32)
    for i in range(rows.size):
        s = rows[i]
        for k in range(indptr[s], indptr[s + 1]):
            c = indices[k]
            v = rsrp[k]
            cur = out[c]
            if math.isnan(cur) or v > cur:
                out[c] = v
    return out


@jit_vec
def apply_sectors(
    indptr: NDArray[np.int64], indices: NDArray[np.integer[Any]], rsrp: NDArray[np.float32],
    sx: NDArray[np.float64], sy: NDArray[np.float64], dz: NDArray[np.float64], az_ptr: NDArray[np.int64],
    cos_az: NDArray[np.float64], sin_az: NDArray[np.float64], cos_b: NDArray[np.float64], sin_b: NDArray[np.float64],
    elec: NDArray[np.float64], hpbw_h: NDArray[np.float64], hpbw_v: NDArray[np.float64], sla_v: NDArray[np.float64],
    a_max: NDArray[np.float64], threshold: float, x0: float, y0: float, res: float, nx: int,
    out_indptr: NDArray[np.int64], out_indices: NDArray[np.integer[Any]], out_rsrp: NDArray[np.float32],
) -> None:
    """Add each cell's best-sector pattern gain (dB, :func:`kernels.antenna.best_gain_fast`) to the RSRP
    of an omni CSR and keep the cells that still reach ``threshold`` (dBm).

    Site s has the sectors ``az_ptr[s]:az_ptr[s+1]`` of ``cos_az``/``sin_az`` (compass bearings),
    mechanical downtilt ``cos_b[s]``/``sin_b[s]``, electrical downtilt ``elec[s]`` (degrees) and its
    pattern parameters; a site without sectors is copied unchanged (omni). ``dz[s]`` = UE height −
    antenna height (m, flat ground). The output arrays must hold ``indptr[-1]`` entries; rows are
    written compactly and ``out_indptr`` (n_sites + 1) receives their bounds. The input is not changed.
    """
    n = sx.size
    k = 0
    out_indptr[0] = 0
    for s in range(n):
        a0 = az_ptr[s]
        a1 = az_ptr[s + 1]
        if a1 == a0:
            for j in range(indptr[s], indptr[s + 1]):
                out_indices[k] = indices[j]
                out_rsrp[k] = rsrp[j]
                k += 1
            out_indptr[s + 1] = k
            continue
        ca = cos_az[a0:a1]
        sa = sin_az[a0:a1]
        kh, kv, e, h_cap, v_lo, v_hi = pattern_constants(elec[s], hpbw_h[s], hpbw_v[s], sla_v[s], a_max[s])
        # the cells of a row come in ascending order: track the row instead of dividing per cell
        row_start = -nx - 1  # forces the first cell to set its row
        dy = 0.0
        for j in range(indptr[s], indptr[s + 1]):
            c = indices[j]
            if c >= row_start + nx or c < row_start:
                r = c // nx
                row_start = r * nx
                dy = y0 - (r + 0.5) * res - sy[s]
            dx = x0 + (c - row_start + 0.5) * res - sx[s]
            g = best_gain_fast(dx, dy, dz[s], ca, sa, cos_b[s], sin_b[s], kh, kv, e, h_cap, v_lo, v_hi, sla_v[s],
                               a_max[s])
            v = float(rsrp[j]) + g
            if v >= threshold:
                out_indices[k] = c
                out_rsrp[k] = v
                k += 1
        out_indptr[s + 1] = k


@jit
def merge_rows(
    ip_a: NDArray[np.int64], idx_a: NDArray[np.integer[Any]], val_a: NDArray[np.float32],
    ip_b: NDArray[np.int64], idx_b: NDArray[np.integer[Any]], val_b: NDArray[np.float32],
    out_ip: NDArray[np.int64], out_idx: NDArray[np.integer[Any]], out_val: NDArray[np.float32],
) -> None:
    """Row-wise union of two CSR matrices with the same rows and ascending, disjoint cells per row.

    Used to join the builds of cells with different penetration losses (disjoint cell masks).
    ``out_*`` must hold ``ip_a[-1] + ip_b[-1]`` entries and ``n_rows + 1`` row bounds; each output
    row lists its cells ascending (on a tie, which disjoint inputs never have, ``a`` first).
    """
    n = ip_a.size - 1
    k = 0
    out_ip[0] = 0
    for s in range(n):
        i = ip_a[s]
        ie = ip_a[s + 1]
        j = ip_b[s]
        je = ip_b[s + 1]
        while i < ie and j < je:
            if idx_a[i] <= idx_b[j]:
                out_idx[k] = idx_a[i]
                out_val[k] = val_a[i]
                i += 1
            else:
                out_idx[k] = idx_b[j]
                out_val[k] = val_b[j]
                j += 1
            k += 1
        while i < ie:
            out_idx[k] = idx_a[i]
            out_val[k] = val_a[i]
            i += 1
            k += 1
        while j < je:
            out_idx[k] = idx_b[j]
            out_val[k] = val_b[j]
            j += 1
            k += 1
        out_ip[s + 1] = k
