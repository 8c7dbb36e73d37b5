"""Seeded graphs for the solver tests: grids, triangulated grids with jitter (random planar graphs)."""
from __future__ import annotations

import itertools
import math
import random
from typing import Callable

import networkx as nx


def grid_graph(rows: int, cols: int, *, population: int | None = None, seed: int = 0,
               spacing_m: float = 100.0, low: int = 100, high: int = 1000) -> nx.Graph:
    """rows × cols rook grid; node ids 'r{row}c{col}' zero-padded so that string order is row-major."""
    rng = random.Random(seed)
    graph = nx.Graph()
    for r in range(rows):
        for c in range(cols):
            graph.add_node(f"r{r:02d}c{c:02d}", population=population if population is not None else rng.randint(low, high),
                           households=1, x=c * spacing_m, y=r * spacing_m, name=f"单元{r}-{c}")
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                graph.add_edge(f"r{r:02d}c{c:02d}", f"r{r:02d}c{c + 1:02d}", length_m=spacing_m, barrier=None)
            if r + 1 < rows:
                graph.add_edge(f"r{r:02d}c{c:02d}", f"r{r + 1:02d}c{c:02d}", length_m=spacing_m, barrier=None)
    return graph


def planar_graph(n: int, *, seed: int = 0, low: int = 100, high: int = 1000, spacing_m: float = 100.0) -> nx.Graph:
    """A random connected planar graph with about n nodes: a jittered triangulated grid (each cell gets
    one random diagonal) with a few random nodes removed while the graph stays connected."""
    rng = random.Random(seed)
    side = max(2, int(round((n * 1.15) ** 0.5)))
    graph = nx.Graph()
    for r in range(side):
        for c in range(side):
            graph.add_node((r, c))
    for r in range(side):
        for c in range(side):
            if c + 1 < side:
                graph.add_edge((r, c), (r, c + 1))
            if r + 1 < side:
                graph.add_edge((r, c), (r + 1, c))
            if r + 1 < side and c + 1 < side:
                if rng.random() < 0.5:
                    graph.add_edge((r, c), (r + 1, c + 1))
                else:
                    graph.add_edge((r, c + 1), (r + 1, c))
    nodes = sorted(graph.nodes)
    rng.shuffle(nodes)
    for node in nodes:
        if graph.number_of_nodes() <= n:
            break
        trial = graph.copy()
        trial.remove_node(node)
        if nx.is_connected(trial):
            graph = trial
    out = nx.Graph()
    for r, c in sorted(graph.nodes):
        out.add_node(f"u{r * side + c:05d}", population=rng.randint(low, high), households=1,
                     x=(c + rng.uniform(-0.3, 0.3)) * spacing_m, y=(r + rng.uniform(-0.3, 0.3)) * spacing_m,
                     name=f"单元{r}-{c}")
    for (a, b) in sorted(graph.edges):
        ua, ub = f"u{a[0] * side + a[1]:05d}", f"u{b[0] * side + b[1]:05d}"
        out.add_edge(ua, ub, length_m=rng.uniform(20, 150), barrier="某路" if rng.random() < 0.2 else None)
    return out


def path_graph(populations: list[int], *, spacing_m: float = 100.0) -> nx.Graph:
    """Units a, b, c, … in a row, left to right:  a — b — c — …"""
    graph = nx.Graph()
    ids = [chr(ord("a") + i) for i in range(len(populations))]
    for i, (uid, pop) in enumerate(zip(ids, populations)):
        graph.add_node(uid, population=pop, households=pop // 3, x=i * spacing_m, y=0.0, name=f"单元{uid}")
    for u, v in zip(ids, ids[1:]):
        graph.add_edge(u, v, length_m=spacing_m, barrier=None)
    return graph


def assignment_invariants(graph: nx.Graph, spec, plan) -> None:
    """The promises of every returned plan, asserted from the graph alone (not from solver internals)."""
    assert set(plan.assignment) == {str(n) for n in graph.nodes}
    districts = sorted(set(plan.assignment.values()))
    assert districts == list(range(1, plan.districts + 1))
    total_in = sum(graph.nodes[n][spec.population_attr] for n in graph.nodes)
    total_out = 0
    for d in districts:
        members = [n for n in graph.nodes if plan.assignment[str(n)] == d]
        pop = sum(graph.nodes[n][spec.population_attr] for n in members)
        total_out += pop
        assert pop <= spec.max_population + 1e-6
        if spec.min_population is not None:
            assert pop >= spec.min_population - 1e-6
        assert nx.is_connected(graph.subgraph(members))
    assert total_out == total_in


def brute_force(graph: nx.Graph, spec, k: int, objective: Callable[[list[list[str]]], float]) -> float | None:
    """Optimum of ``objective`` over every partition of the nodes into k blocks that passes the solver's
    independent verifier (None if none does). Only for graphs small enough to enumerate."""
    from solver import verify

    nodes = sorted(graph.nodes)
    best = None
    for labels in itertools.product(range(k), repeat=len(nodes) - 1):
        labels = (0, *labels)
        # canonical labelling: district d first appears after district d − 1
        if any(labels[i] > max(labels[:i]) + 1 for i in range(1, len(labels))) or max(labels) != k - 1:
            continue
        assignment = {u: d + 1 for u, d in zip(nodes, labels)}
        if verify(graph, spec, assignment):
            continue
        value = objective([[u for u in nodes if assignment[u] == d + 1] for d in range(k)])
        best = value if best is None else min(best, value)
    return best


def feasible_plans(graph: nx.Graph, spec, k: int):
    """Every partition into k districts that passes the solver's independent verifier (tiny graphs only)."""
    from solver import verify

    nodes = sorted(graph.nodes)
    for labels in itertools.product(range(k), repeat=len(nodes) - 1):
        labels = (0, *labels)
        if any(labels[i] > max(labels[:i]) + 1 for i in range(1, len(labels))) or max(labels) != k - 1:
            continue
        assignment = {u: d + 1 for u, d in zip(nodes, labels)}
        if not verify(graph, spec, assignment):
            yield assignment


def banded_graph(seed: int, n: int, *, group: bool, facility: bool) -> nx.Graph:
    """A small planar graph (populations 1–9) with maybe a keep-together group on one edge and facilities."""
    graph = planar_graph(n, seed=seed, low=1, high=9)
    rng = random.Random(seed)
    if group:
        u, v = sorted(graph.edges)[rng.randrange(graph.number_of_edges())]
        graph.nodes[u]["group"] = graph.nodes[v]["group"] = "G"
    for u in sorted(graph.nodes):
        graph.nodes[u]["facility"] = int(facility and rng.random() < 0.5)
    return graph


def band(graph: nx.Graph, k: int, slack: float) -> tuple[float, float]:
    """(floor, cap) around the mean district population, ± slack."""
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    return math.floor(total / k * (1 - slack)), math.ceil(total / k * (1 + slack))


def household_band_instance(n: int, k: int, seed: int, *, time_limit_s: float = 30):
    """(graph, spec, problem) under a 2026-law-like band: 20–195 households a unit, the cap at 95 % fill for
    k districts and the floor at half the mean."""
    from solver import Spec
    from solver.problem import build_problem

    graph = planar_graph(n, seed=seed, low=20, high=195)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / k / 0.95), min_population=math.floor(total / k * 0.5),
                districts=k, time_limit_s=time_limit_s)
    return graph, spec, build_problem(graph, spec)
