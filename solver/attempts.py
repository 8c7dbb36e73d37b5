"""What each stage of the search did: a frozen record per stage and run, kept in ``Plan.attempts``.

An ``Attempt`` reads like a mapping (``attempt["stage"]``, ``dict(attempt)``), holding only the fields
that were set, so the plan's JSON and the callers that index it need no special case.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Stage(StrEnum):
    """The stages of ``solve``, in the order they may run for one number of districts."""

    ENUMERATION = "enumeration"      # k = 1: the only partition
    HEURISTIC = "heuristic"
    REASSIGNMENT = "reassignment"    # capacitated reassignment to fixed centres (inertia)
    EXHAUSTIVE = "exhaustive"        # search over whole districts
    RECOMBINATION = "recombination"
    REGROUP = "regroup"              # neighbouring districts divided again (``solver.regroup``)
    FRONTIER = "frontier"            # the atoms on a cut edge re-solved exactly (``solver.frontier``)
    ORDERING = "ordering"            # the labelling model's vertex ordering
    ROOT_LP = "root LP"              # the labelling model's relaxation, with and without the neighbour rows
    PARTITION = "partition"          # column generation over districts (``solver.partition_bound``)
    LAGRANGIAN = "lagrangian"
    KMEANS = "k-means"               # capacitated k-means centres, then the exact assignment to them
    SWAPS = "centre swaps"           # swap search over centre units, then the exact assignment to them
    PROBING = "probing"              # centre probing with the LP
    MIP = "mip"


class Verdict(StrEnum):
    """How one stage ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"            # a plan (no proof)
    INFEASIBLE = "infeasible"        # proven: no plan exists for this k
    NONE = "none"                    # found no plan, proves nothing
    NO_SOLUTION = "no-solution"      # a model run stopped without a solution
    UNKNOWN = "unknown"              # stopped by the clock before deciding
    SKIPPED = "skipped"              # not run (too large, no time)
    BOUND = "bound"                  # a bound was computed
    REFIXED = "refixed"              # pairs fixed again against a better incumbent
    FIXED = "fixed"                  # the ordering's fixings are made


_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class Attempt(Mapping[str, object]):
    """One stage's result for one number of districts. ``figures``: stage-specific counts (iterations,
    kept pairs, cuts, steps …)."""

    districts: int
    stage: Stage
    status: Verdict
    time_s: float | None = None
    objective: float | None = None
    bound: float | None = None
    detail: str | None = None
    figures: Mapping[str, object] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if self.time_s is not None:
            object.__setattr__(self, "time_s", round(float(self.time_s), 3))

    def _items(self) -> dict[str, object]:
        out: dict[str, object] = {"districts": self.districts, "stage": self.stage, "status": self.status}
        for key in ("time_s", "objective", "bound", "detail"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out.update(self.figures)
        return out

    def __getitem__(self, key: str) -> object:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())
