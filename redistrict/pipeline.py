"""The pipeline: layers → units and graph → plan(s) → verified outputs. The only place the three stage
packages meet."""
from __future__ import annotations

import datetime
import json
import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import geopandas as gpd
import networkx as nx

import boundaries
import maps
import solver
from redistrict import estate_division, large_estates, provenance
from redistrict.config import SplitConfig
from redistrict.errors import InfeasibleError, NoSolutionError, NoSplitNeeded, UsageError
from maps.wording import option_title
from redistrict.naming import district_names
from redistrict.outdir import RUN_MARKER, check_target, read_manifest, staged_output
from redistrict.profiles import Profile, builtin_profile_names, check_district, load_profile
from redistrict.moves import with_moves
from redistrict.sites import headroom, limits, service_sites
from redistrict.triage import triage_errors

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Option:
    """One verified proposal (方案) and the numbers the report compares."""

    label: str
    plan: solver.Plan
    frame: gpd.GeoDataFrame          # units with their district
    names: Mapping[int, str]
    stats: Sequence[Mapping[str, Any]]
    compliance: Sequence[Mapping[str, Any]]
    metrics: Mapping[str, Any]
    notes: Mapping[int, str] = field(default_factory=dict)        # {district: why it breaks a rule, etc.}
    exceptions: tuple[Mapping[str, Any], ...] = ()                # communities above the cap by the rule


@dataclass(frozen=True)
class SplitResult:
    out_dir: Path
    community: str
    options: tuple[Option, ...]
    files: Mapping[str, Path]
    totals: Mapping[str, float]
    timings_s: Mapping[str, float]
    file_count: int = 0              # files in out_dir, counted on disk (a Shapefile set is several)

    @property
    def plan(self) -> solver.Plan:
        return self.options[0].plan


def load_inputs(config: SplitConfig) -> boundaries.Layers:
    missing = [layer for layer in ("communities", "estates", "population") if not config.inputs.get(layer)]
    if missing:
        raise UsageError("missing input layer(s): " + ", ".join(f"--{m}" for m in missing))
    return boundaries.load_layers(
        communities=config.inputs["communities"],
        estates=config.inputs["estates"],
        population=config.inputs["population"],
        roads=config.inputs.get("roads"),
        facilities=config.inputs.get("facilities"),
        fields=config.fields or None,
        encoding=config.encoding,
        source_crs=dict(config.source_crs) or None,
        datum=dict(config.datum) or None,
    )


def resolve_profile(config: SplitConfig) -> Profile:
    """The policy profile, refused with the flags to fix it when it and the flags cannot work together."""
    profile = load_profile(config.profile)
    if not profile.splits and config.cap is None:
        raise UsageError(f"policy profile {profile.name} sets no size limit; give --cap")
    attr, cap = split_rule(config, profile)
    if config.floor is not None and config.floor >= cap:
        source = "--cap" if config.cap is not None else f"the cap of profile {profile.name}"
        raise UsageError(f"--floor {config.floor:,.0f} must be below {source} ({cap:,.0f} {attr})")
    return profile


def choose_community(layers: boundaries.Layers, config: SplitConfig, profile: Profile) -> str:
    """The community to split: the one named, else the only one, else the only one over the limit."""
    if config.community:
        return config.community
    totals = boundaries.community_totals(layers)
    if len(totals) == 1:
        return str(totals["name"].iloc[0])
    attr, cap = split_rule(config, profile)
    over = totals[totals[attr] > cap]
    if len(over) == 1:
        return str(over["name"].iloc[0])
    names = "、".join(map(str, over["name"])) if len(over) else "none"
    raise UsageError(f"the communities layer holds {len(totals)} communities and {len(over)} exceed "
                     f"{cap:,.0f} {attr} ({names}); name one with --community, or run `redistrict batch`")


def split_rule(config: SplitConfig, profile: Profile) -> tuple[str, float]:
    attr = profile.split_attr or "population"
    cap = config.cap if config.cap is not None else profile.cap
    return attr, float(cap)


def make_spec(config: SplitConfig, profile: Profile, *, time_limit_s: float | None = None) -> solver.Spec:
    attr, cap = split_rule(config, profile)
    floor = config.floor if config.floor is not None else (profile.floor if config.cap is None else None)
    return solver.Spec(
        max_population=cap,
        min_population=floor,
        districts=config.districts,
        objective=config.objective,
        population_attr=attr,
        group_attr="group",
        require_facility=config.require_facility,
        time_limit_s=time_limit_s if time_limit_s is not None else config.time_limit_s,
        backend=config.backend,
        seed=config.seed,
        threads=config.threads,
    )


def with_locks(spec: solver.Spec, config: SplitConfig, frame: gpd.GeoDataFrame) -> solver.Spec:
    """The spec with the units of ``--lock`` (names resolved in this community's units)."""
    if not config.locks:
        return spec
    from redistrict.locks import read_locks

    return replace(spec, locks=read_locks(config.locks, frame, encoding=config.encoding))


def inspect_inputs(config: SplitConfig) -> tuple[boundaries.Layers, boundaries.ValidationReport]:
    """Read the layers, apply the documented repairs when ``--repair`` asks for them, and check them."""
    layers = load_inputs(config)
    repairs: tuple[boundaries.Repair, ...] = ()
    if config.repair:
        repaired = boundaries.repair_layers(layers)
        layers, repairs = repaired.layers, repaired.repairs
    return layers, boundaries.inspect_layers(layers, repairs=repairs)


def load_checked(config: SplitConfig) -> tuple[boundaries.Layers, boundaries.ValidationReport]:
    """Read (and with ``--repair`` repair) the layers; refuse them, naming every problem, when they hold
    errors that concern the community to split (``--community``), the communities layer or the whole city.
    Errors in the estates or points of other communities are warnings: a planner splitting one community is
    not stopped by another's data."""
    layers, report = inspect_inputs(config)
    for problem in report.warnings:
        log.warning("%s", problem)
    target = _named_community(layers, config.community)
    if report.errors and target is not None:
        triage = triage_errors(layers, report)
        if not triage.citywide:
            # a problem of the communities layer (an overlap, a gap) changes the neighbours' land too
            mine = triage.by_community.get(target, ())
            own = tuple(p for p in report.errors if p.layer == "communities" or p in mine)
            for problem in report.errors:
                if problem not in own:
                    log.warning("%s (in another community's data: not used to split %s)", problem,
                                config.community)
            if own:
                raise boundaries.InputError(list(own))
            return layers, report
    report.raise_for_errors()
    return layers, report


def _named_community(layers: boundaries.Layers, community: str | None) -> str | None:
    """The id of the community ``--community`` names, when exactly one matches (else the usual errors)."""
    if not community:
        return None
    frame = layers.communities
    ids = {str(cid) for cid, name in zip(frame["community_id"], frame["name"]) if community in (str(cid), str(name))}
    return ids.pop() if len(ids) == 1 else None


OUTPUT_FILES = ("plan.geojson", "plan.gpkg", "assignment.csv", "map.html", "report.html", RUN_MARKER)


def planned_files(config: SplitConfig) -> list[str]:
    """The files a run writes (checked against the output folder before any work; see ``maps.write_outputs``)."""
    return [*OUTPUT_FILES, *(f"plan_option{n}.geojson" for n in range(2, config.options + 1))]


def run_split(config: SplitConfig, *, progress: Progress | None = None,
              checked: tuple[boundaries.Layers, boundaries.ValidationReport] | None = None,
              record: Mapping[str, Any] | None = None) -> SplitResult:
    """Run one community end to end and write its folder; nothing is written unless every plan verifies.

    ``checked`` passes layers already read and validated (a batch reads a city once); ``record`` adds
    entries to run.json. Raises ``NoSplitNeeded`` (nothing written) when the community is within the rule.
    """
    say = progress or (lambda message: log.info(message))
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    config = settle_date(config)
    profile, (layers, report) = open_run(config, progress=say, checked=checked)
    timings["load_s"] = _lap(clock)
    # the staging folder is made before any solving: an unwritable --out fails first, and an interrupted
    # or failed run removes it (``redistrict.outdir``)
    with staged_output(config.out, planned=planned_files(config), inputs=config.inputs.values()) as staging:
        start = time.perf_counter()
        units, graph = build_community(layers, config, profile, progress=say)
        _require_split(units, config, profile)
        timings["units_s"] = _lap(start)

        # estates above the cap: divided now (--split-large-estates), or communities of their own
        ruled = estate_division.apply_rule(layers, units, graph, make_spec(config, profile),
                                           divide=config.split_large_estates, progress=say)
        layers, units, graph = ruled.layers, ruled.units, ruled.graph
        start = time.perf_counter()
        options = solve_options(graph, units.frame, layers, config, profile, progress=say, large=ruled.large)
        options = [estate_division.annotate(option, ruled.divisions, profile.name) for option in options]
        timings["solve_s"] = _lap(start)

        record = dict(record or {}) | {"large_estates": large_estates.record(
            config.split_large_estates, options[0].exceptions, ruled.divisions)}
        files = write_into(staging, config, profile, layers, report, units, graph, options, timings=timings,
                           clock=clock, record=record)
    out_dir, files, file_count = placed(config, staging, files)
    return SplitResult(out_dir=out_dir, community=units.community_name, options=tuple(options), files=files,
                       totals=plan_totals(units), timings_s=timings, file_count=file_count)


def settle_date(config: SplitConfig) -> SplitConfig:
    """The report's date, settled once and recorded in run.json's scenario: a repeated run carries it."""
    return replace(config, date=config.date or data_date(config))


def open_run(config: SplitConfig, *, progress: Progress,
             checked: tuple[boundaries.Layers, boundaries.ValidationReport] | None = None
             ) -> tuple[Profile, tuple[boundaries.Layers, boundaries.ValidationReport]]:
    """Refuse a bad output folder, profile or base map before any work; then read and validate the layers."""
    check_target(config.out, planned=planned_files(config), inputs=config.inputs.values())
    profile = resolve_profile(config)
    if config.basemap == "tianditu" and not os.environ.get("TIANDITU_KEY"):
        raise UsageError("--basemap tianditu needs your Tianditu key in the TIANDITU_KEY environment variable "
                         "(apply at console.tianditu.gov.cn)")
    if checked is None:
        progress("reading layers")
        checked = load_checked(config)
    return profile, checked


def build_community(layers: boundaries.Layers, config: SplitConfig, profile: Profile, *,
                    progress: Progress) -> tuple[boundaries.Units, nx.Graph]:
    """The chosen community's units and their adjacency graph."""
    community = choose_community(layers, config, profile)
    progress(f"building units of {community}")
    units = boundaries.build_units(layers, community, grid_size_m=config.grid_size_m)
    graph = boundaries.build_graph(units.frame, roads=layers.roads)
    progress(f"{len(units.frame)} units ({int((units.frame['kind'] == 'estate').sum())} estates), "
             f"{graph.number_of_edges()} adjacencies")
    return units, graph


def _require_split(units: boundaries.Units, config: SplitConfig, profile: Profile) -> None:
    """A community within the size rule (and no number of new communities asked for), or with nobody in
    it, is not split: say so instead of writing a "plan" of one community."""
    attr, cap = split_rule(config, profile)
    size = float(units.frame[attr].sum()) if attr in units.frame else float(units.population_out)
    if size <= 0 or (size <= cap and config.districts == "auto"):
        raise NoSplitNeeded(units.community_name, size, cap, attr)


def plan_totals(units: boundaries.Units) -> dict[str, float]:
    return {"population_in": float(units.population_in), "households_in": float(units.households_in),
            "population_out": float(units.population_out), "households_out": float(units.households_out)}


def write_into(staging: Path, config: SplitConfig, profile: Profile, layers: boundaries.Layers,
               report: boundaries.ValidationReport, units: boundaries.Units, graph: nx.Graph,
               options: Sequence[Option], *, timings: dict[str, float], clock: float,
               record: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write the run's files into ``staging`` (run.json last, with ``record`` merged in) once population is
    seen to be conserved in every option; returns {key: path in staging}."""
    totals = _conserved_totals(units, options)
    start = time.perf_counter()
    # the Tianditu key is the user's secret: taken from the environment, never written to run.json
    files = dict(maps.write_outputs(staging, _proposals(options, units, graph, layers),
                                    _context(layers, units, graph, report, config, profile),
                                    basemap=config.basemap, tianditu_key=os.environ.get("TIANDITU_KEY"),
                                    shapefile=config.shapefile))
    timings["write_s"] = _lap(start)
    timings["total_s"] = _lap(clock)
    run = provenance.run_record(config=config, profile=profile, layers=layers, units=units, graph=graph,
                                options=options, totals=totals, timings=timings,
                                report=report) | dict(record or {})
    (staging / RUN_MARKER).write_text(json.dumps(run, ensure_ascii=False, indent=2), encoding="utf-8")
    return files | {"run": staging / RUN_MARKER}


def placed(config: SplitConfig, staging: Path, files: Mapping[str, Path]) -> tuple[Path, dict[str, Path], int]:
    """Where the staged files are now (the output folder) and how many files this run wrote."""
    out_dir = Path(config.out).resolve()
    file_count = len(read_manifest(out_dir).get("files", {}))  # what this run wrote, not the user's files
    log.info("wrote %d files to %s", file_count, out_dir)
    return out_dir, {name: out_dir / Path(path).relative_to(staging) for name, path in files.items()}, file_count


def _conserved_totals(units: boundaries.Units, options: Sequence[Option]) -> dict[str, float]:
    totals = plan_totals(units)
    for option in options:
        # nothing silently lost: the new communities together hold exactly the people who came in
        option_totals = totals | {"population_out": sum(r["population"] for r in option.stats),
                                  "households_out": sum(r["households"] for r in option.stats)}
        if not provenance.conserved(option_totals):
            raise RuntimeError(f"{option.label}: population or households changed between input and plan "
                               f"({option_totals}); a bug, please report")
    return totals


def _context(layers: boundaries.Layers, units: boundaries.Units, graph: nx.Graph,
             report: boundaries.ValidationReport, config: SplitConfig, profile: Profile) -> maps.Context:
    return maps.Context(
        community_name=units.community_name,
        boundary=gpd.GeoDataFrame({"name": [units.community_name]}, geometry=[units.boundary], crs=layers.crs),
        estates=_estates_of(layers, units),
        roads=layers.roads,
        facilities=layers.facilities,
        crs=layers.crs,
        totals=plan_totals(units),
        provenance=provenance.summary(layers, config, profile, units),
        profiles=[load_profile(name).to_dict() for name in _profiles_to_check(profile)],
        repairs=[r.to_dict() for r in report.repairs],
        adjacency=[(str(u), str(v)) for u, v in graph.edges],
        size_rule=_size_rule(config, profile),
        report_date=config.date,
        population_kind=layers.sources.get("population", {}).get("population_kind"),
        display_shift=boundaries.wgs84_to_gcj02,  # maps has no datum formula of its own
    )


def _proposals(options: Sequence[Option], units: boundaries.Units, graph: nx.Graph,
               layers: boundaries.Layers) -> list[maps.Proposal]:
    # run times differ from run to run: they live in run.json only, so the files a reviewer reads are
    # byte-identical when the input is
    strips = boundaries.crossing_strips(units.frame, graph)
    return [maps.Proposal(label=o.label, units=o.frame, district_names=o.names,
                          certificate=_without_timings(o.plan.to_dict() | {"assignment": None}),
                          compliance=o.compliance, metrics=_without_timings(o.metrics), district_notes=o.notes,
                          joins=_joins(strips, o.plan.assignment, layers.crs),
                          community_facts={int(r["district"]): {"service_site": r["service_site"],
                                                                "headroom": r["headroom"]} for r in o.stats})
            for o in options]


_TIMING_KEYS = frozenset({"runtime_s", "time_s"})


def _without_timings(record: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in record.items() if k not in _TIMING_KEYS}
    if isinstance(cleaned.get("attempts"), (list, tuple)):
        cleaned["attempts"] = [_without_timings(a) if isinstance(a, Mapping) else a for a in cleaned["attempts"]]
    return cleaned


def solve_options(graph: nx.Graph, frame: gpd.GeoDataFrame, layers: boundaries.Layers, config: SplitConfig,
                  profile: Profile, *, progress: Progress,
                  large: Sequence[large_estates.LargeEstate] = ()) -> list[Option]:
    """Solve for the requested number of genuinely different options; each one is verified here.

    ``large``: estates above the cap, each made a community of its own (see ``large_estates``)."""
    if large:
        if config.locks:
            raise UsageError(f"--lock {config.locks} cannot be combined yet with an estate above the cap made a "
                             "community of its own; use --split-large-estates or drop the lock")
        spec = make_spec(config, profile)
        combined = large_estates.solve_around(graph, spec, large, options=config.options, progress=progress)
        for option in combined:
            _verify_on_map(frame, option.plan.assignment, graph)
        return [large_estates.annotate(describe_option(i, c.plan, graph, frame, layers, profile, spec=spec), c,
                                       profile.name) for i, c in enumerate(combined)]
    spec = with_locks(make_spec(config, profile), config, frame)
    reasons = solver.precheck(graph, spec)
    if reasons:
        raise InfeasibleError("no plan can satisfy the rules" + (f" and the locks of --lock {config.locks}"
                                                                 if spec.locks else "") + ":\n"
                              + "\n".join(f"  - {r}" for r in reasons))
    plans: list[solver.Plan] = []
    for index in range(config.options):
        option_spec = spec if not plans else replace(spec, distinct_from=tuple(p.assignment for p in plans),
                                                     districts=plans[0].districts,
                                                     distinct_share=config.option_difference)
        progress(f"solving option {index + 1} of {config.options} ({spec.objective}, "
                 f"cap {spec.max_population:,.0f} {spec.population_attr}, {spec.backend})")
        plan = solver.solve(graph, option_spec)
        if plan.status in ("infeasible", "no-solution"):
            if plans:
                log.warning("only %d different option(s) found: %s", len(plans), "; ".join(plan.reasons))
                break
            error = InfeasibleError if plan.status == "infeasible" else NoSolutionError
            under = f" (under the {len(set(spec.locks.values()))} lock label(s) of --lock {config.locks})" \
                if spec.locks else ""
            raise error(("; ".join(plan.reasons) or f"solver status {plan.status}") + under)
        violations = solver.verify(graph, option_spec, plan.assignment)
        if violations:
            raise RuntimeError("the solver returned a plan that fails verification (a bug, please report): "
                               + "; ".join(violations))
        _verify_on_map(frame, plan.assignment, graph)
        progress(f"option {index + 1}: {plan!r} in {plan.runtime_s:.1f} s")
        plans.append(plan)
    # ranked best first on the objective (the first option is the recommended one); ties keep solve order
    plans.sort(key=lambda p: (p.objective is None, p.objective if p.objective is not None else 0.0))
    options = [describe_option(i, plan, graph, frame, layers, profile, spec=spec) for i, plan in enumerate(plans)]
    return with_moves(graph, options)


def _verify_on_map(frame: gpd.GeoDataFrame, assignment: Mapping[str, int], graph: nx.Graph) -> None:
    """A plan connected only in the graph, in several pieces on the map, is never written."""
    violations = boundaries.check_one_piece(frame, assignment, graph)
    if violations:
        raise RuntimeError("a plan is in several pieces on the map (a bug, please report): " + "; ".join(violations))


def describe_option(index: int, plan: solver.Plan, graph: nx.Graph, frame: gpd.GeoDataFrame,
                     layers: boundaries.Layers, profile: Profile, *, spec: solver.Spec,
                     names: Mapping[int, str] | None = None, label: str | None = None) -> Option:
    """The option's numbers, service sites and headroom under ``spec`` and the profile; ``names`` (the
    planner's own, for a checked plan) replace the working names."""
    assigned = frame.copy()
    assigned["district"] = assigned["unit_id"].map(plan.assignment).astype(int)
    facility_m2 = _facility_area_by_district(assigned, layers.facilities)
    names = dict(names) if names else district_names(assigned)
    stats = []
    compliance: list[dict[str, Any]] = []
    for district, part in assigned.groupby("district", sort=True):
        population, households = float(part["population"].sum()), float(part["households"].sum())
        stats.append({"district": int(district), "name": names[int(district)], "population": population,
                      "households": households, "units": len(part),
                      "estates": sorted(part.loc[part["kind"] == "estate", "name"].astype(str)),
                      "facility_m2": facility_m2.get(int(district), 0.0)})
        for name in _profiles_to_check(profile):
            compliance += check_district(load_profile(name), district=int(district), population=population,
                                         households=households, facility_m2=facility_m2.get(int(district), 0.0))
    sites = service_sites(assigned, plan, graph, layers.facilities)
    rules = limits(spec, profile)
    for row in stats:
        row["service_site"] = sites[row["district"]]
        row["headroom"] = headroom(row, rules)
    populations = [s["population"] for s in stats]
    cut = [(u, v) for u, v in graph.edges if plan.assignment[u] != plan.assignment[v]]
    cut_length = sum(graph.edges[e].get("length_m", 0.0) for e in cut)
    along = sum(graph.edges[e].get("length_m", 0.0) for e in cut if graph.edges[e].get("barrier"))
    metrics = {
        "districts": plan.districts, "status": plan.status, "objective": plan.objective_name,
        "objective_value": plan.objective, "gap": plan.gap, "minimum_proven": plan.minimum_proven,
        "max_population": max(populations), "min_population": min(populations),
        "balance": (max(populations) / min(populations)) if min(populations) > 0 else None,
        "cut_edges": len(cut), "new_boundary_m": round(cut_length, 1),
        "new_boundary_along_roads_share": round(along / cut_length, 3) if cut_length else None,
        "runtime_s": plan.runtime_s,
    }
    label = label or option_title(index + 1)
    return Option(label=label, plan=plan, frame=assigned, names=names, stats=stats, compliance=compliance,
                  metrics=metrics)


def data_date(config: SplitConfig) -> str | None:
    """The date of the data: the newest modification day (UTC) of the input files, or None without any."""
    times = [Path(p).stat().st_mtime for p in config.inputs.values() if p and Path(p).is_file()]
    if not times:
        return None
    return datetime.datetime.fromtimestamp(max(times), tz=datetime.timezone.utc).date().isoformat()


def _size_rule(config: SplitConfig, profile: Profile) -> dict[str, Any]:
    """The cap and floor the solver was given (flags over the profile), for map.html's edit mode."""
    spec = make_spec(config, profile)
    return {"attr": spec.population_attr, "max": spec.max_population, "min": spec.min_population}


def _profiles_to_check(chosen: Profile) -> list[str]:
    names = builtin_profile_names()
    return [chosen.path if chosen.name not in names else chosen.name] + [n for n in names if n != chosen.name]


def _facility_area_by_district(assigned: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame | None) -> dict[int, float]:
    if facilities is None or facilities.empty:
        return {}
    joined = gpd.sjoin(facilities[["area_m2", "geometry"]], assigned[["district", "geometry"]],
                       how="inner", predicate="within")
    return {int(d): float(a) for d, a in joined.groupby("district")["area_m2"].sum().fillna(0.0).items()}


def _estates_of(layers: boundaries.Layers, units: boundaries.Units) -> gpd.GeoDataFrame:
    ids = set(units.frame["estate_id"].dropna())
    estates = layers.estates[layers.estates["estate_id"].isin(ids)].copy()
    counts = units.frame.dropna(subset=["estate_id"]).set_index("estate_id")[["population", "households"]]
    estates["population"] = estates["estate_id"].map(counts["population"])
    estates["households"] = estates["estate_id"].map(counts["households"])
    return estates


def _joins(strips, assignment: Mapping[str, int], crs) -> gpd.GeoDataFrame | None:
    """The crossing land inside each new community (drawn into it so that it is one piece)."""
    inside = [(assignment[u], land) for u, v, land in strips if assignment[u] == assignment[v]]
    if not inside:
        return None
    return gpd.GeoDataFrame({"district": [int(d) for d, _ in inside]}, geometry=[g for _, g in inside], crs=crs)


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 3)
