"""JSON-ready values: the one sanitiser for the manifest, diagnostics and solver summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays, tuples and paths turned into plain JSON types.

    Mappings become dicts with string keys, sequences lists, numpy scalars Python scalars;
    non-finite floats (NaN, ±inf) become None, so the output is strict JSON.

    Examples
    --------
    >>> jsonable({"a": np.float32(0.5), 1: (np.int64(2), float("nan"))})
    {'a': 0.5, '1': [2, None]}
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
