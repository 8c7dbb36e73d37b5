"""``redistrict check``: score a plan a person proposes with the verifier the solver's plans pass.

The plan (an edited ``assignment.csv``, a table of estates → communities, or a drawn polygon layer, see
``redistrict.drafts``) is read against the community's units, checked by ``solver.find_violations`` with
the same spec ``split`` would use (cap, floor, keep-together groups, locks, facilities), and written as the
same folder ``split`` writes, with status ``checked`` and every broken rule in run.json, the report and on
the command line. Units left unassigned are shown as one more community, "未分配 unassigned", so that
population in still equals population out on every map and table.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

import boundaries
import solver
from redistrict.config import SplitConfig
from redistrict.drafts import Draft, describe, read_draft
from redistrict.naming import district_names
from redistrict.outdir import staged_output
from redistrict.pipeline import (Option, Progress, build_community, describe_option, make_spec, open_run, placed,
                                 planned_files, settle_date, with_locks, write_into, _lap)

log = logging.getLogger(__name__)

UNASSIGNED_NAME = "未分配 unassigned"
CHECK_LABEL = "核查方案 checked plan"


@dataclass(frozen=True)
class CheckResult:
    out_dir: Path
    community: str
    option: Option
    violations: tuple[solver.Violation, ...]
    notes: tuple[str, ...]
    files: Mapping[str, Path]

    @property
    def ok(self) -> bool:
        return not self.violations


def run_check(config: SplitConfig, assignment: str | Path, *, progress: Progress | None = None) -> CheckResult:
    """Read, verify and write the proposed plan; the folder is written whether or not rules are broken."""
    say = progress or (lambda message: log.info(message))
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    config = settle_date(config)
    profile, (layers, report) = open_run(config, progress=say)
    timings["load_s"] = _lap(clock)
    start = time.perf_counter()
    units, graph = build_community(layers, config, profile, progress=say)
    timings["units_s"] = _lap(start)

    draft = read_draft(Path(assignment), units.frame, graph, encoding=config.encoding)
    spec = with_locks(make_spec(config, profile), config, units.frame)
    start = time.perf_counter()
    complete, extra = _complete(draft, [str(u) for u in units.frame["unit_id"]])
    violations = solver.find_violations(graph, spec, draft.assignment) + _cut_estates(draft)
    if not any(v.rule is solver.Rule.PIECES for v in violations):
        # one piece in the graph may still be two on the map (a strip of another community between)
        violations += [solver.Violation(solver.Rule.PIECES, f"on the map: {message}")
                       for message in boundaries.check_one_piece(units.frame, complete, graph)]
    timings["check_s"] = _lap(start)
    say(f"checked {len(draft.assignment)} of {len(units.frame)} units: "
        + (f"{len(violations)} broken rule(s)" if violations else "every rule holds"))
    names = dict(draft.names) if draft.names else district_names(
        units.frame.assign(district=units.frame["unit_id"].astype(str).map(complete)))
    if extra is not None:
        names[extra] = UNASSIGNED_NAME
    objective = solver.score(graph, spec, complete)
    plan = solver.Plan(assignment=complete, districts=max(complete.values()), status="checked", objective=objective,
                       bound=None, gap=None, runtime_s=timings["check_s"], backend="verifier",
                       solver_version=f"redistrict check ({Path(assignment).name})", objective_name=spec.objective)
    option = describe_option(0, plan, graph, units.frame, layers, profile, spec=spec, names=names,
                             label=CHECK_LABEL)
    # the broken rules travel to the report as rule rows (per community, or option-wide)
    option = replace(option, metrics=dict(option.metrics) | {"broken_rules": len(violations)},
                     compliance=list(option.compliance) + [_rule_row(v) for v in violations])
    record = {"check": {"assignment": str(Path(assignment).resolve()), "ok": not violations,
                        "violations": [v.to_dict() for v in violations]} | describe(draft)}
    # the edited plan may sit in the folder it is checked into: it is an input, never overwritten
    with staged_output(config.out, planned=planned_files(config),
                       inputs=[*config.inputs.values(), str(assignment)]) as staging:
        files = write_into(staging, config, profile, layers, report, units, graph, [option], timings=timings,
                           clock=clock, record=record)
    out_dir, files, _ = placed(config, staging, files)
    return CheckResult(out_dir=out_dir, community=units.community_name, option=option,
                       violations=tuple(violations), notes=tuple(draft.notes), files=files)


#: How the report names each broken rule.
RULE_NAMES = {
    solver.Rule.UNKNOWN_UNIT: "未知单元 unknown unit", solver.Rule.UNASSIGNED: "未分配单元 units unassigned",
    solver.Rule.BAD_DISTRICT: "社区编号无效 bad community number", solver.Rule.NUMBERING: "社区编号 numbering",
    solver.Rule.DISTRICT_COUNT: "社区数 number of communities", solver.Rule.OVER_CAP: "超过上限 over the cap",
    solver.Rule.UNDER_FLOOR: "低于下限 under the floor", solver.Rule.PIECES: "不连续 in several pieces",
    solver.Rule.NO_FACILITY: "无服务设施 no service facility", solver.Rule.GROUP_SPLIT: "整体单元被拆分 group split",
    solver.Rule.LOCK_SPLIT: "锁定被拆分 lock split", solver.Rule.LOCKS_TOGETHER: "锁定未分开 locks together",
    solver.Rule.SAME_AS_EARLIER: "与前方案相同 same as earlier", solver.Rule.TOO_SIMILAR: "与前方案过于相似 too similar",
    solver.Rule.ESTATE_CUT: "楼盘被边界切开 estate cut",
}


def _rule_row(violation: solver.Violation) -> dict[str, object]:
    return {"district": violation.district, "profile": "核查 check", "rule": RULE_NAMES.get(violation.rule,
                                                                                          violation.rule.value),
            "required": "" if violation.limit is None else round(violation.limit),
            "present": "" if violation.value is None else (round(violation.value, 3) if violation.value < 1
                                                           else round(violation.value)),
            "ok": False, "note": violation.message}


def _cut_estates(draft: Draft) -> list[solver.Violation]:
    return [solver.Violation(solver.Rule.ESTATE_CUT,
                             f"estate {name!r} is cut by the drawn boundary: {share:.0%} of its area lies outside "
                             f"district {inside} (in district {outside}); it is counted whole in district {inside}",
                             district=inside, value=share, units=(uid,), label=name)
            for uid, name, share, inside, outside in draft.cut_estates]


def _complete(draft: Draft, unit_ids: Sequence[str]) -> tuple[dict[str, int], int | None]:
    """Every unit with a district for the maps: the units the plan leaves out form one more district
    (its number is returned, None when every unit is assigned)."""
    complete = dict(draft.assignment)
    left = [u for u in unit_ids if u not in complete]
    if not left:
        return complete, None
    extra = max(complete.values()) + 1
    complete.update({u: extra for u in left})
    return complete, extra
