"""A plan a person proposes, read for ``redistrict check``: which new community every unit goes to.

Three shapes are read:

- redistrict's own ``assignment.csv`` after editing (``unit_id`` + ``district``; an ``option`` column keeps
  option 1's rows);
- any table of estate names (or unit ids) → community (``name`` + ``community``, or their Chinese headers);
- a polygon layer of proposed communities (any format geopandas reads): each unit goes to the polygon
  holding most of its area, and an estate a drawn boundary cuts is reported.

A table that leaves out units without residents (roads, green land, empty blocks) has them filled in from
the neighbouring community they share most boundary with, and says so; a unit with residents left out is
unassigned, which ``check`` reports as a broken rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from redistrict.errors import UsageError
from redistrict.tables import SHEET_SUFFIXES, TEXT_SUFFIXES, UnitNames, find_column, read_table

FLAG = "--assignment"
UNIT_COLUMNS = ("unit_id", "单元编号")
NAME_COLUMNS = ("name", "名称", "小区", "小区名称", "estate", "单元名称")
LABEL_COLUMNS = ("district", "community", "new_community", "新社区", "社区", "新社区编号", "district_name")
LAYER_LABEL_COLUMNS = ("district", "community", "name", "新社区", "社区", "名称")
#: A drawn boundary that puts more than this share of an estate's area outside the community it is
#: counted in cuts the estate (below it: digitising noise along a shared edge).
ESTATE_CUT_SHARE = 0.05


@dataclass(frozen=True)
class Draft:
    """``assignment``: unit id → district 1..k (units left out are absent); ``names``: district → the
    label the person gave (None when the labels were numbers); ``notes``: what was done to read it;
    ``cut_estates``: (unit id, estate name, share of area outside, district it is counted in, district
    cutting it) for a drawn layer."""

    assignment: dict[str, int]
    names: dict[int, str] | None
    notes: list[str] = field(default_factory=list)
    cut_estates: list[tuple[str, str, float, int, int]] = field(default_factory=list)


def read_draft(path: Path, units: gpd.GeoDataFrame, graph: nx.Graph, *, encoding: str | None = None) -> Draft:
    """The proposed plan in ``path`` over the community's ``units`` (projected frame)."""
    cut_labels: list[tuple[str, str, float, str, str]] = []
    if path.suffix.lower() in TEXT_SUFFIXES | SHEET_SUFFIXES:
        labels, notes = _labels_from_table(path, units, encoding=encoding)
        order = list(dict.fromkeys(labels.values()))
    else:
        labels, order, notes, cut_labels = _labels_from_layer(path, units)
    if not labels:
        raise UsageError(f"{FLAG} {path}: assigns no unit of this community")
    numbering = _numbering([label for label in order if label in set(labels.values())])
    assignment = {uid: numbering[label] for uid, label in labels.items()}
    notes += _fill_empty_units(assignment, units, graph)
    names = None if all(_is_number(label) for label in numbering) else {d: label for label, d in numbering.items()}
    cut = [(uid, name, share, numbering[inside], numbering[outside]) for uid, name, share, inside, outside in cut_labels
           if outside in numbering]
    return Draft(assignment=assignment, names=names, notes=notes, cut_estates=cut)


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value == int(value)


def _label_order(label: str) -> tuple[int, float, str]:
    return (0, float(label), "") if _is_number(label) else (1, 0.0, label)


def _numbering(labels: list[str]) -> dict[str, int]:
    """Numbers 1..k: numeric labels keep their order, names are numbered as they first appear."""
    if all(_is_number(label) for label in labels):
        labels = sorted(labels, key=_label_order)
    return {label: number for number, label in enumerate(labels, start=1)}


def _labels_from_table(path: Path, units: gpd.GeoDataFrame, *, encoding: str | None) -> tuple[dict[str, str], list[str]]:
    table = read_table(path, flag=FLAG, encoding=encoding)
    notes: list[str] = []
    unit_col, name_col = find_column(table, UNIT_COLUMNS), find_column(table, NAME_COLUMNS)
    label_col = find_column(table, LABEL_COLUMNS)
    if label_col is None or (unit_col is None and name_col is None):
        raise UsageError(f"{FLAG} {path}: needs a unit column (unit_id or name) and a community column "
                         f"(district or community); found {', '.join(map(repr, table.columns)) or 'no columns'}")
    rows = table.index
    option_col = find_column(table, ("option", "方案"))
    if option_col is not None and table[option_col].nunique() > 1:
        first = sorted(table[option_col].unique(), key=_label_order)[0]
        rows = table.index[table[option_col] == first]
        notes.append(f"{path.name} holds several options; option {first} was checked")
    lookup = UnitNames.of(units)
    labels: dict[str, str] = {}
    row_of: dict[str, int] = {}
    for i in rows:
        row = i + 2  # the header is row 1, as a spreadsheet counts
        where = f"{FLAG} {path.name} row {row}"
        label = table.at[i, label_col]
        key = table.at[i, unit_col] if unit_col is not None and table.at[i, unit_col] else (
            table.at[i, name_col] if name_col is not None else "")
        if not key and not label:
            continue  # a blank line Excel left behind
        uid = lookup.resolve(key, where=where)
        if not label:
            raise UsageError(f"{where}: {key!r} has no community (column {label_col!r} is empty)")
        if _is_number(label):
            label = str(int(float(label)))
        if uid in labels and labels[uid] != label:
            raise UsageError(f"{where}: {key!r} is put in {label!r}, but row {row_of[uid]} puts it in "
                             f"{labels[uid]!r}")
        labels[uid] = label
        row_of.setdefault(uid, row)
    return labels, notes


def _labels_from_layer(path: Path, units: gpd.GeoDataFrame) -> tuple[dict[str, str], list[str], list[str], list]:
    if not path.exists():
        raise UsageError(f"{FLAG} {path}: file not found")
    try:
        drawn = gpd.read_file(path)
    except Exception as exc:  # any reader failure is the user's file
        raise UsageError(f"{FLAG} {path}: cannot read it as a table or a polygon layer ({exc})") from None
    if drawn.crs is None:
        raise UsageError(f"{FLAG} {path}: the layer has no coordinate reference system; save it with one "
                         "(e.g. as GeoPackage) or as the assignment table")
    drawn = drawn[drawn.geometry.notna() & drawn.geom_type.isin(["Polygon", "MultiPolygon"])]
    if drawn.empty:
        raise UsageError(f"{FLAG} {path}: holds no polygons")
    column = next((c for c in LAYER_LABEL_COLUMNS if c in drawn.columns), None)
    texts = ([str(v).strip() if v is not None and not (isinstance(v, float) and math.isnan(v)) else ""
              for v in drawn[column]] if column else [str(i + 1) for i in range(len(drawn))])
    for index, text in enumerate(texts):
        if not text:
            raise UsageError(f"{FLAG} {path.name} feature {index + 1}: column {column!r} is empty")
    drawn = gpd.GeoDataFrame({"label": [str(int(float(t))) if _is_number(t) else t for t in texts]},
                             geometry=list(drawn.to_crs(units.crs).geometry.make_valid()), crs=units.crs)
    pieces = gpd.overlay(units[["unit_id", "kind", "name", "geometry"]], drawn, how="intersection",
                         keep_geom_type=True)
    pieces["area"] = pieces.geometry.area
    areas = pieces.groupby(["unit_id", "label"], sort=True)["area"].sum().reset_index()
    unit_area = dict(zip(units["unit_id"].astype(str), units.geometry.area))
    labels: dict[str, str] = {}
    cut: list[tuple[str, str, float, str, str]] = []
    kind = dict(zip(units["unit_id"].astype(str), units["kind"]))
    name = dict(zip(units["unit_id"].astype(str), units["name"].astype(str)))
    for uid, part in areas.groupby("unit_id", sort=True):
        part = part.sort_values(["area", "label"], ascending=[False, True])
        if float(part["area"].iloc[0]) <= 0:
            continue
        labels[str(uid)] = str(part["label"].iloc[0])
        outside = 1.0 - float(part["area"].iloc[0]) / max(unit_area[str(uid)], 1e-9)
        if kind[str(uid)] == "estate" and len(part) > 1 and outside > ESTATE_CUT_SHARE:
            cut.append((str(uid), name[str(uid)], round(outside, 3), str(part["label"].iloc[0]),
                        str(part["label"].iloc[1])))
    notes = [f"{path.name}: {len(drawn)} drawn communities; each unit counted in the one holding most of its area"]
    return labels, list(dict.fromkeys(drawn["label"])), notes, cut


def _fill_empty_units(assignment: dict[str, int], units: gpd.GeoDataFrame, graph: nx.Graph) -> list[str]:
    """Units without residents that the table leaves out join the neighbouring community they share
    most boundary with (repeated while any can); people are never placed this way."""
    population = dict(zip(units["unit_id"].astype(str), pd.to_numeric(units["population"]).fillna(0.0)))
    kinds = dict(zip(units["unit_id"].astype(str), units["kind"]))
    empty = sorted(u for u in population if u not in assignment and population[u] == 0 and kinds[u] != "estate")
    filled: list[str] = []
    changed = True
    while changed and empty:
        changed = False
        for uid in list(empty):
            shared: dict[int, float] = {}
            for other in graph.neighbors(uid):
                if str(other) in assignment:
                    d = assignment[str(other)]
                    shared[d] = shared.get(d, 0.0) + float(graph.edges[uid, other].get("length_m", 0.0) or 0.0)
            if shared:
                assignment[uid] = min(shared, key=lambda d: (-shared[d], d))
                empty.remove(uid)
                filled.append(uid)
                changed = True
    return [f"{len(filled)} unit(s) without residents not in the file joined the neighbouring community "
            f"they share most boundary with: {', '.join(filled[:10])}{' …' if len(filled) > 10 else ''}"] if filled else []


def describe(draft: Draft) -> dict[str, Any]:
    return {"notes": list(draft.notes), "cut_estates": [
        {"unit_id": u, "estate": n, "share_outside": s, "district": d, "cut_by": o}
        for u, n, s, d, o in draft.cut_estates]}
