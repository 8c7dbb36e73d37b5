"""maps: write what a run produced for GIS offices (GeoJSON, GeoPackage, CSV) and for reviewers
(a self-contained interactive map and a printable report).

Public API (the only names ``redistrict`` uses):

- ``Proposal``: one option (方案): units with their ``district``, district names, solver certificate,
  policy-compliance rows computed by the caller.
- ``Context``: what every option shares: the parent community's boundary, estates, roads, facilities,
  CRS, totals and provenance.
- ``write_outputs(out_dir, proposals, context) -> dict[str, Path]``.

This package never imports ``boundaries`` or ``solver``.
"""
from maps.model import Context, Proposal
from maps.outputs import write_outputs

__all__ = ["Context", "Proposal", "write_outputs"]
