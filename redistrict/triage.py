"""Which community a data problem concerns, so that a city batch fails only the communities whose own data
is bad. A problem that names no feature, or a feature that lies in no community (a datum offset, a missing
column, an estate outside every community), concerns the whole city: the batch refuses at the door."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

import boundaries
from boundaries.population import community_of_estates, community_of_points

_SNAP_M = 30.0  # as inspect_layers and community_totals attribute points


@dataclass(frozen=True)
class Triage:
    by_community: Mapping[str, tuple[boundaries.Problem, ...]]   # community_id → its errors
    citywide: tuple[boundaries.Problem, ...]                       # errors no single community owns


def triage_errors(layers: boundaries.Layers, report: boundaries.ValidationReport) -> Triage:
    """Sort the report's errors by the communities whose features they name (by name or id)."""
    owners = _owners_by_label(layers)
    by_community: dict[str, list[boundaries.Problem]] = {}
    citywide: list[boundaries.Problem] = []
    for problem in report.errors:
        concerned = owners.get(problem.layer, {}).get(problem.feature, set()) if problem.feature else set()
        if concerned and problem.layer == "communities":
            # an overlap names one community and quotes the other («…»): both lose or gain land
            concerned = concerned | {cid for label, ids in owners["communities"].items()
                                     if f"«{label}»" in problem.message for cid in ids}
        if not concerned:
            citywide.append(problem)
        for community_id in sorted(concerned):
            by_community.setdefault(community_id, []).append(problem)
    return Triage({k: tuple(v) for k, v in by_community.items()}, tuple(citywide))


def _owners_by_label(layers: boundaries.Layers) -> dict[str, dict[str, set[str]]]:
    """{layer: {feature label: community ids}}; a label shared by features of several communities
    concerns them all."""
    owners: dict[str, dict[str, set[str]]] = {}

    def add(layer: str, labels, ids) -> None:
        table = owners.setdefault(layer, {})
        for label, owner in zip(labels, ids):
            if owner is not None:
                table.setdefault(str(label), set()).add(str(owner))

    communities = layers.communities
    for column in ("name", "community_id"):
        add("communities", communities[column].astype(str), communities["community_id"])
    estate_owner = community_of_estates(layers)
    for column in ("name", "estate_id"):
        add("estates", layers.estates[column].astype(str), estate_owner)
    points = layers.population
    if len(points) and len(communities):
        point_owner, _ = community_of_points(layers, snap_tolerance_m=_SNAP_M)
        add("population", points["point_id"].astype(str), point_owner)
        if "name" in points:  # load-time labels for unnamed ids read "name (row N)"; the id is the usual one
            add("population", np.asarray(points["name"], dtype=object), point_owner)
    return owners
