"""``solve``: the search over the number of districts k, and the plan it returns.

For each k (the given one, or ceil(total / cap), +1, … for ``auto``) ``solver.one_k`` runs the heuristic,
the exhaustive search over whole districts, and the exact model of the objective (``solver.hess_strategy``
for ``inertia``, ``solver.label_strategy`` for ``cut-edges`` / ``boundary``); contiguity is enforced with
lazy separator cuts (``solver.lazy_cuts``) or inside the labelling model. The plan is the best connected
one found; it is ``optimal`` only when the proven bound meets it (relative gap ≤ ``Tuning.optimal_gap``),
``feasible`` with bound and gap otherwise (gap None: no bound).

``Spec.first_plan``: the first plan that meets every rule ends the search; it is ``feasible`` with no bound.

In ``auto`` mode the first k with a plan wins; ``minimum_proven`` holds when k = ceil(total / cap) or
every smaller k was proven infeasible (by the exhaustive search or a model). ``time_limit_s`` is
wall-clock for the whole call. Every knob of the search is in ``solver.tuning.Tuning`` (passed in).
Districts are numbered 1..k in the order of their smallest unit id. Runs that finish before the time
limit are deterministic (seeded heuristic, single-threaded HiGHS with a fixed seed); a run cut short by
the clock may stop at a different point, and so does the recombination search, which always runs to the
deadline (its attempt says so).
"""
from __future__ import annotations

import logging
import time

import networkx as nx

from solver.attempts import Attempt
from solver.objective import evaluate
from solver.one_k import solve_k
from solver.outcome import Outcome
from solver.plan import Plan, PlanStatus
from solver.precheck import candidate_districts, district_range, precheck
from solver.problem import Problem, build_problem, check_spec
from solver.spec import Spec
from solver.tuning import DEFAULT_TUNING, Tuning

log = logging.getLogger(__name__)


def _backend_version(backend: str) -> str:
    if backend == "highs":
        import highspy

        return f"HiGHS {highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    import pulp

    return f"CBC (PuLP {pulp.__version__})"


def solve(graph: nx.Graph, spec: Spec, *, tuning: Tuning = DEFAULT_TUNING) -> Plan:
    """The best plan for the spec within ``spec.time_limit_s`` seconds (wall-clock), see module docstring."""
    clock = time.monotonic()
    deadline = clock + float(spec.time_limit_s)
    check_spec(spec)
    version = _backend_version(spec.backend)
    reasons = precheck(graph, spec)
    if reasons:
        return Plan(assignment={}, districts=0, status=PlanStatus.INFEASIBLE, objective=None, bound=None, gap=None,
                    runtime_s=time.monotonic() - clock, backend=spec.backend, solver_version=version,
                    objective_name=spec.objective, reasons=tuple(reasons))
    problem = build_problem(graph, spec)
    log.info(
        "solving %d units (%d atoms, %d atom edges), total %.0f %s, cap %.0f", problem.n_units, problem.n_atoms,
        len(problem.edge_u), problem.total_population, spec.population_attr, problem.max_population)
    k_values = list(candidate_districts(problem, spec))
    arithmetic_minimum = district_range(problem)[0]
    attempts: list[Attempt] = []
    smaller_all_proven = True
    infeasible_ks: list[int] = []
    for position, k in enumerate(k_values):
        if time.monotonic() >= deadline and position > 0:
            break
        last = position == len(k_values) - 1
        outcome = solve_k(problem, spec, k, deadline=deadline, last=last, tuning=tuning)
        attempts.extend(outcome.attempts)
        if outcome.candidate is not None:
            return _plan(problem, spec, outcome, clock=clock, version=version, attempts=attempts, tuning=tuning,
                         minimum_proven=(k == arithmetic_minimum) or (smaller_all_proven and spec.districts == "auto"))
        if outcome.proven_infeasible:
            infeasible_ks.append(k)
        else:
            smaller_all_proven = False
    runtime = time.monotonic() - clock
    proven = bool(k_values) and len(infeasible_ks) == len(k_values)
    if proven:
        ks = ", ".join(str(k) for k in infeasible_ks)
        why = [f"no contiguous plan exists with {ks} district(s) under these rules (proven by the model)"]
        status = PlanStatus.INFEASIBLE
    else:
        tried = [a["districts"] for a in attempts]
        why = [f"no plan found within {spec.time_limit_s:g} s (tried k = "
               f"{', '.join(str(k) for k in sorted(set(tried))) or 'none'}); none was proven impossible"
               + ("" if not infeasible_ks else f" except k = {', '.join(map(str, infeasible_ks))}")
               + "; give more time or relax the rules"]
        status = PlanStatus.NO_SOLUTION
    return Plan(assignment={}, districts=0, status=status, objective=None, bound=None, gap=None, runtime_s=runtime,
                backend=spec.backend, solver_version=version, objective_name=spec.objective, reasons=tuple(why),
                attempts=tuple(attempts))


def _plan(problem: Problem, spec: Spec, outcome: Outcome, *, clock: float, version: str, attempts: list[Attempt],
          tuning: Tuning, minimum_proven: bool) -> Plan:
    k, candidate = outcome.k, outcome.candidate
    unit_district = candidate.assignment[problem.unit_atom]
    # Number districts 1..k by their smallest unit id (unit ids are sorted, so by first index).
    order: dict[int, int] = {}
    for d in unit_district.tolist():
        if d not in order:
            order[d] = len(order) + 1
    assignment = {uid: order[int(d)] for uid, d in zip(problem.unit_ids, unit_district.tolist())}
    objective, centres = evaluate(problem, candidate.assignment, spec.objective, k)
    bound = outcome.bound
    gap = None
    status = PlanStatus.FEASIBLE
    if bound is not None:
        bound = min(bound, objective)
        gap = (objective - bound) / abs(objective) if abs(objective) > 1e-12 else (0.0 if bound >= -1e-9 else None)
        if gap is not None and gap <= tuning.optimal_gap:
            status = PlanStatus.OPTIMAL
    return Plan(
        assignment=assignment, districts=k, status=status, objective=objective, bound=bound, gap=gap,
        runtime_s=time.monotonic() - clock, backend=spec.backend, solver_version=version,
        objective_name=spec.objective,
        centres={order[d]: problem.unit_ids[c] for d, c in enumerate(centres)},
        minimum_proven=minimum_proven, attempts=tuple(attempts),
    )



__all__ = ["solve"]
