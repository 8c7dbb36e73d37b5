"""Centre probing and the LP-dual fixing behind the inertia proofs: every bound is valid, nothing the
optimum needs is ever removed, and ``solve`` still reaches the optimum of the full Hess model."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
from solver_fixtures import assignment_invariants, planar_graph

from solver import Spec, solve
from solver.centre_probing import _Rows, dual_bound, probe_and_fix
from solver.hess_model import build_hess, hess_cuts
from solver.lagrangian import cost_matrix, fix_over, lagrangian
from solver.linear import HighsRunner
from solver.problem import build_problem
from solver.linear import row_block
from solver.tuning import Tuning


def _instance(n: int, k: int, seed: int, headroom: float = 0.05):
    graph = planar_graph(n, seed=seed)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=math.ceil(total / k * (1 + headroom)), districts=k, objective="inertia",
                time_limit_s=60)
    return graph, spec, build_problem(graph, spec)


def _full_optimum(problem, k: int):
    """The contiguous optimum of the full Hess model (every pair), separator cuts added until connected:
    (Σ cost without the atoms' internal inertia, atom → district, centre units)."""
    hess = build_hess(problem, k, require_facility=False, tie_reference=None)
    runner = HighsRunner(hess.model, seed=0)
    for _ in range(50):
        result = runner.run(time_limit_s=120, start=None)
        assert result.state == "optimal"
        assignment, centres = hess.assignment_from(result.values, problem.n_atoms)
        rows = hess_cuts(problem, hess, assignment, centres)
        if not rows:
            return result.objective * hess.scale, assignment, centres
        runner.add_rows(row_block(rows))
    raise AssertionError("the full model kept returning disconnected plans")


K = 4


@pytest.fixture(scope="module")
def medium():
    graph, spec, problem = _instance(40, K, seed=41)
    value, assignment, centres = _full_optimum(problem, K)
    return graph, spec, problem, value, assignment, centres


def test_dual_bound_is_weak_duality():
    _, _, problem = _instance(30, 3, seed=7)
    hess = build_hess(problem, 3, require_facility=False, tie_reference=None)
    runner = HighsRunner(hess.model, seed=0)
    runner.h.setOptionValue("solve_relaxation", True)
    runner.h.run()
    lp_value = runner.h.getInfo().objective_function_value
    duals = np.asarray(runner.h.getSolution().row_dual)
    rows = _Rows(hess.model)
    at_optimum = dual_bound(rows, duals, hess.model.lower, hess.model.upper)
    assert at_optimum == pytest.approx(lp_value, rel=1e-7)
    rng = np.random.default_rng(3)
    for _ in range(5):
        noisy = duals + rng.normal(scale=0.1 * (np.abs(duals).mean() + 1e-9), size=len(duals))
        assert dual_bound(rows, noisy, hess.model.lower, hess.model.upper) <= lp_value * (1 + 1e-9) + 1e-9


def test_probing_keeps_every_pair_of_the_optimum(medium):
    _, _, problem, value, assignment, centres = medium
    cost = cost_matrix(problem)
    lag = lagrangian(problem, K, upper_bound=value, deadline=time.monotonic() + 10, cost=cost)
    keep = lag.keep.copy()
    pairs = (np.arange(problem.n_atoms), np.asarray(centres)[assignment])
    assert keep[pairs].all()
    reduction = probe_and_fix(problem, K, keep, value, cost=cost, require_facility=False, keep_open=set(),
                              deadline=time.monotonic() + 30, seed=0)
    assert reduction.finished
    assert reduction.closed, "probing closed no centre: the test no longer exercises it"
    assert not set(reduction.closed) & set(centres)
    assert reduction.keep[pairs].all()
    assert reduction.keep.sum() < keep.sum()
    assert reduction.bound is not None and reduction.bound <= value * (1 + 1e-9)


def test_lp_dual_fixing_keeps_the_optimum(medium):
    _, _, problem, value, assignment, centres = medium
    cost = cost_matrix(problem)
    hess = build_hess(problem, K, require_facility=False, tie_reference=None)
    runner = HighsRunner(hess.model, seed=0)
    runner.h.setOptionValue("solve_relaxation", True)
    runner.h.run()
    duals = np.asarray(runner.h.getSolution().row_dual)[: problem.n_atoms] * hess.scale
    allowed = np.ones((problem.n_atoms, problem.n_units), dtype=bool)
    bound, keep = fix_over(problem, K, duals, value, allowed=allowed, cost=cost)
    assert bound <= value * (1 + 1e-9)
    assert keep[np.arange(problem.n_atoms), np.asarray(centres)[assignment]].all()
    assert keep.sum() < allowed.sum()


def test_solve_proves_the_full_model_optimum_through_probing(medium):
    """At this size ``solve`` would take the full model; the thresholds are lowered so that the same
    instance goes through the Lagrangian, probing and the reduced exact model."""
    graph, spec, problem, value, _, _ = medium
    tuning = Tuning(small_hess_columns=100, probe_above_columns=0, probe_max_gap=1.0)
    plan = solve(graph, spec, tuning=tuning)
    assignment_invariants(graph, spec, plan)
    assert any(a["stage"] == "probing" for a in plan.attempts), [a["stage"] for a in plan.attempts]
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(value + float(problem.atom_inertia.sum()), rel=1e-6)
    again = solve(graph, spec, tuning=tuning)
    assert again.assignment == plan.assignment
