"""The HiGHS runner's statements: a run stopped as "optimal" within a relative gap certifies that gap only."""
from __future__ import annotations

import numpy as np

from solver.linear import HighsRunner, LinearModel


def _knapsack(n: int = 30, seed: int = 1) -> LinearModel:
    """min −Σ v x, Σ w x ≤ W, x binary, values close to the weights: HiGHS does not close it at its root."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(1000, 2000, n).astype(float)
    value = weight + rng.integers(0, 100, n)
    model = LinearModel(cost=-value, lower=np.zeros(n), upper=np.ones(n), integer=np.ones(n, dtype=bool))
    model.add_rows(np.array([n]), np.arange(n), weight, np.array([-np.inf]), np.array([weight.sum() // 2 + 0.5]))
    return model


def test_a_loose_mip_gap_is_what_the_bound_certifies():
    exact = HighsRunner(_knapsack(), seed=0).run(time_limit_s=30, start=None)
    assert exact.state == "optimal"
    loose = HighsRunner(_knapsack(), seed=0)
    loose.set_options({"mip_rel_gap": 0.05})
    result = loose.run(time_limit_s=30, start=None)
    assert result.state == "optimal"
    assert result.objective > exact.objective  # stopped early: the case where a bound could be overstated
    assert result.bound <= exact.objective + 1e-6



def test_a_model_solved_many_times_gets_its_time_limit_on_every_run():
    """HiGHS counts its time limit against the run time summed over all of a model's runs: without
    ``limit_time`` every run after the first ones' time added up to the limit stopped at once with
    nothing done (the swap search went on for minutes on such empty runs)."""
    n = 400
    rng = np.random.default_rng(0)
    model = LinearModel(cost=np.zeros(n), lower=np.zeros(n), upper=np.ones(n), integer=np.zeros(n, dtype=bool))
    for _ in range(200):
        columns = rng.choice(n, 12, replace=False)
        model.add_rows(np.array([12]), columns, rng.random(12), np.array([1.0]), np.array([np.inf]))
    runner = HighsRunner(model, seed=0)
    runs = 0
    while runner.h.getRunTime() < 0.6 and runs < 20_000:
        runner.set_costs(np.arange(n), rng.random(n))
        assert runner.run(time_limit_s=0.3, start=None).state == "optimal", runs
        runs += 1
    assert runner.h.getRunTime() >= 0.6   # the runs did add up past each one's limit


def _market_split(rows: int = 4, n: int = 36, seed: int = 3) -> LinearModel:
    """Cornuéjols–Dawande market split: Σ a_ij x_j = ⌊Σ_j a_ij / 2⌋, x binary. Branch and bound takes far
    longer than a second on it, so every run ends at its time limit."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, (rows, n)).astype(float)
    model = LinearModel(cost=np.zeros(n), lower=np.zeros(n), upper=np.ones(n), integer=np.ones(n, dtype=bool))
    for row in a:
        half = float(row.sum() // 2)
        model.add_rows(np.array([n]), np.arange(n), row, np.array([half]), np.array([half]))
    return model


def test_a_mip_solved_again_gets_its_own_time_limit_not_the_earlier_runs_on_top():
    """HiGHS times a MIP run on its own (an LP's runs add up, above): with the LP's rule the third run of
    0.4 s took about 1.6 s, and a lazy-cut round of ``solve`` after the first could run past its deadline."""
    runner = HighsRunner(_market_split(), seed=0)
    times = []
    for _ in range(3):
        result = runner.run(time_limit_s=0.4, start=None)
        assert result.state in ("no-solution", "feasible"), result.detail   # stopped by the clock
        times.append(result.runtime_s)
    assert min(times) >= 0.3, times    # not stopped at once either
    assert times[-1] < 1.0, times


def test_a_cutoff_leaves_only_better_solutions_and_counts_the_offset():
    exact = HighsRunner(_knapsack(), seed=0).run(time_limit_s=30, start=None)
    for offset in (0.0, 1000.0):   # the cutoff is in the units of the objective reported, offset included
        shifted = _knapsack()
        shifted.offset = offset
        below = HighsRunner(shifted, seed=0)
        assert below.set_cutoff(exact.objective + offset - 0.5)
        # HiGHS's heuristics find worse solutions above the cutoff and call the best "optimal": not a bound.
        nothing = below.run(time_limit_s=30, start=None)
        assert nothing.state == "infeasible" and nothing.bound is None
        above = HighsRunner(shifted, seed=0)
        above.set_cutoff(exact.objective + offset + 0.5)
        found = above.run(time_limit_s=30, start=None)
        assert found.state == "optimal" and abs(found.objective - (exact.objective + offset)) < 1e-6


def test_models_on_one_and_on_two_threads_run_one_after_another():
    # HiGHS starts one thread scheduler per process; a model asking for another count ends "Not Set"
    # unless it is restarted (``use_threads``).
    results = []
    for threads in (1, 2, 1):
        result = HighsRunner(_knapsack(), seed=0, threads=threads).run(time_limit_s=30, start=None)
        results.append((result.state, result.objective))
    assert results[0][0] == "optimal" and len(set(results)) == 1
