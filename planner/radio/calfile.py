"""The calibration file that ``radio.calibration`` names (written by :mod:`planner.radio.calibration`).

JSON, UTF-8: ``{"format": "planner-calibration/1", "classes": {"macro": {"model": "uma",
"offset_db": 3.0, "sigma_db": 6.0, ...}, ...}}``. :func:`planner.radio.budget.link_budget` adds
a class's ``offset_db`` to its path loss and uses ``sigma_db`` as σ_SF (LOS and NLOS).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from planner.errors import Problem, ScenarioError

#: format tag of the calibration file
FORMAT = "planner-calibration/1"
SITE_CLASSES = ("macro", "micro")


@dataclass(frozen=True)
class ClassCorrection:
    """The part of a calibration file a link budget applies to one class."""

    model: str
    offset_db: float
    sigma_db: float


def is_calibration(path: Path) -> bool:
    """Whether ``path`` is a calibration file (its format tag)."""
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("format") == FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def load_calibration(path: Path | str) -> dict[str, ClassCorrection]:
    """The per-class corrections of a calibration file (cached on path, size and mtime).

    Raises :class:`~planner.errors.ScenarioError` naming ``[radio.calibration]`` when the file
    is missing or not a calibration file.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise ScenarioError(
            Problem(
                f"calibration file {str(p)!r} does not exist",
                "scenario",
                "[radio.calibration]",
                "write it with `planner calibrate SCENARIO --measurements FILE --out calib.json`",
            )
        ) from None
    return _load(str(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load(path: str, size: int, mtime_ns: int) -> dict[str, ClassCorrection]:
    fix = "write it with `planner calibrate SCENARIO --measurements FILE --out calib.json`"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, not {FORMAT!r}")
        out = {}
        for c, v in data["classes"].items():
            if c not in SITE_CLASSES:
                raise ValueError(f"unknown site class {c!r}")
            off, sig = float(v["offset_db"]), float(v["sigma_db"])
            if not (math.isfinite(off) and math.isfinite(sig) and abs(off) <= 60 and 0 <= sig <= 30):
                raise ValueError(f"{c}: offset {off} dB / sigma {sig} dB outside |offset| ≤ 60, 0 ≤ σ ≤ 30")
            out[c] = ClassCorrection(model=str(v["model"]), offset_db=off, sigma_db=sig)
    except (ValueError, KeyError, TypeError, AttributeError, OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            Problem(f"{path} is not a usable calibration file ({exc})", "scenario", "[radio.calibration]", fix)
        ) from None
    return out
