"""The city overview of a batch run (``summary.html``): one map of every community coloured by what the
batch did with it, and a table linking to each community's own map and report. Offline, like map.html."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import mapping

from maps.offline import leaflet_css, leaflet_js
from maps.templating import render, script_json

STATUS_COLOURS = {
    "done": "#2b8a3e", "skipped": "#5c940d", "infeasible": "#c92a2a", "no-solution": "#e67700",
    "failed": "#862e9c", "not needed": "#adb5bd",
}
STATUS_ZH = {"done": "已拆分", "skipped": "已拆分（沿用上次）", "infeasible": "无可行方案", "no-solution": "限时内无解",
             "failed": "失败", "not needed": "无需拆分"}

_COLUMNS = ("community_id", "name", "population", "households", "status", "districts", "folder")


def write_city_overview(out_dir: Path, communities: gpd.GeoDataFrame, *, title: str) -> Path:
    """``communities``: community_id, name, population, households, status, districts, folder, geometry
    (any projected or geographic CRS), and optionally ``message`` (why a community failed). Writes
    ``out_dir/summary.html`` and returns its path."""
    missing = [c for c in _COLUMNS if c not in communities.columns]
    if missing:
        raise ValueError(f"city overview needs columns {', '.join(missing)}")
    shown = communities.to_crs(4326)
    features = []
    for row in shown.sort_values("community_id").itertuples():
        features.append({
            "type": "Feature", "id": str(row.community_id),
            "geometry": mapping(row.geometry),
            "properties": {"name": str(row.name), "status": str(row.status),
                           "status_zh": STATUS_ZH.get(str(row.status), str(row.status)),
                           "population": _whole(row.population), "households": _whole(row.households),
                           "districts": _whole(row.districts), "folder": str(row.folder or ""),
                           "message": str(getattr(row, "message", "") or ""),
                           "colour": STATUS_COLOURS.get(str(row.status), "#495057")},
        })
    rows = [f["properties"] for f in features if f["properties"]["status"] != "not needed"]
    rows.sort(key=lambda r: -(r["population"] or 0))
    west, south, east, north = shown.total_bounds
    page = render("city.html", title=title, rows=rows, leaflet_css=leaflet_css(), leaflet_js=leaflet_js(),
                  data=script_json({"type": "FeatureCollection", "features": features}),
                  bounds=script_json([[south, west], [north, east]]),
                  legend=[(STATUS_ZH[s], s, c) for s, c in STATUS_COLOURS.items()],
                  total=len(features))
    path = Path(out_dir) / "summary.html"
    path.write_text(page, encoding="utf-8")
    return path


def _whole(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(round(float(value)))
