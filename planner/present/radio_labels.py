"""Report labels of the radio model: link budget, SS-SINR/overlap section and LOS modes (zh/en).

Kept apart from :mod:`planner.present.i18n` (which re-exports them) to keep both modules short.
"""

from __future__ import annotations

#: link-budget keys (planner.radio LinkBudget.as_dict) → display label
RADIO_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "model": "传播模型",
        "fc_ghz": "载频 (GHz)",
        "bandwidth_mhz": "带宽 (MHz)",
        "scs_khz": "子载波间隔 (kHz)",
        "n_rb": "资源块数 RB",
        "n_re": "子载波数 RE",
        "tx_power_w": "发射功率 (W)",
        "tx_power_dbm": "发射功率 (dBm)",
        "antenna_gain_dbi": "天线增益 (dBi)",
        "feeder_loss_db": "馈线损耗 (dB)",
        "eirp_per_re_dbm": "每 RE EIRP (dBm)",
        "ue_gain_dbi": "终端天线增益 (dBi)",
        "ue_height_m": "终端高度 (m)",
        "body_loss_db": "人体损耗 (dB)",
        "penetration_loss_db": "穿透损耗 (dB)",
        "edge_probability": "边缘覆盖概率",
        "edge_probability_delivered": "边缘覆盖概率（实际，视距/非视距混合）",
        "sigma_sf_los_db": "阴影衰落标准差 LOS (dB)",
        "sigma_sf_nlos_db": "阴影衰落标准差 NLOS (dB)",
        "shadow_margin_los_db": "阴影衰落余量 LOS (dB)",
        "shadow_margin_nlos_db": "阴影衰落余量 NLOS (dB)",
        "threshold_dbm": "RSRP 门限 (dBm)",
        "allowed_loss_db": "最大允许路损 (dB)",
        "los_mode": "视距判定",
        "reference": "依据",
        "typical_height_m": "典型挂高 (m)",
        "radius_m_at_typical_height": "典型挂高覆盖半径 (m)",
        "calibration_offset_db": "路测校正路损偏移 (dB)",
        "dl_allowed_loss_db": "下行最大允许路损 (dB)",
        "ul_allowed_loss_db": "上行最大允许路损 (dB)",
        "limiting_link": "受限链路",
        "ue_power_dbm": "终端发射功率 (dBm)",
        "ul_rb": "上行 RB 数",
        "gnb_noise_figure_db": "基站噪声系数 (dB)",
        "ul_iot_margin_db": "上行干扰余量 (dB)",
        "ul_edge_rate_mbps": "上行边缘速率 (Mbit/s)",
        "ul_slot_share": "上行时隙占比",
        "ul_required_sinr_db": "上行所需 SINR (dB)",
    },
    "en": {
        "model": "Propagation model",
        "fc_ghz": "Carrier (GHz)",
        "bandwidth_mhz": "Bandwidth (MHz)",
        "scs_khz": "Subcarrier spacing (kHz)",
        "n_rb": "Resource blocks",
        "n_re": "Resource elements",
        "tx_power_w": "Tx power (W)",
        "tx_power_dbm": "Tx power (dBm)",
        "antenna_gain_dbi": "Antenna gain (dBi)",
        "feeder_loss_db": "Feeder loss (dB)",
        "eirp_per_re_dbm": "EIRP per RE (dBm)",
        "ue_gain_dbi": "UE antenna gain (dBi)",
        "ue_height_m": "UE height (m)",
        "body_loss_db": "Body loss (dB)",
        "penetration_loss_db": "Penetration loss (dB)",
        "edge_probability": "Cell-edge probability",
        "edge_probability_delivered": "Cell-edge probability delivered (LOS/NLOS mixture)",
        "sigma_sf_los_db": "Shadow fading σ LOS (dB)",
        "sigma_sf_nlos_db": "Shadow fading σ NLOS (dB)",
        "shadow_margin_los_db": "Shadowing margin LOS (dB)",
        "shadow_margin_nlos_db": "Shadowing margin NLOS (dB)",
        "threshold_dbm": "RSRP threshold (dBm)",
        "allowed_loss_db": "Max allowed path loss (dB)",
        "los_mode": "Line of sight",
        "reference": "Reference",
        "typical_height_m": "Typical height (m)",
        "radius_m_at_typical_height": "Radius at typical height (m)",
        "calibration_offset_db": "Calibration path-loss offset (dB)",
        "dl_allowed_loss_db": "DL max allowed path loss (dB)",
        "ul_allowed_loss_db": "UL max allowed path loss (dB)",
        "limiting_link": "Limiting link",
        "ue_power_dbm": "UE Tx power (dBm)",
        "ul_rb": "UL resource blocks",
        "gnb_noise_figure_db": "gNB noise figure (dB)",
        "ul_iot_margin_db": "UL IoT margin (dB)",
        "ul_edge_rate_mbps": "UL edge rate (Mbit/s)",
        "ul_slot_share": "UL slot share",
        "ul_required_sinr_db": "Required UL SINR (dB)",
    },
}


#: the report's downlink-quality (SS-SINR / overlap) section (planner.radio.interference)
SINR_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "下行 SS-SINR 与重叠覆盖",
        "all": "全部规划区",
        "note": (
            "规划站点（新建＋保留）的中值接收功率（不含阴影衰落余量，已扣除穿透损耗）；SS-SINR = 最强小区 / "
            "(η·其他小区之和 + 噪声)，"
            "噪声 {noise} dBm/RE（终端噪声系数 {nf} dB），干扰小区负荷 η = {eta}；仅计入接收功率高于 {floor} "
            "dBm（噪声以下 10 dB）的本规划站点，"
            "不含其他运营商与规划区外站点；天线：{antenna}。重叠覆盖：与最强小区相差 {window} dB "
            "以内的小区数（最强小区达到覆盖门限处），"
            "≥ {polluted} 个为导频污染。边缘速率：区域内第 5 百分位 SINR 对应的单流下行速率（衰减香农公式 α = 0.6，"
            "256QAM 上限 7.4063 bit/s/Hz，TDD 下行占比 0.643，开销 14%），为单用户独占整个载波的峰值，不是小区容量。"
        ),
        "area": "区域",
        "cells": "栅格数",
        "sinr_ok": "SINR ≥ {sinr_min} dB 占比",
        "polluted": "导频污染占比（≥ {polluted} 个）",
        "sinr_p5_db": "SINR 第 5 百分位 (dB)",
        "sinr_median_db": "SINR 中位数 (dB)",
        "edge_dl_mbps": "边缘下行速率 (Mbit/s)",
        "mean_overlap": "平均重叠小区数",
        "omni": "全向（按峰值增益计）",
        "sectors": "扇区（TR 38.901 方向图，每个扇区为一个服务小区）",
    },
    "en": {
        "title": "Downlink SS-SINR and overlap",
        "all": "Whole planning area",
        "note": (
            "Median received power of the plan's sites (new and on air; no shadowing margin, after the penetration "
            "loss); "
            "SS-SINR = best server / (η · sum of the others + noise), noise {noise} dBm per RE (UE noise figure "
            "{nf} dB), "
            "load factor η = {eta}; only the plan's sites received above {floor} dBm (10 dB below the noise) are "
            "summed, "
            "no other operators or sites outside the area; antennas: {antenna}. Overlap: servers within {window} dB "
            "of the "
            "best where the best reaches the threshold; ≥ {polluted} is pilot pollution. Edge rate: single-layer "
            "downlink rate at the area's 5th-percentile SINR (attenuated Shannon, α = 0.6, 256QAM cap 7.4063 bit/s/Hz, "
            "TDD downlink share 0.643, 14 % overhead): one user on the whole carrier, not a cell capacity."
        ),
        "area": "Area",
        "cells": "Cells",
        "sinr_ok": "Share with SINR ≥ {sinr_min} dB",
        "polluted": "Share polluted (≥ {polluted} servers)",
        "sinr_p5_db": "SINR 5th percentile (dB)",
        "sinr_median_db": "SINR median (dB)",
        "edge_dl_mbps": "Edge DL rate (Mbit/s)",
        "mean_overlap": "Mean overlap",
        "omni": "omni (peak gain everywhere)",
        "sectors": "sectors (TR 38.901 pattern, each sector a server)",
    },
}

LOS_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "probability": "按 38.901 视距概率加权（分贝平均，偏乐观）",
        "mixture": "视距/非视距阴影衰落混合分布分位数",
        "los": "按地形/建筑判定视距",
        "nlos": "全部按非视距",
        "auto": "自动",
    },
    "en": {
        "probability": "38.901 LOS probability (dB average, optimistic)",
        "mixture": "quantile of the LOS/NLOS shadowing mixture",
        "los": "line of sight from terrain / buildings",
        "nlos": "all non line of sight",
        "auto": "automatic",
    },
}
