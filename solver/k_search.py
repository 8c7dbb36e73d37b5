"""The search over the number of districts k.

A given k is solved with the whole budget. ``districts="auto"`` asks for the fewest k with a plan, and
must answer even when deciding the fewest k is hard (a tight cap: k = ceil(total / cap) may take longer
than the budget to decide, while a larger k is easy). So it runs in three steps:

1. **secure**: the heuristic, stopping at its first plan, tries a generous k (average district at most
   ``Tuning.generous_fill`` of the cap, or k = low when that is roomy already) and up, until one k has a
   verified plan: at 800 units this takes 1–2 s where a tight k = low can take the whole budget;
2. **decide**: only for existence (heuristic, the plan in hand reduced by the transportation LP,
   exhaustive search, the labelling model with a zero objective), k = low first (within
   ``Tuning.secure_share`` of the time left: when it has a plan, nothing else needs deciding), then the k
   below the plan, downwards, within ``Tuning.decide_share``: a plan makes k the new answer; the first k
   without one ends the descent, proven impossible or undecided (the k below are then proven too when
   fewer districts can never help, else undecided);
3. **improve**: the rest of the time optimises the chosen k from its plan (bound and gap);
4. **decide again**: when improving ends before the deadline (its bound stalled), the smaller k still open
   are decided again with fresh heuristic seeds until the time is spent; a plan found there becomes the
   answer and is improved in turn.

When step 1 finds nothing, the k are tried in ascending order with the whole search, as for a given k.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

from solver.attempts import Attempt
from solver.one_k import fewer_districts, quick_plan, run_heuristic, solve_k
from solver.outcome import Outcome
from solver.problem import Problem
from solver.spec import Spec
from solver.tuning import Tuning


@dataclass
class Search:
    """What the search over k found: the chosen k's outcome (None: no plan), and the k below it (or all k
    tried, without a plan) that were proven impossible or left undecided."""

    chosen: Outcome | None = None
    proven_infeasible: list[int] = field(default_factory=list)
    undecided: list[int] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    def note(self, outcome: Outcome) -> None:
        """A k without a plan: proven impossible or undecided."""
        (self.proven_infeasible if outcome.proven_infeasible else self.undecided).append(outcome.k)


def search_k(problem: Problem, spec: Spec, k_values: list[int], *, deadline: float, tuning: Tuning) -> Search:
    if spec.districts != "auto" or len(k_values) <= 1:
        return _ascending(problem, spec, k_values, deadline=deadline, tuning=tuning, search=Search())
    search = Search()
    secured, exhausted = _secure(problem, spec, k_values, deadline=deadline, tuning=tuning, search=search)
    if secured is None:
        rest = [k for k in k_values if k not in search.proven_infeasible]
        return _ascending(problem, spec, rest, deadline=deadline, tuning=tuning, search=search, exhausted=exhausted)
    chosen = _fewest_first(problem, spec, secured, k_values, deadline=deadline, tuning=tuning, search=search)
    now = time.monotonic()
    chosen = _descend(problem, spec, chosen, k_values, deadline=now + tuning.decide_share * (deadline - now),
                      tuning=tuning, search=search, skip_heuristic=exhausted)
    chosen = _improve(problem, spec, chosen, deadline=deadline, tuning=tuning, search=search)
    # The improve step ends early when its bound stalls (800 units: after 55–70 s of 120 s): the time left
    # decides the smaller k again, each round with fresh heuristic seeds, and a plan found there is improved.
    retry = 0
    while _open_below(chosen.k, k_values, search) and deadline - time.monotonic() > tuning.retry_min_s:
        retry += 1
        fresh = replace(spec, seed=spec.seed + RETRY_SEED_STEP * retry)
        lower = _descend(problem, fresh, chosen, k_values, deadline=deadline, tuning=tuning, search=search,
                         skip_heuristic=frozenset())
        if lower is not chosen:
            chosen = _improve(problem, spec, lower, deadline=deadline, tuning=tuning, search=search)
    search.chosen = chosen
    search.undecided = _open_below(chosen.k, k_values, search)
    return search


#: Seed offset of each later round of deciding the smaller k (a fresh set of heuristic restarts).
RETRY_SEED_STEP = 7919


def _open_below(k: int, k_values: list[int], search: Search) -> list[int]:
    """The k below ``k`` not yet proven impossible."""
    return [j for j in k_values if j < k and j not in search.proven_infeasible]


def _descend(problem: Problem, spec: Spec, chosen: Outcome, k_values: list[int], *, deadline: float,
             tuning: Tuning, search: Search, skip_heuristic: set[int] | frozenset[int]) -> Outcome:
    """Decide the k below the chosen one, downwards, only for existence (``_exists``): a plan makes k the
    new choice; the first k without one ends the descent, and when it was proven impossible so are the k
    below it if fewer districts can never help. ``skip_heuristic``: k whose heuristic already ran all its
    restarts without a plan."""
    below = list(reversed(_open_below(chosen.k, k_values, search)))
    for k in below:
        if deadline - time.monotonic() <= 0.05:
            break
        outcome = _exists(problem, spec, chosen, k, deadline=deadline, tuning=tuning, search=search,
                          heuristic=k not in skip_heuristic)
        if outcome.candidate is not None:
            chosen = outcome
            continue
        if outcome.proven_infeasible:
            search.proven_infeasible.append(k)
            if _monotone(problem, spec):
                search.proven_infeasible.extend(j for j in below if j < k and j not in search.proven_infeasible)
        break
    return chosen


def _exists(problem: Problem, spec: Spec, more: Outcome, k: int, *, deadline: float, tuning: Tuning,
            search: Search, heuristic: bool) -> Outcome:
    """k decided for existence only: the heuristic's first plan; else the plan in hand with more districts
    reduced to k (its centres less the smallest districts', atoms shared by the transportation LP under the
    cap: 800 units, k = 61 → 57 in under 1 s a step where the heuristic found none below 59); else the
    exhaustive search and the labelling model. The heuristic goes first because where it succeeds its plan
    is the better start for the exact model (200 units, k = 6: the reduced plan led the exact model to a
    worse local optimum)."""
    existence = replace(spec, first_plan=True)
    if heuristic:
        outcome = quick_plan(problem, existence, k, deadline=deadline)
        search.attempts.extend(outcome.attempts)
        if outcome.candidate is not None or outcome.proven_infeasible:
            return outcome
    outcome = fewer_districts(problem, existence, more.candidate, k, deadline=deadline)
    search.attempts.extend(outcome.attempts)
    if outcome.candidate is None:
        outcome = solve_k(problem, existence, k, deadline=deadline, last=True, tuning=tuning, heuristic=False)
        search.attempts.extend(outcome.attempts)
    return outcome


def _monotone(problem: Problem, spec: Spec) -> bool:
    """Whether a plan with k − 1 districts always gives one with k: split any district of two atoms or
    more along a spanning tree; both parts stay under the cap. A floor, a facility in every district,
    linked atoms or earlier plans to differ from can break that."""
    return (problem.min_population <= 0 and not spec.require_facility and not problem.links
            and not problem.distinct_from)


def _secure(problem: Problem, spec: Spec, k_values: list[int], *, deadline: float, tuning: Tuning,
            search: Search) -> tuple[Outcome | None, set[int]]:
    """The first k from the generous one up with a heuristic plan, and the k whose heuristic ran all its
    restarts without one. Each k gets all the time left: the heuristic returns at its first plan, so an
    easy k costs little, and a k where it finds none ends when its restarts do."""
    generous = math.ceil(problem.total_population / (tuning.generous_fill * problem.max_population) - 1e-9)
    exhausted: set[int] = set()
    for k in [k for k in k_values if k >= generous] or k_values[-1:]:
        if time.monotonic() >= deadline:
            break
        outcome = quick_plan(problem, spec, k, deadline=deadline)
        search.attempts.extend(outcome.attempts)
        if outcome.candidate is not None:
            return outcome, exhausted
        if outcome.proven_infeasible:
            search.proven_infeasible.append(k)
        elif time.monotonic() < deadline:
            exhausted.add(k)
        else:
            break  # out of time, not of restarts: the whole search takes what is left
    return None, exhausted


def _fewest_first(problem: Problem, spec: Spec, secured: Outcome, k_values: list[int], *, deadline: float,
                  tuning: Tuning, search: Search) -> Outcome:
    """With a plan in hand, k = ceil(total / cap) is tried for existence first (when it has one, no other
    k needs deciding), within ``Tuning.secure_share`` of the time left."""
    low = k_values[0]
    if secured.k == low or low in search.proven_infeasible:
        return secured
    now = time.monotonic()
    outcome = _exists(problem, spec, secured, low, deadline=now + tuning.secure_share * (deadline - now),
                      tuning=tuning, search=search, heuristic=True)
    if outcome.proven_infeasible:
        search.proven_infeasible.append(low)
    return outcome if outcome.candidate is not None else secured


def _improve(problem: Problem, spec: Spec, chosen: Outcome, *, deadline: float, tuning: Tuning,
             search: Search) -> Outcome:
    """The rest of the time optimises the chosen k from its plan (not in first-plan mode, nor when the
    plan is already proven optimal)."""
    if spec.first_plan or chosen.proven(tuning.optimal_gap) or deadline - time.monotonic() <= 0.05:
        return chosen
    candidate, bound = chosen.candidate, chosen.bound
    # The heuristic's best of its restarts is a far better warm start than a first plan, but it must
    # leave the model time to state a bound (on a busy machine its restarts took the whole budget).
    warm = Outcome(k=chosen.k)
    warm.offer(candidate)
    now = time.monotonic()
    run_heuristic(problem, spec, warm, deadline=now + tuning.improve_heuristic_share * (deadline - now))
    search.attempts.extend(warm.attempts)
    improved = solve_k(problem, spec, chosen.k, deadline=deadline, last=True, tuning=tuning, start=warm.candidate,
                       heuristic=False)
    search.attempts.extend(improved.attempts)
    improved.raise_bound(bound)
    return improved


def _ascending(problem: Problem, spec: Spec, k_values: list[int], *, deadline: float, tuning: Tuning,
               search: Search, exhausted: set[int] = frozenset()) -> Search:
    """Each k in turn with the whole search until one has a plan (an intermediate k without a plan in
    hand gets half of the time left, so that larger k get a turn); ``exhausted``: k whose heuristic
    already ran to the end without a plan."""
    for position, k in enumerate(k_values):
        if time.monotonic() >= deadline and position > 0:
            break
        outcome = solve_k(problem, spec, k, deadline=deadline, last=position == len(k_values) - 1, tuning=tuning,
                          heuristic=k not in exhausted)
        search.attempts.extend(outcome.attempts)
        if outcome.candidate is not None:
            search.chosen = outcome
            break
        search.note(outcome)
    return search
