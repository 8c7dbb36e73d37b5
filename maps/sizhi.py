"""四至: the four-side boundary description (东至…，南至…，西至…，北至…) of each new community.

The community's outline is cut into short pieces; each piece faces east, south, west or north by its
outward normal. A piece is "along" a named road or river when it lies within ``road_tolerance_m`` of the
centre-line and runs roughly parallel to it (so a road that merely crosses the side does not count).
A side names every road or river covering at least ``min_share`` (30 %) of it and, where no such road runs,
every neighbouring new community and stretch of the original community's boundary covering that much: no
stretch of 30 % or more is left out, and nothing that does not run along the side is named.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from maps.wording import SIDES_ZH

SIDES = ("east", "south", "west", "north")
_PARALLEL_COS = math.cos(math.radians(35.0))
_DIRECTION_STEP_M = 2.0
_ON_LINE_M = 1.0                               # a piece this close is on the line, whatever the angle
_BESIDE_COS = math.cos(math.radians(60.0))     # offset within 30° of square to the line: beside it


@dataclass(frozen=True)
class Feature:
    """A named line reviewers cite: a road or a river (centre-line), or a neighbouring area."""

    name: str
    kind: str  # road | river | neighbour | boundary
    geometry: BaseGeometry


@dataclass(frozen=True)
class Side:
    side: str           # east | south | west | north
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    length_m: float

    @property
    def text(self) -> str:
        return "、".join(self.names) if self.names else "—"


def named_lines(roads: gpd.GeoDataFrame | None) -> list[Feature]:
    """Roads and rivers merged per (kind, name), sorted; unnamed ones are useless in a 四至 and dropped."""
    if roads is None or roads.empty or "name" not in roads.columns:
        return []
    kinds = roads["kind"] if "kind" in roads.columns else ["road"] * len(roads)
    grouped: dict[tuple[str, str], list[BaseGeometry]] = {}
    for name, kind, geometry in zip(roads["name"], kinds, roads.geometry):
        if not isinstance(name, str) or not name.strip() or geometry is None or geometry.is_empty:
            continue
        kind = "river" if str(kind).strip().lower() == "river" else "road"
        line = geometry.boundary if geometry.geom_type in ("Polygon", "MultiPolygon") else geometry
        grouped.setdefault((kind, name.strip()), []).append(line)
    features = []
    for (kind, name), lines in sorted(grouped.items()):
        merged = shapely.line_merge(shapely.union_all(np.asarray(lines, dtype=object)))
        features.append(Feature(name=name, kind=kind, geometry=merged))
    return features


def _pieces(geometry: BaseGeometry, step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Midpoints (n, 2), unit directions (n, 2), lengths (n,), side index (n,) of the outline's pieces."""
    mids, dirs, lengths, sides = [], [], [], []
    for part in getattr(geometry, "geoms", [geometry]):
        if not isinstance(part, Polygon) or part.is_empty:
            continue
        ring = np.asarray(orient(part, sign=1.0).exterior.coords)
        for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:]):
            dx, dy = x1 - x0, y1 - y0
            length = math.hypot(dx, dy)
            if length == 0:
                continue
            # exterior counter-clockwise: the outside is on the right, normal (dy, -dx)
            angle = math.degrees(math.atan2(-dx, dy)) % 360.0
            side = 0 if angle < 45 or angle >= 315 else 3 if angle < 135 else 2 if angle < 225 else 1
            count = max(1, math.ceil(length / step_m))
            t = (np.arange(count) + 0.5) / count
            mids.append(np.column_stack([x0 + dx * t, y0 + dy * t]))
            dirs.append(np.tile([dx / length, dy / length], (count, 1)))
            lengths.append(np.full(count, length / count))
            sides.append(np.full(count, side))
    if not mids:
        empty = np.zeros((0, 2))
        return empty, empty, np.zeros(0), np.zeros(0, dtype=int)
    return np.vstack(mids), np.vstack(dirs), np.concatenate(lengths), np.concatenate(sides)


def _along_line(line: BaseGeometry, mids: np.ndarray, dirs: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Which pieces lie within tolerance of the line, beside it (not beyond one of its ends) and parallel."""
    points = shapely.points(mids)
    near = shapely.distance(line, points) <= tolerance_m
    if not near.any():
        return near
    position = shapely.line_locate_point(line, points[near])
    nearest = shapely.get_coordinates(shapely.line_interpolate_point(line, position))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(line, position + _DIRECTION_STEP_M))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(line, position - _DIRECTION_STEP_M))
    direction = ahead - behind
    norm = np.hypot(direction[:, 0], direction[:, 1])
    safe_norm = np.where(norm > 0, norm, np.inf)
    cos = np.abs((direction * dirs[near]).sum(axis=1)) / safe_norm
    # beside the line the offset to its nearest point is square to it; past an end it points along it
    offset = mids[near] - nearest
    offset_norm = np.hypot(offset[:, 0], offset[:, 1])
    beside = (offset_norm <= _ON_LINE_M) | (
        np.abs((offset * direction).sum(axis=1)) / (np.maximum(offset_norm, _ON_LINE_M) * safe_norm) < _BESIDE_COS)
    result = near.copy()
    result[near] = (cos >= _PARALLEL_COS) & beside
    return result


def describe_sides(geometry: BaseGeometry, *, lines: Sequence[Feature], neighbours: Sequence[Feature],
                   outline: Feature | None, road_tolerance_m: float = 40.0, touch_tolerance_m: float = 2.0,
                   min_share: float = 0.3, step_m: float = 10.0) -> dict[str, Side]:
    """{side: Side} for east, south, west, north of one community (projected CRS, metres).

    A side names every road or river that runs along at least ``min_share`` of its length, then, on the
    rest of it, every neighbouring new community and the original boundary that make up at least
    ``min_share`` of its length: nothing that covers less, so nothing that does not run along the side,
    and no stretch of ``min_share`` or more left out. Where nothing reaches ``min_share``, the one thing
    running along most of the side is named.
    """
    mids, dirs, lengths, sides = _pieces(geometry, step_m)
    if len(mids) == 0:
        return {side: Side(side=side, names=(), kinds=(), length_m=0.0) for side in SIDES}
    points = shapely.points(mids)
    along_lines = [(f, _along_line(f.geometry, mids, dirs, road_tolerance_m)) for f in lines]
    touching = [(f, shapely.distance(f.geometry, points) <= touch_tolerance_m)
                for f in [*neighbours, *([outline] if outline is not None else [])]]
    result: dict[str, Side] = {}
    for index, side in enumerate(SIDES):
        on_side = sides == index
        side_length = float(lengths[on_side].sum())
        if side_length == 0:
            result[side] = Side(side=side, names=(), kinds=(), length_m=0.0)
            continue
        roads = _shares(along_lines, on_side, lengths, side_length)
        chosen = [item for item in roads if item[0] >= min_share]
        claimed = np.zeros_like(on_side)
        for _, _, mask in chosen:
            claimed |= mask
        # what the side touches where no chosen road runs: the neighbour, or the original boundary
        others = _shares(touching, on_side & ~claimed, lengths, side_length)
        chosen += [item for item in others if item[0] >= min_share]
        if not chosen:
            best = sorted(roads + _shares(touching, on_side, lengths, side_length), key=lambda item: -item[0])
            chosen = best[:1] if best and best[0][0] > 0 else []
        result[side] = Side(side=side, names=tuple(f.name for _, f, _ in chosen),
                            kinds=tuple(f.kind for _, f, _ in chosen), length_m=side_length)
    return result


def _shares(candidates: Sequence[tuple[Feature, np.ndarray]], pieces: np.ndarray, lengths: np.ndarray,
            side_length: float) -> list[tuple[float, Feature, np.ndarray]]:
    """(share of the side, feature, its pieces there) per candidate, largest share first, then by name."""
    shares = [(float(lengths[pieces & mask].sum()) / side_length, f, pieces & mask) for f, mask in candidates]
    return sorted(shares, key=lambda item: (-item[0], item[1].kind != "neighbour", item[1].name))


def sizhi_sentence(sides: Mapping[str, Side]) -> str:
    """东至XX路，南至XX河，西至新社区二，北至原XX社区边界。"""
    parts = [f"{SIDES_ZH[s]}至{sides[s].text}" for s in SIDES if s in sides and sides[s].names]
    return "，".join(parts) + "。" if parts else "—"


def outline_feature(boundary: gpd.GeoDataFrame, community_name: str) -> Feature:
    """The parent community's outline, cited where a side follows no road and no new neighbour."""
    label = community_name if community_name.endswith("社区") else f"{community_name}社区"
    union = shapely.union_all(np.asarray(list(boundary.geometry), dtype=object))
    return Feature(name=f"原{label}边界", kind="boundary", geometry=union.boundary)


def describe_communities(communities: gpd.GeoDataFrame, *, lines: Sequence[Feature], outline: Feature | None,
                         road_tolerance_m: float = 40.0) -> dict[int, dict[str, Side]]:
    """{district: {side: Side}} for every new community of one option."""
    rows = list(zip(communities["district"].astype(int), communities["name"].astype(str), communities.geometry))
    described = {}
    for district, _, geometry in rows:
        neighbours = [Feature(name=name, kind="neighbour", geometry=other)
                      for other_district, name, other in rows if other_district != district and not other.is_empty]
        described[district] = describe_sides(geometry, lines=lines, neighbours=neighbours, outline=outline,
                                             road_tolerance_m=road_tolerance_m)
    return described
