"""Benchmark: can each state be districted at county level with contiguity? (Buchanan 2020, 2010 census)

    python benchmarks/bench_county_feasibility.py [--time-limit 60] [--only AL,CO,NH] [--perturbed]

For every state with k > 1 in county-level-outputs.csv: precheck, then solve with ``first_plan=True``
(stop at the first plan that meets every rule, or at a proof that none exists; k and [L, U] as published,
contiguity always imposed). Our verdict is ``feasible`` when a plan passes
the verifier, ``infeasible`` when precheck or the model proves it, ``unknown`` otherwise; it is compared
with the published verdict. ``--perturbed`` adds Validi, Buchanan & Lykhovyd's 160 perturbed-population
instances (hess-or2022/perturbed_populations, names like AL_03) with their published verdicts and
times (Gurobi, 3,600 s limit; ``unknown`` where the authors' run did not decide).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solver  # noqa: E402
from benchmarks import instances, results  # noqa: E402

DEFAULT_TIME_LIMIT_S = 60.0

COLUMNS = (
    ("instance", "instance", str), ("n", "n", results.number), ("k", "k", results.number),
    ("objective", "ours (cut edges)", results.number), ("status", "status", str),
    ("bound", "bound", results.number), ("gap", "gap", results.percent), ("wall_s", "time s", results.seconds),
    ("verdict", "our verdict", str), ("published", "published", str),
    ("published_time_s", "published s", results.seconds), ("match", "match?", str),
)


def verdict_of(record: dict, precheck_reasons: list[str]) -> str:
    if precheck_reasons or record["status"] == "infeasible":
        return "infeasible"
    if record.get("verified"):
        return "feasible"
    return "unknown"


def run_case(case: instances.FeasibilityCase, *, time_limit_s: float, backend: str, seed: int) -> dict:
    graph = instances.county_graph(case.state, instances.read_population_file(case.population_file))
    spec = solver.Spec(max_population=case.max_population, min_population=case.min_population,
                       districts=case.k, objective="cut-edges", group_attr=None, time_limit_s=time_limit_s,
                       backend=backend, seed=seed, first_plan=True)
    reasons = solver.precheck(graph, spec)
    record, _ = results.run_ours(graph, spec, recount=lambda a: instances.cut_edges(graph, a))
    verdict = verdict_of(record, reasons)
    if record.get("verified") is False:
        verdict = "invalid plan"
    row = {"instance": case.name, "n": graph.number_of_nodes(), "k": case.k, "L": case.min_population, "U": case.max_population,
           "published": case.verdict, "published_time_s": case.published_time_s, "precheck": reasons,
           "decided_by": "precheck" if reasons else ("solve" if verdict != "unknown" else None),
           **record, "verdict": verdict}
    if case.verdict == "unknown":
        row["match"] = f"published open; ours {verdict}"
    else:
        row["match"] = "yes" if verdict == case.verdict else ("undecided" if verdict == "unknown" else "NO")
    return row


def main(argv: list[str] | None = None) -> int:
    cli = results.parser(__doc__.splitlines()[0], default_time_limit=f"{DEFAULT_TIME_LIMIT_S:g}")
    cli.add_argument("--perturbed", action="store_true", help="also run the 160 perturbed-population instances")
    args = cli.parse_args(argv)
    results.configure_logging(args.verbose)
    cases = instances.county_feasibility_cases()
    if args.perturbed:
        cases += instances.perturbed_cases()
    rows = []
    for name in results.select([c.name for c in cases], args.only):
        case = next(c for c in cases if c.name == name)
        row = run_case(case, time_limit_s=args.time_limit or DEFAULT_TIME_LIMIT_S, backend=args.backend,
                       seed=args.seed)
        rows.append(row)
        results.progress(row)
    print()
    print(results.table(rows, COLUMNS))
    tally: dict[str, int] = {}
    for row in rows:
        tally[row["match"].split(";")[0]] = tally.get(row["match"].split(";")[0], 0) + 1
    print("\n" + ", ".join(f"{key}: {value}" for key, value in sorted(tally.items())))
    path = results.write("county_feasibility" + ("_perturbed" if args.perturbed else ""), rows, args=args,
                         out=args.out, extra={"tally": tally})
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
