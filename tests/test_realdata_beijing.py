"""Real data: one Beijing subdistrict (街道) split from its boundary and the crawled estate points alone.

../shared/realdata/beijing (read-only; skipped when absent): beijing.shp subdistricts, WorldPop totals,
xiaoqu.csv estate points in BD-09 with names only. The estates' counts are derived by the rule in
``realdata_beijing.RULE`` (WorldPop total shared equally among the subdistrict's crawled estates), and
the same table serves as --estates and --population, declared BD-09.
"""
from __future__ import annotations

import json

import pyogrio
import pytest

import realdata_beijing as bj
from redistrict.cli import main

pytestmark = pytest.mark.skipif(not bj.available(), reason="../shared/realdata/beijing is not here")

SUBDISTRICT = "陶然亭街道"  # 29 crawled estates, WorldPop 71,421


def test_a_subdistrict_is_split_from_its_boundary_and_crawled_estate_points(tmp_path):
    table = tmp_path / "小区.csv"
    estates, population = bj.estate_table(SUBDISTRICT, table)
    out = tmp_path / "out"
    code = main(["split", "--communities", str(bj.BEIJING / "beijing.shp"), "--field", "communities:乡=name",
                 "--estates", str(table), "--population", str(table),
                 "--datum", "estates=bd09", "--datum", "population=bd09",
                 "--community", SUBDISTRICT, "--out", str(out), "--time-limit", "20", "-q"])
    assert code == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["population_conserved"] and run["totals"]["population_in"] == population
    assert run["units"]["estates"] == estates  # every crawled estate became a unit
    assert run["inputs"]["estates"]["geometry"] == "points; areas derived (approximate)"
    assert run["inputs"]["estates"]["datum"] == "bd09 -> wgs84"
    assert any("turned into approximate areas" in note for note in run["notes"])
    districts = run["options"][0]["districts"]
    assert len(districts) >= 3 and all(d["population"] <= 30_000 for d in districts)
    gpkg = pyogrio.read_dataframe(out / "plan.gpkg", layer="estates")
    assert gpkg["approximate"].all() and gpkg["geometry_source"].str.startswith("derived from point").all()
    page = (out / "map.html").read_text(encoding="utf-8")
    assert page.count('"dashArray": "4 3"') == estates  # every derived estate is drawn dashed
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count("estates with outlines derived from points") == len(districts)
