"""Pricing for column generation over districts (``solver.partition_bound``): connected districts in the
population band with a small reduced cost ½·cut(D) − Σ_{a∈D} π_a.

* ``RootPricing``: one small MIP per *root*, an atom at the front of the vertex ordering
  (``solver.ordering``: districts are numbered by their first atom, and atoms at the back root nothing,
  their pieces being lighter than L). Root r's MIP holds only the atoms after r within U of it by
  population along such atoms; y_a in D with y_r = 1, c_e ≥ |y_u − y_v| on the edges among them (edges
  leaving that set count on y), L ≤ Σ p_a y_a ≤ U, a single-commodity flow from r along edges inside D
  (every other member takes in one unit), and every member beside r has a neighbour in D. A branch of
  the search may require pairs of atoms together or apart. Its answer bounds the least value over every
  district r roots, which is what makes the column generation's bound valid. A root also keeps the
  bounds of its last runs: one at duals π still bounds the value at new duals π′, less the most that
  π′ − π can add over a district's atoms. When that carried bound is already at the cutoff the MIP is not
  run (on Louisiana's counties the branches below the root took 35.0 + 37.6 s instead of 45.8 + 61.3 s;
  the root's own duals move too far between rounds to spare much).
* ``LocalPricing``: local search from the districts in hand (add an atom, drop one, or swap one in for
  one out), cheap and without a bound. The swaps matter where the band is narrow: on Louisiana's counties
  they and 100 starts (not 30) cut the pricing MIPs a proof needs from 561 to 407.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.graphs import reach
from solver.linear import LinearModel, RunState, make_runner
from solver.ordering import Ordering, population_distances
from solver.problem import Problem

#: A district prices out when its reduced cost is below −EPS.
EPS = 1e-6
#: Pairs of atoms a branch puts in one district, or in different ones.
Pairs = tuple[tuple[int, int], ...]
#: The runs whose bounds a root keeps, to carry to new duals (the latest ones: duals drift).
KEPT_RUNS = 16
#: A root's earlier bounds: (the duals a run priced at, the bound it proved there).
Known = tuple[tuple[np.ndarray, float], ...]


@dataclass(frozen=True)
class Priced:
    """One root's answer: a lower bound on its least ½·cut − π·y (None: no bound yet) and districts found."""

    low: float | None
    found: list[np.ndarray]


class RootPricing:
    """The MIP for districts whose first atom is ``root``; its y costs change every round, its rows never."""

    def __init__(self, problem: Problem, weights: np.ndarray, root: int, atoms: list[int], *, seed: int,
                 left_out: set[int] = frozenset(), together: Pairs = (), apart: Pairs = (), known: Known = ()):
        self.root, self.atoms = root, np.array(atoms)
        # Bounds proved in an enclosing branch stay valid here: this branch's districts are among its.
        self.known: list[tuple[np.ndarray, float]] = list(known)
        self.population = problem.atom_population[self.atoms].astype(float)
        self.max_population = float(problem.max_population)
        na = len(atoms)
        index = {a: i for i, a in enumerate(atoms)}
        inner, leaving = [], np.zeros(na)
        for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
            if u in index and v in index:
                inner.append((e, index[u], index[v]))
            elif u in index or v in index:   # cut whenever its end inside is in D
                leaving[index[u] if u in index else index[v]] += weights[e] / 2.0
        self.leaving, ne = leaving, len(inner)
        big = float(na - 1)
        # Columns: y (na), c (inner edges), f (2 per inner edge).
        cost = np.zeros(na + 3 * ne)
        cost[na: na + ne] = [weights[e] / 2.0 for e, _, _ in inner]
        upper = np.concatenate([np.ones(na + ne), np.full(2 * ne, max(big, 0.0))])
        lower = np.zeros(na + 3 * ne)
        lower[index[root]] = 1.0
        for a in left_out:
            upper[index[a]] = 0.0
        integer = np.zeros(na + 3 * ne, dtype=bool)
        integer[:na] = True
        model = LinearModel(cost=cost, lower=lower, upper=upper, integer=integer)
        rows: list[tuple[list[int], list[float], float, float]] = [
            (list(range(na)), problem.atom_population[atoms].tolist(), problem.min_population, problem.max_population)]
        inflow: list[list[tuple[int, float]]] = [[] for _ in range(na)]
        for j, (_, u, v) in enumerate(inner):
            rows.append(([na + j, u, v], [1.0, -1.0, 1.0], 0.0, math.inf))
            rows.append(([na + j, u, v], [1.0, 1.0, -1.0], 0.0, math.inf))
            forward, backward = na + ne + 2 * j, na + ne + 2 * j + 1
            inflow[v] += [(forward, 1.0), (backward, -1.0)]
            inflow[u] += [(backward, 1.0), (forward, -1.0)]
        r = index[root]
        for a in range(na):
            into = [col for col, val in inflow[a] if val > 0]
            if a == r:
                if into:   # nothing flows into the root
                    rows.append((into, [1.0] * len(into), 0.0, 0.0))
                continue
            # a member takes in one unit net, only a member takes in flow, and has a neighbour in D
            rows.append(([col for col, _ in inflow[a]] + [a], [val for _, val in inflow[a]] + [-1.0], 0.0, 0.0))
            rows.append((into + [a], [1.0] * len(into) + [-big], -math.inf, 0.0))
            near = [index[b] for b in problem.atom_neighbours[atoms[a]] if b in index]
            rows.append(([a] + near, [1.0] + [-1.0] * len(near), -math.inf, 0.0))
        rows += [([index[a], index[b]], [1.0, -1.0], 0.0, 0.0) for a, b in together]
        rows += [([index[a], index[b]], [1.0, 1.0], -math.inf, 1.0) for a, b in apart]
        model.add_row_list(rows)
        self.n_y = na
        self.runner = make_runner("highs", model, seed=seed)
        self.runner.set_options({"mip_rel_gap": 0.0})

    def price(self, pi: np.ndarray, *, cutoff: float | None, time_limit_s: float) -> Priced:
        """Districts with a small ½·cut − π·y and a lower bound on the least. ``cutoff``: only values below
        it matter (when there is none the bound is the cutoff itself)."""
        if cutoff is not None:
            carried = self.carried(pi)
            if carried >= cutoff:
                return Priced(carried, [])
        y_costs = self.leaving - pi[self.atoms]
        self.runner.set_costs(np.arange(self.n_y), y_costs)
        self.runner.h.setOptionValue("objective_bound", math.inf if cutoff is None else float(cutoff))
        found: list[np.ndarray] = []

        def on_solution(values: np.ndarray) -> bool:
            found.append(self.atoms[values[: self.n_y] > 0.5])
            return False

        result = self.runner.run(time_limit_s=time_limit_s, start=None, on_solution=on_solution)
        if result.state == RunState.INFEASIBLE:
            # Nothing below the cutoff (or no district at all for this root).
            low = math.inf if cutoff is None else cutoff
        else:
            low = result.bound
            if result.values is not None:
                found.append(self.atoms[result.values[: self.n_y] > 0.5])
        if low is not None and math.isfinite(low):
            self.known = self.known[1 - KEPT_RUNS:] + [(pi.copy(), float(low))]
        return Priced(low, found)

    def carried(self, pi: np.ndarray) -> float:
        """The best bound the earlier runs give at duals ``pi``: a run's bound at π, less the most that
        pi − π adds over the atoms of one district (a fractional knapsack of the rises within U)."""
        best = -math.inf
        for old, low in self.known:
            rise = pi[self.atoms] - old[self.atoms]
            up = rise > 0
            rise, weight = rise[up], self.population[up]
            order = np.argsort(-rise / np.maximum(weight, 1e-9))
            room, gain = self.max_population, 0.0
            for r, w in zip(rise[order].tolist(), weight[order].tolist()):
                if w >= room:
                    gain += r * room / w if w > 0 else r
                    break
                gain, room = gain + r, room - w
            best = max(best, low - gain)
        return best


def root_atoms(problem: Problem, ordering: Ordering, root: int) -> list[int]:
    """The atoms a district whose first atom is ``root`` can hold: after it in the order, within U of it
    by population along such atoms."""
    before = set(ordering.order[: ordering.position[root]].tolist())
    dist = population_distances(problem, root, before)   # a path may end at an earlier atom, never pass one
    after = ordering.position >= ordering.position[root]
    return np.flatnonzero(after & (dist <= problem.max_population)).tolist()


def root_pricings(problem: Problem, ordering: Ordering, weights: np.ndarray, *, seed: int,
                  together: Pairs = (), apart: Pairs = (), known: dict[int, Known] | None = None) -> list[RootPricing]:
    """A pricing MIP for every root whose district can reach the floor and that a branch leaves possible;
    ``known``: each root's bounds from the enclosing branch."""
    pricings = []
    for root in ordering.order[: ordering.back_start].tolist():
        atoms = root_atoms(problem, ordering, int(root))
        if problem.atom_population[atoms].sum() < problem.min_population:
            continue
        inside = set(atoms)
        # A pair held together with one atom beyond this root's reach: neither is in its districts.
        out = {a for pair in together if len(inside.intersection(pair)) == 1 for a in pair if a in inside}
        if root in out:
            continue
        pricings.append(RootPricing(problem, weights, int(root), atoms, seed=seed, left_out=out,
                                    apart=[pair for pair in apart if inside.issuperset(pair)],
                                    together=[pair for pair in together if inside.issuperset(pair)],
                                    known=(known or {}).get(int(root), ())))
    return pricings


class LocalPricing:
    """Districts that price out, by local search: from a district in hand, add, drop or swap atoms
    (staying connected, in the band and in the branch) while its reduced cost falls."""

    def __init__(self, problem: Problem, weights: np.ndarray):
        self.problem = problem
        self.neighbours = problem.atom_neighbours
        m = problem.n_atoms
        self.weight_between: list[dict[int, float]] = [{} for _ in range(m)]
        for u, v, w in zip(problem.edge_u.tolist(), problem.edge_v.tolist(), weights.tolist()):
            self.weight_between[u][v] = self.weight_between[u].get(v, 0.0) + w
            self.weight_between[v][u] = self.weight_between[v].get(u, 0.0) + w

    def run(self, columns: list[np.ndarray], pi: np.ndarray, mu: float, *, starts: int = 100,
            admits: Callable[[set[int]], bool] = lambda members: True) -> list[np.ndarray]:
        """Districts with a negative reduced cost, descended from the ``starts`` best columns through
        districts that ``admits`` (a branch's pairs held together or apart)."""
        weights_of = self.weight_between

        def value(members: set[int]) -> float:
            cut = sum(w for a in members for b, w in weights_of[a].items() if b not in members)
            return cut / 2.0 - float(sum(pi[a] for a in members)) - mu

        scored = sorted(columns, key=lambda c: value(set(c.tolist())))[:starts]
        found: dict[tuple[int, ...], np.ndarray] = {}
        for column in scored:
            improved = self._descend(set(column.tolist()), pi, admits)
            if improved is not None and value(improved) < -EPS:
                key = tuple(sorted(improved))
                found.setdefault(key, np.array(key))
        return list(found.values())

    def _descend(self, members: set[int], pi: np.ndarray, admits: Callable[[set[int]], bool]) -> set[int] | None:
        """Best-improvement moves (add an atom, drop one, or swap one in for one out) until none improves;
        None when no move improved at all."""
        pop = self.problem.atom_population
        low, high = self.problem.min_population, self.problem.max_population
        weights_of = self.weight_between
        total = float(sum(pop[a] for a in members))
        moved = False
        for _ in range(4 * self.problem.n_atoms):
            # An atom's gain on entering (or leaving): its edges into the district stop (start) being cut.
            adds, drops = {}, {}
            for b in {b for a in members for b in self.neighbours[a] if b not in members}:
                inside = sum(w for c, w in weights_of[b].items() if c in members)
                adds[b] = (2 * inside - sum(weights_of[b].values())) / 2.0 + float(pi[b])
            for a in members:
                inside = sum(w for c, w in weights_of[a].items() if c in members)
                drops[a] = (sum(weights_of[a].values()) - 2 * inside) / 2.0 - float(pi[a])
            moves = [(g, (b,), ()) for b, g in adds.items() if total + pop[b] <= high]
            moves += [(g, (), (a,)) for a, g in drops.items() if total - pop[a] >= low and len(members) > 1]
            # Swapping keeps the population near where it is, which the band often forces; an edge between
            # the two stays cut, counted in both gains with opposite signs.
            moves += [(ga + gd - weights_of[a].get(b, 0.0), (b,), (a,))
                      for b, ga in adds.items() for a, gd in drops.items()
                      if ga + gd > EPS and low <= total + pop[b] - pop[a] <= high]
            moves.sort(key=lambda move: -move[0])
            chosen = next((move for move in moves if move[0] > EPS
                           and _stays_connected(self.neighbours, members, move[1], move[2])
                           and admits((members | set(move[1])) - set(move[2]))), None)
            if chosen is None:
                break
            _, added, dropped = chosen
            members = (members | set(added)) - set(dropped)
            total += float(sum(pop[b] for b in added)) - float(sum(pop[a] for a in dropped))
            moved = True
        return members if moved else None


def _stays_connected(neighbours, members: set[int], added: tuple[int, ...], dropped: tuple[int, ...]) -> bool:
    if not dropped:
        return True   # an added atom is a neighbour of the district
    rest = (members | set(added)) - set(dropped)
    start = next(iter(rest))
    return len(reach(neighbours, start, inside=rest)) == len(rest)
