"""Sub-units of one estate: a cell of land around each of its buildings, so that an estate too large for
one community can be divided along its buildings.

    population points of the estate (exactly those ``build_units`` gave it)
      ─► sites: points at the same spot merged (their people summed)
      ─► Voronoi cell of each site, clipped to the estate polygon
      ─► a cell cut into several pieces by a bend of the estate keeps the piece nearest its site;
         the other pieces go to the cell they share most boundary with
      ─► a site whose cell is empty (a point snapped in from outside) hands its people to the nearest cell

People are summed per cell from the points, so the cells together hold exactly the estate's people.
This module never imports ``solver`` or ``maps``.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from boundaries.population import community_of_points, pick_covering

_SITE_DIGITS = 2          # points within a centimetre are one site (one building digitised twice)
_TOUCH_M = 0.05           # pieces closer than this touch (noding noise), as in units.py


@dataclass(frozen=True, eq=False)  # holds a GeoDataFrame: identity, not element-wise equality
class EstateCells:
    """``frame``: one row per cell (unit_id, kind, name, population, households, estate_id, group,
    facility, community, area_m2, points, geometry) in the estate's CRS; ``points``: how many population
    points the estate holds; ``sites``: how many distinct building locations."""

    frame: gpd.GeoDataFrame
    points: int
    sites: int

    def __repr__(self) -> str:
        return f"<EstateCells {len(self.frame)} cells from {self.points} points ({self.sites} sites)>"


def points_of_unit(layers, units, unit_id: str, *, snap_tolerance_m: float = 30.0) -> gpd.GeoDataFrame:
    """The population points that ``build_units`` counted in unit ``unit_id`` (same rules, same order:
    units earlier in the frame win points on shared edges; points outside every unit snap to the nearest)."""
    owner, _ = community_of_points(layers, snap_tolerance_m=snap_tolerance_m)
    own = np.flatnonzero(owner == units.community_id)
    points = layers.population.iloc[own]
    geoms = units.frame.geometry.values
    index, _ = pick_covering(points.geometry.values, geoms, np.arange(len(geoms)),
                             snap_tolerance_m=snap_tolerance_m)
    position = units.frame["unit_id"].astype(str).tolist().index(str(unit_id))
    return points.iloc[np.flatnonzero(index == position)]


def building_cells(estate, points: gpd.GeoDataFrame, *, unit_id: str, name: str) -> EstateCells:
    """Cells of the estate geometry ``estate`` around the sites of ``points`` (see the module docs).

    ``unit_id`` prefixes the cell ids (``<unit_id>/001`` …, in reading order: north to south, then west to
    east); ``name`` is the estate's name, given to every cell.
    """
    xy = np.round(shapely.get_coordinates(points.geometry.values), _SITE_DIGITS)
    sites, site_of_point = np.unique(xy, axis=0, return_inverse=True)
    site_of_point = site_of_point.ravel()
    if len(sites) < 2:
        return EstateCells(frame=_frame([], [], [], [], unit_id, name, points.crs), points=len(points),
                           sites=len(sites))
    site_points = shapely.points(sites)
    envelope = shapely.envelope(shapely.union_all([estate, *site_points])).buffer(1.0)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(site_points), extend_to=envelope,
                                                       ordered=True))
    clipped = [_polygonal(shapely.intersection(cell, estate)) for cell in cells]
    if all(g.is_empty for g in clipped):  # no building's cell reaches the estate's land
        return EstateCells(frame=_frame([], [], [], [], unit_id, name, points.crs), points=len(points),
                           sites=len(sites))
    geometry, cell_of_site = _assemble(clipped, site_points)
    cell_of_point = cell_of_site[site_of_point]
    population = np.nan_to_num(points["population"].to_numpy(dtype=float))
    households = np.nan_to_num(points["households"].to_numpy(dtype=float))
    n = len(geometry)
    sums_population = np.bincount(cell_of_point, weights=population, minlength=n)
    sums_households = np.bincount(cell_of_point, weights=households, minlength=n)
    ids = points["point_id"].astype(str).to_numpy()
    point_ids = [sorted(ids[cell_of_point == c].tolist()) for c in range(n)]
    order = reading_order(geometry)
    frame = _frame([geometry[i] for i in order], [sums_population[i] for i in order],
                   [sums_households[i] for i in order], [point_ids[i] for i in order], unit_id, name, points.crs)
    return EstateCells(frame=frame, points=len(points), sites=len(sites))


def _assemble(clipped: list, sites: np.ndarray) -> tuple[list, np.ndarray]:
    """(cell geometries, cell index of every site) from each site's clipped Voronoi region.

    A region's piece nearest its site is the cell's home; its other pieces join the cell whose home they
    share most boundary with (else stay with their own cell); a site with no land hands its people to
    the nearest cell.
    """
    pieces, site_of_piece = [], []
    for site, region in enumerate(clipped):
        for piece in shapely.get_parts(region):
            if piece.is_empty or piece.area <= 0.0:
                continue
            pieces.append(piece)
            site_of_piece.append(site)
    pieces_arr = np.array(pieces, dtype=object)
    site_of_piece_arr = np.array(site_of_piece, dtype=np.int64)
    home: dict[int, int] = {}
    for site in np.unique(site_of_piece_arr):
        mine = np.flatnonzero(site_of_piece_arr == site)
        distance = shapely.distance(pieces_arr[mine], sites[site])
        # ties (a site on the edge of two pieces) go to the larger piece, then to the first
        home[int(site)] = int(mine[np.lexsort((mine, -shapely.area(pieces_arr[mine]), distance))[0]])
    homes = sorted(home.values())
    cell_of_home = {piece: c for c, piece in enumerate(homes)}
    members: list[list[int]] = [[piece] for piece in homes]
    home_geoms = pieces_arr[homes]
    for piece in range(len(pieces)):
        if piece in cell_of_home:
            continue
        own_cell = cell_of_home[home[int(site_of_piece_arr[piece])]]
        grown = shapely.buffer(pieces_arr[piece], _TOUCH_M)
        shared = shapely.length(shapely.intersection(shapely.boundary(home_geoms), grown))
        shared[own_cell] = 0.0
        best = int(np.argmax(shared))
        members[best if shared[best] > 2 * _TOUCH_M else own_cell].append(piece)
    geometry = [pieces_arr[m[0]] if len(m) == 1 else _polygonal(shapely.union_all(pieces_arr[m])) for m in members]
    cell_of_site = np.empty(len(sites), dtype=np.int64)
    for site in range(len(sites)):
        if site in home:
            cell_of_site[site] = cell_of_home[home[site]]
        else:
            cell_of_site[site] = int(np.argmin(shapely.distance(np.array(geometry, dtype=object), sites[site])))
    return geometry, cell_of_site


def _polygonal(geom):
    """Only the polygons of ``geom`` (an intersection may add lines or points where edges touch)."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def reading_order(geoms: list) -> np.ndarray:
    """North to south, then west to east, by a point inside each (rounded to the centimetre)."""
    inside = shapely.point_on_surface(np.array(geoms, dtype=object))
    return np.lexsort((np.round(shapely.get_x(inside), 2), -np.round(shapely.get_y(inside), 2)))


def _frame(geoms: list, population: list, households: list, point_ids: list, unit_id: str, name: str,
           crs) -> gpd.GeoDataFrame:
    width = max(3, len(str(len(geoms))))
    return gpd.GeoDataFrame({
        "unit_id": [f"{unit_id}/{k + 1:0{width}d}" for k in range(len(geoms))],
        "kind": ["estate"] * len(geoms),
        "name": [name] * len(geoms),
        "population": np.asarray(population, dtype=float),
        "households": np.asarray(households, dtype=float),
        "estate_id": [None] * len(geoms),
        "group": [None] * len(geoms),
        "facility": np.zeros(len(geoms), dtype=np.int64),
        "area_m2": shapely.area(np.array(geoms, dtype=object)) if geoms else np.zeros(0),
        "points": point_ids,
    }, geometry=list(geoms), crs=crs)


def facilities_in(layers, geoms: list) -> np.ndarray:
    """Service-facility sites per polygon of ``geoms``, counted as ``build_units`` counts them."""
    count = np.zeros(len(geoms), dtype=np.int64)
    if layers.facilities is None or not len(layers.facilities) or not len(geoms):
        return count
    index, _ = pick_covering(layers.facilities.geometry.values, np.array(geoms, dtype=object),
                             np.arange(len(geoms)), snap_tolerance_m=0.0)
    return np.bincount(index[index >= 0], minlength=len(geoms)).astype(np.int64)
