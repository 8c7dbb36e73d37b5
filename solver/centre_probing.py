"""Centre probing: LP bounds that rule candidate centres out before the exact Hess model is solved.

The Hess LP is weak where the cap is tight (1.2 % below the optimum at 200 units, k = 6: half-open
centres share the population between them), so branch and bound spends its time choosing among centres
that no good plan opens. Probing asks the LP directly: with y_c fixed to 1, the LP relaxation of the Hess
model over the pairs left by reduced-cost fixing bounds every plan that opens c; when that bound exceeds
the incumbent's value, no plan at least as good opens c and all of c's pairs can go. Contiguity, links
and the other rules only add constraints, so this holds for the full problem. A closed centre stays
closed for the next probes, whose LPs get stronger (at 200 units, k = 6, 78 of 97 candidate centres close
and the LP bound rises from 1.2 % to 0.65 % below the optimum).

Each probe is a few dual simplex iterations from the previous basis, stopped as soon as its objective
passes the incumbent (HiGHS's ``objective_bound``) or after an iteration limit (the centre then stays).
Probing runs in stages with growing limits, each on an LP rebuilt without the centres closed so far (a
smaller LP, so cheaper iterations); later stages try first the centres whose probe got furthest. The
decision never rests on HiGHS's tolerances: the bound is recomputed from the row duals HiGHS returns (any
dual vector gives a valid bound, ``dual_bound``), and a centre is closed only when that bound beats the
incumbent by ``MARGIN``. After each stage, the LP's duals of the assignment rows fix pairs again
(``lagrangian.fix_over``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from solver.hess_model import build_hess
from solver.lagrangian import fix_over
from solver.linear import LinearModel, limit_time
from solver.problem import Problem

log = logging.getLogger(__name__)

#: A probe closes a centre only when its bound exceeds the incumbent by this share (rounding safety).
MARGIN = 1e-7
#: Dual simplex iterations one probe may use, per stage (the centre stays open when they run out).
STAGE_ITERATIONS = (100, 400, 1000)
#: LPs with at least this many columns are solved by the interior point method first (crossover gives
#: the basis the probes start from): 4 s instead of 6 s at 400 units, k = 6.
IPM_ABOVE_COLUMNS = 10_000


@dataclass
class Reduction:
    """What probing proved about the plans no worse than the incumbent."""

    keep: np.ndarray                           # bool atoms × units: pairs such a plan may use
    bound: float | None = None                 # LP bound (Σ cost, without the atoms' internal inertia)
    closed: list[int] = field(default_factory=list)   # centre units no such plan opens
    integral: list[int] = field(default_factory=list)  # centres the last LP opens fully (a hint, no proof)
    probes: int = 0
    iterations: int = 0
    finished: bool = False                     # every stage ran over every candidate before the deadline


class _Rows:
    """The model's rows as coordinate arrays, to recompute a bound from any row duals."""

    def __init__(self, model: LinearModel):
        rows, cols, vals, lower, upper = [], [], [], [], []
        offset = 0
        for starts, index, value, lo, up in model.blocks():
            lengths = np.diff(np.append(starts, len(index)))
            rows.append(np.repeat(np.arange(offset, offset + len(starts)), lengths))
            cols.append(index)
            vals.append(value)
            lower.append(lo)
            upper.append(up)
            offset += len(starts)
        self.row = np.concatenate(rows)
        self.col = np.concatenate(cols)
        self.value = np.concatenate(vals)
        self.lower = np.concatenate(lower)
        self.upper = np.concatenate(upper)
        self.cost = model.cost
        self.n_rows = offset


def dual_bound(rows: _Rows, row_dual: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray) -> float:
    """min c·x over l ≤ Ax ≤ u, lb ≤ x ≤ ub is at least this for every row dual vector π (weak duality:
    c·x = (c − Aᵀπ)·x + π·Ax); a dual that would need an infinite row bound counts as 0 there."""
    pi = np.asarray(row_dual, dtype=float)[: rows.n_rows]
    pi = np.where(((pi > 0) & ~np.isfinite(rows.lower)) | ((pi < 0) & ~np.isfinite(rows.upper)), 0.0, pi)
    row_part = float(np.where(pi > 0, pi * np.nan_to_num(rows.lower, neginf=0.0),
                              pi * np.nan_to_num(rows.upper, posinf=0.0)).sum())
    reduced = rows.cost - np.bincount(rows.col, weights=rows.value * pi[rows.row], minlength=len(rows.cost))
    if ((reduced < 0) & ~np.isfinite(col_upper)).any() or ((reduced > 0) & ~np.isfinite(col_lower)).any():
        return -np.inf
    # Infinite column bounds only meet zero reduced costs here (checked above): they count as 0.
    low = np.where(reduced > 0, col_lower, 0.0)
    up = np.where(reduced < 0, col_upper, 0.0)
    return row_part + float((reduced * low + reduced * up).sum())


def probe_and_fix(problem: Problem, k: int, keep: np.ndarray, upper: float, *, cost: np.ndarray,
                  require_facility: bool, keep_open: set[int], deadline: float, seed: int,
                  stages: tuple[int, ...] = STAGE_ITERATIONS) -> Reduction:
    """Probe the candidate centres of ``keep`` (the pairs that plans of Σ cost ≤ ``upper``, the
    incumbent's, may use) stage by stage, fixing pairs with each stage's LP duals. The incumbent's centres
    (``keep_open``) are never probed and its pairs must be in ``keep``. Stops at ``deadline``."""
    result = Reduction(keep=keep.copy())
    progress: dict[int, float] = {}
    for number, limit in enumerate(stages):
        if time.monotonic() >= deadline:
            break
        clock = time.monotonic()
        atoms, centres = np.nonzero(result.keep)
        lp = build_hess(problem, k, require_facility=require_facility, tie_reference=None, columns=(atoms, centres))
        stage = _Stage(lp.model, seed=seed, deadline=deadline)
        if stage.bound is None:
            break
        threshold = upper / lp.scale
        threshold += MARGIN * max(abs(threshold), 1.0)
        stage.limit(threshold, int(limit))
        candidates = [c for c in lp.y_col if c not in keep_open]
        if number > 0:
            # The probes that got furthest in the stage before first.
            candidates.sort(key=lambda c: (-progress.get(c, 0.0), c))
        else:
            # The least promising centres first (largest reduced cost of y_c): every early closure
            # strengthens the later probes. Centres the LP opens wait for the next, smaller LP: a short
            # probe hardly ever closes them.
            if len(stages) > 1:
                candidates = [c for c in candidates if stage.values[lp.y_col[c]] <= 1e-6]
            candidates.sort(key=lambda c: (-stage.reduced[lp.y_col[c]], c))
        complete = True
        for c in candidates:
            if time.monotonic() >= deadline:
                complete = False
                break
            j = lp.y_col[c]
            if stage.bound + max(float(stage.reduced[j]), 0.0) > threshold:
                # The root duals prove it already (the reduced-cost test of ``dual_bound``): no probe.
                stage.close(j)
                result.closed.append(int(c))
                result.keep[:, c] = False
                continue
            closed, reached = stage.probe(j)
            if closed:
                result.closed.append(int(c))
                result.keep[:, c] = False
            else:
                progress[c] = (reached - stage.bound) / max(threshold - stage.bound, 1e-12)
        result.probes += stage.probes
        result.iterations += stage.iterations
        duals = stage.resolve(deadline)
        if duals is not None:
            bound = dual_bound(stage.rows, duals, stage.lower, stage.upper) * lp.scale
            lag_bound, result.keep = fix_over(problem, k, duals[: problem.n_atoms] * lp.scale, upper,
                                              allowed=result.keep, cost=cost)
            bound = max(bound, lag_bound)
            result.bound = bound if result.bound is None else max(result.bound, bound)
            result.integral = sorted(int(c) for c, j in lp.y_col.items() if stage.values[j] > 1 - 1e-6)
        log.debug("probing stage k=%d (limit %d): %d columns, %d probes, %d centres closed so far, %d pairs "
                  "kept, %.2f s", k, limit, lp.model.n_cols, stage.probes, len(result.closed),
                  int(result.keep.sum()), time.monotonic() - clock)
        if not complete:
            break
    else:
        result.finished = True
    return result


class _Stage:
    """One LP (highspy) with its root solution, probed centre by centre."""

    def __init__(self, model: LinearModel, *, seed: int, deadline: float):
        import highspy

        from solver.linear import HighsRunner

        self.rows = _Rows(model)
        self.h = HighsRunner(model, seed=seed).h
        self.h.setOptionValue("solve_relaxation", True)
        self.h.setOptionValue("presolve", "off")
        self.lower, self.upper = model.lower.copy(), model.upper.copy()
        self.deadline = deadline
        self.probes = self.iterations = 0
        self.bound: float | None = None
        self._optimal = highspy.HighsModelStatus.kOptimal
        limit_time(self.h, deadline - time.monotonic(), branching=False)
        if model.n_cols >= IPM_ABOVE_COLUMNS:
            self.h.setOptionValue("solver", "ipm")
        self.h.run()
        self.h.setOptionValue("solver", "simplex")
        if self.h.getModelStatus() != self._optimal:
            return
        solution = self.h.getSolution()
        self.reduced = np.asarray(solution.col_dual)
        self.values = np.asarray(solution.col_value)
        self.bound = dual_bound(self.rows, solution.row_dual, self.lower, self.upper)

    def close(self, j: int) -> None:
        self.lower[j] = self.upper[j] = 0.0
        self.h.changeColBounds(j, 0.0, 0.0)

    def limit(self, threshold: float, iterations: int) -> None:
        self.threshold = threshold
        self.h.setOptionValue("objective_bound", threshold)
        self.h.setOptionValue("simplex_iteration_limit", iterations)

    def probe(self, j: int) -> tuple[bool, float]:
        """Fix column j (a y_c) at 1: (is the LP provably above the threshold, the bound reached); a
        closed centre's y stays at 0 for the next probes."""
        h = self.h
        h.changeColBounds(j, 1.0, 1.0)
        limit_time(h, self.deadline - time.monotonic(), branching=False)
        h.run()
        self.probes += 1
        self.iterations += int(h.getInfo().simplex_iteration_count)
        solution = h.getSolution()
        reached = -np.inf
        if solution.dual_valid:
            lower = self.lower.copy()
            lower[j] = 1.0
            reached = dual_bound(self.rows, solution.row_dual, lower, self.upper)
        closed = reached > self.threshold
        if closed:
            self.lower[j] = self.upper[j] = 0.0
        h.changeColBounds(j, self.lower[j], self.upper[j])
        return closed, reached

    def resolve(self, deadline: float) -> np.ndarray | None:
        """The LP without the closed centres: its row duals (None when it did not finish)."""
        self.h.setOptionValue("objective_bound", np.inf)
        self.h.setOptionValue("simplex_iteration_limit", 2_147_483_647)
        limit_time(self.h, deadline - time.monotonic(), branching=False)
        self.h.run()
        if self.h.getModelStatus() != self._optimal:
            return None
        solution = self.h.getSolution()
        self.values = np.asarray(solution.col_value)
        return np.asarray(solution.row_dual)
