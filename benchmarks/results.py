"""What every benchmark script shares: the command line, running our solver, the table and the JSON record.

Each script prints a table (instance, n, k, our objective, status, bound / gap, time, published optimum
and time, match?) and writes the same rows with the machine's description to
benchmarks/results/<name>.json (git-ignored).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import networkx as nx

import solver

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"


def parser(description: str, *, default_time_limit: str) -> argparse.ArgumentParser:
    """The flags every script takes; ``default_time_limit`` is shown in --help."""
    out = argparse.ArgumentParser(description=description)
    out.add_argument("--time-limit", type=float, default=None, metavar="S",
                     help=f"wall-clock seconds per instance for our solver (default: {default_time_limit})")
    out.add_argument("--only", default=None, metavar="A,B,…",
                     help="comma-separated instance names to run (default: all)")
    out.add_argument("--backend", choices=("highs", "cbc"), default="highs")
    out.add_argument("--seed", type=int, default=0)
    out.add_argument("--threads", type=int, default=1, help="threads for the exact models (solver.Spec.threads)")
    out.add_argument("--verbose", action="store_true", help="show the solver's log")
    out.add_argument("--out", default=None, metavar="PATH", help="where to write the JSON (default: results/)")
    return out


def add_peer_flags(out: argparse.ArgumentParser) -> None:
    out.add_argument("--no-peers", action="store_true", help="skip GerryChain")
    out.add_argument("--peer-time-limit", type=float, default=None, metavar="S",
                     help="GerryChain's budget per instance (default: the same as ours)")


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")


def select(names: Sequence[str], only: str | None) -> list[str]:
    """The names asked for with --only, in the scripts' order; SystemExit naming unknown ones."""
    if not only:
        return list(names)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise SystemExit(f"--only: unknown instance(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    return [n for n in names if n in wanted]


def machine() -> dict[str, Any]:
    """Date, host and versions, recorded with every run."""
    versions = {}
    for package in ("highspy", "pulp", "networkx", "numpy", "gerrychain"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=False).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": platform.machine(), "system": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "versions": versions, "git_commit": commit,
            # other jobs on the machine slow every timing down: the load when the record was written
            "load_average_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "note": "working tree may differ from the commit"}


def run_ours(graph: nx.Graph, spec: solver.Spec, *,
             recount: Callable[[Mapping[str, int]], float] | None = None) -> tuple[dict[str, Any], solver.Plan]:
    """Solve, time the call, verify the plan independently and recount its objective (when given)."""
    started = time.monotonic()
    plan = solver.solve(graph, spec)
    wall = time.monotonic() - started
    record: dict[str, Any] = {
        "status": plan.status, "objective": plan.objective, "bound": plan.bound, "gap": plan.gap,
        "runtime_s": plan.runtime_s, "wall_s": wall, "districts": plan.districts,
        "minimum_proven": plan.minimum_proven, "k_proven_infeasible": list(plan.k_proven_infeasible),
        "k_undecided": list(plan.k_undecided), "reasons": list(plan.reasons),
        "attempts": [dict(a) for a in plan.attempts], "solver_version": plan.solver_version,
    }
    if plan.assignment:
        violations = solver.verify(graph, spec, plan.assignment)
        record["verified"] = not violations
        record["violations"] = violations
        if recount is not None:
            record["objective_recount"] = recount(plan.assignment)
    else:
        record["verified"] = None
    return record, plan


def verify_peer(graph: nx.Graph, spec: solver.Spec, assignment: Mapping[str, int]) -> list[str]:
    """Our independent verifier on a peer's plan (empty list = valid)."""
    return solver.verify(graph, spec, assignment) if assignment else ["no plan"]


def number(value: Any) -> str:
    """Short human form: integers as such, large values in 6 significant digits, None as '–'."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e7:
        return f"{value:.6g}"
    if abs(value - round(value)) < 1e-6:
        return str(round(value))
    return f"{value:.2f}"


def percent(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2%}"


def seconds(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def table(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str, Callable[[Any], str]]]) -> str:
    """A plain-text table: ``columns`` are (key, header, formatter)."""
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        cells.append([fmt(row.get(key)) for key, _, fmt in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = ["  ".join(text.rjust(width) for text, width in zip(line, widths)) for line in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def progress(row: Mapping[str, Any]) -> None:
    """One line per finished instance, so that a long run shows where it is."""
    print(f"{row['instance']}: {row.get('status')} objective={number(row.get('objective'))} "
          f"gap={percent(row.get('gap'))} in {seconds(row.get('wall_s'))} s; match: {row.get('match')}", flush=True)


def write(name: str, rows: list[dict[str, Any]], *, args: argparse.Namespace, out: str | None = None,
          extra: Mapping[str, Any] | None = None) -> Path:
    """benchmarks/results/<name>.json with the machine, the arguments and every row."""
    path = Path(out) if out else RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, "machine": machine(), "arguments": vars(args), "rows": rows}
    if extra:
        record.update(extra)
    text = json.dumps(_finite(record), ensure_ascii=False, indent=2, default=_jsonable, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: they become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _finite(value.item())
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):        # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return str(value)
