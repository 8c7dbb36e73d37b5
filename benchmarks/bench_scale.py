"""Benchmark: one very large community (issue 13, item 5), ``inertia``, districts = auto.

    /usr/bin/time -v python benchmarks/bench_scale.py [--units 20000] [--districts 5] [--time-limit S]

A seeded Delaunay community (``instances.community_instance``) of ``--units`` units with the cap set so
that ceil(total / cap) = ``--districts``. Goal: a verified plan with a stated gap within 10 minutes and
4 GiB (run it under ``/usr/bin/time -v`` for the peak memory: "Maximum resident set size"), the 10
minutes counted from the start: without ``--time-limit`` the solver gets what is left of them after the
graph is generated, less a margin for checking and writing. The solver's progress log is shown
(``--verbose`` is implied).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solver  # noqa: E402
from benchmarks import instances, results  # noqa: E402

COLUMNS = (
    ("instance", "instance", str), ("n", "n", results.number), ("k", "k", results.number),
    ("objective", "ours (person·m²)", results.number), ("status", "status", str),
    ("bound", "bound", results.number), ("gap", "gap", results.percent), ("build_s", "graph s", results.seconds),
    ("wall_s", "solve s", results.seconds), ("total_s", "total s", results.seconds), ("verified", "verified", str),
)

#: The issue's whole budget (seconds from the start) and what is kept back for the verifier and the JSON.
TOTAL_S = 600.0
MARGIN_S = 15.0


def main(argv: list[str] | None = None) -> int:
    parser = results.parser(__doc__.splitlines()[0], default_time_limit="10 minutes less the graph's generation")
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--districts", type=int, default=5)
    args = parser.parse_args(argv)
    results.configure_logging(True)
    started = time.monotonic()
    graph = instances.community_instance(args.units, seed=11)
    build = time.monotonic() - started
    cap = instances.cap_for(graph, args.districts)
    spec = solver.Spec(max_population=cap, districts="auto", objective="inertia", group_attr=None,
                       time_limit_s=args.time_limit or TOTAL_S - build - MARGIN_S, backend=args.backend,
                       seed=args.seed)
    record, plan = results.run_ours(graph, spec)
    row = {"instance": f"c{args.units}-k{args.districts}", "n": args.units, "k": plan.districts or None,
           "build_s": build, **record, "total_s": time.monotonic() - started}
    results.progress(row | {"match": "–"})
    print()
    print(results.table([row], COLUMNS))
    print(f"\nwritten to {results.write('scale', [row], args=args, out=args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
