"""Benchmark: minimum cut edges, contiguous, ±0.5 % (Validi & Buchanan, Math. Prog. Computation 2022).

    python benchmarks/bench_cut_edges.py [--time-limit 60] [--only ME,NM,ID] [--level county|tract]
                                         [--no-peers] [--peer-time-limit S]

County instances (default) in the order ME, NM, ID, WV, NE, OK, then the other six; ``--level tract``
runs the tract instances instead. The band is the published one (L = ceil(0.995·P/k),
U = floor(1.005·P/k), cross-checked against SUMMARY_cut_edges_reference.csv). Published optimum and
fastest time come from that file (Gurobi 9.1, 10 cores, 3,600 s limit). GerryChain's short bursts
(benchmarks/peers.py) run after ours on the same instance with the same budget; its plan is verified by
our verifier and its cut edges recounted.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solver  # noqa: E402
from benchmarks import instances, peers, results  # noqa: E402

DEFAULT_TIME_LIMIT_S = 60.0
TRACTS = ("NH", "ID", "ME", "WV", "NM", "NE", "UT", "MS", "AR", "NV")

COLUMNS = (
    ("instance", "instance", str), ("n", "n", results.number), ("k", "k", results.number),
    ("objective", "ours", results.number), ("status", "status", str), ("bound", "bound", results.number),
    ("gap", "gap", results.percent), ("wall_s", "time s", results.seconds), ("verified", "verified", str),
    ("published", "published opt", results.number), ("published_time_s", "published s", results.seconds),
    ("match", "match?", str),
    ("peer_objective", "GerryChain", results.number), ("peer_time_s", "GC best at s", results.seconds),
    ("peer_budget_s", "GC budget s", results.seconds), ("ratio", "GC/ours", lambda v: "–" if v is None else f"{v:.2f}"),
)


def match(record: dict, published: int | None, bounds: str) -> str:
    objective = record.get("objective")
    if not record.get("verified") or objective is None:
        return "no plan"
    if published is None:
        low, high = (int(x) for x in bounds.strip("[]").split(","))
        inside = "inside" if low <= objective <= high else "outside"
        return f"open {bounds}: {inside}"
    objective = round(objective)
    if objective < published:
        return f"BELOW OPTIMUM by {published - objective} (check!)"
    if objective == published:
        return "yes, proven" if record["status"] == "optimal" else "= opt, not proven"
    return f"no (+{objective - published})"


def main(argv: list[str] | None = None) -> int:
    cli = results.parser(__doc__.splitlines()[0], default_time_limit=f"{DEFAULT_TIME_LIMIT_S:g}")
    results.add_peer_flags(cli)
    cli.add_argument("--level", choices=("county", "tract"), default="county")
    args = cli.parse_args(argv)
    results.configure_logging(args.verbose)
    time_limit = args.time_limit or DEFAULT_TIME_LIMIT_S
    peer_limit = args.peer_time_limit or time_limit
    reference = instances.cut_edge_reference()
    names = instances.CUT_EDGE_COUNTIES if args.level == "county" else TRACTS
    rows = []
    for state in results.select(list(names), args.only):
        ref = reference[(state, args.level)]
        graph = instances.read_json_graph(instances.cut_edge_instance_path(state, args.level), population_attr="TOTPOP")
        total = sum(d["TOTPOP"] for _, d in graph.nodes(data=True))
        low, high = instances.population_band(total, ref["k"])
        if (low, high) != (ref["L"], ref["U"]):
            raise SystemExit(f"{state} {args.level}: band ({low}, {high}) differs from the published "
                             f"({ref['L']}, {ref['U']}); the instance file does not match the reference")
        spec = solver.Spec(max_population=high, min_population=low, districts=ref["k"], objective="cut-edges",
                           population_attr="TOTPOP", group_attr=None, time_limit_s=time_limit,
                           backend=args.backend, seed=args.seed, threads=args.threads)
        record, _ = results.run_ours(graph, spec, recount=lambda a, g=graph: instances.cut_edges(g, a))
        if record.get("objective_recount") is not None and record["objective_recount"] != round(record["objective"]):
            record["violations"].append(f"solver says {record['objective']} cut edges, recount gives "
                                        f"{record['objective_recount']}")
            record["verified"] = False
        row = {"instance": f"{state} {args.level}", "n": graph.number_of_nodes(), "m": graph.number_of_edges(),
               "k": ref["k"], "L": low, "U": high, "published": ref["opt_with_contiguity"],
               "published_bounds": ref["bounds_with_contiguity[LB,UB]"],
               "published_time_s": ref["fastest_time_s"], "published_method": ref["fastest_contiguous_method"],
               "published_no_contiguity": ref["opt_no_contiguity"], **record}
        row["match"] = match(record, ref["opt_with_contiguity"], ref["bounds_with_contiguity[LB,UB]"])
        if not args.no_peers:
            peer = peers.run_gerrychain(graph, population_attr="TOTPOP", districts=ref["k"], min_population=low,
                                        max_population=high, time_limit_s=peer_limit, seed=args.seed)
            add_peer(row, peer, graph, spec, ours=record.get("objective"))
        rows.append(row)
        results.progress(row)
    print()
    print(results.table(rows, COLUMNS))
    path = results.write(f"cut_edges_{args.level}", rows, args=args, out=args.out)
    print(f"\nwritten to {path}")
    return 0


def add_peer(row: dict, peer: peers.PeerResult, graph, spec: solver.Spec, *, ours: float | None) -> None:
    """The peer's numbers beside ours, its plan re-verified and recounted here."""
    row["peer"] = peer.to_dict()
    row["peer_budget_s"] = peer.budget_s
    if not peer.assignment:
        row["peer_objective"] = f"none ({peer.status})"
        return
    violations = results.verify_peer(graph, spec, peer.assignment)
    recount = instances.cut_edges(graph, peer.assignment)
    row["peer"]["verified"] = not violations
    row["peer"]["violations"] = violations
    row["peer"]["recount"] = recount
    row["peer_objective"] = recount if not violations else f"{recount} (invalid)"
    row["peer_time_s"] = peer.time_to_best_s
    if ours and not violations:
        row["ratio"] = recount / ours


if __name__ == "__main__":
    raise SystemExit(main())
