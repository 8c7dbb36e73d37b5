"""``solve``: heuristic warm start, then the exact model with contiguity cuts added round by round.

For each number of districts k (the given one, or ceil(total / cap), +1, … for ``auto``):

1. the heuristic (``solver.heuristic``) looks for a feasible plan: the warm start and upper bound. When
   it finds none, the exhaustive search over whole districts (``solver.exhaustive``, up to
   ``EXHAUSTIVE_SHARE`` of the time) finds one or proves that none exists: tight population bands, where
   the MIP's relaxation says little, are decided there;
2. ``inertia`` (Hess model, one column per atom × centre unit): up to ``SMALL_HESS_COLUMNS`` pairs the
   full model is solved. Beyond, a Lagrangian bound (``solver.lagrangian``) drops every pair that
   cannot appear in a plan better than the incumbent; the incumbent is first improved on restrictions
   around it (``solver.restriction``, no bound claimed; the restriction follows each better plan) and the
   pairs fixed again. When the incumbent is within ``PROBE_MAX_GAP`` of the bound, centre probing
   (``solver.centre_probing``) closes every candidate centre whose LP with that centre open exceeds the
   incumbent and fixes pairs again with the LP's duals; the exact model over the remaining pairs (with
   every atom's neighbour separator up front and HiGHS's proof-oriented ``EXACT_HIGHS_OPTIONS``) is exact
   for the full model. When too many pairs remain for it, the rest of the time continues the Lagrangian
   ascent for a tighter stated bound.
   ``cut-edges`` / ``boundary``: a few thousand recombination steps (``heuristic.improve_edges_until``)
   improve the warm start, then the labelling model (``solver.label_model``: districts labelled by their
   root in a vertex ordering, ``solver.ordering``, with contiguity as a single-commodity flow) is solved
   in one run; when it is too large to build, recombination continues until the deadline, with no bound;
3. for the Hess model contiguity is lazy: every improving solution HiGHS finds is checked; a disconnected
   one stops the run, separator cuts for it (valid for every plan) are added and the model solved again;
   a connected one becomes the incumbent. Each round's dual bound is a bound for the contiguous problem;
4. the plan is the best connected one found; it is ``optimal`` only when the proven bound meets it
   (relative gap ≤ ``OPTIMAL_GAP``), ``feasible`` with bound and gap otherwise (gap None: no bound).

``Spec.first_plan``: the first plan that meets every rule ends the search (heuristic, exhaustive search, or
the labelling model with a zero objective); it is ``feasible`` with no bound.

In ``auto`` mode the first k with a plan wins; ``minimum_proven`` holds when k = ceil(total / cap) or
every smaller k was proven infeasible (by the exhaustive search or a model). ``time_limit_s`` is wall-clock for the whole call.
Districts are numbered 1..k in the order of their smallest unit id. Runs that finish before the time
limit are deterministic (seeded heuristic, single-threaded HiGHS with a fixed seed); a run cut short by
the clock may stop at a different point, and so does the recombination search, which always runs to the
deadline (its attempt says so).
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from solver.errors import SolverError
from solver.exhaustive import MAX_ATOMS as EXHAUSTIVE_MAX_ATOMS, exhaustive_search
from solver.heuristic import Candidate, heuristic_plan, improve_edges_until, is_feasible, local_search
from solver.centre_probing import probe_and_fix
from solver.hess_model import build_hess, hess_cuts, neighbour_cuts, pool_rows
from solver.lagrangian import cost_matrix, lagrangian, refix
from solver.restriction import initial_pairs
from solver.label_model import build_label
from solver.ordering import build_ordering
from solver.linear import make_runner
from solver.objective import evaluate, imbalance
from solver.plan import Plan
from solver.precheck import candidate_districts, precheck
from solver.problem import Problem, build_problem, check_spec, minimum_districts
from solver.separators import components
from solver.spec import Spec

log = logging.getLogger(__name__)

#: A plan is called optimal when (objective − bound) / objective is at most this (solver tolerance).
OPTIMAL_GAP = 1e-5
#: The full Hess model has (atoms × units) columns; above this it is not built (heuristic answer only).
MAX_HESS_COLUMNS = 400_000
#: Up to this many (atom, centre) pairs the full Hess model is solved directly.
SMALL_HESS_COLUMNS = 3_000
#: Above this many pairs left after reduced-cost fixing, the exact model is not attempted.
MAX_EXACT_COLUMNS = 150_000
#: Above this many pairs left after fixing, first improve the incumbent on a restriction around it.
POLISH_ABOVE_COLUMNS = 4_000
#: Restrictions around the incumbent solved in turn while each improves it (within POLISH_SHARE of the time).
MAX_POLISH_ROUNDS = 4
#: Stop polishing when a round improves the incumbent by less than this share.
POLISH_MIN_GAIN = 2e-3
#: Share of the time left that polishing the incumbent may use.
POLISH_SHARE = 1 / 3
#: Share of the remaining time the Lagrangian bound may use, and its subgradient steps (centre probing
#: and the LP's duals fix pairs again later, so a rough first fixing is enough).
LAGRANGIAN_SHARE = 0.3
LAGRANGIAN_ITERATIONS = 500
#: Above this many pairs left after fixing, candidate centres are probed with the LP first
#: (``solver.centre_probing``).
PROBE_ABOVE_COLUMNS = 1_500
#: Probing, and the proof-oriented HiGHS options below, need an incumbent this close to the bound
#: (relative gap). Farther away few centres close and the LP over the many pairs left is slow (200 units,
#: k = 5, seed 12, at 4 %: its root LP did not finish in 3.8 s), and on grids started from a poor warm
#: start HiGHS's own heuristics are worth more.
PROBE_MAX_GAP = 0.025
#: Share of the time left that centre probing may use, then the dive with the LP's integral centres.
PROBE_SHARE = 0.7
DIVE_SHARE = 0.3
#: HiGHS options for the exact Hess model once the incumbent is close: its sub-MIP heuristics, restarts
#: and strong branching took 85 % of a proof at 200 units, k = 5 (8.6 s → 1.4 s with the optimum in hand).
EXACT_HIGHS_OPTIONS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
                       "mip_heuristic_run_root_reduced_cost": False, "mip_allow_restart": False,
                       "mip_pscost_minreliable": 0}
#: The labelling model has about 4·atoms·k + edges·k columns and 3·atoms·k + 2·edges·k rows.
MAX_LABEL_ROWS = 400_000
#: Recombination steps run as the labelling model's warm start, within WARM_SHARE of the time left.
WARM_RECOMBINATION_STEPS = 4_000
WARM_SHARE = 0.1
#: Share of the time left that the exhaustive search may use when the heuristic found no plan.
EXHAUSTIVE_SHARE = 0.3
#: The vertex ordering's light-set MIP (root node only) may use this share of the time, at most ORDERING_MAX_S.
ORDERING_SHARE = 0.1
ORDERING_MAX_S = 5.0


@dataclass
class Outcome:
    """What one k produced."""

    candidate: Candidate | None = None
    bound: float | None = None
    proven_infeasible: bool = False
    attempts: list[dict[str, Any]] = field(default_factory=list)


def _backend_version(backend: str) -> str:
    if backend == "highs":
        import highspy

        return f"HiGHS {highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    import pulp

    return f"CBC (PuLP {pulp.__version__})"


def solve(graph: nx.Graph, spec: Spec) -> Plan:
    """The best plan for the spec within ``spec.time_limit_s`` seconds (wall-clock), see module docstring."""
    clock = time.monotonic()
    deadline = clock + float(spec.time_limit_s)
    check_spec(spec)
    version = _backend_version(spec.backend)
    reasons = precheck(graph, spec)
    if reasons:
        return Plan(assignment={}, districts=0, status="infeasible", objective=None, bound=None, gap=None,
                    runtime_s=time.monotonic() - clock, backend=spec.backend, solver_version=version,
                    objective_name=spec.objective, reasons=tuple(reasons))
    problem = build_problem(graph, spec)
    log.info(
        "solving %d units (%d atoms, %d atom edges), total %.0f %s, cap %.0f", problem.n_units, problem.n_atoms,
        len(problem.edge_u), problem.total_population, spec.population_attr, problem.max_population)
    k_values = list(candidate_districts(problem, spec))
    arithmetic_minimum = minimum_districts(problem.total_population, problem.max_population)
    attempts: list[dict[str, Any]] = []
    smaller_all_proven = True
    infeasible_ks: list[int] = []
    for position, k in enumerate(k_values):
        if time.monotonic() >= deadline and position > 0:
            break
        last = position == len(k_values) - 1
        outcome = _solve_k(problem, spec, k, deadline=deadline, last=last)
        attempts.extend(outcome.attempts)
        if outcome.candidate is not None:
            return _plan(problem, spec, k, outcome, clock=clock, version=version, attempts=attempts,
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
        status = "infeasible"
    else:
        tried = [a["districts"] for a in attempts]
        why = [f"no plan found within {spec.time_limit_s:g} s (tried k = "
               f"{', '.join(str(k) for k in sorted(set(tried))) or 'none'}); none was proven impossible"
               + ("" if not infeasible_ks else f" except k = {', '.join(map(str, infeasible_ks))}")
               + "; give more time or relax the rules"]
        status = "no-solution"
    return Plan(assignment={}, districts=0, status=status, objective=None, bound=None, gap=None, runtime_s=runtime,
                backend=spec.backend, solver_version=version, objective_name=spec.objective, reasons=tuple(why),
                attempts=tuple(attempts))


def _plan(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, clock: float, version: str,
          attempts: list[dict[str, Any]], minimum_proven: bool) -> Plan:
    candidate = outcome.candidate
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
    status = "feasible"
    if bound is not None:
        bound = min(bound, objective)
        gap = (objective - bound) / abs(objective) if abs(objective) > 1e-12 else (0.0 if bound >= -1e-9 else None)
        if gap is not None and gap <= OPTIMAL_GAP:
            status = "optimal"
    return Plan(
        assignment=assignment, districts=k, status=status, objective=objective, bound=bound, gap=gap,
        runtime_s=time.monotonic() - clock, backend=spec.backend, solver_version=version,
        objective_name=spec.objective,
        centres={order[d]: problem.unit_ids[c] for d, c in enumerate(centres)},
        minimum_proven=minimum_proven, attempts=tuple(attempts),
    )


def _solve_k(problem: Problem, spec: Spec, k: int, *, deadline: float, last: bool) -> Outcome:
    outcome = Outcome()
    started = time.monotonic()
    if k == 1:
        return _single_district(problem, spec, outcome)
    best = heuristic_plan(problem, k, spec.objective, require_facility=spec.require_facility, seed=spec.seed,
                          deadline=deadline)
    outcome.attempts.append({"districts": k, "stage": "heuristic", "status": "feasible" if best else "none",
                             "objective": None if best is None else best.objective,
                             "time_s": round(time.monotonic() - started, 3)})
    outcome.candidate = best
    if best is None and problem.n_atoms <= EXHAUSTIVE_MAX_ATOMS and not problem.distinct_from:
        _search_whole_districts(problem, spec, k, outcome,
                                deadline=time.monotonic() + EXHAUSTIVE_SHARE * (deadline - time.monotonic()))
        best = outcome.candidate
        if outcome.proven_infeasible:
            return outcome
    remaining = deadline - time.monotonic()
    if remaining <= 0.05 or (spec.first_plan and best is not None):
        return outcome
    # Without a plan in hand, an intermediate k gets half of the time left so that larger k get a turn.
    budget_end = deadline if (best is not None or last) else time.monotonic() + remaining / 2
    if spec.first_plan:
        # Only existence matters: the labelling model with a zero objective stops at its first plan, and its
        # flow formulation makes "infeasible" a proof for the contiguous problem.
        if _label_too_large(problem, k, outcome):
            return outcome
        _run_label(problem, spec, k, outcome, deadline=budget_end, objective_free=True)
        return outcome
    if spec.objective == "inertia":
        _run_hess(problem, spec, k, outcome, deadline=budget_end)
    else:
        if _label_too_large(problem, k, outcome):
            if best is not None:
                _recombine(problem, spec, k, outcome, deadline=budget_end)
            return outcome
        if best is not None:
            # A few thousand recombination steps (about a second) often reach the optimum, which the
            # exact model then only has to prove; the step cap keeps the result independent of speed.
            _recombine(problem, spec, k, outcome, deadline=min(budget_end, time.monotonic() + WARM_SHARE * remaining),
                       max_steps=WARM_RECOMBINATION_STEPS)
        _run_label(problem, spec, k, outcome, deadline=budget_end)
    return outcome


def _search_whole_districts(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, deadline: float) -> None:
    """No heuristic plan: the exhaustive search (``solver.exhaustive``) either finds one or proves none
    exists, within its share of the time; tight population bands are where the MIP struggles and it does not."""
    started = time.monotonic()
    found = exhaustive_search(problem, k, require_facility=spec.require_facility, deadline=deadline)
    entry = {"districts": k, "stage": "exhaustive", "status": {"plan": "feasible", "none": "infeasible"}.get(
        found.status, "unknown"), "districts_tried": found.districts_tried, "remainders": found.remainders,
             "time_s": round(time.monotonic() - started, 3)}
    outcome.attempts.append(entry)
    if found.status == "none":
        outcome.proven_infeasible = True
    elif found.status == "plan":
        candidate = _candidate(problem, found.assignment, spec, k)
        if candidate is None:
            raise SolverError(f"the exhaustive search's plan for k={k} breaks a rule; this is a bug")
        entry["objective"] = candidate.objective
        outcome.candidate = candidate


def _label_too_large(problem: Problem, k: int, outcome: Outcome) -> bool:
    if 2 * len(problem.edge_u) * k + 3 * problem.n_atoms * k <= MAX_LABEL_ROWS:
        return False
    outcome.attempts.append({"districts": k, "stage": "mip", "status": "skipped", "detail": "labelling model too large"})
    return True


def _recombine(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, deadline: float,
               max_steps: int | None = None) -> None:
    """Improve the heuristic plan by recombination (no bound is claimed): until the deadline when no
    exact model follows, else for at most ``max_steps`` steps as the exact model's warm start."""
    started = time.monotonic()
    # As a warm start, each step keeps the best of a few splits: on the county benchmarks that reaches
    # better plans in the same ~3 s (Mississippi 34 instead of 36 cut edges).
    improved, steps = improve_edges_until(problem, outcome.candidate, k, spec.objective,
                                          require_facility=spec.require_facility, seed=spec.seed, deadline=deadline,
                                          max_steps=max_steps, splits_per_step=1 if max_steps is None else 4)
    detail = ("ran until the deadline: the plan depends on the time budget"
              if max_steps is None or steps < max_steps else f"warm start: {steps} steps")
    outcome.attempts.append({"districts": k, "stage": "recombination", "status": "feasible",
                             "objective": improved.objective, "steps": steps,
                             "time_s": round(time.monotonic() - started, 3), "detail": detail})
    if _better(improved, outcome.candidate):
        outcome.candidate = improved


def _single_district(problem: Problem, spec: Spec, outcome: Outcome) -> Outcome:
    assignment = np.zeros(problem.n_atoms, dtype=np.int64)
    feasible = is_feasible(problem, assignment, 1, spec.require_facility)
    outcome.attempts.append({"districts": 1, "stage": "enumeration", "status": "optimal" if feasible else "infeasible"})
    if feasible:
        value, centres = evaluate(problem, assignment, spec.objective, 1)
        outcome.candidate = Candidate(assignment, value, imbalance(problem, assignment, 1), tuple(centres))
        outcome.bound = value  # the only partition there is
    else:
        outcome.proven_infeasible = True
    return outcome


def _better(a: Candidate, b: Candidate | None) -> bool:
    if b is None:
        return True
    tolerance = 1e-9 * max(abs(a.objective), abs(b.objective), 1.0)
    return a.objective < b.objective - tolerance or (
        abs(a.objective - b.objective) <= tolerance and a.imbalance < b.imbalance - 1e-9)


def _candidate(problem: Problem, assignment: np.ndarray, spec: Spec, k: int) -> Candidate | None:
    if not is_feasible(problem, assignment, k, spec.require_facility):
        return None
    value, centres = evaluate(problem, assignment, spec.objective, k)
    return Candidate(assignment, value, imbalance(problem, assignment, k), tuple(centres))


def _repair(problem: Problem, assignment: np.ndarray, spec: Spec, k: int, deadline: float) -> Candidate | None:
    """Turn a disconnected model solution into a plan: stray parts join a neighbour, then local search."""
    fixed = assignment.copy()
    for d in range(k):
        parts = components(problem, np.flatnonzero(assignment == d))
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
    if not all(len(components(problem, np.flatnonzero(fixed == d))) == 1 for d in range(k)):
        return None
    improved = local_search(problem, fixed, k, spec.objective, require_facility=spec.require_facility,
                            deadline=deadline)
    return _candidate(problem, improved, spec, k)


def _primary_bound(model_bound: float | None, *, scale: float, tie_max: float, constant: float,
                   integral: bool) -> float | None:
    if model_bound is None:
        return None
    value = (model_bound - tie_max) * scale + constant
    if integral:
        value = math.ceil(value - 1e-6)
    return value


def _run_rounds(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, deadline: float, runner, start_of,
                decode, cuts_of, bound_of) -> None:
    """Solve, cut, repeat (see module docstring); updates ``outcome`` in place.

    With HiGHS every improving solution is checked as it is found: a disconnected one stops the run at
    once (its cuts are added and the model solved again), a connected one becomes the incumbent. This
    emulates lazy constraints: no time is spent proving a disconnected solution optimal.
    """
    round_no = 0
    best_bound: float | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            break
        round_no += 1
        start = start_of(outcome.candidate) if outcome.candidate is not None else None
        pending: dict[tuple[int, ...], tuple] = {}

        def on_solution(values: np.ndarray) -> bool:
            assignment = decode(values)
            rows = cuts_of(assignment)
            if rows:
                for row in rows:
                    pending.setdefault(tuple(row[0]), row)
                return True
            candidate = _candidate(problem, assignment, spec, k)
            if candidate is not None and _better(candidate, outcome.candidate):
                outcome.candidate = candidate
            return False

        # Keep a little of the wall-clock budget for decoding, repair and the plan itself (HiGHS itself
        # was seen to overrun its limit by up to 0.1 s in the root cut loop).
        result = runner.run(time_limit_s=max(0.05, remaining * 0.98 - 0.15), start=start, on_solution=on_solution)
        entry: dict[str, Any] = {"districts": k, "stage": "mip", "round": round_no, "status": result.state,
                                 "time_s": round(result.runtime_s, 3), "detail": result.detail}
        outcome.attempts.append(entry)
        if result.state == "infeasible":
            if outcome.candidate is not None:
                # The model says no plan exists, yet the heuristic holds a verified one: a numerical problem.
                raise SolverError(f"{runner.name} declared k={k} infeasible although a feasible plan is known; "
                                  "try the other backend")
            outcome.proven_infeasible = True
            return
        round_bound = bound_of(result.bound if result.state != "optimal" else
                               (result.bound if result.bound is not None else result.objective))
        if round_bound is not None:
            round_bound = float(round_bound)
            best_bound = round_bound if best_bound is None else max(best_bound, round_bound)
            entry["bound"] = round_bound
        if result.values is None:
            if result.interrupted and pending:
                runner.add_rows(_rows_block(runner, list(pending.values())))
                entry["cuts"] = len(pending)
                continue
            break
        assignment = decode(result.values)
        for row in cuts_of(assignment):
            pending.setdefault(tuple(row[0]), row)
        if not pending:
            candidate = _candidate(problem, assignment, spec, k)
            if candidate is None:
                raise SolverError(f"the model's plan for k={k} breaks a rule it encodes; this is a bug")
            entry["objective"] = candidate.objective
            if _better(candidate, outcome.candidate):
                outcome.candidate = candidate
            break  # optimal, or stopped by the clock with a connected plan
        entry["cuts"] = len(pending)
        repaired = _repair(problem, assignment, spec, k, deadline)
        if repaired is not None and _better(repaired, outcome.candidate):
            outcome.candidate = repaired
            entry["repaired"] = repaired.objective
        if result.state != "optimal" and not result.interrupted:
            break  # the clock stopped this round
        runner.add_rows(_rows_block(runner, list(pending.values())))
    _raise_bound(outcome, best_bound)


def _rows_block(runner, rows):
    from solver.linear import LinearModel

    scratch = LinearModel(cost=np.zeros(runner.n_cols), lower=np.zeros(runner.n_cols),
                          upper=np.ones(runner.n_cols), integer=np.zeros(runner.n_cols, dtype=bool))
    return scratch.add_row_list(rows)


def _run_hess(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, deadline: float) -> None:
    """Exact Hess: with a warm start, Lagrangian bound, reduced-cost fixing and centre probing shrink the
    model first (see the module docstring)."""
    m, n = problem.n_atoms, problem.n_units
    constant = float(problem.atom_inertia.sum())
    if outcome.candidate is None or m * n <= SMALL_HESS_COLUMNS:
        if m * n > MAX_HESS_COLUMNS:
            outcome.attempts.append({"districts": k, "stage": "mip", "status": "skipped",
                                     "detail": f"no warm start and {m} × {n} columns: too large"})
            return
        _hess_rounds(problem, spec, k, outcome, deadline=deadline, columns=None, exact_below=None)
        return
    clock = time.monotonic()
    cost = cost_matrix(problem)
    upper = outcome.candidate.objective - constant
    remaining = deadline - clock
    lag = lagrangian(problem, k, upper_bound=upper, deadline=clock + LAGRANGIAN_SHARE * remaining, cost=cost,
                     max_iterations=LAGRANGIAN_ITERATIONS)
    _raise_bound(outcome, lag.bound + constant)
    kept = int(lag.keep.sum())
    outcome.attempts.append({"districts": k, "stage": "lagrangian", "status": "bound", "bound": lag.bound + constant,
                             "iterations": lag.iterations, "kept_pairs": kept, "pairs": m * n,
                             "time_s": round(time.monotonic() - clock, 3)})
    keep = lag.keep
    pool: set = set()
    if kept > POLISH_ABOVE_COLUMNS and deadline - time.monotonic() > 0.5:
        # Improve the incumbent on pairs near it, then fix again against the better value. While the plan
        # improves, the restriction moves with it (the new plan's centres and radii). Pairs already fixed
        # cannot be in a better plan: they stay out.
        polish_end = time.monotonic() + (deadline - time.monotonic()) * POLISH_SHARE
        for _ in range(MAX_POLISH_ROUNDS):
            candidate = outcome.candidate
            atoms, centres = initial_pairs(problem, list(candidate.centres), candidate.assignment)
            inside = keep[atoms, centres]
            atoms = np.concatenate([atoms[inside], np.arange(m)])
            centres = np.concatenate([centres[inside], np.asarray(candidate.centres)[candidate.assignment]])
            _hess_rounds(problem, spec, k, outcome, deadline=polish_end, columns=(atoms, centres), exact_below=None,
                         pool=pool)
            if not _better(outcome.candidate, candidate) or polish_end - time.monotonic() <= 0.5:
                break
            if outcome.candidate.objective > candidate.objective * (1 - POLISH_MIN_GAIN):
                break  # the restriction has almost stopped moving: the exact model takes it from here
        if outcome.candidate.objective - constant < upper:
            upper = outcome.candidate.objective - constant
            keep = refix(problem, k, lag, upper, cost=cost) & keep
            kept = int(keep.sum())
            outcome.attempts.append({"districts": k, "stage": "lagrangian", "status": "refixed",
                                     "kept_pairs": kept, "pairs": m * n})
    if kept > MAX_EXACT_COLUMNS or deadline - time.monotonic() <= 0.05:
        outcome.attempts.append({"districts": k, "stage": "mip", "status": "skipped",
                                 "detail": f"{kept} pairs left after fixing: too many for the exact model"})
        if deadline - time.monotonic() > 0.5:
            # Beyond exact reach the rest of the time tightens the stated bound instead.
            clock = time.monotonic()
            more = lagrangian(problem, k, upper_bound=upper, deadline=deadline - 0.2, cost=cost,
                              start=lag.multipliers)
            _raise_bound(outcome, more.bound + constant)
            outcome.attempts.append({"districts": k, "stage": "lagrangian", "status": "bound",
                                     "bound": more.bound + constant, "iterations": more.iterations,
                                     "time_s": round(time.monotonic() - clock, 3)})
        return
    candidate = outcome.candidate
    keep = keep.copy()
    keep[np.arange(m), np.asarray(candidate.centres)[candidate.assignment]] = True
    gap = (upper - (outcome.bound - constant)) / max(abs(upper), 1e-12) if outcome.bound is not None else 1.0
    close = gap <= PROBE_MAX_GAP
    if spec.backend == "highs" and close and kept > PROBE_ABOVE_COLUMNS and deadline - time.monotonic() > 0.5:
        clock = time.monotonic()
        reduction = probe_and_fix(problem, k, keep, upper, cost=cost, require_facility=spec.require_facility,
                                  keep_open={int(c) for c in candidate.centres}, seed=spec.seed,
                                  deadline=clock + PROBE_SHARE * (deadline - clock))
        if reduction.bound is not None:
            _raise_bound(outcome, min(reduction.bound, upper) + constant)
        keep = reduction.keep
        keep[np.arange(m), np.asarray(candidate.centres)[candidate.assignment]] = True
        outcome.attempts.append({"districts": k, "stage": "probing", "status": "bound",
                                 "bound": None if reduction.bound is None else reduction.bound + constant,
                                 "probes": reduction.probes, "iterations": reduction.iterations,
                                 "closed_centres": len(reduction.closed),
                                 "kept_pairs": int(keep.sum()),
                                 "finished": reduction.finished, "time_s": round(time.monotonic() - clock, 3)})
        if reduction.finished and 0 < len(reduction.integral) < k and deadline - time.monotonic() > 0.5:
            # Dive: the same pairs with the centres the LP opens fully fixed open. A restriction (no bound),
            # but small: at 200 units, k = 6 it found the optimum in 0.8 s, and the proof that follows from
            # it took 1.0 s instead of 3.7 s from the polished plan.
            dive_end = time.monotonic() + DIVE_SHARE * (deadline - time.monotonic())
            _hess_rounds(problem, spec, k, outcome, deadline=dive_end, columns=np.nonzero(keep), exact_below=None,
                         options=EXACT_HIGHS_OPTIONS, separators=True, pool=pool, opened=reduction.integral)
    _hess_rounds(problem, spec, k, outcome, deadline=deadline, columns=np.nonzero(keep), exact_below=upper + constant,
                 options=EXACT_HIGHS_OPTIONS if close else None, separators=close, pool=pool)


def _raise_bound(outcome: Outcome, bound: float | None) -> None:
    if bound is not None and (outcome.bound is None or bound > outcome.bound):
        outcome.bound = bound


def _hess_rounds(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, deadline: float,
                 columns: tuple[np.ndarray, np.ndarray] | None, exact_below: float | None,
                 options: dict | None = None, separators: bool = False, pool: set | None = None,
                 opened: list[int] = ()) -> None:
    """Rounds of the Hess model over all pairs (``columns`` None: exact), or over a restriction that is
    exact for plans below ``exact_below`` (reduced-cost fixing), or a plain restriction (no bound).
    ``options``: HiGHS options for this model; ``separators``: add every atom's neighbour separator row
    up front; ``pool``: separator cuts (atom, centre, separator) found so far, added to the model and
    extended with the ones this model finds; ``opened``: centre units fixed open (a restriction)."""
    reference = outcome.candidate.objective - problem.atom_inertia.sum() if outcome.candidate else None
    clock = time.monotonic()
    hess = build_hess(problem, k, require_facility=spec.require_facility, tie_reference=reference, columns=columns)
    for c in opened:
        if c in hess.y_col:
            hess.model.lower[hess.y_col[c]] = 1.0
    if pool:
        # Separator cuts found in earlier models (valid for every contiguous plan) start in this one.
        hess.model.add_row_list(pool_rows(hess, sorted(pool)))
    if separators:
        # Every atom's neighbours separate it from a centre it does not touch: these rows, valid for every
        # contiguous plan, keep HiGHS from most disconnected solutions (each one costs a restart).
        hess.model.add_row_list(neighbour_cuts(problem, hess))
    runner = make_runner(spec.backend, hess.model, seed=spec.seed)
    if runner.name == "highs":
        for key, value in (options or {}).items():
            runner.h.setOptionValue(key, value)
    log.info("Hess model k=%d: %d columns, %d rows, built in %.2f s", k, hess.model.n_cols, hess.model.n_rows,
             time.monotonic() - clock)
    centres_holder: list[list[int]] = [[]]

    def start_of(candidate: Candidate) -> np.ndarray | None:
        return hess.start_from(candidate.assignment, list(candidate.centres), problem)

    def decode(values: np.ndarray) -> np.ndarray:
        assignment, centres_holder[0] = hess.assignment_from(values, problem.n_atoms)
        return assignment

    def cuts_of(assignment: np.ndarray):
        return hess_cuts(problem, hess, assignment, centres_holder[0], pool=pool)

    def bound_of(model_bound: float | None) -> float | None:
        bound = _primary_bound(model_bound, scale=hess.scale, tie_max=hess.tie_max, constant=hess.constant,
                               integral=False)
        if columns is None or bound is None:
            return bound
        if exact_below is None:
            return None  # a restriction proves nothing about the full model
        return min(bound, exact_below)

    _run_rounds(problem, spec, k, outcome, deadline=deadline, runner=runner, start_of=start_of, decode=decode,
                cuts_of=cuts_of, bound_of=bound_of)


def _run_label(problem: Problem, spec: Spec, k: int, outcome: Outcome, *, deadline: float,
               objective_free: bool = False) -> None:
    """The labelling model with roots and flow: contiguity is in the model, so one run decides it.
    ``objective_free``: every cost is zero, so the first plan found ends the run (and no bound is claimed)."""
    clock = time.monotonic()
    ordering = build_ordering(problem, k, seed=spec.seed,
                              time_limit_s=min(ORDERING_MAX_S, ORDERING_SHARE * (deadline - clock)))
    reference = outcome.candidate.objective if outcome.candidate else None
    label = build_label(problem, k, spec.objective, ordering=ordering, require_facility=spec.require_facility,
                        tie_reference=reference)
    if objective_free:
        label.model.cost[:] = 0.0
    outcome.attempts.append({"districts": k, "stage": "ordering", "status": "fixed",
                             "back": problem.n_atoms - ordering.back_start, "fixed_roots": len(ordering.fixed_roots),
                             "banned_labels": len(ordering.banned), "time_s": round(time.monotonic() - clock, 3)})
    runner = make_runner(spec.backend, label.model, seed=spec.seed)

    def bound_of(model_bound: float | None) -> float | None:
        if objective_free:
            return None
        return _primary_bound(model_bound, scale=label.scale, tie_max=label.tie_max, constant=0.0,
                              integral=label.integral)

    _run_rounds(problem, spec, k, outcome, deadline=deadline, runner=runner,
                start_of=lambda c: label.start_from(c.assignment, problem),
                decode=label.assignment_from, cuts_of=lambda a: [], bound_of=bound_of)


__all__ = ["solve", "OPTIMAL_GAP"]
