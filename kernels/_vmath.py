"""Natural logarithm and exponential written so that LLVM can vectorise loops that call them.

numba compiles ``math.log`` / ``math.exp`` to calls into the C library, which the loop
vectoriser cannot widen (numba ships no vector math library unless Intel SVML is installed), so
a loop that evaluates one of them per element runs one element at a time. These are the
FreeBSD msun / Sun fdlibm algorithms (``e_log.c``, ``e_exp.c``; the forms of musl's ``log.c``
and ``exp.c``) without their special-case branches: straight-line code of integer and float
operations that LLVM widens to SIMD. Both are within 1 ulp of the exact result over the inputs
their docstrings allow (``tests/test_coverage.py`` checks them against ``math`` at 1 ulp), and
their results do not depend on the platform's C library.

Callers in loops meant to vectorise need ``error_model="numpy"`` on their kernel: numba's default
("python") guards every float division with a ZeroDivisionError branch, which stops the
vectoriser.

Note on ``cache=True``: a kernel that inlines these is cached on its own source file only;
after editing this file delete ``kernels/__pycache__/*.nb[ic]``.
"""

from __future__ import annotations

import math
from typing import Any

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from kernels._jit import jit


@intrinsic
def _bits_of(typingctx: Any, x: Any) -> Any:
    """The IEEE 754 bits of a float64 as an int64 (a register reinterpretation, no conversion)."""
    if not isinstance(x, types.Float) or x.bitwidth != 64:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _float_of(typingctx: Any, b: Any) -> Any:
    """The float64 whose IEEE 754 bits are the int64 ``b``."""
    if not isinstance(b, types.Integer):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


# e_log.c: ln 2 split in a high part with 32 trailing zero bits (k·LN2_HI is exact) and the rest
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
# e_log.c: minimax polynomial of (log(1+f) − f + f²/2)/s in s², |error| < 2**-58.45
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01
# e_exp.c: 1/ln 2 and the minimax polynomial of r·(e^r + 1)/(e^r − 1) on |r| ≤ ln2/2
INV_LN2 = 1.44269504088896338700e00
P1 = 1.66666666666666019037e-01
P2 = -2.77777777770155933842e-03
P3 = 6.61375632143793436117e-05
P4 = -1.65339022054652515390e-06
P5 = 4.13813679705723846039e-08
#: arguments of :func:`vexp` are raised to this (the scaling 2**k stays a normal number)
EXP_MIN_ARG = -700.0


@jit
def vlog(x: float) -> float:
    """ln(x) for a positive, normal, finite x (no checks: 0, negatives, subnormals, inf and NaN
    give garbage). FreeBSD msun ``e_log.c`` / musl ``log.c``.

    x = 2**k (1 + f) with 1 + f in [√2/2, √2), s = f / (2 + f), and
    ln(1 + f) = f − f²/2 + s (f²/2 + R(s²)) with R the degree-7 polynomial LG1…LG7.
    """
    # shift the mantissa so that [√2/2, √2) maps to one exponent, then split exponent / mantissa
    b = _bits_of(x) + ((0x3FF00000 - 0x3FE6A09E) << 32)  # type: ignore[call-arg]
    k = (b >> 52) - 0x3FF
    f = _float_of((b & 0x000FFFFFFFFFFFFF) + (0x3FE6A09E << 32)) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG2 + w * (LG4 + w * LG6))
    t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
    dk = float(k)
    return s * (hfsq + (t2 + t1)) + dk * LN2_LO - hfsq + f + dk * LN2_HI


@jit
def vexp(x: float) -> float:
    """e**x for x ≤ 709 (no overflow check); x below :data:`EXP_MIN_ARG` (−700) is raised to it,
    so the result is never below e**−700 ≈ 1e−304. FreeBSD msun ``e_exp.c`` / musl ``exp.c``.

    x = k ln2 + r with k = round(x / ln2) and |r| ≤ ln2/2 (Cody–Waite: r = hi − lo), then
    e**r = 1 + r + r c / (2 − c) with c = r − r² P(r²), and e**x = 2**k e**r.
    """
    x = max(x, EXP_MIN_ARG)
    kf = math.floor(INV_LN2 * x + 0.5)
    hi = x - kf * LN2_HI
    lo = kf * LN2_LO
    r = hi - lo
    rr = r * r
    c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))))
    y = 1.0 + (r * c / (2.0 - c) - lo + hi)
    return y * _float_of((int(kf) + 0x3FF) << 52)  # type: ignore[call-arg]
