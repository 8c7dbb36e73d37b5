"""Benchmark: moment-of-inertia grids g5–g10 (Validi, Buchanan & Lykhovyd, Operations Research 2022).

    python benchmarks/bench_hess_grids.py [--time-limit 60] [--only g5,g6,g7]

gS is the S × S rook grid, population 1 per cell, k = S districts of exactly S cells each, objective
Σ d(i, centre)² with the published distance d = floor(100 · Euclidean distance between cell centres)
(the authors' gridgen.cpp truncates to an integer). Published optima are Gurobi's, gap 0
(results/grid_output.csv).

The published d is passed to the solver as ``Spec.distance``, so the solver's objective and bound are
the published objective's. The table also shows the plan's objective recomputed independently with the
published d (each district about its best centre cell); "match?" compares that value with the published
optimum.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solver  # noqa: E402
from benchmarks import instances, results  # noqa: E402

DEFAULT_TIME_LIMIT_S = 60.0
SIDES = (5, 6, 7, 8, 9, 10)

COLUMNS = (
    ("instance", "instance", str), ("n", "n", results.number), ("k", "k", results.number),
    ("objective", "ours (objective)", results.number), ("status", "status", str),
    ("bound", "bound", results.number), ("gap", "gap", results.percent),
    ("wall_s", "time s", results.seconds), ("verified", "verified", str),
    ("published_d_objective", "ours (published d)", results.number),
    ("published", "published opt", results.number), ("published_time_s", "published s", results.seconds),
    ("match", "match?", str),
)


def published_times() -> dict[str, float]:
    """Fastest published total time per grid (results/grid_output.csv, models cut and lcut)."""
    import csv

    path = instances.shared_dir() / "hess-or2022" / "results" / "grid_output.csv"
    best: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, skipinitialspace=True):
            name, seconds = row["state"].strip(), float(row["Total Time"])
            best[name] = min(best.get(name, seconds), seconds)
    return best


def match(value: int | None, published: float) -> str:
    if value is None:
        return "no plan"
    # Published values such as 1773005.84 are Gurobi's floating-point report of an integer optimum.
    difference = value - round(published)
    if abs(value - published) < 1:
        return "yes"
    if difference < 0:
        return f"BELOW PUBLISHED by {-difference} (check!)"
    return f"no (+{difference}, {difference / published:.2%})"


def main(argv: list[str] | None = None) -> int:
    args = results.parser(__doc__.splitlines()[0], default_time_limit=f"{DEFAULT_TIME_LIMIT_S:g}").parse_args(argv)
    results.configure_logging(args.verbose)
    time_limit = args.time_limit or DEFAULT_TIME_LIMIT_S
    times = published_times()
    rows = []
    for name in results.select([f"g{s}" for s in SIDES], args.only):
        side = int(name[1:])
        graph = instances.grid_instance(side)
        cells = {str(n): (int(d["row"]), int(d["col"])) for n, d in graph.nodes(data=True)}
        spec = solver.Spec(max_population=side, min_population=side, districts=side, objective="inertia",
                           group_attr=None, time_limit_s=time_limit, backend=args.backend, seed=args.seed,
                           distance=lambda a, b, cells=cells: instances.grid_distance(cells[a], cells[b]))
        record, plan = results.run_ours(graph, spec)
        row = {"instance": name, "n": side * side, "k": side, "published": instances.GRID_OPTIMA[side],
               "published_time_s": times.get(name), **record}
        if plan.assignment:
            value, centres = instances.grid_objective(graph, plan.assignment)
            row["published_d_objective"] = value
            row["published_d_centres"] = centres
            row["assignment"] = dict(sorted(plan.assignment.items()))
        row["match"] = match(row.get("published_d_objective"), instances.GRID_OPTIMA[side])
        rows.append(row)
        results.progress(row)
    print()
    print(results.table(rows, COLUMNS))
    path = results.write("hess_grids", rows, args=args, out=args.out)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
