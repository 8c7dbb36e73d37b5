"""Read one layer from whatever the bureaus send: GeoJSON, GeoPackage, Shapefile, FileGDB, DXF,
or a CSV/XLSX table of points with lon/lat or X/Y columns (Chinese headers such as 经度/纬度 too).

Returns the raw attribute columns unchanged plus provenance (path, checksum, encoding, CRS);
field mapping, datums and projection happen in ``layers``. A layer inside a multi-layer file is
chosen with ``"file.gpkg|layername=estates"`` or ``"file.gpkg::estates"``, or found by its role name.
"""
from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from boundaries.encoding import EncodingUnknown, detect_dbf, detect_text_file
from boundaries.errors import InputError, Problem
from boundaries.fields import parse_number

log = logging.getLogger(__name__)

TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xls", ".ods"}
_ROLE_LAYER_NAMES = {
    "communities": ("communities", "community", "社区", "社区边界", "居委会"),
    "estates": ("estates", "estate", "小区", "楼盘", "小区边界", "住宅小区"),
    "population": ("population", "points", "buildings", "人口", "楼栋", "建筑", "人口点"),
    "roads": ("roads", "road", "道路", "路网", "河流", "roads_rivers"),
    "facilities": ("facilities", "facility", "设施", "服务设施", "党群服务中心"),
}
_LON = ("lon", "lng", "long", "longitude", "经度", "wgs84经度", "gcj02经度", "东经")
_LAT = ("lat", "latitude", "纬度", "wgs84纬度", "gcj02纬度", "北纬")
# coordinate headers that name a web map's datum (百度经度, bd09_lng, gcj02纬度, 高德lat ...): the datum the
# header promises is recorded, and ``layers`` refuses a layer whose declared datum disagrees with it
_DATUM_WORDS = {"gcj02": ("gcj02", "gcj", "高德", "火星", "amap", "gaode", "腾讯", "tencent"),
                "bd09": ("bd09", "bd", "百度", "baidu"),
                "wgs84": ("wgs84", "wgs", "gps")}
_X = ("x", "x坐标", "easting", "east", "东坐标", "横坐标", "xcoord", "point_x")
_Y = ("y", "y坐标", "northing", "north", "北坐标", "纵坐标", "ycoord", "point_y")


@dataclass
class RawLayer:
    """A layer as read: source columns + geometry, the CRS as found (None if absent), provenance."""

    frame: gpd.GeoDataFrame
    crs_found: object | None
    info: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _fatal(role: str, message: str, hint: str = "") -> InputError:
    return InputError([Problem("error", role, None, message, hint)])


def split_layer_name(source: str | Path) -> tuple[Path, str | None]:
    text = str(source)
    match = re.match(r"^(.*)\|layername=(.+)$", text)
    if match:
        return Path(match.group(1)), match.group(2)
    if "::" in text:
        path, layer = text.rsplit("::", 1)
        return Path(path), layer
    return Path(text), None


def file_checksum(path: Path) -> str:
    """sha256 over the file, a shapefile's sibling files, or every file of a .gdb folder."""
    digest = hashlib.sha256()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    elif path.suffix.lower() == ".shp":
        files = sorted(p for p in path.parent.glob(path.stem + ".*")
                       if p.suffix.lower() in {".shp", ".shx", ".dbf", ".prj", ".cpg"})
    else:
        files = [path]
    for item in files:
        digest.update(item.name.encode())
        with item.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _pick_layer(path: Path, role: str, requested: str | None) -> str | None:
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:
        raise _fatal(role, f"cannot open {path}: {exc}", "check the file is complete and in a format GDAL reads") from None
    names = [str(row[0]) for row in listed]
    if requested is not None:
        if requested not in names:
            raise _fatal(role, f"{path.name} has no layer {requested!r} (layers: {', '.join(names)})")
        return requested
    if len(names) <= 1:
        return names[0] if names else None
    lowered = {name.lower(): name for name in names}
    for candidate in _ROLE_LAYER_NAMES[role]:
        if candidate.lower() in lowered:
            return lowered[candidate.lower()]
    raise _fatal(role, f"{path.name} has several layers ({', '.join(names)}) and none is called {role!r}",
                 f"name one: '{path}|layername=<layer>'")


def read_layer(source, *, role: str, encoding: str | None = None) -> RawLayer:
    """Read ``source`` (path, 'path|layername=x', or GeoDataFrame) for the layer ``role``."""
    if isinstance(source, gpd.GeoDataFrame):
        frame = source.copy()
        return RawLayer(frame, frame.crs, {"path": None, "sha256": None, "features": len(frame),
                                           "encoding": None, "driver": "GeoDataFrame"})
    if isinstance(source, pd.DataFrame):
        return _points_from_table(source.copy(), role=role, where="table", info={
            "path": None, "sha256": None, "encoding": None, "driver": "DataFrame"})
    if not isinstance(source, (str, Path)):
        raise _fatal(role, f"expected a file path or a GeoDataFrame, got {type(source).__name__}")
    path, layer_name = split_layer_name(source)
    if not path.exists():
        raise _fatal(role, f"file not found: {path}", "check the path")
    info: dict = {"path": str(path), "sha256": file_checksum(path), "layer": layer_name}
    with _gdal_readable(path) as readable:
        return _read_path(path, readable, role=role, layer_name=layer_name, encoding=encoding, info=info)


@contextlib.contextmanager
def _gdal_readable(path: Path) -> Iterator[Path]:
    """A path GDAL opens as given. pyogrio reads ``!`` as an archive separator (``data.zip!layer.shp``), so a
    file under a folder such as ``方案!`` is read through symbolic links in a temporary folder (a shapefile's
    sibling files, or a .gdb folder, with it); not needed on Windows, where pyogrio keeps such paths."""
    if "!" not in str(path) or os.name == "nt":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="redistrict-read-") as holder:
        link = Path(holder) / path.name.replace("!", "_")
        if path.is_dir():
            link.symlink_to(path.resolve(), target_is_directory=True)
        else:
            for sibling in path.parent.glob(glob.escape(path.stem) + ".*"):
                (Path(holder) / sibling.name.replace("!", "_")).symlink_to(sibling.resolve())
        yield link


def _read_path(path: Path, readable: Path, *, role: str, layer_name: str | None, encoding: str | None,
               info: dict) -> RawLayer:
    """``path`` as the user named it (messages, checks); ``readable``, the same file for GDAL."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return _read_table(readable, role=role, layer_name=layer_name, encoding=encoding, info=info)
    if suffix == ".zip":
        raise _fatal(role, f"{path.name} is a zip archive", "unzip it and pass the .shp/.gpkg inside")
    if suffix == ".dwg":
        raise _fatal(role, f"{path.name}: DWG cannot be read here", "save it as DXF from CAD (or export to GeoPackage)")
    layer = _pick_layer(readable, role, layer_name)
    notes: list[str] = []
    problems: list[Problem] = []
    read_encoding = None
    if suffix == ".shp":
        try:
            detected = detect_dbf(path, stated=encoding)
        except EncodingUnknown as exc:
            raise _fatal(role, str(exc)) from None
        read_encoding = detected.encoding
        info["encoding"] = detected.encoding or "ascii"
        info["encoding_how"] = detected.how
        if detected.how == "detected" and detected.encoding == "GB18030":
            problems.append(Problem("warning", role, None, detected.message,
                                    "add a .cpg file containing GB18030, or pass encoding='GB18030', to confirm"))
        if detected.message:
            notes.append(f"{role}: {detected.message}")
    else:
        info["encoding"] = encoding or "UTF-8"
        read_encoding = encoding
    try:
        if suffix == ".dxf" and encoding:
            # GDAL decodes DXF text by the drawing's $DWGCODEPAGE; a stated encoding overrides it
            pyogrio.set_gdal_config_options({"DXF_ENCODING": encoding})
            read_encoding = None
        frame = pyogrio.read_dataframe(readable, layer=layer, encoding=read_encoding)
    except Exception as exc:
        raise _fatal(role, f"cannot read {path.name}: {exc}") from None
    finally:
        if suffix == ".dxf" and encoding:
            pyogrio.set_gdal_config_options({"DXF_ENCODING": None})
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        return _points_from_table(pd.DataFrame(frame), role=role, where=path.name, info=info)
    info.update({"features": len(frame), "driver": _driver_name(path), "layer": layer})
    crs_found = frame.crs
    if suffix == ".dxf":
        frame = _dxf_to_features(frame, role)
        notes.append(f"{role}: read from DXF ({len(frame)} features; closed polylines as polygons)")
    return RawLayer(frame, crs_found, info, problems, notes)


def _driver_name(path: Path) -> str:
    suffix = path.suffix.lower()
    return {".shp": "ESRI Shapefile", ".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON",
            ".gdb": "OpenFileGDB", ".dxf": "DXF"}.get(suffix, suffix.lstrip(".") or "unknown")


def _dxf_to_features(frame: gpd.GeoDataFrame, role: str) -> gpd.GeoDataFrame:
    """CAD drawings: closed polylines become polygons; TEXT entities inside a polygon name it."""
    geoms = frame.geometry.values
    is_text = frame.get("Text", pd.Series(index=frame.index, dtype=object)).notna().to_numpy() & (
        shapely.get_type_id(geoms) == 0)
    if role in ("communities", "estates"):
        closed = (shapely.get_type_id(geoms) == 1) & shapely.is_closed(geoms)
        polygons = geoms.copy()
        for index in closed.nonzero()[0]:
            polygons[index] = shapely.Polygon(shapely.get_coordinates(geoms[index]))
        keep = shapely.get_type_id(polygons) >= 3
        shapes = frame.loc[keep].copy()
        shapes = shapes.set_geometry(gpd.GeoSeries(polygons[keep], index=shapes.index, crs=frame.crs))
        labels = frame.loc[is_text]
        if "name" not in shapes and len(labels):
            names = []
            for geom in shapes.geometry.values:
                inside = labels[labels.geometry.within(geom)]
                names.append(str(inside["Text"].iloc[0]) if len(inside) else None)
            shapes["name"] = names
        return shapes.reset_index(drop=True)
    return frame.loc[~is_text].reset_index(drop=True) if role != "population" else frame


def _read_table(path: Path, *, role: str, layer_name: str | None, encoding: str | None, info: dict) -> RawLayer:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        try:
            detected = detect_text_file(path, stated=encoding)
        except EncodingUnknown as exc:
            raise _fatal(role, str(exc)) from None
        text_encoding = detected.encoding or "utf-8"
        text = path.read_bytes().decode(text_encoding)
        try:
            dialect = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|")
            delimiter = dialect.delimiter
        except csv.Error:
            delimiter = "\t" if suffix == ".tsv" else ","
        table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
        info.update({"encoding": text_encoding, "encoding_how": detected.how, "driver": "CSV"})
        where = path.name
    else:
        try:
            layers = [str(row[0]) for row in pyogrio.list_layers(path)]
        except Exception as exc:
            raise _fatal(role, f"cannot open {path.name}: {exc}",
                         "save it as .xlsx (Excel 2007+) or CSV") from None
        sheets = [layer_name] if layer_name else layers
        table = None
        for sheet in sheets:
            candidate = pyogrio.read_dataframe(path, layer=sheet, read_geometry=False)
            if _coordinate_columns(list(candidate.columns)) is not None:
                table, info["layer"] = pd.DataFrame(candidate), sheet
                break
        if table is None:
            table = pd.DataFrame(pyogrio.read_dataframe(path, layer=sheets[0], read_geometry=False))
        info.update({"encoding": "UTF-8 (xlsx)", "driver": "XLSX"})
        where = path.name
    return _points_from_table(table, role=role, where=where, info=info)


def _norm(column: str) -> str:
    return re.sub(r"[\s_\-()（）]", "", str(column)).lower()


def _datum_header(column: str) -> tuple[str, str] | None:
    """(datum, plain header) for a lon/lat header naming a datum: ('bd09', '经度') for '百度经度', ('bd09', 'lng')
    for 'bd09_lng', ('gcj02', 'lat') for '高德lat'; None for other columns."""
    text = _norm(column)
    for datum, words in _DATUM_WORDS.items():
        for word in words:
            rest = text.replace(word, "", 1) if text.startswith(word) or text.endswith(word) else None
            if rest and any(rest == _norm(a) for a in _LON + _LAT):
                return datum, rest
    return None


def _datum_named(column: str) -> str | None:
    found = _datum_header(column)
    return found[0] if found else None


def _coordinate_columns(columns: list[str]) -> tuple[str, str, str] | None:
    by_norm = {}
    for column in columns:
        by_norm.setdefault(_norm(column), column)
    for column in columns:  # 百度经度 / bd09_lng are lon/lat columns whatever their datum
        found = _datum_header(column)
        if found:
            by_norm.setdefault(found[1], column)
    for xs, ys, kind in ((_LON, _LAT, "lonlat"), (_X, _Y, "xy")):
        x = next((by_norm[_norm(a)] for a in xs if _norm(a) in by_norm), None)
        y = next((by_norm[_norm(a)] for a in ys if _norm(a) in by_norm), None)
        if x is not None and y is not None:
            return x, y, kind
    return None


def _points_from_table(table: pd.DataFrame, *, role: str, where: str, info: dict) -> RawLayer:
    found = _coordinate_columns(list(table.columns))
    if found is None:
        raise _fatal(role, f"{where}: no coordinate columns (columns: {', '.join(map(str, table.columns))})",
                     "name them 经度/纬度 or lon/lat (degrees), or X/Y with source_crs stated")
    xcol, ycol, kind = found
    problems: list[Problem] = []
    xs, ys, keep = [], [], []
    for row, (xv, yv) in enumerate(zip(table[xcol].tolist(), table[ycol].tolist())):
        x, x_problem = parse_number(xv)
        y, y_problem = parse_number(yv)
        if x_problem or y_problem:
            problems.append(Problem("error", role, f"row {row + 2}",
                                    f"coordinates {xcol}={xv!r}, {ycol}={yv!r} are not numbers; the row is left out",
                                    f"fix row {row + 2} of {where}"))
            continue
        xs.append(x)
        ys.append(y)
        keep.append(row)
    kept = table.iloc[keep].drop(columns=[xcol, ycol]).reset_index(drop=True)
    frame = gpd.GeoDataFrame(kept, geometry=gpd.points_from_xy(xs, ys))
    # a table keeps its source row numbers so that problems can name the spreadsheet row
    frame["_source_row"] = [row + 2 for row in keep]
    info.update({"features": len(table), "coordinates": f"{xcol}/{ycol}", "coordinate_kind": kind})
    if kind == "lonlat" and (_datum_named(xcol) or _datum_named(ycol)):
        info["datum_in_header"] = _datum_named(xcol) or _datum_named(ycol)
    crs_found = "EPSG:4326" if kind == "lonlat" else None
    info["crs_assumed"] = kind == "lonlat"
    notes = [f"{role}: points from columns {xcol}/{ycol} of {where}"]
    return RawLayer(frame, crs_found, info, problems, notes)
