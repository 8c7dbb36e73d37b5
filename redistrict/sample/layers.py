"""Writing generated communities as the five input layers (GeoJSON in EPSG:4547, 0.1 m coordinates)."""
from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from redistrict.sample import SAMPLE_CRS
from redistrict.sample.build import Community, Road

logger = logging.getLogger(__name__)

CRS = SAMPLE_CRS
SOURCE = "synthetic sample, redistrict"
# 0.1 m is far finer than any survey of estates and keeps the files small.
GRID_M = 0.1
LAYER_FIELDS = {
    "communities": ("name", "code", "source"),
    "estates": ("name", "group", "households", "population"),
    "population": ("population", "households", "building"),
    "roads": ("name", "kind"),
    "facilities": ("name", "area_m2"),
}


def snap(geometry):
    """Round coordinates to the 0.1 m grid, keeping polygons valid."""
    return shapely.set_precision(geometry, GRID_M)


def road_features(roads: list[Road], region: Polygon | None) -> list[dict]:
    """One LineString feature per continuous stretch of each road inside ``region``."""
    features = []
    for road in roads:
        geometry = road.geometry if region is None else road.geometry.intersection(region)
        geometry = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
        parts = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
        for part in parts:
            if isinstance(part, LineString) and part.length > 1.0:
                features.append({"name": road.name, "kind": road.kind, "geometry": snap(part)})
    return features


def write_layers(
    out_dir: Path,
    communities: list[Community],
    roads: list[Road],
    *,
    description: str,
    region: Polygon | None = None,
) -> dict[str, Path]:
    """Write communities, estates, population, roads and facilities; return their paths by layer name.

    ``roads`` are the area-wide roads and rivers (clipped to ``region``); each community's own minor
    roads are added after them.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, list[dict]] = {layer: [] for layer in LAYER_FIELDS}
    for community in communities:
        records["communities"].append(
            {"name": community.name, "code": community.code, "source": SOURCE, "geometry": snap(community.polygon)}
        )
        records["estates"] += [{**estate, "geometry": snap(estate["geometry"])} for estate in community.estates]
        records["population"] += community.points
        records["facilities"] += community.facilities
    records["roads"] = road_features(list(roads) + [road for c in communities for road in c.roads], region)
    paths = {}
    for layer, fields in LAYER_FIELDS.items():
        rows = records[layer]
        if layer in ("population", "facilities"):
            xy = np.round(shapely.get_coordinates([row["geometry"] for row in rows]), 1)
            geometry = shapely.points(xy) if len(rows) else []
        else:
            geometry = [row["geometry"] for row in rows]
        frame = gpd.GeoDataFrame(
            {name: [row[name] for row in rows] for name in fields}, geometry=list(geometry), crs=CRS
        )
        for name in ("households", "population", "area_m2"):
            if name in frame:
                frame[name] = frame[name].astype("int64")
        path = out_dir / f"{layer}.geojson"
        if path.exists():
            path.unlink()
        frame.to_file(
            path,
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={"COORDINATE_PRECISION": "1", "DESCRIPTION": description, "WRITE_BBOX": "NO"},
        )
        paths[layer] = path
        logger.info("%s: %d features, %.0f kB", path.name, len(frame), path.stat().st_size / 1024)
    return paths
