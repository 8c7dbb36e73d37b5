"""The transportation LP of the Hess model with its centres fixed: every atom's population shared among
the districts, each district between the floor and the cap.

    min Σ p_a |m_a − centre_d|² w_ad   s.t.  Σ_d w_ad = 1,  floor ≤ Σ_a p_a w_ad ≤ cap,  0 ≤ w ≤ 1

Its optimum splits at most k − 1 atoms. Two stages use it: capacitated k-means moves the centres to the
means of what they receive (``solver.capacitated_kmeans``), and reassignment rounds the shares into a plan
around fixed centre units (``solver.reassign``). One highspy LP is kept between calls and only its costs
change, so the last basis warm-starts the next solve.
"""
from __future__ import annotations

import math

import numpy as np

from solver.linear import HighsRunner, LinearModel, limit_time
from solver.problem import Problem


class TransportLP:
    """``allowed`` (atoms × k bool): the pairs the LP may use (all when None)."""

    def __init__(self, problem: Problem, k: int, allowed: np.ndarray | None = None):
        import highspy

        m = problem.n_atoms
        if allowed is None:
            allowed = np.ones((m, k), dtype=bool)
        self.atom_of, self.district_of = np.nonzero(allowed)  # sorted by atom: one row per atom below
        n = len(self.atom_of)
        model = LinearModel(cost=np.zeros(n), lower=np.zeros(n), upper=np.ones(n), integer=np.zeros(n, dtype=bool))
        model.add_rows(np.bincount(self.atom_of, minlength=m), np.arange(n), np.ones(n), np.ones(m), np.ones(m))
        by_district = np.argsort(self.district_of, kind="stable")
        model.add_rows(np.bincount(self.district_of, minlength=k), by_district,
                       problem.atom_population[self.atom_of[by_district]],
                       np.full(k, float(problem.min_population)), np.full(k, float(problem.max_population)))
        self.h = HighsRunner(model, seed=0).h
        self.optimal = highspy.HighsModelStatus.kOptimal
        self.problem, self.k, self.n = problem, k, n
        self.scale: float | None = None

    def solve(self, cx: np.ndarray, cy: np.ndarray, *, time_limit_s: float | None = None
              ) -> tuple[float, np.ndarray] | None:
        """(Σ cost with the atoms' internal inertia, each atom's share of every district, atoms × k) for
        centres at (cx, cy), or None when the LP did not solve (no such split, or out of time)."""
        p = self.problem
        a, d = self.atom_of, self.district_of
        cost = p.atom_population[a] * ((p.atom_x[a] - cx[d]) ** 2 + (p.atom_y[a] - cy[d]) ** 2)
        if self.scale is None:
            self.scale = max(float(cost.max(initial=0.0)), 1.0) / 1000.0   # HiGHS works better near 1
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost / self.scale)
        limit_time(self.h, math.inf if time_limit_s is None else time_limit_s)
        self.h.run()
        if self.h.getModelStatus() != self.optimal:
            return None
        values = np.asarray(self.h.getSolution().col_value)
        share = np.zeros((p.n_atoms, self.k))
        share[a, d] = values
        return float(cost @ values + p.atom_inertia.sum()), share
