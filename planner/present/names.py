"""Display names of priority areas, shared by the report and the exchange files."""

from __future__ import annotations

import re

import pandas as pd

#: "未命名", "unnamed" and a trailing "(lon, lat)" in a generated area name
_UNNAMED_RE = re.compile(r"\s*(?:未命名|unnamed)\b[^()]*(?:\([^)]*\))?\s*", re.IGNORECASE)


def display_names(names: pd.Series, class_labels: list[str], language: str) -> list[str]:
    """Readable names for priority areas: an empty or "unnamed" name becomes its prefix (or
    class) and a number within that prefix, e.g. "地铁站 未命名 unnamed (114.3, 30.5)" →
    "地铁站 3号" (zh) or "地铁站 No. 3" (en; the prefix is a data value). Named areas keep
    their name.
    """
    counters: dict[str, int] = {}
    out = []
    for raw, cls in zip(names.fillna("").astype(str), class_labels, strict=True):
        name = raw.strip()
        if name and not _UNNAMED_RE.search(name):
            out.append(name)
            continue
        prefix = _UNNAMED_RE.sub(" ", name).strip() or cls
        counters[prefix] = counters.get(prefix, 0) + 1
        n = counters[prefix]
        out.append(f"{prefix} {n}号" if language != "en" else f"{prefix} No. {n}")
    return out


def rename_lists(values: pd.Series | list[str], mapping: dict[str, str], sep: str = "、") -> list[str]:
    """Apply ``mapping`` (raw area name → display name) to ``sep``-joined lists of area names
    (the sites' 覆盖重点区域 column).
    """
    return [sep.join(mapping.get(n, n) for n in str(v).split(sep)) if v == v and str(v) else "" for v in list(values)]
