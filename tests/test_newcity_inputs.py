"""Inputs as other cities' ledgers and exports write them (NEWCITY session): aliases, cells, CAD text."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from planner.errors import InputDataError
from planner.geo.candidates import normalise_candidates
from planner.scenario import scenario_from_dict

SC = scenario_from_dict({"inputs": {"boundary": "b.geojson", "candidates": "c.csv"}})


def _cands(**cols: object) -> gpd.GeoDataFrame:
    n = len(next(iter(cols.values())))  # type: ignore[arg-type]
    pts = [Point(126.63 + i * 0.001, 45.75) for i in range(n)]
    return gpd.GeoDataFrame(dict(cols), geometry=pts, crs="EPSG:4490")


def test_chinese_status_words_are_read() -> None:
    """在网/已开通 are on air (the fix text named them, and they were refused); 现有, 规划, 无 and "On Air" too."""
    statuses = ["在网", "已开通", "5G在网", "On Air", "existing-5G", "现有", "规划", "拟建", "无", "", "EXISTING_5G"]
    gdf = _cands(id=[f"H{i}" for i in range(len(statuses))], type=["路灯杆"] * len(statuses), status=statuses)
    out, _ = normalise_candidates(gdf, Path("c.csv"), SC)
    assert out["status"].tolist() == [
        *["existing_5g"] * 5,
        "existing",
        "planned",
        "planned",
        "",
        "",
        "existing_5g",
    ]
    on_air = out["status"] == "existing_5g"
    assert (out.loc[on_air, "build_mode"] == "保留").all()
    assert (out.loc[on_air, "cost"] == 0.0).all()
    assert (out.loc[~on_air, "cost"] > 0).all()


def test_ambiguous_status_is_refused_with_the_words_that_work() -> None:
    gdf = _cands(id=["a", "b"], type=["tower", "tower"], status=["已建", "ufo"])
    with pytest.raises(InputDataError) as err:
        normalise_candidates(gdf, Path("c.csv"), SC)
    text = str(err.value)
    assert "unknown status '已建' (ambiguous" in text
    assert "unknown status 'ufo'" in text
    assert "在网" in text and "现有" in text and "规划" in text


def test_status_of_an_on_air_site_with_a_cost_column() -> None:
    """An on-air site spelled 在网 costs 0 even with an empty cost cell (the cost check knows the alias)."""
    gdf = _cands(id=["a", "b"], type=["tower", "tower"], status=["在网", ""], cost=[np.nan, 6.0])
    out, warns = normalise_candidates(gdf, Path("c.csv"), SC)
    assert out["cost"].tolist() == [0.0, 6.0]
    assert not any("no cost" in w for w in warns)
