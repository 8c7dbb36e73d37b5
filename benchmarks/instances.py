"""Benchmark instances: readers for the published data in ../shared/benchmarks and seeded generators.

Every reader returns an ``nx.Graph`` that ``solver.solve`` accepts: string node ids, a population
attribute, ``x``/``y`` in metres and ``length_m`` on edges. The published files are read in place
(never copied into this repository); ``shared_dir()`` raises FileNotFoundError when they are absent.

- JSON dual graphs (Validi–Buchanan counties and tracts, GerryChain's Arkansas block groups) go through
  ``redistrict.graphfile.read_graph``.
- ``XX.graph`` / ``XX.population`` (Buchanan's county-level-districting, Validi et al.'s perturbed
  populations) are plain text: one ``u v`` edge per line; a ``total pop = N`` header then ``id population``.
  They carry no coordinates: x = y = 0 (only the cut-edge objective is run on them).
- Grids (Validi, Buchanan & Lykhovyd 2022) and community-scale planar graphs are built in code.
"""
from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import MultiPoint, box

#: ../shared/benchmarks relative to the repository root.
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"

#: The 12 county instances of Validi & Buchanan (2022), in the order of the brief (quick ones first).
CUT_EDGE_COUNTIES = ("ME", "NM", "ID", "WV", "NE", "OK", "AR", "IA", "KS", "MS", "LA", "AL")


def shared_dir() -> Path:
    """The shared benchmark folder; FileNotFoundError (naming the path) when it is absent."""
    if not SHARED_DIR.is_dir():
        raise FileNotFoundError(f"benchmark data folder {SHARED_DIR} is absent; the published instances "
                                "live next to the repository in ../shared/benchmarks")
    return SHARED_DIR


def population_band(total: float, districts: int, *, tolerance: float = 0.005) -> tuple[int, int]:
    """(L, U) = (ceil((1 − t)·P/k), floor((1 + t)·P/k)): the convention of the published instances."""
    ideal = total / districts
    # Rounding noise in (1 ± t)·P/k must not move an integer bound by one.
    return math.ceil((1 - tolerance) * ideal - 1e-9), math.floor((1 + tolerance) * ideal + 1e-9)


def cut_edges(graph: nx.Graph, assignment: Mapping[str, int]) -> int:
    """Edges of the graph whose ends lie in different districts (recomputed here, not read from a solver)."""
    return sum(1 for u, v in graph.edges if assignment[str(u)] != assignment[str(v)])


# --- JSON dual graphs ---------------------------------------------------------------------------------

def read_json_graph(path: str | Path, *, population_attr: str) -> nx.Graph:
    """A networkx adjacency / node-link JSON graph with x/y in metres (see redistrict.graphfile)."""
    from redistrict.graphfile import read_graph

    return read_graph(path, population_attr=population_attr)


def cut_edge_instance_path(state: str, level: str = "county") -> Path:
    """validi-cut-edges/<level>/<STATE>_<level><fips>.json; FileNotFoundError names what was looked for."""
    folder = shared_dir() / "validi-cut-edges" / level
    matches = sorted(folder.glob(f"{state}_{level}[0-9][0-9].json"))
    if not matches:
        raise FileNotFoundError(f"no {level} instance for {state!r} in {folder}")
    return matches[0]


def cut_edge_reference() -> dict[tuple[str, str], dict[str, object]]:
    """SUMMARY_cut_edges_reference.csv keyed by (state, level), numbers parsed (None when blank)."""
    path = shared_dir() / "validi-cut-edges" / "SUMMARY_cut_edges_reference.csv"
    out: dict[tuple[str, str], dict[str, object]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            record: dict[str, object] = dict(row)
            for key in ("n", "m", "k", "L", "U", "opt_no_contiguity", "opt_with_contiguity"):
                record[key] = int(row[key]) if row[key].strip() else None
            record["fastest_time_s"] = float(row["fastest_time_s"]) if row["fastest_time_s"].strip() else None
            out[(row["state"], row["level"])] = record
    return out


# --- plain-text edge lists and population files -------------------------------------------------------

def read_population_file(path: str | Path) -> dict[str, int]:
    """``total pop = N`` (or ``total population = N``) then ``id population`` lines; checks the total."""
    path = Path(path)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or "=" not in lines[0]:
        raise ValueError(f"{path}: the first line must be 'total pop = N', got {lines[0] if lines else '(empty)'!r}")
    declared = int(lines[0].split("=", 1)[1])
    population: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}, line {number}: expected 'id population', got {line!r}")
        if parts[0] in population:
            raise ValueError(f"{path}, line {number}: unit {parts[0]} appears twice")
        population[parts[0]] = int(parts[1])
    if sum(population.values()) != declared:
        raise ValueError(f"{path}: populations add up to {sum(population.values())}, the header says {declared}")
    return population


def read_edge_list(path: str | Path) -> list[tuple[str, str]]:
    """``u v`` per line (self-loops and repeats dropped), in file order."""
    path = Path(path)
    edges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"{path}, line {number}: expected 'u v', got {line!r}")
        u, v = parts
        key = (min(u, v), max(u, v))
        if u != v and key not in seen:
            seen.add(key)
            edges.append((u, v))
    return edges


def graph_from_lists(edges: Iterable[tuple[str, str]], population: Mapping[str, int], *,
                     source: str = "graph") -> nx.Graph:
    """Units of ``population`` joined by ``edges``; x = y = 0 and length_m = 1 (no geometry is published)."""
    graph = nx.Graph()
    for uid in sorted(population, key=_natural):
        graph.add_node(uid, population=population[uid], x=0.0, y=0.0)
    for u, v in edges:
        missing = [w for w in (u, v) if w not in population]
        if missing:
            raise ValueError(f"{source}: edge {u}–{v} names unit {missing[0]}, which has no population")
        graph.add_edge(u, v, length_m=1.0)
    return graph


def county_graph(state: str, population: Mapping[str, int] | None = None) -> nx.Graph:
    """county-feasibility-2010/data/<STATE>.graph with its 2010 populations (or the ones given)."""
    folder = shared_dir() / "county-feasibility-2010" / "data"
    if population is None:
        population = read_population_file(folder / f"{state}.population")
    return graph_from_lists(read_edge_list(folder / f"{state}.graph"), population, source=f"{state}.graph")


@dataclass(frozen=True)
class FeasibilityCase:
    """One published yes/no question: can ``state`` be split into k contiguous districts in [L, U]?"""

    name: str
    state: str
    n: int
    k: int
    min_population: int
    max_population: int
    verdict: str             # "feasible" | "infeasible" | "unknown" (the authors' run did not decide)
    published_time_s: float | None
    population_file: Path


def county_feasibility_cases() -> list[FeasibilityCase]:
    """Every state of county-level-outputs.csv with k > 1, with its published contiguous verdict."""
    root = shared_dir() / "county-feasibility-2010"
    cases: list[FeasibilityCase] = []
    with (root / "county-level-outputs.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Contiguity Imposed?"].strip().upper() != "TRUE" or int(row["k"]) <= 1:
                continue
            verdict = {"TRUE": "feasible", "FALSE": "infeasible"}.get(row["Feasible?"].strip().upper(), "unknown")
            cases.append(FeasibilityCase(
                name=row["State"], state=row["State"], n=int(row["n"]), k=int(row["k"]),
                min_population=int(row["L"]), max_population=int(row["U"]), verdict=verdict,
                published_time_s=None, population_file=root / "data" / f"{row['State']}.population"))
    return sorted(cases, key=lambda c: c.name)


def perturbed_cases(states: Iterable[str] | None = None) -> list[FeasibilityCase]:
    """Validi, Buchanan & Lykhovyd's perturbed-population county instances with their published verdicts.

    A row of results/districting_cut_lcut.csv is matched to its population file by its (L, U), which
    are recomputed from the file's total with ``population_band``; verdict ``feasible`` when the authors
    found a plan, ``infeasible`` when their model proved none exists, ``unknown`` otherwise.
    """
    root = shared_dir() / "hess-or2022"
    rows: dict[tuple[str, int, int], dict[str, str]] = {}
    with (root / "results" / "districting_cut_lcut.csv").open(newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle, skipinitialspace=True):
            row = {key.strip(): (value or "").strip() for key, value in raw.items()}
            key = (row["state"], int(row["L"]), int(row["U"]))
            # Several models ran each instance: keep the fastest decided one.
            if key not in rows or _decided_time(row) < _decided_time(rows[key]):
                rows[key] = row
    wanted = None if states is None else set(states)
    cases: list[FeasibilityCase] = []
    for folder in sorted(p for p in (root / "perturbed_populations").iterdir() if p.is_dir()):
        state = folder.name
        if wanted is not None and state not in wanted:
            continue
        for path in sorted(folder.glob(f"{state}_*.population")):
            population = read_population_file(path)
            matches = [r for (s, _, _), r in rows.items() if s == state]
            if not matches:
                continue
            k = int(matches[0]["k"])
            low, high = population_band(sum(population.values()), k)
            # The authors' floating-point rounding differs from ours by one person now and then.
            near = [r for r in matches if abs(int(r["L"]) - low) + abs(int(r["U"]) - high) <= 2]
            if len(near) != 1:
                raise ValueError(f"{path}: {len(near)} published rows have L≈{low}, U≈{high} (k={k}); "
                                 "expected exactly one")
            row = near[0]
            low, high = int(row["L"]), int(row["U"])
            if row["Objval"] == "infeasible":
                verdict = "infeasible"
            elif row["Found feasbile?"] == "Y":
                verdict = "feasible"
            else:
                verdict = "unknown"
            cases.append(FeasibilityCase(
                name=path.stem, state=state, n=len(population), k=k, min_population=low, max_population=high,
                verdict=verdict, published_time_s=_decided_time(row), population_file=path))
    return cases


def _decided_time(row: Mapping[str, str]) -> float:
    try:
        return float(row["Total Time"])
    except (KeyError, ValueError):
        return math.inf


def _natural(uid: str) -> tuple[int, int | str]:
    return (0, int(uid)) if uid.isdigit() else (1, uid)


# --- moment-of-inertia grids ---------------------------------------------------------------------------

#: Published optima of Σ d² (Validi, Buchanan & Lykhovyd 2022, results/grid_output.csv).
GRID_OPTIMA = {5: 239524.0, 6: 418572.0, 7: 647977.0, 8: 916840.0, 9: 1075716.0, 10: 1773005.84,
               11: 2351750.0, 12: 3068868.0, 13: 3896494.98, 14: 4823580.0, 15: 5879309.65}


def grid_node(row: int, col: int) -> str:
    """Zero-padded so that string order is row-major order."""
    return f"r{row:02d}c{col:02d}"


def grid_instance(side: int, *, spacing_m: float = 100.0) -> nx.Graph:
    """side × side rook grid, population 1, x/y = spacing · (col, row)."""
    if side < 1:
        raise ValueError(f"grid side must be at least 1, got {side}")
    graph = nx.Graph()
    for row in range(side):
        for col in range(side):
            graph.add_node(grid_node(row, col), population=1, x=col * spacing_m, y=row * spacing_m,
                           row=row, col=col)
    for row in range(side):
        for col in range(side):
            if col + 1 < side:
                graph.add_edge(grid_node(row, col), grid_node(row, col + 1), length_m=spacing_m)
            if row + 1 < side:
                graph.add_edge(grid_node(row, col), grid_node(row + 1, col), length_m=spacing_m)
    return graph


def grid_distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    """The published distance: floor(100 · Euclidean distance between cell centres), exactly."""
    squared = (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2
    return math.isqrt(10000 * squared)  # = floor(100·√squared) without floating-point error


def grid_objective(graph: nx.Graph, assignment: Mapping[str, int]) -> tuple[int, dict[int, str]]:
    """Σ d² with the published d, each district about its best centre cell; (value, centre per district)."""
    cells = {str(n): (int(d["row"]), int(d["col"])) for n, d in graph.nodes(data=True)}
    districts: dict[int, list[str]] = {}
    for uid in sorted(assignment):
        districts.setdefault(int(assignment[uid]), []).append(uid)
    total = 0
    centres: dict[int, str] = {}
    for district, members in sorted(districts.items()):
        best: tuple[int, str] | None = None
        for centre in members:
            value = sum(graph.nodes[u]["population"] * grid_distance(cells[u], cells[centre]) ** 2 for u in members)
            if best is None or value < best[0]:
                best = (value, centre)
        total += best[0]
        centres[district] = best[1]
    return total, centres


# --- community-scale random planar graphs --------------------------------------------------------------

def community_instance(units: int, *, seed: int, side_m: float = 2000.0, low: int = 200,
                       high: int = 4000) -> nx.Graph:
    """Delaunay triangulation of ``units`` seeded random points in a side_m × side_m square.

    Population is uniform in [low, high] per unit; ``length_m`` is the length of the boundary the two
    units' Voronoi cells (clipped to the square) share, 0 when they only touch at a point.
    """
    if units < 3:
        raise ValueError(f"a triangulation needs at least 3 units, got {units}")
    rng = random.Random(seed)
    xs = [rng.uniform(0, side_m) for _ in range(units)]
    ys = [rng.uniform(0, side_m) for _ in range(units)]
    populations = [rng.randint(low, high) for _ in range(units)]
    ids = [f"u{i:05d}" for i in range(units)]
    points = shapely.points(np.column_stack([xs, ys]))
    index = {(x, y): i for i, (x, y) in enumerate(zip(xs, ys))}
    edges_geom = shapely.delaunay_triangles(MultiPoint(list(points)), only_edges=True)
    pairs: set[tuple[int, int]] = set()
    for line in shapely.get_parts(edges_geom):
        (ax, ay), (bx, by) = list(line.coords)
        a, b = index[(ax, ay)], index[(bx, by)]
        pairs.add((min(a, b), max(a, b)))
    frame = box(0, 0, side_m, side_m)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(list(points)), extend_to=frame))
    cell_of: list[object] = [None] * units
    cell_index, point_index = shapely.STRtree(points).query(cells, predicate="contains")
    for c, p in zip(cell_index.tolist(), point_index.tolist()):
        cell_of[p] = shapely.intersection(cells[c], frame)
    graph = nx.Graph()
    for i in range(units):
        graph.add_node(ids[i], population=populations[i], x=xs[i], y=ys[i])
    for a, b in sorted(pairs):
        shared = 0.0
        if cell_of[a] is not None and cell_of[b] is not None:
            shared = float(shapely.length(shapely.intersection(cell_of[a].boundary, cell_of[b].boundary)))
        graph.add_edge(ids[a], ids[b], length_m=shared)
    return graph


def cap_for(graph: nx.Graph, districts: int, *, headroom: float = 0.05, population_attr: str = "population") -> int:
    """A cap for which ceil(total / cap) = districts: the mean district population plus ``headroom``."""
    total = sum(d[population_attr] for _, d in graph.nodes(data=True))
    cap = math.ceil(total / districts * (1 + headroom))
    if math.ceil(total / cap) != districts:
        raise ValueError(f"headroom {headroom} is too large for {districts} districts")
    return cap
