"""Spec.distance: the inertia objective with a custom distance (e.g. the grids' floor(100·Euclidean))."""
from __future__ import annotations

import math

import networkx as nx
import pytest

from solver import Spec, Tuning, solve, verify
from solver.errors import SpecError
from solver_fixtures import assignment_invariants, brute_force as enumerated_optimum, grid_graph, planar_graph


def _cell(graph: nx.Graph, unit: str) -> tuple[float, float]:
    return graph.nodes[unit]["x"] / 100.0, graph.nodes[unit]["y"] / 100.0


def floored(graph: nx.Graph):
    """The published grid distance: floor(100 · Euclidean distance in cells), never Euclidean on diagonals."""
    def distance(a: str, b: str) -> float:
        (xa, ya), (xb, yb) = _cell(graph, a), _cell(graph, b)
        return float(math.floor(100.0 * math.hypot(xa - xb, ya - yb) + 1e-9))
    return distance


def manhattan(graph: nx.Graph):
    def distance(a: str, b: str) -> float:
        return abs(graph.nodes[a]["x"] - graph.nodes[b]["x"]) + abs(graph.nodes[a]["y"] - graph.nodes[b]["y"])
    return distance


def cost(graph: nx.Graph, spec: Spec, parts: list[list[str]]) -> float:
    """Σ over districts of the least Σ p · d(i, c)² over centres c in the district (independent of solver/)."""
    return sum(min(sum(graph.nodes[i]["population"] * spec.distance(i, c) ** 2 for i in part) for c in part)
               for part in parts)


def brute_force(graph: nx.Graph, spec: Spec, k: int) -> float | None:
    return enumerated_optimum(graph, spec, k, lambda parts: cost(graph, spec, parts))


def plan_parts(plan) -> list[list[str]]:
    return [sorted(u for u, d in plan.assignment.items() if d == label) for label in sorted(set(plan.assignment.values()))]


@pytest.mark.parametrize(("rows", "cols", "k", "which"), [(3, 3, 3, "floored"), (3, 3, 3, "manhattan"),
                                                          (2, 4, 2, "manhattan"), (3, 3, 2, "floored")])
def test_optimal_claim_with_custom_distance_matches_brute_force(rows, cols, k, which):
    graph = grid_graph(rows, cols, seed=rows * 10 + cols, low=1, high=9)
    distance = floored(graph) if which == "floored" else manhattan(graph)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / k * 1.25), districts=k, group_attr=None, time_limit_s=30,
                distance=distance)
    plan = solve(graph, spec)
    assert plan.status == "optimal"
    assignment_invariants(graph, spec, plan)
    assert verify(graph, spec, plan.assignment) == []
    assert plan.objective == pytest.approx(cost(graph, spec, plan_parts(plan)), rel=1e-9)
    assert plan.objective == pytest.approx(brute_force(graph, spec, k), rel=1e-9)


def test_custom_distance_is_never_above_euclidean_when_it_is_shorter():
    """Exact equal-size split of a 3 × 3 grid: floor(100·d) ≤ 100·d, so its optimum is at most the
    Euclidean one measured in the same units (cells 100 m apart)."""
    graph = grid_graph(3, 3, population=1)
    euclid = solve(graph, Spec(max_population=3, min_population=3, districts=3, group_attr=None, time_limit_s=30))
    spec = Spec(max_population=3, min_population=3, districts=3, group_attr=None, time_limit_s=30,
                distance=floored(graph))
    custom = solve(graph, spec)
    assert euclid.status == custom.status == "optimal"
    assert custom.objective <= euclid.objective + 1e-9
    assert custom.objective == pytest.approx(brute_force(graph, spec, 3))
    assert custom.objective == pytest.approx(cost(graph, spec, plan_parts(custom)))


@pytest.mark.parametrize("seed", [31, 32])
def test_reduced_cost_fixing_path_with_custom_distance(seed):
    """The Lagrangian bound and fixing path (normally above ~55 units) uses the custom cost too."""
    graph = planar_graph(8, seed=seed, low=1, high=9)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / 3 * 1.3), districts=3, group_attr=None, time_limit_s=30,
                distance=manhattan(graph))
    plan = solve(graph, spec, tuning=Tuning(small_hess_columns=0))
    assert any(a["stage"] == "lagrangian" for a in plan.attempts)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(brute_force(graph, spec, 3), rel=1e-9)


def test_larger_graph_with_custom_distance_gets_a_verified_plan_costed_with_it():
    graph = planar_graph(80, seed=5)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 4 * 1.1, districts=4, group_attr=None, time_limit_s=20,
                distance=manhattan(graph))
    plan = solve(graph, spec)
    assert plan.status in ("optimal", "feasible")
    assert verify(graph, spec, plan.assignment) == []
    assert plan.objective == pytest.approx(cost(graph, spec, plan_parts(plan)), rel=1e-9)
    assert plan.bound is None or plan.bound <= plan.objective * (1 + 1e-9)


def test_distance_must_be_callable():
    graph = grid_graph(2, 2)
    with pytest.raises(SpecError, match="distance must be a function"):
        solve(graph, Spec(max_population=10**6, districts=1, distance=3.0))


def test_negative_distance_names_the_units():
    graph = grid_graph(2, 2)
    with pytest.raises(SpecError, match=r"r00c00.*negative"):
        solve(graph, Spec(max_population=10**6, districts=2, distance=lambda a, b: -1.0 if a != b else 0.0))
