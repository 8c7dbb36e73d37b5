"""Adjacency graphs from files (networkx / GerryChain JSON) for ``redistrict solve``: the way the
published benchmarks are run, and a shortcut for users who already have a dual graph."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import networkx as nx
from networkx.readwrite import json_graph
from pyproj import CRS, Transformer

import solver
from redistrict.errors import UsageError


def read_graph(path: str | Path, *, population_attr: str) -> nx.Graph:
    """Read adjacency or node-link JSON; node ids become strings; x/y in metres are added when missing.

    Centroids given as lon/lat (GerryChain's ``C_X``/``C_Y``) are projected with an azimuthal equidistant
    projection centred on the graph, so squared distances are in m².
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"graph file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"graph file {path}: not valid JSON ({exc})") from None
    try:
        if "adjacency" in data:
            graph = json_graph.adjacency_graph(data)
        else:
            graph = json_graph.node_link_graph(data, edges="links" if "links" in data else "edges")
    except (KeyError, TypeError, nx.NetworkXError) as exc:
        raise UsageError(f"graph file {path}: not a networkx adjacency or node-link graph ({exc})") from None
    graph = nx.relabel_nodes(nx.Graph(graph), {n: str(n) for n in graph.nodes})
    missing = [n for n, d in graph.nodes(data=True) if not isinstance(d.get(population_attr), (int, float))]
    if missing:
        raise UsageError(f"graph file {path}: {len(missing)} node(s) lack a numeric {population_attr!r} "
                         f"(first: {missing[0]}); choose the attribute with --population-attr")
    _ensure_coordinates(graph)
    for u, v, d in graph.edges(data=True):
        d.setdefault("length_m", float(d.get("shared_perim", 1.0) or 1.0))
    return graph


def _ensure_coordinates(graph: nx.Graph) -> None:
    nodes = list(graph.nodes(data=True))
    if all("x" in d and "y" in d for _, d in nodes):
        return
    if all("C_X" in d and "C_Y" in d for _, d in nodes):
        lons = [float(d["C_X"]) for _, d in nodes]
        lats = [float(d["C_Y"]) for _, d in nodes]
        centre_lon, centre_lat = sum(lons) / len(lons), sum(lats) / len(lats)
        local = CRS.from_proj4(f"+proj=aeqd +lat_0={centre_lat} +lon_0={centre_lon} +datum=WGS84 +units=m")
        to_metres = Transformer.from_crs("EPSG:4326", local, always_xy=True)
        xs, ys = to_metres.transform(lons, lats)
        for (_, d), x, y in zip(nodes, xs, ys):
            d["x"], d["y"] = float(x), float(y)
        return
    # no coordinates at all: a spectral layout is a deterministic stand-in (only inertia needs them)
    layout = nx.spectral_layout(graph) if graph.number_of_nodes() > 2 else {n: (i, 0) for i, n in enumerate(graph)}
    for node, (x, y) in layout.items():
        graph.nodes[node]["x"], graph.nodes[node]["y"] = float(x) * 1000, float(y) * 1000


def solve_graph_file(path: str | Path, *, population_attr: str, districts: str, min_population: float | None,
                     max_population: float, objective: str, backend: str, time_limit_s: float, seed: int,
                     out: str | Path, first_plan: bool = False, threads: int = 1) -> solver.Plan:
    graph = read_graph(path, population_attr=population_attr)
    if districts != "auto" and not str(districts).isdigit():
        raise UsageError(f"--districts must be a whole number or 'auto', got {districts!r}")
    spec = solver.Spec(max_population=max_population, min_population=min_population,
                       districts="auto" if districts == "auto" else int(districts), objective=objective,
                       population_attr=population_attr, group_attr=None, time_limit_s=time_limit_s,
                       backend=backend, seed=seed, threads=threads, first_plan=first_plan)
    plan = solver.solve(graph, spec)
    record: dict[str, Any] = plan.to_dict() | {"graph": str(path), "spec": {
        "max_population": max_population, "min_population": min_population, "districts": districts,
        "objective": objective, "population_attr": population_attr, "time_limit_s": time_limit_s,
        "backend": backend, "seed": seed, "threads": threads, "first_plan": first_plan}}
    if plan.assignment:
        violations = solver.verify(graph, spec, plan.assignment)
        record["verified"] = not violations
        record["violations"] = violations
        if violations:
            raise RuntimeError("the solver returned a plan that fails verification (a bug): " + "; ".join(violations))
    Path(out).write_text(json.dumps(record, ensure_ascii=False, indent=2, default=_jsonable), encoding="utf-8")
    return plan


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
