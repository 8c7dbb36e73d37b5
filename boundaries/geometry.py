"""Geometry repair at the door: the right geometry type per layer, invalid shapes repaired with
``make_valid`` and reported (an error when the repair changes the area, e.g. a bow-tie), empty
features left out and named.
"""
from __future__ import annotations

import numpy as np
import shapely

from boundaries.errors import Problem

_POLYGONAL = {"communities", "estates"}
_POINTS = {"population", "facilities"}
_AREA_CHANGE_TOLERATED = 0.01
_TOUCH_M = 0.05  # closer than this is touching (floating-point noding noise)  # relative area change a repair may make and still be a warning

# shapely type ids
_POINT, _LINESTRING, _LINEARRING, _POLYGON, _MULTIPOINT, _MULTILINESTRING, _MULTIPOLYGON, _COLLECTION = range(8)


def _polygonal_part(geom):
    """The polygonal content of a geometry (None if there is none)."""
    kind = shapely.get_type_id(geom)
    if kind in (_POLYGON, _MULTIPOLYGON):
        return geom
    if kind in (_LINESTRING, _LINEARRING) and geom.is_closed and len(geom.coords) >= 4:
        return shapely.Polygon(geom.coords)
    if kind == _COLLECTION:
        parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (_POLYGON, _MULTIPOLYGON)]
        if parts:
            return shapely.union_all(parts)
    return None


def _shoelace_area(geom) -> float:
    """Area as drawn (signed rings), which a bow-tie cancels out; make_valid keeps both lobes."""
    total = 0.0
    for polygon in shapely.get_parts(geom):
        if shapely.get_type_id(polygon) != _POLYGON:
            continue
        rings = [polygon.exterior, *polygon.interiors]
        for index, ring in enumerate(rings):
            xy = np.asarray(ring.coords)
            signed = 0.5 * float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))
            total += abs(signed) if index == 0 else -abs(signed)
    return total


def clean_geometries(geoms: np.ndarray, role: str, labels: list[str]
                     ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Return (geometries, keep mask, problems) for one layer; never changes the input array."""
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    keep = np.ones(len(geoms), dtype=bool)
    problems: list[Problem] = []
    converted = 0
    for i, geom in enumerate(geoms):
        label = labels[i]
        if geom is None or shapely.is_empty(geom):
            severity = "error" if role in _POLYGONAL | {"population"} else "warning"
            problems.append(Problem(severity, role, label, "empty geometry: the feature is left out",
                                    "draw the feature or delete the row"))
            keep[i] = False
            continue
        kind = shapely.get_type_id(geom)
        if role in _POLYGONAL:
            polygonal = _polygonal_part(geom)
            if polygonal is None:
                problems.append(Problem("error", role, label,
                                        f"is a {geom.geom_type}, not an area: the feature is left out",
                                        "draw it as a polygon (closed boundary)"))
                keep[i] = False
                continue
            if kind not in (_POLYGON, _MULTIPOLYGON):
                converted += 1
            geom = polygonal
            if not shapely.is_valid(geom):
                reason = shapely.is_valid_reason(geom)
                drawn = _shoelace_area(geom)
                repaired = _polygonal_part(shapely.make_valid(geom, method="structure", keep_collapsed=False))
                if repaired is None or repaired.is_empty:
                    problems.append(Problem("error", role, label, f"invalid geometry ({reason}) that "
                                            "make_valid reduces to nothing: the feature is left out",
                                            "redraw the boundary"))
                    keep[i] = False
                    continue
                change = abs(repaired.area - drawn) / max(repaired.area, abs(drawn), 1e-9)
                if change > _AREA_CHANGE_TOLERATED:
                    problems.append(Problem(
                        "error", role, label,
                        f"invalid geometry ({reason}), e.g. a self-crossing (bow-tie) boundary; repaired with "
                        f"make_valid into {len(shapely.get_parts(repaired))} part(s) of {repaired.area:,.0f} m² "
                        f"(drawn area {drawn:,.0f} m²)",
                        "check the repaired shape or redraw the boundary so that it does not cross itself; "
                        "--repair accepts the repaired shape", repair="make-valid",
                        area_m2=abs(repaired.area - drawn)))
                else:
                    problems.append(Problem("warning", role, label,
                                            f"invalid geometry ({reason}) repaired with make_valid "
                                            f"(area unchanged within 1%)", "fix it in the source when convenient",
                                            repair="make-valid", area_m2=abs(repaired.area - drawn)))
                geom = repaired
            geoms[i] = geom
        elif role in _POINTS:
            if kind == _POINT:
                continue
            if kind == _MULTIPOINT and shapely.get_num_geometries(geom) == 1:
                geoms[i] = shapely.get_geometry(geom, 0)
                continue
            if kind in (_POLYGON, _MULTIPOLYGON):
                geoms[i] = shapely.point_on_surface(shapely.make_valid(geom))
                converted += 1
                continue
            problems.append(Problem("error", role, label,
                                    f"is a {geom.geom_type}, not a point: the feature is left out",
                                    "give one point per building or address"))
            keep[i] = False
        else:  # roads and rivers: lines; water areas count by their banks
            if kind in (_POLYGON, _MULTIPOLYGON):
                geoms[i] = shapely.boundary(shapely.make_valid(geom))
                converted += 1
            elif kind not in (_LINESTRING, _LINEARRING, _MULTILINESTRING, _COLLECTION):
                problems.append(Problem("warning", role, label, f"is a {geom.geom_type}, not a line: left out"))
                keep[i] = False
    if converted:
        what = {"population": "polygons taken as a point inside each", "facilities":
                "polygons taken as a point inside each", "roads": "areas taken by their outlines"}.get(
            role, "closed lines or collections taken as polygons")
        problems.append(Problem("warning", role, None, f"{converted} feature(s) of another geometry type: {what}"))
    return geoms, keep, problems


def split_to_nearest(piece, neighbours: np.ndarray, *, spacing_m: float = 2.0) -> list[tuple[int, object]]:
    """Cut ``piece`` into the parts nearest to each of ``neighbours`` (index into it, polygonal part).

    The nearest-neighbour split is a Voronoi diagram of points spaced ``spacing_m`` along the neighbours'
    boundaries near the piece: a strip between two estates is halved down its middle, a gap between three
    towns goes a third to each, so no neighbour grows a long arm along another. Neighbours not near the
    piece get nothing; an empty list means none is near.
    """
    region = shapely.buffer(piece, 4 * spacing_m)
    coords, owners = [], []
    for k, geom in enumerate(neighbours):
        edge = shapely.intersection(shapely.boundary(geom), region)
        if edge.is_empty:
            continue
        xy = shapely.get_coordinates(shapely.segmentize(edge, spacing_m))
        coords.append(xy)
        owners.append(np.full(len(xy), k))
    if not coords:
        return []
    xy = np.concatenate(coords)
    owner = np.concatenate(owners)
    xy, first = np.unique(np.round(xy, 3), axis=0, return_index=True)  # a vertex shared by two: the first
    owner = owner[first]
    if len(np.unique(owner)) == 1 or len(xy) < 3:
        return [(int(owner[0]), piece)]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=region, ordered=True))
    fragments, fragment_owner = [], []
    for k in np.unique(owner):
        part = _polygonal_part(shapely.intersection(piece, shapely.union_all(cells[owner == k])))
        if part is None or part.is_empty:
            continue
        for fragment in shapely.get_parts(part):
            if fragment.area > 0:
                fragments.append(fragment)
                fragment_owner.append(int(k))
    # a fragment that does not touch its nearest neighbour (a corner cut off by the diagram) goes to the
    # neighbour it shares most boundary with, so that no neighbour receives a piece apart from itself
    shares: dict[int, list] = {}
    for fragment, k in zip(fragments, fragment_owner):
        if shapely.distance(fragment, neighbours[k]) > _TOUCH_M:
            contact = shapely.length(shapely.intersection(shapely.boundary(fragment),
                                                          shapely.buffer(neighbours, _TOUCH_M)))
            if contact.max() > 0:
                k = int(np.argmax(contact))
        shares.setdefault(k, []).append(fragment)
    return [(k, shapely.union_all(parts)) for k, parts in sorted(shares.items())]


def thin(geoms: np.ndarray, width_m: float) -> np.ndarray:
    """True where a polygon is nowhere wider than ``width_m`` (it vanishes when shrunk by half of it)."""
    shrunk = shapely.buffer(geoms, -width_m / 2, join_style="mitre")
    return shapely.is_empty(shrunk) | (shapely.area(shrunk) <= 0)
