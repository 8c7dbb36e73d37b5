"""The benchmark loaders and generators (benchmarks/instances.py), and tiny instances end to end.

The benchmarks themselves are not part of the test suite; these tests check that the instances they
run are read and built correctly. Tests that read ../shared/benchmarks skip cleanly when it is absent.
"""
from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import networkx as nx
import pytest

import solver

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks"
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import instances  # noqa: E402

needs_data = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/benchmarks is absent")


# --- plain-text formats ------------------------------------------------------------------------------

def test_population_file_is_read_and_its_total_checked(tmp_path):
    good = tmp_path / "XX.population"
    good.write_text("total pop = 60\n0 10\n1 20\n2 30\n", encoding="utf-8")
    assert instances.read_population_file(good) == {"0": 10, "1": 20, "2": 30}
    perturbed = tmp_path / "XX_01.population"
    perturbed.write_text("total population = 5\n7 5\n", encoding="utf-8")
    assert instances.read_population_file(perturbed) == {"7": 5}


@pytest.mark.parametrize("text, message", [
    ("total pop = 61\n0 10\n1 20\n2 30\n", "add up to 60, the header says 61"),
    ("0 10\n", "first line must be 'total pop = N'"),
    ("total pop = 10\n0 10 extra\n", "line 2: expected 'id population'"),
    ("total pop = 20\n0 10\n0 10\n", "unit 0 appears twice"),
])
def test_population_file_errors_name_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.population"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        instances.read_population_file(path)
    assert "bad.population" in str(info.value)


def test_edge_list_drops_repeats_and_self_loops(tmp_path):
    path = tmp_path / "XX.graph"
    path.write_text("0 1 \n1 0\n1 1\n\n1 2\n", encoding="utf-8")
    assert instances.read_edge_list(path) == [("0", "1"), ("1", "2")]
    path.write_text("0 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: expected 'u v'"):
        instances.read_edge_list(path)


def test_graph_from_lists_gives_the_solver_what_it_needs():
    graph = instances.graph_from_lists([("0", "1"), ("1", "2")], {"2": 5, "0": 7, "1": 3})
    assert list(graph.nodes) == ["0", "1", "2"]
    assert all(d["x"] == 0.0 and d["y"] == 0.0 for _, d in graph.nodes(data=True))
    assert graph.nodes["0"]["population"] == 7
    with pytest.raises(ValueError, match="edge 1–9 names unit 9"):
        instances.graph_from_lists([("1", "9")], {"1": 1}, source="XX.graph")


def test_population_band_follows_the_published_convention():
    # Maine, 2010, k = 2: the band published in SUMMARY_cut_edges_reference.csv
    assert instances.population_band(1328361, 2) == (660860, 667501)
    assert instances.population_band(100, 1, tolerance=0.02) == (98, 102)


# --- grids -------------------------------------------------------------------------------------------

def test_grid_distance_truncates_like_the_published_generator():
    assert instances.grid_distance((0, 0), (0, 1)) == 100
    assert instances.grid_distance((0, 0), (1, 1)) == 141      # 141.42…
    assert instances.grid_distance((0, 0), (3, 4)) == 500      # exact, no 499 from rounding noise
    assert instances.grid_distance((2, 5), (2, 5)) == 0


def test_grid_instance_shape():
    graph = instances.grid_instance(4)
    assert graph.number_of_nodes() == 16 and graph.number_of_edges() == 2 * 4 * 3
    assert graph.nodes[instances.grid_node(2, 3)]["x"] == 300 and graph.nodes[instances.grid_node(2, 3)]["y"] == 200
    assert sorted(graph.nodes) == [instances.grid_node(r, c) for r in range(4) for c in range(4)]


def _connected_partitions(graph: nx.Graph, size: int):
    """Every partition of the graph into connected parts of exactly ``size`` nodes (tiny graphs only)."""
    nodes = sorted(graph.nodes)
    if not nodes:
        yield []
        return
    first, rest = nodes[0], nodes[1:]
    for others in itertools.combinations(rest, size - 1):
        part = (first, *others)
        if nx.is_connected(graph.subgraph(part)):
            remaining = graph.subgraph(set(nodes) - set(part)).copy()
            for tail in _connected_partitions(remaining, size):
                yield [part, *tail]


def test_grid_objective_recomputes_the_published_value_on_a_known_plan():
    graph = instances.grid_instance(3)
    rows = {instances.grid_node(r, c): r + 1 for r in range(3) for c in range(3)}
    value, centres = instances.grid_objective(graph, rows)
    assert value == 3 * 2 * 100 ** 2            # each row: two cells at distance 100 from the middle one
    assert centres == {1: "r00c01", 2: "r01c01", 3: "r02c01"}


def test_tiny_grid_solved_to_the_brute_force_optimum_of_the_published_objective():
    """g3 end to end as bench_hess_grids runs it: the solver's plan, recomputed with floor(100·d)."""
    graph = instances.grid_instance(3)
    best = min(instances.grid_objective(graph, {u: i + 1 for i, part in enumerate(p) for u in part})[0]
               for p in _connected_partitions(graph, 3))
    spec = solver.Spec(max_population=3, min_population=3, districts=3, objective="inertia", group_attr=None,
                       time_limit_s=30)
    plan = solver.solve(graph, spec)
    assert plan.status == "optimal"
    assert solver.verify(graph, spec, plan.assignment) == []
    assert instances.grid_objective(graph, plan.assignment)[0] == best == 60000


# --- community-scale generator -----------------------------------------------------------------------

def test_community_instance_is_seeded_connected_and_planar():
    a = instances.community_instance(120, seed=3)
    b = instances.community_instance(120, seed=3)
    assert nx.utils.graphs_equal(a, b)
    assert a.number_of_nodes() == 120 and nx.is_connected(a)
    assert a.number_of_edges() <= 3 * 120 - 6
    assert all(200 <= d["population"] <= 4000 for _, d in a.nodes(data=True))
    assert all(0 <= d["x"] <= 2000 and 0 <= d["y"] <= 2000 for _, d in a.nodes(data=True))
    assert all(d["length_m"] >= 0 for *_, d in a.edges(data=True))
    assert sum(d["length_m"] > 0 for *_, d in a.edges(data=True)) > 0.8 * a.number_of_edges()
    assert not nx.utils.graphs_equal(a, instances.community_instance(120, seed=4))


@pytest.mark.parametrize("k", [3, 4, 6])
def test_cap_gives_the_intended_number_of_districts(k):
    graph = instances.community_instance(60, seed=k)
    total = sum(d["population"] for _, d in graph.nodes(data=True))
    assert math.ceil(total / instances.cap_for(graph, k)) == k


def test_community_instance_rejects_too_few_units():
    with pytest.raises(ValueError, match="at least 3 units"):
        instances.community_instance(2, seed=0)


# --- the published data ------------------------------------------------------------------------------

@needs_data
def test_cut_edge_county_instances_match_the_reference():
    reference = instances.cut_edge_reference()
    for state in instances.CUT_EDGE_COUNTIES:
        ref = reference[(state, "county")]
        graph = instances.read_json_graph(instances.cut_edge_instance_path(state), population_attr="TOTPOP")
        assert (graph.number_of_nodes(), graph.number_of_edges()) == (ref["n"], ref["m"]), state
        total = sum(d["TOTPOP"] for _, d in graph.nodes(data=True))
        assert instances.population_band(total, ref["k"]) == (ref["L"], ref["U"]), state
        assert all("x" in d and "y" in d for _, d in graph.nodes(data=True))


@needs_data
def test_county_feasibility_cases_and_graphs():
    cases = {c.name: c for c in instances.county_feasibility_cases()}
    feasible = {name for name, c in cases.items() if c.verdict == "feasible"}
    assert feasible == {"AL", "AR", "IA", "ID", "KS", "LA", "ME", "MS", "NE", "NM", "OK", "WV"}
    assert {"CO", "NH", "OR", "SC"} <= {name for name, c in cases.items() if c.verdict == "infeasible"}
    graph = instances.county_graph("ME")
    assert graph.number_of_nodes() == 16 and graph.number_of_edges() == 34 and nx.is_connected(graph)
    assert sum(d["population"] for _, d in graph.nodes(data=True)) == 1328361


@needs_data
def test_perturbed_cases_pair_every_file_with_its_published_row():
    cases = instances.perturbed_cases()
    assert len(cases) == 160 and len({c.name for c in cases}) == 160
    assert {c.verdict for c in cases} <= {"feasible", "infeasible", "unknown"}
    first = next(c for c in cases if c.name == "AL_00")
    assert (first.k, first.min_population, first.max_population, first.verdict) == (7, 656642, 663240, "feasible")


@needs_data
def test_maine_county_end_to_end_reaches_the_published_optimum():
    """The smallest cut-edge instance as bench_cut_edges runs it: 16 cut edges, proven."""
    ref = instances.cut_edge_reference()[("ME", "county")]
    graph = instances.read_json_graph(instances.cut_edge_instance_path("ME"), population_attr="TOTPOP")
    spec = solver.Spec(max_population=ref["U"], min_population=ref["L"], districts=ref["k"], objective="cut-edges",
                       population_attr="TOTPOP", group_attr=None, time_limit_s=60)
    plan = solver.solve(graph, spec)
    assert solver.verify(graph, spec, plan.assignment) == []
    assert instances.cut_edges(graph, plan.assignment) == ref["opt_with_contiguity"] == 16
    assert plan.status == "optimal"
