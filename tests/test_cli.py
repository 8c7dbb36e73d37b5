"""The command as a user runs it: exit codes, messages that name the culprit, no tracebacks."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import subprocess
import sys
import time

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
    again = tmp_path / "方案 A!" / "再 跑"  # '!' and spaces in the output path simply work
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
@pytest.mark.parametrize("flag, value", [("--cap", "inf"), ("--cap", "0"), ("--cap", "-3"), ("--cap", "nan"),
                                         ("--time-limit", "nan"), ("--time-limit", "0"), ("--seed", "abc"),
                                         ("--threads", "0"), ("--options", "0"), ("--grid-size", "inf")])
def test_bad_flag_values_exit_2_naming_the_flag(flag, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["demo", flag, value, "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: " in err and repr(value) in err
    assert err.count("error:") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_scenario_values_of_the_wrong_type_exit_2_naming_each_key(tmp_path, capsys):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text("""
[inputs]
roads = 5

[run]
require_facility = "false"
cap = inf

[solver]
seed = "abc"
threads = 0

[output]
out = 5
shapefile = "no"
""", encoding="utf-8")
    assert main(["split", "--scenario", str(scenario)]) == 2
    err = capsys.readouterr().err
    for culprit in ("[inputs] roads must be a file path (text), got 5",
                    "[run] require_facility must be true or false (not in quotes), got 'false'",
                    "[run] cap must be a positive finite number, got inf",
                    "[solver] seed must be a whole number ≥ 0, got 'abc'",
                    "[solver] threads must be a whole number ≥ 1, got 0",
                    "[output] out must be a folder path (text), got 5",
                    "[output] shapefile must be true or false (not in quotes), got 'no'"):
        assert culprit in err
    assert err.count("error:") == 1 and "Traceback" not in err


def test_unwritable_out_and_json_exit_2_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("redistrict.pipeline.load_checked", lambda config: pytest.fail("read the layers"))
    blocker = tmp_path / "a file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["demo", "--out", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "a file" in err and err.count("error:") == 1
    paths = sample_paths()
    assert main(["inspect", *[f"--{k}={v}" for k, v in paths.items()], "--json", str(blocker / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "--json" in err and "r.json" in err and err.count("error:") == 1
    assert main(["solve", "graph.json", "--max-population", "5", "--out", str(blocker / "plan.json")]) == 2
    assert "--out" in capsys.readouterr().err


def test_input_problems_print_error_once(tmp_path, capsys):
    paths = sample_paths()
    assert main(["split", "--communities", str(tmp_path / "nowhere.geojson"), "--estates", str(tmp_path / "x.gpkg"),
                 "--population", str(paths["population"]), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error: error" not in err and err.count("error:") == 1
    assert "nowhere.geojson" in err and "x.gpkg" in err


def test_a_community_within_the_rule_says_no_split_needed(tmp_path, capsys):
    paths = sample_paths()
    code = main(["split", *[f"--{k}={v}" for k, v in paths.items()], "--community", "榕湖社区",
                 "--out", str(tmp_path / "out")])
    assert code == 0
    assert "no split needed: 榕湖社区 holds 16,800 ≤ 30,000 residents; nothing written" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_the_solve_leaves_nothing(tmp_path, signum, code):
    """A real process, really signalled while HiGHS is solving: the staging folder is removed."""
    out = tmp_path / "out"
    # The sample's first option is proven in 1.3 s, before a signal could reach it; its second, which must
    # differ from the first, takes about 30 s.
    with subprocess.Popen([sys.executable, "-m", "redistrict", "demo", "--out", str(out), "--time-limit", "120",
                           "--options", "2"], stderr=subprocess.PIPE, text=True) as process:
        try:
            for line in process.stderr:
                if "solving option 2" in line:
                    break
            time.sleep(2.5)  # past the heuristic and the Lagrangian bound: inside the MIP
            assert [p.name for p in out.iterdir() if p.name.startswith(".redistrict-staging-")], "no staging yet"
            process.send_signal(signum)
            rest = process.stderr.read()
            assert process.wait(timeout=60) == code
        finally:
            process.kill()
    assert "interrupted; nothing was written" in rest and "Traceback" not in rest
    assert not out.exists()


@pytest.mark.parametrize("hint, layer, expected", [
    ("declare the datum, e.g. datum={'population': 'gcj02'}", "population",
     "declare the datum, e.g. --datum population=gcj02"),
    ("e.g. datum={'estates': 'bd09', 'communities': 'bd09'} for the layers from Baidu", "population",
     "e.g. --datum estates=bd09 --datum communities=bd09 for the layers from Baidu"),
    ("state e.g. source_crs='EPSG:4547' (CGCS2000 GK zone 38)", "estates", "state e.g. --crs estates=EPSG:4547 (CGCS2000"),
    ("state the file's encoding, e.g. encoding='GB18030' (and fix", "roads", "e.g. --encoding GB18030 (and fix"),
    ("map it, e.g. fields={'population': {'户数': 'households'}}", "population",
     "map it, e.g. --field population:户数=households"),
    ("a name with datum={'x' in it", "estates", "a name with datum={'x' in it"),
])
def test_library_hints_are_printed_as_flags(hint, layer, expected):
    from redistrict.flags import as_flags

    assert expected in as_flags(hint, layer=layer)


def test_crs_hint_names_the_flag_end_to_end(tmp_path, capsys):
    paths = sample_paths()
    estates = gpd.read_file(paths["estates"])
    estates.to_file(tmp_path / "estates.shp", encoding="UTF-8")
    (tmp_path / "estates.prj").unlink()  # a contractor's shapefile without its .prj
    code = main(["inspect", "--communities", str(paths["communities"]), "--estates", str(tmp_path / "estates.shp"),
                 "--population", str(paths["population"])])
    captured = capsys.readouterr()
    assert code == 2
    text = captured.out + captured.err
    assert "source_crs" not in text and "--crs estates=EPSG:" in text


@pytest.mark.parametrize("flags, culprit", [
    (["--districts", "0"], "--districts must be 'auto' or a whole number ≥ 1, got '0'"),
    (["--districts", "2.5"], "--districts must be 'auto' or a whole number ≥ 1, got '2.5'"),
    (["--floor", "40000"], "--floor 40,000 must be below the cap of profile dongguan-2023 (30,000 population)"),
    (["--floor", "20000", "--cap", "20000"], "--floor (20000.0) must be below --cap (20000.0)"),
])
def test_contradictory_settings_exit_2_before_reading_the_layers(flags, culprit, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("redistrict.pipeline.load_checked", lambda config: pytest.fail("read the layers"))
    assert main(["demo", *flags, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert culprit in err and err.count("error:") == 1
    assert not (tmp_path / "out").exists()


def test_bad_data_of_another_community_does_not_stop_a_split_of_this_one(tmp_path, capsys):
    """A negative count in 新围社区's estate stops a split of 新围社区 (naming the estate), not of 榕湖社区."""
    paths = sample_paths()
    estates = gpd.read_file(paths["estates"])
    communities = gpd.read_file(paths["communities"])
    xinwei = communities.loc[communities["name"] == "新围社区", "geometry"].iloc[0]
    bad = estates.index[estates.within(xinwei)][0]
    estates.loc[bad, "households"] = -5
    estates.to_file(tmp_path / "estates.geojson", driver="GeoJSON")
    layers = [f"--{k}={v}" for k, v in paths.items() if k != "estates"] + [f"--estates={tmp_path / 'estates.geojson'}"]
    assert main(["split", *layers, "--community", "榕湖社区", "--cap", "10000", "--time-limit", "20",
                 "--out", str(tmp_path / "rh")]) == 0
    captured = capsys.readouterr()
    assert estates.loc[bad, "name"] in captured.err and "another community's data" in captured.err
    assert (tmp_path / "rh" / "plan.geojson").is_file()
    assert main(["split", *layers, "--community", "新围社区", "--districts", "2", "--out", str(tmp_path / "xw")]) == 2
    err = capsys.readouterr().err
    assert estates.loc[bad, "name"] in err and "negative" in err and not (tmp_path / "xw").exists()
