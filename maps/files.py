"""Files for GIS offices and spreadsheets: GeoJSON (WGS84), GeoPackage (projected), CSV (Excel), Shapefile.

GeoPackage is the primary GIS output: it keeps Chinese field names and values intact. The Shapefile export
exists for offices whose software needs it; its field names are short ASCII and a field table says what
each one holds.
"""
from __future__ import annotations

import contextlib
import csv
import json
import logging
from pathlib import Path
from typing import Any, Iterator, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping
from shapely.geometry.polygon import orient

from maps.cells import spreadsheet_row
from maps.facts import facts_text
from maps.model import Context
from maps.options import OptionView
from maps.wording import as_number

log = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
_GEOJSON_DIGITS = 7  # 1e-7 degree is about 1 cm: finer is noise, coarser moves boundaries
# GDAL stamps GeoPackage layers (gpkg_contents.last_change) and DBF headers with today's date; a fixed date
# keeps the files byte-identical from run to run for the same input (run.json records when a run happened)
FIXED_DATE = "2000-01-01"


@contextlib.contextmanager
def _fixed_gdal_date() -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00.000Z"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})

COMMUNITY_FIELDS = ("district", "name", "population", "households", "estates", "estate_count", "area_km2",
                    "perimeter_m", "polsby_popper", "sizhi", "facilities", "option", "option_label")
# a cell starting with one of these is a formula to Excel/WPS: such text gets a leading apostrophe
UNIT_FIELDS = ("unit_id", "kind", "name", "estate_id", "population", "households", "district", "district_name")
ESTATE_FIELDS = ("estate_id", "name", "population", "households", "district", "district_name")


def _is_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def _joined(values: Any) -> str:
    return "、".join(str(v) for v in values) if isinstance(values, (list, tuple)) else ("" if values is None else str(values))


def community_table(view: OptionView) -> gpd.GeoDataFrame:
    """The communities of one option with flat, file-friendly columns (lists joined with 、)."""
    frame = view.communities
    table = pd.DataFrame({
        "district": frame["district"].astype(int),
        "name": frame["name"].astype(str),
        "population": [as_number(v) for v in frame["population"]],
        "households": [as_number(v) for v in frame["households"]],
        "estates": [_joined(v) for v in frame["estates"]],
        "estate_count": frame["estate_count"].astype(int),
        "area_km2": frame["area_km2"].round(4),
        "perimeter_m": frame["perimeter_m"].round(1),
        "polsby_popper": frame["polsby_popper"].astype(float).round(4),
        "sizhi": frame["sizhi"].astype(str),
        "facilities": [_joined(v) for v in frame["facilities"]],
        "option": view.number,
        "option_label": view.label,
    })
    # the caller's facts as one line each (plan.geojson keeps them structured)
    texts = [facts_text(view.facts.get(int(d), {})) for d in frame["district"]]
    table["service_site"] = [t["service_site"] for t in texts]
    table["headroom"] = [t["headroom"] for t in texts]
    return gpd.GeoDataFrame(table, geometry=list(frame.geometry), crs=frame.crs)


def unit_table(view: OptionView) -> gpd.GeoDataFrame:
    units = view.units
    extra = [c for c in ("group", "facility", "community", "approximate") if c in units.columns]
    table = pd.DataFrame({c: units[c] for c in UNIT_FIELDS + tuple(extra)})
    for column in ("unit_id", "kind", "name"):
        table[column] = table[column].astype(str)
    table["estate_id"] = [None if pd.isna(v) or str(v).strip() == "" else str(v) for v in table["estate_id"]]
    for column in extra:
        if _is_text(table[column]):
            table[column] = [None if pd.isna(v) else str(v) for v in table[column]]
    table["population"] = table["population"].astype(float)
    table["households"] = table["households"].astype(float)
    table["option"] = view.number
    table = gpd.GeoDataFrame(table, geometry=list(units.geometry), crs=units.crs)
    return table.sort_values(["district", "unit_id"], kind="stable").reset_index(drop=True)


def estate_table(view: OptionView) -> gpd.GeoDataFrame:
    estates = view.estates
    table = pd.DataFrame({
        "estate_id": estates["estate_id"].astype(str),
        "name": estates["name"].astype(str),
        "population": estates["population"].astype(float),
        "households": estates["households"].astype(float),
        "district": estates["district"],
        "district_name": estates["district_name"],
        "option": view.number,
    })
    if "approximate" in estates:  # estates given as points: their outlines are derived
        table["approximate"] = estates["approximate"].fillna(False).astype(bool).to_numpy()
        table["geometry_source"] = [str(v) if isinstance(v, str) else "drawn" for v in estates["geometry_source"]]
    return gpd.GeoDataFrame(table, geometry=list(estates.geometry), crs=estates.crs)


def _rfc7946_geometry(geometry: shapely.Geometry) -> dict[str, Any]:
    """Rounded, exterior rings counter-clockwise and holes clockwise (RFC 7946 §3.1.6)."""
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, _GEOJSON_DIGITS))
    if rounded.geom_type == "Polygon":
        rounded = orient(rounded, sign=1.0)
    elif rounded.geom_type == "MultiPolygon":
        rounded = shapely.MultiPolygon([orient(p, sign=1.0) for p in rounded.geoms])
    return mapping(rounded)


def write_geojson(path: Path, view: OptionView) -> Path:
    """RFC 7946 FeatureCollection in WGS84, one feature per new community, ``id`` = district number."""
    table = community_table(view).to_crs(WGS84)
    features = []
    for row in table.itertuples(index=False):
        properties = {c: _json_value(getattr(row, c)) for c in COMMUNITY_FIELDS}
        properties["option_title"] = view.title
        if view.notes:
            properties["note"] = view.notes.get(int(row.district), "")
        for key, value in view.facts.get(int(row.district), {}).items():
            properties[key] = value   # the caller's JSON-ready facts (service_site, headroom)
        features.append({"type": "Feature", "id": int(row.district), "properties": properties,
                         "geometry": _rfc7946_geometry(row.geometry)})
    bounds = [round(float(v), _GEOJSON_DIGITS) for v in table.total_bounds] if len(table) else None
    collection = {"type": "FeatureCollection", **({"bbox": bounds} if bounds else {}), "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path


def _json_value(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return as_number(value)
    return value


def write_geopackage(path: Path, views: Sequence[OptionView], context: Context) -> Path:
    """Layers ``communities``, ``units``, ``estates`` (recommended option; ``_option2``… for the others),
    ``boundary`` and, when given, ``roads`` and ``facilities``; all in the run's projected CRS."""
    if path.exists():
        path.unlink()  # a GeoPackage keeps old layers: start clean so no stale option survives
    with _fixed_gdal_date():
        _write_geopackage_layers(path, views, context)
    return path


def _write_geopackage_layers(path: Path, views: Sequence[OptionView], context: Context) -> None:
    for view in views:
        community_table(view).to_file(path, layer=f"communities{view.slug}", driver="GPKG", engine="pyogrio")
        unit_table(view).to_file(path, layer=f"units{view.slug}", driver="GPKG", engine="pyogrio")
        estate_table(view).to_file(path, layer=f"estates{view.slug}", driver="GPKG", engine="pyogrio")
    boundary = context.boundary.to_crs(context.crs)
    names = boundary["name"].astype(str) if "name" in boundary.columns else [context.community_name] * len(boundary)
    gpd.GeoDataFrame({"name": list(names)}, geometry=list(boundary.geometry), crs=context.crs).to_file(
        path, layer="boundary", driver="GPKG", engine="pyogrio")
    if context.roads is not None and not context.roads.empty:
        roads = context.roads.to_crs(context.crs)
        gpd.GeoDataFrame({"name": _text_column(roads, "name"), "kind": _text_column(roads, "kind", "road")},
                         geometry=list(roads.geometry), crs=context.crs).to_file(
            path, layer="roads", driver="GPKG", engine="pyogrio")
    if context.facilities is not None and not context.facilities.empty:
        facilities = context.facilities.to_crs(context.crs)
        area = (pd.to_numeric(facilities["area_m2"], errors="coerce") if "area_m2" in facilities.columns
                else pd.Series(np.nan, index=facilities.index))
        gpd.GeoDataFrame({"name": _text_column(facilities, "name"), "area_m2": area.astype(float).tolist()},
                         geometry=list(facilities.geometry), crs=context.crs).to_file(
            path, layer="facilities", driver="GPKG", engine="pyogrio")


def _text_column(frame: pd.DataFrame, column: str, default: str = "") -> list[str]:
    if column not in frame.columns:
        return [default] * len(frame)
    return [default if pd.isna(v) else str(v) for v in frame[column]]


def write_assignment_csv(path: Path, views: Sequence[OptionView]) -> Path:
    """UTF-8 with BOM so Excel on Chinese Windows shows the names; one row per unit (per option, with an
    ``option`` column, when there are several). Text cells are formula-safe (``maps.cells``)."""
    several = len(views) > 1
    header = (["option"] if several else []) + list(UNIT_FIELDS)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for view in views:
            table = unit_table(view)
            for row in table.itertuples(index=False):
                # a block has no estate: None or NaN (read back from a file) is an empty cell, not "nan"
                estate = "" if row.estate_id is None or pd.isna(row.estate_id) else row.estate_id
                values = [row.unit_id, row.kind, row.name, estate, as_number(row.population),
                          as_number(row.households), int(row.district), row.district_name]
                writer.writerow(spreadsheet_row(([view.number] if several else []) + values))
    return path


# ---- Shapefile ---------------------------------------------------------------------------------------

_DBF_TEXT_BYTES = 254

# (source column, shapefile field (ASCII, <= 10 bytes), 中文, English)
SHAPEFILE_FIELDS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "communities": (
        ("district", "district", "新社区编号", "new community number"),
        ("name", "name", "新社区名称", "new community name"),
        ("population", "pop", "人口", "population"),
        ("households", "hh", "户数", "households"),
        ("estates", "estates", "所含楼盘", "whole estates it contains"),
        ("estate_count", "n_estates", "楼盘数", "number of estates"),
        ("area_km2", "area_km2", "面积（平方公里）", "area (km², projected CRS)"),
        ("polsby_popper", "pp", "紧凑度", "compactness (Polsby-Popper)"),
        ("sizhi", "sizhi", "四至", "four-side boundary description"),
        ("option", "option", "方案编号", "option number"),
    ),
    "units": (
        ("unit_id", "unit_id", "单元编号", "unit id"),
        ("kind", "kind", "单元类型", "unit kind"),
        ("name", "name", "单元名称", "unit name"),
        ("estate_id", "estate_id", "楼盘编号", "estate id"),
        ("population", "pop", "人口", "population"),
        ("households", "hh", "户数", "households"),
        ("district", "district", "新社区编号", "new community number"),
        ("district_name", "dist_name", "新社区名称", "new community name"),
        ("option", "option", "方案编号", "option number"),
    ),
    "estates": (
        ("estate_id", "estate_id", "楼盘编号", "estate id"),
        ("name", "name", "楼盘名称", "estate name"),
        ("population", "pop", "人口", "population"),
        ("households", "hh", "户数", "households"),
        ("district", "district", "新社区编号", "new community number"),
        ("district_name", "dist_name", "新社区名称", "new community name"),
        ("option", "option", "方案编号", "option number"),
    ),
    "boundary": (("name", "name", "原社区名称", "original community name"),),
}


def truncate_utf8(text: str, limit_bytes: int = _DBF_TEXT_BYTES) -> str:
    """Cut at a character boundary: a DBF cut mid-character cannot be read back."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit_bytes:
        return text
    return encoded[: limit_bytes - len("…".encode())].decode("utf-8", errors="ignore") + "…"


def write_shapefiles(folder: Path, views: Sequence[OptionView], context: Context) -> dict[str, Path]:
    """``communities.shp``, ``units.shp``, ``estates.shp`` (``_option2``… for other options), ``boundary.shp``
    (UTF-8 with .cpg) and ``fields.csv`` describing every field."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    truncated: set[tuple[str, str]] = set()
    boundary = context.boundary.to_crs(context.crs)
    boundary_table = gpd.GeoDataFrame(
        {"name": _text_column(boundary, "name", context.community_name)}, geometry=list(boundary.geometry),
        crs=context.crs)
    layers: list[tuple[str, str, gpd.GeoDataFrame]] = []
    for view in views:
        layers += [("communities", f"communities{view.slug}", community_table(view)),
                   ("units", f"units{view.slug}", unit_table(view)),
                   ("estates", f"estates{view.slug}", estate_table(view))]
    layers.append(("boundary", "boundary", boundary_table))
    for kind, stem, table in layers:
        fields = SHAPEFILE_FIELDS[kind]
        out = pd.DataFrame(index=table.index)
        for source, short, _, _ in fields:
            column = table[source]
            if _is_text(column):
                values = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in column]
                cut = [truncate_utf8(v) for v in values]
                if cut != values:
                    truncated.add((kind, short))
                out[short] = cut
            else:
                out[short] = column
        frame = gpd.GeoDataFrame(out, geometry=list(table.geometry), crs=table.crs)
        path = folder / f"{stem}.shp"
        frame.to_file(path, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8",
                      DBF_DATE_LAST_UPDATE=FIXED_DATE)
        written[f"shapefile_{stem}"] = path
    written["shapefile_fields"] = _write_field_table(folder / "fields.csv", truncated)
    return written


def _write_field_table(path: Path, truncated: set[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["layer", "field", "column", "中文", "description", "note"])
        for kind, fields in SHAPEFILE_FIELDS.items():
            for source, short, zh, en in fields:
                note = ("text cut at 254 bytes in this run (DBF limit); full text in plan.gpkg"
                        if (kind, short) in truncated else "")
                writer.writerow(spreadsheet_row([kind, short, source, zh, en, note]))
    return path
