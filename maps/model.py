"""What the caller hands to ``maps``: plain data, so this package needs nothing from the others."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import geopandas as gpd


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """One option (方案) for splitting the parent community.

    ``units``: GeoDataFrame in the projected CRS with the unit columns (unit_id, kind, name, estate_id,
    population, households, group, facility, community, geometry) plus ``district`` (int, 1..k).
    ``district_names``: {district: name}. ``certificate``: the solver's record (status, objective, bound,
    gap, runtime_s, backend, solver_version, minimum_proven, objective_name, centres).
    ``compliance``: rows {district, profile, rule, required, present, ok, note} computed by the caller.
    ``metrics``: option-level numbers for the side-by-side table (balance, estates moved, ...).
    ``joins``: land a new community includes to join its units across a recorded gap (district,
    geometry, units' CRS), or None: the dissolved community is drawn with it, as one piece.
    ``district_notes``: {district: text} for the communities that need a word (plan.geojson ``note``).
    ``community_facts``: {district: JSON-ready facts the caller computed}: ``service_site`` ({name, kind,
    unit_id, lon, lat}, WGS84) and ``headroom`` (rows {rule, limit, value, headroom}); written to
    plan.geojson as they are and shown in the report and on the map.
    """

    label: str
    units: gpd.GeoDataFrame
    district_names: Mapping[int, str]
    certificate: Mapping[str, Any]
    compliance: Sequence[Mapping[str, Any]] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    joins: gpd.GeoDataFrame | None = None
    district_notes: Mapping[int, str] = field(default_factory=dict)  # e.g. why a community exceeds the cap
    community_facts: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Context:
    """What every option shares. All frames are in ``crs`` (projected, metres).

    ``boundary``: the parent community (one row: name, geometry). ``estates``: estate_id, name,
    population, households, geometry. ``roads``: name, kind ('road' | 'river'), geometry, or None.
    ``facilities``: name, area_m2, geometry, or None. ``totals``: population_in, households_in,
    population_out, households_out. ``provenance``: inputs, checksums, CRS, conversions, versions.
    ``repairs``: what ``--repair`` changed in the input, rows {layer, features, rule, area_m2, description}.
    ``adjacency``: (unit_id, unit_id) pairs of the solver's graph (across roads too), embedded in map.html
    for its edit mode; when empty, units sharing a stretch of boundary. ``size_rule``: the rule the split
    was driven by, {attr: population|households, max, min}, when flags overrode the profile's numbers.
    ``report_date``: the date the report carries (ISO, given by the caller: the data's date or the one the
    user passed; never the clock, so the same inputs give the same report). ``population_kind``: what the
    population data holds (resident / registered / actual / unspecified), as the reader detected it.
    ``display_shift``: the WGS84 -> GCJ-02 transform ((lon, lat) arrays -> (lon, lat) arrays) that a
    Gaode base map needs for its display copy; the caller passes it in (this package has no datum code).
    """

    community_name: str
    boundary: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    facilities: gpd.GeoDataFrame | None
    crs: Any
    totals: Mapping[str, float]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    profiles: Sequence[Mapping[str, Any]] = ()
    repairs: Sequence[Mapping[str, Any]] = ()
    adjacency: Sequence[tuple[str, str]] = ()
    size_rule: Mapping[str, Any] = field(default_factory=dict)
    report_date: str | None = None
    population_kind: str | None = None
    display_shift: Callable[[Any, Any], tuple[Any, Any]] | None = None
