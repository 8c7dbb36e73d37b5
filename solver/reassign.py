"""Capacitated reassignment to fixed centres: the improvement that still moves plans filled to the cap.

Single moves and swaps (``solver.heuristic.local_search``) stall when districts are within a few percent
of the cap, as under the 2026 law's band (~94 % full) or a tight ``districts="auto"`` k (95 %+): a plan
found there can have twice the inertia of a roomier k. Location–allocation with capacities does not
stall: with the centres fixed, the best assignment under the floor and cap is a transportation LP (each
atom restricted to its nearest centres and its own), whose optimum splits at most k − 1 atoms. Split
atoms go to their largest share, pieces cut off from their district's centre join a neighbouring district,
the rules are repaired by balancing, and the local search finishes; the centres are re-chosen and the round
repeats while the plan improves. Only an improvement that meets every rule is kept.
"""
from __future__ import annotations

import time

import numpy as np

from solver.graphs import components
from solver.heuristic import Candidate, is_feasible, local_search, repair_rules
from solver.objective import evaluate, imbalance
from solver.problem import Problem
from solver.transport import TransportLP

#: Centres each atom may be reassigned to (its own district's is always allowed): enough for the LP to
#: move atoms across two or three districts, small enough to solve in well under a second at 800 units.
NEAREST_CENTRES = 8
#: Rounds of reassign → repair → local search while the plan improves by at least this share.
MAX_ROUNDS = 6
MIN_GAIN = 1e-4


def reassign(problem: Problem, candidate: Candidate, k: int, *, deadline: float) -> Candidate:
    """A better plan than ``candidate`` (inertia) by capacitated reassignment rounds, or the candidate."""
    best = candidate
    for _ in range(MAX_ROUNDS):
        if time.monotonic() > deadline:
            break
        plan = _round(problem, best, k, deadline=deadline)
        if plan is None:
            break
        value, centres = evaluate(problem, plan, "inertia", k)
        if value >= best.objective * (1 - MIN_GAIN):
            break
        best = Candidate(plan, value, imbalance(problem, plan, k), tuple(centres))
    return best


def fewer(problem: Problem, candidate: Candidate, k: int, *, deadline: float, tries: int = 3) -> np.ndarray | None:
    """A plan with k districts from ``candidate``, which has more: the centres of its least populated
    districts are dropped (the smallest first, then the next ones, ``tries`` choices in all), the
    transportation LP shares the atoms among the k centres left within the floor and cap, and the round
    is finished as a reassignment round. None when no choice gives a plan meeting the rules. Where the
    heuristic alone finds none (800 units, a cap filled to 96 %), the LP keeps every district under the cap
    from the start."""
    have = len(candidate.centres)
    if not 1 <= k < have:
        return None
    pops = np.bincount(candidate.assignment, weights=problem.atom_population, minlength=have)
    order = np.argsort(pops, kind="stable").tolist()
    surplus = have - k
    for attempt in range(tries):
        # the surplus − 1 smallest districts, and the next smallest not yet tried
        if surplus - 1 + attempt >= have or time.monotonic() > deadline:
            break
        dropped = set(order[:surplus - 1]) | {order[surplus - 1 + attempt]}
        kept = [d for d in range(have) if d not in dropped]
        centres = np.asarray(candidate.centres)[kept]
        cost = centre_costs(problem, centres)
        current = np.argmin(cost, axis=1)
        renumber = {old: new for new, old in enumerate(kept)}
        inside = np.isin(candidate.assignment, kept)
        current[inside] = [renumber[int(d)] for d in candidate.assignment[inside]]
        assignment = _transport(problem, centres, cost, current, k)
        if assignment is None:
            continue
        assignment = _reconnect(problem, assignment, centres, k)
        if not is_feasible(problem, assignment, k, False):
            assignment = repair_rules(problem, assignment, k, "inertia", require_facility=False, deadline=deadline)
        if assignment is not None:
            return assignment
    return None


def _round(problem: Problem, candidate: Candidate, k: int, *, deadline: float) -> np.ndarray | None:
    centres = np.asarray(candidate.centres)
    assignment = _transport(problem, centres, centre_costs(problem, centres), candidate.assignment, k)
    if assignment is None:
        return None
    assignment = _reconnect(problem, assignment, centres, k)
    if not is_feasible(problem, assignment, k, False):
        return repair_rules(problem, assignment, k, "inertia", require_facility=False, deadline=deadline)
    return local_search(problem, assignment, k, "inertia", require_facility=False, deadline=deadline)


def centre_costs(problem: Problem, centres: np.ndarray, atoms: np.ndarray | None = None) -> np.ndarray:
    """Inertia of every atom (or of ``atoms``) about each centre unit (atoms × centres)."""
    atoms = np.arange(problem.n_atoms) if atoms is None else atoms
    return np.stack([problem.atom_cost(atoms, int(c)) for c in centres], axis=1)


def _transport(problem: Problem, centres: np.ndarray, cost: np.ndarray, current: np.ndarray,
               k: int) -> np.ndarray | None:
    """The transportation LP (``solver.transport``) over each atom's nearest centres (by ``cost``) and its
    district in ``current``; atoms go to their largest share."""
    m = problem.n_atoms
    allowed = np.zeros((m, k), dtype=bool)
    allowed[np.arange(m)[:, None], np.argsort(cost, axis=1, kind="stable")[:, :min(NEAREST_CENTRES, k)]] = True
    allowed[np.arange(m), current] = True
    solved = TransportLP(problem, k, allowed).solve(problem.unit_x[centres], problem.unit_y[centres])
    return None if solved is None else np.argmax(solved[1], axis=1).astype(np.int64)


def _reconnect(problem: Problem, assignment: np.ndarray, centres: np.ndarray, k: int) -> np.ndarray:
    """Every district's pieces that do not hold its centre join the neighbouring district they share the
    most edges with, until every district is one piece (population is repaired afterwards)."""
    assignment = assignment.copy()
    centre_atom = problem.unit_atom[centres]
    for _ in range(problem.n_atoms):
        moved = False
        for d in range(k):
            parts = components(problem.atom_neighbours, np.flatnonzero(assignment == d).tolist())
            if len(parts) <= 1:
                continue
            home = next((part for part in parts if int(centre_atom[d]) in part),
                        max(parts, key=lambda part: float(problem.atom_population[list(part)].sum())))
            for part in parts:
                if part is home:
                    continue
                touching = [int(assignment[b]) for a in sorted(part) for b in problem.atom_neighbours[a]
                            if int(assignment[b]) != d]
                if not touching:
                    continue
                assignment[sorted(part)] = max(set(touching), key=lambda x: (touching.count(x), -x))
                moved = True
        if not moved:
            break
    return assignment
