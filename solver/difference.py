"""Options that differ by a share of the residents (``Spec.distinct_share``), as rows of the models.

Two plans *agree* on the residents that a best matching of their district labels keeps in corresponding
districts: with ``W[o, D] = Σ_{a in old district o} p_a x[a, D]`` the people that old district o and new
district D share, agreement = max over matchings π of Σ_o W[o, π(o)]. The plan must satisfy
agreement ≤ total − share·total for every earlier plan. The maximum of an assignment problem equals its
LP dual (the bipartite matching polytope is integral), so "the maximum is at most B" is linear:

    u_o + v_D − Σ_{a∈o} p_a x[a,D] ≥ 0      ∀ o, D        u free, v ≥ 0
    Σ_o u_o + Σ_D v_D ≤ B

(any feasible (u, v) bounds every matching from above; the optimal dual attains the maximum). D ranges
over the model's districts: centre units for Hess (v = 0 on centres left closed), labels for the labelling
model. ``agreement`` computes the same number from an assignment (Hungarian method), for the heuristic's
feasibility test and the warm start's (u, v).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from solver.linear import LinearModel
from solver.problem import Problem


def hungarian_max(weights: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(maximum matching weight, u, v) of a square matrix, with u_i + v_j ≥ w_ij, v ≥ 0 and
    Σu + Σv = the maximum (an optimal dual)."""
    cost = -np.asarray(weights, dtype=float)
    n = cost.shape[0]
    u = np.zeros(n + 1)
    v = np.zeros(n + 1)
    owner = np.zeros(n + 1, dtype=np.int64)   # owner[j]: row matched to column j (1-based, 0 = none)
    way = np.zeros(n + 1, dtype=np.int64)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = np.full(n + 1, np.inf)
        used = np.zeros(n + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = owner[j0]
            free = np.flatnonzero(~used[1:]) + 1
            reduced = cost[i0 - 1, free - 1] - u[i0] - v[free]
            better = reduced < minv[free]
            minv[free[better]] = reduced[better]
            way[free[better]] = j0
            j1 = int(free[int(np.argmin(minv[free]))])
            delta = minv[j1]
            u[owner[used]] += delta
            v[used] -= delta
            minv[~used] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    big_u, big_v = -u[1:], -v[1:]
    shift = big_v.min() if n else 0.0
    big_v -= shift
    big_u += shift
    value = float(sum(weights[owner[j] - 1, j - 1] for j in range(1, n + 1)))
    return value, big_u, big_v


def overlap(problem: Problem, old: np.ndarray, assignment: np.ndarray, k: int) -> np.ndarray:
    """W[o, d]: population in old district o and new district d (square, padded to the larger count)."""
    size = max(k, int(old.max()) + 1)
    weights = np.zeros((size, size))
    np.add.at(weights, (old, assignment), problem.atom_population)
    return weights


def too_similar(problem: Problem, assignment: np.ndarray, k: int) -> int:
    """How many earlier plans the plan agrees with on more than total − share·total residents."""
    limit = problem.total_population - problem.distinct_population
    return sum(int(hungarian_max(overlap(problem, old, assignment, k))[0] > limit + 1e-6)
               for old in problem.distinct_full)


@dataclass
class DifferenceColumns:
    first: int               # u (old districts) then v (model districts), per earlier plan
    sizes: list[int]         # old district count per earlier plan
    n_districts: int

    def start_values(self, problem: Problem, assignment: np.ndarray, position: np.ndarray) -> np.ndarray:
        """(u, v) for a plan: ``position[d]`` is the model district index of the plan's district d."""
        values: list[float] = []
        k = len(position)
        for old, size in zip(problem.distinct_full, self.sizes):
            _, u, v = hungarian_max(overlap(problem, old, assignment, k))
            model_v = np.zeros(self.n_districts)
            model_v[np.asarray(position)] = v[:k]
            values += list(u[:size]) + list(model_v)
        return np.array(values)


def add_difference(problem: Problem, model: LinearModel, column: Callable[[int, int], int | None],
                   districts: Sequence[int]) -> DifferenceColumns | None:
    """The rows above for every earlier plan; ``column(atom, D)`` is x[atom, D] or None."""
    if not problem.distinct_full or problem.distinct_population <= 0:
        return None
    limit = problem.total_population - problem.distinct_population
    sizes = [int(old.max()) + 1 for old in problem.distinct_full]
    count = sum(size + len(districts) for size in sizes)
    lower = np.concatenate([np.concatenate([np.full(size, -np.inf), np.zeros(len(districts))]) for size in sizes])
    first = model.add_columns(np.zeros(count), lower, np.full(count, np.inf), np.zeros(count, dtype=bool))
    rows = []
    start = first
    for old, size in zip(problem.distinct_full, sizes):
        members = [np.flatnonzero((old == o) & (problem.atom_population > 0)).tolist() for o in range(size)]
        for o in range(size):
            for i, d in enumerate(districts):
                cols, vals = [start + o, start + size + i], [1.0, 1.0]
                for a in members[o]:
                    j = column(a, d)
                    if j is not None:
                        cols.append(j)
                        vals.append(-float(problem.atom_population[a]))
                rows.append((cols, vals, 0.0, np.inf))
        own = list(range(start, start + size + len(districts)))
        rows.append((own, [1.0] * len(own), -np.inf, limit))
        start += size + len(districts)
    model.add_row_list(rows)
    return DifferenceColumns(first=first, sizes=sizes, n_districts=len(districts))
