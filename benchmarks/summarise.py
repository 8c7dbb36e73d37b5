"""Markdown tables of measured numbers, read back from benchmarks/results/*.json (for the README).

    python benchmarks/summarise.py [results/community.json …]

Without arguments every JSON file in benchmarks/results/ is summarised. Only numbers that a run wrote
are printed: nothing is typed in by hand.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import results  # noqa: E402

COLUMNS = {  # the first key that starts the benchmark's name wins: the longer names come first
    "community_auto": ("instance", "n", "low", "fill", "k", "status", "gap", "k_proven_infeasible", "k_undecided",
                       "wall_s", "verified"),
    "community_law2026": ("instance", "n", "k", "objective", "status", "bound", "gap", "wall_s", "verified",
                          "published", "match"),
    "scale": ("instance", "n", "k", "objective", "status", "bound", "gap", "build_s", "wall_s", "total_s", "verified"),
    "community": ("instance", "n", "k", "objective", "status", "gap", "wall_s", "verified", "published", "match"),
    "cut_edges": ("instance", "n", "k", "objective", "status", "bound", "wall_s", "verified", "published",
                  "published_time_s", "match", "peer_objective", "peer_time_s", "peer_budget_s", "ratio"),
    "hess_grids": ("instance", "n", "k", "objective", "status", "gap", "wall_s", "published_d_objective",
                   "published", "published_time_s", "match"),
    "county_feasibility": ("instance", "n", "k", "status", "decided_by", "wall_s", "verdict", "published",
                           "published_time_s", "match"),
    "arkansas": ("instance", "n", "k", "objective", "status", "wall_s", "verified", "cut_edges", "published",
                 "match", "peer_objective", "peer_time_s", "peer_budget_s", "ratio"),
}

FORMAT = {"gap": results.percent, "wall_s": results.seconds, "build_s": results.seconds, "published_time_s": results.seconds,
          "peer_time_s": results.seconds, "peer_budget_s": results.seconds,
          "ratio": lambda v: "–" if v is None else f"{v:.2f}"}


def markdown(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    name = data["benchmark"]
    key = next((k for k in COLUMNS if name.startswith(k)), None)
    columns = COLUMNS[key] if key else tuple(data["rows"][0]) if data["rows"] else ()
    machine = data["machine"]
    load = machine.get("load_average_1_5_15")
    lines = [f"### {name} — {machine['date']}, {machine['cpus']} CPUs, HiGHS {machine['versions'].get('highspy')}"
             + (f", load {load[0]:.1f}" if load else "")
             + f", arguments {_arguments(data['arguments'])}", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in data["rows"]:
        cells = [FORMAT.get(c, results.number)(row.get(c)) if not isinstance(row.get(c), (str, bool)) else str(row[c])
                 for c in columns]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    if "tally" in data:
        lines.append("")
        lines.append("tally: " + ", ".join(f"{k}: {v}" for k, v in sorted(data["tally"].items())))
    return "\n".join(lines)


def _arguments(arguments: dict) -> str:
    shown = {k: v for k, v in arguments.items() if v not in (None, False) and k not in ("verbose", "out")}
    only = str(shown.get("only") or "").split(",")
    if len(only) > 8:
        shown["only"] = f"({len(only)} instances: {only[0]} … {only[-1]})"
    return " ".join(f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}") for k, v in shown.items()) or "(defaults)"


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        paths = sorted(results.RESULTS_DIR.glob("*.json"))
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "rows" not in data or "benchmark" not in data:
            continue  # another script's record (bench_units.py writes its own format)
        print(markdown(path))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
