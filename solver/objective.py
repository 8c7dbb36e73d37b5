"""Objective values of a plan computed directly from the assignment (never read back from a solver).

- ``inertia``: Σ over units of population × squared distance (m²) to the district's centre unit; the
  centre of a district is the unit nearest its population-weighted mean, which is exactly the unit that
  minimises the district's inertia (Σ p |u − c|² = P |m − c|² + const); ties go to the smaller unit id.
  With ``Spec.distance`` the distance is the spec's and the centre is the unit of least total cost.
- ``cut-edges``: the number of graph edges whose ends lie in different districts.
- ``boundary``: Σ over cut edges of length_m, × ``BARRIER_WEIGHT`` (0.2) when the edge runs along a road or
  river (edge attribute ``barrier``).
"""
from __future__ import annotations

import numpy as np

from solver.problem import Problem


def centres_of(problem: Problem, assignment: np.ndarray, k: int) -> list[int]:
    """Best centre unit (index) of every district 0..k−1 for the inertia objective."""
    unit_district = assignment[problem.unit_atom]
    centres: list[int] = []
    for d in range(k):
        atoms = np.flatnonzero(assignment == d)
        units = np.flatnonzero(unit_district == d)
        if problem.custom_cost is not None:
            # No centroid shortcut for an arbitrary distance: the unit of least total cost.
            total = problem.custom_cost[np.ix_(atoms, units)].sum(axis=0)
            centres.append(int(units[int(np.argmin(total))]))
            continue
        weight = problem.atom_population[atoms]
        if weight.sum() > 0:
            mx = float(np.dot(weight, problem.atom_x[atoms]) / weight.sum())
            my = float(np.dot(weight, problem.atom_y[atoms]) / weight.sum())
        else:
            mx = float(problem.unit_x[units].mean())
            my = float(problem.unit_y[units].mean())
        dist = (problem.unit_x[units] - mx) ** 2 + (problem.unit_y[units] - my) ** 2
        centres.append(int(units[int(np.argmin(dist))]))  # argmin keeps the first (smallest id) on ties
    return centres


def inertia_with_centres(problem: Problem, assignment: np.ndarray, centres: list[int]) -> float:
    centre_of_atom = np.asarray(centres)[assignment]
    return float(problem.atom_cost(np.arange(problem.n_atoms), centre_of_atom).sum())


def evaluate(problem: Problem, assignment: np.ndarray, objective: str, k: int) -> tuple[float, list[int]]:
    """(objective value, centre unit index per district) of an atom assignment with districts 0..k−1."""
    centres = centres_of(problem, assignment, k)
    if objective == "inertia":
        return inertia_with_centres(problem, assignment, centres), centres
    cut = assignment[problem.edge_u] != assignment[problem.edge_v]
    weights = problem.edge_weights(objective)
    return float(weights[cut].sum()), centres


def imbalance(problem: Problem, assignment: np.ndarray, k: int) -> float:
    """Σ_d |population_d − total / k|: the balance tie-break."""
    pops = np.bincount(assignment, weights=problem.atom_population, minlength=k)
    return float(np.abs(pops - problem.total_population / k).sum())


def score(graph, spec, assignment) -> float | None:
    """The spec's objective of any complete plan {unit id: district}, straight from the graph (a plan a
    person drew may split a keep-together group, so no atoms are used): the same numbers ``evaluate``
    gives the solver's plans. None with ``Spec.distance`` (an arbitrary distance is not re-evaluated here)."""
    from solver.problem import BARRIER_WEIGHT

    nodes = {str(node): node for node in graph.nodes}
    if spec.objective != "inertia":
        total = 0.0
        for a, b, data in graph.edges(data=True):
            if assignment[str(a)] != assignment[str(b)]:
                length = float(data.get("length_m", 0.0) or 0.0)
                total += 1.0 if spec.objective == "cut-edges" else max(length, 0.0) * (
                    BARRIER_WEIGHT if data.get("barrier") else 1.0)
        return total
    if spec.distance is not None:
        return None
    members: dict[int, list[str]] = {}
    for unit, d in assignment.items():
        members.setdefault(int(d), []).append(str(unit))
    total = 0.0
    for units in members.values():
        data = [graph.nodes[nodes[u]] for u in units]
        pop = np.array([float(x.get(spec.population_attr, 0) or 0) for x in data])
        xs = np.array([float(x["x"]) for x in data])
        ys = np.array([float(x["y"]) for x in data])
        # Σ p |u − c|² over the district for every unit c as centre; the best centre gives the value
        cost = (pop[:, None] * ((xs[:, None] - xs[None, :]) ** 2 + (ys[:, None] - ys[None, :]) ** 2)).sum(axis=0)
        total += float(cost.min())
    return total
