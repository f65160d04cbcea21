"""The SINR requirement (``demand.require_sinr``): the repair loop after the solve (planner.stages.sinr_repair).

A generated strip 320 m × 60 m: two street lamps 160 m apart (8 万元 each) cover it together, a
new macro site in the middle (45 万元) covers it alone. The cheapest plan (the two lamps) leaves
a band in the middle where the lamps are received within 6 dB of each other (η = 1): SINR below
``radio.sinr_min_db = 6`` on about 10 % of the strip against a 95 % target. The repair keeps the
two lamps apart and re-solves: the macro alone meets the requirement.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Point, box

from planner.pipeline import run_scenario
from planner.stages.sinr_repair import sinr_requirement

LON0, LAT0 = 114.398, 30.506
STRIP_TOML = """
[scenario]
name = "strip"
seed = 1

[inputs]
boundary = "boundary.geojson"
candidates = "candidates.geojson"
priority_areas = "areas.geojson"

[grid]
resolution_m = 10
crs = "EPSG:4547"

[radio]
los = "probability"
antenna = "omni"
penetration_loss_db = 20
load_factor = 1.0
sinr_min_db = 6.0

[solver]
time_limit_s = 5
workers = 1
"""


def write_strip(folder: Path, *, on_air: bool = False, extra: str = "", east_m: float = 160.0) -> Path:
    """The strip scenario (see the module docstring); ``on_air``: both lamps already carry 5G.

    ``east_m`` > 160 lengthens the strip eastwards and replaces the macro by a third lamp D at x = 200 m.
    """
    folder.mkdir(parents=True, exist_ok=True)
    to_geo = Transformer.from_crs("EPSG:4547", "EPSG:4490", always_xy=True)
    x0, y0 = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(LON0, LAT0)

    def pt(dx: float, dy: float) -> Point:
        return Point(*to_geo.transform(x0 + dx, y0 + dy))

    def rect(x1: float, y1: float, x2: float, y2: float) -> object:
        a, b = to_geo.transform(x0 + x1, y0 + y1), to_geo.transform(x0 + x2, y0 + y2)
        return box(a[0], a[1], b[0], b[1])

    strip = rect(-160, -30, east_m, 30)
    gpd.GeoDataFrame({"id": ["S"], "name": ["strip"]}, geometry=[strip], crs="EPSG:4490").to_file(
        folder / "boundary.geojson", driver="GeoJSON")
    status = "existing_5g" if on_air else ""
    third = ("C", "new_site", pt(0, 0)) if east_m <= 160 else ("D", "street_lamp", pt(200, 0))
    gpd.GeoDataFrame(
        {"id": ["A", "B", third[0]], "type": ["street_lamp", "street_lamp", third[1]], "name": ["a", "b", "c"],
         "status": [status, status, ""]},
        geometry=[pt(-80, 0), pt(80, 0), third[2]], crs="EPSG:4490",
    ).to_file(folder / "candidates.geojson", driver="GeoJSON")
    gpd.GeoDataFrame({"id": ["P"], "name": ["步行街"], "class": ["public_place"]}, geometry=[strip],
                     crs="EPSG:4490").to_file(folder / "areas.geojson", driver="GeoJSON")
    path = folder / "scenario.toml"
    path.write_text(STRIP_TOML + extra, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def strip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_strip(tmp_path_factory.mktemp("strip"))


def test_unrepaired_plan_violates_and_repair_meets(strip: Path) -> None:
    plain = run_scenario(strip)
    assert sorted(plain.sites["id"]) == ["A", "B"]  # the cheapest cover: 16 万元
    assert "requirement" not in plain.radio["interference"]
    from planner.geo.demand import rasterize_demand

    demand = rasterize_demand(plain.grid, plain.boundary.to_crs(plain.grid.crs).geometry,
                              plain.areas.to_crs(plain.grid.crs))
    before = sinr_requirement(plain, demand.area_index, np.array([0.95]))[0]
    assert not before["met"] and before["share"] < 0.95 and before["interfered"] > 0.05
    assert before["not_covered"] == 0.0

    fixed = run_scenario(strip, overrides=["demand.require_sinr=true"])
    req = fixed.radio["interference"]["requirement"]
    assert req["met"] and req["stop"] == "met"
    assert req["conflicts_added"] == [["A", "B"]]
    area = req["areas"][0]
    assert area["share_before"] == pytest.approx(before["share"]) and area["share"] >= 0.95 and area["reason"] == ""
    assert [e["action"] for e in req["iterations"]] == ["conflicts"]
    assert list(fixed.sites["id"]) == ["C"] and fixed.solution.objective == pytest.approx(45.0)
    # the plan's own rasters are those of the repaired selection
    s = fixed.extras["sinr_db"][fixed.demand_mask]
    assert (s >= 6.0).mean() >= 0.95
    assert fixed.radio["interference"]["areas"][0]["sinr_ok"] >= 0.95
    # the bound stays the first solve's (valid for the constrained model too)
    bound = fixed.solution.bound
    assert bound is not None and bound <= 16.0 + 1e-9 and fixed.solution.status == "feasible"
    assert "sinr repair" in fixed.timings


def test_repair_is_deterministic(strip: Path) -> None:
    runs = [run_scenario(strip, overrides=["demand.require_sinr=true", "demand.sinr_repair_iterations=2"])
            for _ in range(2)]
    recs = [json.dumps(p.radio["interference"]["requirement"], sort_keys=True, default=str) for p in runs]
    assert recs[0] == recs[1]
    assert list(runs[0].sites["id"]) == list(runs[1].sites["id"])
    np.testing.assert_array_equal(runs[0].extras["sinr_db"], runs[1].extras["sinr_db"])


def test_on_air_interference_reported_per_area(tmp_path: Path) -> None:
    path = write_strip(tmp_path, on_air=True)
    plan = run_scenario(path, overrides=["demand.require_sinr=true"])
    req = plan.radio["interference"]["requirement"]
    assert not req["met"] and req["stop"] == "nothing left to try"
    # the two lamps on air cannot be kept apart; covering more of the strip cannot help (all of it is covered)
    assert req["conflicts_added"] == []
    assert [(e["action"], e["pairs_on_air"], e["accepted"]) for e in req["iterations"]] == [
        ("coverage uplift", 1, False)]
    assert sorted(plan.sites["id"]) == ["A", "B"]
    area = req["areas"][0]
    assert not area["met"] and area["interfered"] > 0.05 and "below SINR 6 dB" in area["reason"]
    assert any("步行街" in w and "SINR requirement not met" in w for w in plan.warnings)
    from planner.report.sinr import sinr_section

    sec = sinr_section(plan, "zh")
    assert sec is not None and "未达标：步行街" in sec["note"]


def test_coverage_uplift_makes_up_for_on_air_interference(tmp_path: Path) -> None:
    """On-air lamps A and B interfere in the middle; more coverage (lamp D further east) makes up for it.

    The strip runs to x = 240 m and its target is 80 %: A and B (on air, free) cover 83 % of it, so the
    cheapest plan adds nothing, but only about 75 % is covered with SINR ≥ 6 dB. The pair cannot be
    split; the loop raises the target by the interfered share and the re-solve adds D.
    """
    path = write_strip(tmp_path, on_air=True, east_m=240.0,
                       extra="\n[demand.classes.public_place]\ntarget = 0.8\n")
    plain = run_scenario(path)
    assert sorted(plain.sites["id"]) == ["A", "B"]
    plan = run_scenario(path, overrides=["demand.require_sinr=true"])
    req = plan.radio["interference"]["requirement"]
    area = req["areas"][0]
    assert area["share_before"] < 0.8 <= area["share"] and req["met"]
    assert [e["action"] for e in req["iterations"] if e["accepted"]] == ["coverage uplift"]
    assert req["iterations"][0]["pairs_on_air"] == 1
    assert sorted(plan.sites["id"]) == ["A", "B", "D"]


def test_polluting_pairs_removes_the_fewest_strongest_interferers() -> None:
    """Cell 0: best −80 dBm, interferers −81, −83, −95 (η 1, noise −122 dBm, γ 0 dB).

    Without −81 the SINR is 80 − 83 = 3 dB ≥ 0: only the pair (best, −81) is needed. Cell 1: best
    −90 dBm alone is above γ over the noise (fixable, no pair); cell 2: a best of −125 dBm is below
    the noise: not fixable. Columns are candidate ids 10, 11, 12, 13 for the rows.
    """
    from planner.coverage.grid import Grid
    from planner.coverage.matrix import CoverageMatrix
    from planner.stages.sinr_repair import polluting_pairs

    grid = Grid(x0=0.0, y0=30.0, res=10.0, nx=3, ny=1, crs="EPSG:4547")
    rows = {0: [(0, -80.0), (1, -90.0)], 1: [(0, -81.0)], 2: [(0, -83.0), (2, -125.0)], 3: [(0, -95.0)]}
    indptr = np.cumsum([0] + [len(rows[r]) for r in range(4)]).astype(np.int64)
    indices = np.array([c for r in range(4) for c, _ in rows[r]], dtype=np.int32)
    rsrp = np.array([v for r in range(4) for _, v in rows[r]], dtype=np.float32)
    m = CoverageMatrix(grid, indptr, indices, rsrp)
    pairs, fixable = polluting_pairs(m, np.array([10, 11, 12, 13]), np.array([0, 1, 2]), np.array([2.0, 1.0, 1.0]),
                                     sinr_min_db=0.0, load_factor=1.0, noise_dbm=-122.0)
    assert pairs == {(10, 11): 2.0}
    assert fixable.tolist() == [True, True, False]


def test_polluting_pairs_never_pair_a_site_with_itself() -> None:
    """Rows 0 and 1 are two sectors of site 10 (−80 and −81 dBm), row 2 is site 11 (−83 dBm); η 1.

    No conflict removes a site's own sector: with γ 0 dB the pair is (10, 11) (−80 over −81 is
    +1 dB without site 11), never (10, 10). With γ 2 dB even that is not enough: the cell is not
    fixable and forms no pair.
    """
    from planner.coverage.grid import Grid
    from planner.coverage.matrix import CoverageMatrix
    from planner.stages.sinr_repair import polluting_pairs

    grid = Grid(x0=0.0, y0=10.0, res=10.0, nx=1, ny=1, crs="EPSG:4547")
    m = CoverageMatrix(grid, np.array([0, 1, 2, 3], dtype=np.int64), np.zeros(3, dtype=np.int32),
                       np.array([-80.0, -81.0, -83.0], dtype=np.float32))
    cols = np.array([10, 10, 11])
    args = {"load_factor": 1.0, "noise_dbm": -122.0}
    pairs, fixable = polluting_pairs(m, cols, np.array([0]), np.array([1.0]), sinr_min_db=0.0, **args)
    assert pairs == {(10, 11): 1.0} and fixable.tolist() == [True]
    pairs, fixable = polluting_pairs(m, cols, np.array([0]), np.array([1.0]), sinr_min_db=2.0, **args)
    assert pairs == {} and fixable.tolist() == [False]


def _planner(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("setting", "key"), [
    ('demand.require_sinr="yes"', "demand.require_sinr"),
    ("demand.require_sinr=1", "demand.require_sinr"),
    ("demand.sinr_repair_iterations=0", "demand.sinr_repair_iterations"),
    ("demand.sinr_repair_iterations=2.5", "demand.sinr_repair_iterations"),
    ("demand.require_sinrr=true", "require_sinrr"),
])
def test_bad_keys_exit_2(strip: Path, setting: str, key: str) -> None:
    r = _planner("validate", str(strip), "--set", setting)
    assert r.returncode == 2, r.stdout + r.stderr
    assert key in r.stderr and "Traceback" not in r.stderr


def test_requirement_with_phases_exit_2(tmp_path: Path) -> None:
    path = write_strip(tmp_path, extra='\n[[phases]]\nname = "近期"\n[phases.targets]\npublic_place = 0.9\n')
    out = tmp_path / "out"
    r = _planner("run", str(path), "--out", str(out), "--set", "demand.require_sinr=true")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "demand.require_sinr" in r.stderr and "[[phases]]" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_time_limited_resolve_is_reported(strip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A re-solve cut by the wall-clock safety stop marks the kept plan "time-limited" (issue 12)."""
    import planner.optimize as po
    import planner.optimize._budget as budget

    real = po.solve
    calls: list[bool] = []

    def cut_later(*args: object, **kwargs: object) -> po.Solution:
        if not calls:  # the first solve runs as usual
            calls.append(False)
            return real(*args, **kwargs)  # type: ignore[arg-type]
        with monkeypatch.context() as m:  # later ones (the repair's re-solves) meet the safety stop at once
            m.setattr(budget, "SAFETY_FACTOR", 0.0)
            m.setattr(budget, "SAFETY_PAD_S", 0.0)
            sol = real(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(bool(sol.stats["budget"]["time_limited"]))
        return sol

    monkeypatch.setattr(po, "solve", cut_later)
    plan = run_scenario(strip, overrides=["demand.require_sinr=true", "demand.sinr_repair_iterations=1"])
    assert calls[1:] and all(calls[1:])  # the repair re-solved, and the stop cut it
    assert "sinr_repair" in plan.solution["stats"]  # the kept plan comes from the re-solve
    assert budget.TIME_LIMITED_WARNING in plan.warnings
    assert plan.warnings.count(budget.TIME_LIMITED_WARNING) == 1
    assert plan.solution["stats"]["budget"]["time_limited"] is True
    assert any(s.startswith("sinr repair: ") for s in plan.solution["stats"]["budget"]["time_limited_stages"])
