"""Rows that keep lock labels apart (``Problem.apart``): two representative atoms never share a district.

For every pair (a, b) and every district D of the model (centres for Hess, labels for the labelling model):

    x[a,D] + x[b,D] ≤ 1

A label's other atoms follow its representative through the link rows, so this is the whole rule.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from solver.linear import LinearModel
from solver.problem import Problem


def add_apart(problem: Problem, model: LinearModel, column: Callable[[int, int], int | None],
              districts: Sequence[int]) -> None:
    """``column(atom, D)`` is x[atom, D] or None (a pair left out of a restriction)."""
    rows = []
    for a, b in problem.apart:
        for d in districts:
            ja, jb = column(a, d), column(b, d)
            if ja is not None and jb is not None:
                rows.append(([ja, jb], [1.0, 1.0], -np.inf, 1.0))
    if rows:
        model.add_row_list(rows)


def apart_broken(problem: Problem, assignment: np.ndarray) -> int:
    """How many pairs of lock labels share a district."""
    return sum(int(assignment[a] == assignment[b]) for a, b in problem.apart)
