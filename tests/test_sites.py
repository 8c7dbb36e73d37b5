"""A service site per new community, inside it, and headroom against each rule (item 5 of issue 12)."""
from __future__ import annotations

import json

import geopandas as gpd
import shapely
from shapely.geometry import shape

from redistrict.sample import sample_paths


def test_every_community_has_a_service_site_inside_it(demo_run):
    plan = json.loads((demo_run.out_dir / "plan.geojson").read_text(encoding="utf-8"))
    facilities = gpd.read_file(sample_paths()["facilities"]).to_crs("EPSG:4326")
    kinds = []
    for feature in plan["features"]:
        site = feature["properties"]["service_site"]
        polygon = shape(feature["geometry"])
        assert polygon.buffer(1e-7).contains(shapely.Point(site["lon"], site["lat"])), site
        inside = facilities[facilities.geometry.representative_point().within(polygon)]
        if len(inside):
            # an existing facility wins over a proposed site, and it is one of those inside
            assert site["kind"] == "existing facility" and site["name"] in set(inside["name"])
        else:
            assert site["kind"].startswith("proposed at unit ") and site["unit_id"] in site["kind"]
        kinds.append(site["kind"])
    assert "existing facility" in kinds and any(k.startswith("proposed") for k in kinds)  # the sample has both


def test_headroom_is_the_cap_minus_residents(demo_run):
    plan = json.loads((demo_run.out_dir / "plan.geojson").read_text(encoding="utf-8"))
    for feature in plan["features"]:
        rows = {r["rule"]: r for r in feature["properties"]["headroom"]}
        cap = rows["常住人口上限 max residents"]
        assert cap["limit"] == 30_000
        assert cap["headroom"] == 30_000 - feature["properties"]["population"]
    report = (demo_run.out_dir / "report.html").read_text(encoding="utf-8")
    assert report.count("服务站点 Service site") == len(plan["features"])
    assert report.count("余量 Headroom") == len(plan["features"])


def test_geopackage_communities_carry_site_and_headroom_text(demo_run):
    layer = gpd.read_file(demo_run.out_dir / "plan.gpkg", layer="communities")
    assert layer["service_site"].str.len().gt(0).all()
    assert layer["headroom"].str.contains("max residents 30,000").all()
