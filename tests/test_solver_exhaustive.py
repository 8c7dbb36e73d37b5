"""The exhaustive search over whole districts and the first-plan mode, against enumeration."""
from __future__ import annotations

import time

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import Spec, Tuning, solve, verify
from solver.exhaustive import exhaustive_search
from solver.problem import build_problem
from solver_fixtures import assignment_invariants, band, banded_graph, feasible_plans, path_graph


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(4, 9), k=st.integers(2, 4), slack=st.floats(0.0, 0.6),
       group=st.booleans(), facility=st.booleans(), floor=st.booleans())
def test_search_finds_a_plan_exactly_when_one_exists(seed, n, k, slack, group, facility, floor):
    graph = banded_graph(seed, n, group=group, facility=facility)
    low, high = band(graph, k, slack)
    spec = Spec(max_population=high, min_population=low if floor else None, districts=k, require_facility=facility)
    exists = next(feasible_plans(graph, spec, k), None) is not None
    found = exhaustive_search(build_problem(graph, spec), k, require_facility=facility,
                              deadline=time.monotonic() + 30)
    assert found.status == ("plan" if exists else "none")
    if found.status == "plan":
        problem = build_problem(graph, spec)
        assignment = {uid: int(found.assignment[problem.unit_atom[i]]) + 1 for i, uid in enumerate(problem.unit_ids)}
        assert verify(graph, spec, assignment) == []


def test_search_gives_up_at_its_deadline():
    """A spent budget ends the search as "unknown": never a plan or a proof it did not finish."""
    graph = banded_graph(3, 9, group=False, facility=False)
    low, high = band(graph, 3, 0.3)
    found = exhaustive_search(build_problem(graph, Spec(max_population=high, min_population=low, districts=3)), 3,
                              require_facility=False, deadline=time.monotonic() - 1)
    assert found.status == "unknown" and found.assignment is None


def test_no_plan_when_the_band_falls_between_the_sums():
    """a(5) — b(5) — c(5) — d(5): two districts of 7..9 cannot be formed (sums are 5, 10, 15): proven."""
    graph = path_graph([5, 5, 5, 5])
    plan = solve(graph, Spec(max_population=9, min_population=7, districts=2, time_limit_s=10))
    assert plan.status == "infeasible"
    assert any(a["stage"] in ("exhaustive", "mip") and a["status"] == "infeasible" for a in plan.attempts) \
        or plan.reasons


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 9), k=st.integers(2, 3), slack=st.floats(0.0, 0.4),
       objective=st.sampled_from(["inertia", "cut-edges"]))
def test_first_plan_answers_yes_or_no_correctly(seed, n, k, slack, objective):
    graph = banded_graph(seed, n, group=seed % 2 == 0, facility=False)
    low, high = band(graph, k, slack)
    spec = Spec(max_population=high, min_population=low, districts=k, objective=objective, first_plan=True,
                time_limit_s=20)
    plan = solve(graph, spec)
    exists = next(feasible_plans(graph, spec, k), None) is not None
    if exists:
        assert plan.status == "feasible" and plan.bound is None  # a first plan is never called optimal
        assignment_invariants(graph, spec, plan)
    else:
        assert plan.status == "infeasible"


@pytest.mark.parametrize("objective", ["inertia", "cut-edges"])
def test_models_alone_still_prove_contiguity_infeasible(objective):
    """Without the exhaustive search, each model proves k = 2 impossible on a star (cap 11, total 21)."""
    graph = nx.star_graph(4)
    graph = nx.relabel_nodes(graph, {i: "abcde"[i] for i in range(5)})
    for uid in graph.nodes:
        graph.nodes[uid].update(population=1 if uid == "a" else 5, x=float(ord(uid)), y=0.0)
    plan = solve(graph, Spec(max_population=11, districts=2, objective=objective, time_limit_s=20),
                 tuning=Tuning(exhaustive_max_atoms=0))
    assert plan.status == "infeasible"
    assert [a["stage"] for a in plan.attempts if a["status"] == "infeasible"] == ["mip"]
