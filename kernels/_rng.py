"""The kernels' private random number generator: xorshift64 (Marsaglia 2003).

A private, seeded state keeps each kernel deterministic and independent of numpy's and
Python's global generators.
"""

from __future__ import annotations

import numpy as np

from kernels._jit import jit


@jit
def xorshift64(x: np.uint64) -> np.uint64:
    """Next state of xorshift64 (shifts 13, 7, 17; G. Marsaglia, "Xorshift RNGs", JSS 8(14), 2003)."""
    x ^= (x << np.uint64(13)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    x ^= x >> np.uint64(7)
    x ^= (x << np.uint64(17)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    return x
