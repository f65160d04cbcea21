r"""Rebuild ``NotoSansSC-GB2312.otf``, the CJK font subset the report embeds.

Source: the Simplified Chinese face (index 2) of ``NotoSansCJK-Regular.ttc`` as Debian's
``fonts-noto-cjk`` package ships it (1:20220127+repack1-1; SIL Open Font License 1.1, see
``OFL.txt``). Kept: ASCII and Latin-1, general punctuation, arrows and a few maths signs,
CJK symbols and punctuation, full-width forms and every character of GB 2312 (its 6,763
hanzi and its symbol rows). Hinting is dropped (the report is read on screens at normal
sizes and printed; CFF hints only tune tiny sizes), and so are the layout features other than
kerning, ligatures and proportional widths (locale and vertical forms).

Usage (from the repository root)::

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb noto
    python planner/report/static/fonts/build_subset.py \\
        noto/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc planner/report/static/fonts/NotoSansSC-GB2312.otf
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

#: index of "Noto Sans CJK SC" in NotoSansCJK-Regular.ttc
SC_INDEX = 2
#: Unicode ranges kept besides GB 2312 (inclusive)
RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement (°, ², ·, ×, ©)
    (0x0391, 0x03C9),  # Greek (σ, μ)
    (0x2010, 0x206F),  # general punctuation (– — ‰ …)
    (0x2100, 0x215F),  # letter-like symbols and number forms (℃, №, ⅰ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≤ ≥ ≈ −)
    (0x2460, 0x24FF),  # enclosed numbers (①)
    (0x25A0, 0x25FF),  # geometric shapes (■ ▲ ●)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)


def gb2312_chars() -> set[str]:
    """Every character of GB 2312 (rows 1-87 of the 94 x 94 table)."""
    out: set[str] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


def main(src: str, dst: str) -> None:
    """Write the subset of the SC face of ``src`` (a .ttc) to ``dst`` (.otf)."""
    font = TTCollection(src).fonts[SC_INDEX]
    codes = {ord(c) for c in gb2312_chars()}
    for lo, hi in RANGES:
        codes.update(range(lo, hi + 1))
    options = subset.Options()
    options.hinting = False
    # horizontal Simplified Chinese only: no locl (JP/KR/TC forms), no vertical forms
    options.layout_features = ["kern", "ccmp", "liga", "calt", "mark", "mkmk", "palt", "halt"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codes))
    subsetter.subset(font)
    font.save(dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
