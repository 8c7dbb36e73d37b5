"""The shipped synthetic sample: it looks like the real problem and is exactly what the seeded script makes.

Layout of the sample (north up; not to scale):

    +-----------------------+-----------+
    |  翠峰社区 (oversized)  |  榕湖社区  |     ~ river 东引运河 through the west of 翠峰
    |   NW  | 东城大道 |  NE  |           |     = main roads cut 翠峰 into four quarters
    |=======莞樟路=============|===========|
    |   SW  |        |  SE  |           |
    +-----------------------+-----------+
    |            新围社区                 |
    +-----------------------------------+
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from redistrict.sample import SAMPLE_COMMUNITY, SAMPLE_CRS, SAMPLE_LAYERS, sample_paths
from redistrict.sample.checks import layer_problems, read_layers
from redistrict.sample.generate import SECTOR_ROADS, anchor_xy, generate_sample, main

CAP = 30_000


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return read_layers(sample_paths())


@pytest.fixture(scope="module")
def community(layers):
    frame = layers["communities"]
    return frame.geometry[frame.name == SAMPLE_COMMUNITY].iloc[0]


@pytest.fixture(scope="module")
def estates(layers, community):
    frame = layers["estates"]
    return frame[frame.within(community)]


@pytest.fixture(scope="module")
def points(layers, community):
    frame = layers["population"]
    return frame[frame.within(community)]


def test_sample_paths_lists_the_five_layers_in_the_package():
    paths = sample_paths()
    assert tuple(paths) == SAMPLE_LAYERS == ("communities", "estates", "population", "roads", "facilities")
    for layer, path in paths.items():
        assert path.is_file() and path.name == f"{layer}.geojson"
        assert path.parent.parent.name == "sample"
    assert (paths["communities"].parent / "README.md").is_file()


def test_every_invariant_of_generated_data_holds():
    assert layer_problems(sample_paths()) == []


def test_crs_is_recorded_as_epsg_4547_and_read_back_by_gdal(layers):
    for layer, frame in layers.items():
        assert frame.crs is not None and frame.crs.to_epsg() == 4547, layer
        raw = json.loads(sample_paths()[layer].read_text(encoding="utf-8"))
        assert raw["crs"]["properties"]["name"].endswith("EPSG::4547"), layer
        assert "synthetic" in raw["description"].lower(), layer
    assert SAMPLE_CRS == "EPSG:4547"


def test_the_sample_lies_in_dongcheng_dongguan(layers):
    x, y = anchor_xy()
    # pyproj: lon 113.77, lat 23.02 -> about (476,423, 2,546,771) in zone 38.
    assert abs(x - 476_420) <= 10 and abs(y - 2_546_770) <= 10
    bounds = layers["communities"].total_bounds
    assert 470_000 < bounds[0] < bounds[2] < 485_000
    assert 2_540_000 < bounds[1] < bounds[3] < 2_552_000
    back = layers["communities"].to_crs("EPSG:4326").total_bounds
    assert 113.7 < back[0] < back[2] < 113.9 and 22.95 < back[1] < back[3] < 23.1


def test_communities_are_marked_synthetic_and_one_is_oversized(layers):
    frame = layers["communities"]
    assert set(frame.columns) >= {"name", "code", "source", "geometry"}
    assert (frame.source == "synthetic sample, redistrict").all()
    assert frame.code.str.fullmatch(r"\d{12}").all()
    totals = gpd.sjoin(layers["population"], frame, predicate="within").groupby("name").population.sum()
    assert SAMPLE_COMMUNITY in totals.index and len(totals) == 3
    assert 70_000 <= totals[SAMPLE_COMMUNITY] <= 100_000
    assert all(totals[name] < 25_000 for name in totals.index if name != SAMPLE_COMMUNITY)
    assert totals.sum() == layers["population"].population.sum()
    assert frame.geometry[frame.name == SAMPLE_COMMUNITY].iloc[0].geom_type == "Polygon"
    assert 2e6 <= frame.geometry[frame.name == SAMPLE_COMMUNITY].iloc[0].area <= 6e6


def test_oversized_community_has_many_estates_of_very_different_sizes(estates, points):
    assert 30 <= len(estates) <= 80
    assert estates.population.min() >= 300 and estates.population.min() <= 500
    assert 9_000 <= estates.population.max() <= 12_000
    assert estates.name.is_unique and estates.name.str.len().min() >= 3
    phases = estates.dropna(subset=["group"])
    assert phases.group.nunique() >= 2 and (phases.groupby("group").size() >= 2).all()
    for group, members in phases.groupby("group"):
        assert members.name.str.startswith(group).all()
        # Phases of one development lie side by side (only a lane between them).
        assert max(a.distance(b) for a in members.geometry for b in members.geometry) < 600, group
    remaining = 1 - estates.population.sum() / points.population.sum()
    assert 0.15 <= remaining <= 0.30


def test_buildings_carry_persons_and_households(points, estates):
    assert 300 <= len(points) <= 5_000
    assert (points.population >= 1).all() and (points.households >= 1).all()
    assert (points.households <= points.population).all()
    ratio = points.population.sum() / points.households.sum()
    assert 1.95 <= ratio <= 3.0
    per_building = points.population / points.households
    assert per_building.min() < 2.0 and per_building.max() > 5.0  # rental housing and dormitories
    outside = points[~points.within(shapely.union_all(list(estates.geometry)))]
    assert len(outside) > 100 and outside.building.str.contains("村|路|道").all()


def test_estate_register_equals_its_buildings(layers):
    joined = gpd.sjoin(layers["population"], layers["estates"], predicate="within")
    sums = joined.groupby("name")[["population_left", "households_left"]].sum()
    register = layers["estates"].set_index("name")
    assert (sums.population_left == register.population[sums.index]).all()
    assert (sums.households_left == register.households[sums.index]).all()
    assert set(sums.index) == set(register.index)


def test_estates_are_valid_disjoint_and_off_roads(layers, estates, community):
    assert estates.is_valid.all() and (estates.geom_type == "Polygon").all()
    union = shapely.union_all(list(estates.geometry))
    assert union.area == pytest.approx(estates.area.sum(), rel=1e-9)
    assert not estates.intersects(shapely.union_all(list(layers["roads"].geometry))).any()
    remaining = community.difference(union)
    assert remaining.geom_type == "Polygon"  # the land between estates connects them all


def test_roads_are_named_with_a_river_and_crossing_main_roads(layers, community):
    roads = layers["roads"]
    assert set(roads.kind) == {"road", "river"}
    assert (roads.geom_type == "LineString").all() and roads.name.str.len().min() >= 2
    assert set(roads.name[roads.kind == "river"]) == {"东引运河"}
    assert {"东城大道", "莞樟路", "旗峰路"} <= set(roads.name)
    assert roads.name[roads.kind == "road"].nunique() >= 10
    for name in SECTOR_ROADS:
        pieces = community.difference(shapely.union_all(list(roads.geometry[roads.name == name].buffer(0.5))))
        assert len(getattr(pieces, "geoms", [pieces])) == 2, f"{name} does not cross the whole community"


def test_community_splits_into_four_contiguous_quarters_under_the_cap(layers, community, points, estates):
    roads = layers["roads"]
    lines = shapely.union_all(list(roads.geometry[roads.name.isin(SECTOR_ROADS)].buffer(0.5)))
    quarters = list(community.difference(lines).geoms)
    assert len(quarters) == 4
    populations = [int(points.population[points.within(quarter)].sum()) for quarter in quarters]
    assert sum(populations) == points.population.sum()
    assert max(populations) <= CAP
    assert sum(populations) > 2 * CAP  # three new communities at least
    assert all(any(estate.within(quarter) for quarter in quarters) for estate in estates.geometry)


def test_facilities_are_service_centres_inside(layers, community):
    facilities = layers["facilities"]
    inside = facilities[facilities.within(community)]
    assert 2 <= len(inside) <= 4
    assert inside.name.str.contains("党群服务中心").sum() == 1
    assert inside.name.str.endswith("服务站").sum() == len(inside) - 1
    assert (facilities.area_m2 > 0).all() and facilities.area_m2.dtype.kind == "i"


def test_files_are_small_with_coordinates_rounded():
    sizes = {layer: path.stat().st_size for layer, path in sample_paths().items()}
    assert sum(sizes.values()) < 1_500_000
    raw = json.loads(sample_paths()["population"].read_text(encoding="utf-8"))
    for feature in raw["features"][:50]:
        for value in feature["geometry"]["coordinates"]:
            assert round(value, 1) == value


def test_regeneration_is_byte_identical(tmp_path: Path):
    paths = generate_sample(tmp_path)
    shipped = sample_paths()
    assert set(paths) == set(shipped)
    for layer, path in paths.items():
        assert path.read_bytes() == shipped[layer].read_bytes(), layer
    readme = shipped["communities"].parent / "README.md"
    assert (tmp_path / "README.md").read_bytes() == readme.read_bytes()
    assert "SYNTHETIC" in readme.read_text(encoding="utf-8")
    assert "python -m redistrict.sample.generate" in readme.read_text(encoding="utf-8")


def test_another_seed_gives_another_sample(tmp_path: Path):
    assert main(["--out", str(tmp_path), "--seed", "7"]) == 0
    assert (tmp_path / "estates.geojson").read_bytes() != sample_paths()["estates"].read_bytes()
    assert layer_problems({layer: tmp_path / f"{layer}.geojson" for layer in SAMPLE_LAYERS}) == []
