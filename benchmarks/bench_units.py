"""Benchmark: units and adjacency graph for one generated community of 5,000 estates.

    python benchmarks/bench_units.py [--estates 5000] [--seed 7]

Target (issue 3): build_units + build_graph under 30 s on 2 cores. Prints a table and writes
benchmarks/results/units.json (git-ignored). The community is synthetic: a square town of
about 71 × 71 estate plots of 120 m, most holding one estate of random size (some touching their
neighbour, some 2 m apart), the rest village land; a named road every 6 plots both ways and a
meandering river; 8 people points per estate and 2 per village plot.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, box

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boundaries  # noqa: E402

CRS = "EPSG:4547"
X0, Y0 = 440000.0, 2520000.0
PLOT_M = 120.0


def make_layers(n_estates: int, seed: int) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n_estates / 0.85))
    size = side * PLOT_M
    plots = [(i, j) for j in range(side) for i in range(side)]
    chosen = np.sort(rng.choice(len(plots), size=n_estates, replace=False))
    estates, names, groups = [], [], []
    points, people, households = [], [], []
    for k, index in enumerate(chosen):
        i, j = plots[index]
        x, y = X0 + i * PLOT_M, Y0 + j * PLOT_M
        style = rng.random()
        if style < 0.15:      # fills the plot: touches the neighbouring estate
            geom = box(x, y, x + PLOT_M, y + PLOT_M)
        elif style < 0.25:    # a 2 m gap to the next plot
            geom = box(x + 1, y + 1, x + PLOT_M - 1, y + PLOT_M - 1)
        else:
            w, h = rng.uniform(40, 105, size=2)
            ox, oy = rng.uniform(0, PLOT_M - w), rng.uniform(0, PLOT_M - h)
            geom = box(x + ox, y + oy, x + ox + w, y + oy + h)
        estates.append(geom)
        names.append(f"小区{k + 1:05d}")
        groups.append(f"片区{k // 40}" if k % 7 == 0 else None)
        inner = geom.buffer(-0.5)
        minx, miny, maxx, maxy = inner.bounds
        for _ in range(8):
            points.append(Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy)))
            people.append(int(rng.integers(20, 400)))
            households.append(int(rng.integers(8, 150)))
    taken = set(chosen.tolist())
    for index, (i, j) in enumerate(plots):
        if index in taken:
            continue
        for _ in range(2):
            points.append(Point(X0 + (i + rng.uniform(0.05, 0.95)) * PLOT_M, Y0 + (j + rng.uniform(0.05, 0.95)) * PLOT_M))
            people.append(int(rng.integers(5, 200)))
            households.append(int(rng.integers(2, 80)))
    roads, road_names, kinds = [], [], []
    for r, offset in enumerate(np.arange(6, side, 6) * PLOT_M):
        roads.append(LineString([(X0 + offset, Y0 - 50), (X0 + offset, Y0 + size + 50)]))
        road_names.append(f"纵{r + 1}路")
        kinds.append("road")
        roads.append(LineString([(X0 - 50, Y0 + offset), (X0 + size + 50, Y0 + offset)]))
        road_names.append(f"横{r + 1}路")
        kinds.append("road")
    t = np.linspace(0, 1, 400)
    roads.append(LineString(np.column_stack([X0 + size * 0.3 + 200 * np.sin(t * 12), Y0 - 50 + t * (size + 100)])))
    road_names.append("运河")
    kinds.append("river")
    return {
        "communities": gpd.GeoDataFrame({"name": ["基准社区"], "code": ["BENCH"]},
                                        geometry=[box(X0, Y0, X0 + size, Y0 + size)], crs=CRS),
        "estates": gpd.GeoDataFrame({"name": names, "group": groups}, geometry=estates, crs=CRS),
        "population": gpd.GeoDataFrame({"population": people, "households": households}, geometry=points, crs=CRS),
        "roads": gpd.GeoDataFrame({"name": road_names, "kind": kinds}, geometry=roads, crs=CRS),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estates", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "units.json")
    args = parser.parse_args(argv)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    frames = make_layers(args.estates, args.seed)
    timings["generate_s"] = time.perf_counter() - start
    start = time.perf_counter()
    layers = boundaries.load_layers(**frames)
    timings["load_layers_s"] = time.perf_counter() - start
    start = time.perf_counter()
    report = boundaries.inspect_layers(layers)
    timings["inspect_layers_s"] = time.perf_counter() - start
    start = time.perf_counter()
    units = boundaries.build_units(layers, "基准社区")
    timings["build_units_s"] = time.perf_counter() - start
    start = time.perf_counter()
    graph = boundaries.build_graph(units.frame, roads=layers.roads)
    timings["build_graph_s"] = time.perf_counter() - start
    timings["units_and_graph_s"] = timings["build_units_s"] + timings["build_graph_s"]
    kinds = units.frame["kind"].value_counts()
    result = {
        "benchmark": "units+graph, one community",
        "estates_requested": args.estates, "seed": args.seed,
        "units": len(units.frame), "estate_units": int(kinds.get("estate", 0)), "blocks": int(kinds.get("block", 0)),
        "points": len(layers.population), "edges": graph.number_of_edges(),
        "barrier_edges": sum(1 for *_, d in graph.edges(data=True) if d["barrier"]),
        "bridges": len(graph.graph["bridges"]),
        "population_in": units.population_in, "population_out": units.population_out,
        "validation": {"errors": len(report.errors), "warnings": len(report.warnings)},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "target_s": 30.0, "within_target": timings["units_and_graph_s"] < 30.0,
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine(),
                    "shapely": shapely.__version__, "geos": ".".join(map(str, shapely.geos_version))},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    rows = [("estates", f"{result['estate_units']:,}"), ("blocks", f"{result['blocks']:,}"),
            ("population points", f"{result['points']:,}"), ("edges", f"{result['edges']:,}"),
            ("edges along roads/rivers", f"{result['barrier_edges']:,}"), ("bridges", str(result["bridges"])),
            ("population in = out", f"{units.population_in:,.0f} = {units.population_out:,.0f}")]
    rows += [(name, f"{value:.2f} s") for name, value in timings.items()]
    width = max(len(name) for name, _ in rows)
    print(f"bench_units: {args.estates:,} estates (seed {args.seed}); target units+graph < 30 s")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"  {'result':<{width}}  {'PASS' if result['within_target'] else 'SLOW'} -> {args.out}")
    return result


if __name__ == "__main__":
    main()
