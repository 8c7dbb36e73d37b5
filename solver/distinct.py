"""Rows that make the model's plan differ, as a partition, from earlier plans (``Spec.distinct_from``).

Only the *marked* atoms count (those holding a unit with a non-empty ``spec.distinct_attr``). For each
earlier plan, let ``r(a)`` be the smallest marked atom of ``a``'s old district (its representative) and
``D`` range over the model's districts (centres for Hess, labels for the labelling model):

    u_a ≤ 2 − x[a,D] − x[r(a),D]        ∀D     u_a = 1 only if a left its representative
    v_rs ≤ 1 − x[r,D] + x[s,D]         ∀D     v_rs = 1 only if representatives r, s were merged
    Σ_a u_a + Σ_rs v_rs ≥ 1                    some marked atom changed company

The plan repeats the earlier split exactly when every marked atom stays with its representative and no
two representatives meet, so the last row excludes exactly the earlier split (and its relabellings).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from solver.linear import LinearModel
from solver.problem import Problem


@dataclass
class DistinctColumns:
    first: int
    entries: list[tuple[str, int, int]]   # ("u", atom, representative) or ("v", rep, rep), column order

    def start_values(self, assignment: np.ndarray) -> np.ndarray:
        return np.array([float(assignment[a] != assignment[b]) if kind == "u" else float(assignment[a] == assignment[b])
                         for kind, a, b in self.entries])


def add_distinct(problem: Problem, model: LinearModel, column: Callable[[int, int], int | None],
                 districts: Sequence[int]) -> DistinctColumns | None:
    """Add the columns and rows for every earlier plan; ``column(atom, D)`` is x[atom, D] or None."""
    if not problem.distinct_from:
        return None
    entries: list[tuple[str, int, int]] = []
    per_plan: list[range] = []
    for old in problem.distinct_from:
        marked = np.flatnonzero(old >= 0).tolist()
        representative: dict[int, int] = {}
        for a in marked:
            representative.setdefault(int(old[a]), a)
        reps = [representative[d] for d in sorted(representative)]
        begin = len(entries)
        entries += [("u", a, representative[int(old[a])]) for a in marked if a not in reps]
        entries += [("v", r, s) for i, r in enumerate(reps) for s in reps[i + 1:]]
        per_plan.append(range(begin, len(entries)))
    count = len(entries)
    first = model.add_columns(np.zeros(count), np.zeros(count), np.ones(count), np.ones(count, dtype=bool))
    rows = []
    for span in per_plan:
        own = [first + i for i in span]
        rows.append((own, [1.0] * len(own), 1.0, np.inf))
    for offset, (kind, a, b) in enumerate(entries):
        j = first + offset
        for d in districts:
            ja, jb = column(a, d), column(b, d)
            if kind == "u":
                if ja is not None and jb is not None:
                    rows.append(([j, ja, jb], [1.0, 1.0, 1.0], -np.inf, 2.0))
            elif ja is not None:
                cols, vals = [j, ja], [1.0, 1.0]
                if jb is not None:
                    cols.append(jb)
                    vals.append(-1.0)
                rows.append((cols, vals, -np.inf, 1.0))
    model.add_row_list(rows)
    return DistinctColumns(first=first, entries=entries)
