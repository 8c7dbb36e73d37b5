"""One piece on the map: strips shared before the graph, neighbours only through land or a recorded
crossing, the geometric verifier, and dissolved communities drawn as one polygon."""
from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
import shapely
from shapely.geometry import Point, box

from boundaries import build_graph, build_units, check_one_piece, crossing_label, crossing_strips, load_layers
from maps.dissolve import dissolve_communities

from boundaries_fixtures import CRS, shifted

# The 2 m strip of the issue (2 m × 1,500 m = 3,000 m²: more than a sliver by area):
#
#   y=1600 +--------------------------------+
#          |          north block N         |
#   y=1500 +--------------+--+--------------+
#          |   estate A   |s |   estate E   |     s: x = 750..752, the land left between A and E,
#          |   甲苑        |  |   乙苑        |     7 people live in it
#   y=0    +--------------+--+--------------+
#          0             750 752           1502


def strip_layers():
    communities = gpd.GeoDataFrame({"name": ["窄带社区"]}, geometry=[shifted(box(0, 0, 1502, 1600))], crs=CRS)
    estates = gpd.GeoDataFrame({"name": ["甲苑", "乙苑"]},
                               geometry=[shifted(box(0, 0, 750, 1500)), shifted(box(752, 0, 1502, 1500))], crs=CRS)
    points = [((300, 700), 100), ((1000, 700), 120), ((700, 1550), 40), ((751, 600), 7)]
    population = gpd.GeoDataFrame({"population": [p for _, p in points], "households": [1.0] * len(points)},
                                  geometry=[shifted(Point(xy)) for xy, _ in points], crs=CRS)
    return load_layers(communities=communities, estates=estates, population=population)


def unit_frame(shapes):
    return gpd.GeoDataFrame({"unit_id": [u for u, _ in shapes], "population": [10.0] * len(shapes),
                             "households": [4.0] * len(shapes), "kind": ["estate"] * len(shapes),
                             "name": [f"{u}苑" for u, _ in shapes]},
                            geometry=[shifted(g) for _, g in shapes], crs=CRS)


def test_a_long_2m_strip_between_estates_is_shared_and_no_unit_is_a_strip():
    units = build_units(strip_layers(), "窄带社区", grid_size_m=5000)
    frame = units.frame
    # every unit is wider than 10 m somewhere: no strip of land is left as a unit of its own
    assert not shapely.is_empty(shapely.buffer(frame.geometry.values, -5.0, join_style="mitre")).any()
    assert any("1 strip(s) of land narrower than 10 m (3,000 m²)" in n for n in units.notes)
    assert units.population_out == units.population_in == 267
    assert frame["kind"].tolist() == ["estate", "estate", "block", "block"]   # N is cut by the grid at x=1000
    assert frame["area_m2"].sum() == pytest.approx(1502 * 1600)
    graph = build_graph(frame)
    # the estates on either side of the strip now share a real boundary, no gap crossing
    edge = graph.edges["E001", "E002"]
    assert edge["gap_m"] == 0.0 and edge["length_m"] == pytest.approx(1500.0, abs=2.0)
    assert crossing_strips(frame, graph) == []
    north = {u: 2 for u in frame["unit_id"].iloc[2:]}
    assert check_one_piece(frame, {"E001": 1, "E002": 1} | north, graph) == []


def test_a_unit_in_the_gap_means_no_neighbours_across_it():
    #  +------+--+------+
    #  |  A   |S |  E   |   S is 2 m wide: A and E are 2 m apart but S lies between them
    #  +------+--+------+
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("S", box(100, 0, 102, 100)), ("E", box(102, 0, 202, 100))])
    graph = build_graph(frame, gap_tolerance_m=5.0)
    assert not graph.has_edge("A", "E")
    assert graph.has_edge("A", "S") and graph.has_edge("S", "E")


def test_an_empty_gap_is_a_recorded_crossing_and_the_dissolve_spans_it():
    #  +------+ 3 m +------+
    #  |  A   |     |  B   |   nothing between: neighbours across "gap 3 m"
    #  +------+     +------+
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("B", box(103, 0, 203, 100))])
    graph = build_graph(frame, gap_tolerance_m=5.0)
    edge = graph.edges["A", "B"]
    assert edge["gap_m"] == 3.0 and crossing_label(edge) == "gap 3 m"
    strips = crossing_strips(frame, graph)
    assert len(strips) == 1 and strips[0][2].area == pytest.approx(300.0, rel=0.02)
    assert check_one_piece(frame, {"A": 1, "B": 1}, graph) == []
    # without the crossing's land the same district is two pieces: the verifier reads the map
    bare = graph.copy()
    bare.edges["A", "B"]["gap_m"] = 0.0
    assert check_one_piece(frame, {"A": 1, "B": 1}, bare) == [
        "new community 1 is 2 pieces on the map: B苑 cut off from the rest (gaps under 1 m closed)"]
    joins = gpd.GeoDataFrame({"district": [1]}, geometry=[strips[0][2]], crs=CRS)
    units = frame.assign(district=1, estate_id=None)
    drawn = dissolve_communities(units, district_names={1: "新社区一"}, estates=units.iloc[:0].assign(estate_id=[]),
                                 facilities=None, joins=joins)
    assert drawn.geometry.iloc[0].geom_type == "Polygon"
    apart = dissolve_communities(units, district_names={1: "新社区一"}, estates=units.iloc[:0].assign(estate_id=[]),
                                 facilities=None)
    assert apart.geometry.iloc[0].geom_type == "MultiPolygon"


def test_the_verifier_catches_an_estate_cut_off_by_a_strip_of_another_community():
    # the plan: A and E in one community, the strip S between them in another
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("S", box(100, 0, 102, 100)), ("E", box(102, 0, 202, 100))])
    graph = nx.Graph([("A", "S"), ("S", "E"), ("A", "E")])   # the old gap-tolerance edge A–E
    problems = check_one_piece(frame, {"A": 1, "S": 2, "E": 1}, graph)
    assert problems == ["new community 1 is 2 pieces on the map: E苑 cut off from the rest (gaps under 1 m closed)"]
    assert check_one_piece(frame, {"A": 1, "S": 1, "E": 2}, graph) == []


def test_hairline_gaps_under_a_metre_do_not_split_a_community():
    frame = unit_frame([("A", box(0, 0, 100, 100)), ("B", box(100.4, 0, 200, 100))])
    graph = nx.Graph([("A", "B")])
    assert check_one_piece(frame, {"A": 1, "B": 1}, graph) == []
    units = frame.assign(district=1, estate_id=None)
    drawn = dissolve_communities(units, district_names={1: "新社区一"}, estates=units.iloc[:0].assign(estate_id=[]),
                                 facilities=None)
    assert drawn.geometry.iloc[0].geom_type == "Polygon"


def test_an_exclave_joined_by_an_island_bridge_is_the_one_allowed_exception():
    # I is an exclave of the community 300 m away: no plan can draw it in one piece with B
    frame = unit_frame([("B", box(0, 0, 100, 100)), ("I", box(400, 0, 450, 50)), ("C", box(0, 100, 100, 200))])
    graph = build_graph(frame)
    assert graph.edges["I", "B"]["bridge"] is True and crossing_label(graph.edges["I", "B"]) == "gap 300 m (island)"
    assert check_one_piece(frame, {"B": 1, "I": 1, "C": 2}, graph) == []
    assert check_one_piece(frame, {"B": 1, "I": 2, "C": 2}, graph) == [
        "new community 2 is 2 pieces on the map: I苑 cut off from the rest (gaps under 1 m closed)"]


def test_a_plan_that_is_not_one_piece_on_the_map_is_never_written(tmp_path, monkeypatch, capsys):
    import boundaries
    from redistrict.cli import main

    from boundaries_fixtures import write_layers

    data = {"communities": gpd.GeoDataFrame({"name": ["戊社区"]}, geometry=[shifted(box(0, 0, 200, 100))], crs=CRS),
            "estates": gpd.GeoDataFrame({"name": ["东苑", "西苑"]}, geometry=[shifted(box(0, 0, 100, 100)),
                                                                            shifted(box(100, 0, 200, 100))], crs=CRS),
            "population": gpd.GeoDataFrame({"population": [60, 70], "households": [20, 30]},
                                           geometry=[shifted(Point(50, 50)), shifted(Point(150, 50))], crs=CRS)}
    paths = write_layers(tmp_path, data)
    args = ["split", *(f"--{k}={v}" for k, v in paths.items()), "--cap", "100", "--out", str(tmp_path / "out")]
    seen = []

    def cut_off(frame, assignment, graph):
        seen.append(dict(assignment))
        return ["new community 1 is 2 pieces on the map: 东苑 cut off from the rest"]

    monkeypatch.setattr(boundaries, "check_one_piece", cut_off)
    assert main(args) == 1
    assert "东苑 cut off from the rest" in capsys.readouterr().err
    assert seen == [{"E001": 1, "E002": 2}] or seen == [{"E001": 2, "E002": 1}]
    assert not (tmp_path / "out").exists()
    monkeypatch.undo()
    assert main(args) == 0 and (tmp_path / "out" / "run.json").exists()


def test_pieces_touching_at_a_corner_are_drawn_and_verified_as_one():
    #  +----+
    #  | B  |
    #  +----+----+      A and B touch at one point only
    #       | A  |
    #       +----+
    frame = unit_frame([("A", box(100, 0, 200, 100)), ("B", box(0, 100, 100, 200))])
    assert check_one_piece(frame, {"A": 1, "B": 1}, nx.Graph([("A", "B")])) == []
    units = frame.assign(district=1, estate_id=None)
    drawn = dissolve_communities(units, district_names={1: "新社区一"}, estates=units.iloc[:0].assign(estate_id=[]),
                                 facilities=None)
    assert drawn.geometry.iloc[0].geom_type == "Polygon"
    assert drawn.geometry.iloc[0].area == pytest.approx(20000.0, abs=1.0)


def test_a_split_across_a_recorded_gap_draws_one_piece_and_records_the_crossing(tmp_path):
    import json

    from redistrict.cli import main

    from boundaries_fixtures import write_layers

    #  +------+ 3 m +------+------+
    #  |  A   |     |  B   |  C   |   the community is drawn in two parts 3 m apart (an unmapped strip);
    #  |  60  |     |  40  |  70   |   cap 100 forces {A, B} and {C}: A and B meet only across the gap
    #  +------+     +------+------+
    data = {"communities": gpd.GeoDataFrame({"name": ["己社区"]}, crs=CRS, geometry=[
                shifted(shapely.union_all([box(0, 0, 100, 100), box(103, 0, 300, 100)]))]),
            "estates": gpd.GeoDataFrame({"name": ["甲苑", "乙苑", "丙苑"]}, crs=CRS, geometry=[
                shifted(box(0, 0, 100, 100)), shifted(box(103, 0, 200, 100)), shifted(box(200, 0, 300, 100))]),
            "population": gpd.GeoDataFrame({"population": [60, 40, 70], "households": [20, 15, 25]}, crs=CRS,
                                           geometry=[shifted(Point(50, 50)), shifted(Point(150, 50)),
                                                     shifted(Point(250, 50))])}
    paths = write_layers(tmp_path, data)
    out = tmp_path / "out"
    assert main(["split", *(f"--{k}={v}" for k, v in paths.items()), "--cap", "100", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["units"]["crossings"] == [{"u": "E001", "v": "E002", "gap_m": 3.0, "label": "gap 3 m"}]
    assert run["units"]["bridges"] == []
    communities = gpd.read_file(out / "plan.gpkg", layer="communities")
    assert sorted(communities["population"]) == [70, 100]
    assert all(len(shapely.get_parts(g)) == 1 for g in communities.geometry)
