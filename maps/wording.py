"""Words and numbers as reviewers read them: 方案一, 12,345, 最优（已证明）, side names."""
from __future__ import annotations

import math
from typing import Any

_NUMERALS = "一二三四五六七八九十"

SIDES_ZH = {"east": "东", "south": "南", "west": "西", "north": "北"}

# the population a rule counts (a profile's ``population_basis``) and what a data column holds
BASIS_ZH = {"resident": "常住人口 resident population", "registered": "户籍人口 registered population",
            "actual": "实有人口 actual population"}


def basis_text(basis: Any) -> str:
    """'常住人口 resident population' for a profile basis or a data kind such as 'resident (常住)'."""
    key = str(basis or "").split(" ", 1)[0].strip().lower()
    if key in BASIS_ZH:
        return BASIS_ZH[key]
    return "口径未注明 kind not stated" if key in ("", "unspecified", "none") else str(basis)


# the gist, in Chinese, of the notes the readers and the unit builder write in English (first match wins)
_NOTE_GIST_ZH = (
    ("all layers in", "各图层统一到该投影坐标系"),
    ("population from column", "人口取自该字段"),
    ("converted to WGS84", "坐标已转换为 WGS84"),
    ("lon/lat", "经纬度坐标系按声明处理"),
    ("no CRS in the file", "文件无坐标系，按声明处理"),
    ("CRS stated as", "坐标系按声明处理"),
    ("not a unique id", "编号不唯一，按行重新编号"),
    ("read from DXF", "读自 DXF 文件"),
    ("clipped to the community boundary", "楼盘已裁剪至社区边界或相邻楼盘"),
    ("covered entirely by earlier estates", "被其他楼盘完全覆盖的楼盘未计入"),
    ("sliver", "细碎图斑已并入相邻单元"),
    ("isolated piece", "零星小块单独成块"),
    ("population point(s) in no unit", "未落入任何单元的人口点已移至最近单元"),
    ("remaining land cut along roads", "楼盘以外用地沿道路、河流划分为地块"),
    ("remaining land cut by a", "楼盘以外用地按方格划分为地块（未提供道路）"),
    ("encoding", "文字编码"),
)


def note_text(note: Any) -> str:
    """A provenance note in Chinese (its gist) and in English (as written): '人口取自该字段 — estates: …'."""
    text = plain(note)
    for key, gist in _NOTE_GIST_ZH:
        if key.lower() in text.lower():
            return f"{gist} — {text}"
    return f"说明（英文）— {text}"


STATUS_ZH = {
    "optimal": "最优（已证明） optimal (proven)",
    "feasible": "可行，未证明最优 feasible, not proven optimal",
    "infeasible": "无可行方案 infeasible",
    "no-solution": "限时内无解 no solution in time",
    "checked": "人工方案核查（未经优化） checked, not optimised",
}

# Option-level metrics the caller usually sends; anything else is shown under its own key.
METRIC_NAMES = {
    "districts": "新社区数 communities",
    "status": "求解状态 solver status",
    "objective": "目标函数 objective",
    "objective_value": "目标值 objective value",
    "gap": "最优性差距 gap",
    "minimum_proven": "社区数已证明最少 count proven minimal",
    "max_population": "最大人口 largest population",
    "min_population": "最小人口 smallest population",
    "balance": "人口均衡（最大/最小） balance (max/min)",
    "cut_edges": "切分邻接数 cut adjacencies",
    "new_boundary_m": "新增边界长度 new boundary (m)",
    "new_boundary_along_roads_share": "新边界沿道路比例 new boundary along roads",
    "runtime_s": "求解时间 runtime (s)",
    "estates_moved": "调整楼盘数 estates moved",
    "residents_moved": "与方案一相比调整居民 residents moved vs option 1",
    "residents_moved_share": "调整居民比例 share of residents moved",
    "estates_moved_names": "调整的楼盘 estates moved vs option 1",
    "broken_rules": "违反的规则 rules broken",
}


def ordinal_zh(number: int) -> str:
    """Chinese numeral for 1..99 (方案十二); plain digits beyond."""
    if 1 <= number <= 10:
        return _NUMERALS[number - 1]
    if 11 <= number <= 19:
        return "十" + _NUMERALS[number - 11]
    if 20 <= number <= 99:
        tens, ones = divmod(number, 10)
        return _NUMERALS[tens - 1] + "十" + (_NUMERALS[ones - 1] if ones else "")
    return str(number)


def option_title(number: int) -> str:
    return f"方案{ordinal_zh(number)}"


def as_number(value: Any) -> int | float | None:
    """Counts as int when they are whole (people are whole), other numbers unchanged, NaN as None."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return int(round(number)) if number.is_integer() else number


def count(value: Any) -> str:
    """12,345 (rounded); an em dash when missing."""
    number = as_number(value)
    return "—" if number is None else f"{round(number):,}"


def decimal(value: Any, digits: int = 2) -> str:
    number = as_number(value)
    return "—" if number is None else f"{number:,.{digits}f}"


def percent(value: Any, digits: int = 2) -> str:
    number = as_number(value)
    return "—" if number is None else f"{number:.{digits}%}"


def yes_no(value: Any) -> str:
    if value is None:
        return "—"
    return "是 yes" if bool(value) else "否 no"


def check_mark(value: Any) -> str:
    if value is None:
        return "—"
    return "✓ 符合" if bool(value) else "✗ 不符合"


def plain(value: Any) -> str:
    """Any value as text for a table cell: numbers formatted, booleans in both languages, lists joined."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return "、".join(plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {plain(v)}" for k, v in value.items())
    return str(value)
