"""Atomic units of one community: whole estates, and the remaining land cut into blocks along
roads and rivers (or a regular grid where there are none); every person counted exactly once.

How the remaining land is cut:

    community boundary ─► faces of (boundary ∪ road/river lines), polygonized
                          (faces larger than ``max_block_area_m2`` further cut by the grid)
    each face − estates ─► pieces, multi-part pieces exploded
    pieces nowhere wider than ``strip_width_m`` ─► cut among their neighbours in the same face (nearest wins)
    pieces < ``min_block_area_m2`` ─► merged into the neighbour (estate or block) sharing most boundary
    blocks numbered north to south, then west to east

Estates are clipped to the community boundary and to the estates listed before them (an overlap is
a validation error; the clipping only keeps units disjoint when the user goes on anyway).
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from boundaries.errors import InputError, Problem
from boundaries.geometry import split_to_nearest, thin
from boundaries.population import community_of_estates, community_of_points, pick_covering, sum_by

log = logging.getLogger(__name__)

_EDGE_EPS_M = 0.05        # two pieces closer than this touch (floating-point noding noise)
_DUST_AREA_M2 = 1e-6      # pieces smaller than this are numerical dust, merged like slivers
_CRUMB_AREA_M2 = 1.0      # a unit's detached parts smaller than this are dropped


@dataclass(frozen=True, eq=False)  # holds GeoDataFrames: identity, not element-wise equality
class Units:
    """The atomic units of one community and the people in them (see the package docs)."""

    frame: gpd.GeoDataFrame
    boundary: object
    community_id: str
    community_name: str
    population_in: float
    households_in: float
    population_out: float
    households_out: float
    reassigned: tuple[Mapping, ...]
    notes: tuple[str, ...]

    def __repr__(self) -> str:
        kinds = self.frame["kind"].value_counts()
        return (f"<Units {self.community_name} ({self.community_id}): {kinds.get('estate', 0)} estates + "
                f"{kinds.get('block', 0)} blocks, population {self.population_out:,.0f}, "
                f"households {self.households_out:,.0f}>")


def find_community(layers, community: str) -> int:
    """Row of the community named ``community`` (its name or community_id); InputError otherwise."""
    if not isinstance(community, str):
        raise InputError([Problem("error", "communities", str(community),
                                  f"community must be given by name or id (a string), got {type(community).__name__}")])
    frame = layers.communities
    by_id = np.flatnonzero(frame["community_id"].astype(str).to_numpy() == community)
    if len(by_id) == 1:
        return int(by_id[0])
    by_name = np.flatnonzero(frame["name"].astype(str).str.strip().to_numpy() == community.strip())
    if len(by_name) == 1:
        return int(by_name[0])
    if len(by_name) > 1:
        ids = ", ".join(frame["community_id"].iloc[by_name].astype(str))
        raise InputError([Problem("error", "communities", community,
                                  f"{len(by_name)} communities are called {community!r} (ids {ids})",
                                  "choose one by its community_id")])
    known = ", ".join(f"{n} ({i})" for i, n in zip(frame["community_id"], frame["name"]))
    raise InputError([Problem("error", "communities", community, "no community has this name or id",
                              f"known communities: {known}")])


def community_totals(layers, *, snap_tolerance_m: float = 30.0) -> pd.DataFrame:
    """Population, households and estate count per community (points attributed as in ``build_units``)."""
    owner, _ = community_of_points(layers, snap_tolerance_m=snap_tolerance_m)
    ids = layers.communities["community_id"].astype(str).tolist()
    position = {cid: i for i, cid in enumerate(ids)}
    index = np.array([position[o] if o is not None else -1 for o in owner], dtype=np.int64)
    population = sum_by(index, layers.population["population"].to_numpy(), len(ids))
    households = sum_by(index, layers.population["households"].to_numpy(), len(ids))
    estate_owner = community_of_estates(layers)
    estates = [int(np.sum(estate_owner == cid)) for cid in ids]
    return pd.DataFrame({"community_id": ids, "name": layers.communities["name"].tolist(),
                         "population": population, "households": households, "estates": estates})


#: More grid cells than this over one face is a mistaken setting (``--grid-size 1`` over a town would build
#: millions of units, then a model no machine holds): refused before a cell is built.
MAX_GRID_CELLS = 100_000


def _grid_size_for(cells: int, grid_size_m: float) -> float:
    """The grid size (a round number of metres) that brings ``cells`` within the limit."""
    return float(math.ceil(grid_size_m * math.sqrt(cells / MAX_GRID_CELLS) / 10.0) * 10)


def _grid_cells(geom, grid_size_m: float) -> np.ndarray:
    """Square cells aligned on multiples of ``grid_size_m`` (stable across runs) covering ``geom``."""
    minx, miny, maxx, maxy = geom.bounds
    columns = math.ceil(maxx / grid_size_m) - math.floor(minx / grid_size_m)
    rows = math.ceil(maxy / grid_size_m) - math.floor(miny / grid_size_m)
    if columns * rows > MAX_GRID_CELLS:
        raise InputError([Problem(
            "error", "grid", None,
            f"a {grid_size_m:g} m grid over {maxx - minx:,.0f} m × {maxy - miny:,.0f} m of land would build "
            f"{columns * rows:,} cells (at most {MAX_GRID_CELLS:,} are allowed)",
            hint=f"choose a larger --grid-size (e.g. {_grid_size_for(columns * rows, grid_size_m):g}) "
                 "or give --roads to cut the land into blocks")])
    xs = np.arange(math.floor(minx / grid_size_m), math.ceil(maxx / grid_size_m)) * grid_size_m
    ys = np.arange(math.floor(miny / grid_size_m), math.ceil(maxy / grid_size_m)) * grid_size_m
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + grid_size_m, gy.ravel() + grid_size_m)
    tree = STRtree(cells)
    hits = tree.query(geom, predicate="intersects")
    return shapely.intersection(cells[np.sort(hits)], geom)


def road_faces(boundary, roads: gpd.GeoDataFrame | None) -> np.ndarray | None:
    """Faces of the community cut by road and river lines; None when no line crosses it. Shared with
    ``estate_points``, which bounds an estate given only as a point by the face that holds it."""
    if roads is None or len(roads) == 0:
        return None
    lines = roads.geometry.values
    near = lines[STRtree(lines).query(boundary, predicate="intersects")]
    if len(near) == 0:
        return None
    clipped = shapely.intersection(near, shapely.buffer(boundary, 1.0))
    linework = shapely.union_all(np.concatenate([[shapely.boundary(boundary)], clipped]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linework)))
    inside = shapely.within(shapely.point_on_surface(faces), boundary)
    faces = shapely.intersection(faces[inside], boundary)
    return faces[~shapely.is_empty(faces)]


def _cells(boundary, roads, *, grid_size_m: float, max_block_area_m2: float) -> tuple[np.ndarray, str]:
    if roads is None or len(roads) == 0:
        return _grid_cells(boundary, grid_size_m), f"remaining land cut by a {grid_size_m:g} m grid (no roads given)"
    faces = road_faces(boundary, roads)
    if faces is None or len(faces) == 0:
        faces = np.array([boundary], dtype=object)
    large = shapely.area(faces) > max_block_area_m2
    pieces = [faces[~large]]
    for face in faces[large]:
        pieces.append(_grid_cells(face, grid_size_m))
    how = f"remaining land cut along roads/rivers into {len(faces)} faces"
    if large.any():
        how += (f"; {int(large.sum())} faces over {max_block_area_m2:,.0f} m² further cut by a "
                f"{grid_size_m:g} m grid")
    return np.concatenate(pieces), how


def _clip_estates(estates: np.ndarray, boundary) -> tuple[np.ndarray, int]:
    """Estates clipped to the community and made disjoint (earlier rows keep an overlap)."""
    clipped = shapely.intersection(estates, boundary)
    clipped = np.array([_polygons_only(g) for g in clipped], dtype=object)
    tree = STRtree(clipped)
    left, right = tree.query(clipped, predicate="intersects")
    later = right > left
    overlapping = 0
    for i in np.unique(right[later]):
        earlier = left[later & (right == i)]
        before = clipped[i]
        after = _polygons_only(shapely.difference(before, shapely.union_all(clipped[earlier])))
        if after.area < before.area - 1e-6:
            overlapping += 1
            clipped[i] = after
    return clipped, overlapping


def _without_dust(geom, min_area_m2: float = _DUST_AREA_M2):
    """The polygon less its detached parts under ``min_area_m2`` (the zero-width spikes that unions of
    nearly-matching edges leave behind); the largest part always stays."""
    parts = shapely.get_parts(geom)
    if len(parts) < 2:
        return geom
    area = shapely.area(parts)
    solid = parts[(area >= min_area_m2) | (np.arange(len(parts)) == np.argmax(area))]
    if len(solid) == len(parts):
        return geom
    return solid[0] if len(solid) == 1 else shapely.multipolygons(solid)


def _crumbs_to_neighbours(geoms: np.ndarray, min_area_m2: float) -> np.ndarray:
    """Each unit's detached parts under ``min_area_m2`` (the largest part always stays) move to the unit that
    shares most boundary with them; a crumb that shares none stays where it is."""
    geoms = np.array(geoms, dtype=object)
    crumbs: list[tuple[int, object]] = []
    for i, geom in enumerate(geoms):
        kept = _without_dust(geom, min_area_m2)
        if kept is not geom:
            crumbs += [(i, part) for part in shapely.get_parts(shapely.difference(geom, kept))]
            geoms[i] = kept
    if not crumbs:
        return geoms
    tree = STRtree(geoms)
    gained: dict[int, list] = {}
    for owner, crumb in crumbs:
        candidates = [int(j) for j in tree.query(crumb, predicate="intersects") if int(j) != owner]
        shared = [shapely.length(shapely.intersection(shapely.boundary(crumb), geoms[j])) for j in candidates]
        target = candidates[int(np.argmax(shared))] if candidates and max(shared) > 0 else owner
        gained.setdefault(target, []).append(crumb)
    for target, parts in gained.items():
        geoms[target] = _polygons_only(shapely.union_all([geoms[target], *parts]))
    return geoms


def _polygons_only(geom):
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    kind = shapely.get_type_id(geom)
    if kind in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _pieces(cells: np.ndarray, estates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cells minus the estates, exploded into single polygons, with the cell each came from."""
    tree = STRtree(estates)
    cell_index, estate_index = tree.query(cells, predicate="intersects")
    out = cells.copy()
    for i in np.unique(cell_index):
        out[i] = shapely.difference(cells[i], shapely.union_all(estates[estate_index[cell_index == i]]))
    parts, cell = shapely.get_parts(np.array([_polygons_only(g) for g in out], dtype=object), return_index=True)
    solid = ~shapely.is_empty(parts) & (shapely.area(parts) > 0)
    return parts[solid], cell[solid]


def _cut_arms(blocks: np.ndarray, cell: np.ndarray, width_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Blocks with thin arms (a strip between two estates running off a wide block) cut into the wide
    body and the arms, so that the arms can be shared like strips. Crumbs under ``width_m``² (corners
    the opening rounds) stay with the body."""
    opened = shapely.buffer(shapely.buffer(blocks, -width_m / 2, join_style="mitre"), width_m / 2,
                            join_style="mitre")
    out, faces = [], []
    for block, body, face in zip(blocks, opened, cell):
        rest = shapely.get_parts(_polygons_only(shapely.difference(block, body)))
        arms = rest[shapely.area(rest) > width_m ** 2] if len(rest) else rest
        if body.is_empty or len(arms) == 0:
            out.append(block)
            faces.append(face)
            continue
        kept = shapely.get_parts(_polygons_only(shapely.difference(block, shapely.union_all(arms))))
        for piece in [*kept, *arms]:
            out.append(piece)
            faces.append(face)
    return np.array(out, dtype=object), np.array(faces)


def _share_strips(estates: np.ndarray, blocks: np.ndarray, cell: np.ndarray, width_m: float
                  ) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Blocks nowhere wider than ``width_m`` (the land left between estates, or between an estate and a
    road) are cut among their neighbours, each taking the part nearest to it, so that no strip of
    another unit separates two units on the map. Neighbours across a road (another face) are not
    offered a share, so road lines stay unit boundaries.

    Returns (estates, blocks, strips shared, area shared in m²).
    """
    if len(blocks) == 0:
        return estates, blocks, 0, 0.0
    blocks, cell = _cut_arms(blocks, cell, width_m)
    strip = thin(blocks, width_m)
    if not strip.any():
        return estates, blocks, 0, 0.0
    geoms = np.concatenate([estates, blocks])
    n_estates = len(estates)
    is_strip = np.concatenate([np.zeros(n_estates, dtype=bool), strip])
    face = np.concatenate([np.full(n_estates, -1), cell])
    tree = STRtree(geoms)
    shared = 0
    area = 0.0
    for s in np.flatnonzero(is_strip):
        near = tree.query(shapely.buffer(geoms[s], _EDGE_EPS_M), predicate="intersects")
        near = np.sort(near[~is_strip[near]])
        same_face = near[(face[near] == face[s]) | (near < n_estates)]
        near = same_face if len(same_face) else near
        if len(near) == 0:
            continue  # nothing solid next to it: left to the sliver rule
        for k, part in split_to_nearest(geoms[s], geoms[near]):
            target = int(near[k])
            geoms[target] = _without_dust(_polygons_only(shapely.union_all([geoms[target], part])))
        area += float(geoms[s].area)
        geoms[s] = shapely.Polygon()
        shared += 1
    kept = ~shapely.is_empty(geoms[n_estates:])
    return geoms[:n_estates], geoms[n_estates:][kept], shared, area


def _merge_slivers(estates: np.ndarray, blocks: np.ndarray, min_block_area_m2: float
                   ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Merge blocks under the area threshold into the neighbour sharing the longest boundary.

    Returns (estate geometries, block geometries, slivers merged, isolated slivers kept).
    """
    everything = np.concatenate([estates, blocks])
    n_estates = len(estates)
    area = shapely.area(everything)
    is_sliver = np.zeros(len(everything), dtype=bool)
    is_sliver[n_estates:] = area[n_estates:] < min_block_area_m2
    slivers = np.flatnonzero(is_sliver)
    parent = np.arange(len(everything))
    isolated = 0
    if len(slivers):
        tree = STRtree(everything)
        grown = shapely.buffer(everything[slivers], _EDGE_EPS_M)
        sliver_pos, neighbour = tree.query(grown, predicate="intersects")
        owner = slivers[sliver_pos]
        keep = neighbour != owner
        owner, neighbour, sliver_pos = owner[keep], neighbour[keep], sliver_pos[keep]
        shared = shapely.length(shapely.intersection(shapely.boundary(everything[neighbour]), grown[sliver_pos]))
        for s in slivers:
            mine = owner == s
            if not mine.any() or shared[mine].max() <= 2 * _EDGE_EPS_M:
                isolated += 1
                continue
            candidates = neighbour[mine]
            lengths = shared[mine]
            solid = ~is_sliver[candidates]
            pool = solid if solid.any() else np.ones(len(candidates), dtype=bool)
            # longest shared boundary wins; ties go to the lower index (estates first, then block order)
            order = np.lexsort((candidates[pool], -lengths[pool]))
            parent[s] = candidates[pool][order[0]]
    root = np.array([_find_root(parent, i) for i in range(len(everything))])
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(root):
        groups.setdefault(int(r), []).append(i)
    merged_estates = estates.copy()
    merged_blocks: list[object] = []
    for r in sorted(groups):
        members = groups[r]
        geom = everything[r] if len(members) == 1 else _polygons_only(
            shapely.union_all(everything[members], grid_size=None))
        if r < n_estates:
            merged_estates[r] = geom
        else:
            merged_blocks.append(geom)
    merged = int(np.sum(root != np.arange(len(everything))))
    return merged_estates, np.array(merged_blocks, dtype=object), merged, isolated


def _find_root(parent: np.ndarray, i: int) -> int:
    """Follow merge pointers; a cycle (slivers pointing at each other) resolves to its lowest index."""
    seen = []
    while parent[i] != i and i not in seen:
        seen.append(i)
        i = int(parent[i])
    if parent[i] != i:  # cycle
        cycle = seen[seen.index(i):]
        low = min(cycle)
        for j in cycle:
            parent[j] = low
        parent[low] = low
        return low
    return i


def build_units(layers, community: str, *, grid_size_m: float = 250.0, snap_tolerance_m: float = 30.0,
                min_block_area_m2: float = 2000.0, max_block_area_m2: float | None = None,
                strip_width_m: float = 10.0) -> Units:
    """Whole estates + blocks of remaining land for one community, with its people assigned.

    ``community`` is a name or community_id. Blocks follow the roads (or a ``grid_size_m`` grid when
    there are none); road faces larger than ``max_block_area_m2`` (default: 4 grid cells) are cut by the
    grid too, so that a village between distant roads does not become one unsplittable unit. Blocks
    nowhere wider than ``strip_width_m`` are shared among their neighbours (see ``_share_strips``).
    """
    started = time.perf_counter()
    for label, value in (("grid_size_m", grid_size_m), ("min_block_area_m2", min_block_area_m2),
                         ("strip_width_m", strip_width_m)):
        if not isinstance(value, (int, float)) or not value > 0:
            raise InputError([Problem("error", "options", label, f"{label} must be a positive number, got {value!r}")])
    if not isinstance(snap_tolerance_m, (int, float)) or snap_tolerance_m < 0:
        raise InputError([Problem("error", "options", "snap_tolerance_m",
                                  f"snap_tolerance_m must be a number ≥ 0, got {snap_tolerance_m!r}")])
    if max_block_area_m2 is None:
        max_block_area_m2 = 4.0 * grid_size_m ** 2
    row = find_community(layers, community)
    community_id = str(layers.communities["community_id"].iloc[row])
    community_name = str(layers.communities["name"].iloc[row])
    boundary = layers.communities.geometry.iloc[row]
    notes: list[str] = []

    estate_owner = community_of_estates(layers)
    mine = np.flatnonzero(estate_owner == community_id)
    estates = layers.estates.iloc[mine].reset_index(drop=True)
    estate_geoms, overlapping = _clip_estates(estates.geometry.values, boundary)
    outside = shapely.area(estates.geometry.values) - shapely.area(estate_geoms)
    clipped_out = int(np.sum(outside > 1.0))
    if clipped_out:
        notes.append(f"{clipped_out} estate(s) clipped to the community boundary or to an overlapping estate "
                     f"({outside.sum():,.0f} m² in total)")
    empty = shapely.is_empty(estate_geoms)
    if empty.any():
        notes.append(f"{int(empty.sum())} estate(s) covered entirely by earlier estates are left out: "
                     + ", ".join(estates["name"][empty].astype(str)))
        estates = estates.loc[~empty].reset_index(drop=True)
        estate_geoms = estate_geoms[~empty]

    estate_geoms, blocks = _remaining_land(estate_geoms, boundary, layers.roads, notes, grid_size_m=grid_size_m,
                                           max_block_area_m2=max_block_area_m2, strip_width_m=strip_width_m,
                                           min_block_area_m2=min_block_area_m2)
    width = max(3, len(str(len(blocks))))
    block_ids = [f"{community_id}-B{k + 1:0{width}d}" for k in range(len(blocks))]

    n_estates = len(estates)
    unit_ids = np.array(estates["estate_id"].astype(str).tolist() + block_ids, dtype=object)
    if len(set(unit_ids)) != len(unit_ids):
        raise InputError([Problem("error", "estates", None,
                                  "estate ids collide with block ids (e.g. an estate id like "
                                  f"'{community_id}-B001')", "give estates other ids (fields: estate_id)")])
    geoms = np.concatenate([estate_geoms, blocks]) if len(blocks) else estate_geoms
    # a detached crumb under 1 m² is no land to draw, but its long zero-width edges would make false
    # neighbours (a unit "touching" another 40 m away through a spike): each goes to the unit it lies
    # against, so the units still tile the community exactly
    geoms = _crumbs_to_neighbours(geoms, _CRUMB_AREA_M2)
    kinds = ["estate"] * n_estates + ["block"] * len(blocks)
    names = estates["name"].astype(str).tolist() + [f"{community_name}地块{k + 1:0{width}d}" for k in range(len(blocks))]
    priority = np.arange(len(geoms))  # estates first, then blocks in reading order

    point_owner, _ = community_of_points(layers, snap_tolerance_m=snap_tolerance_m)
    own = np.flatnonzero(point_owner == community_id)
    points = layers.population.iloc[own]
    unit_index, distance = pick_covering(points.geometry.values, geoms, priority,
                                         snap_tolerance_m=snap_tolerance_m)
    lost = np.flatnonzero(unit_index < 0)
    if len(lost):
        shown = ", ".join(str(p) for p in points["point_id"].iloc[lost[:10]])
        raise InputError([Problem("error", "population", str(points["point_id"].iloc[lost[0]]),
                                  f"{len(lost)} point(s) lie farther than {snap_tolerance_m:g} m from every unit "
                                  f"of {community_name}: {shown}",
                                  "check the point coordinates (datum, CRS) or raise snap_tolerance_m")])
    point_names = points["name"].tolist() if "name" in points else [None] * len(points)
    reassigned = tuple(
        {"point_id": str(points["point_id"].iloc[i]), "unit_id": str(unit_ids[unit_index[i]]),
         "distance_m": round(float(distance[i]), 3), "name": point_names[i]}
        for i in np.flatnonzero(distance > 0))
    if reassigned:
        notes.append(f"{len(reassigned)} population point(s) in no unit moved to the nearest unit "
                     f"(≤ {snap_tolerance_m:g} m)")
    population = sum_by(unit_index, points["population"].to_numpy(), len(geoms))
    households = sum_by(unit_index, points["households"].to_numpy(), len(geoms))
    population_in = float(np.nansum(points["population"].to_numpy(dtype=float)))
    households_in = float(np.nansum(points["households"].to_numpy(dtype=float)))
    population_out, households_out = float(population.sum()), float(households.sum())
    for what, got_in, got_out in (("population", population_in, population_out),
                                  ("households", households_in, households_out)):
        if not math.isclose(got_in, got_out, rel_tol=1e-9, abs_tol=1e-6):
            raise RuntimeError(f"{community_name}: {what} in {got_in:,.3f} != out {got_out:,.3f} "
                               "(a point was counted twice or lost: please report this)")

    facility = np.zeros(len(geoms), dtype=np.int64)
    if layers.facilities is not None and len(layers.facilities):
        f_index, _ = pick_covering(layers.facilities.geometry.values, geoms, priority, snap_tolerance_m=0.0)
        facility = np.bincount(f_index[f_index >= 0], minlength=len(geoms)).astype(np.int64)

    frame = gpd.GeoDataFrame({
        "unit_id": unit_ids.tolist(),
        "kind": kinds,
        "name": names,
        "population": population,
        "households": households,
        # object columns keep None for "no value" (pandas' string dtype would turn it into NaN)
        "estate_id": pd.Series(estates["estate_id"].astype(str).tolist() + [None] * len(blocks), dtype=object),
        "group": pd.Series([_none_if_missing(g) for g in estates["group"]] + [None] * len(blocks), dtype=object),
        "facility": facility,
        "community": community_id,
        "area_m2": shapely.area(geoms),
        # an estate given as a point has a derived area (boundaries.estate_points): maps and report say so
        "approximate": [bool(a) for a in estates.get("approximate", pd.Series(False, index=estates.index))]
        + [False] * len(blocks),
    }, geometry=list(geoms), crs=layers.crs)
    units = Units(frame=frame, boundary=boundary, community_id=community_id, community_name=community_name,
                  population_in=population_in, households_in=households_in, population_out=population_out,
                  households_out=households_out, reassigned=reassigned, notes=tuple(notes))
    log.info("%r built in %.1f s; population in %s = out %s", units, time.perf_counter() - started,
             f"{population_in:,.0f}", f"{population_out:,.0f}")
    return units


def _remaining_land(estate_geoms: np.ndarray, boundary, roads, notes: list[str], *, grid_size_m: float,
                    max_block_area_m2: float, strip_width_m: float, min_block_area_m2: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(estates, blocks in reading order): the land outside the estates cut into blocks, its strips shared
    and its slivers merged (see the module docs); what was done is appended to ``notes``."""
    cells, how = _cells(boundary, roads, grid_size_m=grid_size_m, max_block_area_m2=max_block_area_m2)
    notes.append(how)
    pieces, face = _pieces(cells, estate_geoms)
    estate_geoms, pieces, strips, strip_area = _share_strips(estate_geoms, pieces, face, strip_width_m)
    if strips:
        notes.append(f"{strips} strip(s) of land narrower than {strip_width_m:g} m ({strip_area:,.0f} m²) shared "
                     "among their neighbours, each taking the part nearest to it")
    estate_geoms, blocks, merged, isolated = _merge_slivers(estate_geoms, pieces, min_block_area_m2)
    if merged:
        notes.append(f"{merged} sliver(s) under {min_block_area_m2:,.0f} m² merged into the neighbour sharing "
                     "most boundary")
    if isolated:
        notes.append(f"{isolated} small isolated piece(s) kept as their own block")
    return estate_geoms, blocks[_reading_order(blocks)]


def _none_if_missing(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _reading_order(geoms: np.ndarray) -> np.ndarray:
    """North to south, then west to east, by a point inside each (rounded to the centimetre)."""
    if len(geoms) == 0:
        return np.zeros(0, dtype=np.int64)
    inside = shapely.point_on_surface(geoms)
    x = np.round(shapely.get_x(inside), 2)
    y = np.round(shapely.get_y(inside), 2)
    return np.lexsort((x, -y))
