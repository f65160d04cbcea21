"""Sectors in the coverage build (radio.antenna = "sectors"): parity with a pure-Python reference,
the under-mast hole, the sector boundary, omni classes unchanged, bad keys.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from kernels.antenna import best_gain_fast, best_sector_gain, pattern_constants
from planner.coverage import Grid, build_coverage
from planner.errors import ScenarioError
from planner.geo.sector_columns import site_antenna_overrides
from planner.radio.interference import plan_sinr
from planner.scenario import RadioConfig, scenario_from_dict
from tests.test_antenna import ref_sector

GRID = Grid(500_000.0, 3_400_000.0, 10.0, 80, 80, "EPSG:4547")  # 800 m square
SECTORS = RadioConfig(antenna="sectors")
#: a fixed panel for the geometry checks: 6 degree tilt, the TR 38.901 element's SLA_V and A_max (30 dB),
#: expected loss under the LOS probability (the radii these tests were laid out on)
FIXED = RadioConfig(
    antenna="sectors", los="probability", macro_antenna={"tilt_deg": 6.0, "sla_v_db": 30.0, "front_to_back_db": 30.0}
)


def _rows(cov: object) -> list[dict[int, float]]:
    out = []
    for s in range(cov.n_sites):  # type: ignore[attr-defined]
        a, b = cov.indptr[s], cov.indptr[s + 1]  # type: ignore[attr-defined]
        out.append(dict(zip(cov.indices[a:b].tolist(), cov.rsrp[a:b].tolist(), strict=True)))  # type: ignore[attr-defined]
    return out


def test_best_gain_fast_matches_the_angle_form() -> None:
    rng = np.random.default_rng(5)
    az = np.array([10.0, 130.0, 250.0])
    ca, sa = np.cos(np.radians(az)), np.sin(np.radians(az))
    # the default macro, a wide beam, a front-to-back above the side-lobe level, a narrow horizontal beam
    for h3, v3, sla, amax in (
        (65.0, 10.0, 30.0, 30.0),
        (65.0, 65.0, 30.0, 30.0),
        (65.0, 10.0, 20.0, 30.0),
        (30.0, 8.0, 30.0, 25.0),
        (120.0, 65.0, 25.0, 40.0),
    ):
        for _ in range(400):
            dx, dy = rng.uniform(-500, 500, 2)
            dz = float(rng.uniform(-40, 5))
            tilt, elec = rng.uniform(-10, 30, 2)
            want = best_sector_gain(dx, dy, dz, az, tilt, elec, h3, v3, sla, amax)
            b = math.radians(tilt)
            kh, kv, e, h_cap, v_lo, v_hi = pattern_constants(elec, h3, v3, sla, amax)
            got = best_gain_fast(dx, dy, dz, ca, sa, math.cos(b), math.sin(b), kh, kv, e, h_cap, v_lo, v_hi, sla, amax)
            assert got == pytest.approx(want, abs=1e-9)
    assert (
        best_gain_fast(
            1.0,
            1.0,
            0.0,
            np.empty(0),
            np.empty(0),
            1.0,
            0.0,
            *pattern_constants(0.0, 65.0, 10.0, 30.0, 30.0),
            30.0,
            30.0,
        )
        == 0.0
    )


def test_sector_build_parity_with_reference() -> None:
    rng = np.random.default_rng(9)
    n = 6
    x = GRID.x0 + rng.uniform(100, 700, n)
    y = GRID.y0 - rng.uniform(100, 700, n)
    h = np.r_[rng.uniform(25, 40, 3), rng.uniform(8, 12, 3)]
    cls = ["macro"] * 3 + ["micro"] * 3
    radio = RadioConfig(
        antenna="sectors",
        macro_antenna={
            "azimuths_deg": [30.0, 150.0, 270.0],
            "tilt_deg": 4.0,
            "electrical_tilt_deg": 2.0,
            "hpbw_v_deg": 12.0,
            "sla_v_db": 30.0,
            "front_to_back_db": 30.0,
        },
        micro_antenna={
            "omni": False,
            "sectors": 2,
            "azimuths_deg": [45.0, 225.0],
            "hpbw_v_deg": 30.0,
            "sla_v_db": 30.0,
            "front_to_back_db": 30.0,
        },
    )
    omni = _rows(build_coverage(GRID, x, y, h, cls, radio.model_copy(update={"antenna": "omni"})))
    sect = _rows(build_coverage(GRID, x, y, h, cls, radio))
    thr = radio.threshold_dbm
    kept = dropped = 0
    for s in range(n):
        ant = radio.macro_antenna if cls[s] == "macro" else radio.micro_antenna
        for c, v in omni[s].items():
            r, col = divmod(c, GRID.nx)
            dx = GRID.x0 + (col + 0.5) * GRID.res - x[s]
            dy = GRID.y0 - (r + 0.5) * GRID.res - y[s]
            g = max(
                ref_sector(
                    dx,
                    dy,
                    radio.ue_height_m - h[s],
                    a,
                    ant.tilt_deg,
                    ant.electrical_tilt_deg,
                    h3=ant.hpbw_h_deg,
                    v3=ant.hpbw_v_deg,
                )
                for a in ant.bearings()
            )
            if v + g >= thr + 1e-4:
                assert sect[s][c] == pytest.approx(v + g, abs=1e-3)
                kept += 1
            elif v + g < thr - 1e-4:
                assert c not in sect[s]
                dropped += 1
        assert set(sect[s]) <= set(omni[s])
    assert kept > 100 and dropped > 100


def test_under_mast_hole_and_sector_boundary() -> None:
    # one 30 m macro at the grid centre, panels at 0/120/240 degrees, 6 degree tilt, 10 degree vertical beam
    x, y = [GRID.x0 + 400.0], [GRID.y0 - 400.0]
    omni = _rows(build_coverage(GRID, x, y, [30.0], ["macro"], FIXED.model_copy(update={"antenna": "omni"})))[0]
    sect = _rows(build_coverage(GRID, x, y, [30.0], ["macro"], FIXED))[0]

    def cell(dx: float, dy: float) -> int:
        return int((400 - dy) // 10) * GRID.nx + int((400 + dx) // 10)

    # 塔下黑: 25 m from the mast the UE is 48 degrees below the horizon, 42 below the beam: the full
    # 30 dB side-lobe attenuation (a 200 W macro still covers it at -105 dBm, 30 dB weaker)
    c0 = cell(0.0, 25.0)
    assert omni[c0] - sect[c0] == pytest.approx(30.0, abs=1e-3)
    # on a sector's boresight, where the beam meets the ground (28.5 / tan 6 deg = 271 m is past the
    # radius; 200 m: 8.1 deg down, 2.1 deg below the beam), the loss is the vertical cut only
    c = cell(0.0, 205.0)
    dep = math.degrees(math.atan2(28.5, math.hypot(5.0, 205.0)))
    assert c in sect
    assert omni[c] - sect[c] == pytest.approx(12 * ((dep - 6.0) / 10.0) ** 2, abs=0.05)
    # half-way between two sectors (60 degrees) 100 m out: 10.2 dB horizontal + 11.8 dB vertical (15.9 degrees
    # down, 9.9 below the beam) take the omni -84.2 dBm below the threshold; on a boresight the same
    # distance loses only the vertical part
    b = math.radians(60.0)
    c2 = cell(100.0 * math.sin(b), 100.0 * math.cos(b))
    assert c2 in omni and c2 not in sect and omni[c2] - 22.0 < -105.0
    c3 = cell(0.0, 105.0)
    dep3 = math.degrees(math.atan2(28.5, math.hypot(5.0, 105.0)))  # the cell centre is 5 m east, 105 m north
    assert omni[c3] - sect[c3] == pytest.approx(12 * ((dep3 - 6.0) / 10.0) ** 2, abs=0.05)
    assert len(sect) < 0.8 * len(omni)


def test_default_macros_are_three_sectors_poles_omni() -> None:
    r = RadioConfig()
    assert r.antenna == "sectors" and r.macro_antenna.bearings() == (0.0, 120.0, 240.0)
    assert (
        r.macro_antenna.hpbw_h_deg,
        r.macro_antenna.hpbw_v_deg,
        r.macro_antenna.sla_v_db,
        r.macro_antenna.front_to_back_db,
        r.macro_antenna.tilt_deg,
    ) == (65.0, 10.0, 20.0, 25.0, "auto")
    x, y = [GRID.x0 + 400.0], [GRID.y0 - 400.0]
    cov = build_coverage(GRID, x, y, [30.0], ["macro"], r)
    omni = build_coverage(GRID, x, y, [30.0], ["macro"], r.model_copy(update={"antenna": "omni"}))
    assert cov.meta["antenna"]["mode"] == "sectors" and omni.meta["antenna"] == {"mode": "omni"}
    # auto tilt of a 30 m mast: arctan(28.5 / 223.4 m) + 10 / 2 = 12.27 degrees
    assert cov.meta["antenna"]["macro"]["mechanical_tilt_deg_range"] == [12.27, 12.27]
    # the panels keep 50-70 % of the (unphysical) omni-at-peak-gain area
    assert 0.5 * omni.nnz < cov.nnz < 0.7 * omni.nnz
    # poles stay omni under "sectors" unless their class says otherwise
    a = build_coverage(GRID, x, y, [10.0], ["micro"], r.model_copy(update={"antenna": "omni"}))
    b = build_coverage(GRID, x, y, [10.0], ["micro"], r)
    assert a.indices.tolist() == b.indices.tolist() and a.rsrp.tolist() == b.rsrp.tolist()
    assert b.meta["antenna"]["micro"] == {"omni": True}


@pytest.mark.parametrize(("h", "want"), [(25.0, 10.99), (30.0, 12.27), (40.0, 14.84)])
def test_auto_tilt_puts_the_upper_half_power_edge_on_the_cell_edge(h: float, want: float) -> None:
    from planner.coverage.build import resolve_tilts
    from planner.radio import link_budget

    r = RadioConfig()
    radius = link_budget(r, "macro").max_radius_m(h)
    got = float(resolve_tilts([h], ["macro"], r)[0])
    assert got == pytest.approx(math.degrees(math.atan((h - r.ue_height_m) / radius)) + 5.0, abs=1e-9)
    assert got == pytest.approx(want, abs=0.01)
    # the rule sets the total tilt: an electrical tilt takes its share off the mechanical one; a site's own
    # tilt (candidate column) wins; a fixed class tilt is used as given
    elec = r.model_copy(update={"macro_antenna": r.macro_antenna.model_copy(update={"electrical_tilt_deg": 4.0})})
    assert float(resolve_tilts([h], ["macro"], elec)[0]) == pytest.approx(got - 4.0, abs=1e-9)
    assert resolve_tilts([h, h], ["macro", "macro"], r, [3.0, float("nan")]).tolist() == [3.0, got]
    assert resolve_tilts([h], ["micro"], r).tolist() == [6.0]
    # the same tilt whatever threshold, edge probability or penetration a derived build uses (the SINR
    # build's received-power floor, one pass per penetration loss), the design's
    floor = r.model_copy(update={"threshold_dbm": -132.2, "edge_probability": 0.5, "penetration_loss_db": 0.0})
    assert float(resolve_tilts([h], ["macro"], floor)[0]) == got
    assert floor.design_radio() == r
    # a section validated with other settings has its own design
    fresh = RadioConfig(threshold_dbm=-100.0)
    assert fresh.design_radio() is fresh and float(resolve_tilts([h], ["macro"], fresh)[0]) > got  # smaller R


def test_sinr_with_sectors_runs() -> None:
    x, y = [GRID.x0 + 200.0, GRID.x0 + 600.0], [GRID.y0 - 400.0, GRID.y0 - 400.0]
    res = plan_sinr(GRID, x, y, [30.0, 30.0], ["macro", "macro"], SECTORS)
    assert np.isfinite(res.sinr_db).mean() > 0.9


@pytest.mark.parametrize(
    ("table", "key", "fix"),
    [
        ({"sectors": 0}, "radio.macro_antenna.sectors", "1 to 6 sectors"),
        ({"azimuths_deg": [0.0, 400.0, 10.0]}, "radio.macro_antenna.azimuths_deg.1", "0 to < 360"),
        ({"azimuths_deg": [-5.0, 120.0, 240.0]}, "radio.macro_antenna.azimuths_deg.0", "0 to < 360"),
        ({"tilt_deg": 40.0}, "radio.macro_antenna.tilt_deg", "−10 to 30"),
        ({"tilt_deg": -11.0}, "radio.macro_antenna.tilt_deg", "−10 to 30"),
        ({"azimuths_deg": [0.0, 90.0]}, "radio.macro_antenna", "one bearing per sector"),
    ],
)
def test_bad_antenna_keys(table: dict[str, object], key: str, fix: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(
            {
                "inputs": {"boundary": "b.geojson", "candidates": "c.csv"},
                "radio": {"antenna": "sectors", "macro_antenna": table},
            }
        )
    text = str(err.value)
    assert f"[{key}]" in text and fix in text


def test_partial_antenna_table_keeps_class_defaults() -> None:
    sc = scenario_from_dict(
        {
            "inputs": {"boundary": "b.geojson", "candidates": "c.csv"},
            "radio": {"micro_antenna": {"tilt_deg": 3.0}, "macro_antenna": {"sectors": 2}},
        }
    )
    assert sc.radio.micro_antenna.omni and sc.radio.micro_antenna.hpbw_v_deg == 65.0
    assert sc.radio.macro_antenna.bearings() == (0.0, 180.0) and sc.radio.macro_antenna.hpbw_v_deg == 10.0


def test_sectors_and_sinr_with_terrain() -> None:
    """The pattern pass runs after the terrain build too; a wall blocks, the pattern still applies."""
    from planner.coverage import Terrain

    bld = np.zeros((GRID.ny, GRID.nx), np.float32)
    bld[10:70, 55] = 40.0  # a 40 m wall 150 m east of the mast
    terrain = Terrain(GRID, np.zeros((GRID.ny, GRID.nx), np.float32), bld)
    x, y = [GRID.x0 + 400.0], [GRID.y0 - 400.0]
    radio = FIXED.model_copy(update={"terrain_clear": "los"})
    omni = _rows(
        build_coverage(GRID, x, y, [30.0], ["macro"], radio.model_copy(update={"antenna": "omni"}), terrain=terrain)
    )[0]
    cov = build_coverage(GRID, x, y, [30.0], ["macro"], radio, terrain=terrain)
    sect = _rows(cov)[0]
    assert cov.meta["antenna"]["mode"] == "sectors" and set(sect) <= set(omni) and len(sect) < len(omni)
    c = ((400 - 205) // 10) * GRID.nx + 40  # on the 0 degree boresight, 205 m north, in the clear
    dep = math.degrees(math.atan2(28.5, math.hypot(5.0, 205.0)))
    assert omni[c] - sect[c] == pytest.approx(12 * ((dep - 6.0) / 10.0) ** 2, abs=0.05)
    res = plan_sinr(GRID, x, y, [30.0], ["macro"], radio, terrain=terrain)
    assert "terrain" in res.meta["approximation"] and np.isfinite(res.sinr_db).any()


def _cands(**cols: list[object]) -> gpd.GeoDataFrame:
    from shapely.geometry import Point

    n = len(next(iter(cols.values())))
    base = {"id": [f"T{i}" for i in range(n)], "type": ["tower"] * n}
    return gpd.GeoDataFrame(
        {**base, **cols}, geometry=[Point(114.4 + 0.001 * i, 30.5) for i in range(n)], crs="EPSG:4490"
    )


def test_candidate_antenna_columns_parsed_and_checked(tmp_path: Path) -> None:
    from planner.errors import InputDataError
    from planner.geo.candidates import normalise_candidates

    sc = scenario_from_dict(
        {"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}, "radio": {"antenna": "sectors"}}
    )
    good = _cands(方位角=["0/120/240", "45、225", "", 90.0], **{"下倾角(°)": ["4", "", "8.5", None]})
    out, warnings = normalise_candidates(good, tmp_path / "c.csv", sc)
    assert out["azimuth_deg"].tolist() == ["0/120/240", "45/225", "", "90"]
    assert out["tilt_deg"].tolist()[0] == 4.0 and math.isnan(out["tilt_deg"].tolist()[1])
    assert not any("azimuth_deg" in w for w in warnings)
    kw = site_antenna_overrides(out)
    assert kw["site_azimuths"] == [(0.0, 120.0, 240.0), (45.0, 225.0), None, (90.0,)]
    # with omni antennas the columns are read but unused, and the run says so
    omni = scenario_from_dict(
        {"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}, "radio": {"antenna": "omni"}}
    )
    assert any("radio.antenna" in w for w in normalise_candidates(good, tmp_path / "c.csv", omni)[1])
    # bad cells: every one named with its row and the fix
    bad = _cands(azimuth_deg=["0/400", "abc", "1/2/3/4/5/6/7", "-5"], tilt_deg=["40", "x", "-11", "3"])
    with pytest.raises(InputDataError) as err:
        normalise_candidates(bad, tmp_path / "c.csv", sc)
    text = str(err.value)
    for v in ("'0/400'", "'abc'", "'1/2/3/4/5/6/7'", "'-5'", "'40'", "'x'", "'-11'"):
        assert v in text
    assert "0/120/240" in text and "downtilt" in text and "T0" in text


def test_per_site_azimuth_and_tilt_override_the_class() -> None:
    x, y, h = [GRID.x0 + 400.0] * 2, [GRID.y0 - 400.0] * 2, [30.0, 30.0]
    own = build_coverage(
        GRID, x, y, h, ["macro", "macro"], SECTORS, site_azimuths=[(90.0,), None], site_tilt_deg=[float("nan"), 3.0]
    )
    one_east = build_coverage(
        GRID,
        x[:1],
        y[:1],
        h[:1],
        ["macro"],
        SECTORS.model_copy(
            update={"macro_antenna": SECTORS.macro_antenna.model_copy(update={"sectors": 1, "azimuths_deg": (90.0,)})}
        ),
    )
    tilt3 = build_coverage(
        GRID,
        x[:1],
        y[:1],
        h[:1],
        ["macro"],
        SECTORS.model_copy(update={"macro_antenna": SECTORS.macro_antenna.model_copy(update={"tilt_deg": 3.0})}),
    )
    rows = _rows(own)
    assert rows[0] == _rows(one_east)[0] and rows[1] == _rows(tilt3)[0]
    with pytest.raises(ValueError, match="one entry per site"):
        build_coverage(GRID, x, y, h, ["macro", "macro"], SECTORS, site_azimuths=[None])


def test_candidate_columns_reach_the_coverage_stage(tiny: Path) -> None:
    """The pipeline passes a candidate's own azimuth and tilt to the coverage build."""
    from planner.pipeline import prepare_scenario

    sectors = ['radio.antenna="sectors"']
    before = prepare_scenario(tiny, overrides=sectors)
    path = tiny.parent / "candidates.gpkg"
    cands = gpd.read_file(path)
    cands["azimuth_deg"] = ["" if i != "T001" else "90" for i in cands["id"]]
    cands["tilt_deg"] = [float("nan") if i != "T002" else 2.0 for i in cands["id"]]
    cands.to_file(path, layer="candidates", driver="GPKG")
    after = prepare_scenario(tiny, overrides=sectors)
    ids = before.candidates["id"].tolist()
    b, a = _rows(before.coverage), _rows(after.coverage)
    changed = {ids[s] for s in range(len(ids)) if a[s] != b[s]}
    assert changed == {"T001", "T002"}
    assert after.candidates.loc[after.candidates["id"] == "T001", "azimuth_deg"].item() == "90"
