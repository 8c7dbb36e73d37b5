"""``repair_layers``: the documented repairs that ``--repair`` applies to the user's polygons, each one
recorded (layer, features, rule, area changed in m²). Without ``--repair`` the same findings are
problems in ``inspect_layers`` whose hint says what ``--repair`` would do.

The rules (``RepairRule``):

- ``make-valid``: an invalid polygon (a bow-tie, a self-touching ring) is replaced by ``make_valid``'s
  shape, which keeps every lobe (the load step already did it; ``--repair`` accepts the change).
- ``nested-phase``: an estate lying (≥ 95 % of its area) inside another is a phase of that parent
  estate: the parent gives up the phase's land and both become one keep-together group (``group``), so
  the solver keeps them in one new community. A community inside another: the outer one gives it up.
- ``overlap-to-larger``: a partial overlap between two estates (or two communities) goes to the larger
  one; the smaller loses it.
- ``detached-part``: an estate drawn as pieces farther apart than ``detached_m``: the piece with the most
  area stays the estate, the others become ordinary land (blocks); their people are counted where they
  live.
- ``sliver-merged``: a community's small detached piece (under ``sliver_area_m2``, e.g. left over by an
  overlap repair) lying within ``detached_m`` of another community goes to that community.
- ``gap-closed``: land between communities narrower than ``gap_width_m`` (a digitising gap) is cut
  between the neighbouring communities, each taking the part nearest to it.

No repair moves a person: people are counted from their points after the repairs, so population in
equals population out (points inside a closed gap become counted instead of snapped).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np
import shapely
from shapely import STRtree

from boundaries.errors import Problem
from boundaries.geometry import _polygonal_part, split_to_nearest

log = logging.getLogger(__name__)


class RepairRule(str, Enum):
    MAKE_VALID = "make-valid"
    NESTED_PHASE = "nested-phase"
    OVERLAP_TO_LARGER = "overlap-to-larger"
    DETACHED_PART = "detached-part"
    SLIVER_MERGED = "sliver-merged"
    GAP_CLOSED = "gap-closed"


RULE_TEXT = {
    RepairRule.MAKE_VALID: "invalid polygon made valid (every lobe kept)",
    RepairRule.NESTED_PHASE: "phase inside its parent: the parent gives up the phase's land, both kept together",
    RepairRule.OVERLAP_TO_LARGER: "overlap given to the larger feature",
    RepairRule.DETACHED_PART: "detached piece: the largest piece keeps the name, the others become ordinary land",
    RepairRule.SLIVER_MERGED: "small detached piece given to the neighbouring feature it lies against",
    RepairRule.GAP_CLOSED: "gap between features closed, each neighbour taking the part nearest to it",
}


@dataclass(frozen=True)
class Repair:
    """One change to the user's geometry."""

    layer: str
    features: tuple[str, ...]
    rule: RepairRule
    area_m2: float

    def to_dict(self) -> dict:
        return {"layer": self.layer, "features": list(self.features), "rule": self.rule.value,
                "area_m2": round(float(self.area_m2), 1), "description": RULE_TEXT[self.rule]}

    def __str__(self) -> str:
        names = ", ".join(f"«{f}»" for f in self.features)
        return f"repair: {self.layer} {names}: {RULE_TEXT[self.rule]} ({self.area_m2:,.0f} m²)"


@dataclass(frozen=True)
class RepairTolerances:
    """Thresholds of the repairs, in one place (metres, square metres)."""

    overlap_m2: float = 20.0        # smaller overlaps are digitising noise (clipped without a record)
    nested_share: float = 0.95      # this share of a feature inside another makes it a phase of it
    detached_m: float = 5.0         # estate pieces farther apart than this are detached
    gap_width_m: float = 20.0       # land between communities narrower than this is a gap
    sliver_area_m2: float = 2000.0  # a community's detached piece smaller than this is a sliver


@dataclass(frozen=True, eq=False)
class Repaired:
    layers: object
    repairs: tuple[Repair, ...]

    @property
    def area_m2(self) -> float:
        return float(sum(r.area_m2 for r in self.repairs))


def repair_layers(layers, tolerances: RepairTolerances = RepairTolerances()) -> Repaired:
    """Apply every rule above to the estates and communities; return the new layers and the records."""
    started = time.perf_counter()
    repairs: list[Repair] = [Repair(p.layer, (p.feature or "",), RepairRule.MAKE_VALID, float(p.area_m2 or 0.0))
                             for p in layers.problems if p.repair == RepairRule.MAKE_VALID.value]
    remaining = tuple(p for p in layers.problems if p.repair != RepairRule.MAKE_VALID.value)
    estates = layers.estates.copy()
    communities = layers.communities.copy()
    geoms, groups = _resolve_overlaps(estates, "estates", tolerances, repairs)
    geoms = _drop_detached(geoms, estates["name"].astype(str).tolist(), tolerances, repairs)
    estates = estates.set_geometry(list(geoms), crs=layers.estates.crs)
    estates["group"] = groups
    geoms, _ = _resolve_overlaps(communities, "communities", tolerances, repairs)
    geoms = _merge_community_slivers(geoms, communities["name"].astype(str).tolist(), tolerances, repairs)
    geoms = _close_gaps(geoms, communities["name"].astype(str).tolist(), tolerances, repairs)
    communities = communities.set_geometry(list(geoms), crs=layers.communities.crs)
    if "area_m2" in estates:
        estates["area_m2"] = shapely.area(estates.geometry.values)
    notes = layers.notes + ((f"--repair: {len(repairs)} repair(s), "
                             f"{sum(r.area_m2 for r in repairs):,.0f} m² changed",) if repairs else ())
    out = replace(layers, estates=estates, communities=communities, problems=remaining, notes=notes)
    log.info("%d repair(s) in %.1f s", len(repairs), time.perf_counter() - started)
    return Repaired(out, tuple(repairs))


def overlapping_pairs(geoms: np.ndarray, tolerance_m2: float) -> list[tuple[int, int, float]]:
    """(i, j, overlap area) with i < j for every pair overlapping by more than ``tolerance_m2``, largest first."""
    if len(geoms) < 2:
        return []
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    pairs = [(int(a), int(b), float(o)) for a, b, o in zip(left, right, area) if o > tolerance_m2]
    return sorted(pairs, key=lambda t: (-t[2], t[0], t[1]))


def is_nested(inner_area_m2: float, overlap_m2: float, tolerances: RepairTolerances) -> bool:
    return overlap_m2 >= tolerances.nested_share * inner_area_m2


def _resolve_overlaps(frame, layer: str, tolerances: RepairTolerances, repairs: list[Repair]):
    geoms = np.array(frame.geometry.values, dtype=object)
    names = frame["name"].astype(str).tolist()
    groups = ([None if g is None or (isinstance(g, float) and np.isnan(g)) else str(g) for g in frame["group"]]
              if "group" in frame else [None] * len(frame))
    ids = frame["estate_id"].astype(str).tolist() if "estate_id" in frame else names
    for a, b, _ in overlapping_pairs(geoms, tolerances.overlap_m2):
        overlap = _polygonal_part(shapely.intersection(geoms[a], geoms[b]))
        if overlap is None or overlap.area <= tolerances.overlap_m2:
            continue  # an earlier repair already took it away
        # the larger keeps the land; equal areas: the earlier row is the larger
        small, large = (b, a) if geoms[a].area >= geoms[b].area else (a, b)
        if is_nested(geoms[small].area, overlap.area, tolerances):
            geoms[large] = _polygonal_part(shapely.difference(geoms[large], geoms[small])) or shapely.Polygon()
            rule = RepairRule.NESTED_PHASE
            if layer == "estates":
                label = groups[large] or groups[small] or f"{ids[large]}"
                for old in {groups[large], groups[small]} - {None, label}:
                    groups = [label if g == old else g for g in groups]
                groups[large] = groups[small] = label
        else:
            geoms[small] = _polygonal_part(shapely.difference(geoms[small], overlap)) or shapely.Polygon()
            rule = RepairRule.OVERLAP_TO_LARGER
        repairs.append(Repair(layer, (names[large], names[small]), rule, float(overlap.area)))
    return geoms, groups


def detached_pieces(geom, detached_m: float) -> tuple[object, list[object], float]:
    """(main, detached pieces, farthest distance) of one polygon: pieces within ``detached_m`` of each
    other count as one; the cluster with the most area is the main one."""
    parts = shapely.get_parts(geom)
    if len(parts) < 2:
        return geom, [], 0.0
    clusters = shapely.get_parts(shapely.union_all(shapely.buffer(parts, detached_m / 2, join_style="mitre")))
    if len(clusters) < 2:
        return geom, [], 0.0
    member = np.array([int(np.argmax(shapely.area(shapely.intersection(clusters, p)))) for p in parts])
    area = np.bincount(member, weights=shapely.area(parts), minlength=len(clusters))
    main_cluster = int(np.argmax(area))
    main = shapely.union_all(parts[member == main_cluster])
    others = list(parts[member != main_cluster])
    farthest = float(max(shapely.distance(main, p) for p in others))
    return main, others, farthest


def _drop_detached(geoms: np.ndarray, names: list[str], tolerances: RepairTolerances, repairs: list[Repair]):
    for i, geom in enumerate(geoms):
        main, others, _ = detached_pieces(geom, tolerances.detached_m)
        if others:
            geoms[i] = main
            repairs.append(Repair("estates", (names[i],), RepairRule.DETACHED_PART,
                                  float(sum(p.area for p in others))))
    return geoms


def _merge_community_slivers(geoms: np.ndarray, names: list[str], tolerances: RepairTolerances,
                             repairs: list[Repair]) -> np.ndarray:
    """A community's small detached piece lying against another community goes to that community."""
    for i in range(len(geoms)):
        parts = shapely.get_parts(geoms[i])
        if len(parts) < 2:
            continue
        largest = int(np.argmax(shapely.area(parts)))
        keep = []
        for k, part in enumerate(parts):
            if k == largest or part.area >= tolerances.sliver_area_m2 or part.area < 1.0:
                keep.append(part)  # a real exclave, or numerical dust not worth a record
                continue
            near = shapely.distance(geoms, part)
            near[i] = np.inf
            j = int(np.argmin(near))
            if not near[j] <= tolerances.detached_m:
                keep.append(part)
                continue
            geoms[j] = _polygonal_part(shapely.union_all([geoms[j], part])) or geoms[j]
            repairs.append(Repair("communities", (names[i], names[j]), RepairRule.SLIVER_MERGED, float(part.area)))
        geoms[i] = shapely.union_all(keep)
    return geoms


def community_gaps(geoms: np.ndarray, width_m: float) -> list[object]:
    """Land between communities narrower than ``width_m`` (found by closing the union), each piece
    touching two or more communities."""
    if len(geoms) < 2:
        return []
    union = shapely.union_all(geoms)
    closed = shapely.buffer(shapely.buffer(union, width_m / 2, join_style="mitre"), -width_m / 2,
                            join_style="mitre")
    pieces = shapely.get_parts(_polygonal_part(shapely.difference(closed, union)) or shapely.Polygon())
    pieces = pieces[shapely.area(pieces) > 1.0]
    if len(pieces) == 0:
        return []
    tree = STRtree(geoms)
    piece_index, _ = tree.query(shapely.buffer(pieces, 0.01), predicate="intersects")
    touching = np.bincount(piece_index, minlength=len(pieces))
    return list(pieces[touching >= 2])


def _close_gaps(geoms: np.ndarray, names: list[str], tolerances: RepairTolerances, repairs: list[Repair]):
    gaps = community_gaps(geoms, tolerances.gap_width_m)
    tree = STRtree(geoms)
    for gap in gaps:
        near = np.sort(tree.query(shapely.buffer(gap, 0.01), predicate="intersects"))
        shares = split_to_nearest(gap, geoms[near])
        for k, part in shares:
            j = int(near[k])
            geoms[j] = _polygonal_part(shapely.union_all([geoms[j], part])) or geoms[j]
        if shares:
            repairs.append(Repair("communities", tuple(names[int(near[k])] for k, _ in shares),
                                  RepairRule.GAP_CLOSED, float(sum(p.area for _, p in shares))))
    return geoms


def repairable(problems) -> list[Problem]:
    """The problems ``--repair`` fixes."""
    return [p for p in problems if p.repair is not None]
