"""The benchmark scripts' shared helpers (benchmarks/results.py) and the peer runner on a tiny grid."""
from __future__ import annotations

import json
import sys
from argparse import Namespace
from pathlib import Path

import pytest

import solver

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of scripts, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks import instances, peers, results  # noqa: E402


def test_numbers_are_printed_short_and_honest():
    assert results.number(None) == "–"
    assert results.number(16.0) == "16"
    assert results.number(239999.97) == "239999.97"
    assert results.number(1.17915e11) == "1.17915e+11"
    assert results.percent(0.2308) == "23.08%"


def test_select_keeps_script_order_and_names_unknown_instances():
    assert results.select(["ME", "NM", "ID"], "ID,ME") == ["ME", "ID"]
    assert results.select(["ME", "NM"], None) == ["ME", "NM"]
    with pytest.raises(SystemExit, match="unknown instance.*XX"):
        results.select(["ME", "NM"], "XX")


def test_table_aligns_columns():
    text = results.table([{"a": "x", "b": 1.0}, {"a": "longer", "b": None}],
                         [("a", "name", str), ("b", "value", results.number)])
    lines = text.splitlines()
    assert len(lines) == 4 and len({len(line) for line in lines}) == 1
    assert lines[2].split() == ["x", "1"] and lines[3].split() == ["longer", "–"]


def test_run_ours_verifies_and_write_records_valid_json(tmp_path):
    graph = instances.grid_instance(4)
    spec = solver.Spec(max_population=8, min_population=8, districts=2, objective="cut-edges", group_attr=None,
                       time_limit_s=30)
    record, plan = results.run_ours(graph, spec, recount=lambda a: instances.cut_edges(graph, a))
    assert record["verified"] is True and record["violations"] == []
    assert record["objective_recount"] == plan.objective == 4
    path = results.write("tiny", [{"instance": "g4", **record, "gap": float("inf")}],
                         args=Namespace(time_limit=None), out=str(tmp_path / "tiny.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["rows"][0]["gap"] is None          # JSON has no infinity
    assert data["machine"]["cpus"] >= 1 and data["benchmark"] == "tiny"


@pytest.mark.skipif(not peers.gerrychain_available(), reason="gerrychain (a benchmark-only extra) is not installed")
def test_gerrychain_peer_returns_a_valid_plan_within_its_budget():
    graph = instances.grid_instance(4)
    result = peers.run_gerrychain(graph, population_attr="population", districts=2, min_population=8,
                                  max_population=8, time_limit_s=3, seed=1)
    assert result.status == "feasible", result.detail
    assert result.wall_s < 3 + 6                  # budget + grace for the child to stop
    spec = solver.Spec(max_population=8, min_population=8, districts=2, objective="cut-edges", group_attr=None)
    assert solver.verify(graph, spec, result.assignment) == []
    assert instances.cut_edges(graph, result.assignment) == result.objective >= 4
