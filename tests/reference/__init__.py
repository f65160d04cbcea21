"""Pure-Python references of the numba kernels in ``kernels/`` (parity tests only)."""
