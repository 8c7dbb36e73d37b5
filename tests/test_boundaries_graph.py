"""Adjacency graph: shared lengths, gap tolerance, barriers along named roads/rivers, bridges."""
from __future__ import annotations


import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from boundaries import InputError, build_graph, build_units, load_layers

from boundaries_fixtures import CRS, shifted, two_estates_layers

ID = "441900001"


def unit_frame(shapes, crs=CRS):
    return gpd.GeoDataFrame({"unit_id": [u for u, _ in shapes], "population": [10.0] * len(shapes),
                             "households": [4.0] * len(shapes), "kind": ["block"] * len(shapes),
                             "name": [f"块{u}" for u, _ in shapes]},
                            geometry=[shifted(g) for _, g in shapes], crs=crs)


def roads_frame(lines):
    return gpd.GeoDataFrame({"name": [n for n, _, _ in lines], "kind": [k for _, k, _ in lines]},
                            geometry=[shifted(g) for _, _, g in lines], crs=CRS)


def test_two_estates_graph_matches_the_diagram():
    layers = load_layers(**two_estates_layers())
    units = build_units(layers, "东城社区")
    graph = build_graph(units.frame, roads=layers.roads)
    nw, ne, sw, se = (f"{ID}-B00{k}" for k in range(1, 5))
    edges = {frozenset((u, v)): d for u, v, d in graph.edges(data=True)}
    assert set(edges) == {frozenset(p) for p in [("E001", nw), ("E002", ne), (nw, ne), (nw, sw), (ne, se), (sw, se)]}
    assert edges[frozenset(("E001", nw))]["length_m"] == pytest.approx(640.0, abs=0.01)
    assert edges[frozenset(("E001", nw))]["barrier"] is None
    for pair, name, kind in [((nw, ne), "中心路", "road"), ((sw, se), "中心路", "road"),
                             ((nw, sw), "寒溪河", "river"), ((ne, se), "寒溪河", "river")]:
        edge = edges[frozenset(pair)]
        assert edge["length_m"] == pytest.approx(200.0, abs=0.01)
        assert (edge["barrier"], edge["barrier_kind"], edge["bridge"]) == (name, kind, False)
    node = graph.nodes["E001"]
    assert node["population"] == 300.0 and node["households"] == 100.0 and node["group"] == "一组"
    assert (node["kind"], node["name"], node["estate_id"], node["facility"]) == ("estate", "金地花园", "E001", 0)
    assert graph.nodes[sw]["facility"] == 1 and graph.nodes[sw]["estate_id"] is None
    assert graph.graph["crs"] == "EPSG:4547" and graph.graph["bridges"] == []
    assert sum(d["population"] for _, d in graph.nodes(data=True)) == units.population_out
    assert nx.is_connected(graph)


def test_node_point_lies_inside_even_for_a_u_shaped_unit():
    u_shape = Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300)])
    graph = build_graph(unit_frame([("U", u_shape), ("V", box(300, 0, 400, 300))]))
    node = graph.nodes["U"]
    assert shifted(u_shape).contains(Point(node["x"], node["y"]))


def test_gaps_narrower_than_the_tolerance_still_make_neighbours():
    #  +------+ 3 m +------+
    #  |  A   |     |  B   |
    #  +------+     +------+
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("B", box(103, 0, 203, 100))])
    graph = build_graph(frame, gap_tolerance_m=5.0)
    assert graph.edges["A", "B"]["length_m"] == pytest.approx(100.0, abs=0.2)
    assert graph.edges["A", "B"]["bridge"] is False
    narrow = build_graph(frame, gap_tolerance_m=2.0)
    assert narrow.edges["A", "B"]["bridge"] is True      # not neighbours: reconnected explicitly
    assert narrow.graph["bridges"] == [{"u": "A", "v": "B", "distance_m": 3.0}]


def test_a_corner_touch_is_not_a_shared_boundary():
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("B", box(100, 100, 200, 200)), ("C", box(100, 0, 200, 100))])
    graph = build_graph(frame)
    assert not graph.has_edge("A", "B")
    assert graph.has_edge("A", "C") and graph.has_edge("B", "C")


def test_islands_are_bridged_to_the_nearest_unit_and_reported():
    #  [A][B]        [I]      I lies 300 m east of B
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("B", box(100, 0, 200, 100)), ("I", box(500, 0, 550, 50))])
    graph = build_graph(frame)
    assert nx.is_connected(graph)
    assert graph.graph["bridges"] == [{"u": "I", "v": "B", "distance_m": 300.0}]
    edge = graph.edges["I", "B"]
    assert edge["bridge"] is True and edge["length_m"] == 0.0 and edge["distance_m"] == 300.0


def test_barrier_needs_the_shared_boundary_to_run_along_the_road():
    #  +------+------+
    #  |  A   |  B   |     东江路 runs along the A|B edge 8 m off it: barrier
    #  +------+------+     横路 crosses the edge at right angles: no barrier
    frame = unit_frame([("A", box(0, 0, 100, 200)), ("B", box(100, 0, 200, 200))])
    along = build_graph(frame, roads=roads_frame([("东江路", "road", LineString([(108, -50), (108, 250)]))]))
    assert along.edges["A", "B"]["barrier"] == "东江路"
    across = build_graph(frame, roads=roads_frame([("横路", "road", LineString([(-50, 100), (250, 100)]))]))
    assert across.edges["A", "B"]["barrier"] is None
    far = build_graph(frame, roads=roads_frame([("远路", "road", LineString([(140, -50), (140, 250)]))]))
    assert far.edges["A", "B"]["barrier"] is None


def test_unnamed_road_marks_the_kind_but_no_name():
    frame = unit_frame([("A", box(0, 0, 100, 200)), ("B", box(100, 0, 200, 200))])
    roads = roads_frame([(None, "river", LineString([(100, -50), (100, 250)]))])
    edge = build_graph(frame, roads=roads).edges["A", "B"]
    assert edge["barrier"] is None and edge["barrier_kind"] == "river"


def test_bad_frames_are_refused_with_reasons():
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("A", box(100, 0, 200, 100))])
    with pytest.raises(InputError, match="duplicate unit_id"):
        build_graph(frame)
    with pytest.raises(InputError, match="projected CRS in metres"):
        build_graph(unit_frame([("A", box(0, 0, 100, 100))]).to_crs(4326))
    with pytest.raises(InputError, match=r"missing column\(s\) households"):
        build_graph(unit_frame([("A", box(0, 0, 100, 100))]).drop(columns="households"))
    with pytest.raises(TypeError, match="GeoDataFrame"):
        build_graph([1, 2])
