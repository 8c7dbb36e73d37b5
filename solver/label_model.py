"""The labelling model for the ``cut-edges`` and ``boundary`` objectives (after Validi & Buchanan 2022).

Atoms ``a`` with a vertex ordering π (``solver.ordering``), districts ``j = 0..k−1`` labelled by their
*root* (first atom in π) and numbered in the order of their roots; atom-graph edges ``e = (u, v)``, u < v,
with weight ``w_e`` (number of unit edges for cut-edges; Σ length_m × 0.2-if-along-a-barrier for boundary):

    x[a,j] ∈ {0,1} a is in district j;   r[a,j] ∈ {0,1} a roots district j
    z[e,j] ∈ [0,1] e is cut and u is in j;   f(a→b) ≥ 0 flow;   w[a,j], q[a,j] ≥ 0 (orbitope);   t_j balance

    min  Σ_e w_e / scale · Σ_j z[e,j] + tie · Σ_j t_j
    s.t. Σ_j x[a,j] = 1;   L ≤ Σ_a p_a x[a,j] ≤ U;   z[e,j] ≥ x[u,j] − x[v,j]
         r[a,j] ≤ x[a,j];   w[π_i,j] = w[π_{i−1},j] + r[π_i,j]         (w: roots of j up to π_i)
         Σ_{t≥j} x[a,t] ≤ w[a,j]                  an atom in district ≥ j comes after the root of j
         q[π_i,j] + r[π_i,j] = q[π_{i+1},j] + r[π_{i+1},j+1], …        (the roots form one staircase path
                                                                       through positions × labels:
                                                                       the extended formulation of the
                                                                       partitioning orbitope)
         Σ_b f(b→a) − Σ_b f(a→b) ≥ 1 − M Σ_j r[a,j]                  every non-root takes in a unit …
         f(u→v) + f(v→u) ≤ (M − 1)(1 − Σ_j z[e,j])                     … never across a cut edge
         x[a,j] ≤ Σ_{b next to a} x[b,j] + [p_a ≥ L] r[a,j]          a district of two atoms or more
                                                                       holds a neighbour of each
         x[a,j] = x[b,j] for linked a, b;  Σ_{a has a facility} x[a,j] ≥ 1 (when required)

Single-commodity flow (SCF) makes every atom reach a root of its own district along uncut edges, and each
district has one root: districts are contiguous without lazily added cuts, so HiGHS solves one model to
the end, and its LP bound is much stronger than a labelling without roots. M is the most atoms one district
can hold. Fixings from the ordering (roots impossible at the back, heavy atoms that must root the first
districts, atoms too far from a fixed root, diagonal x[π_p, j] = 0 for j > p) are variable bounds.
Σ_j z[e,j] counts a cut edge once (only the district of u), the stronger of the two linearisations.

The tie-break's largest value is kept below half of the smallest step of an integer objective
(cut-edges), so it never changes which plan is optimal; for boundary it is ``tie_share`` of the warm
start's objective and is subtracted from the reported bound.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from solver.apart import add_apart
from solver.difference import DifferenceColumns, add_difference
from solver.distinct import DistinctColumns, add_distinct
from solver.linear import LinearModel, scaled_bound
from solver.ordering import Ordering
from solver.problem import Problem


@dataclass
class LabelModel:
    model: LinearModel
    k: int
    n_atoms: int
    n_edges: int
    ordering: Ordering
    scale: float                 # model objective × scale = the objective's units
    tie_max: float               # largest possible value of the tie-break term (model units)
    integral: bool               # the objective only takes integer values (cut edges)
    distinct: DistinctColumns | None = None
    difference: DifferenceColumns | None = None

    def primary_bound(self, model_bound: float | None) -> float | None:
        """A bound on the objective from a bound on the model objective (tie-break subtracted, rounded up
        when the objective is integral)."""
        return scaled_bound(model_bound, scale=self.scale, tie_max=self.tie_max, integral=self.integral)

    # Column blocks, in this order: x, r, w, q (m·k each), z (edges·k), f (2·edges), t (k).
    def x(self, a: int, j: int) -> int:
        return a * self.k + j

    def x_columns(self, atoms: np.ndarray) -> np.ndarray:
        """The x columns of ``atoms`` for every district."""
        return (np.asarray(atoms, dtype=np.int64)[:, None] * self.k + np.arange(self.k)[None, :]).ravel()

    def r(self, a: int, j: int) -> int:
        return self.n_atoms * self.k + a * self.k + j

    def w(self, a: int, j: int) -> int:
        return 2 * self.n_atoms * self.k + a * self.k + j

    def q(self, a: int, j: int) -> int:
        return 3 * self.n_atoms * self.k + a * self.k + j

    def z(self, e: int, j: int) -> int:
        return 4 * self.n_atoms * self.k + e * self.k + j

    def f(self, e: int, backwards: bool) -> int:
        return 4 * self.n_atoms * self.k + self.n_edges * self.k + 2 * e + int(backwards)

    def t(self, j: int) -> int:
        return 4 * self.n_atoms * self.k + self.n_edges * self.k + 2 * self.n_edges + j

    def assignment_from(self, values: np.ndarray) -> np.ndarray:
        block = values[: self.n_atoms * self.k].reshape(self.n_atoms, self.k)
        return np.argmax(block, axis=1).astype(np.int64)

    def start_from(self, assignment: np.ndarray, problem: Problem) -> np.ndarray | None:
        """Every column for a contiguous plan, districts relabelled by their roots; None when the plan
        contradicts a fixing (it cannot: fixings hold for every plan — kept as a guard on the data)."""
        m, k, ordering = self.n_atoms, self.k, self.ordering
        roots = sorted({int(d): int(ordering.order[min(ordering.position[np.flatnonzero(assignment == d)])])
                        for d in range(k)}.values(), key=lambda a: ordering.position[a])
        label_of_root = {root: j for j, root in enumerate(roots)}
        relabel = {int(assignment[root]): j for root, j in label_of_root.items()}
        labels = np.array([relabel[int(d)] for d in assignment.tolist()], dtype=np.int64)
        values = np.zeros(self.model.n_cols)
        for a in range(m):
            values[self.x(a, int(labels[a]))] = 1.0
        for root, j in label_of_root.items():
            values[self.r(root, j)] = 1.0
        # w: running count of roots of j along the ordering; q: solved backwards from the last position.
        seen = np.zeros(k)
        for a in ordering.order.tolist():
            for j in range(k):
                seen[j] += values[self.r(a, j)]
                values[self.w(a, j)] = seen[j]
        order = ordering.order.tolist()
        last = order[-1]
        for j in range(k - 1):
            values[self.q(last, j)] = -values[self.r(last, j)]
        values[self.q(last, k - 1)] = 1.0 - values[self.r(last, k - 1)]
        for i in range(m - 2, -1, -1):
            a, b = order[i], order[i + 1]
            for j in range(k - 1):
                values[self.q(a, j)] = values[self.q(b, j)] + values[self.r(b, j + 1)] - values[self.r(a, j)]
            values[self.q(a, k - 1)] = values[self.q(b, k - 1)] - values[self.r(a, k - 1)]
        edge_index = {}
        for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
            edge_index[(u, v)] = (e, False)
            edge_index[(v, u)] = (e, True)
            if labels[u] != labels[v]:
                values[self.z(e, int(labels[u]))] = 1.0
        # Flow: each district's BFS tree from its root carries one unit to every atom below it.
        for root, j in label_of_root.items():
            parent = {root: -1}
            queue, visit = deque([root]), []
            while queue:
                a = queue.popleft()
                visit.append(a)
                for b in problem.atom_neighbours[a]:
                    if labels[b] == j and b not in parent:
                        parent[b] = a
                        queue.append(b)
            if len(visit) != int((labels == j).sum()):
                return None  # not contiguous
            below = {a: 1.0 for a in visit}
            for a in reversed(visit[1:]):
                below[parent[a]] += below[a]
                e, backwards = edge_index[(parent[a], a)]
                values[self.f(e, backwards)] = below[a]
        pops = np.bincount(labels, weights=problem.atom_population, minlength=k)
        for j in range(k):
            values[self.t(j)] = abs(pops[j] - problem.total_population / k)
        if self.distinct is not None:
            extra = self.distinct.start_values(labels)
            values[self.distinct.first: self.distinct.first + len(extra)] = extra
        if self.difference is not None:
            extra = self.difference.start_values(problem, labels, np.arange(k))
            values[self.difference.first: self.difference.first + len(extra)] = extra
        lower, upper = self.model.lower, self.model.upper
        if np.any(values < lower - 1e-9) or np.any(values > upper + 1e-9):
            return None
        return values


def label_rows(problem: Problem, k: int) -> int:
    """About how many rows the labelling model for k districts has (what its build time and size follow)."""
    return 2 * len(problem.edge_u) * k + 4 * problem.n_atoms * k


def build_label(problem: Problem, k: int, objective: str, *, ordering: Ordering, require_facility: bool,
                tie_reference: float | None, tie_share: float = 1e-7, tie_break: bool = True,
                neighbour_rows: bool = True) -> LabelModel:
    """The model for ``k`` districts. ``tie_break=False`` leaves out the balance term: for a run that only
    asks whether a plan with a better objective exists, which the term cannot change. ``neighbour_rows``:
    the rows of ``_neighbour_rows``, which ``solve`` keeps where they pay
    (``label_strategy.RootBounds``)."""
    m, n_e = problem.n_atoms, len(problem.edge_u)
    weights = problem.edge_weights(objective)
    integral = objective == "cut-edges"
    scale = 1.0 if integral else float(max(weights.max(initial=0.0), 1e-9)) / 100.0
    tie_max_raw = 2.0 * problem.total_population
    if tie_max_raw <= 0 or not tie_break:
        tie_weight = 0.0
    elif integral:
        tie_weight = 0.25 / tie_max_raw
    elif tie_reference is not None and tie_reference > 0:
        tie_weight = tie_share * (tie_reference / scale) / tie_max_raw
    else:
        tie_weight = 0.0
    mk = m * k
    n = 4 * mk + n_e * k + 2 * n_e + k
    big = float(ordering.max_atoms)
    cost = np.zeros(n)
    cost[4 * mk: 4 * mk + n_e * k] = np.repeat(weights / scale, k)
    cost[n - k:] = tie_weight
    lower = np.zeros(n)
    upper = np.concatenate([np.ones(2 * mk), np.full(2 * mk, 1.0), np.ones(n_e * k), np.full(2 * n_e, big),
                            np.full(k, np.inf)])
    integer = np.zeros(n, dtype=bool)
    integer[: 2 * mk] = True
    model = LinearModel(cost=cost, lower=lower, upper=upper, integer=integer)
    label = LabelModel(model=model, k=k, n_atoms=m, n_edges=n_e, ordering=ordering, scale=scale,
                       tie_max=tie_weight * tie_max_raw, integral=integral)
    _fix(label, problem)
    x, r, w, q, z, f, t = label.x, label.r, label.w, label.q, label.z, label.f, label.t
    order = ordering.order.tolist()
    pop = problem.atom_population
    target = problem.total_population / k
    rows: list[tuple[list[int], list[float], float, float]] = []
    for a in range(m):
        rows.append(([x(a, j) for j in range(k)], [1.0] * k, 1.0, 1.0))
    for j in range(k):
        cols = [x(a, j) for a in range(m)]
        rows.append((cols, pop.tolist(), problem.min_population, problem.max_population))
        if tie_weight > 0:
            rows.append((cols + [t(j)], pop.tolist() + [1.0], target, np.inf))
            rows.append((cols + [t(j)], (-pop).tolist() + [1.0], -target, np.inf))
        if require_facility:
            facility = np.flatnonzero(problem.atom_facility).tolist()
            rows.append(([x(a, j) for a in facility], [1.0] * len(facility), 1.0, np.inf))
    for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
        for j in range(k):
            rows.append(([z(e, j), x(u, j), x(v, j)], [1.0, -1.0, 1.0], 0.0, np.inf))
        rows.append(([f(e, False), f(e, True)] + [z(e, j) for j in range(k)], [1.0, 1.0] + [big - 1.0] * k,
                     -np.inf, big - 1.0))
    for a in range(m):
        for j in range(k):
            rows.append(([r(a, j), x(a, j)], [1.0, -1.0], -np.inf, 0.0))
            rows.append(([x(a, s) for s in range(j, k)] + [w(a, j)], [1.0] * (k - j) + [-1.0], -np.inf, 0.0))
    for i, a in enumerate(order):
        for j in range(k):
            if i == 0:
                rows.append(([w(a, j), r(a, j)], [1.0, -1.0], 0.0, 0.0))
            else:
                rows.append(([w(a, j), w(order[i - 1], j), r(a, j)], [1.0, -1.0, -1.0], 0.0, 0.0))
    # The staircase: leaving position i at label j either stays on j or steps to j+1 at the next root.
    for i in range(m - 1):
        a, b = order[i], order[i + 1]
        for j in range(k - 1):
            rows.append(([q(a, j), r(a, j), q(b, j), r(b, j + 1)], [1.0, 1.0, -1.0, -1.0], 0.0, 0.0))
        rows.append(([q(a, k - 1), r(a, k - 1), q(b, k - 1)], [1.0, 1.0, -1.0], 0.0, 0.0))
    last = order[-1]
    for j in range(k - 1):
        rows.append(([q(last, j), r(last, j)], [1.0, 1.0], 0.0, 0.0))
    rows.append(([q(last, k - 1), r(last, k - 1)], [1.0, 1.0], 1.0, 1.0))
    # Flow balance: a non-root takes in at least one unit; a root may send out up to M − 1.
    inflow: list[list[tuple[int, float]]] = [[] for _ in range(m)]
    for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
        inflow[v] += [(f(e, False), 1.0), (f(e, True), -1.0)]
        inflow[u] += [(f(e, True), 1.0), (f(e, False), -1.0)]
    for a in range(m):
        cols = [c for c, _ in inflow[a]] + [r(a, j) for j in range(k)]
        vals = [v for _, v in inflow[a]] + [big] * k
        rows.append((cols, vals, 1.0, np.inf))
    if neighbour_rows:
        rows += _neighbour_rows(label, problem)
    for members in problem.links:
        for a, b in zip(members, members[1:]):
            for j in range(k):
                rows.append(([x(a, j), x(b, j)], [1.0, -1.0], 0.0, 0.0))
    model.add_row_list(rows)
    add_apart(problem, model, lambda a, j: x(a, j), list(range(k)))
    label.distinct = add_distinct(problem, model, lambda a, j: x(a, j), list(range(k)))
    label.difference = add_difference(problem, model, lambda a, j: x(a, j), list(range(k)))
    return label


def _neighbour_rows(label: LabelModel, problem: Problem) -> list[tuple[list[int], list[float], float, float]]:
    """x[a,j] ≤ Σ_{b next to a} x[b,j] (+ r[a,j] when a could be a district alone): a connected district
    with two atoms or more holds a neighbour of each. The flow rows imply this only for whole plans; the LP
    spreads an atom's district over its neighbours without them, and Iowa's proof on two threads took
    80.2 and 85.6 s with these rows against 131.6 s without."""
    upper, k = label.model.upper, label.k
    rows = []
    for a in range(label.n_atoms):
        # An atom at the floor or above may be a district on its own (its root): the row then exempts it.
        alone = problem.atom_population[a] >= problem.min_population
        for j in range(k):
            if upper[label.x(a, j)] < 0.5:
                continue
            cols = [label.x(a, j)] + [label.x(b, j) for b in problem.atom_neighbours[a] if upper[label.x(b, j)] > 0.5]
            vals = [1.0] + [-1.0] * (len(cols) - 1)
            if alone:
                cols.append(label.r(a, j))
                vals.append(-1.0)
            rows.append((cols, vals, -np.inf, 0.0))
    return rows


def _fix(label: LabelModel, problem: Problem) -> None:
    """Bounds implied by the ordering (``solver.ordering``); all valid for every contiguous plan."""
    model, k, ordering = label.model, label.k, label.ordering
    m = label.n_atoms
    upper, lower = model.upper, model.lower
    for p, a in enumerate(ordering.order.tolist()):
        for j in range(p + 1, k):  # diagonal: the p-th atom is in one of the first p + 1 districts
            upper[label.x(a, j)] = 0.0
            upper[label.r(a, j)] = 0.0
        if p >= ordering.back_start:
            for j in range(k):
                upper[label.r(a, j)] = 0.0
    # The t-th atom before the back cannot root districts 0..k−t−1: k−t roots must still follow it.
    for t_back in range(1, k):
        p = ordering.back_start - t_back
        if 0 <= p < m:
            a = int(ordering.order[p])
            for j in range(k - t_back):
                upper[label.r(a, j)] = 0.0
    for j, a in enumerate(ordering.fixed_roots):
        lower[label.r(a, j)] = lower[label.x(a, j)] = 1.0
        for s in range(k):
            if s != j:
                upper[label.x(a, s)] = 0.0
        for b in range(m):
            if b != a:
                upper[label.r(b, j)] = 0.0
    for a, j in ordering.banned:
        if lower[label.x(a, j)] < 0.5:
            upper[label.x(a, j)] = 0.0
            upper[label.r(a, j)] = 0.0
    for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
        for j in range(k):
            zc = label.z(e, j)
            if upper[label.x(u, j)] < 0.5 or lower[label.x(v, j)] > 0.5:
                upper[zc] = 0.0
            elif lower[label.x(u, j)] > 0.5 and upper[label.x(v, j)] < 0.5:
                lower[zc] = 1.0
