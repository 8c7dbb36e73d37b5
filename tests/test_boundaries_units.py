"""Units: whole estates + blocks; every person counted once; deterministic ids."""
from __future__ import annotations


import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Point, box

from boundaries import InputError, build_units, community_totals, load_layers
from boundaries.population import pick_covering

from boundaries_fixtures import CRS, X0, shifted, two_estates_layers

ID = "441900001"


def layers_of(communities, estates, points, roads=None, **options):
    """Layers from plain shapely shapes in local metres (shifted to Dongguan)."""
    frames = {
        "communities": gpd.GeoDataFrame({"name": [n for n, _ in communities]},
                                        geometry=[shifted(g) for _, g in communities], crs=CRS),
        "estates": gpd.GeoDataFrame({"name": [n for n, _ in estates]},
                                    geometry=[shifted(g) for _, g in estates], crs=CRS),
        "population": gpd.GeoDataFrame({"population": [p for _, p in points], "households": [1.0] * len(points)},
                                       geometry=[shifted(Point(xy)) for xy, _ in points], crs=CRS),
    }
    if roads:
        frames["roads"] = gpd.GeoDataFrame({"name": [n for n, _ in roads]},
                                           geometry=[shifted(g) for _, g in roads], crs=CRS)
    return load_layers(**frames, **options)


def assert_tiles(units):
    """Units are disjoint and cover the community exactly; ids unique; totals conserved."""
    geoms = units.frame.geometry.values
    assert units.frame["unit_id"].is_unique
    assert shapely.area(geoms).sum() == pytest.approx(units.boundary.area, rel=1e-9, abs=1e-3)
    assert shapely.union_all(geoms).symmetric_difference(units.boundary).area < 1e-3
    assert units.population_in == pytest.approx(units.population_out, abs=1e-9)
    assert units.households_in == pytest.approx(units.households_out, abs=1e-9)
    assert units.frame["population"].sum() == pytest.approx(units.population_out)


def test_two_estates_community_units_are_exactly_the_diagram():
    layers = load_layers(**two_estates_layers())
    units = build_units(layers, "东城社区")
    frame = units.frame.set_index("unit_id")
    assert list(frame.index) == ["E001", "E002", f"{ID}-B001", f"{ID}-B002", f"{ID}-B003", f"{ID}-B004"]
    assert frame["kind"].tolist() == ["estate"] * 2 + ["block"] * 4
    assert frame.loc["E001", "name"] == "金地花园" and frame.loc["E001", "group"] == "一组"
    assert frame.loc[f"{ID}-B001", "group"] is None and frame.loc[f"{ID}-B001", "estate_id"] is None
    assert frame.loc["E002", "estate_id"] == "E002"
    # NW frame around 金地花园, NE frame around 碧桂园, SW and SE quarters
    assert frame["area_m2"].round().tolist() == [25600, 25600, 14400, 14400, 40000, 40000]
    # people: the point on 中心路 (x = 200) goes to the first block in reading order (SW); the one 10 m
    # outside the west edge is snapped into SW and reported; the one 2 km away belongs to no community
    assert frame["population"].tolist() == [300, 300, 0, 0, 100 + 10 + 5, 40]
    assert frame["households"].tolist() == [100, 100, 0, 0, 32 + 3 + 2, 12]
    assert frame["facility"].tolist() == [0, 0, 0, 0, 1, 0]
    assert (frame["community"] == ID).all()
    assert units.reassigned == ({"point_id": "P012", "unit_id": f"{ID}-B003", "distance_m": 10.0, "name": "楼12"},)
    assert units.population_in == 755 and units.households_in == 249
    assert units.community_id == ID and units.community_name == "东城社区"
    assert units.frame.crs == layers.crs
    assert_tiles(units)
    assert "2 estates + 4 blocks" in repr(units)


def test_community_can_be_named_by_id_and_unknown_or_ambiguous_names_are_errors():
    layers = load_layers(**two_estates_layers())
    assert build_units(layers, ID).community_name == "东城社区"
    with pytest.raises(InputError, match=r"«西城社区».*no community has this name or id.*东城社区 \(441900001\)"):
        build_units(layers, "西城社区")
    twins = layers_of([("新村", box(0, 0, 100, 100)), ("新村", box(200, 0, 300, 100))], [], [])
    with pytest.raises(InputError, match=r"2 communities are called '新村' \(ids C001, C002\)"):
        build_units(twins, "新村")
    assert build_units(twins, "C002").boundary.bounds[0] == pytest.approx(X0 + 200)


def test_totals_per_community_match_the_units():
    layers = load_layers(**two_estates_layers())
    totals = community_totals(layers)
    assert totals.to_dict("records") == [{"community_id": ID, "name": "东城社区", "population": 755.0,
                                          "households": 249.0, "estates": 2}]


def test_without_roads_the_land_is_cut_by_an_aligned_grid_in_reading_order():
    #  +-----+-----+ 500     grid of 250 m aligned on multiples of 250 (X0, Y0 are multiples)
    #  | B1  | B2  |
    #  +-----+-----+ 250
    #  | B3  | B4  |
    #  +-----+-----+ 0
    layers = layers_of([("网格社区", box(0, 0, 500, 500))], [],
                       [((100, 400), 1), ((400, 400), 2), ((100, 100), 3), ((400, 100), 4)])
    units = build_units(layers, "网格社区")
    assert units.frame["unit_id"].tolist() == ["C001-B001", "C001-B002", "C001-B003", "C001-B004"]
    assert units.frame["population"].tolist() == [1, 2, 3, 4]
    assert units.frame["area_m2"].tolist() == [62500.0] * 4
    assert any("250 m grid" in note for note in units.notes)
    assert_tiles(units)
    coarse = build_units(layers, "网格社区", grid_size_m=1000)
    assert len(coarse.frame) == 1 and coarse.frame["population"].iloc[0] == 10


def test_a_grid_of_millions_of_cells_is_refused_before_any_cell_is_built():
    layers = layers_of([("大社区", box(0, 0, 5_000, 4_000))], [], [((100, 400), 1)])
    with pytest.raises(InputError, match=r"would build 20,000,000 cells.*--grid-size \(e\.g\. 20\)"):
        build_units(layers, "大社区", grid_size_m=1)
    assert len(build_units(layers, "大社区", grid_size_m=100).frame) == 2_000


def test_a_thin_gap_between_estates_is_halved_between_them_and_keeps_its_people():
    #  +---------+-+---------+
    #  |    A    | |    B    |   a 1 m gap (100 m²) between A and B, with 9 people in it on its midline
    #  +---------+-+---------+
    layers = layers_of([("窄社区", box(0, 0, 201, 100))], [("甲苑", box(0, 0, 100, 100)), ("乙苑", box(101, 0, 201, 100))],
                       [((50, 50), 10), ((100.5, 50), 9), ((150, 50), 20)])
    units = build_units(layers, "窄社区", grid_size_m=1000)
    assert units.frame["kind"].tolist() == ["estate", "estate"]
    assert units.frame["population"].tolist() == [19, 20]       # on the midline: the first estate
    assert units.frame["area_m2"].tolist() == [10050.0, 10050.0]
    assert any("1 strip(s) of land narrower than 10 m (100 m²) shared" in note for note in units.notes)
    assert_tiles(units)


def test_remaining_land_in_two_parts_becomes_two_blocks():
    #  +-----------+ 300
    #  |  block 1  |
    #  +-----------+ 200
    #  |  estate   |        the estate spans the full width: the remaining land is two pieces
    #  +-----------+ 100
    #  |  block 2  |
    #  +-----------+ 0
    layers = layers_of([("三段社区", box(0, 0, 300, 300))], [("横苑", box(0, 100, 300, 200))],
                       [((150, 250), 5), ((150, 150), 7), ((150, 50), 11)])
    units = build_units(layers, "三段社区", grid_size_m=1000)
    assert units.frame["unit_id"].tolist() == ["E001", "C001-B001", "C001-B002"]
    assert units.frame["population"].tolist() == [7, 5, 11]
    assert set(units.frame.geom_type) == {"Polygon"}
    assert_tiles(units)


def test_large_road_faces_are_further_cut_by_the_grid():
    layers = layers_of([("大社区", box(0, 0, 1000, 500))], [], [((10, 10), 1)],
                       roads=[("长安路", LineString([(500, -10), (500, 510)]))])
    units = build_units(layers, "大社区")  # faces of 500 × 500 m = 250,000 m² ≤ 4 cells: kept
    assert len(units.frame) == 2
    finer = build_units(layers, "大社区", max_block_area_m2=100_000)
    assert len(finer.frame) == 8 and any("further cut" in n for n in finer.notes)
    assert_tiles(finer)


def test_estate_crossing_into_a_neighbour_community_stays_with_the_majority_and_is_clipped():
    layers = layers_of([("东社区", box(0, 0, 200, 200)), ("西社区", box(200, 0, 400, 200))],
                       [("骑线苑", box(100, 50, 240, 150))],   # 100 m inside 东, 40 m inside 西
                       [((150, 100), 10), ((220, 100), 4), ((300, 100), 1)])
    east = build_units(layers, "东社区", grid_size_m=1000)
    west = build_units(layers, "西社区", grid_size_m=1000)
    assert east.frame.loc[east.frame["kind"] == "estate", "area_m2"].tolist() == [10000.0]
    assert (west.frame["kind"] == "block").all()
    assert east.population_in + west.population_in == 15
    assert west.frame["population"].sum() == 5  # the people in the clipped part are the west's
    assert_tiles(east)
    assert_tiles(west)


def test_overlapping_estates_are_made_disjoint_first_listed_wins():
    layers = layers_of([("叠社区", box(0, 0, 300, 100))], [("先苑", box(0, 0, 150, 100)), ("后苑", box(100, 0, 250, 100))],
                       [((125, 50), 6)])
    units = build_units(layers, "叠社区", grid_size_m=1000)
    frame = units.frame.set_index("name")
    assert frame.loc["先苑", "area_m2"] == 15000 and frame.loc["后苑", "area_m2"] == 10000
    assert frame.loc["先苑", "population"] == 6
    assert_tiles(units)


def test_same_input_gives_identical_units_and_point_order_does_not_matter():
    frames = two_estates_layers()
    first = build_units(load_layers(**frames), "东城社区")
    again = build_units(load_layers(**frames), "东城社区")
    assert first.frame.drop(columns="geometry").equals(again.frame.drop(columns="geometry"))
    assert shapely.to_wkb(first.frame.geometry.values).tolist() == shapely.to_wkb(again.frame.geometry.values).tolist()
    frames["population"] = frames["population"].iloc[::-1].reset_index(drop=True)
    shuffled = build_units(load_layers(**frames), "东城社区")
    assert shuffled.frame["population"].tolist() == first.frame["population"].tolist()


def test_bad_options_are_named():
    layers = load_layers(**two_estates_layers())
    with pytest.raises(InputError, match="grid_size_m must be a positive number"):
        build_units(layers, "东城社区", grid_size_m=0)
    with pytest.raises(InputError, match="snap_tolerance_m must be a number ≥ 0"):
        build_units(layers, "东城社区", snap_tolerance_m=-1)


def test_pick_covering_rule_for_shared_edges_and_snapping():
    squares = np.array([box(0, 0, 10, 10), box(10, 0, 20, 10)], dtype=object)
    points = np.array([Point(10, 5), Point(5, 5), Point(25, 5), Point(40, 5)], dtype=object)
    index, distance = pick_covering(points, squares, np.array([1, 0]), snap_tolerance_m=6)
    assert index.tolist() == [1, 0, 1, -1]     # the edge point goes to the higher-priority square
    assert distance[:3].tolist() == [0, 0, 5] and np.isinf(distance[3])


def test_multipolygon_community_island_block_is_its_own_unit():
    island = MultiPolygon([box(0, 0, 200, 200), box(600, 0, 700, 100)])
    layers = layers_of([("岛社区", island)], [], [((100, 100), 3), ((650, 50), 2)])
    units = build_units(layers, "岛社区", grid_size_m=1000)
    assert units.frame["population"].tolist() == [3, 2]
    assert_tiles(units)


@st.composite
def towns(draw):
    """A random town: estates on a 5 × 5 plot grid, people anywhere, a few straight roads."""
    plots = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), unique=True, max_size=12))
    estates = []
    for k, (i, j) in enumerate(plots):
        inset = draw(st.sampled_from([0.0, 0.5, 7.0]))
        estates.append((f"苑{k}", box(i * 100 + inset, j * 100 + inset, (i + 1) * 100 - inset, (j + 1) * 100 - inset)))
    points = [((x, y), p) for x, y, p in draw(st.lists(
        st.tuples(st.floats(0, 500), st.floats(0, 500), st.integers(0, 50)), min_size=1, max_size=40))]
    roads = [(f"路{k}", LineString([(x, -20), (x + dx, 520)])) for k, (x, dx) in enumerate(draw(st.lists(
        st.tuples(st.floats(10, 490), st.floats(-50, 50)), max_size=3)))]
    return estates, points, roads


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(towns())
@example(([], [((0.0, 0.0), 0)], [("路0", LineString([(432, -20), (451, 520)]))]))  # left a 0.2 m² crumb out
def test_any_town_is_tiled_and_keeps_every_person(town):
    estates, points, roads = town
    layers = layers_of([("随机社区", box(0, 0, 500, 500))], estates, points, roads=roads or None)
    units = build_units(layers, "随机社区", grid_size_m=150)
    assert_tiles(units)
    assert units.population_in == sum(p for _, p in points)
    assert sorted(units.frame["estate_id"].dropna()) == sorted(layers.estates["estate_id"])
