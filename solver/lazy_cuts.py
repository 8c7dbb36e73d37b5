"""The lazy-cut loop: solve a model, check its plans' contiguity, add separator cuts, solve again.

HiGHS has no lazy-constraint callback. Every improving solution it finds is checked as it is found
(``HighsRunner.run``'s ``on_solution``): a disconnected one stops the run at once (its cuts are added and
the model solved again), a connected one becomes the incumbent. No time is spent proving a disconnected
solution optimal. Each round's dual bound is a bound for the contiguous problem (the cuts are valid for
every contiguous plan).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solver.attempts import Attempt, Stage, Verdict
from solver.errors import SolverError
from solver.graphs import components
from solver.heuristic import Candidate, local_search
from solver.linear import RunState, row_block
from solver.outcome import Outcome, candidate_of
from solver.problem import Problem
from solver.spec import Spec

Row = tuple[list[int], list[float], float, float]


@dataclass(frozen=True)
class ModelHooks:
    """How the loop talks to one model: a start vector for a plan, a plan from a solution, the cuts a plan
    needs ([] when it is contiguous), and the bound on the primary objective a model bound gives (None: no
    bound, e.g. a restriction). ``cut_off_at``: the model was cut off below the incumbent (only better plans
    are feasible), so an infeasible run proves this bound, the incumbent's objective, instead of "no plan"."""

    start_of: Callable[[Candidate], np.ndarray | None]
    decode: Callable[[np.ndarray], np.ndarray]
    cuts_of: Callable[[np.ndarray], list[Row]]
    bound_of: Callable[[float | None], float | None]
    cut_off_at: float | None = None


def run_rounds(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, runner,
               hooks: ModelHooks) -> None:
    """Solve, cut, repeat until the model's plan is contiguous, it is infeasible, or time is up; updates
    ``outcome`` in place (incumbent, bound, proven_infeasible, attempts)."""
    k = outcome.k
    round_no = 0
    best_bound: float | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            break
        round_no += 1
        start = hooks.start_of(outcome.candidate) if outcome.candidate is not None else None
        pending: dict[tuple[int, ...], Row] = {}
        # Separators are costly (one per stray part and candidate centre: 2 s at 800 units, k = 58), and the
        # run's last solution was usually checked already as it was found.
        checked: dict[bytes, tuple[np.ndarray, list[Row]]] = {}

        def decode_and_cut(values: np.ndarray) -> tuple[np.ndarray, list[Row]]:
            key = np.asarray(values, dtype=float).tobytes()
            if key not in checked:
                assignment = hooks.decode(values)
                checked[key] = (assignment, hooks.cuts_of(assignment))
            return checked[key]

        def on_solution(values: np.ndarray) -> bool:
            assignment, rows = decode_and_cut(values)
            if rows:
                for row in rows:
                    pending.setdefault(tuple(row[0]), row)
                return True
            outcome.offer(candidate_of(problem, assignment, spec, k))
            return False

        # Keep a little of the wall-clock budget for decoding, repair and the plan itself (HiGHS itself
        # was seen to overrun its limit by up to 0.1 s in the root cut loop).
        result = runner.run(time_limit_s=max(0.05, remaining * 0.98 - 0.15), start=start, on_solution=on_solution)
        figures: dict[str, object] = {"round": round_no}
        objective = None
        if result.state == RunState.INFEASIBLE and hooks.cut_off_at is not None:
            outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.OPTIMAL, time_s=result.runtime_s,
                                   objective=hooks.cut_off_at, bound=hooks.cut_off_at,
                                   detail="no better plan below the cutoff", figures=figures))
            best_bound = hooks.cut_off_at
            break
        if result.state == RunState.INFEASIBLE:
            outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.INFEASIBLE, time_s=result.runtime_s,
                                   detail=result.detail, figures=figures))
            if outcome.candidate is not None:
                # The model says no plan exists, yet a verified one is known: a numerical problem.
                raise SolverError(f"{runner.name} declared k={k} infeasible although a feasible plan is known; "
                                  "try the other backend")
            outcome.proven_infeasible = True
            return
        model_bound = result.bound
        if result.state == RunState.OPTIMAL and model_bound is None:
            model_bound = result.objective
        round_bound = hooks.bound_of(model_bound)
        if round_bound is not None:
            # Under a cutoff the model bounds only the better plans; the incumbent bounds the rest.
            round_bound = float(round_bound if hooks.cut_off_at is None else min(round_bound, hooks.cut_off_at))
            best_bound = round_bound if best_bound is None else max(best_bound, round_bound)
        stop = True
        if result.values is not None:
            assignment, rows = decode_and_cut(result.values)
            for row in rows:
                pending.setdefault(tuple(row[0]), row)
            if not pending:
                candidate = candidate_of(problem, assignment, spec, k)
                if candidate is None:
                    raise SolverError(f"the model's plan for k={k} breaks a rule it encodes; this is a bug")
                objective = candidate.objective
                outcome.offer(candidate)   # optimal, or stopped by the clock with a connected plan
            else:
                repaired = repair(problem, assignment, spec, k, deadline)
                if outcome.offer(repaired):
                    figures["repaired"] = repaired.objective
                # Go on unless the clock stopped this round.
                stop = result.state != RunState.OPTIMAL and not result.interrupted
        else:
            stop = not (result.interrupted and pending)
        if pending:
            figures["cuts"] = len(pending)
        outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict(result.state.value),
                               time_s=result.runtime_s, objective=objective, bound=round_bound,
                               detail=result.detail, figures=figures))
        if stop:
            break
        runner.add_rows(row_block(list(pending.values())))
    outcome.raise_bound(best_bound)


def repair(problem: Problem, assignment: np.ndarray, spec: Spec, k: int, deadline: float) -> Candidate | None:
    """Turn a disconnected model solution into a plan: stray parts join a neighbour, then local search."""
    fixed = assignment.copy()
    for d in range(k):
        parts = components(problem.atom_neighbours, np.flatnonzero(assignment == d))
        if len(parts) > 1:
            parts.sort(key=lambda s: (-float(problem.atom_population[list(s)].sum()), min(s)))
            for part in parts[1:]:
                fixed[list(part)] = -1
    for _ in range(problem.n_atoms):
        loose = np.flatnonzero(fixed < 0)
        if len(loose) == 0:
            break
        for a in loose:
            options = sorted({int(fixed[b]) for b in problem.atom_neighbours[a] if fixed[b] >= 0})
            if options:
                fixed[a] = options[0]
    if (fixed < 0).any() or len(np.unique(fixed)) != k:
        return None
    if not all(len(components(problem.atom_neighbours, np.flatnonzero(fixed == d))) == 1 for d in range(k)):
        return None
    improved = local_search(problem, fixed, k, spec.objective, require_facility=spec.require_facility,
                            deadline=deadline)
    return candidate_of(problem, improved, spec, k)
