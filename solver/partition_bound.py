"""A lower bound on the cut edges by branch-and-price over districts (the set-partitioning relaxation).

Every plan is k districts D, each connected with population in [L, U]; its cut edges are
Σ_D c_D with c_D = ½ Σ_{e ∈ δ(D)} w_e (each cut edge lies on the boundary of two districts). The master
LP over the districts found so far is

    min Σ_D c_D λ_D + Σ_a ((π̂_a + δ) s⁺_a + (δ − π̂_a) s⁻_a)
    s.t. Σ_{D ∋ a} λ_D + s⁺_a − s⁻_a = 1  (every atom, dual π_a),   Σ_D λ_D = k  (dual μ),   λ, s ≥ 0.

The slacks s± keep every dual in the box [π̂ − δ, π̂ + δ] (du Merle's stabilisation, Marsten's boxstep):
without them the duals of this very degenerate LP jump between extreme values and the bound hardly moves
(on Louisiana's counties the plain master sat at the warm start's 51 for 27 iterations). The centre π̂ is
the duals of the best bound so far (zero at first). A box about zero, which the duals soon outgrow, left
them free to jump again: on Louisiana's counties the proof took 242.7 s that way and takes 191.5 s about the
best duals. δ doubles whenever nothing prices out while a slack is still in use; once none is used the master
is the plain set-partitioning LP.

Its duals price a new district (``solver.district_pricing``): reduced cost c_D − Σ_{a∈D} π_a − μ. Each
pricing MIP bounds the least c_D − π(D) over the districts whose first atom (in the vertex ordering) is
its root. A plan's k districts have k different first atoms, so for any duals its cut edges are at least

    Σ_a π_a + (the sum of the k least of those roots' bounds)

(at least Σ π + k · the least; μ cancels), so a bound is valid at every round that ran the pricing MIPs,
at any duals, also when the clock stops them early. At the end (no district prices out) it is the master
LP's value, which mixes districts far less than the labelling model's relaxation (which spreads every atom
evenly over the labels).

The MIPs run at a mix of the master's duals and those of the best bound so far (Wentges' smoothing, half
and half), and at the master's own only when the mix finds nothing they price out: fewer rounds. The
roots' pricing MIPs run on ``threads`` at once; local search from the districts in hand (adding,
dropping or swapping atoms) runs first, and the MIPs only when it finds nothing. (Stopping the MIPs at
their first district that prices out was tried on Louisiana: three times the rounds, and the bound came
later.)

Edge weights other than one (``boundary``: metres) change only the costs c_D. When the LP ends below
``target`` (the incumbent less one, for a proof) in whole districts, those are a plan better than the
incumbent and the best in their branch: the caller takes it and lowers the target. Otherwise the search
branches on two neighbouring atoms that the LP puts in one district only in part (Ryan & Foster): one
branch keeps them together, the other apart, in the master (columns that break the rule are set to zero)
and in the pricing. A branch is closed when its bound reaches ``target``; the bound of the whole search is the
least over the branches still open, which are taken lowest bound first. On Louisiana the LP ends at 47.91
and its two branches close the gap to 48 (the published optimum is 49).

Only for the plain problem (no keep-together links, facilities, locks or earlier plans to differ from),
which the callers check with ``applies``.
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from solver.district_pricing import EPS, Known, LocalPricing, Pairs, Priced, RootPricing, root_pricings
from solver.linear import banner_hidden, use_threads
from solver.ordering import Ordering
from solver.problem import Problem

#: The box around the duals at the start, in mean edge weights per atom (cut edges on a county graph, where
#: each weighs one; metres for ``boundary``); doubled as the master needs.
FIRST_BOX = 8.0
#: Wentges smoothing: the pricing runs at this mix of the duals with the best bound so far and the master's.
SMOOTHING = 0.5


@dataclass
class PartitionBound:
    """What the search reached: its best valid bound, the root LP's value and the columns."""

    bound: float | None = None
    master: float | None = None       # the root's master LP value (stabilised) at its last round
    iterations: int = 0               # master LP solves, over all branches
    columns: int = 0
    branches: int = 0                 # branches whose column generation ran (the root is one)
    mixed: int = 0                    # pricing rounds at a mix of duals (smoothing)
    mispriced: int = 0                # of those, rounds that found nothing the master's duals price out
    finished: bool = False            # the root's LP ran to its end: ``master`` is the LP bound itself
    plans: int = 0                    # branches whose LP ended in whole districts: a plan, given to ``on_plan``


@dataclass(frozen=True)
class _Branch:
    """Pairs of atoms held together or apart, the parent's bound, the box its master starts with and the
    roots' bounds the parent's pricing proved (still valid here)."""

    together: Pairs = ()
    apart: Pairs = ()
    inherited: float | None = None
    box: float = FIRST_BOX
    known: dict[int, Known] = field(default_factory=dict)
    centre: np.ndarray | None = None   # the parent's best duals, the box's centre at first (None: zero)

    def allows(self, district: np.ndarray) -> bool:
        return self.admits(set(district.tolist()))

    def admits(self, members: set[int]) -> bool:
        return (all((a in members) == (b in members) for a, b in self.together)
                and not any(a in members and b in members for a, b in self.apart))


@dataclass
class _Closed:
    """A branch's column generation: its bound, and the pair to branch on when it ended below target."""

    bound: float | None
    pair: tuple[int, int] | None = None
    box: float = FIRST_BOX
    centre: np.ndarray | None = None
    stopped: bool = False             # by the deadline (or a master LP HiGHS could not solve)
    whole: list[np.ndarray] | None = None   # the LP ended in whole districts: a plan, the branch's best


class _OpenBranches:
    """The branches still open, lowest inherited bound first and, among equals, the one made last (so the
    search dives as depth-first would). With the target fixed, every branch below it must be closed in any
    order (which pairs it splits on depends on the columns found so far); this order raises the bound of the
    whole search, the least over the open branches, soonest when the clock stops it: after 600 s on Alabama's
    counties depth-first still stated the root's 52.63, this order 53.13."""

    def __init__(self, first: _Branch):
        self._heap: list[tuple[float, int, _Branch]] = []
        self._made = itertools.count()
        self.push(first)

    def __bool__(self) -> bool:
        return bool(self._heap)

    def push(self, branch: _Branch) -> None:
        low = -math.inf if branch.inherited is None else branch.inherited
        heapq.heappush(self._heap, (low, -next(self._made), branch))

    def pop(self) -> _Branch:
        return heapq.heappop(self._heap)[2]

    def bounds(self) -> list[float | None]:
        return [branch.inherited for _, _, branch in self._heap]


class _Master:
    """The restricted master LP with box-stabilised duals (see the module docstring)."""

    def __init__(self, problem: Problem, k: int, weights: np.ndarray, box: float):
        import highspy

        self.m, self.weights = problem.n_atoms, weights
        self.edge_u, self.edge_v = problem.edge_u, problem.edge_v
        with banner_hidden():
            self.h = highspy.Highs()
        self.h.silent()
        self.h.setOptionValue("output_flag", False)
        use_threads(self.h, 1)
        m, inf = self.m, highspy.kHighsInf
        self.h.addRows(m + 1, np.r_[np.ones(m), float(k)], np.r_[np.ones(m), float(k)], 0,
                       np.zeros(m + 1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        self.box = box
        self.centre = np.zeros(m)
        self.slacks = []
        for a in range(m):
            for sign in (1.0, -1.0):
                self.h.addCol(self.box, 0.0, inf, 1, np.array([a], dtype=np.int32), np.array([sign]))
                self.slacks.append(self.h.getNumCol() - 1)
        self.seen: set[tuple[int, ...]] = set()
        self.columns: list[np.ndarray] = []
        self.index: list[int] = []          # each column's place in the LP
        self.branch = _Branch()
        self._optimal = highspy.HighsModelStatus.kOptimal

    def add(self, district: np.ndarray) -> bool:
        key = tuple(sorted(int(a) for a in district))
        if not key or key in self.seen:
            return False
        self.seen.add(key)
        self.columns.append(np.array(key))
        index = np.r_[np.array(key, dtype=np.int32), np.int32(self.m)]
        upper = np.inf if self.branch.allows(self.columns[-1]) else 0.0
        self.h.addCol(self.cost(np.array(key)), 0.0, upper, len(index), index, np.ones(len(index)))
        self.index.append(self.h.getNumCol() - 1)
        return True

    def enter(self, branch: _Branch) -> None:
        """Only the columns ``branch`` allows can be used; the box starts at the branch's."""
        self.branch = branch
        for column, place in zip(self.columns, self.index):
            self.h.changeColBounds(place, 0.0, np.inf if branch.allows(column) else 0.0)
        self.box = branch.box
        self.recentre(np.zeros(self.m) if branch.centre is None else branch.centre)

    def live_columns(self) -> list[np.ndarray]:
        return [c for c in self.columns if self.branch.allows(c)]

    def fractional_pair(self) -> tuple[int, int] | None:
        """The neighbouring atoms whose share of one district in the LP is nearest ½ (None: the LP's
        districts are whole, so its solution is a plan)."""
        values = np.asarray(self.h.getSolution().col_value)
        together = np.zeros(len(self.edge_u))
        inside = np.zeros(self.m, dtype=bool)
        for column, place in zip(self.columns, self.index):
            if values[place] > EPS:
                inside[:] = False
                inside[column] = True
                together += values[place] * (inside[self.edge_u] & inside[self.edge_v])
        split = np.abs(together - 0.5)
        split[(together < EPS) | (together > 1 - EPS)] = np.inf
        e = int(np.argmin(split))
        return None if not np.isfinite(split[e]) else (int(self.edge_u[e]), int(self.edge_v[e]))

    def chosen(self) -> list[np.ndarray]:
        """The districts the LP takes (whole when ``fractional_pair`` finds no pair)."""
        values = np.asarray(self.h.getSolution().col_value)
        return [column for column, place in zip(self.columns, self.index) if values[place] > 0.5]

    def cost(self, district: np.ndarray) -> float:
        inside = np.zeros(self.m, dtype=bool)
        inside[district] = True
        return float(self.weights[inside[self.edge_u] != inside[self.edge_v]].sum()) / 2.0

    def solve(self) -> tuple[float, np.ndarray, float, float] | None:
        """(value, π, μ, slack in use), or None when HiGHS fails."""
        self.h.run()
        if self.h.getModelStatus() != self._optimal:
            return None
        solution = self.h.getSolution()
        duals = np.asarray(solution.row_dual)
        slack = float(np.asarray(solution.col_value)[self.slacks].sum())
        return float(self.h.getInfo().objective_function_value), duals[: self.m], float(duals[self.m]), slack

    def widen(self) -> None:
        self.box *= 2.0
        self._place_box()

    def recentre(self, centre: np.ndarray) -> None:
        self.centre = centre.copy()
        self._place_box()

    def _place_box(self) -> None:
        # s⁺_a bounds π_a from above by its cost, s⁻_a from below by minus its cost.
        for a, slack in enumerate(self.slacks[0::2]):
            self.h.changeColCost(slack, float(self.centre[a]) + self.box)
        for a, slack in enumerate(self.slacks[1::2]):
            self.h.changeColCost(slack, self.box - float(self.centre[a]))


def partition_bound(problem: Problem, k: int, ordering: Ordering, weights: np.ndarray,
                    start: list[np.ndarray], *, deadline: float, seed: int, target: float | None = None,
                    threads: int = 1, smoothing: float = SMOOTHING,
                    on_plan: Callable[[list[np.ndarray]], float] | None = None) -> PartitionBound:
    """Column generation from the districts ``start`` (atom arrays, e.g. the incumbent's), then, with a
    ``target``, branching until every branch's bound reaches it (nothing better than target exists), or
    ``deadline``; the roots' pricing MIPs run on ``threads`` at once, at a ``smoothing`` mix of duals (0: the
    master's own). A branch whose LP ends in whole districts holds no better plan than those: they go to
    ``on_plan``, which returns the target from then on (a better plan lowers it)."""
    result = PartitionBound()
    first_box = FIRST_BOX * (float(weights.mean()) if len(weights) and weights.mean() > 0 else 1.0)
    master = _Master(problem, k, weights, first_box)
    for district in start:
        master.add(district)
    search = LocalPricing(problem, weights)
    open_branches, closed_bounds = _OpenBranches(_Branch(box=first_box)), []
    with ThreadPoolExecutor(max(1, threads)) as pool:
        while open_branches and time.monotonic() < deadline:
            branch = open_branches.pop()
            if target is not None and branch.inherited is not None and branch.inherited >= target - EPS:
                closed_bounds.append(branch.inherited)   # a better plan lowered the target below its bound
                continue
            pricings = root_pricings(problem, ordering, weights, seed=seed, together=branch.together,
                                     apart=branch.apart, known=branch.known)
            closed = _generate(master, branch, pricings, search, pool, k=k, target=target, deadline=deadline,
                               smoothing=smoothing, result=result)
            result.branches += 1
            own = max((b for b in (branch.inherited, closed.bound) if b is not None), default=None)
            if closed.whole is not None:
                result.plans += 1
                closed_bounds.append(own)
                if on_plan is not None:
                    target = on_plan(closed.whole)
                continue
            if closed.pair is None or target is None or closed.stopped:
                closed_bounds.append(own)
                if closed.stopped or (target is not None and (own is None or own < target - EPS)):
                    break   # this branch can neither be closed nor split: the search ends here
                continue
            known = {p.root: tuple(p.known) for p in pricings}
            box = max(first_box, closed.box / 4)
            open_branches.push(_Branch(branch.together, branch.apart + (closed.pair,), own, box, known, closed.centre))
            open_branches.push(_Branch(branch.together + (closed.pair,), branch.apart, own, box, known, closed.centre))
    every = closed_bounds + open_branches.bounds()
    result.bound = None if not every or any(b is None for b in every) else min(every)
    result.columns = len(master.seen)
    return result


def _generate(master: _Master, branch: _Branch, pricings: list[RootPricing], search: LocalPricing,
              pool: ThreadPoolExecutor, *,
              k: int, target: float | None, deadline: float, smoothing: float, result: PartitionBound) -> _Closed:
    """Column generation in one branch until its bound reaches ``target``, its LP ends, or ``deadline``."""
    master.enter(branch)
    root = not branch.together and not branch.apart
    best, centre = None, None
    while time.monotonic() < deadline:
        solved = master.solve()
        if solved is None:
            break
        value, pi, mu, slack = solved
        result.iterations += 1
        if root:
            result.master = value

        def negative(districts: list[np.ndarray]) -> list[np.ndarray]:
            return [d for d in districts
                    if branch.allows(d) and master.cost(d) - float(pi[d].sum()) - mu < -EPS]

        found = negative(search.run(master.live_columns(), pi, mu, admits=branch.admits))
        exact = not found
        # Priced at a mix of the duals with the best bound and the master's (Wentges); at the master's own
        # only when the mix finds nothing they price out (a misprice) and leaves the branch open.
        mixes = [pi] if exact else []
        if exact and centre is not None and smoothing:
            mixes.insert(0, smoothing * centre + (1.0 - smoothing) * pi)
        for at in mixes:
            if time.monotonic() >= deadline:
                return _Closed(best, box=master.box, stopped=True)
            answers = _price(pricings, pool, at, k=k, target=target, deadline=deadline)
            found = negative([d for a in answers for d in a.found])
            bound = _lagrangian(at, answers, k)
            if bound is not None and (best is None or bound > best):
                best, centre = bound, at
                master.recentre(at)
            if at is not pi:
                result.mixed += 1
                result.mispriced += not found
            if found or (target is not None and best is not None and best >= target - EPS):
                break
        new = [d for d in found if master.add(d)]
        if target is not None and best is not None and best >= target - EPS:
            return _Closed(best, box=master.box)
        if exact and not new:
            if slack <= EPS:
                if root:
                    result.finished = target is None
                pair = master.fractional_pair()
                if pair is None:   # an LP optimum in whole districts is this branch's optimum
                    return _Closed(max(value, best if best is not None else value), box=master.box,
                                   whole=master.chosen())
                return _Closed(best, pair=pair, box=master.box, centre=master.centre)
            master.widen()
            centre = None
    return _Closed(best, box=master.box, stopped=True)


def _lagrangian(at: np.ndarray, answers: list[Priced], k: int) -> float | None:
    """The bound Σ π + (the k least roots' lows) at duals ``at`` (valid at any duals); None while a root has
    no bound. A plan's k districts have k different first atoms, so they take k different roots' values,
    never k times the least one. Fewer than k roots (a branch no plan can meet): no plan in this branch."""
    lows = [a.low for a in answers]
    if any(low is None for low in lows):
        return None
    if len(lows) < k:
        return float("inf")
    return float(at.sum()) + float(sum(sorted(lows)[:k]))


def _price(pricings: list[RootPricing], pool: ThreadPoolExecutor, pi: np.ndarray, *, k: int,
           target: float | None, deadline: float) -> list[Priced]:
    """Every root's pricing MIP at duals ``pi``. Reaching ``target`` needs every root's least value
    ≥ (target − Σπ) / k: a cutoff there lets each MIP prune far more than proving its own optimum would."""
    cutoff = None if target is None else (target - float(pi.sum())) / k
    return list(pool.map(lambda p: p.price(pi, cutoff=cutoff, time_limit_s=max(0.05, deadline - time.monotonic())),
                         pricings))
