"""Swap search over the centre units of the Hess model: one centre closed, another opened where the plan
serves people worst, Lloyd's iteration on units after it, kept when the transportation LP improves.

Location–allocation from a start keeps its centres in the same basins: no step ever moves a centre across
the community. Under the 2026 law's band the best starts' plans differ by 1–2 % and the best one is still far
from the best plan known, which has other basins. A swap (Kanungo et al.'s local search for k-means)
jumps there: the centre to close is drawn uniformly, the unit to open by its population times its squared
distance to the nearest open centre (k-means++'s weights), and ``unit_descent`` settles the rest. Each
trial solves the transportation LP 4–5 times, as min-cost flows (``solver.transport``): ~0.005 s each at
400 units, k = 15, and ~0.017 s at 800, k = 29 (HiGHS's simplex, warm-started: 0.02 and 0.11 s).

Measured on training seeds, first alone (the exact assignment of the result): 400 units, k = 15, seed
201: the best start's plan 1.92867e9, after ~260 trials 1.89996e9 (−1.5 %, below the 1.90677e9 that HiGHS
found in 1,323 s on the model without contiguity); seed 203: 1.91581e9 → 1.88529e9 (−1.6 %); 800 units,
k = 29, seed 205: 1.81485e9 → 1.81098e9 (−0.2 %, 109 trials in 60 s). Then inside ``solve`` (60 s, k auto
→ 15, idle machine), the stated gap before → after: seed 201 2.51 → 1.14 %, 202 1.55 → 0.98 %, 203
3.70 → 3.08 %.

(The figures of this paragraph were measured while the transportation LP stopped early once its runs
added up to its time limit, which made many trials empty: see ``solver.linear.limit_time``.)

The search only proposes centres: their plans come from the exact assignment, and no bound is taken.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from solver.capacitated_kmeans import unit_descent
from solver.problem import Problem
from solver.transport import TransportLP


@dataclass(frozen=True)
class SwapResult:
    """The best centre units found, their transportation-LP value, and how many trials it took."""

    value: float
    centres: list[int]
    trials: int
    improvements: int


def swap_centres(problem: Problem, k: int, centres: list[int], *, seed: int, deadline: float,
                 patience: int) -> SwapResult | None:
    """Swap trials from ``centres`` (k distinct units) until ``patience`` trials in a row improve nothing,
    or ``deadline``; None when the transportation LP has no solution at ``centres``. Deterministic for a
    seed when the deadline does not stop it."""
    lp = TransportLP(problem, k)
    start = unit_descent(problem, lp, centres, deadline=deadline)
    if start is None:
        return None
    value, best = start
    rng = random.Random(seed * 1_000_003 + k)
    trials = improvements = stale = 0
    draw = _opening_weights(problem, best)
    while stale < patience and time.monotonic() < deadline and draw.any():
        trials += 1
        stale += 1
        opened = rng.choices(range(problem.n_units), weights=draw.tolist())[0]
        closed = rng.randrange(k)
        if opened in best:
            continue
        trial = unit_descent(problem, lp, best[:closed] + [opened] + best[closed + 1:], deadline=deadline)
        if trial is not None and trial[0] < value * (1 - 1e-9):
            value, best = trial
            draw = _opening_weights(problem, best)
            improvements += 1
            stale = 0
    return SwapResult(value=value, centres=best, trials=trials, improvements=improvements)


def _opening_weights(problem: Problem, centres: list[int]) -> np.ndarray:
    """Each unit's chance to open: its population (every unit a little, even an empty one) times its squared
    distance to the nearest centre; all zero when every unit is a centre."""
    units = np.asarray(centres)
    d2 = ((problem.unit_x[:, None] - problem.unit_x[units][None, :]) ** 2
          + (problem.unit_y[:, None] - problem.unit_y[units][None, :]) ** 2).min(axis=1)
    return (problem.unit_population.astype(float) + 1e-9) * d2
