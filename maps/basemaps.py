"""Optional base maps. None by default: the map reads from boundaries and labels alone and needs no network.

``osm``: OpenStreetMap (often slow in mainland China). ``tianditu``: 天地图 vector + annotation, Web Mercator
``_w`` layers over https, needs the user's key; CGCS2000 ≈ WGS84 so the data is not shifted. ``gaode``:
高德 tiles are in GCJ-02, so the map's display copy of the data is shifted to GCJ-02 (exports never are).
Tiles are only fetched by the reader's browser as they pan; nothing is prefetched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from maps.errors import OutputError

BASEMAPS = ("osm", "tianditu", "gaode")
_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


@dataclass(frozen=True)
class TileSource:
    name: str
    url: str
    attribution: str
    subdomains: str
    max_zoom: int = 18


def tile_sources(basemap: str | None, *, tianditu_key: str | None = None) -> list[TileSource]:
    """The tile layers for a base map choice (empty for None); raises OutputError on a bad choice."""
    if basemap is None or basemap == "none":
        return []
    if basemap not in BASEMAPS:
        raise OutputError(f"unknown basemap {basemap!r}: choose one of none, {', '.join(BASEMAPS)}")
    if basemap == "osm":
        return [TileSource(name="OpenStreetMap 底图", url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           attribution="&copy; OpenStreetMap contributors", subdomains="abc", max_zoom=19)]
    if basemap == "gaode":
        return [TileSource(
            name="高德底图 Gaode (GCJ-02)",
            url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attribution="&copy; 高德地图 AutoNavi", subdomains="1234")]
    if not tianditu_key:
        raise OutputError("basemap 'tianditu' needs a key: pass tianditu_key (apply at console.tianditu.gov.cn)")
    if not _KEY.match(tianditu_key):
        raise OutputError("tianditu_key must be 8-64 letters and digits (as issued by 天地图); check the key")
    return [TileSource(name=f"天地图{label} Tianditu {layer}", url=_tianditu_url(layer, tianditu_key),
                       attribution="&copy; 天地图 Tianditu", subdomains="01234567")
            for layer, label in (("vec", "矢量"), ("cva", "注记"))]


def _tianditu_url(layer: str, key: str) -> str:
    return (f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}")
