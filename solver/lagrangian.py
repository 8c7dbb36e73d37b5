"""A Lagrangian lower bound for the Hess (inertia) model and reduced-cost fixing of (atom, centre) pairs.

Relax the assignment rows ``Σ_c x[a,c] = 1`` with multipliers λ_a, and drop contiguity, the floor, the
facility rule, links, distinctness and the tie-break (all only raise the optimum). For a centre unit c
with atom o = A(c) the rest decomposes into a knapsack (fractional; in whole atoms with ``integer``, a
bound above the LP's where the cap cuts an atom):

    v_c(λ) = (cost[o,c] − λ_o) + min { Σ_a (cost[a,c] − λ_a) z_a : Σ_a p_a z_a ≤ U − p_o, 0 ≤ z ≤ 1, z_o = 0 }
    L(λ)   = Σ_a λ_a + (sum of the k smallest v_c(λ))  ≤  the optimum, for every λ.

λ is improved by deflected subgradient steps (Polyak step towards the incumbent's value).
Reduced-cost fixing: a plan that puts atom a with centre c costs at least

    L + max(0, v_c − v_[k])  (open c instead of the k-th cheapest centre, if c is not among the k)
      + max(0, r_ac + ρ_c p_a) · (1 − z*_ac)   (force a into c's knapsack; ρ_c its capacity price)

so pairs whose bound exceeds the incumbent's objective cannot appear in any better plan. The knapsack
is only computed exactly for the centres that can matter; for the others a lower bound of v_c is used
(the uncapacitated value; in whole atoms the fractional one), which keeps every statement valid.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.problem import Problem

log = logging.getLogger(__name__)


#: Weight of the previous direction in the next step (deflected subgradient).
DEFLECTION = 0.7
#: Steps without a better bound before the step size is halved.
STALL_ITERATIONS = 20


@dataclass
class LagrangianResult:
    bound: float                  # lower bound on Σ cost (person·m², without the atoms' internal inertia)
    keep: np.ndarray | None       # bool (atoms × units): pairs that may appear in a plan ≤ the incumbent
    iterations: int
    multipliers: np.ndarray       # the best λ, to fix again against a better incumbent (``refix``)


def cost_matrix(problem: Problem) -> np.ndarray:
    """cost[a, c] without the atom's internal inertia (a constant per atom, added by the caller): atoms ×
    units floats, so only for problems below ``Tuning.max_dense_pairs`` (use ``cost_columns`` above)."""
    if problem.custom_cost is not None:
        return problem.custom_cost.copy()  # atom_inertia is zero with a custom distance
    return cost_columns(problem)(0, problem.n_units)


#: Cells of one block of cost columns computed at a time when no matrix is held (8 bytes each).
BLOCK_CELLS = 2_000_000

ColumnBlock = Callable[[int, int], np.ndarray]


def cost_columns(problem: Problem, cost: np.ndarray | None = None) -> ColumnBlock:
    """``block(start, stop)`` = cost[:, start:stop]: a view of ``cost`` when given, else computed on demand
    (no atoms × units matrix is ever held: 20,000 units would need 3.2 GB for it)."""
    if cost is not None:
        return lambda start, stop: cost[:, start:stop]
    if problem.custom_cost is not None:
        return lambda start, stop: problem.custom_cost[:, start:stop]

    def block(start: int, stop: int) -> np.ndarray:
        dx = problem.atom_x[:, None] - problem.unit_x[None, start:stop]
        dy = problem.atom_y[:, None] - problem.unit_y[None, start:stop]
        return problem.atom_population[:, None] * (dx * dx + dy * dy)

    return block


def _spans(m: int, n: int) -> list[tuple[int, int]]:
    width = max(1, BLOCK_CELLS // max(m, 1))
    return [(start, min(start + width, n)) for start in range(0, n, width)]


def _worth_packing(r: np.ndarray, exclude: int) -> tuple[np.ndarray, np.ndarray]:
    """(an empty packing, the items that lower the value: r < 0, ``exclude`` left out)."""
    candidates = np.flatnonzero(r < 0)
    return np.zeros(len(r)), candidates[candidates != exclude]


def _knapsack(r: np.ndarray, p: np.ndarray, capacity: float, exclude: int) -> tuple[float, np.ndarray, float]:
    """min Σ r z, Σ p z ≤ capacity, 0 ≤ z ≤ 1, z[exclude] = 0 (fractional). Returns (value, z, price ρ)."""
    z, candidates = _worth_packing(r, exclude)
    if capacity < 0 or len(candidates) == 0:
        return (np.inf if capacity < 0 else 0.0), z, 0.0
    weights = p[candidates]
    free = weights <= 0
    z[candidates[free]] = 1.0
    value = float(r[candidates[free]].sum())
    rest = candidates[~free]
    if len(rest) == 0:
        return value, z, 0.0
    ratio = r[rest] / p[rest]
    order = rest[np.argsort(ratio, kind="stable")]
    cumulative = np.cumsum(p[order])
    full = int(np.searchsorted(cumulative, capacity, side="right"))
    z[order[:full]] = 1.0
    value += float(r[order[:full]].sum())
    price = 0.0
    if full < len(order):
        item = order[full]
        used = float(cumulative[full - 1]) if full > 0 else 0.0
        fraction = max(0.0, (capacity - used) / p[item])
        z[item] = fraction
        value += fraction * float(r[item])
        price = -float(r[item]) / float(p[item])
    return value, z, price


#: Cells of the integer knapsack's table (capacity units): above, weights are counted in coarser units.
KNAPSACK_CELLS = 4_096


def _integer_knapsack(r: np.ndarray, p: np.ndarray, capacity: float, exclude: int, *,
                      cells: int = KNAPSACK_CELLS) -> tuple[float, np.ndarray, float]:
    """min Σ r z, Σ p z ≤ capacity, z ∈ {0,1}, z[exclude] = 0, by dynamic programming over the items with
    r < 0. Weights and capacity are counted in units of q (weights rounded down, capacity rounded down):
    every set that fits still fits (Σ⌊p/q⌋ ≤ ⌊Σp/q⌋ ≤ ⌊capacity/q⌋), so the value stays a lower bound of
    the true knapsack's, and it is at least the fractional one's only when q = 1 (populations in whole
    people or households and a cap up to ``cells``). Returns (value, z, 0)."""
    z, candidates = _worth_packing(r, exclude)
    if capacity < 0 or len(candidates) == 0:
        return (np.inf if capacity < 0 else 0.0), z, 0.0
    q = max(1.0, math.ceil(capacity / cells))
    size = int(math.floor(capacity / q + 1e-9))
    # Never rounded up (no tolerance): a heavier weight could shut out a set that fits.
    weights = np.floor(p[candidates] / q).astype(np.int64)
    best = np.full(size + 1, np.inf)
    best[0] = 0.0
    taken = np.zeros((len(candidates), size + 1), dtype=bool)
    for row, (weight, value) in enumerate(zip(weights.tolist(), r[candidates].tolist())):
        if weight > size:
            continue
        if weight == 0:
            best += value
            taken[row] = True
            continue
        moved = best[:-weight] + value
        better = moved < best[weight:]
        best[weight:] = np.where(better, moved, best[weight:])
        taken[row, weight:] = better
    used = int(np.argmin(best))
    value = float(best[used])
    for row in range(len(candidates) - 1, -1, -1):
        if taken[row, used]:
            z[candidates[row]] = 1.0
            used -= int(weights[row])
    return value, z, 0.0


def lagrangian(problem: Problem, k: int, *, upper_bound: float, deadline: float, max_iterations: int = 1000,
               cost: np.ndarray | None = None, start: np.ndarray | None = None, fixing: bool = True,
               progress_s: float | None = None, step: float = 1.0, integer: bool = False) -> LagrangianResult:
    """Subgradient ascent on L(λ); ``upper_bound`` is the incumbent's Σ cost (same units as the bound);
    ``start``: multipliers to continue from (an earlier result's), else each atom's cheapest centre;
    ``step``: the first step size θ (a continued run needs a smaller one than 1).
    ``cost`` None with ``fixing`` False: the cost columns are computed block by block at every step and
    no atoms × units array is held (``keep`` is then None); ``progress_s``: log the bound this often;
    ``integer``: each centre's knapsack in whole atoms (``_integer_knapsack``), a bound above the LP's when
    the cap cuts an atom (fixing still uses the fractional knapsack's prices)."""
    if cost is None and fixing:
        cost = cost_matrix(problem)
    columns = cost_columns(problem, cost)
    p = problem.atom_population
    cap = problem.max_population
    own = problem.unit_atom
    feasible_centre = p[own] <= cap + 1e-9
    m, n = problem.n_atoms, problem.n_units
    if start is None:
        lam = np.min([columns(a, b).min(axis=1) for a, b in _spans(m, n)], axis=0) + 0.0
    else:
        lam = np.asarray(start, dtype=float).copy()
    logged = step_started = time.monotonic()
    best_bound, best_lam = -np.inf, lam.copy()
    theta, stall = step, 0
    iteration = 0
    direction: np.ndarray | None = None
    for iteration in range(1, max_iterations + 1):
        value, chosen, z_sum = _evaluate(columns, lam, p, cap, own, feasible_centre, k, integer=integer)
        if progress_s is not None and time.monotonic() - logged >= progress_s:
            logged = step_started = time.monotonic()
            log.info("Lagrangian bound k=%d: %.6g after %d steps (incumbent %.6g)", k, max(best_bound, value),
                     iteration, upper_bound)
        if value > best_bound + 1e-12 * max(abs(value), 1.0):
            best_bound, best_lam = value, lam.copy()
            stall = 0
        else:
            stall += 1
            if stall >= STALL_ITERATIONS:
                theta /= 2
                stall = 0
        gap = upper_bound - value
        now = time.monotonic()
        # Stop when the next step would end past the deadline (at 20,000 units one step takes ~30 s).
        step_s, step_started = now - step_started, now
        if gap <= 1e-7 * max(abs(upper_bound), 1.0) or theta < 1e-5 or now + step_s > deadline:
            break
        g = 1.0 - z_sum
        # Deflected subgradient: the plain step zig-zags between tied centres and stalled 2.4 % below the
        # LP bound at 200 units, k = 5; with deflection it came within 0.1 % in 1,000 steps.
        direction = g if direction is None else g + DEFLECTION * direction
        norm = float(direction @ direction)
        if norm <= 1e-12:
            break
        lam = lam + theta * gap / norm * direction
    keep = _fixing(cost, best_lam, p, cap, own, feasible_centre, k, upper_bound) if fixing else None
    log.debug("Lagrangian k=%d: bound %.6g after %d iterations, %s pairs kept", k, best_bound, iteration,
              "no" if keep is None else f"{int(keep.sum())} of {keep.size}")
    return LagrangianResult(bound=float(best_bound), keep=keep, iterations=iteration, multipliers=best_lam)


def refix(problem: Problem, k: int, result: LagrangianResult, upper_bound: float,
          cost: np.ndarray | None = None) -> np.ndarray:
    """Fix again with the same multipliers against a better incumbent (fewer pairs survive)."""
    if cost is None:
        cost = cost_matrix(problem)
    p = problem.atom_population
    own = problem.unit_atom
    feasible_centre = p[own] <= problem.max_population + 1e-9
    return _fixing(cost, result.multipliers, p, problem.max_population, own, feasible_centre, k, upper_bound)


def _centre_values(columns: ColumnBlock, lam: np.ndarray, p: np.ndarray, cap: float, own: np.ndarray,
                   feasible_centre: np.ndarray, k: int, integer: bool = False):
    """v_c exactly for the centres that can be among the k cheapest, a valid lower bound for the rest;
    the reduced costs r = cost − λ are formed one block of columns at a time. In whole atoms the
    fractional values (each a lower bound of the whole-atom one) decide which centres need the dynamic
    programme: at 800 units, k = 29, the uncapacitated values left ~250 of them a step, the fractional ~k."""
    n = len(own)
    own_value = np.empty(n)
    negative_sum = np.empty(n)
    for start, stop in _spans(len(lam), n):
        r = columns(start, stop) - lam[:, None]
        own_value[start:stop] = r[own[start:stop], np.arange(stop - start)]
        negative_sum[start:stop] = np.minimum(r, 0.0).sum(axis=0)
    uncapacitated = own_value + negative_sum - np.minimum(own_value, 0.0)
    uncapacitated[~feasible_centre] = np.inf
    values, solutions = _cheapest_exactly(columns, lam, p, cap, own, uncapacitated, own_value, k, _knapsack)
    if integer:
        values, solutions = _cheapest_exactly(columns, lam, p, cap, own, values, own_value, k, _integer_knapsack)
    exact = np.zeros(n, dtype=bool)
    exact[list(solutions)] = True
    return values, exact, solutions


def _cheapest_exactly(columns: ColumnBlock, lam: np.ndarray, p: np.ndarray, cap: float, own: np.ndarray,
                      lower: np.ndarray, own_value: np.ndarray, k: int, knapsack):
    """Each centre's value by ``knapsack``, in the order of ``lower`` (valid lower bounds of it), until
    the k-th smallest value found is below every lower bound left: (values, the lower bound kept for the
    others; {centre: (z, price)} for the ones computed)."""
    values = lower.copy()
    solutions: dict[int, tuple[np.ndarray, float]] = {}
    kth = np.inf
    found: list[float] = []
    for c in np.argsort(lower, kind="stable").tolist():
        if not np.isfinite(lower[c]) or (len(found) >= k and lower[c] >= kth):
            break
        value, z, price = knapsack(columns(c, c + 1)[:, 0] - lam, p, cap - p[own[c]], own[c])
        z[own[c]] = 1.0
        # Both are lower bounds of v_c; in coarse weight units the table's value can be the lower one.
        values[c] = max(float(lower[c]), own_value[c] + value)
        solutions[c] = (z, price)
        found.append(values[c])
        if len(found) >= k:
            kth = float(np.partition(found, k - 1)[k - 1])
    return values, solutions


def _evaluate(columns: ColumnBlock, lam, p, cap, own, feasible_centre, k, integer: bool = False):
    values, exact, solutions = _centre_values(columns, lam, p, cap, own, feasible_centre, k, integer=integer)
    chosen = np.argsort(values, kind="stable")[:k]
    z_sum = np.zeros(len(lam))
    for c in chosen.tolist():
        if c in solutions:
            z_sum += solutions[c][0]
    return float(lam.sum() + values[chosen].sum()), chosen, z_sum


def _fixing(cost: np.ndarray, lam, p, cap, own, feasible_centre, k, upper_bound) -> np.ndarray:
    values, exact, solutions = _centre_values(cost_columns(None, cost), lam, p, cap, own, feasible_centre, k)
    r = cost - lam[:, None]
    order = np.argsort(values, kind="stable")
    chosen = order[:k]
    bound = float(lam.sum() + values[chosen].sum())
    kth = float(values[order[k - 1]])
    slack = upper_bound - bound + 1e-9 * max(abs(upper_bound), 1.0)
    m, n = r.shape
    open_penalty = np.maximum(values - kth, 0.0)
    open_penalty[chosen] = 0.0
    keep = np.zeros((m, n), dtype=bool)
    for c in range(n):
        if not feasible_centre[c] or open_penalty[c] > slack:
            continue
        if c in solutions:
            z, price = solutions[c]
            item = np.maximum(r[:, c] + price * p, 0.0) * (1.0 - z)
        else:
            item = np.maximum(r[:, c], 0.0)  # uncapacitated: the bound ignored the capacity price
        ok = open_penalty[c] + item <= slack
        ok &= p + p[own[c]] <= cap + 1e-9
        ok[own[c]] = True
        keep[:, c] = ok
    return keep


def fix_over(problem: Problem, k: int, multipliers: np.ndarray, upper_bound: float, *, allowed: np.ndarray,
             cost: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Reduced-cost fixing over the pairs ``allowed`` (bool atoms × units) only, with given multipliers
    (e.g. an LP's duals of the assignment rows): (the Lagrangian bound, the pairs kept). Valid for every
    plan whose value is at most ``upper_bound`` when every such plan uses allowed pairs only (the pairs
    left out were fixed before against the same or a larger bound)."""
    if cost is None:
        cost = cost_matrix(problem)
    restricted = np.where(allowed, cost, np.inf)
    p = problem.atom_population
    own = problem.unit_atom
    feasible_centre = (p[own] <= problem.max_population + 1e-9) & allowed[own, np.arange(problem.n_units)]
    lam = np.asarray(multipliers, dtype=float)
    with np.errstate(invalid="ignore"):
        value, _, _ = _evaluate(cost_columns(problem, restricted), lam, p, problem.max_population, own,
                                feasible_centre, k)
        keep = _fixing(restricted, lam, p, problem.max_population, own, feasible_centre, k, upper_bound)
    return float(value), keep & allowed
