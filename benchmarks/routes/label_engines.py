"""Routes: labelling model by engine (flow = HiGHS SCF, scip-flow, scip-lazy)."""
import sys, time, os, dataclasses
sys.path.insert(0, os.getcwd())
from benchmarks import instances
import solver
from solver.problem import build_problem
from solver.outcome import Outcome
from solver.one_k import run_heuristic
from solver import label_strategy
from solver.tuning import DEFAULT_TUNING

state, engine, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
level = sys.argv[4] if len(sys.argv) > 4 else "county"
ref = instances.cut_edge_reference()[(state, level)]
g = instances.read_json_graph(instances.cut_edge_instance_path(state, level), population_attr="TOTPOP")
total = sum(d["TOTPOP"] for _, d in g.nodes(data=True))
low, high = instances.population_band(total, ref["k"])
spec = solver.Spec(max_population=high, min_population=low, districts=ref["k"], objective="cut-edges",
                   population_attr="TOTPOP", group_attr=None, time_limit_s=limit)
tuning = dataclasses.replace(DEFAULT_TUNING, label_engine=engine)
t0 = time.monotonic()
problem = build_problem(g, spec)
out = Outcome(k=ref["k"])
run_heuristic(problem, spec, out, deadline=t0 + 5)
label_strategy.recombine(problem, spec, out, deadline=t0 + 10, max_steps=4000)
print("warm", out.candidate.objective, round(time.monotonic() - t0, 1), flush=True)
label_strategy.run_label(problem, spec, out, deadline=t0 + limit, tuning=tuning)
for a in out.attempts[2:]:
    print(a.stage.value, a.status.value, a.time_s, a.objective, a.bound, a.detail, dict(a.figures))
print(f"RESULT {state} {engine} obj={out.candidate.objective} bound={out.bound} total={time.monotonic()-t0:.1f}s published={ref['opt_with_contiguity']}", flush=True)
