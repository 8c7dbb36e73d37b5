"""Fast plans without a MIP: the warm start, the upper bound, and the answer beyond exact reach.

Two constructions, then one local search:

- *growth* (location–allocation): k seed centres picked by population-weighted farthest-point
  sampling; districts grow from their centres over the atom graph, cheapest atom first (squared distance
  to the centre), while they fit under the cap; atoms left over join a neighbouring district.
- *tree splitting*: a random spanning tree of the remaining atoms is cut at an edge whose subtree can be
  a district (floor ≤ population ≤ cap) while the rest can still hold the remaining districts; repeated
  k − 1 times. This finds feasible plans under tight population bands where growth fails.
- *local search*: single atom (or linked group) moves between neighbouring districts that keep both
  districts connected, accepted lexicographically on (rule violations, objective, imbalance); for
  inertia the centres are re-chosen after every pass (location–allocation).

Everything is seeded by ``spec.seed`` and iterates in index order: same inputs → same plan.
"""
from __future__ import annotations

import heapq
import logging
import math
import random
import time
from dataclasses import dataclass

import numpy as np

from solver.apart import apart_broken
from solver.difference import too_similar
from solver.graphs import UnionFind, connected, reach
from solver.objective import centres_of, evaluate, imbalance
from solver.problem import Problem, same_partition

log = logging.getLogger(__name__)

_EPS = 1e-9


@dataclass(frozen=True)
class Candidate:
    assignment: np.ndarray        # atom → district 0..k−1
    objective: float
    imbalance: float
    centres: tuple[int, ...]      # unit index per district


def violation(problem: Problem, assignment: np.ndarray, k: int, require_facility: bool) -> tuple[float, int, int]:
    """(population outside the bounds, districts without a facility, earlier plans repeated or too similar
    plus pairs of lock labels sharing a district)."""
    pops = np.bincount(assignment, weights=problem.atom_population, minlength=k)
    excess = np.maximum(pops - problem.max_population, 0).sum() + np.maximum(problem.min_population - pops, 0).sum()
    missing = 0
    if require_facility:
        has = np.zeros(k, dtype=bool)
        has[assignment[problem.atom_facility]] = True
        missing = int((~has).sum())
    repeats = (sum(same_partition(assignment, old) for old in problem.distinct_from) + apart_broken(problem, assignment)
               + (too_similar(problem, assignment, k) if problem.distinct_full else 0))
    return float(excess if excess > 1e-6 else 0.0), missing, repeats


def is_feasible(problem: Problem, assignment: np.ndarray, k: int, require_facility: bool) -> bool:
    """Every rule: k non-empty districts, bounds, facilities, links, distinctness, connectivity."""
    if len(np.unique(assignment)) != k or assignment.min() < 0:
        return False
    if any(len(set(assignment[list(members)].tolist())) > 1 for members in problem.links):
        return False
    return violation(problem, assignment, k, require_facility) == (0.0, 0, 0) and all(
        connected(problem.atom_neighbours, np.flatnonzero(assignment == d).tolist()) for d in range(k))


# ---------------------------------------------------------------- constructions

def _seed_centres(problem: Problem, k: int, rng: random.Random) -> list[int]:
    """k atoms spread out: weighted farthest-point sampling (k-means++ style, seeded)."""
    m = problem.n_atoms
    weights = problem.atom_population + 1e-9
    first = rng.choices(range(m), weights=weights.tolist())[0]
    chosen = [first]
    d2 = (problem.atom_x - problem.atom_x[first]) ** 2 + (problem.atom_y - problem.atom_y[first]) ** 2
    while len(chosen) < k:
        score = d2 * weights
        score[chosen] = 0
        if score.sum() <= 0:
            rest = [a for a in range(m) if a not in chosen]
            nxt = rng.choice(rest)
        else:
            nxt = rng.choices(range(m), weights=score.tolist())[0]
        chosen.append(nxt)
        d2 = np.minimum(d2, (problem.atom_x - problem.atom_x[nxt]) ** 2 + (problem.atom_y - problem.atom_y[nxt]) ** 2)
    return chosen


def grow(problem: Problem, k: int, seeds: list[int]) -> np.ndarray:
    """Grow districts from seed atoms, cheapest (nearest) atom first, under the cap."""
    m = problem.n_atoms
    assignment = np.full(m, -1, dtype=np.int64)
    pops = np.zeros(k)
    cx = problem.atom_x[seeds]
    cy = problem.atom_y[seeds]
    heap: list[tuple[float, int, int]] = []
    for d, a in enumerate(seeds):
        heapq.heappush(heap, (0.0, a, d))
    cap = problem.max_population
    while heap:
        _, a, d = heapq.heappop(heap)
        if assignment[a] >= 0 or pops[d] + problem.atom_population[a] > cap + _EPS:
            continue
        assignment[a] = d
        pops[d] += problem.atom_population[a]
        for b in problem.atom_neighbours[a]:
            if assignment[b] < 0:
                heapq.heappush(heap, ((problem.atom_x[b] - cx[d]) ** 2 + (problem.atom_y[b] - cy[d]) ** 2, b, d))
    # Left-overs (blocked by full districts) join the lightest neighbouring district; caps are repaired later.
    while (assignment < 0).any():
        progressed = False
        for a in np.flatnonzero(assignment < 0):
            options = [assignment[b] for b in problem.atom_neighbours[a] if assignment[b] >= 0]
            if options:
                d = min(options, key=lambda d: (pops[d], d))
                assignment[a] = d
                pops[d] += problem.atom_population[a]
                progressed = True
        if not progressed:  # a part of the graph no seed reaches (disconnected graph): precheck says so
            break
    return assignment


def tree_split(problem: Problem, k: int, rng: random.Random, *, require_facility: bool,
               tries: int = 50) -> np.ndarray | None:
    """Recursive random spanning-tree splitting; None when no split was found in the tries."""
    m = problem.n_atoms
    low, high = problem.min_population, problem.max_population
    link_of = problem.link_of()
    for _ in range(tries):
        assignment = np.full(m, -1, dtype=np.int64)
        remaining = list(range(m))
        ok = True
        for r in range(k, 1, -1):
            part = _cut_off(problem, remaining, r, low, high, rng, link_of, require_facility)
            if part is None:
                ok = False
                break
            district = k - r
            assignment[part] = district
            taken = set(part)
            remaining = [a for a in remaining if a not in taken]
        if ok:
            assignment[remaining] = k - 1
            return assignment
    return None


def _cut_off(problem: Problem, atoms: list[int], r: int, low: float, high: float, rng: random.Random,
             link_of: np.ndarray, require_facility: bool, tree_tries: int = 20) -> list[int] | None:
    inside = set(atoms)
    pop = problem.atom_population
    total = float(pop[atoms].sum())
    facility_total = int(problem.atom_facility[atoms].sum())
    for _ in range(tree_tries):
        # Random spanning tree: Kruskal on random edge weights.
        edges = [(a, b) for a in atoms for b in problem.atom_neighbours[a] if b > a and b in inside]
        rng.shuffle(edges)
        tree = _kruskal_tree(atoms, edges)
        root = atoms[rng.randrange(len(atoms))]
        order = [root]
        up = {root: -1}
        for a in order:
            for b in tree[a]:
                if b not in up:
                    up[b] = a
                    order.append(b)
        if len(order) != len(atoms):
            return None  # the remaining atoms are not connected
        sub_pop = {a: float(pop[a]) for a in order}
        sub_fac = {a: int(problem.atom_facility[a]) for a in order}
        for a in reversed(order[1:]):
            sub_pop[up[a]] += sub_pop[a]
            sub_fac[up[a]] += sub_fac[a]
        candidates: list[tuple[int, bool]] = []
        for a in order[1:]:
            s, rest = sub_pop[a], total - sub_pop[a]
            fs, frest = sub_fac[a], facility_total - sub_fac[a]
            for take_subtree, part, other, fpart, fother in ((True, s, rest, fs, frest), (False, rest, s, frest, fs)):
                if low - _EPS <= part <= high + _EPS and (r - 1) * low - _EPS <= other <= (r - 1) * high + _EPS:
                    if require_facility and (fpart < 1 or fother < r - 1):
                        continue
                    candidates.append((a, take_subtree))
        rng.shuffle(candidates)
        for a, take_subtree in candidates:
            subtree = _subtree(tree, up, a)
            if not take_subtree:
                below = set(subtree)
                part = [b for b in atoms if b not in below]
            else:
                part = subtree
            if _splits_a_link(part, link_of, problem):
                continue
            return sorted(part)
    return None


def _kruskal_tree(atoms: list[int], edges: list[tuple[int, int]]) -> dict[int, list[int]]:
    """The spanning forest Kruskal's algorithm keeps from ``edges`` in their order, as adjacency lists;
    it stops once the tree is complete (the recombination's hot loop: on 500 tracts most of a step)."""
    forest = UnionFind()
    for a in atoms:
        forest.add(a)
    tree: dict[int, list[int]] = {a: [] for a in atoms}
    missing = len(atoms) - 1
    for a, b in edges:
        if not missing:
            break
        if forest.union(b, a):
            tree[a].append(b)
            tree[b].append(a)
            missing -= 1
    return tree


def _subtree(tree: dict[int, list[int]], up: dict[int, int], top: int) -> list[int]:
    out = [top]
    for a in out:
        out.extend(b for b in tree[a] if up.get(b) == a)
    return out


def _splits_a_link(part: list[int], link_of: np.ndarray, problem: Problem) -> bool:
    if not problem.links:
        return False
    chosen = set(part)
    for a in part:
        if link_of[a] >= 0 and any(b not in chosen for b in problem.links[link_of[a]]):
            return True
    return False


# ---------------------------------------------------------------- local search

class _State:
    """A mutable plan with incremental populations, used by the local search."""

    def __init__(self, problem: Problem, assignment: np.ndarray, k: int, objective: str, require_facility: bool):
        self.p = problem
        self.k = k
        self.objective = objective
        self.require_facility = require_facility
        self.assign = assignment.copy()
        self.pops = np.bincount(assignment, weights=problem.atom_population, minlength=k).astype(float)
        self.members: list[set[int]] = [set(np.flatnonzero(assignment == d).tolist()) for d in range(k)]
        self.facilities = np.bincount(assignment[problem.atom_facility], minlength=k) if problem.atom_facility.any() \
            else np.zeros(k, dtype=np.int64)
        self.link_of = problem.link_of()
        weights = problem.edge_weights(objective)
        self.edge_weight: list[dict[int, float]] = [dict() for _ in range(problem.n_atoms)]
        for u, v, w in zip(problem.edge_u.tolist(), problem.edge_v.tolist(), weights.tolist()):
            self.edge_weight[u][v] = w
            self.edge_weight[v][u] = w
        self.centres = centres_of(problem, self.assign, k)
        self.apart: list[list[int]] = [[] for _ in range(problem.n_atoms)]
        for a, b in problem.apart:
            self.apart[a].append(b)
            self.apart[b].append(a)

    def delta_apart(self, block: list[int], src: int, dst: int) -> int:
        """Change in the number of lock-label pairs sharing a district when the block moves."""
        inside = set(block)
        return sum(int(self.assign[b] == dst) - int(self.assign[b] == src)
                   for a in block for b in self.apart[a] if b not in inside)

    def block(self, a: int) -> list[int]:
        link = self.link_of[a]
        return [a] if link < 0 else list(self.p.links[link])

    def pop_violation(self, d: int, pop: float) -> float:
        return max(pop - self.p.max_population, 0.0) + max(self.p.min_population - pop, 0.0)

    def delta_objective(self, block: list[int], src: int, dst: int) -> float:
        if self.objective == "inertia":
            atoms = np.asarray(block)
            return float(self.p.atom_cost(atoms, self.centres[dst]).sum() - self.p.atom_cost(atoms, self.centres[src]).sum())
        inside = set(block)
        delta = 0.0
        for a in block:
            for b, w in self.edge_weight[a].items():
                if b in inside:
                    continue
                d = self.assign[b]
                if d == src:
                    delta += w
                elif d == dst:
                    delta -= w
        return delta

    def stays_connected(self, block: list[int], src: int) -> bool:
        """Whether ``src`` stays connected without the block: every part left over touches the block
        (``src`` was connected), so it suffices that the block's neighbours in ``src`` meet."""
        remaining = self.members[src] - set(block)
        if not remaining:
            return False
        touching = {b for a in block for b in self.p.atom_neighbours[a] if b in remaining}
        if len(touching) <= 1:
            return True
        return touching <= reach(self.p.atom_neighbours, min(touching), inside=remaining, until=touching)

    def joins_connected(self, block: list[int], dst: int) -> bool:
        if len(block) == 1:
            return any(self.assign[b] == dst for b in self.p.atom_neighbours[block[0]])
        return connected(self.p.atom_neighbours, self.members[dst] | set(block))

    def move(self, block: list[int], src: int, dst: int) -> None:
        pop = float(self.p.atom_population[block].sum())
        fac = int(self.p.atom_facility[block].sum())
        for a in block:
            self.assign[a] = dst
            self.members[src].discard(a)
            self.members[dst].add(a)
        self.pops[src] -= pop
        self.pops[dst] += pop
        self.facilities[src] -= fac
        self.facilities[dst] += fac


def local_search(problem: Problem, assignment: np.ndarray, k: int, objective: str, *,
                 require_facility: bool, deadline: float, max_passes: int = 200,
                 balance_first: bool = False) -> np.ndarray:
    """Improve a connected plan by moves that keep every district connected (see module docstring).

    ``balance_first``: after the rules, moves are ranked by balance before the objective. Population then
    flows from full districts to emptier ones through districts in between (a move between two districts
    at the cap is neutral for the rules but not for the balance), which repairs plans the objective-first
    order leaves stuck over the cap."""
    state = _State(problem, assignment, k, objective, require_facility)
    target = problem.total_population / k
    for _ in range(max_passes):
        improved = False
        for a in range(problem.n_atoms):
            if time.monotonic() > deadline:
                return state.assign
            src = int(state.assign[a])
            if state.link_of[a] >= 0 and a != problem.links[state.link_of[a]][0]:
                continue  # a linked group moves once, through its first atom
            block = state.block(a)
            dsts = sorted({int(state.assign[b]) for x in block for b in problem.atom_neighbours[x]} - {src})
            if not dsts:
                continue
            pop = float(problem.atom_population[block].sum())
            fac = int(problem.atom_facility[block].sum())
            before_src = state.pop_violation(src, state.pops[src])
            best: tuple[float, int, int, float, float, int] | None = None
            for dst in dsts:
                dv = (state.pop_violation(src, state.pops[src] - pop) + state.pop_violation(dst, state.pops[dst] + pop)
                      - before_src - state.pop_violation(dst, state.pops[dst]))
                dfac = 0
                if require_facility and fac:
                    dfac = int(state.facilities[src] - fac == 0) - int(state.facilities[dst] == 0)
                dobj = state.delta_objective(block, src, dst)
                dbal = (abs(state.pops[src] - pop - target) + abs(state.pops[dst] + pop - target)
                        - abs(state.pops[src] - target) - abs(state.pops[dst] - target))
                dapart = state.delta_apart(block, src, dst) if problem.apart else 0
                if balance_first:
                    # Σ (pop − target)² rather than Σ |pop − target|: moving from a fuller to an emptier
                    # district always pays, also when both are above the target (|·| is flat there).
                    spread = pop * (state.pops[dst] + pop - state.pops[src])
                    key = (dv if abs(dv) > 1e-6 else 0.0, dfac, dapart, spread, dobj)
                else:
                    key = (dv if abs(dv) > 1e-6 else 0.0, dfac, dapart, dobj, dbal)
                if key < (0.0, 0, 0, 0.0, -1e-9) and (best is None or key < best[:5]):
                    best = (*key, dst)
            if best is None:
                continue
            dst = best[5]
            if not state.stays_connected(block, src) or not state.joins_connected(block, dst):
                continue
            old = state.assign.copy() if problem.distinct_from else None
            before_repeats = sum(same_partition(state.assign, o) for o in problem.distinct_from)
            # a plan that differs enough from the earlier ones stays so (``Spec.distinct_share``)
            before_similar = too_similar(problem, state.assign, k) if problem.distinct_full else 0
            state.move(block, src, dst)
            if old is not None and (
                    sum(same_partition(state.assign, o) for o in problem.distinct_from) > before_repeats
                    or (problem.distinct_full and too_similar(problem, state.assign, k) > before_similar)):
                state.move(block, dst, src)
                continue
            improved = True
        if objective == "inertia":
            if not improved and not balance_first and problem.band_and_contiguity_only(require_facility):
                improved = _swap_pass(state, deadline)
            centres = centres_of(problem, state.assign, k)
            if centres != state.centres:
                state.centres = centres
                improved = True
        if not improved:
            break
    return state.assign


def _swap_pass(state: _State, deadline: float) -> bool:
    """Exchange two adjacent atoms of neighbouring districts where the cheaper inertia needs both moves:
    with districts filled close to the cap (the 2026 law's band fills them to ~94 %, a tight ``auto`` k
    to 95 %+) no single move fits, and single moves leave plans twice the inertia of a roomier k.
    Gains are computed for every edge across districts at once (the centres stay put during a pass) and
    tried best first. Whether it improved the plan."""
    problem = state.p
    u = np.concatenate([problem.edge_u, problem.edge_v])
    v = np.concatenate([problem.edge_v, problem.edge_u])
    du, dv = state.assign[u], state.assign[v]
    across = du != dv
    a, b, src, dst = u[across], v[across], du[across], dv[across]
    centres = np.asarray(state.centres)
    gain = (problem.atom_cost(a, centres[dst]) - problem.atom_cost(a, centres[src])
            + problem.atom_cost(b, centres[src]) - problem.atom_cost(b, centres[dst]))
    pop = problem.atom_population
    low, high = problem.min_population - _EPS, problem.max_population + _EPS
    improved = False
    for i in np.argsort(gain, kind="stable").tolist():
        if gain[i] >= -1e-9 * max(1.0, abs(float(gain[i]))) or time.monotonic() > deadline:
            break
        x, y, s, d = int(a[i]), int(b[i]), int(src[i]), int(dst[i])
        if state.assign[x] != s or state.assign[y] != d:
            continue  # an earlier swap of this pass moved one of them
        shift = float(pop[x] - pop[y])
        if not (low <= state.pops[s] - shift <= high and low <= state.pops[d] + shift <= high):
            continue
        if not state.stays_connected([x], s):
            continue
        state.move([x], s, d)
        if state.stays_connected([y], d) and state.joins_connected([y], s):
            state.move([y], d, s)
            improved = True
        else:
            state.move([x], d, s)
    return improved


# ---------------------------------------------------------------- driver

def repair_rules(problem: Problem, plan: np.ndarray, k: int, objective: str, *, require_facility: bool,
            deadline: float) -> np.ndarray | None:
    """A plan the objective-first search left breaking a rule, balanced until it meets them and then
    improved again (None when balancing does not help). At 800 units and a cap filled to 90 % on average,
    the objective-first search alone found no plan in 4 restarts."""
    plan = local_search(problem, plan, k, objective, require_facility=require_facility, deadline=deadline,
                        balance_first=True)
    if not is_feasible(problem, plan, k, require_facility):
        return None
    return local_search(problem, plan, k, objective, require_facility=require_facility, deadline=deadline)


def _better(a: Candidate, b: Candidate) -> bool:
    tolerance = 1e-9 * max(abs(a.objective), abs(b.objective), 1.0)
    if a.objective < b.objective - tolerance:
        return True
    return abs(a.objective - b.objective) <= tolerance and a.imbalance < b.imbalance - 1e-9


#: From this many atoms on, every restart of the heuristic is logged (a large community takes a while).
PROGRESS_ATOMS = 2_000


def heuristic_plan(problem: Problem, k: int, objective: str, *, require_facility: bool, seed: int,
                   deadline: float, restarts: int | None = None, first: bool = False) -> Candidate | None:
    """The best feasible plan over a fixed number of seeded restarts (None when none was feasible).

    The number of restarts is fixed by the size, not by the clock, so the answer is deterministic; the
    deadline only stops the search early when the caller's time is up. ``first``: return the first
    feasible plan (a quick "is there one?" for ``--districts auto``).
    """
    m = problem.n_atoms
    if k > m:
        return None
    if restarts is None:
        restarts = 24 if m <= 150 else 16 if m <= 600 else 4
    best: Candidate | None = None
    started = time.monotonic()
    for r in range(restarts):
        if time.monotonic() > deadline:
            break  # with or without a plan: the caller's time is up
        if m >= PROGRESS_ATOMS:
            log.info("heuristic k=%d: restart %d of %d (%d atoms), best %s, %.1f s", k, r + 1, restarts, m,
                     "none" if best is None else f"{best.objective:.6g}", time.monotonic() - started)
        rng = random.Random(seed * 1_000_003 + r * 7919 + k)
        starts: list[np.ndarray] = []
        if k == 1:
            starts.append(np.zeros(m, dtype=np.int64))
        else:
            grown = grow(problem, k, _seed_centres(problem, k, rng))
            if (grown >= 0).all() and len(np.unique(grown)) == k:
                starts.append(grown)
            if problem.min_population > 0 or problem.links or r % 3 == 2 or not starts:
                split = tree_split(problem, k, rng, require_facility=require_facility,
                                   tries=10 if starts else 30)
                if split is not None:
                    starts.append(split)
        for start in starts:
            if best is None and time.monotonic() > deadline:
                break
            if not all(connected(problem.atom_neighbours, np.flatnonzero(start == d).tolist()) for d in range(k)):
                continue
            plan = local_search(problem, start, k, objective, require_facility=require_facility, deadline=deadline)
            if not is_feasible(problem, plan, k, require_facility):
                plan = repair_rules(problem, plan, k, objective, require_facility=require_facility, deadline=deadline)
                if plan is None:
                    continue
            value, centres = evaluate(problem, plan, objective, k)
            candidate = Candidate(plan, value, imbalance(problem, plan, k), tuple(centres))
            if best is None or _better(candidate, best):
                best = candidate
            if first:
                return best
    log.debug("heuristic k=%d: %s in %.2f s", k, None if best is None else f"{best.objective:.6g}",
              time.monotonic() - started)
    return best


# ---------------------------------------------------------------- improvement until the deadline

def improve_edges_until(problem: Problem, candidate: Candidate, k: int, objective: str, *, require_facility: bool,
                        seed: int, deadline: float, polish_every: int = 200,
                        max_steps: int | None = None, splits_per_step: int = 1) -> tuple[Candidate, int]:
    """Recombination search for the edge objectives (``cut-edges``, ``boundary``) until the deadline
    (or ``max_steps`` steps: then the result does not depend on the machine's speed).

    Each step merges two neighbouring districts and re-splits their atoms at an edge of a random spanning
    tree of the union (both parts within the bounds, connected, links whole; with ``splits_per_step`` > 1
    the best of that many such splits); the split is kept when the weight of the edges cut inside the union
    does not grow (equal moves let the plan drift). Every
    ``polish_every`` steps the single-atom local search runs on the whole plan. Returns the best plan and
    the number of steps. Seeded, but how far it gets depends on the time budget.
    """
    rng = random.Random(seed * 1_000_003 + 104_729 + k)
    low, high = problem.min_population, problem.max_population
    link_of = problem.link_of()
    weights = problem.edge_weights(objective)
    incident: list[list[tuple[int, float]]] = [[] for _ in range(problem.n_atoms)]
    for u, v, w in zip(problem.edge_u.tolist(), problem.edge_v.tolist(), weights.tolist()):
        incident[u].append((v, w))
        incident[v].append((u, w))
    assign = candidate.assignment.copy()
    best = candidate
    steps = 0
    while time.monotonic() < deadline and (max_steps is None or steps < max_steps):
        steps += 1
        # Neighbouring district pairs, sorted so that the seeded choice is reproducible.
        cut = assign[problem.edge_u] != assign[problem.edge_v]
        pairs = sorted({(int(min(a, b)), int(max(a, b)))
                        for a, b in zip(assign[problem.edge_u[cut]].tolist(), assign[problem.edge_v[cut]].tolist())})
        if not pairs:
            break
        d1, d2 = pairs[rng.randrange(len(pairs))]
        atoms = np.flatnonzero((assign == d1) | (assign == d2)).tolist()
        inside = set(atoms)

        def internal_cut(side: dict[int, bool]) -> float:
            return sum(w for a in atoms for b, w in incident[a] if b > a and b in inside and side[a] != side[b])

        part, new = None, math.inf
        for _ in range(splits_per_step):
            trial_part = _cut_off(problem, atoms, 2, low, high, rng, link_of, require_facility, tree_tries=1)
            if trial_part is not None:
                chosen = set(trial_part)
                value = internal_cut({a: a in chosen for a in atoms})
                if value < new:
                    part, new = trial_part, value
        if part is None:
            continue
        old = internal_cut({a: bool(assign[a] == d1) for a in atoms})
        if new > old + 1e-9:
            continue
        trial = assign.copy()
        trial[atoms] = d2
        trial[part] = d1
        if problem.distinct_from and any(same_partition(trial, o) for o in problem.distinct_from):
            continue
        assign = trial
        if steps % polish_every == 0:
            assign = local_search(problem, assign, k, objective, require_facility=require_facility, deadline=deadline)
        if is_feasible(problem, assign, k, require_facility):
            value, centres = evaluate(problem, assign, objective, k)
            found = Candidate(assign.copy(), value, imbalance(problem, assign, k), tuple(centres))
            if _better(found, best):
                best = found
    return best, steps
