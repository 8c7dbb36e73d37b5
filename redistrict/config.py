"""A run's settings: a scenario file (TOML) overridden by command-line flags, resolved into one object.

``run.json`` records the resolved config (``SplitConfig.to_scenario``, in the scenario file's shape), so a
run is repeated exactly with ``--scenario run.json``.
"""
from __future__ import annotations

import datetime
import json
import math
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
    # threads for the exact models (HiGHS's parallel tree search above 1); a batch runs one process a job
    threads: int = 1
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
            "solver": {"backend": self.backend, "time_limit_s": self.time_limit_s, "seed": self.seed,
                       "threads": self.threads},
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
_SOLVER_KEYS = {"backend", "time_limit_s", "seed", "threads"}
_OUTPUT_KEYS = {"out", "basemap", "shapefile"}
BASEMAPS = ("osm", "tianditu", "gaode")
DATUMS = ("wgs84", "gcj02", "bd09")


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

    def resolve(p: Any) -> Any:
        if not isinstance(p, str) or not p:
            return p  # validate_config names the key and the value
        candidate = Path(p)
        return str(candidate if candidate.is_absolute() else (base_dir / candidate).resolve())

    run, solver, output = data.get("run", {}), data.get("solver", {}), data.get("output", {})
    if isinstance(run.get("locks"), str):
        run = dict(run) | {"locks": resolve(run["locks"])}
    fields = data.get("fields", {})
    config = SplitConfig(
        inputs={k: resolve(v) for k, v in data.get("inputs", {}).items()},
        fields={k: (dict(v) if isinstance(v, Mapping) else v) for k, v in fields.items()},
        source_crs=dict(data.get("crs", {})),
        datum=dict(data.get("datum", {})),
        encoding=data.get("encoding"),
        **{k: run[k] for k in _RUN_KEYS if k in run},
        **{k: solver[k] for k in _SOLVER_KEYS if k in solver},
        **({"out": resolve(output["out"])} if "out" in output else {}),
        **({"basemap": output["basemap"]} if "basemap" in output else {}),
        **({"shapefile": output["shapefile"]} if "shapefile" in output else {}),
    )
    return validate_config(config, origin=origin)


# where each setting is given: (command-line flag, scenario section and key)
_WHERE = {
    "community": ("--community", "[run] community"), "profile": ("--profile", "[run] profile"),
    "cap": ("--cap", "[run] cap"), "floor": ("--floor", "[run] floor"),
    "districts": ("--districts", "[run] districts"), "objective": ("--objective", "[run] objective"),
    "options": ("--options", "[run] options"), "grid_size_m": ("--grid-size", "[run] grid_size_m"),
    "require_facility": ("--require-facility", "[run] require_facility"),
    "backend": ("--backend", "[solver] backend"), "time_limit_s": ("--time-limit", "[solver] time_limit_s"),
    "seed": ("--seed", "[solver] seed"), "threads": ("--threads", "[solver] threads"), "out": ("--out", "[output] out"),
    "basemap": ("--basemap", "[output] basemap"), "shapefile": ("--shapefile", "[output] shapefile"),
    "encoding": ("--encoding", "encoding"), "repair": ("--repair", "[run] repair"),
    "split_large_estates": ("--split-large-estates", "[run] split_large_estates"),
    "option_difference": ("--option-difference", "[run] option_difference"),
    "locks": ("--lock", "[run] locks"), "date": ("--date", "[run] date"),
}


def validate_config(config: SplitConfig, *, origin: str | None = None) -> SplitConfig:
    """Check types first, then values, once, with every problem in one message.

    Problems name the flag (``--cap``), or the scenario key (``[run] cap``) when ``origin`` (the scenario
    file) is given. A text where a yes/no belongs ("false") is an error, never read as true.
    """
    problems: list[str] = []

    def name(attr: str) -> str:
        flag, key = _WHERE[attr]
        return key if origin else flag

    def bad(attr: str, expected: str, value: Any) -> None:
        problems.append(f"{name(attr)} must be {expected}, got {value!r}")

    for attr in ("community", "profile", "encoding", "basemap"):
        value = getattr(config, attr)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            bad(attr, "a text (in quotes in a scenario file)", value)
    if not isinstance(config.out, str) or not config.out.strip():
        bad("out", "a folder path (text)", config.out)
    for attr in ("require_facility", "shapefile"):
        if not isinstance(getattr(config, attr), bool):
            bad(attr, "true or false (not in quotes)", getattr(config, attr))
    if config.objective not in OBJECTIVES:
        bad("objective", f"one of {', '.join(OBJECTIVES)}", config.objective)
    if config.backend not in BACKENDS:
        bad("backend", f"one of {', '.join(BACKENDS)}", config.backend)
    if config.basemap is not None and config.basemap not in BASEMAPS:
        bad("basemap", f"one of {', '.join(BASEMAPS)}", config.basemap)
    districts = config.districts
    if isinstance(districts, str) and districts != "auto" and districts.strip().isdigit():
        districts = int(districts)
    if districts != "auto" and (not _is_whole(districts) or districts < 1):
        bad("districts", "'auto' or a whole number ≥ 1", config.districts)
    elif districts != config.districts:
        config = replace(config, districts=districts)
    for attr in ("cap", "floor", "time_limit_s", "grid_size_m"):
        value = getattr(config, attr)
        if value is not None and not _is_positive(value):
            bad(attr, "a positive finite number", value)
    if not _is_whole(config.options) or config.options < 1:
        bad("options", "a whole number ≥ 1", config.options)
    if not _is_whole(config.seed) or config.seed < 0:
        bad("seed", "a whole number ≥ 0", config.seed)
    if not _is_whole(config.threads) or config.threads < 1:
        bad("threads", "a whole number ≥ 1", config.threads)
    if _is_positive(config.cap) and _is_positive(config.floor) and config.floor >= config.cap:
        problems.append(f"{name('floor')} ({config.floor}) must be below {name('cap')} ({config.cap})")
    for attr in ("repair", "split_large_estates"):
        if not isinstance(getattr(config, attr), bool):
            bad(attr, "true or false (not in quotes)", getattr(config, attr))
    difference = config.option_difference
    if isinstance(difference, bool) or not isinstance(difference, (int, float)) or not 0 <= difference < 1:
        bad("option_difference", "a share from 0 to below 1 (0.10 = 10 % of the residents)", difference)
    if config.locks is not None and (not isinstance(config.locks, str) or not config.locks.strip()):
        bad("locks", "a file path (text)", config.locks)
    if config.date is not None:
        try:
            config = replace(config, date=datetime.date.fromisoformat(str(config.date)).isoformat())
        except ValueError:
            bad("date", "a day as YYYY-MM-DD (e.g. 2026-11-25)", config.date)
    problems += _layer_problems(config, origin)
    if problems:
        raise UsageError((f"scenario {origin}: " if origin else "") + "; ".join(problems))
    return config


def _layer_problems(config: SplitConfig, origin: str | None) -> list[str]:
    problems = []
    for layer, path in config.inputs.items():
        if not isinstance(path, str) or not path.strip():
            where = f"[inputs] {layer}" if origin else f"--{layer}"
            problems.append(f"{where} must be a file path (text), got {path!r}")
    for layer, value in config.source_crs.items():
        if not isinstance(value, str) or not value.strip():
            where = f"[crs] {layer}" if origin else f"--crs {layer}=…"
            problems.append(f"{where} must be a CRS as text, e.g. \"EPSG:4547\", got {value!r}")
    for layer, datum in config.datum.items():
        if datum not in DATUMS:
            where = f"[datum] {layer}" if origin else f"--datum {layer}=…"
            problems.append(f"{where} must be one of {', '.join(DATUMS)}, got {datum!r}")
    for layer, mapping in config.fields.items():
        if not isinstance(mapping, Mapping) or not all(isinstance(k, str) and isinstance(v, str) and k and v
                                                       for k, v in mapping.items()):
            where = f"[fields.{layer}]" if origin else f"--field {layer}:…"
            problems.append(f"{where} must map source field names to ours (texts), got {mapping!r}")
    return problems


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_positive(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and value > 0)
