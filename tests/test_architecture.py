"""The code's shape: imports point one way, the public API is typed, shared helpers behave.

The import contracts themselves run in ``make lint`` (import-linter, pyproject); this checks
the one property they do not state module by module: no import cycle anywhere.
"""

from __future__ import annotations

import inspect
import math
from importlib import metadata
from pathlib import Path

import grimp
import numpy as np

import planner
from planner._json import jsonable
from planner.present.format import fmt_number, fmt_percent


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.find_modules_directly_imported_by(nxt)))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("planner", "kernels", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for m in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(m)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y"]]


def test_kernels_never_import_planner() -> None:
    graph = grimp.build_graph("planner", "kernels")
    assert not graph.chain_exists(importer="kernels", imported="planner", as_packages=True)


def test_public_api_is_typed_and_versioned() -> None:
    sig = inspect.signature(planner.run_scenario)
    assert list(sig.parameters) == ["scenario", "overrides", "progress"]
    assert sig.return_annotation in ("Plan", planner.Plan)
    assert "__getattr__" not in vars(planner)  # no untyped lazy attribute lookup
    assert planner.__version__ == metadata.version("smartpole-planner")
    for name in planner.__all__:
        assert hasattr(planner, name), name


def test_jsonable_makes_strict_json() -> None:
    value = {"a": np.float32(0.5), 1: (np.int64(2), float("nan")), "p": Path("x/y"), "inf": -math.inf,
             "arr": np.array([1.0, np.nan])}
    assert jsonable(value) == {"a": 0.5, "1": [2, None], "p": "x/y", "inf": None, "arr": [1.0, None]}


def test_number_formats() -> None:
    assert fmt_number(1234.5) == "1,234.50"
    assert fmt_number(None) == "–" and fmt_number(float("nan"), missing="") == ""
    assert fmt_number("n/a") == "n/a"
    assert fmt_percent(0.1234) == "12.3%" and fmt_percent(0.5, 2, unit=" %", missing="") == "50.00 %"
    assert fmt_percent(None) == "–"


def test_plan_explore_is_a_deprecated_alias() -> None:
    """Plan holds data only; ``Plan.explore()`` still works, warns, and gives planner.explore's map."""
    import pytest

    from tests.report_fixtures import make_plan

    plan = make_plan()
    with pytest.deprecated_call():
        old = plan.explore()
    assert type(old) is type(planner.explore(plan))
