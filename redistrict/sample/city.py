"""Generate a whole synthetic city: many adjacent communities, some of them oversized.

    python -m redistrict.sample.city OUT_DIR [--communities N] [--oversized M] [--seed S]

The same five layers as the embedded sample (``communities``, ``estates``, ``population``, ``roads``,
``facilities``; GeoJSON in EPSG:4547) for a jittered grid of communities centred on Dongcheng, Dongguan.
Exactly ``oversized`` of them get 35,000-90,000 residents, the others 4,000-28,000. Arterial roads run
through every other column and row of communities and a river crosses the city diagonally; each
community gets its own minor roads, estates, village land, buildings and service facilities from the
builder shared with the sample (``redistrict.sample.build``). Deterministic for a given seed.
"""
from __future__ import annotations

import argparse
import logging
import math
import time
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon
from shapely.ops import unary_union

from redistrict.sample.build import Community, Road, build_community, jittered_grid, polyline
from redistrict.sample.generate import anchor_xy
from redistrict.sample.checks import layer_problems
from redistrict.sample.layers import CRS, SOURCE, write_layers
from redistrict.sample.names import NamePicker

logger = logging.getLogger(__name__)

CELL_M = 1_600.0
OVERSIZED_POPULATION = (35_000, 90_000)
ORDINARY_POPULATION = (4_000, 28_000)


def _validate(communities: object, oversized: object, seed: object) -> None:
    for label, value in (("communities", communities), ("oversized", oversized), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{label} must be an integer, got {value!r}")
    if communities < 1:
        raise ValueError(f"communities must be at least 1, got {communities}")
    if not 0 <= oversized <= communities:
        raise ValueError(f"oversized must be between 0 and communities ({communities}), got {oversized}")


def _arterials(x_edges: list[float], y_edges: list[float], rng: np.random.Generator, names: NamePicker) -> list[Road]:
    """North-south arterials through every other column, east-west ones through every other row, a river."""
    roads = []
    south, north = y_edges[0] - 300.0, y_edges[-1] + 300.0
    west, east = x_edges[0] - 300.0, x_edges[-1] + 300.0
    for i in range(0, len(x_edges) - 1, 2):
        x = (x_edges[i] + x_edges[i + 1]) / 2
        ys = np.linspace(south, north, max(3, len(y_edges)))
        line = polyline([(x, float(y)) for y in ys], rng, wobble_m=40.0)
        roads.append(Road(names.arterial(), "road", line, 30.0))
    for j in range(1, len(y_edges) - 1, 2):
        y = (y_edges[j] + y_edges[j + 1]) / 2
        xs = np.linspace(west, east, max(3, len(x_edges)))
        line = polyline([(float(x), y) for x in xs], rng, wobble_m=40.0)
        roads.append(Road(names.arterial(), "road", line, 30.0))
    # The river runs from the north-west to the south-east, meandering.
    steps = max(4, len(x_edges) + len(y_edges))
    river = [
        (west + (east - west) * t, north - (north - south) * (0.25 + 0.5 * t)) for t in np.linspace(0.0, 1.0, steps)
    ]
    roads.append(Road(names.river(), "river", polyline(river, rng, wobble_m=0.15 * CELL_M), 40.0))
    return roads


def build_city(
    *, communities: int = 250, oversized: int = 40, seed: int = 0
) -> tuple[list[Community], list[Road], Polygon]:
    """The city's communities, arterial roads and river, and the region the roads are clipped to."""
    _validate(communities, oversized, seed)
    rng = np.random.default_rng([seed, 0])
    names = NamePicker(np.random.default_rng([seed, 1]))
    columns = math.ceil(math.sqrt(communities))
    rows = math.ceil(communities / columns)
    x_centre, y_centre = anchor_xy()
    x_edges = [x_centre + (i - columns / 2) * CELL_M for i in range(columns + 1)]
    y_edges = [y_centre + (j - rows / 2) * CELL_M for j in range(rows + 1)]
    cells = jittered_grid(x_edges, y_edges, rng, jitter_m=0.08 * CELL_M, wiggle_m=0.05 * CELL_M)
    order = [(i, j) for j in range(rows) for i in range(columns)][:communities]
    roads = _arterials(x_edges, y_edges, rng, names)
    big = set(int(index) for index in rng.choice(communities, size=oversized, replace=False))
    built = []
    for index, key in enumerate(order):
        local = np.random.default_rng([seed, 2, index])
        if index in big:
            population = int(local.integers(OVERSIZED_POPULATION[0] // 100, OVERSIZED_POPULATION[1] // 100 + 1)) * 100
            estates = int(np.clip(round(population / 1_500), 20, 60))
        else:
            population = int(local.integers(ORDINARY_POPULATION[0] // 100, ORDINARY_POPULATION[1] // 100 + 1)) * 100
            estates = int(np.clip(round(population / 1_800), 3, 15))
        name = names.place(suffix="社区")
        built.append(
            build_community(
                cells[key],
                name=name,
                code=f"441999{index + 1:06d}",
                population=population,
                estate_count=estates,
                remaining_share=float(local.uniform(0.15, 0.30)),
                open_share=float(np.clip(0.55 - population / 150_000, 0.08, 0.5)),
                crossing=roads,
                names=names,
                rng=local,
                facility_count=2 if index in big else 1,
                phase_groups=2 if index in big else int(local.random() < 0.3),
                max_block_m2=250_000.0,
            )
        )
    region = unary_union([community.polygon for community in built]).envelope.buffer(150.0, join_style="mitre")
    return built, roads, region


def generate_city(
    out_dir: Path | str, *, communities: int = 250, oversized: int = 40, seed: int = 0
) -> dict[str, Path]:
    """Write the five layers of a synthetic city into ``out_dir``; return their paths by layer name.

    ``oversized`` of the ``communities`` exceed 30,000 residents (35,000-90,000); the rest stay below.
    Raises ``ValueError`` (or ``TypeError``) for impossible counts.
    """
    started = time.perf_counter()
    built, roads, region = build_city(communities=communities, oversized=oversized, seed=seed)
    description = (
        f"Synthetic city generated by redistrict (python -m redistrict.sample.city, communities {communities}, "
        f"oversized {oversized}, seed {seed}); not real data."
    )
    out_dir = Path(out_dir)
    paths = write_layers(out_dir, built, roads, description=description, region=region)
    problems = layer_problems(paths)
    if problems:
        raise RuntimeError("generated data breaks its invariants (a generator bug): " + "; ".join(problems))
    (out_dir / "README.md").write_text(
        "# Synthetic city (not real data)\n\n"
        f"Generated by `python -m redistrict.sample.city OUT_DIR --communities {communities} "
        f"--oversized {oversized} --seed {seed}`.\n"
        f"CRS {CRS}; every community has `source` = \"{SOURCE}\"; fields as in redistrict/sample/data/README.md.\n",
        encoding="utf-8",
    )
    logger.info(
        "city: %d communities (%d over 30,000), %d estates, %d buildings in %.1f s",
        len(built), sum(c.population > 30_000 for c in built), sum(len(c.estates) for c in built),
        sum(len(c.points) for c in built), time.perf_counter() - started,
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m redistrict.sample.city", description="Generate a synthetic city (not real data)."
    )
    parser.add_argument("out_dir", type=Path, help="output folder")
    parser.add_argument("--communities", type=int, default=250, help="number of communities (default 250)")
    parser.add_argument("--oversized", type=int, default=40, help="how many exceed 30,000 residents (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    try:
        generate_city(args.out_dir, communities=args.communities, oversized=args.oversized, seed=args.seed)
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
