"""sites.kmz (offline icons, language, folders, KML 2.2 schema-valid) and sites.dxf (layers per
language, one block reference with attributes per site, one CJK text style, audit clean).

The KML is validated with lxml against the OGC KML 2.2 schema (``ogckml22.xsd`` 2008-01-23 and
the two schemas it imports, ``atom-author-link.xsd`` and OASIS ``xAL.xsd``) as the pinned
``pykml`` package ships them (imports pointing at the local copies; README, "Outputs of a run"),
with network access off: nothing is fetched while the tests run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import ezdxf
import numpy as np
import pytest
from lxml import etree

from planner.io.dxf import BLOCK, LAYERS, TAGS, write_sites_dxf
from planner.io.kmz import kml_document, write_sites_kmz
from tests.report_fixtures import make_plan

NS = {"k": "http://www.opengis.net/kml/2.2"}
#: KML 2.2 (OGC 07-147r2) order of the children a Placemark / Style uses here
PLACEMARK_ORDER = ["name", "description", "styleUrl", "ExtendedData", "Point", "Polygon", "MultiGeometry"]
STYLE_ORDER = ["IconStyle", "LabelStyle", "LineStyle", "PolyStyle"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ordered(children: list[str], order: list[str]) -> bool:
    ranks = [order.index(c) for c in children]
    return ranks == sorted(ranks)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_kmz_is_offline_in_the_language_with_folders(tmp_path: Path, language: str) -> None:
    plan = make_plan(tmp_path, language=language)
    path = write_sites_kmz(plan, tmp_path / "sites.kmz")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        kml = zf.read("doc.kml").decode("utf-8")
        icons = {n: zf.read(n) for n in names if n.endswith(".png")}
    assert names[0] == "doc.kml" and len(icons) == 4 and all(b.startswith(b"\x89PNG") for b in icons.values())
    body = kml.replace('xmlns="http://www.opengis.net/kml/2.2"', "")
    assert not re.search(r"https?:|//", body.replace("</", "<")), "no network reference"
    root = ET.fromstring(kml.encode("utf-8"))
    doc = root.find("k:Document", NS)
    assert doc is not None
    # every icon the styles use is inside the KMZ
    hrefs = {e.text for e in root.iter(f"{{{NS['k']}}}href")}
    assert hrefs == set(icons)
    folders = [f.findtext("k:name", namespaces=NS) for f in doc.findall("k:Folder", NS)]
    zh = language == "zh"
    assert folders == (
        ["规划范围", "重点区域", "规划站址"] if zh else ["Planning boundary", "Priority areas", "Selected sites"]
    )
    sites = doc.findall("k:Folder", NS)[2]
    placemarks = list(sites.iter(f"{{{NS['k']}}}Placemark"))
    assert len(placemarks) == len(plan.sites)
    assert len(sites.findall("k:Folder", NS)) == plan.sites["build_mode"].nunique()
    data = {d.get("name"): d.findtext("k:value", namespaces=NS) for d in placemarks[0].iter(f"{{{NS['k']}}}Data")}
    if zh:
        assert data["站型"] == "宏站" and data["站址类型"] == "铁塔" and data["建设方式"] in {"共享", "保留"}
    else:
        assert data["Class"] == "macro" and data["Type"] == "tower" and data["Build mode"].startswith(("share", "keep"))
    # KML 2.2 element order inside features and styles
    for pm in root.iter(f"{{{NS['k']}}}Placemark"):
        assert _ordered([_local(c.tag) for c in pm], PLACEMARK_ORDER)
    for st in root.iter(f"{{{NS['k']}}}Style"):
        assert _ordered([_local(c.tag) for c in st], STYLE_ORDER)
    # the hostile name stays text, the bytes are reproducible
    assert "<script>" not in kml and write_sites_kmz(plan, tmp_path / "b.kmz").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_dxf_layers_blocks_attributes_and_styles(tmp_path: Path, language: str) -> None:
    plan = make_plan(tmp_path, language=language)
    path = write_sites_dxf(plan, tmp_path / "sites.dxf")
    doc = ezdxf.readfile(path)
    auditor = doc.audit()
    assert auditor.errors == [] and auditor.fixes == []
    assert doc.units == 6  # metres
    layers = {layer.dxf.name for layer in doc.layers}
    assert set(LAYERS[language].values()) <= layers
    if language == "zh":
        assert "规划站址-共享" in layers and "SITE_SHARE" not in layers
    # one text style besides the mandatory Standard, and it is the one every text uses
    assert sorted(s.dxf.name for s in doc.styles) == ["CJK", "Standard"]
    msp = doc.modelspace()
    assert {t.dxf.style for t in msp.query("TEXT")} == {"CJK"}
    refs = msp.query(f"INSERT[name=='{BLOCK}']")
    assert len(refs) == len(plan.sites) and len(msp.query("POINT")) == 0
    tags = TAGS[language]
    by_code = {ref.get_attrib_text(tags["site_code"]): ref for ref in refs}
    for r in plan.sites.to_dict("records"):
        ref = by_code[r["site_code"]]
        assert np.allclose((ref.dxf.insert.x, ref.dxf.insert.y), (r["x_m"], r["y_m"]), atol=1e-3)
        assert ref.get_attrib_text(tags["name"]) == r["name"]
        assert ref.get_attrib_text(tags["height_m"]) == f"{r['height_m']:g}"
        mode = ref.get_attrib_text(tags["build_mode"])
        assert ref.dxf.layer == LAYERS[language][r["build_mode"]]
        assert mode == (r["build_mode"] if language == "zh" else mode)
    assert write_sites_dxf(plan, tmp_path / "b.dxf").read_bytes() == path.read_bytes()


@pytest.fixture(scope="module")
def kml_schema() -> etree.XMLSchema:
    """The OGC KML 2.2 schema, loaded from the pinned pykml package without network access."""
    from importlib.resources import files

    xsd = files("pykml") / "schemas" / "ogckml22.xsd"
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(xsd), parser))


def _valid(schema: etree.XMLSchema, kml: bytes) -> list[str]:
    doc = etree.fromstring(kml, etree.XMLParser(no_network=True, resolve_entities=False))
    return [] if schema.validate(doc) else [f"line {e.line}: {e.message}" for e in schema.error_log]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_kmz_and_kml_are_kml22_schema_valid(tmp_path: Path, language: str, kml_schema: etree.XMLSchema) -> None:
    plan = make_plan(tmp_path, language=language)
    with zipfile.ZipFile(write_sites_kmz(plan, tmp_path / "sites.kmz")) as zf:
        assert _valid(kml_schema, zf.read("doc.kml")) == []
    assert _valid(kml_schema, kml_document(plan, icons=False).encode("utf-8")) == []  # the standalone sites.kml
    # the check can fail: a Placemark whose name follows its styleUrl breaks the schema's sequence
    bad = re.sub(
        r"<name>([^<]*)</name>(<description>[^<]*</description><styleUrl>[^<]*</styleUrl>)",
        r"\2<name>\1</name>",
        kml_document(plan),
        count=1,
    )
    assert bad != kml_document(plan) and _valid(kml_schema, bad.encode("utf-8"))


def test_phased_plan_kmz_has_a_folder_per_phase(tmp_path: Path, kml_schema: etree.XMLSchema) -> None:
    plan = make_plan(tmp_path)
    phase = np.where(np.arange(len(plan.sites)) % 3 == 0, "2021", "2020")
    phase[-1] = ""  # a site no phase lists (e.g. on air before the plan)
    plan.sites["phase"] = phase
    kml = kml_document(plan)
    assert _valid(kml_schema, kml.encode("utf-8")) == []
    sites = ET.fromstring(kml.encode("utf-8")).find("k:Document", NS).findall("k:Folder", NS)[2]  # type: ignore[union-attr]
    per_phase = sites.findall("k:Folder", NS)
    names = [f.findtext("k:name", namespaces=NS) for f in per_phase]
    counts = {p: int((phase == p).sum()) for p in ("2020", "2021", "")}
    assert names == [f"建设期 2020 ({counts['2020']})", f"建设期 2021 ({counts['2021']})", f"建设期 — ({counts['']})"]
    for folder, p in zip(per_phase, ("2020", "2021", ""), strict=True):
        marks = list(folder.iter(f"{{{NS['k']}}}Placemark"))
        assert len(marks) == counts[p] and folder.findall("k:Folder", NS)  # 建设方式 sub-folders inside
        if p:
            values = {
                d.findtext("k:value", namespaces=NS)
                for m in marks
                for d in m.iter(f"{{{NS['k']}}}Data")
                if d.get("name") == "建设期"
            }
            assert values == {p}


def test_kml_descriptions_show_user_strings_as_text(tmp_path: Path) -> None:
    """A KML ``description`` is HTML to Google Earth and 奥维 (entity-escaped markup is rendered, and Google
    Earth runs scripts in balloons): a site name like ``<img src=x onerror=…>`` must reach the balloon
    escaped once more, so it shows as text. ``name`` and ``ExtendedData`` values are plain text (kept).
    """
    import html

    from tests.report_fixtures import EVIL_NAME

    plan = make_plan(tmp_path)
    plan.sites.loc[1, "name"] = '"><img src=x onerror=alert(1)> & {{x}}'
    plan.areas.loc[1, "name"] = "<b>区</b> & 站"
    doc = ET.fromstring(kml_document(plan).encode("utf-8"))
    descriptions = [d.text or "" for d in doc.iter(f"{{{NS['k']}}}description")]
    assert all("<" not in d and ">" not in d for d in descriptions)  # no markup for the balloon's HTML parser
    shown = [html.unescape(d) for d in descriptions]  # what the balloon shows
    assert any(d.startswith(EVIL_NAME + " · ") for d in shown)
    assert any(d.startswith('"><img src=x onerror=alert(1)> & {{x}} · ') for d in shown)
    values = {v.text for v in doc.iter(f"{{{NS['k']}}}value")}
    assert EVIL_NAME in values  # attribute data as written


@pytest.mark.parametrize(("language", "res"), [("zh", 25.0), ("en", 7.0), ("zh", 3.3), ("en", 11.7)])
def test_dxf_sites_as_text_match_ezdxf_entities(tmp_path: Path, language: str, res: float) -> None:
    """The sites written as text are the bytes ezdxf's INSERT + add_auto_attribs give (tests/reference/dxf_sites)."""
    from dataclasses import replace

    from tests.reference.dxf_sites import write_sites_dxf_ezdxf

    plan = make_plan(tmp_path, language=language, n_lamps=60)
    plan.grid = replace(plan.grid, res=res)  # the symbol size follows the grid: other float products
    names = plan.sites["name"].astype(str).tolist()
    names[0] = "line\nbreak\r^^"  # ezdxf's one-line fix
    names[1] = "长" * 300  # cut at MAX_TEXT
    names[2] = ""
    plan.sites["name"] = names
    rng = np.random.default_rng(3)
    plan.sites["x_m"] = plan.sites["x_m"].to_numpy(float) + rng.uniform(-1, 1, len(names)) * 1e-3
    new = write_sites_dxf(plan, tmp_path / "new.dxf").read_bytes()
    assert new == write_sites_dxf_ezdxf(plan, tmp_path / "ref.dxf").read_bytes()
    doc = ezdxf.readfile(tmp_path / "new.dxf")
    assert doc.audit().errors == []
    assert len(doc.modelspace().query(f"INSERT[name=='{BLOCK}']")) == len(names)
