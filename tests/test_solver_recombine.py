"""When the labelling model is too large, solve() keeps improving the heuristic plan until the deadline."""
from __future__ import annotations

import math
import random
import time

import numpy as np
import pytest

from solver import Spec, solve, verify
from solver.heuristic import Candidate, improve_edges_until, is_feasible, tree_split
from solver.objective import evaluate, imbalance
from solver.problem import build_problem
from solver.tuning import Tuning
from solver_fixtures import assignment_invariants, planar_graph


def cut_edges(graph, assignment) -> int:
    return sum(assignment[str(u)] != assignment[str(v)] for u, v in graph.edges)


@pytest.mark.parametrize(("seed", "k", "facility", "group"), [(1, 4, False, False), (2, 5, True, True)])
def test_recombination_runs_to_the_deadline_and_only_improves(seed, k, facility, group):
    graph = planar_graph(120, seed=seed)
    nodes = sorted(graph.nodes)
    if facility:
        for u in nodes[::9]:
            graph.nodes[u]["facility"] = 1
    if group:
        u, v = sorted(graph.edges)[7]
        graph.nodes[u]["group"] = graph.nodes[v]["group"] = "楼盘A"
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.floor(total / k * 1.05), min_population=math.ceil(total / k * 0.95),
                districts=k, objective="cut-edges", require_facility=facility, time_limit_s=3.0, seed=seed)
    started = time.monotonic()
    plan = solve(graph, spec, tuning=Tuning(max_label_rows=0))   # pretend the labelling model is too large
    elapsed = time.monotonic() - started
    assert plan.status == "feasible" and plan.bound is None
    assignment_invariants(graph, spec, plan)
    assert verify(graph, spec, plan.assignment) == []
    assert plan.objective == cut_edges(graph, plan.assignment)
    stages = {a["stage"]: a for a in plan.attempts}
    assert stages["mip"]["status"] == "skipped"
    recombination = stages["recombination"]
    assert recombination["steps"] > 0 and "time budget" in recombination["detail"]
    assert plan.objective <= stages["heuristic"]["objective"]
    assert 2.0 <= elapsed <= 6.0   # used the budget, and stopped near it


def _poor_plan(problem, k: int, *, seed: int) -> tuple[np.ndarray, Candidate]:
    """A valid but poor plan (random tree growth, no local search) and its candidate."""
    start = tree_split(problem, k, random.Random(seed), require_facility=False)
    assert start is not None and is_feasible(problem, start, k, False)
    value, centres = evaluate(problem, start, "cut-edges", k)
    return start, Candidate(start, value, imbalance(problem, start, k), tuple(centres))


def test_recombination_improves_a_poor_start():
    """A deliberately poor plan (growth without local search) gets fewer cut edges, stays valid."""
    graph = planar_graph(150, seed=9)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 5 * 1.1, min_population=total / 5 * 0.9, districts=5, objective="cut-edges")
    problem = build_problem(graph, spec)
    start, poor = _poor_plan(problem, 5, seed=0)
    better, steps = improve_edges_until(problem, poor, 5, "cut-edges", require_facility=False, seed=0,
                                        deadline=time.monotonic() + 1.5)
    assert steps > 0
    assert better.objective < poor.objective
    assert is_feasible(problem, better.assignment, 5, False)
    assert better.objective == evaluate(problem, better.assignment, "cut-edges", 5)[0]
    assert np.array_equal(poor.assignment, start)  # the input plan is not modified


def test_step_capped_recombination_with_several_splits_is_repeatable():
    """The warm-start form (a step cap, best of four splits per step) gives the same plan on every run."""
    graph = planar_graph(120, seed=4)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 4 * 1.05, min_population=total / 4 * 0.95, districts=4, objective="cut-edges")
    problem = build_problem(graph, spec)
    _, poor = _poor_plan(problem, 4, seed=1)
    runs = [improve_edges_until(problem, poor, 4, "cut-edges", require_facility=False, seed=3,
                                deadline=time.monotonic() + 60, max_steps=300, splits_per_step=4) for _ in range(2)]
    assert [steps for _, steps in runs] == [300, 300]
    assert np.array_equal(runs[0][0].assignment, runs[1][0].assignment)
    assert runs[0][0].objective <= poor.objective
    assert is_feasible(problem, runs[0][0].assignment, 4, False)
