"""The one compile decorator of the kernels.

``jit`` compiles a kernel once (``cache=True``: kept on disk between runs), without the GIL
(``nogil=True``: callable from worker threads). ``jit_vec`` adds numba's ``error_model="numpy"``
(division by zero gives inf/nan instead of raising, which lets LLVM vectorise the loop); it
changes no finite result, and kernels keep the flag they were written and tested with.
"""

from __future__ import annotations

from numba import njit

jit = njit(cache=True, nogil=True)
jit_vec = njit(cache=True, nogil=True, error_model="numpy")
