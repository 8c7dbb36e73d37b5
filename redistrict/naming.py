"""Working names for new communities. Reviewers rename them; the name only has to be unambiguous and
say where the community is, so it carries its largest estate (or block) as a landmark."""
from __future__ import annotations

import geopandas as gpd

_NUMERALS = "一二三四五六七八九十"


def ordinal(number: int) -> str:
    """Chinese numeral for 1..99 (新社区十二), digits beyond."""
    if 1 <= number <= 10:
        return _NUMERALS[number - 1]
    if 11 <= number <= 19:
        return "十" + _NUMERALS[number - 11]
    if 20 <= number <= 99:
        tens, ones = divmod(number, 10)
        return _NUMERALS[tens - 1] + "十" + (_NUMERALS[ones - 1] if ones else "")
    return str(number)


def district_names(assigned: gpd.GeoDataFrame) -> dict[int, str]:
    """{district: "新社区一（翠湖花园片）"}: the landmark is the district's most populous estate."""
    names: dict[int, str] = {}
    for district, part in assigned.groupby("district", sort=True):
        estates = part[part["kind"] == "estate"]
        pool = estates if len(estates) else part
        # ties broken by unit id so the name is stable run to run
        landmark = pool.sort_values(["population", "unit_id"], ascending=[False, True]).iloc[0]["name"]
        names[int(district)] = f"新社区{ordinal(int(district))}（{landmark}片）"
    return names
