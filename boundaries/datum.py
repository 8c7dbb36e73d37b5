"""GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu) offsets, and their exact inverses to WGS84.

China's map providers publish coordinates in obfuscated datums: GCJ-02 is WGS84 plus a smooth
polynomial-and-sine offset (about 600 m around Dongguan); BD-09 adds a further rotation and scaling
on top of GCJ-02 (about 1.25 km in total). The forward formulas are the published ones (constants
a = 6,378,245 m, e^2 = 0.00669342162296594323; BD-09 x_pi = pi * 3000 / 180). There is no closed-form
inverse, so the inverses iterate the forward function (fixed-point on the offset) until the
round trip closes below 1e-10 degrees (about 0.01 mm), far under the 1 cm the design asks for.

Outside mainland China the providers leave coordinates unchanged; so do we (``outside_china``).
All functions take and return numpy arrays (or scalars) of longitude and latitude in degrees.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

_A_M = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_ITERATIONS = 30

DATUMS = ("wgs84", "gcj02", "bd09")


def outside_china(lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
    """True where the providers apply no offset (the published rough bounding box of China)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    out += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return out


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    out += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    out += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return out


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The published forward transform WGS84 -> GCJ-02 (exact by definition)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _offset_lat(lon - 105.0, lat - 35.0)
    dlon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A_M * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    keep = outside_china(lon, lat)
    return np.where(keep, lon, lon + dlon), np.where(keep, lat, lat + dlat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The published forward transform GCJ-02 -> BD-09."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _invert(forward, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = target by fixed-point iteration on the (slowly varying) offset."""
    target_lon = np.asarray(lon, dtype=float)
    target_lat = np.asarray(lat, dtype=float)
    guess_lon = target_lon.copy()
    guess_lat = target_lat.copy()
    for _ in range(_INVERSE_MAX_ITERATIONS):
        got_lon, got_lat = forward(guess_lon, guess_lat)
        err_lon = got_lon - target_lon
        err_lat = got_lat - target_lat
        guess_lon = guess_lon - err_lon
        guess_lat = guess_lat - err_lat
        if np.all(np.abs(err_lon) < _INVERSE_TOLERANCE_DEG) and np.all(np.abs(err_lat) < _INVERSE_TOLERANCE_DEG):
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Exact (iterative) inverse of ``wgs84_to_gcj02``; round trip closes below 1e-10 degrees."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Exact (iterative) inverse of ``gcj02_to_bd09``."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return _invert(wgs84_to_bd09, lon, lat)


def to_wgs84(datum: str, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat given in ``datum`` ('wgs84' | 'gcj02' | 'bd09') to WGS84."""
    return _convert(_TO_WGS84, datum, lon, lat)


def from_wgs84(datum: str, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat expressed in ``datum`` (the forward transform; identity for 'wgs84')."""
    return _convert(_FROM_WGS84, datum, lon, lat)


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _convert(table, datum: str, lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    transform = table.get(normalise_datum(datum))
    return transform(lon, lat) if transform else (np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


LABELS = {"wgs84": "WGS84", "gcj02": "GCJ-02 (Amap/Tencent)", "bd09": "BD-09 (Baidu)"}


_ALIASES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs 84": "wgs84", "gps": "wgs84", "cgcs2000": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "gaode": "gcj02",
    "高德": "gcj02", "火星坐标": "gcj02", "tencent": "gcj02", "腾讯": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "baidu": "bd09", "百度": "bd09",
}


def normalise_datum(datum: str) -> str:
    """Map a user's spelling ('GCJ-02', 'amap', '百度' ...) to 'wgs84' | 'gcj02' | 'bd09'."""
    if not isinstance(datum, str):
        raise TypeError(f"datum must be a string such as 'gcj02', got {type(datum).__name__}")
    key = datum.strip().lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown datum {datum!r}: use one of 'wgs84', 'gcj02' (Amap/Tencent), 'bd09' (Baidu)")
    return _ALIASES[key]
