"""What map.html's edit mode needs, embedded in the page as JSON data (never as template source): every
unit with its residents and households, each option's assignment, the units' adjacency, the size rule of
the chosen profile and the columns of assignment.csv. ``static/edit.js`` recomputes totals, headroom and
contiguity (a BFS over the embedded adjacency) in the page, offline, and exports the assignment in the
format ``write_assignment_csv`` writes and ``redistrict check --assignment`` reads.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import shapely

from maps.cells import FORMULA_STARTS
from maps.files import UNIT_FIELDS
from maps.model import Context
from maps.options import OptionView
from maps.wording import as_number

def size_rule(context: Context) -> dict[str, Any]:
    """The rule the split was driven by: {attr, max, min, profile, basis}. The caller's ``size_rule``
    (the resolved --cap/--floor) wins over the chosen profile's own numbers."""
    profile = context.profiles[0] if context.profiles else {}
    attr = (context.size_rule.get("attr") or profile.get("split_attr") or "population")
    if "max" in context.size_rule or "min" in context.size_rule:
        high, low = context.size_rule.get("max"), context.size_rule.get("min")
    else:
        high, low = profile.get(f"max_{attr}"), profile.get(f"min_{attr}")
    return {"attr": str(attr), "max": as_number(high), "min": as_number(low),
            "profile": str(profile.get("name", "")), "basis": str(profile.get("population_basis", ""))}


def geometric_adjacency(units: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Pairs of units that share a stretch of boundary (a corner is not enough): the adjacency used when
    the caller passed none (``Context.adjacency``)."""
    geometries = np.asarray(list(units.geometry), dtype=object)
    ids = [str(v) for v in units["unit_id"]]
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    pairs = []
    for i, j in zip(left, right):
        if i < j and shapely.intersection(geometries[i].boundary, geometries[j].boundary).length > 0:
            pairs.append((ids[i], ids[j]))
    return sorted(pairs)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def edit_data(views: Sequence[OptionView], context: Context,
              display: Callable[[gpd.GeoDataFrame], list[dict[str, Any]]]) -> dict[str, Any]:
    """The edit mode's data. ``display`` turns a frame into the page's GeoJSON geometries (WGS84, or
    GCJ-02 under a Gaode base map), one per row, as the other layers are drawn."""
    base = views[0].units.sort_values("unit_id", kind="stable").reset_index(drop=True)
    ids = [str(v) for v in base["unit_id"]]
    index = {unit_id: i for i, unit_id in enumerate(ids)}
    groups = base["group"] if "group" in base.columns else [None] * len(base)
    units = [{"id": unit_id, "kind": _text(kind), "name": _text(name), "estate_id": _text(estate),
              "population": as_number(population) or 0, "households": as_number(households) or 0,
              "group": _text(group)}
             for unit_id, kind, name, estate, population, households, group in zip(
                 ids, base["kind"], base["name"], base["estate_id"], base["population"], base["households"],
                 groups)]
    pairs = context.adjacency if context.adjacency else geometric_adjacency(base)
    adjacency = sorted({(min(index[str(u)], index[str(v)]), max(index[str(u)], index[str(v)]))
                        for u, v in pairs if str(u) in index and str(v) in index and str(u) != str(v)})
    options = []
    for view in views:
        where = dict(zip(view.units["unit_id"].astype(str), view.units["district"].astype(int)))
        options.append({
            "number": view.number, "title": view.title,
            "districts": [{"district": int(r.district), "name": str(r.name), "colour": str(r.colour)}
                          for r in view.communities.itertuples(index=False)],
            "assignment": [int(where[unit_id]) for unit_id in ids],
        })
    return {"rule": size_rule(context), "units": units, "geometry": display(base),
            "adjacency": [list(pair) for pair in adjacency], "options": options,
            "csv": {"columns": list(UNIT_FIELDS), "file": "assignment.csv",
                    "spreadsheet_prefixes": "".join(FORMULA_STARTS)}}
