"""A coverage matrix the machine cannot hold is refused before allocating, with the figures and a fix."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from planner import _resources
from planner.cli import main
from planner.coverage import Grid, build_coverage
from planner.errors import ResourceLimitError
from planner.scenario import RadioConfig


def _sites(n: int, grid: Grid, seed: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = grid.bounds
    x = rng.uniform(xmin + 200, xmax - 200, n)
    y = rng.uniform(ymin + 200, ymax - 200, n)
    return x, y, np.full(n, 10.0), np.array(["micro"] * n)


def test_estimate_tracks_the_real_pair_count() -> None:
    grid = Grid(500_000.0, 3_380_000.0, 10.0, 200, 200, "EPSG:4547")
    x, y, h, sc = _sites(60, grid)
    mask = np.ones((grid.ny, grid.nx), bool)
    mask[:, :50] = False  # a quarter of the grid is outside the boundary
    cov = build_coverage(grid, x, y, h, sc, RadioConfig(), mask)
    r = float(cov.meta["radius_m_max"])  # every site is a 10 m micro site: one radius
    est = _resources.estimate_pairs(np.full(60, r), grid.res, grid.n_cells, int(mask.sum()))
    assert 0.5 * cov.nnz <= est <= 2.0 * cov.nnz, (est, cov.nnz)
    # radii beyond the grid are capped at the grid
    assert _resources.estimate_pairs(np.array([1e9, -1.0]), 10.0, 100, 50) == pytest.approx(50.0)


def test_refusal_names_the_figures_and_a_grid_that_fits() -> None:
    radius = np.full(1000, 250.0)
    pairs = _resources.estimate_pairs(radius, 5.0, 4_000_000, 4_000_000)
    assert pairs == pytest.approx(1000 * math.pi * 250**2 / 25)
    need = pairs * _resources.BYTES_PER_PAIR
    fits = _resources.check_coverage_memory(radius, 5.0, 4_000_000, 4_000_000, available=int(need * 1.01))
    assert fits == pytest.approx(pairs)
    with pytest.raises(ResourceLimitError) as info:
        _resources.check_coverage_memory(radius, 5.0, 4_000_000, 4_000_000, available=int(need / 10))
    text = str(info.value)
    assert info.value.exit_code == 2 and "Fix:" in text
    assert f"{pairs:,.0f}" in text and "1,000 candidates" in text and "GB" in text
    fix = text.split("Fix: use grid.resolution_m = ")[1].split()[0]
    fit = float(fix)
    assert _resources.estimate_pairs(radius, fit, 4_000_000, 4_000_000) * _resources.BYTES_PER_PAIR <= need / 10


def test_available_memory_is_read() -> None:
    avail = _resources.available_memory()
    assert avail is None or avail > 0


def test_cli_refuses_before_the_coverage_build(tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_resources, "available_memory", lambda: 10_000)  # 10 kB: nothing fits
    out = tmp_path / "out"
    code = main(["run", str(tiny), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "site–cell pairs" in err and "grid.resolution_m" in err and "Fix:" in err and "Traceback" not in err
    assert not out.exists()
