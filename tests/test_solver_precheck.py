"""precheck explains, in plain words, why no plan can exist."""
from __future__ import annotations

import networkx as nx
import pytest

from solver import Spec, precheck, solve
from solver.errors import SpecError
from solver_fixtures import path_graph


def test_feasible_problem_has_no_reasons():
    assert precheck(path_graph([10, 10, 10]), Spec(max_population=20)) == []


def test_unit_above_cap_is_named():
    """a(10) — b(50) — c(10)"""
    reasons = precheck(path_graph([10, 50, 10]), Spec(max_population=20))
    assert any("unit b (单元b) alone has 50 population, above the cap of 20" in r for r in reasons)


def test_group_above_cap_is_named():
    graph = path_graph([10, 10, 10])
    graph.nodes["a"]["group"] = graph.nodes["b"]["group"] = "三期"
    reasons = precheck(graph, Spec(max_population=15))
    assert any("group '三期' (2 units: a, b) has 20 population together" in r for r in reasons)


def test_disconnected_graph_alone_is_no_reason():
    """a — b    c — d   (two parts): each part can have its own districts (tests/test_solver_parts.py)."""
    graph = path_graph([5, 5, 5, 5])
    graph.remove_edge("b", "c")
    assert precheck(graph, Spec(max_population=10)) == []
    reasons = precheck(graph, Spec(max_population=20, districts=1))
    assert any("2 separate parts need at least 2" in r for r in reasons), reasons


def test_too_few_facilities():
    graph = path_graph([10, 10, 10])
    graph.nodes["a"]["facility"] = 1
    reasons = precheck(graph, Spec(max_population=15, require_facility=True))
    assert any("only 1 unit(s) hold one" in r and "at least 2" in r for r in reasons)


def test_floor_no_split_can_meet():
    reasons = precheck(path_graph([10, 10, 10]), Spec(max_population=30, min_population=20, districts=2))
    assert any("2 districts of at least 20 need 40" in r for r in reasons)


def test_auto_with_floor_and_cap_that_exclude_every_k():
    # total 30, cap 14 → at least 3 districts; floor 11 → at most 2.
    reasons = precheck(path_graph([10, 10, 10]), Spec(max_population=14, min_population=11))
    assert any("no number of districts can work" in r for r in reasons)


def test_more_districts_than_units():
    reasons = precheck(path_graph([1, 1]), Spec(max_population=10, districts=3))
    assert any("only 2 units" in r for r in reasons)


def test_fixed_k_too_small_for_the_cap():
    reasons = precheck(path_graph([10, 10, 10]), Spec(max_population=10, districts=2))
    assert any("2 districts of at most 10 cannot hold 30" in r for r in reasons)


def test_solve_returns_the_reasons_as_infeasible():
    plan = solve(path_graph([10, 50, 10]), Spec(max_population=20))
    assert plan.status == "infeasible" and plan.assignment == {}
    assert any("alone has 50" in r for r in plan.reasons)


@pytest.mark.parametrize(("spec", "match"), [
    (dict(max_population=0), "max_population must be a positive"),
    (dict(max_population=10, min_population=20), "exceeds max_population"),
    (dict(max_population=10, districts=0), "districts must be a positive integer"),
    (dict(max_population=10, objective="compact"), "objective must be one of"),
    (dict(max_population=10, backend="gurobi"), "backend must be"),
    (dict(max_population=10, time_limit_s=0), "time_limit_s"),
    (dict(max_population=10, threads=0), "threads must be a whole number"),
    (dict(max_population=10, threads=True), "threads must be a whole number"),
])
def test_bad_spec_is_an_error(spec, match):
    with pytest.raises(SpecError, match=match):
        precheck(path_graph([1, 1]), Spec(**spec))


def test_missing_population_names_the_unit():
    graph = nx.Graph()
    graph.add_node("u1", x=0.0, y=0.0)
    with pytest.raises(ValueError, match="unit 'u1' has no 'population' attribute"):
        solve(graph, Spec(max_population=10))
