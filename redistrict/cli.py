"""The ``redistrict`` command: parses flags, builds a config and calls the pipeline. No business logic here."""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any, Sequence

from boundaries import InputError
from maps import OutputError
from solver.errors import SpecError
from redistrict import __version__
from redistrict.config import BACKENDS, LAYERS, OBJECTIVES, SplitConfig, load_scenario, validate_config
from redistrict.errors import (EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_INTERNAL, EXIT_NO_SOLUTION, EXIT_OK,
                               EXIT_RULES_BROKEN, EXIT_SOME_FAILED, InfeasibleError, Interrupted,
                               RECEIVED_SIGNALS, NoSolutionError, NoSplitNeeded, UsageError, raise_if_signalled)
from redistrict.flags import as_flags
from redistrict.outdir import check_writable_file, write_text_atomically
from redistrict.terminal import VisibleFormatter, visible

log = logging.getLogger("redistrict")

_OWN_PACKAGES = ("redistrict", "boundaries", "solver", "maps")
_NOISY_LIBRARIES = ("pyogrio", "fiona", "matplotlib", "PIL", "distributed", "asyncio")

EPILOG = """exit codes: 0 success (also "no split needed") · 2 bad input or usage · 3 infeasible (no plan can
satisfy the rules) · 4 no solution found within the time limit · 5 `check`: the plan breaks a rule (listed;
folder written) · 6 batch: some communities not split · 130 / 143 interrupted by Ctrl-C / SIGTERM (nothing
written) · 1 internal error"""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: …)" to an option's help when it has a real default; options whose default comes
    from the scenario or the profile (argparse default None) say so in their own words."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unset = action.default is None or action.default is False or action.default is argparse.SUPPRESS
        if "default" in text or unset or action.default == []:
            return text
        return super()._get_help_string(action)


_DEFAULTS = SplitConfig()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        with _signals_raise():
            code = args.handler(args)
            raise_if_signalled()
            return code
    except NoSplitNeeded as exc:
        print(f"{exc}; nothing written")
        return EXIT_OK
    except InputError as exc:
        _fail(_problems_text(exc))
        return EXIT_BAD_INPUT
    except (UsageError, OutputError, SpecError) as exc:
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
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (raised as Interrupted): every cleanup has run
        return _interrupted(exc.signum if isinstance(exc, Interrupted) else signal.SIGINT)
    except Exception as exc:  # the last line of defence: say what broke, keep the traceback for -v
        if RECEIVED_SIGNALS:  # a solver library caught the interrupt and failed in its own words
            return _interrupted(RECEIVED_SIGNALS[0])
        log.debug("internal error", exc_info=True)
        _fail(f"internal error: {type(exc).__name__}: {exc}\n(run again with -v for the traceback; "
              "nothing was written)")
        return EXIT_INTERNAL



@contextlib.contextmanager
def _signals_raise():
    """SIGTERM (a service stop, `kill`, a job scheduler) and SIGINT raise like Ctrl-C, so every cleanup runs
    and staging folders are removed. The signal is also recorded: highspy catches the interrupt inside a
    solve, stops, and reports a solver error instead, which must still read as an interruption."""
    def interrupt(signum, frame):
        RECEIVED_SIGNALS.append(signum)
        raise Interrupted(signum)

    RECEIVED_SIGNALS.clear()
    try:
        previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread (an embedding application): leave its signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _problems_text(exc: InputError) -> str:
    """One "error:" heading, then each problem without its own severity prefix."""
    lines = [as_flags(str(p), layer=p.layer).removeprefix("error: ") for p in exc.problems] or [str(exc)]
    if len(lines) == 1:
        return f"error: {lines[0]}"
    return f"error: {len(lines)} problems in the input:\n" + "\n".join(f"  {line}" for line in lines)


def _positive(text: str) -> float:
    """argparse type: a positive finite number (no 0, negative, inf or nan)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number ≥ {minimum}, got {text!r}")
        return value
    return parse


class _Parser(argparse.ArgumentParser):
    """argparse's parser with its error message escaped: it echoes an unrecognised argument raw, and an
    argument may be a name copied from a file (an ESC in it would rewrite the user's terminal)."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {visible(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS so that a subcommand's copy of -v does not reset a -v given before the subcommand
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="more detail on stderr: -v adds redistrict's debug messages (and the traceback "
                             "of an internal error), -vv also the libraries' own debug messages")
    common.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS,
                        help="only errors on stderr (no progress, no warnings); the result still goes to stdout")

    parser = _Parser(
        prog="redistrict", parents=[common], epilog=EPILOG, formatter_class=HelpFormatter,
        description="Split oversized urban communities (社区) into contiguous new communities under a cap, "
                    "keeping residential estates whole, with proven-optimal integer programming.")
    parser.add_argument("--version", action="version", version=f"redistrict {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", formatter_class=HelpFormatter, parents=[common], epilog=EPILOG,
                               help="run the whole pipeline on the embedded synthetic sample",
                               description="Run the whole pipeline on the embedded synthetic sample community.")
    demo.add_argument("--out", default="redistrict-demo", help="output folder (default: %(default)s)")
    _add_run_options(demo)
    demo.set_defaults(handler=_run_demo)

    split = commands.add_parser("split", formatter_class=HelpFormatter, parents=[common], epilog=EPILOG,
                                help="split one community of your own layers",
                                description="Split one oversized community of your own layers into new "
                                            "communities. Any format geopandas reads (GeoJSON, GPKG, SHP, GDB, "
                                            "DXF) and CSV/XLSX point tables.")
    _add_layer_options(split)
    split.add_argument("--community", help="name (or id) of the community to split; default: the only one, "
                                           "or the only one over the limit")
    split.add_argument("--out", help=f"output folder (default: {_DEFAULTS.out})")
    _add_run_options(split)
    split.set_defaults(handler=_run_split)

    _add_check_command(commands, common)

    inspect = commands.add_parser("inspect", formatter_class=HelpFormatter, parents=[common],
                                  epilog=EPILOG,
                                  help="validate layers and list every problem at once",
                                  description="Validate the layers: every problem at once, each naming the "
                                              "layer, the feature and what to do.")
    _add_layer_options(inspect)
    inspect.add_argument("--json", dest="json_path", help="also write the report as JSON to this file")
    inspect.set_defaults(handler=_run_inspect)

    solve = commands.add_parser("solve", formatter_class=HelpFormatter, parents=[common], epilog=EPILOG,
                                help="solve a networkx/GerryChain adjacency-JSON graph directly",
                                description="Solve a districting problem on an adjacency graph in networkx "
                                            "JSON (GerryChain's format) and write plan.json.")
    solve.add_argument("graph", help="graph JSON (networkx adjacency or node-link format)")
    solve.add_argument("--population-attr", default="population", help="node attribute holding population")
    solve.add_argument("--districts", default="auto", help="number of districts, or 'auto' (the fewest)")
    solve.add_argument("--min-population", type=_positive, help="floor per district")
    solve.add_argument("--max-population", type=_positive, required=True, help="cap per district")
    solve.add_argument("--objective", choices=OBJECTIVES, default="inertia", help="what the plan minimises")
    solve.add_argument("--backend", choices=BACKENDS, default="highs", help="MIP solver")
    solve.add_argument("--time-limit", type=_positive, default=60.0, help="wall-clock seconds")
    solve.add_argument("--seed", type=_whole(0), default=0, help="seed for the heuristics")
    solve.add_argument("--threads", type=_whole(1), default=1,
                       help="threads for the exact models (HiGHS's parallel tree search above 1; default: 1)")
    solve.add_argument("--first-plan", action="store_true",
                       help="stop at the first plan that meets every rule (is there a plan at all?), "
                            "or at a proof that none exists; the plan is not optimised")
    solve.add_argument("--out", default="plan.json", help="where to write the plan (default: %(default)s)")
    solve.set_defaults(handler=_run_solve)

    batch = commands.add_parser("batch", formatter_class=HelpFormatter, parents=[common], epilog=EPILOG,
                                help="split every oversized community of a city",
                                description="Find every community over the profile's limit and split each one "
                                            "(one folder per community, plus a city summary). A failure in one "
                                            "community does not stop the others; rerunning skips finished ones.")
    _add_layer_options(batch)
    batch.add_argument("--out", help=f"output folder (default: {_DEFAULTS.out})")
    batch.add_argument("--jobs", type=_whole(1), default=2, help="local worker processes (default: %(default)s)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the jobs on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    _add_run_options(batch)
    batch.set_defaults(handler=_run_batch)

    profiles = commands.add_parser("profiles", formatter_class=HelpFormatter, parents=[common],
                                   help="list or show policy profiles")
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
    layers.add_argument("--repair", action="store_true", default=None,
                        help="apply the documented repairs (phases nested in their parent estate kept together, "
                             "overlaps to the larger feature, gaps closed, invalid polygons made valid, detached "
                             "pieces); each is listed by inspect and recorded in run.json and the report")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    run = parser.add_argument_group("rules and solver")
    run.add_argument("--profile", help=f"policy profile name or TOML path (default: {_DEFAULTS.profile}); "
                                       "see `redistrict profiles`")
    run.add_argument("--cap", type=_positive, help="maximum per new community (default: the profile's cap)")
    run.add_argument("--floor", type=_positive, help="minimum per new community (default: the profile's floor, "
                                                 "none when --cap is given)")
    run.add_argument("--districts", help="number of new communities, or 'auto' (the fewest feasible) "
                                         f"(default: {_DEFAULTS.districts})")
    run.add_argument("--objective", choices=OBJECTIVES, help="inertia (compact), boundary, cut-edges "
                                                             f"(default: {_DEFAULTS.objective})")
    run.add_argument("--options", type=_whole(1), help="how many different proposals (方案) to produce "
                                                 f"(default: {_DEFAULTS.options})")
    run.add_argument("--lock", dest="locks", metavar="FILE",
                     help="CSV/XLSX with name (estate name or unit_id) and community (a label): units with one "
                          "label end in one new community, different labels in different ones")
    run.add_argument("--option-difference", dest="option_difference", type=float, metavar="SHARE",
                     help="with --options: each pair of options puts at least this share of the residents in a "
                          f"different community, after matching community labels (default: "
                          f"{_DEFAULTS.option_difference:g})")
    run.add_argument("--require-facility", action="store_true", default=None,
                     help="every new community must contain a service facility")
    run.add_argument("--split-large-estates", action="store_true", default=None,
                     help="divide an estate above the cap along its buildings or phases into the fewest parts "
                          "within the rules (default: it becomes a community of its own, reported as an "
                          "exception to the size rule)")
    run.add_argument("--backend", choices=BACKENDS, help=f"MIP solver (default: {_DEFAULTS.backend})")
    run.add_argument("--time-limit", dest="time_limit_s", type=_positive,
                     help=f"wall-clock seconds per option (default: {_DEFAULTS.time_limit_s:g})")
    run.add_argument("--seed", type=_whole(0), help=f"seed for the heuristics (default: {_DEFAULTS.seed})")
    run.add_argument("--threads", type=_whole(1),
                     help=f"threads for the exact models (HiGHS's parallel tree search above 1; a batch runs "
                          f"--jobs of them side by side) (default: {_DEFAULTS.threads})")
    run.add_argument("--grid-size", dest="grid_size_m", type=_positive,
                     help=f"block size in metres where no roads cut the land "
                          f"(default: {_DEFAULTS.grid_size_m:g})")
    run.add_argument("--basemap", choices=("osm", "tianditu", "gaode"),
                     help="base map for map.html (default: none, works offline); tianditu needs a key in the "
                          "TIANDITU_KEY environment variable")
    run.add_argument("--date", metavar="YYYY-MM-DD",
                     help="the date the report carries (default: the date of the newest input file)")
    run.add_argument("--shapefile", action="store_true", default=None,
                     help="also write a Shapefile set (ASCII field names, with a field table)")


def config_from_args(args: argparse.Namespace, base: SplitConfig | None = None) -> SplitConfig:
    config = load_scenario(args.scenario) if getattr(args, "scenario", None) else (base or SplitConfig())
    overrides: dict[str, Any] = {layer: getattr(args, layer, None) for layer in LAYERS}
    overrides = {k: (str(Path(v).resolve()) if v else None) for k, v in overrides.items()}
    for name in ("community", "profile", "cap", "floor", "districts", "objective", "options", "backend",
                 "time_limit_s", "seed", "threads", "grid_size_m", "require_facility", "split_large_estates", "basemap",
                 "shapefile", "out", "encoding", "repair", "date", "locks", "option_difference"):
        overrides[name] = getattr(args, name, None)
    if overrides.get("locks"):
        overrides["locks"] = str(Path(overrides["locks"]).resolve())
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
        print(visible(f"{result.community} → {plan.districts} new communities ({option.label}, {plan.status}"
                      + (f", gap {plan.gap:.2%}" if plan.gap else "") + ", fewest "
                      + ("proven" if plan.minimum_proven else "not proven") + ")"))
        if plan.k_undecided:
            print(f"  fewer communities not decided in the time: {', '.join(map(str, plan.k_undecided))}"
                  + (f"; proven impossible: {', '.join(map(str, plan.k_proven_infeasible))}"
                     if plan.k_proven_infeasible else ""))
        for row in option.stats:
            print(visible(f"  {row['district']}. {row['name']}: {row['population']:,.0f} residents, "
                          f"{row['households']:,.0f} households, {len(row['estates'])} estates"))
            if row["district"] in option.notes:
                print(visible(f"     ! {option.notes[row['district']]}"))
    same = conserved(totals)
    print(f"population in {totals['population_in']:,.0f} / out {totals['population_out']:,.0f}; households in "
          f"{totals['households_in']:,.0f} / out {totals['households_out']:,.0f} ({'equal' if same else 'DIFFERENT'})")
    print(visible(f"{result.file_count} files written to {result.out_dir}: "
                  + ", ".join(sorted(p.name for p in result.files.values()))))


def _add_check_command(commands: Any, common: argparse.ArgumentParser) -> None:
    check = commands.add_parser(
        "check", formatter_class=HelpFormatter, parents=[common], epilog=EPILOG,
        help="score a plan a person proposes against the rules",
        description="Score a proposed plan with the verifier every solver plan passes, and write the same "
                    "folder as split. The plan: redistrict's assignment.csv after editing, a CSV/XLSX of estate "
                    "names (or unit ids) → community, or a polygon layer of proposed communities (each unit "
                    "goes to the one holding most of its area). Exit 0 when every rule holds, 5 when any is "
                    "broken (each one listed).")
    _add_layer_options(check)
    check.add_argument("--assignment", required=True, metavar="FILE",
                       help="the proposed plan: assignment CSV/XLSX or a polygon layer")
    check.add_argument("--community", help="name (or id) of the community the plan splits; default: the only "
                                           "one, or the only one over the limit")
    check.add_argument("--out", help="output folder (default: redistrict-out)")
    _add_run_options(check)
    check.set_defaults(handler=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from redistrict.checking import run_check

    result = run_check(config_from_args(args), args.assignment, progress=_progress)
    for row in result.option.stats:
        print(visible(f"  {row['district']}. {row['name']}: {row['population']:,.0f} residents, "
                      f"{row['households']:,.0f} households, {len(row['estates'])} estates"))
    for note in result.notes:
        print(visible(f"note: {note}"))
    if result.ok:
        print(visible(f"{result.community}: every rule holds"))
    else:
        print(visible(f"{result.community}: {len(result.violations)} rule(s) broken:"))
        for violation in result.violations:
            print(visible(f"  - {violation.message}"))
    print(visible(f"written to {result.out_dir}: " + ", ".join(sorted(p.name for p in result.files.values()))))
    return EXIT_OK if result.ok else EXIT_RULES_BROKEN


def _run_inspect(args: argparse.Namespace) -> int:
    import boundaries
    from redistrict.pipeline import inspect_inputs

    config = config_from_args(args)
    if args.json_path:
        check_writable_file(args.json_path, flag="--json")
    layers, report = inspect_inputs(config)
    for problem in report.problems:
        print(visible(as_flags(str(problem), layer=problem.layer)))
    for repair in report.repairs:
        print(visible(repair))
    totals = boundaries.community_totals(layers)
    for row in totals.itertuples():
        print(visible(f"{row.name}: {row.population:,.0f} residents, {row.households:,.0f} households, "
                      f"{row.estates} estates"))
    repaired = f", {len(report.repairs)} repair(s)" if config.repair else ""
    print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s){repaired}")
    fixable = [p for p in report.errors if p.repair is not None]
    if fixable and not config.repair:
        print(f"--repair would fix {len(fixable)} of these errors (see the hints)")
    if args.json_path:
        payload = report.to_dict() | {"communities": json.loads(totals.to_json(orient="records", force_ascii=False))}
        write_text_atomically(Path(args.json_path), json.dumps(payload, ensure_ascii=False, indent=2))
    return EXIT_OK if report.ok else EXIT_BAD_INPUT


def _run_solve(args: argparse.Namespace) -> int:
    from redistrict.graphfile import solve_graph_file

    check_writable_file(args.out, flag="--out")
    plan = solve_graph_file(args.graph, population_attr=args.population_attr, districts=args.districts,
                            min_population=args.min_population, max_population=args.max_population,
                            objective=args.objective, backend=args.backend, time_limit_s=args.time_limit,
                            seed=args.seed, threads=args.threads, out=args.out, first_plan=args.first_plan)
    print(f"{plan!r} in {plan.runtime_s:.2f} s → {args.out}")
    return {"infeasible": EXIT_INFEASIBLE, "no-solution": EXIT_NO_SOLUTION}.get(plan.status, EXIT_OK)


def _run_batch(args: argparse.Namespace) -> int:
    from redistrict.batch import run_batch, summary_lines

    config = config_from_args(args)
    if config.locks:
        raise UsageError("--lock names estates of one community: use it with `redistrict split --community …`")
    result = run_batch(config, jobs=args.jobs, scheduler=args.scheduler,
                       progress=getattr(args, "quiet", 0) == 0)
    for line in summary_lines(result):
        print(visible(line))
    # the city's data was usable (else exit 2 before any work); some communities not split: exit 6
    return EXIT_SOME_FAILED if result.failed else EXIT_OK


def _run_profiles(args: argparse.Namespace) -> int:
    from redistrict.profiles import builtin_profile_names, load_profile

    if args.name:
        # a user's TOML may hold bidi controls; as \uXXXX they stay valid JSON and show in the terminal
        print(visible(json.dumps(load_profile(args.name).to_dict(), ensure_ascii=False, indent=2), keep="\n"))
        return EXIT_OK
    for name in builtin_profile_names():
        profile = load_profile(name)
        print(f"{name:20s} {profile.title}")
    return EXIT_OK


def _progress(message: str) -> None:
    log.info(message)


def _interrupted(signum: int) -> int:
    _fail("interrupted; nothing was written")
    return 128 + int(signum)


def _fail(message: str) -> None:
    print(visible(message, keep="\n"), file=sys.stderr)


def _configure_logging(level: int) -> None:
    """level = (number of -v) - (number of -q): -q errors only; 0 progress and warnings; -v debug messages
    of this project's packages; -vv debug messages of the libraries too."""
    chosen = logging.ERROR if level < 0 else logging.INFO if level == 0 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    # names from the data are shown with their control characters visible, never sent to the terminal
    handler.setFormatter(VisibleFormatter("%(message)s" if chosen > logging.DEBUG
                                          else "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # the root level governs the libraries: their warnings by default, their debug output only with -vv
    libraries = logging.ERROR if level < 0 else logging.WARNING if level < 2 else logging.DEBUG
    root.setLevel(libraries)
    for ours in _OWN_PACKAGES:
        logging.getLogger(ours).setLevel(chosen)
    for noisy in _NOISY_LIBRARIES:  # some set their own level on import
        logging.getLogger(noisy).setLevel(libraries)
