"""Working names for new communities. Reviewers rename them; the name only has to be unambiguous and
say where the community is, so it carries its largest estate (or block) as a landmark."""
from __future__ import annotations

import geopandas as gpd

from maps.wording import ordinal_zh


def district_names(assigned: gpd.GeoDataFrame) -> dict[int, str]:
    """{district: "新社区一（翠湖花园片）"}: the landmark is the district's most populous estate."""
    names: dict[int, str] = {}
    for district, part in assigned.groupby("district", sort=True):
        estates = part[part["kind"] == "estate"]
        pool = estates if len(estates) else part
        # ties broken by unit id so the name is stable run to run
        landmark = pool.sort_values(["population", "unit_id"], ascending=[False, True]).iloc[0]["name"]
        names[int(district)] = f"新社区{ordinal_zh(int(district))}（{landmark}片）"
    return names
