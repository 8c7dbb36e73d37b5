"""An independent re-check of a plan against the graph and the spec.

It deliberately shares no code with the models or the heuristic (only networkx and the spec), so that a
bug in the model cannot hide itself: every unit assigned exactly once, districts numbered 1..k and all
non-empty, populations within the cap and floor, every district connected, keep-together groups whole,
locks honoured, a facility in every district when required, and genuinely different from the plans in
``distinct_from``.

``find_violations`` returns each broken rule as a ``Violation`` record (which district, by how much, which
units), so that ``redistrict check`` can list them for a plan a person drew; ``verify`` returns their
messages. The solver's plans and a person's plans go through the same code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Mapping

import networkx as nx

from solver.spec import Spec

# Populations are sums of floats; allow rounding noise, never a real excess.
_POPULATION_SLACK = 1e-6


class Rule(str, Enum):
    """The rule a violation breaks."""

    UNKNOWN_UNIT = "unknown-unit"
    UNASSIGNED = "unassigned"
    BAD_DISTRICT = "bad-district"
    NUMBERING = "numbering"
    DISTRICT_COUNT = "district-count"
    OVER_CAP = "over-cap"
    UNDER_FLOOR = "under-floor"
    PIECES = "pieces"
    NO_FACILITY = "no-facility"
    GROUP_SPLIT = "group-split"
    LOCK_SPLIT = "lock-split"
    LOCKS_TOGETHER = "locks-together"
    SAME_AS_EARLIER = "same-as-earlier"
    TOO_SIMILAR = "too-similar"
    #: found by the caller on a drawn layer (geometry the solver never sees): a boundary cuts an estate
    ESTATE_CUT = "estate-cut"


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``district``: the district concerned (None for plan-wide rules); ``value`` and
    ``limit``: the number found and the rule's bound (e.g. population and cap); ``units``: the unit ids
    concerned (sorted); ``label``: a group or lock label; ``message``: the plain-words sentence."""

    rule: Rule
    message: str
    district: int | None = None
    value: float | None = None
    limit: float | None = None
    units: tuple[str, ...] = ()
    label: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"rule": self.rule.value, "message": self.message, "district": self.district,
                "value": self.value, "limit": self.limit, "units": list(self.units), "label": self.label}


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _ids(values: list[str], limit: int = 10) -> str:
    return ", ".join(values[:limit]) + (f" … ({len(values)} in all)" if len(values) > limit else "")


def _named(graph: nx.Graph, nodes: Mapping[str, object], unit: str) -> str:
    name = _label(graph.nodes[nodes[unit]].get("name"))
    return f"{unit} {name}" if name and name != unit else unit


def verify(graph: nx.Graph, spec: Spec, assignment: Mapping[str, int]) -> list[str]:
    """Every rule the plan breaks, in plain words; an empty list means the plan is valid."""
    return [v.message for v in find_violations(graph, spec, assignment)]


def find_violations(graph: nx.Graph, spec: Spec, assignment: Mapping[str, int]) -> list[Violation]:
    """Every rule the plan breaks, as records. Units left out or assigned to ids the graph lacks are
    reported, and the districts of the units that are assigned are still checked."""
    problems: list[Violation] = []
    nodes = {str(node): node for node in graph.nodes}
    keys = [str(key) for key in assignment]
    extra = sorted(set(keys) - set(nodes))
    if extra:
        problems.append(Violation(Rule.UNKNOWN_UNIT, f"{len(extra)} assigned id(s) are not units of the graph: "
                                  f"{_ids(extra)}", units=tuple(extra)))
    if len(set(keys)) != len(keys):
        problems.append(Violation(Rule.UNKNOWN_UNIT, "some unit is assigned more than once"))
    missing = sorted(set(nodes) - set(keys))
    if missing:
        problems.append(Violation(Rule.UNASSIGNED, f"{len(missing)} unit(s) have no district: {_ids(missing)}",
                                  value=float(len(missing)), units=tuple(missing)))
    district_of: dict[str, int] = {}
    for key, value in assignment.items():
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Violation(Rule.BAD_DISTRICT, f"unit {key!s} has district {value!r}, not an integer",
                                      units=(str(key),)))
            continue
        if str(key) in nodes:
            district_of[str(key)] = value
    if not district_of:
        return problems

    labels = sorted(set(district_of.values()))
    k = len(labels)
    if labels != list(range(1, k + 1)):
        problems.append(Violation(Rule.NUMBERING, f"districts must be numbered 1..{k} with none empty; "
                                  f"found {labels}"))
    if spec.districts != "auto" and k != spec.districts:
        problems.append(Violation(Rule.DISTRICT_COUNT, f"{k} districts, but the spec asks for {spec.districts}",
                                  value=float(k), limit=float(spec.districts)))

    members: dict[int, list[str]] = {d: [] for d in labels}
    for unit, d in district_of.items():
        members[d].append(unit)
    for d in labels:
        problems += _district_violations(graph, spec, nodes, d, sorted(members[d]))
    problems += _together_violations(graph, spec, nodes, district_of)
    for number, old in enumerate(spec.distinct_from, start=1):
        if _same_split(graph, spec, district_of, old, nodes):
            problems.append(Violation(Rule.SAME_AS_EARLIER,
                                      f"the plan splits the units exactly as earlier plan {number} does"))
        elif spec.distinct_share > 0:
            total = sum(float(graph.nodes[nodes[u]].get(spec.population_attr, 0) or 0) for u in district_of)
            moved = total - _agreement(graph, spec, district_of, old, nodes)
            if moved < spec.distinct_share * total - _POPULATION_SLACK:
                problems.append(Violation(
                    Rule.TOO_SIMILAR, f"the plan puts {moved:,.0f} {spec.population_attr} ({moved / total:.1%}) in "
                    f"another district than earlier plan {number} (best matching of labels); at least "
                    f"{spec.distinct_share:.0%} must move", value=moved, limit=spec.distinct_share * total))
    return problems


def moved_population(graph: nx.Graph, old: Mapping[str, int], new: Mapping[str, int], *,
                     attr: str = "population") -> tuple[float, dict[int, int]]:
    """(population in a different district, {new district: matched old district}) between two plans of
    the same units, after the matching of district labels that keeps the most people in place."""
    nodes = {str(node): node for node in graph.nodes}
    weights: dict[tuple[int, int], float] = {}
    total = 0.0
    # every old–new pair gets an edge (weight 0 when they share no one), so the matching pairs every label
    for a in set(int(v) for v in old.values()):
        for b in set(int(v) for v in new.values()):
            weights[(a, b)] = 0.0
    for unit, d in new.items():
        people = float(graph.nodes[nodes[str(unit)]].get(attr, 0) or 0)
        total += people
        key = (int(old[unit]), int(d))
        weights[key] = weights.get(key, 0.0) + people
    bipartite = nx.Graph()
    for (a, b), w in weights.items():
        bipartite.add_edge(("old", a), ("new", b), weight=w)
    matching = nx.max_weight_matching(bipartite)
    pairs = {}
    kept = 0.0
    for x, y in matching:
        (_, a), (_, b) = (x, y) if x[0] == "old" else (y, x)
        pairs[b] = a
        kept += weights[(a, b)]
    return total - kept, pairs


def _agreement(graph: nx.Graph, spec: Spec, new: Mapping[str, int], old: Mapping[str, int],
               nodes: Mapping[str, object]) -> float:
    total = sum(float(graph.nodes[nodes[u]].get(spec.population_attr, 0) or 0) for u in new)
    shared = {u: d for u, d in new.items() if u in old}
    moved, _ = moved_population(graph, {u: old[u] for u in shared}, shared, attr=spec.population_attr)
    return total - moved


def _district_violations(graph: nx.Graph, spec: Spec, nodes: Mapping[str, object], d: int,
                         units: list[str]) -> list[Violation]:
    problems: list[Violation] = []
    attr = spec.population_attr
    population = sum(float(graph.nodes[nodes[u]].get(attr, 0) or 0) for u in units)
    if population > spec.max_population + _POPULATION_SLACK:
        problems.append(Violation(Rule.OVER_CAP, f"district {d} has {population:,.0f} {attr}, above the cap "
                                  f"{spec.max_population:,.0f} by {population - spec.max_population:,.0f}",
                                  district=d, value=population, limit=float(spec.max_population)))
    if spec.min_population is not None and population < spec.min_population - _POPULATION_SLACK:
        problems.append(Violation(Rule.UNDER_FLOOR, f"district {d} has {population:,.0f} {attr}, below the "
                                  f"floor {spec.min_population:,.0f} by {spec.min_population - population:,.0f}",
                                  district=d, value=population, limit=float(spec.min_population)))
    sub = graph.subgraph([nodes[u] for u in units])
    if not nx.is_connected(sub):
        parts = sorted((sorted(str(u) for u in c) for c in nx.connected_components(sub)), key=lambda c: (-len(c), c))
        detail = "; ".join(f"[{_ids([_named(graph, nodes, u) for u in p], 4)}]" for p in parts[1:4]) + (
            " …" if len(parts) > 4 else "")
        problems.append(Violation(Rule.PIECES, f"district {d} is not contiguous: it falls into {len(parts)} "
                                  f"separate parts (besides the largest: {detail})", district=d,
                                  value=float(len(parts)), units=tuple(u for p in parts[1:] for u in p)))
    if spec.require_facility and not any((graph.nodes[nodes[u]].get(spec.facility_attr) or 0) > 0 for u in units):
        problems.append(Violation(Rule.NO_FACILITY, f"district {d} has no service facility", district=d))
    return problems


def _together_violations(graph: nx.Graph, spec: Spec, nodes: Mapping[str, object],
                         district_of: Mapping[str, int]) -> list[Violation]:
    """Keep-together groups split, lock labels split, two lock labels in one district."""
    problems: list[Violation] = []
    if spec.group_attr is not None:
        group_districts: dict[str, dict[int, list[str]]] = {}
        for unit, d in sorted(district_of.items()):
            label = _label(graph.nodes[nodes[unit]].get(spec.group_attr))
            if label is not None:
                group_districts.setdefault(label, {}).setdefault(d, []).append(unit)
        for label, where in sorted(group_districts.items()):
            if len(where) > 1:
                problems.append(Violation(Rule.GROUP_SPLIT, f"group {label!r} is split between districts "
                                          f"{sorted(where)}", label=label,
                                          units=tuple(sorted(u for us in where.values() for u in us))))
    if spec.locks:
        lock_districts: dict[str, dict[int, list[str]]] = {}
        for unit, label in sorted((str(u), str(v)) for u, v in spec.locks.items()):
            if unit in district_of:
                lock_districts.setdefault(label, {}).setdefault(district_of[unit], []).append(unit)
        for label, where in sorted(lock_districts.items()):
            if len(where) > 1:
                problems.append(Violation(Rule.LOCK_SPLIT, f"lock {label!r} is split between districts "
                                          f"{sorted(where)}", label=label,
                                          units=tuple(sorted(u for us in where.values() for u in us))))
        labels_in: dict[int, set[str]] = {}
        for label, where in lock_districts.items():
            for d in where:
                labels_in.setdefault(d, set()).add(label)
        for d, found in sorted(labels_in.items()):
            if len(found) > 1:
                problems.append(Violation(Rule.LOCKS_TOGETHER, f"district {d} holds locks "
                                          f"{'、'.join(repr(x) for x in sorted(found))}, which must be apart",
                                          district=d, label="、".join(sorted(found))))
    return problems


def _same_split(graph: nx.Graph, spec: Spec, new: Mapping[str, int], old: Mapping[str, int],
                nodes: Mapping[str, object]) -> bool:
    marked = [u for u in sorted(new) if _label(graph.nodes[nodes[u]].get(spec.distinct_attr)) is not None]
    if not marked:
        marked = sorted(new)
    forward: dict[int, int] = {}
    backward: dict[int, int] = {}
    for unit in marked:
        if unit not in old:
            return False
        a, b = int(old[unit]), new[unit]
        if forward.setdefault(a, b) != b or backward.setdefault(b, a) != a:
            return False
    return True
