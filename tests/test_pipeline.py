"""The whole pipeline on the embedded sample: every promise checked on what was written."""
from __future__ import annotations

import json
import math

import geopandas as gpd
import pandas as pd
import pytest

from plan_invariants import check_plan_files
from redistrict.errors import InfeasibleError, UsageError
from redistrict.pipeline import run_split

EXPECTED_FILES = {"plan.geojson", "plan.gpkg", "assignment.csv", "map.html", "report.html", "run.json"}


def test_demo_writes_every_file(demo_run):
    written = {p.name for p in demo_run.out_dir.iterdir()}
    assert EXPECTED_FILES <= written
    # "wrote N files" counts what is on disk, run.json included
    assert demo_run.file_count == len(written) == len(EXPECTED_FILES)
    # no staging folder left beside the output
    assert not [p for p in demo_run.out_dir.parent.iterdir() if ".partial-" in p.name]


def test_demo_plan_keeps_every_promise(demo_run):
    units = check_plan_files(demo_run.out_dir, cap=30_000)
    plan = demo_run.plan
    total = units["population"].sum()
    # the fewest districts: ceil(total / cap) is a lower bound no plan can beat
    assert plan.districts >= math.ceil(total / 30_000)
    if plan.districts == math.ceil(total / 30_000):
        assert plan.minimum_proven
    assert plan.status in ("optimal", "feasible")
    if plan.status == "optimal":
        assert plan.gap is not None and plan.gap <= 1e-6


def test_population_in_equals_population_out(demo_run):
    totals = demo_run.totals
    assert totals["population_in"] == totals["population_out"] > 70_000
    assert totals["households_in"] == totals["households_out"] > 0
    districts = gpd.read_file(demo_run.out_dir / "plan.geojson")
    assert districts["population"].sum() == pytest.approx(totals["population_in"])
    assert districts["households"].sum() == pytest.approx(totals["households_in"])
    record = json.loads((demo_run.out_dir / "run.json").read_text(encoding="utf-8"))
    assert record["population_conserved"] is True
    report = (demo_run.out_dir / "report.html").read_text(encoding="utf-8")
    assert f"{totals['population_in']:,.0f}" in report


def test_geojson_matches_assignment(demo_run):
    districts = gpd.read_file(demo_run.out_dir / "plan.geojson")
    assert districts.crs.to_epsg() == 4326
    assignment = pd.read_csv(demo_run.out_dir / "assignment.csv", encoding="utf-8-sig")
    by_csv = assignment.groupby("district")["population"].sum().sort_index()
    by_geojson = districts.set_index("district")["population"].sort_index()
    assert list(by_csv.index) == list(by_geojson.index)
    assert (by_csv.values == pytest.approx(by_geojson.values))
    assert (by_geojson <= 30_000).all()
    assert districts["name"].is_unique


def test_run_json_records_inputs_and_settings(demo_run):
    record = json.loads((demo_run.out_dir / "run.json").read_text(encoding="utf-8"))
    assert set(record["inputs"]) >= {"communities", "estates", "population"}
    assert all(len(source["sha256"]) == 64 for source in record["inputs"].values())
    assert record["scenario"]["run"]["profile"] == "dongguan-2023"
    assert record["options"][0]["plan"]["status"] == demo_run.plan.status
    assert record["versions"]["highspy"] != "not installed"


def test_staff_and_facility_requirements_follow_the_profile(demo_run):
    option = demo_run.options[0]
    for stats in option.stats:
        rows = [r for r in option.compliance if r["district"] == stats["district"] and r["profile"] == "dongguan-2023"]
        staff = next(r for r in rows if r["rule"].startswith("社区工作者"))
        expected = max(math.ceil(stats["households"] / 400), math.ceil(stats["population"] * 18 / 10_000))
        assert staff["required"] == expected
        facility = next(r for r in rows if r["rule"].startswith("服务设施"))
        assert facility["required"] == pytest.approx(stats["households"] * 0.32, abs=0.06)


def test_same_inputs_give_the_same_plan(demo_run, sample_config, tmp_path):
    again = run_split(sample_config.with_overrides(out=str(tmp_path / "again")))
    assert dict(again.plan.assignment) == dict(demo_run.plan.assignment)
    first = (demo_run.out_dir / "assignment.csv").read_bytes()
    assert (tmp_path / "again" / "assignment.csv").read_bytes() == first


def test_infeasible_cap_writes_nothing(sample_config, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(InfeasibleError, match="above the cap|exceeds|cap"):
        run_split(sample_config.with_overrides(out=str(out), cap=2_000.0))
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_folder_of_user_files_is_never_replaced(sample_config, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match="not a redistrict run"):
        run_split(sample_config.with_overrides(out=str(out)))
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_options_differ_in_where_an_estate_goes(sample_config, tmp_path):
    result = run_split(sample_config.with_overrides(out=str(tmp_path / "options"), options=2, time_limit_s=20.0))
    assert len(result.options) >= 2
    partitions = []
    for option in result.options:
        check_plan_files_for_option(result.out_dir, option)
        estates = option.frame[option.frame["kind"] == "estate"]
        groups = estates.groupby("district")["unit_id"].apply(frozenset)
        partitions.append(frozenset(groups))
    assert len(set(partitions)) == len(partitions), "two options group the estates identically"
    values = [o.plan.objective for o in result.options]
    assert values == sorted(values), "options are ranked best first"
    csv = pd.read_csv(result.out_dir / "assignment.csv", encoding="utf-8-sig")
    assert csv["option"].nunique() == len(result.options)


def check_plan_files_for_option(out_dir, option) -> None:
    frame = option.frame
    assert (frame.groupby("district")["population"].sum() <= 30_000).all()
    assert frame["unit_id"].is_unique
    assert sorted(frame["district"].unique()) == list(range(1, option.plan.districts + 1))


def test_report_carries_the_data_date_recorded_in_run_json(demo_run, sample_config):
    from redistrict.pipeline import data_date

    record = json.loads((demo_run.out_dir / "run.json").read_text(encoding="utf-8"))
    day = record["scenario"]["run"]["date"]
    assert day == data_date(sample_config)
    report = (demo_run.out_dir / "report.html").read_text(encoding="utf-8")
    assert f'<strong class="report-date">{day}</strong>' in report
    assert "数据未注明人口口径" in report  # the sample's column is plain "population"


def test_date_must_be_a_day():
    from redistrict.config import SplitConfig
    from redistrict.errors import UsageError

    assert SplitConfig().with_overrides(date="2026-11-25").date == "2026-11-25"
    with pytest.raises(UsageError, match="--date 2026-11-25"):
        SplitConfig().with_overrides(date="25/11/2026")
