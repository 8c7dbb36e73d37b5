"""Geometry of synthetic communities, shared by the demo sample and the synthetic city.

A community is filled the way a Dongguan 社区 looks from above:

1. given roads and rivers that cross it, it gets minor roads until no road-bounded block is too large;
2. each block, set back from the road centre-lines, is cut by repeated bisection into lots;
3. lots become residential estates (楼盘/小区; a few large ones split into phases that share a ``group``),
   village-style or old-street land (村改居 rental housing, shops along the main road), or open land
   (schools, parks, workshops) with nobody registered;
4. residents are spread over buildings: estates hold ``1 - remaining_share`` of them, the rest live in
   village and old-street buildings; every building is one point with persons and households;
5. a party-and-public service centre (党群服务中心) and possibly service stations are placed.

Estates never touch a road or river corridor and never overlap: each is a lot shrunk by a lane. Every
random choice goes through the ``numpy`` generator passed in, so a seed fixes the result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.ops import substring

from redistrict.sample.names import PHASE_ORDINALS, NamePicker

# Setback of developable land from road edges and from the community boundary (metres).
SETBACK_M = 5.0
# Half the width of the lane left between two neighbouring lots (metres).
LANE_HALF_M = 4.0
# Parcels smaller than this are left as verge (no lot, no people).
MIN_PARCEL_M2 = 3_000.0
# A lot smaller than this is not bisected further.
MIN_LOT_M2 = 6_000.0
# Estate size bounds: the policy cap is 30,000 residents per community, and the largest estates of the
# problem are about 12,000; small old estates have a few hundred.
ESTATE_MIN_POPULATION = 300
ESTATE_MAX_POPULATION = 12_000


@dataclass(frozen=True)
class Road:
    """One line of the roads layer: a named road or river centre-line."""

    name: str
    kind: str  # "road" or "river"
    geometry: LineString
    width_m: float

    @property
    def corridor_m(self) -> float:
        """Distance from the centre-line within which nothing is built."""
        return self.width_m / 2.0 + SETBACK_M


@dataclass
class Community:
    """Everything generated for one community (plain records, geometry in metres)."""

    name: str
    code: str
    polygon: Polygon
    estates: list[dict] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    facilities: list[dict] = field(default_factory=list)
    roads: list[Road] = field(default_factory=list)

    @property
    def population(self) -> int:
        return sum(point["population"] for point in self.points)

    @property
    def households(self) -> int:
        return sum(point["households"] for point in self.points)


@dataclass
class _Lot:
    polygon: Polygon
    kind: str = "estate"  # estate | village | open
    name: str = ""
    group: str | None = None
    population: int = 0
    address: str = ""  # village or road name used for building addresses
    village: int = -1  # which former village (seed) a village lot belongs to


# ---------------------------------------------------------------------------------------------- layout


def jittered_grid(
    x_edges: list[float],
    y_edges: list[float],
    rng: np.random.Generator,
    *,
    jitter_m: float,
    wiggle_m: float,
) -> dict[tuple[int, int], Polygon]:
    """Quadrilateral-ish cells ``(column, row)`` of a grid whose shared vertices are jittered.

    Each edge carries two intermediate vertices pushed sideways by up to ``wiggle_m``; the two cells on
    either side of an edge use the very same vertices, so neighbouring cells share their boundary exactly.
    """
    columns, rows = len(x_edges) - 1, len(y_edges) - 1
    corners = np.empty((columns + 1, rows + 1, 2))
    for i, x in enumerate(x_edges):
        for j, y in enumerate(y_edges):
            corners[i, j] = (x + rng.uniform(-jitter_m, jitter_m), y + rng.uniform(-jitter_m, jitter_m))

    def edge_points(a: np.ndarray, b: np.ndarray) -> list[tuple[float, float]]:
        direction = b - a
        normal = np.array([-direction[1], direction[0]]) / math.hypot(*direction)
        return [
            tuple(a + direction * t + normal * rng.uniform(-wiggle_m, wiggle_m)) for t in (1 / 3, 2 / 3)
        ]

    horizontal = {
        (i, j): edge_points(corners[i, j], corners[i + 1, j]) for j in range(rows + 1) for i in range(columns)
    }
    vertical = {
        (i, j): edge_points(corners[i, j], corners[i, j + 1]) for i in range(columns + 1) for j in range(rows)
    }
    cells = {}
    for i in range(columns):
        for j in range(rows):
            ring = [tuple(corners[i, j]), *horizontal[i, j], tuple(corners[i + 1, j]), *vertical[i + 1, j]]
            ring += [tuple(corners[i + 1, j + 1]), *reversed(horizontal[i, j + 1]), tuple(corners[i, j + 1])]
            ring += list(reversed(vertical[i, j]))
            cells[i, j] = Polygon(ring)
    return cells


def polyline(points: list[tuple[float, float]], rng: np.random.Generator, *, wobble_m: float) -> LineString:
    """A road or river through ``points`` with each intermediate vertex moved by up to ``wobble_m``."""
    moved = [points[0]]
    for x, y in points[1:-1]:
        moved.append((x + rng.uniform(-wobble_m, wobble_m), y + rng.uniform(-wobble_m, wobble_m)))
    moved.append(points[-1])
    return LineString(moved)


# ------------------------------------------------------------------------------------------ the builder


def build_community(
    polygon: Polygon,
    *,
    name: str,
    code: str,
    population: int,
    estate_count: int,
    remaining_share: float,
    crossing: list[Road],
    names: NamePicker,
    rng: np.random.Generator,
    facility_count: int = 1,
    phase_groups: int = 1,
    open_share: float = 0.08,
    max_block_m2: float = 250_000.0,
    village_seeds: list[tuple[float, float]] | None = None,
) -> Community:
    """Fill ``polygon`` with roads, estates, village land, buildings and facilities.

    ``population`` residents in total, about ``estate_count`` estates holding ``1 - remaining_share`` of
    them; about ``open_share`` of the lots stay open land (schools, parks, workshops); ``crossing`` are the
    roads and rivers of the wider area (only the parts inside are used).
    Raises ``ValueError`` when the numbers cannot be met (for example more residents than the estates
    can hold at 12,000 each).
    """
    if not polygon.is_valid or polygon.geom_type != "Polygon":
        raise ValueError(f"community {name}: its polygon must be one valid Polygon")
    if not 0.0 <= remaining_share < 1.0:
        raise ValueError(f"community {name}: remaining_share must be in [0, 1), got {remaining_share}")
    root = name.removesuffix("社区")
    community = Community(name=name, code=code, polygon=polygon)
    inside = [road for road in crossing if road.geometry.intersects(polygon)]
    community.roads = _add_minor_roads(polygon, inside, root=root, names=names, rng=rng, max_block_m2=max_block_m2)
    parcels = _parcels(polygon, inside + community.roads)
    lots = _bisect_all(
        parcels, rng, estate_count=estate_count, remaining_share=remaining_share, open_share=open_share
    )
    _classify(
        lots, rng, estate_count=estate_count, remaining_share=remaining_share, open_share=open_share,
        village_seeds=village_seeds,
    )
    _split_phases(lots, rng, phase_groups=phase_groups)
    _name_lots(lots, inside, names=names, root=root, rng=rng)
    _populate(lots, rng, name=name, population=population, remaining_share=remaining_share)
    community.estates, community.points = _buildings(lots, rng)
    community.facilities = _facilities(polygon, lots, rng, community_name=name, count=facility_count)
    return community


def _add_minor_roads(
    polygon: Polygon,
    inside: list[Road],
    *,
    root: str,
    names: NamePicker,
    rng: np.random.Generator,
    max_block_m2: float,
) -> list[Road]:
    """Cut oversized road-bounded blocks by minor roads that run from one road (or the boundary) to another."""
    minor: list[Road] = []
    skipped: set[tuple[float, float]] = set()  # blocks too ragged to cross with one straight road
    for _ in range(60):
        blocks = _parcels(polygon, inside + minor, setback_m=0.0)
        large = [
            block for block in blocks
            if block.area > max_block_m2 and _short_side(block) > 220.0 and _key(block) not in skipped
        ]
        if not large:
            break
        block = max(large, key=lambda item: item.area)
        network = shapely.union_all(
            [polygon.boundary] + [road.geometry.intersection(polygon) for road in inside + minor]
        )
        segment = _crossing_segment(block, network, rng)
        if segment is None or not polygon.contains(segment.interpolate(0.5, normalized=True)):
            skipped.add(_key(block))
            continue
        minor.append(Road(name=names.minor_road(root=root), kind="road", geometry=segment, width_m=14.0))
    return minor


def _key(polygon: Polygon) -> tuple[float, float]:
    centre = polygon.centroid
    return round(centre.x, 1), round(centre.y, 1)


def _crossing_segment(block: Polygon, network, rng: np.random.Generator) -> LineString | None:
    """A straight road across ``block``, perpendicular to its long axis, ending on the surrounding network."""
    axis_start, axis_end, _ = _long_axis(block)
    t = rng.uniform(0.38, 0.62)
    anchor = axis_start + (axis_end - axis_start) * t
    along = (axis_end - axis_start) / np.linalg.norm(axis_end - axis_start)
    across = np.array([-along[1], along[0]])
    reach = 5_000.0
    line = LineString([tuple(anchor - across * reach), tuple(anchor + across * reach)])
    hits = line.intersection(network)
    positions = sorted(line.project(Point(xy)) for xy in shapely.get_coordinates(hits))
    before = [p for p in positions if p < reach - 1e-6]
    after = [p for p in positions if p > reach + 1e-6]
    if not before or not after:
        return None
    # Overshoot by a metre so that the road really crosses the line it ends on after rounding.
    return substring(line, max(before) - 1.0, min(after) + 1.0)


def _parcels(polygon: Polygon, roads: list[Road], *, setback_m: float = SETBACK_M) -> list[Polygon]:
    """The land of ``polygon`` off every road corridor, as polygons larger than a verge."""
    land = polygon.buffer(-setback_m, join_style="mitre") if setback_m else polygon
    if roads:
        corridors = shapely.union_all(
            [road.geometry.buffer(road.corridor_m if setback_m else road.width_m / 2.0, cap_style="flat")
             for road in roads]
        )
        land = land.difference(corridors)
    parts = list(land.geoms) if isinstance(land, MultiPolygon) else [land]
    parts = [part for part in parts if part.geom_type == "Polygon" and part.area >= MIN_PARCEL_M2]
    return sorted(parts, key=lambda part: (round(part.centroid.y, 1), round(part.centroid.x, 1)))


def _long_axis(polygon: Polygon) -> tuple[np.ndarray, np.ndarray, float]:
    """Mid-points of the short sides of the oriented envelope (the long axis) and the short side length."""
    corners = np.asarray(shapely.oriented_envelope(polygon).exterior.coords)[:4]
    side_a = np.linalg.norm(corners[1] - corners[0])
    side_b = np.linalg.norm(corners[2] - corners[1])
    if side_a >= side_b:
        return (corners[0] + corners[3]) / 2, (corners[1] + corners[2]) / 2, float(side_b)
    return (corners[0] + corners[1]) / 2, (corners[3] + corners[2]) / 2, float(side_a)


def _short_side(polygon: Polygon) -> float:
    return _long_axis(polygon)[2]


def _halves(polygon: Polygon, t: float) -> list[Polygon]:
    """Cut ``polygon`` across its long axis at fraction ``t``."""
    corners = np.asarray(shapely.oriented_envelope(polygon).exterior.coords)[:4]
    centre = corners.mean(axis=0)
    corners = centre + (corners - centre) * 1.02
    if np.linalg.norm(corners[1] - corners[0]) < np.linalg.norm(corners[2] - corners[1]):
        corners = np.roll(corners, -1, axis=0)
    cut_a = corners[0] + (corners[1] - corners[0]) * t
    cut_b = corners[3] + (corners[2] - corners[3]) * t
    pieces = []
    for half in (Polygon([corners[0], cut_a, cut_b, corners[3]]), Polygon([cut_a, corners[1], corners[2], cut_b])):
        piece = polygon.intersection(half)
        parts = list(piece.geoms) if hasattr(piece, "geoms") else [piece]
        pieces += [part for part in parts if part.geom_type == "Polygon" and part.area >= 50.0]
    return pieces


def _bisect_all(
    parcels: list[Polygon],
    rng: np.random.Generator,
    *,
    estate_count: int,
    remaining_share: float,
    open_share: float,
) -> list[_Lot]:
    """Cut every parcel into lots whose sizes spread over an order of magnitude around a target."""
    total = sum(parcel.area for parcel in parcels)
    if total <= 0:
        return []
    # Village land is less dense than estates: it takes more area than its share of residents.
    estate_area_share = max(0.15, 1.0 - min(0.6, 1.6 * remaining_share) - open_share)
    mean_m2 = max(MIN_LOT_M2 * 1.5, total * estate_area_share / max(estate_count, 1))
    lots = []
    for parcel in parcels:
        # Some road-bounded blocks are one large gated estate: keep them whole.
        if 4 * mean_m2 <= parcel.area <= 300_000.0 and _short_side(parcel) > 200.0 and rng.random() < 0.35:
            lots.append(_Lot(polygon=parcel))
            continue
        stack = [parcel]
        while stack:
            piece = stack.pop()
            stop_m2 = mean_m2 * math.exp(rng.uniform(-1.2, 1.3))
            if piece.area <= max(stop_m2, 2 * MIN_LOT_M2):
                lots.append(_Lot(polygon=piece))
            else:
                stack.extend(reversed(_halves(piece, rng.uniform(0.32, 0.68))))
    return lots


def _estate_shape(polygon: Polygon) -> Polygon | None:
    """The estate drawn on a lot (the lot minus a lane), or None when the lot is too thin or ragged."""
    if _short_side(polygon) < 45.0 or polygon.area / shapely.oriented_envelope(polygon).area < 0.55:
        return None
    shape = polygon.buffer(-LANE_HALF_M, join_style="mitre")
    if shape.geom_type != "Polygon" or shape.area < 2_500.0:
        return None
    return shapely.simplify(shape, 0.5)


def _classify(
    lots: list[_Lot],
    rng: np.random.Generator,
    *,
    estate_count: int,
    remaining_share: float,
    open_share: float,
    village_seeds: list[tuple[float, float]] | None,
) -> None:
    """Mark lots as village land (clustered around old village centres), open land, or estates."""
    if not lots:
        return
    centroids = np.array([lot.polygon.centroid.coords[0] for lot in lots])
    areas = np.array([lot.polygon.area for lot in lots])
    if remaining_share > 0:
        if village_seeds:
            seeds = np.asarray(village_seeds, dtype=float)
        else:
            count = int(rng.integers(1, 4))
            seeds = centroids[rng.choice(len(lots), size=min(count, len(lots)), replace=False)]
        distances = np.linalg.norm(centroids[:, None, :] - seeds[None, :, :], axis=2)
        distance = distances.min(axis=1)
        nearest = distances.argmin(axis=1)
        target = areas.sum() * min(0.6, 1.6 * remaining_share)
        taken = 0.0
        for index in np.argsort(distance, kind="stable"):
            if taken >= target:
                break
            lots[index].kind = "village"
            lots[index].village = int(nearest[index])
            taken += areas[index]
    for lot in lots:
        if lot.kind == "estate" and (rng.random() < open_share or _estate_shape(lot.polygon) is None):
            lot.kind = "open"
    estates = [lot for lot in lots if lot.kind == "estate"]
    if len(estates) > estate_count:
        # Too many: the smallest become open land (a school, a park), as between real estates.
        for lot in sorted(estates, key=lambda item: item.polygon.area)[: len(estates) - estate_count]:
            lot.kind = "open"
    if not any(lot.kind == "estate" for lot in lots):
        candidates = [lot for lot in lots if _estate_shape(lot.polygon) is not None]
        if candidates:
            max(candidates, key=lambda item: item.polygon.area).kind = "estate"


def _split_phases(lots: list[_Lot], rng: np.random.Generator, *, phase_groups: int) -> None:
    """Cut a few of the largest estates into two or three adjacent phases of one development."""
    estates = sorted((lot for lot in lots if lot.kind == "estate"), key=lambda item: -item.polygon.area)
    done = 0
    for lot in estates:
        if done >= phase_groups:
            break
        parts = 2 + int(rng.random() < 0.35)
        pieces = _halves(lot.polygon, rng.uniform(0.4, 0.6))
        if parts == 3 and len(pieces) == 2:
            bigger = max(pieces, key=lambda item: item.area)
            pieces = [piece for piece in pieces if piece is not bigger] + _halves(bigger, 0.5)
        if len(pieces) < 2 or any(_estate_shape(piece) is None for piece in pieces):
            continue
        label = f"phased-{done}"
        lot.polygon, lot.group = pieces[0], label
        lots.extend(_Lot(polygon=piece, kind="estate", group=label) for piece in pieces[1:])
        done += 1


def _name_lots(
    lots: list[_Lot], roads: list[Road], *, names: NamePicker, root: str, rng: np.random.Generator
) -> None:
    """Estate names (phases 一期/二期 of one development), village names, old-street addresses."""
    labels: dict[str, list[_Lot]] = {}
    for lot in lots:
        if lot.kind == "estate" and lot.group:
            labels.setdefault(lot.group, []).append(lot)
    for label in sorted(labels):
        members = sorted(labels[label], key=lambda item: (-item.polygon.centroid.y, item.polygon.centroid.x))
        stem = names.phased(qualifier=root)
        for ordinal, lot in zip(PHASE_ORDINALS, members):
            lot.name, lot.group = stem + ordinal, stem
    for lot in lots:
        if lot.kind == "estate" and not lot.name:
            lot.name = names.estate(qualifier=root)
    villages = [lot for lot in lots if lot.kind == "village"]
    arterials = [road for road in roads if road.kind == "road"]
    village_names: dict[int, str] = {}
    for lot in villages:
        centre = lot.polygon.centroid
        near_road = min(arterials, key=lambda road: road.geometry.distance(centre), default=None)
        if near_road is not None and near_road.geometry.distance(centre) < 130.0 and rng.random() < 0.7:
            lot.address = near_road.name  # shops and houses along the main road: an old street
            continue
        if lot.village not in village_names:
            village_names[lot.village] = names.place(suffix="村")
        lot.address = village_names[lot.village]


def allocate(total: int, weights: np.ndarray, *, low: int = 1, high: int | None = None) -> np.ndarray:
    """Integers in ``[low, high]`` summing to ``total``, proportional to ``weights`` where the bounds allow.

    Largest-remainder rounding; raises ``ValueError`` when ``total`` cannot be reached within the bounds.
    """
    weights = np.asarray(weights, dtype=float)
    count = len(weights)
    upper = float("inf") if high is None else float(high)
    if count == 0:
        if total:
            raise ValueError(f"cannot place {total} residents: no buildings or estates to hold them")
        return np.zeros(0, dtype=np.int64)
    if total < low * count or total > upper * count:
        raise ValueError(f"cannot split {total} into {count} parts between {low} and {high}")
    values = np.zeros(count)
    free = np.ones(count, dtype=bool)
    for _ in range(count + 1):
        remaining = total - values[~free].sum()
        values[free] = remaining * weights[free] / weights[free].sum()
        over = free & (values > upper)
        under = free & (values < low)
        if not over.any() and not under.any():
            break
        # Fix the worst side first; fixing both at once can overshoot the total.
        if over.any() and (values[over] - upper).sum() >= (low - values[under]).sum():
            values[over] = upper
            free &= ~over
        else:
            values[under] = low
            free &= ~under
        if not free.any():
            break
    integers = np.floor(values).astype(np.int64)
    short = int(total - integers.sum())
    fractions = values - integers
    room = integers < upper
    order = [int(i) for i in np.lexsort((np.arange(count), -fractions)) if room[i]]
    for index in order[:short]:
        integers[index] += 1
    if integers.sum() != total:
        raise ValueError(f"cannot split {total} into {count} parts between {low} and {high}")
    return integers


def _populate(
    lots: list[_Lot], rng: np.random.Generator, *, name: str, population: int, remaining_share: float
) -> None:
    """Give estates and village lots their residents; open land keeps none."""
    estates = [lot for lot in lots if lot.kind == "estate"]
    villages = [lot for lot in lots if lot.kind == "village"]
    if not estates:
        raise ValueError(f"community {name}: no room for a single estate; give it a larger polygon")
    estate_total = population if not villages else int(round(population * (1.0 - remaining_share)))
    if estate_total > len(estates) * ESTATE_MAX_POPULATION:
        raise ValueError(
            f"community {name}: {estate_total} estate residents do not fit in {len(estates)} estates of at most "
            f"{ESTATE_MAX_POPULATION}; ask for more estates"
        )
    areas = np.array([lot.polygon.area for lot in estates])
    # Estate sizes are heavy-tailed (many small old estates, a few very large new ones); the larger lots
    # get the larger estates, with some noise because density varies from villas to towers.
    order = np.argsort(areas * np.exp(rng.normal(0.0, 0.3, size=len(estates))), kind="stable")
    weights = np.empty(len(estates))
    weights[order] = _estate_sizes(len(estates), estate_total, rng)
    low = min(ESTATE_MIN_POPULATION, estate_total // len(estates))
    for lot, value in zip(estates, allocate(estate_total, weights, low=low, high=ESTATE_MAX_POPULATION)):
        lot.population = int(value)
    if villages:
        areas = np.array([lot.polygon.area for lot in villages])
        weights = areas * np.exp(rng.normal(0.0, 0.3, size=len(villages)))
        for lot, value in zip(villages, allocate(population - estate_total, weights, low=0)):
            lot.population = int(value)


def _estate_sizes(count: int, total: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed target sizes, ascending, between about 300 and 12,000 residents, summing to ``total``.

    Log-normal quantiles (many estates of several hundred to two thousand residents) around a median
    found by bisection to meet ``total``; with eight estates or more the largest is a big new
    development of 9,000-12,000 residents, as in the oversized communities of the problem.
    """
    low = ESTATE_MIN_POPULATION * rng.uniform(1.0, 1.25)
    high = rng.uniform(0.85, 1.0) * ESTATE_MAX_POPULATION
    quantiles = np.sort((np.arange(count) + rng.uniform(0.2, 0.8, size=count)) / count)
    spread = np.array([NormalDist().inv_cdf(float(q)) for q in quantiles]) * 0.85

    def sizes(median: float) -> np.ndarray:
        values = np.clip(median * np.exp(spread), low, high)
        if count >= 8 and total > 4 * high:
            values[-1] = high
        return values

    small, large = 1.0, ESTATE_MAX_POPULATION  # the sum grows with the median
    for _ in range(60):
        middle = (small + large) / 2
        if sizes(middle).sum() < total:
            small = middle
        else:
            large = middle
    return sizes((small + large) / 2)


def _building_sizes(lot: _Lot, rng: np.random.Generator) -> list[tuple[int, int, str]]:
    """(persons, households, kind) per building of a lot."""
    if lot.population <= 0:
        return []
    if lot.kind == "estate":
        mean = 90.0 if lot.population < 1_200 else rng.uniform(220.0, 420.0)  # walk-ups vs towers
        count = max(1, int(round(lot.population / mean)))
        persons = allocate(lot.population, rng.uniform(0.6, 1.4, size=count), low=1)
        per_household = rng.uniform(2.3, 3.0, size=count)
        kinds = ["estate"] * count
    else:
        sizes, kinds, ratios = [], [], []
        left = lot.population
        while left > 0:
            roll = rng.random()
            if roll < 0.05 and left > 150:  # a factory dormitory (collective households)
                size, kind, ratio = rng.integers(120, 400), "dorm", rng.uniform(6.0, 12.0)
            elif lot.address.endswith("路") or lot.address.endswith("道"):
                size, kind, ratio = rng.integers(6, 40), "street", rng.uniform(2.2, 3.2)
            else:
                size, kind, ratio = rng.integers(15, 80), "rental", rng.uniform(1.5, 2.4)
            size = int(min(size, left))
            sizes.append(size)
            kinds.append(kind)
            ratios.append(ratio)
            left -= size
        persons = np.array(sizes, dtype=np.int64)
        per_household = np.array(ratios)
    households = np.maximum(1, np.minimum(persons, np.round(persons / per_household).astype(np.int64)))
    return [(int(p), int(h), k) for p, h, k in zip(persons, households, kinds)]


def scatter(polygon: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` well-spread points strictly inside ``polygon`` (a jittered grid, thinned at random)."""
    if count <= 0:
        return np.zeros((0, 2))
    inner = polygon.buffer(-6.0)
    if inner.is_empty or inner.area < 0.2 * polygon.area:
        inner = polygon.buffer(-1.0)
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    spacing = math.sqrt(inner.area / count)
    for _ in range(12):
        xs = np.arange(minx + spacing * rng.uniform(0.1, 0.9), maxx, spacing)
        ys = np.arange(miny + spacing * rng.uniform(0.1, 0.9), maxy, spacing)
        gx, gy = np.meshgrid(xs, ys)
        gx = gx.ravel() + rng.uniform(-0.2, 0.2, size=gx.size) * spacing
        gy = gy.ravel() + rng.uniform(-0.2, 0.2, size=gy.size) * spacing
        keep = shapely.contains_xy(inner, gx, gy)
        if keep.sum() >= count:
            chosen = np.sort(rng.choice(np.flatnonzero(keep), size=count, replace=False))
            return np.column_stack([gx[chosen], gy[chosen]])
        spacing *= 0.8
    raise ValueError(f"cannot place {count} buildings in a polygon of {polygon.area:.0f} m²")


def _buildings(lots: list[_Lot], rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    """Estate records (with totals equal to their buildings' sums) and building points."""
    estates, points = [], []
    for lot in lots:
        buildings = _building_sizes(lot, rng)
        if lot.kind == "estate":
            shape = _estate_shape(lot.polygon)
            if shape is None:
                raise ValueError(f"estate {lot.name}: its lot is too thin to draw")
            where = scatter(shape, len(buildings), rng)
            for number, ((persons, households, _), xy) in enumerate(zip(buildings, where), start=1):
                points.append(
                    {"population": persons, "households": households, "building": f"{lot.name}{number}栋",
                     "geometry": Point(xy)}
                )
            estates.append(
                {"name": lot.name, "group": lot.group, "households": sum(b[1] for b in buildings),
                 "population": sum(b[0] for b in buildings), "geometry": shape}
            )
        elif buildings:
            where = scatter(lot.polygon, len(buildings), rng)
            numbers = np.sort(rng.choice(np.arange(1, 8 * len(buildings) + 40), size=len(buildings), replace=False))
            for number, (persons, households, kind), xy in zip(numbers, buildings, where):
                if kind == "dorm":
                    label = f"{lot.address}{number}号宿舍楼"
                elif lot.address.endswith("村"):
                    label = f"{lot.address}{1 + number // 12}巷{number % 12 + 1}号"
                else:
                    label = f"{lot.address}{number}号"
                points.append({"population": persons, "households": households, "building": label,
                               "geometry": Point(xy)})
    return estates, points


def _facilities(
    polygon: Polygon, lots: list[_Lot], rng: np.random.Generator, *, community_name: str, count: int
) -> list[dict]:
    """The party-and-public service centre near the middle, and service stations in the largest estates."""
    if count <= 0 or not lots:
        return []
    centre = polygon.centroid
    host = min(lots, key=lambda lot: lot.polygon.distance(centre) + 0.01 * lot.polygon.centroid.distance(centre))
    spot = host.polygon.buffer(-8.0)
    facilities = [
        {"name": f"{community_name}党群服务中心", "area_m2": int(rng.integers(60, 160)) * 10,
         "geometry": (spot if not spot.is_empty else host.polygon).representative_point()}
    ]
    stations = [lot for lot in lots if lot.kind == "estate" and lot is not host]
    stations.sort(key=lambda lot: -lot.population)
    for lot in stations[: count - 1]:
        shape = _estate_shape(lot.polygon) or lot.polygon
        facilities.append(
            {"name": f"{community_name}{lot.name}服务站", "area_m2": int(rng.integers(15, 46)) * 10,
             "geometry": shape.buffer(-10.0).representative_point()}
        )
    return facilities
