"""The notebooks: committed without outputs, thin (no domain logic), and executed end to end.

They run with nbclient on a ``python3`` kernel that is pinned to this interpreter (a kernelspec
written to a temporary JUPYTER_PATH), with the notebooks folder as working directory.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
DEMO_SMALL = REPO / "data" / "scenarios" / "demo_small.toml"


def test_the_four_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_scenario_sweep.ipynb",
        "03_bring_your_own_data.ipynb",
        "04_terrain_and_los.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a code cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: a code cell has an execution count"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_domain_logic(path: Path) -> None:
    """Notebooks only call planner: no function or class definitions, no loops over data."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for pattern in (
        r"^\s*def ",
        r"^\s*class ",
        r"\blambda\b",
        r"^\s*for ",
        r"^\s*while ",
        r"^\s*import numpy",
        r"^\s*import geopandas",
    ):
        assert not re.search(pattern, code, flags=re.M), f"{path.name}: {pattern!r} belongs in planner/"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JUPYTER_PATH whose ``python3`` kernel is this interpreter (the venv's)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (planner venv)",
                "language": "python",
                "metadata": {"debugger": False},
            }
        ),
        encoding="utf-8",
    )
    return root


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path: Path, kernel_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not DEMO_SMALL.exists():
        pytest.skip("data/scenarios/demo_small.toml is not built yet")
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(kernel_env))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    ksm = KernelSpecManager()
    assert ksm.get_kernel_spec("python3").argv[0] == sys.executable
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
    client = NotebookClient(
        nb, km=km, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}
    )
    t0 = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - t0
    print(f"{path.name}: {elapsed:.1f} s")
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert errors == []
