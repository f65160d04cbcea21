"""Report wording in Chinese (default) and English.

Every label the report, the map and the exports show lives here, so that switching
``report.language`` changes all of them together. Domain values stored in the plan
(建设方式 保留/共享/利旧/新建, candidate types, area classes) are translated for display only.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "5G 基站（多杆合一）站址规划报告",
        "subtitle": "规划方案示意图及附表",
        "generated_by": "由多杆合一 5G 站址规划工具生成",
        "toc": "目录",
        "summary": "方案概况",
        "scenario": "规划场景",
        "description": "说明",
        "parameters": "主要参数",
        "kpis": "主要指标",
        "map": "规划图",
        "areas": "重点区域覆盖统计",
        "sites": "规划站址表",
        "charts": "图表",
        "method": "方法说明",
        "inputs": "输入数据校验值 (SHA-256)",
        "warnings": "运行提示",
        "no_warnings": "无",
        "sites_total": "规划站址数",
        "candidates_total": "候选站址数",
        "reuse_share": "利旧共享率 (共享+利旧)/总数",
        "total_cost": "投资估算 (万元)",
        "sites_per_km2": "站址密度 (个/km²)",
        "planning_area": "规划面积 (km²)",
        "areas_met": "达标重点区域",
        "covered_share": "规划范围覆盖率（栅格）",
        "by_type": "按站址类型",
        "by_mode": "按建设方式",
        "area_name": "区域名称",
        "area_class": "区域类型",
        "area_km2": "面积 (km²)",
        "target": "目标覆盖率",
        "coverage": "覆盖率",
        "best_possible": "可达上限",
        "k": "重数 k",
        "met": "是否达标",
        "reason": "未达标原因",
        "yes": "是",
        "no": "否",
        "seq": "序号",
        "site_code": "站址编号",
        "site_name": "站址名称",
        "candidate_id": "候选编号",
        "lon": "经度 (CGCS2000)",
        "lat": "纬度 (CGCS2000)",
        "x": "X 东坐标 (m)",
        "y": "Y 北坐标 (m)",
        "site_class": "站型",
        "type": "站址类型",
        "height": "挂高 (m)",
        "build_mode": "建设方式",
        "owner": "产权单位",
        "cost": "费用 (万元)",
        "phase": "建设期",
        "operators": "运营商",
        "tenants": "挂载运营商数",
        "covered_areas": "覆盖重点区域",
        "cells_covered": "覆盖栅格数",
        "unique_cells": "独占栅格数",
        "macro": "宏站",
        "micro": "微站（杆站）",
        "propagation": "传播模型",
        "band": "频段",
        "threshold": "RSRP 门限 (dBm)",
        "margins": "链路预算",
        "terrain": "地形/建筑视距计算",
        "solver": "优化求解",
        "solver_status": "求解状态",
        "objective_kind": "优化目标",
        "objective": "目标值",
        "bound": "最优界",
        "gap": "相对间隙",
        "runtime": "求解时间 (s)",
        "backend": "求解器",
        "grid": "计算栅格",
        "metric_crs": "平面坐标系",
        "file": "输入",
        "sha256": "SHA-256",
        "chart_pareto": "覆盖率与站址数",
        "chart_areas": "重点区域覆盖率与目标（柱上横线为目标；序号同第 4 节）",
        "chart_rollout": "建设时序：覆盖率与站址数（保留站址计为 0；其后逐站选取新增覆盖最多者，可作分期建设参考）",
        "chart_mix": "站址构成",
        "chart_rsrp": "RSRP 分布（设计值：已扣除穿透损耗与阴影衰落余量，见第 6 "
            "节，直接与门限比较；路测的室外中值会高出这两项之和）",
        "layer_boundary": "规划范围",
        "layer_areas": "重点区域",
        "layer_candidates": "候选站址",
        "candidates_popup_note": "名称等全部属性见 plan.gpkg 的 candidates 图层",
        "layer_selected": "规划站址",
        "layer_rsrp": "最强服务小区设计 RSRP",
        "layer_uncovered": "未覆盖区域",
        "legend_rsrp": "RSRP (dBm)",
        "disclaimer": "示意图，不作为测绘成果；内部报批资料，请勿公开登载。",
        "no_review_no": "本报告自身未经地图审核，不具有审图号。",
        "basemap_none": "无底图（离线）",
        "basemap_vector": "离线矢量底图（由输入数据绘制，仅作示意）",
        "xlsx_rates": "重点区域表中的覆盖率、目标与可达上限以百分比格式显示（单元格内为 0–1 的小数）",
        "basemap_attr": "底图",
        "review_no": "底图审图号",
        "coords_note": "坐标为 CGCS2000 (EPSG:4490)；平面坐标见",
        "site_table_cut": "为便于浏览，此处仅列出前 {shown:,} 个站址（共 {total:,} 个）；完整附表见 sites.xlsx / "
            "sites.csv。",
        "gcj_note": "地图显示已按 GCJ-02 偏移以匹配高德底图，表格与导出文件仍为 CGCS2000。",
        "tianditu_note": "天地图密钥已写入本文件，转发前请确认；浏览器端密钥可能不支持直接打开的本地文件。",
        "language": "语言",
        "value": "数值",
        "item": "项目",
        "yes_terrain": "是",
        "no_terrain": "否（按 38.901 视距概率）",
        "reuse": "利旧共享",
        "rsrp_cells": "栅格数",
        "n_sites": "站址数",
        "layer_basemap": "底图（道路、水系、建筑）",
        "north": "指北针：地图上方为正北",
        "attribution": "数据来源",
        "organisation": "编制单位",
        "date": "编制日期",
        "version": "工具版本",
        "scenario_hash": "场景校验值",
        "not_filled": "未填写",
        "scenario_file": "场景文件",
        "overrides": "命令行覆盖参数",
        "appendix": "附录",
        "appendix_sites": "附录 A 规划站址表",
        "page_prev": "上一页",
        "page_next": "下一页",
        "page_of": "第 {page} / {pages} 页（每页 {size} 行）",
        "def_sites_total": "本方案选用的站址，含保留的现网站址。",
        "def_candidates_total": "校验后参与优化的全部候选站址。",
        "def_reuse_share": "共享铁塔与利旧杆塔占规划站址数的比例。",
        "def_total_cost": "各规划站址费用之和；保留站址计 0。",
        "def_planning_area": "规划范围内的栅格面积。",
        "def_sites_per_km2": "规划站址数除以规划面积。",
        "def_areas_met": "覆盖率达到目标的重点区域数 / 重点区域总数。",
        "def_covered_share": "规划范围内设计 RSRP "
            "达到门限的栅格占全部栅格的比例；每个栅格同等计，不按需求权重，与第 5 "
            "节建设时序图中的“方案终值”（按需求权重计的需求覆盖率，重点区域权重更高）不同。",
        "def_chart_rollout": "纵轴为需求覆盖率：每个栅格按其所在重点区域的权重计，故与第 2 "
            "节按栅格等权统计的“规划范围覆盖率（栅格）”不同；横线“方案终值”为全部站址建成后的需求覆盖率。",
        "def_chart_areas": "每个重点区域内达到门限的栅格比例（柱）与其目标（横线）；绿色达标，红色未达标。",
        "def_chart_pareto": "帕累托前沿上各方案的站址数与需求覆盖率；星号为本方案。",
        "def_chart_mix": "规划站址按站址类型（纵轴）与建设方式（颜色）计数。",
        "def_chart_rsrp": "规划范围内各栅格最强服务小区设计 RSRP 的分布；虚线为门限。",
        "def_area_table": "覆盖率：区域内达到门限（重数 k 时为 k "
            "个站址）的栅格比例；可达上限：全部候选站址建成时的覆盖率。",
        "warnings_note": "运行提示按其代码（W01 等，与运行清单 manifest.json 中英文原文一一对应）译出，"
        "其中的文件名、字段名、参数键与编号保持原样。",
        "software": "所用开源组件",
        "licence_note": "许可",
        "font_note": "嵌入字体（子集）",
        "print_toc_page": "页码",
        "method_los": "视距判定方式",
    },
    "en": {
        "title": "5G site plan (multi-purpose poles)",
        "subtitle": "Plan map and site tables",
        "generated_by": "generated by smartpole-planner",
        "toc": "Contents",
        "summary": "Summary",
        "scenario": "Scenario",
        "description": "Description",
        "parameters": "Parameters",
        "kpis": "Key figures",
        "map": "Map",
        "areas": "Coverage by priority area",
        "sites": "Site table",
        "charts": "Charts",
        "method": "Method",
        "inputs": "Input file hashes (SHA-256)",
        "warnings": "Warnings",
        "no_warnings": "none",
        "sites_total": "Selected sites",
        "candidates_total": "Candidates",
        "reuse_share": "Reuse share (shared + reused) / total",
        "total_cost": "Total cost (10k CNY)",
        "sites_per_km2": "Sites per km²",
        "planning_area": "Planning area (km²)",
        "areas_met": "Areas meeting their target",
        "covered_share": "Boundary cells covered",
        "by_type": "By candidate type",
        "by_mode": "By build mode",
        "area_name": "Area",
        "area_class": "Class",
        "area_km2": "Area (km²)",
        "target": "Target",
        "coverage": "Coverage",
        "best_possible": "Reachable",
        "k": "k",
        "met": "Met",
        "reason": "Reason if not met",
        "yes": "yes",
        "no": "no",
        "seq": "No.",
        "site_code": "Site code",
        "site_name": "Name",
        "candidate_id": "Candidate id",
        "lon": "Longitude (CGCS2000)",
        "lat": "Latitude (CGCS2000)",
        "x": "X easting (m)",
        "y": "Y northing (m)",
        "site_class": "Class",
        "type": "Type",
        "height": "Height (m)",
        "build_mode": "Build mode",
        "owner": "Owner",
        "cost": "Cost (10k CNY)",
        "phase": "Phase",
        "operators": "Operators",
        "tenants": "Tenants",
        "covered_areas": "Priority areas covered",
        "cells_covered": "Cells covered",
        "unique_cells": "Unique cells",
        "macro": "macro",
        "micro": "micro (pole)",
        "propagation": "Propagation model",
        "band": "Band",
        "threshold": "RSRP threshold (dBm)",
        "margins": "Link budget",
        "terrain": "Terrain / building line of sight",
        "solver": "Optimisation",
        "solver_status": "Status",
        "objective_kind": "Objective",
        "objective": "Objective value",
        "bound": "Best bound",
        "gap": "Relative gap",
        "runtime": "Solve time (s)",
        "backend": "Solver",
        "grid": "Grid",
        "metric_crs": "Metric CRS",
        "file": "Input",
        "sha256": "SHA-256",
        "chart_pareto": "Coverage vs number of sites",
        "chart_areas": "Coverage by priority area against its target (bar marks: targets; numbers as in section 4)",
        "chart_rollout": "Build order: coverage vs number of sites (on-air sites at 0, then each time the site that "
            "adds the most coverage; a guide for phasing)",
        "chart_mix": "Site mix",
        "chart_rsrp": "RSRP distribution (design values: after the penetration loss and shadowing margin of section "
            "6, compared with the threshold as they are; a drive test's outdoor median reads higher by their sum)",
        "layer_boundary": "Planning boundary",
        "layer_areas": "Priority areas",
        "layer_candidates": "Candidates",
        "candidates_popup_note": "name and every other attribute: layer candidates of plan.gpkg",
        "layer_selected": "Selected sites",
        "layer_rsrp": "Best-server design RSRP",
        "layer_uncovered": "Uncovered gaps",
        "legend_rsrp": "RSRP (dBm)",
        "disclaimer": "Schematic map, not a surveying product; internal document for approval, not for publication.",
        "no_review_no": "This report itself has not been through map review and holds no map review number.",
        "basemap_none": "no basemap (offline)",
        "basemap_vector": "offline vector basemap drawn from the inputs (schematic)",
        "xlsx_rates": "coverage, target and reachable in the area sheet are fractions (0-1) shown in percent format",
        "basemap_attr": "Basemap",
        "review_no": "Basemap review number",
        "coords_note": "Coordinates are CGCS2000 (EPSG:4490); metric coordinates in",
        "site_table_cut": "The first {shown:,} of {total:,} sites are listed here; the full table is in sites.xlsx "
            "/ sites.csv.",
        "gcj_note": "The map display is shifted to GCJ-02 to match the Gaode basemap; tables and exports stay in "
            "CGCS2000.",
        "tianditu_note": "The Tianditu key is written into this file; check before forwarding it. A browser key may "
            "refuse pages opened from disk.",
        "language": "Language",
        "value": "Value",
        "item": "Item",
        "yes_terrain": "yes",
        "no_terrain": "no (38.901 LOS probability)",
        "reuse": "reuse",
        "rsrp_cells": "cells",
        "n_sites": "sites",
        "layer_basemap": "Basemap (roads, water, buildings)",
        "north": "North arrow: north is up",
        "attribution": "Data sources",
        "organisation": "Prepared by",
        "date": "Date",
        "version": "Tool version",
        "scenario_hash": "Scenario hash",
        "not_filled": "not filled in",
        "scenario_file": "Scenario file",
        "overrides": "Command-line overrides",
        "appendix": "Appendix",
        "appendix_sites": "Appendix A Site table",
        "page_prev": "Previous",
        "page_next": "Next",
        "page_of": "Page {page} of {pages} ({size} rows a page)",
        "def_sites_total": "Sites of this plan, on-air sites kept included.",
        "def_candidates_total": "Every validated candidate the optimisation could choose.",
        "def_reuse_share": "Shared towers and reused poles as a share of the selected sites.",
        "def_total_cost": "Sum of the selected sites' costs; kept on-air sites cost 0.",
        "def_planning_area": "Area of the grid cells inside the planning boundary.",
        "def_sites_per_km2": "Selected sites divided by the planning area.",
        "def_areas_met": "Priority areas whose coverage reaches their target / all priority areas.",
        "def_covered_share": "Share of the cells inside the boundary whose design RSRP reaches the threshold, every "
            "cell counted alike (no demand weights); unlike the build-order chart's whole-plan value in section 5, "
            "which weights demand by priority area.",
        "def_chart_rollout": "Vertical axis: demand served, each cell weighted by its priority area, hence not the "
            "unweighted share of boundary cells of section 2; the dotted line is the whole plan's value once every "
            "site is built.",
        "def_chart_areas": "Share of each priority area's cells reaching the threshold (bars) against its target "
            "(marks); green: met, red: not met.",
        "def_chart_pareto": "Sites and demand served of the plans on the Pareto front; the star is this plan.",
        "def_chart_mix": "Selected sites by candidate type (rows) and build mode (colours).",
        "def_chart_rsrp": "Distribution of the best-server design RSRP of the cells inside the boundary; dashed: "
            "the threshold.",
        "def_area_table": "Coverage: share of the area's cells reaching the threshold (from k sites when k > 1); "
            "reachable: the coverage with every candidate built.",
        "warnings_note": "Warnings as logged by the tool (as in the run manifest), each with its stable code (W01 …).",
        "software": "Open-source components",
        "licence_note": "licence",
        "font_note": "embedded font (subset)",
        "print_toc_page": "Page",
        "method_los": "Line-of-sight mode",
    },
}

TYPE_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "tower": "铁塔",
        "street_lamp": "路灯杆",
        "surveillance_pole": "监控杆",
        "traffic_pole": "交通杆",
        "smart_pole": "智慧杆",
        "rooftop": "楼面",
        "new_site": "新建铁塔",
    },
    "en": {
        "tower": "tower",
        "street_lamp": "street lamp",
        "surveillance_pole": "surveillance pole",
        "traffic_pole": "traffic pole",
        "smart_pole": "smart pole",
        "rooftop": "rooftop",
        "new_site": "new tower",
    },
}

MODE_LABELS: dict[str, dict[str, str]] = {
    "zh": {"保留": "保留", "共享": "共享", "利旧": "利旧", "新建": "新建"},
    "en": {"保留": "keep (on air)", "共享": "share (tower)", "利旧": "reuse (pole)", "新建": "new build"},
}

CLASS_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "airport": "机场",
        "rail_station": "铁路客站",
        "transport_hub": "交通枢纽",
        "public_place": "重要公共场所",
        "park": "公园",
        "industrial_park": "产业园区",
        "central_urban": "中心城区",
        "highway": "高速公路",
        "other": "其他",
    },
    "en": {
        "airport": "airport",
        "rail_station": "rail station",
        "transport_hub": "transport hub",
        "public_place": "public place",
        "park": "park",
        "industrial_park": "industrial park",
        "central_urban": "central urban",
        "highway": "highway",
        "other": "other",
    },
}

OBJECTIVE_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "min_cost": "最小投资（满足各区域覆盖目标）",
        "max_coverage": "最大覆盖（预算/站数约束）",
        "lexicographic": "先最大覆盖、再最小投资",
    },
    "en": {
        "min_cost": "minimum cost meeting every area target",
        "max_coverage": "maximum coverage under budget / site cap",
        "lexicographic": "maximum coverage, then minimum cost",
    },
}

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

MODEL_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "uma": "3GPP TR 38.901 UMa（城区宏站）",
        "umi": "3GPP TR 38.901 UMi-Street Canyon（街道微站）",
        "rma": "3GPP TR 38.901 RMa（农村宏站）",
        "fspl": "自由空间",
    },
    "en": {
        "uma": "3GPP TR 38.901 UMa",
        "umi": "3GPP TR 38.901 UMi-Street Canyon",
        "rma": "3GPP TR 38.901 RMa",
        "fspl": "free space",
    },
}

PARAM_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "budget": "投资上限 (万元)",
        "max_sites": "站址数上限",
        "time_limit_s": "求解时限 (s)",
        "workers": "并行线程数",
        "seed": "随机种子",
    },
    "en": {
        "budget": "Budget (10k CNY)",
        "max_sites": "Site cap",
        "time_limit_s": "Solver time limit (s)",
        "workers": "Solver workers",
        "seed": "Seed",
    },
}

STATUS_LABELS: dict[str, dict[str, str]] = {
    "zh": {"optimal": "最优（已证明）", "feasible": "可行（未证明最优）", "infeasible": "无可行解", "unknown": "未知"},
    "en": {
        "optimal": "optimal (proven)",
        "feasible": "feasible (not proven optimal)",
        "infeasible": "infeasible",
        "unknown": "unknown",
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

INPUT_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "boundary": "规划范围",
        "candidates": "候选站址",
        "priority_areas": "重点区域",
        "exclusions": "禁建/限建区",
        "dem": "数字高程模型",
        "buildings": "建筑物",
        "basemap": "底图",
        "scenario": "场景文件",
    },
    "en": {
        "boundary": "boundary",
        "candidates": "candidates",
        "priority_areas": "priority areas",
        "exclusions": "exclusions",
        "dem": "elevation model",
        "buildings": "buildings",
        "basemap": "basemap",
        "scenario": "scenario file",
    },
}

#: 建设方式 in display order
BUILD_MODES = ("保留", "共享", "利旧", "新建")


def texts(language: str) -> dict[str, str]:
    """The label dictionary of ``language`` ("zh" or "en")."""
    return TEXT["en" if language == "en" else "zh"]


def label(table: dict[str, dict[str, str]], language: str, key: object) -> str:
    """Translate a domain value for display; unknown values are shown as given."""
    lang = "en" if language == "en" else "zh"
    return table[lang].get(str(key), str(key))
