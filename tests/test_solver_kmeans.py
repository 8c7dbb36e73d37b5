"""Capacitated k-means starts (``solver.capacitated_kmeans``): deterministic, within the band, distinct
centres; through ``solve`` their plans verify and never change what is proven."""
from __future__ import annotations

import time

import numpy as np
import pytest
from solver_fixtures import household_band_instance

from solver import solve, verify
from solver.capacitated_kmeans import assignment_columns, kmeans_starts
from solver.transport import TransportLP
from solver.tuning import Tuning


def _band_instance(n: int, k: int, seed: int):
    # A tight cap (95 % fill at k) and a floor, as under the 2026 law's household band.
    return household_band_instance(n, k, seed)


def test_starts_are_deterministic_distinct_and_best_first():
    _, _, problem = _band_instance(80, 4, seed=5)
    first = kmeans_starts(problem, 4, starts=6, seed=3, deadline=time.monotonic() + 30)
    again = kmeans_starts(problem, 4, starts=6, seed=3, deadline=time.monotonic() + 30)
    assert len(first) == 6
    assert [c for _, c in first] == [c for _, c in again]
    assert [v for v, _ in first] == sorted(v for v, _ in first)
    for _, centres in first:
        assert len(set(centres)) == 4 and all(0 <= c < problem.n_units for c in centres)
    other = kmeans_starts(problem, 4, starts=6, seed=4, deadline=time.monotonic() + 30)
    assert [c for _, c in other] != [c for _, c in first]


def test_transport_lp_keeps_every_district_in_the_band():
    _, _, problem = _band_instance(80, 4, seed=6)
    lp = TransportLP(problem, 4)
    centre_x = np.quantile(problem.atom_x, [0.2, 0.4, 0.6, 0.8])
    value, share = lp.solve(centre_x, np.full(4, float(np.mean(problem.atom_y))))
    assert np.allclose(share.sum(axis=1), 1.0)
    population = (share * problem.atom_population[:, None]).sum(axis=0)
    assert population.sum() == pytest.approx(problem.total_population)
    assert (population <= problem.max_population + 1e-6).all()
    assert (population >= problem.min_population - 1e-6).all()
    assert value >= float(problem.atom_inertia.sum())


def test_narrowed_assignment_keeps_the_lp_district_and_lets_boundary_atoms_choose():
    _, _, problem = _band_instance(120, 4, seed=8)
    centres = kmeans_starts(problem, 4, starts=1, seed=1, deadline=time.monotonic() + 30)[0][1]
    atoms, units = assignment_columns(problem, centres, nearest=2)
    per_atom = np.bincount(atoms, minlength=problem.n_atoms)
    assert (per_atom >= 1).all() and (per_atom <= 3).all()
    assert set(units.tolist()) <= set(centres)
    assert len(atoms) < problem.n_atoms * 4
    # atoms left with one district never border another district's: every boundary keeps a choice
    choice = {(int(a), int(u)) for a, u in zip(atoms, units)}
    settled = {a: u for a, u in choice if per_atom[a] == 1}
    for a, b in zip(problem.edge_u.tolist(), problem.edge_v.tolist()):
        if a in settled and b in settled:
            assert settled[a] == settled[b]


def test_kmeans_plans_verify_and_the_optimum_is_unchanged():
    """The k-means stage forced on (any gap): its plans verify, and the optimum proven afterwards is the one
    the full model proves."""
    graph, spec, _ = _band_instance(60, 3, seed=7)
    forced = solve(graph, spec, tuning=Tuning(small_hess_columns=0, kmeans_above_gap=-1.0, far_exact_columns=10**9))
    assert any(a["stage"] == "k-means" for a in forced.attempts), [a["stage"] for a in forced.attempts]
    assert verify(graph, spec, forced.assignment) == []
    full = solve(graph, spec, tuning=Tuning(small_hess_columns=10**9))
    assert full.status == "optimal"
    assert forced.bound <= full.objective * (1 + 1e-6)
    if forced.status == "optimal":
        assert forced.objective == pytest.approx(full.objective, rel=1e-6)


def test_bound_in_whole_atoms_stays_below_the_proven_optimum():
    """The exact model refused (``max_exact_columns`` 0): the time left goes to the Lagrangian ascent in
    whole atoms (20 atoms a district), whose stated bound must stay below the optimum the full model proves."""
    graph, spec, _ = _band_instance(60, 3, seed=7)
    refused = solve(graph, spec, tuning=Tuning(small_hess_columns=0, kmeans_above_gap=-1.0, max_exact_columns=0))
    stages = [a["stage"] for a in refused.attempts]
    assert stages[-1] == "lagrangian" and "mip" in stages, stages
    assert refused.status in ("feasible", "optimal") and verify(graph, spec, refused.assignment) == []
    full = solve(graph, spec, tuning=Tuning(small_hess_columns=10**9))
    assert full.status == "optimal"
    assert refused.bound <= full.objective * (1 + 1e-9)
    assert refused.objective >= full.objective * (1 - 1e-9)


def test_an_exact_model_ended_unproven_leaves_a_share_of_the_time_to_the_ascent():
    """HiGHS stopped after one node (an exact model that ends unproven): the time kept from it goes to
    the Lagrangian ascent, whose bound is stated when it is the better one. A proof skips the ascent."""
    stop_early = Tuning(small_hess_columns=0, kmeans_above_gap=-1.0, far_exact_columns=10**9,
                        probe_above_columns=10**9, probe_max_gap=1.0, bound_reserve_share=0.5,
                        exact_highs_options={"mip_max_nodes": 1, "mip_heuristic_effort": 0.0})
    graph, spec, _ = household_band_instance(150, 6, seed=3, time_limit_s=8)
    plan = solve(graph, spec, tuning=stop_early)
    assert verify(graph, spec, plan.assignment) == []
    *_, mip, ascent = plan.attempts
    assert (mip["stage"], mip["status"]) == ("mip", "feasible"), plan.attempts
    assert (ascent["stage"], ascent["status"]) == ("lagrangian", "bound"), plan.attempts
    first = next(a for a in plan.attempts if a["stage"] == "lagrangian")
    assert ascent["bound"] >= first["bound"]   # continued from the first ascent's multipliers
    assert plan.bound == pytest.approx(max(a["bound"] for a in plan.attempts if a.get("bound") is not None))
    assert plan.status == "feasible" and plan.bound < plan.objective

    graph, spec, _ = household_band_instance(60, 3, seed=7, time_limit_s=8)
    proven = solve(graph, spec, tuning=stop_early)
    assert proven.status == "optimal"
    assert (proven.attempts[-1]["stage"], proven.attempts[-1]["status"]) == ("mip", "optimal")
