"""Display shift for a Gaode (GCJ-02) base map: every vertex moved by a transform the caller passes in.

The GCJ-02 formula itself lives in one place, ``boundaries.datum``; this package never imports
``boundaries``, so ``redistrict`` hands the transform over (``Context.display_shift``). Exported files
always stay in WGS84 / the projected CRS: the shift is applied to the map's display copy only.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# (longitude array, latitude array) in degrees -> the same, shifted
LonLatTransform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def shift_geometry(geometry: BaseGeometry, transform: LonLatTransform) -> BaseGeometry:
    """Every vertex of a WGS84 (lon, lat) geometry moved by ``transform`` (e.g. WGS84 -> GCJ-02)."""

    def move(coords: np.ndarray) -> np.ndarray:
        lon, lat = transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, move)
