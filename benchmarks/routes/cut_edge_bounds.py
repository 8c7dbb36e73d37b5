"""Three more routes to a cut-edges proof, measured in session 16 (issue 13 item 3) and not kept.

    python benchmarks/routes/cut_edge_bounds.py LA --route hess-shir --time-limit 300 --threads 2
    python benchmarks/routes/cut_edge_bounds.py AR --route root-boundary --rows aggregate --time-limit 120
    python benchmarks/routes/cut_edge_bounds.py LA --route root-sets --time-limit 60

Every route asks the question the proof asks once the warm start is at the published optimum: is there a
plan with fewer cut edges? Each model is cut off at (published optimum − 1); "infeasible" is the proof.

* ``hess-shir``: Validi & Buchanan's fastest model on Louisiana (Gurobi 91.5 s on 10 cores): the Hess
  model, a district's centre its first atom in ``solver.ordering``'s order, x[a,c] only where a comes after
  c and is within U by population along atoms after c, cut edges y_e ≥ |x[u,c] − x[v,c]|, and Shirabe's
  flow from each centre.
* ``root-sets``: the same model once per set of k roots (the ordering's fixed roots plus k − |fixed| of the
  other front atoms), one thread each: the time of each part.
* ``root-boundary``: today's labelling model with a *root boundary* bound. b(r), the least boundary of a
  connected district in the band whose first atom is r (a small MIP per front atom, stopped after
  ``--root-time`` s, its bound rounded up), bounds the boundary of the district r roots. ``--rows
  per-district``: Σ_e w_e (z[e,j] + z'[e,j]) ≥ Σ_r b(r) r[r,j] with z' the other side of each cut edge;
  ``--rows aggregate``: the one row 2 Σ_{e,j} w_e z[e,j] ≥ Σ_{r,j} b(r) r[r,j]. ``--lp-only`` prints the
  root LP instead.

Prints one line per run: route, status, bound, seconds.
"""
from __future__ import annotations

import argparse
import heapq
import itertools
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import highspy  # noqa: E402
import numpy as np  # noqa: E402

import solver  # noqa: E402
from benchmarks import instances  # noqa: E402
from solver.label_model import build_label  # noqa: E402
from solver.linear import HighsRunner, LinearModel, RunState  # noqa: E402
from solver.ordering import Ordering, build_ordering  # noqa: E402
from solver.problem import Problem, build_problem  # noqa: E402
from solver.tuning import DEFAULT_TUNING  # noqa: E402


def load(state: str, level: str) -> tuple[Problem, int, int]:
    ref = instances.cut_edge_reference()[(state, level)]
    graph = instances.read_json_graph(instances.cut_edge_instance_path(state, level), population_attr="TOTPOP")
    total = sum(d["TOTPOP"] for _, d in graph.nodes(data=True))
    low, high = instances.population_band(total, ref["k"])
    spec = solver.Spec(max_population=high, min_population=low, districts=ref["k"], objective="cut-edges",
                       population_attr="TOTPOP", group_attr=None)
    return build_problem(graph, spec), ref["k"], int(ref["opt_with_contiguity"])


def reachable(problem: Problem, ordering: Ordering, root: int) -> list[int]:
    """Atoms a district rooted at ``root`` can hold: after it in the order, within U by population."""
    pop, pos = problem.atom_population, ordering.position
    dist = {root: float(pop[root])}
    heap = [(dist[root], root)]
    while heap:
        d, a = heapq.heappop(heap)
        if d > dist[a]:
            continue
        for b in problem.atom_neighbours[a]:
            nd = d + float(pop[b])
            if pos[b] > pos[root] and nd <= problem.max_population and nd < dist.get(b, math.inf):
                dist[b] = nd
                heapq.heappush(heap, (nd, b))
    return sorted(dist)


def front_roots(problem: Problem, ordering: Ordering) -> dict[int, list[int]]:
    """Front atom → the atoms its district can hold, for those that can reach the floor at all."""
    out = {}
    for r in ordering.order[: ordering.back_start].tolist():
        atoms = reachable(problem, ordering, int(r))
        if problem.atom_population[atoms].sum() >= problem.min_population:
            out[int(r)] = atoms
    return out


def hess_shir(problem: Problem, k: int, ordering: Ordering) -> tuple[LinearModel, dict[int, int]]:
    """The Hess–Shirabe model; returns it and each centre's y column."""
    roots = front_roots(problem, ordering)
    col = {(a, c): None for c, atoms in roots.items() for a in atoms}
    col = {key: i for i, key in enumerate(sorted(col, key=lambda t: (t[1], t[0])))}
    n_x, n_e = len(col), len(problem.edge_u)
    eu, ev = problem.edge_u.tolist(), problem.edge_v.tolist()
    arcs = [(c, s, t) for c in roots for u, v in zip(eu, ev) if (u, c) in col and (v, c) in col
            for s, t in ((u, v), (v, u))]
    n = n_x + n_e + len(arcs)
    cap = float(ordering.max_atoms - 1)
    cost = np.zeros(n)
    cost[n_x: n_x + n_e] = problem.edge_count
    upper = np.ones(n)
    upper[n_x + n_e:] = cap
    integer = np.zeros(n, dtype=bool)
    integer[:n_x] = True
    model = LinearModel(cost=cost, lower=np.zeros(n), upper=upper, integer=integer)
    pop, low, high = problem.atom_population, problem.min_population, problem.max_population
    rows = []
    for a in range(problem.n_atoms):
        cols = [col[(a, c)] for c in roots if (a, c) in col]
        rows.append((cols, [1.0] * len(cols), 1.0, 1.0))
    rows.append(([col[(c, c)] for c in roots], [1.0] * len(roots), k, k))
    for j in range(len(ordering.fixed_roots)):
        rows.append(([col[(int(ordering.order[j]), int(ordering.order[j]))]], [1.0], 1.0, 1.0))
    for c, atoms in roots.items():
        cols = [col[(a, c)] for a in atoms]
        rows.append((cols, [float(pop[a]) - (high if a == c else 0.0) for a in atoms], -np.inf, 0.0))
        rows.append((cols, [float(pop[a]) - (low if a == c else 0.0) for a in atoms], 0.0, np.inf))
        rows += [([col[(a, c)], col[(c, c)]], [1.0, -1.0], -np.inf, 0.0) for a in atoms if a != c]
    for e, (u, v) in enumerate(zip(eu, ev)):
        for c in roots:
            xu, xv = col.get((u, c)), col.get((v, c))
            for one, other in ((xu, xv), (xv, xu)):
                if one is not None:
                    extra = [] if other is None else [other]
                    rows.append(([n_x + e, one] + extra, [1.0, -1.0] + [1.0] * len(extra), 0.0, np.inf))
    inflow: dict[tuple[int, int], list[int]] = {}
    outflow: dict[tuple[int, int], list[int]] = {}
    for i, (c, s, t) in enumerate(arcs):
        inflow.setdefault((t, c), []).append(n_x + n_e + i)
        outflow.setdefault((s, c), []).append(n_x + n_e + i)
    for (a, c), x in col.items():
        into, out = inflow.get((a, c), []), outflow.get((a, c), [])
        if a == c:
            if into:
                rows.append((into, [1.0] * len(into), 0.0, 0.0))
            continue
        rows.append((into + out + [x], [1.0] * len(into) + [-1.0] * len(out) + [-1.0], 0.0, 0.0))
        rows.append((into + [x], [1.0] * len(into) + [-cap], -np.inf, 0.0))
    model.add_row_list(rows)
    return model, {c: col[(c, c)] for c in roots}


def least_boundary(problem: Problem, ordering: Ordering, root: int, atoms: list[int], *, time_limit_s: float,
                   threads: int) -> float:
    """A lower bound (rounded up) on the boundary of a connected district in the band rooted at ``root``."""
    index = {a: i for i, a in enumerate(atoms)}
    n_a = len(atoms)
    eu, ev, w = problem.edge_u.tolist(), problem.edge_v.tolist(), problem.edge_count
    inner = [e for e in range(len(eu)) if eu[e] in index and ev[e] in index]
    n_i = len(inner)
    cost = np.zeros(n_a + 3 * n_i)
    for e in range(len(eu)):   # an edge leaving the reachable atoms is cut whenever its inside end is in
        if (eu[e] in index) != (ev[e] in index):
            cost[index[eu[e]] if eu[e] in index else index[ev[e]]] += w[e]
    cost[n_a: n_a + n_i] = w[inner]
    big = float(min(ordering.max_atoms, n_a) - 1)
    upper = np.ones(len(cost))
    upper[n_a + n_i:] = max(big, 0.0)
    lower = np.zeros(len(cost))
    lower[index[root]] = 1.0
    integer = np.zeros(len(cost), dtype=bool)
    integer[:n_a] = True
    model = LinearModel(cost=cost, lower=lower, upper=upper, integer=integer)
    rows = [(list(range(n_a)), problem.atom_population[atoms].tolist(), problem.min_population, problem.max_population)]
    flows: list[list[tuple[int, float]]] = [[] for _ in range(n_a)]
    for j, e in enumerate(inner):
        u, v, c = index[eu[e]], index[ev[e]], n_a + j
        rows += [([c, u, v], [1.0, -1.0, 1.0], 0.0, np.inf), ([c, u, v], [1.0, 1.0, -1.0], 0.0, np.inf)]
        forward, backward = n_a + n_i + 2 * j, n_a + n_i + 2 * j + 1
        flows[v] += [(forward, 1.0), (backward, -1.0)]
        flows[u] += [(backward, 1.0), (forward, -1.0)]
    for a in range(n_a):
        into = [col for col, sign in flows[a] if sign > 0]
        if a == index[root]:
            if into:
                rows.append((into, [1.0] * len(into), 0.0, 0.0))
            continue
        rows.append(([col for col, _ in flows[a]] + [a], [s for _, s in flows[a]] + [-1.0], 0.0, 0.0))
        rows.append((into + [a], [1.0] * len(into) + [-big], -np.inf, 0.0))
        near = [index[b] for b in problem.atom_neighbours[atoms[a]] if b in index]
        rows.append(([a] + near, [1.0] + [-1.0] * len(near), -np.inf, 0.0))
    model.add_row_list(rows)
    runner = HighsRunner(model, seed=0, threads=threads)
    runner.set_options(dict(DEFAULT_TUNING.exact_highs_options))
    result = runner.run(time_limit_s=time_limit_s, start=None)
    if result.state == RunState.INFEASIBLE:
        return math.inf
    return float(math.ceil(result.bound - 1e-6))


def add_root_boundary(label, problem: Problem, b: dict[int, float], rows_kind: str) -> None:
    model, k, n_e = label.model, label.k, len(problem.edge_u)
    w = problem.edge_count.tolist()
    live = {j: [a for a in b if model.upper[label.r(a, j)] > 0.5 and math.isfinite(b[a])] for j in range(k)}
    if rows_kind == "aggregate":
        cols = [label.z(e, j) for e in range(n_e) for j in range(k)]
        vals = [2.0 * w[e] for e in range(n_e) for _ in range(k)]
        for j in range(k):
            cols += [label.r(a, j) for a in live[j]]
            vals += [-b[a] for a in live[j]]
        model.add_row_list([(cols, vals, 0.0, np.inf)])
        return
    first = model.add_columns(np.zeros(n_e * k), np.zeros(n_e * k), np.ones(n_e * k), np.zeros(n_e * k, dtype=bool))
    rows = []
    for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
        rows += [([first + e * k + j, label.x(v, j), label.x(u, j)], [1.0, -1.0, 1.0], 0.0, np.inf) for j in range(k)]
        rows.append(([label.z(e, j) for j in range(k)] + [first + e * k + j for j in range(k)],
                     [1.0] * k + [-1.0] * k, 0.0, 0.0))
    for j in range(k):
        cols = [label.z(e, j) for e in range(n_e)] + [first + e * k + j for e in range(n_e)]
        rows.append((cols + [label.r(a, j) for a in live[j]], w + w + [-b[a] for a in live[j]], 0.0, np.inf))
    model.add_row_list(rows)


def proof_runner(model: LinearModel, optimum: int, *, threads: int) -> HighsRunner:
    """The proof's HiGHS options, cut off below the published optimum: "infeasible" proves it."""
    runner = HighsRunner(model, seed=0, threads=threads)
    runner.set_options(dict(DEFAULT_TUNING.proof_highs_options))
    runner.h.setOptionValue("objective_bound", optimum - 1 + 1e-6)
    return runner


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("state")
    cli.add_argument("--level", choices=("county", "tract"), default="county")
    cli.add_argument("--route", choices=("hess-shir", "root-sets", "root-boundary"), required=True)
    cli.add_argument("--rows", choices=("per-district", "aggregate"), default="per-district")
    cli.add_argument("--neighbour-rows", action="store_true", help="root-boundary: keep the labelling model's neighbour rows")
    cli.add_argument("--root-time", type=float, default=3.0, help="root-boundary: seconds for each b(r)")
    cli.add_argument("--lp-only", action="store_true")
    cli.add_argument("--time-limit", type=float, default=300.0)
    cli.add_argument("--threads", type=int, default=2)
    args = cli.parse_args(argv)
    if args.threads > 1:
        highspy.Highs.resetThreadScheduler(False)
    started = time.monotonic()
    problem, k, optimum = load(args.state, args.level)
    ordering = build_ordering(problem, k, seed=0, time_limit_s=DEFAULT_TUNING.ordering_max_s)
    head = f"{args.state} {args.level} k={k} route={args.route}"
    if args.route == "root-boundary":
        roots = front_roots(problem, ordering)
        b = {r: least_boundary(problem, ordering, r, atoms, time_limit_s=args.root_time, threads=args.threads)
             for r, atoms in roots.items()}
        head += f" rows={args.rows} b(r)={sorted(b.values())} in {time.monotonic() - started:.1f}s"
        label = build_label(problem, k, "cut-edges", ordering=ordering, require_facility=False, tie_reference=None,
                            tie_break=False, neighbour_rows=args.neighbour_rows)
        if args.lp_only:
            label.model.integer[:] = False
            before = HighsRunner(label.model, seed=0).run(time_limit_s=120, start=None).objective
            add_root_boundary(label, problem, b, args.rows)
            after = HighsRunner(label.model, seed=0).run(time_limit_s=120, start=None).objective
            print(f"{head} root LP {before:.3f} -> {after:.3f} published={optimum}", flush=True)
            return 0
        add_root_boundary(label, problem, b, args.rows)
        model = label.model
    else:
        model, centre = hess_shir(problem, k, ordering)
    if args.route != "root-sets":
        clock = time.monotonic()
        result = proof_runner(model, optimum, threads=args.threads).run(time_limit_s=args.time_limit, start=None)
        print(f"{head} {result.state} bound={result.bound} proof={time.monotonic() - clock:.1f}s "
              f"published={optimum}", flush=True)
        return 0
    fixed = [int(ordering.order[j]) for j in range(len(ordering.fixed_roots))]
    free = [c for c in centre if c not in fixed]
    runner = proof_runner(model, optimum, threads=1)
    for number, chosen in enumerate(itertools.combinations(free, k - len(fixed))):
        roots = set(chosen) | set(fixed)
        for c, y in centre.items():
            runner.h.changeColBounds(y, float(c in roots), float(c in roots))
        clock = time.monotonic()
        result = runner.run(time_limit_s=args.time_limit, start=None)
        positions = sorted(int(ordering.position[c]) for c in roots)
        print(f"{head} part {number} roots at {positions}: {result.state} bound={result.bound} "
              f"{time.monotonic() - clock:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
