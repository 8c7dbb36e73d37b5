"""Who belongs where: population points to communities and units, estates to communities.

Rules (deterministic, so that the same input always gives the same totals):
- a point covered by several polygons (on a shared edge) goes to the first candidate in the given
  priority order (estates before blocks, then by id);
- a point covered by none goes to the nearest polygon within the snap tolerance and is reported;
  further away it belongs to nothing (communities) or is an error (units);
- an estate belongs to the community holding most of its area.
"""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree


def pick_covering(points: np.ndarray, polygons: np.ndarray, priority: np.ndarray, *,
                  snap_tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """For each point: (index of its polygon or -1, distance in metres: 0 inside, >0 when snapped).

    ``priority`` ranks the polygons (lower wins) for points on shared edges and for equidistant snaps.
    """
    n = len(points)
    chosen = np.full(n, -1, dtype=np.int64)
    distance = np.zeros(n)
    if n == 0 or len(polygons) == 0:
        distance[:] = np.inf
        return chosen, distance
    tree = STRtree(polygons)
    point_index, polygon_index = tree.query(points, predicate="intersects")
    if len(point_index):
        order = np.lexsort((priority[polygon_index], point_index))
        point_index, polygon_index = point_index[order], polygon_index[order]
        first = np.r_[True, point_index[1:] != point_index[:-1]]
        chosen[point_index[first]] = polygon_index[first]
    missing = np.flatnonzero(chosen < 0)
    distance[missing] = np.inf
    if len(missing) and snap_tolerance_m > 0:
        (near_point, near_polygon), near_distance = tree.query_nearest(
            points[missing], max_distance=snap_tolerance_m, return_distance=True, all_matches=True)
        if len(near_point):
            order = np.lexsort((priority[near_polygon], near_distance, near_point))
            near_point, near_polygon, near_distance = near_point[order], near_polygon[order], near_distance[order]
            first = np.r_[True, near_point[1:] != near_point[:-1]]
            targets = missing[near_point[first]]
            chosen[targets] = near_polygon[first]
            distance[targets] = near_distance[first]
    return chosen, distance


def community_of_points(layers, *, snap_tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(community_id or None per population point, distance: 0 inside, >0 snapped, inf outside)."""
    communities = layers.communities
    priority = _rank(communities["community_id"])
    index, distance = pick_covering(layers.population.geometry.values, communities.geometry.values, priority,
                                    snap_tolerance_m=snap_tolerance_m)
    ids = communities["community_id"].to_numpy(dtype=object)
    owner = np.array([ids[i] if i >= 0 else None for i in index], dtype=object)
    return owner, distance


def community_of_estates(layers) -> np.ndarray:
    """community_id (or None) per estate: the community holding the largest part of its area."""
    estates = layers.estates.geometry.values
    communities = layers.communities.geometry.values
    owner = np.full(len(estates), None, dtype=object)
    if len(estates) == 0 or len(communities) == 0:
        return owner
    tree = STRtree(communities)
    estate_index, community_index = tree.query(estates, predicate="intersects")
    if not len(estate_index):
        return owner
    overlap = shapely.area(shapely.intersection(estates[estate_index], communities[community_index]))
    rank = _rank(layers.communities["community_id"])
    order = np.lexsort((rank[community_index], -overlap, estate_index))
    estate_index, community_index, overlap = estate_index[order], community_index[order], overlap[order]
    first = np.r_[True, estate_index[1:] != estate_index[:-1]] & (overlap > 0)
    ids = layers.communities["community_id"].to_numpy(dtype=object)
    owner[estate_index[first]] = ids[community_index[first]]
    return owner


def _rank(ids: pd.Series) -> np.ndarray:
    """Position of each id in sorted order (a deterministic tie-break independent of row order)."""
    values = ids.astype(str).to_numpy()
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(values, kind="stable")] = np.arange(len(values))
    return rank


def sum_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sum of values per target index (NaN counted as 0; index -1 ignored)."""
    mask = index >= 0
    clean = np.nan_to_num(np.asarray(values, dtype=float)[mask], nan=0.0)
    return np.bincount(index[mask], weights=clean, minlength=size).astype(float)


ATTRIBUTE_SOURCE = "estate attributes"  # ``counted_from`` of a point made from an estate's own counts


def points_from_estate_attributes(estates: gpd.GeoDataFrame, population: gpd.GeoDataFrame
                                  ) -> tuple[gpd.GeoDataFrame, list[str], list[str]]:
    """Population points for estates that state their counts but hold no population point.

    Rule: an estate with no point inside it (no snapping) whose ``population`` attribute is a positive
    number gets one point at a spot inside it carrying that population and its ``households`` (NaN
    when absent, counted as 0). With households but no population, the population is households times
    the persons per household of the points that state both (none: the estate is left out and named).
    Estates that have points keep them: attribute/point conflicts are warnings of ``inspect_layers``.
    Every point gets ``counted_from`` ('points' or ``ATTRIBUTE_SOURCE``). Returns (the population
    layer with the new points appended, the estates counted from attributes, notes).
    """
    population = population.copy()
    if "counted_from" not in population:
        population["counted_from"] = "points"
    if len(estates) == 0:
        return population, [], []
    rank = np.arange(len(estates))
    index, _ = pick_covering(population.geometry.values, estates.geometry.values, rank, snap_tolerance_m=0.0)
    has_points = np.bincount(index[index >= 0], minlength=len(estates)) > 0
    stated = estates["population"].to_numpy(dtype=float)
    households = estates["households"].to_numpy(dtype=float)
    both = np.isfinite(population["population"].to_numpy(dtype=float)) & \
        (np.nan_to_num(population["households"].to_numpy(dtype=float)) > 0)
    ratio = (float(population["population"].to_numpy(dtype=float)[both].sum())
             / float(population["households"].to_numpy(dtype=float)[both].sum())) if both.any() else math.nan
    rows, counted, unknown = [], [], []
    for i in np.flatnonzero(~has_points):
        value = stated[i]
        derived = False
        if not (np.isfinite(value) and value > 0) and np.isfinite(households[i]) and households[i] > 0:
            if not math.isfinite(ratio):
                unknown.append(str(estates["name"].iloc[i]))
                continue
            value, derived = households[i] * ratio, True
        if not (np.isfinite(value) and value > 0):
            continue
        name = str(estates["name"].iloc[i])
        counted.append(name)
        rows.append({"point_id": f"estate:{estates['estate_id'].iloc[i]}", "population": float(value),
                     "households": households[i], "name": name, "counted_from": ATTRIBUTE_SOURCE,
                     "population_derived": derived,
                     "geometry": shapely.point_on_surface(estates.geometry.iloc[i])})
    notes = []
    if rows:
        added = gpd.GeoDataFrame(rows, geometry="geometry", crs=population.crs)
        population = pd.concat([population, added], ignore_index=True)
        population = gpd.GeoDataFrame(population, geometry="geometry", crs=added.crs)
        if "name" in population:  # None, not NaN, for points without a name (run.json is strict JSON)
            population["name"] = pd.Series([n if isinstance(n, str) else None for n in population["name"]],
                                           dtype=object)
        derived_names = [r["name"] for r in rows if r["population_derived"]]
        notes.append(f"population: {len(rows)} estate(s) with no population point counted from their own "
                     f"attributes ({sum(r['population'] for r in rows):,.0f} people): {_list(counted)}"
                     + (f"; population = households × {ratio:.2f} persons per household (the points' ratio) for "
                        f"{_list(derived_names)}" if derived_names else ""))
    if "population_derived" in population:
        population = population.drop(columns="population_derived")
    if unknown:
        notes.append(f"population: {len(unknown)} estate(s) state households but no population, and no point "
                     f"states both to convert them: left at 0 ({_list(unknown)})")
    return population, counted, notes


def _list(items: list[str], limit: int = 10) -> str:
    return "、".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
