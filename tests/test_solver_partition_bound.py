"""Branch-and-price over districts (``solver.partition_bound``) against enumeration on tiny graphs.

The bound must never exceed the enumerated optimum (a wrong pricing MIP or stale costs would overstate
it: the first version did, through HiGHS runner costs that were not updated), and ``solve`` with the
stage switched on must still prove the enumerated optimum.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import time

import numpy as np
import pytest

from solver import Spec, solve
from solver.attempts import Stage
from solver.district_pricing import LocalPricing
from solver.linear import LinearModel, make_runner
from solver.ordering import build_ordering
from solver.partition_bound import SMOOTHING, partition_bound
from solver.problem import build_problem
from solver.tuning import DEFAULT_TUNING
from solver_fixtures import band, banded_graph, feasible_plans, grid_graph

CASES = [(seed, 2 + seed % 3) for seed in (0, 1, 2, 5, 7)]


def _cut(graph, assignment) -> int:
    return sum(1 for u, v in graph.edges if assignment[u] != assignment[v])


def _districts(problem, plan, k: int) -> list[np.ndarray]:
    """An enumerated plan (unit → district 1…k) as each district's atoms."""
    atoms = np.array([plan[problem.unit_ids[units[0]]] - 1 for units in problem.atom_units])
    return [np.flatnonzero(atoms == d) for d in range(k)]


@functools.lru_cache(maxsize=None)
def _case(seed: int, n: int, k: int):
    """(every feasible plan's cut edges, bound(target, threads, smoothing, on_plan), the problem): the graph's
    enumerated plans, and column generation started from the worst of them, so that the bound has to be earned."""
    graph = banded_graph(seed, n, group=False, facility=False)
    low, high = band(graph, k, 0.3)
    spec = Spec(max_population=high, min_population=low, districts=k, objective="cut-edges")
    problem = build_problem(graph, spec)
    plans = list(feasible_plans(graph, spec, k))
    values = [_cut(graph, a) for a in plans]
    worst = _districts(problem, plans[int(np.argmax(values))], k)
    ordering = build_ordering(problem, k, seed=0, time_limit_s=2.0)

    def bound(target, threads=1, smoothing=SMOOTHING, on_plan=None):
        return partition_bound(problem, k, ordering, problem.edge_count.astype(float), worst,
                               deadline=time.monotonic() + 60, seed=0, target=target, threads=threads,
                               smoothing=smoothing, on_plan=on_plan)
    return values, bound, problem


@pytest.mark.parametrize(("seed", "k"), CASES)
@pytest.mark.parametrize("with_target", [False, True])
def test_bound_never_exceeds_the_enumerated_optimum(seed, k, with_target):
    values, bound, _ = _case(seed, 9, k)
    optimum = min(values)
    assert max(values) > optimum  # the start is not optimal: the bound has to be earned
    found = bound(optimum - 1 + 1e-4 if with_target else None)
    assert found.bound is not None and found.bound <= optimum + 1e-6
    # On these graphs the set-partitioning relaxation is tight: rounded up, it proves the optimum.
    assert math.ceil(found.bound - 1e-6) == optimum
    if not with_target:
        assert found.finished


@pytest.mark.parametrize("seed", [0, 7])
def test_pricing_on_two_threads_gives_a_bound_as_valid(seed):
    # The roots' pricing MIPs run side by side; the bound must still be earned and never overstated.
    values, bound, _ = _case(seed, 9, 2 + seed % 3)
    found = bound(None, threads=2)
    assert found.finished and math.ceil(found.bound - 1e-6) == min(values)
    assert found.bound <= min(values) + 1e-6


def _fractional_case():
    # 11 atoms, k = 4: the set-partitioning LP is 7.5 and the optimum 8, so only branching can tell that no
    # plan has fewer than 7.9 cut edges.
    values, bound, _ = _case(0, 11, 4)
    return min(values), bound


@pytest.mark.parametrize("threads", [1, 2])
def test_branching_proves_what_the_lp_alone_cannot(threads):
    optimum, bound = _fractional_case()
    lp = bound(None, threads)
    assert lp.finished and lp.branches == 1 and lp.bound < optimum - 0.25
    proof = bound(optimum - 0.1, threads)
    assert proof.branches >= 3 and optimum - 0.1 - 1e-6 <= proof.bound <= optimum + 1e-6


@pytest.mark.parametrize("smoothing", [0.0, 0.5, 0.9])
def test_smoothed_duals_reach_the_same_proof(smoothing):
    # Pricing at a mix of duals changes the path, never what is proven: the LP bound and the branching proof.
    optimum, bound = _fractional_case()
    lp, proof = bound(None, smoothing=smoothing), bound(optimum - 0.1, smoothing=smoothing)
    assert lp.finished and abs(lp.bound - 7.5) < 1e-6
    assert optimum - 0.1 - 1e-6 <= proof.bound <= optimum + 1e-6
    assert lp.mispriced <= lp.mixed and (smoothing > 0 or lp.mixed == proof.mixed == 0)
    # Here the local search finds every column until the last round; on this graph a MIP round runs at a mix.
    values, small, _ = _case(1, 9, 3)
    mixed = small(None, smoothing=smoothing)
    assert mixed.finished and math.ceil(mixed.bound - 1e-6) == min(values)
    assert (mixed.mixed > 0) == (smoothing > 0)


def test_local_pricing_swaps_where_the_band_allows_no_single_move():
    # Six atoms in a row, 100 residents each, districts of exactly 200: from {0, 1} no atom can join or leave
    # alone, yet swapping 0 out for 2 reaches a district that prices out (π rewards atom 2).
    graph = grid_graph(1, 6, population=100)
    problem = build_problem(graph, Spec(max_population=200, min_population=200, districts=3, objective="cut-edges"))
    atom = {problem.unit_ids[units[0]]: a for a, units in enumerate(problem.atom_units)}
    row = [atom[f"r00c{c:02d}"] for c in range(6)]
    pi = np.zeros(problem.n_atoms)
    pi[row[2]] = 5.0
    search = LocalPricing(problem, problem.edge_count.astype(float))
    found = search.run([np.array(sorted(row[:2]))], pi, 0.0)
    assert found and all(row[2] in d and len(d) == 2 for d in found)
    # A branch that keeps atoms 0 and 1 together rules that district out, and the search respects it.
    assert search.run([np.array(sorted(row[:2]))], pi, 0.0,
                      admits=lambda members: (row[0] in members) == (row[1] in members)) == []


@pytest.mark.parametrize("above", [1e-4, 0.5, 3.0])
def test_branching_never_claims_a_bound_above_the_optimum(above):
    # Asked to prove more than is true, the search must end without reaching the target.
    optimum, bound = _fractional_case()
    found = bound(optimum + above)
    assert found.bound is not None and found.bound <= optimum + 1e-6


@pytest.mark.parametrize("seed", [3, 8])
def test_solve_with_the_partition_stage_proves_the_enumerated_optimum(seed):
    graph = banded_graph(seed, 9, group=False, facility=False)
    k = 3
    low, high = band(graph, k, 0.3)
    spec = Spec(max_population=high, min_population=low, districts=k, objective="cut-edges", time_limit_s=30)
    optimum = min(_cut(graph, a) for a in feasible_plans(graph, spec, k))
    plan = solve(graph, spec)   # 3 atoms a district: the default runs the stage
    assert plan.status == "optimal" and plan.objective == optimum
    assert any(a.stage == Stage.PARTITION for a in plan.attempts)
    # Where districts hold more atoms than the rule's the labelling model alone runs.
    tuning = dataclasses.replace(DEFAULT_TUNING, partition_atoms_per_district=2.0)
    assert not any(a.stage == Stage.PARTITION for a in solve(graph, spec, tuning=tuning).attempts)


def test_changed_costs_are_the_ones_the_run_reports():
    # min x0 + x1, x0 + x1 ≥ 2.5, integers in [0, 10]; then the cost of x0 becomes −1: x0 = 10, objective −10.
    model = LinearModel(cost=np.array([1.0, 1.0]), lower=np.zeros(2), upper=np.full(2, 10.0),
                        integer=np.array([True, True]))
    model.add_row_list([([0, 1], [1.0, 1.0], 2.5, np.inf)])
    runner = make_runner("highs", model, seed=0)
    assert runner.run(time_limit_s=10, start=None).objective == pytest.approx(3.0)
    runner.set_costs(np.array([0]), np.array([-1.0]))
    result = runner.run(time_limit_s=10, start=None)
    assert result.objective == pytest.approx(-10.0)
    assert result.bound == pytest.approx(-10.0, abs=1e-4)


def test_the_bound_takes_k_different_roots():
    # A plan's districts have different first atoms: at zero duals, roots worth 0, 5 and 6 bound two districts
    # by 0 + 5, not 2 · 0; a branch with fewer roots than districts holds no plan; a root without a bound yet
    # leaves none.
    from solver.district_pricing import Priced
    from solver.partition_bound import _lagrangian

    at = np.zeros(4)
    assert _lagrangian(at, [Priced(6.0, []), Priced(0.0, []), Priced(5.0, [])], 2) == 5.0
    assert _lagrangian(at + 0.5, [Priced(6.0, []), Priced(0.0, [])], 2) == 8.0
    assert _lagrangian(at, [Priced(1.0, [])], 2) == math.inf
    assert _lagrangian(at, [Priced(None, []), Priced(1.0, [])], 1) is None


def _rooted_values(problem, pricing, pi):
    """Every district ``pricing`` covers (its atoms, the root in it, connected, in the band), by brute force:
    ½·cut − π·y of each."""
    from solver.graphs import reach

    others = [int(a) for a in pricing.atoms if a != pricing.root]
    values = []
    for mask in range(1 << len(others)):
        members = {pricing.root} | {a for i, a in enumerate(others) if mask >> i & 1}
        population = problem.atom_population[list(members)].sum()
        if not problem.min_population <= population <= problem.max_population:
            continue
        if len(reach(problem.atom_neighbours, pricing.root, inside=members)) < len(members):
            continue
        cut = sum(1 for u, v in zip(problem.edge_u, problem.edge_v) if (u in members) != (v in members))
        values.append(cut / 2.0 - float(pi[list(members)].sum()))
    return values


@pytest.mark.parametrize("seed", [0, 4])
def test_a_roots_earlier_bounds_carried_to_new_duals_stay_below_its_least_value(seed):
    from solver.district_pricing import root_pricings

    graph = banded_graph(seed, 9, group=False, facility=False)
    low, high = band(graph, 3, 0.3)
    problem = build_problem(graph, Spec(max_population=high, min_population=low, districts=3, objective="cut-edges"))
    ordering = build_ordering(problem, 3, seed=0, time_limit_s=2.0)
    pricings = root_pricings(problem, ordering, problem.edge_count.astype(float), seed=0)
    rng = np.random.default_rng(seed)
    checked = 0
    for pricing in pricings:
        for _ in range(3):
            pricing.price(rng.uniform(-2, 2, problem.n_atoms), cutoff=None, time_limit_s=10)
        for _ in range(5):
            pi = rng.uniform(-2, 2, problem.n_atoms)
            values = _rooted_values(problem, pricing, pi)
            if values:
                assert pricing.carried(pi) <= min(values) + 1e-9
                checked += 1
    assert checked >= 5


def test_a_root_whose_carried_bound_reaches_the_cutoff_runs_no_mip():
    from solver.district_pricing import root_pricings

    graph = banded_graph(2, 9, group=False, facility=False)
    low, high = band(graph, 3, 0.3)
    problem = build_problem(graph, Spec(max_population=high, min_population=low, districts=3, objective="cut-edges"))
    ordering = build_ordering(problem, 3, seed=0, time_limit_s=2.0)
    pricing = root_pricings(problem, ordering, problem.edge_count.astype(float), seed=0)[0]
    pi = np.linspace(-1.0, 1.0, problem.n_atoms)
    least = pricing.price(pi, cutoff=None, time_limit_s=10).low
    assert least == pytest.approx(min(_rooted_values(problem, pricing, pi)), abs=1e-6)
    runs = []
    run = pricing.runner.run
    pricing.runner.run = lambda **kw: runs.append(kw) or run(**kw)
    lower = pi - 0.01   # duals fell everywhere: nothing can have become cheaper
    assert pricing.price(lower, cutoff=least - 0.5, time_limit_s=10).low >= least - 0.5
    assert runs == []
    # A cutoff above what the earlier run proved leaves the question open: the MIP runs.
    assert pricing.price(lower, cutoff=least + 0.5, time_limit_s=10).low == pytest.approx(
        min(_rooted_values(problem, pricing, lower)), abs=1e-6)
    assert len(runs) == 1


@pytest.mark.parametrize(("seed", "k"), CASES[:3])
def test_an_lp_that_ends_in_whole_districts_hands_over_a_better_plan(seed, k):
    # Started from the worst plan and asked to beat it, the LP ends at the optimum in whole districts: that plan
    # goes to on_plan, whose lower target closes the search with the optimum as its bound.
    values, bound, problem = _case(seed, 9, k)
    handed = []

    def cut_of(whole):
        together = [set(d.tolist()) for d in whole]
        return sum(1 for u, v in zip(problem.edge_u, problem.edge_v) if not any(u in d and v in d for d in together))

    def on_plan(whole):
        handed.append(whole)
        return cut_of(whole) - 1 + 1e-4

    found = bound(max(values) - 1 + 1e-4, on_plan=on_plan)
    assert handed and found.plans == len(handed)
    best = handed[-1]
    assert sorted(a for d in best for a in d.tolist()) == list(range(problem.n_atoms)) and len(best) == k
    assert cut_of(best) == min(values) and math.ceil(found.bound - 1e-6) == min(values)


def test_solve_on_boundary_proves_with_the_partition_stage_within_the_gap():
    # Boundary lengths are not integers: the stage proves within solve's relative gap, and its bound never
    # exceeds the enumerated optimum.
    graph = banded_graph(3, 9, group=False, facility=False)
    for i, (u, v) in enumerate(sorted(graph.edges)):
        graph.edges[u, v]["length_m"] = 10.0 + (i * 7) % 11 + 0.25 * (i % 3)
    k = 3
    low, high = band(graph, k, 0.3)
    spec = Spec(max_population=high, min_population=low, districts=k, objective="boundary", time_limit_s=30)
    from solver.objective import score

    optimum = min(score(graph, spec, a) for a in feasible_plans(graph, spec, k))
    plan = solve(graph, spec)
    assert plan.status == "optimal" and plan.objective == pytest.approx(optimum)
    stage = next(a for a in plan.attempts if a.stage == Stage.PARTITION)
    assert stage.status == "optimal" and optimum * (1 - 1e-5) <= stage.bound <= optimum + 1e-9
    assert not any(a.stage == Stage.MIP for a in plan.attempts)


@pytest.mark.parametrize("centre", [0.0, 40.0, -25.0])
def test_the_master_keeps_its_duals_in_the_box_about_its_centre(centre):
    # The box follows the best duals: recentred far from zero, the slacks' costs must hold every dual within
    # δ of the centre (a box left about zero would keep them within δ of zero), and the LP stays the master LP.
    from solver.partition_bound import _Master

    graph = banded_graph(2, 9, group=False, facility=False)
    low, high = band(graph, 3, 0.3)
    spec = Spec(max_population=high, min_population=low, districts=3, objective="cut-edges")
    problem = build_problem(graph, spec)
    plans = list(feasible_plans(graph, spec, 3))
    master = _Master(problem, 3, problem.edge_count.astype(float), box=1.5)
    for plan in plans:
        for district in _districts(problem, plan, 3):
            master.add(district)
    master.recentre(np.full(problem.n_atoms, centre))
    value, pi, _, slack = master.solve()
    assert np.all(np.abs(pi - centre) <= 1.5 + 1e-7)
    if slack <= 1e-9:   # no slack in use: the value is the plain LP's, which the optimum bounds
        assert value <= min(_cut(graph, plan) for plan in plans) + 1e-6


def test_a_branch_whose_parents_bound_reaches_a_lowered_target_runs_no_column_generation():
    # Started from the worst plan (11 cut edges), the first child's LP ends in a plan of 10, the optimum: the
    # target drops to 9.0001, which its sibling's inherited bound already reaches, so the sibling is closed as
    # it stands (three branches would run otherwise).
    values, bound, problem = _case(5, 9, 4)
    assert sorted(set(values)) == [10, 11]

    def cut_of(whole):
        together = [set(d.tolist()) for d in whole]
        return sum(1 for u, v in zip(problem.edge_u, problem.edge_v) if not any(u in d and v in d for d in together))

    handed = []

    def on_plan(whole):
        handed.append(cut_of(whole))
        return handed[-1] - 1 + 1e-4

    found = bound(10.0001, on_plan=on_plan)
    assert handed == [10] and found.branches == 2 and found.bound == pytest.approx(10.0)


def test_open_branches_are_taken_lowest_bound_first_then_newest_first():
    from solver.partition_bound import _Branch, _OpenBranches

    branches = _OpenBranches(_Branch(inherited=5.0, together=((0, 1),)))
    for inherited, pair in ((3.0, (1, 2)), (4.0, (2, 3)), (3.0, (3, 4))):
        branches.push(_Branch(inherited=inherited, together=(pair,)))
    assert sorted(branches.bounds()) == [3.0, 3.0, 4.0, 5.0]
    taken = []
    while branches:
        taken.append(branches.pop().together[0])
    assert taken == [(3, 4), (1, 2), (2, 3), (0, 1)]
