"""Peers run side by side with our solver: GerryChain's optimiser (short bursts of ReCom).

GerryChain is a benchmark-only extra (``pip install gerrychain``); it is imported only inside the child
process that runs it, so the rest of the benchmarks work without it.

The run gets a hard wall-clock budget: it runs in a child process (spawned, so that no HiGHS thread of
the parent is inherited) that reports every improvement through a queue; when the budget is spent the
parent terminates that child and keeps the best plan reported so far. The peer's plan is then checked
by our independent verifier and its cut edges are recounted from the graph.

Setup follows GerryChain's documented optimiser example: a random initial plan from
``recursive_tree_part``, ReCom proposals (``build_recom_proposal_fn``), ``SingleMetricOptimizer.short_bursts``
with bursts of 5 steps minimising the number of cut edges; the population constraint is the exact band
[L, U] (a ``Bounds`` on the districts' populations) and ReCom's epsilon is the band's half-width around
P/k, so proposals and constraint agree.
"""
from __future__ import annotations

import importlib.util
import math
import multiprocessing
import queue as queue_module
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

#: Steps per burst, as in GerryChain's documented cut-edge example (``short_bursts(5, 2000)``).
BURST_LENGTH = 5
#: Seconds the parent waits for a terminated child to exit before killing it.
_GRACE_S = 5.0


@dataclass(frozen=True)
class PeerResult:
    """The best plan a peer reported within its budget (``assignment`` empty when it found none)."""

    name: str
    objective: float | None          # cut edges of the best plan, as the peer scored it
    time_to_best_s: float | None     # when that plan was reported, from the start of the run
    budget_s: float
    wall_s: float                    # how long the run actually took (setup included)
    steps: int                       # chain steps taken until the last report
    status: str                      # "feasible" | "no-plan" | "error" | "missing" (GerryChain not installed)
    detail: str = ""
    assignment: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "objective": self.objective, "time_to_best_s": self.time_to_best_s,
                "budget_s": self.budget_s, "wall_s": self.wall_s, "steps": self.steps, "status": self.status,
                "detail": self.detail}


def gerrychain_available() -> bool:
    """Whether GerryChain is installed (checked without importing it: its import resets warning filters)."""
    return importlib.util.find_spec("gerrychain") is not None


def run_gerrychain(graph: nx.Graph, *, population_attr: str, districts: int, min_population: float,
                   max_population: float, time_limit_s: float, seed: int = 0,
                   burst_length: int = BURST_LENGTH) -> PeerResult:
    """GerryChain short bursts minimising cut edges within ``time_limit_s`` wall-clock seconds."""
    name = "gerrychain-short-bursts"
    if not gerrychain_available():
        return PeerResult(name=name, objective=None, time_to_best_s=None, budget_s=time_limit_s, wall_s=0.0,
                          steps=0, status="missing", detail="gerrychain is not installed (pip install gerrychain)")
    # Plain data for the child: string ids and numbers only.
    nodes = [(str(n), float(d[population_attr])) for n, d in graph.nodes(data=True)]
    edges = [(str(u), str(v)) for u, v in graph.edges]
    context = multiprocessing.get_context("spawn")
    reports = context.Queue()
    started = time.monotonic()
    child = context.Process(target=_short_bursts_child, daemon=True,
                            args=(nodes, edges, districts, float(min_population), float(max_population), seed,
                                  burst_length, reports))
    child.start()
    deadline = started + time_limit_s
    best: dict[str, Any] | None = None
    finished_detail = ""
    errored = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            message = reports.get(timeout=min(remaining, 0.5))
        except queue_module.Empty:
            if not child.is_alive() and reports.empty():
                break
            continue
        kind = message["kind"]
        if kind == "best":
            best = message
        elif kind == "done":
            finished_detail = message.get("detail", "")
            break
        elif kind == "error":
            finished_detail = message["detail"]
            errored = True
            break
    # Drain improvements that raced the deadline: only those reported within the budget count.
    while True:
        try:
            message = reports.get_nowait()
        except queue_module.Empty:
            break
        if message["kind"] == "best" and message["elapsed_s"] <= time_limit_s:
            best = message
    if child.is_alive():
        child.terminate()
        child.join(_GRACE_S)
        if child.is_alive():
            child.kill()
            child.join()
    wall = time.monotonic() - started
    if best is None:
        status = "error" if errored else "no-plan"
        detail = finished_detail or f"no plan within {time_limit_s:g} s (initial plan not found)"
        return PeerResult(name=name, objective=None, time_to_best_s=None, budget_s=time_limit_s, wall_s=wall,
                          steps=0, status=status, detail=detail)
    return PeerResult(name=name, objective=float(best["score"]), time_to_best_s=float(best["elapsed_s"]),
                      budget_s=time_limit_s, wall_s=wall, steps=int(best["step"]), status="feasible",
                      detail=finished_detail, assignment=dict(best["assignment"]))


def _short_bursts_child(nodes, edges, districts, min_population, max_population, seed, burst_length, reports):
    """Runs in the child process: report every strictly better plan until killed."""
    started = time.monotonic()
    try:
        import random
        import warnings

        from gerrychain import Graph, Partition, updaters
        from gerrychain.constraints import Bounds
        from gerrychain.optimization import SingleMetricOptimizer
        from gerrychain.partition.initial_partition_generators import recursive_tree_part
        from gerrychain.proposals import build_recom_proposal_fn

        # GerryChain warns on every 1,000 failed bipartition attempts (and resets the warning filters
        # when imported): the outcome is reported anyway.
        warnings.simplefilter("ignore")

        rng = random.Random(seed)
        base = nx.Graph()
        for uid, population in nodes:
            base.add_node(uid, population=population)
        base.add_edges_from(edges)
        graph = Graph.from_networkx(base)
        total = sum(p for _, p in nodes)
        ideal = total / districts
        epsilon = min(max_population - ideal, ideal - min_population) / ideal
        assignment = recursive_tree_part(graph, range(districts), ideal, "population", epsilon, rng=rng)
        tally = {"population": updaters.Tally("population", alias="population")}
        initial = Partition(graph, assignment, tally)
        proposal = build_recom_proposal_fn(pop_col="population", pop_target=ideal, epsilon=epsilon)
        band = Bounds(lambda p: p["population"].values(), bounds=(min_population, max_population))
        optimizer = SingleMetricOptimizer(proposal, band, initial, lambda p: len(p["cut_edges"]),
                                          maximize=False, rng=rng)
        best_score = math.inf
        # Bursts go on until the parent stops the process at the end of the budget.
        for step, part in enumerate(optimizer.short_bursts(burst_length, 10**9), start=1):
            score = len(part["cut_edges"])
            if score < best_score and band(part):
                best_score = score
                plan = {str(part.graph.original_nx_node_id_for_internal_node_id(node)): int(district) + 1
                        for node, district in part.assignment.to_dict().items()}
                reports.put({"kind": "best", "score": score, "step": step,
                             "elapsed_s": time.monotonic() - started, "assignment": plan})
        reports.put({"kind": "done", "detail": "all bursts done"})
    except Exception as exc:  # noqa: BLE001 - any failure of the peer is a result to report, not a crash
        reports.put({"kind": "error", "detail": f"{type(exc).__name__}: {exc}"[:500]})
