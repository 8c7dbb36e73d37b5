"""Hostile names through the real CLI (`redistrict split` and `redistrict batch`) on a layer set written by
``hostile_inputs.py``: every name is shown as text in every output and runs nothing — no template
evaluation, no markup or script, no mathtext, no spreadsheet formula, no terminal escape.

The browser tests load map.html, report.html and summary.html in Debian's chromium with every request
that is not file:// or data: aborted (the harness of test_maps_browser.py); they FAIL, not skip, without
chromium, since CI installs it."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

import hostile_inputs as hi
from test_maps_browser import browser, open_page  # noqa: F401  (the module-scoped chromium fixture)

# text of every text node outside <script>/<style>: what the reader can see or select, tooltips included
# once they are built
_PAGE_TEXT = """() => {
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  const parts = [document.title];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const tag = node.parentElement ? node.parentElement.tagName : "";
    if (tag !== "SCRIPT" && tag !== "STYLE" && tag !== "TITLE") parts.push(node.data);
  }
  return parts.join("\\n");
}"""
# the text of every tooltip of every map layer (Leaflet builds them on hover; the content nodes exist)
_TOOLTIP_TEXT = """() => Object.values(RedistrictMap.layers).flatMap(group => group.getLayers ? group.getLayers() : [])
  .map(layer => layer.getTooltip && layer.getTooltip() ? layer.getTooltip().getContent().textContent : "")
  .join("\\n")"""
# what a template engine would have made of the payloads, had it evaluated them
_EVALUATED = ("49社区", "@49", "（49片）", "x片）", "x a")


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                       os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "redistrict", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The layers, a split and a batch over them, each run from its own empty working folder (where the
    shell payload would create PWNED)."""
    root = tmp_path_factory.mktemp("hostile")
    layers = hi.write_hostile_layers(root / "layers")
    (root / "cwd").mkdir()
    # side by side: CI has two cores
    runs = {"split": _start(layers.split_args(root / "split"), root / "cwd"),
            "batch": _start(layers.batch_args(root / "batch"), root / "cwd"),
            "inspect": _start(["inspect", *layers.layer_args()], root / "cwd")}
    return {"root": root, "layers": layers, **{name: _finish(process) for name, process in runs.items()}}


def _shown(name: str) -> str:
    """The name as the program keeps it (the loader strips surrounding whitespace)."""
    return name.strip()


def test_split_and_batch_succeed_and_run_nothing(hostile):
    for run in ("split", "batch"):
        proc = hostile[run]
        assert proc.returncode == 0, (run, proc.stderr.decode()[-2000:])
        assert b"Traceback" not in proc.stderr
    assert list(hostile["root"].rglob("PWNED")) == []  # the shell payload would have created it
    assert list((hostile["root"] / "cwd").iterdir()) == []


def test_terminal_shows_escape_and_bidi_characters_visibly(hostile):
    for run in ("split", "batch"):
        out = hostile[run].stdout + hostile[run].stderr
        assert b"\x1b" not in out and "\u202e".encode() not in out and "\u2028".encode() not in out
    text = (hostile["split"].stdout + hostile["split"].stderr).decode()
    assert "\\x1b[31mred" in text and "\\u202eevil" in text
    assert "新社区" in text  # Chinese stays Chinese
    assert hi.COMMUNITY_NAME in hostile["split"].stdout.decode()  # the summary names the community as given


def test_inspect_names_the_layer_feature_and_code_point(hostile):
    proc = hostile["inspect"]
    text = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert re.search(r"warning: estates «'@SUM\(1\) \\u202eevil' \(row \d+\)».*U\+202E RIGHT-TO-LEFT OVERRIDE", text)
    assert re.search(r"warning: roads «'\\x1b\[31mred' \(row \d+\)».*U\+001B", text)
    assert re.search(r"warning: roads .*U\+2028 LINE SEPARATOR, U\+2029 PARAGRAPH SEPARATOR", text)
    assert "\x1b" not in text and "\u202e" not in text


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_formula_safe(rows: list[dict[str, str]], numeric: tuple[str, ...]) -> None:
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(hi.FORMULA_PREFIXES), (column, cell)
        for column in numeric:
            assert re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", row[column]), (column, row[column])


def test_assignment_csv_cells_are_neutralised_and_numbers_stay_numbers(hostile):
    rows = _rows(hostile["root"] / "split" / "assignment.csv")
    _assert_formula_safe(rows, ("population", "households", "district"))
    names = {row["name"] for row in rows if row["kind"] == "estate"}
    expected = {("'" + n if n.startswith(hi.FORMULA_PREFIXES) else n) for n in map(_shown, hostile["layers"].estates)}
    assert names == expected
    assert "'" + hi.FORMULA_HYPERLINK + " " + hi.SVG_ONLOAD in names
    assert all(row["estate_id"] == "" for row in rows if row["kind"] == "block")  # not "nan"


def test_batch_summary_csv_cells_are_neutralised_and_numbers_stay_numbers(hostile):
    rows = _rows(hostile["root"] / "batch" / "summary.csv")
    assert len(rows) == 1
    _assert_formula_safe(rows, ("population", "households", "districts"))
    assert rows[0]["community"] == "'" + hi.COMMUNITY_NAME


def test_run_record_keeps_the_names_as_data(hostile):
    record = json.loads((hostile["root"] / "split" / "run.json").read_text(encoding="utf-8"))
    assert hi.POPULATION_FIELD in json.dumps(record, ensure_ascii=False)


def _image_sizes(html: str) -> list[int]:
    return [len(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_report_figure_drew_the_mathtext_name(hostile):
    """matplotlib would parse "$\\frac{1}{$" as mathtext and fail; the figure is drawn instead."""
    html = (hostile["root"] / "split" / "report.html").read_text(encoding="utf-8")
    assert [size > 20_000 for size in _image_sizes(html)] == [True]
    assert hi.MATHTEXT in hostile["layers"].estates  # the landmark of a new community's name
    assert not re.search(r"\w+(Warning|Exception):", hostile["split"].stderr.decode())


@pytest.mark.browser
def test_map_shows_every_name_as_text_and_runs_nothing(browser, hostile):  # noqa: F811
    page = open_page(browser, hostile["root"] / "split" / "map.html")
    dialogs: list[str] = []
    page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.wait_for_map()
        text = page.page.evaluate(_PAGE_TEXT)
        tips = page.page.evaluate(_TOOLTIP_TEXT)
        title = page.page.title()
        pwned = page.page.evaluate("typeof window.__pwned")
        svgs = page.page.evaluate("document.querySelectorAll('svg[onload]').length")
    finally:
        page.close()
    layers = hostile["layers"]
    assert title.startswith(hi.COMMUNITY_NAME)
    assert hi.COMMUNITY_NAME in text
    for name in (*layers.estates, *layers.roads, *layers.facilities):
        assert _shown(name) in tips, name
    assert not any(evaluated in text + tips for evaluated in _EVALUATED)
    assert (pwned, dialogs, svgs, page.errors, page.blocked) == ("undefined", [], 0, [], [])


@pytest.mark.browser
def test_report_shows_every_name_as_text_and_runs_nothing(browser, hostile):  # noqa: F811
    page = open_page(browser, hostile["root"] / "split" / "report.html")
    dialogs: list[str] = []
    page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.page.wait_for_load_state("load")
        text = page.page.evaluate(_PAGE_TEXT)
        title = page.page.title()
        pwned = page.page.evaluate("typeof window.__pwned")
        images = page.page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)")
    finally:
        page.close()
    layers = hostile["layers"]
    assert title.startswith(hi.COMMUNITY_NAME)
    for name in (hi.COMMUNITY_NAME, hi.POPULATION_FIELD, *layers.estates, *layers.facilities):
        assert _shown(name) in text, name
    assert not any(evaluated in text for evaluated in _EVALUATED)
    assert images == [True]
    assert (pwned, dialogs, page.errors, page.blocked) == ("undefined", [], [], [])


@pytest.mark.browser
def test_batch_summary_shows_the_name_as_text_and_links_to_the_plan(browser, hostile):  # noqa: F811
    page = open_page(browser, hostile["root"] / "batch" / "summary.html")
    dialogs: list[str] = []
    page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page.page.wait_for_load_state("load")
        text = page.page.evaluate(_PAGE_TEXT)
        # the overview's script ran to the end: the community is drawn
        shapes = page.page.evaluate("document.querySelectorAll('path.leaflet-interactive').length")
        links = page.page.evaluate("[...document.querySelectorAll('table a')].map(a => a.href)")
        pwned = page.page.evaluate("typeof window.__pwned")
    finally:
        page.close()
    assert hi.COMMUNITY_NAME in text
    assert not any(evaluated in text for evaluated in _EVALUATED)
    assert shapes == 1
    targets = [Path(unquote(urlparse(link).path)) for link in links]
    assert sorted(t.name for t in targets) == ["map.html", "report.html"]
    assert all(t.is_file() for t in targets), targets
    assert (pwned, dialogs, page.errors, page.blocked) == ("undefined", [], [], [])


@pytest.mark.browser
def test_city_overview_data_cannot_break_out_of_its_script(browser, tmp_path):  # noqa: F811
    """summary.html embeds the communities as JSON in a <script>: "</script>" or "<!--<script>" in a name
    would end it early or swallow the rest of the page's script; the overview draws every community."""
    import geopandas as gpd
    from shapely.geometry import box

    from maps.city import write_city_overview

    names = [hi.COMMENT_SCRIPT, hi.SCRIPT_BREAKOUT, hi.JINJA_SHELL, hi.LINE_SEPARATOR]
    frame = gpd.GeoDataFrame(
        {"community_id": [f"C{i}" for i in range(len(names))], "name": names, "population": [40_000] * 4,
         "households": [15_000] * 4, "status": ["failed"] * 4, "districts": [None] * 4, "folder": [None] * 4},
        geometry=[box(474_000 + 500 * i, 2_546_500, 474_400 + 500 * i, 2_546_900) for i in range(4)],
        crs="EPSG:4547")
    path = write_city_overview(tmp_path, frame, title=hi.JINJA_ARITHMETIC)
    page = open_page(browser, path)
    try:
        page.page.wait_for_load_state("load")
        text = page.page.evaluate(_PAGE_TEXT)
        shapes = page.page.evaluate("document.querySelectorAll('path.leaflet-interactive').length")
        pwned = page.page.evaluate("typeof window.__pwned")
    finally:
        page.close()
    assert all(name in text for name in names) and hi.JINJA_ARITHMETIC in text
    assert (shapes, pwned, page.errors, page.blocked) == (4, "undefined", [], [])


def test_template_syntax_in_any_map_text_is_shown_not_evaluated():
    """Without a browser: the community, the new communities' names and an option's label carry Jinja
    syntax (the label reaches the layer control, whose script folium compiles as a template)."""
    import maps_fixtures as fx
    from test_maps_webmap import decoded, render

    second = fx.proposal(2, district_names={1: hi.JINJA_SHELL, 2: hi.JINJA_STATEMENT})
    second = type(second)(**{**second.__dict__, "label": hi.JINJA_ARITHMETIC})
    page = decoded(render([fx.proposal(1), second], fx.context(community_name=hi.JINJA_ARITHMETIC + "社区")))
    assert "<title>{{7*7}}社区 拆分方案" in page
    assert hi.JINJA_SHELL in page and hi.JINJA_STATEMENT in page  # in the panel and the layers' data
    assert "&#123;&#123;7*7}}" in page  # the layer control's name: escaped for Leaflet's innerHTML
    assert "49社区" not in page and "49 拆分" not in page and ">x<" not in page
