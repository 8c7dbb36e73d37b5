"""What the search knows about one number of districts k while it runs: the best plan, the best bound,
whether k was proven impossible, and the attempts so far. Every stage reads and updates one ``Outcome``."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.attempts import Attempt
from solver.heuristic import Candidate, is_feasible
from solver.objective import evaluate, imbalance
from solver.problem import Problem
from solver.spec import Spec


@dataclass
class Outcome:
    """Mutable on purpose: the stages of one k take turns improving it."""

    k: int
    candidate: Candidate | None = None
    bound: float | None = None
    proven_infeasible: bool = False
    attempts: list[Attempt] = field(default_factory=list)

    def offer(self, candidate: Candidate | None) -> bool:
        """Keep the candidate when it beats the incumbent; whether it did."""
        if candidate is None or not better(candidate, self.candidate):
            return False
        self.candidate = candidate
        return True

    def raise_bound(self, bound: float | None) -> None:
        if bound is not None and (self.bound is None or bound > self.bound):
            self.bound = bound

    def proven(self, optimal_gap: float) -> bool:
        """Whether the bound meets the incumbent within the relative ``optimal_gap`` (``Tuning``'s)."""
        return (self.candidate is not None and self.bound is not None
                and self.candidate.objective - self.bound <= optimal_gap * abs(self.candidate.objective))

    def record(self, attempt: Attempt) -> Attempt:
        self.attempts.append(attempt)
        return attempt


def better(a: Candidate, b: Candidate | None) -> bool:
    """Lower objective, then lower imbalance (within a relative tolerance)."""
    if b is None:
        return True
    tolerance = 1e-9 * max(abs(a.objective), abs(b.objective), 1.0)
    return a.objective < b.objective - tolerance or (
        abs(a.objective - b.objective) <= tolerance and a.imbalance < b.imbalance - 1e-9)


def candidate_of(problem: Problem, assignment: np.ndarray, spec: Spec, k: int) -> Candidate | None:
    """The assignment as a scored plan, or None when it breaks a rule (checked here, not trusted)."""
    if not is_feasible(problem, assignment, k, spec.require_facility):
        return None
    value, centres = evaluate(problem, assignment, spec.objective, k)
    return Candidate(assignment, value, imbalance(problem, assignment, k), tuple(centres))
