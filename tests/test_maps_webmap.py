"""map.html as text: self-contained (no URL a browser would fetch), zh-CN, escaped, deterministic,
base map options. The browser tests (test_maps_browser.py) check the same page running."""
import re
from html.parser import HTMLParser

import pytest

import maps_fixtures as fx

import maps
from maps.options import build_views, local_context
from maps.webmap import render_map

_FETCHING_ATTRS = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                   ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("image", "href")}
_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


class _Fetches(HTMLParser):
    """Every URL the page would load by itself: element sources, CSS url(...) and @import."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (tag, name) in _FETCHING_ATTRS and value:
                self.urls.append(value)
            if name == "style" and value:
                self.urls += _css_urls(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.urls += _css_urls(data)


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [u for u in found if not u.startswith("#")]


def fetched_urls(page: str) -> list[str]:
    parser = _Fetches()
    parser.feed(page)
    return parser.urls


def render(proposals=None, ctx=None, **options) -> str:
    ctx = ctx or fx.context()
    proposals = proposals or [fx.proposal(1), fx.proposal(2)]
    local = local_context(ctx, proposals)
    return render_map(build_views(proposals, local), local, **options)


def decoded(page: str) -> str:
    """The page with JSON \\uXXXX escapes decoded, to look for names inside the embedded data."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


@pytest.fixture(scope="module")
def page():
    return render()


def test_page_fetches_nothing_remote(page):
    urls = fetched_urls(page)
    assert [u for u in urls if _REMOTE.match(u)] == []
    assert all(u.startswith("data:") for u in urls), urls  # Leaflet's images are inlined too
    assert "cdn.jsdelivr" not in page and "code.jquery.com" not in page and "bootstrap" not in page.lower()
    assert "{z}" not in page  # no tile layer without a base map


def test_the_url_checker_catches_remote_assets():
    assert fetched_urls('<script src="https://cdn.example/x.js"></script><style>a{background:url(//x/y.png)}'
                        '</style><link href="http://x/y.css">') == ["https://cdn.example/x.js", "//x/y.png",
                                                                    "http://x/y.css"]


def test_leaflet_is_inlined(page):
    assert "Leaflet 1.9" in page
    assert ".leaflet-container" in page


def test_language_and_cjk_fonts(page):
    assert '<html lang="zh-CN">' in page
    assert '"Noto Sans CJK SC"' in page and '"Microsoft YaHei"' in page
    assert "<title>测试社区 拆分方案 Split proposal</title>" in page


def test_hostile_names_never_appear_as_markup(page):
    assert fx.XSS_SCRIPT not in page
    assert fx.XSS_IMG not in page
    assert "<img src=x" not in page
    # the names are there, JSON-escaped, for the script to show as text
    assert "\\u003cscript\\u003ewindow.__xss" in page


def test_option_layers_and_overlays_are_named(page):
    text = decoded(page)
    assert "方案一 推荐" in text and "方案二" in text
    assert "原社区边界 Original boundary" in text and "道路与河流 Roads &amp; rivers" in text


def test_same_inputs_give_the_same_page(page):
    assert render() == page


def test_every_feature_has_a_stable_id(page):
    ids = re.findall(r'"id": "([^"]+)"', page)
    assert {"o1-d1", "o1-d2", "o2-d1", "o2-d2", "o1-eE1", "o2-eE3", "boundary-0", "facility-0"} <= set(ids)


def test_osm_base_map_adds_tiles_only_when_chosen():
    page = render(basemap="osm")
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert "底图需联网加载" in decoded(page)


def test_tianditu_needs_a_key_and_uses_https_w_layers():
    with pytest.raises(maps.OutputError, match="needs a key"):
        render(basemap="tianditu")
    with pytest.raises(maps.OutputError, match="letters and digits"):
        render(basemap="tianditu", tianditu_key="abc'; alert(1); '")
    page = render(basemap="tianditu", tianditu_key="0123456789abcdef0123456789abcdef")
    assert "https://t{s}.tianditu.gov.cn/vec_w/wmts" in page and "https://t{s}.tianditu.gov.cn/cva_w/wmts" in page
    assert "tk=0123456789abcdef0123456789abcdef" in page


def test_unknown_base_map_is_refused():
    with pytest.raises(maps.OutputError, match="unknown basemap 'google'"):
        render(basemap="google")


def _centre(page: str) -> tuple[float, float]:
    lat, lon = re.search(r"center: \[([0-9.]+), ([0-9.]+)\]", page).groups()
    return float(lat), float(lon)


def _east_500_m(lon, lat):
    """A stand-in display shift (the real GCJ-02 one is boundaries.datum's, passed in by redistrict)."""
    return lon + 0.005, lat


def test_gaode_shifts_the_display_copy_only_by_the_transform_passed_in(tmp_path):
    ctx = maps.Context(**{**fx.context().__dict__, "display_shift": _east_500_m})
    plain_lat, plain_lon = _centre(render(ctx=ctx))
    shifted_lat, shifted_lon = _centre(render(ctx=ctx, basemap="gaode"))
    assert shifted_lon - plain_lon == pytest.approx(0.005, abs=1e-5)
    assert shifted_lat == pytest.approx(plain_lat, abs=1e-6)
    fx.write(tmp_path, ctx=ctx, basemap="gaode")
    geojson = (tmp_path / "plan.geojson").read_text(encoding="utf-8")
    fx.write(tmp_path / "plain", ctx=ctx)
    assert geojson == (tmp_path / "plain" / "plan.geojson").read_text(encoding="utf-8")


def test_gaode_without_a_transform_is_refused():
    with pytest.raises(maps.OutputError, match="display_shift"):
        render(basemap="gaode")


def test_roads_far_away_are_left_out():
    ctx = fx.context()
    roads = ctx.roads.copy()
    far = fx.roads().iloc[[1]].copy()
    far["name"] = "十公里外路"
    far["geometry"] = far.translate(xoff=10_000)
    roads = type(roads)(list(roads.to_dict("records")) + list(far.to_dict("records")), crs=roads.crs)
    page = render(ctx=maps.Context(**{**ctx.__dict__, "roads": roads}))
    assert "十公里外路" not in decoded(page) and "东城路" in decoded(page)


def test_density_layer_holds_one_feature_per_unit_with_residents_per_km2():
    from maps.webmap import DENSITY_COLOURS, density_layer

    ctx = fx.context()
    proposals = [fx.proposal(1)]
    view = build_views(proposals, local_context(ctx, proposals))[0]
    layer = density_layer(view)
    units = fx.unit_frame()
    assert len(layer["features"]) == len(units) == 12
    by_id = {f["id"]: f for f in layer["features"]}
    assert len(by_id) == 12
    for unit in units.itertuples(index=False):
        feature = by_id[f"density-{unit.unit_id}"]
        # 400 m squares: 0.16 km² each, measured in EPSG:4547 before reprojection
        expected = unit.population / (fx.SIZE_M ** 2 / 1e6)
        assert feature["properties"]["density_km2"] == pytest.approx(expected, abs=0.1)
        assert feature["properties"]["tooltip"][0] == ["单元 Unit", unit.name]
        assert feature["properties"]["tooltip"][1] == ["人口密度 Density", f"{round(expected):,} 人/km²"]
        assert feature["geometry"]["type"] == "Polygon"
    # E1: 1,000 / 0.16 = 6,250 (second class); B23: 12,000 / 0.16 = 75,000 (top class)
    assert by_id["density-E1"]["properties"]["style"]["fillColor"] == DENSITY_COLOURS[1]
    assert by_id["density-B23"]["properties"]["style"]["fillColor"] == DENSITY_COLOURS[4]
    assert by_id["density-E2"]["properties"]["tooltip"][0] == ["单元 Unit", fx.XSS_SCRIPT]


def test_density_of_a_unit_without_area_is_unknown_not_infinite():
    from maps.webmap import DENSITY_UNKNOWN, density_layer

    ctx = fx.context()
    proposals = [fx.proposal(1)]
    view = build_views(proposals, local_context(ctx, proposals))[0]
    units = view.units.copy()
    units.loc[0, "population"] = float("nan")
    layer = density_layer(type(view)(**{**view.__dict__, "units": units}))
    first = layer["features"][0]
    assert first["properties"]["density_km2"] is None
    assert first["properties"]["style"]["fillColor"] == DENSITY_UNKNOWN
    assert first["properties"]["tooltip"][1] == ["人口密度 Density", "—"]


def test_density_overlay_is_off_by_default_with_a_hidden_legend(page):
    text = decoded(page)
    assert "人口密度 Population density" in text
    assert 'RedistrictMap.geoJson(' in page and '"density", "density")' in page
    density_var = re.search(r"var (\w+) = RedistrictMap\.geoJson\([^\n]*\n?[^\n]*\"density\", \"density\"\)",
                            page)
    assert density_var is not None
    assert f"{density_var.group(1)}.addTo(" not in page  # an overlay the reviewer ticks
    assert '<div id="rd-density-legend" hidden>' in page
    assert "≥ 40,000" in page and "&lt; 5,000" in page
