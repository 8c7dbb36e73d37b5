"""Each layer's contract columns built from its mapped source columns: ids, names, counts parsed
(non-numeric, negative and missing values reported per feature), road kinds, geometry repaired.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries.errors import Problem
from boundaries.fields import parse_number
from boundaries.estate_points import is_point_layer
from boundaries.geometry import clean_geometries

_ID_FIELD = {"communities": ("community_id", "C"), "estates": ("estate_id", "E"),
             "population": ("point_id", "P"), "facilities": ("facility_id", "F")}
_RIVER_WORDS = ("river", "stream", "canal", "water", "河", "江", "涌", "溪", "渠", "湖", "水道", "沟", "滘")


def _labels(frame: gpd.GeoDataFrame, role: str, mapping: Mapping[str, str]) -> list[str]:
    """How a problem names a feature: its name, else its id, else its row."""
    rows = frame["_source_row"].tolist() if "_source_row" in frame else [i + 1 for i in range(len(frame))]
    names = frame[mapping["name"]].tolist() if "name" in mapping else [None] * len(frame)
    id_field = next((mapping[k] for k in ("community_id", "estate_id", "point_id", "facility_id") if k in mapping),
                    None)
    ids = frame[id_field].tolist() if id_field else [None] * len(frame)
    labels = []
    point_like = role == "population"
    for name, ident, row in zip(names, ids, rows):
        if point_like:
            # building names repeat (many points per building): the row makes the label unique
            label = _text(ident) or (_text(name) and f"{_text(name)} (row {row})") or f"row {row}"
            labels.append(label)
        elif isinstance(name, str) and name.strip():
            labels.append(name.strip())
        elif ident is not None and not (isinstance(ident, float) and math.isnan(ident)) and str(ident).strip():
            labels.append(_as_id(ident))
        else:
            labels.append(f"row {row}")
    return labels


def _as_id(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = _as_id(value)
    return text or None


def _ids(frame: gpd.GeoDataFrame, role: str, mapping: Mapping[str, str], notes: list[str]) -> list[str]:
    id_field, prefix = _ID_FIELD[role]
    rows = frame["_row"].tolist()
    width = max(3, len(str(int(frame["_rows_total"].iloc[0]) if len(frame) else 0)))
    fallback = [f"{prefix}{row:0{width}d}" for row in rows]
    if id_field not in mapping:
        return fallback
    values = [_text(v) for v in frame[mapping[id_field]].tolist()]
    if any(v is None for v in values) or len(set(values)) != len(values):
        notes.append(f"{role}: column {mapping[id_field]!r} is not a unique id; features numbered by row instead")
        return fallback
    return values


def _numbers(frame: gpd.GeoDataFrame, role: str, column: str | None, ours: str, labels: list[str],
             problems: list[Problem], *, missing: str | None) -> np.ndarray:
    """Parse one count column; report non-numeric, negative and (when ``missing`` is set) blank values."""
    if column is None:
        return np.full(len(frame), np.nan)
    values = np.full(len(frame), np.nan)
    bad: dict[str, list[str]] = {}
    for i, raw in enumerate(frame[column].tolist()):
        number, problem = parse_number(raw)
        if problem == "missing":
            if missing:
                bad.setdefault(missing, []).append(labels[i])
            continue
        if problem:
            problems.append(Problem("error", role, labels[i], f"{ours} ({column}) is {problem}",
                                    "enter a whole number"))
            continue
        if number < 0:
            problems.append(Problem("error", role, labels[i], f"{ours} ({column}) is negative: {number:g}",
                                    "counts cannot be negative: fix the value"))
            continue
        values[i] = number
    for severity, which in bad.items():
        shown = ", ".join(which[:10]) + (f" and {len(which) - 10} more" if len(which) > 10 else "")
        problems.append(Problem(severity, role, which[0] if len(which) == 1 else None,
                                f"{ours} ({column}) is missing for {len(which)} feature(s): {shown}",
                                "fill the values in; missing counts are taken as 0"))
    return values


def _road_kind(value, name) -> str:
    text = (_text(value) or "").lower()
    if text:
        return "river" if any(word in text for word in _RIVER_WORDS) else "road"
    named = _text(name) or ""
    return "river" if named.endswith(_RIVER_WORDS) else "road"


def normalise_layer(frame: gpd.GeoDataFrame, role: str, mapping: Mapping[str, str],
               notes: list[str]) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Build the layer's contract columns from the mapped source columns; geometry repaired."""
    problems: list[Problem] = []
    frame = frame.reset_index(drop=True)
    frame["_row"] = np.arange(1, len(frame) + 1)
    frame["_rows_total"] = len(frame)
    labels = _labels(frame, role, mapping)
    if role == "estates" and is_point_layer(frame.geometry.values):
        # estates given as points: cleaned as points here, their areas derived by ``layers``
        geoms, keep, geometry_problems = clean_geometries(frame.geometry.values, "facilities", labels)
        geometry_problems = [replace(p, layer=role) for p in geometry_problems]
    else:
        geoms, keep, geometry_problems = clean_geometries(frame.geometry.values, role, labels)
    problems.extend(geometry_problems)
    frame = frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs, index=frame.index))
    keep_index = np.flatnonzero(keep)
    frame = frame.iloc[keep_index].reset_index(drop=True)
    labels = [labels[i] for i in keep_index]
    names = [_text(v) for v in frame[mapping["name"]].tolist()] if "name" in mapping else [None] * len(frame)
    out: dict[str, object] = {}
    if role in _ID_FIELD:
        out[_ID_FIELD[role][0]] = _ids(frame, role, mapping, notes)
    if role == "communities":
        out["name"] = [n or f"row {r}" for n, r in zip(names, frame["_row"])]
        for label, name in zip(labels, names):
            if name is None:
                problems.append(Problem("error", role, label, "community has no name", "fill in its name"))
    elif role == "estates":
        out["name"] = [n or f"row {r}" for n, r in zip(names, frame["_row"])]
        for label, name in zip(labels, names):
            if name is None:
                problems.append(Problem("warning", role, label, "estate has no name",
                                        "fill in its name: reviewers list estates by name"))
        out["households"] = _numbers(frame, role, mapping.get("households"), "households", labels, problems,
                                     missing=None)
        out["population"] = _numbers(frame, role, mapping.get("population"), "population", labels, problems,
                                     missing=None)
        out["group"] = [_text(v) for v in frame[mapping["group"]].tolist()] if "group" in mapping \
            else [None] * len(frame)
    elif role == "population":
        out["population"] = _numbers(frame, role, mapping.get("population"), "population", labels, problems,
                                     missing="error")
        if "households" in mapping:
            out["households"] = _numbers(frame, role, mapping["households"], "households", labels, problems,
                                         missing="warning")
        else:
            out["households"] = np.full(len(frame), np.nan)
            problems.append(Problem("warning", role, None, "no households field: household totals will be 0",
                                    "map the household count column, e.g. fields={'population': {'户数': 'households'}}"))
        if "name" in mapping:
            out["name"] = names
    elif role == "roads":
        out["name"] = names
        kinds = frame[mapping["kind"]].tolist() if "kind" in mapping else [None] * len(frame)
        out["kind"] = [_road_kind(k, n) for k, n in zip(kinds, names)]
    elif role == "facilities":
        out["name"] = [n or f"facility {r}" for n, r in zip(names, frame["_row"])]
        out["area_m2"] = _numbers(frame, role, mapping.get("area_m2"), "area_m2", labels, problems, missing=None)
    for column in ("group", "name"):
        if column in out and not isinstance(out[column], np.ndarray):
            # object dtype keeps None as None (pandas' string dtype would turn it into NaN)
            out[column] = pd.Series(out[column], dtype=object)
    result = gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=frame.crs)
    if "households" in result and role == "population":
        result["households"] = result["households"].astype(float)
    return result, problems
