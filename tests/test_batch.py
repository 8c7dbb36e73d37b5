"""City-scale batch runs: every oversized community split and verified, locally and on a real Dask cluster;
one failure does not stop the others; a rerun skips what is finished."""
from __future__ import annotations

import dataclasses
import html
import json
import re

import geopandas as gpd
import pandas as pd
import pytest

import boundaries
from plan_invariants import check_plan_files
from redistrict.batch import BatchResult, JobResult, JobStatus, folder_name, run_batch
from redistrict.cli import main
from redistrict.config import SplitConfig
from redistrict.fingerprint import community_fingerprint
from redistrict.pipeline import load_inputs
from redistrict.sample.city import generate_city

# two oversized communities share one hostile name; the others get names no folder could hold
SHARED_NAME = "../<!-- 同名 !/x"
OTHER_NAMES = ["..", "a/b\\c:d*?\"<>| e", "社 区 " * 60, "<script>alert(1)</script>", "!", "CON", "{{7*7}}"]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A generated city: 8 communities, 2 of them oversized."""
    return generate_city(tmp_path_factory.mktemp("city"), communities=8, oversized=2, seed=3)


def city_config(city, out) -> SplitConfig:
    return SplitConfig(inputs={k: str(v) for k, v in city.items()}, time_limit_s=60.0, out=str(out))


@pytest.fixture(scope="module")
def hostile_city(city, tmp_path_factory):
    """The same city with hostile community names (the two oversized ones sharing one) and one small
    community whose estate has a negative household count."""
    folder = tmp_path_factory.mktemp("hostile")
    layers = load_inputs(city_config(city, folder / "unused"))
    totals = boundaries.community_totals(layers)
    oversized = set(totals.loc[totals["population"] > 30_000, "community_id"])
    communities = gpd.read_file(city["communities"])
    others = iter(OTHER_NAMES)
    communities["name"] = [SHARED_NAME if str(code) in oversized else next(others) for code in communities["code"]]
    small = str(communities.loc[~communities["code"].astype(str).isin(oversized), "code"].iloc[0])
    estates = gpd.read_file(city["estates"])
    area = communities.loc[communities["code"].astype(str) == small].geometry.iloc[0]
    bad = estates.index[estates.representative_point().within(area)][0]
    estates.loc[bad, "households"] = -5
    paths = dict(city)
    for layer, frame in (("communities", communities), ("estates", estates)):
        paths[layer] = folder / f"{layer}.geojson"
        frame.to_file(paths[layer], driver="GeoJSON")
    return {"paths": paths, "oversized": oversized, "broken": small, "bad_estate": estates.loc[bad, "name"]}


def assert_batch_verified(result, expected: int) -> None:
    split = [job for job in result.jobs if job.status in (JobStatus.DONE, JobStatus.SKIPPED)]
    assert len(split) == expected
    summary = pd.read_csv(result.out_dir / "summary.csv", encoding="utf-8-sig", dtype={"community_id": str})
    assert len(summary) == len(result.jobs)
    assert set(summary.loc[summary["status"] == "not needed", "community_id"]) == {
        job.community_id for job in result.jobs if job.status is JobStatus.NOT_NEEDED}
    for job in split:
        units = check_plan_files(result.out_dir / job.folder, cap=30_000)
        record = json.loads((result.out_dir / job.folder / "run.json").read_text(encoding="utf-8"))
        assert record["population_conserved"] is True
        assert units["population"].sum() == pytest.approx(job.population)
    assert (result.out_dir / "summary.html").is_file()


def test_local_batch_survives_bad_data_and_hostile_names_and_reruns_only_what_changed(hostile_city, tmp_path):
    config = city_config(hostile_city["paths"], tmp_path / "batch")
    first = run_batch(config, jobs=2, progress=False)
    by_id = {job.community_id: job for job in first.jobs}
    # the community with bad data fails alone, named with the reason; the oversized ones are split
    broken = by_id[hostile_city["broken"]]
    assert broken.status is JobStatus.FAILED and broken.folder == ""
    assert hostile_city["bad_estate"] in broken.message and "negative" in broken.message
    assert first.failed == [broken]
    split = [by_id[c] for c in sorted(hostile_city["oversized"])]
    assert [job.status for job in split] == [JobStatus.DONE, JobStatus.DONE]
    assert {job.community for job in split} == {SHARED_NAME}
    # keyed by id: the two communities of the same name have their own folders, safe names
    assert [job.folder for job in split] == [folder_name(c) for c in sorted(hostile_city["oversized"])]
    assert len({job.folder for job in split}) == 2
    assert all(re.fullmatch(r"[0-9A-Za-z_-]+", job.folder) for job in split)
    assert sorted(p.name for p in first.out_dir.iterdir() if p.is_dir()) == sorted(job.folder for job in split)
    assert_batch_verified(first, expected=2)
    summary = pd.read_csv(first.out_dir / "summary.csv", encoding="utf-8-sig", dtype={"community_id": str})
    assert summary.set_index("community_id").loc[hostile_city["broken"], "status"] == "failed"
    assert (summary["status"] == "not needed").sum() == len(first.jobs) - 3
    page = (first.out_dir / "summary.html").read_text(encoding="utf-8")
    assert html.escape(broken.message.splitlines()[0]) in page  # the failed community's reason, as text
    assert all(f'href="./{job.folder}/report.html"' in page for job in split)

    marks = {job.folder: (first.out_dir / job.folder / "run.json").stat().st_mtime_ns for job in split}
    second = run_batch(config, jobs=2, progress=False)
    assert {j.community_id: j.status for j in second.jobs if j.folder} == {c: JobStatus.SKIPPED for c in
                                                                          hostile_city["oversized"]}
    assert {f: (second.out_dir / f / "run.json").stat().st_mtime_ns for f in marks} == marks

    # a change in one community's data reruns that community alone
    changed, kept = sorted(hostile_city["oversized"])
    points = gpd.read_file(hostile_city["paths"]["population"])
    communities = gpd.read_file(hostile_city["paths"]["communities"])
    inside = points.within(communities.loc[communities["code"].astype(str) == changed].geometry.iloc[0])
    points.loc[points.index[inside][0], "population"] += 7
    paths = hostile_city["paths"] | {"population": tmp_path / "population.geojson"}
    points.to_file(paths["population"], driver="GeoJSON")
    third = run_batch(city_config(paths, tmp_path / "batch"), jobs=2, progress=False)
    statuses = {job.community_id: job.status for job in third.jobs}
    assert statuses[changed] is JobStatus.DONE and statuses[kept] is JobStatus.SKIPPED
    assert (third.out_dir / folder_name(kept) / "run.json").stat().st_mtime_ns == marks[folder_name(kept)]


def test_fingerprint_follows_data_settings_and_version(city, monkeypatch):
    config = city_config(city, "unused")
    layers = load_inputs(config)
    totals = boundaries.community_totals(layers).sort_values("population")
    owner = layers.communities.set_index("community_id").geometry
    big = str(totals["community_id"].iloc[-1])
    small = str(owner.distance(owner[big]).idxmax())  # the community farthest away
    assert owner[small].distance(owner[big]) > 1_000
    first = {c: community_fingerprint(layers, c, config) for c in (big, small)}
    assert first == {c: community_fingerprint(layers, c, config) for c in (big, small)}
    assert community_fingerprint(layers, big, config.with_overrides(seed=1)) != first[big]
    assert community_fingerprint(layers, big, config.with_overrides(out="elsewhere")) == first[big]
    monkeypatch.setattr("redistrict.fingerprint.versions", lambda: {"redistrict": "99.0"})
    assert community_fingerprint(layers, big, config) != first[big]
    monkeypatch.undo()
    # one resident more in the big community: its fingerprint changes; a community far away keeps its own
    points = layers.population.copy()
    inside = points.within(owner[big])
    points.loc[points.index[inside][0], "population"] += 1
    changed = dataclasses.replace(layers, population=points)
    assert community_fingerprint(changed, big, config) != first[big]
    assert community_fingerprint(changed, small, config) == first[small]


def test_folder_names_are_safe_and_distinct():
    names = {c: folder_name(c) for c in ("441999000001", "A/1", "A_1", "..", "CON", "<!--", "长" * 300, "a b")}
    assert names["441999000001"] == "441999000001"
    assert len(set(names.values())) == len(names)
    assert all(re.fullmatch(r"[0-9A-Za-z_-]{1,69}", n) for n in names.values())
    assert names["CON"] != "CON"


def test_batch_exit_code_says_some_failed(monkeypatch, tmp_path, capsys, city):
    jobs = (JobResult("1", "甲", 40_000, 1, JobStatus.DONE, "1"),
            JobResult("2", "乙", 50_000, 1, JobStatus.FAILED, "", message="estates «X»: households is negative"))
    monkeypatch.setattr("redistrict.batch.run_batch",
                        lambda config, **kwargs: BatchResult(tmp_path, jobs, 1.0))
    args = [f"--{k}={v}" for k, v in city.items()]
    assert main(["batch", *args, "--out", str(tmp_path)]) == 6
    assert "乙 (2): failed — estates «X»: households is negative" in capsys.readouterr().out
    monkeypatch.setattr("redistrict.batch.run_batch",
                        lambda config, **kwargs: BatchResult(tmp_path, jobs[:1], 1.0))
    assert main(["batch", *args, "--out", str(tmp_path)]) == 0


def test_one_failing_community_does_not_stop_the_others(city, tmp_path):
    """One oversized community gets a block of land (no estate) with 31,000 residents, above the cap: it
    alone is infeasible (an estate that large would become a community of its own, a block cannot)."""
    estates = gpd.read_file(city["estates"])
    communities = gpd.read_file(city["communities"])
    points = gpd.read_file(city["population"])
    within = gpd.sjoin(estates, communities[["name", "geometry"]], predicate="within", lsuffix="e", rsuffix="c")
    biggest_community = within.groupby("name_c")["population"].sum().idxmax()
    area = communities.loc[communities["name"] == biggest_community, "geometry"].iloc[0]
    outside_estates = points.within(area) & ~points.intersects(estates.union_all().buffer(1.0))
    victim = points.index[outside_estates][0]
    points.loc[victim, "population"] = 31_000
    broken = dict(city)
    broken["population"] = tmp_path / "population.geojson"
    points.to_file(broken["population"], driver="GeoJSON")
    result = run_batch(city_config(broken, tmp_path / "batch"), jobs=2, progress=False)
    by_name = {job.community: job for job in result.jobs}
    assert by_name[biggest_community].status is JobStatus.INFEASIBLE
    assert f"{biggest_community}地块" in by_name[biggest_community].message
    assert "above the cap" in by_name[biggest_community].message
    assert not (result.out_dir / folder_name(by_name[biggest_community].community_id)).exists()
    others = [job for job in result.jobs if job.community != biggest_community
              and job.status is not JobStatus.NOT_NEEDED]
    assert others and all(job.status is JobStatus.DONE for job in others)
    summary = pd.read_csv(result.out_dir / "summary.csv", encoding="utf-8-sig")
    assert set(summary["status"]) == {"infeasible", "done", "not needed"}


def test_batch_runs_on_a_real_dask_cluster(city, tmp_path):
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        result = run_batch(city_config(city, tmp_path / "dask"), scheduler=cluster.scheduler_address,
                           progress=False)
    assert_batch_verified(result, expected=2)
    assert {job.status for job in result.jobs} == {JobStatus.DONE, JobStatus.NOT_NEEDED}


def test_an_overlap_between_two_communities_concerns_both():
    """The overlap problem names one community and quotes the other: a batch must not split either on it."""
    from redistrict.sample import sample_paths
    from redistrict.triage import triage_errors

    layers = load_inputs(SplitConfig(inputs={k: str(v) for k, v in sample_paths().items()}))
    ids = dict(zip(layers.communities["name"], layers.communities["community_id"].astype(str)))
    overlap = boundaries.Problem("error", "communities", "翠峰社区", "overlaps «榕湖社区» by 1,200 m² (3% of the "
                                 "smaller one)")
    estate = boundaries.Problem("error", "estates", str(layers.estates["name"].iloc[0]), "households is negative")
    triage = triage_errors(layers, boundaries.ValidationReport((overlap, estate)))
    assert overlap in triage.by_community[ids["翠峰社区"]] and overlap in triage.by_community[ids["榕湖社区"]]
    assert ids["新围社区"] not in triage.by_community or overlap not in triage.by_community[ids["新围社区"]]
    assert not triage.citywide
