"""map.html's edit mode in Debian's chromium (Playwright), offline: toggle it, click a unit, move it to another
new community, watch residents, households, headroom and the violations change, export the assignment.

The fixture (maps_fixtures): option 1 puts columns 0-1 in community 1 (33,000 residents) and columns 2-3 in
community 2 (45,000). The cap here is 46,000 residents:

    row 2   B20  E3   B22  B23       B20 9,000 · E3 10,000
    row 1   B10  E2   B12  B13
    row 0   E1   B01  B02  B03       B02 3,000
"""
import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

import maps_fixtures as fx
from maps.editing import edit_data, geometric_adjacency, size_rule
from maps.templating import script_json
from maps.files import UNIT_FIELDS, write_assignment_csv
from maps.options import build_views, local_context

pytestmark = pytest.mark.browser

CAP = 46_000


def context():
    return replace(fx.context(), size_rule={"attr": "population", "max": CAP, "min": None})


@pytest.fixture(scope="module")
def browser():
    if not Path(fx.CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is missing at {fx.CHROMIUM}: install it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=fx.CHROMIUM, args=fx.CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit")
    fx.write(folder, [fx.proposal(1), fx.proposal(2)], context())
    return folder


@pytest.fixture()
def page(browser, written):
    view = fx.OfflinePage(browser, written / "map.html").wait_for_map()
    view.page.wait_for_function("window.RedistrictEdit && window.RedistrictEdit.ready === true")
    yield view
    assert view.blocked == [] and view.errors == []
    view.close()


def residents(page, district: int) -> int:
    return int(page.get_by_test_id(f"population-{district}").inner_text().replace(",", ""))


def move(page, unit: str, district: int) -> None:
    page.click(f'path[data-unit="{unit}"]')
    page.get_by_test_id("assign-select").select_option(str(district))


def test_toggle_draws_every_unit_with_its_hooks(page):
    p = page.page
    assert p.locator("path[data-unit]").count() == 0
    assert not p.get_by_test_id("assign-select").is_visible()
    p.get_by_test_id("edit-toggle").click()
    paths = p.locator("path[data-unit]")
    assert paths.count() == 12
    hooks = p.evaluate("""[...document.querySelectorAll('path[data-unit]')].map(e =>
        [e.getAttribute('data-unit'), e.getAttribute('data-district'), e.getAttribute('data-kind')])""")
    expected = {r.unit_id: (str(r.district), r.kind) for r in fx.assigned(1).itertuples()}
    assert {unit: (district, kind) for unit, district, kind in hooks} == expected
    options = p.eval_on_selector_all('[data-testid="assign-select"] option', "os => os.map(o => o.value)")
    assert options == ["1", "2"]
    assert (residents(p, 1), residents(p, 2)) == (33_000, 45_000)
    assert p.get_by_test_id("violations").get_attribute("data-count") == "0"
    p.get_by_test_id("edit-toggle").click()
    assert p.locator("path[data-unit]").count() == 0


def test_moving_a_unit_moves_its_residents_households_and_headroom(page):
    p = page.page
    p.get_by_test_id("edit-toggle").click()
    households = int(p.get_by_test_id("households-1").inner_text().replace(",", ""))
    move(p, "B02", 1)
    assert residents(p, 1) == 33_000 + 3_000
    assert residents(p, 2) == 45_000 - 3_000
    assert int(p.get_by_test_id("households-1").inner_text().replace(",", "")) == households + 1_200
    assert int(p.get_by_test_id("headroom-1").inner_text().replace(",", "")) == CAP - 36_000
    assert p.get_attribute('path[data-unit="B02"]', "data-district") == "1"
    assert p.get_by_test_id("violations").get_attribute("data-count") == "0"


def test_over_the_cap_and_in_pieces_are_flagged(page):
    p = page.page
    p.get_by_test_id("edit-toggle").click()
    move(p, "E3", 2)                     # community 2: 45,000 + 10,000 > 46,000
    violations = p.get_by_test_id("violations")
    assert residents(p, 2) == 55_000
    assert violations.get_attribute("data-count") == "1"
    text = violations.inner_text()
    assert "新社区二（方案1）" in text and "超过上限" in text and "9,000" in text  # over by 9,000
    assert p.get_by_test_id("headroom-2").inner_text() == "-9,000"
    move(p, "B20", 2)                     # B20's neighbours are E3 and B10: B20 now touches E3 only
    assert "不连通" not in violations.inner_text()
    move(p, "B10", 2)                     # still joined through E3 - B20 - B10 ... and E3 - B22
    assert "不连通" not in violations.inner_text()
    move(p, "E3", 1)                      # E3 back: B20 and B10 are cut off from the rest of community 2
    text = violations.inner_text()
    assert "新社区二（方案1）：分为 2 块" in text and "2 pieces" in text
    p.get_by_test_id("edit-reset").click()
    assert violations.get_attribute("data-count") == "0"


def test_export_without_edits_is_byte_for_byte_what_maps_writes(page, tmp_path):
    """The same bytes as assignment.csv of a run with this one option (no ``option`` column)."""
    ctx = context()
    views = build_views([fx.proposal(1)], local_context(ctx, [fx.proposal(1)]))
    expected = write_assignment_csv(tmp_path / "assignment.csv", views).read_bytes()
    p = page.page
    p.get_by_test_id("edit-toggle").click()
    with p.expect_download() as download:
        p.get_by_test_id("export-assignment").click()
    assert download.value.suggested_filename == "assignment.csv"
    exported = Path(download.value.path()).read_bytes()
    assert exported == expected


def test_export_carries_the_edit(page):
    p = page.page
    p.get_by_test_id("edit-toggle").click()
    move(p, "B02", 1)
    with p.expect_download() as download:
        p.get_by_test_id("export-assignment").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(UNIT_FIELDS)
    where = {row["unit_id"]: row for row in rows}
    assert len(where) == 12
    assert where["B02"]["district"] == "1" and where["B02"]["district_name"] == "新社区一（方案1）"
    assert where["B03"]["district"] == "2"
    assert sum(int(r["population"]) for r in rows if r["district"] == "1") == 36_000


def test_hostile_names_are_shown_as_text(page):
    p = page.page
    p.get_by_test_id("edit-toggle").click()
    p.click('path[data-unit="E2"]')
    assert fx.XSS_SCRIPT in p.get_by_test_id("selected-unit").inner_text()
    assert p.evaluate("window.__xss") is None


def test_other_option_is_edited_from_its_own_plan(page):
    p = page.page
    p.get_by_test_id("edit-toggle").click()
    p.locator(".leaflet-control-layers-base label", has_text="方案二").click()
    option2 = fx.assigned(2).groupby("district")["population"].sum()
    assert (residents(p, 1), residents(p, 2)) == (option2[1], option2[2])
    assert p.get_attribute('path[data-unit="B20"]', "data-district") == "2"


# ---- the embedded data, without a browser --------------------------------------------------------------

def test_script_json_cannot_end_the_script_element():
    text = script_json({"name": "</script><b>&\u2028\u2029{{ 7*7 }}"})
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == {"name": "</script><b>&\u2028\u2029{{ 7*7 }}"}


def test_names_reach_the_page_as_data_only(written):
    page = (written / "map.html").read_text(encoding="utf-8")
    start = page.index("RedistrictEdit.start(")
    call = page[start:page.index("\n", start)]
    assert call.strip().endswith('RedistrictMap.data("edit"));')  # the script holds no data, only the key
    block = page[page.index('<script type="application/json" id="rd-data">'):]
    block = block[:block.index("</script>")]
    assert "\\u003cscript\\u003e" in block  # E2's name, escaped inside the one JSON data block


def test_adjacency_shares_a_side_not_a_corner():
    pairs = set(geometric_adjacency(fx.unit_frame()))
    assert ("B01", "E1") in pairs or ("E1", "B01") in pairs
    assert ("B01", "E2") in pairs  # (1,0) below (1,1)
    corners = {("E1", "E2"), ("B01", "B10"), ("B02", "E2"), ("B12", "E3")}
    assert not {p for pair in corners for p in (pair, pair[::-1])} & pairs
    assert len(pairs) == 17  # 3 x 4 grid: 3*3 horizontal + 2*4 vertical


def test_adjacency_from_the_caller_wins_and_rule_follows_the_flags():
    ctx = replace(context(), adjacency=[("E1", "B23")])
    views = build_views([fx.proposal(1)], local_context(ctx, [fx.proposal(1)]))
    data = edit_data(views, ctx, lambda frame: [None] * len(frame))
    ids = [u["id"] for u in data["units"]]
    assert data["adjacency"] == [sorted([ids.index("E1"), ids.index("B23")])]
    assert size_rule(ctx)["max"] == CAP
    assert size_rule(fx.context())["max"] == 30_000  # the profile's own cap when no flag overrode it
