"""Optional per-candidate antenna columns: ``azimuth_deg`` (方位角) and ``tilt_deg`` (下倾角).

``azimuth_deg`` lists a site's sector bearings (compass degrees, 0 to < 360), separated by
``/``, ``;``, ``,``, ``、`` or spaces (``0/120/240``; one number for a single sector); ``tilt_deg``
is its mechanical downtilt (degrees, −10 to 30, positive down). Empty cells keep the class
settings of ``[radio.macro_antenna]`` / ``[radio.micro_antenna]``. Both are used only with
``radio.antenna = "sectors"`` (:func:`planner.coverage.build.build_coverage`).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.radio.antenna import antenna_overrides
from planner.scenario import Scenario

#: header (as :func:`planner._text.header_key` gives it) → column
ALIASES = {"azimuth_deg": "azimuth_deg", "azimuth": "azimuth_deg", "方位角": "azimuth_deg",
           "tilt_deg": "tilt_deg", "tilt": "tilt_deg", "downtilt": "tilt_deg", "下倾角": "tilt_deg"}
MAX_SECTORS = 6
TILT_RANGE = (-10.0, 30.0)
_SPLIT = re.compile(r"[/;,、，；\s]+")
_MISSING = {"", "nan", "none", "null", "-", "—", "n/a", "na"}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | float | np.integer | np.floating):
        return f"{float(value):g}"
    return str(value).strip()


def parse_sector_columns(df: pd.DataFrame, lower: dict[str, str], src: str, scenario: Scenario,
                         label: Any, problems: list[Problem], warnings: list[str]) -> list[str]:
    """Validate and normalise the antenna columns of the candidate table, in place.

    Parameters
    ----------
    df : DataFrame
        The candidate table being normalised.
    lower : dict
        Header key → original column name (the caller's case- and unit-free header map).
    src : str
        File name for messages.
    scenario : Scenario
        For the warning when ``radio.antenna`` is not ``"sectors"``.
    label : callable
        ``label(df, row_position)`` → the row/feature text of a message.
    problems, warnings : list
        Appended to: every bad cell (row, value, fix); one warning when the columns are unused.

    Returns
    -------
    list of str
        The columns present after normalisation (``azimuth_deg`` as text ``"0/120/240"`` or
        ``""``, ``tilt_deg`` as float, NaN when empty), to keep in the candidate table.
    """
    present: list[str] = []
    for key, target in ALIASES.items():
        if key in lower and target not in present:
            if lower[key] != target:
                df[target] = df[lower[key]]
            present.append(target)
    if "azimuth_deg" in present:
        out = []
        for i, value in enumerate(df["azimuth_deg"].tolist()):
            text = _text(value)
            if text.lower() in _MISSING:
                out.append("")
                continue
            parts = [p for p in _SPLIT.split(text) if p]
            try:
                nums = [float(p.rstrip("°")) for p in parts]
            except ValueError:
                nums = []
            if not nums or len(nums) > MAX_SECTORS or not all(math.isfinite(a) and 0.0 <= a < 360.0 for a in nums):
                problems.append(Problem(f"azimuth_deg {text!r} is not a list of 1–{MAX_SECTORS} bearings from 0 to < 360°",
                                        src, label(df, i), "write the sector bearings in compass degrees, e.g. 0/120/240 "
                                        "(one per sector), or leave the cell empty for the class default"))
                out.append("")
                continue
            out.append("/".join(f"{a:g}" for a in nums))
        df["azimuth_deg"] = out
    if "tilt_deg" in present:
        tilts = []
        lo, hi = TILT_RANGE
        for i, value in enumerate(df["tilt_deg"].tolist()):
            text = _text(value)
            if text.lower() in _MISSING:
                tilts.append(float("nan"))
                continue
            try:
                t = float(text.rstrip("°"))
            except ValueError:
                t = float("nan")
            if not (math.isfinite(t) and lo <= t <= hi):
                problems.append(Problem(f"tilt_deg {text!r} is not a downtilt from {lo:g} to {hi:g}°", src, label(df, i),
                                        "write the mechanical downtilt in degrees (positive = down, macros 3–10), "
                                        "or leave the cell empty for the class default"))
                t = float("nan")
            tilts.append(t)
        df["tilt_deg"] = np.asarray(tilts, dtype=np.float64)
    if present and scenario.radio.antenna != "sectors":
        warnings.append(f"{src}: columns {', '.join(present)} are used only with radio.antenna = \"sectors\"; "
                        "this run models every site as omni")
    return present


def site_antenna_overrides(table: pd.DataFrame) -> dict[str, Any]:
    """``build_coverage`` keyword arguments from a candidate table's antenna columns (empty without them)."""
    return antenna_overrides(table)
