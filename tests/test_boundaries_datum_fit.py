"""Undeclared GCJ-02 / BD-09 layers are refused with the --datum fix; correct data is never refused.

The sample's population points (Dongguan, EPSG:4547) are moved by the real forward transforms, as a web
map would publish them; the detector must name the datum and the flag that fixes it.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import boundaries
from boundaries.datum import wgs84_to_bd09, wgs84_to_gcj02
from boundaries.datum_fit import DatumFitRules, undeclared_datum_problems
from redistrict.sample import sample_paths


@pytest.fixture(scope="module")
def sample():
    return {role: gpd.read_file(path) for role, path in sample_paths().items()}


def published(frame, forward):
    """The frame in lon/lat as a web map publishes it."""
    lonlat = frame.to_crs(4326)

    def move(xy):
        return np.column_stack(forward(xy[:, 0], xy[:, 1]))

    return lonlat.set_geometry(shapely.transform(lonlat.geometry.values, move), crs=4326)


def load(sample, **override):
    given = {role: sample[role] for role in ("communities", "estates", "population", "facilities")}
    datum = override.pop("datum", None)
    return boundaries.load_layers(**(given | override), datum=datum)


def offset_errors(layers):
    return undeclared_datum_problems(layers)


def test_clean_sample_and_its_lonlat_copy_raise_no_alarm(sample):
    assert undeclared_datum_problems(load(sample)) == []
    assert undeclared_datum_problems(load(sample, population=sample["population"].to_crs(4326))) == []


@pytest.mark.parametrize("datum, forward, label", [("gcj02", wgs84_to_gcj02, "GCJ-02"),
                                                   ("bd09", wgs84_to_bd09, "BD-09")])
def test_undeclared_web_map_points_are_refused_with_the_flag(sample, datum, forward, label):
    points = published(sample["population"], forward)
    found = offset_errors(load(sample, population=points))
    assert len(found) == 1 and found[0].layer == "population"
    assert label in found[0].message and found[0].hint == f"declare the datum: --datum population={datum}"
    assert offset_errors(load(sample, population=points, datum={"population": datum})) == []


def test_caught_even_when_every_shifted_point_still_lies_in_a_community(sample):
    points = published(sample["population"], wgs84_to_gcj02)
    union = sample["communities"].union_all()
    inside = points[points.to_crs(sample["communities"].crs).within(union).to_numpy()]
    assert 0.8 * len(points) < len(inside) < len(points)
    layers = load(sample, population=inside)
    assert not any("outside every community" in p.message for p in boundaries.inspect_layers(layers).errors)
    found = offset_errors(layers)
    assert found and found[0].hint.endswith("--datum population=gcj02")


def test_declaring_the_wrong_datum_is_caught_too(sample):
    found = offset_errors(load(sample, population=sample["population"].to_crs(4326), datum={"population": "bd09"}))
    assert found and found[0].hint.endswith("--datum population=wgs84")


def test_polygons_from_a_web_map_are_named_when_the_points_are_true(sample):
    estates = published(sample["estates"], wgs84_to_gcj02)
    communities = published(sample["communities"], wgs84_to_gcj02)
    found = offset_errors(load(sample, estates=estates, communities=communities))
    assert found and found[0].hint == "declare the datum: --datum estates=gcj02 --datum communities=gcj02"


def test_a_few_points_are_never_significant(sample):
    few = published(sample["population"], wgs84_to_gcj02).iloc[::150]
    assert len(few) < 10
    assert undeclared_datum_problems(load(sample, population=few)) == []
    strict = DatumFitRules(min_points=1, min_z=50.0)
    many = published(sample["population"], wgs84_to_gcj02)
    assert undeclared_datum_problems(load(sample, population=many), strict) == []


def test_with_estates_derived_from_points_the_communities_are_the_reference(sample):
    estate_points = sample["estates"].copy()
    estate_points["geometry"] = estate_points.geometry.representative_point()
    layers = load(sample, estates=estate_points)
    assert layers.estates["approximate"].all() and undeclared_datum_problems(layers) == []
    found = undeclared_datum_problems(load(sample, estates=estate_points,
                                           population=published(sample["population"], wgs84_to_gcj02)))
    assert found and "inside an estate" not in found[0].message
    assert found[0].hint == "declare the datum: --datum population=gcj02"


def test_estates_alone_from_a_web_map_are_named(sample):
    found = offset_errors(load(sample, estates=published(sample["estates"], wgs84_to_bd09)))
    assert found and found[0].hint == "declare the datum: --datum estates=bd09"
