"""Options that differ by a share of the residents (``Spec.distinct_share``): enforced in the models,
proven against enumeration on small graphs, and the Hungarian method's dual is exact."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from solver import Spec, moved_population, solve, verify
from solver.difference import hungarian_max
from solver_fixtures import planar_graph
from test_solver_solve import brute_force


def test_hungarian_maximum_and_dual_match_enumeration():
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(1, 6))
        weights = rng.integers(0, 30, size=(n, n)).astype(float)
        best = max(sum(weights[i, p[i]] for i in range(n)) for p in itertools.permutations(range(n)))
        value, u, v = hungarian_max(weights)
        assert value == pytest.approx(best)
        assert u.sum() + v.sum() == pytest.approx(best)          # an optimal dual …
        assert (u[:, None] + v[None, :] >= weights - 1e-9).all()  # … that is feasible
        assert (v >= -1e-12).all()


def _moved_by_enumeration(graph, old, new) -> float:
    """Residents in another district after the best relabelling, by trying every relabelling."""
    labels = sorted(set(new.values()))
    total = sum(graph.nodes[u]["population"] for u in graph.nodes)
    best = 0.0
    for perm in itertools.permutations(sorted(set(old.values()))):
        to_old = dict(zip(labels, perm))
        best = max(best, sum(graph.nodes[u]["population"] for u in graph.nodes if to_old[new[u]] == old[u]))
    return total - best


@pytest.mark.parametrize("seed, objective", [(2, "inertia"), (5, "inertia"), (5, "cut-edges")])
def test_different_option_is_proven_optimal_under_the_share(seed, objective):
    graph = planar_graph(9, seed=seed, low=1, high=9)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    base = Spec(max_population=math.ceil(total / 2 * 1.4), districts=2, objective=objective, time_limit_s=6)
    first = solve(graph, base)
    assert first.status == "optimal"
    spec = Spec(max_population=base.max_population, districts=2, objective=objective, time_limit_s=6,
                distinct_from=(first.assignment,), distinct_share=0.3)
    second = solve(graph, spec)
    expected = brute_force(graph, spec, 2)
    if expected is None:
        assert second.status == "infeasible"
        return
    assert second.status == "optimal"
    assert verify(graph, spec, second.assignment) == []
    assert second.objective == pytest.approx(expected, rel=1e-6)
    moved = _moved_by_enumeration(graph, first.assignment, second.assignment)
    assert moved >= 0.3 * total - 1e-9
    assert moved_population(graph, first.assignment, second.assignment)[0] == pytest.approx(moved)


def test_verifier_flags_an_option_too_similar():
    graph = planar_graph(9, seed=3, low=1, high=9)
    nodes = sorted(graph.nodes)
    old = {u: 1 if i < 4 else 2 for i, u in enumerate(nodes)}
    new = {u: 2 if i < 4 else 1 for i, u in enumerate(nodes)}   # the same split, relabelled
    new[nodes[3]] = 1                                            # one unit moves
    spec = Spec(max_population=1000, distinct_from=(old,), distinct_share=0.5)
    problems = verify(graph, spec, new)
    assert any("another district than earlier plan 1" in p and "at least 50%" in p for p in problems)
