"""The plan's SINR and overlap: attached to a plan, written as GeoTIFFs, shown in the report (zh/en)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from planner.coverage.raster import NODATA, OVERLAP_NODATA, write_sinr_rasters
from planner.geo.demand import rasterize_demand
from planner.plan import Plan
from planner.radio.interference import attach_plan_sinr
from planner.report.html import render_report
from planner.report.sinr import sinr_section
from tests.report_fixtures import make_plan


def _with_sinr(language: str = "zh") -> Plan:
    plan = make_plan(language=language)
    areas_m = plan.areas.to_crs(plan.grid.crs)
    demand = rasterize_demand(plan.grid, plan.boundary.to_crs(plan.grid.crs).geometry, areas_m)
    plan.demand_mask = demand.mask
    attach_plan_sinr(plan, demand.area_index)
    return plan


def test_attach_fills_extras_and_manifest_section() -> None:
    plan = _with_sinr()
    s, o = plan.extras["sinr_db"], plan.extras["overlap"]
    assert s.shape == o.shape == (plan.grid.ny, plan.grid.nx)
    inside = plan.demand_mask
    assert np.isnan(s[~inside]).all() and (o[~inside] == 0).all()
    assert np.isfinite(s[inside]).mean() > 0.9
    info = plan.radio["interference"]
    names = [r["name"] for r in info["areas"]]
    assert names == [*plan.areas["name"].astype(str), "all"]
    every = info["areas"][-1]
    assert every["cells"] == int(inside.sum())
    assert 0.0 <= every["sinr_ok"] <= 1.0 and 0.0 <= every["polluted"] <= 1.0
    assert info["noise_per_re_dbm"] == pytest.approx(-122.23, abs=0.01)
    assert "N - 10 dB" in info["approximation"]


def test_sinr_and_overlap_geotiffs(tmp_path: Path) -> None:
    plan = _with_sinr()
    files = write_sinr_rasters(plan, tmp_path)
    assert set(files) == {"sinr", "overlap"}
    with rasterio.open(files["sinr"]) as src:
        assert src.crs.to_string() == plan.grid.crs and src.dtypes[0] == "float32" and src.nodata == NODATA
        assert src.descriptions[0] == "SS-SINR of the best server" and src.units[0] == "dB"
        assert src.overviews(1) == [] or src.is_tiled
        a = src.read(1)
    s = plan.extras["sinr_db"]
    np.testing.assert_array_equal(a, np.where(np.isfinite(s), s, np.float32(NODATA)))
    with rasterio.open(files["overlap"]) as src:
        assert src.dtypes[0] == "uint8" and src.nodata == OVERLAP_NODATA and src.units[0] == "count"
        assert "6 dB" in src.descriptions[0]
        b = src.read(1)
    assert (b[~plan.demand_mask] == OVERLAP_NODATA).all()
    np.testing.assert_array_equal(b[plan.demand_mask], plan.extras["overlap"][plan.demand_mask])
    # a plan read back from a run folder has no SINR rasters: nothing is written
    plan.extras.pop("sinr_db")
    assert write_sinr_rasters(plan, tmp_path / "again") == {}


@pytest.mark.parametrize(
    ("language", "title", "all_label"),
    [("zh", "下行 SS-SINR 与重叠覆盖", "全部规划区"), ("en", "Downlink SS-SINR and overlap", "Whole planning area")],
)
def test_report_section(language: str, title: str, all_label: str) -> None:
    plan = _with_sinr(language)
    sec = sinr_section(plan, language)
    assert sec is not None and sec["title"] == title
    assert len(sec["rows"]) == len(plan.areas) + 1 and sec["rows"][-1][0] == all_label
    assert all(len(r) == len(sec["head"]) for r in sec["rows"])
    assert "-122.2" in sec["note"]
    if language == "en":  # one full render (the page takes seconds): the section is in it
        html = render_report(plan)
        assert title in html and 'id="sinr-table"' in html and all_label in html
    # without SINR figures the section is left out
    plan.radio.pop("interference")
    assert sinr_section(plan, language) is None


def test_sinr_takes_the_penetration_of_each_area_class() -> None:
    """A park (radio.penetration_by_class: 0 dB, outdoor demand) gets the SINR of an outdoor user, as the
    solve covered it, not that of a user behind ``penetration_loss_db`` (20 dB) of wall; other classes keep it.
    """
    from planner.radio.antenna import antenna_overrides
    from planner.radio.interference import plan_sinr

    plan = _with_sinr()
    radio = plan.scenario.radio
    assert radio.penetration_of("park") == 0.0 and radio.penetration_loss_db == 20.0
    areas_m = plan.areas.to_crs(plan.grid.crs)
    demand = rasterize_demand(plan.grid, plan.boundary.to_crs(plan.grid.crs).geometry, areas_m)
    classes = plan.areas["class"].astype(str).tolist()
    park = demand.area_index == classes.index("park")
    indoor = plan.demand_mask & (demand.area_index == classes.index("public_place"))
    assert park.sum() > 10 and indoor.sum() > 10
    s = plan.sites
    args = (
        plan.grid,
        s["x_m"].to_numpy(np.float64),
        s["y_m"].to_numpy(np.float64),
        s["height_m"].to_numpy(np.float64),
        s["site_class"].to_numpy(str),
    )
    outdoor = plan_sinr(*args, radio.model_copy(update={"penetration_loss_db": 0.0}), cell_mask=plan.demand_mask,
                        **antenna_overrides(s))
    behind_wall = plan_sinr(*args, radio, cell_mask=plan.demand_mask, **antenna_overrides(s))
    got = plan.extras["sinr_db"]
    assert np.abs(outdoor.sinr_db[park] - behind_wall.sinr_db[park]).max() > 1.0  # the test can tell them apart
    np.testing.assert_allclose(got[park], outdoor.sinr_db[park], atol=1e-4)
    np.testing.assert_allclose(got[indoor], behind_wall.sinr_db[indoor], atol=1e-4)
