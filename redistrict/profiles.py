"""Policy profiles: editable rule sets (size, staff, facility) checked and reported separately.

A profile is a TOML file; the built-in ones live in ``redistrict/profiles/``. Numbers are never constants
in code: every threshold comes from a profile, so a city can pass its own file.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from redistrict.errors import UsageError

_SPLIT_ATTRS = ("population", "households")


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    title: str = ""
    source: str = ""
    population_basis: str = "resident"
    persons_per_household: float | None = None
    split_attr: str | None = None
    max_population: float | None = None
    min_population: float | None = None
    max_households: float | None = None
    min_households: float | None = None
    merge_below_households: float | None = None
    staff: Mapping[str, float] = field(default_factory=dict)
    facility: Mapping[str, float] = field(default_factory=dict)
    path: str = ""

    @property
    def splits(self) -> bool:
        """Whether this profile sets a size limit that a split can be driven by."""
        return self.split_attr is not None

    @property
    def cap(self) -> float | None:
        return self.max_population if self.split_attr == "population" else self.max_households

    @property
    def floor(self) -> float | None:
        return self.min_population if self.split_attr == "population" else self.min_households

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (dict(v) if isinstance(v := getattr(self, f.name), Mapping) else v)
                for f in fields(self)}


def builtin_profile_names() -> list[str]:
    folder = resources.files("redistrict") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """A built-in profile by name, or a user's TOML file by path."""
    text, origin = _profile_text(name_or_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"policy profile {origin}: not valid TOML ({exc})") from None
    return _profile_from_dict(data, origin)


def _profile_text(name_or_path: str | Path) -> tuple[str, str]:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise UsageError(f"policy profile file {candidate} does not exist")
        return candidate.read_text(encoding="utf-8"), str(candidate)
    name = str(name_or_path)
    if name not in builtin_profile_names():
        raise UsageError(f"unknown policy profile {name!r}; built-in profiles: "
                         f"{', '.join(builtin_profile_names())}, or give a path to a .toml file")
    return (resources.files("redistrict") / "profiles" / f"{name}.toml").read_text(encoding="utf-8"), name


def _profile_from_dict(data: Mapping[str, Any], origin: str) -> Profile:
    known = {f.name for f in fields(Profile)} - {"path"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"policy profile {origin}: unknown keys {', '.join(unknown)}")
    if "name" not in data:
        raise UsageError(f"policy profile {origin}: missing 'name'")
    for key in ("max_population", "min_population", "max_households", "min_households",
                "persons_per_household", "merge_below_households"):
        value = data.get(key)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
            raise UsageError(f"policy profile {origin}: {key} must be a positive number, got {value!r}")
    for table in ("staff", "facility"):
        for key, value in dict(data.get(table, {})).items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise UsageError(f"policy profile {origin}: {table}.{key} must be a positive number, got {value!r}")
    split_attr = data.get("split_attr")
    if split_attr is not None and split_attr not in _SPLIT_ATTRS:
        raise UsageError(f"policy profile {origin}: split_attr must be one of {_SPLIT_ATTRS}, got {split_attr!r}")
    profile = Profile(**{k: v for k, v in data.items()}, path=origin)
    if profile.splits and profile.cap is None:
        raise UsageError(f"policy profile {origin}: split_attr={split_attr!r} needs max_{split_attr}")
    return profile


def required_staff(profile: Profile, *, population: float, households: float) -> int | None:
    """The fewest community workers that satisfy every staff rule of the profile (None: no rule)."""
    rules = profile.staff
    if not rules:
        return None
    needs = [0]
    if "households_per_worker" in rules:
        needs.append(math.ceil(households / rules["households_per_worker"]))
    if "workers_per_10k_residents" in rules:
        needs.append(math.ceil(population * rules["workers_per_10k_residents"] / 10_000))
    if "min_workers" in rules:
        needs.append(math.ceil(rules["min_workers"]))
    return max(needs)


def required_facility_m2(profile: Profile, *, households: float) -> float | None:
    rules = profile.facility
    if not rules:
        return None
    need = households * rules.get("m2_per_100_households", 0.0) / 100.0
    return max(need, rules.get("min_total_m2", 0.0))


def check_district(profile: Profile, *, district: int, population: float, households: float,
                   facility_m2: float) -> list[dict[str, Any]]:
    """One row per rule of the profile: what is required, what is present, whether it holds."""
    rows: list[dict[str, Any]] = []

    def row(rule: str, required: Any, present: Any, ok: bool | None, note: str = "") -> None:
        rows.append({"district": district, "profile": profile.name, "rule": rule,
                     "required": required, "present": present, "ok": ok, "note": note})

    if profile.max_population is not None:
        row("居民人数上限 max residents", f"≤ {profile.max_population:,.0f}", round(population),
            population <= profile.max_population)
    if profile.min_population is not None:
        row("居民人数下限 min residents", f"≥ {profile.min_population:,.0f}", round(population),
            population >= profile.min_population)
    if profile.max_households is not None:
        row("户数上限 max households", f"≤ {profile.max_households:,.0f}", round(households),
            households <= profile.max_households)
    if profile.min_households is not None:
        row("户数下限 min households", f"≥ {profile.min_households:,.0f}", round(households),
            households >= profile.min_households)
    if profile.merge_below_households is not None and households < profile.merge_below_households:
        row("过小应合并 merge when small", f"≥ {profile.merge_below_households:,.0f}", round(households), False,
            "below the size at which the profile asks to merge")
    staff = required_staff(profile, population=population, households=households)
    if staff is not None:
        row("社区工作者 community workers", staff, None, None,
            "required headcount; present staff are not in the input data")
    facility = required_facility_m2(profile, households=households)
    if facility is not None:
        row("服务设施面积 facility area (m²)", round(facility, 1), round(facility_m2, 1),
            facility_m2 >= facility)
    return rows
