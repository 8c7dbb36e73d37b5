"""A community's fingerprint: a checksum of everything its split depends on, so that a batch rerun skips a
community only when its data, the settings and the program are unchanged (and reruns it otherwise).

The data are the features of every layer within ``NEIGHBOURHOOD_M`` of the community, as loaded (after
field mapping, datum conversion and projection): the community itself, its neighbours (they decide where
points on a shared boundary go), estates, population points, roads and facilities. Beyond the outputs'
map margin (500 m, ``maps.options.local_context``) nothing reaches a community's files.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import shapely

import boundaries
from redistrict.config import LAYERS, SplitConfig
from redistrict.provenance import versions

NEIGHBOURHOOD_M = 600.0


def community_fingerprint(layers: boundaries.Layers, community_id: str, config: SplitConfig) -> str:
    communities = layers.communities
    row = communities.index[communities["community_id"].astype(str) == community_id]
    if len(row) != 1:
        raise KeyError(f"no community with id {community_id!r}")
    near = communities.geometry.loc[row[0]].buffer(NEIGHBOURHOOD_M)
    digest = hashlib.sha256()
    digest.update(json.dumps({"community": community_id, "crs": layers.crs.to_string(),
                              "settings": comparable_settings(config), "versions": versions()},
                             sort_keys=True, ensure_ascii=False).encode())
    for layer in LAYERS:
        frame = getattr(layers, layer)
        if frame is None or len(frame) == 0:
            continue
        hits = sorted(frame.sindex.query(near, predicate="intersects"))
        part = frame.iloc[hits]
        digest.update(f"\n{layer} {len(part)}\n".encode())
        digest.update(part.drop(columns=part.geometry.name).to_csv(index=False).encode())
        for wkb in shapely.to_wkb(part.geometry.values, hex=True, output_dimension=2):
            digest.update(wkb.encode() if wkb else b"-")
    return digest.hexdigest()


def comparable_settings(config: SplitConfig) -> dict[str, Any]:
    """The settings that change a community's result: not where the files go, not which community a
    single run was pointed at, not the input paths (their content is fingerprinted instead)."""
    scenario = json.loads(json.dumps(config.to_scenario(), ensure_ascii=False))
    scenario.get("output", {}).pop("out", None)
    scenario.get("run", {}).pop("community", None)
    scenario.pop("inputs", None)
    return scenario
