"""``check_one_piece``: the geometric half of the independent verifier. Every new community, drawn as
the union of its units' polygons (gaps under ``close_m`` closed) plus the land of the gap crossings its
edges record, must be a single polygon. The graph verifier (``solver.verify``) proves connectivity
through edges; this proves it on the map, so a graph edge that the land does not bear out (an estate
cut off by a strip of another community) cannot reach the user.

The one exception is forced by the data: a community drawn in pieces far apart (an exclave) has
units joined only by a recorded island bridge; a new community holding both sides is then in as
many pieces as those bridges join, and that is allowed (and listed in the run's bridges).
"""
from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from boundaries.graph import crossing_strips

CLOSE_M = 1.0  # gaps narrower than this (digitising noise) do not split a community on the map
_CRUMB_AREA_M2 = 1.0


def district_pieces(geoms, close_m: float = CLOSE_M) -> np.ndarray:
    """The separate pieces of the union of ``geoms``: its polygons, those closer than ``close_m`` to each
    other joined into one (by distance, exactly; no buffering that could split a thin neck)."""
    union = shapely.union_all(np.asarray(list(geoms), dtype=object))
    parts = shapely.get_parts(union)
    # crumbs under 1 m² are no land: they must not chain two pieces together
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6)) & (shapely.area(parts) >= _CRUMB_AREA_M2)]
    if len(parts) < 2:
        return parts
    left, right = shapely.STRtree(parts).query(parts, predicate="dwithin", distance=close_m)
    near = nx.Graph()
    near.add_nodes_from(range(len(parts)))
    near.add_edges_from(zip(left.tolist(), right.tolist()))
    groups = sorted((sorted(c) for c in nx.connected_components(near)), key=lambda c: c[0])
    return np.array([shapely.union_all(parts[c]) if len(c) > 1 else parts[c[0]] for c in groups], dtype=object)


def check_one_piece(frame: gpd.GeoDataFrame, assignment: dict, graph: nx.Graph, *,
                    close_m: float = CLOSE_M) -> list[str]:
    """Violations (empty when every new community is one piece on the map), naming the units cut off."""
    ids = frame["unit_id"].astype(str).tolist()
    names = dict(zip(ids, frame["name"].astype(str))) if "name" in frame else {u: u for u in ids}
    district = {u: assignment[u] for u in ids}
    strips: dict[object, list] = {}
    for u, v, land in crossing_strips(frame, graph):
        if district[u] == district[v]:
            strips.setdefault(district[u], []).append(land)
    inside = shapely.point_on_surface(frame.geometry.values)
    problems = []
    for d in sorted(set(district.values()), key=str):
        members = [i for i, u in enumerate(ids) if district[u] == d]
        pieces = district_pieces(list(frame.geometry.values[members]) + strips.get(d, []), close_m)
        if len(pieces) <= 1:
            continue
        # which piece each unit lies in; pieces joined by island bridges count as one
        piece_of = {ids[i]: int(np.argmax(shapely.intersects(pieces, inside[i]))) for i in members}
        joined = nx.Graph()
        joined.add_nodes_from(range(len(pieces)))
        for u, v, data in graph.edges(data=True):
            if data.get("bridge") and u in piece_of and v in piece_of:
                joined.add_edge(piece_of[u], piece_of[v])
        if nx.is_connected(joined):
            continue
        first = {p: min(i for i in members if piece_of[ids[i]] == p) for p in range(len(pieces))
                 if any(piece_of[ids[i]] == p for i in members)}
        # the main piece has the most land; a tie goes to the piece holding the first unit
        main = max(nx.connected_components(joined),
                   key=lambda c: (round(sum(pieces[p].area for p in c), 3), -min(first.get(p, len(ids)) for p in c)))
        cut_off = sorted(names[u] for u, p in piece_of.items() if p not in main)
        shown = "、".join(cut_off[:6]) + (f" and {len(cut_off) - 6} more" if len(cut_off) > 6 else "")
        problems.append(f"new community {d} is {len(pieces)} pieces on the map: {shown} "
                        f"cut off from the rest (gaps under {close_m:g} m closed)")
    return problems
