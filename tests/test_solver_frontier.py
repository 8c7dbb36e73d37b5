"""The frontier search: the labelling model with every atom off a district border fixed."""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from solver import Spec, label_strategy, solve, verify
from solver.frontier import frontier_atoms, improve_at_frontier
from solver.ordering import build_ordering
from solver.outcome import Outcome, candidate_of
from solver.problem import build_problem
from solver.tuning import DEFAULT_TUNING
from solver_fixtures import grid_graph, planar_graph

ONE_ROUND = dataclasses.replace(DEFAULT_TUNING, frontier_rounds=1, frontier_max_free_share=1.0)


def _grid_case(assignment: np.ndarray, side: int = 6):
    # side × side cells of equal population, four districts of equal size.
    graph = grid_graph(side, side, population=100)
    size = side * side // 4 * 100
    spec = Spec(max_population=size, min_population=size, districts=4, objective="cut-edges", time_limit_s=30)
    problem = build_problem(graph, spec)
    outcome = Outcome(k=4)
    outcome.offer(candidate_of(problem, assignment, spec, 4))
    ordering = build_ordering(problem, 4, seed=0, time_limit_s=5)
    return graph, spec, problem, outcome, ordering


def test_the_frontier_is_the_atoms_on_a_cut_edge():
    graph = grid_graph(1, 5, population=100)
    problem = build_problem(graph, Spec(max_population=300, min_population=100, districts=3))
    assert frontier_atoms(problem, np.array([0, 0, 1, 1, 2])).tolist() == [1, 2, 3, 4]
    assert frontier_atoms(problem, np.zeros(5, dtype=np.int64)).tolist() == []


def test_a_poor_plan_is_improved_and_only_its_frontier_moves():
    # 8 × 8 cells, four districts of 16. Stripes two rows high cut 24 edges; 4 × 4 squares, the optimum,
    # cut 16 but split rows 0 and 7, which are off the stripes' frontier and stay whole.
    stripes = np.arange(64) // 16
    graph, spec, problem, outcome, ordering = _grid_case(stripes, side=8)
    frontier = frontier_atoms(problem, stripes)
    inner = np.setdiff1d(np.arange(64), frontier)
    assert inner.tolist() == list(range(8)) + list(range(56, 64))
    assert outcome.candidate.objective == 24

    settled = improve_at_frontier(problem, spec, outcome, ordering, deadline=time.monotonic() + 30, tuning=ONE_ROUND)

    after = outcome.candidate.assignment
    assert 16 < outcome.candidate.objective < 24 and not settled   # one round, and it improved
    # The districts are relabelled by the model's roots: the inner atoms keep theirs up to that relabelling.
    assert len(set(after[:8].tolist())) == 1 and len(set(after[56:].tolist())) == 1
    plan = {problem.unit_ids[u]: int(after[problem.unit_atom[u]]) + 1 for u in range(problem.n_units)}
    assert verify(graph, spec, plan) == []
    assert sum(1 for u, v in graph.edges if plan[u] != plan[v]) == outcome.candidate.objective
    attempt = outcome.attempts[-1]
    assert attempt["stage"] == "frontier" and attempt["rounds"] == 1 and attempt["free_atoms"] == len(frontier)


def test_an_optimal_plan_is_settled_and_kept():
    rows, cols = np.divmod(np.arange(36), 6)
    squares = (rows // 3) * 2 + cols // 3   # 12 cut edges: the optimum
    _, spec, problem, outcome, ordering = _grid_case(squares)

    settled = improve_at_frontier(problem, spec, outcome, ordering, deadline=time.monotonic() + 30,
                                  tuning=DEFAULT_TUNING)

    assert settled
    assert outcome.candidate.objective == 12
    assert outcome.attempts[-1]["settled"] is True


def test_no_time_settles_nothing():
    blocks = np.arange(36) // 9
    _, spec, problem, outcome, ordering = _grid_case(blocks)
    settled = improve_at_frontier(problem, spec, outcome, ordering, deadline=time.monotonic(), tuning=DEFAULT_TUNING)
    assert not settled and outcome.candidate.objective == 20
    assert outcome.attempts[-1]["rounds"] == 0


def test_solve_proves_a_settled_plan_without_highs_heuristics(monkeypatch):
    options_given, cutoffs, models = [], [], []
    original = label_strategy.make_runner

    def recording(backend, model, *, seed, threads):
        models.append(model)
        runner = original(backend, model, seed=seed, threads=threads)
        setter, cutter = runner.set_options, runner.set_cutoff

        def set_options(options):
            options_given.append(dict(options))
            setter(options)

        def set_cutoff(value):
            cutoffs.append(value)
            return cutter(value)
        runner.set_options, runner.set_cutoff = set_options, set_cutoff
        return runner

    monkeypatch.setattr(label_strategy, "make_runner", recording)
    graph = planar_graph(30, seed=5)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total / 4 * 1.3, min_population=total / 4 * 0.7, districts=4,
                objective="cut-edges", time_limit_s=20)

    # 7.5 atoms a district: column generation would prove this plan first; here the labelling model's proof is tested.
    plan = solve(graph, spec, tuning=dataclasses.replace(DEFAULT_TUNING, partition_share=0.0))

    assert plan.status == "optimal"
    stages = [a["stage"] for a in plan.attempts]
    assert stages.index("regroup") < stages.index("ordering") < stages.index("root LP") < stages.index("frontier") \
        < stages.index("mip")
    # The neighbour rows are kept exactly when they raise the root LP bound.
    root = next(a for a in plan.attempts if a["stage"] == "root LP")
    raised = root["with_rows"] > root["without_rows"] + 1e-6 * max(1.0, root["without_rows"])
    assert root["detail"] == ("neighbour rows kept" if raised else "neighbour rows left out")
    assert root["without_rows"] <= root["with_rows"] + 1e-6 <= plan.objective + 1e-6
    frontier = next(a for a in plan.attempts if a["stage"] == "frontier")
    assert frontier["settled"] is True
    assert options_given == [dict(DEFAULT_TUNING.proof_highs_options)]
    assert options_given[0]["mip_heuristic_effort"] == 0.0
    # Cut off just above a plan one cut edge fewer: the proof's model has no balance tie-break (the last k
    # columns), which would put such a plan up to 0.25 higher.
    assert len(cutoffs) == 1 and plan.objective - 1 < cutoffs[0] < plan.objective - 1 + 1e-3
    assert len(models) == 1 and models[0].cost[-4:].tolist() == [0.0] * 4


def test_a_frontier_that_is_most_of_the_map_is_not_searched():
    blocks = np.arange(36) // 9
    _, spec, problem, outcome, ordering = _grid_case(blocks)
    narrow = dataclasses.replace(DEFAULT_TUNING, frontier_max_free_share=0.5)   # 30 of 36 atoms are free
    settled = improve_at_frontier(problem, spec, outcome, ordering, deadline=time.monotonic() + 30, tuning=narrow)
    assert not settled and outcome.candidate.objective == 20
    assert outcome.attempts[-1]["rounds"] == 0 and outcome.attempts[-1]["free_atoms"] == 30


def _squares_with_one_cell_moved():
    # 6 × 6 cells, districts of 800–1,000: the 3 × 3 squares cut 12 edges, the optimum; cell 18 moved from
    # the lower-left square to the upper-left one cuts 13, one more.
    graph = grid_graph(6, 6, population=100)
    spec = Spec(max_population=1000, min_population=800, districts=4, objective="cut-edges", time_limit_s=30)
    problem = build_problem(graph, spec)
    rows, cols = np.divmod(np.arange(36), 6)
    squares = (rows // 3) * 2 + cols // 3
    moved = squares.copy()
    moved[18] = 0
    ordering = build_ordering(problem, 4, seed=0, time_limit_s=5)
    return graph, spec, problem, ordering, squares, moved


def test_the_proof_run_finds_a_plan_one_cut_edge_better():
    # The cutoff sits between the incumbent and a plan one better: set one too low, the 13 would be "proven".
    graph, spec, problem, ordering, _, moved = _squares_with_one_cell_moved()
    outcome = Outcome(k=4)
    outcome.offer(candidate_of(problem, moved, spec, 4))
    assert outcome.candidate.objective == 13

    label_strategy.run_label(problem, spec, outcome, deadline=time.monotonic() + 30, tuning=DEFAULT_TUNING,
                             ordering=ordering, proof=True)

    assert outcome.candidate.objective == 12 and outcome.bound == 12
    plan = {problem.unit_ids[u]: int(outcome.candidate.assignment[problem.unit_atom[u]]) + 1
            for u in range(problem.n_units)}
    assert verify(graph, spec, plan) == []


def test_nothing_below_the_cutoff_proves_the_incumbent():
    _, spec, problem, ordering, squares, _ = _squares_with_one_cell_moved()
    outcome = Outcome(k=4)
    outcome.offer(candidate_of(problem, squares, spec, 4))

    label_strategy.run_label(problem, spec, outcome, deadline=time.monotonic() + 30, tuning=DEFAULT_TUNING,
                             ordering=ordering, proof=True)

    assert outcome.candidate.objective == 12 and outcome.bound == 12
    assert outcome.candidate.assignment.tolist() == squares.tolist()
    last = outcome.attempts[-1]
    assert last["stage"] == "mip" and last["status"] == "optimal"
    assert last["detail"] == "no better plan below the cutoff"


def test_without_a_warm_start_the_model_runs_alone():
    """No incumbent (the heuristics found none): no frontier search and no root-LP stage, the labelling model
    (with its neighbour rows, which are valid for every plan) finds and proves the optimum on its own."""
    graph = grid_graph(6, 6, population=100)
    spec = Spec(max_population=900, min_population=900, districts=4, objective="cut-edges", time_limit_s=30)
    problem = build_problem(graph, spec)
    outcome = Outcome(k=4)

    label_strategy.optimise_edges(problem, spec, outcome, deadline=time.monotonic() + 30, tuning=DEFAULT_TUNING)

    stages = [a["stage"] for a in outcome.attempts]
    assert "frontier" not in stages and "root LP" not in stages and stages[-1] == "mip"
    assert outcome.candidate is not None and outcome.candidate.objective == 12
    assert outcome.proven(DEFAULT_TUNING.optimal_gap)
