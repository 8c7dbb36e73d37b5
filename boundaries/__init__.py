"""boundaries: the city's layers in, validated, in metres; atomic units and their adjacency graph out.

Public API (the only names ``redistrict`` uses):

- ``load_layers(...) -> Layers``: read every input layer, map field names, decode text, convert datums
  (GCJ-02 / BD-09 -> WGS84), project everything to one metric CRS.
- ``inspect_layers(layers) -> ValidationReport``: every problem at once (layer, feature name, hint).
- ``community_totals(layers) -> DataFrame``: population and households per community.
- ``build_units(layers, community) -> Units``: whole estates + remaining land as blocks, people assigned.
- ``build_graph(units_frame, roads=None) -> networkx.Graph``: adjacency with shared lengths and barriers.
- ``repair_layers(layers) -> Repaired``: the documented ``--repair`` rules applied, each change a ``Repair``.
- ``check_one_piece(frame, assignment, graph) -> list[str]``: every new community one piece on the map.
- ``crossing_strips(frame, graph)``: the land each gap crossing spans (drawn into the new community).
- ``wgs84_to_gcj02(lon, lat)``: the one GCJ-02 formula (``redistrict`` hands it to ``maps`` for a Gaode
  base map's display copy).

This package never imports ``solver`` or ``maps``.
"""
from boundaries.errors import InputError, Problem
from boundaries.layers import Layers, load_layers
from boundaries.validate import ValidationReport, inspect_layers
from boundaries.units import Units, build_units, community_totals
from boundaries.graph import build_graph, crossing_label, crossing_strips
from boundaries.repair import Repair, Repaired, RepairRule, repair_layers
from boundaries.onepiece import check_one_piece
from boundaries.datum import wgs84_to_gcj02

__all__ = [
    "InputError",
    "Problem",
    "Layers",
    "load_layers",
    "ValidationReport",
    "inspect_layers",
    "Units",
    "build_units",
    "community_totals",
    "build_graph",
    "crossing_label",
    "crossing_strips",
    "Repair",
    "Repaired",
    "RepairRule",
    "repair_layers",
    "check_one_piece",
    "wgs84_to_gcj02",
]
