"""numba kernels: pure functions over arrays. No I/O, no geopandas, never imports ``planner``."""
