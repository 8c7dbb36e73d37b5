"""solve(): exact answers on graphs small enough to enumerate, honest statuses, determinism, backends."""
from __future__ import annotations

import math
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Spec, Tuning, solve, verify
from solver_fixtures import assignment_invariants, brute_force as enumerated_optimum, grid_graph, path_graph, planar_graph


# ------------------------------------------------------------------ brute force (independent of solver/)

def _objective(graph: nx.Graph, spec: Spec, parts: list[list[str]]) -> float:
    if spec.objective == "inertia":
        total = 0.0
        for part in parts:
            total += min(sum(graph.nodes[i][spec.population_attr]
                             * ((graph.nodes[i]["x"] - graph.nodes[c]["x"]) ** 2
                                + (graph.nodes[i]["y"] - graph.nodes[c]["y"]) ** 2) for i in part)
                         for c in part)
        return total
    label = {u: d for d, part in enumerate(parts) for u in part}
    value = 0.0
    for u, v, data in graph.edges(data=True):
        if label[u] != label[v]:
            value += 1.0 if spec.objective == "cut-edges" else data["length_m"] * (0.2 if data.get("barrier") else 1.0)
    return value


def brute_force(graph: nx.Graph, spec: Spec, k: int) -> float | None:
    return enumerated_optimum(graph, spec, k, lambda parts: _objective(graph, spec, parts))


def small_graph(seed: int, n: int) -> nx.Graph:
    graph = planar_graph(n, seed=seed, low=1, high=9)
    rng = random.Random(seed)
    nodes = sorted(graph.nodes)
    if rng.random() < 0.5:   # a keep-together group on an edge
        u, v = sorted(graph.edges)[rng.randrange(graph.number_of_edges())]
        graph.nodes[u]["group"] = graph.nodes[v]["group"] = "G"
    for u in nodes:
        graph.nodes[u]["facility"] = int(rng.random() < 0.4)
    return graph


# ------------------------------------------------------------------ hand-drawn


def test_path_splits_at_the_only_feasible_place():
    """a(10) — b(10) — c(10) — d(30): cap 30 forces {a,b,c} | {d}."""
    graph = path_graph([10, 10, 10, 30])
    plan = solve(graph, Spec(max_population=30, time_limit_s=20))
    assert plan.status == "optimal" and plan.districts == 2 and plan.minimum_proven
    assert plan.assignment == {"a": 1, "b": 1, "c": 1, "d": 2}
    assert plan.centres == {1: "b", 2: "d"}
    assert plan.objective == pytest.approx(10 * 100 ** 2 * 2)


def test_auto_proves_minimum_when_the_arithmetic_bound_is_infeasible():
    """a(6) — b(6) — c(6), cap 9: ceil(18/9) = 2 districts cannot be contiguous... but 3 can.

    With 2 districts one of them holds two units = 12 > 9, so k = 2 is infeasible; the exhaustive search
    (or the model) proves it and k = 3 is then the proven minimum.
    """
    graph = path_graph([6, 6, 6])
    plan = solve(graph, Spec(max_population=9, time_limit_s=20))
    assert plan.districts == 3 and plan.status == "optimal"
    assert plan.minimum_proven
    assert [a["status"] for a in plan.attempts if a["districts"] == 2 and a["stage"] in ("exhaustive", "mip")] \
        == ["infeasible"]


def test_contiguity_binds_on_a_star():
    """      b(5)
             |
     c(5) — a(1) — d(5)      cap 11, total 21: ceil(21/11) = 2, but with two districts the leaves
             |                without a fall apart, so k = 2 is infeasible; k = 3: {a,b,c} {d} {e}
            e(5)               (a with any two leaves).
    """
    graph = nx.Graph()
    for uid, pop, x, y in [("a", 1, 0, 0), ("b", 5, 0, 1), ("c", 5, -1, 0), ("d", 5, 1, 0), ("e", 5, 0, -1)]:
        graph.add_node(uid, population=pop, households=1, x=x * 100.0, y=y * 100.0)
    for leaf in "bcde":
        graph.add_edge("a", leaf, length_m=100.0)
    plan = solve(graph, Spec(max_population=11, time_limit_s=20))
    assert plan.districts == 3
    assert plan.minimum_proven and plan.status == "optimal"
    assert [a["status"] for a in plan.attempts if a["districts"] == 2 and a["stage"] in ("exhaustive", "mip")][-1] \
        == "infeasible"
    assignment_invariants(graph, Spec(max_population=11), plan)


def test_barrier_edges_are_cheaper_to_cut():
    """2×2 grid with a road between the columns: the boundary objective cuts along the road."""
    graph = grid_graph(2, 2, population=10)
    for u, v in graph.edges:
        if graph.nodes[u]["x"] != graph.nodes[v]["x"]:
            graph.edges[u, v]["barrier"] = "东城路"
    plan = solve(graph, Spec(max_population=20, districts=2, objective="boundary", time_limit_s=20))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(2 * 100 * 0.2)
    assert plan.assignment["r00c00"] == plan.assignment["r01c00"] != plan.assignment["r00c01"]


def test_disconnected_group_stays_whole():
    """a — b — c — d with a and d in one group: only {a,b,c,d} or a split keeping a, d together."""
    graph = path_graph([5, 5, 5, 5])
    graph.nodes["a"]["group"] = graph.nodes["d"]["group"] = "村组"
    spec = Spec(max_population=20, districts=2, time_limit_s=20)
    plan = solve(graph, spec)
    assert plan.status == "infeasible"  # a and d together force b and c in too


def test_time_limit_is_honest():
    graph = planar_graph(150, seed=5)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 6 * 1.05, districts=6, time_limit_s=1.0)
    plan = solve(graph, spec)
    assert plan.runtime_s < 3.0
    assert plan.status in ("feasible", "optimal")
    assert verify(graph, spec, plan.assignment) == []
    if plan.status == "feasible":
        assert plan.gap is None or plan.gap > 0


def test_same_inputs_same_plan():
    graph = planar_graph(40, seed=9)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 3 * 1.1, time_limit_s=30)
    first, second = solve(graph, spec), solve(graph, spec)
    assert first.assignment == second.assignment and first.centres == second.centres
    assert first.objective == second.objective


def test_alternatives_differ():
    graph = planar_graph(30, seed=2)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 3 * 1.1, time_limit_s=20)
    first = solve(graph, spec)
    second = solve(graph, Spec(max_population=total / 3 * 1.1, time_limit_s=20, districts=first.districts,
                               distinct_from=(first.assignment,)))
    assert second.status in ("optimal", "feasible")
    assert verify(graph, Spec(max_population=total / 3 * 1.1, distinct_from=(first.assignment,)),
                  second.assignment) == []
    assert second.objective >= first.objective


# ------------------------------------------------------------------ against brute force

CASES = [(seed, n, k, objective) for seed, n, k, objective in
         [(1, 7, 2, "inertia"), (2, 8, 3, "inertia"), (3, 9, 3, "inertia"), (4, 8, 2, "cut-edges"),
          (5, 9, 3, "cut-edges"), (6, 8, 3, "boundary"), (7, 9, 2, "boundary"), (8, 9, 4, "inertia")]]


@pytest.mark.parametrize(("seed", "n", "k", "objective"), CASES)
def test_optimal_claims_match_brute_force(seed, n, k, objective):
    graph = small_graph(seed, n)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / k * 1.2), districts=k, objective=objective, time_limit_s=30,
                require_facility=seed % 2 == 0)
    plan = solve(graph, spec)
    expected = brute_force(graph, spec, k)
    if expected is None:
        assert plan.status == "infeasible"
        return
    assert plan.status == "optimal"
    assert verify(graph, spec, plan.assignment) == []
    assert plan.objective == pytest.approx(expected, rel=1e-6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(4, 8), k=st.integers(2, 3),
       objective=st.sampled_from(["inertia", "cut-edges", "boundary"]), slack=st.floats(1.0, 1.6))
def test_property_plans_verify_and_optimal_is_optimal(seed, n, k, objective, slack):
    graph = small_graph(seed, n)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / k * slack), districts=k, objective=objective, time_limit_s=20)
    plan = solve(graph, spec)
    expected = brute_force(graph, spec, k)
    if plan.status in ("optimal", "feasible"):
        assert verify(graph, spec, plan.assignment) == []
        assignment_invariants(graph, spec, plan)
    if plan.status == "optimal":
        assert plan.objective == pytest.approx(expected, rel=1e-6)
    if expected is None:
        assert plan.status == "infeasible"
    else:
        assert plan.status == "optimal"  # these are tiny: the solver must finish


@pytest.mark.parametrize("objective", ["inertia", "cut-edges"])
def test_cbc_and_highs_agree(objective):
    graph = planar_graph(16, seed=11)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    plans = [solve(graph, Spec(max_population=total / 2 * 1.1, districts=2, objective=objective, backend=b,
                               time_limit_s=30)) for b in ("highs", "cbc")]
    assert [p.status for p in plans] == ["optimal", "optimal"]
    assert plans[0].objective == pytest.approx(plans[1].objective, rel=1e-6)
    assert plans[1].backend == "cbc" and "CBC" in plans[1].solver_version
    assert "HiGHS" in plans[0].solver_version


def test_larger_random_graphs_give_verified_plans():
    for seed, n, k in [(1, 60, 3), (2, 80, 4)]:
        graph = planar_graph(n, seed=seed)
        total = sum(d["population"] for _, d in graph.nodes(data=True))
        spec = Spec(max_population=total / k * 1.05, districts=k, time_limit_s=10)
        plan = solve(graph, spec)
        assert plan.status in ("optimal", "feasible")
        assignment_invariants(graph, spec, plan)
        assert verify(graph, spec, plan.assignment) == []


@pytest.mark.parametrize("polish", [0, 10**9])
@pytest.mark.parametrize(("seed", "n", "k"), [(21, 8, 2), (22, 9, 3), (23, 9, 4), (24, 8, 3)])
def test_reduced_cost_fixing_path_is_exact(seed, n, k, polish):
    """Force the Lagrangian bound + reduced-cost fixing path (normally used above ~55 units) on graphs
    small enough to enumerate: its optimal claims must still be the brute-force optimum."""
    graph = small_graph(seed, n)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / k * 1.3), districts=k, time_limit_s=30)
    plan = solve(graph, spec, tuning=Tuning(small_hess_columns=0, polish_above_columns=polish))
    expected = brute_force(graph, spec, k)
    assert expected is not None
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(expected, rel=1e-6)
    assert any(a["stage"] == "lagrangian" for a in plan.attempts)


def test_lagrangian_path_matches_the_full_model():
    """60 units: the full Hess model and the fixed (reduced) one prove the same optimum."""
    graph = planar_graph(60, seed=4)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 3 * 1.08, districts=3, time_limit_s=30)
    reduced = solve(graph, spec)
    assert any(a["stage"] == "lagrangian" for a in reduced.attempts)
    full = solve(graph, spec, tuning=Tuning(small_hess_columns=10**9))
    assert not any(a["stage"] == "lagrangian" for a in full.attempts)
    assert reduced.status == full.status == "optimal"
    assert reduced.objective == pytest.approx(full.objective, rel=1e-6)
    assert reduced.bound <= reduced.objective


def test_large_graph_gets_a_verified_plan_with_a_stated_gap_in_time():
    graph = planar_graph(1000, seed=3)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 4 * 1.05, districts=4, time_limit_s=6)
    plan = solve(graph, spec)
    assert plan.runtime_s < 6 + 2.0
    assert plan.status in ("feasible", "optimal")
    assert plan.gap is not None and 0 <= plan.gap < 0.2
    assert plan.bound <= plan.objective
    assert verify(graph, spec, plan.assignment) == []
    assignment_invariants(graph, spec, plan)
