"""`redistrict check` and `--lock` as a planner uses them on the sample: exit 0 when every rule holds,
5 with each broken rule named, 2 naming the row of an unknown name, 3 for a lock no plan can honour."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from redistrict.cli import main
from redistrict.sample import SAMPLE_COMMUNITY, sample_paths


def _layers() -> list[str]:
    return [f"--{k}={v}" for k, v in sample_paths().items()] + ["--community", SAMPLE_COMMUNITY]


@pytest.fixture(scope="module")
def demo_assignment(demo_run) -> pd.DataFrame:
    return pd.read_csv(demo_run.out_dir / "assignment.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_unedited_assignment_holds_every_rule(demo_run, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["check", *_layers(), "--assignment", str(demo_run.out_dir / "assignment.csv"), "--out", str(out)]) == 0
    assert "every rule holds" in capsys.readouterr().out
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["check"]["ok"] is True and run["check"]["violations"] == []
    assert run["options"][0]["plan"]["status"] == "checked"
    # the solver's own plan, checked, scores exactly its objective
    assert run["options"][0]["plan"]["objective"] == pytest.approx(demo_run.plan.objective, rel=1e-9)
    plan = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))
    solved = json.loads((demo_run.out_dir / "plan.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["population"] for f in plan["features"]] == \
           [f["properties"]["population"] for f in solved["features"]]


def test_moved_estate_lists_each_broken_rule_and_exits_5(demo_assignment, tmp_path, capsys):
    table = demo_assignment.copy()
    estates = table[(table["kind"] == "estate") & (table["district"] != "2")].copy()
    estates["people"] = estates["population"].astype(float)
    moved = estates.sort_values("people").iloc[-1]
    table.loc[table["unit_id"] == moved["unit_id"], "district"] = "2"
    edited = tmp_path / "edited.csv"
    table.to_csv(edited, index=False, encoding="utf-8-sig")   # as Excel saves "CSV UTF-8"
    out = tmp_path / "out"
    assert main(["check", *_layers(), "--assignment", str(edited), "--out", str(out)]) == 5
    printed = capsys.readouterr().out
    populations = table.assign(p=table["population"].astype(float)).groupby("district")["p"].sum()
    over = populations["2"] - 30_000
    assert over > 0
    assert f"district 2 has {populations['2']:,.0f} population, above the cap 30,000 by {over:,.0f}" in printed
    assert "not contiguous" in printed and moved["unit_id"] in printed
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    rules = {v["rule"] for v in run["check"]["violations"]}
    assert {"over-cap", "pieces"} <= rules
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "超过上限 over the cap" in report and f"by {over:,.0f}" in report
    plan = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))
    by_district = {f["properties"]["district"]: f["properties"] for f in plan["features"]}
    assert by_district[2]["headroom"][0]["headroom"] == -over      # over the cap: negative headroom


def test_gbk_estate_names_with_an_unknown_name_exit_2_naming_the_row(demo_assignment, tmp_path, capsys):
    estates = demo_assignment[demo_assignment["kind"] == "estate"][["name", "district"]]
    table = estates.rename(columns={"district": "community"}).reset_index(drop=True)
    table.loc[3, "name"] = "不存在花园"
    path = tmp_path / "names.csv"
    table.to_csv(path, index=False, encoding="gbk")   # as Excel on Chinese Windows saves CSV
    assert main(["check", *_layers(), "--assignment", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "row 5" in err and "不存在花园" in err
    assert not (tmp_path / "out").exists()


def test_drawn_layer_counts_units_by_area_and_reports_cut_estates(demo_run, tmp_path, capsys):
    units = gpd.read_file(demo_run.out_dir / "plan.gpkg", layer="units")
    outline = shapely.union_all(units.geometry.values)
    minx, miny, maxx, maxy = outline.bounds
    middle = (minx + maxx) / 2
    halves = [shapely.box(minx - 1, miny - 1, middle, maxy + 1), shapely.box(middle, miny - 1, maxx + 1, maxy + 1)]
    drawn = gpd.GeoDataFrame({"name": ["西片", "东片"]}, geometry=halves, crs=units.crs)
    path = tmp_path / "drawn.gpkg"
    drawn.to_file(path)
    out = tmp_path / "out"
    assert main(["check", *_layers(), "--assignment", str(path), "--out", str(out)]) == 5
    printed = capsys.readouterr().out
    assert "西片" in printed and "东片" in printed
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    cut = [v for v in run["check"]["violations"] if v["rule"] == "estate-cut"]
    crossing = units[units.geometry.intersects(shapely.LineString([(middle, miny), (middle, maxy)]))
                     & (units["kind"] == "estate")]
    assert cut and {v["units"][0] for v in cut} <= set(crossing["unit_id"])
    # each unit went to the half holding most of its area
    assigned = pd.read_csv(out / "assignment.csv", encoding="utf-8-sig", dtype=str)
    west = units.geometry.intersection(halves[0]).area > units.geometry.area / 2
    expected = dict(zip(units["unit_id"], ["1" if w else "2" for w in west]))
    assert dict(zip(assigned["unit_id"], assigned["district"])) == expected


def test_lock_over_the_cap_exits_3_naming_the_label(demo_run, tmp_path, capsys):
    frame = demo_run.options[0].frame
    # estates outside keep-together groups, so that the lock alone decides the total
    estates = frame[(frame["kind"] == "estate") & frame["group"].isna()].copy()
    estates["people"] = estates["population"].astype(float)
    heavy = estates.sort_values("people", ascending=False)
    chosen = heavy[heavy["people"].cumsum() <= 34_000]
    lock = tmp_path / "lock.csv"
    pd.DataFrame({"name": chosen["name"], "community": "老城片"}).to_csv(lock, index=False, encoding="utf-8-sig")
    assert main(["split", *_layers(), "--lock", str(lock), "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    total = chosen["people"].sum()
    assert "'老城片'" in err and f"{total:,.0f}" in err and f"by {total - 30_000:,.0f}" in err
    assert not (tmp_path / "out").exists()


def test_lock_with_unknown_name_exits_2_naming_the_row(tmp_path, capsys):
    lock = tmp_path / "lock.csv"
    pd.DataFrame({"name": ["不存在花园"], "community": ["A"]}).to_csv(lock, index=False)
    assert main(["split", *_layers(), "--lock", str(lock), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--lock lock.csv row 2" in err and "不存在花园" in err


def test_help_documents_check_and_exit_5(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = capsys.readouterr().out
    assert "--assignment" in text and "--lock" in text and "5 `check`" in text


def test_option_difference_out_of_range_is_a_usage_error(capsys):
    assert main(["demo", "--options", "2", "--option-difference", "1.5", "--out", "unused"]) == 2
    assert "--option-difference must be a share" in capsys.readouterr().err
