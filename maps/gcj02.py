"""WGS84 -> GCJ-02 (the "Mars" datum of Gaode/Amap and Tencent), for display on a Gaode base map only.

The published forward formula: an offset in metres built from trigonometric polynomials of
(longitude - 105°, latitude - 35°), turned into degrees on the Krasovsky ellipsoid. Points outside
mainland China's rough bounding box are left unchanged, as the published algorithm does. Exported files
always stay in WGS84 / the projected CRS: this shift is applied to the map's display copy only.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_SEMI_MAJOR_M = 6378245.0  # Krasovsky 1940, as the formula defines it
_ECCENTRICITY_SQ = 0.00669342162296594323


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    value += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    value += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    value += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return value


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    value += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    value += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    value += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return value


def outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The published algorithm's bounding box: no offset is applied outside it."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def wgs84_to_gcj02(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Forward conversion of longitude/latitude arrays (degrees) from WGS84 to GCJ-02."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x, y = lon - 105.0, lat - 35.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _ECCENTRICITY_SQ * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = _offset_lat(x, y) * 180.0 / ((_SEMI_MAJOR_M * (1.0 - _ECCENTRICITY_SQ)) / (magic * sqrt_magic) * np.pi)
    d_lon = _offset_lon(x, y) * 180.0 / (_SEMI_MAJOR_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = outside_china(lon, lat)
    return np.where(outside, lon, lon + d_lon), np.where(outside, lat, lat + d_lat)


def shift_geometry(geometry: BaseGeometry) -> BaseGeometry:
    """Every vertex of a WGS84 (lon, lat) geometry moved to GCJ-02 (accurate to < 0.4 m at this scale)."""

    def move(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, move)
