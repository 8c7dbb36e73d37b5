"""Estates given as points (the commonest crawled form): each point becomes an estate with a derived,
approximate area.

Rule (documented in README "Estates given as points"): the area of an estate point is

    its Voronoi cell among all estate points
      ∩ the block of its community cut by roads and rivers that holds the point
      ∩ a disc around the point of radius r = clamp(sqrt(households × 80 m² / π), 50 m, 250 m)
        (250 m when the households are unknown), keeping the piece that holds the point.

80 m² of land per household is a typical gross plot area of Chinese residential estates (floor-area
ratio ≈ 2–2.5 on ≈ 90 m² flats, plus green space and estate roads); the 250 m cap keeps an estate from
swallowing a neighbourhood where the crawl has gaps, the 50 m floor keeps small estates visible.
Cells of neighbouring points never overlap, so the estates stay disjoint; the land between them stays
blocks. Every derived estate is marked ``approximate = True`` with ``geometry_source`` saying how it
was made (drawn estates get ``approximate = False``); maps and the report show it.

Points at the same spot (the same metre; crawls list phases of one estate at one pin) become one estate
whose name joins theirs and whose counts are summed; points outside every community are left out.
Both are reported.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from boundaries.errors import Problem
from boundaries.population import pick_covering
from boundaries.units import road_faces

log = logging.getLogger(__name__)

DERIVED_SOURCE = "derived from point"


@dataclass(frozen=True)
class EstateAreaRule:
    """How an estate point's area is derived (see the module docstring)."""

    land_per_household_m2: float = 80.0
    min_radius_m: float = 50.0
    max_radius_m: float = 250.0
    same_spot_m: float = 1.0

    def radius_m(self, households: float) -> float:
        if not (math.isfinite(households) and households > 0):
            return self.max_radius_m
        radius = math.sqrt(households * self.land_per_household_m2 / math.pi)
        return min(self.max_radius_m, max(self.min_radius_m, radius))

    def describe(self) -> str:
        return (f"Voronoi cell ∩ road block ∩ disc r = sqrt(households × {self.land_per_household_m2:g} m² / π) "
                f"within {self.min_radius_m:g}–{self.max_radius_m:g} m ({self.max_radius_m:g} m without households)")


def is_point_layer(geoms: np.ndarray) -> bool:
    """Every present geometry is a point (or a one-point multipoint)."""
    present = np.asarray([g for g in geoms if g is not None and not shapely.is_empty(g)], dtype=object)
    return len(present) > 0 and bool(np.all(np.isin(shapely.get_type_id(present), (0, 4))))


def derive_estate_areas(estates: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                        roads: gpd.GeoDataFrame | None, rule: EstateAreaRule = EstateAreaRule()
                        ) -> tuple[gpd.GeoDataFrame, list[Problem], list[str]]:
    """The estate points as estates with derived polygons; (estates, problems, notes)."""
    problems: list[Problem] = []
    estates = _merge_same_spot(estates.reset_index(drop=True), rule, problems)
    points = estates.geometry.values  # single points: the layer was cleaned as a point layer
    community_index, _ = _first_covering(points, communities.geometry.values)
    outside = community_index < 0
    if outside.any():
        names = estates["name"].astype(str)[outside].tolist()
        problems.append(Problem("warning", "estates", names[0] if len(names) == 1 else None,
                                f"{len(names)} estate point(s) lie outside every community and are left out: "
                                f"{_list(names)}", "fine for a city-wide crawl; otherwise check the datum/CRS"))
    face = _face_of_points(points, community_index, communities, roads)
    radius = np.array([rule.radius_m(h) for h in estates["households"].to_numpy(dtype=float)])
    discs = shapely.buffer(points, radius, quad_segs=16)
    areas = shapely.intersection(shapely.intersection(_voronoi_cells(points), face), discs)
    multi = np.flatnonzero(shapely.get_type_id(areas) != 3)  # keep the piece holding the point
    areas[multi] = [_piece_holding(areas[i], points[i]) for i in multi]
    areas[outside] = shapely.Polygon()
    keep = ~shapely.is_empty(areas)
    lost = ~keep & ~outside
    if lost.any():
        names = estates["name"].astype(str)[lost].tolist()
        problems.append(Problem("warning", "estates", None, f"{len(names)} estate point(s) got no area (on a "
                                f"community edge or road line): left out: {_list(names)}", "move the point inside"))
    derived = estates.loc[keep].copy()
    derived = derived.set_geometry(gpd.GeoSeries(areas[keep], crs=estates.crs, index=derived.index))
    derived["approximate"] = True
    derived["geometry_source"] = f"{DERIVED_SOURCE}: {rule.describe()}"
    derived = derived.reset_index(drop=True)
    notes = [f"estates: {len(derived)} estate point(s) turned into approximate areas ({rule.describe()}); "
             f"mean {shapely.area(derived.geometry.values).mean() if len(derived) else 0:,.0f} m²"]
    log.info("derived %d estate areas from points (%d outside every community)", len(derived), int(outside.sum()))
    return derived, problems, notes


def _face_of_points(points: np.ndarray, community_index: np.ndarray, communities: gpd.GeoDataFrame,
                    roads: gpd.GeoDataFrame | None) -> np.ndarray:
    """For each point, the block of its community cut by roads and rivers that holds it (None outside)."""
    face = np.full(len(points), None, dtype=object)
    for c in np.unique(community_index[community_index >= 0]):
        mine = np.flatnonzero(community_index == c)
        boundary = communities.geometry.iloc[int(c)]
        faces = road_faces(boundary, roads)
        if faces is None or len(faces) == 0:
            faces = np.array([boundary], dtype=object)
        index, _ = _first_covering(points[mine], faces)
        face[mine] = np.where(index >= 0, faces[np.maximum(index, 0)], boundary)
    return face


def _merge_same_spot(estates: gpd.GeoDataFrame, rule: EstateAreaRule, problems: list[Problem]) -> gpd.GeoDataFrame:
    if len(estates) < 2:
        return estates
    xy = shapely.get_coordinates(estates.geometry.values)
    key = [tuple(v) for v in np.round(xy / rule.same_spot_m).astype(np.int64)]
    groups: dict[tuple, list[int]] = {}
    for i, k in enumerate(key):
        groups.setdefault(k, []).append(i)
    if all(len(rows) == 1 for rows in groups.values()):
        return estates
    firsts = sorted(members[0] for members in groups.values())
    out = estates.iloc[firsts].copy()
    out.index = firsts
    names = estates["name"].astype(str).to_numpy()
    merged = []
    for members in groups.values():
        if len(members) > 1:
            first = members[0]
            out.loc[first, "name"] = "、".join(dict.fromkeys(names[members]))  # a name crawled twice is kept once
            merged.append(f"{out.loc[first, 'name']} ({len(members)} points)")
            for column in ("population", "households"):
                values = estates[column].to_numpy(dtype=float)[members]
                out.loc[first, column] = float(np.nansum(values)) if np.isfinite(values).any() else math.nan
    merged.sort()
    problems.append(Problem("warning", "estates", None,
                            f"{len(merged)} group(s) of estate points share one spot and became one estate each "
                            f"(names joined, counts summed): {_list(merged)}",
                            "give each estate its own position if they are really apart"))
    return out.reset_index(drop=True)


def _voronoi_cells(points: np.ndarray) -> np.ndarray:
    """Each point's Voronoi cell (a point alone gets the whole plane, bounded generously)."""
    if len(points) == 0:
        return np.array([], dtype=object)
    minx, miny, maxx, maxy = shapely.total_bounds(points)
    frame = shapely.box(minx - 10_000, miny - 10_000, maxx + 10_000, maxy + 10_000)
    if len(points) == 1:
        return np.array([frame], dtype=object)
    regions = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame))
    index, _ = _first_covering(points, regions)
    return np.array([regions[j] if j >= 0 else frame for j in index], dtype=object)


def _first_covering(points: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, None]:
    """Index of the first polygon (by row) holding each point, -1 for none."""
    return pick_covering(points, polygons, np.arange(len(polygons)), snap_tolerance_m=0.0)[0], None


def _piece_holding(area, point):
    """The polygonal piece of ``area`` that holds (or is nearest to) the point."""
    parts = [p for p in shapely.get_parts(area) if shapely.get_type_id(p) == 3 and p.area > 0]
    if not parts:
        return shapely.Polygon()
    return min(parts, key=lambda p: (p.distance(point), -p.area))


def _list(items: list[str], limit: int = 8) -> str:
    return "、".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")
