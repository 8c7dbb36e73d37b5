"""The frontier search: the labelling model solved with every atom away from a district border fixed.

Recombination and regrouping redraw two or three districts at a time. Some better plans move a handful of
atoms round all k districts at once: on Iowa's counties (k = 4) one warm start of 35 cut edges and the
optimum 33 differ by five counties moved in a cycle through all four districts, which no group of three
can make, and the band forbids each move alone. HiGHS's own neighbourhood heuristics (RINS) found it
inside the full model, when it had time. Here only the *frontier* (the atoms on a cut edge) may move;
every other atom keeps its district (its ``x`` columns fixed to the incumbent's). On that warm start the
model had 40 free atoms of 99 and HiGHS solved it to optimality in 2.0 s: 33. It is solved again from
each better plan.

When the last run is optimal and finds nothing better, the incumbent is *settled*: no cheap search moves
it, and what the full model still has to do is the proof.
"""
from __future__ import annotations

import time

import numpy as np

from solver.attempts import Attempt, Stage, Verdict
from solver.label_model import build_label, label_rows
from solver.linear import RunState, make_runner
from solver.ordering import Ordering
from solver.outcome import Outcome, candidate_of
from solver.problem import Problem
from solver.spec import Spec
from solver.tuning import Tuning


def frontier_atoms(problem: Problem, assignment: np.ndarray) -> np.ndarray:
    """The atoms on a cut edge of ``assignment``, ascending."""
    cut = assignment[problem.edge_u] != assignment[problem.edge_v]
    return np.union1d(problem.edge_u[cut], problem.edge_v[cut])


def improve_at_frontier(problem: Problem, spec: Spec, outcome: Outcome, ordering: Ordering, *, deadline: float,
                        tuning: Tuning, neighbour_rows: bool = True) -> bool:
    """Re-solve the frontier of the incumbent while it improves (recorded); whether the incumbent is settled.
    ``neighbour_rows``: passed to ``build_label``."""
    started = time.monotonic()
    before = outcome.candidate.objective
    rounds, settled, free = 0, False, 0
    # Each round builds the model afresh, which cannot be interrupted: a round starts only with time to
    # build it twice.
    build_s = label_rows(problem, outcome.k) / tuning.label_rows_per_s
    while rounds < tuning.frontier_rounds and deadline - time.monotonic() > max(0.05, 2 * build_s):
        frontier = frontier_atoms(problem, outcome.candidate.assignment)
        free = len(frontier)
        if free > tuning.frontier_max_free_share * problem.n_atoms:
            break
        rounds += 1
        state, improved = _solve_frontier(problem, spec, outcome, ordering, frontier, deadline=deadline,
                                          neighbour_rows=neighbour_rows)
        if not improved:
            settled = state == RunState.OPTIMAL
            break
    outcome.record(Attempt(districts=outcome.k, stage=Stage.FRONTIER, status=Verdict.FEASIBLE,
                           objective=outcome.candidate.objective, time_s=time.monotonic() - started,
                           detail=f"{before:g} → {outcome.candidate.objective:g}"
                                  + ("; settled" if settled else ""),
                           figures={"rounds": rounds, "free_atoms": free, "settled": settled}))
    return settled


def _solve_frontier(problem: Problem, spec: Spec, outcome: Outcome, ordering: Ordering, frontier: np.ndarray, *,
                    deadline: float, neighbour_rows: bool) -> tuple[RunState | None, bool]:
    """One run of the labelling model with the atoms off ``frontier`` fixed: how it ended, and whether its
    plan beat the incumbent."""
    k, incumbent = outcome.k, outcome.candidate
    label = build_label(problem, k, spec.objective, ordering=ordering, require_facility=spec.require_facility,
                        tie_reference=incumbent.objective, neighbour_rows=neighbour_rows)
    start = label.start_from(incumbent.assignment, problem)
    if start is None:
        return None, False
    fixed = np.setdiff1d(np.arange(problem.n_atoms), frontier)
    columns = label.x_columns(fixed)
    label.model.lower[columns] = start[columns]
    label.model.upper[columns] = start[columns]
    runner = make_runner(spec.backend, label.model, seed=spec.seed, threads=spec.threads)
    result = runner.run(time_limit_s=max(0.05, deadline - time.monotonic()), start=start)
    if result.values is None:
        return result.state, False
    plan = candidate_of(problem, label.assignment_from(result.values), spec, k)
    return result.state, outcome.offer(plan)
