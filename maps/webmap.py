"""``map.html``: a folium map that needs no network. Leaflet and this package's script are inlined,
folium's CDN assets (jQuery, Bootstrap, awesome-markers …) are dropped, and there is no base map unless
one is asked for. Each option is a base layer (radio button), so options are compared by toggling; the
original boundary, roads and rivers, facilities and population density (off until ticked) are overlays.
Data-derived text reaches the page only as JSON read by ``static/webmap.js`` (set with textContent) or
through autoescaped templates. branca's ``Element(text)`` compiles its text as Jinja *source*, so finished
HTML is added with ``RawHtml`` instead, whose fixed template prints it as a value.
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable, Mapping, Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from folium.map import Layer
from folium.template import Template
from shapely.geometry import mapping

from maps import colours
from maps.basemaps import tile_sources
from maps.editing import edit_data, size_rule
from maps.errors import OutputError
from maps.facts import FACT_LABELS, facts_text
from maps.gcj02 import LonLatTransform, shift_geometry
from maps.model import Context
from maps.offline import leaflet_css, leaflet_js, package_static
from maps.options import OptionView
from maps.roadnames import label_points, road_labels
from maps.templating import render, script_json
from maps.totals import cap_text, conservation
from maps.wording import STATUS_ZH, as_number, count, decimal, percent, yes_no

_DISPLAY_DIGITS = 6  # 1e-6 degree ≈ 10 cm: plenty on screen, keeps the file small
_CLASS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_CODE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# residents per km²: fixed breaks so two maps read the same; urban Dongguan estates run 20,000-60,000
DENSITY_BREAKS = (5_000, 10_000, 20_000, 40_000)
DENSITY_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd, 5 classes
DENSITY_UNKNOWN = "#bdbdbd"  # a unit without area (or without population) has no density


class RawHtml(Element):
    """Finished HTML (escaped already, or this package's static assets) put into the page as it is.
    Unlike ``Element(text)`` the text is never parsed as a template: a ``{{…}}`` in a name stays text."""

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str):
        super().__init__()
        self.markup = markup


class DataLayer(Layer):
    """A Leaflet layer built in the page by ``RedistrictMap.<method>(RedistrictMap.data(key), kind, key)``.

    Its features are not in this element: branca compiles the text a ``MacroElement``'s script produces
    as a template once more, so names there would be evaluated. They are in ``store`` (written once
    into the page by ``data_block``); ``method``, ``kind`` and ``key`` are this module's own words."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = RedistrictMap.{{ this.method }}(
                RedistrictMap.data({{ this.key|tojson }}), {{ this.kind|tojson }}, {{ this.key|tojson }});
        {% endmacro %}
    """)

    def __init__(self, store: dict[str, Any], method: str, data: Any, *, kind: str, key: str,
                 name: str | None = None, overlay: bool = True, control: bool = True, show: bool = True):
        if not _CODE_WORD.fullmatch(method) or not _CODE_WORD.fullmatch(kind) or not _CODE_WORD.fullmatch(key):
            raise ValueError(f"layer method, kind and key are code words, not data: {method!r} {kind!r} {key!r}")
        super().__init__(name=None if name is None else control_name(name), overlay=overlay, control=control,
                         show=show)
        self._name = "rd_layer"
        self.method = method
        self.kind = kind
        self.key = key
        store[key] = data


def data_block(store: dict[str, Any]) -> RawHtml:
    """Every layer's features as one JSON block the page's script parses (``RedistrictMap.data``)."""
    return RawHtml(f'<script type="application/json" id="rd-data">{script_json(store)}</script>')


def control_name(text: str) -> str:
    """A name for Leaflet's layer control, which sets it as HTML: escaped, and ``{`` written as an entity
    because folium's control script is compiled as a template (see ``DataLayer``)."""
    return html.escape(text).replace("{", "&#123;")


class ParentCall(folium.MacroElement):
    """One line of script calling ``RedistrictMap.<function>(parent, ...)`` or setting on the parent."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this.code.replace("PARENT", this._parent.get_name()) }}
        {% endmacro %}
    """)

    def __init__(self, code: str):
        super().__init__()
        self._name = "rd_call"
        self.code = code


def _display_frame(frame: gpd.GeoDataFrame, *, gaode: LonLatTransform | None) -> gpd.GeoDataFrame:
    """WGS84 copy for display; ``gaode`` is the GCJ-02 transform when the base map is Gaode's."""
    shown = frame.to_crs("EPSG:4326")
    if gaode is not None:
        shown[shown.geometry.name] = [shift_geometry(g, gaode) if g is not None else g for g in shown.geometry]
    return shown


def _geometry_json(geometry: shapely.Geometry) -> dict[str, Any]:
    return mapping(shapely.transform(geometry, lambda xy: np.round(xy, _DISPLAY_DIGITS)))


def _collection(features: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(feature_id: str, geometry: shapely.Geometry, style: Mapping[str, Any],
             tooltip: Sequence[tuple[str, str]] | None) -> dict[str, Any]:
    return {"type": "Feature", "id": feature_id, "geometry": _geometry_json(geometry),
            "properties": {"id": feature_id, "style": dict(style),
                           "tooltip": [list(r) for r in tooltip] if tooltip else None}}


def css_id(text: str) -> str:
    """A class-name-safe form of an id (the JSON keeps the real id)."""
    return _CLASS_UNSAFE.sub("_", text)


def _community_layer(view: OptionView, shown: gpd.GeoDataFrame) -> dict[str, Any]:
    features = []
    for row, geometry in zip(view.communities.itertuples(index=False), shown.geometry):
        feature_id = f"o{view.number}-d{row.district}"
        style = {"color": colours.BOUNDARY, "weight": 2, "opacity": 0.9, "fillColor": row.colour,
                 "fillOpacity": 0.45, "className": f"rd-community rd-option-{view.number} rd-id-{feature_id}"}
        tooltip = [("新社区 New community", row.name), ("人口 Population", count(row.population)),
                   ("户数 Households", count(row.households)), ("楼盘数 Estates", str(row.estate_count)),
                   ("面积 Area", f"{decimal(row.area_km2, 3)} km²"), ("方案 Option", view.title)]
        facts = facts_text(view.facts.get(int(row.district), {}))
        tooltip += [(label, facts[key]) for key, label in FACT_LABELS if facts.get(key)]
        features.append(_feature(feature_id, geometry, style, tooltip))
    return _collection(features)


def _estate_layer(view: OptionView, shown: gpd.GeoDataFrame) -> dict[str, Any]:
    colour_of = dict(zip(view.communities["district"].astype(int), view.communities["colour"]))
    features = []
    for row, geometry in zip(view.estates.itertuples(index=False), shown.geometry):
        if geometry is None or geometry.is_empty:
            continue
        feature_id = f"o{view.number}-e{row.estate_id}"
        fill = "#ffffff" if pd.isna(row.district) else colour_of.get(int(row.district), "#ffffff")
        style = {"color": colours.ESTATE_EDGE, "weight": 1, "opacity": 0.9, "fillColor": fill,
                 "fillOpacity": 0.55, "className": f"rd-estate rd-option-{view.number} rd-id-{css_id(feature_id)}"}
        tooltip = [("楼盘/小区 Estate", str(row.name)), ("居民 Residents", count(row.population)),
                   ("户数 Households", count(row.households)),
                   ("新社区 New community", str(row.district_name) if isinstance(row.district_name, str) else "—")]
        if _approximate(row):  # an estate given as a point: its outline is derived, so drawn dashed
            style["dashArray"] = "4 3"
            tooltip.append(("范围 Outline", "推算（由点位生成）approximate, derived from a point"))
        features.append(_feature(feature_id, geometry, style, tooltip))
    return _collection(features)


def _approximate(row) -> bool:
    value = getattr(row, "approximate", False)
    return isinstance(value, (bool, np.bool_)) and bool(value)


def density_classes() -> list[dict[str, str]]:
    """The legend of the density layer: [{colour, text}], lowest class first."""
    bounds = [None, *DENSITY_BREAKS, None]
    classes = []
    for colour, low, high in zip(DENSITY_COLOURS, bounds[:-1], bounds[1:]):
        if low is None:
            text = f"< {count(high)}"
        elif high is None:
            text = f"≥ {count(low)}"
        else:
            text = f"{count(low)} – {count(high)}"
        classes.append({"colour": colour, "text": text})
    return classes


def _density_colour(density_km2: float | None) -> str:
    if density_km2 is None:
        return DENSITY_UNKNOWN
    return DENSITY_COLOURS[sum(density_km2 >= b for b in DENSITY_BREAKS)]


def density_layer(view: OptionView, *, gaode: LonLatTransform | None = None) -> dict[str, Any]:
    """The units of ``view`` coloured by residents per km². The area is measured on the projected
    geometry (``view.units`` is in the run's CRS), before the display copy is reprojected to WGS84.
    Each feature's properties carry ``density_km2`` (None when the unit has no area)."""
    units = view.units
    areas_m2 = units.geometry.area.to_numpy()
    shown = _display_frame(units, gaode=gaode)
    ids = units["unit_id"] if "unit_id" in units.columns else pd.Series(range(len(units)), dtype=object)
    names = units["name"] if "name" in units.columns else [None] * len(units)
    features = []
    for unit_id, name, population, area_m2, geometry in zip(ids, names, units["population"], areas_m2,
                                                             shown.geometry):
        if geometry is None or geometry.is_empty:
            continue
        people = as_number(population)
        area_km2 = float(area_m2) / 1e6
        density = people / area_km2 if people is not None and area_km2 > 0 else None
        feature_id = f"density-{unit_id}"
        style = {"color": "#555555", "weight": 1, "opacity": 0.8, "fillColor": _density_colour(density),
                 "fillOpacity": 0.9, "className": f"rd-density rd-id-{css_id(feature_id)}"}
        shown_name = str(name) if isinstance(name, str) and name.strip() else str(unit_id)
        tooltip = [("单元 Unit", shown_name),
                   ("人口密度 Density", "—" if density is None else f"{count(density)} 人/km²"),
                   ("人口 Population", count(population)), ("面积 Area", f"{decimal(area_km2, 3)} km²")]
        feature = _feature(feature_id, geometry, style, tooltip)
        feature["properties"]["density_km2"] = None if density is None else round(density, 1)
        features.append(feature)
    return _collection(features)


def _labels(view: OptionView, gaode: LonLatTransform | None) -> list[dict[str, Any]]:
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(view.communities["label_x"], view.communities["label_y"]),
        crs=view.communities.crs)
    shown = _display_frame(points, gaode=gaode)
    return [{"lat": round(float(p.y), _DISPLAY_DIGITS), "lon": round(float(p.x), _DISPLAY_DIGITS),
             "lines": [str(row.name), f"{count(row.population)} 人"]}
            for row, p in zip(view.communities.itertuples(index=False), shown.geometry) if not p.is_empty]


def _boundary_layer(context: Context, gaode: LonLatTransform | None) -> dict[str, Any]:
    shown = _display_frame(context.boundary, gaode=gaode)
    style = {"color": colours.BOUNDARY, "weight": 3, "dashArray": "8 6", "fill": False, "interactive": False,
             "className": "rd-boundary"}
    return _collection(_feature(f"boundary-{i}", g, style, None) for i, g in enumerate(shown.geometry))


def _road_layer(context: Context, gaode: LonLatTransform | None) -> dict[str, Any] | None:
    roads = context.roads
    if roads is None or roads.empty:
        return None
    shown = _display_frame(roads, gaode=gaode)
    names = roads["name"] if "name" in roads.columns else [None] * len(roads)
    kinds = roads["kind"] if "kind" in roads.columns else ["road"] * len(roads)
    features = []
    for i, (name, kind, geometry) in enumerate(zip(names, kinds, shown.geometry)):
        river = str(kind).strip().lower() == "river"
        style = {"color": colours.RIVER if river else colours.ROAD, "weight": 4 if river else 3,
                 "opacity": 0.85, "fill": False, "className": "rd-river" if river else "rd-road"}
        label = "河流 River" if river else "道路 Road"
        tooltip = [(label, str(name))] if isinstance(name, str) and name.strip() else None
        features.append(_feature(f"{'river' if river else 'road'}-{i}", geometry, style, tooltip))
    return _collection(features)


def _road_label_items(context: Context, gaode: LonLatTransform | None) -> list[dict[str, Any]]:
    labels = road_labels(context.roads, shapely.union_all(np.asarray(list(context.boundary.geometry), dtype=object)))
    if not labels:
        return []
    shown = _display_frame(label_points(labels, context.crs), gaode=gaode)
    return [{"name": label.name, "kind": label.kind, "angle": label.angle_deg,
             "lat": round(float(p.y), _DISPLAY_DIGITS), "lon": round(float(p.x), _DISPLAY_DIGITS)}
            for label, p in zip(labels, shown.geometry)]


def _facility_layer(context: Context, gaode: LonLatTransform | None) -> dict[str, Any] | None:
    facilities = context.facilities
    if facilities is None or facilities.empty:
        return None
    points = gpd.GeoDataFrame(geometry=list(facilities.geometry.representative_point()), crs=facilities.crs)
    shown = _display_frame(points, gaode=gaode)
    names = facilities["name"] if "name" in facilities.columns else [None] * len(facilities)
    areas = facilities["area_m2"] if "area_m2" in facilities.columns else [None] * len(facilities)
    style = {"radius": 7, "color": "#ffffff", "weight": 2, "fillColor": colours.FACILITY, "fillOpacity": 1.0,
             "className": "rd-facility"}
    features = []
    for i, (name, area, geometry) in enumerate(zip(names, areas, shown.geometry)):
        tooltip = [("服务设施 Facility", str(name) if isinstance(name, str) and name.strip() else "—")]
        if not pd.isna(area):
            tooltip.append(("面积 Area", f"{count(area)} m²"))
        features.append(_feature(f"facility-{i}", geometry, style, tooltip))
    return _collection(features)


def _moves_text(metrics: Mapping[str, Any]) -> str | None:
    """What moves against the recommended option (the caller's metrics), or None for option 1."""
    if metrics.get("residents_moved") is None:
        return None
    text = (f"与方案一相比调整 {count(metrics['residents_moved'])} 人（{percent(metrics.get('residents_moved_share'))}）、"
            f"{count(metrics.get('estates_moved', 0))} 个楼盘 · vs option 1: {count(metrics['residents_moved'])} "
            f"residents, {count(metrics.get('estates_moved', 0))} estates moved")
    names = metrics.get("estates_moved_names")
    return f"{text}: {names}" if names else text


def _panel(views: Sequence[OptionView], context: Context, basemap: str | None) -> str:
    options = []
    for view in views:
        status = str(view.certificate.get("status", ""))
        status_text = STATUS_ZH.get(status, status or "—")
        if status == "feasible" and view.certificate.get("gap") is not None:
            status_text += f"（gap {percent(view.certificate.get('gap'))}）"
        kept = conservation(context.totals, view)
        options.append({
            "number": view.number, "title": view.title, "label": view.label, "status": status_text,
            "minimum_proven": yes_no(view.certificate.get("minimum_proven")),
            "rows": [{"colour": r.colour, "name": r.name, "population": count(r.population),
                      "households": count(r.households)} for r in view.communities.itertuples(index=False)],
            "totals_match": kept.match is not False, "totals_text": kept.text,
            "moves": _moves_text(view.metrics),
        })
    notes = ["离线地图：无需联网即可打开 Works offline, no network needed."]
    if any(_approximate(row) for view in views for row in view.estates.itertuples(index=False)):
        notes.append("虚线楼盘的范围由点位推算，仅为近似。Dashed estates: outlines derived from points (approximate).")
    if basemap == "gaode":
        notes.append("为配合高德底图，显示坐标已转换为 GCJ-02（仅用于显示；导出文件仍为原坐标系）。"
                     "Shown in GCJ-02 to match Gaode tiles; exported files are not shifted.")
    elif basemap:
        notes.append("底图需联网加载 The base map loads tiles from the internet.")
    return render("map_panel.html", community_name=context.community_name,
                  cap_text=cap_text(size_rule(context), context.profiles),
                  population_in=count(context.totals.get("population_in")),
                  households_in=count(context.totals.get("households_in")), options=options, notes=notes,
                  density_classes=density_classes() if views else [])


def _stable_ids(root: Element) -> None:
    """folium names elements with random uuids; number them in tree order so the same inputs give the
    same file, byte for byte."""
    stack, counter = [root], 0
    while stack:
        element = stack.pop(0)
        element._id = f"{counter:04d}"
        counter += 1
        children = list(element._children.values())
        if hasattr(element, "header"):
            children = [element.header, element.html, element.script] + children
        stack.extend(children)


def _gaode_shift(context: Context) -> LonLatTransform:
    if context.display_shift is None:
        raise OutputError("basemap 'gaode' needs Context.display_shift (the WGS84 -> GCJ-02 transform): "
                          "Gaode tiles are in GCJ-02 and the layers would sit ~600 m off")
    return context.display_shift


def build_map(views: Sequence[OptionView], context: Context, *, basemap: str | None = None,
              tianditu_key: str | None = None) -> folium.Map:
    """The folium map (not yet rendered); ``render_map`` gives the HTML text."""
    tiles = tile_sources(basemap, tianditu_key=tianditu_key)
    gaode = _gaode_shift(context) if basemap == "gaode" else None
    shown_boundary = _display_frame(context.boundary, gaode=gaode)
    west, south, east, north = shown_boundary.total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None, zoom_start=14,
                      control_scale=False, zoom_snap=0.25)
    fmap.default_js = []   # folium would fetch Leaflet, jQuery, Bootstrap… from CDNs: all dropped
    fmap.default_css = []
    figure = fmap.get_root()
    title = html.escape(f"{context.community_name} 拆分方案 Split proposal")
    for name, text in (("rd_title", f"<title>{title}</title>"),
                       ("leaflet_css", f"<style>{leaflet_css()}</style>"),
                       ("leaflet_js", f"<script>{leaflet_js()}</script>"),
                       ("rd_css", f"<style>{package_static('webmap.css')}</style>"),
                       ("rd_js", f"<script>{package_static('webmap.js')}</script>"),
                       ("rd_edit_css", f"<style>{package_static('edit.css')}</style>"),
                       ("rd_edit_js", f"<script>{package_static('edit.js')}</script>"),
                       ("rd_roadnames_css", f"<style>{package_static('roadnames.css')}</style>"),
                       ("rd_roadnames_js", f"<script>{package_static('roadnames.js')}</script>")):
        figure.header.add_child(RawHtml(text), name=name)
    fmap.add_child(ParentCall("RedistrictMap.panes(PARENT);"))
    # metres and kilometres only: the reviewers' unit
    fmap.add_child(ParentCall("L.control.scale({metric: true, imperial: false}).addTo(PARENT);"))
    store: dict[str, Any] = {}  # layer key → features, written once as JSON (see DataLayer)
    for source in tiles:
        folium.TileLayer(tiles=source.url, attr=source.attribution, name=control_name(source.name), overlay=True,
                         control=True, show=True, subdomains=source.subdomains, max_zoom=source.max_zoom
                         ).add_to(fmap)
    for view in views:
        name = control_name(f"{view.title}{'' if view.label == view.title else '（' + view.label + '）'}"
                            f"{' 推荐' if view.number == 1 else ''}")
        group = folium.FeatureGroup(name=name, overlay=False, control=True, show=view.number == 1)
        group.add_child(ParentCall(f"PARENT.rdOption = {view.number};"))
        communities = _community_layer(view, _display_frame(view.communities, gaode=gaode))
        group.add_child(DataLayer(store, "geoJson", communities, kind="communities",
                                  key=f"communities-{view.number}", control=False))
        estates = _estate_layer(view, _display_frame(view.estates, gaode=gaode))
        group.add_child(DataLayer(store, "geoJson", estates, kind="estates", key=f"estates-{view.number}",
                                  control=False))
        group.add_child(DataLayer(store, "labels", _labels(view, gaode), kind="labels", key=f"labels-{view.number}",
                                  control=False))
        group.add_to(fmap)
    DataLayer(store, "geoJson", _boundary_layer(context, gaode), kind="boundary", key="boundary",
              name="原社区边界 Original boundary").add_to(fmap)
    roads = _road_layer(context, gaode)
    if roads is not None:
        DataLayer(store, "geoJson", roads, kind="roads", key="roads",
                  name="道路与河流 Roads & rivers").add_to(fmap)
        DataLayer(store, "roadLabels", _road_label_items(context, gaode), kind="roadlabels", key="road-labels",
                  name="路名与河名 Road & river names").add_to(fmap)
    facilities = _facility_layer(context, gaode)
    if facilities is not None:
        DataLayer(store, "geoJson", facilities, kind="facilities", key="facilities",
                  name="服务设施 Facilities").add_to(fmap)
    if views:
        # units are the same in every option (only their district differs), so one layer, from the
        # recommended option, serves them all; off until the reviewer ticks it
        DataLayer(store, "geoJson", density_layer(views[0], gaode=gaode), kind="density", key="density",
                  name="人口密度 Population density", show=False).add_to(fmap)
    # keep the summary panel (top left) off the community on a desktop screen
    fit = folium.FitBounds([[south, west], [north, east]], padding_top_left=(380, 30),
                           padding_bottom_right=(30, 30))
    fit.options["animate"] = False  # open at the final view: no zoom animation on load
    fit.add_to(fmap)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    fmap.add_child(ParentCall("RedistrictMap.watchOptions(PARENT);"))
    if views:  # edit mode: static/edit.js, its data from maps/editing.py, read from the data block
        store["edit"] = edit_data(views, context, lambda frame: [
            _geometry_json(g) for g in _display_frame(frame, gaode=gaode).geometry])
        fmap.add_child(ParentCall('RedistrictEdit.start(PARENT, RedistrictMap.data("edit"));'))
    figure.html.add_child(RawHtml(_panel(views, context, basemap)), name="rd_panel")
    figure.header.add_child(data_block(store), name="rd_data")
    _stable_ids(figure)
    return fmap


def render_map(views: Sequence[OptionView], context: Context, *, basemap: str | None = None,
               tianditu_key: str | None = None) -> str:
    fmap = build_map(views, context, basemap=basemap, tianditu_key=tianditu_key)
    page = fmap.get_root().render()
    if page.count("<html>") != 1:
        raise RuntimeError("folium's page template changed: cannot set lang=zh-CN (update maps/webmap.py)")
    return page.replace("<html>", '<html lang="zh-CN">', 1)
