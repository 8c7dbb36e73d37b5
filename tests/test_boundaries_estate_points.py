"""Estates given as points: each becomes an estate with a derived, approximate area (Voronoi cell ∩ road
block ∩ disc), also from a crawled CSV in BD-09; the same table can be the population layer."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

import boundaries
from boundaries.datum import wgs84_to_bd09
from boundaries.estate_points import DERIVED_SOURCE, EstateAreaRule
from redistrict.sample import SAMPLE_COMMUNITY, sample_paths


@pytest.fixture(scope="module")
def sample():
    return {role: gpd.read_file(path) for role, path in sample_paths().items()}


def as_points(estates):
    points = estates.copy()
    points["geometry"] = estates.geometry.representative_point()
    return points


def crawled_csv(points, path, forward=wgs84_to_bd09):
    """The points as a crawled table: name, counts and web-map lon/lat (BD-09 by default)."""
    lonlat = points.to_crs(4326)
    lon, lat = forward(lonlat.geometry.x.to_numpy(), lonlat.geometry.y.to_numpy())
    table = lonlat.drop(columns="geometry").assign(经度=lon, 纬度=lat)
    table[["name", "households", "population", "经度", "纬度"]].to_csv(path, index=False)
    return str(path)


def test_estate_points_become_disjoint_approximate_areas_inside_their_road_blocks(sample):
    points = as_points(sample["estates"])
    layers = boundaries.load_layers(communities=sample["communities"], estates=points,
                                    population=sample["population"], roads=sample["roads"])
    estates = layers.estates
    assert len(estates) == len(points) and estates["approximate"].all()
    assert estates["geometry_source"].str.startswith(DERIVED_SOURCE).all()
    geoms = estates.geometry.values
    assert shapely.intersects(geoms, shapely.points(shapely.get_coordinates(points.geometry.values))).all()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert pairs.any() and overlap.max() < 1e-6  # Voronoi cells: neighbours touch, never overlap
    rule = EstateAreaRule()
    for geom, households in zip(geoms, estates["households"]):
        assert geom.area <= math.pi * rule.radius_m(households) ** 2 + 1.0
    cut = shapely.difference(geoms, shapely.buffer(layers.roads.union_all(), 0.5))
    assert (shapely.get_num_geometries(cut) == 1).all()  # no road or river runs through a derived estate
    assert any("turned into approximate areas" in note for note in layers.notes)
    units = boundaries.build_units(layers, SAMPLE_COMMUNITY)
    assert units.population_in == units.population_out
    assert units.frame.loc[units.frame["kind"] == "estate", "approximate"].all()
    assert not units.frame.loc[units.frame["kind"] == "block", "approximate"].any()


def test_a_crawled_bd09_table_serves_as_estates_and_population(sample, tmp_path):
    community = sample["communities"].loc[sample["communities"]["name"] == SAMPLE_COMMUNITY].union_all()
    mine = sample["estates"][sample["estates"].representative_point().within(community)]
    path = crawled_csv(as_points(mine), tmp_path / "小区.csv")
    layers = boundaries.load_layers(communities=sample["communities"], estates=path, population=path,
                                    roads=sample["roads"], datum={"estates": "bd09", "population": "bd09"})
    assert boundaries.inspect_layers(layers).ok
    assert (layers.population["counted_from"] == "points").all()  # every estate holds its own point
    units = boundaries.build_units(layers, SAMPLE_COMMUNITY)
    estates = units.frame[units.frame["kind"] == "estate"].set_index("name")
    stated = mine.set_index("name")
    inside = stated.index.intersection(estates.index)
    assert len(inside) == len(stated)
    assert np.allclose(estates.loc[inside, "population"], stated.loc[inside, "population"])
    assert units.population_in == units.population_out == pytest.approx(stated.loc[inside, "population"].sum())


def test_points_at_one_spot_become_one_estate_with_summed_counts(sample):
    points = as_points(sample["estates"]).iloc[:6].reset_index(drop=True)
    points.loc[1, "geometry"] = points.geometry.iloc[0]
    layers = boundaries.load_layers(communities=sample["communities"], estates=points,
                                    population=sample["population"])
    joined = f"{points['name'].iloc[0]}、{points['name'].iloc[1]}"
    assert joined in layers.estates["name"].tolist() and len(layers.estates) == 5
    row = layers.estates.set_index("name").loc[joined]
    assert row["households"] == points["households"].iloc[:2].sum()
    assert any("share one spot" in p.message for p in layers.problems)


def test_one_table_declared_in_a_datum_for_one_layer_only_is_refused(sample, tmp_path):
    path = crawled_csv(as_points(sample["estates"].iloc[:12]), tmp_path / "小区.csv")
    layers = boundaries.load_layers(communities=sample["communities"], estates=path, population=path,
                                    datum={"estates": "bd09"})
    found = [p for p in boundaries.inspect_layers(layers).errors if "same file" in p.message]
    assert found and found[0].hint == "declare it for every layer it serves: --datum population=bd09"


def test_a_header_that_names_the_datum_must_agree_with_the_declaration(sample, tmp_path):
    path = crawled_csv(as_points(sample["estates"].iloc[:12]), tmp_path / "小区.csv")
    table = __import__("pandas").read_csv(path).rename(columns={"经度": "百度经度", "纬度": "百度纬度"})
    table.to_csv(path, index=False)
    with pytest.raises(boundaries.InputError, match=r"百度经度/百度纬度 name BD09.*declare it: --datum estates=bd09"):
        boundaries.load_layers(communities=sample["communities"], estates=path, population=sample["population"])
    layers = boundaries.load_layers(communities=sample["communities"], estates=path,
                                    population=sample["population"], datum={"estates": "bd09"})
    assert layers.sources["estates"]["datum_in_header"] == "bd09" and len(layers.estates) == 12
