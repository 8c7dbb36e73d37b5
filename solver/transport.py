"""The transportation LP of the Hess model with its centres fixed: every atom's population shared among
the districts, each district between the floor and the cap.

    min Σ p_a |m_a − centre_d|² w_ad   s.t.  Σ_d w_ad = 1,  floor ≤ Σ_a p_a w_ad ≤ cap,  0 ≤ w ≤ 1

Its optimum splits at most k − 1 atoms. Three stages use it: capacitated k-means moves the centres to the
means of what they receive (``solver.capacitated_kmeans``), the swap search compares centre units by it
(``solver.centre_swaps``), and reassignment rounds the shares into a plan around fixed centre units
(``solver.reassign``).

It is a min-cost flow (source → atom, supply p_a; atom → district, cost |m_a − centre_d|² a person;
district → sink, at least the floor and at most the cap), solved by OR-Tools' network solver. At 800
atoms and k = 29 that takes 0.015–0.02 s where HiGHS's simplex took 0.09–0.2 s for the same optimum
(equal to 9 digits); the swap search runs ~6× more trials in the same time. The network solver needs
integers: people are counted whole (in thousandths when a population is fractional; the floor rounds up
and the cap down, so a split found is within the band), and a cost is the squared distance scaled so
the largest is 10⁹ (a relative error of 10⁻⁹ of the largest). The value is computed from the flows with
the unrounded distances.
"""
from __future__ import annotations

import math

import numpy as np

from solver.problem import Problem

#: Costs are scaled so that the largest is this: far from int64's limit even summed over a million people.
COST_RESOLUTION = 1e9
#: Fractional populations are counted in these parts of a person.
FRACTION_PARTS = 1000


class TransportLP:
    """``allowed`` (atoms × k bool): the pairs the LP may use (all when None)."""

    def __init__(self, problem: Problem, k: int, allowed: np.ndarray | None = None):
        m = problem.n_atoms
        if allowed is None:
            allowed = np.ones((m, k), dtype=bool)
        self.atom_of, self.district_of = np.nonzero(allowed)
        population = problem.atom_population
        whole = bool(np.all(population == np.rint(population)))
        parts = 1 if whole else FRACTION_PARTS
        self.supply = np.rint(population * parts).astype(np.int64)
        floor = math.ceil(problem.min_population * parts - 1e-9)
        cap = math.floor(problem.max_population * parts + 1e-9)
        sink = m + k
        self.tails = np.concatenate([self.atom_of, np.arange(m, m + k)]).astype(np.int64)
        self.heads = np.concatenate([m + self.district_of, np.full(k, sink)]).astype(np.int64)
        self.capacities = np.concatenate([self.supply[self.atom_of], np.full(k, max(cap - floor, 0))]).astype(np.int64)
        self.supplies = np.concatenate([self.supply, np.full(k, -floor), [k * floor - int(self.supply.sum())]])
        self.feasible = floor <= cap
        self.problem, self.k = problem, k

    def solve(self, cx: np.ndarray, cy: np.ndarray) -> tuple[float, np.ndarray] | None:
        """(Σ cost with the atoms' internal inertia, each atom's share of every district, atoms × k) for
        centres at (cx, cy), or None when no split meets the band. No time limit: a solve takes hundredths
        of a second (20,000 atoms, k = 60: 2 s)."""
        from ortools.graph.python import min_cost_flow

        if not self.feasible:
            return None
        p, a, d = self.problem, self.atom_of, self.district_of
        squared = (p.atom_x[a] - cx[d]) ** 2 + (p.atom_y[a] - cy[d]) ** 2
        scale = COST_RESOLUTION / max(float(squared.max(initial=0.0)), 1e-300)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            self.tails, self.heads, self.capacities,
            np.concatenate([np.rint(squared * scale).astype(np.int64), np.zeros(self.k, dtype=np.int64)]))
        flow.set_nodes_supplies(np.arange(len(self.supplies)), self.supplies)
        if flow.solve() != flow.OPTIMAL:
            return None
        moved = flow.flows(np.arange(len(a))).astype(float)
        share = np.zeros((p.n_atoms, self.k))
        share[a, d] = moved / np.maximum(self.supply[a], 1)
        # An atom with nobody in it carries no flow; it still belongs somewhere: its nearest allowed centre.
        empty = self.supply[a] == 0
        if empty.any():
            order = np.lexsort((squared[empty], a[empty]))
            atoms, first = np.unique(a[empty][order], return_index=True)
            share[atoms, d[empty][order][first]] = 1.0
        value = float(p.atom_population[a] @ (share[a, d] * squared))
        return value + float(p.atom_inertia.sum()), share
