"""Coordinate reference systems: refuse what cannot be converted honestly, detect swapped axes,
and pick one metric CRS for every layer.

Rules (DOMAIN.md §4): Dongguan lies in CGCS2000 3-degree Gauss-Krüger zone 38 (EPSG:4547, central
meridian 114°E). Geographic layers whose extent fits that zone go to EPSG:4547, others to their local
UTM zone. A projected metric CRS given by the communities layer is kept, unless it is a Mercator
variant (Web Mercator overstates areas by about 18% at 23°N). Xian 1980 and Beijing 1954 need local
seven-parameter transformations that PROJ does not have, so they are refused with an explanation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from pyproj import CRS, Transformer

GK_ZONE_38 = "EPSG:4547"
GK_ZONE_38_PREFIXED = "EPSG:4526"
_GK_ZONE_38_WEST, _GK_ZONE_38_EAST = 112.5, 115.5
_GK_ZONE_38_SOUTH, _GK_ZONE_38_NORTH = 21.52, 45.45
_REFUSED_DATUMS = {
    "xian 1980": "Xian 1980 (西安80)",
    "xian_1980": "Xian 1980 (西安80)",
    "beijing 1954": "Beijing 1954 (北京54)",
    "beijing_1954": "Beijing 1954 (北京54)",
    "new beijing": "New Beijing (新北京54)",
    "new_beijing": "New Beijing (新北京54)",
}
_AREA_MARGIN = 0.05  # fraction of the area of use's span tolerated outside it
# Data valid in a projection but outside its nominal area of use (a UTM layer just west of its zone, a
# Gauss-Krüger zone used past its edge) is honoured, with a warning, up to this far outside; beyond it a
# transverse Mercator's scale error passes ~1.5% and the coordinates are almost surely in another CRS.
NOMINAL_MARGIN_DEG = 10.0
_AREA_TOLERANCE_DEG = 0.01  # about 1 km: digitising past a zone's edge is not worth a warning


class CRSRefused(ValueError):
    """A CRS we will not convert silently (the message says why and what to do)."""


def parse_crs(value: object) -> CRS:
    """A pyproj CRS from 'EPSG:4547', 4547, WKT, a pyproj CRS ...; ValueError with the input named."""
    if isinstance(value, CRS):
        return value
    if isinstance(value, int):
        return CRS.from_epsg(value)
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises CRSError (a subclass of Exception) with a long message
        raise ValueError(f"not a coordinate reference system: {value!r} ({exc})") from None


def describe(crs: CRS) -> str:
    """'EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)' or the CRS name."""
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def to_string(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code}" if code else crs.to_wkt()


def refuse_unconvertible(crs: CRS) -> None:
    """Raise CRSRefused for Xian 1980 / Beijing 1954 based systems."""
    names = [crs.name or ""]
    if crs.datum is not None:
        names.append(crs.datum.name or "")
    if crs.geodetic_crs is not None:
        names.append(crs.geodetic_crs.name or "")
    lowered = " ".join(names).lower().replace("d_", "")
    for key, label in _REFUSED_DATUMS.items():
        if key in lowered:
            raise CRSRefused(
                f"coordinates are in {label} ({describe(crs)}): converting it to CGCS2000 needs local "
                "transformation parameters that PROJ does not have (errors of tens of metres), so it is "
                "not converted silently. Ask the surveying bureau for CGCS2000 data (e.g. EPSG:4547), or "
                "convert it with the city's published parameters first")


def is_metric_projected(crs: CRS) -> bool:
    if not crs.is_projected:
        return False
    units = {axis.unit_name for axis in crs.axis_info}
    return units <= {"metre", "meter", "m"}


def distorts_area(crs: CRS) -> bool:
    """Mercator variants: fine for tiles, wrong for areas and lengths."""
    operation = crs.coordinate_operation
    method = ((operation.method_name if operation is not None else "") or crs.name or "").lower()
    return "mercator" in method and "transverse" not in method


def suitable_target(crs: CRS) -> bool:
    return is_metric_projected(crs) and not distorts_area(crs)


def choose_target(lon_lat_bounds: tuple[float, float, float, float]) -> tuple[CRS, str]:
    """EPSG:4547 when the extent fits GK zone 38, else the local UTM zone; with the reason."""
    west, south, east, north = lon_lat_bounds
    if (west >= _GK_ZONE_38_WEST and east <= _GK_ZONE_38_EAST
            and south >= _GK_ZONE_38_SOUTH and north <= _GK_ZONE_38_NORTH):
        return CRS.from_user_input(GK_ZONE_38), "inside CGCS2000 3-degree Gauss-Krüger zone 38 (112.5–115.5°E)"
    centre_lon = (west + east) / 2
    zone = min(60, int(math.floor((centre_lon + 180) / 6)) + 1)
    code = (32600 if (south + north) / 2 >= 0 else 32700) + zone
    return CRS.from_epsg(code), f"local UTM zone {zone} (outside GK zone 38)"


class AxisVerdict(str, Enum):
    """How a layer's coordinates sit in its CRS."""

    OK = "ok"                    # inside the CRS's area of use
    NOMINAL = "nominal"          # valid for the projection, outside its nominal area of use: warned, used
    SWAPPED = "swapped"          # x holds the northing/latitude: swapped back
    ZONE_PREFIX = "zone-prefix"  # Gauss-Krüger eastings carrying the zone number
    OUTSIDE = "outside"          # cannot be right in this CRS: refused
    UNKNOWN = "unknown"          # nothing to check against


@dataclass(frozen=True)
class AxisCheck:
    """Outcome of comparing a layer's coordinates with its CRS's area of use."""

    verdict: AxisVerdict
    message: str = ""


def _area_bounds_in(crs: CRS) -> tuple[float, float, float, float] | None:
    area = crs.area_of_use
    if area is None:
        return None
    if crs.is_geographic:
        return area.west, area.south, area.east, area.north
    try:
        transformer = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
        return transformer.transform_bounds(area.west, area.south, area.east, area.north)
    except Exception:  # a CRS pyproj cannot invert: we just cannot check
        return None


def _inside(bounds, area) -> bool:
    minx, miny, maxx, maxy = bounds
    west, south, east, north = area
    pad_x = (east - west) * _AREA_MARGIN
    pad_y = (north - south) * _AREA_MARGIN
    return (minx >= west - pad_x and maxx <= east + pad_x
            and miny >= south - pad_y and maxy <= north + pad_y)


def _lonlat_extent(bounds, crs: CRS) -> tuple[float, float, float, float] | None:
    """The layer's extent in lon/lat when every corner converts there and back (a valid projection
    domain); None where the projection cannot hold these coordinates."""
    minx, miny, maxx, maxy = bounds
    xs = [minx, maxx, minx, maxx, (minx + maxx) / 2]
    ys = [miny, miny, maxy, maxy, (miny + maxy) / 2]
    if crs.is_geographic:
        ok = all(-180 <= x <= 180 for x in xs) and all(-90 <= y <= 90 for y in ys)
        return (minx, miny, maxx, maxy) if ok else None
    try:
        inverse = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        lon, lat = inverse.transform(xs, ys, errcheck=True)
        x2, y2 = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True).transform(lon, lat, errcheck=True)
    except Exception:  # pyproj's ProjError: outside what the projection can invert
        return None
    values = [*lon, *lat, *x2, *y2]
    if not all(math.isfinite(v) for v in values) or any(abs(v) > 90 for v in lat):
        return None
    if max(abs(a - b) for a, b in zip([*x2, *y2], [*xs, *ys])) > 1.0:  # the round trip must close
        return None
    return min(lon), min(lat), max(lon), max(lat)


def _beyond_area_deg(extent, crs: CRS) -> float:
    area = crs.area_of_use
    if area is None:
        return 0.0
    west, south, east, north = extent
    return max(area.west - west, east - area.east, area.south - south, north - area.north, 0.0)


def check_axes(bounds: tuple[float, float, float, float], crs: CRS) -> AxisCheck:
    """Do (x, y) = (easting, northing) fit the CRS? Detect swapped columns and zone-prefixed eastings;
    honour a CRS whose nominal area of use the data slightly leaves (NOMINAL, a warning)."""
    if any(not math.isfinite(v) for v in bounds):
        return AxisCheck(AxisVerdict.UNKNOWN)
    area = _area_bounds_in(crs)
    if area is None:
        if crs.is_geographic:
            area = (-180.0, -90.0, 180.0, 90.0)
        else:
            return AxisCheck(AxisVerdict.UNKNOWN)
    minx, miny, maxx, maxy = bounds
    extent = _lonlat_extent(bounds, crs)
    beyond = _beyond_area_deg(extent, crs) if extent is not None else math.inf
    if beyond <= _AREA_TOLERANCE_DEG or (extent is None and _inside(bounds, area)):
        return AxisCheck(AxisVerdict.OK)
    if _inside((miny, minx, maxy, maxx), area):
        return AxisCheck(AxisVerdict.SWAPPED,
                         f"x and y are swapped for {describe(crs)} (x looks like northing/latitude, "
                         "y like easting/longitude): swapped back")
    if crs.is_projected and minx > 1_000_000 and maxx < 100_000_000:
        # GK eastings with the zone number prefixed (38,500,000) read with the plain CRS
        zone = int(minx // 1_000_000)
        if zone == int(maxx // 1_000_000) and 13 <= zone <= 45:
            if _inside((minx - zone * 1_000_000, miny, maxx - zone * 1_000_000, maxy), area):
                return AxisCheck(AxisVerdict.ZONE_PREFIX, f"eastings start with the zone number {zone} "
                                 f"({minx:,.0f}): use the zone-prefixed CRS (e.g. {GK_ZONE_38_PREFIXED} for zone 38)")
    if beyond <= NOMINAL_MARGIN_DEG:
        west, south, east, north = extent
        return AxisCheck(AxisVerdict.NOMINAL,
                         f"coordinates ({west:.3f}°E, {south:.3f}°N – {east:.3f}°E, {north:.3f}°N) lie outside the "
                         f"nominal area of use of {describe(crs)} by {beyond:.2f}°; taken as declared "
                         "(the projection is valid there, with a slightly larger scale error)")
    return AxisCheck(AxisVerdict.OUTSIDE,
                     f"coordinates ({minx:,.2f}, {miny:,.2f}) – ({maxx:,.2f}, {maxy:,.2f}) lie outside "
                     f"the area of {describe(crs)}: check the CRS (.prj) or state the right one with source_crs")
