"""Everything tried for one number of districts k: heuristic, exhaustive search, then the exact model.

1. the heuristic (``solver.heuristic``) looks for a feasible plan: the warm start and upper bound (for
   inertia improved by capacitated reassignment, ``solver.reassign``, which still moves plans filled to
   the cap). When it finds none, the exhaustive search over whole districts (``solver.exhaustive``, up to
   ``Tuning.exhaustive_share`` of the time) finds one or proves that none exists: tight population bands,
   where the MIP's relaxation says little, are decided there;
2. ``inertia``: the Hess strategy (``solver.hess_strategy``); ``cut-edges`` / ``boundary``: recombination
   and the labelling model (``solver.label_strategy``);
3. ``Spec.first_plan``: the first plan that meets every rule ends the search (heuristic, exhaustive
   search, or the labelling model with a zero objective).
"""
from __future__ import annotations

import time

import numpy as np

from solver.attempts import Attempt, Stage, Verdict
from solver.errors import SolverError
from solver.exhaustive import exhaustive_search
from solver.hess_strategy import run_hess
from solver.heuristic import Candidate, heuristic_plan
from solver.label_model import label_rows
from solver.label_strategy import label_too_large, optimise_edges, run_label
from solver.outcome import Outcome, candidate_of
from solver.problem import Problem
from solver.reassign import fewer, reassign
from solver.spec import Spec
from solver.tuning import Tuning


def quick_plan(problem: Problem, spec: Spec, k: int, *, deadline: float) -> Outcome:
    """The heuristic's first plan for k districts, if it finds one by ``deadline`` (proves nothing)."""
    outcome = Outcome(k=k)
    if k == 1:
        return _single_district(problem, spec, outcome)
    run_heuristic(problem, spec, outcome, deadline=deadline, first=True)
    return outcome


def fewer_districts(problem: Problem, spec: Spec, more: Candidate, k: int, *, deadline: float) -> Outcome:
    """A plan for k districts made from ``more``, a plan with more of them (``solver.reassign.fewer``),
    if one meets every rule; the attempt is recorded either way (proves nothing)."""
    outcome = Outcome(k=k)
    if not problem.band_and_contiguity_only(spec.require_facility):
        return outcome
    started = time.monotonic()
    assignment = fewer(problem, more, k, deadline=deadline)
    candidate = None if assignment is None else candidate_of(problem, assignment, spec, k)
    outcome.record(Attempt(districts=k, stage=Stage.REASSIGNMENT,
                           status=Verdict.FEASIBLE if candidate else Verdict.NONE,
                           objective=None if candidate is None else candidate.objective,
                           time_s=time.monotonic() - started,
                           detail=f"from the plan with {len(more.centres)} districts"))
    outcome.offer(candidate)
    return outcome


def solve_k(problem: Problem, spec: Spec, k: int, *, deadline: float, last: bool, tuning: Tuning,
            start: Candidate | None = None, heuristic: bool = True) -> Outcome:
    """The best plan for k districts by ``deadline``, its bound, or a proof that none exists. ``start``: a
    plan for k already in hand (kept unless the heuristic finds a better one); ``heuristic`` False: skip
    the heuristic (it already ran, with or without a plan)."""
    outcome = Outcome(k=k)
    if k == 1:
        return _single_district(problem, spec, outcome)
    outcome.offer(start)
    if heuristic:
        run_heuristic(problem, spec, outcome, deadline=deadline, first=spec.first_plan)
    if outcome.candidate is None and problem.n_atoms <= tuning.exhaustive_max_atoms and not problem.distinct_from:
        now = time.monotonic()
        _search_whole_districts(problem, spec, outcome, deadline=now + tuning.exhaustive_share * (deadline - now))
        if outcome.proven_infeasible:
            return outcome
    remaining = deadline - time.monotonic()
    if remaining <= 0.05 or (spec.first_plan and outcome.candidate is not None):
        return outcome
    # Without a plan in hand, an intermediate k gets half of the time left so that larger k get a turn.
    budget_end = deadline if (outcome.candidate is not None or last) else time.monotonic() + remaining / 2
    if spec.first_plan:
        # Only existence matters: the labelling model with a zero objective stops at its first plan, and its
        # flow formulation makes "infeasible" a proof for the contiguous problem.
        if budget_end - time.monotonic() < 2 * label_rows(problem, k) / tuning.label_rows_per_s:
            # Building the model alone would overrun the deadline (it cannot be interrupted).
            outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.SKIPPED,
                                   detail="no time left to build the labelling model"))
        elif not label_too_large(problem, outcome, tuning):
            run_label(problem, spec, outcome, deadline=budget_end, tuning=tuning, objective_free=True)
    elif spec.objective == "inertia":
        run_hess(problem, spec, outcome, deadline=budget_end, tuning=tuning)
    else:
        optimise_edges(problem, spec, outcome, deadline=budget_end, tuning=tuning)
    return outcome


def run_heuristic(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, first: bool = False) -> None:
    """The heuristic for ``outcome.k`` (its best plan over its restarts, or its first with ``first``); for
    inertia the plan already in hand and the heuristic's best are improved by capacitated reassignment."""
    reassigning = not first and spec.objective == "inertia" and problem.band_and_contiguity_only(spec.require_facility)
    if reassigning and outcome.candidate is not None:
        # First, and cheaply: the heuristic's restarts may take all the time left (a k found late), and
        # each start can stall where the other does not (800 units, k = 59: the heuristic's best did not
        # move, the first plan went from 2.52e10 to 1.88e10).
        _reassign(problem, spec, outcome, outcome.candidate, deadline=deadline)
    started = time.monotonic()
    best = heuristic_plan(problem, outcome.k, spec.objective, require_facility=spec.require_facility,
                          seed=spec.seed, deadline=deadline, first=first)
    outcome.record(Attempt(districts=outcome.k, stage=Stage.HEURISTIC,
                           status=Verdict.FEASIBLE if best else Verdict.NONE,
                           objective=None if best is None else best.objective, time_s=time.monotonic() - started,
                           detail="first plan" if first else None))
    outcome.offer(best)
    if reassigning and best is not None and time.monotonic() < deadline:
        _reassign(problem, spec, outcome, best, deadline=deadline)


def _reassign(problem: Problem, spec: Spec, outcome: Outcome, start: Candidate, *, deadline: float) -> None:
    """A plan improved by capacitated reassignment (``solver.reassign``), offered to the outcome."""
    started = time.monotonic()
    improved = reassign(problem, start, outcome.k, deadline=deadline)
    outcome.record(Attempt(districts=outcome.k, stage=Stage.REASSIGNMENT, status=Verdict.FEASIBLE,
                           objective=improved.objective, time_s=time.monotonic() - started))
    outcome.offer(improved)


def _search_whole_districts(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float) -> None:
    """No heuristic plan: the exhaustive search either finds one or proves none exists, within its share
    of the time; tight population bands are where the MIP struggles and it does not."""
    k = outcome.k
    started = time.monotonic()
    found = exhaustive_search(problem, k, require_facility=spec.require_facility, deadline=deadline)
    status = {"plan": Verdict.FEASIBLE, "none": Verdict.INFEASIBLE}.get(found.status, Verdict.UNKNOWN)
    objective = None
    if found.status == "none":
        outcome.proven_infeasible = True
    elif found.status == "plan":
        candidate = candidate_of(problem, found.assignment, spec, k)
        if candidate is None:
            raise SolverError(f"the exhaustive search's plan for k={k} breaks a rule; this is a bug")
        objective = candidate.objective
        outcome.offer(candidate)
    outcome.record(Attempt(districts=k, stage=Stage.EXHAUSTIVE, status=status, objective=objective,
                           time_s=time.monotonic() - started,
                           figures={"districts_tried": found.districts_tried, "remainders": found.remainders}))


def _single_district(problem: Problem, spec: Spec, outcome: Outcome) -> Outcome:
    """k = 1: the only partition is the whole graph; it is optimal or the rules rule it out."""
    candidate = candidate_of(problem, np.zeros(problem.n_atoms, dtype=np.int64), spec, 1)
    outcome.record(Attempt(districts=1, stage=Stage.ENUMERATION,
                           status=Verdict.OPTIMAL if candidate else Verdict.INFEASIBLE))
    if candidate is not None:
        outcome.offer(candidate)
        outcome.bound = candidate.objective  # the only partition there is
    else:
        outcome.proven_infeasible = True
    return outcome
