"""Run warnings in the report's language: a stable code and a Chinese rendering for each kind.

The stages record their warnings as English sentences (``plan.warnings``, the console, the
run's ``manifest.json``: one log language, searchable). The report shows them in its own
language: :func:`warning_text` recognises each kind of warning by its wording (the patterns
of :data:`CATALOGUE`, one per code), keeps the values it carries (file names, ids, counts,
shares, scenario keys) and renders the sentence in Chinese for ``zh``. Every rendering starts
with the warning's stable code (``W05``), the same in both languages, so a Chinese report
line can be traced to the English log line. A warning no pattern knows is shown as logged,
with the code ``W00`` (the catalogue test, ``tests/test_cli.py``, keeps the known kinds
covered).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planner.present.i18n import INPUT_LABELS


@dataclass(frozen=True)
class WarningKind:
    """One kind of run warning.

    Attributes
    ----------
    code : str
        Stable code (``W01`` …), never reused for another kind.
    pattern : str
        Regular expression matching the English sentence in full; its named groups are the
        values the Chinese template carries over.
    zh : str
        Chinese template (``str.format`` with the named groups, after :func:`_zh_values`).
    """

    code: str
    pattern: str
    zh: str


CATALOGUE: tuple[WarningKind, ...] = (
    WarningKind(
        "W01",
        # a roll-out (phases, operators) adds how many sub-solves the stop cut (planner.stages.rollout)
        r"time-limited: this plan may not be reproducible(?P<detail> \(\d+ sub-solves and the joint model cut by "
        r"the safety stop: (?:yes|no)\))?",
        "求解被墙钟安全上限截断：本方案可能无法逐字节复现{detail}",
    ),
    WarningKind(
        "W02",
        r"the site costs span too wide a range .*: the plan is not proven optimal; check for absurd costs",
        "站址费用跨度过大（最大值在费用求和中淹没最小值）：方案未经最优性证明；请检查异常费用",
    ),
    WarningKind(
        "W03",
        r"priority area (?P<name>.+) extends beyond the boundary; only the part inside is planned",
        "重点区域 {name} 超出规划范围，仅规划其范围内部分",
    ),
    WarningKind(
        "W04",
        r"priority area (?P<name>.+) has no grid cell inside the boundary; it is not planned",
        "重点区域 {name} 在规划范围内没有栅格，不参与规划",
    ),
    WarningKind(
        "W05",
        r"(?P<n>\d+) candidates lie more than (?P<m>[\d.]+) m outside the boundary and (?:were|would be) i"
        r"gnored(?: \((?P<ids>.*)\))?",
        "{n} 个候选站址位于规划范围外 {m} 米以上，不参与规划（{ids}）",
    ),
    WarningKind(
        "W06",
        r"(?P<n>\d+) sites already on air stand in (?P<kind>\w+) zones; they are kept",
        "{n} 个已开通站址位于{kind}区内，予以保留",
    ),
    WarningKind(
        "W07",
        r"(?P<n>\d+) candidates are excluded by 禁建/限建 zones",
        "{n} 个候选站址位于禁建/限建区内，已排除",
    ),
    WarningKind(
        "W08",
        r"inputs\.coordinates = gcj02: every input was converted from GCJ-02 to CGCS2000",
        "inputs.coordinates = gcj02：全部输入已由 GCJ-02 转换为 CGCS2000",
    ),
    WarningKind(
        "W09",
        r"inputs\.coordinates: (?P<inputs>.+) converted from GCJ-02 to CGCS2000",
        "inputs.coordinates：{inputs} 已由 GCJ-02 转换为 CGCS2000",
    ),
    WarningKind(
        "W10",
        r"(?P<a>.+) \((?P<a_in>\w+), declared (?P<a_d>\w+)\) and (?P<b>.+) \((?P<b_in>\w+), declared (?P<b"
        r"_d>\w+)\) are offset by ~300–600 m against each other, as GCJ-02 \(高德/腾讯 web-map\) coordinat"
        r"es are against CGCS2000: (?P<hint>.*)",
        "{a}（{a_in}，声明为 {a_d}）与 {b}（{b_in}，声明为 {b_d}）相互偏移约 300–600 米，与 GCJ-02（高德/"
        "腾讯网络地图）坐标相对 CGCS2000 的偏移一致：{hint}",
    ),
    WarningKind(
        "W11",
        r"(?P<src>.+): (?P<feature>.+) has an invalid polygon \(e\.g\. self-intersection\); repaired with "
        r"make_valid",
        "{src}：{feature} 的多边形无效（如自相交），已用 make_valid 修复",
    ),
    WarningKind(
        "W12",
        r"(?P<src>.+): (?P<n>\d+) candidates have no (?P<col>\w+) \(empty or NaN at (?P<rows>.*)\); the ty"
        r"pe default was used",
        "{src}：{n} 个候选站址缺少 {col}（空值或 NaN：{rows}），已按其类型的默认值计",
    ),
    WarningKind(
        "W13",
        r"DEM: (?P<share>[-\d.,]+ ?%) of the grid had no height \(outside the DEM or nodata\) and took the"
        r" nearest height",
        "数字高程模型：{share} 的栅格无高程（超出范围或无数据），已取最近的高程",
    ),
    WarningKind(
        "W14",
        r"buildings: (?P<n>\d+) of (?P<m>\d+) have neither height_m nor levels and were given (?P<h>[\d.]+"
        r") m",
        "建筑物：{m} 栋中有 {n} 栋既无 height_m 也无 levels，按 {h} 米计",
    ),
    WarningKind(
        "W15",
        r"area (?P<name>.+): target (?P<t>[-\d.,]+ ?%) cannot be met; at most (?P<r>[-\d.,]+ ?%) is reacha"
        r"ble by (?P<k>≥\d+ )?candidates \((?P<why>.*)\); the plan aims at the reachable share instead",
        "重点区域 {name}：覆盖目标 {t} 无法达到，候选站址{k}最多可覆盖 {r}（{why}）；方案按可达比例规划",
    ),
    WarningKind(
        "W16",
        r"phase (?P<phase>.+?): area (?P<name>.+) target (?P<t>[-\d.,]+ ?%) is unreachable demand \(at mos"
        r"t (?P<r>[-\d.,]+ ?%) within reach\); planned for the reachable share",
        "建设期 {phase}：重点区域 {name} 的目标 {t} 超出可达范围（最多 {r}）；按可达比例规划",
    ),
    WarningKind(
        "W17",
        r"the solver found no plan within solver\.time_limit_s = (?P<s>[\d.]+) s \(status unknown\): the r"
        r"esult lists only the (?P<n>\d+) sites fixed before the solve \(already on air\) and meets no tar"
        r"get it did not meet before; raise solver\.time_limit_s or plan a smaller area",
        "求解器在 solver.time_limit_s = {s} 秒内未找到方案（状态未知）：结果仅含求解前已固定的 {n} 个已开"
        "通站址，未新增满足任何目标；请增大 solver.time_limit_s 或缩小规划范围",
    ),
    WarningKind(
        "W18",
        r"radio\.terrain_clear = auto: building footprints cover (?P<share>[-\d.,]+ ?%) of the grid \(unde"
        r"r (?P<limit>[-\d.,]+ ?%): .*\), so cells the DSM leaves clear use the expected loss under the 38"
        r'\.901 LOS probability; set radio\.terrain_clear = \"los\" if the building layer is complete',
        "radio.terrain_clear = auto：建筑物轮廓仅覆盖 {share} 的栅格（低于 {limit}，可能为裸地高程或建筑"
        "物图层不全），数字表面模型中无遮挡的栅格按 38.901 视距概率取期望损耗；如建筑物图层完整，请设置 r"
        'adio.terrain_clear = "los"',
    ),
    WarningKind(
        "W19",
        r"area (?P<name>.+): SINR requirement not met: (?P<share>[-\d.,]+ ?%) of its cells covered with SI"
        r"NR ≥ (?P<g>[-\d.]+) dB against the target (?P<t>[-\d.,]+ ?%) \((?P<reason>.*)\); see manifest ra"
        r"dio\.interference\.requirement",
        "重点区域 {name}：SINR 要求未满足，SINR ≥ {g} dB 的栅格占 {share}，目标 {t}（{reason}）；详见运行"
        "清单 radio.interference.requirement",
    ),
    WarningKind(
        "W20",
        r"(?P<src>.+): control characters \((?P<chars>.*)\) removed from column (?P<col>.+) at (?P<rows>.*"
        r")",
        "{src}：已删除列 {col} 中的控制字符（{chars}），位置：{rows}",
    ),
    WarningKind(
        "W21",
        r"(?P<src>.+): control characters removed from the column names (?P<cols>.*)",
        "{src}：已删除列名 {cols} 中的控制字符",
    ),
    WarningKind(
        "W22",
        r"(?P<src>.+): the shapefile has no \.cpg file; its text was read as (?P<enc>.+) \(add a \.cpg to "
        r"make this explicit\)",
        "{src}：Shapefile 缺少 .cpg 文件，文本按 {enc} 读取（请补充 .cpg 文件以明确编码）",
    ),
    WarningKind(
        "W23",
        r"(?P<src>.+): the DEM covers only (?P<share>[-\d.,]+ ?%) of the boundary's extent; the rest takes"
        r" the nearest DEM height",
        "{src}：数字高程模型仅覆盖规划范围外包框的 {share}，其余部分取最近的高程",
    ),
    WarningKind(
        "W24",
        r"(?P<src>.+): the DEM has nodata holes over (?P<share>[-\d.,]+ ?%) of the boundary's extent; they"
        r" take the nearest valid height",
        "{src}：数字高程模型在规划范围外包框的 {share} 内为无数据空洞，已取最近的有效高程",
    ),
    WarningKind(
        "W25",
        r'(?P<src>.+): columns (?P<cols>.+) are used only with radio\.antenna = \"sectors\"; this run mode'
        r"ls every site as omni",
        '{src}：列 {cols} 仅在 radio.antenna = "sectors" 时使用；本次按全向天线计算',
    ),
    WarningKind(
        "W26",
        r"(?P<n>\d+) sites of along_road classes lie more than (?P<m>[\d.]+) m from every line of inputs\."
        r"basemap: they keep their class's sector bearings",
        "{n} 个沿路布设类站址距 inputs.basemap 的道路均超过 {m} 米，保留其类别的扇区方位角",
    ),
    WarningKind(
        "W27",
        r"inputs\.basemap (?P<path>.+): cannot be read \((?P<err>\w+)\); the map is drawn without it",
        "inputs.basemap {path}：无法读取（{err}），地图不绘制底图",
    ),
    WarningKind(
        "W28",
        r"(?P<src>.+): (?P<n>\d+) priority areas without an area \((?P<what>.+?)\) were dropped: (?P<rows>"
        r".+); draw them as polygons to plan for them",
        "{src}：{n} 个重点区域没有面积（点、空要素、零长度或过小），已删除：{rows}；请绘制为多边形后再规"
        "划",
    ),
    WarningKind(
        "W29",
        r"(?P<src>.+): (?P<rows>.+) without geometry ignored",
        "{src}：{rows} 没有几何图形，已忽略",
    ),
    WarningKind(
        "W30",
        r"(?P<src>.+): no `class` column: classes read from the OpenStreetMap tags: (?P<summary>.+); features that "
        r"no rule matched are class other; add a `class` column to choose the classes yourself",
        "{src}：没有 class 列，重点区域类别按 OpenStreetMap 标签读取：{summary}；未匹配任何规则的要素按 other（其他）"
        "计；如需自行指定类别，请添加 class 列",
    ),
    WarningKind(
        "W31",
        r"(?P<src>.+): no `type` column: types read from the OpenStreetMap tags: (?P<summary>.+); add a `type` "
        r"column to choose the types yourself",
        "{src}：没有 type 列，候选站址类型按 OpenStreetMap 标签读取：{summary}；如需自行指定类型，请添加 type 列",
    ),
    WarningKind(
        "W32",
        r"(?P<src>.+): (?P<n>\d+) cells of sheet (?P<sheet>.+) hold a formula without a saved value \((?P<cells>.+)"
        r"\): read as the formula's text \(a number column refuses it\); open the workbook in Excel or WPS and save "
        r"it, so that every formula keeps its value, or paste the values",
        "{src}：工作表 {sheet} 中有 {n} 个单元格含公式但没有保存的计算结果（{cells}），已按公式文本读取（数值列"
        "会拒绝）；请在 Excel 或 WPS 中打开并保存该工作簿，使公式保留其值，或粘贴为数值",
    ),
    WarningKind(
        "W33",
        r"grid\.crs = (?P<crs>.+?) \((?P<name>.+)\) distorts the study area at (?P<where>.+): its metres there are "
        r"(?P<scale>[\d.]+%) off true metres and its grid north is turned (?P<turn>[\d.]+°) from true north; "
        r'grid\.crs = "auto" picks (?P<auto>\S+) for this place',
        "grid.crs = {crs}（{name}）在规划区（{where}）变形较大：该处的米与真实距离相差 {scale}，坐标北偏离真北 "
        '{turn}；grid.crs = "auto" 在此处选用 {auto}',
    ),
    WarningKind(
        "W34",
        r"(?P<src>.+): declared (?P<crs>.+), on the (?P<datum>.+) datum: PROJ has no parameters from .+ to CGCS2000 "
        r"and keeps the latitudes and longitudes as they are, so positions may be off by tens of metres \(100 m and "
        r"more in places\); for site-level accuracy convert the file to CGCS2000 with your surveying bureau's "
        r"transformation parameters",
        "{src}：声明的坐标系为 {crs}，基于 {datum} 大地基准；PROJ 没有从该基准到 CGCS2000 的转换参数，经纬度按原值"
        "使用，位置可能偏差数十米（局部达百米以上）；如需站址级精度，请用测绘部门提供的转换参数将文件转换为 CGCS2000",
    ),
    WarningKind(
        "W35",
        r"(?P<src>.+): the (?P<what>priority_areas|exclusions|buildings) layer is empty \(no features\): planned "
        r"without .+",
        "{src}：{what} 图层为空（没有要素），按未提供该图层规划",
    ),
    WarningKind(
        "W36",
        r"(?P<src>.+): the shapefile's \.cpg file says (?P<declared>.+) but its text is GBK/GB18030; it was read as "
        r"GBK/GB18030 \(write GBK in the \.cpg file to make this explicit\)",
        "{src}：Shapefile 的 .cpg 文件声明编码为 {declared}，但其文本实为 GBK/GB18030，已按 GBK/GB18030 读取（请在 "
        ".cpg 文件中写入 GBK 以明确编码）",
    ),
    WarningKind(
        "W37",
        r"(?P<src>.+): column (?P<col>.+) holds both coordinates \((?P<order>longitude, latitude|latitude, longitude), "
        r"e\.g\. (?P<example>.+)\): split into lon and lat",
        "{src}：列 {col} 同时包含经纬度（顺序为{order}，例如 {example}），已拆分为经度和纬度",
    ),
    WarningKind(
        "W38",
        r"(?P<src>.+): (?P<n>\d+) costs are in yuan \((?:the column header says 元|cells ending in 元)\): converted to "
        r"万元 \(÷ 10,000\)",
        "{src}：{n} 个费用以元为单位，已换算为万元（÷ 10,000）",
    ),
)
_COMPILED = tuple((kind, re.compile(kind.pattern, re.DOTALL)) for kind in CATALOGUE)
#: English fragments inside the carried values (row labels, id lists, reasons) and their Chinese
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"feature ('[^']*') \(row (\d+)\)", r"要素 \1（第 \2 行）"),
    (r"\brows? (\d+)", r"第 \1 行"),
    (r"\bids? ", "编号 "),
    (r" and (\d+) more", r" 等，另 \1 个"),
    (r"unreachable: ", "不可达："),
    (r"no unreachable cell", "无不可达栅格"),
    (r"out of range", "超出覆盖半径"),
    (r"line of sight blocked", "视距受阻"),
    (r"only from 禁建/限建 zones", "仅能由禁建/限建区内站址覆盖"),
    (r"^longitude, latitude$", "经度、纬度"),
    (r"^latitude, longitude$", "纬度、经度"),
    (r"\bforbid\b", "禁建"),
    (r"\brestrict\b", "限建"),
    (r"set inputs\.coordinates = (.+?), or convert the GCJ-02 file to CGCS2000",
     r"请设置 inputs.coordinates = \1，或将 GCJ-02 文件转换为 CGCS2000"),
    (r"\} or \{", "} 或 {"),
    (r"^ \((\d+) sub-solves and the joint model cut by the safety stop: yes\)$",
     r"（\1 个子求解及联合模型被安全上限截断）"),
    (r"^ \((\d+) sub-solves and the joint model cut by the safety stop: no\)$",
     r"（\1 个子求解被安全上限截断，联合模型未截断）"),
    (r"(\w+) is still shifted after its GCJ-02 conversion: check where that file came from",
     r"\1 在 GCJ-02 转换后仍有偏移：请核实该文件的来源"),
)


def _zh_values(groups: dict[str, str | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    inputs = INPUT_LABELS["zh"]
    for key, value in groups.items():
        text = "" if value is None else value
        if key in ("a_in", "b_in"):
            text = inputs.get(text, text)
        elif key == "inputs":
            text = "、".join(inputs.get(n.strip(), n.strip()) for n in text.split(","))
        else:
            for pattern, repl in _PHRASES:
                text = re.sub(pattern, repl, text)
        out[key] = text
    return out


def warning_code(message: str) -> str:
    """The stable code of a run warning (``W01`` …), ``W00`` for a kind the catalogue does not know.

    An ``operator NAME:`` prefix (operator plans) is looked through.

    Examples
    --------
    >>> warning_code("12 candidates are excluded by 禁建/限建 zones")
    'W07'
    >>> warning_code("something new")
    'W00'
    """
    rest = re.sub(r"^operator [^:]+: ", "", message)
    return next((kind.code for kind, rx in _COMPILED if rx.fullmatch(rest)), "W00")


def warning_text(message: str, language: str) -> str:
    """A run warning for the report: ``CODE message`` in English, ``CODE 中文`` in Chinese.

    Parameters
    ----------
    message : str
        The warning as the run logged it (English; ``plan.warnings``, ``manifest.json``).
    language : str
        ``"zh"`` or ``"en"``.

    Examples
    --------
    >>> warning_text("12 candidates are excluded by 禁建/限建 zones", "zh")
    'W07 12 个候选站址位于禁建/限建区内，已排除'
    >>> warning_text("12 candidates are excluded by 禁建/限建 zones", "en")
    'W07 12 candidates are excluded by 禁建/限建 zones'
    """
    prefix = ""
    rest = message
    operator = re.match(r"^operator ([^:]+): ", message)
    if operator:
        rest = message[operator.end():]
        prefix = f"运营商 {operator.group(1)}：" if language != "en" else operator.group(0)
    for kind, rx in _COMPILED:
        match = rx.fullmatch(rest)
        if match:
            if language == "en":
                return f"{kind.code} {message}"
            return f"{kind.code} {prefix}{kind.zh.format(**_zh_values(match.groupdict()))}"
    return f"W00 {message}"
