"""Where the 2026 law's gap lies (issue 13, item 1): the plan, the bound, or both.

    python benchmarks/diagnose_law_band.py [--seed 201] [--units 400] [--time-limit 60] [--mip-time-limit 1500]

On one training instance (households 20–195 a unit, band 1,000–3,000, k = the fewest; never the suite's
seeds 101–104):

1. ``solve`` for ``--time-limit`` seconds: its plan and stated bound;
2. the Lagrangian bound with fractional knapsacks (= the LP bound) and, continued from its multipliers,
   with knapsacks in whole atoms (the Dantzig–Wolfe bound without contiguity), and whether each of the
   k best districts of the latter is connected (if all are, contiguity cannot raise that bound);
3. with ``--mip-time-limit`` > 0: HiGHS on the Hess model *without* contiguity over the pairs kept by
   reduced-cost fixing, started from step 1's plan, for that long: every improving solution it finds,
   each checked for contiguity, and its final bound (a valid bound on the contiguous optimum too).

Prints its figures; writes nothing.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import solver  # noqa: E402
from benchmarks import instances  # noqa: E402
from solver.hess_model import build_hess  # noqa: E402
from solver.lagrangian import _centre_values, _integer_knapsack, cost_columns, cost_matrix, lagrangian  # noqa: E402
from solver.linear import HighsRunner  # noqa: E402
from solver.problem import build_problem  # noqa: E402

BAND = (1_000, 3_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=201)
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--mip-time-limit", type=float, default=0.0)
    args = parser.parse_args(argv)
    graph = instances.community_instance(args.units, seed=args.seed, low=20, high=195)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    k = math.ceil(total / BAND[1])
    spec = solver.Spec(max_population=BAND[1], min_population=BAND[0], districts=k, objective="inertia",
                       group_attr=None, time_limit_s=args.time_limit, backend="highs")
    plan = solver.solve(graph, spec)
    print(f"seed {args.seed}: {args.units} units, {total} households, k = {k}")
    print(f"1. solve in {plan.runtime_s:.1f} s: plan {plan.objective:.6e}, bound {plan.bound:.6e}, gap {plan.gap:.2%}")

    problem = build_problem(graph, spec)
    constant = float(problem.atom_inertia.sum())
    cost = cost_matrix(problem)
    upper = plan.objective - constant
    clock = time.monotonic()
    fractional = lagrangian(problem, k, upper_bound=upper, deadline=clock + 60, cost=cost, fixing=False,
                            max_iterations=1500)
    whole = lagrangian(problem, k, upper_bound=upper, deadline=time.monotonic() + 120, cost=cost, fixing=False,
                       start=fractional.multipliers, step=0.2, max_iterations=3000, integer=True)
    print(f"2. Lagrangian, fractional knapsacks: {fractional.bound + constant:.6e} ({fractional.iterations} steps); "
          f"whole atoms: {whole.bound + constant:.6e} ({whole.iterations} steps, {time.monotonic() - clock:.0f} s)")
    print(f"   gap of the plan to the whole-atom bound: {(plan.objective - whole.bound - constant) / plan.objective:.2%}")
    atom_graph = nx.Graph()
    atom_graph.add_nodes_from(range(problem.n_atoms))
    atom_graph.add_edges_from(zip(problem.edge_u.tolist(), problem.edge_v.tolist()))
    values, _, _ = _centre_values(cost_columns(problem, cost), whole.multipliers, problem.atom_population,
                                  problem.max_population, problem.unit_atom,
                                  problem.atom_population[problem.unit_atom] <= problem.max_population, k)
    pieces = []
    for c in np.argsort(values, kind="stable")[:k].tolist():
        _, z, _ = _integer_knapsack(cost[:, c] - whole.multipliers, problem.atom_population,
                                    problem.max_population - problem.atom_population[problem.unit_atom[c]],
                                    int(problem.unit_atom[c]))
        z[problem.unit_atom[c]] = 1.0
        pieces.append(nx.number_connected_components(atom_graph.subgraph(np.flatnonzero(z).tolist())))
    print(f"   its {k} best districts: {sum(p == 1 for p in pieces)} connected, {sum(p > 1 for p in pieces)} not")

    if args.mip_time_limit > 0:
        _no_contiguity_mip(problem, plan, k, cost, upper, constant, atom_graph, args.mip_time_limit)
    return 0


def _no_contiguity_mip(problem, plan, k, cost, upper, constant, atom_graph, limit_s: float) -> None:
    fixed = lagrangian(problem, k, upper_bound=upper, deadline=time.monotonic() + 20, cost=cost, max_iterations=1500)
    uid = {u: i for i, u in enumerate(problem.unit_ids)}
    assignment = np.zeros(problem.n_atoms, dtype=np.int64)
    for unit, district in plan.assignment.items():
        assignment[problem.unit_atom[uid[unit]]] = district - 1
    centres = [int(np.argmin(cost[assignment == d].sum(axis=0))) for d in range(k)]
    keep = fixed.keep.copy()
    keep[np.arange(problem.n_atoms), np.asarray(centres)[assignment]] = True
    hess = build_hess(problem, k, require_facility=False, tie_reference=upper, columns=np.nonzero(keep))
    runner = HighsRunner(hess.model, seed=0)
    clock = time.monotonic()
    print(f"3. Hess model without contiguity: {hess.model.n_cols} columns, HiGHS for {limit_s:.0f} s")

    def seen(values: np.ndarray) -> bool:
        found, opened = hess.assignment_from(values, problem.n_atoms)
        value = sum(cost[found == d, opened[d]].sum() for d in range(len(opened))) + constant
        extra = sum(nx.number_connected_components(atom_graph.subgraph(np.flatnonzero(found == d).tolist())) - 1
                    for d in range(len(opened)))
        print(f"   {time.monotonic() - clock:7.1f} s: {value:.6e} ({'contiguous' if extra == 0 else f'{extra} extra pieces'})",
              flush=True)
        return False

    result = runner.run(time_limit_s=limit_s, start=hess.start_from(assignment, centres, problem), on_solution=seen)
    bound = hess.primary_bound(result.bound)
    print(f"   ended {result.state} after {result.runtime_s:.0f} s: bound {bound:.6e}")


if __name__ == "__main__":
    raise SystemExit(main())
