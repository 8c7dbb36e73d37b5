"""四至: sides named after the roads and rivers along them, else the neighbour, else the original boundary."""

import math

import pytest
from shapely.geometry import LineString, Polygon, box

import maps_fixtures as fx

from maps.options import build_views, local_context
from maps.sizhi import Feature, describe_sides, named_lines, sizhi_sentence


@pytest.fixture(scope="module")
def views():
    ctx = fx.context()
    proposals = [fx.proposal(1), fx.proposal(2)]
    return build_views(proposals, local_context(ctx, proposals))


def test_split_along_a_road_names_the_road_on_both_sides(views):
    sides = views[0].sides
    assert sides[1]["east"].names == ("东城路",)
    assert sides[2]["west"].names == ("东城路",)
    assert sides[2]["east"].names == ("环城路",)
    assert sides[1]["south"].names == ("寒溪河",) and sides[1]["south"].kinds == ("river",)


def test_a_road_crossing_a_side_is_not_named_there(views):
    # 横穿路 runs north-south through district 1: it crosses the south and north sides
    for side in ("south", "north"):
        assert "横穿路" not in views[0].sides[1][side].names


def test_without_a_road_the_side_is_named_after_the_neighbour_or_the_original_boundary(views):
    option2 = views[1].sides
    assert option2[1]["north"].names == ("新社区二（方案2）",)
    assert option2[2]["south"].names == ("新社区一（方案2）",)
    assert option2[1]["west"].names == ("原测试社区边界",)
    assert views[0].sides[1]["north"].names == ("原测试社区边界",)


def test_sentence_lists_east_south_west_north(views):
    assert views[0].communities.loc[0, "sizhi"] == "东至东城路，南至寒溪河，西至原测试社区边界，北至原测试社区边界。"
    assert sizhi_sentence({}) == "—"


def test_side_classification_of_a_rotated_square_uses_outward_normals():
    # a square with a road just outside its east edge, 20 m off the centre-line
    square = box(0, 0, 500, 500)
    road = Feature(name="滨江路", kind="road", geometry=LineString([(520, -50), (520, 550)]))
    sides = describe_sides(square, lines=[road], neighbours=[], outline=None)
    assert sides["east"].names == ("滨江路",)
    assert sides["west"].names == () and sides["west"].text == "—"
    assert sides["north"].length_m == pytest.approx(500)


def test_road_beyond_tolerance_is_not_named():
    square = box(0, 0, 500, 500)
    road = Feature(name="远路", kind="road", geometry=LineString([(600, -50), (600, 550)]))
    assert describe_sides(square, lines=[road], neighbours=[], outline=None, road_tolerance_m=40)["east"].names == ()


def test_named_lines_merge_segments_of_one_name_and_drop_unnamed():
    lines = named_lines(fx.roads())
    assert [f.kind for f in lines] == ["river", "road", "road", "road"]  # sorted by (kind, name)
    assert {f.name for f in lines} == {"寒溪河", "东城路", "环城路", "横穿路"}
    assert named_lines(None) == []


# ---- shapes that are not rectangles ---------------------------------------------------------------------
#
#   L-shaped community (1 km square less its north-east quarter, which is the neighbour 新社区二):
#
#     y=1000 +--------+ . . . . +        north: 600 m original boundary + 400 m along 新社区二
#            |  L     | 新社区二 :
#     y=600  |        +---------+        east: 400 m along 新社区二 + 600 m along 东环路 (x = 1000)
#            |                  |
#     y=0    +------------------+        south: 南河 all along; 纵一路 crosses it at x = 300
#           x=0     x=600     x=1000

L_SHAPE = Polygon([(0, 0), (1000, 0), (1000, 600), (600, 600), (600, 1000), (0, 1000)])
NEIGHBOUR = Feature(name="新社区二", kind="neighbour", geometry=box(600, 600, 1000, 1000))
OUTLINE = Feature(name="原某社区边界", kind="boundary", geometry=box(0, 0, 1000, 1000).boundary)


def test_l_shape_names_every_stretch_of_a_third_or_more_on_each_side():
    lines = [Feature(name="东环路", kind="road", geometry=LineString([(1015, -100), (1015, 1100)])),
             Feature(name="南河", kind="river", geometry=LineString([(-100, -10), (1100, -10)])),
             Feature(name="纵一路", kind="road", geometry=LineString([(300, -100), (300, 1100)]))]
    sides = describe_sides(L_SHAPE, lines=lines, neighbours=[NEIGHBOUR], outline=OUTLINE)
    assert sides["east"].length_m == pytest.approx(1000)
    assert sides["east"].names == ("东环路", "新社区二")  # 60 % road, then the 40 % the old rule left out
    assert sides["north"].names == ("原某社区边界", "新社区二")  # 60 % / 40 %
    assert sides["south"].names == ("南河",)  # 纵一路 crosses the south side: not named there
    assert sides["west"].names == ("原某社区边界",)
    assert "纵一路" not in {n for s in sides.values() for n in s.names}
    assert sizhi_sentence(sides) == "东至东环路、新社区二，南至南河，西至原某社区边界，北至原某社区边界、新社区二。"


def test_every_road_of_a_third_of_a_side_is_named_and_shorter_ones_are_not():
    square = box(0, 0, 900, 900)
    lines = [Feature(name=name, kind="road", geometry=LineString([(910, y0), (910, y1)]))
             for name, y0, y1 in (("甲路", 0, 320), ("乙路", 320, 620), ("丙路", 620, 900))]
    lines.append(Feature(name="丁巷", kind="road", geometry=LineString([(-10, 0), (-10, 200)])))  # 22 % of west
    sides = describe_sides(square, lines=lines, neighbours=[], outline=Feature(
        name="原边界", kind="boundary", geometry=square.boundary))
    assert set(sides["east"].names) == {"甲路", "乙路", "丙路"}
    assert sides["west"].names == ("原边界",)  # 丁巷 runs along only 22 % of it


def test_irregular_shape_sides_follow_outward_normals():
    #        (600,900)
    #       /          \
    #  (0,700)          (1000,400)     east = the two right-hand edges (normals at -27° and 39°)
    #    |              /
    #  (0,0) ------ (800,0)
    shape = Polygon([(0, 0), (800, 0), (1000, 400), (600, 900), (0, 700)])
    lower_east = LineString([(790, -20), (1010, 420)])                   # along the first east edge
    far_upper = LineString([(1000 + 60, 400 + 48), (600 + 60, 900 + 48)])  # 77 m off the second: too far
    north = LineString([(-50, 700 + 12), (650, 933 + 12)])               # along the north edge
    short = LineString([(0, -15), (150, -15)])                           # 19 % of the south side
    lines = [Feature(name="斜街", kind="road", geometry=lower_east),
             Feature(name="远街", kind="road", geometry=far_upper),
             Feature(name="北坡路", kind="road", geometry=north),
             Feature(name="短巷", kind="road", geometry=short)]
    outline = Feature(name="原某社区边界", kind="boundary", geometry=shape.boundary)
    sides = describe_sides(shape, lines=lines, neighbours=[], outline=outline)
    east_edges = math.hypot(200, 400) + math.hypot(400, 500)
    assert sides["east"].length_m == pytest.approx(east_edges)
    assert sides["east"].names == ("斜街", "原某社区边界")  # roads first: 41 % road, 59 % boundary
    assert sides["north"].names == ("北坡路",)
    assert sides["south"].names == ("原某社区边界",)
    assert sides["west"].names == ("原某社区边界",)
    named = {n for s in sides.values() for n in s.names}
    assert "远街" not in named and "短巷" not in named


def test_nothing_reaches_a_third_names_only_what_runs_along_most():
    """Four roads of 24 % each; a road's reach does not grow past its ends by the tolerance."""
    square = box(0, 0, 1000, 1000)
    lines = [Feature(name=f"路{i}", kind="road", geometry=LineString([(1010, 250 * i), (1010, 250 * i + 240)]))
             for i in range(4)]
    sides = describe_sides(square, lines=lines, neighbours=[], outline=None)
    assert len(sides["east"].names) == 1 and sides["east"].names[0].startswith("路")
    assert sides["north"].names == ()
