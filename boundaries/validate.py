"""``inspect_layers``: every problem in the loaded layers at once, each naming the layer, the feature
and what to do. Errors stop ``split``; warnings are printed and recorded.
"""
from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from boundaries.characters import hidden_character_problems
from boundaries.datum_fit import undeclared_datum_problems
from boundaries.errors import InputError, Problem
from boundaries.repair import (Repair, RepairRule, RepairTolerances, community_gaps, detached_pieces,
                               is_nested, overlapping_pairs)
from boundaries.population import community_of_estates, community_of_points, pick_covering, sum_by

log = logging.getLogger(__name__)

_OVERLAP_TOLERANCE_M2 = 20.0
_CROSSING_TOLERANCE_M2 = 50.0
_CROSSING_TOLERANCE_FRACTION = 0.01
_OUTSIDE_ERROR_FRACTION = 0.05


@dataclass(frozen=True)
class ValidationReport:
    """Problems found in the input, errors first (the order they were found within each severity)."""

    problems: tuple[Problem, ...]
    repairs: tuple[Repair, ...] = ()  # what --repair changed before these checks ran

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"ok": self.ok, "errors": len(self.errors), "warnings": len(self.warnings),
                "problems": [p.to_dict() for p in self.problems], "repairs": [r.to_dict() for r in self.repairs]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def raise_for_errors(self) -> None:
        if self.errors:
            fixable = [p for p in self.errors if p.repair is not None]
            tail = [Problem("error", "input", None, f"--repair would fix {len(fixable)} of these "
                            f"{len(self.errors)} error(s) by the documented rules (see the hints)")] if fixable else []
            raise InputError(list(self.errors) + tail)

    def __str__(self) -> str:
        head = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s), {len(self.repairs)} repair(s)"
        return "\n".join([head, *(str(p) for p in self.problems), *(str(r) for r in self.repairs)])

    def __repr__(self) -> str:
        return f"<ValidationReport: {len(self.errors)} errors, {len(self.warnings)} warnings>"


def _list(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def inspect_layers(layers, *, snap_tolerance_m: float = 30.0,
                   overlap_tolerance_m2: float = _OVERLAP_TOLERANCE_M2,
                   crossing_tolerance_m2: float = _CROSSING_TOLERANCE_M2,
                   repairs: tuple[Repair, ...] = ()) -> ValidationReport:
    """Check the loaded layers; return every problem (load-time ones included) in one report.

    ``repairs``: the records of ``repair_layers`` when the layers were repaired first (kept in the report)."""
    started = time.perf_counter()
    found: list[Problem] = list(getattr(layers, "problems", ()))
    found += undeclared_datum_problems(layers)  # first: a wrong datum explains most of what follows
    found += _empty_layers(layers)
    found += _duplicates(layers)
    found += _overlaps(layers.estates, "estates", overlap_tolerance_m2)
    found += _overlaps(layers.communities, "communities", overlap_tolerance_m2)
    found += _detached_estates(layers.estates, RepairTolerances().detached_m)
    found += _community_gaps(layers.communities, RepairTolerances().gap_width_m)
    estate_owner = community_of_estates(layers)
    found += _crossing(layers, estate_owner, crossing_tolerance_m2)
    found += _points_outside(layers, snap_tolerance_m)
    found += _estate_population(layers)
    found += _roads_and_facilities(layers)
    found += hidden_character_problems(layers)
    ordered = [p for p in found if p.severity == "error"] + [p for p in found if p.severity != "error"]
    report = ValidationReport(tuple(ordered), tuple(repairs))
    log.info("inspected %r in %.1f s: %r", layers, time.perf_counter() - started, report)
    return report


def _empty_layers(layers) -> list[Problem]:
    out = []
    for role in ("communities", "estates", "population"):
        if len(getattr(layers, role)) == 0:
            out.append(Problem("error", role, None, "the layer has no usable features"))
    return out


def _duplicates(layers) -> list[Problem]:
    out: list[Problem] = []
    for role, id_column in (("communities", "community_id"), ("estates", "estate_id"),
                            ("facilities", "facility_id")):
        frame = getattr(layers, role)
        if frame is None or len(frame) == 0:
            continue
        keys = shapely.to_wkb(shapely.normalize(frame.geometry.values), output_dimension=2)
        groups: dict[bytes, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            groups[key].append(i)
        severity = "warning" if role == "facilities" else "error"
        for rows in groups.values():
            if len(rows) > 1:
                names = [f"{frame['name'].iloc[i]} ({frame[id_column].iloc[i]})" for i in rows]
                out.append(Problem(severity, role, str(frame["name"].iloc[rows[0]]),
                                   f"{len(rows)} features have the same geometry: {_list(names)}",
                                   "delete the duplicate rows (their people would be counted twice)"))
        by_name: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(frame["name"].astype(str)):
            by_name[name].append(i)
        for name, rows in sorted(by_name.items()):
            if len(rows) > 1 and len({keys[i] for i in rows}) > 1:
                ids = [str(frame[id_column].iloc[i]) for i in rows]
                out.append(Problem("warning", role, name, f"{len(rows)} features share this name ({_list(ids)})",
                                   "give them distinct names (e.g. 一期/二期) so reviewers can tell them apart"))
    points = layers.population
    if len(points):
        keys = shapely.to_wkb(points.geometry.values, output_dimension=2)
        seen: dict[tuple, list[str]] = defaultdict(list)
        for key, pop, hh, pid in zip(keys, points["population"], points["households"], points["point_id"]):
            seen[(key, float(np.nan_to_num(pop, nan=-1)), float(np.nan_to_num(hh, nan=-1)))].append(str(pid))
        repeated = [ids for ids in seen.values() if len(ids) > 1]
        if repeated:
            shown = [" = ".join(ids[:3]) for ids in repeated]
            out.append(Problem("warning", "population", repeated[0][0],
                               f"{len(repeated)} point(s) repeat another point exactly (same place, same counts): "
                               f"{_list(shown, 5)}", "delete duplicates if they are the same building counted twice"))
    return out


def _overlaps(frame, role: str, tolerance_m2: float) -> list[Problem]:
    if frame is None or len(frame) < 2:
        return []
    geoms = frame.geometry.values
    names = frame["name"].astype(str).tolist()
    tolerances = RepairTolerances(overlap_m2=tolerance_m2)
    out = []
    for a, b, overlap in sorted(overlapping_pairs(geoms, tolerance_m2), key=lambda t: (t[0], t[1])):
        small, large = (b, a) if geoms[a].area >= geoms[b].area else (a, b)
        smaller = geoms[small].area
        if is_nested(smaller, overlap, tolerances):
            what = ("a phase inside its parent estate?" if role == "estates" else "a community inside another?")
            message = f"lies {overlap / smaller:.0%} inside «{names[large]}» ({what}, {overlap:,.0f} m²)"
            fix = ("--repair would make it a keep-together group with «" + names[large] + "»"
                   if role == "estates" else "--repair would take its land out of «" + names[large] + "»")
            out.append(Problem("error", role, names[small], message, fix,
                               repair=RepairRule.NESTED_PHASE.value, area_m2=overlap))
            continue
        out.append(Problem("error", role, names[a],
                           f"overlaps «{names[b]}» by {overlap:,.0f} m² ({overlap / smaller:.0%} of the smaller one)",
                           "fix the boundaries so that each place belongs to one " +
                           ("estate" if role == "estates" else "community") +
                           f"; --repair would give the overlap to the larger one, «{names[large]}»",
                           repair=RepairRule.OVERLAP_TO_LARGER.value, area_m2=overlap))
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    area = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    small = int(np.sum((area > 0.01) & (area <= tolerance_m2)))
    if small:
        out.append(Problem("warning", role, None, f"{small} small overlap(s) under {tolerance_m2:g} m² between "
                           f"{role} (digitising noise): the later feature is clipped",
                           "nothing to do; snap the boundaries in the source when convenient"))
    return out


def _detached_estates(estates, detached_m: float) -> list[Problem]:
    """Estates drawn as pieces far apart: one unit would put one new community in two places."""
    out = []
    for name, geom in zip(estates["name"].astype(str), estates.geometry.values):
        _, others, farthest = detached_pieces(geom, detached_m)
        if others:
            out.append(Problem("error", "estates", name,
                               f"is drawn as {len(others) + 1} pieces up to {farthest:,.0f} m apart "
                               f"({sum(p.area for p in others):,.0f} m² away from its largest piece)",
                               "split it into one estate per piece (e.g. 一期/二期, with a shared group to keep "
                               "them together), or --repair would keep the largest piece as the estate and "
                               "count the other pieces as ordinary land",
                               repair=RepairRule.DETACHED_PART.value, area_m2=sum(p.area for p in others)))
    return out


def _community_gaps(communities, width_m: float) -> list[Problem]:
    gaps = community_gaps(communities.geometry.values, width_m)
    if not gaps:
        return []
    area = sum(g.area for g in gaps)
    return [Problem("warning", "communities", None,
                    f"{len(gaps)} gap(s) narrower than {width_m:g} m between communities ({area:,.0f} m² in all): "
                    "people there are counted only within the snap tolerance",
                    "--repair would close them, each neighbour taking the part nearest to it",
                    repair=RepairRule.GAP_CLOSED.value, area_m2=area)]


def _crossing(layers, owner: np.ndarray, tolerance_m2: float) -> list[Problem]:
    estates, communities = layers.estates, layers.communities
    out = []
    names = dict(zip(communities["community_id"].astype(str), communities["name"].astype(str)))
    geoms = dict(zip(communities["community_id"].astype(str), communities.geometry.values))
    for i, cid in enumerate(owner):
        estate = estates.geometry.iloc[i]
        label = str(estates["name"].iloc[i])
        if cid is None:
            out.append(Problem("error", "estates", label, "lies outside every community",
                               "check its coordinates (CRS, datum) or add the community it belongs to"))
            continue
        outside = estate.area - estate.intersection(geoms[cid]).area
        if outside > tolerance_m2 and outside > _CROSSING_TOLERANCE_FRACTION * estate.area:
            others = [names[c] for c, g in geoms.items() if c != cid and estate.intersects(g)
                      and estate.intersection(g).area > 1.0]
            where = f" (into {', '.join('«' + n + '»' for n in others)})" if others else ""
            out.append(Problem("error", "estates", label,
                               f"crosses the boundary of «{names[cid]}»: {outside:,.0f} m² "
                               f"({outside / estate.area:.0%}) lies outside it{where}",
                               "fix the estate or the community boundary; units clip it to «" + names[cid] + "»"))
    return out


def _points_outside(layers, snap_tolerance_m: float) -> list[Problem]:
    points = layers.population
    if len(points) == 0 or len(layers.communities) == 0:
        return []
    owner, distance = community_of_points(layers, snap_tolerance_m=snap_tolerance_m)
    population = np.nan_to_num(points["population"].to_numpy(dtype=float))
    out = []
    far = np.array([o is None for o in owner])
    if far.any():
        lost = float(population[far].sum())
        share = lost / max(float(population.sum()), 1e-9)
        ids = _point_labels(points, far)
        severity = "error" if share > _OUTSIDE_ERROR_FRACTION else "warning"
        out.append(Problem(severity, "population", ids[0] if len(ids) == 1 else None,
                           f"{len(ids)} point(s) with {lost:,.0f} people ({share:.1%}) lie outside every community "
                           f"(farther than {snap_tolerance_m:g} m): {_list(ids)}",
                           "they are not counted; check the datum (GCJ-02 points land ~600 m off), the CRS, "
                           "or the community boundaries"))
    near = np.isfinite(distance) & (distance > 0)
    if near.any():
        ids = _point_labels(points, near)
        out.append(Problem("warning", "population", ids[0] if len(ids) == 1 else None,
                           f"{len(ids)} point(s) just outside a community boundary (≤ {snap_tolerance_m:g} m) are "
                           f"counted in the nearest community: {_list(ids)}", "check the boundary there"))
    return out


def _point_labels(points, mask: np.ndarray) -> list[str]:
    ids = points["point_id"].astype(str).to_numpy()[mask]
    if "name" not in points:
        return ids.tolist()
    names = points["name"].to_numpy(dtype=object)[mask]
    return [f"{i} {n}" if isinstance(n, str) and n else str(i) for i, n in zip(ids, names)]


def _estate_population(layers) -> list[Problem]:
    estates, points = layers.estates, layers.population
    if len(estates) == 0:
        return []
    rank = np.arange(len(estates))
    index, _ = pick_covering(points.geometry.values, estates.geometry.values, rank, snap_tolerance_m=0.0)
    counted = sum_by(index, points["population"].to_numpy(), len(estates))
    out = []
    empty_names = []
    for i in range(len(estates)):
        label = str(estates["name"].iloc[i])
        stated = float(estates["population"].iloc[i])
        if counted[i] <= 0:
            if np.isfinite(stated) and stated > 0:
                out.append(Problem("error", "estates", label,
                                   f"has no population points inside, but its attributes say {stated:,.0f} people",
                                   "add the estate's population points (people are counted from points)"))
            else:
                empty_names.append(label)
        elif np.isfinite(stated) and stated > 0:
            gap = abs(counted[i] - stated)
            if gap > 50 and gap > 0.2 * stated:
                out.append(Problem("warning", "estates", label,
                                   f"its attributes say {stated:,.0f} people, its points sum to {counted[i]:,.0f}",
                                   "the points are used; check which population each counts"))
    for name in empty_names:
        out.append(Problem("warning", "estates", name, "has no population (no points inside, no population value)",
                           "fine for an unoccupied estate; otherwise add its population points"))
    return out


def _roads_and_facilities(layers) -> list[Problem]:
    out = []
    roads = layers.roads
    if roads is not None and len(roads):
        unnamed = int(sum(1 for n in roads["name"] if not isinstance(n, str) or not n.strip()))
        if unnamed:
            out.append(Problem("warning", "roads", None, f"{unnamed} road/river line(s) have no name",
                               "四至 descriptions and barrier edges need names: fill them in where you can"))
    facilities = layers.facilities
    if facilities is not None and len(facilities) and len(layers.communities):
        hit, _ = STRtree(layers.communities.geometry.values).query(facilities.geometry.values, predicate="intersects")
        outside = sorted(set(range(len(facilities))) - set(hit.tolist()))
        for i in outside:
            out.append(Problem("warning", "facilities", str(facilities["name"].iloc[i]),
                               "lies outside every community: it serves none of them",
                               "check its coordinates"))
    return out
