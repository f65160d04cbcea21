"""Report wording in Chinese (default) and English.

Every label the report, the map and the exports show lives here (the radio labels in
:mod:`planner.present.radio_labels`, re-exported), so that switching
``report.language`` changes all of them together. Domain values stored in the plan
(建设方式 保留/共享/利旧/新建, candidate types, area classes) are translated for display only.
"""

from __future__ import annotations

import math
from typing import Literal

from planner.present.radio_labels import LOS_LABELS as LOS_LABELS
from planner.present.radio_labels import RADIO_LABELS as RADIO_LABELS
from planner.present.radio_labels import SINR_LABELS as SINR_LABELS

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


def solver_outcome(status: object, gap: object) -> str:
    """The solve's outcome in the run summary (English): "optimal (proven)" only for a proven plan, else its gap.

    Examples
    --------
    >>> solver_outcome("optimal", 0.0)
    'optimal (proven)'
    >>> solver_outcome("feasible", 0.0148)
    'feasible, gap 1.48% (not proven optimal)'
    >>> solver_outcome("unknown", float("nan"))
    'unknown'
    """
    if status == "feasible":
        gap_s = f"{gap:.2%}" if isinstance(gap, float) and math.isfinite(gap) else "unknown"
        return f"feasible, gap {gap_s} (not proven optimal)"
    return label(STATUS_LABELS, "en", status)
