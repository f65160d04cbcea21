"""Memory the machine can give a run, and an early refusal of a coverage matrix that would not fit.

The coverage matrix (one entry per site–cell pair within a site's radius) and the solver's model
built from it dominate a run's memory. :func:`check_coverage_memory` estimates the pairs from the
site radii before anything is allocated (``π r² / res²`` cells per site, capped at the grid, times
the share of demand cells) and refuses, with :class:`~planner.errors.ResourceLimitError` (exit
code 2), a scenario whose coverage and problem stages alone would need more than the memory
available; the message gives the figures and the fixes (a coarser grid, a smaller area, fewer
candidates).

Bytes per pair, from BENCHMARKS.md (City scale, 8.40 M pairs): the pipeline without the solve
peaks at about 1.0 GB (≈ 120 B per pair, with the 1 M-cell rasters), the solve at 3.3–7.5 GB
(≈ 400–900 B per pair). :data:`BYTES_PER_PAIR` = 48 is a lower bound of the first (the CSR
matrix: 4 B index + 4 B RSRP, its transpose and the reduction's copies), so a refusal only
happens when the run certainly cannot fit.

Available memory: ``MemAvailable`` from ``/proc/meminfo`` (Linux), lowered to a cgroup v2/v1
limit when the process runs in a container, else ``os.sysconf`` physical pages (other POSIX).
``psutil`` is not a dependency.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from planner.errors import Problem, ResourceLimitError

__all__ = ["BYTES_PER_PAIR", "available_memory", "check_coverage_memory", "estimate_pairs"]

#: lower bound of the bytes a site–cell pair costs through the coverage and problem stages
BYTES_PER_PAIR = 48


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> int | None:
    """Bytes left under the cgroup memory limit (v2 ``memory.max``, v1 ``memory.limit_in_bytes``), None without one."""
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            text = Path(limit_file).read_text(encoding="ascii").strip()
            if text == "max":
                return None
            limit = int(text)
            if limit >= 2**60:  # v1 "unlimited"
                return None
            usage = int(Path(usage_file).read_text(encoding="ascii").strip())
            return max(0, limit - usage)
        except (OSError, ValueError):
            continue
    return None


def available_memory() -> int | None:
    """Bytes of memory a new allocation can get now (None when the platform does not say)."""
    avail = _meminfo_available()
    if avail is None:
        try:
            avail = int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            avail = None
    room = _cgroup_room()
    if room is not None:
        avail = room if avail is None else min(avail, room)
    return avail


def estimate_pairs(radius_m: NDArray[np.float64], res_m: float, n_cells: int, n_demand_cells: int) -> float:
    """Expected site–cell pairs: ``Σ min(π r² / res², n_cells) × n_demand_cells / n_cells``.

    Parameters
    ----------
    radius_m : ndarray
        Coverage radius of each site (m; negative = covers nothing).
    res_m : float
        Grid cell size (m).
    n_cells, n_demand_cells : int
        Cells of the grid, and of them the demand cells (inside the boundary).
    """
    r = np.clip(np.asarray(radius_m, dtype=np.float64), 0.0, None)
    disk = np.minimum(math.pi * r * r / (res_m * res_m), float(n_cells))
    share = n_demand_cells / n_cells if n_cells else 0.0
    return float(disk.sum()) * share


def check_coverage_memory(radius_m: NDArray[np.float64], res_m: float, n_cells: int, n_demand_cells: int,
                          *, available: int | None = None) -> float:
    """Refuse a coverage matrix that could not fit in memory; return the estimated pairs.

    Raises
    ------
    ResourceLimitError
        When ``estimate_pairs × BYTES_PER_PAIR`` exceeds the memory available (exit code 2),
        naming the figures and the fixes.
    """
    pairs = estimate_pairs(radius_m, res_m, n_cells, n_demand_cells)
    avail = available_memory() if available is None else available
    need = pairs * BYTES_PER_PAIR
    if avail is None or need <= avail:
        return pairs
    n_sites = int(np.asarray(radius_m).size)
    r_max = float(np.max(radius_m)) if n_sites else 0.0
    per_site = pairs / n_sites if n_sites else 0.0
    fit_res = res_m * math.sqrt(need / avail) * 1.1  # pairs fall with the square of the cell size
    raise ResourceLimitError(Problem(
        f"the coverage matrix would hold about {pairs:,.0f} site–cell pairs ({n_sites:,} candidates × about "
        f"{per_site:,.0f} demand cells each within radii up to {r_max:,.0f} m, on a {res_m:g} m grid of "
        f"{n_demand_cells:,} demand cells) and needs at least {need / 1e9:,.1f} GB before the solve; this machine has "
        f"{avail / 1e9:,.1f} GB available",
        "grid.resolution_m",
        fix=f"use grid.resolution_m = {math.ceil(fit_res):g} or coarser, plan a smaller boundary (split the city into "
            "districts), thin the candidates (candidates.max_per_type, or fewer rows), or run on a machine with more "
            "memory (compute.backend = \"dask\" spreads the coverage build over a cluster, but the matrix is still "
            "assembled and solved on this machine)"))
