"""The whole pipeline on the embedded sample: every promise checked on what was written."""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from plan_invariants import check_plan_files
from redistrict.errors import InfeasibleError, NoSplitNeeded, UsageError
from redistrict.outdir import read_manifest
from redistrict.pipeline import run_split
from redistrict.sample import sample_paths

EXPECTED_FILES = {"plan.geojson", "plan.gpkg", "assignment.csv", "map.html", "report.html", "run.json"}


def test_demo_writes_every_file(demo_run):
    written = {p.name for p in demo_run.out_dir.iterdir()}
    assert EXPECTED_FILES <= written
    # no staging folder left in or beside the output; the manifest lists exactly what the run wrote, and
    # "wrote N files" counts those
    assert not [p for p in demo_run.out_dir.iterdir() if p.name.startswith(".redistrict-staging")]
    assert set(read_manifest(demo_run.out_dir)["files"]) == EXPECTED_FILES
    assert demo_run.file_count == len(EXPECTED_FILES)


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


def test_same_inputs_give_the_same_bytes(demo_run, sample_config, tmp_path):
    """Every file a reviewer or GIS reads is byte-identical run to run (plan.gpkg too: GDAL's layer
    timestamps are fixed); only run.json (timings, command line) and the manifest listing its checksum differ."""
    again = run_split(sample_config.with_overrides(out=str(tmp_path / "again")))
    assert dict(again.plan.assignment) == dict(demo_run.plan.assignment)
    for name in sorted(EXPECTED_FILES - {"run.json"}):
        assert (again.out_dir / name).read_bytes() == (demo_run.out_dir / name).read_bytes(), name
    report = (again.out_dir / "report.html").read_text(encoding="utf-8")
    assert "runtime" not in report and "time_s" not in report
    record = json.loads((again.out_dir / "run.json").read_text(encoding="utf-8"))
    assert record["options"][0]["plan"]["runtime_s"] > 0  # the timings live in run.json


def test_infeasible_cap_writes_nothing(sample_config, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(InfeasibleError, match="above the cap|exceeds|cap"):
        run_split(sample_config.with_overrides(out=str(out), cap=2_000.0))
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_rerun_keeps_the_users_files_and_the_input_it_reads(demo_run, sample_config, tmp_path):
    out = tmp_path / "review"
    shutil.copytree(demo_run.out_dir, out)
    (out / "project.qgz").write_bytes(b"QGIS project")
    (out / "审阅意见.docx").write_bytes(b"Word review")
    corrected = out / "estates_corrected.geojson"  # a corrected input kept beside the results
    shutil.copyfile(sample_config.inputs["estates"], corrected)
    before = (out / "run.json").read_bytes()
    previous = os.umask(0o022)
    try:
        # a quick rerun (the smaller community under a lower cap) into the demo's folder
        result = run_split(sample_config.with_overrides(out=str(out), estates=str(corrected), community="榕湖社区",
                                                        cap=10_000.0, time_limit_s=30.0))
    finally:
        os.umask(previous)
    assert result.out_dir == out.resolve()
    assert (out / "project.qgz").read_bytes() == b"QGIS project"
    assert (out / "审阅意见.docx").read_bytes() == b"Word review"
    assert corrected.read_bytes() == Path(sample_config.inputs["estates"]).read_bytes()
    assert (out / "run.json").read_bytes() != before
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["scenario"]["inputs"]["estates"] == str(corrected)
    assert set(read_manifest(out)["files"]) == EXPECTED_FILES
    assert (out / "report.html").stat().st_mode & 0o777 == 0o644


def test_a_users_file_in_the_way_is_refused_before_any_work(sample_config, tmp_path, monkeypatch):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    (out / "report.html").write_text("my own report", encoding="utf-8")
    monkeypatch.setattr("redistrict.pipeline.load_checked", lambda config: pytest.fail("read the layers"))
    with pytest.raises(UsageError, match=r"report\.html is not a file an earlier run wrote"):
        run_split(sample_config.with_overrides(out=str(out)))
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (out / "report.html").read_text(encoding="utf-8") == "my own report"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "report.html"]


def test_a_community_within_the_rule_is_not_split(sample_config, tmp_path):
    out = tmp_path / "small"
    with pytest.raises(NoSplitNeeded, match="no split needed: 榕湖社区 holds 16,800 ≤ 30,000 residents"):
        run_split(sample_config.with_overrides(out=str(out), community="榕湖社区"))
    assert not out.exists()


def test_a_community_with_no_residents_is_not_split(sample_config, tmp_path):
    paths = sample_paths()
    communities = gpd.read_file(paths["communities"])
    points = gpd.read_file(paths["population"])
    empty = communities.loc[communities["name"] == "新围社区", "geometry"].iloc[0]
    points[~points.within(empty.buffer(50))].to_file(tmp_path / "points.geojson", driver="GeoJSON")
    estates = gpd.read_file(paths["estates"])  # its estates emptied too (vacant, no stated population)
    estates.loc[estates.within(empty.buffer(50)), ["population", "households"]] = None
    estates.to_file(tmp_path / "estates.geojson", driver="GeoJSON")
    out = tmp_path / "empty"
    with pytest.raises(NoSplitNeeded, match="no split needed: 新围社区 has no residents"):
        run_split(sample_config.with_overrides(out=str(out), community="新围社区",
                                               population=str(tmp_path / "points.geojson"),
                                               estates=str(tmp_path / "estates.geojson")))
    assert not out.exists()


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
    with pytest.raises(UsageError, match=r"--date must be a day as YYYY-MM-DD \(e.g. 2026-11-25\), got .25/11/2026."):
        SplitConfig().with_overrides(date="25/11/2026")
