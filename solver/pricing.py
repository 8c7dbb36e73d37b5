"""A proven lower bound for the Hess model and the pairs that can be dropped, without building it in full.

The full Hess model has one column per (atom, centre unit): n² at n units. Most pairs are absurd (an
atom kilometres away from a centre). This module

1. solves the LP relaxation of a *restricted* model (pairs near the heuristic plan's centres) and
   prices every missing pair and centre with the LP duals π (reduced cost ``r = c − Aᵀπ``), adding the
   attractive ones and re-solving (column generation);
2. turns the duals into a valid bound for the *full* LP at every iteration: the duals of the rows a
   missing pair or centre would bring are set so that every reduced cost is ≥ 0 except for the
   ``y_c`` column, whose negative part is charged through its upper bound 1 (for a missing centre
   ``c``: ``r̃_y(c) = c_{A(c),c} − π_A(c) − π_k + Σ_a min(0, c_{a,c} − π_a)``), so

       LB = z_R + Σ_{c ∈ R} [min(0, r_y(c) + S_c) − min(0, r_y(c))] + Σ_{c ∉ R} min(0, r̃_y(c)),
       S_c = Σ_{missing a} min(0, r_{a,c});

3. fixes by reduced cost: any plan using pair (a, c) costs at least
   ``LB + max(0, r̃_y(c)) + max(0, r̃_x(a, c))``; when that exceeds the incumbent's objective the pair
   cannot be in a better plan and is dropped. A MIP over the kept pairs (plus every contiguity cut,
   all valid for the full model) is then exact for the full model: its optimum, if below the incumbent,
   is the full optimum; otherwise the incumbent is.

Only the assignment, popdef and facility rows touch an x column here, so the pricing is exact for specs
without split groups or ``distinct_from`` (the caller uses the full model or the heuristic otherwise).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from solver.hess_model import build_hess
from solver.linear import HighsRunner
from solver.problem import Problem

log = logging.getLogger(__name__)


@dataclass
class PricingResult:
    lower_bound: float            # model units (scaled, with the tie-break), valid for the full LP
    r_x: np.ndarray               # r̃_x per (atom, centre unit), ≥ 0
    r_y: np.ndarray               # r̃_y per centre unit (may be negative)
    iterations: int
    columns: int                  # pairs in the last restricted LP
    converged: bool


def hess_scale(problem: Problem) -> float:
    """One cost scale for every restricted model of a problem (so objectives compare across models)."""
    span2 = (problem.unit_x.max() - problem.unit_x.min()) ** 2 + (problem.unit_y.max() - problem.unit_y.min()) ** 2
    top = float(problem.atom_population.max(initial=0.0) * span2 + problem.atom_inertia.max(initial=0.0))
    return max(top, 1.0) / 1000.0


def initial_pairs(problem: Problem, centres: list[int], assignment: np.ndarray, *, centre_share: float = 0.25,
                  radius_factor: float = 1.2, max_centres: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Pairs near a plan: for every district, its units closest to its centre (within ``centre_share`` ×
    its radius, at most ``max_centres``) become candidate centres, each paired with the atoms within
    ``radius_factor`` × the district's radius."""
    atoms_out, centres_out = [], []
    unit_district = assignment[problem.unit_atom]
    for d, c in enumerate(centres):
        members = np.flatnonzero(assignment == d)
        dist_atoms = np.hypot(problem.atom_x[members] - problem.unit_x[c], problem.atom_y[members] - problem.unit_y[c])
        radius = float(dist_atoms.max(initial=0.0))
        units = np.flatnonzero(unit_district == d)
        dist_units = np.hypot(problem.unit_x[units] - problem.unit_x[c], problem.unit_y[units] - problem.unit_y[c])
        close = np.argsort(dist_units, kind="stable")[:max_centres]
        chosen = units[close[dist_units[close] <= max(centre_share * radius, 1e-9)]]
        chosen = np.union1d(chosen, [c])
        for centre in chosen.tolist():
            reach = np.hypot(problem.atom_x - problem.unit_x[centre], problem.atom_y - problem.unit_y[centre])
            near = np.flatnonzero(reach <= radius_factor * radius + 1e-9)
            atoms_out.append(near)
            centres_out.append(np.full(len(near), centre))
    # the plan itself
    atoms_out.append(np.arange(problem.n_atoms))
    centres_out.append(np.asarray(centres)[assignment])
    return np.concatenate(atoms_out).astype(np.int64), np.concatenate(centres_out).astype(np.int64)


def price(problem: Problem, k: int, *, require_facility: bool, start_pairs: tuple[np.ndarray, np.ndarray],
          scale: float, tie_reference: float | None, deadline: float, max_iterations: int = 40) -> PricingResult | None:
    """Column generation on the LP relaxation; None when not even one LP finished before the deadline."""
    atoms, centres = start_pairs
    best: PricingResult | None = None
    n, m = problem.n_units, problem.n_atoms
    fac = problem.atom_facility.astype(float)
    unit_atom = problem.unit_atom
    for iteration in range(1, max_iterations + 1):
        if time.monotonic() > deadline:
            break
        hess = build_hess(problem, k, require_facility=require_facility, tie_reference=tie_reference,
                          columns=(atoms, centres), scale=scale)
        hess.model.integer[:] = False
        runner = HighsRunner(hess.model, seed=0)
        runner.h.setOptionValue("time_limit", max(deadline - time.monotonic(), 0.01))
        runner.h.run()
        status = runner.h.getModelStatus()
        if runner.h.modelStatusToString(status) != "Optimal":
            break
        solution = runner.h.getSolution()
        row_dual = np.asarray(solution.row_dual)
        col_dual = np.asarray(solution.col_dual)
        z = float(runner.h.getInfo().objective_function_value)
        pi_assign = row_dual[:m]
        pi_count = float(row_dual[hess.count_row])
        in_model = np.zeros(n, dtype=bool)
        in_model[hess.centres] = True
        pi_pop = np.zeros(n)
        pi_fac = np.zeros(n)
        for c, row in hess.popdef_row.items():
            pi_pop[c] = row_dual[row]
        for c, row in (hess.facility_row or {}).items():
            pi_fac[c] = row_dual[row]

        r_x = np.zeros((m, n))
        r_y = np.zeros(n)
        lower = z
        negative_pairs: list[tuple[int, np.ndarray]] = []
        new_centres: list[tuple[float, int]] = []
        ax, ay, ap = problem.atom_x[:, None], problem.atom_y[:, None], problem.atom_population[:, None]
        chunk = max(1, 2_000_000 // max(m, 1))
        for lo in range(0, n, chunk):
            cs = np.arange(lo, min(n, lo + chunk))
            cost = (ap * ((ax - problem.unit_x[cs]) ** 2 + (ay - problem.unit_y[cs]) ** 2)
                    + problem.atom_inertia[:, None]) / scale
            base = cost - pi_assign[:, None]
            # rows of centres in the restricted model: popdef (coefficient −p_a) and facility (+1)
            rc = base + problem.atom_population[:, None] * pi_pop[cs] - fac[:, None] * pi_fac[cs]
            own = unit_atom[cs]
            for t, c in enumerate(cs.tolist()):
                col = rc[:, t]
                if in_model[c]:
                    first = int(np.searchsorted(hess.pair_centre, c, side="left"))
                    last = int(np.searchsorted(hess.pair_centre, c, side="right"))
                    present = np.zeros(m, dtype=bool)
                    present[hess.pair_atom[first:last]] = True
                    col = col.copy()
                    col[hess.pair_atom[first:last]] = col_dual[first:last]
                    y_rc = float(col_dual[hess.y_col[c]])
                    missing = ~present
                    missing[own[t]] = False
                    s_c = float(np.minimum(col[missing], 0.0).sum())
                    lower += min(0.0, y_rc + s_c) - min(0.0, y_rc)
                    r_y[c] = y_rc + s_c
                    r_x[:, c] = np.maximum(col, 0.0)
                    neg = np.flatnonzero(missing & (col < -1e-9))
                    if len(neg):
                        negative_pairs.append((c, neg))
                else:
                    b = base[:, t]
                    others = np.ones(m, dtype=bool)
                    others[own[t]] = False
                    y_rc = float(b[own[t]] - pi_count + np.minimum(b[others], 0.0).sum())
                    r_y[c] = y_rc
                    r_x[:, c] = np.maximum(b, 0.0)
                    lower += min(0.0, y_rc)
                    if y_rc < -1e-9:
                        new_centres.append((y_rc, c))
        result = PricingResult(lower_bound=lower, r_x=r_x, r_y=r_y, iterations=iteration,
                               columns=hess.n_pairs, converged=False)
        if best is None or result.lower_bound > best.lower_bound:
            best = result
        log.debug("pricing %d: LP %.6g, bound %.6g, %d columns, %d new centres", iteration, z, lower,
                  hess.n_pairs, len(new_centres))
        if lower >= z - 1e-7 * max(abs(z), 1.0):
            best = PricingResult(lower_bound=max(lower, best.lower_bound), r_x=r_x, r_y=r_y, iterations=iteration,
                                 columns=hess.n_pairs, converged=True)
            break
        # Add columns: the most attractive missing pairs of present centres, and the best new centres.
        add_a, add_c = [atoms, hess.pair_atom], [centres, hess.pair_centre]
        for c, neg in negative_pairs:
            add_a.append(neg)
            add_c.append(np.full(len(neg), c))
        new_centres.sort()
        for _, c in new_centres[: max(10 * k, 40)]:
            cost = problem.atom_cost(np.arange(m), np.full(m, c)) / scale
            near = np.flatnonzero(cost - pi_assign < 0)
            near = np.union1d(near, [unit_atom[c]])
            add_a.append(near)
            add_c.append(np.full(len(near), c))
        atoms = np.concatenate(add_a).astype(np.int64)
        centres = np.concatenate(add_c).astype(np.int64)
        key = np.unique(centres * m + atoms)
        atoms, centres = key % m, key // m
    return best


def kept_pairs(problem: Problem, result: PricingResult, upper_bound: float, *, tolerance: float = 1e-7
               ) -> tuple[np.ndarray, np.ndarray]:
    """(atoms, centre units) that may still appear in a plan better than ``upper_bound`` (model units)."""
    slack = upper_bound - result.lower_bound + tolerance * max(abs(upper_bound), 1.0)
    centre_ok = np.maximum(result.r_y, 0.0) <= slack
    keep = (np.maximum(result.r_y, 0.0)[None, :] + result.r_x <= slack) & centre_ok[None, :]
    keep[problem.unit_atom, np.arange(problem.n_units)] &= centre_ok
    atoms, centres = np.nonzero(keep)
    return atoms.astype(np.int64), centres.astype(np.int64)
