"""Measure the routes to a cut-edges bound on the county instances (issue 13 item 3), one stage at a time.

    python benchmarks/bench_cut_edge_routes.py --only AR,KS --route partition --time-limit 150

Every route starts from the same warm start (the heuristic, then 4,000 recombination steps, as ``solve``
does) and then spends the rest of ``--time-limit`` (wall-clock, from the start) on one bounding stage:

* ``label``: the labelling model with flow rows (``solver.label_strategy.run_label``), HiGHS defaults — what
  ``solve`` runs today;
* ``label-noheur``: the same with HiGHS's primal heuristics off (``mip_heuristic_effort`` 0 and the
  ``Tuning.exact_highs_options``): the warm start is already optimal or close, the bound is what is missing;
* ``partition``: column generation over districts (``solver.partition_bound``) until it proves the
  incumbent (``--aim published``: the published optimum) or the time is up; ``--threads`` pricing MIPs at once.

The SCIP routes (the labelling model in SCIP with flow rows, or with separator rows added in a constraint
handler) were measured with ``benchmarks/routes/label_engines.py`` of commit 91c60d1 and reverted.
Prints one line per instance: incumbent, bound, seconds, the load average.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import solver  # noqa: E402
from benchmarks import instances  # noqa: E402
from solver import label_strategy  # noqa: E402
from solver.linear import make_runner  # noqa: E402
from solver.one_k import run_heuristic  # noqa: E402
from solver.ordering import build_ordering  # noqa: E402
from solver.outcome import Outcome  # noqa: E402
from solver.partition_bound import partition_bound  # noqa: E402
from solver.problem import build_problem  # noqa: E402
from solver.tuning import DEFAULT_TUNING  # noqa: E402

ROUTES = ("label", "label-noheur", "partition")


def measure(state: str, route: str, limit: float, level: str, *, threads: int = 1, aim: str = "incumbent") -> str:
    ref = instances.cut_edge_reference()[(state, level)]
    graph = instances.read_json_graph(instances.cut_edge_instance_path(state, level), population_attr="TOTPOP")
    total = sum(d["TOTPOP"] for _, d in graph.nodes(data=True))
    low, high = instances.population_band(total, ref["k"])
    k = ref["k"]
    spec = solver.Spec(max_population=high, min_population=low, districts=k, objective="cut-edges",
                       population_attr="TOTPOP", group_attr=None, time_limit_s=limit)
    start = time.monotonic()
    problem = build_problem(graph, spec)
    outcome = Outcome(k=k)
    run_heuristic(problem, spec, outcome, deadline=start + 5)
    label_strategy.recombine(problem, spec, outcome, deadline=start + 10, max_steps=DEFAULT_TUNING.warm_recombination_steps)
    warm = outcome.candidate.objective
    detail = ""
    if route == "partition":
        ordering = build_ordering(problem, k, seed=0, time_limit_s=DEFAULT_TUNING.ordering_max_s)
        districts = [np.flatnonzero(outcome.candidate.assignment == d) for d in range(k)]
        # The question a proof asks: a plan with one cut edge fewer than the incumbent's, or than the published
        # optimum's when the warm start has not reached it (``--aim published``).
        aim_at = warm if aim == "incumbent" else ref["opt_with_contiguity"]
        found = partition_bound(problem, k, ordering, problem.edge_count.astype(float), districts,
                                deadline=start + limit, seed=0, target=aim_at - 1 + 1e-4, threads=threads)
        bound = None if found.bound is None else int(np.ceil(found.bound - 1e-6))
        detail = (f"aim={aim_at:g} master LP {found.master}, {found.iterations} iterations, {found.columns} columns, "
                  f"{found.branches} branches, {found.mixed} rounds at mixed duals ({found.mispriced} mispriced), "
                  f"bound {found.bound}")
    else:
        def runner(backend, model, *, seed, threads=1):
            made = make_runner(backend, model, seed=seed, threads=threads)
            if route == "label-noheur":
                made.set_options({**DEFAULT_TUNING.exact_highs_options, "mip_heuristic_effort": 0.0})
            return made

        original = label_strategy.make_runner
        label_strategy.make_runner = runner
        try:
            label_strategy.run_label(problem, spec, outcome, deadline=start + limit, tuning=DEFAULT_TUNING)
        finally:
            label_strategy.make_runner = original
        bound = outcome.bound
    proven = bound is not None and bound >= outcome.candidate.objective
    return (f"{state} {level} k={k} route={route} warm={warm:g} incumbent={outcome.candidate.objective:g} "
            f"bound={bound} proven={proven} seconds={time.monotonic() - start:.1f} load={os.getloadavg()[0]:.1f} "
            f"published={ref['opt_with_contiguity']} {detail}")


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--only", default="AR,KS", help="states, comma-separated")
    cli.add_argument("--route", choices=ROUTES, default="label")
    cli.add_argument("--time-limit", type=float, default=150.0)
    cli.add_argument("--level", choices=("county", "tract"), default="county")
    cli.add_argument("--threads", type=int, default=1, help="partition: pricing MIPs run at once")
    cli.add_argument("--aim", choices=("incumbent", "published"), default="incumbent",
                     help="partition: prove the incumbent, or the published optimum when the warm start is above it")
    args = cli.parse_args(argv)
    for state in args.only.split(","):
        print(measure(state.strip(), args.route, args.time_limit, args.level, threads=args.threads, aim=args.aim),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
