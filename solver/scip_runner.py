"""SCIP through pyscipopt as a third runner for a ``LinearModel`` (same interface as ``HighsRunner``).

SCIP (Apache-2.0, bundled in pyscipopt's wheels) is used where its branch-and-cut proves what HiGHS
cannot in time: the labelling model of the cut-edges objective (issue 13 item 3). It is optional: when
pyscipopt is not installed, ``scip_available()`` is False and the callers use HiGHS.

Columns are ``c0…``, rows ``r0…`` (indices only, never unit ids). SCIP runs single-threaded with a fixed
random seed shift, so a run that ends before its time limit is deterministic.
"""
from __future__ import annotations

import math
import time
from typing import Callable, Mapping

import numpy as np

from solver.errors import SolverError
from solver.linear import MIP_REL_GAP, LinearModel, RunResult, RunState

Row = tuple[list[int], list[float], float, float]


def scip_available() -> bool:
    try:
        import pyscipopt  # noqa: F401
    except ImportError:
        return False
    return True


class ScipRunner:
    """A pyscipopt model built once from the arrays; ``add_rows`` rows are kept for the next ``run``."""

    name = "scip"

    def __init__(self, model: LinearModel, *, seed: int,
                 lazy: Callable[[np.ndarray], list[Row]] | None = None, lazy_columns: np.ndarray | None = None):
        """``lazy(values)``: the rows an integral solution breaks ([] when it is acceptable); they are added
        inside the branch-and-bound as they are found (a constraint handler), so no run is restarted.
        ``lazy_columns``: the columns those rows can involve (locked both ways so that presolve never fixes
        them by an argument that ignores rows not yet added)."""
        import pyscipopt

        self._scip = pyscipopt
        self.model = model
        self.seed = seed
        self.extra: list = []
        self.options: dict[str, object] = {}
        self.lazy = lazy
        self.lazy_columns = lazy_columns
        self.lazy_rows = 0
        self.version = f"SCIP {pyscipopt.Model().version()} (pyscipopt {pyscipopt.__version__})"
        self.n_cols = model.n_cols

    def add_rows(self, block) -> None:
        self.extra.append(block)

    def set_options(self, options: Mapping[str, object]) -> None:
        """HiGHS-named options have no SCIP counterpart; SCIP-named ones (with a '/') are passed on."""
        self.options.update({k: v for k, v in options.items() if "/" in k})

    def _build(self):
        scip = self._scip
        m = self.model
        s = scip.Model()
        s.hideOutput()
        s.setParam("randomization/randomseedshift", int(self.seed) % 2_147_483_647)
        s.setParam("limits/gap", MIP_REL_GAP)
        s.setParam("parallel/maxnthreads", 1)
        for key, value in self.options.items():
            s.setParam(key, value)
        cols = []
        for j in range(m.n_cols):
            low = None if np.isinf(m.lower[j]) else float(m.lower[j])
            up = None if np.isinf(m.upper[j]) else float(m.upper[j])
            cols.append(s.addVar(f"c{j}", vtype="I" if m.integer[j] else "C", lb=low, ub=up, obj=float(m.cost[j])))
        if m.offset:
            s.addObjoffset(float(m.offset))
        row = 0
        for starts, index, value, lower, upper in list(m.blocks()) + self.extra:
            ends = np.append(starts[1:], len(index))
            for r in range(len(starts)):
                terms = range(int(starts[r]), int(ends[r]))
                expr = scip.quicksum(float(value[t]) * cols[int(index[t])] for t in terms)
                lo, up = float(lower[r]), float(upper[r])
                if lo == up:
                    cons = expr == lo
                elif math.isinf(lo):
                    cons = expr <= up
                elif math.isinf(up):
                    cons = expr >= lo
                else:
                    cons = (lo <= expr) <= up
                s.addCons(cons, name=f"r{row}")
                row += 1
        if self.lazy is not None:
            locked = [cols[int(j)] for j in (self.lazy_columns if self.lazy_columns is not None else range(len(cols)))]
            handler = _lazy_handler(cols, locked, self.lazy, self)
            # Negative enforcement and check priorities: called only for solutions integral otherwise.
            s.includeConshdlr(handler, "lazy", "rows added when an integral solution breaks them",
                              enfopriority=-1, chckpriority=-1, sepapriority=0)
            s.addPyCons(s.createCons(handler, "lazy", initial=False, separate=False, enforce=True, check=True,
                                     propagate=False, local=False, modifiable=False, dynamic=False,
                                     removable=False, stickingatnode=False))
        return s, cols

    def run(self, *, time_limit_s: float, start: np.ndarray | None, on_solution=None) -> RunResult:
        s, cols = self._build()
        s.setParam("limits/time", max(float(time_limit_s), 0.01))
        if start is not None:
            sol = s.createSol()
            for j, v in enumerate(start.tolist()):
                if v:
                    s.setSolVal(sol, cols[j], round(v) if self.model.integer[j] else v)
            s.addSol(sol, free=True)
        stop = [False]
        if on_solution is not None:
            s.includeEventhdlr(_best_solution_handler(cols, on_solution, stop), "best", "improving solutions")
        clock = time.perf_counter()
        s.optimize()
        runtime = time.perf_counter() - clock
        status = s.getStatus()
        has_solution = s.getNSols() > 0
        values = None
        objective = None
        if has_solution:
            best = s.getBestSol()
            values = np.array([s.getSolVal(best, c) for c in cols])
            objective = float(self.model.cost @ values + self.model.offset)
        bound = float(s.getDualbound())
        bound = bound if math.isfinite(bound) else None
        if status == "optimal" and has_solution:
            state = RunState.OPTIMAL
        elif status == "infeasible":
            state = RunState.INFEASIBLE
        elif status in ("timelimit", "userinterrupt", "nodelimit", "gaplimit", "sollimit", "memlimit",
                        "stallnodelimit", "totalnodelimit", "bestsollimit", "restartlimit"):
            state = RunState.FEASIBLE if has_solution else RunState.NO_SOLUTION
        else:
            raise SolverError(f"SCIP stopped with status {status!r}; try backend='highs'")
        s.freeProb()
        return RunResult(state, values, objective, bound, runtime, status, interrupted=stop[0])


def _lazy_handler(cols, locked, lazy, runner):
    """The constraint handler adding ``lazy``'s rows as ordinary linear constraints during the search."""
    import pyscipopt

    result = pyscipopt.SCIP_RESULT

    def rows_for(model, solution) -> list[Row]:
        values = np.array([model.getSolVal(solution, c) for c in cols])
        return lazy(values)

    def add(model, rows: list[Row]) -> None:
        for index, coef, lo, up in rows:
            expr = pyscipopt.quicksum(v * cols[j] for j, v in zip(index, coef))
            cons = expr <= up if math.isinf(lo) else (expr >= lo if math.isinf(up) else (lo <= expr) <= up)
            model.addCons(cons, name=f"lazy{runner.lazy_rows}", removable=False)
            runner.lazy_rows += 1

    class Lazy(pyscipopt.Conshdlr):
        def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely):
            return {"result": result.INFEASIBLE if rows_for(self.model, solution) else result.FEASIBLE}

        def _enforce(self):
            rows = rows_for(self.model, None)
            if not rows:
                return {"result": result.FEASIBLE}
            add(self.model, rows)
            return {"result": result.CONSADDED}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            return self._enforce()

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            return self._enforce()

        def consenforelax(self, solution, constraints, nusefulconss, solinfeasible):
            rows = rows_for(self.model, solution)
            if not rows:
                return {"result": result.FEASIBLE}
            add(self.model, rows)
            return {"result": result.CONSADDED}

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            for var in locked:
                self.model.addVarLocksType(var, locktype, nlockspos + nlocksneg, nlockspos + nlocksneg)

    return Lazy()


def _best_solution_handler(cols, on_solution, stop):
    """An event handler showing every new best solution to ``on_solution``; True interrupts the solve
    (defined here so that importing this module never needs pyscipopt)."""
    import pyscipopt

    class BestSolution(pyscipopt.Eventhdlr):
        def eventinit(self):
            self.model.catchEvent(pyscipopt.SCIP_EVENTTYPE.BESTSOLFOUND, self)

        def eventexit(self):
            self.model.dropEvent(pyscipopt.SCIP_EVENTTYPE.BESTSOLFOUND, self)

        def eventexec(self, event):
            sol = self.model.getBestSol()
            values = np.array([self.model.getSolVal(sol, c) for c in cols])
            if on_solution(values):
                stop[0] = True
                self.model.interruptSolve()

    return BestSolution()
