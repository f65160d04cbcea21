"""Priority classes and candidate types read from OpenStreetMap tags, for OSM exports without a class/type column.

An OSM export (GDAL's OSM driver on ``.osm``/``.osm.pbf``, QuickOSM, osmium, overpass-turbo GeoJSON)
carries tags as columns (``leisure``, ``railway``, ``landuse``, ``highway``, ``man_made`` ...) and
the rest in an ``other_tags`` hstore text (``"railway"=>"station","train"=>"yes"``); GDAL's
multipolygon layer also has a ``type`` column holding the relation type (``multipolygon``), which
is no priority class. :func:`osm_area_classes` and :func:`osm_candidate_types` map the tags that
name a class or a type; the callers use them only when the file has no class/type column of its own
and say so in a warning with the counts, so that the user sees what was read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

import pandas as pd

from planner._text import header_key

#: keys read from tag columns or ``other_tags``
AREA_KEYS = (
    "aeroway",
    "railway",
    "station",
    "public_transport",
    "train",
    "amenity",
    "leisure",
    "landuse",
    "highway",
    "shop",
    "tourism",
    "building",
)
CANDIDATE_KEYS = ("highway", "man_made", "tower:type", "surveillance", "surveillance:type", "power")
#: values of a GDAL ``type`` column that are OSM relation types, not priority classes
RELATION_TYPES = frozenset({"multipolygon", "boundary", "site", "route", "public_transport", "building"})
_HSTORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*"((?:[^"\\]|\\.)*)"')

Tags = dict[str, str]
Rules = tuple[tuple[str, str, Callable[[Tags], bool]], ...]

#: (class, rule text for messages, predicate) in precedence order: the first rule that matches wins
AREA_RULES: Rules = (
    ("airport", "aeroway=aerodrome/terminal", lambda t: t.get("aeroway") in {"aerodrome", "terminal", "airport"}),
    (
        "rail_station",
        "railway=station (train), building=train_station",
        lambda t: (
            t.get("building") == "train_station"
            or t.get("station") == "train"
            or (
                t.get("railway") in {"station", "halt"}
                and t.get("station") not in {"subway", "light_rail", "monorail", "tram"}
            )
            or (t.get("public_transport") == "station" and t.get("train") == "yes")
        ),
    ),
    (
        "transport_hub",
        "station=subway, amenity=bus_station, public_transport=station",
        lambda t: (
            t.get("station") in {"subway", "light_rail", "monorail"}
            or t.get("railway") in {"subway_entrance", "station"}
            or t.get("amenity") in {"bus_station", "ferry_terminal"}
            or t.get("public_transport") == "station"
            or t.get("building") == "transportation"
        ),
    ),
    ("industrial_park", "landuse=industrial", lambda t: t.get("landuse") == "industrial"),
    ("park", "leisure=park/garden", lambda t: t.get("leisure") in {"park", "garden"}),
    (
        "highway",
        "highway=motorway/trunk",
        lambda t: t.get("highway") in {"motorway", "trunk", "motorway_link", "trunk_link"},
    ),
    (
        "public_place",
        "amenity=hospital/school/university/..., leisure=stadium, shop=mall, tourism=attraction/museum",
        lambda t: (
            t.get("amenity")
            in {
                "hospital",
                "school",
                "university",
                "college",
                "townhall",
                "marketplace",
                "theatre",
                "cinema",
                "library",
                "exhibition_centre",
                "conference_centre",
                "community_centre",
            }
            or t.get("leisure") in {"stadium", "sports_centre"}
            or t.get("shop") in {"mall", "department_store"}
            or t.get("tourism") in {"attraction", "museum", "theme_park"}
            or t.get("building") in {"hospital", "school", "university", "stadium"}
        ),
    ),
)

#: (type, rule text, predicate) in precedence order
CANDIDATE_RULES: Rules = (
    (
        "tower",
        "man_made=mast/communications_tower, man_made=tower + tower:type=communication",
        lambda t: (
            t.get("man_made") in {"mast", "communications_tower"}
            or (t.get("man_made") == "tower" and t.get("tower:type") == "communication")
        ),
    ),
    (
        "surveillance_pole",
        "man_made=surveillance, highway=speed_camera",
        lambda t: t.get("man_made") == "surveillance" or t.get("highway") == "speed_camera",
    ),
    ("traffic_pole", "highway=traffic_signals", lambda t: t.get("highway") == "traffic_signals"),
    ("street_lamp", "highway=street_lamp", lambda t: t.get("highway") == "street_lamp"),
)


def _tag_columns(df: pd.DataFrame, keys: tuple[str, ...]) -> dict[str, str]:
    """``{tag key: column}`` for the tag keys that are columns of ``df`` (names compared as :func:`header_key`)."""
    by_key: dict[str, str] = {}
    for c in df.columns:
        if c != "geometry":
            by_key.setdefault(header_key(c), str(c))
    return {k: by_key[k] for k in keys if k in by_key}


def _other_tags_column(df: pd.DataFrame) -> str | None:
    return next((str(c) for c in df.columns if header_key(c) == "other_tags"), None)


def has_osm_tags(df: pd.DataFrame, keys: tuple[str, ...]) -> bool:
    """Whether ``df`` looks like an OSM export holding any of ``keys`` (as columns or an ``other_tags`` column)."""
    return bool(_tag_columns(df, keys)) or _other_tags_column(df) is not None


def _row_tags(df: pd.DataFrame, keys: tuple[str, ...]) -> list[Tags]:
    """The tags ``keys`` of every row (values stripped and lower-cased; empty cells left out)."""
    cols = _tag_columns(df, keys)
    other = _other_tags_column(df)
    rows: list[Tags] = [{} for _ in range(len(df))]
    if other is not None:
        for i, text in enumerate(df[other].tolist()):
            if isinstance(text, str) and "=>" in text:
                for k, v in _HSTORE.findall(text):
                    if k in keys and v.strip():
                        rows[i].setdefault(k, v.strip().lower())
    for key, col in cols.items():
        for i, v in enumerate(df[col].tolist()):
            if isinstance(v, str) and v.strip():
                rows[i][key] = v.strip().lower()
    return rows


def _apply(rows: list[Tags], rules: Rules) -> list[str | None]:
    return [next((name for name, _, rule in rules if rule(tags)), None) for tags in rows]


def _summary(found: list[str | None], rows: list[Tags], rules: Rules) -> str:
    """``park 2 (leisure=park/garden), ...; 3 with no rule (landuse=residential 2, ...)``."""
    counts = Counter(f for f in found if f is not None)
    parts = [f"{name} {counts[name]} ({text})" for name, text, _ in rules if counts[name]]
    missing = Counter(
        ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) or "no tag"
        for f, tags in zip(found, rows, strict=True)
        if f is None
    )
    if missing:
        listed = "; ".join(f"{tags} ×{n}" for tags, n in missing.most_common(5))
        parts.append(f"{sum(missing.values())} with no rule ({listed}{'; …' if len(missing) > 5 else ''})")
    return "; ".join(parts)


def osm_area_classes(df: pd.DataFrame) -> tuple[pd.Series, str]:
    """Priority class of every feature from its OSM tags (see :data:`AREA_RULES`); ``None`` where no rule matches.

    Returns
    -------
    classes : Series
        Class names (or ``None``), index of ``df``.
    summary : str
        Counts per class with the rule, and the tags of the features no rule matched.
    """
    rows = _row_tags(df, AREA_KEYS)
    found = _apply(rows, AREA_RULES)
    return pd.Series(found, index=df.index, dtype=object), _summary(found, rows, AREA_RULES)


def osm_candidate_types(df: pd.DataFrame) -> tuple[pd.Series, str]:
    """Candidate type of every point from its OSM tags (see :data:`CANDIDATE_RULES`); ``None`` where none matches."""
    rows = _row_tags(df, CANDIDATE_KEYS)
    found = _apply(rows, CANDIDATE_RULES)
    return pd.Series(found, index=df.index, dtype=object), _summary(found, rows, CANDIDATE_RULES)


def is_relation_type_column(values: pd.Series) -> bool:
    """Whether a ``type`` column holds OSM relation types only (GDAL's multipolygon layer), not classes."""
    given = {str(v).strip().lower() for v in values.dropna().tolist() if str(v).strip()}
    return given <= RELATION_TYPES


__all__ = [
    "AREA_KEYS",
    "AREA_RULES",
    "CANDIDATE_KEYS",
    "CANDIDATE_RULES",
    "has_osm_tags",
    "is_relation_type_column",
    "osm_area_classes",
    "osm_candidate_types",
]
