"""NR bands used in mainland China and their resource grids.

Sources: ``../shared/DOMAIN.md`` §4.1 (operators and bands) and 3GPP TS 38.101-1 Table 5.3.2-1
(maximum transmission bandwidth configuration N_RB per channel bandwidth and subcarrier
spacing).

``fc_ghz`` is the *downlink* carrier centre (the budget is a downlink SS-RSRP one). For n28
that is 773 MHz, the centre of the CMCC/CBN downlink block 758–788 MHz (TS 38.101-1 Table 5.2-1:
n28 UL 703–748 MHz, DL 758–803 MHz; DOMAIN.md §4.1), not the nominal "700 MHz": 0.7 GHz
understated the path loss by 20 log10(0.773/0.7) = 0.86 dB (UMa), 0.92 dB (UMi NLOS). The
other bands use round figures within 0.12 dB (conservative) of their carriers' centres: n78
3.5 GHz (CT 3400–3500 / CU 3500–3600 MHz), n41 2.6 GHz (2515–2615 MHz → 2.565), n79
4.9 GHz (CMCC 4800–4900 → 4.85, CBN 4900–5000 → 4.95).

CMCC's 160 MHz at 2.6 GHz is operated as a 100 MHz NR carrier plus a 60 MHz one (DOMAIN.md §4.1);
the default n41 carrier is the 100 MHz one, and ``radio.bandwidth_mhz = 60`` models the other.
Bandwidths outside the table are refused with the list of valid ones.
"""

from __future__ import annotations

from dataclasses import dataclass

#: TS 38.101-1 Table 5.3.2-1: N_RB by subcarrier spacing (kHz) and channel bandwidth (MHz), FR1
N_RB_TABLE: dict[int, dict[int, int]] = {
    15: {5: 25, 10: 52, 15: 79, 20: 106, 25: 133, 30: 160, 40: 216, 50: 270},
    30: {5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106, 50: 133, 60: 162, 70: 189,
         80: 217, 90: 245, 100: 273},
}


@dataclass(frozen=True)
class Band:
    """One NR carrier: centre frequency, channel bandwidth and subcarrier spacing.

    Parameters
    ----------
    name : str
        NR band, e.g. ``"n78"``.
    fc_ghz : float
        Downlink carrier centre frequency used in the path loss (GHz).
    bandwidth_mhz : int
        Channel bandwidth (MHz).
    scs_khz : int
        Subcarrier spacing (kHz).
    note : str
        Who runs it in China.
    """

    name: str
    fc_ghz: float
    bandwidth_mhz: int
    scs_khz: int
    note: str = ""

    @property
    def n_rb(self) -> int:
        """Resource blocks in the channel (TS 38.101-1 Table 5.3.2-1)."""
        table = N_RB_TABLE.get(self.scs_khz, {})
        if self.bandwidth_mhz not in table:
            raise ValueError(
                f"{self.name}: no N_RB for {self.bandwidth_mhz} MHz at {self.scs_khz} kHz; "
                f"valid bandwidths: {sorted(table)}"
            )
        return table[self.bandwidth_mhz]

    @property
    def n_re(self) -> int:
        """Resource elements (subcarriers) across the channel: ``12 N_RB``."""
        return 12 * self.n_rb


#: the default carrier of each band (DOMAIN.md §4.1)
BANDS: dict[str, Band] = {
    "n78": Band("n78", 3.5, 100, 30, "CT/CU shared RAN, 3400–3600 MHz"),
    "n41": Band("n41", 2.6, 100, 30, "CMCC 2515–2675 MHz (100 MHz NR carrier)"),
    "n79": Band("n79", 4.9, 100, 30, "CMCC 4800–4900 MHz, CBN 4900–5000 MHz"),
    "n28": Band("n28", 0.773, 30, 15, "CMCC/CBN 700 MHz, 2 × 30 MHz (DL 758–788 MHz)"),
}
