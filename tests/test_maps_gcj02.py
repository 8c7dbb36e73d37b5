"""WGS84 -> GCJ-02 display shift: published reference points, the out-of-China rule, Dongguan's offset."""
import numpy as np
import pyproj
import pytest
from shapely.geometry import Polygon

from maps import wgs84_to_gcj02
from maps.gcj02 import shift_geometry

# (WGS84 lon, lat) -> (GCJ-02 lon, lat), published with the algorithm's implementations
REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),    # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),    # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),    # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_reference_points(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert float(lon) == pytest.approx(gcj[0], abs=1e-9)
    assert float(lat) == pytest.approx(gcj[1], abs=1e-9)


def test_arrays_match_scalars():
    lons = np.array([p[0][0] for p in REFERENCE])
    lats = np.array([p[0][1] for p in REFERENCE])
    out_lon, out_lat = wgs84_to_gcj02(lons, lats)
    assert np.allclose(out_lon, [p[1][0] for p in REFERENCE], atol=1e-9)
    assert np.allclose(out_lat, [p[1][1] for p in REFERENCE], atol=1e-9)


def test_outside_china_is_not_shifted():
    lon, lat = wgs84_to_gcj02([2.35, -74.0], [48.85, 40.7])
    assert lon.tolist() == [2.35, -74.0]
    assert lat.tolist() == [48.85, 40.7]


def test_dongguan_offset_is_about_600_m():
    lon, lat = 113.75, 23.02
    glon, glat = wgs84_to_gcj02(lon, lat)
    _, _, distance_m = pyproj.Geod(ellps="WGS84").inv(lon, lat, float(glon), float(glat))
    assert 400 < distance_m < 800


def test_shift_geometry_moves_every_vertex_and_keeps_shape():
    square = Polygon([(113.75, 23.02), (113.76, 23.02), (113.76, 23.03), (113.75, 23.03)])
    shifted = shift_geometry(square)
    assert len(shifted.exterior.coords) == len(square.exterior.coords)
    moved = np.asarray(shifted.exterior.coords) - np.asarray(square.exterior.coords)
    assert (np.abs(moved[:, 0]) > 1e-3).all()  # ~500 m east
    assert shifted.area == pytest.approx(square.area, rel=1e-3)
