"""The labelling model for the ``cut-edges`` and ``boundary`` objectives, contiguity by a,b-separator cuts.

Atoms ``a`` in index order, districts ``d = 0..k−1``, atom-graph edges ``e = {u, v}`` with weight ``w_e``
(number of unit edges for cut-edges; Σ length_m × 0.2-if-along-a-barrier for boundary):

    x[a,d] ∈ {0,1}   atom a is in district d;  y_e ∈ [0,1] edge e is cut;  t_d ≥ 0 balance

    min  Σ_e w_e / scale · y_e + w · Σ_d t_d
    s.t. Σ_d x[a,d] = 1                              ∀a
         L ≤ Σ_a p_a x[a,d] ≤ U;  Σ_a x[a,d] ≥ 1      ∀d
         y_e ≥ x[u,d] − x[v,d],  y_e ≥ x[v,d] − x[u,d]  ∀e, d
         t_d ≥ ±(Σ_a p_a x[a,d] − P/k)               ∀d
         x[a,d] = 0 for d > a;  x[a,d] ≤ Σ_{b<a} x[b,d−1]   (districts labelled by their smallest atom)
         Σ_{a has a facility} x[a,d] ≥ 1              (when a facility is required)
         x[a,d] = x[b,d]                             a, b linked
         x[a,d] + x[b,d] ≤ 1 + Σ_{s∈S} x[s,d]          S an a–b separator (contiguity; added lazily)

y_e is continuous: at an integer x the minimisation makes it 0 or 1. The tie-break's largest value is
kept below half of the smallest step of an integer objective (cut-edges), so it never changes which
plan is optimal; for boundary it is ``tie_share`` of the warm start's objective and is subtracted from
the reported bound.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.distinct import DistinctColumns, add_distinct
from solver.linear import LinearModel
from solver.problem import Problem
from solver.separators import components, minimal_separator


@dataclass
class LabelModel:
    model: LinearModel
    k: int
    n_atoms: int
    scale: float
    tie_weight: float
    tie_max: float
    integral: bool
    distinct: DistinctColumns | None = None

    def x(self, a: int, d: int) -> int:
        return a * self.k + d

    def assignment_from(self, values: np.ndarray) -> np.ndarray:
        block = values[: self.n_atoms * self.k].reshape(self.n_atoms, self.k)
        return np.argmax(block, axis=1).astype(np.int64)

    def start_from(self, assignment: np.ndarray, problem: Problem, weights: np.ndarray) -> np.ndarray:
        """Columns for a plan, relabelled canonically (districts ordered by their smallest atom)."""
        assignment = canonical(assignment)
        m, k = self.n_atoms, self.k
        values = np.zeros(self.model.n_cols)
        values[np.arange(m) * k + assignment] = 1.0
        cut = assignment[problem.edge_u] != assignment[problem.edge_v]
        values[m * k: m * k + len(cut)] = cut.astype(float)
        pops = np.bincount(assignment, weights=problem.atom_population, minlength=k)
        values[m * k + len(cut): m * k + len(cut) + k] = np.abs(pops - problem.total_population / k)
        if self.distinct is not None:
            extra = self.distinct.start_values(assignment)
            values[self.distinct.first: self.distinct.first + len(extra)] = extra
        return values


def canonical(assignment: np.ndarray) -> np.ndarray:
    """Relabel districts 0..k−1 in order of their smallest atom."""
    order: dict[int, int] = {}
    for d in assignment.tolist():
        if d not in order:
            order[d] = len(order)
    return np.array([order[d] for d in assignment.tolist()], dtype=np.int64)


def build_label(problem: Problem, k: int, objective: str, *, require_facility: bool,
                tie_reference: float | None, tie_share: float = 1e-7) -> LabelModel:
    m, n_e = problem.n_atoms, len(problem.edge_u)
    weights = problem.edge_count if objective == "cut-edges" else problem.edge_boundary
    integral = objective == "cut-edges"
    scale = 1.0 if integral else float(max(weights.max(initial=0.0), 1e-9)) / 100.0
    tie_max_raw = 2.0 * problem.total_population
    if tie_max_raw <= 0:
        tie_weight = 0.0
    elif integral:
        tie_weight = 0.25 / tie_max_raw
    elif tie_reference is not None and tie_reference > 0:
        tie_weight = tie_share * (tie_reference / scale) / tie_max_raw
    else:
        tie_weight = 0.0
    n_x = m * k
    n = n_x + n_e + k
    upper = np.concatenate([np.ones(n_x), np.ones(n_e), np.full(k, np.inf)])
    # Canonical labels: atom a can only be in districts 0..a.
    xa = np.repeat(np.arange(m), k)
    xd = np.tile(np.arange(k), m)
    upper[:n_x][xd > xa] = 0.0
    lower = np.zeros(n)
    lower[0] = 1.0  # atom 0 opens district 0
    model = LinearModel(
        cost=np.concatenate([np.zeros(n_x), weights / scale, np.full(k, tie_weight)]),
        lower=lower, upper=upper,
        integer=np.concatenate([np.ones(n_x, dtype=bool), np.zeros(n_e + k, dtype=bool)]),
    )
    label = LabelModel(model=model, k=k, n_atoms=m, scale=scale, tie_weight=tie_weight,
                       tie_max=tie_weight * tie_max_raw, integral=integral)
    x = label.x
    # Every atom once.
    model.add_rows(np.full(m, k), np.arange(n_x), np.ones(n_x), np.ones(m), np.ones(m))
    rows = []
    pop = problem.atom_population
    target = problem.total_population / k
    for d in range(k):
        cols = [x(a, d) for a in range(m)]
        rows.append((cols, pop.tolist(), problem.min_population, problem.max_population))
        rows.append((cols, [1.0] * m, 1.0, np.inf))
        if tie_weight > 0:
            rows.append((cols + [n_x + n_e + d], pop.tolist() + [1.0], target, np.inf))
            rows.append((cols + [n_x + n_e + d], (-pop).tolist() + [1.0], -target, np.inf))
        if require_facility:
            rows.append(([x(a, d) for a in np.flatnonzero(problem.atom_facility).tolist()],
                         [1.0] * int(problem.atom_facility.sum()), 1.0, np.inf))
    for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
        for d in range(k):
            rows.append(([n_x + e, x(u, d), x(v, d)], [1.0, -1.0, 1.0], 0.0, np.inf))
            rows.append(([n_x + e, x(u, d), x(v, d)], [1.0, 1.0, -1.0], 0.0, np.inf))
    for a in range(1, m):
        for d in range(1, min(k, a + 1)):
            rows.append(([x(a, d)] + [x(b, d - 1) for b in range(a)], [1.0] + [-1.0] * a, -np.inf, 0.0))
    for members in problem.links:
        for a, b in zip(members, members[1:]):
            for d in range(k):
                rows.append(([x(a, d), x(b, d)], [1.0, -1.0], 0.0, 0.0))
    model.add_row_list(rows)
    label.distinct = add_distinct(problem, model, lambda a, d: x(a, d) if d <= a else None, list(range(k)))
    return label


def label_cuts(problem: Problem, label: LabelModel, assignment: np.ndarray):
    """a,b-separator rows (for every district label) for each district that falls apart."""
    rows = []
    seen: set[tuple[int, int, tuple[int, ...]]] = set()
    for d in range(label.k):
        parts = components(problem, np.flatnonzero(assignment == d))
        if len(parts) <= 1:
            continue
        parts.sort(key=lambda s: (-float(problem.atom_population[list(s)].sum()), min(s)))
        main = parts[0]
        b = max(sorted(main), key=lambda a: len(problem.atom_neighbours[a]))
        for part in parts[1:]:
            separator = minimal_separator(problem, part, b)
            for a in sorted(part):
                key = (a, b, tuple(separator))
                if key in seen:
                    continue
                seen.add(key)
                for label_d in range(label.k):
                    cols = [label.x(a, label_d), label.x(b, label_d)] + [label.x(s, label_d) for s in separator]
                    rows.append((cols, [1.0, 1.0] + [-1.0] * len(separator), -np.inf, 1.0))
    return rows
