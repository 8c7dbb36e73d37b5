"""A plain sparse MIP (arrays only) and the two backends that solve it: HiGHS through highspy's own API
(default: fast to build, accepts a start solution, keeps its model between rounds of cuts) and CBC
through PuLP (fallback; the model is rebuilt from the arrays each round).

Variable and row names are built from integer indices only (``c17``, ``r4``), never from unit ids.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import re
import tempfile
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from solver.errors import SolverError

log = logging.getLogger(__name__)

#: Relative gap below which a run counts as optimal (HiGHS is asked for this; we re-check it).
MIP_REL_GAP = 1e-6


@dataclass
class LinearModel:
    """min cost·x + offset  s.t.  row_lower ≤ A x ≤ row_upper,  lower ≤ x ≤ upper,  x_j integer where flagged."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    offset: float = 0.0
    _starts: list[np.ndarray] = field(default_factory=list)
    _index: list[np.ndarray] = field(default_factory=list)
    _value: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)
    n_rows: int = 0

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    def add_columns(self, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, integer: np.ndarray) -> int:
        """Append columns (before any runner is made); returns the index of the first new one."""
        first = self.n_cols
        self.cost = np.concatenate([self.cost, cost])
        self.lower = np.concatenate([self.lower, lower])
        self.upper = np.concatenate([self.upper, upper])
        self.integer = np.concatenate([self.integer, integer.astype(bool)])
        return first

    def add_rows(self, lengths: np.ndarray, index: np.ndarray, value: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Append rows given in CSR form (row lengths, then concatenated column indices and values)."""
        lengths = np.asarray(lengths, dtype=np.int64)
        starts = np.zeros(len(lengths), dtype=np.int64)
        if len(lengths):
            starts[1:] = np.cumsum(lengths)[:-1]
        block = (starts.astype(np.int32), np.asarray(index, dtype=np.int32), np.asarray(value, dtype=float),
                 np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))
        self._starts.append(block[0])
        self._index.append(block[1])
        self._value.append(block[2])
        self._row_lower.append(block[3])
        self._row_upper.append(block[4])
        self.n_rows += len(lengths)
        return block

    def add_row_list(self, rows: list[tuple[list[int], list[float], float, float]]):
        """Append rows given as (columns, coefficients, lower, upper)."""
        if not rows:
            return None
        return self.add_rows(*_csr(rows))

    def blocks(self):
        return zip(self._starts, self._index, self._value, self._row_lower, self._row_upper)


def _csr(rows: list[tuple[list[int], list[float], float, float]]):
    lengths = np.array([len(r[0]) for r in rows])
    index = np.concatenate([np.asarray(r[0], dtype=np.int64) for r in rows])
    value = np.concatenate([np.asarray(r[1], dtype=float) for r in rows])
    return lengths, index, value, np.array([r[2] for r in rows]), np.array([r[3] for r in rows])


def row_block(rows: list[tuple[list[int], list[float], float, float]]):
    """Rows given as (columns, coefficients, lower, upper) as one block for a runner's ``add_rows``."""
    lengths, index, value, lower, upper = _csr(rows)
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths):
        starts[1:] = np.cumsum(lengths)[:-1]
    return (starts.astype(np.int32), index.astype(np.int32), value, lower.astype(float), upper.astype(float))


def scaled_bound(model_bound: float | None, *, scale: float, tie_max: float, constant: float = 0.0,
                 integral: bool = False) -> float | None:
    """A bound on the primary objective from a bound on a model's objective: models are scaled near 1 and
    carry a small tie-break term whose largest value ``tie_max`` is subtracted, so the bound stays valid."""
    if model_bound is None:
        return None
    value = (model_bound - tie_max) * scale + constant
    return math.ceil(value - 1e-6) if integral else value


class RunState(StrEnum):
    """How one MIP run ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"          # stopped (time, interrupt) with a solution
    NO_SOLUTION = "no-solution"    # stopped without one
    INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class RunResult:
    """One MIP run. ``state``: optimal | feasible (stopped with a solution) | no-solution | infeasible."""

    state: RunState
    values: np.ndarray | None
    objective: float | None      # model objective of ``values``
    bound: float | None          # proven lower bound on the model objective (None when unknown)
    runtime_s: float
    detail: str
    interrupted: bool = False     # stopped on purpose by ``on_solution`` (a solution broke a lazy rule)


@contextlib.contextmanager
def banner_hidden() -> Iterator[None]:
    """HiGHS 1.16 prints its copyright banner to the C-level stdout in the constructor, before any option
    can be set; a library must not write to its caller's stdout, so fd 1 points at /dev/null meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


def limit_time(h, seconds: float, *, branching: bool) -> None:
    """Give a highspy model's next run ``seconds`` (at least 0.01). HiGHS 1.16 measures the two kinds of
    run differently (``tests/test_solver_linear.py`` holds it to both):

    * an LP's ``time_limit`` is compared with the object's run time summed over all its runs: a plain
      ``seconds`` would leave a model solved many times no time at all once its runs add up to it (every
      later run then stops at once, status "time limit", with nothing done);
    * a MIP's (``branching``) with the time of this run alone: the sum would give each run the time of all
      the runs before it on top (a third run of 2 s took 9.7 s)."""
    seconds = max(float(seconds), 0.01)
    h.setOptionValue("time_limit", seconds if branching else h.getRunTime() + seconds)


_scheduler_threads: list[int] = []   # the thread count HiGHS's process-wide scheduler was started with


def use_threads(h, threads: int) -> None:
    """Run ``h`` on ``threads`` threads, with HiGHS's parallel tree search above one. HiGHS starts one
    scheduler per process and refuses a model asking for another count ("the scheduler has already been
    initialized"): it is restarted when the count changes, so every model is built before any of them runs: ``solve`` runs
    one HiGHS model at a time, except the pricing MIPs of ``solver.partition_bound``, all on one thread each."""
    import highspy

    threads = max(1, int(threads))
    if _scheduler_threads and _scheduler_threads[0] != threads:
        highspy.Highs.resetThreadScheduler(False)
    _scheduler_threads[:] = [threads]
    h.setOptionValue("threads", threads)
    h.setOptionValue("parallel", "on" if threads > 1 else "choose")


class HighsRunner:
    """A highspy model that keeps its rows between rounds; rows added later are contiguity cuts."""

    name = "highs"

    def __init__(self, model: LinearModel, *, seed: int, threads: int = 1):
        import highspy

        self._highspy = highspy
        with banner_hidden():
            self.h = highspy.Highs()
        self.h.silent()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
        self.h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
        self._rel_gap = MIP_REL_GAP
        self._cutoff: float | None = None
        self._branching = bool(model.integer.any())   # HiGHS runs a MIP (its own clock), else an LP
        use_threads(self.h, threads)
        self.version = f"HiGHS {self.h.version()}"
        n = model.n_cols
        inf = highspy.kHighsInf
        lower = np.where(np.isinf(model.lower), -inf, model.lower)
        upper = np.where(np.isinf(model.upper), inf, model.upper)
        self.h.addVars(n, lower, upper)
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), model.cost.astype(float))
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                     np.where(model.integer, highspy.HighsVarType.kInteger.value,
                                              highspy.HighsVarType.kContinuous.value).astype(np.uint8))
        self.h.changeObjectiveOffset(float(model.offset))
        self._cost = model.cost.astype(float).copy()
        self._offset = float(model.offset)
        for block in model.blocks():
            self._add(block)
        self.n_cols = n

    def _add(self, block) -> None:
        starts, index, value, lower, upper = block
        if len(starts) == 0:
            return
        inf = self._highspy.kHighsInf
        lower = np.where(np.isinf(lower), -inf, lower)
        upper = np.where(np.isinf(upper), inf, upper)
        status = self.h.addRows(len(starts), lower, upper, len(index), starts, index, value)
        if status != self._highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS refused {len(starts)} rows ({status}); this is a bug in the model builder")

    def add_rows(self, block) -> None:
        self._add(block)

    def set_costs(self, columns: np.ndarray, costs: np.ndarray) -> None:
        """New objective coefficients for some columns (between runs); the objective recomputed from a
        solution, and the bound certified from it, use them too."""
        columns = np.asarray(columns, dtype=np.int32)
        costs = np.asarray(costs, dtype=float)
        self.h.changeColsCost(len(columns), columns, costs)
        self._cost[columns] = costs

    def set_options(self, options: Mapping[str, object]) -> None:
        """HiGHS options by their HiGHS names (e.g. the proof-oriented ones of ``Tuning.exact_highs_options``)."""
        for key, value in options.items():
            self.h.setOptionValue(key, value)
            if key == "mip_rel_gap":
                self._rel_gap = float(value)  # "optimal" then certifies only this gap

    def set_cutoff(self, objective: float) -> bool:
        """Prune every node whose bound reaches ``objective`` (same units as ``RunResult.objective``, the
        offset included): the run looks only for better solutions and ends infeasible when there is none.
        True: applied."""
        self.h.setOptionValue("objective_bound", float(objective))
        self._cutoff = float(objective)
        return True

    def limit_nodes(self, nodes: int) -> None:
        """Stop after this many branch-and-bound nodes: a limit that, unlike time, is the same on every machine."""
        self.h.setOptionValue("mip_max_nodes", int(nodes))

    def run(self, *, time_limit_s: float, start: np.ndarray | None, on_solution=None) -> RunResult:
        """Solve; ``on_solution(values) -> bool`` sees every improving solution and may stop the run
        (how lazily checked rules such as contiguity are handled without a lazy-constraint callback)."""
        hs = self._highspy
        limit_time(self.h, time_limit_s, branching=self._branching)
        if start is not None:
            self.h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start.astype(float))
        stop = [False]

        def improving(event) -> None:
            if on_solution is not None and on_solution(np.asarray(event.data_out.mip_solution)):
                stop[0] = True

        def interrupt(event) -> None:
            event.interrupt(stop[0])  # HiGHS keeps the flag between runs: always set it

        if on_solution is not None:
            self.h.cbMipImprovingSolution.subscribe(improving)
            self.h.cbMipInterrupt.subscribe(interrupt)
        clock = time.perf_counter()
        try:
            self.h.run()
        finally:
            if on_solution is not None:
                self.h.cbMipImprovingSolution.unsubscribe(improving)
                self.h.cbMipInterrupt.unsubscribe(interrupt)
        runtime = time.perf_counter() - clock
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        has_solution = info.primal_solution_status == hs.SolutionStatus.kSolutionStatusFeasible.value \
            if hasattr(hs.SolutionStatus, "kSolutionStatusFeasible") else info.primal_solution_status == 2
        bound = float(info.mip_dual_bound)
        bound = bound if math.isfinite(bound) else None
        detail = self.h.modelStatusToString(status)
        values = np.asarray(self.h.getSolution().col_value) if has_solution else None
        # Computed from the values: HiGHS 1.16 reports 0 as the objective (and dual bound) when the start
        # solution given to it is already optimal and presolve finishes the model.
        objective = float(self._cost @ values + self._offset) if has_solution else None
        if status == hs.HighsModelStatus.kOptimal and has_solution and self._cutoff is not None \
                and objective >= self._cutoff:
            # The tree closed below the cutoff; what HiGHS calls optimal is a heuristic's solution above it,
            # and its value is no bound (seen: a knapsack 15 worse than its optimum, "optimal").
            state, values, objective, bound, detail = RunState.INFEASIBLE, None, None, None, "nothing below the cutoff"
        elif status == hs.HighsModelStatus.kOptimal and has_solution:
            state = RunState.OPTIMAL
            # "Optimal" certifies the gap tolerances even when presolve solved the model and left no
            # dual bound behind: the certified bound is the objective less the tolerance.
            certified = objective - self._rel_gap * abs(objective) - 1e-6
            bound = certified if bound is None else max(bound, certified)
        elif status == hs.HighsModelStatus.kInfeasible:
            state = RunState.INFEASIBLE
        elif status in (hs.HighsModelStatus.kTimeLimit, hs.HighsModelStatus.kInterrupt,
                        hs.HighsModelStatus.kIterationLimit, hs.HighsModelStatus.kSolutionLimit,
                        hs.HighsModelStatus.kMemoryLimit, hs.HighsModelStatus.kUnknown):
            state = RunState.FEASIBLE if has_solution else RunState.NO_SOLUTION
        else:
            raise SolverError(f"HiGHS stopped with status {detail!r}; try backend='cbc'")
        return RunResult(state, values, objective, bound, runtime, detail, interrupted=stop[0])


class CbcRunner:
    """CBC through PuLP (``PULP_CBC_CMD``); the PuLP problem is rebuilt from the arrays every run.

    PuLP 3 reports a time-limited CBC run as ``status == 1`` ("Optimal") with ``sol_status == 2``
    (integer feasible): the state is derived from ``sol_status``, and the bound is read from CBC's log.
    """

    name = "cbc"

    def __init__(self, model: LinearModel, *, seed: int, threads: int = 1):
        import pulp

        self._pulp = pulp
        self.model = model
        self.seed = seed
        self.threads = threads
        self.version = f"CBC ({pulp.__name__} {pulp.__version__} bundled)"
        self.n_cols = model.n_cols
        self.extra: list = []

    def add_rows(self, block) -> None:
        self.extra.append(block)

    def set_options(self, options: Mapping[str, object]) -> None:
        """HiGHS options have no CBC counterpart: CBC runs with its defaults."""

    def set_cutoff(self, objective: float) -> bool:
        """Not applied (False): CBC searches the whole model, and its infeasibility keeps its one meaning."""
        return False

    def run(self, *, time_limit_s: float, start: np.ndarray | None, on_solution=None) -> RunResult:
        pulp = self._pulp
        m = self.model
        problem = pulp.LpProblem("districts", pulp.LpMinimize)
        columns = []
        for j in range(m.n_cols):
            low = None if np.isinf(m.lower[j]) else float(m.lower[j])
            up = None if np.isinf(m.upper[j]) else float(m.upper[j])
            columns.append(pulp.LpVariable(f"c{j}", low, up, pulp.LpInteger if m.integer[j] else pulp.LpContinuous))
        problem += pulp.lpSum(float(c) * columns[j] for j, c in enumerate(m.cost) if c != 0) + float(m.offset)
        row = 0
        for starts, index, value, lower, upper in list(m.blocks()) + self.extra:
            ends = np.append(starts[1:], len(index))
            for r in range(len(starts)):
                expr = pulp.lpSum(float(value[t]) * columns[int(index[t])] for t in range(starts[r], ends[r]))
                lo, up = float(lower[r]), float(upper[r])
                if lo == up:
                    problem += (expr == lo), f"r{row}"
                else:
                    if math.isfinite(lo):
                        problem += (expr >= lo), f"r{row}l"
                    if math.isfinite(up):
                        problem += (expr <= up), f"r{row}u"
                row += 1
        if start is not None:
            for j, v in enumerate(start):
                columns[j].setInitialValue(float(round(v)) if m.integer[j] else float(v))
        with tempfile.TemporaryDirectory() as tmp:
            log_path = Path(tmp) / "cbc.log"
            cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(float(time_limit_s), 1.0), gapRel=MIP_REL_GAP,
                                    warmStart=start is not None, threads=self.threads, logPath=str(log_path),
                                    options=[f"randomCbcSeed {int(self.seed) % 2_147_483_647 or 1}"])
            clock = time.perf_counter()
            problem.solve(cmd)
            runtime = time.perf_counter() - clock
            text = log_path.read_text(errors="replace") if log_path.exists() else ""
        status, sol_status = problem.status, problem.sol_status
        has_solution = sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        values = np.array([c.varValue if c.varValue is not None else 0.0 for c in columns]) if has_solution else None
        objective = float(pulp.value(problem.objective)) if has_solution else None
        if sol_status == pulp.LpSolutionOptimal and "Stopped" not in text:
            return RunResult(RunState.OPTIMAL, values, objective, objective, runtime, "Optimal")
        if status == pulp.LpStatusInfeasible or sol_status == pulp.LpSolutionInfeasible or \
                "Result - Problem proven infeasible" in text:
            return RunResult(RunState.INFEASIBLE, None, None, None, runtime, "Infeasible")
        bound = _cbc_bound(text)
        return RunResult(RunState.FEASIBLE if has_solution else RunState.NO_SOLUTION, values, objective, bound, runtime,
                         f"status {pulp.LpStatus[status]}, solution {pulp.LpSolution[sol_status]}")


def _cbc_bound(text: str) -> float | None:
    found = re.findall(r"Lower bound:\s+(-?[0-9.eE+-]+)", text)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


def make_runner(backend: str, model: LinearModel, *, seed: int, threads: int = 1):
    if backend == "highs":
        return HighsRunner(model, seed=seed, threads=threads)
    if backend == "cbc":
        return CbcRunner(model, seed=seed, threads=threads)
    raise SolverError(f"unknown backend {backend!r}")
