"""Better warm starts for the Hess model under a tight band: capacitated k-means, then the exact assignment.

The heuristic's local search moves one atom at a time between neighbouring districts; when the cap is
tight (the 2026 law's band of 1,000–3,000 households at ~95 % fill) most moves break it, and its plans
stay in poor local optima (400 units, k = 15, training seed 201: 2.26e9 after 16 restarts, 2.19e9 after
polishing, against an LP bound of 1.878e9). Here the centres are moved instead of the atoms:

1. *capacitated k-means* (Bradley, Bennett & Demiriz's constrained k-means): from k seeded centres
   (population-weighted farthest-point sampling), atoms are assigned by the transportation LP (atoms
   splittable, every district between floor and cap), each centre moves to the population-weighted mean
   of what it received, until the centres stop moving. Cheap (a min-cost flow, ``solver.transport``:
   ~0.005 s at 400 atoms, k = 15), so many seeded starts run; each ends at a fractional value.
2. the best starts' centres are snapped to units (the unit nearest the mean: inertia decomposes about
   the mean) and fixed open in the Hess model over those k centres only (every rule of the model,
   contiguity by lazy cuts); its plan's own best centres start the next such model while the plan
   improves (location–allocation). The model is narrowed first (``assignment_columns``): the
   transportation LP at the snapped centres settles the atoms it gives wholly to the same district as
   all their neighbours; only the others (on a boundary of the LP's split, or split by it) may choose
   among their nearest centres.

``unit_descent`` is the same iteration with the centres on units (each moved to the unit nearest the mean
of what it received), for the swap search (``solver.centre_swaps``): its transportation LP value is a
lower bound on every plan with those centres, and the exact assignment's plan came out 0.2–1.0 % above it
for 16 starts of training seeds 201 and 205 (once 0.5 % below: the location–allocation moved the
centres), where the value with centres at the means was ~5 % below the plan (the snap to a unit costs a
district P·|mean − unit|²).

Measured (seed 201, loaded machine): 12 starts in ~5 s, the best start's plan 1.929e9 in ~5 s more.
Narrowing (training seed 205, 800 units, k = 29, idle machine): the three best starts' assignments took
3.8, 16.5 and 7.4 s instead of 8.9, 59.4 and 15.6 s for plans within 0.1 % of the full models' (2,150
columns instead of 23,200); with a 0.3 % relative MIP gap, 2.2–3.3 s each, within 0.3 %.
These plans are upper bounds only (restrictions): no bound is ever taken from them.
"""
from __future__ import annotations

import logging
import random
import time

import numpy as np

from solver.outcome import Outcome
from solver.problem import Problem
from solver.reassign import centre_costs
from solver.transport import TransportLP

log = logging.getLogger(__name__)

#: Centres closer than this (metres, summed over x and y) to where they were end the k-means loop.
CONVERGED_M = 1e-3


def kmeans_starts(problem: Problem, k: int, *, starts: int, seed: int, deadline: float,
                  max_rounds: int = 50) -> list[tuple[float, list[int]]]:
    """(fractional value, k distinct centre units) of each seeded capacitated k-means start finished by
    ``deadline``, best first. Not for a custom distance (no means there)."""
    lp = TransportLP(problem, k)
    found: list[tuple[float, list[int]]] = []
    for start in range(starts):
        if time.monotonic() >= deadline:
            break
        rng = random.Random(seed * 1_000_003 + start * 7919 + k)
        cx, cy = _seed_means(problem, k, rng)
        weights = value = None
        for _ in range(max_rounds):
            if time.monotonic() >= deadline:
                break
            solved = lp.solve(cx, cy)
            if solved is None:
                break
            value, share = solved
            weights = share * problem.atom_population[:, None]
            mass = weights.sum(axis=0)
            if (mass <= 0).any():
                break
            nx = weights.T @ problem.atom_x / mass
            ny = weights.T @ problem.atom_y / mass
            moved = float(np.abs(nx - cx).max() + np.abs(ny - cy).max())
            cx, cy = nx, ny
            if moved < CONVERGED_M:
                break
        if weights is not None and value is not None:
            found.append((value, _snap(problem, cx, cy)))
    found.sort(key=lambda item: item[0])
    return found


def unit_descent(problem: Problem, lp: TransportLP, centres: list[int], *, deadline: float,
                 max_rounds: int = 10) -> tuple[float, list[int]] | None:
    """Lloyd's iteration with the centres on units, from ``centres``: (the lowest transportation-LP value
    met, its centre units), None when the LP has no solution at ``centres``. Stops when the centres repeat."""
    centres = sorted(centres)
    best: tuple[float, list[int]] | None = None
    seen: set[tuple[int, ...]] = set()
    for _ in range(max_rounds):
        if time.monotonic() >= deadline:
            break
        units = np.asarray(centres)
        solved = lp.solve(problem.unit_x[units], problem.unit_y[units])
        if solved is None:
            break
        value, share = solved
        if best is None or value < best[0]:
            best = (value, centres)
        seen.add(tuple(centres))
        weights = share * problem.atom_population[:, None]
        mass = weights.sum(axis=0)
        if (mass <= 0).any():
            break
        moved = _snap(problem, weights.T @ problem.atom_x / mass, weights.T @ problem.atom_y / mass)
        if tuple(moved) in seen:
            break
        centres = moved
    return best


def _seed_means(problem: Problem, k: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    """k atom positions by population-weighted farthest-point sampling (k-means++)."""
    x, y, p = problem.atom_x, problem.atom_y, problem.atom_population + 1e-9
    chosen = [rng.choices(range(problem.n_atoms), weights=p.tolist())[0]]
    d2 = (x - x[chosen[0]]) ** 2 + (y - y[chosen[0]]) ** 2
    while len(chosen) < k:
        weights = p * d2
        pick = rng.choices(range(problem.n_atoms), weights=weights.tolist())[0] if weights.sum() > 0 \
            else rng.randrange(problem.n_atoms)
        chosen.append(pick)
        d2 = np.minimum(d2, (x - x[pick]) ** 2 + (y - y[pick]) ** 2)
    return x[chosen].astype(float), y[chosen].astype(float)


def _snap(problem: Problem, cx: np.ndarray, cy: np.ndarray) -> list[int]:
    """The unit nearest each mean, distinct (a later mean takes its next nearest free unit)."""
    taken: set[int] = set()
    out: list[int] = []
    for mx, my in zip(cx.tolist(), cy.tolist()):
        order = np.argsort((problem.unit_x - mx) ** 2 + (problem.unit_y - my) ** 2, kind="stable")
        unit = next(int(u) for u in order.tolist() if int(u) not in taken)
        taken.add(unit)
        out.append(unit)
    return sorted(out)


def assignment_columns(problem: Problem, centres: list[int], *, nearest: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(atoms, centre units): the pairs of a narrowed assignment to ``centres``. Every atom keeps the district
    the transportation LP gives it the largest share of; atoms that the LP splits, or that border an atom
    of another LP district, also keep their ``nearest`` centres (by inertia). None when the LP has no
    solution."""
    k, m = len(centres), problem.n_atoms
    units = np.asarray(centres)
    solved = TransportLP(problem, k).solve(problem.unit_x[units], problem.unit_y[units])
    if solved is None:
        return None
    share = solved[1]
    district = np.argmax(share, axis=1)
    border = share.max(axis=1) < 1 - 1e-6
    across = district[problem.edge_u] != district[problem.edge_v]
    border[problem.edge_u[across]] = True
    border[problem.edge_v[across]] = True
    allowed = np.zeros((m, k), dtype=bool)
    allowed[np.arange(m), district] = True
    rows = np.flatnonzero(border)
    cost = centre_costs(problem, units, rows)
    allowed[rows[:, None], np.argsort(cost, axis=1, kind="stable")[:, :min(nearest, k)]] = True
    atoms, which = np.nonzero(allowed)
    return atoms, units[which]


def assign_to_centres(problem: Problem, outcome: Outcome, centres: list[int], *, solve_fixed, deadline: float,
                      max_rounds: int = 4) -> None:
    """Location–allocation from ``centres``: ``solve_fixed(scratch, centres, deadline)`` solves the Hess
    model with exactly those centres open into a scratch ``Outcome``; its plan's own best centres start
    the next round while the plan improves. Every plan found is offered to ``outcome``."""
    best: float | None = None
    for _ in range(max_rounds):
        if deadline - time.monotonic() <= 0.2:
            break
        scratch = Outcome(k=outcome.k)
        solve_fixed(scratch, centres, deadline)
        if scratch.candidate is None:
            break
        outcome.offer(scratch.candidate)
        value = scratch.candidate.objective
        moved = sorted(int(c) for c in scratch.candidate.centres)
        if (best is not None and value >= best * (1 - 1e-9)) or moved == sorted(centres):
            break
        best, centres = value, moved
