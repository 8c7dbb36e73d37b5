"""Each proposal turned into what every writer needs: its new communities as shapes with their numbers,
its units and estates labelled with the new community, in the projected CRS."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from maps.colours import district_colours
from maps.dissolve import community_neighbours, dissolve_communities, estate_districts, estate_key
from maps.model import Context, Proposal
from maps.sizhi import Side, describe_communities, named_lines, outline_feature, sizhi_sentence
from maps.wording import option_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptionView:
    """One option ready to write. ``number`` is 1-based; option 1 is the recommended one."""

    number: int
    title: str                        # 方案一
    label: str                        # the caller's label
    units: gpd.GeoDataFrame           # projected; district, district_name added
    communities: gpd.GeoDataFrame     # projected; see dissolve_communities, plus colour and sizhi
    estates: gpd.GeoDataFrame         # projected; context estates with district and district_name
    sides: Mapping[int, Mapping[str, Side]]
    certificate: Mapping[str, Any]
    compliance: Sequence[Mapping[str, Any]]
    metrics: Mapping[str, Any]
    totals: Mapping[str, float] = field(default_factory=dict)
    notes: Mapping[int, str] = field(default_factory=dict)   # {district: note}, from the proposal
    facts: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)   # Proposal.community_facts

    @property
    def slug(self) -> str:
        """Suffix of per-option file and layer names: '' for the recommended option, '_option2' after."""
        return "" if self.number == 1 else f"_option{self.number}"


def local_context(context: Context, proposals: Sequence[Proposal], *, margin_m: float = 500.0) -> Context:
    """The context in its projected CRS, with roads, facilities and estates cut to the community's
    surroundings: callers may pass a whole city's layers, and a run's outputs need only this place."""
    crs = context.crs
    boundary = context.boundary.to_crs(crs)
    area = shapely.union_all(np.asarray(list(boundary.geometry), dtype=object))
    near = area.buffer(margin_m)

    def nearby(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
        if frame is None:
            return None
        frame = frame.to_crs(crs)
        keep = frame.geometry.notna() & frame.geometry.intersects(near)
        clipped = frame.loc[keep].copy()
        clipped[clipped.geometry.name] = clipped.geometry.intersection(near)
        return clipped.loc[~clipped.geometry.is_empty].reset_index(drop=True)

    estates = context.estates.to_crs(crs)
    used = {estate_key(v) for p in proposals for v in p.units["estate_id"]} - {None}
    inside = estates.geometry.notna() & estates.geometry.representative_point().within(area.buffer(1.0))
    keep = inside | estates["estate_id"].map(estate_key).isin(used)
    return replace(context, boundary=boundary, estates=estates.loc[keep].reset_index(drop=True),
                   roads=nearby(context.roads), facilities=nearby(context.facilities))


def build_views(proposals: Sequence[Proposal], context: Context) -> list[OptionView]:
    """``context`` as returned by ``local_context`` (already in its projected CRS)."""
    crs = context.crs
    estates, facilities, roads, boundary = context.estates, context.facilities, context.roads, context.boundary
    lines = named_lines(roads)
    outline = outline_feature(boundary, context.community_name)
    views = []
    for number, proposal in enumerate(proposals, start=1):
        units = proposal.units.to_crs(crs).copy()
        units["district"] = pd.to_numeric(units["district"]).astype(int)
        names = {int(k): str(v) for k, v in proposal.district_names.items()}
        joins = proposal.joins.to_crs(crs) if proposal.joins is not None else None
        communities = dissolve_communities(units, district_names=names, estates=estates, facilities=facilities,
                                           joins=joins)
        names = dict(zip(communities["district"].astype(int), communities["name"]))
        units["district_name"] = units["district"].map(names)
        colours = district_colours(communities["district"].astype(int).tolist(),
                                   community_neighbours(communities) if len(communities) > 10 else None)
        communities["colour"] = communities["district"].map(colours)
        sides = describe_communities(communities, lines=lines, outline=outline)
        communities["sizhi"] = [sizhi_sentence(sides[int(d)]) for d in communities["district"]]
        views.append(OptionView(
            number=number, title=option_title(number), label=str(proposal.label),
            units=units, communities=communities, estates=_estates_with_district(estates, units, names),
            sides=sides, certificate=dict(proposal.certificate), compliance=list(proposal.compliance),
            metrics=dict(proposal.metrics),
            facts={int(k): dict(v) for k, v in proposal.community_facts.items()},
            totals={"population_out": float(units["population"].sum()),
                    "households_out": float(units["households"].sum())},
            notes={int(k): str(v) for k, v in proposal.district_notes.items()},
        ))
        log.info("option %d (%s): %d new communities, %d units", number, proposal.label, len(communities),
                 len(units))
    return views


def _estates_with_district(estates: gpd.GeoDataFrame, units: gpd.GeoDataFrame,
                           names: Mapping[int, str]) -> gpd.GeoDataFrame:
    """Context estates with the new community each went to; population/households fall back to the
    units' sums where the estate layer has none."""
    frame = estates.copy()
    keys = frame["estate_id"].map(estate_key)
    where = estate_districts(units)
    frame["district"] = [where.get(k) if k is not None else None for k in keys]
    frame["district"] = frame["district"].astype("Int64")
    frame["district_name"] = [names.get(int(d)) if pd.notna(d) else None for d in frame["district"]]
    keyed = units.assign(_estate=units["estate_id"].map(estate_key)).dropna(subset=["_estate"])
    sums = keyed.groupby("_estate")[["population", "households"]].sum()
    for column in ("population", "households"):
        from_units = keys.map(sums[column]) if len(sums) else pd.Series(np.nan, index=frame.index)
        given = pd.to_numeric(frame[column], errors="coerce") if column in frame.columns else from_units * math.nan
        # the units' sums are the numbers the plan used; the estate layer's own counts only fill gaps
        frame[column] = from_units.fillna(given).fillna(0.0).astype(float)
    frame["estate_id"] = keys
    return frame.sort_values(["estate_id"], kind="stable").reset_index(drop=True)
