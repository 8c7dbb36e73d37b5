"""What moves between options: each option against the recommended one (option 1), after matching
community labels so that the most residents stay in corresponding communities (``solver.moved_population``,
the same measure ``--option-difference`` is enforced and verified with)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import networkx as nx

import solver

#: At most this many estate names go into the comparison table (the count is always whole).
SHOWN_ESTATES = 20


def moves_between(graph: nx.Graph, first: Any, other: Any) -> dict[str, Any]:
    """Metrics of ``other`` against ``first`` (pipeline Options): residents moved (count and share of all),
    estates moved (count and names, most populous first)."""
    before, after = first.plan.assignment, other.plan.assignment
    moved, matched = solver.moved_population(graph, before, after, attr="population")
    total = sum(float(graph.nodes[u].get("population", 0) or 0) for u in graph.nodes)
    frame = other.frame
    estates = frame[frame["kind"] == "estate"]
    shifted = estates[[matched.get(int(after[str(u)])) != int(before[str(u)]) for u in estates["unit_id"]]]
    shifted = shifted.sort_values(["population", "unit_id"], ascending=[False, True])
    names = [str(n) for n in shifted["name"]]
    return {"residents_moved": round(moved), "residents_moved_share": round(moved / total, 4) if total else None,
            "estates_moved": len(names),
            "estates_moved_names": "、".join(names[:SHOWN_ESTATES]) + (" …" if len(names) > SHOWN_ESTATES else "")}


def with_moves(graph: nx.Graph, options: Sequence[Any]) -> list[Any]:
    """Options 2… with their moves against option 1 in their metrics (option 1 unchanged)."""
    if len(options) < 2:
        return list(options)
    return [options[0]] + [replace(o, metrics=dict(o.metrics) | moves_between(graph, options[0], o))
                           for o in options[1:]]
