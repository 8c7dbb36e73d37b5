"""A restriction of the Hess model around a plan, used to improve an incumbent quickly.

The restricted optimum is only an upper bound for the full model; ``solve`` never reports a bound from
it (proofs come from ``solver.lagrangian``'s reduced-cost fixing instead).
"""
from __future__ import annotations

import numpy as np

from solver.problem import Problem


def initial_pairs(problem: Problem, centres: list[int], assignment: np.ndarray, *, centre_share: float = 0.25,
                  radius_factor: float = 1.2, max_centres: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Pairs near a plan: for every district, its units closest to its centre (within ``centre_share`` ×
    its radius, at most ``max_centres``) become candidate centres, each paired with the atoms within
    ``radius_factor`` × the district's radius."""
    atoms_out, centres_out = [], []
    unit_district = assignment[problem.unit_atom]
    for d, c in enumerate(centres):
        members = np.flatnonzero(assignment == d)
        dist_atoms = np.hypot(problem.atom_x[members] - problem.unit_x[c], problem.atom_y[members] - problem.unit_y[c])
        radius = float(dist_atoms.max(initial=0.0))
        units = np.flatnonzero(unit_district == d)
        dist_units = np.hypot(problem.unit_x[units] - problem.unit_x[c], problem.unit_y[units] - problem.unit_y[c])
        close = np.argsort(dist_units, kind="stable")[:max_centres]
        chosen = units[close[dist_units[close] <= max(centre_share * radius, 1e-9)]]
        chosen = np.union1d(chosen, [c])
        for centre in chosen.tolist():
            reach = np.hypot(problem.atom_x - problem.unit_x[centre], problem.atom_y - problem.unit_y[centre])
            near = np.flatnonzero(reach <= radius_factor * radius + 1e-9)
            atoms_out.append(near)
            centres_out.append(np.full(len(near), centre))
    # the plan itself
    atoms_out.append(np.arange(problem.n_atoms))
    centres_out.append(np.asarray(centres)[assignment])
    return np.concatenate(atoms_out).astype(np.int64), np.concatenate(centres_out).astype(np.int64)
