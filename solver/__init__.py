"""solver: divide a graph of units into contiguous districts under a population cap, and prove how good it is.

Public API (the only names ``redistrict`` uses):

- ``Spec``: what to solve (cap, floor, number of districts or "auto", objective, groups, time limit...).
- ``solve(graph, spec, tuning=DEFAULT_TUNING) -> Plan``: exact integer programming (HiGHS, CBC fallback) with a heuristic warm
  start; ``Plan.status`` is ``optimal`` only when the bound proves it.
- ``precheck(graph, spec) -> list[str]``: plain-words reasons why no plan can exist (empty when none found).
- ``verify(graph, spec, assignment) -> list[str]``: an independent re-check of a plan (empty when valid).
- ``score(graph, spec, assignment) -> float | None``: the spec's objective of any complete plan.
- ``find_violations(graph, spec, assignment) -> list[Violation]``: the same re-check as records (``Rule``,
  district, value, limit, units), for scoring a plan a person drew.

The solver never sees a geometry: nodes carry ``population``, ``households``, ``x``, ``y`` (metres) and
optional ``group`` / ``facility``; edges carry ``length_m`` and ``barrier``.
This package never imports ``boundaries`` or ``maps``.
"""
from solver.errors import SolverError
from solver.spec import Spec
from solver.plan import Plan, PlanStatus
from solver.precheck import precheck
from solver.verify import Rule, Violation, find_violations, moved_population, verify
from solver.solve import solve
from solver.objective import score
from solver.tuning import DEFAULT_TUNING, Tuning

__all__ = ["Rule", "SolverError", "Spec", "Plan", "PlanStatus", "Tuning", "DEFAULT_TUNING", "Violation",
           "find_violations", "moved_population", "precheck", "score", "verify", "solve"]
