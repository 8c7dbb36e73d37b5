"""Dongguan's 33 real town boundaries (overlaps, slivers, gaps) as a communities layer: refused with a
pointer to --repair, usable with it; a town split with synthetic population points (seeded)."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from boundaries import InputError, RepairRule, community_totals, inspect_layers, load_layers, repair_layers
from redistrict.cli import main

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the repository (a worktree sits one level deeper)
TOWNS = next((base / "shared/benchmarks/dongguan/dongguan_441900_towns33_poi86.geojson"
              for base in (ROOT.parent, ROOT.parent.parent)
              if (base / "shared/benchmarks/dongguan/dongguan_441900_towns33_poi86.geojson").exists()),
             ROOT.parent / "shared/benchmarks/dongguan/dongguan_441900_towns33_poi86.geojson")
pytestmark = pytest.mark.skipif(not TOWNS.exists(), reason="../shared/benchmarks/dongguan is absent")

TOWN = "石龙镇"


def synthetic_layers(spacing_m: float = 500.0):
    """Population points on a jittered grid inside 石龙镇 and 石碣镇 (its overlapping neighbour), and two
    estates inside 石龙镇; seeded, so every run is the same."""
    towns = gpd.read_file(TOWNS).to_crs(32649)
    rng = np.random.default_rng(11)
    points, people = [], []
    for geom in towns.loc[towns["name"].isin([TOWN, "石碣镇"])].geometry:
        minx, miny, maxx, maxy = geom.bounds
        xs, ys = np.meshgrid(np.arange(minx, maxx, spacing_m), np.arange(miny, maxy, spacing_m))
        candidates = shapely.points(xs.ravel() + rng.uniform(-50, 50, xs.size), ys.ravel() + rng.uniform(-50, 50, xs.size))
        inside = candidates[shapely.contains(geom, candidates)]
        points += list(inside)
        people += rng.integers(50, 400, len(inside)).tolist()
    town = towns.loc[towns["name"] == TOWN].geometry.iloc[0]
    centre = max(shapely.get_parts(town), key=lambda p: p.area).representative_point()
    estates = gpd.GeoDataFrame({"name": ["石龙甲苑", "石龙乙苑"]},
                               geometry=[box(centre.x - 150, centre.y - 150, centre.x, centre.y),
                                         box(centre.x, centre.y, centre.x + 150, centre.y + 150)], crs=32649)
    population = gpd.GeoDataFrame({"population": people, "households": np.round(np.array(people) / 2.8)},
                                  geometry=points, crs=32649)
    return {"communities": str(TOWNS), "estates": estates.to_crs(4326), "population": population.to_crs(4326)}


def test_the_real_towns_are_refused_naming_the_overlaps_and_repaired_with_every_change_recorded():
    layers = load_layers(**synthetic_layers())
    report = inspect_layers(layers)
    overlaps = {(p.feature, p.repair) for p in report.errors}
    assert overlaps == {("莞城街道", "overlap-to-larger"), ("石碣镇", "overlap-to-larger")}
    with pytest.raises(InputError, match="--repair would fix 2 of these 2 error"):
        report.raise_for_errors()
    fixed = repair_layers(layers)
    rules = [r.rule for r in fixed.repairs]
    assert rules.count(RepairRule.OVERLAP_TO_LARGER) == 2 and RepairRule.GAP_CLOSED in rules
    assert all(r.layer == "communities" and r.area_m2 > 0 for r in fixed.repairs)
    repaired = inspect_layers(fixed.layers)
    assert repaired.ok and not [p for p in repaired.problems if p.repair]
    geoms = fixed.layers.communities.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert shapely.area(shapely.intersection(geoms[left[left < right]], geoms[right[left < right]])).max() < 1.0
    before, after = community_totals(layers), community_totals(fixed.layers)
    assert after["population"].sum() == before["population"].sum() == layers.population["population"].sum()


def test_a_real_town_splits_into_communities_each_one_piece_on_the_map(tmp_path):
    frames = synthetic_layers(spacing_m=700.0)
    for role in ("estates", "population"):
        frames[role].to_file(tmp_path / f"{role}.geojson", driver="GeoJSON")
    out = tmp_path / "out"
    args = ["split", "--communities", frames["communities"], "--estates", str(tmp_path / "estates.geojson"),
            "--population", str(tmp_path / "population.geojson"), "--community", TOWN, "--cap", "4000",
            "--grid-size", "1000", "--time-limit", "10", "--out", str(out)]
    assert main(args) == 2 and not out.exists()
    assert main(args + ["--repair"]) == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert {r["rule"] for r in run["repairs"]} >= {"overlap-to-larger", "gap-closed"}
    assert run["population_conserved"]
    communities = gpd.read_file(out / "plan.gpkg", layer="communities")
    bridged = {frozenset((b["u"], b["v"])) for b in run["units"]["bridges"]}
    for geometry in communities.geometry:
        # one piece, except the town's own exclaves (joined only by the recorded island bridges)
        assert len(shapely.get_parts(geometry)) <= 1 + len(bridged)
    assert communities["population"].sum() == run["totals"]["population_in"]
