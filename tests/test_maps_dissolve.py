"""Dissolved communities: areas in metres, compactness, label points, colours, estates per community."""
import math

import pytest
from shapely import union_all
from shapely.geometry import Polygon, box

import maps_fixtures as fx

from maps.colours import PALETTE, district_colours
from maps.dissolve import clean_union, label_point, polsby_popper
from maps.options import build_views, local_context


@pytest.fixture(scope="module")
def views():
    ctx = fx.context()
    proposals = [fx.proposal(1), fx.proposal(2)]
    return build_views(proposals, local_context(ctx, proposals))


def test_each_unit_counted_once_and_totals_conserved(views):
    units = fx.unit_frame()
    for view in views:
        frame = view.communities
        assert frame["unit_count"].sum() == len(units)
        assert frame["population"].sum() == units["population"].sum()
        assert frame["households"].sum() == units["households"].sum()
        assert frame.geometry.union_all().area == pytest.approx(units.union_all().area)
        assert all(g.geom_type == "Polygon" for g in frame.geometry)  # contiguous fixture districts


def test_estates_listed_whole_in_their_community_most_populous_first(views):
    first = views[0].communities.set_index("district")
    assert first.loc[1, "estates"] == [fx.XSS_IMG, fx.XSS_SCRIPT, "翠湖花园"]
    assert first.loc[2, "estate_count"] == 0
    estates = views[1].estates.set_index("estate_id")
    assert estates.loc["E1", "district_name"] == "新社区一（方案2）"
    assert estates.loc["E3", "population"] == 10_000.0


def test_area_and_polsby_popper_in_metres(views):
    row = views[0].communities.iloc[0]
    assert row["area_km2"] == pytest.approx(0.96)
    assert row["perimeter_m"] == pytest.approx(4000)
    assert row["polsby_popper"] == pytest.approx(4 * math.pi * 0.96e6 / 4000**2)
    assert polsby_popper(1.0, 0.0) is None
    assert polsby_popper(100.0**2, 400.0) == pytest.approx(math.pi / 4)


def test_label_point_is_inside_even_for_an_l_shape():
    shape = Polygon([(0, 0), (300, 0), (300, 100), (100, 100), (100, 300), (0, 300)])
    assert shape.contains(label_point(shape))


def test_clean_union_drops_pinholes_but_keeps_real_holes():
    ring = box(0, 0, 100, 100).difference(box(40, 40, 60, 60))
    # four units leaving a 0.5 m x 0.5 m gap between them (a digitising slip, not a real hole)
    pinhole_gap = [box(0, 0, 100, 50), box(0, 50.5, 100, 100), box(0, 50, 50, 50.5), box(50.5, 50, 100, 50.5)]
    assert len(clean_union([ring]).interiors) == 1
    assert len(union_all(pinhole_gap).interiors) == 1  # the raw union has the pinhole
    merged = clean_union(pinhole_gap)
    assert merged.geom_type == "Polygon" and len(merged.interiors) == 0


def test_colours_distinct_and_neighbours_apart_beyond_the_palette():
    assert len(set(district_colours([1, 2, 3]).values())) == 3
    districts = list(range(1, 13))
    chain = {d: {n for n in (d - 1, d + 1) if 1 <= n <= 12} for d in districts}
    chosen = district_colours(districts, chain)
    assert all(chosen[d] != chosen[n] for d in districts for n in chain[d])
    assert set(chosen.values()) <= set(PALETTE)
