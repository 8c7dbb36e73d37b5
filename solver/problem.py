"""The graph and spec turned into sorted integer arrays that every model and heuristic works on.

Keep-together groups are contracted into *atoms*: an atom is one connected component of a group (or a
single ungrouped unit). Contracting a connected set of units changes no district's connectivity, so the
models work on the atom graph; a group that falls apart into several components gets one atom per
component and the components are *linked* (always in the same district).

Locks (``Spec.locks``) reuse the same mechanism: a lock label joins the units holding it (and, through
them, their keep-together groups) into one *together set*, contracted and linked exactly like a group;
different lock labels must not share a district, which the models state as pairwise rows over one
representative atom per label (``Problem.apart``).

Moment of inertia is decomposed per atom: for an atom ``a`` with population ``P_a``, weighted mean
``m_a`` and internal inertia ``I_a = Σ_{i∈a} p_i |u_i − m_a|²``, the inertia of its units about any
point ``c`` is ``P_a |m_a − c|² + I_a`` (exact), so atoms carry (P_a, m_a, I_a) and nothing is lost.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import networkx as nx
import numpy as np

from solver.errors import SpecError
from solver.graphs import reach
from solver.spec import Spec

#: An edge along a road or river is this much cheaper to cut in the ``boundary`` objective: a new
#: boundary that follows a road or river is easy to see on the ground and to describe in words.
BARRIER_WEIGHT = 0.2


@dataclass(frozen=True, eq=False)
class Problem:
    """Arrays over units (sorted by unit id) and over atoms (contracted keep-together groups)."""

    unit_ids: tuple[str, ...]
    unit_x: np.ndarray
    unit_y: np.ndarray
    unit_population: np.ndarray
    unit_atom: np.ndarray                # atom index of every unit
    atom_units: tuple[tuple[int, ...], ...]
    atom_population: np.ndarray
    atom_x: np.ndarray                   # population-weighted mean (plain mean when the atom is empty)
    atom_y: np.ndarray
    atom_inertia: np.ndarray             # Σ p |u − m|² inside the atom
    atom_facility: np.ndarray            # bool: the atom holds a service facility
    atom_neighbours: tuple[tuple[int, ...], ...]
    edge_u: np.ndarray                   # atom-graph edges, u < v
    edge_v: np.ndarray
    edge_count: np.ndarray               # how many unit edges the atom edge stands for
    edge_boundary: np.ndarray            # Σ length_m × (BARRIER_WEIGHT along a barrier, else 1)
    links: tuple[tuple[int, ...], ...]   # atoms of one group that must share a district (≥ 2 each)
    total_population: float
    max_population: float
    min_population: float
    # Earlier plans to differ from: atom → 0-based district on the atoms that hold a unit with a
    # non-empty ``spec.distinct_attr`` (all atoms when no unit has one), −1 elsewhere.
    distinct_from: tuple[np.ndarray, ...] = field(default=())
    # With ``Spec.distance``: cost[a, c] = Σ_{i∈a} p_i · distance(i, c)² (atoms × units), and atom_inertia
    # is zero because no centroid decomposition holds for an arbitrary distance. None: Euclidean x/y.
    custom_cost: np.ndarray | None = None
    # Locks: pairs (a, b), a < b, of representative atoms of two lock labels that must not share a district.
    apart: tuple[tuple[int, int], ...] = field(default=())
    # Earlier plans as atom → 0-based district on every atom, and the population that must move
    # (``Spec.distinct_share`` × total) for a plan to differ enough from each (``solver.difference``).
    distinct_full: tuple[np.ndarray, ...] = field(default=())
    distinct_population: float = 0.0

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_atoms(self) -> int:
        return len(self.atom_units)

    def atom_cost(self, atom: int | np.ndarray, centre_unit: int | np.ndarray) -> np.ndarray:
        """Inertia of the atom's units about the centre unit (person·m², or person·distance² with
        ``Spec.distance``)."""
        if self.custom_cost is not None:
            return self.custom_cost[atom, centre_unit]
        dx = self.atom_x[atom] - self.unit_x[centre_unit]
        dy = self.atom_y[atom] - self.unit_y[centre_unit]
        return self.atom_population[atom] * (dx * dx + dy * dy) + self.atom_inertia[atom]

    def band_and_contiguity_only(self, require_facility: bool) -> bool:
        """Whether the population band and contiguity are the only rules: no group split in parts, no
        locks, no facility rule, no earlier plans to differ from. Stages that state only those two rules
        (swaps, reassignment, the set-partitioning bound) run only then."""
        return not (self.links or self.apart or self.distinct_from or self.distinct_full or require_facility)

    def edge_weights(self, objective: str) -> np.ndarray:
        """What cutting each atom edge costs in an edge objective: the unit edges it stands for
        (``cut-edges``) or its boundary length, cheaper along a barrier (``boundary``)."""
        return self.edge_count if objective == "cut-edges" else self.edge_boundary

    def restricted_to(self, atoms: np.ndarray) -> "Problem":
        """The problem on these atoms alone (sorted, ascending), re-indexed 0..len − 1: the same band, the
        edges between them, links wholly inside; total population is theirs. For the plain problem only
        (``band_and_contiguity_only``): locks and earlier plans have no meaning on a part."""
        atoms = np.asarray(atoms, dtype=np.int64)
        new_atom = np.full(self.n_atoms, -1, dtype=np.int64)
        new_atom[atoms] = np.arange(len(atoms))
        units = np.flatnonzero(new_atom[self.unit_atom] >= 0)
        new_unit = np.full(self.n_units, -1, dtype=np.int64)
        new_unit[units] = np.arange(len(units))
        inside = (new_atom[self.edge_u] >= 0) & (new_atom[self.edge_v] >= 0)
        return Problem(
            unit_ids=tuple(self.unit_ids[i] for i in units.tolist()), unit_x=self.unit_x[units],
            unit_y=self.unit_y[units], unit_population=self.unit_population[units],
            unit_atom=new_atom[self.unit_atom[units]],
            atom_units=tuple(tuple(new_unit[list(self.atom_units[a])].tolist()) for a in atoms.tolist()),
            atom_population=self.atom_population[atoms], atom_x=self.atom_x[atoms], atom_y=self.atom_y[atoms],
            atom_inertia=self.atom_inertia[atoms], atom_facility=self.atom_facility[atoms],
            atom_neighbours=tuple(tuple(int(new_atom[b]) for b in self.atom_neighbours[a] if new_atom[b] >= 0)
                                  for a in atoms.tolist()),
            edge_u=new_atom[self.edge_u[inside]], edge_v=new_atom[self.edge_v[inside]],
            edge_count=self.edge_count[inside], edge_boundary=self.edge_boundary[inside],
            links=tuple(tuple(int(new_atom[a]) for a in members) for members in self.links
                        if all(new_atom[a] >= 0 for a in members)),
            total_population=float(self.atom_population[atoms].sum()),
            max_population=self.max_population, min_population=self.min_population,
            custom_cost=None if self.custom_cost is None else self.custom_cost[np.ix_(atoms, units)])

    def link_of(self) -> np.ndarray:
        """For every atom, the index of its link set, or −1."""
        out = np.full(self.n_atoms, -1, dtype=np.int64)
        for index, members in enumerate(self.links):
            out[list(members)] = index
        return out


def _number(value: object, *, what: str, unit_id: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(f"unit {unit_id!r}: {what} must be a number, got {value!r}; fix the graph's node attributes")
    number = float(value)
    if not math.isfinite(number):
        raise SpecError(f"unit {unit_id!r}: {what} is {number}; give a finite number")
    return number


def check_spec(spec: Spec) -> None:
    """Raise SpecError for a spec that makes no sense whatever the graph (type first, then value)."""
    if not isinstance(spec, Spec):
        raise SpecError(f"spec must be a solver.Spec, got {type(spec).__name__}")
    if not isinstance(spec.max_population, (int, float)) or not spec.max_population > 0:
        raise SpecError(f"max_population must be a positive number, got {spec.max_population!r}")
    if spec.min_population is not None:
        if not isinstance(spec.min_population, (int, float)) or spec.min_population < 0:
            raise SpecError(f"min_population must be a number ≥ 0 or None, got {spec.min_population!r}")
        if spec.min_population > spec.max_population:
            raise SpecError(f"min_population {spec.min_population:,} exceeds max_population "
                            f"{spec.max_population:,}")
    if spec.districts != "auto" and (isinstance(spec.districts, bool) or not isinstance(spec.districts, int)
                                     or spec.districts < 1):
        raise SpecError(f"districts must be a positive integer or 'auto', got {spec.districts!r}")
    if spec.objective not in ("inertia", "boundary", "cut-edges"):
        raise SpecError(f"objective must be one of inertia, boundary, cut-edges; got {spec.objective!r}")
    if spec.backend not in ("highs", "cbc"):
        raise SpecError(f"backend must be 'highs' or 'cbc', got {spec.backend!r}")
    if not isinstance(spec.time_limit_s, (int, float)) or not spec.time_limit_s > 0:
        raise SpecError(f"time_limit_s must be a positive number of seconds, got {spec.time_limit_s!r}")
    if isinstance(spec.threads, bool) or not isinstance(spec.threads, int) or spec.threads < 1:
        raise SpecError(f"threads must be a whole number ≥ 1, got {spec.threads!r}")
    if spec.distance is not None and not callable(spec.distance):
        raise SpecError(f"distance must be a function (unit id, centre unit id) → number or None, "
                        f"got {spec.distance!r}")
    if isinstance(spec.distinct_share, bool) or not isinstance(spec.distinct_share, (int, float)) \
            or not 0 <= spec.distinct_share < 1:
        raise SpecError(f"distinct_share must be a share from 0 to below 1, got {spec.distinct_share!r}")
    if spec.max_districts is not None and (isinstance(spec.max_districts, bool)
                                           or not isinstance(spec.max_districts, int) or spec.max_districts < 1):
        raise SpecError(f"max_districts must be a positive integer or None, got {spec.max_districts!r}")


def group_label(data: Mapping[str, object], attr: str | None) -> str | None:
    """The keep-together label of a node, or None (missing, None, NaN and blank mean 'no group')."""
    if attr is None:
        return None
    value = data.get(attr)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def build_problem(graph: nx.Graph, spec: Spec) -> Problem:
    """Arrays for the models; raises SpecError naming the unit when an attribute is missing or bad."""
    unit_ids = tuple(sorted(str(node) for node in graph.nodes))
    if len(unit_ids) != graph.number_of_nodes():
        raise SpecError("unit ids must be distinct as strings; two nodes print the same")
    node_of = {str(node): node for node in graph.nodes}
    index = {uid: i for i, uid in enumerate(unit_ids)}
    n = len(unit_ids)
    pop = np.zeros(n)
    xs = np.zeros(n)
    ys = np.zeros(n)
    facility = np.zeros(n, dtype=bool)
    labels: list[str | None] = []
    for i, uid in enumerate(unit_ids):
        data = graph.nodes[node_of[uid]]
        if spec.population_attr not in data:
            raise SpecError(f"unit {uid!r} has no {spec.population_attr!r} attribute; every node needs one")
        pop[i] = _number(data[spec.population_attr], what=spec.population_attr, unit_id=uid)
        if pop[i] < 0:
            raise SpecError(f"unit {uid!r}: {spec.population_attr} is negative ({pop[i]:g})")
        for axis, arr in (("x", xs), ("y", ys)):
            if axis not in data:
                raise SpecError(f"unit {uid!r} has no {axis!r} coordinate (metres); every node needs x and y")
            arr[i] = _number(data[axis], what=axis, unit_id=uid)
        raw_facility = data.get(spec.facility_attr) or 0
        facility[i] = _number(raw_facility, what=spec.facility_attr, unit_id=uid) > 0
        labels.append(group_label(data, spec.group_attr))
    locks = lock_labels(spec, unit_ids)
    labels = together_labels(labels, locks)

    unit_adj: list[list[int]] = [[] for _ in range(n)]
    for a, b in graph.edges:
        i, j = index[str(a)], index[str(b)]
        if i != j:
            unit_adj[i].append(j)
            unit_adj[j].append(i)

    # Atoms: connected components of each group inside the group's own induced subgraph.
    group_units: dict[str, set[int]] = {}
    for i, label in enumerate(labels):
        if label is not None:
            group_units.setdefault(label, set()).add(i)
    unit_atom = np.full(n, -1, dtype=np.int64)
    atom_units: list[tuple[int, ...]] = []
    group_atoms: dict[str, list[int]] = {}
    for i in range(n):
        if unit_atom[i] >= 0:
            continue
        label = labels[i]
        members = [i] if label is None else sorted(reach(unit_adj, i, inside=group_units[label]))
        unit_atom[members] = len(atom_units)
        if label is not None:
            group_atoms.setdefault(label, []).append(len(atom_units))
        atom_units.append(tuple(members))
    m = len(atom_units)
    atom_pop = np.array([pop[list(us)].sum() for us in atom_units])
    atom_x = np.zeros(m)
    atom_y = np.zeros(m)
    atom_inertia = np.zeros(m)
    for a, us in enumerate(atom_units):
        idx = list(us)
        weights = pop[idx]
        if weights.sum() > 0:
            atom_x[a] = float(np.dot(weights, xs[idx]) / weights.sum())
            atom_y[a] = float(np.dot(weights, ys[idx]) / weights.sum())
        else:
            atom_x[a] = float(xs[idx].mean())
            atom_y[a] = float(ys[idx].mean())
        atom_inertia[a] = float(np.dot(weights, (xs[idx] - atom_x[a]) ** 2 + (ys[idx] - atom_y[a]) ** 2))
    atom_facility = np.array([bool(facility[list(us)].any()) for us in atom_units], dtype=bool)

    edge_count: dict[tuple[int, int], int] = {}
    edge_boundary: dict[tuple[int, int], float] = {}
    for a, b, data in graph.edges(data=True):
        i, j = unit_atom[index[str(a)]], unit_atom[index[str(b)]]
        if i == j:
            continue
        key = (int(min(i, j)), int(max(i, j)))
        length = data.get("length_m", 0.0) or 0.0
        length = _number(length, what="edge length_m", unit_id=f"{a}–{b}")
        weight = BARRIER_WEIGHT if data.get("barrier") else 1.0
        edge_count[key] = edge_count.get(key, 0) + 1
        edge_boundary[key] = edge_boundary.get(key, 0.0) + weight * max(length, 0.0)
    keys = sorted(edge_count)
    neighbours: list[set[int]] = [set() for _ in range(m)]
    for u, v in keys:
        neighbours[u].add(v)
        neighbours[v].add(u)

    links = tuple(tuple(sorted(atoms)) for _, atoms in sorted(group_atoms.items()) if len(atoms) > 1)
    marked = np.array([group_label(graph.nodes[node_of[uid]], spec.distinct_attr) is not None
                       for uid in unit_ids], dtype=bool)
    if not marked.any():
        marked[:] = True
    distinct = tuple(_old_partition(old, unit_ids, unit_atom, marked, m) for old in spec.distinct_from)
    custom_cost = None
    if spec.distance is not None and spec.objective == "inertia":
        custom_cost = _custom_cost(spec, unit_ids, pop, atom_units)
        atom_inertia = np.zeros(m)
    return Problem(
        unit_ids=unit_ids, unit_x=xs, unit_y=ys, unit_population=pop, unit_atom=unit_atom,
        atom_units=tuple(atom_units), atom_population=atom_pop, atom_x=atom_x, atom_y=atom_y,
        atom_inertia=atom_inertia, atom_facility=atom_facility,
        atom_neighbours=tuple(tuple(sorted(s)) for s in neighbours),
        edge_u=np.array([k[0] for k in keys], dtype=np.int64),
        edge_v=np.array([k[1] for k in keys], dtype=np.int64),
        edge_count=np.array([edge_count[k] for k in keys], dtype=float),
        edge_boundary=np.array([edge_boundary[k] for k in keys], dtype=float),
        links=links, total_population=float(pop.sum()),
        max_population=float(spec.max_population),
        min_population=float(spec.min_population or 0.0),
        distinct_from=distinct, custom_cost=custom_cost, apart=_apart_pairs(locks, unit_atom),
        distinct_full=tuple(_old_partition(old, unit_ids, unit_atom, np.ones(n, dtype=bool), m)
                            for old in spec.distinct_from) if spec.distinct_share > 0 else (),
        distinct_population=float(spec.distinct_share) * float(pop.sum()),
    )


def lock_labels(spec: Spec, unit_ids: tuple[str, ...]) -> dict[int, str]:
    """{unit index: lock label} from ``spec.locks``; SpecError naming an id that is not a unit or a blank
    label."""
    if not spec.locks:
        return {}
    index = {uid: i for i, uid in enumerate(unit_ids)}
    out: dict[int, str] = {}
    for uid, label in spec.locks.items():
        if str(uid) not in index:
            raise SpecError(f"locks: {uid!r} is not a unit of the graph")
        text = group_label({"lock": label}, "lock")
        if text is None:
            raise SpecError(f"locks: unit {uid!r} has an empty lock label")
        out[index[str(uid)]] = text
    return out


def together_labels(groups: list[str | None], locks: Mapping[int, str]) -> list[str | None]:
    """One label per unit for the units that must share a district: a keep-together group and a lock label
    that meet in one unit become one set (union-find over the labels); None for a free unit."""
    if not locks:
        return groups
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(token: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(token, token)
        while parent[token] != token:
            parent[token] = parent[parent[token]]
            token = parent[token]
        return token

    for i, group in enumerate(groups):
        if group is not None and i in locks:
            a, b = find(("group", group)), find(("lock", locks[i]))
            if a != b:
                parent[max(a, b)] = min(a, b)
    out: list[str | None] = []
    for i, group in enumerate(groups):
        token = ("lock", locks[i]) if i in locks else ("group", group) if group is not None else None
        out.append(None if token is None else "\x1f".join(find(token)))
    return out


def _apart_pairs(locks: Mapping[int, str], unit_atom: np.ndarray) -> tuple[tuple[int, int], ...]:
    """One representative atom per lock label (its smallest unit's atom); a pair for every two labels.
    Two labels on one atom (a group joins them) give no pair: ``precheck`` reports that conflict."""
    first: dict[str, int] = {}
    for i in sorted(locks):
        first.setdefault(locks[i], int(unit_atom[i]))
    reps = [first[label] for label in sorted(first)]
    return tuple(sorted({(min(a, b), max(a, b)) for i, a in enumerate(reps) for b in reps[i + 1:] if a != b}))


def _custom_cost(spec: Spec, unit_ids: tuple[str, ...], pop: np.ndarray,
                 atom_units: list[tuple[int, ...]]) -> np.ndarray:
    """cost[a, c] = Σ_{i∈a} p_i · distance(i, c)² with the spec's distance; names the pair on a bad value."""
    n = len(unit_ids)
    squared = np.empty((n, n))
    for i, uid in enumerate(unit_ids):
        for c, cid in enumerate(unit_ids):
            value = _number(spec.distance(uid, cid), what=f"distance to unit {cid!r}", unit_id=uid)
            if value < 0:
                raise SpecError(f"unit {uid!r}: distance to unit {cid!r} is negative ({value:g}); "
                                "give a distance ≥ 0")
            squared[i, c] = value * value
    weighted = pop[:, None] * squared
    return np.stack([weighted[list(us)].sum(axis=0) for us in atom_units]) if atom_units else np.zeros((0, n))


def _old_partition(old: Mapping[str, int], unit_ids: tuple[str, ...], unit_atom: np.ndarray,
                   marked: np.ndarray, n_atoms: int) -> np.ndarray:
    """An earlier plan as atom → 0-based district on the marked atoms, −1 elsewhere."""
    labels = sorted({int(v) for v in old.values()})
    rank = {label: r for r, label in enumerate(labels)}
    out = np.full(n_atoms, -1, dtype=np.int64)
    for i, uid in enumerate(unit_ids):
        if uid not in old:
            raise SpecError(f"distinct_from: an earlier plan does not assign unit {uid!r}")
        a = unit_atom[i]
        if marked[i] and out[a] < 0:
            out[a] = rank[int(old[uid])]
    return out


def same_partition(assignment: np.ndarray, old: np.ndarray) -> bool:
    """Whether the plan splits the marked atoms (old ≥ 0) exactly as the earlier plan did."""
    marked = old >= 0
    pairs = set(zip(old[marked].tolist(), assignment[marked].tolist()))
    olds = {a for a, _ in pairs}
    news = {b for _, b in pairs}
    return len(pairs) == len(olds) == len(news)


def minimum_districts(total: float, cap: float) -> int:
    """ceil(total / cap), at least 1: fewer districts cannot hold the population."""
    return max(1, math.ceil(total / cap - 1e-9))
