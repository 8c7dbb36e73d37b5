"""``--split-large-estates``: an estate above the cap is divided into the fewest contiguous parts within the
rules, along its buildings or its phases, before the community is split.

- Phases: an estate drawn as several phases that must stay together (one ``group``) is divided along its
  phases; a phase above the cap by itself is divided along its buildings.
- Buildings: a single estate polygon is cut into the Voronoi cells of its population points
  (``boundaries.subdivide``); an estate with fewer than two building locations cannot be divided and is
  refused (exit 3), naming it.
- The sub-units and their adjacency are solved with ``solver.solve`` under the same cap and floor, with
  ``districts="auto"`` (the fewest parts). Each part becomes one estate unit named 「XX（一区）」「XX（二区）」…
  (north to south, then west to east); the community is then split as usual with the parts as estates.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Callable, Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

import boundaries
import solver
from boundaries.subdivide import building_cells, facilities_in, points_of_unit, reading_order
from maps.wording import ordinal_zh
from redistrict.errors import InfeasibleError, NoSolutionError, UsageError
from redistrict.large_estates import LargeEstate, find_large_estates

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class DivisionMethod(str, Enum):
    BUILDINGS = "buildings"     # Voronoi cells of its population points
    PHASES = "phases"           # its phases (estate polygons of one keep-together group)


@dataclass(frozen=True)
class EstatePart:
    unit_id: str
    name: str
    population: float
    households: float
    members: tuple[str, ...]    # the phases' names, or the population points, that make up the part


@dataclass(frozen=True)
class Division:
    """An estate above the cap and the parts it was divided into."""

    estate: LargeEstate
    method: DivisionMethod
    sub_units: int
    parts: tuple[EstatePart, ...]
    status: str                 # the solver's status for the division (optimal: proven fewest and best)

    def note(self) -> str:
        how = "按楼栋" if self.method is DivisionMethod.BUILDINGS else "按分期"
        names = "、".join(p.name for p in self.parts)
        return (f"{self.estate.excess_text()}：超出规模上限，{how}划分为{len(self.parts)}个区（{names}），"
                "每区均在规模范围内")

    def to_dict(self) -> dict[str, Any]:
        return {"estate": self.estate.name, "unit_ids": list(self.estate.unit_ids), "attr": self.estate.attr,
                "size": self.estate.size, "cap": self.estate.cap, "population": self.estate.population,
                "households": self.estate.households, "method": self.method.value, "sub_units": self.sub_units,
                "status": self.status, "note": self.note(),
                "parts": [{"unit_id": p.unit_id, "name": p.name, "population": p.population,
                           "households": p.households, "members": list(p.members)} for p in self.parts]}


@dataclass(frozen=True, eq=False)
class Divided:
    """The community after division: layers (estates layer with the parts), units and graph; ``large``:
    the estates above the cap left whole (to become communities of their own)."""

    layers: boundaries.Layers
    units: boundaries.Units
    graph: nx.Graph
    divisions: tuple[Division, ...] = ()
    large: tuple[LargeEstate, ...] = ()


def apply_rule(layers: boundaries.Layers, units: boundaries.Units, graph: nx.Graph, spec: solver.Spec, *,
               divide: bool, progress: Progress) -> Divided:
    """Find the estates above the cap; divide them now when ``divide`` (--split-large-estates), else pass
    them on whole (``large_estates.solve_around`` makes each a community of its own)."""
    large = find_large_estates(graph, spec)
    if large and divide:
        return divide_large_estates(layers, units, spec, large, progress=progress)
    return Divided(layers=layers, units=units, graph=graph, large=tuple(large))


def divide_large_estates(layers: boundaries.Layers, units: boundaries.Units, spec: solver.Spec,
                         large: Sequence[LargeEstate], *, progress: Progress) -> Divided:
    frame = units.frame
    divisions: list[Division] = []
    new_rows: list[gpd.GeoDataFrame] = []
    for estate in large:
        sub, method = _sub_units(layers, units, estate)
        division, rows = _divide(units, estate, sub, method, spec, progress=progress)
        divisions.append(division)
        new_rows.append(rows)
    divided = {u for estate in large for u in estate.unit_ids}
    kept = frame[~frame["unit_id"].astype(str).isin(divided)]
    parts = pd.concat(new_rows, ignore_index=True)
    clash = sorted(set(parts["unit_id"]) & set(kept["unit_id"].astype(str)))
    if clash:
        raise UsageError(f"the parts' ids {', '.join(clash)} are already ids of other estates; give the estates "
                         "other ids (field estate_id)")
    new_frame = gpd.GeoDataFrame(pd.concat([kept, parts.reindex(columns=kept.columns)], ignore_index=True),
                                 geometry=frame.geometry.name, crs=frame.crs)
    for what in ("population", "households"):
        before, after = float(frame[what].sum()), float(new_frame[what].sum())
        if not np.isclose(before, after, rtol=1e-12, atol=1e-6):
            raise RuntimeError(f"dividing estates changed the {what} ({before:,.3f} → {after:,.3f}); "
                               "a bug, please report")
    estates = _estates_layer(layers.estates, large, frame, parts)
    graph = boundaries.build_graph(new_frame, roads=layers.roads)
    return Divided(layers=replace(layers, estates=estates), units=replace(units, frame=new_frame), graph=graph,
                   divisions=tuple(divisions))


# the unit columns a phase keeps when it becomes a sub-unit
_COLUMNS = ("unit_id", "kind", "name", "population", "households", "estate_id", "group", "facility", "community",
            "area_m2", "geometry")


def _sub_units(layers: boundaries.Layers, units: boundaries.Units,
               estate: LargeEstate) -> tuple[gpd.GeoDataFrame, DivisionMethod]:
    frame = units.frame.set_index(units.frame["unit_id"].astype(str), drop=False)
    if estate.is_group:
        pieces = []
        for unit_id in estate.unit_ids:
            row = frame.loc[[unit_id]].drop(columns=[c for c in frame.columns if c not in _COLUMNS])
            if float(row[estate.attr].iloc[0]) > estate.cap:
                pieces.append(_cells(layers, units, row.iloc[0], estate))
            else:
                phase = row.assign(group=None)
                phase["points"] = pd.Series([()], index=phase.index, dtype=object)
                pieces.append(phase)
        return pd.concat(pieces, ignore_index=True), DivisionMethod.PHASES
    return _cells(layers, units, frame.loc[estate.unit_ids[0]], estate), DivisionMethod.BUILDINGS


def _cells(layers: boundaries.Layers, units: boundaries.Units, row: pd.Series,
           estate: LargeEstate) -> gpd.GeoDataFrame:
    points = points_of_unit(layers, units, str(row["unit_id"]))
    cells = building_cells(row.geometry, points, unit_id=str(row["unit_id"]), name=str(row["name"]))
    if len(cells.frame) < 2:
        why = ("it has no population points" if cells.points == 0 else
               f"all its {cells.points} population point(s) are at one location" if cells.sites < 2 else
               f"its {cells.sites} building locations leave {len(cells.frame)} cell(s) of its land")
        raise InfeasibleError(
            f"{estate.excess_text()} ({row['unit_id']}) cannot be divided: {why}, and it has no phases; "
            "--split-large-estates divides an estate along its buildings (population points inside it) or its "
            "phases (estates sharing a group). Give its buildings as population points, or run without "
            "--split-large-estates to make it a community of its own")
    facility = facilities_in(layers, list(cells.frame.geometry))
    if int(facility.sum()) != int(row["facility"] or 0):
        log.warning("%s: %d service facility site(s) counted in its cells, %d in the estate", row["name"],
                    int(facility.sum()), int(row["facility"] or 0))
    return cells.frame.assign(facility=facility, community=row["community"], estate_id=row["estate_id"])


def _divide(units: boundaries.Units, estate: LargeEstate, sub: gpd.GeoDataFrame,
            method: DivisionMethod, spec: solver.Spec, *, progress: Progress) -> tuple[Division, gpd.GeoDataFrame]:
    graph = boundaries.build_graph(gpd.GeoDataFrame(sub, geometry="geometry", crs=units.frame.crs))
    division_spec = replace(spec, districts="auto", group_attr=None, require_facility=False, distinct_from=(),
                            max_districts=None)
    reasons = solver.precheck(graph, division_spec)
    if reasons:
        raise InfeasibleError(f"{estate.excess_text()} cannot be divided along its {method.value} within the "
                              "rules:\n"
                              + "\n".join(f"  - {r}" for r in reasons))
    progress(f"dividing {estate.name} along its {len(sub)} {method.value}")
    plan = solver.solve(graph, division_spec)
    if plan.status in ("infeasible", "no-solution"):
        error = InfeasibleError if plan.status == "infeasible" else NoSolutionError
        raise error(f"{estate.excess_text()} cannot be divided along its {method.value}: "
                    + ("; ".join(plan.reasons) or plan.status))
    violations = solver.verify(graph, division_spec, plan.assignment)
    if violations:
        raise RuntimeError(f"the division of {estate.name} fails verification (a bug, please report): "
                           + "; ".join(violations))
    sub = sub.assign(part=sub["unit_id"].astype(str).map(plan.assignment))
    groups = [group for _, group in sub.groupby("part", sort=True)]
    shapes = [shapely.union_all(group.geometry.values) for group in groups]
    base = estate.unit_ids[0]
    rows, parts = [], []
    for number, index in enumerate(reading_order(shapes), start=1):
        group, shape = groups[index], shapes[index]
        name = f"{estate.name}（{ordinal_zh(number)}区）"
        unit_id = f"{base}-{number}"
        # a phase is named by its own name; a building cell by the population points in it
        members = tuple(m for n, points in zip(group["name"], group["points"]) for m in (points or [str(n)]))
        parts.append(EstatePart(unit_id=unit_id, name=name, population=float(group["population"].sum()),
                                households=float(group["households"].sum()), members=members))
        rows.append({"unit_id": unit_id, "kind": "estate", "name": name,
                     "population": float(group["population"].sum()), "households": float(group["households"].sum()),
                     "estate_id": unit_id, "group": None, "facility": int(group["facility"].sum()),
                     "community": group["community"].iloc[0], "area_m2": float(shape.area), "geometry": shape})
    progress(f"{estate.name} divided into {len(parts)} parts ({plan.status}): "
             + ", ".join(f"{p.name} {getattr(p, estate.attr):,.0f} {estate.attr}" for p in parts))
    division = Division(estate=estate, method=method, sub_units=len(sub), parts=tuple(parts), status=plan.status)
    return division, gpd.GeoDataFrame(rows, geometry="geometry", crs=units.frame.crs)


def _estates_layer(estates: gpd.GeoDataFrame, large: Sequence[LargeEstate], frame: gpd.GeoDataFrame,
                   parts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The estates layer with each divided estate replaced by its parts (for the map and the report)."""
    divided_units = {u for estate in large for u in estate.unit_ids}
    divided_ids = set(frame.loc[frame["unit_id"].astype(str).isin(divided_units), "estate_id"].dropna().astype(str))
    kept = estates[~estates["estate_id"].astype(str).isin(divided_ids)]
    added = gpd.GeoDataFrame({c: parts[c] if c in parts else None for c in estates.columns if c != estates.geometry.name},
                             geometry=list(parts.geometry), crs=estates.crs)
    added = added.rename_geometry(estates.geometry.name) if estates.geometry.name != "geometry" else added
    return gpd.GeoDataFrame(pd.concat([kept, added], ignore_index=True), geometry=estates.geometry.name,
                            crs=estates.crs)


def annotate(option: Any, divisions: Sequence[Division], profile_name: str) -> Any:
    """The pipeline's Option with each divided estate said where reviewers read: a general compliance row
    with the reason, a note on every new community holding a part, and the option's metrics."""
    if not divisions:
        return option
    notes = dict(option.notes)
    rows = []
    for division in divisions:
        rows.append({"district": None, "profile": profile_name, "rule": "楼盘划分 estate divided",
                     "required": f"≤ {division.estate.cap:,.0f}", "present": round(division.estate.size),
                     "ok": None, "note": division.note()})
        for part in division.parts:
            district = int(option.plan.assignment[part.unit_id])
            text = f"含{part.name}（{division.estate.excess_text()}，已划分）"
            notes[district] = f"{notes[district]}；{text}" if district in notes else text
    return replace(option, compliance=[*option.compliance, *rows], notes=notes,
                   metrics=dict(option.metrics) | {"divided_estates": [d.note() for d in divisions]})
