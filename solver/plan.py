"""The solver's answer: an immutable record with an honest status."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping


class PlanStatus(StrEnum):
    """A ``str`` enum: ``plan.status == "optimal"`` holds, and it prints and serialises as its value."""

    OPTIMAL = "optimal"            # the bound proves it (relative gap within the solver tolerance)
    FEASIBLE = "feasible"          # a verified plan; bound and gap say how far from optimal it may be
    INFEASIBLE = "infeasible"      # proven: no plan exists under these rules
    NO_SOLUTION = "no-solution"    # none found in time, none proven impossible
    CHECKED = "checked"            # a plan a person proposed, scored by the verifier (`redistrict check`)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """``assignment`` maps every unit id to a district numbered 1..districts.

    ``status`` is ``optimal`` only when the solver proved a zero gap; ``feasible`` carries the best
    bound and the relative gap; ``infeasible`` and ``no-solution`` carry ``reasons`` and an empty
    assignment. ``minimum_proven`` says whether fewer districts were proven impossible (or are
    impossible by arithmetic: ceil(total / cap), counted part by part on a graph in separate parts);
    ``k_proven_infeasible`` and ``k_undecided`` list the smaller numbers of districts by verdict.
    """

    assignment: Mapping[str, int]
    districts: int
    status: PlanStatus
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    backend: str
    solver_version: str
    objective_name: str
    centres: Mapping[int, str] = field(default_factory=dict)
    minimum_proven: bool = False
    reasons: tuple[str, ...] = ()
    attempts: tuple[Mapping[str, Any], ...] = ()
    # ``districts="auto"``: the numbers of districts below ``districts`` (from ceil(total / cap) up) that
    # were proven impossible, and those the time did not decide (with no plan: every k tried).
    k_proven_infeasible: tuple[int, ...] = ()
    k_undecided: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", PlanStatus(self.status))

    def __repr__(self) -> str:
        gap = "" if self.gap is None else f", gap={self.gap:.2%}"
        return f"<Plan {self.status} [{self.districts} districts], {self.objective_name}={self.objective}{gap}>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "districts": self.districts,
            "objective_name": self.objective_name,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "runtime_s": self.runtime_s,
            "backend": self.backend,
            "solver_version": self.solver_version,
            "minimum_proven": self.minimum_proven,
            "k_proven_infeasible": list(self.k_proven_infeasible),
            "k_undecided": list(self.k_undecided),
            "reasons": list(self.reasons),
            "centres": {str(k): v for k, v in sorted(self.centres.items())},
            "attempts": [dict(a) for a in self.attempts],
            "assignment": {u: self.assignment[u] for u in sorted(self.assignment)},
        }
