"""``load_layers``: every input layer read, fields mapped, text decoded, datums converted and
projected to one metric CRS, with provenance; problems that make loading impossible are raised
together, data problems travel in ``Layers.problems`` for ``inspect_layers``.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from boundaries import crs as crs_rules
from boundaries.datum import normalise_datum, to_wgs84
from boundaries.encoding import looks_mis_decoded
from boundaries.errors import InputError, Problem
from boundaries.estate_points import derive_estate_areas, is_point_layer
from boundaries.fields import population_kind, resolve_fields
from boundaries.normalise import normalise_layer
from boundaries.population import points_from_estate_attributes
from boundaries.read import RawLayer, read_layer

log = logging.getLogger(__name__)

ROLES = ("communities", "estates", "population", "roads", "facilities")
REQUIRED = ("communities", "estates", "population")


@dataclass(frozen=True, eq=False)  # holds GeoDataFrames: identity, not element-wise equality
class Layers:
    """All input layers in one projected metric CRS (see the package docstring for the columns)."""

    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame | None
    crs: pyproj.CRS
    sources: Mapping[str, Mapping]
    notes: tuple[str, ...]
    problems: tuple[Problem, ...] = field(default=())  # data problems found while loading

    def __repr__(self) -> str:
        parts = [f"{len(self.communities)} communities", f"{len(self.estates)} estates",
                 f"{len(self.population)} population points"]
        if self.roads is not None:
            parts.append(f"{len(self.roads)} roads/rivers")
        if self.facilities is not None:
            parts.append(f"{len(self.facilities)} facilities")
        return f"<Layers {crs_rules.to_string(self.crs)}: {', '.join(parts)}>"


def _per_layer(option, role: str):
    if option is None or isinstance(option, (str, int, pyproj.CRS)):
        return option
    if isinstance(option, Mapping):
        return option.get(role)
    raise TypeError(f"expected a string or a mapping of layer name to string, got {type(option).__name__}")


def load_layers(*, communities, estates, population, roads=None, facilities=None,
                fields: Mapping[str, Mapping[str, str]] | None = None,
                encoding: str | Mapping[str, str] | None = None,
                source_crs: str | Mapping[str, str] | None = None,
                datum: str | Mapping[str, str] | None = None,
                target_crs: str | None = None) -> Layers:
    """Read, map, decode, convert and project the five layers; raise InputError listing every fatal problem.

    Each layer is a path (GeoJSON, GPKG, SHP, GDB, DXF, CSV/XLSX points; ``'file.gpkg|layername=x'``)
    or a GeoDataFrame. ``fields`` maps source columns to ours per layer ({'estates': {'XMMC': 'name'}});
    Chinese aliases (名称, 户数, 常住人口 ...) are recognised without it. ``source_crs`` states a CRS for
    layers that have none (or overrides a wrong .prj); ``datum`` declares lon/lat layers as 'gcj02'
    (Amap/Tencent) or 'bd09' (Baidu), converted to WGS84. ``target_crs`` forces the metric CRS.
    """
    started = time.perf_counter()
    given = {"communities": communities, "estates": estates, "population": population,
             "roads": roads, "facilities": facilities}
    unknown = sorted(set(fields or {}) - set(ROLES)) + sorted(
        set(datum if isinstance(datum, Mapping) else {}) - set(ROLES)) + sorted(
        set(source_crs if isinstance(source_crs, Mapping) else {}) - set(ROLES))
    fatal: list[Problem] = [Problem("error", "input", None, f"unknown layer name {name!r} in an option",
                                    f"layers are {', '.join(ROLES)}") for name in unknown]
    problems: list[Problem] = []
    notes: list[str] = []
    raws: dict[str, RawLayer] = {}
    for role in ROLES:
        source = given[role]
        if source is None:
            if role in REQUIRED:
                fatal.append(Problem("error", role, None, f"the {role} layer is required"))
            continue
        try:
            raws[role] = read_layer(source, role=role, encoding=_per_layer(encoding, role))
        except InputError as exc:
            fatal.extend(exc.problems)
    mappings: dict[str, dict[str, str]] = {}
    for role, raw in raws.items():
        mapping, messages = resolve_fields([str(c) for c in raw.frame.columns], role, (fields or {}).get(role))
        fatal.extend(Problem("error", role, None, message) for message in messages)
        mappings[role] = mapping
        fatal.extend(_mis_decoding(raw, role))
        problems.extend(raw.problems)
        notes.extend(raw.notes)
    source_crss: dict[str, pyproj.CRS] = {}
    for role, raw in raws.items():
        try:
            source_crss[role] = _settle_crs(raw, role, _per_layer(source_crs, role),
                                            _per_layer(datum, role), problems, notes)
        except InputError as exc:
            fatal.extend(exc.problems)
    if fatal:
        raise InputError(fatal)
    target, reason = _choose_target(raws, source_crss, target_crs)
    notes.append(f"all layers in {crs_rules.describe(target)}: {reason}")
    frames: dict[str, gpd.GeoDataFrame | None] = {"roads": None, "facilities": None}
    sources: dict[str, dict] = {}
    for role, raw in raws.items():
        frame = raw.frame
        if source_crss[role] != target:
            frame = frame.set_crs(source_crss[role], allow_override=True).to_crs(target)
        else:
            frame = frame.set_crs(target, allow_override=True)
        frames[role], layer_problems = normalise_layer(frame, role, mappings[role], notes)
        problems.extend(layer_problems)
        info = dict(raw.info)
        info.update({"crs": crs_rules.to_string(source_crss[role]), "fields": dict(mappings[role]),
                     "features_loaded": len(frames[role])})
        if role in ("estates", "population"):
            column = mappings[role].get("population")
            info["population_field"] = column
            info["population_kind"] = population_kind(column)
            if column is not None:
                notes.append(f"{role}: population from column {column!r} "
                             f"({population_kind(column)} population)")
        info.setdefault("datum", "wgs84")
        sources[role] = info
    if is_point_layer(frames["estates"].geometry.values):
        frames["estates"], derive_problems, derive_notes = derive_estate_areas(
            frames["estates"], frames["communities"], frames["roads"])
        problems.extend(derive_problems)
        notes.extend(derive_notes)
        sources["estates"]["geometry"] = "points; areas derived (approximate)"
    frames["population"], counted, fill_notes = points_from_estate_attributes(frames["estates"],
                                                                            frames["population"])
    notes.extend(fill_notes)
    if counted:
        sources["population"]["counted_from_estate_attributes"] = counted
    layers = Layers(
        communities=frames["communities"], estates=frames["estates"], population=frames["population"],
        roads=frames["roads"], facilities=frames["facilities"], crs=target, sources=sources,
        notes=tuple(notes), problems=tuple(problems))
    log.info("loaded %r in %.1f s (%d data problems)", layers, time.perf_counter() - started, len(problems))
    return layers


def _mis_decoding(raw: RawLayer, role: str) -> list[Problem]:
    """Chinese text decoded with a Western code page: refuse, show the repair, say what to pass."""
    examples: list[tuple[str, str]] = []
    for column in raw.frame.columns:
        if column == raw.frame.geometry.name:
            continue
        repaired = looks_mis_decoded(str(column))
        if repaired:
            examples.append((str(column), repaired))
        values = raw.frame[column]
        if values.dtype.kind in "OUT" or pd.api.types.is_string_dtype(values):
            for value in values.dropna().astype(str).unique()[:200]:
                repaired = looks_mis_decoded(value)
                if repaired:
                    examples.append((value, repaired))
                    break
    if not examples:
        return []
    shown = "; ".join(f"{bad!r} is probably {good!r}" for bad, good in examples[:3])
    declared = raw.info.get("encoding")
    return [Problem("error", role, None,
                    f"text was decoded with the wrong encoding ({declared or 'as declared'}): {shown}",
                    "state the file's encoding, e.g. encoding='GB18030' (and fix or delete a wrong .cpg)")]


def _crs_hint(bounds: tuple[float, float, float, float]) -> str:
    minx, miny, maxx, maxy = bounds
    if -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90:
        return ("the coordinates look like longitude/latitude: state source_crs='EPSG:4490' (CGCS2000) or "
                "'EPSG:4326' (WGS84); if they come from Amap/Tencent or Baidu also pass datum='gcj02'/'bd09'")
    if 30_000_000 <= minx < 46_000_000:
        return "the eastings carry a zone prefix: state e.g. source_crs='EPSG:4526' (CGCS2000 GK zone 38)"
    if 100_000 <= minx and maxx <= 900_000 and 1_500_000 <= miny and maxy <= 6_000_000:
        return ("the coordinates look like Gauss-Krüger metres: state e.g. source_crs='EPSG:4547' (CGCS2000 "
                "zone 38, Dongguan); Xian80/Beijing54 data must be converted to CGCS2000 first")
    return "state it with source_crs='EPSG:…' (ask the data's provider which system it is in)"


def _settle_crs(raw: RawLayer, role: str, stated, datum_name, problems: list[Problem],
                notes: list[str]) -> pyproj.CRS:
    """The layer's CRS after the rules: stated > file; refusals; swapped axes fixed; datum converted."""
    geoms = raw.frame.geometry.values
    present = geoms[~(shapely.is_empty(geoms) | pd.isna(geoms))] if len(geoms) else geoms
    bounds = tuple(shapely.total_bounds(present)) if len(present) else (math.nan,) * 4
    try:
        datum_key = normalise_datum(datum_name) if datum_name else "wgs84"
    except (TypeError, ValueError) as exc:
        raise InputError([Problem("error", role, None, str(exc))]) from None
    named = raw.info.get("datum_in_header")
    if named and named != datum_key:
        flag = f"--datum {role}={named}"
        raise InputError([Problem("error", role, raw.info.get("path"),
                                  f"the coordinate columns {raw.info.get('coordinates')} name {named.upper()}, but the "
                                  f"layer is read as {datum_key.upper()}" + (" (no --datum given)" if not datum_name else ""),
                                  f"declare it: {flag}" if not datum_name else
                                  f"check which is right; the header says {flag}")])
    if stated is not None:
        try:
            crs = crs_rules.parse_crs(stated)
        except ValueError as exc:
            raise InputError([Problem("error", role, None, str(exc))]) from None
        found = raw.crs_found
        if found is not None and not raw.info.get("crs_assumed"):
            found_crs = crs_rules.parse_crs(found)
            if found_crs != crs:
                notes.append(f"{role}: CRS stated as {crs_rules.describe(crs)} over the file's "
                             f"{crs_rules.describe(found_crs)}")
    elif raw.crs_found is not None:
        crs = crs_rules.parse_crs(raw.crs_found)
        if raw.info.get("crs_assumed"):
            notes.append(f"{role}: lon/lat columns taken as {crs_rules.describe(crs)}"
                         + ("" if datum_key != "wgs84" else "; pass datum='gcj02' or 'bd09' if they came from "
                            "Amap/Tencent or Baidu"))
    elif datum_key != "wgs84":
        crs = pyproj.CRS.from_epsg(4326)
        notes.append(f"{role}: no CRS in the file; {datum_key.upper()} lon/lat declared")
    else:
        raise InputError([Problem("error", role, raw.info.get("path"),
                                  "the layer has no coordinate reference system (no .prj / CRS)",
                                  _crs_hint(bounds))])
    try:
        crs_rules.refuse_unconvertible(crs)
    except crs_rules.CRSRefused as exc:
        raise InputError([Problem("error", role, None, str(exc))]) from None
    check = crs_rules.check_axes(bounds, crs)
    if check.verdict == "swapped":
        raw.frame = raw.frame.set_geometry(
            shapely.transform(raw.frame.geometry.values, lambda xy: xy[:, ::-1]), crs=raw.frame.crs)
        problems.append(Problem("warning", role, None, check.message,
                                "fix the source columns (in Chinese surveying X is the northing)"))
        notes.append(f"{role}: {check.message}")
    elif check.verdict == crs_rules.AxisVerdict.NOMINAL:
        problems.append(Problem("warning", role, None, check.message,
                                f"fine if the CRS is right; otherwise state the right one, e.g. --crs {role}=EPSG:…"))
        notes.append(f"{role}: {check.message}")
    elif check.verdict == "zone-prefix":
        raise InputError([Problem("error", role, None, check.message)])
    elif check.verdict == "outside":
        raise InputError([Problem("error", role, None, check.message, _crs_hint(bounds))])
    if datum_key != "wgs84":
        if not crs.is_geographic:
            raise InputError([Problem(
                "error", role, None,
                f"datum {datum_key!r} applies to longitude/latitude, but the layer is in {crs_rules.describe(crs)}",
                "GCJ-02/BD-09 offsets exist only for lon/lat from web maps: drop the datum option for this layer")])

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84(datum_key, xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        raw.frame = raw.frame.set_geometry(shapely.transform(raw.frame.geometry.values, convert),
                                           crs=raw.frame.crs)
        raw.info["datum"] = f"{datum_key} -> wgs84"
        label = {"gcj02": "GCJ-02", "bd09": "BD-09"}[datum_key]
        notes.append(f"{role}: {label} converted to WGS84 ({len(raw.frame)} features, iterative inverse < 1 cm)")
    return crs


def _choose_target(raws: Mapping[str, RawLayer], source_crss: Mapping[str, pyproj.CRS],
                   target_crs) -> tuple[pyproj.CRS, str]:
    if target_crs is not None:
        try:
            target = crs_rules.parse_crs(target_crs)
        except ValueError as exc:
            raise InputError([Problem("error", "input", None, f"target_crs: {exc}")]) from None
        if not crs_rules.suitable_target(target):
            raise InputError([Problem("error", "input", None,
                                      f"target_crs {crs_rules.describe(target)} is not a metric projected CRS "
                                      "that keeps areas (Mercator variants overstate areas)",
                                      "use e.g. 'EPSG:4547' (Dongguan) or a UTM zone")])
        return target, "stated"
    for role in ("communities", "estates", "population"):
        candidate = source_crss[role]
        if crs_rules.suitable_target(candidate):
            return candidate, f"the {role} layer's own projected CRS"
    frame = raws["communities"].frame
    lonlat = frame.set_crs(source_crss["communities"], allow_override=True).to_crs(4326)
    bounds = tuple(lonlat.total_bounds)
    target, reason = crs_rules.choose_target(bounds)
    mercator = [role for role, value in source_crss.items() if crs_rules.distorts_area(value)]
    if mercator:
        reason += f"; {', '.join(mercator)} reprojected from Mercator, which overstates areas (≈18% at 23°N)"
    return target, reason
