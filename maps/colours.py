"""One colour per new community, the same in the web map and the printed figure.

Colours follow the district number while there are enough of them; beyond the palette, a greedy colouring
of the communities' adjacency keeps neighbours apart.
"""
from __future__ import annotations

from typing import Mapping, Sequence

# Tableau 10 without its grey (grey is kept for roads): distinct in print and for most colour-blind readers.
PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6",
)
ROAD = "#7f7f7f"
RIVER = "#2c7fb8"
BOUNDARY = "#222222"
FACILITY = "#c0392b"
ESTATE_EDGE = "#333333"


def district_colours(districts: Sequence[int], neighbours: Mapping[int, set[int]] | None = None) -> dict[int, str]:
    """{district: '#rrggbb'}; deterministic (districts sorted, neighbours sorted)."""
    ordered = sorted(districts)
    if len(ordered) <= len(PALETTE) or not neighbours:
        return {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(ordered)}
    chosen: dict[int, str] = {}
    for d in ordered:
        taken = {chosen[n] for n in sorted(neighbours.get(d, ())) if n in chosen}
        free = [c for c in PALETTE if c not in taken]
        chosen[d] = free[0] if free else PALETTE[(d - 1) % len(PALETTE)]
    return chosen
