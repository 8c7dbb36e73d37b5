"""``districts="auto"`` always answers: a plan is secured at some k first, smaller k are then decided, and
the plan says which smaller k are proven impossible and which the time left undecided."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from solver_fixtures import assignment_invariants

from solver import Spec, solve, verify
from solver.tuning import DEFAULT_TUNING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))
from benchmarks.instances import community_instance  # noqa: E402


def test_fewer_districts_proven_impossible_are_listed():
    """A star: centre a (1) and four leaves of 5, cap 11. k = 2 is impossible (a leaf alone leaves 16 for
    the rest), k = 3 is not ({a, b, c}, {d}, {e})."""
    graph = nx.relabel_nodes(nx.star_graph(4), {i: "abcde"[i] for i in range(5)})
    for uid in graph.nodes:
        graph.nodes[uid].update(population=1 if uid == "a" else 5, x=float(ord(uid)), y=0.0)
    spec = Spec(max_population=11, time_limit_s=20)
    plan = solve(graph, spec)
    assert plan.status == "optimal" and plan.districts == 3
    assert plan.k_proven_infeasible == (2,) and plan.k_undecided == () and plan.minimum_proven
    assert plan.to_dict()["k_proven_infeasible"] == [2]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_tight_cap_on_a_busy_machine_still_gets_a_plan(seed):
    """Cap 0.7 % above the mean district of k = ceil(total / cap): deciding that k takes far longer than
    the budget (a busy machine is simulated by a short one), yet a verified plan comes back, and every k
    below it is accounted for as proven impossible or undecided."""
    graph = community_instance(120, seed=seed)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    cap = math.ceil(total / round(total / 30000) / 0.993)
    spec = Spec(max_population=cap, group_attr=None, time_limit_s=5.0, seed=seed)
    started = time.monotonic()
    plan = solve(graph, spec)
    assert time.monotonic() - started <= 5.0 + 2.0
    assert plan.status in ("optimal", "feasible"), plan.reasons
    assert verify(graph, spec, plan.assignment) == []
    assignment_invariants(graph, spec, plan)
    low = math.ceil(total / cap)
    assert sorted(plan.k_proven_infeasible + plan.k_undecided) == list(range(low, plan.districts))
    assert plan.minimum_proven == (not plan.k_undecided)


def test_time_left_after_improving_decides_the_smaller_k_again():
    """No time for k = low at first and none to decide the k below the secured plan (a busy machine, forced
    by the tuning): once the secured k is improved, the time left goes to the smaller k, and the plan comes
    back at the fewest k there is."""
    graph = community_instance(60, seed=2)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    cap = math.ceil(total / 4 / 0.95)
    spec = Spec(max_population=cap, group_attr=None, time_limit_s=20.0)
    rushed = replace(DEFAULT_TUNING, secure_share=0.0, decide_share=0.0)
    plan = solve(graph, spec, tuning=rushed)
    assert plan.status in ("optimal", "feasible"), plan.reasons
    assert verify(graph, spec, plan.assignment) == []
    first = next(a.districts for a in plan.attempts if a.status == "feasible")
    assert first > 4, "the tuning should have left k = 4 without a plan at first"
    assert plan.districts == 4 and plan.minimum_proven
