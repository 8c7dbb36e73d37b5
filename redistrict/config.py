"""A run's settings: a scenario file (TOML) overridden by command-line flags, resolved into one object.

``run.json`` records the resolved config (``SplitConfig.to_scenario``, in the scenario file's shape), so a
run is repeated exactly with ``--scenario run.json``.
"""
from __future__ import annotations

import datetime
import json
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Mapping

from redistrict.errors import UsageError

LAYERS = ("communities", "estates", "population", "roads", "facilities")
OBJECTIVES = ("inertia", "boundary", "cut-edges")
BACKENDS = ("highs", "cbc")


@dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """Everything one split (or one batch) needs. Paths are absolute once resolved."""

    inputs: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source_crs: Mapping[str, str] = field(default_factory=dict)
    datum: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    community: str | None = None
    profile: str = "dongguan-2023"
    cap: float | None = None
    floor: float | None = None
    districts: int | Literal["auto"] = "auto"
    objective: str = "inertia"
    options: int = 1
    backend: str = "highs"
    time_limit_s: float = 60.0
    seed: int = 0
    grid_size_m: float = 250.0
    require_facility: bool = False
    # an estate above the cap: False makes it a community of its own (an exception), True divides it
    split_large_estates: bool = False
    basemap: str | None = None
    shapefile: bool = False
    repair: bool = False
    out: str = "redistrict-out"
    date: str | None = None          # the report's date (YYYY-MM-DD); default: the newest input file's date
    # the planner's loop: a lock table (unit → label) and how much options must differ (share of residents)
    locks: str | None = None
    option_difference: float = 0.10

    def with_overrides(self, **overrides: Any) -> "SplitConfig":
        """Flags win over the scenario; a flag left unset (None) keeps the scenario's value."""
        given = {k: v for k, v in overrides.items() if v is not None}
        inputs = dict(self.inputs)
        for layer in LAYERS:
            if layer in given:
                inputs[layer] = str(given.pop(layer))
        return validate_config(replace(self, inputs=inputs, **given))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items()}

    def to_scenario(self) -> dict[str, Any]:
        """The scenario-file shape of this config (what ``load_scenario`` reads)."""
        run = {k: v for k, v in (("community", self.community), ("profile", self.profile),
                                 ("cap", self.cap), ("floor", self.floor), ("districts", self.districts),
                                 ("objective", self.objective), ("options", self.options),
                                 ("grid_size_m", self.grid_size_m),
                                 ("require_facility", self.require_facility), ("repair", self.repair),
                                 ("split_large_estates", self.split_large_estates), ("date", self.date),
                                 ("locks", self.locks), ("option_difference", self.option_difference))
               if v is not None}
        scenario: dict[str, Any] = {
            "inputs": dict(self.inputs),
            "fields": {k: dict(v) for k, v in self.fields.items()},
            "crs": dict(self.source_crs),
            "datum": dict(self.datum),
            "run": run,
            "solver": {"backend": self.backend, "time_limit_s": self.time_limit_s, "seed": self.seed},
            "output": {"out": self.out, "shapefile": self.shapefile}
            | ({"basemap": self.basemap} if self.basemap else {}),
        }
        if self.encoding:
            scenario["encoding"] = self.encoding
        return scenario


def load_scenario(path: str | Path) -> SplitConfig:
    """Read a scenario TOML (relative input paths are taken from its folder), or an earlier run's
    ``run.json``, whose resolved scenario repeats that run exactly."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"scenario file {path} does not exist")
    if path.suffix.lower() == ".json":
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            scenario = record["scenario"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
            raise UsageError(f"{path} is not a redistrict run.json with a 'scenario' ({exc})") from None
        return config_from_scenario(scenario, base_dir=path.parent, origin=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"scenario file {path}: not valid TOML ({exc})") from None
    return config_from_scenario(data, base_dir=path.parent, origin=str(path))


_SECTIONS = {"inputs", "fields", "crs", "datum", "encoding", "run", "solver", "output"}
_RUN_KEYS = {"community", "profile", "cap", "floor", "districts", "objective", "options", "grid_size_m",
             "require_facility", "repair", "split_large_estates", "date", "locks", "option_difference"}
_SOLVER_KEYS = {"backend", "time_limit_s", "seed"}
_OUTPUT_KEYS = {"out", "basemap", "shapefile"}


def config_from_scenario(data: Mapping[str, Any], *, base_dir: Path, origin: str) -> SplitConfig:
    problems = [f"unknown section or key {k!r}" for k in sorted(set(data) - _SECTIONS)]
    for section, allowed in (("run", _RUN_KEYS), ("solver", _SOLVER_KEYS), ("output", _OUTPUT_KEYS),
                             ("inputs", set(LAYERS)), ("crs", set(LAYERS)), ("datum", set(LAYERS)),
                             ("fields", set(LAYERS))):
        value = data.get(section, {})
        if not isinstance(value, Mapping):
            problems.append(f"[{section}] must be a table")
            continue
        problems += [f"unknown key {k!r} in [{section}]" for k in sorted(set(value) - allowed)]
    if problems:
        raise UsageError(f"scenario {origin}: " + "; ".join(problems))

    def resolve(p: str) -> str:
        candidate = Path(p)
        return str(candidate if candidate.is_absolute() else (base_dir / candidate).resolve())

    run, solver, output = data.get("run", {}), data.get("solver", {}), data.get("output", {})
    if isinstance(run.get("locks"), str):
        run = dict(run) | {"locks": resolve(run["locks"])}
    out = output.get("out")
    config = SplitConfig(
        inputs={k: resolve(v) for k, v in data.get("inputs", {}).items()},
        fields={k: dict(v) for k, v in data.get("fields", {}).items()},
        source_crs=dict(data.get("crs", {})),
        datum=dict(data.get("datum", {})),
        encoding=data.get("encoding"),
        **{k: run[k] for k in _RUN_KEYS if k in run},
        **{k: solver[k] for k in _SOLVER_KEYS if k in solver},
        **({"out": resolve(out)} if out else {}),
        **({"basemap": output["basemap"]} if output.get("basemap") else {}),
        **({"shapefile": bool(output["shapefile"])} if "shapefile" in output else {}),
    )
    return validate_config(config)


def validate_config(config: SplitConfig) -> SplitConfig:
    """Check types and values once, with every problem in one message."""
    problems: list[str] = []
    if config.objective not in OBJECTIVES:
        problems.append(f"objective must be one of {', '.join(OBJECTIVES)}, got {config.objective!r}")
    if config.backend not in BACKENDS:
        problems.append(f"backend must be one of {', '.join(BACKENDS)}, got {config.backend!r}")
    districts = config.districts
    if isinstance(districts, str) and districts != "auto":
        if districts.isdigit():
            config = replace(config, districts=int(districts))
        else:
            problems.append(f"districts must be 'auto' or a whole number, got {districts!r}")
    if isinstance(config.districts, int) and config.districts < 1:
        problems.append(f"districts must be at least 1, got {config.districts}")
    for name in ("cap", "floor", "time_limit_s", "grid_size_m"):
        value = getattr(config, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            problems.append(f"{name} must be a positive number, got {value!r}")
    if not isinstance(config.repair, bool):
        problems.append(f"repair must be true or false, got {config.repair!r}")
    if not isinstance(config.split_large_estates, bool):
        problems.append(f"split_large_estates must be true or false, got {config.split_large_estates!r}")
    if not isinstance(config.options, int) or isinstance(config.options, bool) or config.options < 1:
        problems.append(f"options must be a whole number ≥ 1, got {config.options!r}")
    difference = config.option_difference
    if isinstance(difference, bool) or not isinstance(difference, (int, float)) or not 0 <= difference < 1:
        problems.append(f"option difference must be a share from 0 to below 1 (0.10 = 10 % of the residents), "
                        f"got {difference!r}")
    if config.cap is not None and config.floor is not None and config.floor >= config.cap:
        problems.append(f"floor ({config.floor}) must be below the cap ({config.cap})")
    if config.date is not None:
        try:
            config = replace(config, date=datetime.date.fromisoformat(str(config.date)).isoformat())
        except ValueError:
            problems.append(f"date must be a day as YYYY-MM-DD (--date 2026-11-25), got {config.date!r}")
    for layer, datum in config.datum.items():
        if datum not in ("wgs84", "gcj02", "bd09"):
            problems.append(f"datum of {layer} must be wgs84, gcj02 or bd09, got {datum!r}")
    if problems:
        raise UsageError("; ".join(problems))
    return config
