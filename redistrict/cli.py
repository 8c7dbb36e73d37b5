"""The ``redistrict`` command: parses flags, builds a config and calls the pipeline. No business logic here."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from boundaries import InputError
from maps import OutputError
from solver.errors import SpecError
from redistrict import __version__
from redistrict.config import BACKENDS, LAYERS, OBJECTIVES, SplitConfig, load_scenario, validate_config
from redistrict.errors import (EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL, EXIT_NO_SOLUTION, EXIT_OK,
                               InfeasibleError, NoSolutionError, UsageError)

log = logging.getLogger("redistrict")

EPILOG = """exit codes: 0 success · 2 bad input or usage · 3 infeasible (no plan can satisfy the rules) ·
4 no solution found within the time limit · 1 internal error"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.handler(args)
    except (UsageError, InputError, OutputError, SpecError) as exc:
        _fail(f"error: {exc}")
        return EXIT_BAD_INPUT
    except InfeasibleError as exc:
        _fail(f"infeasible: {exc}")
        return EXIT_INFEASIBLE
    except NoSolutionError as exc:
        _fail(f"no solution: {exc}")
        return EXIT_NO_SOLUTION
    except BrokenPipeError:
        # the reader went away (`redistrict … | head`): the run itself finished, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written")
        return EXIT_INTERNAL
    except Exception as exc:  # the last line of defence: say what broke, keep the traceback for -v
        log.debug("internal error", exc_info=True)
        _fail(f"internal error: {type(exc).__name__}: {exc}\n(run again with -v for the traceback; "
              "nothing was written)")
        return EXIT_INTERNAL


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS so that a subcommand's copy of -v does not reset a -v given before the subcommand
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="more detail (repeat for debug)")
    common.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS, help="only errors")

    parser = argparse.ArgumentParser(
        prog="redistrict", parents=[common], epilog=EPILOG,
        description="Split oversized urban communities (社区) into contiguous new communities under a cap, "
                    "keeping residential estates whole, with proven-optimal integer programming.")
    parser.add_argument("--version", action="version", version=f"redistrict {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", parents=[common], epilog=EPILOG,
                               help="run the whole pipeline on the embedded synthetic sample",
                               description="Run the whole pipeline on the embedded synthetic sample community.")
    demo.add_argument("--out", default="redistrict-demo", help="output folder (default: %(default)s)")
    _add_run_options(demo)
    demo.set_defaults(handler=_run_demo)

    split = commands.add_parser("split", parents=[common], epilog=EPILOG,
                                help="split one community of your own layers",
                                description="Split one oversized community of your own layers into new "
                                            "communities. Any format geopandas reads (GeoJSON, GPKG, SHP, GDB, "
                                            "DXF) and CSV/XLSX point tables.")
    _add_layer_options(split)
    split.add_argument("--community", help="name (or id) of the community to split; default: the only one, "
                                           "or the only one over the limit")
    split.add_argument("--out", help="output folder (default: redistrict-out)")
    _add_run_options(split)
    split.set_defaults(handler=_run_split)

    inspect = commands.add_parser("inspect", parents=[common], epilog=EPILOG,
                                  help="validate layers and list every problem at once",
                                  description="Validate the layers: every problem at once, each naming the "
                                              "layer, the feature and what to do.")
    _add_layer_options(inspect)
    inspect.add_argument("--json", dest="json_path", help="also write the report as JSON to this file")
    inspect.set_defaults(handler=_run_inspect)

    solve = commands.add_parser("solve", parents=[common], epilog=EPILOG,
                                help="solve a networkx/GerryChain adjacency-JSON graph directly",
                                description="Solve a districting problem on an adjacency graph in networkx "
                                            "JSON (GerryChain's format) and write plan.json.")
    solve.add_argument("graph", help="graph JSON (networkx adjacency or node-link format)")
    solve.add_argument("--population-attr", default="population", help="node attribute holding population")
    solve.add_argument("--districts", default="auto", help="number of districts, or 'auto' (the fewest)")
    solve.add_argument("--min-population", type=float, help="floor per district")
    solve.add_argument("--max-population", type=float, required=True, help="cap per district")
    solve.add_argument("--objective", choices=OBJECTIVES, default="inertia")
    solve.add_argument("--backend", choices=BACKENDS, default="highs")
    solve.add_argument("--time-limit", type=float, default=60.0, help="wall-clock seconds")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--first-plan", action="store_true",
                       help="stop at the first plan that meets every rule (is there a plan at all?), "
                            "or at a proof that none exists; the plan is not optimised")
    solve.add_argument("--out", default="plan.json", help="where to write the plan (default: %(default)s)")
    solve.set_defaults(handler=_run_solve)

    batch = commands.add_parser("batch", parents=[common], epilog=EPILOG,
                                help="split every oversized community of a city",
                                description="Find every community over the profile's limit and split each one "
                                            "(one folder per community, plus a city summary). A failure in one "
                                            "community does not stop the others; rerunning skips finished ones.")
    _add_layer_options(batch)
    batch.add_argument("--out", help="output folder (default: redistrict-out)")
    batch.add_argument("--jobs", type=int, default=2, help="local worker processes (default: %(default)s)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the jobs on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    _add_run_options(batch)
    batch.set_defaults(handler=_run_batch)

    profiles = commands.add_parser("profiles", parents=[common], help="list or show policy profiles")
    profiles.add_argument("name", nargs="?", help="a profile to show in full")
    profiles.set_defaults(handler=_run_profiles)
    return parser


def _add_layer_options(parser: argparse.ArgumentParser) -> None:
    layers = parser.add_argument_group("layers")
    layers.add_argument("--scenario", help="a scenario TOML with inputs and settings (flags override it)")
    layers.add_argument("--communities", help="community boundaries (field: name)")
    layers.add_argument("--estates", help="residential estate polygons, or points whose areas are derived "
                                          "(fields: name; optional households, population, group)")
    layers.add_argument("--population", help="population points (fields: population, households)")
    layers.add_argument("--roads", help="roads and rivers as lines (fields: name; optional kind road|river)")
    layers.add_argument("--facilities", help="service facilities (fields: name; optional area_m2)")
    layers.add_argument("--field", action="append", default=[], metavar="LAYER:SOURCE=TARGET",
                        help="map a field, e.g. population:常住人口=population (repeatable)")
    layers.add_argument("--crs", action="append", default=[], metavar="LAYER=CRS",
                        help="declare a layer's CRS when the file has none, e.g. estates=EPSG:4547 "
                             "(LAYER may be 'all')")
    layers.add_argument("--datum", action="append", default=[], metavar="LAYER=DATUM",
                        help="declare a layer's datum: wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu)")
    layers.add_argument("--encoding", help="text encoding of shapefiles/CSV (default: detected)")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    run = parser.add_argument_group("rules and solver")
    run.add_argument("--profile", help="policy profile name or TOML path (default: dongguan-2023); "
                                       "see `redistrict profiles`")
    run.add_argument("--cap", type=float, help="maximum per new community (overrides the profile)")
    run.add_argument("--floor", type=float, help="minimum per new community")
    run.add_argument("--districts", help="number of new communities, or 'auto' (the fewest feasible)")
    run.add_argument("--objective", choices=OBJECTIVES, help="inertia (compact, default), boundary, cut-edges")
    run.add_argument("--options", type=int, help="how many different proposals (方案) to produce")
    run.add_argument("--require-facility", action="store_true", default=None,
                     help="every new community must contain a service facility")
    run.add_argument("--backend", choices=BACKENDS, help="MIP solver (default: highs)")
    run.add_argument("--time-limit", dest="time_limit_s", type=float, help="wall-clock seconds per option")
    run.add_argument("--seed", type=int, help="seed for the heuristics (default 0)")
    run.add_argument("--grid-size", dest="grid_size_m", type=float,
                     help="block size in metres where no roads cut the land (default 250)")
    run.add_argument("--basemap", choices=("osm", "tianditu", "gaode"),
                     help="base map for map.html (default: none, works offline); tianditu needs a key in the "
                          "TIANDITU_KEY environment variable")
    run.add_argument("--shapefile", action="store_true", default=None,
                     help="also write a Shapefile set (ASCII field names, with a field table)")


def config_from_args(args: argparse.Namespace, base: SplitConfig | None = None) -> SplitConfig:
    config = load_scenario(args.scenario) if getattr(args, "scenario", None) else (base or SplitConfig())
    overrides: dict[str, Any] = {layer: getattr(args, layer, None) for layer in LAYERS}
    overrides = {k: (str(Path(v).resolve()) if v else None) for k, v in overrides.items()}
    for name in ("community", "profile", "cap", "floor", "districts", "objective", "options", "backend",
                 "time_limit_s", "seed", "grid_size_m", "require_facility", "basemap", "shapefile", "out",
                 "encoding"):
        overrides[name] = getattr(args, name, None)
    if overrides.get("out"):
        overrides["out"] = str(Path(overrides["out"]).resolve())
    fields = {k: dict(v) for k, v in config.fields.items()}
    for text in getattr(args, "field", []):
        layer, source, target = _parse_field(text)
        fields.setdefault(layer, {})[source] = target
    crs = dict(config.source_crs) | _parse_pairs(getattr(args, "crs", []), "--crs")
    datum = dict(config.datum) | _parse_pairs(getattr(args, "datum", []), "--datum")
    config = validate_config(SplitConfig(**(config.to_dict() | {"fields": fields, "source_crs": crs,
                                                                "datum": datum})))
    return config.with_overrides(**overrides)


def _parse_field(text: str) -> tuple[str, str, str]:
    layer, sep, rest = text.partition(":")
    source, eq, target = rest.partition("=")
    if not sep or not eq or layer not in LAYERS or not source or not target:
        raise UsageError(f"--field {text!r}: expected LAYER:SOURCE=TARGET with LAYER one of {', '.join(LAYERS)}")
    return layer, source, target


def _parse_pairs(items: Sequence[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for text in items:
        layer, eq, value = text.partition("=")
        targets = LAYERS if layer == "all" else (layer,)
        if not eq or not value or (layer != "all" and layer not in LAYERS):
            raise UsageError(f"{flag} {text!r}: expected LAYER=VALUE with LAYER one of all, {', '.join(LAYERS)}")
        pairs.update({t: value for t in targets})
    return pairs


def _run_demo(args: argparse.Namespace) -> int:
    from redistrict.sample import SAMPLE_COMMUNITY, sample_paths

    base = SplitConfig(inputs={k: str(v) for k, v in sample_paths().items()}, community=SAMPLE_COMMUNITY)
    return _split(config_from_args(args, base))


def _run_split(args: argparse.Namespace) -> int:
    return _split(config_from_args(args))


def _split(config: SplitConfig) -> int:
    from redistrict.pipeline import run_split

    result = run_split(config, progress=_progress)
    _print_summary(result)
    return EXIT_OK


def _print_summary(result: Any) -> None:
    from redistrict.provenance import conserved

    totals = result.totals
    for option in result.options:
        plan = option.plan
        print(f"{result.community} → {plan.districts} new communities ({option.label}, {plan.status}"
              + (f", gap {plan.gap:.2%}" if plan.gap else "") + ", fewest "
              + ("proven" if plan.minimum_proven else "not proven") + ")")
        for row in option.stats:
            print(f"  {row['district']}. {row['name']}: {row['population']:,.0f} residents, "
                  f"{row['households']:,.0f} households, {len(row['estates'])} estates")
    same = conserved(totals)
    print(f"population in {totals['population_in']:,.0f} / out {totals['population_out']:,.0f}; households in "
          f"{totals['households_in']:,.0f} / out {totals['households_out']:,.0f} ({'equal' if same else 'DIFFERENT'})")
    print(f"written to {result.out_dir}: " + ", ".join(sorted(p.name for p in result.files.values())))


def _run_inspect(args: argparse.Namespace) -> int:
    import boundaries
    from redistrict.pipeline import load_inputs

    config = config_from_args(args)
    layers = load_inputs(config)
    report = boundaries.inspect_layers(layers)
    for problem in report.problems:
        print(problem)
    totals = boundaries.community_totals(layers)
    for row in totals.itertuples():
        print(f"{row.name}: {row.population:,.0f} residents, {row.households:,.0f} households, "
              f"{row.estates} estates")
    print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    if args.json_path:
        payload = report.to_dict() | {"communities": json.loads(totals.to_json(orient="records", force_ascii=False))}
        Path(args.json_path).write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return EXIT_OK if report.ok else EXIT_BAD_INPUT


def _run_solve(args: argparse.Namespace) -> int:
    from redistrict.graphfile import solve_graph_file

    plan = solve_graph_file(args.graph, population_attr=args.population_attr, districts=args.districts,
                            min_population=args.min_population, max_population=args.max_population,
                            objective=args.objective, backend=args.backend, time_limit_s=args.time_limit,
                            seed=args.seed, out=args.out, first_plan=args.first_plan)
    print(f"{plan!r} in {plan.runtime_s:.2f} s → {args.out}")
    return {"infeasible": EXIT_INFEASIBLE, "no-solution": EXIT_NO_SOLUTION}.get(plan.status, EXIT_OK)


def _run_batch(args: argparse.Namespace) -> int:
    from redistrict.batch import run_batch, summary_lines

    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    config = config_from_args(args)
    result = run_batch(config, jobs=args.jobs, scheduler=args.scheduler,
                       progress=getattr(args, "quiet", 0) == 0)
    for line in summary_lines(result):
        print(line)
    # the most serious outcome among the communities decides the exit code
    statuses = {job.status for job in result.failed}
    for status, code in (("failed", EXIT_BAD_INPUT), ("infeasible", EXIT_INFEASIBLE),
                         ("no-solution", EXIT_NO_SOLUTION)):
        if status in statuses:
            return code
    return EXIT_OK


def _run_profiles(args: argparse.Namespace) -> int:
    from redistrict.profiles import builtin_profile_names, load_profile

    if args.name:
        print(json.dumps(load_profile(args.name).to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK
    for name in builtin_profile_names():
        profile = load_profile(name)
        print(f"{name:20s} {profile.title}")
    return EXIT_OK


def _progress(message: str) -> None:
    log.info(message)


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


def _configure_logging(level: int) -> None:
    chosen = logging.WARNING if level < 0 else logging.INFO if level == 0 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if chosen > logging.DEBUG
                                           else "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(chosen)
    # third-party chatter stays out of the user's terminal unless debugging
    for noisy in ("pyogrio", "fiona", "matplotlib", "PIL", "distributed", "asyncio"):
        logging.getLogger(noisy).setLevel(max(chosen, logging.WARNING))

