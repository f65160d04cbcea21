"""JSON safe to inline in a report page's ``<script>`` elements."""

from __future__ import annotations

import json
from typing import Any


def script_json(value: Any) -> str:
    """JSON for an inline ``<script>``: UTF-8 kept (compact), but ``<``, ``>``, ``&``, ``'``
    and the JavaScript line separators escaped, so no data can close the script element.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text
