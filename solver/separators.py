"""Vertex separators for contiguity cuts.

If a district's atoms fall into several components, take a component ``S`` that does not hold the
district's root. ``N(S)`` (the atoms next to ``S``) separates ``S`` from the root; it is shrunk to a
minimal separator by keeping only the atoms of ``N(S)`` that also touch ``R``, the part of the graph the
root reaches without crossing ``N(S)``. Every path from ``S`` to the root crosses the result, so a
contiguous district holding an atom of ``S`` and the root holds an atom of the separator.
"""
from __future__ import annotations

from collections.abc import Iterable


from solver.problem import Problem


def components(problem: Problem, atoms: Iterable[int]) -> list[set[int]]:
    """Connected components of the atoms (in the atom graph), ordered by their smallest atom."""
    inside = set(int(a) for a in atoms)
    seen: set[int] = set()
    parts: list[set[int]] = []
    for start in sorted(inside):
        if start in seen:
            continue
        part = {start}
        stack = [start]
        while stack:
            a = stack.pop()
            for b in problem.atom_neighbours[a]:
                if b in inside and b not in part:
                    part.add(b)
                    stack.append(b)
        seen |= part
        parts.append(part)
    return parts


def minimal_separator(problem: Problem, part: set[int], root: int) -> list[int]:
    """A minimal set of atoms separating ``part`` from ``root`` (neither in it)."""
    boundary = {b for a in part for b in problem.atom_neighbours[a] if b not in part}
    reach = {root}
    stack = [root]
    while stack:
        a = stack.pop()
        for b in problem.atom_neighbours[a]:
            if b not in reach and b not in boundary and b not in part:
                reach.add(b)
                stack.append(b)
    return sorted(b for b in boundary if any(n in reach for n in problem.atom_neighbours[b]))
