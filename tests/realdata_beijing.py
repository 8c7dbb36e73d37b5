"""Beijing real data (../shared/realdata/beijing, read-only) prepared for a run: the crawled estate points
(BD-09, names only) get counts derived by a stated rule, written as a CSV that still holds BD-09 lon/lat.

Derivation rule (said in the CSV's own columns and in the tests): a subdistrict's WorldPop 2020 total
(worldpop.npy, column 0, one row per polygon of beijing.shp) is shared equally among the crawled estates
whose point lies inside it (after BD-09 -> WGS84); households = population / PERSONS_PER_HOUSEHOLD, an
assumed 2.3 (close to Beijing's census average). This puts every WorldPop resident into a crawled estate:
a coarse stand-in for the estate counts a 街道 office holds, good for exercising the tool, not for planning.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.datum import bd09_to_wgs84

BEIJING = Path(__file__).resolve().parents[1].parent.parent / "shared" / "realdata" / "beijing"
if not BEIJING.is_dir():
    BEIJING = Path("/work/shared/realdata/beijing")
PERSONS_PER_HOUSEHOLD = 2.3
RULE = ("WorldPop 2020 subdistrict total shared equally among its crawled estates; "
        f"households = population / {PERSONS_PER_HOUSEHOLD}")


def available() -> bool:
    return all((BEIJING / name).is_file() for name in ("beijing.shp", "worldpop.npy", "xiaoqu.csv"))


def estate_table(subdistrict: str, out_csv: Path) -> tuple[int, float]:
    """Write the estates of one subdistrict (by its 乡 name, unique in the file) with derived counts;
    returns (estates, population). Coordinates stay BD-09 as crawled."""
    polygons = gpd.read_file(BEIJING / "beijing.shp")
    rows = np.flatnonzero(polygons["乡"].to_numpy() == subdistrict)
    if len(rows) != 1:
        raise ValueError(f"{subdistrict!r} names {len(rows)} polygons of beijing.shp")
    total = float(np.load(BEIJING / "worldpop.npy")[rows[0], 0])
    crawled = pd.read_csv(BEIJING / "xiaoqu.csv")
    lon, lat = bd09_to_wgs84(crawled["longitude"].to_numpy(), crawled["latitude"].to_numpy())
    inside = shapely.contains_xy(polygons.geometry.iloc[rows[0]], lon, lat)
    table = crawled.loc[inside, ["ID", "NAME", "longitude", "latitude"]].copy()
    share, extra = divmod(int(round(total)), len(table))  # whole people; the first rows take the remainder
    table["population"] = share + (np.arange(len(table)) < extra)
    table["households"] = np.round(table["population"] / PERSONS_PER_HOUSEHOLD).astype(int)
    table["counts_rule"] = RULE
    table.to_csv(out_csv, index=False, encoding="utf-8")
    return len(table), total
