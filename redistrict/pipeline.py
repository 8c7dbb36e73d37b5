"""The pipeline: layers → units and graph → plan(s) → verified outputs. The only place the three stage
packages meet."""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import geopandas as gpd
import networkx as nx

import boundaries
import maps
import solver
from redistrict import provenance
from redistrict.config import SplitConfig
from redistrict.errors import InfeasibleError, NoSolutionError, UsageError
from maps.wording import option_title
from redistrict.naming import district_names
from redistrict.outdir import check_target, staged_output
from redistrict.profiles import Profile, builtin_profile_names, check_district, load_profile

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


@dataclass(frozen=True)
class SplitResult:
    out_dir: Path
    community: str
    options: tuple[Option, ...]
    files: Mapping[str, Path]
    totals: Mapping[str, float]
    timings_s: Mapping[str, float]

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
    profile = load_profile(config.profile)
    if not profile.splits and config.cap is None:
        raise UsageError(f"policy profile {profile.name} sets no size limit; give --cap")
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
    )


def load_checked(config: SplitConfig) -> tuple[boundaries.Layers, boundaries.ValidationReport]:
    """Read the layers and refuse them, naming every problem, when they hold errors."""
    layers = load_inputs(config)
    report = boundaries.inspect_layers(layers)
    for problem in report.warnings:
        log.warning("%s", problem)
    report.raise_for_errors()
    return layers, report


def run_split(config: SplitConfig, *, progress: Progress | None = None,
              checked: tuple[boundaries.Layers, boundaries.ValidationReport] | None = None) -> SplitResult:
    """Run one community end to end and write its folder; nothing is written unless every plan verifies.

    ``checked`` passes layers already read and validated (a batch reads a city once).
    """
    say = progress or (lambda message: log.info(message))
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    check_target(config.out)
    profile = resolve_profile(config)
    if config.basemap == "tianditu" and not os.environ.get("TIANDITU_KEY"):
        raise UsageError("--basemap tianditu needs your Tianditu key in the TIANDITU_KEY environment variable "
                         "(apply at console.tianditu.gov.cn)")
    if checked is None:
        say("reading layers")
        checked = load_checked(config)
    layers, report = checked
    timings["load_s"] = _lap(clock)

    community = choose_community(layers, config, profile)
    say(f"building units of {community}")
    start = time.perf_counter()
    units = boundaries.build_units(layers, community, grid_size_m=config.grid_size_m)
    graph = boundaries.build_graph(units.frame, roads=layers.roads)
    timings["units_s"] = _lap(start)
    say(f"{len(units.frame)} units ({int((units.frame['kind'] == 'estate').sum())} estates), "
        f"{graph.number_of_edges()} adjacencies")

    start = time.perf_counter()
    options = solve_options(graph, units.frame, layers, config, profile, progress=say)
    timings["solve_s"] = _lap(start)

    totals = {
        "population_in": float(units.population_in), "households_in": float(units.households_in),
        "population_out": float(units.population_out), "households_out": float(units.households_out),
    }
    for option in options:
        # nothing silently lost: the new communities together hold exactly the people who came in
        option_totals = totals | {"population_out": sum(r["population"] for r in option.stats),
                                  "households_out": sum(r["households"] for r in option.stats)}
        if not provenance.conserved(option_totals):
            raise RuntimeError(f"{option.label}: population or households changed between input and plan "
                               f"({option_totals}); a bug, please report")
    start = time.perf_counter()
    with staged_output(config.out) as staging:
        context = maps.Context(
            community_name=units.community_name,
            boundary=gpd.GeoDataFrame({"name": [units.community_name]}, geometry=[units.boundary],
                                      crs=layers.crs),
            estates=_estates_of(layers, units),
            roads=layers.roads,
            facilities=layers.facilities,
            crs=layers.crs,
            totals=totals,
            provenance=provenance.summary(layers, config, profile, units),
            profiles=[load_profile(name).to_dict() for name in _profiles_to_check(profile)],
            display_shift=boundaries.wgs84_to_gcj02,  # maps has no datum formula of its own
        )
        proposals = [maps.Proposal(label=o.label, units=o.frame, district_names=o.names,
                                   certificate=o.plan.to_dict() | {"assignment": None},
                                   compliance=o.compliance, metrics=o.metrics) for o in options]
        # the Tianditu key is the user's secret: taken from the environment, never written to run.json
        files = dict(maps.write_outputs(staging, proposals, context, basemap=config.basemap,
                                        tianditu_key=os.environ.get("TIANDITU_KEY"),
                                        shapefile=config.shapefile))
        timings["write_s"] = _lap(start)
        timings["total_s"] = _lap(clock)
        run = provenance.run_record(config=config, profile=profile, layers=layers, units=units,
                                    graph=graph, options=options, totals=totals, timings=timings,
                                    report=report)
        (staging / "run.json").write_text(json.dumps(run, ensure_ascii=False, indent=2), encoding="utf-8")
    out_dir = Path(config.out).resolve()
    files = {name: out_dir / Path(path).relative_to(staging) for name, path in files.items()} | {
        "run": out_dir / "run.json"}
    return SplitResult(out_dir=out_dir, community=units.community_name, options=tuple(options), files=files,
                       totals=totals, timings_s=timings)


def solve_options(graph: nx.Graph, frame: gpd.GeoDataFrame, layers: boundaries.Layers, config: SplitConfig,
                  profile: Profile, *, progress: Progress) -> list[Option]:
    """Solve for the requested number of genuinely different options; each one is verified here."""
    spec = make_spec(config, profile)
    reasons = solver.precheck(graph, spec)
    if reasons:
        raise InfeasibleError("no plan can satisfy the rules:\n" + "\n".join(f"  - {r}" for r in reasons))
    plans: list[solver.Plan] = []
    for index in range(config.options):
        option_spec = spec if not plans else replace(spec, distinct_from=tuple(p.assignment for p in plans),
                                                     districts=plans[0].districts)
        progress(f"solving option {index + 1} of {config.options} ({spec.objective}, "
                 f"cap {spec.max_population:,.0f} {spec.population_attr}, {spec.backend})")
        plan = solver.solve(graph, option_spec)
        if plan.status in ("infeasible", "no-solution"):
            if plans:
                log.warning("only %d different option(s) found: %s", len(plans), "; ".join(plan.reasons))
                break
            error = InfeasibleError if plan.status == "infeasible" else NoSolutionError
            raise error("; ".join(plan.reasons) or f"solver status {plan.status}")
        violations = solver.verify(graph, option_spec, plan.assignment)
        if violations:
            raise RuntimeError("the solver returned a plan that fails verification (a bug, please report): "
                               + "; ".join(violations))
        progress(f"option {index + 1}: {plan!r} in {plan.runtime_s:.1f} s")
        plans.append(plan)
    # ranked best first on the objective (the first option is the recommended one); ties keep solve order
    plans.sort(key=lambda p: (p.objective is None, p.objective if p.objective is not None else 0.0))
    return [_describe_option(i, plan, graph, frame, layers, profile) for i, plan in enumerate(plans)]


def _describe_option(index: int, plan: solver.Plan, graph: nx.Graph, frame: gpd.GeoDataFrame,
                     layers: boundaries.Layers, profile: Profile) -> Option:
    assigned = frame.copy()
    assigned["district"] = assigned["unit_id"].map(plan.assignment).astype(int)
    facility_m2 = _facility_area_by_district(assigned, layers.facilities)
    names = district_names(assigned)
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
    label = option_title(index + 1)
    return Option(label=label, plan=plan, frame=assigned, names=names, stats=stats, compliance=compliance,
                  metrics=metrics)


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


def _lap(start: float) -> float:
    return round(time.perf_counter() - start, 3)
