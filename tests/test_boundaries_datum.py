"""GCJ-02 / BD-09 conversions against published reference coordinates, and the exact inverses."""
from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from boundaries.datum import (bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, normalise_datum,
                              outside_china, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02)

GEOD = Geod(ellps="WGS84")

# Reference pairs published with the widely used implementations of the algorithm (the coordtransform
# library's README/tests and the ports that reproduce them to the last digit), input (116.404, 39.915):
PUBLISHED_WGS84_TO_GCJ02 = ((116.404, 39.915), (116.41024449916938, 39.91640428150164))
PUBLISHED_GCJ02_TO_BD09 = ((116.404, 39.915), (116.41036949371029, 39.92133699351021))
# ...and their one-step approximate inverses, which are accurate to a few centimetres only:
PUBLISHED_APPROX_GCJ02_TO_WGS84 = ((116.404, 39.915), (116.39775550083061, 39.91359571849836))
PUBLISHED_APPROX_BD09_TO_GCJ02 = ((116.404, 39.915), (116.39762729119315, 39.90865673957631))


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.abs(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_forward_transforms_match_published_values_exactly():
    (lon, lat), (want_lon, want_lat) = PUBLISHED_WGS84_TO_GCJ02
    got = wgs84_to_gcj02(lon, lat)
    assert got[0] == pytest.approx(want_lon, abs=1e-12) and got[1] == pytest.approx(want_lat, abs=1e-12)
    (lon, lat), (want_lon, want_lat) = PUBLISHED_GCJ02_TO_BD09
    got = gcj02_to_bd09(lon, lat)
    assert got[0] == pytest.approx(want_lon, abs=1e-12) and got[1] == pytest.approx(want_lat, abs=1e-12)


def test_iterative_inverses_agree_with_published_approximations_within_their_accuracy():
    (lon, lat), (want_lon, want_lat) = PUBLISHED_APPROX_GCJ02_TO_WGS84
    got = gcj02_to_wgs84(lon, lat)
    assert metres(got[0], got[1], want_lon, want_lat) < 0.1
    (lon, lat), (want_lon, want_lat) = PUBLISHED_APPROX_BD09_TO_GCJ02
    got = bd09_to_gcj02(lon, lat)
    assert metres(got[0], got[1], want_lon, want_lat) < 1.0


def test_inverse_round_trip_closes_below_one_centimetre_over_china():
    rng = np.random.default_rng(1)
    lon = rng.uniform(74, 134, 2000)
    lat = rng.uniform(18, 53, 2000)
    for forward, inverse in ((wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84),
                             (gcj02_to_bd09, bd09_to_gcj02)):
        back = inverse(*forward(lon, lat))
        assert metres(lon, lat, back[0], back[1]).max() < 0.01


def test_offsets_in_dongguan_are_the_documented_size():
    lon, lat = 113.75, 23.02
    gcj = wgs84_to_gcj02(lon, lat)
    bd = wgs84_to_bd09(lon, lat)
    assert 500 < metres(lon, lat, *gcj) < 700          # "about 600 m"
    assert 1100 < metres(lon, lat, *bd) < 1400         # "about 1.25 km"


def test_coordinates_outside_china_are_left_unchanged():
    assert outside_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85)[0] == pytest.approx(2.35, abs=1e-12)


def test_datum_names_are_normalised_and_unknown_ones_named():
    assert normalise_datum("GCJ-02") == "gcj02"
    assert normalise_datum("百度") == "bd09"
    assert normalise_datum("WGS84") == "wgs84"
    lon, lat = to_wgs84("wgs84", 113.7, 23.0)
    assert (float(lon), float(lat)) == (113.7, 23.0)
    with pytest.raises(ValueError, match="unknown datum 'xian80'"):
        normalise_datum("xian80")


# (WGS84 lon, lat) -> (GCJ-02 lon, lat), published with the algorithm's implementations
REFERENCE_CITIES = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),    # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),    # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),    # Beijing
]


def test_reference_cities_as_arrays_and_dongguan_offset_about_600_m():
    lons = np.array([p[0][0] for p in REFERENCE_CITIES])
    lats = np.array([p[0][1] for p in REFERENCE_CITIES])
    out_lon, out_lat = wgs84_to_gcj02(lons, lats)
    assert np.allclose(out_lon, [p[1][0] for p in REFERENCE_CITIES], atol=1e-9)
    assert np.allclose(out_lat, [p[1][1] for p in REFERENCE_CITIES], atol=1e-9)
    glon, glat = wgs84_to_gcj02(113.75, 23.02)
    assert 400 < metres(113.75, 23.02, float(glon), float(glat)) < 800
