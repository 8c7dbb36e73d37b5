"""``report.html``: what a civil-affairs reviewer reads and prints (A4). Rendered from
``templates/report.html`` with autoescaping, so names from the data cannot inject markup."""
from __future__ import annotations

import base64
from collections import OrderedDict
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyproj
import shapely

from maps.editing import size_rule
from maps.facts import facts_text
from maps.figure import option_png
from maps.fonts import cjk_font_path
from maps.model import Context
from maps.options import OptionView
from maps.sizhi import SIDES
from maps.templating import render
from maps.totals import cap_text, conservation
from maps.wording import (METRIC_NAMES, SIDES_ZH, STATUS_ZH, basis_text, check_mark, count, decimal, note_text,
                          percent, plain, yes_no)

_CERTIFICATE_ORDER = ("status", "districts", "minimum_proven", "k_proven_infeasible", "k_undecided",
                      "objective_name", "objective", "bound", "gap",
                      "runtime_s", "backend", "solver_version", "reasons")
_CERTIFICATE_NAMES = {
    "status": "求解状态 status", "districts": "新社区数 communities",
    "minimum_proven": "社区数已证明最少 count proven minimal", "objective_name": "目标函数 objective",
    "k_proven_infeasible": "已证明不可行的更少社区数 fewer communities proven impossible",
    "k_undecided": "未判定的更少社区数 fewer communities not decided in the time",
    "objective": "目标值 objective value", "bound": "下界 bound", "gap": "最优性差距 gap",
    "runtime_s": "求解时间 runtime (s)", "backend": "求解器 backend", "solver_version": "求解器版本 version",
    "reasons": "说明 reasons", "attempts": "求解记录 attempts",
}
# the solver's own log (attempts) stays in run.json: the printed report keeps to what a reviewer signs
# and so do its timings: they differ from run to run, and a reviewer signs the plan, not the solve
_SKIPPED_CERTIFICATE_KEYS = {"assignment", "centres", "attempts", "runtime_s"}
_SKIPPED_METRICS = {"districts", "status", "gap", "minimum_proven", "max_population", "min_population",
                    "runtime_s", "objective_value"}
MISSING_STAFF = "现有人员数据缺失 present staff not in the data"
MISSING_PRESENT = "现状数据缺失 present value not in the data"

# provenance keys as the pipeline writes them, in Chinese and English
_PROVENANCE_ZH = {
    "community": "社区", "crs": "坐标系", "profile": "政策口径", "population basis": "人口口径",
    "persons per household": "户均人口", "objective": "目标函数", "solver backend": "求解器",
    "time limit (s)": "求解时限（秒）", "seed": "随机种子", "versions": "软件版本", "note": "说明",
    "inputs": "输入数据", "input": "输入数据", "point moved": "人口点调整", "date": "日期",
}


def render_report(views: Sequence[OptionView], context: Context, *,
                  font_path: Callable[[], str | None] | str | None = cjk_font_path) -> str:
    """The whole report as HTML text (figures embedded as base64 PNG)."""
    recommended = views[0]
    parent_area_km2 = float(shapely.union_all(np.asarray(list(context.boundary.geometry), dtype=object)).area) / 1e6
    values = {
        "community_name": context.community_name,
        "cap_text": cap_text(size_rule(context), context.profiles),
        "crs": _crs_text(context.crs),
        "recommended": _option_header(recommended),
        "before_after": _before_after(recommended, context, parent_area_km2),
        "comparison": _comparison(views, context),
        "rule_sums": _rule_sums(views),
        "options": [_option_section(view, context, font_path) for view in views],
        "profiles": [_profile_row(p) for p in context.profiles],
        "provenance": [(_provenance_key(key), note_text(value) if _is_note(key) else value)
                       for key, value in _flatten(context.provenance)],
        "repairs": [{"layer": str(r.get("layer", "")), "features": "、".join(map(str, r.get("features", ()))),
                     "rule": str(r.get("description") or r.get("rule", "")),
                     "area_m2": count(float(r.get("area_m2") or 0.0))} for r in context.repairs],
        "date": context.report_date or "—",
        "basis": _basis(context),
    }
    return render("report.html", **values)


def _crs_text(crs: Any) -> str:
    parsed = pyproj.CRS.from_user_input(crs)
    code = parsed.to_epsg()
    return f"{parsed.name} (EPSG:{code})" if code else parsed.name


def _option_header(view: OptionView) -> dict[str, Any]:
    return {"number": view.number, "title": view.title, "label": view.label,
            "communities": len(view.communities),
            "status": STATUS_ZH.get(str(view.certificate.get("status")), str(view.certificate.get("status", "—"))),
            "minimum_proven": yes_no(view.certificate.get("minimum_proven"))}


def _before_after(view: OptionView, context: Context, parent_area_km2: float) -> dict[str, Any]:
    kept = conservation(context.totals, view)
    estates_before = int(view.units["estate_id"].dropna().astype(str).str.strip().replace("", np.nan).dropna().nunique())
    before = {"name": context.community_name, "area_km2": decimal(parent_area_km2, 3),
              "population": count(kept.population_in if kept.population_in is not None else kept.population_out),
              "households": count(kept.households_in if kept.households_in is not None else kept.households_out),
              "estates": str(estates_before), "units": str(len(view.units))}
    after = [{"name": r.name, "area_km2": decimal(r.area_km2, 3), "population": count(r.population),
              "households": count(r.households), "estates": str(r.estate_count), "units": str(r.unit_count)}
             for r in view.communities.itertuples(index=False)]
    total = {"name": "合计 Total", "area_km2": decimal(view.communities["area_km2"].sum(), 3),
             "population": count(kept.population_out), "households": count(kept.households_out),
             "estates": str(int(view.communities["estate_count"].sum())), "units": str(len(view.units))}
    return {"before": before, "after": after, "total": total, "totals_text": kept.text, "match": kept.match}


def _comparison(views: Sequence[OptionView], context: Context) -> dict[str, Any]:
    """Rows of metrics, one column per option."""
    rows: "OrderedDict[str, list[str]]" = OrderedDict()

    def put(name: str, index: int, value: str) -> None:
        rows.setdefault(name, [""] * len(views))[index] = value

    for i, view in enumerate(views):
        frame = view.communities
        population = frame["population"].astype(float)
        cert = view.certificate
        put("新社区数 communities", i, str(len(frame)))
        put("求解状态 solver status", i, STATUS_ZH.get(str(cert.get("status")), str(cert.get("status", "—"))))
        put("最优性差距 gap", i, percent(cert.get("gap")))
        put("社区数已证明最少 count proven minimal", i, yes_no(cert.get("minimum_proven")))
        put("最大人口 largest population", i, count(population.max()))
        put("最小人口 smallest population", i, count(population.min()))
        mean = population.mean()
        put("最大偏离均值 max deviation from mean", i,
            percent(float((population - mean).abs().max() / mean)) if mean > 0 else "—")
        put("最大户数 largest households", i, count(frame["households"].max()))
        put("平均紧凑度 mean compactness (Polsby-Popper)", i, decimal(frame["polsby_popper"].mean(), 3))
        put("最低紧凑度 lowest compactness", i, decimal(frame["polsby_popper"].min(), 3))
        put("人口户数守恒 totals in = out", i, {True: "✓ 一致", False: "✗ 不一致", None: "—"}[
            conservation(context.totals, view).match])
        failed = [r for r in view.compliance if r.get("ok") is False]
        put("不符合的规则 rule checks failed", i, str(len(failed)))
        for key, value in view.metrics.items():
            if key in _SKIPPED_METRICS:
                continue  # shown above from the certificate and the shapes, or left to run.json
            shown = percent(value, 1) if str(key).endswith("_share") else plain(value)
            put(METRIC_NAMES.get(key, str(key)), i, shown)
    return {"headers": [f"{v.title}{'（推荐）' if v.number == 1 else ''}" for v in views],
            "labels": [v.label for v in views], "rows": list(rows.items())}


def _rule_sums(views: Sequence[OptionView]) -> dict[str, Any]:
    """Per (profile, rule): required and present summed over the new communities, failures counted."""
    keys: list[tuple[str, str]] = []
    sums: dict[tuple[str, str, int], dict[str, Any]] = {}
    for i, view in enumerate(views):
        for row in view.compliance:
            key = (str(row.get("profile", "")), str(row.get("rule", "")))
            if key not in keys:
                keys.append(key)
            cell = sums.setdefault((*key, i), {"required": 0.0, "present": 0.0, "numeric": True,
                                              "has_present": False, "failed": 0, "judged": 0})
            required, present = _number(row.get("required")), _number(row.get("present"))
            if required is None:
                cell["numeric"] = False
            else:
                cell["required"] += required
            if present is not None:
                cell["present"] += present
                cell["has_present"] = True
            if row.get("ok") is not None:
                cell["judged"] += 1
            if row.get("ok") is False:
                cell["failed"] += 1
    table = []
    for profile, rule in keys:
        cells = []
        for i in range(len(views)):
            cell = sums.get((profile, rule, i))
            if cell is None:
                cells.append("—")
                continue
            parts = []
            # sums only mean something for quantities (staff, m²), not for limits such as "≤ 30,000"
            if cell["numeric"]:
                parts.append(f"需 required Σ {count(cell['required'])}")
                if cell["has_present"]:
                    parts.append(f"现有 present Σ {count(cell['present'])}")
            if cell["judged"]:
                # how many new communities break the rule, or that all of them hold it
                parts.append(f"{cell['failed']} 个社区不符合 of {cell['judged']} fail" if cell["failed"]
                             else f"全部符合 all {cell['judged']} meet it")
            elif not cell["has_present"]:
                # nothing to judge against: say what is missing rather than "failed 0"
                parts.append(_missing_present(rule))
            cells.append(" · ".join(parts))
        table.append({"profile": profile, "rule": rule, "cells": cells})
    return {"headers": [v.title for v in views], "rows": table}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _option_section(view: OptionView, context: Context,
                    font_path: Callable[[], str | None] | str | None) -> dict[str, Any]:
    png = option_png(view, context, font_path=font_path)
    certificate = []
    for key in (*_CERTIFICATE_ORDER, *sorted(k for k in view.certificate if k not in _CERTIFICATE_ORDER)):
        value = view.certificate.get(key)
        if key in _SKIPPED_CERTIFICATE_KEYS or key not in view.certificate or (
                key in ("attempts", "reasons") and not value):
            continue
        if key == "status":
            shown = STATUS_ZH.get(str(value), str(value))
        elif key == "gap":
            shown = percent(value)
        elif key == "minimum_proven":
            shown = yes_no(value)
        elif key in ("k_proven_infeasible", "k_undecided"):
            shown = "、".join(str(k) for k in value) if value else "—"
        else:
            shown = plain(value)
        certificate.append((_CERTIFICATE_NAMES.get(key, key), shown))
    by_district: dict[Any, list[Mapping[str, Any]]] = {}
    for row in view.compliance:
        by_district.setdefault(row.get("district"), []).append(row)
    approximate = _approximate_per_district(view)
    communities = []
    for row in view.communities.itertuples(index=False):
        sides = view.sides.get(int(row.district), {})
        communities.append({
            "district": int(row.district), "name": row.name, "colour": row.colour,
            "area_km2": decimal(row.area_km2, 3), "population": count(row.population),
            "households": count(row.households), "estates": list(row.estates), "estate_count": row.estate_count,
            "other_units": list(row.other_units), "facilities": list(row.facilities),
            "polsby_popper": decimal(row.polsby_popper, 3), "sizhi": row.sizhi,
            "sides": [(f"{SIDES_ZH[s]} {s.capitalize()}", sides[s].text) for s in SIDES if s in sides],
            "compliance": [_compliance_row(r) for r in by_district.get(int(row.district), [])],
            **facts_text(view.facts.get(int(row.district), {})),
            "approximate": approximate.get(int(row.district), 0),
        })
    general = [_compliance_row(r) for key, rows in by_district.items() if key is None for r in rows]
    kept = conservation(context.totals, view)
    return {"number": view.number, "title": view.title, "label": view.label, "png": base64.b64encode(png).decode(),
            "certificate": certificate,
            "communities": communities, "general_compliance": general,
            "totals_text": kept.text, "match": kept.match}


def _is_staff(rule: Any) -> bool:
    return "社区工作者" in str(rule) or "worker" in str(rule).lower()


def _missing_present(rule: Any) -> str:
    return MISSING_STAFF if _is_staff(rule) else MISSING_PRESENT


def _approximate_per_district(view: OptionView) -> dict[int, int]:
    """How many estates of each new community have outlines derived from points (estates given as points)."""
    estates = view.estates
    if "approximate" not in estates or not len(estates):
        return {}
    flagged = estates[estates["approximate"].fillna(False).astype(bool) & estates["district"].notna()]
    return {int(k): int(v) for k, v in flagged["district"].astype(int).value_counts().items()}


def _compliance_row(row: Mapping[str, Any]) -> dict[str, str]:
    present = row.get("present")
    return {"profile": plain(row.get("profile")), "rule": plain(row.get("rule")),
            "required": plain(row.get("required")),
            "present": plain(present) if present is not None else _missing_present(row.get("rule")),
            "ok": check_mark(row.get("ok")), "ok_class": {True: "ok", False: "bad"}.get(row.get("ok"), ""),
            "note": plain(row.get("note")) if row.get("note") else ""}


def _profile_row(profile: Mapping[str, Any]) -> dict[str, str]:
    size = []
    for key, label in (("max_population", "≤ {} 人"), ("min_population", "≥ {} 人"),
                       ("max_households", "≤ {} 户"), ("min_households", "≥ {} 户"),
                       ("merge_below_households", "< {} 户应合并")):
        if profile.get(key) is not None:
            size.append(label.format(count(profile[key])))
    return {"name": plain(profile.get("name")), "title": plain(profile.get("title")),
            "source": plain(profile.get("source")), "basis": basis_text(profile.get("population_basis")),
            "persons_per_household": plain(profile.get("persons_per_household")),
            "size": "；".join(size) or "—", "staff": _rules_text(profile.get("staff")),
            "facility": _rules_text(profile.get("facility"))}


_RULE_WORDS = {
    "households_per_worker": "每名工作者 ≤ {} 户 households per worker",
    "workers_per_10k_residents": "≥ {} 名/万人 workers per 10,000 residents",
    "min_workers": "≥ {} 名 workers",
    "m2_per_100_households": "≥ {} m²/百户 per 100 households",
    "min_total_m2": "总面积 ≥ {} m² in total",
}


def _rules_text(rules: Any) -> str:
    if not isinstance(rules, Mapping) or not rules:
        return "—"
    return "；".join(_RULE_WORDS[k].format(plain(v)) if k in _RULE_WORDS else f"{k}: {plain(v)}"
                    for k, v in rules.items())


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested provenance as (key path, text) rows, in the caller's order."""
    rows: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(inner, Mapping) and inner:
                rows += _flatten(inner, path)
            elif isinstance(inner, (list, tuple)) and inner and all(isinstance(v, Mapping) for v in inner):
                for index, item in enumerate(inner, start=1):
                    rows += _flatten(item, f"{path}[{index}]")
            else:
                rows.append((path, plain(inner)))
    elif value is not None and not (isinstance(value, float) and pd.isna(value)):
        rows.append((prefix or "value", plain(value)))
    return rows


def _is_note(key: str) -> bool:
    return key.split(" ", 1)[0] == "note"


def _provenance_key(key: str) -> str:
    """'input: population' → '输入数据 input: population'; keys the table does not know stay as they are."""
    head = key.split(":", 1)[0].split("[", 1)[0].split(".", 1)[0].strip()
    word = head.rstrip("0123456789 ").strip()
    zh = _PROVENANCE_ZH.get(head) or _PROVENANCE_ZH.get(word)
    return f"{zh} {key}" if zh else key


def _basis(context: Context) -> dict[str, Any]:
    """Which population each profile's rules count, what the data holds, and whether they differ."""
    held = basis_text(context.population_kind) if context.population_kind else ""
    rows = []
    for profile in context.profiles:
        counted = basis_text(profile.get("population_basis"))
        rows.append({"name": plain(profile.get("name")), "counted": counted})
    chosen = rows[0]["counted"] if rows else ""
    differs = bool(held and chosen and held != chosen and not held.startswith("口径未注明"))
    return {"rows": rows, "held": held, "chosen": chosen, "differs": differs,
            "unstated": held.startswith("口径未注明")}
