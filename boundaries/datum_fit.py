"""Undeclared GCJ-02 / BD-09 coordinates, found by how well each datum hypothesis fits the other layers.

A web map's datum moves everything by a smooth, systematic offset (GCJ-02 ≈ 0.5–0.7 km, BD-09 ≈ 1.2 km
in south China). Points that keep that offset still mostly fall inside *some* community, so counting
points outside communities does not catch it; fit does. For a point layer (population, facilities),
each hypothesis says where its points really are relative to the estates and communities:

- as declared (the baseline);
- the points are really in datum X (X ≠ the declared one): convert them back from X instead;
- the estates and communities are really in Y: they move, i.e. the points move the opposite way;
- the estates alone are in Y (communities as declared);
- with estates derived from the points themselves (no evidence), the communities alone are in Y.

Each point scores 1 for lying inside an estate plus 1 for lying inside a community under the hypothesis.
A hypothesis is preferred over the declaration only when it wins a paired sign test on those scores
(points that fit better minus points that fit worse, z = (W - L) / sqrt(W + L) ≥ ``min_z``) *and* the
net gain is a real share of the points (≥ ``min_gain``): correct data loses clearly under every wrong
hypothesis, and a handful of points can never be significant. The offsets vary by a few metres per
kilometre, so moving the points by the opposite of the polygons' shift is exact enough for this test.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
import shapely
from pyproj import Transformer
from shapely import STRtree

from boundaries import crs as crs_rules
from boundaries.datum import DATUMS, LABELS, from_wgs84, outside_china, to_wgs84
from boundaries.errors import Problem
from boundaries.population import ATTRIBUTE_SOURCE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatumFitRules:
    """When a datum hypothesis counts as clearly better than the declared one."""

    min_z: float = 4.0          # sign-test z of points fitting better vs worse
    min_gain: float = 0.05      # net gain per point (score 0..2) as a share of the points
    min_points: int = 10        # fewer points than this are never tested


class Mover(Enum):
    """Which side a hypothesis re-reads in another datum."""

    NONE = "none"          # as declared
    POINTS = "points"      # the point layer is in ``datum``
    POLYGONS = "polygons"  # the polygon layer ``layer`` is in ``datum``: the points move the opposite way


@dataclass(frozen=True)
class Move:
    """How the points move relative to one polygon layer under a hypothesis (hashable: cached per move)."""

    mover: Mover = Mover.NONE
    datum: str = "wgs84"
    layer: str = "estates"   # the polygon layer whose declared datum is replaced (POLYGONS only)


STAY = Move()


@dataclass(frozen=True)
class Hypothesis:
    story: str                  # "the population points are in GCJ-02 (Amap/Tencent)"
    fix: str                    # "--datum population=gcj02"
    to_estates: Move            # the points relative to the estates
    to_communities: Move        # the points relative to the communities


def _declared(layers, role: str) -> str:
    return str(layers.sources.get(role, {}).get("datum", "wgs84")).split()[0]


def _lonlat_layer(layers, role: str) -> bool:
    """A datum option applies only to a layer given in longitude/latitude."""
    text = layers.sources.get(role, {}).get("crs")
    try:
        return bool(text) and crs_rules.parse_crs(text).is_geographic
    except ValueError:
        return False


def _derived_estates(layers) -> bool:
    return "approximate" in layers.estates and len(layers.estates) > 0 and bool(layers.estates["approximate"].all())


def _hypotheses(layers, role: str) -> list[Hypothesis]:
    out = []
    if _lonlat_layer(layers, role):
        for datum in DATUMS:
            if datum != _declared(layers, role):
                move = Move(Mover.POINTS, datum)
                out.append(Hypothesis(f"the {role} points are in {LABELS[datum]}", f"--datum {role}={datum}",
                                      move, move))
    polygons = [r for r in ("estates", "communities") if _lonlat_layer(layers, r) and len(getattr(layers, r))
                and (r == "communities" or not _derived_estates(layers))]
    if polygons == ["estates", "communities"] and _declared(layers, "estates") == _declared(layers, "communities"):
        for datum in DATUMS:
            if datum != _declared(layers, "estates"):
                move = Move(Mover.POLYGONS, datum, "estates")
                out.append(Hypothesis(f"the estates and communities are in {LABELS[datum]}",
                                      f"--datum estates={datum} --datum communities={datum}", move, move))
    if polygons == ["communities"]:
        for datum in DATUMS:
            if datum != _declared(layers, "communities"):
                out.append(Hypothesis(f"the communities are in {LABELS[datum]}", f"--datum communities={datum}",
                                      STAY, Move(Mover.POLYGONS, datum, "communities")))
    if "estates" in polygons:
        for datum in DATUMS:
            if datum != _declared(layers, "estates"):
                out.append(Hypothesis(f"the estates are in {LABELS[datum]}", f"--datum estates={datum}",
                                      Move(Mover.POLYGONS, datum, "estates"), STAY))
    return out


def _moved(lon: np.ndarray, lat: np.ndarray, move: Move, layers, role: str) -> tuple[np.ndarray, np.ndarray]:
    """The points' WGS84 positions relative to the polygons under one hypothesis."""
    if move.mover is Mover.NONE:
        return lon, lat
    if move.mover is Mover.POINTS:
        raw_lon, raw_lat = from_wgs84(_declared(layers, role), lon, lat)
        return to_wgs84(move.datum, raw_lon, raw_lat)
    raw_lon, raw_lat = from_wgs84(_declared(layers, move.layer), lon, lat)
    true_lon, true_lat = to_wgs84(move.datum, raw_lon, raw_lat)
    return 2 * lon - true_lon, 2 * lat - true_lat  # the polygons move by +d: the points by -d


def _inside(points: np.ndarray, tree: STRtree | None) -> np.ndarray:
    hit = np.zeros(len(points), dtype=np.int64)
    if tree is not None and len(points):
        index, _ = tree.query(points, predicate="intersects")
        hit[np.unique(index)] = 1
    return hit


def undeclared_datum_problems(layers, rules: DatumFitRules = DatumFitRules()) -> list[Problem]:
    """One error per point layer whose coordinates clearly fit better under an undeclared datum, and per
    file given for two layers in two datums."""
    out = _same_file_different_datums(layers)
    for role in ("population", "facilities"):
        frame = getattr(layers, role, None)
        if frame is not None and len(frame) >= rules.min_points:
            problem = _check_layer(layers, role, frame, rules)
            if problem is not None:
                out.append(problem)
    return out


def _same_file_different_datums(layers) -> list[Problem]:
    """One table given for two layers (a crawled estate table as --estates and --population) must be in
    one datum: declaring it for one layer only puts the points ~1 km from their own estates."""
    by_file: dict[str, list[str]] = {}
    for role, info in layers.sources.items():
        if info.get("sha256"):
            by_file.setdefault(str(info["sha256"]), []).append(role)
    out = []
    for roles in by_file.values():
        datums = {role: _declared(layers, role) for role in roles}
        if len(set(datums.values())) > 1:
            shown = ", ".join(f"{role} as {LABELS[d]}" for role, d in datums.items())
            declared = next(d for d in datums.values() if d != "wgs84")
            fix = " ".join(f"--datum {role}={declared}" for role, d in datums.items() if d != declared)
            out.append(Problem("error", roles[0], None,
                               f"the same file is given for {' and '.join(roles)} but read in different datums "
                               f"({shown})", f"declare it for every layer it serves: {fix}"))
    return out


def _check_layer(layers, role: str, frame, rules: DatumFitRules) -> Problem | None:
    hypotheses = _hypotheses(layers, role)
    if not hypotheses:
        return None
    geoms = frame.geometry.values
    measured = shapely.get_type_id(geoms) == 0  # points only...
    if "counted_from" in frame:  # ...and only measured ones: a point made from estate attributes fits by construction
        measured &= (frame["counted_from"] != ATTRIBUTE_SOURCE).to_numpy()
    geoms = geoms[measured]
    if len(geoms) < rules.min_points:
        return None
    xy = shapely.get_coordinates(geoms)
    lon, lat = Transformer.from_crs(layers.crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    if outside_china(np.median(lon), np.median(lat)):
        return None  # the providers apply no offset there
    back = Transformer.from_crs(4326, layers.crs, always_xy=True)
    # estates derived from points (boundaries.estate_points) hold their own points by construction:
    # no evidence about the datum, so only the communities are a reference then
    estates = STRtree(layers.estates.geometry.values) if len(layers.estates) and not _derived_estates(layers) \
        else None
    communities = STRtree(layers.communities.geometry.values) if len(layers.communities) else None
    cache: dict[Move, np.ndarray] = {}

    def points(move: Move) -> np.ndarray:
        if move not in cache:
            moved_lon, moved_lat = _moved(lon, lat, move, layers, role)
            cache[move] = shapely.points(*back.transform(moved_lon, moved_lat))
        return cache[move]

    def score(hypothesis: Hypothesis | None) -> tuple[np.ndarray, np.ndarray]:
        to_estates = hypothesis.to_estates if hypothesis else STAY
        to_communities = hypothesis.to_communities if hypothesis else STAY
        return _inside(points(to_estates), estates), _inside(points(to_communities), communities)

    given_estates, given_communities = score(None)
    given = given_estates + given_communities
    best = None
    for hypothesis in hypotheses:
        in_estates, in_communities = score(hypothesis)
        diff = in_estates + in_communities - given
        wins, losses = float(diff[diff > 0].sum()), float(-diff[diff < 0].sum())
        z = (wins - losses) / math.sqrt(wins + losses) if wins + losses else 0.0
        gain = (wins - losses) / len(diff)
        log.debug("datum fit %s: %s: wins %d, losses %d, z %.1f", role, hypothesis.story, wins, losses, z)
        if z >= rules.min_z and gain >= rules.min_gain and (best is None or gain > best[0]):
            best = (gain, hypothesis, in_estates.mean(), in_communities.mean())
    if best is None:
        return None
    _, hypothesis, estate_share, community_share = best
    with_estates = estates is not None
    as_given = (f"{given_estates.mean():.0%} of the points fall inside an estate and " if with_estates else "") + \
        f"{given_communities.mean():.0%} inside a community as given"
    if_story = (f"{estate_share:.0%} and {community_share:.0%}" if with_estates else f"{community_share:.0%}") + \
        f" if {hypothesis.story}"
    return Problem("error", role, None,
                   f"coordinates look offset by a web map's datum: {as_given}, {if_story}",
                   f"declare the datum: {hypothesis.fix}")
