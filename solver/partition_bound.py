"""A lower bound on the cut edges by column generation over districts (the set-partitioning relaxation).

Every plan is k districts D, each connected with population in [L, U]; its cut edges are
Σ_D c_D with c_D = ½ Σ_{e ∈ δ(D)} w_e (each cut edge lies on the boundary of two districts). The master
LP over the districts found so far is

    min Σ_D c_D λ_D   s.t.  Σ_{D ∋ a} λ_D = 1  (every atom, dual π_a),   Σ_D λ_D = k  (dual μ),   λ ≥ 0.

Its duals price a new district: reduced cost c_D − Σ_{a∈D} π_a − μ, minimised by the pricing MIP below
over *connected* districts in the band. For any duals, every plan's cut edges are at least

    Σ_a π_a + k μ + k · (lower bound of the pricing MIP)

(each of the plan's k districts has reduced cost at least the pricing minimum), so a bound is valid at
every iteration, also when the clock stops the pricing early; at the end (no district prices out) it is
the master LP's value, which mixes districts far less than the labelling model's relaxation (which
spreads every atom evenly over the labels).

Pricing MIP (one district): y_a in D, s_a roots D (its first atom in ``ordering``), c_e ≥ |y_u − y_v|,
L ≤ Σ p_a y_a ≤ U, Σ s = 1, y_a ≤ (roots at or before a) (chained prefix sums), a single-commodity flow
from the root along edges inside D (every non-root member takes in one unit), atoms at the back of the
ordering root nothing (``solver.ordering``: their pieces are lighter than L). Every improving solution
HiGHS finds with a negative reduced cost joins the master.

Only for the plain problem (no keep-together links, facilities, locks or earlier plans to differ from),
which the callers check with ``applies``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from solver.linear import LinearModel, RunState, banner_hidden, make_runner, use_threads
from solver.graphs import reach
from solver.ordering import Ordering
from solver.problem import Problem

#: A district prices out when its reduced cost is below −EPS.
EPS = 1e-6


@dataclass
class PartitionBound:
    """What column generation reached: its best valid bound, the master's value and the columns."""

    bound: float | None = None
    master: float | None = None
    iterations: int = 0
    columns: int = 0
    finished: bool = False            # no district prices out: ``master`` is the LP bound itself
    history: list[tuple[float, float | None]] = field(default_factory=list)   # (seconds, bound)


class _Pricing:
    """The one-district MIP; its y costs change every iteration, its rows never."""

    def __init__(self, problem: Problem, ordering: Ordering, weights: np.ndarray, *, seed: int):
        m, n_e = problem.n_atoms, len(problem.edge_u)
        self.m, self.n_e = m, n_e
        big = float(ordering.max_atoms)
        # Columns: y (m), s (m), prefix P (m), c (edges), f (2·edges).
        n = 3 * m + n_e + 2 * n_e
        self.y0, self.s0, self.p0, self.c0, self.f0 = 0, m, 2 * m, 3 * m, 3 * m + n_e
        cost = np.zeros(n)
        cost[self.c0: self.c0 + n_e] = weights / 2.0
        upper = np.concatenate([np.ones(3 * m), np.ones(n_e), np.full(2 * n_e, big - 1.0)])
        integer = np.zeros(n, dtype=bool)
        integer[: 2 * m] = True
        for a in ordering.order[ordering.back_start:].tolist():
            upper[self.s0 + a] = 0.0
        model = LinearModel(cost=cost, lower=np.zeros(n), upper=upper, integer=integer)
        y, s, p, c, f0 = self.y0, self.s0, self.p0, self.c0, self.f0
        rows: list[tuple[list[int], list[float], float, float]] = []
        rows.append((list(range(m)), problem.atom_population.tolist(), problem.min_population, problem.max_population))
        rows.append(([s + a for a in range(m)], [1.0] * m, 1.0, 1.0))
        order = ordering.order.tolist()
        for i, a in enumerate(order):
            prev = [p + order[i - 1]] if i else []
            rows.append(([p + a, s + a] + prev, [1.0, -1.0] + [-1.0] * len(prev), 0.0, 0.0))
            rows.append(([y + a, p + a], [1.0, -1.0], -math.inf, 0.0))
            rows.append(([s + a, y + a], [1.0, -1.0], -math.inf, 0.0))
        inflow: list[list[tuple[int, float]]] = [[] for _ in range(m)]
        for e, (u, v) in enumerate(zip(problem.edge_u.tolist(), problem.edge_v.tolist())):
            rows.append(([c + e, y + u, y + v], [1.0, -1.0, 1.0], 0.0, math.inf))
            rows.append(([c + e, y + u, y + v], [1.0, 1.0, -1.0], 0.0, math.inf))
            forward, backward = f0 + 2 * e, f0 + 2 * e + 1
            for arc in (forward, backward):   # flow only between members
                rows.append(([arc, y + u], [1.0, -(big - 1.0)], -math.inf, 0.0))
                rows.append(([arc, y + v], [1.0, -(big - 1.0)], -math.inf, 0.0))
            inflow[v] += [(forward, 1.0), (backward, -1.0)]
            inflow[u] += [(backward, 1.0), (forward, -1.0)]
        for a in range(m):   # a non-root member takes in one unit: in − out ≥ y_a − M s_a
            cols = [col for col, _ in inflow[a]] + [y + a, s + a]
            vals = [val for _, val in inflow[a]] + [-1.0, big]
            rows.append((cols, vals, 0.0, math.inf))
        model.add_row_list(rows)
        self.runner = make_runner("highs", model, seed=seed)

    def solve(self, pi: np.ndarray, *, cutoff: float | None, time_limit_s: float) -> tuple[float | None, list[np.ndarray], bool]:
        """(lower bound on min Σ w/2·c − π·y, districts found with a negative value, proven optimal).
        ``cutoff``: only districts below it matter (HiGHS prunes every node whose bound reaches it); when
        none exists, the bound is the cutoff itself."""
        self.runner.set_costs(np.arange(self.m), -pi)
        self.runner.h.setOptionValue("objective_bound", math.inf if cutoff is None else float(cutoff))
        found: list[np.ndarray] = []

        def on_solution(values: np.ndarray) -> bool:
            found.append(np.flatnonzero(values[: self.m] > 0.5))
            return False

        result = self.runner.run(time_limit_s=time_limit_s, start=None, on_solution=on_solution)
        if result.state == RunState.INFEASIBLE:
            # Nothing below the cutoff (or no district at all, which ``solve`` proves elsewhere).
            return (math.inf if cutoff is None else cutoff), found, True
        if result.values is not None:
            found.append(np.flatnonzero(result.values[: self.m] > 0.5))
        return result.bound, found, result.state == RunState.OPTIMAL


def partition_bound(problem: Problem, k: int, ordering: Ordering, weights: np.ndarray,
                    start: list[np.ndarray], *, deadline: float, seed: int, target: float | None = None) -> PartitionBound:
    """Column generation from the districts ``start`` (atom arrays, e.g. the incumbent's) until no district
    prices out, the bound reaches ``target`` (nothing more to prove), or ``deadline``."""
    import highspy

    clock = time.monotonic()
    m = problem.n_atoms
    edge_u, edge_v = problem.edge_u, problem.edge_v
    result = PartitionBound()
    with banner_hidden():
        master = highspy.Highs()
    master.silent()
    master.setOptionValue("output_flag", False)
    use_threads(master, 1)
    inf = highspy.kHighsInf
    master.addRows(m + 1, np.r_[np.ones(m), float(k)], np.r_[np.ones(m), float(k)], 0,
                   np.zeros(m + 1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
    seen: set[tuple[int, ...]] = set()

    def add(district: np.ndarray) -> bool:
        key = tuple(sorted(int(a) for a in district))
        if not key or key in seen:
            return False
        seen.add(key)
        inside = np.zeros(m, dtype=bool)
        inside[list(key)] = True
        cost = float(weights[inside[edge_u] != inside[edge_v]].sum()) / 2.0
        index = np.r_[np.array(key, dtype=np.int32), np.int32(m)]
        master.addCol(cost, 0.0, inf, len(index), index, np.ones(len(index)))
        return True

    for district in start:
        add(district)
    pricing = _Pricing(problem, ordering, weights, seed=seed)
    search = _LocalPricing(problem, weights)
    columns: list[tuple[int, ...]] = list(seen)
    while time.monotonic() < deadline:
        master.run()
        if master.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        value = float(master.getInfo().objective_function_value)
        duals = np.asarray(master.getSolution().row_dual)
        pi, mu = duals[:m], float(duals[m])
        result.master = value
        result.iterations += 1
        # Cheap first: local search from the columns in hand finds districts that price out; the MIP
        # (which also gives the bound) runs only when it finds none.
        found = search.run([np.array(c) for c in columns], pi, mu)
        exact = not found
        if exact:
            # Every plan's cut edges are at least Σπ + k·low (low: a bound on the pricing minimum), so
            # reaching ``target`` needs low ≥ (target − Σπ) / k: a cutoff there lets the MIP prune far more
            # than proving its own optimum would. (Wentges smoothing of the duals was tried: on AR it
            # made each pricing slower and reached 17.7 instead of 23.8 in the same 145 s.)
            cutoff = None if target is None else (target - float(pi.sum())) / k
            low, found, proven = pricing.solve(pi, cutoff=cutoff, time_limit_s=max(0.05, deadline - time.monotonic()))
            if low is not None:
                lagrangian = float(pi.sum()) + k * low
                if result.bound is None or lagrangian > result.bound:
                    result.bound = lagrangian
                result.finished = proven and cutoff is None and low - mu >= -EPS
        result.history.append((time.monotonic() - clock, result.bound))
        new = [d for d in found if _reduced(d, weights, edge_u, edge_v, pi, mu, m) < -EPS and add(d)]
        columns.extend(tuple(sorted(int(a) for a in d)) for d in new)
        if target is not None and result.bound is not None and result.bound >= target - EPS:
            break
        if exact and not new:
            break   # nothing prices out (or, under the cutoff, nothing below it): no further progress
    result.columns = len(seen)
    return result


class _LocalPricing:
    """Districts that price out, by local search: from a district in hand, add or drop one atom at a
    time (staying connected and in the band) while its reduced cost falls."""

    def __init__(self, problem: Problem, weights: np.ndarray):
        self.problem = problem
        self.neighbours = problem.atom_neighbours
        m = problem.n_atoms
        self.weight_between: list[dict[int, float]] = [{} for _ in range(m)]
        for u, v, w in zip(problem.edge_u.tolist(), problem.edge_v.tolist(), weights.tolist()):
            self.weight_between[u][v] = self.weight_between[u].get(v, 0.0) + w
            self.weight_between[v][u] = self.weight_between[v].get(u, 0.0) + w

    def run(self, columns: list[np.ndarray], pi: np.ndarray, mu: float, *, starts: int = 30) -> list[np.ndarray]:
        """Districts with a negative reduced cost, descended from the ``starts`` best columns."""
        weights_of = self.weight_between

        def value(members: set[int]) -> float:
            cut = sum(w for a in members for b, w in weights_of[a].items() if b not in members)
            return cut / 2.0 - float(sum(pi[a] for a in members)) - mu

        scored = sorted(columns, key=lambda c: value(set(c.tolist())))[:starts]
        found: dict[tuple[int, ...], np.ndarray] = {}
        for column in scored:
            members = set(column.tolist())
            improved = self._descend(members, pi)
            if improved is not None and value(improved) < -EPS:
                key = tuple(sorted(improved))
                found.setdefault(key, np.array(key))
        return list(found.values())

    def _descend(self, members: set[int], pi: np.ndarray) -> set[int] | None:
        """Best-improvement moves until none improves; None when no move improved at all."""
        pop = self.problem.atom_population
        low, high = self.problem.min_population, self.problem.max_population
        weights_of = self.weight_between
        total = float(sum(pop[a] for a in members))
        moved = False
        for _ in range(4 * self.problem.n_atoms):
            best, best_gain = None, -EPS
            frontier = {b for a in members for b in self.neighbours[a] if b not in members}
            for b in frontier:   # add b: its edges into the district stop being cut, the others start
                if total + pop[b] > high:
                    continue
                inside = sum(w for c, w in weights_of[b].items() if c in members)
                outside = sum(w for c, w in weights_of[b].items() if c not in members)
                gain = (inside - outside) / 2.0 + float(pi[b])
                if gain > best_gain:
                    best, best_gain = (b, True), gain
            for a in members:    # drop a: the reverse, if the rest stays connected and above the floor
                if total - pop[a] < low or len(members) == 1:
                    continue
                inside = sum(w for c, w in weights_of[a].items() if c in members)
                outside = sum(w for c, w in weights_of[a].items() if c not in members)
                gain = (outside - inside) / 2.0 - float(pi[a])
                if gain > best_gain and _connected_without(self.neighbours, members, a):
                    best, best_gain = (a, False), gain
            if best is None:
                break
            atom, adding = best
            if adding:
                members = members | {atom}
                total += float(pop[atom])
            else:
                members = members - {atom}
                total -= float(pop[atom])
            moved = True
        return members if moved else None


def _connected_without(neighbours, members: set[int], drop: int) -> bool:
    rest = members - {drop}
    start = next(iter(rest))
    return len(reach(neighbours, start, inside=rest)) == len(rest)


def _reduced(district: np.ndarray, weights, edge_u, edge_v, pi, mu, m) -> float:
    inside = np.zeros(m, dtype=bool)
    inside[district] = True
    return float(weights[inside[edge_u] != inside[edge_v]].sum()) / 2.0 - float(pi[inside].sum()) - mu
