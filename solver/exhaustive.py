"""Exhaustive search over whole districts: a decision procedure for tight population bands.

When every district must hold between L and U people and L is close to U, the MIP's LP relaxation says
little (any fractional mixture balances), yet very few connected sets of atoms hit the band. This search
builds plans district by district:

* the district that holds the heaviest atom not yet placed is one of the connected sets containing it
  with population in [L, U] (enumerated without repetition, pruned as soon as U is passed, keeping
  linked atoms together and, when required, holding a facility);
* what is left must fall into connected pieces that can each be split on their own: a piece of
  population p needs a whole number c of districts with c·L ≤ p ≤ c·U, and as many facilities;
* a remainder proven impossible is remembered, so it is never searched twice.

It proves that no plan exists (``none``) or returns a plan (``plan``); it gives up (``unknown``) at its
deadline or when its memory of remainders grows past ``max_states``. Atom sets are Python integers used
as bit sets. Only for graphs of a few hundred atoms: the search depth grows with the number of atoms.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from solver.problem import Problem

#: The search is only started on problems with at most this many atoms (its recursion depth ≤ atoms).
MAX_ATOMS = 300


class _GiveUp(Exception):
    pass


@dataclass(frozen=True)
class SearchResult:
    status: str                       # "plan" | "none" | "unknown"
    assignment: np.ndarray | None     # atom → district 0..k−1 when status == "plan"
    districts_tried: int              # connected sets within the band that were examined
    remainders: int                   # remainders remembered as impossible or solved


def exhaustive_search(problem: Problem, k: int, *, require_facility: bool, deadline: float,
                      max_states: int = 2_000_000) -> SearchResult:
    search = _Search(problem, require_facility=require_facility, deadline=deadline, max_states=max_states)
    everything = (1 << problem.n_atoms) - 1
    try:
        found = search.solve(everything, k)
    except _GiveUp:
        return SearchResult("unknown", None, search.tried, len(search.memo))
    if found is None:
        return SearchResult("none", None, search.tried, len(search.memo))
    assignment = np.full(problem.n_atoms, -1, dtype=np.int64)
    for d, district in enumerate(found):
        for a in _members(district):
            assignment[a] = d
    return SearchResult("plan", assignment, search.tried, len(search.memo))


def _members(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _Search:
    def __init__(self, problem: Problem, *, require_facility: bool, deadline: float, max_states: int):
        self.pop = [float(p) for p in problem.atom_population]
        self.low, self.high = float(problem.min_population), float(problem.max_population)
        self.neighbours = [0] * problem.n_atoms
        for a, near in enumerate(problem.atom_neighbours):
            for b in near:
                self.neighbours[a] |= 1 << b
        self.facility = 0
        if require_facility:
            for a in np.flatnonzero(problem.atom_facility).tolist():
                self.facility |= 1 << a
        self.require_facility = require_facility
        self.links = [sum(1 << a for a in members) for members in problem.links]
        self.apart = [(1 << a) | (1 << b) for a, b in problem.apart]
        self.deadline, self.max_states = deadline, max_states
        self.memo: dict[tuple[int, int], list[int] | None] = {}
        self.tried = 0
        self.ticks = 0

    def _tick(self) -> None:
        # The clock is read on the first step and every 2048th after: cheap, and a spent budget stops at once.
        self.ticks += 1
        if self.ticks % 2048 == 1 and (time.monotonic() > self.deadline or len(self.memo) > self.max_states):
            raise _GiveUp

    def weight(self, mask: int) -> float:
        return sum(self.pop[a] for a in _members(mask))

    def pieces(self, mask: int) -> list[int]:
        out = []
        while mask:
            piece = frontier = mask & -mask
            while frontier:
                reached = 0
                for a in _members(frontier):
                    reached |= self.neighbours[a]
                frontier = reached & mask & ~piece
                piece |= frontier
            out.append(piece)
            mask &= ~piece
        return out

    def counts(self, piece: int) -> list[int]:
        """Numbers of districts a connected piece could be split into (population, atoms, facilities)."""
        weight = self.weight(piece)
        eps = 1e-9 * max(1.0, weight)
        lowest = max(1, math.ceil((weight - eps) / self.high))
        highest = bin(piece).count("1")
        if self.low > 0:
            highest = min(highest, math.floor((weight + eps) / self.low))
        if self.require_facility:
            highest = min(highest, bin(piece & self.facility).count("1"))
        return list(range(lowest, highest + 1))

    def solve(self, mask: int, k: int) -> list[int] | None:
        """Districts (as masks) splitting ``mask`` into k, or None when impossible."""
        key = (mask, k)
        if key in self.memo:
            return self.memo[key]
        self._tick()
        pieces = self.pieces(mask)
        if len(pieces) > 1:
            result = self._solve_pieces(pieces, k)
        else:
            result = self._solve_piece(mask, k)
        self.memo[key] = result
        return result

    def _solve_pieces(self, pieces: list[int], k: int) -> list[int] | None:
        options = [self.counts(p) for p in pieces]
        if any(not o for o in options) or sum(min(o) for o in options) > k or sum(max(o) for o in options) < k:
            return None

        def assign(i: int, left: int) -> list[int] | None:
            if i == len(pieces):
                return [] if left == 0 else None
            for c in options[i]:
                if c > left:
                    break
                inside = self.solve(pieces[i], c)
                if inside is None:
                    continue
                rest = assign(i + 1, left - c)
                if rest is not None:
                    return inside + rest
            return None

        return assign(0, k)

    def _solve_piece(self, mask: int, k: int) -> list[int] | None:
        if k not in self.counts(mask):
            return None
        if k == 1:
            return [mask] if self._whole(mask) else None
        v = max(_members(mask), key=lambda a: (self.pop[a], -a))
        if self.pop[v] > self.high:
            return None
        result: list[list[int]] = []

        def extend(chosen: int, weight: float, frontier: int, seen: int) -> bool:
            self._tick()
            if weight >= self.low and self._whole(chosen):
                self.tried += 1
                rest = self.solve(mask & ~chosen, k - 1)
                if rest is not None:
                    result.append([chosen] + rest)
                    return True
            todo = frontier
            while todo:
                w = (todo & -todo).bit_length() - 1
                todo &= ~(1 << w)
                if weight + self.pop[w] > self.high:
                    continue
                grown = chosen | (1 << w)
                # Each connected set is produced once: w's new neighbours join the frontier only if no
                # earlier branch could already reach them.
                fresh = self.neighbours[w] & mask & ~grown & ~seen & ~frontier
                if extend(grown, weight + self.pop[w], todo | fresh, seen | frontier):
                    return True
            return False

        start = 1 << v
        extend(start, self.pop[v], self.neighbours[v] & mask, start)
        return result[0] if result else None

    def _whole(self, district: int) -> bool:
        """Links kept whole, no two lock labels together and, when required, a facility inside."""
        if self.require_facility and not district & self.facility:
            return False
        return (all(not (link & district) or (link & district) == link for link in self.links)
                and all(district & pair != pair for pair in self.apart))
