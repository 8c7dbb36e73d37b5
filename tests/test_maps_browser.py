"""map.html and report.html in a real headless browser (Debian's chromium, driven by Playwright) with every
request that is not file:// or data: aborted and recorded. Needs /usr/bin/chromium: these tests FAIL
(not skip) without it, since CI installs it."""
from pathlib import Path

import pytest

import maps_fixtures as fx

pytestmark = pytest.mark.browser

HOSTILE_COMMUNITY = '<img src=x onerror="window.__xss = \'community\'">'
HOSTILE_LABEL = "<script>window.__xss = 'label'</script>"


@pytest.fixture(scope="module")
def browser():
    if not Path(fx.CHROMIUM).exists():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=fx.CHROMIUM, args=fx.CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, path: Path) -> fx.OfflinePage:
    if browser is None:
        pytest.fail(f"Debian's chromium is missing at {fx.CHROMIUM}: install it (apt-get install chromium); "
                    "the browser tests need it and CI installs it")
    return fx.OfflinePage(browser, path)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    second = fx.proposal(2, district_names={1: HOSTILE_COMMUNITY, 2: "北片"})
    second = type(second)(**{**second.__dict__, "label": HOSTILE_LABEL})
    fx.write(folder, [fx.proposal(1), second])
    return folder


def count(page, selector: str) -> int:
    return page.evaluate("s => document.querySelectorAll(s).length", selector)


def test_map_loads_offline_and_draws_every_community_and_estate(browser, outputs, tmp_path):
    view = open_page(browser, outputs / "map.html").wait_for_map()
    page = view.page
    try:
        assert view.blocked == []
        assert all(u.startswith(("file:", "data:")) for u in view.requests), view.requests
        assert view.errors == []
        assert count(page, "path.rd-community.rd-option-1") == 2
        assert count(page, "path.rd-estate.rd-option-1") == 3
        assert count(page, "path.rd-option-2") == 0  # the other option is a hidden base layer
        assert page.evaluate("RedistrictMap.layers['communities-1'].getLayers().length") == 2
        assert page.evaluate("RedistrictMap.layers['estates-1'].getLayers().length") == 3
        assert count(page, ".rd-label") == 2
        assert count(page, "path.rd-boundary") == 1
        assert count(page, "path.rd-road") + count(page, "path.rd-river") == 5
        assert count(page, "path.rd-facility") == 2
        assert page.locator(".rd-label", has_text="新社区一（方案1）").count() == 1
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        shot = tmp_path / "map.png"
        page.screenshot(path=str(shot))
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    finally:
        view.close()


def test_estate_tooltip_shows_name_residents_households_and_new_community(browser, outputs):
    view = open_page(browser, outputs / "map.html").wait_for_map()
    page = view.page
    try:
        page.hover("path.rd-id-o1-eE1")
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        text = tooltip.inner_text()
        for expected in ("翠湖花园", "居民 Residents", "1,000", "户数 Households", "400", "新社区一（方案1）"):
            assert expected in text
    finally:
        view.close()


def test_injected_names_show_as_text_and_run_nothing(browser, outputs):
    view = open_page(browser, outputs / "map.html").wait_for_map()
    page = view.page
    try:
        for selector, name in (("path.rd-id-o1-eE2", fx.XSS_SCRIPT), ("path.rd-id-o1-eE3", fx.XSS_IMG)):
            page.hover(selector)
            page.locator(".leaflet-tooltip", has_text=name).wait_for(state="visible", timeout=5_000)
        assert count(page, ".leaflet-tooltip img") == 0 and count(page, ".leaflet-tooltip script") == 0
        # option 2 carries a hostile community name (label, legend, tooltip) and a hostile option label
        page.locator(".leaflet-control-layers-base label", has_text="方案二").click()
        page.wait_for_function("document.documentElement.getAttribute('data-rd-option') === '2'")
        assert count(page, "path.rd-community.rd-option-2") == 2
        assert count(page, "path.rd-community.rd-option-1") == 0
        assert page.locator(".rd-label", has_text=HOSTILE_COMMUNITY).count() == 1
        assert page.locator(".leaflet-control-layers", has_text=HOSTILE_LABEL).count() == 1
        assert page.locator("#rd-panel", has_text=HOSTILE_COMMUNITY).count() == 1
        # hover the south-east block of district 1 (roads run through its centre)
        box = page.locator("path.rd-id-o2-d1").bounding_box()
        page.hover("path.rd-id-o2-d1", position={"x": box["width"] * 0.8, "y": box["height"] * 0.5})
        page.locator(".leaflet-tooltip", has_text=HOSTILE_COMMUNITY).wait_for(state="visible", timeout=5_000)
        assert page.evaluate("window.__xss === undefined")
        assert view.errors == [] and view.blocked == []
        assert not any(u.endswith("/x") for u in view.requests)  # no <img src=x> was ever created
    finally:
        view.close()


def test_option_toggle_updates_the_summary_panel(browser, outputs):
    view = open_page(browser, outputs / "map.html").wait_for_map()
    page = view.page
    try:
        assert page.locator('.rd-option[data-option="1"]').is_visible()
        assert not page.locator('.rd-option[data-option="2"]').is_visible()
        page.locator(".leaflet-control-layers-base label", has_text="方案二").click()
        page.wait_for_function("document.documentElement.getAttribute('data-rd-option') === '2'")
        assert page.locator('.rd-option[data-option="2"]').is_visible()
        assert not page.locator('.rd-option[data-option="1"]').is_visible()
        assert "北片" in page.locator('.rd-option[data-option="2"]').inner_text()
    finally:
        view.close()


def test_the_harness_sees_network_requests_when_a_base_map_is_chosen(browser, tmp_path):
    # positive control: with OSM tiles the page does ask the network, and every such request is caught
    fx.write(tmp_path, [fx.proposal(1)], basemap="osm")
    view = open_page(browser, tmp_path / "map.html").wait_for_map()
    try:
        view.page.wait_for_timeout(300)
        assert view.blocked, "tile requests were expected"
        assert all(u.startswith("https://tile.openstreetmap.org/") for u in view.blocked), view.blocked
    finally:
        view.close()


def test_report_loads_offline_and_prints_to_a4(browser, outputs, tmp_path):
    view = open_page(browser, outputs / "report.html")
    page = view.page
    try:
        page.wait_for_load_state("load")
        assert view.blocked == [] and view.errors == []
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        assert count(page, "img") == 2
        assert page.evaluate("window.__xss === undefined")
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF")
        pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
        assert pages >= 3  # summary, then each option from a new page
        (tmp_path / "report.pdf").write_bytes(pdf)
    finally:
        view.close()


def test_density_overlay_draws_every_unit_when_ticked_and_shows_names_as_text(browser, outputs):
    view = open_page(browser, outputs / "map.html").wait_for_map()
    page = view.page
    try:
        assert count(page, "path.rd-density") == 0  # off until the reviewer ticks it
        assert not page.locator("#rd-density-legend").is_visible()
        overlay = page.locator(".leaflet-control-layers-overlays label", has_text="人口密度 Population density")
        overlay.click()
        page.wait_for_function("document.querySelectorAll('path.rd-density').length > 0")
        assert count(page, "path.rd-density") == 12  # one shape per unit of the fixture
        assert page.evaluate("RedistrictMap.layers['density'].getLayers().length") == 12
        assert page.locator("#rd-density-legend").is_visible()
        assert "≥ 40,000" in page.locator("#rd-density-legend").inner_text()
        page.hover("path.rd-id-density-E2")  # the unit named like a script tag
        tooltip = page.locator(".leaflet-tooltip", has_text=fx.XSS_SCRIPT)
        tooltip.wait_for(state="visible", timeout=5_000)
        assert "人口密度 Density" in tooltip.inner_text() and "37,500 人/km²" in tooltip.inner_text()  # 6,000 / 0.16
        page.hover("path.rd-id-density-E3")
        page.locator(".leaflet-tooltip", has_text=fx.XSS_IMG).wait_for(state="visible", timeout=5_000)
        assert count(page, ".leaflet-tooltip img") == 0 and count(page, ".leaflet-tooltip script") == 0
        assert page.evaluate("window.__xss === undefined")
        overlay.click()
        page.wait_for_function("document.querySelectorAll('path.rd-density').length === 0")
        assert not page.locator("#rd-density-legend").is_visible()
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


def test_road_and_river_names_are_on_the_map_and_the_scale_is_metric(browser, outputs):
    view = open_page(browser, outputs / "map.html").wait_for_map()
    page = view.page
    try:
        names = page.eval_on_selector_all(".rd-road-name", "es => es.map(e => e.textContent)")
        assert sorted(names) == sorted(["寒溪河", "东城路", "环城路", "横穿路"])  # the unnamed road has none
        assert page.locator(".rd-road-name-river", has_text="寒溪河").count() == 1
        scales = page.eval_on_selector_all(".leaflet-control-scale-line", "es => es.map(e => e.textContent)")
        assert len(scales) == 1 and scales[0].endswith(("m", "km")) and "ft" not in scales[0], scales
    finally:
        view.close()
