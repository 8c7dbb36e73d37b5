"""The solver's one graph walk and one union-find, shared by every module that needs them.

Graphs are adjacency lists: ``neighbours[v]`` lists the vertices next to ``v`` (the atom graph's
``Problem.atom_neighbours``, or the unit graph while atoms are being built).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence


def reach(neighbours: Sequence[Sequence[int]], start: int, *, inside: Collection[int] | None = None,
          outside: Collection[int] = (), until: Collection[int] = ()) -> set[int]:
    """The vertices reachable from ``start`` through vertices of ``inside`` (None: any) that are not in
    ``outside``; ``start`` itself is always included. With ``until``, the walk stops as soon as every
    vertex of ``until`` is reached (the answer is then partial)."""
    seen = {start}
    stack = [start]
    missing = len(until) - (start in until)
    while stack and (not until or missing):
        a = stack.pop()
        for b in neighbours[a]:
            if b in seen or b in outside or (inside is not None and b not in inside):
                continue
            seen.add(b)
            stack.append(b)
            if until and b in until:
                missing -= 1
    return seen


def components(neighbours: Sequence[Sequence[int]], vertices: Iterable[int]) -> list[set[int]]:
    """Connected components of the subgraph the vertices induce, ordered by their smallest vertex."""
    inside = {int(v) for v in vertices}
    seen: set[int] = set()
    parts: list[set[int]] = []
    for start in sorted(inside):
        if start not in seen:
            part = reach(neighbours, start, inside=inside)
            seen |= part
            parts.append(part)
    return parts


def connected(neighbours: Sequence[Sequence[int]], vertices: Iterable[int]) -> bool:
    """Whether the vertices (at least one) induce a connected subgraph."""
    inside = {int(v) for v in vertices}
    if not inside:
        return False
    return len(reach(neighbours, next(iter(inside)), inside=inside)) == len(inside)


class UnionFind:
    """Disjoint sets over vertices added one by one, each set carrying the sum of its members' weights."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        self._weight: dict[int, float] = {}

    def __contains__(self, v: int) -> bool:
        return v in self._parent

    def members(self) -> list[int]:
        """Every vertex added, sorted."""
        return sorted(self._parent)

    def add(self, v: int, weight: float = 0.0) -> None:
        self._parent[v] = v
        self._weight[v] = float(weight)

    def find(self, v: int) -> int:
        parent = self._parent
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    def union(self, a: int, b: int) -> bool:
        """Merge the sets of ``a`` and ``b`` (``a``'s root stays the root); False when already one set."""
        # ``find`` inlined: recombination calls this ~900 times a step on 500 tracts.
        parent = self._parent
        ra, rb = a, b
        while parent[ra] != ra:
            parent[ra] = parent[parent[ra]]
            ra = parent[ra]
        while parent[rb] != rb:
            parent[rb] = parent[parent[rb]]
            rb = parent[rb]
        if ra == rb:
            return False
        self._parent[rb] = ra
        self._weight[ra] += self._weight[rb]
        return True

    def weight(self, v: int) -> float:
        """The total weight of the set holding ``v``."""
        return self._weight[self.find(v)]
