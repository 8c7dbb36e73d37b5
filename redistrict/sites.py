"""Per new community: where its service site (党群服务中心) is, and how much room it has under each rule.

The site is an existing facility inside the community when there is one (the largest by floor area, then
by name); otherwise it is proposed at the solver's centre unit (the unit the inertia objective measures
distances to), or, for a plan the solver did not make, at the unit nearest the community's population
centroid. The point lies inside the community: a facility within its units, or a point inside the unit.

Headroom is the limit minus the value for a maximum and the value minus the limit for a minimum (negative:
the rule is broken by that much), for the run's own cap and floor and every other limit of the profile.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import geopandas as gpd
import networkx as nx
import pandas as pd

import solver
from redistrict.profiles import Profile

EXISTING = "existing facility"
WGS84 = "EPSG:4326"
_LIMIT_NAMES = {
    ("population", "max"): "常住人口上限 max residents", ("population", "min"): "常住人口下限 min residents",
    ("households", "max"): "户数上限 max households", ("households", "min"): "户数下限 min households",
}


def service_sites(assigned: gpd.GeoDataFrame, plan: solver.Plan, graph: nx.Graph,
                  facilities: gpd.GeoDataFrame | None) -> dict[int, dict[str, Any]]:
    """{district: {name, kind, unit_id, lon, lat}} for every district of ``assigned`` (units with
    ``district``, projected)."""
    inside = _facilities_by_district(assigned, facilities)
    sites: dict[int, dict[str, Any]] = {}
    for district, part in assigned.groupby("district", sort=True):
        d = int(district)
        if d in inside:
            name, point, unit_id = inside[d]
            kind = EXISTING
        else:
            unit_id = _centre_unit(part, plan.centres.get(d), graph)
            unit = part.loc[part["unit_id"].astype(str) == unit_id].iloc[0]
            name = str(unit["name"])
            point = unit.geometry.representative_point()
            kind = f"proposed at unit {name} ({unit_id})"
        lonlat = gpd.GeoSeries([point], crs=assigned.crs).to_crs(WGS84).iloc[0]
        sites[d] = {"name": name, "kind": kind, "unit_id": unit_id,
                    "lon": round(float(lonlat.x), 7), "lat": round(float(lonlat.y), 7)}
    return sites


def _facilities_by_district(assigned: gpd.GeoDataFrame,
                            facilities: gpd.GeoDataFrame | None) -> dict[int, tuple[str, Any, str]]:
    """{district: (facility name, its point, unit id holding it)} for the best facility of each district."""
    if facilities is None or facilities.empty:
        return {}
    points = facilities.to_crs(assigned.crs)
    points = gpd.GeoDataFrame({
        "facility_name": points["name"].astype(str) if "name" in points.columns else "",
        "area_m2": pd.to_numeric(points["area_m2"], errors="coerce") if "area_m2" in points.columns else math.nan,
    }, geometry=points.geometry.representative_point(), crs=assigned.crs)
    joined = gpd.sjoin(points, assigned[["unit_id", "district", "geometry"]], how="inner", predicate="within")
    best: dict[int, tuple[str, Any, str]] = {}
    ordered = joined.assign(_area=joined["area_m2"].fillna(-1.0)).sort_values(
        ["district", "_area", "facility_name"], ascending=[True, False, True], kind="stable")
    for row in ordered.itertuples(index=False):
        best.setdefault(int(row.district), (str(row.facility_name), row.geometry, str(row.unit_id)))
    return best


def _centre_unit(part: gpd.GeoDataFrame, centre: str | None, graph: nx.Graph) -> str:
    ids = [str(u) for u in part["unit_id"]]
    if centre is not None and str(centre) in ids:
        return str(centre)
    people = [float(graph.nodes[u].get("population", 0) or 0) for u in ids]
    xs = [float(graph.nodes[u]["x"]) for u in ids]
    ys = [float(graph.nodes[u]["y"]) for u in ids]
    weight = sum(people)
    if weight > 0:
        mx, my = sum(p * x for p, x in zip(people, xs)) / weight, sum(p * y for p, y in zip(people, ys)) / weight
    else:
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    # ties go to the smaller unit id, as the solver's centres do
    return min(zip(ids, xs, ys), key=lambda t: ((t[1] - mx) ** 2 + (t[2] - my) ** 2, t[0]))[0]


def limits(spec: solver.Spec, profile: Profile) -> list[tuple[str, str, str, float]]:
    """(attribute, 'max' | 'min', name, limit): the run's cap and floor first, then the profile's others."""
    found = [(spec.population_attr, "max", float(spec.max_population))]
    if spec.min_population:
        found.append((spec.population_attr, "min", float(spec.min_population)))
    for attr, bound, value in (("population", "max", profile.max_population),
                               ("population", "min", profile.min_population),
                               ("households", "max", profile.max_households),
                               ("households", "min", profile.min_households)):
        if value is not None and not any(a == attr and b == bound for a, b, _ in found):
            found.append((attr, bound, float(value)))
    return [(a, b, _LIMIT_NAMES.get((a, b), f"{b} {a}"), v) for a, b, v in found]


def headroom(stats: Mapping[str, Any], rules: list[tuple[str, str, str, float]]) -> list[dict[str, Any]]:
    """Rows {rule, limit, value, headroom} for one community's ``stats`` row."""
    rows = []
    for attr, bound, name, limit in rules:
        value = float(stats[attr])
        room = limit - value if bound == "max" else value - limit
        rows.append({"rule": name, "attribute": attr, "bound": bound, "limit": limit, "value": value,
                     "headroom": room})
    return rows
