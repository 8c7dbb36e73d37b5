"""Every knob of ``solve``'s search in one frozen record, passed in (``solve(graph, spec, tuning=…)``).

The defaults are what the benchmarks were measured with; tests pass a ``Tuning`` with a few fields
changed (``dataclasses.replace(DEFAULT_TUNING, …)``) to force a path (e.g. reduced-cost fixing on a
small graph). "Share" fields are fractions of the wall-clock time left when the stage starts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from solver.exhaustive import MAX_ATOMS as _EXHAUSTIVE_MAX_ATOMS

#: HiGHS options for the exact Hess model once the incumbent is close: its sub-MIP heuristics, restarts
#: and strong branching took 85 % of a proof at 200 units, k = 5 (8.6 s → 1.4 s with the optimum in hand).
_EXACT_HIGHS_OPTIONS = MappingProxyType({
    "mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False, "mip_allow_restart": False, "mip_pscost_minreliable": 0})
_PROOF_HIGHS_OPTIONS = MappingProxyType({**_EXACT_HIGHS_OPTIONS, "mip_heuristic_effort": 0.0,
                                         "mip_pscost_minreliable": 8})


@dataclass(frozen=True, kw_only=True)
class Tuning:
    """How ``solve`` spends its time; none of these change what a plan must satisfy."""

    #: A plan is called optimal when (objective − bound) / objective is at most this (solver tolerance).
    optimal_gap: float = 1e-5

    # --- which stage runs -------------------------------------------------------------------------
    #: The exhaustive search over whole districts runs (when the heuristic found no plan) up to this many atoms.
    exhaustive_max_atoms: int = _EXHAUSTIVE_MAX_ATOMS
    #: The full Hess model has atoms × units columns; above this it is not built without a warm start.
    max_hess_columns: int = 400_000
    #: Up to this many (atom, centre) pairs the full Hess model is solved directly.
    small_hess_columns: int = 3_000
    #: Above this many pairs left after reduced-cost fixing, the exact model is not attempted.
    max_exact_columns: int = 150_000
    #: Above this many pairs left after fixing, the incumbent is first improved on a restriction around it.
    polish_above_columns: int = 4_000
    #: Above this many pairs left after fixing, candidate centres are probed with the LP first.
    probe_above_columns: int = 1_500
    #: Probing, and the proof-oriented HiGHS options, need an incumbent this close to the bound (relative
    #: gap). Farther away few centres close and the LP over the many pairs left is slow (200 units, k = 5,
    #: seed 12, at 4 %: its root LP did not finish in 3.8 s), and on grids started from a poor warm start
    #: HiGHS's own heuristics are worth more.
    probe_max_gap: float = 0.025
    #: Above this many (atom, centre) pairs no atoms × units array is built (8 bytes a cell, several arrays
    #: at once): the Lagrangian bound is computed block by block and nothing is fixed (20,000 units held
    #: 3.2 GB for one such matrix, and ended in MemoryError at 6.8 GB).
    max_dense_pairs: int = 25_000_000
    #: Column generation over districts (``solver.partition_bound``) bounds the edge objectives before the
    #: labelling model runs, up to this many atoms (its pricing MIP has about 8 rows an atom-graph edge)
    partition_max_atoms: int = 2_000
    #: and where districts hold at most this many atoms on average: each root's pricing MIP is then small,
    #: while the labelling model's relaxation, which spreads atoms over many labels, is weak. Route alone, 2
    #: threads: Louisiana's counties (10.7 a district) proven in 242.7 s and New Mexico's (11) in 3.8 s;
    #: Oklahoma's (15.4) not within 120 s, nor Arkansas's (18.8), which the labelling model proves in 69 s and 57 s.
    partition_atoms_per_district: float = 12.0
    #: and for at least this many districts: with two labels the labelling model's relaxation mixes little
    #: (Maine's counties, k = 2: proven by it in 0.3 s, by the route in 4.2 s).
    partition_min_districts: int = 3
    #: The labelling model has about 4·atoms·k + edges·k columns and 4·atoms·k + 2·edges·k rows.
    max_label_rows: int = 400_000
    #: Rows of the labelling model built per second (measured: 83k rows in 0.65 s, 322k in 3.6 s on a busy
    #: machine); the model is not started for existence when twice its build time is not left.
    label_rows_per_s: float = 80_000.0

    # --- polishing the incumbent (Hess) -------------------------------------------------------------
    #: Restrictions around the incumbent solved in turn while each improves it.
    max_polish_rounds: int = 4
    #: Stop polishing when a round improves the incumbent by less than this share.
    polish_min_gain: float = 2e-3

    # --- capacitated k-means starts (Hess, ``solver.capacitated_kmeans``) ------------------------------
    #: They run when the incumbent is this far above the first Lagrangian bound (relative gap): under the
    #: 2026 law's band (400 units, k = 15) the heuristic's plans ended 14–54 % above it (training seeds
    #: 201–203), the k-means plans 2.7–4 %; on the cap-only community cases the heuristic is already close.
    kmeans_above_gap: float = 0.04
    #: Seeded k-means starts (fixed, not by the clock: deterministic), and how many of the best are
    #: assigned exactly (each a small Hess model with its centres fixed open, ~2–5 s at 400 units, k = 15).
    kmeans_starts: int = 32
    kmeans_assigned: int = 3
    #: In each exact assignment only the atoms the transportation LP leaves on a boundary may choose, among
    #: this many nearest centres (``capacitated_kmeans.assignment_columns``), and the MIP stops within this
    #: relative gap (a restriction: its proof is worth nothing). Training seed 205 (800 units, k = 29):
    #: 2.2–3.3 s an assignment instead of 8.9–59 s, plans within 0.3 %.
    kmeans_nearest: int = 4
    kmeans_mip_gap: float = 0.003
    #: The starts may use this share of the k-means stage's time (their LPs are cheap: 36 starts in 3.2 s),
    #: the exact assignments the rest.
    kmeans_start_share: float = 0.3
    #: The swap search (``solver.centre_swaps``) stops after this many trials in a row without a better
    #: transportation LP (a scratch run from training seed 201's best start improved at trials 63, 69, 102,
    #: 163 and 260), or at this share of its window, the rest left for the exact assignment.
    swap_patience: int = 300
    swap_share: float = 0.7
    #: When the exact model is out of reach, more swap search gets this share of the time left (the rest
    #: continues the Lagrangian bound). It replaced assigning the remaining k-means starts exactly, which
    #: found no better plan in 15–26 s on training seeds 201 and 203.
    kmeans_more_share: float = 0.7
    #: Above this many pairs left after fixing, the exact model is not attempted, however close the
    #: incumbent: its root LP did not finish in 20 s at 48–65k pairs, and at 35k pairs and a 1.9 % gap
    #: probing closed 4 centres in 20 s (400 units, k = 15). c400-k6 (proven in 36–41 s) reaches it with 14k.
    far_exact_columns: int = 20_000

    # --- iteration counts ---------------------------------------------------------------------------
    #: Subgradient steps of the first Lagrangian bound (probing and the LP's duals fix pairs again later,
    #: so a rough first fixing is enough).
    lagrangian_iterations: int = 500
    #: First step size (θ of the Polyak step) of a continued Lagrangian ascent. From the first run's best
    #: multipliers θ = 1 overshoots and never gained (400 units, k = 15, seed 201: 341 steps, +0); θ = 0.1
    #: gained 0.022 % in 883 steps (LP bound 0.04 % higher still), θ = 0.02 0.019 %.
    lagrangian_continue_step: float = 0.1
    #: The continued ascent (no exact model in reach) packs each centre's knapsack in whole atoms when a
    #: district holds at most this many atoms on average: a bound above the LP's where the cap cuts an atom
    #: (training seed 201, 400 units, k = 15, 60 s: 1.87750e9 → 1.88028e9, the gap 2.65 % → 2.51 %; from
    #: θ = 0.2, 1.88055e9 after 868 steps: ``benchmarks/diagnose_law_band.py``). With hundreds of atoms a
    #: district the one atom the cap cuts is worth little and each step costs twice the fractional one's
    #: (c2000-k5, 400 a district, 10 s: 13 steps instead of 59; stated gaps 10.5 % and 11.0 % in two runs,
    #: 2.9–6.4 % without).
    lagrangian_integer_atoms: float = 60.0
    #: Recombination steps run as the labelling model's warm start.
    warm_recombination_steps: int = 4_000
    #: Regrouping (``solver.regroup``) divides this many neighbouring districts again at a time (two when
    #: k = 3), each group by ``regroup_restarts`` heuristic restarts and ``regroup_steps`` recombination
    #: steps, within ``regroup_share`` of the time left after the warm start.
    regroup_districts: int = 3
    regroup_restarts: int = 8
    regroup_steps: int = 1_000
    #: The frontier search (``solver.frontier``) solves the labelling model with only the atoms on a cut
    #: edge free, again from each better plan, at most this many times, within ``frontier_share`` of the
    #: time left after regrouping.
    frontier_rounds: int = 8
    #: It does not start when more than this share of the atoms is on the frontier: the restriction is then
    #: nearly the full model (Alabama's counties, k = 7: 50 of 67 free, unsettled after its 15 s).
    frontier_max_free_share: float = 0.6
    #: The vertex ordering's light-set MIP (root node, or first solution on large models) may use at most
    #: this many seconds.
    ordering_max_s: float = 5.0
    #: The two root LPs that decide whether the labelling model gets its neighbour rows
    #: (``label_strategy.RootBounds``) may use at most this many seconds (about 2 s on 500 tracts), and
    #: ``root_lp_share`` of the time left; an LP that does not finish leaves the rows out.
    root_lp_max_s: float = 10.0

    # --- shares of the time left --------------------------------------------------------------------
    #: ``districts="auto"``: once a plan is secured at a generous k (``generous_fill``), k = low gets this
    #: share of the time left to be decided, then the k between get ``decide_share`` (the rest improves the
    #: plan). A busy machine must still get a plan (issue 13: 7 of 12 runs ended with none when k = low took
    #: the whole budget before any other k was tried).
    secure_share: float = 0.3
    decide_share: float = 0.5
    #: The improve step's heuristic (best of its restarts, the model's warm start) stops at this share of
    #: the time left, so that the model can state a bound.
    improve_heuristic_share: float = 0.5
    #: The generous k tried to secure a plan: the fewest k whose average district holds at most this share
    #: of the cap (at 0.9, 800 units, k = 61–63 for a tight low of 55–57: a first plan in 1.4–2.4 s, where
    #: k = low + 1 took 12 s without one).
    generous_fill: float = 0.9
    #: Once the chosen k is improved, smaller k still open are decided again (fresh heuristic seeds) while
    #: at least this many seconds are left.
    retry_min_s: float = 1.0
    exhaustive_share: float = 0.3
    kmeans_share: float = 0.5
    lagrangian_share: float = 0.3
    #: Kept from the exact model (after fixing) for the Lagrangian ascent when the model ends unproven.
    bound_reserve_share: float = 0.2
    polish_share: float = 1 / 3
    probe_share: float = 0.7
    dive_share: float = 0.3
    warm_share: float = 0.1
    regroup_share: float = 0.2
    frontier_share: float = 0.15
    #: Column generation's share of the time left after the warm start (0: not run); the labelling model
    #: gets the rest: it alone can still find a better plan than the warm start's.
    partition_share: float = 0.9
    ordering_share: float = 0.1
    root_lp_share: float = 0.05

    #: HiGHS options for the exact Hess model once the incumbent is close (ignored by CBC).
    exact_highs_options: Mapping[str, object] = field(default_factory=lambda: _EXACT_HIGHS_OPTIONS, hash=False)
    #: HiGHS options for the labelling model once the frontier search has settled the incumbent: the same,
    #: and no primal heuristics, since what is left is the proof (Arkansas's counties proven in 105 s at
    #: 120 s, not within 120 s with HiGHS's defaults; New Mexico's tracts in 537 s, not within 600 s), but
    #: with HiGHS's own reliability branching (8 strong-branching tries a column, as its default): with 0,
    #: Kansas's proof took 116.5 s instead of 78.0 s (2 threads, cut off; Iowa 126.5 s → 120.1 s).
    proof_highs_options: Mapping[str, object] = field(default_factory=lambda: _PROOF_HIGHS_OPTIONS, hash=False)


DEFAULT_TUNING = Tuning()
