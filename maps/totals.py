"""Totals in = totals out, and the size rule of the chosen policy profile, worded for reviewers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from maps.options import OptionView
from maps.wording import count

_TOLERANCE = 0.5  # people and households are whole: half a person is a real difference


@dataclass(frozen=True)
class Conservation:
    population_in: float | None
    households_in: float | None
    population_out: float
    households_out: float

    @property
    def match(self) -> bool | None:
        """True when both totals in equal both totals out; None when the caller gave no totals in."""
        if self.population_in is None or self.households_in is None:
            return None
        return (abs(self.population_in - self.population_out) < _TOLERANCE
                and abs(self.households_in - self.households_out) < _TOLERANCE)

    @property
    def text(self) -> str:
        pairs = (f"人口 population: 输入 in {count(self.population_in)} / 输出 out {count(self.population_out)}；"
                 f"户数 households: 输入 in {count(self.households_in)} / 输出 out {count(self.households_out)}")
        verdict = {True: "✓ 一致 totals match", False: "✗ 不一致 totals DO NOT match",
                   None: "未提供输入总数 no totals in given"}[self.match]
        return f"{pairs} — {verdict}"


def conservation(totals: Mapping[str, Any], view: OptionView) -> Conservation:
    def given(key: str) -> float | None:
        value = totals.get(key)
        return None if value is None else float(value)

    return Conservation(population_in=given("population_in"), households_in=given("households_in"),
                        population_out=view.totals["population_out"], households_out=view.totals["households_out"])


def cap_text(rule: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]]) -> str:
    """'≤ 30,000 人 residents（dongguan-2023）': the cap the split was driven by (``editing.size_rule``, so a
    --cap over the profile shows as given), naming the chosen profile only when the cap is its own; ''
    when unknown."""
    cap = rule.get("max")
    if cap is None:
        return ""
    households = rule.get("attr") == "households"
    own = profiles[0].get("max_households" if households else "max_population") if profiles else None
    source = profiles[0].get("name", "") if own is not None and float(own) == float(cap) else "指定 given"
    unit = "户 households" if households else "人 residents"
    return f"≤ {count(cap)} {unit}（{source}）"
