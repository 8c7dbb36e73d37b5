"""Small hand-drawn layers for the boundaries tests (EPSG:4547 metres near Dongguan; x0, y0 = origin).

The "two estates" community, 400 m × 400 m, cut by 中心路 (x = 200) and 寒溪河 (y = 200):

    y=400 +----------------+----------------+
          |  +----------+  |  +----------+  |
          |  |    A     |  |  |    B     |  |      A 金地花园 (group 一组), B 碧桂园
          |  | 金地花园  |  |  |  碧桂园   |  |      estates 20..180 / 220..380 inset 20 m
          |  +----------+  |  +----------+  |
    y=200 +------------- 寒溪河 ------------+      river along y = 200
          |                |                |
          |   block SW     |   block SE     |
          |                |                |
    y=0   +----------------+----------------+
         x=0            中心路 x=200        x=400

People: A 3 × 100, B 2 × 150, SW 4 × 25, SE 1 × 40, one point exactly on 中心路 between SW and SE (x=200,
y=100, 10 people), one 10 m outside the west edge (snapped, 5 people), one 2 km away (outside, 7 people).
"""
from __future__ import annotations

import geopandas as gpd
from shapely.geometry import LineString, Point, box

CRS = "EPSG:4547"
X0, Y0 = 474000.0, 2547000.0


def shifted(geom):
    from shapely import affinity

    return affinity.translate(geom, X0, Y0)


def two_estates_layers():
    """GeoDataFrames for the diagram above (communities, estates, population, roads, facilities)."""
    communities = gpd.GeoDataFrame({"name": ["东城社区"], "code": ["441900001"]},
                                   geometry=[shifted(box(0, 0, 400, 400))], crs=CRS)
    estates = gpd.GeoDataFrame({
        "name": ["金地花园", "碧桂园"], "group": ["一组", None], "households": [120, 100], "population": [300, 300],
    }, geometry=[shifted(box(20, 220, 180, 380)), shifted(box(220, 220, 380, 380))], crs=CRS)
    points = [((50, 300), 100, 30), ((100, 300), 100, 30), ((150, 300), 100, 40),
              ((300, 300), 150, 50), ((350, 300), 150, 50),
              ((50, 50), 25, 8), ((100, 50), 25, 8), ((150, 50), 25, 8), ((50, 150), 25, 8),
              ((300, 100), 40, 12),
              ((200, 100), 10, 3),       # on 中心路: shared edge of SW and SE
              ((-10, 100), 5, 2),        # 10 m outside the west edge: snapped
              ((-2000, 100), 7, 2)]      # 2 km away: outside every community
    population = gpd.GeoDataFrame({
        "building": [f"楼{i + 1}" for i in range(len(points))],
        "population": [p for _, p, _ in points], "households": [h for _, _, h in points],
    }, geometry=[shifted(Point(xy)) for xy, _, _ in points], crs=CRS)
    roads = gpd.GeoDataFrame({"name": ["中心路", "寒溪河"], "kind": ["road", "river"]},
                             geometry=[shifted(LineString([(200, -50), (200, 450)])),
                                       shifted(LineString([(-50, 200), (450, 200)]))], crs=CRS)
    facilities = gpd.GeoDataFrame({"name": ["党群服务中心"], "area_m2": [600.0]},
                                  geometry=[shifted(Point(100, 100))], crs=CRS)
    return {"communities": communities, "estates": estates, "population": population, "roads": roads,
            "facilities": facilities}


def write_layers(folder, frames: dict, *, suffix: str = ".geojson") -> dict[str, str]:
    """Write each frame as folder/<layer><suffix>; returns load_layers keyword arguments."""
    import pyogrio

    driver = {".geojson": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile"}[suffix]
    paths = {}
    for role, frame in frames.items():
        path = folder / f"{role}{suffix}"
        pyogrio.write_dataframe(frame, path, driver=driver)
        paths[role] = str(path)
    return paths


def to_lonlat(frame):
    return frame.to_crs(4326)
