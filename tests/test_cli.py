"""The command as a user runs it: exit codes, messages that name the culprit, no tracebacks."""
from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys

import geopandas as gpd
import networkx as nx
import pytest
from networkx.readwrite import json_graph

from redistrict.cli import main
from redistrict.sample import SAMPLE_COMMUNITY, sample_paths


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redistrict", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_help_lists_commands_and_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("demo", "split", "inspect", "solve", "profiles"):
        assert command in result.stdout
    assert "exit codes" in result.stdout


def test_missing_file_is_named_without_traceback(tmp_path):
    paths = sample_paths()
    result = run_cli("split", "--communities", str(tmp_path / "nowhere.geojson"), "--estates", str(paths["estates"]),
                     "--population", str(paths["population"]), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "nowhere.geojson" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_infeasible_cap_exits_3_and_writes_nothing(tmp_path):
    paths = sample_paths()
    result = run_cli("split", *[f"--{k}={v}" for k, v in paths.items()], "--community", SAMPLE_COMMUNITY,
                     "--cap", "2000", "--out", str(tmp_path / "out"))
    assert result.returncode == 3, result.stderr
    assert "infeasible" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_profile_is_a_usage_error(capsys):
    assert main(["demo", "--profile", "atlantis-2030", "--out", "unused"]) == 2
    assert "atlantis-2030" in capsys.readouterr().err


def test_profiles_are_listed(capsys):
    assert main(["profiles"]) == 0
    listed = capsys.readouterr().out
    for name in ("dongguan-2023", "national-2026", "beijing-2020", "henan-2022"):
        assert name in listed


def test_scenario_with_chinese_field_names(tmp_path):
    """A bureau's own column names (常住人口, 户数, 名称) mapped in a scenario file; flags override it."""
    paths = sample_paths()
    population = gpd.read_file(paths["population"]).rename(columns={"population": "常住人口", "households": "户数"})
    population.to_file(tmp_path / "人口.gpkg", driver="GPKG")
    estates = gpd.read_file(paths["estates"]).rename(columns={"name": "小区名称"})
    estates.to_file(tmp_path / "楼盘.gpkg", driver="GPKG")
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(f"""
[inputs]
communities = "{paths['communities'].as_posix()}"
estates = "楼盘.gpkg"
population = "人口.gpkg"
roads = "{paths['roads'].as_posix()}"
facilities = "{paths['facilities'].as_posix()}"

[fields.population]
"常住人口" = "population"
"户数" = "households"

[fields.estates]
"小区名称" = "name"

[run]
community = "{SAMPLE_COMMUNITY}"
cap = 25000

[solver]
time_limit_s = 60
""", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("split", "--scenario", str(scenario), "--cap", "30000", "--out", str(out))
    assert result.returncode == 0, result.stderr
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["scenario"]["run"]["cap"] == 30000  # the flag won over the scenario's 25000
    assert record["population_conserved"] is True
    districts = gpd.read_file(out / "plan.geojson")
    assert (districts["population"] <= 30_000).all()
    assert districts["population"].sum() == record["totals"]["population_in"]


def test_solve_graph_json(tmp_path):
    graph = nx.grid_2d_graph(4, 4)
    graph = nx.relabel_nodes(graph, {n: f"{n[0]}-{n[1]}" for n in graph})
    for node in graph:
        i, j = map(int, node.split("-"))
        graph.nodes[node].update(TOTPOP=1, x=i * 100.0, y=j * 100.0)
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(json_graph.adjacency_data(graph)), encoding="utf-8")
    out = tmp_path / "plan.json"
    result = run_cli("solve", str(path), "--population-attr", "TOTPOP", "--districts", "4",
                     "--min-population", "4", "--max-population", "4", "--objective", "cut-edges",
                     "--time-limit", "30", "--out", str(out))
    assert result.returncode == 0, result.stderr
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(8)  # 4×4 grid into four 2×2 squares or four strips: 8 cut edges
    assert plan["verified"] is True
    assert sorted(set(plan["assignment"].values())) == [1, 2, 3, 4]


def test_solve_first_plan_answers_yes_and_no(tmp_path):
    """A 3×3 grid of 1s: three districts of exactly 3 exist (rows); four districts of 2–2 do not (9 is odd)."""
    graph = nx.grid_2d_graph(3, 3)
    graph = nx.relabel_nodes(graph, {n: f"{n[0]}-{n[1]}" for n in graph})
    for node in graph:
        graph.nodes[node].update(TOTPOP=1)
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(json_graph.adjacency_data(graph)), encoding="utf-8")
    yes, no = tmp_path / "yes.json", tmp_path / "no.json"
    result = run_cli("solve", str(path), "--population-attr", "TOTPOP", "--districts", "3", "--min-population", "3",
                     "--max-population", "3", "--objective", "cut-edges", "--first-plan", "--out", str(yes))
    assert result.returncode == 0, result.stderr
    plan = json.loads(yes.read_text(encoding="utf-8"))
    assert plan["status"] == "feasible" and plan["bound"] is None and plan["verified"] is True
    assert plan["spec"]["first_plan"] is True
    result = run_cli("solve", str(path), "--population-attr", "TOTPOP", "--districts", "4", "--min-population", "2",
                     "--max-population", "2", "--first-plan", "--out", str(no))
    assert result.returncode == 3, result.stderr
    assert json.loads(no.read_text(encoding="utf-8"))["status"] == "infeasible"


def test_a_run_repeats_exactly_from_its_run_json(demo_run, tmp_path):
    again = tmp_path / "again"
    result = run_cli("split", "--scenario", str(demo_run.out_dir / "run.json"), "--out", str(again))
    assert result.returncode == 0, result.stderr
    assert (again / "assignment.csv").read_bytes() == (demo_run.out_dir / "assignment.csv").read_bytes()
    first = json.loads((demo_run.out_dir / "run.json").read_text(encoding="utf-8"))["scenario"]
    second = json.loads((again / "run.json").read_text(encoding="utf-8"))["scenario"]
    first["output"].pop("out"), second["output"].pop("out")
    assert first == second


def test_inspect_lists_problems_by_name_and_exits_2(tmp_path):
    paths = sample_paths()
    points = gpd.read_file(paths["population"])
    points.loc[5, "households"] = -3
    points.to_file(tmp_path / "points.geojson", driver="GeoJSON")
    estates = gpd.read_file(paths["estates"])
    estates.loc[estates.index[1], "geometry"] = estates.geometry.iloc[0].buffer(10)  # overlaps estate 0
    estates.to_file(tmp_path / "estates.geojson", driver="GeoJSON")
    report_path = tmp_path / "report.json"
    result = run_cli("inspect", "--communities", str(paths["communities"]), "--estates", str(tmp_path / "estates.geojson"),
                     "--population", str(tmp_path / "points.geojson"), "--json", str(report_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert estates["name"].iloc[0] in result.stdout and estates["name"].iloc[1] in result.stdout
    assert "households" in result.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert len([p for p in report["problems"] if p["severity"] == "error"]) >= 2


def test_inspect_on_clean_sample_exits_0():
    paths = sample_paths()
    result = run_cli("inspect", *[f"--{k}={v}" for k, v in paths.items()])
    assert result.returncode == 0, result.stdout + result.stderr
    assert SAMPLE_COMMUNITY in result.stdout
    assert "0 error(s)" in result.stdout


@pytest.fixture()
def restore_logging():
    """main() points the root handler at this test's captured stderr: put the logging set-up back after."""
    names = ("", "redistrict", "boundaries", "solver", "maps", "matplotlib", "pyogrio", "fiona", "PIL",
             "distributed", "asyncio")
    saved = {n: logging.getLogger(n).level for n in names}
    handlers = logging.getLogger().handlers[:]
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger().handlers[:] = handlers


@pytest.mark.parametrize("flags, ours, theirs", [
    (["-q"], logging.ERROR, logging.ERROR),
    ([], logging.INFO, logging.WARNING),
    (["-v"], logging.DEBUG, logging.WARNING),
    (["-vv"], logging.DEBUG, logging.DEBUG),
    (["-v", "-v"], logging.DEBUG, logging.DEBUG),
])
def test_verbosity_flags_do_what_help_says(flags, ours, theirs, capsys, restore_logging):
    """-q: only errors; default: progress; -v: this project's debug messages; -vv: the libraries' too."""
    assert main([*flags, "profiles"]) == 0
    for package in ("redistrict", "boundaries.units", "solver.hess", "maps.report"):
        logger = logging.getLogger(package)
        assert logger.getEffectiveLevel() == ours, package
    for library in ("matplotlib", "pyogrio", "some.other.library"):
        assert logging.getLogger(library).getEffectiveLevel() == theirs, library
    logging.getLogger("redistrict.pipeline").warning("a data warning")
    shown = capsys.readouterr().err
    assert ("a data warning" in shown) == (flags != ["-q"])


def test_help_shows_every_default():
    """Each option with a default says it in --help (argparse's own or the scenario/profile default)."""
    from redistrict.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        text = " ".join(sub.format_help().split())
        for action in sub._actions:
            if not action.option_strings or action.help in (None, argparse.SUPPRESS):
                continue
            if action.default not in (None, False, [], argparse.SUPPRESS) or action.dest in (
                    "time_limit_s", "seed", "objective", "backend", "districts", "options", "profile"):
                shown = sub._get_formatter()._get_help_string(action)
                assert "default" in shown, (name, action.option_strings, shown)
        assert "(default: 60" in text or name not in ("split", "demo", "batch", "solve"), name
