"""Deprecated location of :mod:`planner._text` (moved below :mod:`planner.io`, :mod:`planner.geo`
and :mod:`planner.scenario`, which all use it); these names are re-exported for old imports.
"""

from planner._text import (
    FORMULA_STARTS,
    XML_ILLEGAL,
    exact,
    header_key,
    parse_numbers,
    spreadsheet_cell,
    spreadsheet_frame,
    strip_control_chars,
)

__all__ = [
    "FORMULA_STARTS",
    "XML_ILLEGAL",
    "exact",
    "header_key",
    "parse_numbers",
    "spreadsheet_cell",
    "spreadsheet_frame",
    "strip_control_chars",
]
