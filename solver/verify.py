"""An independent re-check of a plan against the graph and the spec.

It deliberately shares no code with the models or the heuristic (only networkx and the spec), so that a
bug in the model cannot hide itself: every unit assigned exactly once, districts numbered 1..k and all
non-empty, populations within the cap and floor, every district connected, keep-together groups whole,
a facility in every district when required, and genuinely different from the plans in ``distinct_from``.
"""
from __future__ import annotations

import math
from typing import Mapping

import networkx as nx

from solver.spec import Spec

# Populations are sums of floats; allow rounding noise, never a real excess.
_POPULATION_SLACK = 1e-6


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def verify(graph: nx.Graph, spec: Spec, assignment: Mapping[str, int]) -> list[str]:
    """Every rule the plan breaks, in plain words; an empty list means the plan is valid."""
    problems: list[str] = []
    nodes = {str(node): node for node in graph.nodes}
    keys = [str(key) for key in assignment]
    extra = sorted(set(keys) - set(nodes))
    if extra:
        problems.append(f"{len(extra)} assigned id(s) are not units of the graph: {', '.join(extra[:10])}")
    if len(set(keys)) != len(keys):
        problems.append("some unit is assigned more than once")
    missing = sorted(set(nodes) - set(keys))
    if missing:
        problems.append(f"{len(missing)} unit(s) have no district: {', '.join(missing[:10])}")
    district_of: dict[str, int] = {}
    for key, value in assignment.items():
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"unit {key!s} has district {value!r}, not an integer")
            continue
        district_of[str(key)] = value
    if problems:
        return problems

    labels = sorted(set(district_of.values()))
    k = len(labels)
    if labels != list(range(1, k + 1)):
        problems.append(f"districts must be numbered 1..{k} with none empty; found {labels}")
    if spec.districts != "auto" and k != spec.districts:
        problems.append(f"{k} districts, but the spec asks for {spec.districts}")

    members: dict[int, list[str]] = {d: [] for d in labels}
    for unit, d in district_of.items():
        members[d].append(unit)
    for d in labels:
        population = 0.0
        for unit in members[d]:
            value = graph.nodes[nodes[unit]].get(spec.population_attr, 0) or 0
            population += float(value)
        if population > spec.max_population + _POPULATION_SLACK:
            problems.append(f"district {d} has {population:,.0f} {spec.population_attr}, above the cap "
                            f"{spec.max_population:,.0f}")
        if spec.min_population is not None and population < spec.min_population - _POPULATION_SLACK:
            problems.append(f"district {d} has {population:,.0f} {spec.population_attr}, below the floor "
                            f"{spec.min_population:,.0f}")
        sub = graph.subgraph([nodes[u] for u in members[d]])
        if not nx.is_connected(sub):
            parts = nx.number_connected_components(sub)
            problems.append(f"district {d} is not contiguous: it falls into {parts} separate parts")
        if spec.require_facility and not any(
                (graph.nodes[nodes[u]].get(spec.facility_attr) or 0) > 0 for u in members[d]):
            problems.append(f"district {d} has no service facility")

    if spec.group_attr is not None:
        group_districts: dict[str, set[int]] = {}
        for unit, d in district_of.items():
            label = _label(graph.nodes[nodes[unit]].get(spec.group_attr))
            if label is not None:
                group_districts.setdefault(label, set()).add(d)
        for label, ds in sorted(group_districts.items()):
            if len(ds) > 1:
                problems.append(f"group {label!r} is split between districts {sorted(ds)}")

    for number, old in enumerate(spec.distinct_from, start=1):
        if _same_split(graph, spec, district_of, old, nodes):
            problems.append(f"the plan splits the units exactly as earlier plan {number} does")
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
