"""Reasons, in plain words, why no plan can exist — found by arithmetic and graph checks before solving."""
from __future__ import annotations

import math

import networkx as nx
import numpy as np

from solver.graphs import components
from solver.problem import (Problem, build_problem, check_spec, group_label, lock_labels, minimum_districts,
                            together_labels)
from solver.spec import Spec


def _named(graph: nx.Graph, node: object) -> str:
    name = graph.nodes[node].get("name")
    return f"unit {node}" + (f" ({name})" if name not in (None, "") else "")


def _ids(values: list[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" … ({len(values)} in all)" if len(values) > limit else "")


def parts_of(problem: Problem) -> list[list[int]]:
    """The atoms of each connected part of the graph, ordered by their smallest atom. Every district lies
    inside one part, so each part is districted on its own."""
    return [sorted(part) for part in components(problem.atom_neighbours, range(problem.n_atoms))]


def district_range(problem: Problem) -> tuple[int, int]:
    """The fewest and most districts any plan can have, by arithmetic on each part of the graph: a part of
    population P needs at least ceil(P / cap) districts and has room for at most floor(P / floor) (and at
    most one per atom). The range is empty (low > high) when some part cannot be districted at all."""
    low = high = 0
    for atoms in parts_of(problem):
        population = float(problem.atom_population[atoms].sum())
        low += minimum_districts(population, problem.max_population)
        most = len(atoms)
        if problem.min_population > 0:
            most = min(most, math.floor(population / problem.min_population + 1e-9))
        high += most
    return max(low, 1), high


def candidate_districts(problem: Problem, spec: Spec) -> range:
    """The numbers of districts worth trying, before any solving."""
    if spec.districts != "auto":
        return range(spec.districts, spec.districts + 1)
    low, high = district_range(problem)
    # every lock label needs a district of its own
    low = max(low, len(set(lock_labels(spec, problem.unit_ids).values())))
    if spec.max_districts is not None:
        high = min(high, spec.max_districts)
    return range(low, max(low, high + 1)) if high >= low else range(low, low)


def precheck(graph: nx.Graph, spec: Spec) -> list[str]:
    """Every reason found that no plan can exist (empty when none is found; solving may still fail).

    Raises SpecError for a malformed spec or graph (a missing attribute, a negative population).
    """
    check_spec(spec)
    if graph.number_of_nodes() == 0:
        return ["the graph has no units"]
    return problem_reasons(graph, spec, build_problem(graph, spec))


def problem_reasons(graph: nx.Graph, spec: Spec, problem: Problem) -> list[str]:
    """``precheck`` on a problem already built from the graph (``solve`` builds it once for both)."""
    reasons: list[str] = []
    attr, cap = spec.population_attr, problem.max_population
    nodes = {str(node): node for node in graph.nodes}

    for i in np.flatnonzero(problem.unit_population > cap + 1e-9):
        uid = problem.unit_ids[i]
        reasons.append(f"{_named(graph, nodes[uid])} alone has {problem.unit_population[i]:,.0f} {attr}, "
                       f"above the cap of {cap:,.0f}; raise the cap or split that unit")
    if spec.group_attr is not None:
        groups: dict[str, list[int]] = {}
        for i, uid in enumerate(problem.unit_ids):
            label = group_label(graph.nodes[nodes[uid]], spec.group_attr)
            if label is not None:
                groups.setdefault(label, []).append(i)
        for label, members in sorted(groups.items()):
            population = float(problem.unit_population[members].sum())
            if len(members) > 1 and population > cap + 1e-9:
                reasons.append(f"group {label!r} ({len(members)} units: "
                               f"{_ids([problem.unit_ids[i] for i in members], 4)}) has {population:,.0f} {attr} "
                               f"together, above the cap of {cap:,.0f}; it must stay whole")

    reasons += _lock_reasons(graph, spec, problem)

    parts = parts_of(problem)
    if len(parts) > 1:
        reasons.extend(_part_reasons(problem, spec, parts))

    total = problem.total_population
    floor = problem.min_population
    k_range = candidate_districts(problem, spec)
    needed = minimum_districts(total, cap)
    if spec.districts != "auto":
        k = spec.districts
        low, high = district_range(problem)
        if len(parts) > 1 and k < low and k * cap >= total - 1e-9:
            reasons.append(f"{k} districts are asked for, but the graph's {len(parts)} separate parts need "
                           f"at least {low} (each part has its own districts; no district reaches across)")
        if len(parts) > 1 and low <= high < k and k <= problem.n_atoms and k * floor <= total + 1e-9:
            reasons.append(f"{k} districts are asked for, but the graph's {len(parts)} separate parts have "
                           f"room for at most {high} (one per unit, and under the floor of {floor:,.0f} at most "
                           "population / floor in each part)")
        if k > problem.n_atoms:
            reasons.append(f"{k} districts are asked for, but there are only {problem.n_atoms} units "
                           f"(counting each keep-together group once)")
        if k * cap < total - 1e-9:
            reasons.append(f"{k} districts of at most {cap:,.0f} cannot hold {total:,.0f} {attr}; "
                           f"at least {needed} are needed")
        if floor > 0 and k * floor > total + 1e-9:
            reasons.append(f"{k} districts of at least {floor:,.0f} need {k * floor:,.0f} {attr}, "
                           f"but there are only {total:,.0f}")
    elif len(k_range) == 0:
        low, high = district_range(problem)
        limits = [f"the cap needs at least {low} districts"]
        if spec.locks:
            limits.append(f"the locks need at least {k_range.start} (one per lock label)")
        if floor > 0:
            limits.append(f"the floor of {floor:,.0f} allows at most {math.floor(total / floor + 1e-9)}"
                          + ("" if len(parts) == 1 else f" ({high} counted part by part)"))
        if spec.max_districts is not None:
            limits.append(f"max_districts is {spec.max_districts}")
        limits.append(f"there are {problem.n_atoms} units (counting each keep-together group once)")
        reasons.append("no number of districts can work: " + "; ".join(limits))

    if spec.require_facility:
        sites = int(problem.atom_facility.sum())
        k_needed = spec.districts if spec.districts != "auto" else needed
        if sites < k_needed:
            reasons.append(f"every district needs a service facility, but only {sites} unit(s) hold one "
                           f"and at least {k_needed} districts are needed")
    return reasons


def _lock_reasons(graph: nx.Graph, spec: Spec, problem: Problem) -> list[str]:
    """Locks that no plan can honour: a label (with the groups it pulls in) above the cap, two labels
    joined by a keep-together group, more labels than districts."""
    locks = lock_labels(spec, problem.unit_ids)
    if not locks:
        return []
    nodes = {str(node): node for node in graph.nodes}
    groups = [group_label(graph.nodes[nodes[uid]], spec.group_attr) for uid in problem.unit_ids]
    together = together_labels(groups, locks)
    attr, cap = spec.population_attr, problem.max_population
    reasons: list[str] = []
    labels_of_set: dict[str, list[str]] = {}
    for i, label in sorted(locks.items()):
        members = labels_of_set.setdefault(together[i], [])
        if label not in members:
            members.append(label)
    for key, labels in sorted(labels_of_set.items()):
        members = [i for i, t in enumerate(together) if t == key]
        population = float(problem.unit_population[members].sum())
        locked = sum(1 for i in members if i in locks)
        if population > cap + 1e-9:
            pulled = len(members) - locked
            reasons.append(f"lock {'、'.join(repr(x) for x in sorted(labels))} holds {locked} unit(s)"
                           + (f" and {pulled} more of their keep-together groups" if pulled else "")
                           + f" with {population:,.0f} {attr} together, above the cap of {cap:,.0f} by "
                           f"{population - cap:,.0f}; they cannot share one district")
        if len(labels) > 1:
            reasons.append(f"locks {'、'.join(repr(x) for x in sorted(labels))} must be in different districts, "
                           "but a keep-together group joins their units")
    count = len(set(locks.values()))
    if spec.districts != "auto" and count > spec.districts:
        reasons.append(f"{count} lock labels must each be in a different district, but only {spec.districts} "
                       "districts are asked for")
    return reasons


def _part_reasons(problem: Problem, spec: Spec, parts: list[list[int]]) -> list[str]:
    """Why a graph in several parts cannot be districted: a part too small for any district, or a
    keep-together group spread over two parts (its district would have to reach across)."""
    reasons = []
    part_of = np.empty(problem.n_atoms, dtype=np.int64)
    for index, atoms in enumerate(parts):
        part_of[atoms] = index
    attr, floor = spec.population_attr, problem.min_population
    for atoms in parts:
        population = float(problem.atom_population[atoms].sum())
        if floor > 0 and population < floor - 1e-9:
            units = sorted(problem.unit_ids[u] for a in atoms for u in problem.atom_units[a])
            reasons.append(f"the unit graph falls into {len(parts)} separate parts and the part [{_ids(units, 5)}] "
                           f"has {population:,.0f} {attr}, below the floor of {floor:,.0f}, with no neighbour "
                           "to join; connect it (e.g. with a bridge edge) or lower the floor")
    for members in problem.links:
        if len({int(part_of[a]) for a in members}) > 1:
            units = sorted(problem.unit_ids[u] for a in members for u in problem.atom_units[a])
            reasons.append(f"a keep-together group ({_ids(units, 4)}) lies in separate parts of the unit graph, "
                           "so no contiguous district can hold it whole; connect the parts or split the group")
    return reasons
