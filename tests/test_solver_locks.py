"""Locks (``Spec.locks``): a label's units share a district, different labels never do; the solver proves
optimality under them (checked against enumeration) and explains locks no plan can honour."""
from __future__ import annotations

import math

import pytest

from solver import Rule, Spec, find_violations, precheck, solve, verify
from solver_fixtures import assignment_invariants, path_graph, planar_graph
from test_solver_solve import brute_force


def _locked_graph(seed: int):
    graph = planar_graph(9, seed=seed, low=1, high=9)
    nodes = sorted(graph.nodes)
    # two far-apart units under one label, a third unit under another
    return graph, {nodes[0]: "东片", nodes[-1]: "东片", nodes[len(nodes) // 2]: "西片"}


@pytest.mark.parametrize("seed, objective", [(1, "inertia"), (2, "inertia"), (3, "cut-edges")])
def test_locked_optimum_matches_enumeration(seed, objective):
    graph, locks = _locked_graph(seed)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / 2 * 1.3), districts=2, objective=objective, locks=locks,
                time_limit_s=6)
    plan = solve(graph, spec)
    expected = brute_force(graph, spec, 2)
    free = brute_force(graph, Spec(max_population=spec.max_population, districts=2, objective=objective), 2)
    if expected is None:
        assert plan.status == "infeasible"
        return
    assert plan.status == "optimal"
    assert verify(graph, spec, plan.assignment) == []
    assignment_invariants(graph, spec, plan)
    a = plan.assignment
    ends = sorted(locks)
    assert a[ends[0]] == a[ends[-1]] != a[sorted(graph.nodes)[len(graph.nodes) // 2]]
    assert plan.objective == pytest.approx(expected, rel=1e-6)
    assert plan.objective >= free - 1e-6   # a lock can only cost


def test_lock_changes_the_plan():
    """a(10) — b(10) — c(10) — d(10), cap 20: free, {a,b}|{c,d}; locking b with c forces another split…
    which does not exist with two districts under the cap, so it is infeasible; with three it is a|bc|d."""
    graph = path_graph([10, 10, 10, 10])
    locks = {"b": "中", "c": "中"}
    assert solve(graph, Spec(max_population=20, districts=2, locks=locks, time_limit_s=10)).status == "infeasible"
    plan = solve(graph, Spec(max_population=20, districts=3, locks=locks, time_limit_s=10))
    assert plan.status == "optimal"
    assert plan.assignment["b"] == plan.assignment["c"]
    assert len({plan.assignment[u] for u in "abcd"}) == 3


def test_apart_locks_raise_auto_district_count():
    graph = path_graph([10, 10, 10, 10])
    locks = {"a": "1", "b": "2", "c": "3"}
    plan = solve(graph, Spec(max_population=40, locks=locks, time_limit_s=10))
    assert plan.status == "optimal" and plan.districts == 3
    assert len({plan.assignment[u] for u in "abc"}) == 3


def test_lock_over_the_cap_is_explained():
    graph = path_graph([10, 10, 10, 10])
    reasons = precheck(graph, Spec(max_population=25, locks={"a": "老街", "b": "老街", "c": "老街"}))
    assert any("'老街'" in r and "30 population" in r and "by 5" in r for r in reasons)


def test_more_labels_than_districts_is_explained():
    graph = path_graph([10, 10, 10, 10])
    reasons = precheck(graph, Spec(max_population=40, districts=2, locks={"a": "1", "b": "2", "c": "3"}))
    assert any("3 lock labels" in r and "only 2" in r for r in reasons)


def test_group_joining_two_labels_is_explained():
    graph = path_graph([10, 10, 10, 10])
    graph.nodes["a"]["group"] = graph.nodes["b"]["group"] = "G"
    reasons = precheck(graph, Spec(max_population=40, districts=2, locks={"a": "1", "b": "2"}))
    assert any("keep-together group joins" in r for r in reasons)


def test_verifier_reports_lock_records():
    graph = path_graph([10, 10, 10, 10])
    spec = Spec(max_population=40, locks={"a": "x", "d": "x", "b": "y", "c": "y"})
    found = find_violations(graph, spec, {"a": 1, "b": 1, "c": 2, "d": 2})
    rules = sorted(v.rule for v in found)
    assert rules == sorted([Rule.LOCK_SPLIT, Rule.LOCK_SPLIT, Rule.LOCKS_TOGETHER, Rule.LOCKS_TOGETHER])
    assert {v.label for v in found if v.rule is Rule.LOCK_SPLIT} == {"x", "y"}
