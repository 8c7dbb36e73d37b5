"""A vertex ordering for the labelling model and the variable fixings it proves (Validi & Buchanan 2022).

Districts are labelled by their *root*, the first of their atoms in the ordering, and numbered in the
order of their roots. The ordering is chosen so that many labels are impossible before any solving:

* **B at the back.** ``B`` is a set of atoms whose connected pieces each hold fewer than L people. A
  district rooted at an atom of the back of the ordering would hold only back atoms, connected, so fewer
  than L people: back atoms root nothing, and the last few atoms before the back cannot root the first
  districts (too few roots would be left behind them). See ``light_set`` for how ``B`` is found.
* **Heaviest first.** The other atoms come in decreasing population. When the next atom cannot share a
  district with any earlier one (every connecting path, counted by population, exceeds U), it must root
  the next district: its label is known, and every atom too far from it (by population) is not in that
  district.

Everything here is a consequence of the rules (contiguity, floor, cap), valid for every plan; nothing
depends on the objective or on a heuristic plan.
"""
from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass

import numpy as np

from solver.linear import LinearModel, make_runner
from solver.problem import Problem
from solver.graphs import UnionFind, components

log = logging.getLogger(__name__)

#: Above this many rows the light-set MIP stops at its first solution instead of its root node: on 500
#: census tracts (8,000 rows) the root's mod-k cut separation ran 36–61 s past a 5 s limit (HiGHS does not
#: look at the clock there), where the first solution came in under a second and was as large. Below it
#: the root node finishes within its limit and can be larger (Idaho's 298 tracts: 289 atoms against the
#: first solution's 233 and the greedy set's 253; proven in 37 s with it, 92 s without).
LIGHT_ROOT_MAX_ROWS = 4_000


@dataclass(frozen=True)
class Ordering:
    order: np.ndarray          # atoms, first to last
    position: np.ndarray       # atom → its place in ``order``
    back_start: int            # order[back_start:] can root no district
    fixed_roots: tuple[int, ...]   # order[j] roots district j for j < len(fixed_roots)
    banned: tuple[tuple[int, int], ...]   # (atom, district): the atom cannot be in that district
    max_atoms: int             # most atoms one district can hold (from the cap)


def max_atoms_per_district(problem: Problem) -> int:
    """The most atoms one district can hold: the lightest atoms, added until the cap would be passed."""
    total = 0.0
    for count, p in enumerate(np.sort(problem.atom_population), start=1):
        total += float(p)
        if total > problem.max_population:
            return max(count - 1, 1)
    return problem.n_atoms


def light_set(problem: Problem, k: int, *, time_limit_s: float, seed: int) -> list[int]:
    """A large set of atoms whose connected pieces each hold fewer than L people: the larger of a greedy
    set and a small MIP's (k bins under L, no two touching, as many atoms as possible). The MIP finds far
    larger sets (it keeps light atoms out to cut the graph into light pieces); it stops after its root node,
    or at its first solution on large models (``LIGHT_ROOT_MAX_ROWS``), so the set does not depend on the
    machine unless ``time_limit_s`` runs out."""
    greedy = _greedy_light_set(problem)
    if problem.min_population <= 0 or time_limit_s <= 0.05:
        return greedy
    found = _light_set_mip(problem, k, time_limit_s=time_limit_s, seed=seed)
    return found if len(found) > len(greedy) and _pieces_light(problem, found) else greedy


def _greedy_light_set(problem: Problem) -> list[int]:
    """Atoms added from the lightest up while the piece each would form stays under L."""
    floor = problem.min_population
    if floor <= 0:
        return []
    pop = problem.atom_population
    pieces = UnionFind()
    for a in sorted(range(problem.n_atoms), key=lambda a: (float(pop[a]), a)):
        roots = {pieces.find(b) for b in problem.atom_neighbours[a] if b in pieces}
        if float(pop[a]) + sum(pieces.weight(r) for r in roots) >= floor:
            continue
        pieces.add(a, float(pop[a]))
        for r in roots:
            pieces.union(a, r)
    return pieces.members()


def _light_set_mip(problem: Problem, k: int, *, time_limit_s: float, seed: int) -> list[int]:
    m, floor = problem.n_atoms, problem.min_population
    pop = problem.atom_population
    integral = bool(np.all(np.mod(pop, 1.0) == 0)) and float(floor).is_integer()
    under = floor - 1.0 if integral else floor * (1.0 - 1e-9)
    # Columns: bin[a, t] (atom a in bin t), then in_b[a].
    n_x = m * k
    model = LinearModel(cost=np.concatenate([np.zeros(n_x), -np.ones(m)]), lower=np.zeros(n_x + m),
                        upper=np.ones(n_x + m), integer=np.ones(n_x + m, dtype=bool))
    rows = []
    for a in range(m):
        rows.append(([a * k + t for t in range(k)] + [n_x + a], [1.0] * k + [-1.0], 0.0, 0.0))
    for t in range(k):
        rows.append(([a * k + t for a in range(m)], pop.tolist(), -np.inf, under))
    for u, v in zip(problem.edge_u.tolist(), problem.edge_v.tolist()):
        for a, b in ((u, v), (v, u)):
            for t in range(k):
                # a in bin t and b in B → b in bin t: pieces of B never straddle two bins.
                rows.append(([a * k + t, n_x + b, b * k + t], [1.0, 1.0, -1.0], -np.inf, 1.0))
    model.add_row_list(rows)
    runner = make_runner("highs", model, seed=seed)
    runner.limit_nodes(1)
    if model.n_rows > LIGHT_ROOT_MAX_ROWS:
        runner.set_options({"mip_max_improving_sols": 1})
    result = runner.run(time_limit_s=time_limit_s, start=None)
    if result.values is None:
        return []
    return [a for a in range(m) if result.values[n_x + a] > 0.5]


def _pieces_light(problem: Problem, atoms: list[int]) -> bool:
    """Re-check a MIP answer exactly: every connected piece of ``atoms`` holds fewer than L people."""
    return all(float(problem.atom_population[sorted(piece)].sum()) < problem.min_population
               for piece in components(problem.atom_neighbours, atoms))


def build_ordering(problem: Problem, k: int, *, time_limit_s: float, seed: int) -> Ordering:
    started = time.monotonic()
    m = problem.n_atoms
    pop = problem.atom_population
    back = light_set(problem, k, time_limit_s=time_limit_s, seed=seed)
    back_set = set(back)
    front = sorted((a for a in range(m) if a not in back_set), key=lambda a: (-float(pop[a]), a))
    order = np.array(front + sorted(back, key=lambda a: (-float(pop[a]), a)), dtype=np.int64)
    position = np.empty(m, dtype=np.int64)
    position[order] = np.arange(m)
    back_start = _back_start(problem, order)
    fixed, banned = _heavy_roots(problem, order, k)
    log.debug("ordering: %d atoms, back of %d (light set %d), %d roots fixed, %d labels banned, %.2f s", m,
              m - back_start, len(back), len(fixed), len(banned), time.monotonic() - started)
    return Ordering(order=order, position=position, back_start=back_start, fixed_roots=tuple(fixed),
                    banned=tuple(banned), max_atoms=max_atoms_per_district(problem))


def _back_start(problem: Problem, order: np.ndarray) -> int:
    """Smallest q such that every connected piece of order[q:] holds fewer than L people."""
    floor = problem.min_population
    if floor <= 0:
        return len(order)
    # Grow the back from the end; union-find keeps each piece's population.
    pieces = UnionFind()
    for q in range(len(order) - 1, -1, -1):
        a = int(order[q])
        pieces.add(a, float(problem.atom_population[a]))
        for b in problem.atom_neighbours[a]:
            if b in pieces:
                pieces.union(a, b)
        if pieces.weight(a) >= floor:
            return q + 1
    return 0


def population_distances(problem: Problem, source: int, blocked: set[int]) -> np.ndarray:
    """Least population on a path from ``source`` to each atom (both ends counted) that passes through no
    atom of ``blocked`` (it may end at one)."""
    pop = problem.atom_population
    dist = np.full(problem.n_atoms, np.inf)
    dist[source] = float(pop[source])
    heap = [(dist[source], source)]
    while heap:
        d, a = heapq.heappop(heap)
        if d > dist[a]:
            continue
        for b in problem.atom_neighbours[a]:
            nd = d + float(pop[b])
            if nd < dist[b]:
                dist[b] = nd
                if b not in blocked:
                    heapq.heappush(heap, (nd, b))
    return dist


def _heavy_roots(problem: Problem, order: np.ndarray, k: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Roots known in advance (see module docstring) and the labels they rule out."""
    cap = problem.max_population
    fixed: list[int] = []
    banned: list[tuple[int, int]] = []
    for j in range(min(k, len(order))):
        v = int(order[j])
        # Earlier roots sit in other districts, so district j's paths avoid them.
        dist = population_distances(problem, v, set(fixed))
        if any(dist[r] <= cap for r in fixed):
            break
        fixed.append(v)
        banned.extend((int(a), j) for a in np.flatnonzero(dist > cap).tolist())
    return fixed, banned
