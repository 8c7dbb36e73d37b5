"""City-scale batch: a generated city of 250 communities (40 oversized) split end to end.

    python benchmarks/bench_batch.py [--communities 250] [--oversized 40] [--jobs 2] [--time-limit 60]

Target (issue 6): under 10 minutes on 2 cores, every plan verified (the pipeline verifies each plan before
writing it; this script re-reads every written folder and checks caps, contiguity and conservation again).
Numbers go to stdout and to benchmarks/results/batch.json.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.ops import unary_union

from redistrict.batch import JobStatus, run_batch
from redistrict.config import SplitConfig
from redistrict.sample.city import generate_city

RESULTS = Path(__file__).resolve().parent / "results"


def recheck(folder: Path, cap: float) -> list[str]:
    """Problems found by reading a community's folder back (empty = fine)."""
    units = gpd.read_file(folder / "plan.gpkg", layer="units")
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    problems = []
    sizes = units.groupby("district")["population"].sum()
    if (sizes > cap).any():
        problems.append(f"over the cap: {sizes[sizes > cap].to_dict()}")
    for district, part in units.groupby("district"):
        if unary_union(part.geometry.buffer(2.6)).geom_type != "Polygon":
            problems.append(f"district {district} is not contiguous")
    if not record["population_conserved"]:
        problems.append("population not conserved")
    if not units["unit_id"].is_unique:
        problems.append("a unit appears twice")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=250)
    parser.add_argument("--oversized", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per community")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        paths = generate_city(Path(tmp) / "city", communities=args.communities, oversized=args.oversized,
                              seed=args.seed)
        generated_s = time.perf_counter() - start
        config = SplitConfig(inputs={k: str(v) for k, v in paths.items()}, time_limit_s=args.time_limit,
                             out=str(Path(tmp) / "batch"))
        start = time.perf_counter()
        result = run_batch(config, jobs=args.jobs, progress=True)
        batch_s = time.perf_counter() - start
        problems = {job.community: recheck(result.out_dir / job.folder, 30_000)
                    for job in result.jobs if job.status in (JobStatus.DONE, JobStatus.SKIPPED)}
    oversized = [job for job in result.jobs if job.status is not JobStatus.NOT_NEEDED]
    jobs = pd.DataFrame([job.to_dict() for job in oversized])
    summary = {
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {args.jobs} worker processes",
        "communities": args.communities, "oversized_found": len(oversized),
        "generate_s": round(generated_s, 1), "batch_s": round(batch_s, 1), "target_s": 600,
        "statuses": jobs["status"].value_counts().to_dict(),
        "plan_statuses": jobs["plan_status"].value_counts(dropna=True).to_dict(),
        "proven_optimal": int((jobs["plan_status"] == "optimal").sum()),
        "max_gap": None if jobs["gap"].dropna().empty else float(jobs["gap"].dropna().max()),
        "slowest_community_s": float(jobs["runtime_s"].max()),
        "verified_again": sum(1 for p in problems.values() if not p),
        "problems": {k: v for k, v in problems.items() if v},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\ncity of {args.communities} communities, {len(oversized)} oversized, {args.jobs} workers")
    print(f"  generated in {generated_s:.1f} s; batch in {batch_s:.1f} s (target < 600 s)")
    print(f"  outcomes: {summary['statuses']}; plans: {summary['plan_statuses']}; max gap {summary['max_gap']}")
    print(f"  re-verified from the written files: {summary['verified_again']} of {len(problems)}")
    for name, found in summary["problems"].items():
        print(f"  PROBLEM {name}: {'; '.join(found)}")


if __name__ == "__main__":
    main()
