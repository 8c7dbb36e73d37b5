"""The synthetic city generator: adjacent communities, the requested number oversized, deterministic."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import pytest
from shapely.affinity import translate

from redistrict.sample import SAMPLE_LAYERS
from redistrict.sample.checks import layer_problems, read_layers
from redistrict.sample.city import build_city, generate_city, main

CAP = 30_000


@pytest.fixture(scope="module")
def small_city(tmp_path_factory) -> dict[str, Path]:
    return generate_city(tmp_path_factory.mktemp("city"), communities=12, oversized=3, seed=5)


@pytest.fixture(scope="module")
def city_layers(small_city) -> dict[str, gpd.GeoDataFrame]:
    return read_layers(small_city)


@pytest.fixture(scope="module")
def totals(city_layers):
    joined = gpd.sjoin(city_layers["population"], city_layers["communities"], predicate="within")
    return joined.groupby("name").population.sum()


def test_writes_the_five_layers_with_their_fields(small_city, city_layers):
    assert tuple(small_city) == SAMPLE_LAYERS
    expected = {
        "communities": {"name", "code", "source"},
        "estates": {"name", "group", "households", "population"},
        "population": {"population", "households", "building"},
        "roads": {"name", "kind"},
        "facilities": {"name", "area_m2"},
    }
    for layer, fields in expected.items():
        assert set(city_layers[layer].columns) == fields | {"geometry"}, layer
        assert city_layers[layer].crs.to_epsg() == 4547
    assert layer_problems(small_city) == []


def test_exactly_the_requested_communities_are_oversized(city_layers, totals):
    assert len(city_layers["communities"]) == 12 and len(totals) == 12
    over = totals[totals > CAP]
    assert len(over) == 3
    assert over.between(35_000, 90_000).all()
    assert totals[totals <= CAP].between(4_000, 28_000).all()
    assert totals.sum() == city_layers["population"].population.sum()


def test_communities_tessellate_into_one_connected_city(city_layers):
    frame = city_layers["communities"].reset_index(drop=True)
    graph = nx.Graph()
    graph.add_nodes_from(frame.index)
    for left, right in zip(*frame.sindex.query(frame.geometry, predicate="intersects")):
        shared = frame.geometry[left].intersection(frame.geometry[right])
        if left < right and shared.length > 100:
            graph.add_edge(left, right)
    assert nx.is_connected(graph)
    assert graph.number_of_edges() >= 12  # a grid, not a chain
    assert frame.name.is_unique and frame.code.is_unique


def test_every_community_has_estates_roads_and_a_facility(city_layers, totals):
    communities = city_layers["communities"]
    estates = gpd.sjoin(city_layers["estates"], communities[["name", "geometry"]], predicate="within")
    counts = estates.groupby("name_right").size()
    assert set(counts.index) == set(communities.name)
    over = set(totals.index[totals > CAP])
    assert all(20 <= counts[name] <= 66 for name in over)  # up to 60 estates plus split phases
    assert city_layers["estates"].population.max() <= 12_000
    assert (city_layers["roads"].kind == "river").any()
    facilities = gpd.sjoin(city_layers["facilities"], communities[["name", "geometry"]], predicate="within")
    assert set(facilities.name_right) == set(communities.name)


def test_same_seed_same_bytes_other_seed_other_city(small_city, tmp_path: Path):
    again = generate_city(tmp_path / "again", communities=12, oversized=3, seed=5)
    for layer in SAMPLE_LAYERS:
        assert again[layer].read_bytes() == small_city[layer].read_bytes(), layer
    readme = (again["roads"].parent / "README.md").read_text(encoding="utf-8")
    assert readme == (small_city["roads"].parent / "README.md").read_text(encoding="utf-8")
    assert "not real data" in readme
    other = generate_city(tmp_path / "other", communities=12, oversized=3, seed=6)
    assert other["estates"].read_bytes() != small_city["estates"].read_bytes()


def test_counts_are_validated():
    with pytest.raises(ValueError, match="oversized must be between 0 and communities"):
        build_city(communities=4, oversized=5)
    with pytest.raises(ValueError, match="communities must be at least 1"):
        build_city(communities=0, oversized=0)
    with pytest.raises(TypeError, match="oversized must be an integer"):
        build_city(communities=4, oversized=2.5)


def test_command_line_entry(tmp_path: Path, capsys):
    assert main([str(tmp_path / "tiny"), "--communities", "2", "--oversized", "1", "--seed", "3"]) == 0
    assert sorted(path.name for path in (tmp_path / "tiny").iterdir()) == sorted(
        [f"{layer}.geojson" for layer in SAMPLE_LAYERS] + ["README.md"]
    )
    with pytest.raises(SystemExit):
        main([str(tmp_path / "bad"), "--communities", "2", "--oversized", "3"])
    assert "oversized must be between" in capsys.readouterr().err


def test_invariant_checker_names_the_culprits(small_city, city_layers, tmp_path: Path):
    """The checker the generators rely on really fails on broken data."""
    estates = city_layers["estates"].copy()
    first, second = estates.index[0], estates.index[1]
    estates.loc[first, "population"] += 7
    estates.loc[second, "geometry"] = translate(estates.geometry[first], 3.0, 3.0)
    broken = dict(small_city)
    broken["estates"] = tmp_path / "estates.geojson"
    estates.to_file(broken["estates"], driver="GeoJSON", engine="pyogrio")
    problems = "\n".join(layer_problems(broken))
    assert "estate totals differ from their buildings' sums" in problems
    assert estates.name[first] in problems
    pair = {f"{estates.name[first]}/{estates.name[second]}", f"{estates.name[second]}/{estates.name[first]}"}
    assert any(text in problems for text in pair)
