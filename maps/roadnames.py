"""Where the names of roads and rivers go on the web map and the printed figure: one label per name, at the
middle of its longest stretch in or beside the community, turned to run along the line."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from maps.sizhi import named_lines

_NEAR_M = 60.0          # roads along the outline lie just outside it: keep their stretch there
_MIN_LENGTH_M = 80.0    # shorter stretches cannot carry a readable name
_ANGLE_STEP_M = 15.0


@dataclass(frozen=True)
class RoadLabel:
    name: str
    kind: str           # road | river
    x: float            # projected CRS, metres
    y: float
    angle_deg: float    # counter-clockwise from east, within (-90, 90] so the text is never upside down


def road_labels(roads: gpd.GeoDataFrame | None, area: shapely.Geometry) -> list[RoadLabel]:
    """Labels for the named roads and rivers near ``area`` (the parent community), sorted by (kind, name)."""
    near = area.buffer(_NEAR_M)
    labels = []
    for feature in named_lines(roads):
        parts = [p for p in _lines(feature.geometry.intersection(near)) if p.length >= _MIN_LENGTH_M]
        if not parts:
            continue
        longest = max(parts, key=lambda p: p.length)
        middle = longest.length / 2
        point = longest.interpolate(middle)
        a = longest.interpolate(max(0.0, middle - _ANGLE_STEP_M))
        b = longest.interpolate(min(longest.length, middle + _ANGLE_STEP_M))
        angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        if angle > 90:
            angle -= 180
        elif angle <= -90:
            angle += 180
        labels.append(RoadLabel(name=feature.name, kind=feature.kind, x=float(point.x), y=float(point.y),
                                angle_deg=round(angle, 1)))
    return labels


def _lines(geometry: shapely.Geometry) -> list[LineString]:
    merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
    return [g for g in getattr(merged, "geoms", [merged]) if isinstance(g, LineString) and not g.is_empty]


def label_points(labels: list[RoadLabel], crs: Any) -> gpd.GeoDataFrame:
    """The labels as points (for reprojecting to the display CRS)."""
    xs = np.array([label.x for label in labels], dtype=float)
    ys = np.array([label.y for label in labels], dtype=float)
    return gpd.GeoDataFrame({"name": [label.name for label in labels]}, geometry=gpd.points_from_xy(xs, ys),
                            crs=crs)
