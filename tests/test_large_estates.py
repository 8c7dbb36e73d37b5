"""Estates above the cap: a community of their own by default (the rest split piece by piece), or divided
along their buildings or phases with --split-large-estates. End to end through the command line.

The "row" community, 1,200 m × 300 m, six estates side by side (EPSG:4547 metres):

    +-------+-------+-------+-------+-------+-------+
    |   A   |   B   |   C   |   L   |   D   |   E   |     L 时代雅苑: 4,215 households in 8 buildings
    | 1,400 | 1,300 | 1,200 | 4,215 |  300  |  400  |     (2 columns × 4 rows), above the 3,000 cap
    +-------+-------+-------+-------+-------+-------+
    x=0    200     400     600     800    1000    1200

Households as drawn; residents = 2 × households. Without L the rest falls into two pieces: A–C (3,900
households: two communities) and D–E (700: below national-2026's floor of 1,000, so it joins L's community;
with no floor, a community of its own).
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from boundaries_fixtures import CRS, shifted, write_layers
from plan_invariants import check_plan_files
import solver
from redistrict.cli import main

HOUSEHOLDS = {"A": 1400, "B": 1300, "C": 1200, "L": 4215, "D": 300, "E": 400}
NAMES = {"A": "翠湖花园", "B": "金地名京", "C": "华润城", "L": "时代雅苑", "D": "半岛苑", "E": "东湖天地"}
# L's eight buildings: households per building (sum 4,215), column by column, north to south
BUILDINGS = [520, 530, 540, 515, 525, 535, 510, 540]


def row_layers(*, buildings: bool = True, phases: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """The diagram's layers. ``buildings=False``: L's people in one point; ``phases``: L drawn as two
    phases (north and south halves) of one keep-together group."""
    estates, points = [], []
    for i, key in enumerate(HOUSEHOLDS):
        x = 200.0 * i
        if key == "L" and phases:
            estates.append({"name": "时代雅苑一期", "group": "时代雅苑", "geometry": box(x, 150, x + 200, 300)})
            estates.append({"name": "时代雅苑二期", "group": "时代雅苑", "geometry": box(x, 0, x + 200, 150)})
        else:
            estates.append({"name": NAMES[key], "group": None, "geometry": box(x, 0, x + 200, 300)})
        if key == "L" and buildings:
            spots = [(x + 50 + 100 * col, 262.5 - 75 * row) for col in range(2) for row in range(4)]
            points += [{"point_id": f"L{k + 1}", "name": f"时代雅苑{k + 1}栋", "households": h, "geometry": Point(spot)}
                       for k, (h, spot) in enumerate(zip(BUILDINGS, spots))]
        elif key == "L" and phases:
            points += [{"point_id": "L1", "name": "一期", "households": 2100, "geometry": Point(x + 100, 225)},
                       {"point_id": "L2", "name": "二期", "households": 2115, "geometry": Point(x + 100, 75)}]
        else:
            points.append({"point_id": key, "name": NAMES[key], "households": HOUSEHOLDS[key],
                           "geometry": Point(x + 100, 150)})
    estates_frame = gpd.GeoDataFrame(estates, crs=CRS)
    estates_frame["geometry"] = estates_frame.geometry.map(shifted)
    population = gpd.GeoDataFrame(points, crs=CRS)
    population["population"] = population["households"] * 2
    population["geometry"] = population.geometry.map(shifted)
    communities = gpd.GeoDataFrame({"name": ["东城社区"]}, geometry=[shifted(box(0, 0, 1200, 300))], crs=CRS)
    return {"communities": communities, "estates": estates_frame, "population": population}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def split(tmp_path, layers, capsys, *args: str) -> tuple[Run, Path]:
    """``redistrict split`` on the layers, in this process (the subprocess path is test_cli's concern)."""
    paths = write_layers(tmp_path, layers)
    out = tmp_path / "out"
    code = main(["split", *[f"--{k}={v}" for k, v in paths.items()], "--out", str(out), "--time-limit", "20",
                 *args])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err), out


def read_run(out) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def district_sizes(units: gpd.GeoDataFrame, attr: str) -> pd.Series:
    return units.groupby("district")[attr].sum()


def test_by_default_the_large_estate_is_a_community_of_its_own(tmp_path, capsys):
    result, out = split(tmp_path, row_layers(), capsys, "--profile", "national-2026", "--options", "2")
    assert result.returncode == 0, result.stderr
    record = read_run(out)
    [exception] = record["large_estates"]["exceptions"]
    # the second option re-splits A–C differently; both keep the exception community
    first, second = ({u: d for u, d in o["plan"]["assignment"].items()} for o in record["options"])
    assert first != second and all(o["metrics"]["size_exceptions"] for o in record["options"])
    assert record["large_estates"]["rule"] == "separate"
    assert exception["estate"] == "时代雅苑" and exception["size"] == 4215 and exception["cap"] == 3000
    # D–E (700 households) is below the floor of 1,000: it joins 时代雅苑's community
    assert exception["community_size"] == 4215 + 700 and len(exception["joined_units"]) == 2
    units = check_plan_files(out, cap=4215 + 700, cap_attr="households")
    sizes = district_sizes(units, "households")
    district = exception["district"]
    assert set(units.loc[units["district"] == district, "name"]) == {"时代雅苑", "半岛苑", "东湖天地"}
    others = sizes.drop(district)
    assert len(others) == 2 and ((others >= 1000) & (others <= 3000)).all(), sizes.to_dict()
    assert sizes.sum() == sum(HOUSEHOLDS.values()) and record["population_conserved"] is True
    # said where people read it: terminal, report, plan.geojson, the option's metrics
    note = "时代雅苑 4,215 户 > 3,000：单独成立社区，超出规模上限的例外"
    assert note in result.stdout
    assert note in html.unescape((out / "report.html").read_text(encoding="utf-8"))
    features = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["id"]: f["properties"]["note"].startswith(note) for f in features} == {
        d: d == district for d in sizes.index}
    assert record["options"][0]["metrics"]["size_exceptions"][0].startswith(note)
    # both pieces are tiny: every piece proven optimal, so the combined plan is
    assert record["options"][0]["plan"]["status"] == "optimal"


def test_with_no_floor_each_piece_of_the_rest_is_split_on_its_own(tmp_path, capsys):
    """Default profile (residents), cap lowered to 6,000: D–E (1,400 residents) is a community by itself."""
    result, out = split(tmp_path, row_layers(), capsys, "--cap", "6000")
    assert result.returncode == 0, result.stderr
    [exception] = read_run(out)["large_estates"]["exceptions"]
    assert exception["size"] == 8430 and exception["joined_units"] == []
    units = check_plan_files(out, cap=8430)
    sizes = district_sizes(units, "population")
    assert sizes[exception["district"]] == 8430
    assert (sizes.drop(exception["district"]) <= 6000).all() and len(sizes) == 4
    de = units.loc[units["name"].isin(["半岛苑", "东湖天地"]), "district"]
    assert de.nunique() == 1 and sizes[de.iloc[0]] == 1400
    assert sizes.sum() == 2 * sum(HOUSEHOLDS.values())


@pytest.mark.parametrize("profile_args, attr, cap, floor", [
    (("--profile", "national-2026"), "households", 3000, 1000),
    (("--cap", "6000"), "population", 6000, 0),
])
def test_split_large_estates_divides_it_along_its_buildings(tmp_path, capsys, profile_args, attr, cap, floor):
    result, out = split(tmp_path, row_layers(), capsys, *profile_args, "--split-large-estates")
    assert result.returncode == 0, result.stderr
    record = read_run(out)
    assert record["large_estates"]["rule"] == "divide" and record["large_estates"]["exceptions"] == []
    [division] = record["large_estates"]["divisions"]
    assert division["estate"] == "时代雅苑" and division["method"] == "buildings" and division["sub_units"] == 8
    parts = division["parts"]
    assert [p["name"] for p in parts] == ["时代雅苑（一区）", "时代雅苑（二区）"]  # fewest: 2
    assert all(floor <= p[attr] <= cap for p in parts)
    assert sum(p["households"] for p in parts) == 4215
    assert sorted(b for p in parts for b in p["members"]) == [f"L{k}" for k in range(1, 9)]
    units = check_plan_files(out, cap=cap, cap_attr=attr)
    assert "时代雅苑" not in set(units["name"])
    assert set(units.loc[units["kind"] == "estate", "name"]) >= {"时代雅苑（一区）", "时代雅苑（二区）"}
    sizes = district_sizes(units, attr)
    assert (sizes >= floor).all() and (sizes <= cap).all()
    assert units["households"].sum() == sum(HOUSEHOLDS.values()) and record["population_conserved"] is True
    report = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "按楼栋划分为2个区（时代雅苑（一区）、时代雅苑（二区））" in report
    assert "时代雅苑（一区）" in result.stdout


def test_an_estate_without_buildings_or_phases_is_refused_by_name(tmp_path, capsys):
    result, out = split(tmp_path, row_layers(buildings=False), capsys, "--profile", "national-2026",
                        "--split-large-estates")
    assert result.returncode == 3
    assert "时代雅苑 4,215 户 > 3,000" in result.stderr and "cannot be divided" in result.stderr
    assert "population point(s) are at one location" in result.stderr and "no phases" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_phases_of_one_estate_are_divided_along_the_phases(tmp_path):
    """L drawn as two phases of one group (2,100 + 2,115 households): two parts, one phase each."""
    import boundaries
    import solver
    from redistrict.estate_division import divide_large_estates
    from redistrict.large_estates import find_large_estates

    layers = boundaries.load_layers(**write_layers(tmp_path, row_layers(buildings=False, phases=True)))
    units = boundaries.build_units(layers, "东城社区")
    graph = boundaries.build_graph(units.frame)
    spec = solver.Spec(max_population=3000, min_population=1000, population_attr="households", time_limit_s=20)
    [large] = find_large_estates(graph, spec)
    assert large.name == "时代雅苑" and large.is_group and large.size == 4215
    divided = divide_large_estates(layers, units, spec, [large], progress=lambda message: None)
    [division] = divided.divisions
    assert division.method.value == "phases"
    assert [(p.name, p.households, p.members) for p in division.parts] == [
        ("时代雅苑（一区）", 2100, ("时代雅苑一期",)), ("时代雅苑（二区）", 2115, ("时代雅苑二期",))]
    frame = divided.units.frame
    assert frame["households"].sum() == sum(HOUSEHOLDS.values())
    assert frame["group"].isna().all() and set(frame["name"]) >= {"时代雅苑（一区）", "时代雅苑（二区）"}
    assert find_large_estates(divided.graph, spec) == []
    # the estates layer (map, report) shows the parts instead of the phases
    assert set(divided.layers.estates["name"]) >= {"时代雅苑（一区）", "时代雅苑（二区）"}
    assert not set(divided.layers.estates["name"]) & {"时代雅苑一期", "时代雅苑二期"}


def test_the_combined_plan_is_optimal_only_when_every_piece_is():
    from redistrict.large_estates import _combined_plan

    def plan(status: str, objective: float, bound: float) -> solver.Plan:
        return solver.Plan(assignment={}, districts=1, status=status, objective=objective, bound=bound,
                           gap=(objective - bound) / objective, runtime_s=1.0, backend="highs",
                           solver_version="1", objective_name="inertia", minimum_proven=True)

    spec = solver.Spec(max_population=3000)
    both = _combined_plan([plan("optimal", 10.0, 10.0), plan("optimal", 5.0, 5.0)], {}, {}, districts=3, spec=spec)
    assert (both.status, both.objective, both.gap) == ("optimal", 15.0, 0.0)
    one = _combined_plan([plan("optimal", 10.0, 10.0), plan("feasible", 10.0, 5.0)], {}, {}, districts=3, spec=spec)
    assert (one.status, one.objective, one.bound) == ("feasible", 20.0, 15.0)
    assert one.gap == pytest.approx(0.25)


def test_a_building_above_the_cap_makes_the_division_fail_by_name(tmp_path):
    """One of L's buildings alone holds 3,100 households: no part can hold it, so the estate cannot be
    divided within the rules (exit 3 through the CLI), and the message names the estate."""
    import boundaries
    from redistrict.errors import InfeasibleError
    from redistrict.estate_division import apply_rule

    layers_frames = row_layers()
    population = layers_frames["population"]
    population.loc[population["point_id"] == "L1", "households"] = 3100
    layers = boundaries.load_layers(**write_layers(tmp_path, layers_frames))
    units = boundaries.build_units(layers, "东城社区")
    graph = boundaries.build_graph(units.frame)
    spec = solver.Spec(max_population=3000, min_population=1000, population_attr="households", time_limit_s=20)
    with pytest.raises(InfeasibleError, match=r"时代雅苑 6,795 户 > 3,000 cannot be divided along its buildings"):
        apply_rule(layers, units, graph, spec, divide=True, progress=lambda message: None)
    # without --split-large-estates it is simply a community of its own
    kept = apply_rule(layers, units, graph, spec, divide=False, progress=lambda message: None)
    assert [e.name for e in kept.large] == ["时代雅苑"] and kept.divisions == () and kept.units is units
