"""Invariants every generated data set must satisfy (checked after writing, and by the tests).

``layer_problems(paths)`` reads the written files back through GDAL and lists every broken invariant,
naming the estate, building or community concerned; an empty list means the data is sound.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from redistrict.sample import SAMPLE_CRS
from redistrict.sample.build import ESTATE_MAX_POPULATION

EXPECTED_GEOMETRY = {
    "communities": "Polygon",
    "estates": "Polygon",
    "population": "Point",
    "roads": "LineString",
    "facilities": "Point",
}


def read_layers(paths: dict[str, Path]) -> dict[str, gpd.GeoDataFrame]:
    return {layer: gpd.read_file(paths[layer], engine="pyogrio") for layer in EXPECTED_GEOMETRY}


def _first(values: pd.Series, limit: int = 5) -> str:
    items = [str(value) for value in values.head(limit)]
    more = len(values) - limit
    return ", ".join(items) + (f" and {more} more" if more > 0 else "")


def layer_problems(paths: dict[str, Path]) -> list[str]:
    """Every broken invariant of a generated data set (empty when sound)."""
    layers = read_layers(paths)
    problems: list[str] = []
    for layer, frame in layers.items():
        if frame.crs is None or frame.crs.to_epsg() != int(SAMPLE_CRS.split(":")[1]):
            problems.append(f"{layer}: CRS is {frame.crs}, expected {SAMPLE_CRS}")
        kinds = set(frame.geom_type)
        if kinds - {EXPECTED_GEOMETRY[layer]}:
            problems.append(f"{layer}: geometry types {sorted(kinds)}, expected {EXPECTED_GEOMETRY[layer]}")
        invalid = frame[~frame.is_valid]
        if len(invalid):
            problems.append(f"{layer}: {len(invalid)} invalid geometries (rows {_first(pd.Series(invalid.index))})")
    if problems:
        return problems
    communities, estates, points = layers["communities"], layers["estates"], layers["population"]
    roads, facilities = layers["roads"], layers["facilities"]

    if communities.name.duplicated().any():
        problems.append(f"communities: duplicate names {_first(communities.name[communities.name.duplicated()])}")
    pairs = communities.sindex.query(communities.geometry, predicate="intersects")
    for left, right in zip(*pairs):
        if left < right:
            overlap = communities.geometry.iloc[left].intersection(communities.geometry.iloc[right]).area
            if overlap > 1.0:
                problems.append(
                    f"communities {communities.name.iloc[left]} and {communities.name.iloc[right]} "
                    f"overlap by {overlap:.1f} m²"
                )

    named = communities[["name", "geometry"]].rename(columns={"name": "community"})
    home = gpd.sjoin(estates, named, predicate="within")
    lost = estates.index.difference(home.index)
    if len(lost):
        problems.append(f"estates outside every community: {_first(estates.name[lost])}")
    pairs = estates.sindex.query(estates.geometry, predicate="intersects")
    touching = [(a, b) for a, b in zip(*pairs) if a < b]
    if touching:
        problems.append(
            "estates overlap or touch: "
            + ", ".join(f"{estates.name.iloc[a]}/{estates.name.iloc[b]}" for a, b in touching[:5])
        )
    if estates.name.duplicated().any():
        problems.append(f"estates: duplicate names {_first(estates.name[estates.name.duplicated()])}")
    crossed = gpd.sjoin(estates, roads[["name", "geometry"]].rename(columns={"name": "road"}), predicate="intersects")
    if len(crossed):
        problems.append(
            "estates crossed by a road or river: "
            + ", ".join(f"{row.name} by {row.road}" for row in crossed.head(5).itertuples())
        )
    too_big = estates[estates.population > ESTATE_MAX_POPULATION]
    if len(too_big):
        problems.append(f"estates over {ESTATE_MAX_POPULATION} residents: {_first(too_big.name)}")

    bad_points = points[(points.population < 1) | (points.households < 1) | (points.households > points.population)]
    if len(bad_points):
        problems.append(f"buildings with impossible persons/households: {_first(bad_points.building)}")
    placed = gpd.sjoin(points, communities[["geometry"]], predicate="within")
    if placed.index.duplicated().any() or len(placed.index.unique()) != len(points):
        problems.append(f"{len(points) - len(placed.index.unique())} buildings outside every community (or in two)")
    estate_names = estates[["name", "geometry"]].rename(columns={"name": "estate"})
    in_estates = gpd.sjoin(points, estate_names, predicate="within")
    if in_estates.index.duplicated().any():
        problems.append("buildings inside two estates")
    sums = in_estates.groupby("estate")[["population", "households"]].sum()
    register = estates.set_index("name")[["population", "households"]]
    joined = register.join(sums.add_suffix("_points")).fillna(0)
    wrong = joined[(joined.population != joined.population_points) | (joined.households != joined.households_points)]
    if len(wrong):
        problems.append(f"estate totals differ from their buildings' sums: {_first(pd.Series(wrong.index))}")

    for community in communities.itertuples():
        inside = estates.geometry[home.index[home.community == community.name]]
        remaining = community.geometry.difference(shapely.union_all(list(inside)))
        if remaining.geom_type != "Polygon":
            problems.append(f"community {community.name}: the land between its estates is not one piece")
        if not facilities.within(community.geometry).any():
            problems.append(f"community {community.name}: no service facility")
    if (facilities.area_m2 <= 0).any():
        problems.append(f"facilities without floor area: {_first(facilities.name[facilities.area_m2 <= 0])}")
    if set(roads.kind) - {"road", "river"}:
        problems.append(f"roads: unknown kinds {sorted(set(roads.kind) - {'road', 'river'})}")
    return problems
