"""Vertex separators for contiguity cuts.

If a district's atoms fall into several components, take a component ``S`` that does not hold the
district's root. ``N(S)`` (the atoms next to ``S``) separates ``S`` from the root; it is shrunk to a
minimal separator by keeping only the atoms of ``N(S)`` that also touch ``R``, the part of the graph the
root reaches without crossing ``N(S)``. Every path from ``S`` to the root crosses the result, so a
contiguous district holding an atom of ``S`` and the root holds an atom of the separator.
"""
from __future__ import annotations

from solver.graphs import reach
from solver.problem import Problem


def minimal_separator(problem: Problem, part: set[int], root: int) -> list[int]:
    """A minimal set of atoms separating ``part`` from ``root`` (neither in it)."""
    boundary = {b for a in part for b in problem.atom_neighbours[a] if b not in part}
    reached = reach(problem.atom_neighbours, root, outside=boundary | part)
    return sorted(b for b in boundary if any(n in reached for n in problem.atom_neighbours[b]))
