"""``write_outputs``: every file of a run's folder from the options and their shared context."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Sequence

from maps.basemaps import tile_sources
from maps.files import write_assignment_csv, write_geojson, write_geopackage, write_shapefiles
from maps.model import Context, Proposal
from maps.options import build_views, local_context
from maps.report import render_report
from maps.validate import check_inputs
from maps.webmap import render_map

log = logging.getLogger(__name__)


def write_outputs(out_dir: Path, proposals: Sequence[Proposal], context: Context, *, basemap: str | None = None,
                  tianditu_key: str | None = None, shapefile: bool = False) -> dict[str, Path]:
    """Write the run's files into ``out_dir`` (created if needed); the first proposal is the recommended one.

    Returns {key: path}: ``geojson`` (plan.geojson, WGS84, recommended option), ``geojson_option2``…
    (plan_option2.geojson …), ``gpkg`` (plan.gpkg, projected CRS: communities/units/estates per option with
    suffix ``_option2``…, boundary, roads, facilities), ``csv`` (assignment.csv, UTF-8 with BOM, an
    ``option`` column when there are several), ``map`` (map.html, self-contained), ``report``
    (report.html), and with ``shapefile=True`` the Shapefile set (see ``write_shapefile``).
    ``basemap``: None (default, no network), ``osm``, ``tianditu`` (needs ``tianditu_key``) or ``gaode``.
    """
    start = time.perf_counter()
    check_inputs(proposals, context)
    tile_sources(basemap, tianditu_key=tianditu_key)  # a bad base map choice fails before anything is written
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    local = local_context(context, proposals)
    views = build_views(proposals, local)
    written: dict[str, Path] = {}
    for view in views:
        key = "geojson" if view.number == 1 else f"geojson_option{view.number}"
        written[key] = write_geojson(out / f"plan{view.slug}.geojson", view)
    written["gpkg"] = write_geopackage(out / "plan.gpkg", views, local)
    written["csv"] = write_assignment_csv(out / "assignment.csv", views)
    if shapefile:
        written.update(write_shapefiles(out / "shapefile", views, local))
    page = render_map(views, local, basemap=basemap, tianditu_key=tianditu_key)
    (out / "map.html").write_text(page, encoding="utf-8")
    written["map"] = out / "map.html"
    (out / "report.html").write_text(render_report(views, local), encoding="utf-8")
    written["report"] = out / "report.html"
    # the caller counts the folder's files once everything (run.json too) is in place
    log.debug("maps: %d outputs for %d option(s) in %.1f s", len(written), len(views), time.perf_counter() - start)
    return written


def write_shapefile(out_dir: Path, proposals: Sequence[Proposal], context: Context) -> dict[str, Path]:
    """Shapefile export for GIS software that needs it: ``out_dir/shapefile/`` holds communities, units,
    estates (``_option2``… for other options) and boundary, UTF-8 with .cpg, ASCII field names of at most
    10 characters, and ``fields.csv`` (UTF-8 with BOM) saying what each field holds. Text longer than the
    DBF limit (254 bytes) is cut at a character boundary and noted in the field table; plan.gpkg keeps it
    whole."""
    check_inputs(proposals, context)
    local = local_context(context, proposals)
    return write_shapefiles(Path(out_dir) / "shapefile", build_views(proposals, local), local)
