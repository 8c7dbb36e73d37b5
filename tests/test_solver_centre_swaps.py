"""Swap search over centre units (``solver.centre_swaps``) and Lloyd's iteration on units
(``capacitated_kmeans.unit_descent``): deterministic, never worse than where they start, their value a lower
bound on every plan with those centres; through ``solve`` their plans verify and the bound stays valid."""
from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np
import pytest
from solver_fixtures import household_band_instance, planar_graph

from solver import Spec, solve, verify
from solver.capacitated_kmeans import kmeans_starts, unit_descent
from solver.centre_swaps import swap_centres
from solver.problem import build_problem
from solver.transport import TransportLP
from solver.tuning import Tuning


def _lp_value(problem, centres: list[int]) -> float:
    units = np.asarray(centres)
    return TransportLP(problem, len(centres)).solve(problem.unit_x[units], problem.unit_y[units])[0]


def _best_whole_assignment(problem, centres: list[int]) -> float:
    """Brute force: the cheapest assignment of whole atoms to ``centres`` within the band (no contiguity)."""
    units = np.asarray(centres)
    cost = problem.atom_population[:, None] * ((problem.atom_x[:, None] - problem.unit_x[units][None, :]) ** 2
                                               + (problem.atom_y[:, None] - problem.unit_y[units][None, :]) ** 2)
    best = math.inf
    for labels in itertools.product(range(len(centres)), repeat=problem.n_atoms):
        population = np.bincount(labels, weights=problem.atom_population, minlength=len(centres))
        if (population <= problem.max_population).all() and (population >= problem.min_population).all():
            best = min(best, float(cost[np.arange(problem.n_atoms), labels].sum()))
    return best + float(problem.atom_inertia.sum())


def test_unit_descent_never_ends_above_its_start_and_states_its_centres_value():
    _, _, problem = household_band_instance(80, 4, seed=11)
    lp = TransportLP(problem, 4)
    start = [0, 1, 2, 3]   # four units side by side: a poor start
    value, centres = unit_descent(problem, lp, start, deadline=time.monotonic() + 30)
    assert len(set(centres)) == 4 and centres == sorted(centres)
    assert value <= _lp_value(problem, start) * (1 + 1e-9)
    assert value == pytest.approx(_lp_value(problem, centres), rel=1e-7)
    assert value >= float(problem.atom_inertia.sum())


def test_swap_search_is_deterministic_and_improves_on_a_poor_start():
    _, _, problem = household_band_instance(80, 4, seed=11)
    start = [0, 1, 2, 3]
    descended, _ = unit_descent(problem, TransportLP(problem, 4), start, deadline=time.monotonic() + 30)
    first = swap_centres(problem, 4, start, seed=5, deadline=time.monotonic() + 60, patience=40)
    again = swap_centres(problem, 4, start, seed=5, deadline=time.monotonic() + 60, patience=40)
    assert (first.value, first.centres, first.trials) == (again.value, again.centres, again.trials)
    assert first.trials >= 40 and len(set(first.centres)) == 4
    assert first.improvements >= 1 and first.value < descended * (1 - 1e-6)   # Lloyd alone stays stuck
    assert first.value == pytest.approx(_lp_value(problem, first.centres), rel=1e-7)
    # from four adjacent units the swaps reach what the best k-means start descends to
    best_start = kmeans_starts(problem, 4, starts=8, seed=1, deadline=time.monotonic() + 30)[0][1]
    settled, _ = unit_descent(problem, TransportLP(problem, 4), best_start, deadline=time.monotonic() + 30)
    assert first.value <= settled * (1 + 1e-9)


def test_swap_value_is_a_lower_bound_on_every_plan_with_its_centres():
    _, _, problem = household_band_instance(10, 2, seed=3)
    found = swap_centres(problem, 2, [0, 1], seed=1, deadline=time.monotonic() + 30, patience=20)
    assert found is not None
    assert found.value <= _best_whole_assignment(problem, found.centres) * (1 + 1e-9)


def test_no_swap_result_when_no_split_fits_the_band():
    graph = planar_graph(12, seed=4, low=20, high=195)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    spec = Spec(max_population=total // 3, min_population=0, districts=2, time_limit_s=10)  # 2 × cap < total
    problem = build_problem(graph, spec)
    assert swap_centres(problem, 2, [0, 1], seed=1, deadline=time.monotonic() + 10, patience=5) is None


def test_swaps_through_solve_verify_and_keep_the_bound_valid():
    """The k-means stage forced on and the exact model refused: the swap stages run, the plan verifies, and
    the stated bound stays below the optimum that the full model proves."""
    graph, spec, _ = household_band_instance(60, 3, seed=7)
    spec = dataclasses.replace(spec, time_limit_s=20)
    searched = solve(graph, spec, tuning=Tuning(small_hess_columns=0, kmeans_above_gap=-1.0, max_exact_columns=0))
    swaps = [a for a in searched.attempts if a["stage"] == "centre swaps"]
    assert swaps and all(a["trials"] >= 1 and a["rounds"] >= 1 for a in swaps), [dict(a) for a in searched.attempts]
    assert verify(graph, spec, searched.assignment) == []
    full = solve(graph, spec, tuning=Tuning(small_hess_columns=10**9))
    assert full.status == "optimal"
    assert searched.bound <= full.objective * (1 + 1e-9) <= searched.objective * (1 + 2e-9)
