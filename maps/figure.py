"""A static picture of each option for the printed report (matplotlib's Agg canvas directly: no pyplot
state, no display needed).

With a CJK font the labels are the new communities' Chinese names; without one they are English
("Community 1"), never boxes. The same colours as the web map. Names are drawn as plain text
(``parse_math=False``): a ``$…$`` in a name is not mathtext, so it shows as typed and cannot break the drawing.
"""
from __future__ import annotations

import io
import unicodedata
from typing import Callable

from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import numpy as np
import shapely

from maps import colours
from maps.fonts import cjk_font_path, covers
from maps.model import Context
from maps.options import OptionView
from maps.roadnames import road_labels
from maps.wording import count

_SCALE_STEPS_M = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)
_MAP_WIDTH_IN = 6.6
_MAP_MAX_HEIGHT_IN = 7.5


class Labeller:
    """Chinese text where the font has every glyph, the English alternative otherwise."""

    def __init__(self, font_path: str | None):
        self.font_path = font_path
        self.font = FontProperties(fname=font_path) if font_path else FontProperties(family="DejaVu Sans")

    @property
    def chinese(self) -> bool:
        return self.font_path is not None

    def pick(self, chinese: str, english: str) -> str:
        return chinese if self.font_path and covers(self.font_path, chinese) else english


def option_png(view: OptionView, context: Context, *,
               font_path: Callable[[], str | None] | str | None = cjk_font_path, dpi: int = 150) -> bytes:
    """PNG bytes of one option: new communities filled, estates outlined, roads, rivers, facilities,
    the original boundary dashed, labels, legend, scale bar and north arrow."""
    path = font_path() if callable(font_path) else font_path
    text = Labeller(path)
    communities = view.communities
    handles = [Patch(facecolor=row.colour, alpha=0.55, edgecolor=colours.BOUNDARY,
                     label=text.pick(f"{row.name}  {count(row.population)} 人",
                                     f"Community {row.district}  pop. {count(row.population)}"))
               for row in communities.itertuples(index=False)]
    handles += [Line2D([], [], color=colours.BOUNDARY, linestyle="--", linewidth=2,
                       label=text.pick("原社区边界", "Original boundary")),
                Line2D([], [], color=colours.ROAD, linewidth=1, label=text.pick("道路", "Road")),
                Line2D([], [], color=colours.RIVER, linewidth=2, label=text.pick("河流", "River")),
                Line2D([], [], color=colours.FACILITY, marker="o", linestyle="", label=text.pick("服务设施", "Facility"))]

    west, south, east, north = context.boundary.total_bounds
    pad = 0.03 * max(east - west, north - south)
    x_range, y_range = (west - pad, east + pad), (south - pad, north + pad)
    # size the figure to the data's shape so the map fills its box and the scale bar is exact
    aspect = (y_range[1] - y_range[0]) / (x_range[1] - x_range[0])
    map_w = _MAP_WIDTH_IN
    map_h = map_w * aspect
    if map_h > _MAP_MAX_HEIGHT_IN:
        map_h, map_w = _MAP_MAX_HEIGHT_IN, _MAP_MAX_HEIGHT_IN / aspect
    legend_h = 0.22 * -(-len(handles) // 2) + 0.1
    title_h, scale_h = 0.45, 0.4
    width, height = _MAP_WIDTH_IN + 0.4, title_h + map_h + scale_h + legend_h
    left = (width - map_w) / 2 / width

    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((left, (legend_h + scale_h) / height, map_w / width, map_h / height))
    ax.set_axis_off()
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)

    communities.plot(ax=ax, color=list(communities["colour"]), alpha=0.55, edgecolor=colours.BOUNDARY,
                     linewidth=1.2, aspect=None)
    if len(view.estates):
        view.estates.boundary.plot(ax=ax, color=colours.ESTATE_EDGE, linewidth=0.4, aspect=None)
    roads = context.roads
    if roads is not None and not roads.empty:
        river = (roads["kind"].astype(str).str.lower() == "river") if "kind" in roads.columns else None
        if river is not None and river.any():
            roads[river].plot(ax=ax, color=colours.RIVER, linewidth=2.0, aspect=None)
        plain_roads = roads[~river] if river is not None else roads
        if len(plain_roads):
            plain_roads.plot(ax=ax, color=colours.ROAD, linewidth=1.0, aspect=None)
    context.boundary.boundary.plot(ax=ax, color=colours.BOUNDARY, linewidth=2.0, linestyle="--", aspect=None)
    facilities = context.facilities
    if facilities is not None and not facilities.empty:
        points = facilities.geometry.representative_point()
        ax.scatter(points.x, points.y, s=36, color=colours.FACILITY, edgecolors="white", linewidths=1.0, zorder=5)
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)

    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    _road_names(ax, context, text, halo)
    for row in communities.itertuples(index=False):
        label = text.pick(f"{_drawable(row.name)}\n{count(row.population)} 人",
                          f"Community {row.district}\n{count(row.population)}")
        ax.text(row.label_x, row.label_y, label, ha="center", va="center", fontsize=7.5,
                fontproperties=text.font, path_effects=halo, zorder=6, parse_math=False)

    band = figure.add_axes((left, legend_h / height, map_w / width, scale_h / height))
    band.set_axis_off()
    band.set_xlim(*x_range)
    band.set_ylim(0.0, 1.0)
    _scale_bar(band, x_range, east - west)
    band.annotate("N", xy=(0.97, 0.95), xytext=(0.97, 0.2), xycoords="axes fraction", ha="center", va="center",
                  fontsize=9, arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2})
    figure.suptitle(text.pick(f"{view.title}（{view.label}）" if view.label != view.title else view.title,
                              f"Option {view.number}"), fontproperties=text.font, fontsize=12,
                    y=1 - 0.12 / height, va="top", parse_math=False)
    legend_font = text.font.copy()
    legend_font.set_size(7.5)
    legend = figure.legend(handles=handles, loc="lower center", ncol=2, frameon=False, prop=legend_font,
                           bbox_to_anchor=(0.5, 0.0))
    for label in legend.get_texts():
        label.set_parse_math(False)
    buffer = io.BytesIO()
    # no Software tag: the same option gives the same bytes
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _drawable(name: object) -> str:
    """A name as the figure draws it: control, format and line-separator characters (no glyph in any
    font; a line separator would break the label) become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(name))


def _road_names(ax, context: Context, text: Labeller, halo) -> None:
    """Each named road and river once, along the line; upright characters one under the other on a steep
    one, as Chinese maps set them. Without a font that has the glyphs the names are left off (no boxes)."""
    area = shapely.union_all(np.asarray(list(context.boundary.geometry), dtype=object))
    for label in road_labels(context.roads, area):
        name = text.pick(_drawable(label.name), "")
        if not name:
            continue
        steep = abs(label.angle_deg) > 60
        ax.text(label.x, label.y, "\n".join(name) if steep else name, rotation=0 if steep else label.angle_deg,
                rotation_mode="anchor", ha="center", va="center", fontsize=6.5, linespacing=1.0,
                color=colours.RIVER if label.kind == "river" else "#444444", fontproperties=text.font,
                path_effects=halo, zorder=5.5, parse_math=False)


def _scale_bar(band, x_range: tuple[float, float], width_m: float) -> None:
    length = max([s for s in _SCALE_STEPS_M if s <= width_m / 4] or [_SCALE_STEPS_M[0]])
    x = x_range[0]
    band.plot([x, x + length], [0.7, 0.7], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    band.text(x + length / 2, 0.45, label, ha="center", va="top", fontsize=7.5)
