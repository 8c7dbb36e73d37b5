"""The ``inertia`` objective: the Hess model, shrunk before the exact run.

Up to ``Tuning.small_hess_columns`` (atom, centre) pairs the full model is solved. Beyond, a Lagrangian
bound (``solver.lagrangian``) drops every pair that cannot appear in a plan better than the incumbent.
When the incumbent is far above that bound (a tight band: the heuristic's one-atom moves are blocked by
the cap), capacitated k-means starts assigned exactly to their centres replace it
(``solver.capacitated_kmeans``), and swap search over the centres improves it (``solver.centre_swaps``;
neither claims a bound). When many pairs are left, the time goes to more swap search and to the
Lagrangian instead of an exact model whose root LP would not finish.
Otherwise the incumbent is first improved on restrictions around it (``solver.restriction``, no bound
claimed; the restriction follows each better plan) and the pairs fixed again. When the incumbent is within
``probe_max_gap`` of the bound, centre probing (``solver.centre_probing``) closes every candidate centre
whose LP with that centre open exceeds the incumbent and fixes pairs again with the LP's duals; the exact
model over the remaining pairs (with every atom's neighbour separator up front and the proof-oriented
``exact_highs_options``) is exact for the full model. When too many pairs remain for it, the time goes to
swap search and to the Lagrangian ascent in whole atoms for a tighter stated bound; when probing and
the exact model end unproven, the time kept from them (``Tuning.bound_reserve_share``) continues that
ascent. Contiguity is lazy (``solver.lazy_cuts``).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import numpy as np

from solver.attempts import Attempt, Stage, Verdict
from solver.capacitated_kmeans import assign_to_centres, assignment_columns, kmeans_starts
from solver.centre_probing import probe_and_fix
from solver.centre_swaps import swap_centres
from solver.errors import SolverError
from solver.hess_model import build_hess, hess_cuts, neighbour_cuts, pool_rows
from solver.lagrangian import cost_matrix, lagrangian, refix
from solver.lazy_cuts import ModelHooks, run_rounds
from solver.linear import make_runner
from solver.outcome import Outcome, better
from solver.problem import Problem
from solver.restriction import initial_pairs
from solver.spec import Spec
from solver.tuning import Tuning

log = logging.getLogger(__name__)

Columns = tuple[np.ndarray, np.ndarray]


def run_hess(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning) -> None:
    """Exact Hess for ``outcome.k``; with a warm start, Lagrangian bound, reduced-cost fixing and centre
    probing shrink the model first (see the module docstring)."""
    k = outcome.k
    m, n = problem.n_atoms, problem.n_units
    constant = float(problem.atom_inertia.sum())
    if outcome.candidate is None or m * n <= tuning.small_hess_columns:
        if m * n > tuning.max_hess_columns:
            outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.SKIPPED,
                                   detail=f"no warm start and {m} × {n} columns: too large"))
            return
        hess_rounds(problem, spec, outcome, deadline=deadline, columns=None, exact_below=None)
        return
    if m * n > tuning.max_dense_pairs:
        _bound_only(problem, outcome, deadline=deadline)
        return
    clock = time.monotonic()
    cost = cost_matrix(problem)
    upper = outcome.candidate.objective - constant
    lag = lagrangian(problem, k, upper_bound=upper, deadline=clock + tuning.lagrangian_share * (deadline - clock),
                     cost=cost, max_iterations=tuning.lagrangian_iterations)
    outcome.raise_bound(lag.bound + constant)
    keep = lag.keep
    outcome.record(Attempt(districts=k, stage=Stage.LAGRANGIAN, status=Verdict.BOUND, bound=lag.bound + constant,
                           time_s=time.monotonic() - clock,
                           figures={"iterations": lag.iterations, "kept_pairs": int(keep.sum()), "pairs": m * n}))
    origins: list[list[int]] | None = None   # swap searches' starting centres, once the k-means stage ran
    if _relative_gap(upper, lag.bound) > tuning.kmeans_above_gap and problem.custom_cost is None \
            and spec.backend == "highs" and deadline - time.monotonic() > 1.0:
        # Swap search only where the exact model will likely be out of reach: on the demo (67 atoms) it
        # spent 2.7 s finding nothing before the exact model proved the k-means plan optimal.
        origins = _kmeans(problem, spec, outcome, deadline=deadline, tuning=tuning,
                          swaps=int(keep.sum()) > tuning.far_exact_columns)
        upper, keep = _refix(problem, outcome, lag, upper, keep, cost=cost)
    pool: set = set()
    # After the k-means plans the restriction around the incumbent found nothing better in 9–10 s (seeds
    # 201, 203; 0.01 % on 202): the time goes to swap search instead.
    if origins is None and int(keep.sum()) > tuning.polish_above_columns and deadline - time.monotonic() > 0.5:
        _polish(problem, spec, outcome, keep, pool, deadline=deadline, tuning=tuning)
        upper, keep = _refix(problem, outcome, lag, upper, keep, cost=cost)
    kept = int(keep.sum())
    gap = _relative_gap(upper, outcome.bound - constant)
    # With many pairs left, the exact model's root LP did not finish in 20 s (400 units, k = 15, 48–65k pairs
    # at a 2.7–4 % gap), nor did probing (35k pairs at a 1.9 % gap: 20 s, 4 of 400 centres closed, then 8 s
    # of the model without a better plan): the time goes to more plans and the Lagrangian bound instead.
    far = kept > tuning.far_exact_columns
    if kept > tuning.max_exact_columns or far or deadline - time.monotonic() <= 0.05:
        outcome.record(Attempt(districts=k, stage=Stage.MIP, status=Verdict.SKIPPED,
                               detail=f"{kept} pairs left after fixing at a {gap:.1%} gap: too many for the "
                                      "exact model"))
        _beyond_reach(problem, spec, outcome, lag, origins or [], cost=cost, deadline=deadline, tuning=tuning)
        return
    candidate = outcome.candidate
    incumbent_pairs = (np.arange(m), np.asarray(candidate.centres)[candidate.assignment])
    keep = keep.copy()
    keep[incumbent_pairs] = True
    close = gap <= tuning.probe_max_gap
    # Probing and an exact model that end unproven often leave no bound above the first Lagrangian's
    # (training seed 202: 14.7 s of probing and 5.9 s of the model, 0.95 % stated against the bound of 500
    # fractional steps): a share of the time is kept for the ascent, which a proof skips.
    exact_end = deadline - tuning.bound_reserve_share * (deadline - time.monotonic())
    if spec.backend == "highs" and close and kept > tuning.probe_above_columns and exact_end - time.monotonic() > 0.5:
        keep = _probe(problem, spec, outcome, keep, pool, incumbent_pairs, upper=upper, cost=cost,
                      deadline=exact_end, tuning=tuning)
    hess_rounds(problem, spec, outcome, deadline=exact_end, columns=np.nonzero(keep),
                exact_below=upper + constant, options=tuning.exact_highs_options if close else None,
                separators=close, pool=pool)
    if not outcome.proven(tuning.optimal_gap):
        _ascend(problem, outcome, lag, cost=cost, deadline=deadline, tuning=tuning)


def _refix(problem: Problem, outcome: Outcome, lag, upper: float, keep: np.ndarray, *,
           cost: np.ndarray) -> tuple[float, np.ndarray]:
    """After a better incumbent: (its Σ cost, the pairs still kept, fixed again with the same multipliers)."""
    better_upper = outcome.candidate.objective - float(problem.atom_inertia.sum())
    if better_upper >= upper:
        return upper, keep
    keep = refix(problem, outcome.k, lag, better_upper, cost=cost) & keep
    outcome.record(Attempt(districts=outcome.k, stage=Stage.LAGRANGIAN, status=Verdict.REFIXED,
                           figures={"kept_pairs": int(keep.sum()), "pairs": keep.size}))
    return better_upper, keep


def _relative_gap(upper: float, bound: float) -> float:
    return (upper - bound) / max(abs(upper), 1e-12)


def _kmeans(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, tuning: Tuning,
            swaps: bool) -> list[list[int]]:
    """Capacitated k-means starts, the best few assigned exactly to their centres (``solver.capacitated_kmeans``),
    then, with ``swaps``, swap search (``_swaps``) in what they leave of the stage (a short budget goes to
    the assignments: at 30 s, 400 units, k = 30, half of the stage left them no plan); better plans replace the
    incumbent (no bound: these models are restrictions). Returns the centres of the starts that no swap
    search began from yet, best first."""
    clock = time.monotonic()
    before = outcome.candidate.objective
    end = clock + tuning.kmeans_share * (deadline - clock)
    found = kmeans_starts(problem, outcome.k, starts=tuning.kmeans_starts, seed=spec.seed,
                          deadline=clock + tuning.kmeans_start_share * (end - clock))
    chosen = found[: tuning.kmeans_assigned]
    _assign_starts(problem, spec, outcome, [centres for _, centres in chosen], end=end, tuning=tuning)
    after = outcome.candidate.objective
    outcome.record(Attempt(districts=outcome.k, stage=Stage.KMEANS,
                           status=Verdict.FEASIBLE if after < before else Verdict.NONE, objective=after,
                           time_s=time.monotonic() - clock, figures={"starts": len(found), "assigned": len(chosen)}))
    origins: list[list[int]] = []
    for _, centres in found[1:]:   # starts often meet in one configuration: each is searched from once
        if centres not in origins and centres != found[0][1]:
            origins.append(centres)
    if swaps:
        _swaps(problem, spec, outcome, origins, end=end, round_=0, tuning=tuning)
    return origins


def _swaps(problem: Problem, spec: Spec, outcome: Outcome, origins: list[list[int]], *, end: float, round_: int,
           tuning: Tuning) -> None:
    """Rounds of swap search (``solver.centre_swaps``) until ``end``, each in ``Tuning.swap_share`` of the time
    left and followed by the exact assignment to the centres it ends at when their LP is below the
    incumbent (and they are not its centres); no bound claimed.
    The first round starts from the incumbent's centres, the next ones from ``origins`` (taken from the
    list, so a later call goes on with the rest), then from the incumbent's again with other draws while
    those improve: one swap at a time, a search stays in its start's basin (training seed 203: 1,200
    trials from the incumbent without a better LP, where the other k-means starts' led to a plan 0.3 %
    better)."""
    clock = time.monotonic()
    before = outcome.candidate.objective
    k = outcome.k
    # A patience above the number of distinct swaps only repeats them (small communities).
    patience = min(tuning.swap_patience, k * (problem.n_units - k))
    trials = improvements = rounds = 0
    while end - time.monotonic() > 1.0:
        now = time.monotonic()
        origin = origins.pop(0) if rounds and origins else None
        centres = origin or [int(c) for c in outcome.candidate.centres]
        found = swap_centres(problem, k, centres, seed=spec.seed * 1_009 + round_ * 101 + rounds,
                             deadline=now + tuning.swap_share * (end - now), patience=patience)
        rounds += 1
        incumbent = outcome.candidate.objective
        if found is not None:
            trials, improvements = trials + found.trials, improvements + found.improvements
            # The LP value is a lower bound on every plan with those centres: at or above the incumbent's
            # objective, none can beat it. A start's centres are assigned even when no swap improved them.
            if found.value < incumbent and found.centres != sorted(int(c) for c in outcome.candidate.centres):
                _assign_starts(problem, spec, outcome, [found.centres], end=end, tuning=tuning)
        if origin is None and not origins and outcome.candidate.objective >= incumbent:
            break   # the incumbent's basin is searched and no other start is left
    if rounds:
        outcome.record(Attempt(districts=outcome.k, stage=Stage.SWAPS,
                               status=Verdict.FEASIBLE if outcome.candidate.objective < before else Verdict.NONE,
                               objective=outcome.candidate.objective, time_s=time.monotonic() - clock,
                               figures={"rounds": rounds, "trials": trials, "improvements": improvements}))


def _assign_starts(problem: Problem, spec: Spec, outcome: Outcome, starts: list[list[int]], *,
                   end: float, tuning: Tuning) -> None:
    """Location–allocation from each start's centres in turn until ``end``, each start with an equal share of
    what is left (so one slow assignment cannot take them all)."""
    k, m = outcome.k, problem.n_atoms

    def solve_fixed(scratch: Outcome, centres: list[int], until: float) -> None:
        # Narrowed first (most atoms settled by the transportation LP), all pairs only when that finds
        # nothing; a restriction's proof is worth nothing, hence the relative MIP gap.
        narrowed = assignment_columns(problem, centres, nearest=tuning.kmeans_nearest)
        every_pair = (np.repeat(np.arange(m), k), np.tile(np.asarray(centres), m))
        for columns in (every_pair,) if narrowed is None else (narrowed, every_pair):
            if until - time.monotonic() <= 0.5:
                break
            try:
                hess_rounds(problem, spec, scratch, deadline=until, columns=columns, exact_below=None,
                            separators=True, opened=centres, options={"mip_rel_gap": tuning.kmeans_mip_gap})
            except SolverError as error:
                # The lazy-cut loop takes "infeasible" after a plan as a numerical fault; here it is expected:
                # a repaired plan may use other centres than these, and no contiguous plan may exist with them.
                log.debug("k=%d: the assignment to centres %s ended: %s", k, centres, error)
            if scratch.candidate is not None:
                break

    for position, centres in enumerate(starts):
        now = time.monotonic()
        if end - now <= 0.5:
            break
        share_end = now + (end - now) / (len(starts) - position)
        assign_to_centres(problem, outcome, centres, solve_fixed=solve_fixed, deadline=share_end)


def _beyond_reach(problem: Problem, spec: Spec, outcome: Outcome, lag, origins: list[list[int]], *,
                  cost: np.ndarray, deadline: float, tuning: Tuning) -> None:
    """No exact model: swap search (from the incumbent, then from ``origins``) gets
    ``Tuning.kmeans_more_share`` of the time, the rest continues the Lagrangian ascent (in whole atoms) for
    a tighter stated bound."""
    _swaps(problem, spec, outcome, origins, end=time.monotonic() + tuning.kmeans_more_share * (deadline - time.monotonic()),
           round_=1, tuning=tuning)
    _ascend(problem, outcome, lag, cost=cost, deadline=deadline, tuning=tuning)


def _ascend(problem: Problem, outcome: Outcome, lag, *, cost: np.ndarray, deadline: float, tuning: Tuning) -> None:
    """The Lagrangian ascent continued from ``lag``'s multipliers until the deadline (in whole atoms when a
    district holds few enough of them), for a tighter stated bound."""
    if deadline - time.monotonic() <= 0.5:
        return
    k, constant = outcome.k, float(problem.atom_inertia.sum())
    clock = time.monotonic()
    more = lagrangian(problem, k, upper_bound=outcome.candidate.objective - constant, deadline=deadline - 0.2,
                      cost=cost, start=lag.multipliers, step=tuning.lagrangian_continue_step, fixing=False,
                      integer=problem.n_atoms <= tuning.lagrangian_integer_atoms * k)
    outcome.raise_bound(more.bound + constant)
    outcome.record(Attempt(districts=k, stage=Stage.LAGRANGIAN, status=Verdict.BOUND,
                           bound=more.bound + constant, time_s=time.monotonic() - clock,
                           figures={"iterations": more.iterations}))


def _bound_only(problem: Problem, outcome: Outcome, *, deadline: float) -> None:
    """Too many (atom, centre) pairs for any matrix or model: the rest of the time computes the Lagrangian
    bound block by block (no atoms × units array), so the plan states a valid gap."""
    k, constant = outcome.k, float(problem.atom_inertia.sum())
    clock = time.monotonic()
    log.info("k=%d: %d × %d pairs, too many to hold: Lagrangian bound only, until the deadline", k,
             problem.n_atoms, problem.n_units)
    lag = lagrangian(problem, k, upper_bound=outcome.candidate.objective - constant, deadline=deadline - 0.2,
                     fixing=False, progress_s=10.0)
    outcome.raise_bound(lag.bound + constant)
    outcome.record(Attempt(districts=k, stage=Stage.LAGRANGIAN, status=Verdict.BOUND, bound=lag.bound + constant,
                           time_s=time.monotonic() - clock,
                           detail="bound only: too many pairs for reduced-cost fixing and the exact model",
                           figures={"iterations": lag.iterations, "pairs": problem.n_atoms * problem.n_units}))


def _polish(problem: Problem, spec: Spec, outcome: Outcome, keep: np.ndarray, pool: set, *, deadline: float,
            tuning: Tuning) -> None:
    """Improve the incumbent on pairs near it. While the plan improves, the restriction moves with it (the
    new plan's centres and radii). Pairs already fixed cannot be in a better plan: they stay out."""
    m = problem.n_atoms
    polish_end = time.monotonic() + (deadline - time.monotonic()) * tuning.polish_share
    for _ in range(tuning.max_polish_rounds):
        candidate = outcome.candidate
        atoms, centres = initial_pairs(problem, list(candidate.centres), candidate.assignment)
        inside = keep[atoms, centres]
        atoms = np.concatenate([atoms[inside], np.arange(m)])
        centres = np.concatenate([centres[inside], np.asarray(candidate.centres)[candidate.assignment]])
        hess_rounds(problem, spec, outcome, deadline=polish_end, columns=(atoms, centres), exact_below=None,
                    pool=pool)
        if not better(outcome.candidate, candidate) or polish_end - time.monotonic() <= 0.5:
            break
        if outcome.candidate.objective > candidate.objective * (1 - tuning.polish_min_gain):
            break  # the restriction has almost stopped moving: the exact model takes it from here


def _probe(problem: Problem, spec: Spec, outcome: Outcome, keep: np.ndarray, pool: set, incumbent_pairs: Columns, *,
           upper: float, cost: np.ndarray, deadline: float, tuning: Tuning) -> np.ndarray:
    """Centre probing, then a dive with the LP's integral centres fixed open; the pairs still kept (the
    incumbent's among them)."""
    k, constant = outcome.k, float(problem.atom_inertia.sum())
    candidate = outcome.candidate
    clock = time.monotonic()
    reduction = probe_and_fix(problem, k, keep, upper, cost=cost, require_facility=spec.require_facility,
                              keep_open={int(c) for c in candidate.centres}, seed=spec.seed,
                              deadline=clock + tuning.probe_share * (deadline - clock))
    if reduction.bound is not None:
        outcome.raise_bound(min(reduction.bound, upper) + constant)
    keep = reduction.keep
    keep[incumbent_pairs] = True
    outcome.record(Attempt(districts=k, stage=Stage.PROBING, status=Verdict.BOUND,
                           bound=None if reduction.bound is None else reduction.bound + constant,
                           time_s=time.monotonic() - clock,
                           figures={"probes": reduction.probes, "iterations": reduction.iterations,
                                    "closed_centres": len(reduction.closed), "kept_pairs": int(keep.sum()),
                                    "finished": reduction.finished}))
    if reduction.finished and 0 < len(reduction.integral) < k and deadline - time.monotonic() > 0.5:
        # Dive: the same pairs with the centres the LP opens fully fixed open. A restriction (no bound),
        # but small: at 200 units, k = 6 it found the optimum in 0.8 s, and the proof that follows from
        # it took 1.0 s instead of 3.7 s from the polished plan.
        dive_end = time.monotonic() + tuning.dive_share * (deadline - time.monotonic())
        hess_rounds(problem, spec, outcome, deadline=dive_end, columns=np.nonzero(keep), exact_below=None,
                    options=tuning.exact_highs_options, separators=True, pool=pool, opened=reduction.integral)
    return keep


def hess_rounds(problem: Problem, spec: Spec, outcome: Outcome, *, deadline: float, columns: Columns | None,
                exact_below: float | None, options: Mapping[str, object] | None = None, separators: bool = False,
                pool: set | None = None, opened: Sequence[int] = ()) -> None:
    """Rounds of the Hess model over all pairs (``columns`` None: exact), or over a restriction that is
    exact for plans below ``exact_below`` (reduced-cost fixing), or a plain restriction (no bound).
    ``options``: HiGHS options for this model; ``separators``: add every atom's neighbour separator row
    up front; ``pool``: separator cuts (atom, centre, separator) found so far, added to the model and
    extended with the ones this model finds; ``opened``: centre units fixed open (a restriction)."""
    k = outcome.k
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
    runner = make_runner(spec.backend, hess.model, seed=spec.seed, threads=spec.threads)
    runner.set_options(options or {})
    log.info("Hess model k=%d: %d columns, %d rows, built in %.2f s", k, hess.model.n_cols, hess.model.n_rows,
             time.monotonic() - clock)
    decoded_centres: list[int] = []

    def decode(values: np.ndarray) -> np.ndarray:
        assignment, decoded_centres[:] = hess.assignment_from(values, problem.n_atoms)
        return assignment

    def bound_of(model_bound: float | None) -> float | None:
        bound = hess.primary_bound(model_bound)
        if columns is None or bound is None:
            return bound
        if exact_below is None:
            return None  # a restriction proves nothing about the full model
        return min(bound, exact_below)

    hooks = ModelHooks(start_of=lambda c: hess.start_from(c.assignment, list(c.centres), problem), decode=decode,
                       cuts_of=lambda a: hess_cuts(problem, hess, a, decoded_centres, pool=pool), bound_of=bound_of)
    run_rounds(problem, spec, outcome, deadline=deadline, runner=runner, hooks=hooks)
