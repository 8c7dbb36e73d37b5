"""Regrouping: a few neighbouring districts divided again from scratch, the rest of the plan kept.

Recombination (``heuristic.improve_edges_until``) re-splits two districts at an edge of a random spanning
tree and keeps a split only when it cuts no more; it stalls where every such move is worse. On Louisiana's
parishes (k = 6) it ended at 51 cut edges or more from five seeds, the optimum being 49, which needs
three districts redrawn at once. Here the union of ``group`` neighbouring districts becomes a problem of its own
(``Problem.restricted_to``: the same band, the edges inside the union), divided afresh by the heuristic's
seeded restarts and recombined. Edges leaving the union keep their state, so a better division of the
union is a better plan. A pass tries every connected group of districts in a fixed order and starts again
after an improvement, until a pass finds none or the time is up. Restarts and steps are counts, not
seconds: the same plans on every machine unless the deadline stops the stage first.
"""
from __future__ import annotations

import itertools
import time

import numpy as np

from solver.attempts import Attempt, Stage, Verdict
from solver.graphs import reach
from solver.heuristic import heuristic_plan, improve_edges_until
from solver.outcome import Outcome, candidate_of
from solver.problem import Problem
from solver.spec import Spec
from solver.tuning import Tuning


def applies(problem: Problem, spec: Spec, k: int) -> bool:
    """On the plain problem (``Problem.band_and_contiguity_only``), with more districts than a group."""
    return k >= 3 and not spec.first_plan and problem.band_and_contiguity_only(spec.require_facility)


def improve_by_groups(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning) -> None:
    """Divide groups of neighbouring districts again while one improves the incumbent (recorded)."""
    started = time.monotonic()
    k = outcome.k
    size = min(tuning.regroup_districts, k - 1)
    before = outcome.candidate.objective
    tried = improved = 0
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        for group in district_groups(problem, outcome.candidate.assignment, k, size):
            if time.monotonic() >= deadline:
                break
            tried += 1
            assignment = _redivide(problem, spec, outcome.candidate.assignment, group, deadline=deadline,
                                   tuning=tuning)
            if assignment is not None and outcome.offer(candidate_of(problem, assignment, spec, k)):
                improved += 1
                progress = True
                break   # the groups changed with the plan
    complete = not progress and time.monotonic() < deadline
    outcome.record(Attempt(districts=k, stage=Stage.REGROUP, status=Verdict.FEASIBLE,
                           objective=outcome.candidate.objective, time_s=time.monotonic() - started,
                           detail=f"{before:g} → {outcome.candidate.objective:g}"
                                  + ("" if complete else "; stopped by the clock"),
                           figures={"groups_tried": tried, "improvements": improved}))


def district_groups(problem: Problem, assignment: np.ndarray, k: int, size: int) -> list[tuple[int, ...]]:
    """Every set of ``size`` districts that is connected in the districts' adjacency, in sorted order."""
    cut = assignment[problem.edge_u] != assignment[problem.edge_v]
    adjacent: list[set[int]] = [set() for _ in range(k)]
    for a, b in zip(assignment[problem.edge_u[cut]].tolist(), assignment[problem.edge_v[cut]].tolist()):
        adjacent[a].add(b)
        adjacent[b].add(a)
    return [group for group in itertools.combinations(range(k), size)
            if len(reach(adjacent, group[0], inside=set(group))) == size]


def _redivide(problem: Problem, spec: Spec, assignment: np.ndarray, group: tuple[int, ...], *, deadline: float,
              tuning: Tuning) -> np.ndarray | None:
    """The plan with the group's union divided afresh, or None when that is not better inside the union."""
    atoms = np.flatnonzero(np.isin(assignment, group))
    part = problem.restricted_to(atoms)
    weights = part.edge_weights(spec.objective)
    current = np.searchsorted(np.asarray(group), assignment[atoms])
    inside = float(weights[current[part.edge_u] != current[part.edge_v]].sum())
    size = len(group)
    fresh = heuristic_plan(part, size, spec.objective, require_facility=False, seed=spec.seed, deadline=deadline,
                           restarts=tuning.regroup_restarts)
    if fresh is None:
        return None
    fresh, _ = improve_edges_until(part, fresh, size, spec.objective, require_facility=False, seed=spec.seed,
                                   deadline=deadline, max_steps=tuning.regroup_steps, splits_per_step=4)
    if fresh.objective >= inside - 1e-9 * max(inside, 1.0):
        return None
    out = assignment.copy()
    out[atoms] = np.asarray(group)[fresh.assignment]
    return out
