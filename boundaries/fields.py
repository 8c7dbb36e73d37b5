"""Field names: the user's mapping first, then our own names, then common Chinese and English aliases.

Which population a column holds (户籍 registered / 常住 resident / 实有 actual) changes thresholds by
an order of magnitude in village-to-residence areas, so the source column and its kind are returned
for the provenance notes, and two candidate population columns are an error, never a guess.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

# our field -> aliases, in order of preference (compared after ``_normalise``)
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "名字", "小区名称", "楼盘名称", "小区名", "楼盘名", "项目名称", "社区名称",
             "社区名", "居委会", "道路名称", "路名", "河流名称", "设施名称", "建筑名称", "xqmc", "mc",
             "building", "楼栋", "楼栋名称", "建筑", "地址", "门牌", "门牌号"),
    "community_id": ("community_id", "code", "id", "编码", "代码", "社区代码", "社区编码", "行政区划代码",
                     "区划代码"),
    "estate_id": ("estate_id", "id", "code", "编号", "编码", "小区编码", "小区编号", "楼盘编号"),
    "point_id": ("point_id", "id", "编号", "building_id", "楼栋编号", "建筑编号"),
    "facility_id": ("facility_id", "id", "编号", "编码"),
    "population": ("population", "pop", "persons", "residents", "人口", "人口数", "人数", "总人口",
                   "常住人口", "户籍人口", "实有人口", "居住人口", "人口总数"),
    "households": ("households", "hh", "household", "户数", "总户数", "住户数", "户", "户籍户数", "常住户数",
                   "实有户数", "住宅套数", "套数"),
    "group": ("group", "居民小组", "小组", "村民小组", "网格", "网格编号", "网格名称", "分组", "片区", "grid"),
    "kind": ("kind", "type", "fclass", "类型", "类别", "种类"),
    "area_m2": ("area_m2", "面积", "建筑面积", "使用面积", "服务面积", "area"),
}

POPULATION_KINDS = {
    "常住人口": "resident (常住)", "户籍人口": "registered (户籍)", "实有人口": "actual (实有)",
    "居住人口": "resident (常住)",
}

# which of our fields each layer has; required ones must be found
SCHEMA: dict[str, dict[str, bool]] = {
    "communities": {"name": True, "community_id": False},
    "estates": {"name": True, "estate_id": False, "households": False, "population": False, "group": False},
    "population": {"point_id": False, "population": True, "households": False, "name": False},
    "roads": {"name": False, "kind": False},
    "facilities": {"name": False, "facility_id": False, "area_m2": False},
}


def _normalise(column: str) -> str:
    text = re.sub(r"[（(][^)）]*[)）]", "", str(column))  # drop "(人)", "（户）" unit notes
    return re.sub(r"[\s_\-]", "", text).lower()


def resolve_fields(columns: list[str], layer: str, user_map: Mapping[str, str] | None
                   ) -> tuple[dict[str, str], list[str]]:
    """Return ({our field: source column}, fatal messages) for one layer's columns."""
    schema = SCHEMA[layer]
    found: dict[str, str] = {}
    fatal: list[str] = []
    present = [c for c in columns if c != "geometry"]
    for source, ours in (user_map or {}).items():
        if ours not in schema:
            fatal.append(f"fields maps {source!r} to {ours!r}, which is not a field of {layer} "
                         f"(fields: {', '.join(schema)})")
        elif source not in present:
            fatal.append(f"fields names column {source!r}, which is not in the file (columns: {', '.join(map(str, present))})")
        else:
            found[ours] = source
    taken = set(found.values())
    for ours in schema:
        if ours in found:
            continue
        by_norm = {}
        for column in present:
            if column not in taken:
                by_norm.setdefault(_normalise(column), column)
        if ours == "population":
            hits = [by_norm[_normalise(a)] for a in ALIASES[ours] if _normalise(a) in by_norm]
            hits = list(dict.fromkeys(hits))
            if len(hits) > 1:
                fatal.append(f"several population columns ({', '.join(hits)}): say which one to use, "
                             f"e.g. fields={{'{layer}': {{'{hits[0]}': 'population'}}}}")
                continue
            if hits:
                found[ours] = hits[0]
                taken.add(hits[0])
            continue
        for alias in ALIASES[ours]:
            column = by_norm.get(_normalise(alias))
            if column is not None:
                found[ours] = column
                taken.add(column)
                break
    for ours, required in schema.items():
        if required and ours not in found:
            fatal.append(f"no {ours!r} field (columns: {', '.join(map(str, present)) or 'none'}); "
                         f"map one, e.g. fields={{'{layer}': {{'<column>': '{ours}'}}}}")
    return found, fatal


def population_kind(source_column: str | None) -> str:
    if source_column is None:
        return "none"
    return POPULATION_KINDS.get(_normalise(source_column), "unspecified")


_NUMBER_JUNK = re.compile(r"[,，\s_']")


def parse_number(value: object) -> tuple[float, str | None]:
    """(number, None) or (nan, problem) for one cell; blanks are missing, not zero."""
    import math
    import unicodedata

    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan, "missing"
    if isinstance(value, bool):
        return math.nan, f"not a number: {value!r}"
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isnan(number):
            return math.nan, "missing"
        return (number, None) if math.isfinite(number) else (math.nan, f"not a number: {value!r}")
    try:  # numpy scalars
        number = float(value)  # type: ignore[arg-type]
        if not isinstance(value, str):
            return (number, None) if math.isfinite(number) else (math.nan, "missing")
    except (TypeError, ValueError):
        pass
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text == "" or text.lower() in {"nan", "null", "none", "-", "—", "/"}:
        return math.nan, "missing"
    cleaned = _NUMBER_JUNK.sub("", text)
    for suffix in ("人", "户", "套", "m2", "㎡", "平方米"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)]
    try:
        number = float(cleaned)
    except ValueError:
        return math.nan, f"not a number: {value!r}"
    return (number, None) if math.isfinite(number) else (math.nan, f"not a number: {value!r}")
