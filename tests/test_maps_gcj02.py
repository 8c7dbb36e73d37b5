"""The Gaode display shift moves every vertex by the transform it is given (maps has no datum formula)."""
import numpy as np
import pytest
from shapely.geometry import Polygon

from maps.gcj02 import shift_geometry


def test_shift_geometry_moves_every_vertex_by_the_transform_and_keeps_shape():
    square = Polygon([(113.75, 23.02), (113.76, 23.02), (113.76, 23.03), (113.75, 23.03)])
    seen = []

    def east(lon, lat):
        seen.append(len(lon))
        return lon + 0.005, lat

    shifted = shift_geometry(square, east)
    assert seen == [len(square.exterior.coords)]  # one vectorised call per ring
    moved = np.asarray(shifted.exterior.coords) - np.asarray(square.exterior.coords)
    assert np.allclose(moved, [0.005, 0.0])
    assert shifted.area == pytest.approx(square.area, rel=1e-9)


def test_maps_has_no_datum_formula_of_its_own():
    import maps
    import maps.gcj02 as module

    assert not hasattr(maps, "wgs84_to_gcj02")
    assert not any(name in vars(module) for name in ("wgs84_to_gcj02", "_offset_lat", "outside_china"))
