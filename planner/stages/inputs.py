"""The inputs stage: every input file read and validated, all problems reported at once.

``scenario → inputs``: :func:`load_inputs` returns the :class:`InputLayers` (boundary,
candidates, raw priority areas, exclusions, buildings, input hashes, warnings) in CGCS2000
geographic coordinates, or raises one :class:`~planner.errors.InputDataError` listing every
problem of every file.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner._text import header_key
from planner._validate import feature_label
from planner.errors import EmptyLayerError, InputDataError, PlannerError, Problem
from planner.geo.areas import normalise_areas
from planner.geo.candidates import normalise_candidates
from planner.geo.crs import bbox_gap_km, choose_metric_crs, detect_gcj02_shift
from planner.io._checks import building_heights, polygons_only
from planner.io._dem import inspect_dem
from planner.io.hashing import file_sha256
from planner.io.readers import read_vector, split_layer
from planner.scenario import DATUM_INPUTS, Scenario


@dataclass
class InputLayers:
    """Validated input layers in CGCS2000 geographic coordinates (EPSG:4490).

    Made by :func:`load_inputs` (the scenario's ``[inputs]`` section, :class:`planner.scenario.Inputs`,
    names the files; this holds what was read from them).
    """

    boundary: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    areas_raw: gpd.GeoDataFrame | None
    exclusions: gpd.GeoDataFrame | None
    buildings: gpd.GeoDataFrame | None
    hashes: dict[str, str]
    warnings: list[str]


#: optional layers that may be empty, and what the plan then goes without
EMPTY_OK = {
    "priority_areas": "priority areas (the whole boundary is class other)",
    "exclusions": "exclusion zones",
    "buildings": "buildings",
}


def _read_layers(
    scenario: Scenario, problems: list[Problem], warnings: list[str], hashes: dict[str, str]
) -> dict[str, gpd.GeoDataFrame | None]:
    """Every vector input as read (None: not given, unreadable or an empty optional layer); fills the lists."""
    cfg = scenario.inputs
    results: dict[str, gpd.GeoDataFrame | None] = {}
    for name in ("boundary", "candidates", "priority_areas", "exclusions", "buildings"):
        path = getattr(cfg, name)
        if path is None:
            results[name] = None
            continue
        try:
            layer = read_vector(path, name, collect_rows=True)  # rows with bad coordinates: reported with the rest
            problems.extend(layer.attrs.pop("row_problems", []))
            results[name] = layer
            hashes[name] = file_sha256(split_layer(path)[0])
            warnings += list(layer.attrs.get("read_notes", []))
        except EmptyLayerError as exc:
            results[name] = None
            hashes[name] = file_sha256(split_layer(path)[0])
            if name in EMPTY_OK:  # "no 禁建 zone this year": an empty optional layer is the layer not given
                warnings.append(f"{path}: the {name} layer is empty (no features): planned without {EMPTY_OK[name]}")
            else:
                problems.extend(exc.problems)
        except InputDataError as exc:
            problems.extend(exc.problems)
            results[name] = None
    return results


def load_inputs(scenario: Scenario) -> InputLayers:
    """Read and validate every input file, reporting all problems at once."""
    problems: list[Problem] = []
    warnings: list[str] = []
    hashes: dict[str, str] = {}
    cfg = scenario.inputs
    results = _read_layers(scenario, problems, warnings, hashes)
    candidates = None
    if results["candidates"] is not None:
        try:
            candidates, w = normalise_candidates(results["candidates"], cfg.candidates, scenario)
            warnings += w
        except InputDataError as exc:
            problems.extend(exc.problems)
    boundary = results["boundary"]
    if boundary is not None:
        missing = (boundary.geometry.isna() | boundary.geometry.is_empty).to_numpy()
        kinds = set(boundary.geometry[~missing].geom_type.dropna())
        if missing.all():
            problems.append(
                Problem(
                    "the boundary has no geometry (every feature is empty)",
                    str(cfg.boundary),
                    fix="export the planning boundary polygon with its geometry",
                )
            )
            boundary = None
        elif not kinds <= {"Polygon", "MultiPolygon"}:
            problems.append(
                Problem(
                    f"the boundary must be polygons; found {', '.join(sorted(kinds))}",
                    str(cfg.boundary),
                    fix="export the planning boundary as a polygon layer",
                )
            )
            boundary = None
        else:
            if missing.any():
                labels = ", ".join(feature_label(boundary, int(i)) for i in np.flatnonzero(missing)[:10])
                warnings.append(f"{cfg.boundary}: {labels} without geometry ignored")
                boundary = boundary.iloc[np.flatnonzero(~missing)]
            for i in np.flatnonzero((~boundary.geometry.is_valid).to_numpy()):
                warnings.append(
                    f"{cfg.boundary}: {feature_label(boundary, int(i))} has an invalid polygon "
                    "(e.g. self-intersection); repaired with make_valid"
                )
    if cfg.dem is not None:
        if boundary is not None:
            p, w = inspect_dem(cfg.dem, boundary)
            problems += p
            warnings += w
        elif not cfg.dem.exists():
            problems.append(
                Problem(
                    "dem file not found",
                    str(cfg.dem),
                    fix="check `inputs.dem` (paths are relative to the scenario file)",
                )
            )
        if cfg.dem.is_file():
            hashes["dem"] = file_sha256(cfg.dem)
    if boundary is not None:
        # layers that do not overlap after reprojection: one of them declares the wrong CRS
        b_bounds = [float(v) for v in boundary.total_bounds]
        for name in ("candidates", "priority_areas", "exclusions", "buildings"):
            layer = results[name]
            if layer is None or layer.empty:
                continue
            gap = bbox_gap_km(b_bounds, [float(v) for v in layer.total_bounds])
            if gap > 2.0:
                problems.append(
                    Problem(
                        f"the {name} layer does not overlap the boundary after reprojection: "
                        f"it lies {gap:,.1f} km away ({name} declared {layer.attrs.get('source_crs', '?')}, "
                        f"boundary {boundary.attrs.get('source_crs', '?')})",
                        str(getattr(cfg, name)),
                        fix="one of the two files declares the wrong coordinate reference system "
                        "(or they are different places); "
                        "check each file's CRS against its source",
                    )
                )
                if name == "candidates":
                    candidates = None
        if results["priority_areas"] is not None and cfg.priority_areas is not None:
            try:  # checked here too so that one validation lists the area problems with the others
                centre = boundary.to_crs("EPSG:4326").union_all().centroid
                normalise_areas(
                    results["priority_areas"],
                    cfg.priority_areas,
                    scenario,
                    choose_metric_crs(scenario.grid.crs, centre.x, centre.y),
                )
            except PlannerError as exc:
                problems.extend(exc.problems)
    if results["exclusions"] is not None:
        problems += exclusion_rules(results["exclusions"], str(cfg.exclusions))[1]
        problems += polygons_only(results["exclusions"], str(cfg.exclusions), "exclusion zones (禁建/限建)")
    if results["buildings"] is not None:
        problems += polygons_only(results["buildings"], str(cfg.buildings), "buildings")
        results["buildings"], found = building_heights(results["buildings"], str(cfg.buildings))
        problems += found
    if problems:
        raise InputDataError(problems)
    assert boundary is not None and candidates is not None
    converted = [name for name in DATUM_INPUTS if cfg.datum(name) == "gcj02" and getattr(cfg, name) is not None]
    if converted:
        if len(converted) == sum(getattr(cfg, name) is not None for name in DATUM_INPUTS):
            warnings.append("inputs.coordinates = gcj02: every input was converted from GCJ-02 to CGCS2000")
        else:
            warnings.append(f"inputs.coordinates: {', '.join(converted)} converted from GCJ-02 to CGCS2000")
        boundary = _from_gcj02(boundary) if "boundary" in converted else boundary
        candidates = _from_gcj02(candidates) if "candidates" in converted else candidates
        for key in ("priority_areas", "exclusions", "buildings"):
            if key in converted:
                results[key] = _from_gcj02(results[key])
    assert boundary is not None and candidates is not None
    warnings += datum_mismatch(scenario, boundary, candidates)
    return InputLayers(
        boundary, candidates, results["priority_areas"], results["exclusions"], results["buildings"], hashes, warnings
    )


def _from_gcj02(g: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """A layer moved from GCJ-02 to CGCS2000 (:func:`planner.geo.gcj02.gcj02_to_wgs84`, vertex by vertex)."""
    if g is None:
        return None
    import shapely

    from planner.geo.gcj02 import gcj02_to_wgs84

    def fn(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    out = g.copy()
    out["geometry"] = shapely.transform(g.geometry.to_numpy(), fn)
    return out


def datum_mismatch(scenario: Scenario, boundary: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame) -> list[str]:
    """A warning naming both files when candidates and boundary sit shifted against each other as GCJ-02 does.

    Checked after each input was converted from its declared datum (``inputs.coordinates``,
    per input or for all): GCJ-02 moves features 300–600 m in China (about 550 m around Wuhan),
    so a pole inventory in CGCS2000 over a district boundary digitised on a web map (or the
    reverse) shows that shift; :func:`planner.geo.crs.detect_gcj02_shift` decides which side
    looks shifted, conservatively (a catalogue that merely extends beyond the boundary is not
    flagged). Returns no warning, or one.
    """
    cfg = scenario.inputs
    pts = candidates.geometry
    area = boundary.geometry.make_valid().union_all()
    shifted = detect_gcj02_shift(pts.x.to_numpy(float), pts.y.to_numpy(float), area)
    if shifted is None:
        return []
    moved, fixed = ("candidates", "boundary") if shifted == "points" else ("boundary", "candidates")
    declared = {name: cfg.datum(name) for name in (moved, fixed)}
    path = {"candidates": cfg.candidates, "boundary": cfg.boundary}
    options = []  # the declarations that would line the two files up
    if declared[moved] != "gcj02":  # ``moved`` needs one more GCJ-02 → CGCS2000 conversion ...
        options.append({moved: "gcj02", fixed: declared[fixed]})
    if declared[fixed] == "gcj02":  # ... or ``fixed`` one less
        options.append({moved: declared[moved], fixed: "cgcs2000"})
    if options:
        tables = " or ".join("{ " + ", ".join(f'{k} = "{v}"' for k, v in o.items()) + " }" for o in options)
        hint = f"set inputs.coordinates = {tables}, or convert the GCJ-02 file to CGCS2000"
    else:
        hint = f"{moved} is still shifted after its GCJ-02 conversion: check where that file came from"
    return [f"{path[moved]} ({moved}, declared {declared[moved]}) and "
            f"{path[fixed]} ({fixed}, declared {declared[fixed]}) are offset by ~300–600 m against each other, "
            f"as GCJ-02 (高德/腾讯 web-map) coordinates are against CGCS2000: {hint}"]


def exclusion_rules(ex: gpd.GeoDataFrame, src: str) -> tuple[pd.Series, list[Problem]]:
    """The normalised ``rule`` column of the exclusions ("forbid"/"restrict") and its problems."""
    names = {header_key(c): c for c in ex.columns if c != "geometry"}
    col = next((names[k] for k in ("rule", "规则", "管控规则", "管控类型", "类型") if k in names), None)
    if col is None:
        return pd.Series([], dtype=object), [
            Problem(
                f"no `rule` column (found: {', '.join(map(str, names.values())) or 'none'})",
                src,
                fix='add `rule` = "forbid" (禁建) or "restrict" (限建)',
            )
        ]
    words = {
        "禁建": "forbid",
        "禁建区": "forbid",
        "禁止建设": "forbid",
        "禁止建设区": "forbid",
        "限建": "restrict",
        "限建区": "restrict",
        "限制建设": "restrict",
        "限制建设区": "restrict",
    }
    rule = ex[col].astype("string").str.strip().str.lower().replace(words)
    bad = ~rule.isin(["forbid", "restrict"])
    problems = [
        Problem(
            f"unknown rule {ex[col].iloc[i]!r}"
            if isinstance(ex[col].iloc[i], str) and ex[col].iloc[i].strip()
            else "missing rule",
            src,
            feature_label(ex, int(i)),
            'use "forbid" (禁建) or "restrict" (限建)',
        )
        for i in np.flatnonzero(bad.to_numpy())[:10]
    ]
    return rule, problems
