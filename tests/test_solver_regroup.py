"""Exact recombination: neighbouring districts re-divided together by the labelling model."""
from __future__ import annotations

import time

import numpy as np

from solver import Spec, solve, verify
from solver.regroup import district_groups, improve_by_groups
from solver.outcome import Outcome, candidate_of
from solver.problem import build_problem
from solver.tuning import DEFAULT_TUNING
from solver_fixtures import grid_graph, planar_graph


def test_a_restricted_problem_keeps_its_atoms_edges_and_band():
    graph = planar_graph(40, seed=3)
    spec = Spec(max_population=9_000, min_population=3_000, districts=4, objective="cut-edges")
    problem = build_problem(graph, spec)
    atoms = np.array([0, 3, 4, 7, 9, 12, 20, 21, 30])
    part = problem.restricted_to(atoms)

    assert part.n_atoms == len(atoms)
    assert np.array_equal(part.atom_population, problem.atom_population[atoms])
    assert part.total_population == problem.atom_population[atoms].sum()
    assert (part.min_population, part.max_population) == (problem.min_population, problem.max_population)
    kept = {(int(atoms[u]), int(atoms[v])) for u, v in zip(part.edge_u, part.edge_v)}
    inside = set(atoms.tolist())
    expected = {(int(u), int(v)) for u, v in zip(problem.edge_u, problem.edge_v) if u in inside and v in inside}
    assert kept == expected
    assert all(u < v for u, v in zip(part.edge_u, part.edge_v))
    for a, neighbours in enumerate(part.atom_neighbours):
        assert {int(atoms[b]) for b in neighbours} == set(problem.atom_neighbours[atoms[a]]) & inside
    assert [part.unit_ids[u] for a in range(part.n_atoms) for u in part.atom_units[a]] == \
        [problem.unit_ids[u] for a in atoms for u in problem.atom_units[a]]


def test_groups_are_the_connected_sets_of_neighbouring_districts():
    graph = grid_graph(1, 5, population=100)
    spec = Spec(max_population=100, min_population=100, districts=5, objective="cut-edges")
    problem = build_problem(graph, spec)
    path = np.arange(5)   # districts in a row: only consecutive ones touch
    assert district_groups(problem, path, 5, 3) == [(0, 1, 2), (1, 2, 3), (2, 3, 4)]
    assert district_groups(problem, path, 5, 2) == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_a_poor_plan_is_improved_and_stays_valid():
    # 6 × 6 cells of equal population, four districts of nine: row-major blocks cut 15 edges, 3 × 3
    # squares 12.
    graph = grid_graph(6, 6, population=100)
    spec = Spec(max_population=900, min_population=900, districts=4, objective="cut-edges", time_limit_s=30)
    problem = build_problem(graph, spec)
    blocks = np.arange(36) // 9
    outcome = Outcome(k=4)
    outcome.offer(candidate_of(problem, blocks, spec, 4))
    start = outcome.candidate.objective

    improve_by_groups(problem, spec, outcome, deadline=time.monotonic() + 30, tuning=DEFAULT_TUNING)

    assert outcome.candidate.objective < start
    plan = {problem.unit_ids[u]: int(outcome.candidate.assignment[problem.unit_atom[u]]) + 1
            for u in range(problem.n_units)}
    assert verify(graph, spec, plan) == []
    recount = sum(1 for u, v in graph.edges if plan[u] != plan[v])
    assert recount == outcome.candidate.objective
    attempt = outcome.attempts[-1]
    assert attempt["stage"] == "regroup" and attempt["improvements"] >= 1


def test_solve_runs_it_on_the_edge_objectives_and_says_so():
    graph = planar_graph(30, seed=5)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 4 * 1.3, min_population=total / 4 * 0.7, districts=4,
                objective="cut-edges", time_limit_s=20)
    plan = solve(graph, spec)
    assert plan.status == "optimal"
    stages = [a["stage"] for a in plan.attempts]
    exact = next(i for i, stage in enumerate(stages) if stage in ("partition", "mip"))
    assert "regroup" in stages and stages.index("regroup") < exact
