"""Cells of an estate around its buildings: every person kept, cells one piece each where the land allows.

The U-shaped estate (metres; the notch is not part of it):

    y=300 +------+      +------+
          | a  b |      | c  d |        a–d: buildings in the arms
    y=100 |      +------+      |        e: building in the base
          |         e          |        f: 10 m outside the west edge (its cell still holds estate land)
    y=0   +--------------------+        g: far below (its cell holds no land: its people go to e's cell)
         x=0   100    200    300
"""
from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from boundaries.subdivide import building_cells

U_SHAPE = Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300)])
CRS = "EPSG:4547"


def points(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"point_id": [r[0] for r in rows], "population": [r[2] for r in rows],
                             "households": [r[3] for r in rows]},
                            geometry=[Point(r[1]) for r in rows], crs=CRS)


BUILDINGS = points([("a", (30, 250), 100, 40), ("b", (70, 250), 90, 35), ("c", (230, 250), 80, 30),
                    ("d", (270, 250), 70, 25), ("e", (150, 50), 200, 80), ("f", (-10, 150), 5, 2),
                    ("g", (150, -200), 3, 1),
                    ("a2", (30.001, 250.001), 10, 4)])   # a second record of building a (same spot)


def test_cells_cover_the_estate_and_keep_every_person():
    cells = building_cells(U_SHAPE, BUILDINGS, unit_id="E1", name="时代雅苑")
    frame = cells.frame
    assert cells.points == 8 and cells.sites == 7
    # a and a2 are one site; g's cell is empty, so g's people join the nearest cell (e's)
    assert len(frame) == 6
    assert [ids for ids in frame["points"] if "g" in ids] == [["e", "g"]]
    assert frame["population"].sum() == BUILDINGS["population"].sum()
    assert frame["households"].sum() == BUILDINGS["households"].sum()
    assert sorted(p for ids in frame["points"] for p in ids) == sorted(BUILDINGS["point_id"])
    union = shapely.union_all(frame.geometry.values)
    assert union.symmetric_difference(U_SHAPE).area == pytest.approx(0.0, abs=1e-6)
    assert frame.geometry.area.sum() == pytest.approx(U_SHAPE.area)
    # the cells are disjoint and each is one piece (a region cut off by the notch went to a neighbour)
    assert all(g.geom_type == "Polygon" for g in frame.geometry)
    assert shapely.union_all(frame.geometry.values).area == pytest.approx(frame.geometry.area.sum())
    assert frame["unit_id"].tolist() == [f"E1/{k:03d}" for k in range(1, 7)]
    assert set(frame["name"]) == {"时代雅苑"}


def test_cells_are_numbered_north_to_south_then_west_to_east():
    frame = building_cells(U_SHAPE, BUILDINGS, unit_id="E1", name="x").frame
    assert frame["points"].iloc[-1] == ["e", "g"]
    north = frame["points"].iloc[:4].tolist()
    assert north == [["a", "a2"], ["b"], ["c"], ["d"]]


def test_a_region_cut_off_by_the_notch_joins_the_cell_it_borders():
    """Two buildings, a (left arm) and e (base): the right arm is nearer a, but reaches a only across the
    notch, so it goes to e's cell, which it borders; both cells stay one piece."""
    frame = building_cells(U_SHAPE, points([("a", (50, 250), 100, 40), ("e", (150, 50), 200, 80)]),
                           unit_id="E1", name="x").frame
    assert len(frame) == 2 and all(g.geom_type == "Polygon" for g in frame.geometry)
    by_point = {ids[0]: geom for ids, geom in zip(frame["points"], frame.geometry)}
    assert by_point["e"].contains(Point(250, 250)) and not by_point["a"].contains(Point(250, 250))
    assert by_point["a"].contains(Point(50, 250))


def test_one_location_gives_no_cells():
    cells = building_cells(U_SHAPE, points([("a", (30, 250), 100, 40), ("a2", (30, 250), 10, 4)]),
                           unit_id="E1", name="x")
    assert cells.sites == 1 and cells.points == 2 and len(cells.frame) == 0
