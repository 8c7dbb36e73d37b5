"""The transportation LP solved as a min-cost flow (``solver.transport``) against the same LP solved by HiGHS:
the same optimum, shares that sum to one and districts inside the band, also with empty atoms, fractional
populations and a restricted set of pairs; no split when the band admits none."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from solver_fixtures import household_band_instance, planar_graph

from solver import Spec
from solver.linear import HighsRunner, LinearModel
from solver.problem import build_problem
from solver.transport import TransportLP


def _highs_value(problem, k: int, allowed: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> float | None:
    """The LP itself, row by row, solved by HiGHS's simplex (what ``TransportLP`` solved before)."""
    m = problem.n_atoms
    atom, district = np.nonzero(allowed)
    cost = problem.atom_population[atom] * ((problem.atom_x[atom] - cx[district]) ** 2
                                            + (problem.atom_y[atom] - cy[district]) ** 2)
    n = len(atom)
    model = LinearModel(cost=cost, lower=np.zeros(n), upper=np.ones(n), integer=np.zeros(n, dtype=bool))
    model.add_rows(np.bincount(atom, minlength=m), np.arange(n), np.ones(n), np.ones(m), np.ones(m))
    by_district = np.argsort(district, kind="stable")
    model.add_rows(np.bincount(district, minlength=k), by_district, problem.atom_population[atom[by_district]],
                   np.full(k, problem.min_population), np.full(k, problem.max_population))
    result = HighsRunner(model, seed=0).run(time_limit_s=60, start=None)
    return None if result.state != "optimal" else result.objective + float(problem.atom_inertia.sum())


def _check_split(problem, allowed: np.ndarray, share: np.ndarray) -> None:
    assert np.allclose(share.sum(axis=1), 1.0)
    assert (share[~allowed] == 0).all()
    load = problem.atom_population @ share
    assert (load >= problem.min_population - 1e-6).all() and (load <= problem.max_population + 1e-6).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_flow_reaches_the_lp_optimum(seed):
    _, _, problem = household_band_instance(150, 6, seed=seed)
    rng = np.random.default_rng(seed)
    m, k = problem.n_atoms, 6
    lp = TransportLP(problem, k)
    every = np.ones((m, k), dtype=bool)
    for _ in range(5):   # centres on units, then anywhere (k-means moves them to means)
        units = rng.choice(problem.n_units, k, replace=False)
        for cx, cy in ((problem.unit_x[units], problem.unit_y[units]),
                       (rng.uniform(problem.atom_x.min(), problem.atom_x.max(), k),
                        rng.uniform(problem.atom_y.min(), problem.atom_y.max(), k))):
            value, share = lp.solve(cx, cy)
            assert value == pytest.approx(_highs_value(problem, k, every, cx, cy), rel=1e-7)
            _check_split(problem, every, share)


def test_a_restricted_set_of_pairs_is_respected():
    _, _, problem = household_band_instance(150, 6, seed=4)
    rng = np.random.default_rng(4)
    m, k = problem.n_atoms, 6
    allowed = rng.random((m, k)) < 0.5
    allowed[np.arange(m), rng.integers(0, k, m)] = True
    units = rng.choice(problem.n_units, k, replace=False)
    cx, cy = problem.unit_x[units], problem.unit_y[units]
    reference = _highs_value(problem, k, allowed, cx, cy)
    assert reference is not None   # the case is chosen with a split, so the comparison below runs
    solved = TransportLP(problem, k, allowed).solve(cx, cy)
    assert solved[0] == pytest.approx(reference, rel=1e-7)
    _check_split(problem, allowed, solved[1])


def test_empty_atoms_and_fractional_populations():
    graph = planar_graph(80, seed=5, low=20, high=195)
    for i, node in enumerate(sorted(graph.nodes)):
        if i % 9 == 0:
            graph.nodes[node]["population"] = 0
        elif i % 4 == 0:
            graph.nodes[node]["population"] += 0.375
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    k = 4
    problem = build_problem(graph, Spec(max_population=math.ceil(total / k / 0.95),
                                        min_population=math.floor(total / k * 0.5), districts=k))
    assert (problem.atom_population == 0).any() and (problem.atom_population % 1 != 0).any()
    rng = np.random.default_rng(5)
    every = np.ones((problem.n_atoms, k), dtype=bool)
    for _ in range(4):
        units = rng.choice(problem.n_units, k, replace=False)
        cx, cy = problem.unit_x[units], problem.unit_y[units]
        value, share = TransportLP(problem, k).solve(cx, cy)
        assert value == pytest.approx(_highs_value(problem, k, every, cx, cy), rel=1e-7)
        _check_split(problem, every, share)
        empty = np.flatnonzero(problem.atom_population == 0)
        nearest = np.argmin((problem.atom_x[empty, None] - cx[None, :]) ** 2
                            + (problem.atom_y[empty, None] - cy[None, :]) ** 2, axis=1)
        assert (share[empty, nearest] == 1).all()   # an empty atom still belongs to its nearest centre


def test_no_split_when_the_band_admits_none():
    _, _, problem = household_band_instance(60, 3, seed=6)
    total = float(problem.atom_population.sum())
    for low, high in ((total / 3 + 1, total / 3 + 50), (total / 3 - 50, total / 3 - 1)):
        tight = dataclasses.replace(problem, min_population=low, max_population=high)
        units = np.arange(3)
        assert TransportLP(tight, 3).solve(tight.unit_x[units], tight.unit_y[units]) is None
