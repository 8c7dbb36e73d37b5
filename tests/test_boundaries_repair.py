"""--repair: each documented rule changes the geometry as stated, leaves a record, and moves nobody."""
from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from boundaries import (InputError, RepairRule, build_graph, build_units, community_totals, inspect_layers,
                        load_layers, repair_layers)
from redistrict.cli import main

from boundaries_fixtures import CRS, shifted, write_layers


def frames(communities, estates, points):
    """GeoDataFrames from local shapes: communities/estates [(name, geometry)], points [((x, y), people)]."""
    return {
        "communities": gpd.GeoDataFrame({"name": [n for n, _ in communities]},
                                        geometry=[shifted(g) for _, g in communities], crs=CRS),
        "estates": gpd.GeoDataFrame({"name": [n for n, _ in estates]},
                                    geometry=[shifted(g) for _, g in estates], crs=CRS),
        "population": gpd.GeoDataFrame({"population": [p for _, p in points], "households": [p / 2.5 for _, p in points]},
                                       geometry=[shifted(Point(xy)) for xy, _ in points], crs=CRS),
    }


def repaired(data):
    layers = load_layers(**data)
    fixed = repair_layers(layers)
    return layers, fixed


def assert_people_kept(before, after):
    """Every person counted before the repairs is counted after, in the same total."""
    totals_before, totals_after = community_totals(before), community_totals(after)
    assert totals_after["population"].sum() == pytest.approx(totals_before["population"].sum(), abs=1e-9)
    assert totals_after["households"].sum() == pytest.approx(totals_before["households"].sum(), abs=1e-9)


#  +--------------------------+ 300
#  |  parent 翠园 (200 × 200)  |
#  |    +--------+            |
#  |    | 翠园二期 |  (50 × 50, inside the parent: a phase)
#  |    +--------+            |
#  +--------------------------+
NESTED = frames([("甲社区", box(0, 0, 300, 300))],
                [("翠园", box(0, 0, 200, 200)), ("翠园二期", box(50, 50, 100, 100))],
                [((20, 20), 100), ((75, 75), 60), ((250, 250), 30)])


def test_a_nested_phase_is_refused_naming_it_and_what_repair_would_do():
    report = inspect_layers(load_layers(**NESTED))
    [problem] = [p for p in report.errors if p.feature == "翠园二期"]
    assert "lies 100% inside «翠园» (a phase inside its parent estate?" in problem.message
    assert "--repair would make it a keep-together group with «翠园»" in problem.hint
    with pytest.raises(InputError, match="--repair would fix 1 of these 1 error"):
        report.raise_for_errors()


def test_a_nested_phase_becomes_a_keep_together_group_with_its_parent():
    layers, fixed = repaired(NESTED)
    [repair] = fixed.repairs
    assert (repair.layer, repair.features, repair.rule) == ("estates", ("翠园", "翠园二期"), RepairRule.NESTED_PHASE)
    assert repair.area_m2 == pytest.approx(2500.0)
    estates = fixed.layers.estates
    assert estates.geometry.area.tolist() == pytest.approx([40000 - 2500, 2500])
    assert estates["group"].tolist() == ["E001", "E001"]
    assert inspect_layers(fixed.layers).ok
    assert_people_kept(layers, fixed.layers)
    units = build_units(fixed.layers, "甲社区")
    graph = build_graph(units.frame)
    assert graph.nodes["E001"]["group"] == graph.nodes["E002"]["group"] == "E001"
    assert graph.nodes["E001"]["population"] == 100 and graph.nodes["E002"]["population"] == 60


#  +---------+----+------+ 100
#  |  大苑    | ov | 小苑  |   大苑 0..100, 小苑 90..150: they overlap on 90..100 (1,000 m²)
#  +---------+----+------+ 0
PARTIAL = frames([("乙社区", box(0, 0, 200, 100))],
                 [("小苑", box(90, 0, 150, 100)), ("大苑", box(0, 0, 100, 100))],
                 [((50, 50), 80), ((95, 50), 12), ((120, 50), 40), ((180, 50), 5)])


def test_a_partial_overlap_goes_to_the_larger_estate():
    report = inspect_layers(load_layers(**PARTIAL))
    [problem] = report.errors
    assert problem.repair == "overlap-to-larger" and "--repair would give the overlap to the larger one, «大苑»" in problem.hint
    layers, fixed = repaired(PARTIAL)
    [repair] = fixed.repairs
    assert (repair.features, repair.rule, repair.area_m2) == (("大苑", "小苑"), RepairRule.OVERLAP_TO_LARGER,
                                                              pytest.approx(1000.0))
    assert fixed.layers.estates.geometry.area.tolist() == pytest.approx([5000.0, 10000.0])
    assert inspect_layers(fixed.layers).ok
    assert_people_kept(layers, fixed.layers)
    units = build_units(fixed.layers, "乙社区")
    by_name = dict(zip(units.frame["name"], units.frame["population"]))
    assert (by_name["大苑"], by_name["小苑"]) == (92, 40)   # the 12 people in the overlap live in 大苑 now


def test_a_bow_tie_is_made_valid_and_recorded():
    bow_tie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    data = frames([("丙社区", box(-50, -50, 150, 150))], [("蝴蝶苑", bow_tie)], [((10, 50), 30), ((90, 50), 20)])
    layers, fixed = repaired(data)
    assert not inspect_layers(layers).ok
    [repair] = fixed.repairs
    assert (repair.layer, repair.features, repair.rule) == ("estates", ("蝴蝶苑",), RepairRule.MAKE_VALID)
    assert repair.area_m2 == pytest.approx(5000.0)     # drawn area 0 (lobes cancel), repaired 2 × 2,500 m²
    assert inspect_layers(fixed.layers).ok and not fixed.layers.problems
    assert_people_kept(layers, fixed.layers)


#  +------+                +----+
#  | 远苑  |   150 m apart  | 远苑 |   one estate drawn as two far-apart pieces
#  +------+                +----+
DETACHED = frames([("丁社区", box(0, 0, 400, 100))],
                  [("远苑", MultiPolygon([box(0, 0, 100, 100), box(250, 0, 300, 100)]))],
                  [((50, 50), 70), ((275, 50), 25), ((350, 50), 5)])


def test_an_estate_in_far_apart_pieces_is_refused_then_keeps_its_largest_piece():
    report = inspect_layers(load_layers(**DETACHED))
    [problem] = report.errors
    assert problem.feature == "远苑" and "is drawn as 2 pieces up to 150 m apart" in problem.message
    layers, fixed = repaired(DETACHED)
    [repair] = fixed.repairs
    assert (repair.rule, repair.area_m2) == (RepairRule.DETACHED_PART, pytest.approx(5000.0))
    assert fixed.layers.estates.geometry.iloc[0].equals(shifted(box(0, 0, 100, 100)))
    assert inspect_layers(fixed.layers).ok
    units = build_units(fixed.layers, "丁社区")
    assert units.population_out == units.population_in == 100
    # the detached piece's 25 people are counted in ordinary land, not in the estate
    assert units.frame.loc[units.frame["kind"] == "estate", "population"].tolist() == [70]


#  +---------+ 3 m +---------+
#  | 东社区    |     | 西社区    |   a 3 m digitising gap between two communities, 4 people in it
#  +---------+     +---------+
GAP = frames([("东社区", box(0, 0, 100, 100)), ("西社区", box(103, 0, 203, 100))],
             [("东苑", box(10, 10, 90, 90)), ("西苑", box(113, 10, 193, 90))],
             [((50, 50), 30), ((150, 50), 40), ((101, 50), 4)])


def test_a_gap_between_communities_is_closed_nearest_first():
    report = inspect_layers(load_layers(**GAP))
    [warning] = [p for p in report.warnings if p.repair == "gap-closed"]
    assert "1 gap(s) narrower than 20 m between communities (300 m² in all)" in warning.message
    layers, fixed = repaired(GAP)
    [repair] = fixed.repairs
    assert (repair.layer, repair.features, repair.rule) == ("communities", ("东社区", "西社区"), RepairRule.GAP_CLOSED)
    assert repair.area_m2 == pytest.approx(300.0)
    areas = fixed.layers.communities.geometry.area.tolist()
    assert areas == pytest.approx([10150.0, 10150.0])   # each takes the half nearest to it
    union = shapely.union_all(fixed.layers.communities.geometry.values)
    assert union.geom_type == "Polygon" and union.area == pytest.approx(20300.0)
    assert_people_kept(layers, fixed.layers)
    assert community_totals(fixed.layers)["population"].tolist() == [34, 40]


def test_inspect_repair_lists_the_repairs_and_the_refusal_names_the_flag(tmp_path, capsys):
    paths = write_layers(tmp_path, PARTIAL)
    args = ["inspect", "--communities", paths["communities"], "--estates", paths["estates"],
            "--population", paths["population"]]
    assert main(args) == 2
    assert "--repair would fix 1 of these errors" in capsys.readouterr().out
    assert main(args + ["--repair", "--json", str(tmp_path / "report.json")]) == 0
    out = capsys.readouterr().out
    assert "repair: estates «大苑», «小苑»: overlap given to the larger feature (1,000 m²)" in out
    assert "0 error(s), 0 warning(s), 1 repair(s)" in out
    saved = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert saved["repairs"] == [{"layer": "estates", "features": ["大苑", "小苑"], "rule": "overlap-to-larger",
                                 "area_m2": 1000.0, "description": "overlap given to the larger feature"}]


def test_split_with_repair_records_every_repair_in_run_json_and_the_report(tmp_path, capsys):
    data = {k: v.copy() for k, v in PARTIAL.items()}
    data["estates"]["name"] = ["小苑<script>", "大苑"]      # names are data: shown, never markup
    paths = write_layers(tmp_path, data)
    args = ["split", "--communities", paths["communities"], "--estates", paths["estates"],
            "--population", paths["population"], "--cap", "100", "--out", str(tmp_path / "out")]
    assert main(args) == 2
    assert "--repair would fix 1 of these 1 error(s)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(args + ["--repair"]) == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["repairs"] == [{"layer": "estates", "features": ["大苑", "小苑<script>"], "rule": "overlap-to-larger",
                               "area_m2": 1000.0, "description": "overlap given to the larger feature"}]
    assert run["scenario"]["run"]["repair"] is True
    assert run["population_conserved"] and run["totals"]["population_out"] == 137
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Repairs (--repair)" in report and "大苑、小苑&lt;script&gt;" in report and "<script>" not in report
