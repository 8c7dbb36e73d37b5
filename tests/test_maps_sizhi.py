"""四至: sides named after the roads and rivers along them, else the neighbour, else the original boundary."""

import pytest
from shapely.geometry import LineString, box

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
