"""``solve``: the search over the number of districts k, and the plan it returns.

For each k (the given one, or ceil(total / cap), +1, … for ``auto``) ``solver.one_k`` runs the heuristic,
the exhaustive search over whole districts, and the exact model of the objective (``solver.hess_strategy``
for ``inertia``, ``solver.label_strategy`` for ``cut-edges`` / ``boundary``); contiguity is enforced with
lazy separator cuts (``solver.lazy_cuts``) or inside the labelling model. The plan is the best connected
one found; it is ``optimal`` only when the proven bound meets it (relative gap ≤ ``Tuning.optimal_gap``),
``feasible`` with bound and gap otherwise (gap None: no bound).

``Spec.first_plan``: the first plan that meets every rule ends the search; it is ``feasible`` with no bound.

In ``auto`` mode (``solver.k_search``) a plan is first secured at some k, then smaller k are decided
and the chosen plan improved; ``minimum_proven`` holds when k = ceil(total / cap) (counted part by part)
or every smaller k was proven infeasible (by the exhaustive search or a model), and
``k_proven_infeasible`` / ``k_undecided`` say which smaller k are which. ``time_limit_s`` is
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
from solver.k_search import search_k
from solver.outcome import Outcome
from solver.plan import Plan, PlanStatus
from solver.precheck import candidate_districts, district_range, problem_reasons
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
    log.info("checking and building %d units, %d edges", graph.number_of_nodes(), graph.number_of_edges())
    problem = build_problem(graph, spec) if graph.number_of_nodes() else None
    reasons = ["the graph has no units"] if problem is None else problem_reasons(graph, spec, problem)
    if reasons:
        return Plan(assignment={}, districts=0, status=PlanStatus.INFEASIBLE, objective=None, bound=None, gap=None,
                    runtime_s=time.monotonic() - clock, backend=spec.backend, solver_version=version,
                    objective_name=spec.objective, reasons=tuple(reasons))
    log.info(
        "solving %d units (%d atoms, %d atom edges), total %.0f %s, cap %.0f", problem.n_units, problem.n_atoms,
        len(problem.edge_u), problem.total_population, spec.population_attr, problem.max_population)
    k_values = list(candidate_districts(problem, spec))
    search = search_k(problem, spec, k_values, deadline=deadline, tuning=tuning)
    proven, undecided = sorted(search.proven_infeasible), sorted(search.undecided)
    if search.chosen is not None:
        k = search.chosen.k
        fewest = district_range(problem)[0]
        minimum_proven = k == fewest or (spec.districts == "auto" and set(range(fewest, k)) <= set(proven))
        return _plan(problem, spec, search.chosen, clock=clock, version=version, attempts=search.attempts,
                     tuning=tuning, minimum_proven=minimum_proven, k_proven_infeasible=tuple(proven),
                     k_undecided=tuple(undecided))
    if k_values and set(proven) == set(k_values):
        why = [f"no contiguous plan exists with {', '.join(map(str, proven))} district(s) under these rules "
               "(proven by the model)"]
        status = PlanStatus.INFEASIBLE
    else:
        tried = sorted({a.districts for a in search.attempts})
        why = [f"no plan found within {spec.time_limit_s:g} s (tried k = "
               f"{', '.join(map(str, tried)) or 'none'}); none was proven impossible"
               + ("" if not proven else f" except k = {', '.join(map(str, proven))}")
               + "; give more time or relax the rules"]
        status = PlanStatus.NO_SOLUTION
    return Plan(assignment={}, districts=0, status=status, objective=None, bound=None, gap=None,
                runtime_s=time.monotonic() - clock, backend=spec.backend, solver_version=version,
                objective_name=spec.objective, reasons=tuple(why), attempts=tuple(search.attempts),
                k_proven_infeasible=tuple(proven), k_undecided=tuple(undecided))


def _plan(problem: Problem, spec: Spec, outcome: Outcome, *, clock: float, version: str, attempts: list[Attempt],
          tuning: Tuning, minimum_proven: bool, k_proven_infeasible: tuple[int, ...],
          k_undecided: tuple[int, ...]) -> Plan:
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
        minimum_proven=minimum_proven, attempts=tuple(attempts), k_proven_infeasible=k_proven_infeasible,
        k_undecided=k_undecided,
    )



__all__ = ["solve"]
