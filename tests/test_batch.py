"""City-scale batch runs: every oversized community split and verified, locally and on a real Dask cluster;
one failure does not stop the others; a rerun skips what is finished."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from plan_invariants import check_plan_files
from redistrict.batch import run_batch
from redistrict.config import SplitConfig
from redistrict.sample.city import generate_city


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """A generated city: 8 communities, 2 of them oversized."""
    return generate_city(tmp_path_factory.mktemp("city"), communities=8, oversized=2, seed=3)


def city_config(city, out) -> SplitConfig:
    return SplitConfig(inputs={k: str(v) for k, v in city.items()}, time_limit_s=60.0, out=str(out))


def assert_batch_verified(result, expected: int) -> None:
    assert len(result.jobs) == expected
    summary = pd.read_csv(result.out_dir / "summary.csv", encoding="utf-8-sig")
    assert len(summary) == expected
    for job in result.jobs:
        assert job.status in ("done", "skipped"), job.message
        units = check_plan_files(result.out_dir / job.folder, cap=30_000)
        record = json.loads((result.out_dir / job.folder / "run.json").read_text(encoding="utf-8"))
        assert record["population_conserved"] is True
        assert units["population"].sum() == pytest.approx(job.population)
    assert (result.out_dir / "summary.html").is_file()


def test_local_batch_splits_every_oversized_community_and_skips_on_rerun(city, tmp_path):
    config = city_config(city, tmp_path / "batch")
    first = run_batch(config, jobs=2, progress=False)
    assert_batch_verified(first, expected=2)
    assert {job.status for job in first.jobs} == {"done"}
    before = {job.folder: (tmp_path / "batch" / job.folder / "run.json").stat().st_mtime_ns for job in first.jobs}
    second = run_batch(config, jobs=2, progress=False)
    assert {job.status for job in second.jobs} == {"skipped"}
    after = {job.folder: (tmp_path / "batch" / job.folder / "run.json").stat().st_mtime_ns for job in second.jobs}
    assert after == before


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
    assert by_name[biggest_community].status == "infeasible"
    assert f"{biggest_community}地块" in by_name[biggest_community].message
    assert "above the cap" in by_name[biggest_community].message
    assert not (result.out_dir / by_name[biggest_community].folder).exists()
    others = [job for job in result.jobs if job.community != biggest_community]
    assert others and all(job.status == "done" for job in others)
    summary = pd.read_csv(result.out_dir / "summary.csv", encoding="utf-8-sig")
    assert set(summary["status"]) == {"infeasible", "done"}


def test_batch_runs_on_a_real_dask_cluster(city, tmp_path):
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        result = run_batch(city_config(city, tmp_path / "dask"), scheduler=cluster.scheduler_address,
                           progress=False)
    assert_batch_verified(result, expected=2)
    assert {job.status for job in result.jobs} == {"done"}
