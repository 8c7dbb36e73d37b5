"""What a run records about itself: inputs' checksums, resolved settings, versions, timings, results."""
from __future__ import annotations

import importlib.metadata
import math
import platform
import sys
from typing import Any, Mapping, Sequence

import networkx as nx

import boundaries
from redistrict.config import SplitConfig
from redistrict.profiles import Profile

_PACKAGES = ("redistrict", "geopandas", "shapely", "pyproj", "pyogrio", "networkx", "pulp", "highspy",
             "folium", "matplotlib")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def summary(layers: boundaries.Layers, config: SplitConfig, profile: Profile,
            units: boundaries.Units) -> dict[str, Any]:
    """The provenance table of the report: short, readable values only."""
    rows: dict[str, Any] = {
        "community": units.community_name,
        "crs": layers.crs.to_string(),
        "profile": f"{profile.name} ({profile.source})",
        "population basis": profile.population_basis,
        "persons per household": profile.persons_per_household,
        "objective": config.objective,
        "solver backend": config.backend,
        "time limit (s)": config.time_limit_s,
        "seed": config.seed,
    }
    if config.locks:
        rows["locks (--lock)"] = config.locks
    if config.options > 1:
        rows["option difference"] = f"≥ {config.option_difference:.0%} of residents between options"
    for layer, source in sorted(layers.sources.items()):
        rows[f"input: {layer}"] = ", ".join(f"{k}={v}" for k, v in source.items() if v not in (None, ""))
    for index, note in enumerate(layers.notes, start=1):
        rows[f"note {index}"] = note
    for index, move in enumerate(units.reassigned[:20], start=1):
        rows[f"point moved {index}"] = ", ".join(f"{k}={v}" for k, v in move.items())
    rows["versions"] = ", ".join(f"{k} {v}" for k, v in versions().items())
    return rows


def conserved(totals: Mapping[str, float]) -> bool:
    """Population and households in equal out (to rounding of fractional counts, never more)."""
    return all(math.isclose(totals[f"{kind}_in"], totals[f"{kind}_out"], rel_tol=1e-12, abs_tol=1e-6)
               for kind in ("population", "households"))


def run_record(*, config: SplitConfig, profile: Profile, layers: boundaries.Layers, units: boundaries.Units,
               graph: nx.Graph, options: Sequence[Any], totals: Mapping[str, float],
               timings: Mapping[str, float], report: boundaries.ValidationReport) -> dict[str, Any]:
    """Everything needed to repeat and audit the run (written as run.json)."""
    return {
        "tool": "redistrict",
        "command": sys.argv,
        "scenario": config.to_scenario(),
        "profile": profile.to_dict(),
        "inputs": {layer: dict(source) for layer, source in sorted(layers.sources.items())},
        "crs": layers.crs.to_string(),
        "notes": list(layers.notes),
        "validation": report.to_dict(),
        "repairs": [r.to_dict() for r in report.repairs],
        "community": {"id": units.community_id, "name": units.community_name},
        "units": {"count": len(units.frame), "estates": int((units.frame["kind"] == "estate").sum()),
                  "edges": graph.number_of_edges(), "bridges": list(graph.graph.get("bridges", [])),
                  # neighbours across a gap rather than a shared boundary, e.g. "gap 3 m"
                  "crossings": [{"u": u, "v": v, "gap_m": d["gap_m"], "label": boundaries.crossing_label(d)}
                                for u, v, d in sorted(graph.edges(data=True))
                                if d.get("gap_m") and not d.get("bridge")],
                  "points_moved": [dict(m) for m in units.reassigned]},
        "totals": dict(totals),
        "population_conserved": conserved(totals),
        "options": [{"label": o.label, "metrics": dict(o.metrics), "districts": list(o.stats),
                     "plan": o.plan.to_dict()} for o in options],
        "timings_s": dict(timings),
        "versions": versions(),
    }
