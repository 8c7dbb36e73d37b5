"""The heuristic under caps filled close to the top (a tight ``districts=auto`` k, the 2026 law's band):
balancing repairs a plan the objective-first search leaves over the cap, swaps improve plans where no
single move fits, and capacitated reassignment moves plans neither can."""
from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from solver import Spec
from solver.graphs import components
from solver.heuristic import _State, _seed_centres, _swap_pass, grow, is_feasible, local_search, repair_rules
from solver.objective import evaluate
from solver.one_k import quick_plan
from solver.outcome import candidate_of
from solver.problem import build_problem
from solver.reassign import fewer, reassign

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))
from benchmarks.instances import community_instance  # noqa: E402


def _grown(problem, k: int, rng_seed: int) -> np.ndarray:
    grown = grow(problem, k, _seed_centres(problem, k, random.Random(rng_seed)))
    assert (grown >= 0).all()
    return grown


def test_balancing_repairs_a_plan_stuck_over_the_cap():
    """800 units, cap 30,000, k = 61 (districts filled to 90 % on average): the objective-first search
    ends with districts over the cap; balancing first and improving after gives a plan meeting the rules."""
    problem = build_problem(community_instance(800, seed=1), Spec(max_population=30_000, group_attr=None))
    k = 61
    stuck = local_search(problem, _grown(problem, k, 1_000_003 + 7919 + k), k, "inertia", require_facility=False,
                         deadline=time.monotonic() + 60)
    assert not is_feasible(problem, stuck, k, False)
    repaired = repair_rules(problem, stuck, k, "inertia", require_facility=False, deadline=time.monotonic() + 60)
    assert repaired is not None and is_feasible(problem, repaired, k, False)


def test_swaps_improve_a_full_plan_and_keep_it_valid():
    """A balanced plan of 10 districts each within 4 % of a cap no single move fits under: swapping
    adjacent atoms lowers the inertia, every district stays connected and under the cap."""
    graph = community_instance(150, seed=3)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    k = 10
    problem = build_problem(graph, Spec(max_population=math.ceil(total / k / 0.96), group_attr=None))
    balanced = local_search(problem, _grown(problem, k, 3), k, "inertia", require_facility=False,
                            deadline=time.monotonic() + 60, balance_first=True)
    assert is_feasible(problem, balanced, k, False)
    state = _State(problem, balanced, k, "inertia", False)
    before = evaluate(problem, balanced, "inertia", k)[0]
    assert _swap_pass(state, time.monotonic() + 60)
    assert evaluate(problem, state.assign, "inertia", k)[0] < before
    assert is_feasible(problem, state.assign, k, False)
    for d in range(k):
        members = np.flatnonzero(state.assign == d).tolist()
        assert len(components(problem.atom_neighbours, members)) == 1


def test_reassignment_moves_a_plan_the_local_search_left_at_the_cap():
    """800 units, cap 30,000, k = 59 (districts 93 % full on average): the heuristic's first plan, which
    the local search cannot move, improves by more than a fifth through capacitated reassignment to its
    centres, and still meets every rule with every district in one piece."""
    spec = Spec(max_population=30_000, group_attr=None)
    problem = build_problem(community_instance(800, seed=1), spec)
    k = 59
    first = quick_plan(problem, spec, k, deadline=time.monotonic() + 60).candidate
    assert first is not None
    improved = reassign(problem, first, k, deadline=time.monotonic() + 60)
    assert improved.objective < 0.8 * first.objective
    assert is_feasible(problem, improved.assignment, k, False)
    assert evaluate(problem, improved.assignment, "inertia", k)[0] == pytest.approx(improved.objective)
    for d in range(k):
        assert len(components(problem.atom_neighbours, np.flatnonzero(improved.assignment == d).tolist())) == 1


def test_fewer_districts_from_a_plan_in_hand():
    """800 units, cap 30,000: from the first plan at k = 61 the transportation LP over its centres less the
    smallest districts' gives plans at 60, 59 and 58 (96 % full on average), each meeting the rules in one
    piece per district; asking for as many districts or more gives nothing."""
    spec = Spec(max_population=30_000, group_attr=None)
    problem = build_problem(community_instance(800, seed=1), spec)
    plan = quick_plan(problem, spec, 61, deadline=time.monotonic() + 60).candidate
    assert fewer(problem, plan, 61, deadline=time.monotonic() + 60) is None
    for k in (60, 59, 58):
        assignment = fewer(problem, plan, k, deadline=time.monotonic() + 60)
        assert assignment is not None and is_feasible(problem, assignment, k, False)
        for d in range(k):
            assert len(components(problem.atom_neighbours, np.flatnonzero(assignment == d).tolist())) == 1
        plan = candidate_of(problem, assignment, spec, k)
