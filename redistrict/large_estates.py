"""Estates above the cap: found before solving, then either made communities of their own (the default) or
divided along their buildings or phases (``--split-large-estates``, see ``estate_division``).

The default rule, in full:

1. An estate (or a keep-together group of phases) whose size alone is above the cap becomes a new
   community of its own: an exception to the size rule, reported with its numbers. A block of land (not
   an estate) above the cap stays an error.
2. The rest of the community is the unit graph without those estates. It may fall into several pieces
   (the estate was the only link between them); each piece is split on its own, into the fewest
   communities within the rules (``solver.solve`` with ``districts="auto"``).
3. A piece that cannot be a community by itself (below the floor, or with nobody in it) joins the
   exception community it shares most boundary with; this is reported too.
4. The plans are combined and renumbered (pieces in order of their first unit id, then the exception
   communities). The combined objective is the sum over the pieces (inertia, cut edges and boundary length
   are sums over districts; the exception communities are fixed by the rule, not chosen): the combined plan
   is ``optimal`` only if every piece's plan is proven optimal.
5. Every piece is verified by ``solver.verify``; the whole plan is verified again on the whole graph (every
   unit once, districts contiguous, groups whole), with the cap lifted only for the exception communities.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

import networkx as nx

import solver
from redistrict.errors import InfeasibleError, NoSolutionError, UsageError
from solver.problem import group_label

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class LargeEstateRule(str, Enum):
    """What happens to an estate above the cap."""

    SEPARATE = "separate"      # it becomes a community of its own (an exception to the size rule)
    DIVIDE = "divide"          # it is divided along its buildings or phases (--split-large-estates)


@dataclass(frozen=True)
class LargeEstate:
    """An estate, or a group of estate phases that must stay together, above the cap on its own."""

    name: str
    unit_ids: tuple[str, ...]
    size: float                 # in the spec's population_attr
    population: float
    households: float
    attr: str
    cap: float

    @property
    def is_group(self) -> bool:
        return len(self.unit_ids) > 1

    @property
    def unit_zh(self) -> str:
        return "户" if self.attr == "households" else "人"

    def excess_text(self) -> str:
        return f"{self.name} {self.size:,.0f} {self.unit_zh} > {self.cap:,.0f}"


@dataclass(frozen=True)
class SizeException:
    """One exception community of a combined plan: the estate, and the pieces that joined it."""

    estate: LargeEstate
    district: int
    joined_units: tuple[str, ...]
    joined_size: float
    size: float                 # of the whole community (estate + joined pieces)

    def note(self) -> str:
        text = f"{self.estate.excess_text()}：单独成立社区，超出规模上限的例外"
        if self.joined_units:
            text += (f"；其余部分中不足以单独成立社区的 {len(self.joined_units)} 个单元"
                     f"（{self.joined_size:,.0f} {self.estate.unit_zh}）并入本社区")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"estate": self.estate.name, "unit_ids": list(self.estate.unit_ids), "district": self.district,
                "attr": self.estate.attr, "size": self.estate.size, "cap": self.estate.cap,
                "population": self.estate.population, "households": self.estate.households,
                "joined_units": list(self.joined_units), "joined_size": self.joined_size,
                "community_size": self.size, "note": self.note()}


@dataclass(frozen=True)
class CombinedPlan:
    """A plan of the whole graph made of the pieces' plans and the exception communities."""

    plan: solver.Plan
    exceptions: tuple[SizeException, ...]
    pieces: tuple[Mapping[str, Any], ...]


def find_large_estates(graph: nx.Graph, spec: solver.Spec) -> list[LargeEstate]:
    """Estates (single units, or keep-together groups of several units) whose size alone exceeds the cap.

    Only estates: a block of land above the cap is no community anyone planned, so it stays an error (a
    finer ``--grid-size`` or better population data is the fix)."""
    attr, cap = spec.population_attr, float(spec.max_population)
    groups: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "estate":
            continue
        label = group_label(data, spec.group_attr)
        if label is not None:
            groups.setdefault(label, []).append(str(node))
    found: list[LargeEstate] = []
    in_large_group: set[str] = set()
    for label, members in sorted(groups.items()):
        if len(members) > 1 and _total(graph, members, attr) > cap + 1e-9:
            found.append(_large(graph, label, sorted(members), attr, cap))
            in_large_group.update(members)
    for node, data in sorted(graph.nodes(data=True), key=lambda item: str(item[0])):
        if (data.get("kind") == "estate" and str(node) not in in_large_group
                and float(data.get(attr) or 0.0) > cap + 1e-9):
            found.append(_large(graph, str(data.get("name") or node), [str(node)], attr, cap))
    return found


def _large(graph: nx.Graph, name: str, members: list[str], attr: str, cap: float) -> LargeEstate:
    return LargeEstate(name=name, unit_ids=tuple(members), size=_total(graph, members, attr),
                       population=_total(graph, members, "population"),
                       households=_total(graph, members, "households"), attr=attr, cap=cap)


def _total(graph: nx.Graph, nodes: Sequence[str], attr: str) -> float:
    return float(sum(float(graph.nodes[n].get(attr) or 0.0) for n in nodes))


def solve_around(graph: nx.Graph, spec: solver.Spec, large: Sequence[LargeEstate], *, options: int,
                 progress: Progress) -> list[CombinedPlan]:
    """Plans of the whole graph in which every large estate is a community of its own (the module rule).

    ``options`` > 1 asks for alternatives: the piece with the most communities is solved again, different
    from its earlier plans; fewer come back when it has no other plan (or every piece is one community).
    """
    taken = {u for estate in large for u in estate.unit_ids}
    for estate in large:
        if not nx.is_connected(graph.subgraph(estate.unit_ids)):
            raise InfeasibleError(f"{estate.excess_text()}: above the cap, it would be a community of its own, but "
                                  f"its parts {', '.join(estate.unit_ids)} do not touch; connect them or run "
                                  "with --split-large-estates")
    rest = graph.subgraph([n for n in graph.nodes if str(n) not in taken])
    pieces = sorted((sorted(map(str, c)) for c in nx.connected_components(rest)), key=lambda c: c[0])
    joined, solvable = _join_small_pieces(graph, spec, large, pieces, progress)
    piece_spec = replace(spec, districts=_piece_districts(spec, len(solvable), len(large)), distinct_from=())
    best = [_solve_piece(graph, piece, piece_spec, number, len(solvable), progress)
            for number, piece in enumerate(solvable, start=1)]
    combined = [_combine(graph, spec, large, joined, solvable, best)]
    for plans in _alternatives(graph, piece_spec, solvable, best, wanted=options - 1):
        combined.append(_combine(graph, spec, large, joined, solvable, plans))
    # ranked best first on the objective, as the pipeline ranks options; ties keep solve order
    combined.sort(key=lambda c: (c.plan.objective is None, c.plan.objective or 0.0))
    return combined


def _alternatives(graph: nx.Graph, spec: solver.Spec, pieces: Sequence[list[str]], best: Sequence[solver.Plan],
                  *, wanted: int) -> list[list[solver.Plan]]:
    """Up to ``wanted`` more sets of piece plans: the piece with the most communities solved again, each time
    different from its earlier plans, the other pieces as in ``best``."""
    varied = max(range(len(pieces)), key=lambda i: (best[i].districts, -i), default=None)
    if wanted > 0 and (varied is None or best[varied].districts < 2):
        log.warning("only 1 option: no piece of the rest can be split another way")
        return []
    found: list[list[solver.Plan]] = []
    earlier = [best[varied].assignment] if varied is not None else []
    while len(found) < wanted:
        again = replace(spec, distinct_from=tuple(earlier), districts=best[varied].districts)
        plan = solver.solve(graph.subgraph(pieces[varied]).copy(), again)
        if plan.status in ("infeasible", "no-solution"):
            log.warning("only %d different option(s) found: %s", len(found) + 1, "; ".join(plan.reasons))
            break
        _verify_piece(graph, pieces[varied], again, plan)
        earlier.append(plan.assignment)
        found.append([plan if i == varied else p for i, p in enumerate(best)])
    return found


def _join_small_pieces(graph: nx.Graph, spec: solver.Spec, large: Sequence[LargeEstate],
                       pieces: Sequence[list[str]], progress: Progress) -> tuple[dict[int, list[str]], list[list[str]]]:
    """({large estate index: units joining its community}, pieces to solve): rule 3 of the module docs."""
    floor = spec.min_population or 0.0
    joined: dict[int, list[str]] = {i: [] for i in range(len(large))}
    solvable: list[list[str]] = []
    for piece in pieces:
        size = _total(graph, piece, spec.population_attr)
        host = _host(graph, piece, large) if size < floor - 1e-9 or size <= 0.0 else None
        if host is None:
            solvable.append(piece)
            continue
        joined[host] += piece
        progress(f"a piece of {len(piece)} unit(s) with {size:,.0f} {spec.population_attr} cannot be a "
                 f"community on its own; it joins {large[host].name}")
    return joined, solvable


def _piece_districts(spec: solver.Spec, pieces: int, exceptions: int) -> int | str:
    """A fixed number of communities applies to the one piece there is, minus the exception communities."""
    if spec.districts == "auto":
        return "auto"
    if pieces != 1 or spec.districts - exceptions < 1:
        raise UsageError(f"--districts {spec.districts} cannot be honoured: {exceptions} estate(s) above the cap "
                         f"become communities of their own and the rest falls into {pieces} piece(s); "
                         "use --districts auto")
    return spec.districts - exceptions


def _host(graph: nx.Graph, piece: Sequence[str], large: Sequence[LargeEstate]) -> int | None:
    """The large estate sharing most boundary with the piece (ties: the first), or None if none touches."""
    shared = [0.0] * len(large)
    touches = [False] * len(large)
    owner = {u: i for i, estate in enumerate(large) for u in estate.unit_ids}
    for node in piece:
        for other in graph.neighbors(node):
            if str(other) in owner:
                i = owner[str(other)]
                touches[i] = True
                shared[i] += float(graph.edges[node, other].get("length_m") or 0.0)
    candidates = [i for i in range(len(large)) if touches[i]]
    return max(candidates, key=lambda i: (shared[i], -i)) if candidates else None


def _solve_piece(graph: nx.Graph, piece: Sequence[str], spec: solver.Spec, number: int, count: int,
                 progress: Progress) -> solver.Plan:
    sub = graph.subgraph(piece).copy()
    where = f"piece {number} of {count} of the rest ({len(piece)} units, first {piece[0]})"
    reasons = solver.precheck(sub, spec)
    if reasons:
        raise InfeasibleError(f"no plan for {where} can satisfy the rules:\n"
                              + "\n".join(f"  - {r}" for r in reasons))
    progress(f"solving {where}")
    plan = solver.solve(sub, spec)
    if plan.status in ("infeasible", "no-solution"):
        error = InfeasibleError if plan.status == "infeasible" else NoSolutionError
        raise error(f"{where}: " + ("; ".join(plan.reasons) or f"solver status {plan.status}"))
    _verify_piece(graph, piece, spec, plan)
    progress(f"{where}: {plan!r} in {plan.runtime_s:.1f} s")
    return plan


def _verify_piece(graph: nx.Graph, piece: Sequence[str], spec: solver.Spec, plan: solver.Plan) -> None:
    violations = solver.verify(graph.subgraph(piece), spec, plan.assignment)
    if violations:
        raise RuntimeError("the solver returned a plan that fails verification (a bug, please report): "
                           + "; ".join(violations))


def _combine(graph: nx.Graph, spec: solver.Spec, large: Sequence[LargeEstate], joined: Mapping[int, list[str]],
             pieces: Sequence[Sequence[str]], plans: Sequence[solver.Plan]) -> CombinedPlan:
    assignment: dict[str, int] = {}
    centres: dict[int, str] = {}
    offset = 0
    records = []
    for number, (piece, plan) in enumerate(zip(pieces, plans), start=1):
        for unit in piece:
            assignment[unit] = plan.assignment[unit] + offset
        centres.update({d + offset: c for d, c in plan.centres.items()})
        records.append({"piece": number, "units": len(piece), "first_unit": piece[0],
                        "districts": plan.districts, "status": plan.status, "objective": plan.objective,
                        "bound": plan.bound, "runtime_s": plan.runtime_s})
        offset += plan.districts
    exceptions = []
    for i, estate in enumerate(large):
        district = offset + i + 1
        for unit in (*estate.unit_ids, *joined[i]):
            assignment[unit] = district
        members = (*estate.unit_ids, *joined[i])
        exceptions.append(SizeException(estate=estate, district=district, joined_units=tuple(joined[i]),
                                        joined_size=_total(graph, joined[i], spec.population_attr),
                                        size=_total(graph, members, spec.population_attr)))
    plan = _combined_plan(plans, assignment, centres, districts=offset + len(large), spec=spec)
    _verify_whole(graph, spec, plan.assignment, exceptions)
    return CombinedPlan(plan=plan, exceptions=tuple(exceptions), pieces=tuple(records))


def _combined_plan(plans: Sequence[solver.Plan], assignment: Mapping[str, int], centres: Mapping[int, str], *,
                   districts: int, spec: solver.Spec) -> solver.Plan:
    objectives = [p.objective for p in plans]
    bounds = [p.bound for p in plans]
    objective = float(sum(objectives)) if all(v is not None for v in objectives) else None
    bound = float(sum(bounds)) if plans and all(v is not None for v in bounds) else None
    optimal = all(p.status == "optimal" for p in plans)
    if optimal:
        gap = 0.0
    elif objective is not None and bound is not None:
        gap = (objective - bound) / abs(objective) if abs(objective) > 1e-12 else None
    else:
        gap = None
    return solver.Plan(
        assignment=dict(sorted(assignment.items())), districts=districts,
        status="optimal" if optimal else "feasible", objective=objective if plans else 0.0,
        bound=bound if plans else 0.0, gap=gap, runtime_s=round(sum(p.runtime_s for p in plans), 3),
        backend=plans[0].backend if plans else spec.backend,
        solver_version=plans[0].solver_version if plans else "",
        objective_name=plans[0].objective_name if plans else spec.objective, centres=centres,
        # an exception community is forced by the rule; the count is minimal when every piece's count is
        minimum_proven=all(p.minimum_proven for p in plans),
        attempts=tuple({"stage": f"piece {i}", "districts": p.districts, "status": p.status,
                        "objective": p.objective, "runtime_s": p.runtime_s} for i, p in enumerate(plans, start=1)))


def _verify_whole(graph: nx.Graph, spec: solver.Spec, assignment: Mapping[str, int],
                  exceptions: Sequence[SizeException]) -> None:
    """The combined plan on the whole graph: the verifier with the cap lifted to the largest exception
    community and no floor, then the cap and floor on every other community, and each exception whole."""
    largest = max([e.size for e in exceptions] + [spec.max_population])
    # facilities: each piece was verified for them; an exception community is what the rule makes it
    whole = replace(spec, max_population=largest, min_population=None, districts="auto", distinct_from=(),
                    require_facility=False)
    problems = solver.verify(graph, whole, assignment)
    excepted = {e.district for e in exceptions}
    sizes: dict[int, float] = {}
    for unit, district in assignment.items():
        sizes[district] = sizes.get(district, 0.0) + float(graph.nodes[unit].get(spec.population_attr) or 0.0)
    for district, size in sorted(sizes.items()):
        if district in excepted:
            continue
        if size > spec.max_population + 1e-6 or (spec.min_population is not None
                                                 and size < spec.min_population - 1e-6):
            problems.append(f"district {district} has {size:,.0f} {spec.population_attr}, outside the rules")
    for exception in exceptions:
        if {assignment[u] for u in exception.estate.unit_ids} != {exception.district}:
            problems.append(f"{exception.estate.name} is not whole in community {exception.district}")
    if problems:
        raise RuntimeError("the combined plan fails verification (a bug, please report): " + "; ".join(problems))


def exception_rows(exceptions: Sequence[SizeException], profile_name: str) -> list[dict[str, Any]]:
    """Compliance rows (the report's per-community tables) saying why a community is above the cap."""
    return [{"district": e.district, "profile": profile_name, "rule": "规模例外 size exception",
             "required": f"≤ {e.estate.cap:,.0f}", "present": round(e.size), "ok": None, "note": e.note()}
            for e in exceptions]


def annotate(option: Any, combined: CombinedPlan, profile_name: str) -> Any:
    """The pipeline's Option with the exceptions said where reviewers read: per-community notes and
    compliance rows, the option's metrics, and the records run.json keeps."""
    notes = dict(option.notes) | {e.district: e.note() for e in combined.exceptions}
    return replace(option, compliance=[*option.compliance, *exception_rows(combined.exceptions, profile_name)],
                   metrics=dict(option.metrics) | {"size_exceptions": [e.note() for e in combined.exceptions]},
                   notes=notes, exceptions=tuple(e.to_dict() for e in combined.exceptions))


def record(divide: bool, exceptions: Sequence[Mapping[str, Any]], divisions: Sequence[Any]) -> dict[str, Any]:
    """run.json's ``large_estates``: the rule applied, the exception communities and the divided estates."""
    rule = LargeEstateRule.DIVIDE if divide else LargeEstateRule.SEPARATE
    return {"rule": rule.value, "exceptions": [dict(e) for e in exceptions],
            "divisions": [d.to_dict() for d in divisions]}
