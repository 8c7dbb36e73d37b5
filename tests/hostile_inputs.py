"""Generator of a hostile layer set: the embedded sample's small community 榕湖社区 (16,800 residents) with
its estates, roads, facilities and the community itself renamed to texts that try to run as template
source, markup, script, mathtext, spreadsheet formulas or terminal escapes, plus an extra field whose
*name* is hostile. Every text is data: the outputs must show each one literally and run none of them.

    write_hostile_layers(folder) -> HostileLayers   # GeoJSON files in EPSG:4547, ready for `redistrict split`

Run as a script to write a set for a manual try: ``python tests/hostile_inputs.py OUT_DIR``.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from redistrict.sample import sample_paths

SOURCE_COMMUNITY = "榕湖社区"
CAP = 10_000  # 16,800 residents → two new communities: a quick solve

# each one names what it tries; "PWNED" is the file the Jinja payload would create in the working folder
JINJA_ARITHMETIC = "{{7*7}}"
JINJA_STATEMENT = "{% if 1 %}x{% endif %}"
JINJA_SHELL = "{{lipsum.__globals__['os'].popen('touch PWNED').read()}}"
MATHTEXT = "$\\frac{1}{$"
COMMENT_SCRIPT = "<!--<script>"
SVG_ONLOAD = '"><svg onload=alert(1)>'
SCRIPT_BREAKOUT = "</script><script>window.__pwned=1</script>"
FORMULA_HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULA_PLUS = "+1"
FORMULA_AT = "@SUM(1)"
FORMULA_MINUS = "-2+3"
FORMULA_TAB = "\t=1+2"
ANSI_RED = "\x1b[31mred"
BIDI_OVERRIDE = "\u202eevil"
QUOTES = "It's \"quoted\" `back`"
BACKSLASHES = "C:\\new\\table\\u0041"
LINE_SEPARATOR = "a\u2028b\u2029c"

# formulas first: each sits alone at the start of an estate name, where a spreadsheet would read it
HOSTILE = (FORMULA_HYPERLINK, FORMULA_PLUS, FORMULA_MINUS, FORMULA_AT, FORMULA_TAB, JINJA_ARITHMETIC,
           JINJA_STATEMENT, JINJA_SHELL, MATHTEXT, COMMENT_SCRIPT, SVG_ONLOAD, SCRIPT_BREAKOUT, ANSI_RED,
           BIDI_OVERRIDE, QUOTES, BACKSLASHES, LINE_SEPARATOR)
# the community's own name carries the template and script payloads (it reaches titles, panels, folder
# names and the batch summary) and starts like a formula (summary.csv). "<!--<script>" is an estate's
# name here (it reaches map.html's data); test_hostile puts it in the batch overview's data directly.
COMMUNITY_NAME = f"@{JINJA_ARITHMETIC}{JINJA_SHELL}{SCRIPT_BREAKOUT}社区"
# the population layer's count field is named like this and mapped with --field: the name reaches run.json
# and the report's provenance table
POPULATION_FIELD = "{{7*7}}<b>人口</b>"
# an extra field the program does not use
EXTRA_FIELD = "{% raw %}<i>\u202e=cmd"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class HostileLayers:
    paths: dict[str, Path]           # layer → GeoJSON file
    community: str                   # the community to split (its hostile name)
    estates: tuple[str, ...]         # every estate name given, in the community
    roads: tuple[str, ...]
    facilities: tuple[str, ...]

    def split_args(self, out: Path) -> list[str]:
        """`redistrict split` arguments for this set (no shell: every value is passed as one argv item)."""
        return ["split", "--community", self.community, "--cap", str(CAP), "--time-limit", "30",
                "--out", str(out), *self.layer_args()]

    def batch_args(self, out: Path) -> list[str]:
        """`redistrict batch` arguments: the one community is over the cap, so the batch splits it."""
        return ["batch", "--cap", str(CAP), "--time-limit", "30", "--out", str(out), *self.layer_args()]

    def layer_args(self) -> list[str]:
        """The layers and the field mapping (what `inspect` takes too)."""
        args = ["--field", f"population:{POPULATION_FIELD}=population"]
        for layer, path in self.paths.items():
            args += [f"--{layer}", str(path)]
        return args


def _read(layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(sample_paths()[layer], engine="pyogrio")


def write_hostile_layers(folder: Path) -> HostileLayers:
    """Write communities, estates, population, roads and facilities GeoJSON into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    communities = _read("communities")
    community = communities[communities["name"] == SOURCE_COMMUNITY].reset_index(drop=True)
    area = community.geometry.iloc[0]
    community["name"] = COMMUNITY_NAME

    estates = _read("estates")
    estates = estates[estates.geometry.representative_point().within(area)].reset_index(drop=True)
    # the sample's estate names in order, so every hostile text lands on an estate (more texts than
    # estates: the rest keep a suffix so all names stay distinct)
    names = [HOSTILE[i % len(HOSTILE)] + ("" if i < len(HOSTILE) else f" {i}") for i in range(len(estates))]
    if len(estates) < len(HOSTILE):
        # fewer estates than texts: join the leftovers onto the first estates, two texts each
        for i, extra in enumerate(HOSTILE[len(estates):]):
            names[i] = f"{names[i]} {extra}"
    estates["name"] = names
    estates[EXTRA_FIELD] = [FORMULA_HYPERLINK] * len(estates)

    population = _read("population")
    population = population[population.geometry.within(area)].reset_index(drop=True)
    population["building"] = [HOSTILE[i % len(HOSTILE)] if i % 7 == 0 else b
                              for i, b in enumerate(population["building"])]
    population = population.rename(columns={"population": POPULATION_FIELD})

    roads = _read("roads")
    roads = roads[roads.geometry.intersects(area.buffer(300))].reset_index(drop=True)
    roads["name"] = [HOSTILE[(i + 3) % len(HOSTILE)] for i in range(len(roads))]

    facilities = _read("facilities")
    facilities = facilities[facilities.geometry.within(area)].reset_index(drop=True)
    facilities["name"] = [HOSTILE[(i + 6) % len(HOSTILE)] for i in range(len(facilities))]

    frames = {"communities": community, "estates": estates, "population": population, "roads": roads,
              "facilities": facilities}
    paths = {}
    for layer, frame in frames.items():
        path = folder / f"{layer}.geojson"
        frame.to_file(path, driver="GeoJSON", engine="pyogrio")
        paths[layer] = path
    return HostileLayers(paths=paths, community=COMMUNITY_NAME, estates=tuple(estates["name"]),
                         roads=tuple(roads["name"]), facilities=tuple(facilities["name"]))


if __name__ == "__main__":
    written = write_hostile_layers(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-layers"))
    print("\n".join(str(p) for p in written.paths.values()))
