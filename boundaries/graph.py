"""Adjacency graph of units: shared boundary lengths in metres, the road or river an edge runs
along, and explicit bridges that reconnect islands.

Two units are neighbours through a real shared boundary of at least ``min_shared_length_m`` (a corner
touch is not a neighbour), or across a gap narrower than ``gap_tolerance_m`` that nothing else fills
(two parts of a community on either side of an unmapped strip): the edge records the crossing as
``gap_m`` (0 for a shared boundary), and ``crossing_strips`` gives the land the crossing spans, which
the dissolved new community includes so that it is one piece on the map. A gap with another unit
in it is no crossing: the units are not neighbours (an estate cut off by a strip of another unit).
The shared length is the mean of the two boundaries' lengths lying within (gap + 5 cm) of the other
unit. An edge carries a ``barrier`` (the road/river name) when at least half of its shared boundary
lies within ``barrier_distance_m`` of that road or river. ``crossing_label`` names either.
"""
from __future__ import annotations

import logging
import math
import time

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from shapely import STRtree

from boundaries.errors import InputError, Problem

log = logging.getLogger(__name__)

_EPS_M = 0.05
_SAMPLE_SPACING_M = 5.0
_MAX_SAMPLES_PER_PART = 50
_REQUIRED = ("unit_id", "population", "households")


def build_graph(frame: gpd.GeoDataFrame, *, roads: gpd.GeoDataFrame | None = None,
                gap_tolerance_m: float = 5.0, min_shared_length_m: float = 1.0,
                barrier_distance_m: float = 15.0) -> nx.Graph:
    """networkx graph of the units in ``frame`` (nodes = unit_id), connected by explicit bridges."""
    started = time.perf_counter()
    _check(frame, gap_tolerance_m, min_shared_length_m, barrier_distance_m)
    geoms = frame.geometry.values
    ids = frame["unit_id"].astype(str).tolist()
    graph = nx.Graph()
    graph.graph.update({"crs": frame.crs.to_string(), "bridges": [], "gap_tolerance_m": float(gap_tolerance_m),
                        "min_shared_length_m": float(min_shared_length_m)})
    inside = shapely.centroid(geoms)
    outside = ~shapely.within(inside, geoms)
    if outside.any():
        inside[outside] = shapely.point_on_surface(geoms[outside])
    for unit_id, attributes in zip(ids, _node_attributes(frame, inside)):
        graph.add_node(unit_id, **attributes)

    left, right, length, shared, gap = _adjacent_pairs(geoms, gap_tolerance_m, min_shared_length_m)
    barrier, barrier_kind = _barriers(shared, length, roads, frame.crs, barrier_distance_m)
    for k in range(len(left)):
        graph.add_edge(ids[left[k]], ids[right[k]], length_m=float(round(length[k], 3)), barrier=barrier[k],
                       barrier_kind=barrier_kind[k], bridge=False, gap_m=float(round(gap[k], 2)))
    _bridge_islands(graph, geoms, ids, gap_tolerance_m)
    log.info("graph: %d units, %d edges (%d along named roads/rivers, %d bridges) in %.1f s",
             graph.number_of_nodes(), graph.number_of_edges(), sum(b is not None for b in barrier),
             len(graph.graph["bridges"]), time.perf_counter() - started)
    return graph


def _check(frame, gap_tolerance_m, min_shared_length_m, barrier_distance_m) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"build_graph needs a GeoDataFrame of units, got {type(frame).__name__}")
    missing = [c for c in _REQUIRED if c not in frame]
    problems = []
    if missing:
        problems.append(Problem("error", "units", None, f"missing column(s) {', '.join(missing)}",
                                "pass Units.frame from build_units"))
    if frame.crs is None or not frame.crs.is_projected:
        problems.append(Problem("error", "units", None, "units must be in a projected CRS in metres",
                                "project them first (load_layers does)"))
    if frame["unit_id"].astype(str).duplicated().any() if "unit_id" in frame else False:
        duplicated = frame["unit_id"].astype(str)[frame["unit_id"].astype(str).duplicated()].tolist()
        problems.append(Problem("error", "units", duplicated[0], f"duplicate unit_id(s): {', '.join(duplicated[:5])}"))
    for label, value in (("gap_tolerance_m", gap_tolerance_m), ("min_shared_length_m", min_shared_length_m),
                         ("barrier_distance_m", barrier_distance_m)):
        if not isinstance(value, (int, float)) or value < 0:
            problems.append(Problem("error", "options", label, f"{label} must be a number ≥ 0, got {value!r}"))
    if problems:
        raise InputError(problems)


def _clean(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _node_attributes(frame: gpd.GeoDataFrame, inside: np.ndarray) -> list[dict]:
    """One attribute dict per unit, in frame order (plain Python values, NaN as None/0)."""
    n = len(frame)
    columns: dict[str, list] = {
        "population": np.nan_to_num(frame["population"].to_numpy(dtype=float)).tolist(),
        "households": np.nan_to_num(frame["households"].to_numpy(dtype=float)).tolist(),
        "x": shapely.get_x(inside).tolist(),
        "y": shapely.get_y(inside).tolist(),
    }
    for column in ("kind", "name", "estate_id", "group", "community"):
        if column in frame:
            columns[column] = [None if (v := _clean(value)) is None else str(v) for value in frame[column].tolist()]
    columns["facility"] = ([int(_clean(v) or 0) for v in frame["facility"].tolist()] if "facility" in frame
                           else [0] * n)
    if "area_m2" in frame:
        columns["area_m2"] = frame["area_m2"].to_numpy(dtype=float).tolist()
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*(columns[c] for c in names))]


def _adjacent_pairs(geoms: np.ndarray, gap_m: float, min_shared_m: float):
    """(left, right, shared length, left's shared boundary) for every neighbouring pair, left < right."""
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=max(gap_m, _EPS_M))
    keep = left < right
    left, right = left[keep], right[keep]
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    distance = shapely.distance(geoms[left], geoms[right])
    boundaries = shapely.boundary(geoms)
    grown = shapely.buffer(geoms, _EPS_M, quad_segs=2)
    touching = distance <= _EPS_M / 2
    grown_left = grown[left].copy()
    grown_right = grown[right].copy()
    gapped = np.flatnonzero(~touching)
    if len(gapped):
        radius = distance[gapped] + _EPS_M
        grown_left[gapped] = shapely.buffer(geoms[left[gapped]], radius, quad_segs=2)
        grown_right[gapped] = shapely.buffer(geoms[right[gapped]], radius, quad_segs=2)
    shared_left = shapely.intersection(boundaries[left], grown_right)
    shared_right = shapely.intersection(boundaries[right], grown_left)
    length = (_trimmed_length(shared_left) + _trimmed_length(shared_right)) / 2
    keep = length >= max(min_shared_m, 3 * _EPS_M)
    gap = np.where(touching, 0.0, distance)
    for k in np.flatnonzero(keep & ~touching):
        keep[k] = _free_crossing(geoms, tree, int(left[k]), int(right[k]), float(distance[k])) is not None
    return left[keep], right[keep], length[keep], shared_left[keep], gap[keep]


def _corridor(a, b, distance_m: float):
    """The land between two units ``distance_m`` apart, along the stretch where they face each other."""
    reach = distance_m + _EPS_M
    grown_a, grown_b = shapely.buffer(a, reach, quad_segs=4), shapely.buffer(b, reach, quad_segs=4)
    # between the two facing stretches of boundary only: no caps running on past their ends
    facing = shapely.convex_hull(shapely.union_all([shapely.intersection(shapely.boundary(a), grown_b),
                                                    shapely.intersection(shapely.boundary(b), grown_a)]))
    return shapely.difference(shapely.intersection(facing, shapely.intersection(grown_a, grown_b)),
                              shapely.union_all([a, b]))


def _free_crossing(geoms: np.ndarray, tree: STRtree, i: int, j: int, distance_m: float):
    """The corridor between units i and j less every other unit; None when other units fill most of it
    (then i and j are not neighbours: something lies between them)."""
    corridor = _corridor(geoms[i], geoms[j], distance_m)
    if corridor.is_empty or corridor.area <= 0:
        return None
    others = [k for k in tree.query(corridor, predicate="intersects") if k not in (i, j)]
    free = shapely.difference(corridor, shapely.union_all(geoms[others])) if others else corridor
    return free if free.area >= 0.5 * corridor.area else None


def crossing_strips(frame: gpd.GeoDataFrame, graph: nx.Graph) -> list[tuple[str, str, object]]:
    """(u, v, land) for every edge that crosses a gap (``gap_m`` > 0): the land a new community holding
    both units includes so that it is drawn as one piece. Bridges to islands have none."""
    ids = frame["unit_id"].astype(str).tolist()
    position = {unit_id: i for i, unit_id in enumerate(ids)}
    geoms = frame.geometry.values
    tree = STRtree(geoms)
    out = []
    for u, v, data in sorted(graph.edges(data=True)):
        if data.get("bridge") or not data.get("gap_m"):
            continue
        free = _free_crossing(geoms, tree, position[u], position[v], float(data["gap_m"]))
        if free is not None:
            out.append((u, v, free))
    return out


def crossing_label(edge: dict) -> str | None:
    """How an edge crosses between its units: the road or river's name, "gap 3 m", or None (shared land)."""
    if edge.get("barrier"):
        return str(edge["barrier"])
    if edge.get("bridge"):
        return f"gap {edge.get('distance_m', 0):,.0f} m (island)"
    if edge.get("gap_m"):
        return f"gap {edge['gap_m']:,.0f} m"
    return None


def _trimmed_length(shared: np.ndarray) -> np.ndarray:
    """Length of each shared boundary less the buffer's overshoot (eps at both ends of each open part)."""
    length = shapely.length(shared)
    parts, owner = shapely.get_parts(shapely.line_merge(shared), return_index=True)
    is_line = np.isin(shapely.get_type_id(parts), (1, 2))
    open_line = is_line & ~shapely.is_closed(parts)
    open_ends = np.bincount(owner[open_line], minlength=len(shared))
    return np.maximum(length - 2 * _EPS_M * open_ends, 0.0)


def _barriers(shared: np.ndarray, length: np.ndarray, roads, crs, distance_m: float):
    """Name (or None) and kind of the road/river each shared boundary runs along."""
    barrier: list[str | None] = [None] * len(shared)
    barrier_kind: list[str | None] = [None] * len(shared)
    if roads is None or len(roads) == 0 or len(shared) == 0:
        return barrier, barrier_kind
    if roads.crs is not None and crs is not None and roads.crs != crs:
        roads = roads.to_crs(crs)
    parts, edge = shapely.get_parts(shared, return_index=True)
    while True:  # collections may nest multi-lines
        nested = shapely.get_type_id(parts) >= 4
        if not nested.any():
            break
        sub, sub_index = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        edge = np.concatenate([edge[~nested], edge[nested][sub_index]])
    lines = np.isin(shapely.get_type_id(parts), (1, 2))
    parts, edge = parts[lines], edge[lines]
    if len(parts) == 0:
        return barrier, barrier_kind
    part_length = shapely.length(parts)
    samples = np.clip(np.ceil(part_length / _SAMPLE_SPACING_M), 1, _MAX_SAMPLES_PER_PART).astype(np.int64)
    which = np.repeat(np.arange(len(parts)), samples)
    starts = np.cumsum(samples) - samples
    position = (np.arange(len(which)) - starts[which] + 0.5) / samples[which]
    points = shapely.line_interpolate_point(parts[which], position, normalized=True)
    weight = part_length[which] / samples[which]
    road_names = [None if not isinstance(n, str) or not n.strip() else n.strip() for n in roads["name"]] \
        if "name" in roads else [None] * len(roads)
    road_kinds = roads["kind"].astype(str).tolist() if "kind" in roads else ["road"] * len(roads)
    segments, segment_road = _segments(roads.geometry.values)
    names = [road_names[r] for r in segment_road]
    kinds = [road_kinds[r] for r in segment_road]
    sample_index, road_index = STRtree(segments).query_nearest(points, max_distance=distance_m)
    totals: dict[int, dict[tuple[str, str], float]] = {}
    for s, r in zip(sample_index, road_index):
        key = (names[r] or "", kinds[r])
        bucket = totals.setdefault(int(edge[which[s]]), {})
        bucket[key] = bucket.get(key, 0.0) + float(weight[s])
    for e, bucket in totals.items():
        (name, kind), covered = min(bucket.items(), key=lambda item: (-item[1], item[0]))
        if covered >= 0.5 * length[e]:
            barrier[e] = name or None
            barrier_kind[e] = kind
    return barrier, barrier_kind


def _segments(lines: np.ndarray, max_length_m: float = 200.0) -> tuple[np.ndarray, np.ndarray]:
    """Lines cut into short straight segments (a tighter spatial index), with each segment's line index."""
    parts, owner = shapely.get_parts(shapely.segmentize(lines, max_length_m), return_index=True)
    parts_lines = np.isin(shapely.get_type_id(parts), (1, 2))
    parts, owner = parts[parts_lines], owner[parts_lines]
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    same = part_of[1:] == part_of[:-1]
    starts = np.flatnonzero(same)
    segments = shapely.linestrings(np.stack([coords[starts], coords[starts + 1]], axis=1))
    return segments, owner[part_of[starts]]


def _bridge_islands(graph: nx.Graph, geoms: np.ndarray, ids: list[str], gap_m: float) -> None:
    """Join every component to its nearest unit outside it, smallest component first, and record it."""
    if graph.number_of_nodes() < 2:
        return
    position = {unit_id: i for i, unit_id in enumerate(ids)}
    tree = STRtree(geoms)
    extent = shapely.total_bounds(geoms)
    diagonal = float(math.hypot(extent[2] - extent[0], extent[3] - extent[1])) + 1.0
    while not nx.is_connected(graph):
        components = sorted(nx.connected_components(graph),
                            key=lambda c: (len(c), min(position[u] for u in c)))
        island = components[0]
        members = np.array(sorted(position[u] for u in island))
        in_island = np.zeros(len(ids), dtype=bool)
        in_island[members] = True
        radius = max(4 * gap_m, 50.0)
        while True:
            source, target = tree.query(geoms[members], predicate="dwithin", distance=radius)
            outside = ~in_island[target]
            if outside.any() or radius > diagonal:
                break
            radius *= 4
        source, target = members[source[outside]], target[outside]
        distance = shapely.distance(geoms[source], geoms[target])
        best = np.lexsort((target, source, distance))[0]
        u, v, d = ids[source[best]], ids[target[best]], float(round(distance[best], 3))
        graph.add_edge(u, v, length_m=0.0, barrier=None, barrier_kind=None, bridge=True, distance_m=d, gap_m=d)
        graph.graph["bridges"].append({"u": u, "v": v, "distance_m": d})
        log.warning("unit %s (%s) is an island: bridged to %s, %.1f m away", u, graph.nodes[u].get("name"), v, d)
