"""Invariants every produced plan must satisfy, checked from the written files, not from solver internals."""
from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
from shapely.ops import unary_union


def check_plan_files(out_dir, *, cap: float, cap_attr: str = "population", gap_m: float = 5.0) -> gpd.GeoDataFrame:
    """Read plan.gpkg's units and assignment.csv back and assert the product's promises. Returns the units."""
    units = gpd.read_file(out_dir / "plan.gpkg", layer="units")
    assignment = pd.read_csv(out_dir / "assignment.csv", encoding="utf-8-sig", dtype={"unit_id": str})
    if "option" in assignment.columns:
        assignment = assignment[assignment["option"] == assignment["option"].iloc[0]]
    if "option" in units.columns:
        units = units[units["option"] == units["option"].iloc[0]]
    # each unit exactly once, in both files, with the same district
    assert units["unit_id"].is_unique and assignment["unit_id"].is_unique
    assert set(units["unit_id"]) == set(assignment["unit_id"])
    merged = units.merge(assignment[["unit_id", "district"]], on="unit_id", suffixes=("", "_csv"))
    assert (merged["district"] == merged["district_csv"]).all()
    districts = sorted(units["district"].unique())
    assert districts == list(range(1, len(districts) + 1))
    # cap held
    sizes = units.groupby("district")[cap_attr].sum()
    assert (sizes <= cap + 1e-6).all(), sizes.to_dict()
    # contiguity, judged on geometry: units closer than the adjacency tolerance touch
    for district, part in units.groupby("district"):
        merged_shape = unary_union(part.geometry.buffer(gap_m / 2 + 0.01))
        assert merged_shape.geom_type == "Polygon", f"district {district} is in {len(merged_shape.geoms)} pieces"
    # estates whole: an estate is one unit, so it appears once and in one district
    estates = units[units["kind"] == "estate"]
    assert estates["estate_id"].is_unique
    assert not math.isnan(float(units["population"].sum()))
    return units
