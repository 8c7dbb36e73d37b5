"""City-scale runs: find every community over the profile's limit and split each one as an independent job,
on local processes or on a Dask cluster (both through the ``concurrent.futures.Executor`` interface)."""
from __future__ import annotations

import contextlib
import csv
import json
import logging
import re
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from tqdm import tqdm

import boundaries
from maps.cells import spreadsheet_cell
from redistrict.config import SplitConfig
from redistrict.errors import InfeasibleError, NoSolutionError, UsageError
from redistrict.outdir import RUN_MARKER
from redistrict.pipeline import load_checked, resolve_profile, run_split, split_rule
from redistrict.terminal import visible

log = logging.getLogger(__name__)

SUMMARY_FIELDS = ("community_id", "community", "population", "households", "status", "districts",
                  "plan_status", "gap", "minimum_proven", "max_district", "runtime_s", "folder", "message")


@dataclass(frozen=True)
class JobResult:
    community_id: str
    community: str
    population: float
    households: float
    status: str            # done | skipped | failed | infeasible | no-solution
    folder: str
    districts: int | None = None
    plan_status: str | None = None
    gap: float | None = None
    minimum_proven: bool | None = None
    max_district: float | None = None
    runtime_s: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class BatchResult:
    out_dir: Path
    jobs: tuple[JobResult, ...]
    runtime_s: float

    @property
    def failed(self) -> list[JobResult]:
        return [j for j in self.jobs if j.status not in ("done", "skipped")]


def oversized_communities(layers: boundaries.Layers, config: SplitConfig) -> list[dict[str, Any]]:
    """Communities whose size exceeds the profile's limit (or --cap), largest first, ties by id."""
    attr, cap = split_rule(config, resolve_profile(config))
    totals = boundaries.community_totals(layers)
    over = totals[totals[attr] > cap].sort_values([attr, "community_id"], ascending=[False, True])
    return [{"community_id": str(r.community_id), "community": str(r.name), "population": float(r.population),
             "households": float(r.households)} for r in over.itertuples()]


def folder_name(community_id: str, name: str) -> str:
    """A folder name that is safe on Windows and Linux and still readable (Chinese kept)."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", name).strip("._") or "community"
    return f"{re.sub(r'[^0-9A-Za-z_-]+', '_', community_id)}_{safe}"


def run_batch(config: SplitConfig, *, jobs: int = 2, scheduler: str | None = None,
              progress: bool = True) -> BatchResult:
    """Split every oversized community; one failure never stops the others; finished ones are skipped."""
    clock = time.perf_counter()
    layers, _ = load_checked(config)
    targets = oversized_communities(layers, config)
    out_dir = Path(config.out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("%d communities over the limit", len(targets))
    results: list[JobResult] = []
    pending = []
    for target in targets:
        folder = out_dir / folder_name(target["community_id"], target["community"])
        done = _finished(folder, config)
        if done is not None:
            results.append(JobResult(**(target | {"status": "skipped", "folder": folder.name} | done)))
        else:
            pending.append((target, folder))
    if pending:
        with _executor(jobs=jobs, scheduler=scheduler) as executor:
            futures = {executor.submit(split_one, config, t["community_id"], str(f)): (t, f) for t, f in pending}
            bar = tqdm(total=len(futures), unit="community", disable=not progress, file=sys.stderr,
                       desc="splitting")
            for future in as_completed(futures):
                target, folder = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a crashed worker is one community's failure, not the batch's
                    outcome = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
                result = JobResult(**(target | {"folder": folder.name} | outcome))
                results.append(result)
                bar.update()
                if progress:
                    detail = (f"{result.districts} new communities, {result.runtime_s:.1f} s" if result.districts
                              else result.message.splitlines()[0] if result.message else "")
                    bar.write(visible(f"{result.community}: {result.status} ({detail})"), file=sys.stderr)
            bar.close()
    results.sort(key=lambda r: (-r.population, r.community_id))
    batch = BatchResult(out_dir=out_dir, jobs=tuple(results), runtime_s=round(time.perf_counter() - clock, 2))
    write_summary(batch, layers, config)
    return batch


def split_one(config: SplitConfig, community_id: str, folder: str) -> dict[str, Any]:
    """One job (runs in a worker process or on a Dask worker): split one community, report the outcome."""
    start = time.perf_counter()
    try:
        checked = _cached_layers(config)
        result = run_split(config.with_overrides(community=community_id, out=folder), checked=checked,
                           progress=lambda message: log.debug(message))
    except InfeasibleError as exc:
        return {"status": "infeasible", "message": str(exc), "runtime_s": _since(start)}
    except NoSolutionError as exc:
        return {"status": "no-solution", "message": str(exc), "runtime_s": _since(start)}
    except (UsageError, boundaries.InputError) as exc:
        return {"status": "failed", "message": str(exc), "runtime_s": _since(start)}
    plan = result.plan
    return {"status": "done", "districts": plan.districts, "plan_status": plan.status, "gap": plan.gap,
            "minimum_proven": plan.minimum_proven,
            "max_district": max(s["population"] for s in result.options[0].stats), "runtime_s": _since(start)}


_LAYER_CACHE: dict[str, Any] = {}


def _cached_layers(config: SplitConfig):
    """Each worker reads the city once, not once per community."""
    key = json.dumps({k: config.to_dict()[k] for k in ("inputs", "fields", "source_crs", "datum", "encoding")},
                     sort_keys=True, ensure_ascii=False)
    if key not in _LAYER_CACHE:
        _LAYER_CACHE.clear()
        _LAYER_CACHE[key] = load_checked(config)
    return _LAYER_CACHE[key]


def _finished(folder: Path, config: SplitConfig) -> dict[str, Any] | None:
    """The outcome of an earlier run with the same settings in ``folder``, if there is one."""
    marker = folder / RUN_MARKER
    if not marker.is_file():
        return None
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    ours = _comparable(config.to_scenario())
    theirs = _comparable(record.get("scenario", {}))
    if config.date is None:
        theirs.get("run", {}).pop("date", None)  # a date the run took from its data is not a setting
    if theirs != ours:
        return None
    option = record["options"][0]
    return {"districts": option["plan"]["districts"], "plan_status": option["plan"]["status"],
            "gap": option["plan"]["gap"], "minimum_proven": option["plan"]["minimum_proven"],
            "max_district": option["metrics"]["max_population"], "message": "finished in an earlier run"}


def _comparable(scenario: dict[str, Any]) -> dict[str, Any]:
    scenario = json.loads(json.dumps(scenario))
    scenario.get("output", {}).pop("out", None)
    scenario.get("run", {}).pop("community", None)
    return scenario


@contextlib.contextmanager
def _executor(*, jobs: int, scheduler: str | None) -> Iterator[Executor]:
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed: pip install 'dask[distributed]'") from None
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
    else:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            yield pool


def write_summary(batch: BatchResult, layers: boundaries.Layers, config: SplitConfig) -> None:
    """summary.csv (Excel-ready), summary.json and a city overview (summary.html)."""
    rows = [asdict(job) for job in batch.jobs]
    with (batch.out_dir / "summary.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS, extrasaction="ignore")
        writer.writeheader()
        # names from the data must not run as formulas in Excel/WPS: text cells are formula-safe
        writer.writerows({key: spreadsheet_cell(value) for key, value in row.items()} for row in rows)
    payload = {"runtime_s": batch.runtime_s, "communities": rows,
               "counts": {s: sum(1 for r in rows if r["status"] == s)
                          for s in ("done", "skipped", "failed", "infeasible", "no-solution")}}
    (batch.out_dir / "summary.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    _write_overview(batch, layers, config)


def _write_overview(batch: BatchResult, layers: boundaries.Layers, config: SplitConfig) -> None:
    import maps

    status = {job.community_id: job for job in batch.jobs}
    frame = layers.communities.copy()
    totals = boundaries.community_totals(layers).set_index("community_id")
    frame["population"] = frame["community_id"].map(totals["population"]).fillna(0.0)
    frame["households"] = frame["community_id"].map(totals["households"]).fillna(0.0)
    frame["status"] = frame["community_id"].map(lambda c: status[c].status if c in status else "within limit")
    frame["districts"] = frame["community_id"].map(lambda c: status[c].districts if c in status else None)
    frame["folder"] = frame["community_id"].map(lambda c: status[c].folder if c in status else "")
    maps.write_city_overview(batch.out_dir, frame, title=f"{len(batch.jobs)} communities over the limit")


def summary_lines(batch: BatchResult) -> Sequence[str]:
    counts: dict[str, int] = {}
    for job in batch.jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    lines = [f"{len(batch.jobs)} oversized communities in {batch.runtime_s:.1f} s: "
             + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))]
    lines += [f"  {job.community}: {job.status} — {job.message}" for job in batch.failed]
    lines.append(f"summary: {batch.out_dir / 'summary.csv'}, {batch.out_dir / 'summary.html'}")
    return lines


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)
