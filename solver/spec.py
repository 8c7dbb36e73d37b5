"""What the solver is asked to do: plain data, no geometry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Mapping

Objective = Literal["inertia", "boundary", "cut-edges"]
Backend = Literal["highs", "cbc"]


@dataclass(frozen=True, kw_only=True)
class Spec:
    """A districting problem on a unit graph.

    ``districts="auto"`` asks for the fewest districts for which a plan exists, starting from
    ceil(total population / max_population). ``group_attr`` names a node attribute whose equal,
    non-empty values must end up in one district (居民小组, grids, estate phases).

    ``distance(unit_id, centre_unit_id)`` replaces the Euclidean distance between node x/y in the inertia
    objective (cost = population × distance²), e.g. a road distance or a published rounded distance. It is
    called once for every (unit, unit) pair, so it suits graphs of a few thousand units at most.

    ``first_plan=True`` answers "is there a plan at all?": the solver stops at the first plan that passes
    every rule (or at a proof that none exists) instead of optimising; such a plan is ``feasible`` with no
    bound, whatever its objective value.

    ``locks`` maps unit ids to a lock label (a planner's local knowledge): units with one label end in one
    district, units with different labels in different districts. The models keep a label's units together
    as the keep-together groups are kept (merged atoms, linked when not connected) and keep labels apart
    with pairwise rows, so optimality is proven under the locks.
    """

    max_population: float
    min_population: float | None = None
    districts: int | Literal["auto"] = "auto"
    objective: Objective = "inertia"
    population_attr: str = "population"
    group_attr: str | None = "group"
    require_facility: bool = False
    facility_attr: str = "facility"
    time_limit_s: float = 60.0
    backend: Backend = "highs"
    seed: int = 0
    # Threads for the exact models (HiGHS: its parallel tree search above 1; CBC's threads). One by default:
    # a city batch runs communities side by side, one process each.
    threads: int = 1
    max_districts: int | None = None
    # Alternatives: the answer must differ, as a partition (not a relabelling), from each plan listed here
    # in where at least one node with a non-empty ``distinct_attr`` goes (estates, by default).
    distinct_from: tuple[Mapping[str, int], ...] = ()
    distinct_attr: str = "estate_id"
    # …and, when above 0, put at least this share of the population in a different district than each of
    # them, after the best matching of district labels (``solver.difference``).
    distinct_share: float = 0.0
    # None: Euclidean distance between node x/y (metres); otherwise called as distance(unit id, centre unit id).
    distance: Callable[[str, str], float] | None = None
    first_plan: bool = False
    # unit id → lock label; None or empty: no locks.
    locks: Mapping[str, str] | None = None
