"""Estates that state their counts but hold no population point are counted from their attributes;
conflicts between attributes and points are warnings; population in = out throughout."""
from __future__ import annotations

import json

import numpy as np
import pytest

from boundaries import build_units, community_totals, inspect_layers, load_layers
from boundaries.population import ATTRIBUTE_SOURCE

from boundaries_fixtures import two_estates_layers

B = "碧桂园"  # estate B: 2 points × 150 people (50 households each); attributes 300 people, 100 households


def without_b_points(frames):
    points = frames["population"]
    frames["population"] = points[~points["population"].eq(150)].reset_index(drop=True)
    return frames


def test_estate_without_points_is_counted_from_its_attributes_and_recorded():
    layers = load_layers(**without_b_points(two_estates_layers()))
    made = layers.population[layers.population["counted_from"] == ATTRIBUTE_SOURCE]
    assert made["name"].tolist() == [B] and made["population"].tolist() == [300.0]
    assert made["households"].tolist() == [100.0]
    assert layers.sources["population"]["counted_from_estate_attributes"] == [B]
    assert any("counted from their own attributes" in note and B in note for note in layers.notes)
    report = inspect_layers(layers)
    assert report.ok, report
    json.dumps(report.to_dict())
    units = build_units(layers, "东城社区")
    b = units.frame[units.frame["name"] == B]
    assert b["population"].tolist() == [300.0] and b["households"].tolist() == [100.0]
    assert units.population_in == units.population_out == community_totals(layers)["population"].iloc[0]


def test_households_only_are_converted_with_the_points_persons_per_household():
    frames = without_b_points(two_estates_layers())
    frames["estates"].loc[1, "population"] = np.nan
    layers = load_layers(**frames)
    points = layers.population[layers.population["counted_from"] == "points"]
    inside = points["households"].notna() & (points["households"] > 0)
    ratio = points["population"][inside].sum() / points["households"][inside].sum()
    made = layers.population[layers.population["counted_from"] == ATTRIBUTE_SOURCE]
    assert made["population"].tolist() == [pytest.approx(100 * ratio)]
    assert any("persons per household" in note for note in layers.notes)


def test_estates_with_points_keep_them_and_a_conflict_is_only_a_warning():
    frames = two_estates_layers()
    frames["estates"].loc[1, "population"] = 3000  # its points say 300
    layers = load_layers(**frames)
    assert (layers.population["counted_from"] == "points").all()
    report = inspect_layers(layers)
    conflicts = [p for p in report.warnings if p.feature == B and "attributes say 3,000" in p.message]
    assert conflicts and report.ok
    units = build_units(layers, "东城社区")
    assert units.frame.loc[units.frame["name"] == B, "population"].tolist() == [300.0]
