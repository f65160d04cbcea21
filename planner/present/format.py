"""Number and percentage formatting shared by the report pages, the sweep report and the CLI tables.

One rule for every place a figure is printed: missing values (None, NaN, ``pd.NA``) print as
``missing``; text that is not a number prints as itself.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes: not a missing scalar
        return False


def fmt_number(value: Any, fmt: str = "{:,.2f}", *, missing: str = "–") -> str:
    """``fmt`` applied to ``float(value)``; ``missing`` for a missing value, ``str(value)`` for text.

    Examples
    --------
    >>> fmt_number(1234.5), fmt_number(None), fmt_number(3, "{:+.0f}", missing="")
    ('1,234.50', '–', '+3')
    """
    if _is_missing(value):
        return missing
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    return missing if x != x else fmt.format(x)


def fmt_percent(value: Any, digits: int = 1, *, unit: str = "%", missing: str = "–") -> str:
    """A fraction (0–1) as a percentage with ``digits`` decimals, e.g. ``0.1234 → "12.3%"``.

    Examples
    --------
    >>> fmt_percent(0.1234), fmt_percent(float("nan")), fmt_percent(0.5, 2, unit=" %", missing="")
    ('12.3%', '–', '50.00 %')
    """
    if _is_missing(value):
        return missing
    x = float(value)
    return missing if x != x else f"{100.0 * x:.{digits}f}{unit}"
