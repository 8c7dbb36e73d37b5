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
    """

    label: str
    units: gpd.GeoDataFrame
    district_names: Mapping[int, str]
    certificate: Mapping[str, Any]
    compliance: Sequence[Mapping[str, Any]] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Context:
    """What every option shares. All frames are in ``crs`` (projected, metres).

    ``boundary``: the parent community (one row: name, geometry). ``estates``: estate_id, name,
    population, households, geometry. ``roads``: name, kind ('road' | 'river'), geometry, or None.
    ``facilities``: name, area_m2, geometry, or None. ``totals``: population_in, households_in,
    population_out, households_out. ``provenance``: inputs, checksums, CRS, conversions, versions.
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
    display_shift: Callable[[Any, Any], tuple[Any, Any]] | None = None
