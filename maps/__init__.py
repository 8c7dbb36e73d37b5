"""maps: write what a run produced for GIS offices (GeoJSON, GeoPackage, CSV) and for reviewers
(a self-contained interactive map and a printable report).

Public API (the only names ``redistrict`` uses):

- ``Proposal``: one option (方案): units with their ``district``, district names, solver certificate,
  policy-compliance rows computed by the caller.
- ``Context``: what every option shares: the parent community's boundary, estates, roads, facilities,
  CRS, totals and provenance.
- ``write_outputs(out_dir, proposals, context) -> dict[str, Path]``.
- ``write_shapefile(out_dir, proposals, context) -> dict[str, Path]``: optional Shapefile export.
- ``OutputError``: what the caller handed over cannot be written (a ValueError).
- ``write_city_overview(out_dir, communities, title=...)``: a batch run's ``summary.html``.

This package never imports ``boundaries`` or ``solver``.
"""
from maps.city import write_city_overview
from maps.errors import OutputError
from maps.model import Context, Proposal
from maps.outputs import write_outputs, write_shapefile

__all__ = ["Context", "OutputError", "Proposal", "write_city_overview", "write_outputs",
           "write_shapefile"]
