"""Generate the embedded demo sample: one oversized community in Dongguan-like geography.

    python -m redistrict.sample.generate [--out DIR] [--seed N]

Without ``--out`` it rewrites ``redistrict/sample/data/``; with the default seed the output is the same,
byte for byte, every time (on the same shapely/GEOS and GDAL versions).

The oversized community 翠峰社区 (synthetic, about 76,000 residents) lies in Dongcheng, Dongguan, in
CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4547); two ordinary neighbours (榕湖社区 to the east,
新围社区 to the south) make choosing a community by name matter. Main roads 东城大道 and 莞樟路 cross
the oversized community and cut it into four road-bounded quarters; the river 东引运河 runs through its
west side.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon
from shapely.ops import unary_union

from redistrict.sample import SAMPLE_COMMUNITY
from redistrict.sample.build import Community, Road, build_community, jittered_grid, polyline
from redistrict.sample.checks import layer_problems
from redistrict.sample.layers import CRS, SOURCE, write_layers
from redistrict.sample.names import NamePicker

logger = logging.getLogger(__name__)

SAMPLE_SEED = 20230071  # the number of the Dongguan CPPCC proposal that asked for the split
# The south-west corner of the oversized community, in Dongcheng subdistrict (东城街道), Dongguan.
ANCHOR_LON_LAT = (113.77, 23.02)
# The two main roads that cross the whole oversized community (each of its four quarters stays under
# the cap, so a contiguous split into at most four new communities always exists).
SECTOR_ROADS = ("东城大道", "莞樟路")
DATA_DIR = Path(__file__).resolve().parent / "data"


class CommunitySettings(NamedTuple):
    """What the builder is asked to put into one community of the sample."""

    name: str
    code: str  # 12-digit statistical code; 441900003 is Dongcheng, the 9xx suffix is not a real community
    population: int
    estate_count: int
    remaining_share: float  # residents outside estates (village-style and old-street buildings)
    open_share: float  # lots left open (schools, parks, workshops)
    facility_count: int
    phase_groups: int  # developments built in phases (一期/二期)
    village_seeds: tuple[tuple[float, float], ...] = ()  # old village centres, metres from the anchor


SAMPLE_COMMUNITIES = (
    CommunitySettings(SAMPLE_COMMUNITY, "441900003901", 76_000, 45, 0.22, 0.08, 3, 3,
                      ((250, 1300), (1900, 650), (700, 300))),
    CommunitySettings("榕湖社区", "441900003902", 16_800, 9, 0.20, 0.15, 1, 1),
    CommunitySettings("新围社区", "441900003903", 9_600, 6, 0.35, 0.45, 1, 0),
)
# Roads and the river of the area: name, kind, width (m), wobble (m), control points in metres east and
# north of the anchor. The oversized community spans about x 0-2,300 and y 0-1,700.
AREA_LINES = (
    ("东城大道", "road", 36.0, 25.0, [(1150, -1250), (1130, -500), (1170, 300), (1140, 1000), (1160, 1950)]),
    ("莞樟路", "road", 30.0, 25.0, [(-250, 860), (500, 840), (1200, 870), (2000, 850), (2800, 880), (3750, 860)]),
    ("旗峰路", "road", 26.0, 25.0, [(-250, -520), (800, -500), (1800, -540), (2900, -510), (3750, -500)]),
    ("东纵大道", "road", 30.0, 25.0, [(2950, -1250), (2930, 0), (2960, 900), (2940, 1950)]),
    ("东引运河", "river", 40.0, 40.0,
     [(700, 1950), (600, 1500), (450, 1150), (400, 700), (300, 300), (220, -300), (150, -1250)]),
)


def anchor_xy() -> tuple[float, float]:
    """The anchor in EPSG:4547 metres (easting, northing), rounded to 10 m."""
    transformer = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = transformer.transform(*ANCHOR_LON_LAT)
    return round(x, -1), round(y, -1)


def build_sample(*, seed: int = SAMPLE_SEED) -> tuple[list[Community], list[Road], Polygon]:
    """The three communities, the area-wide roads and river, and the region the roads are clipped to."""
    x0, y0 = anchor_xy()
    rng = np.random.default_rng([seed, 0])

    def shifted(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x0 + x, y0 + y) for x, y in points]

    cells = jittered_grid(
        [x0, x0 + 2300.0, x0 + 3500.0], [y0 - 1000.0, y0, y0 + 1700.0], rng, jitter_m=50.0, wiggle_m=60.0
    )
    polygons = {
        SAMPLE_COMMUNITY: cells[0, 1],
        "榕湖社区": cells[1, 1],
        "新围社区": unary_union([cells[0, 0], cells[1, 0]]),
    }
    roads = [
        Road(name, kind, polyline(shifted(points), rng, wobble_m=wobble_m), width_m)
        for name, kind, width_m, wobble_m, points in AREA_LINES
    ]
    names = NamePicker(np.random.default_rng([seed, 1]))
    communities = []
    for index, settings in enumerate(SAMPLE_COMMUNITIES):
        communities.append(
            build_community(
                polygons[settings.name],
                name=settings.name,
                code=settings.code,
                population=settings.population,
                estate_count=settings.estate_count,
                remaining_share=settings.remaining_share,
                open_share=settings.open_share,
                crossing=roads,
                names=names,
                rng=np.random.default_rng([seed, 2, index]),
                facility_count=settings.facility_count,
                phase_groups=settings.phase_groups,
                max_block_m2=220_000.0,
                village_seeds=shifted(list(settings.village_seeds)) if settings.village_seeds else None,
            )
        )
    region = unary_union(list(polygons.values())).envelope.buffer(150.0, join_style="mitre")
    return communities, roads, region


def quarter_populations(community: Community, roads: list[Road]) -> list[int]:
    """Residents in each piece of ``community`` cut by the ``SECTOR_ROADS`` (a contiguous split certificate)."""
    cut = shapely.union_all([road.geometry.buffer(0.5) for road in roads if road.name in SECTOR_ROADS])
    pieces = community.polygon.difference(cut)
    pieces = list(getattr(pieces, "geoms", [pieces]))
    return [
        sum(point["population"] for point in community.points if piece.contains(point["geometry"]))
        for piece in pieces
    ]


def _readme(communities: list[Community], roads: list[Road], paths: dict[str, Path], *, seed: int) -> str:
    main = communities[0]
    quarters = quarter_populations(main, roads)
    sizes = sorted(estate["population"] for estate in main.estates)
    in_estates = sum(sizes)
    groups = sorted({estate["group"] for estate in main.estates if estate["group"]})
    lines = [
        "# Embedded sample data (SYNTHETIC)",
        "",
        "**Everything here is synthetic.** The communities, estates, buildings, residents, households, facilities",
        "and codes were invented by a seeded script; road and river names are borrowed from Dongguan only so that",
        "the data reads like the real problem. Do not use it as information about any real place.",
        f"Every community carries `source` = \"{SOURCE}\".",
        "",
        "Regenerate (byte for byte identical on the same shapely/GEOS and GDAL versions):",
        "",
        "    python -m redistrict.sample.generate",
        "",
        f"Seed {seed}. CRS: CGCS2000 / 3-degree Gauss-Kruger zone 38, **EPSG:4547** (metres; recorded in every",
        "file).",
        f"Anchor: lon {ANCHOR_LON_LAT[0]}, lat {ANCHOR_LON_LAT[1]} (Dongcheng, Dongguan), converted with pyproj.",
        "Coordinates are rounded to 0.1 m.",
        "",
        "## Contents",
        "",
        "| community | residents | households | estates | residents in estates | facilities |",
        "|---|---|---|---|---|---|",
    ]
    for community in communities:
        estate_people = sum(estate["population"] for estate in community.estates)
        lines.append(
            f"| {community.name} | {community.population:,} | {community.households:,} | {len(community.estates)} "
            f"| {estate_people:,} | {len(community.facilities)} |"
        )
    lines += [
        "",
        f"The oversized community is **{main.name}** ({main.population:,} residents, "
        f"{main.polygon.area / 1e6:.2f} km²): {len(main.estates)} estates of {sizes[0]:,} to {sizes[-1]:,} residents "
        f"({in_estates / main.population:.0%} of its residents); the rest live in village-style (村改居) rental",
        "housing, factory dormitories and old-street buildings between the estates. Multi-phase developments",
        f"sharing a `group`: {', '.join(groups) if groups else 'none'}.",
        f"Main roads {' and '.join(SECTOR_ROADS)} cross it and cut it into {len(quarters)} quarters of "
        f"{', '.join(f'{value:,}' for value in quarters)} residents;",
        "the river 东引运河 runs through its west side. Estates never cross a road or river.",
        "",
        "## Files and fields",
        "",
        "| file | geometry | fields |",
        "|---|---|---|",
        "| communities.geojson | Polygon | `name` (社区), `code` (12-digit, synthetic), `source` |",
        "| estates.geojson | Polygon | `name` (楼盘/小区), `group` (phases of one development, null otherwise), "
        "`households`, `population` (both equal the sums of the estate's buildings) |",
        "| population.geojson | Point | `population` (persons), `households`, `building` (building or address) |",
        "| roads.geojson | LineString | `name`, `kind` (`road` or `river`) |",
        "| facilities.geojson | Point | `name` (党群服务中心 / 服务站), `area_m2` (floor area, m²) |",
        "",
        "Persons per household vary by building: about 2.3-3.0 in estates, 1.5-2.4 in rental housing, 6-12 in",
        "factory dormitories (collective households).",
        "",
        "| file | bytes |",
        "|---|---|",
    ]
    lines += [f"| {path.name} | {path.stat().st_size:,} |" for path in paths.values()]
    return "\n".join(lines) + "\n"


def generate_sample(out_dir: Path | str | None = None, *, seed: int = SAMPLE_SEED) -> dict[str, Path]:
    """Write the five sample layers and a README into ``out_dir`` (default: the package's data folder)."""
    out_dir = DATA_DIR if out_dir is None else Path(out_dir)
    communities, roads, region = build_sample(seed=seed)
    description = (
        f"Synthetic sample generated by redistrict (python -m redistrict.sample.generate, seed {seed}); not real data."
    )
    paths = write_layers(out_dir, communities, roads, description=description, region=region)
    problems = layer_problems(paths)
    if problems:
        raise RuntimeError("generated data breaks its invariants (a generator bug): " + "; ".join(problems))
    readme = out_dir / "README.md"
    readme.write_text(_readme(communities, roads, paths, seed=seed), encoding="utf-8")
    main = communities[0]
    logger.info(
        "sample %s: %d residents, %d households, %d estates, %d buildings in %s",
        main.name, main.population, main.households, len(main.estates), len(main.points), out_dir,
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m redistrict.sample.generate", description="Regenerate the synthetic demo sample."
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: the package's sample/data)")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED, help=f"random seed (default {SAMPLE_SEED})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    generate_sample(args.out, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
