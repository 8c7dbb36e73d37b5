"""The ``cut-edges`` and ``boundary`` objectives, and first-plan mode: recombination and the labelling model.

A few thousand recombination steps (``heuristic.improve_edges_until``) improve the warm start, then the
labelling model (``solver.label_model``: districts labelled by their root in a vertex ordering,
``solver.ordering``, with contiguity as a single-commodity flow) is solved in one run; when it is too
large to build, recombination continues until the deadline, with no bound.
"""
from __future__ import annotations

import time

from solver.attempts import Attempt, Stage, Verdict
from solver.heuristic import improve_edges_until
from solver.label_model import build_label
from solver.lazy_cuts import ModelHooks, run_rounds
from solver.linear import make_runner
from solver.ordering import build_ordering
from solver.outcome import Outcome
from solver.problem import Problem
from solver.spec import Spec
from solver.tuning import Tuning


def label_too_large(problem: Problem, outcome: Outcome, tuning: Tuning) -> bool:
    """Whether the labelling model for ``outcome.k`` is beyond ``tuning.max_label_rows`` (recorded)."""
    k = outcome.k
    if 2 * len(problem.edge_u) * k + 3 * problem.n_atoms * k <= tuning.max_label_rows:
        return False
    outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.SKIPPED, detail="labelling model too large"))
    return True


def optimise_edges(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning) -> None:
    """Warm start by recombination, then the labelling model; recombination alone when it is too large."""
    if label_too_large(problem, outcome, tuning):
        if outcome.candidate is not None:
            recombine(problem, spec, outcome, deadline=deadline)
        return
    if outcome.candidate is not None:
        # A few thousand recombination steps (about a second) often reach the optimum, which the exact
        # model then only has to prove; the step cap keeps the result independent of speed.
        now = time.monotonic()
        recombine(problem, spec, outcome, deadline=min(deadline, now + tuning.warm_share * (deadline - now)),
                  max_steps=tuning.warm_recombination_steps)
    run_label(problem, spec, outcome, deadline=deadline, tuning=tuning)


def recombine(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, max_steps: int | None = None) -> None:
    """Improve the incumbent by recombination (no bound is claimed): until the deadline when no exact model
    follows, else for at most ``max_steps`` steps as the exact model's warm start."""
    started = time.monotonic()
    # As a warm start, each step keeps the best of a few splits: on the county benchmarks that reaches
    # better plans in the same ~3 s (Mississippi 34 instead of 36 cut edges).
    improved, steps = improve_edges_until(problem, outcome.candidate, outcome.k, spec.objective,
                                          require_facility=spec.require_facility, seed=spec.seed, deadline=deadline,
                                          max_steps=max_steps, splits_per_step=1 if max_steps is None else 4)
    detail = ("ran until the deadline: the plan depends on the time budget"
              if max_steps is None or steps < max_steps else f"warm start: {steps} steps")
    outcome.record(Attempt(districts=outcome.k, stage=Stage.RECOMBINATION, status=Verdict.FEASIBLE,
                           objective=improved.objective, time_s=time.monotonic() - started, detail=detail,
                           figures={"steps": steps}))
    outcome.offer(improved)


def run_label(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning,
              objective_free: bool = False) -> None:
    """The labelling model with roots and flow: contiguity is in the model, so one run decides it.
    ``objective_free``: every cost is zero, so the first plan found ends the run (and no bound is claimed)."""
    k = outcome.k
    clock = time.monotonic()
    ordering = build_ordering(problem, k, seed=spec.seed,
                              time_limit_s=min(tuning.ordering_max_s, tuning.ordering_share * (deadline - clock)))
    reference = outcome.candidate.objective if outcome.candidate else None
    label = build_label(problem, k, spec.objective, ordering=ordering, require_facility=spec.require_facility,
                        tie_reference=reference)
    if objective_free:
        label.model.cost[:] = 0.0
    outcome.record(Attempt(districts=k, stage=Stage.ORDERING, status=Verdict.FIXED, time_s=time.monotonic() - clock,
                           figures={"back": problem.n_atoms - ordering.back_start,
                                    "fixed_roots": len(ordering.fixed_roots), "banned_labels": len(ordering.banned)}))
    runner = make_runner(spec.backend, label.model, seed=spec.seed)
    hooks = ModelHooks(start_of=lambda c: label.start_from(c.assignment, problem), decode=label.assignment_from,
                       cuts_of=lambda a: [],
                       bound_of=(lambda b: None) if objective_free else label.primary_bound)
    run_rounds(problem, spec, outcome, deadline=deadline, runner=runner, hooks=hooks)
