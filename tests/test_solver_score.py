"""``solver.score``: the objective of any plan, from the graph alone, equals the solver's own value."""
from __future__ import annotations

import pytest

from solver import Spec, score, solve
from solver_fixtures import planar_graph


@pytest.mark.parametrize("objective", ["inertia", "boundary"])
def test_score_of_the_solvers_plan_is_its_objective(objective):
    graph = planar_graph(20, seed=6)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 2 * 1.2, districts=2, objective=objective, time_limit_s=5)
    plan = solve(graph, spec)
    assert plan.status in ("optimal", "feasible")
    assert score(graph, spec, plan.assignment) == pytest.approx(plan.objective, rel=1e-9)
    # any other plan scores at least as badly when the plan is optimal
    moved = dict(plan.assignment)
    edge = next((a, b) for a, b in graph.edges if moved[a] != moved[b])
    moved[edge[0]] = moved[edge[1]]
    if plan.status == "optimal":
        assert score(graph, spec, moved) >= plan.objective - 1e-6
