"""A corpus of bad inputs, each giving its specific message; and the report object."""
from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, box

from boundaries import InputError, ValidationReport, build_units, community_totals, inspect_layers, load_layers

from boundaries_fixtures import CRS, shifted, two_estates_layers


def add_estate(frames, name, geom, **values):
    row = gpd.GeoDataFrame({"name": [name], **{k: [v] for k, v in values.items()}}, geometry=[geom], crs=CRS)
    frames["estates"] = gpd.GeoDataFrame(
        __import__("pandas").concat([frames["estates"], row], ignore_index=True), crs=CRS)
    return frames


def bow_tie(frames):
    # a boundary digitised in the wrong vertex order crosses itself:   0,0 → 40,40 → 40,0 → 0,40
    return add_estate(frames, "蝴蝶苑", shifted(Polygon([(250, 20), (290, 60), (290, 20), (250, 60)])))


def spike(frames):
    # a zero-width spike: invalid, but repairing it changes no area
    ring = [(250, 20), (290, 20), (290, 60), (290, 80), (290, 60), (250, 60)]
    return add_estate(frames, "尖角苑", shifted(Polygon(ring)))


def empty_estate(frames):
    return add_estate(frames, "空白苑", Polygon())


def duplicate_estate(frames):
    return add_estate(frames, "金地花园", frames["estates"].geometry.iloc[0], households=120, population=300)


def same_name(frames):
    return add_estate(frames, "碧桂园", shifted(box(250, 20, 290, 60)))


def overlapping(frames):
    return add_estate(frames, "重叠苑", shifted(box(150, 300, 190, 340)))  # 30 m × 40 m into 金地花园


def tiny_overlap(frames):
    return add_estate(frames, "贴边苑", shifted(box(179.9, 300, 195, 340)))  # 0.1 m × 40 m: digitising noise


def crossing(frames):
    return add_estate(frames, "越界苑", shifted(box(360, 20, 460, 60)))


def outside_estate(frames):
    return add_estate(frames, "飞地苑", shifted(box(1000, 1000, 1050, 1050)))


def negative_count(frames):
    frames["population"].loc[0, "population"] = -5
    return frames


def text_count(frames):
    points = frames["population"]
    points["population"] = points["population"].astype(object)
    points.loc[1, "population"] = "约300"
    points.loc[2, "population"] = "1,200"  # thousands separator: read as 1200, no problem
    return frames


def missing_count(frames):
    points = frames["population"]
    points["population"] = points["population"].astype(float)
    points.loc[3, "population"] = float("nan")
    return frames


def estate_without_population(frames):
    return add_estate(frames, "未入住苑", shifted(box(250, 20, 290, 60)))


def attribute_mismatch(frames):
    frames["estates"].loc[1, "population"] = 3000  # points say 300
    return frames


def points_mostly_outside(frames):
    far = frames["population"].copy()
    far["geometry"] = far.geometry.translate(5000, 0)
    frames["population"] = gpd.GeoDataFrame(__import__("pandas").concat([frames["population"], far]),
                                            crs=CRS).reset_index(drop=True)
    return frames


def overlapping_communities(frames):
    other = gpd.GeoDataFrame({"name": ["西城社区"], "code": ["441900002"]},
                             geometry=[shifted(box(300, 0, 700, 400))], crs=CRS)
    frames["communities"] = gpd.GeoDataFrame(__import__("pandas").concat([frames["communities"], other]),
                                             crs=CRS).reset_index(drop=True)
    return frames


def duplicate_points(frames):
    frames["population"] = gpd.GeoDataFrame(
        __import__("pandas").concat([frames["population"], frames["population"].iloc[[0]]]),
        crs=CRS).reset_index(drop=True)
    return frames


CORPUS = [
    (bow_tie, "error", "蝴蝶苑", r"self-crossing \(bow-tie\).*make_valid into 2 part"),
    (spike, "warning", "尖角苑", r"invalid geometry .* repaired with make_valid \(area unchanged"),
    (empty_estate, "error", "空白苑", r"empty geometry"),
    (duplicate_estate, "error", "金地花园", r"2 features have the same geometry"),
    (same_name, "warning", "碧桂园", r"2 features share this name"),
    (overlapping, "error", "金地花园", r"overlaps «重叠苑» by 1,200 m²"),
    (tiny_overlap, "warning", None, r"1 small overlap\(s\) under 20 m²"),
    (crossing, "error", "越界苑", r"crosses the boundary of «东城社区»: 2,400 m² \(60%\) lies outside it"),
    (outside_estate, "error", "飞地苑", r"lies outside every community"),
    (negative_count, "error", "楼1 (row 1)", r"population \(population\) is negative: -5"),
    (text_count, "error", "楼2 (row 2)", r"population \(population\) is not a number: '约300'"),
    (missing_count, "error", "楼4 (row 4)", r"population \(population\) is missing for 1 feature"),
    (estate_without_population, "warning", "未入住苑", r"has no population \(no points inside"),
    (attribute_mismatch, "warning", "碧桂园", r"attributes say 3,000 people, its points sum to 300"),
    (points_mostly_outside, "error", None, r"14 point\(s\) with 769 people \(50.5%\) lie outside every community"),
    (overlapping_communities, "error", "东城社区", r"overlaps «西城社区» by 40,000 m²"),
    (duplicate_points, "warning", "P001", r"1 point\(s\) repeat another point exactly"),
]


@pytest.mark.parametrize("mutate, severity, feature, pattern", CORPUS, ids=[c[0].__name__ for c in CORPUS])
def test_each_bad_input_gives_its_specific_message(mutate, severity, feature, pattern):
    layers = load_layers(**mutate(two_estates_layers()))
    report = inspect_layers(layers)
    matching = [p for p in report.problems if __import__("re").search(pattern, p.message)]
    assert matching, f"no problem matches {pattern!r}; got:\n{report}"
    problem = matching[0]
    assert problem.severity == severity
    assert problem.feature == feature
    assert problem.hint  # every problem says what to do
    if severity == "error":
        assert not report.ok
        with pytest.raises(InputError, match=__import__("re").escape(problem.message[:30])):
            report.raise_for_errors()


@pytest.mark.parametrize("mutate", [c[0] for c in CORPUS], ids=[c[0].__name__ for c in CORPUS])
def test_population_is_conserved_on_every_corpus_input(mutate):
    layers = load_layers(**mutate(two_estates_layers()))
    totals = community_totals(layers)
    units = build_units(layers, "东城社区")
    assert units.population_in == units.population_out
    assert units.households_in == units.households_out
    assert units.frame["population"].sum() == pytest.approx(units.population_in)
    assert units.population_in == totals.set_index("community_id").loc["441900001", "population"]
    assert units.frame["unit_id"].is_unique


def test_the_clean_fixture_has_no_errors_and_its_two_warnings_name_the_points():
    report = inspect_layers(load_layers(**two_estates_layers()))
    assert report.ok and not report.errors
    messages = [str(p) for p in report.warnings]
    assert any("楼13" in m and "outside every community" in m for m in messages)
    assert any("楼12" in m and "counted in the nearest community" in m for m in messages)


def test_every_problem_is_reported_at_once_and_as_json():
    frames = two_estates_layers()
    for mutate in (bow_tie, overlapping, negative_count, crossing):
        frames = mutate(frames)
    report = inspect_layers(load_layers(**frames))
    assert len(report.errors) >= 4
    assert [p.severity for p in report.problems] == sorted(p.severity for p in report.problems)  # errors first
    data = json.loads(report.to_json())
    assert data["ok"] is False and data["errors"] == len(report.errors)
    assert {"severity", "layer", "feature", "message", "hint"} <= set(data["problems"][0])
    assert "蝴蝶苑" in report.to_json()  # Chinese kept readable
    with pytest.raises(InputError) as caught:
        report.raise_for_errors()
    assert caught.value.problems[:-1] == list(report.errors)  # then one line: what --repair would fix
    assert "--repair would fix 2 of these 4 error(s)" in str(caught.value.problems[-1])
    assert isinstance(caught.value, ValueError)
    assert repr(report).startswith("<ValidationReport:")


def test_empty_report_is_ok():
    report = ValidationReport(())
    assert report.ok and report.to_dict() == {"ok": True, "errors": 0, "warnings": 0, "problems": [],
                                                 "repairs": []}
    report.raise_for_errors()


def test_missing_households_field_is_a_warning_and_counts_stay_numbers():
    frames = two_estates_layers()
    frames["population"] = frames["population"].drop(columns=["households"])
    layers = load_layers(**frames)
    report = inspect_layers(layers)
    assert any("no households field" in p.message for p in report.warnings)
    units = build_units(layers, "东城社区")
    assert units.households_in == units.households_out == 0.0


def test_estate_on_a_point_layer_is_refused_per_feature():
    frames = two_estates_layers()
    frames = add_estate(frames, "点状苑", shifted(Point(300, 50)))
    report = inspect_layers(load_layers(**frames))
    assert any(p.feature == "点状苑" and "is a Point, not an area" in p.message for p in report.errors)
