"""The ``cut-edges`` and ``boundary`` objectives, and first-plan mode: recombination and the labelling model.

A few thousand recombination steps (``heuristic.improve_edges_until``) improve the warm start, groups of
neighbouring districts are divided again (``solver.regroup``) and the atoms on the districts' borders
re-solved exactly (``solver.frontier``). Where k ≥ 3 districts hold few atoms each, branch-and-price over
districts (``solver.partition_bound``) then bounds the plan, and often proves it; then the labelling model
(``solver.label_model``: districts labelled by their root in a vertex ordering, ``solver.ordering``, with
contiguity as a single-commodity flow) is solved in one run; when it is too large to build,
recombination continues until the deadline, with no bound. When the frontier search settles the incumbent
(nothing better within its reach) the model's run is a proof: HiGHS runs it with
``Tuning.proof_highs_options`` (no primal heuristics), cut off one cut edge below the incumbent.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from solver import frontier, regroup
from solver.attempts import Attempt, Stage, Verdict
from solver.heuristic import improve_edges_until
from solver.label_model import build_label, label_rows
from solver.lazy_cuts import ModelHooks, run_rounds
from solver.linear import HighsRunner, RunState, make_runner
from solver.ordering import Ordering, build_ordering
from solver.partition_bound import partition_bound
from solver.outcome import Outcome, candidate_of
from solver.problem import Problem
from solver.spec import Spec
from solver.tuning import Tuning

#: Room above the model value of a plan one cut edge better, for HiGHS's tolerances on the flow and cut columns.
CUTOFF_SLACK = 1e-4


def label_too_large(problem: Problem, outcome: Outcome, tuning: Tuning) -> bool:
    """Whether the labelling model for ``outcome.k`` is beyond ``tuning.max_label_rows`` (recorded)."""
    k = outcome.k
    if label_rows(problem, k) <= tuning.max_label_rows:
        return False
    outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.SKIPPED, detail="labelling model too large"))
    return True


def optimise_edges(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning) -> None:
    """Warm start by recombination, regrouping and the frontier search, then the labelling model;
    recombination alone when the model is too large."""
    if label_too_large(problem, outcome, tuning):
        if outcome.candidate is not None:
            recombine(problem, spec, outcome, deadline=deadline)
        return
    ordering, proof, neighbour_rows = None, False, True
    if outcome.candidate is not None:
        _warm_start(problem, spec, outcome, deadline=deadline, tuning=tuning)
        ordering = timed_ordering(problem, spec, outcome, deadline=deadline, tuning=tuning)
        neighbour_rows = rows_pay(problem, spec, outcome, ordering, deadline=deadline, tuning=tuning)
        now = time.monotonic()
        if frontier.improve_at_frontier(problem, spec, outcome, ordering,
                                        deadline=now + tuning.frontier_share * (deadline - now), tuning=tuning,
                                        neighbour_rows=neighbour_rows):
            proof = True
        if partition_applies(problem, spec, outcome.k, tuning):
            now = time.monotonic()
            bound_by_partition(problem, spec, outcome, ordering,
                               deadline=now + tuning.partition_share * (deadline - now), tuning=tuning)
            if outcome.proven(tuning.optimal_gap):
                return
    run_label(problem, spec, outcome, deadline=deadline, tuning=tuning, ordering=ordering, proof=proof,
              neighbour_rows=neighbour_rows)


def rows_pay(problem: Problem, spec: Spec, outcome: Outcome, ordering: Ordering, *, deadline: float,
             tuning: Tuning) -> bool:
    """Whether the labelling model for ``outcome.k`` gets its neighbour rows: where they raise its root LP
    bound (``RootBounds``; recorded)."""
    clock = time.monotonic()
    limit = min(tuning.root_lp_max_s, tuning.root_lp_share * (deadline - clock))
    bounds = root_bounds(problem, outcome.k, spec.objective, ordering=ordering,
                         require_facility=spec.require_facility, time_limit_s=limit, threads=spec.threads)
    outcome.record(Attempt(districts=outcome.k, stage=Stage.ROOT_LP, status=Verdict.BOUND,
                           time_s=time.monotonic() - clock,
                           detail="neighbour rows kept" if bounds.rows_pay else "neighbour rows left out",
                           figures={"without_rows": bounds.without, "with_rows": bounds.with_rows}))
    return bounds.rows_pay


@dataclass(frozen=True)
class RootBounds:
    """The root LP bound of the model (tie-break left out; the objective's units) without and with the
    neighbour rows; None where the LP did not finish in its time."""

    without: float | None
    with_rows: float | None

    @property
    def rows_pay(self) -> bool:
        """Keep the rows where they raise the root bound. Where they do not, they only slow every node's
        LP: New Mexico's 499 tracts (k = 3; root 10.035 either way) were proven in 349.9 s without them and
        not within 450 s with them, while Iowa's counties (root 10.82 → 11.25) went from 131.6 s to 80–86 s."""
        if self.without is None or self.with_rows is None:
            return False
        return self.with_rows > self.without + 1e-6 * max(1.0, abs(self.without))


def root_bounds(problem: Problem, k: int, objective: str, *, ordering: Ordering, require_facility: bool,
                time_limit_s: float, threads: int = 1) -> RootBounds:
    """Solve the relaxation of the model for ``k`` districts twice, without and with the neighbour rows."""
    values = []
    for rows in (False, True):
        label = build_label(problem, k, objective, ordering=ordering, require_facility=require_facility,
                            tie_reference=None, tie_break=False, neighbour_rows=rows)
        label.model.integer[:] = False
        runner = HighsRunner(label.model, seed=0, threads=threads)
        result = runner.run(time_limit_s=max(0.05, time_limit_s / 2), start=None)
        values.append(result.objective * label.scale if result.state == RunState.OPTIMAL else None)
    return RootBounds(without=values[0], with_rows=values[1])


def _warm_start(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning) -> None:
    """A few thousand recombination steps (about a second) often reach the optimum, which the exact model
    then only has to prove; the step cap keeps the result independent of speed. Then regrouping."""
    now = time.monotonic()
    recombine(problem, spec, outcome, deadline=min(deadline, now + tuning.warm_share * (deadline - now)),
              max_steps=tuning.warm_recombination_steps)
    if regroup.applies(problem, spec, outcome.k):
        now = time.monotonic()
        regroup.improve_by_groups(problem, spec, outcome, deadline=now + tuning.regroup_share * (deadline - now),
                                  tuning=tuning)


def partition_applies(problem: Problem, spec: Spec, k: int, tuning: Tuning) -> bool:
    """Column generation runs when given a share of the time, for the edge objectives on the plain
    problem (``Problem.band_and_contiguity_only``) whose k districts, at least three, hold few atoms each."""
    few_atoms = problem.n_atoms <= min(tuning.partition_max_atoms, tuning.partition_atoms_per_district * k)
    return (tuning.partition_share > 0 and spec.objective in ("cut-edges", "boundary") and not spec.first_plan
            and k >= tuning.partition_min_districts and few_atoms
            and problem.band_and_contiguity_only(spec.require_facility))


def bound_by_partition(problem: Problem, spec: Spec, outcome: Outcome, ordering: Ordering, *, deadline: float,
                       tuning: Tuning) -> None:
    """The column-generation bound (``solver.partition_bound``), raised into ``outcome``, and the plans its
    branches end in, offered to it; it stops early once it proves the incumbent optimal."""
    started = time.monotonic()
    k, incumbent = outcome.k, outcome.candidate
    districts = [np.flatnonzero(incumbent.assignment == d) for d in range(k)]
    # Cut edges are integers: a bound above incumbent − 1 proves the incumbent. A boundary length is
    # proven within the relative gap ``solve`` calls optimal.
    integral = spec.objective == "cut-edges"

    def target_below(value: float) -> float:
        return value - 1.0 + 1e-4 if integral else value - tuning.optimal_gap * abs(value)

    def on_plan(whole: list[np.ndarray]) -> float:
        """A branch's LP ended in whole districts: a plan, checked and scored here like any other."""
        assignment = np.empty(problem.n_atoms, dtype=np.int64)
        for d, district in enumerate(whole):
            assignment[district] = d
        outcome.offer(candidate_of(problem, assignment, spec, k))
        return target_below(outcome.candidate.objective)

    found = partition_bound(problem, k, ordering, problem.edge_weights(spec.objective).astype(float), districts,
                            deadline=deadline, seed=spec.seed, target=target_below(incumbent.objective),
                            threads=spec.threads, on_plan=on_plan)
    best = outcome.candidate
    if found.bound is None:
        bound = None
    else:   # never above the plan it bounds: round-off in the LP's metres must not state a negative gap
        bound = math.ceil(found.bound - 1e-6) if integral else min(found.bound, best.objective)
    outcome.raise_bound(bound)
    outcome.record(Attempt(districts=k, stage=Stage.PARTITION,
                           status=Verdict.OPTIMAL if bound is not None and bound >= target_below(best.objective)
                           else Verdict.FEASIBLE, objective=best.objective, bound=bound,
                           time_s=time.monotonic() - started,
                           figures={"iterations": found.iterations, "columns": found.columns,
                                    "branches": found.branches, "mixed_rounds": found.mixed,
                                    "whole_lp_plans": found.plans,
                                    "lp_finished": found.finished}))


def timed_ordering(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning) -> Ordering:
    """The vertex ordering for ``outcome.k`` (``solver.ordering``) within its share of the time, recorded."""
    clock = time.monotonic()
    ordering = build_ordering(problem, outcome.k, seed=spec.seed,
                              time_limit_s=min(tuning.ordering_max_s, tuning.ordering_share * (deadline - clock)))
    outcome.record(Attempt(districts=outcome.k, stage=Stage.ORDERING, status=Verdict.FIXED,
                           time_s=time.monotonic() - clock,
                           figures={"back": problem.n_atoms - ordering.back_start,
                                    "fixed_roots": len(ordering.fixed_roots), "banned_labels": len(ordering.banned)}))
    return ordering


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
              objective_free: bool = False, ordering: Ordering | None = None, proof: bool = False,
              neighbour_rows: bool = True) -> None:
    """The labelling model with roots and flow: contiguity is in the model, so one run decides it.
    ``objective_free``: every cost is zero, so the first plan found ends the run (and no bound is claimed).
    ``ordering``: one already built for this k (else it is built here). ``proof``: the incumbent is
    settled (``solver.frontier``), so the run is mostly a proof: HiGHS runs with
    ``Tuning.proof_highs_options`` and, when the objective takes integer values only, is cut off at the
    incumbent less one: it searches only for a better plan, and ends infeasible when there is none.
    ``neighbour_rows``: as chosen by ``rows_pay`` (``label_model.build_label``)."""
    k = outcome.k
    if ordering is None:
        ordering = timed_ordering(problem, spec, outcome, deadline=deadline, tuning=tuning)
    reference = outcome.candidate.objective if outcome.candidate else None
    # A proof only asks whether a better plan exists, which the balance tie-break cannot change. Left out for
    # cut edges (where it is worth up to 0.25), the cutoff below prunes every node above incumbent − 1: Iowa's
    # proof on two threads 108.4 s → 97.4 s, Arkansas's on one 70.4 → 65.0 s. A better plan it finds is not
    # re-balanced among those with the same cut. (Boundary has no cutoff; its plans stay as they were.)
    label = build_label(problem, k, spec.objective, ordering=ordering, require_facility=spec.require_facility,
                        tie_reference=reference, tie_break=not (proof and spec.objective == "cut-edges"),
                        neighbour_rows=neighbour_rows)
    if objective_free:
        label.model.cost[:] = 0.0
    runner = make_runner(spec.backend, label.model, seed=spec.seed, threads=spec.threads)
    cut_off_at = None
    if proof:
        runner.set_options(tuning.proof_highs_options)
        incumbent = outcome.candidate.objective
        # A plan with one cut edge fewer is worth at most incumbent − 1 + tie_max in the model: nodes above
        # are pruned (Arkansas's counties: 76.6 s → 60.6 s, Kansas's proven in 133 s).
        if label.integral and runner.set_cutoff(incumbent - 1.0 + label.tie_max + CUTOFF_SLACK):
            cut_off_at = incumbent
    start_of = (lambda c: label.start_from(c.assignment, problem)) if cut_off_at is None else (lambda c: None)
    hooks = ModelHooks(start_of=start_of, decode=label.assignment_from, cuts_of=lambda a: [],
                       bound_of=(lambda b: None) if objective_free else label.primary_bound, cut_off_at=cut_off_at)
    run_rounds(problem, spec, outcome, deadline=deadline, runner=runner, hooks=hooks)
