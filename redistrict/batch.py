"""City-scale runs: find every community over the profile's limit and split each one as an independent job,
on local processes or on a Dask cluster (both through the ``concurrent.futures.Executor`` interface)."""
from __future__ import annotations

import contextlib
import csv
import enum
import hashlib
import json
import logging
import os
import re
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from tqdm import tqdm

import boundaries
from maps import OutputError
from maps.cells import spreadsheet_cell
from solver.errors import SpecError
from redistrict.config import SplitConfig
from redistrict.errors import InfeasibleError, NoSolutionError, NoSplitNeeded, UsageError
from redistrict.fingerprint import community_fingerprint
from redistrict.outdir import RUN_MARKER, check_target, is_complete
from redistrict.pipeline import inspect_inputs, resolve_profile, run_split, split_rule
from redistrict.terminal import visible
from redistrict.triage import Triage, triage_errors

log = logging.getLogger(__name__)

SUMMARY_FIELDS = ("community_id", "community", "population", "households", "status", "districts",
                  "plan_status", "gap", "minimum_proven", "max_district", "folder", "message")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


class JobStatus(str, enum.Enum):
    """What the batch did with one community."""

    DONE = "done"
    SKIPPED = "skipped"            # finished by an earlier run with the same data, settings and program
    NOT_NEEDED = "not needed"      # within the size rule, or nobody lives there
    FAILED = "failed"              # its data or the run failed: the message says why
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no-solution"

    @property
    def ok(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.SKIPPED, JobStatus.NOT_NEEDED)


@dataclass(frozen=True)
class JobResult:
    community_id: str
    community: str
    population: float
    households: float
    status: JobStatus
    folder: str
    districts: int | None = None
    plan_status: str | None = None
    gap: float | None = None
    minimum_proven: bool | None = None
    max_district: float | None = None
    runtime_s: float = 0.0
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"status": self.status.value}


@dataclass(frozen=True)
class BatchResult:
    out_dir: Path
    jobs: tuple[JobResult, ...]
    runtime_s: float

    @property
    def failed(self) -> list[JobResult]:
        return [j for j in self.jobs if not j.status.ok]


def oversized_communities(layers: boundaries.Layers, config: SplitConfig) -> list[dict[str, Any]]:
    """Communities whose size exceeds the profile's limit (or --cap), largest first, ties by id."""
    attr, cap = split_rule(config, resolve_profile(config))
    totals = boundaries.community_totals(layers)
    over = totals[totals[attr] > cap].sort_values([attr, "community_id"], ascending=[False, True])
    return [_target(r) for r in over.itertuples()]


def folder_name(community_id: str) -> str:
    """The result folder of a community: its id (never its name, which may repeat or hold anything), made
    safe on Windows and Linux; an id that had to be changed gets a short hash so that two never meet."""
    safe = re.sub(r"[^0-9A-Za-z_-]+", "_", community_id).strip("_-")[:60] or "community"
    if safe != community_id or safe.upper() in _WINDOWS_RESERVED:
        safe = f"{safe}-{hashlib.sha256(community_id.encode()).hexdigest()[:8]}"
    return safe


def run_batch(config: SplitConfig, *, jobs: int = 2, scheduler: str | None = None,
              progress: bool = True) -> BatchResult:
    """Split every oversized community; a community whose own data is bad, or whose run fails, fails alone;
    communities finished by an earlier run with the same data, settings and program are skipped.

    Raises ``InputError`` (before any work) for problems of the whole city's data, ``UsageError`` for an
    unusable output folder."""
    clock = time.perf_counter()
    out_dir, created = _prepare_out_dir(config.out)
    try:
        layers, report = inspect_inputs(config)  # with --repair, repaired first
        for problem in report.warnings:
            log.warning("%s", problem)
        triage = triage_errors(layers, report)
        if triage.citywide:
            raise boundaries.InputError(list(triage.citywide))
        results, pending = _sort_communities(layers, triage, config, out_dir)
        log.info("%d communities over the limit, %d to split", len(pending) + sum(
            r.status is JobStatus.SKIPPED for r in results), len(pending))
        results += _run_jobs(config, pending, jobs=jobs, scheduler=scheduler, progress=progress)
    except BaseException:
        if created:  # refused or interrupted: leave no empty folder behind (the jobs removed their own)
            with contextlib.suppress(OSError):
                out_dir.rmdir()
        raise
    results.sort(key=lambda r: (r.status is JobStatus.NOT_NEEDED, -r.population, r.community_id))
    batch = BatchResult(out_dir=out_dir, jobs=tuple(results), runtime_s=round(time.perf_counter() - clock, 2))
    write_summary(batch, layers, config)
    return batch


def _sort_communities(layers: boundaries.Layers, triage: Triage, config: SplitConfig,
                      out_dir: Path) -> tuple[list[JobResult], list[tuple[dict, Path, str]]]:
    """Every community's fate before any solving: failed (its own data), not needed, skipped (finished
    with the same fingerprint), or pending (target, folder, fingerprint)."""
    attr, cap = split_rule(config, resolve_profile(config))
    results, pending = [], []
    for row in boundaries.community_totals(layers).itertuples():
        target = _target(row)
        community_id = target["community_id"]
        size = float(getattr(row, attr))
        if community_id in triage.by_community:
            message = "\n".join(str(p).removeprefix("error: ") for p in triage.by_community[community_id])
            results.append(JobResult(**target, status=JobStatus.FAILED, folder="", message=message))
        elif size <= cap:
            results.append(JobResult(**target, status=JobStatus.NOT_NEEDED, folder="",
                                     message=str(NoSplitNeeded(target["community"], size, cap, attr))))
        else:
            folder = out_dir / folder_name(community_id)
            fingerprint = community_fingerprint(layers, community_id, config)
            done = _finished(folder, fingerprint)
            if done is not None:
                results.append(JobResult(**target, status=JobStatus.SKIPPED, folder=folder.name, **done))
            else:
                pending.append((target, folder, fingerprint))
    return results, pending


def _run_jobs(config: SplitConfig, pending: list, *, jobs: int, scheduler: str | None,
              progress: bool) -> list[JobResult]:
    results: list[JobResult] = []
    if not pending:
        return results
    with _executor(jobs=jobs, scheduler=scheduler) as executor:
        futures = {executor.submit(split_one, config, t["community_id"], str(f), fp): (t, f)
                   for t, f, fp in pending}
        bar = tqdm(total=len(futures), unit="community", disable=not progress, file=sys.stderr,
                   desc="splitting")
        for future in as_completed(futures):
            target, folder = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # a crashed worker is one community's failure, not the batch's
                outcome = {"status": JobStatus.FAILED, "message": f"{type(exc).__name__}: {exc}"}
            written = outcome["status"] is JobStatus.DONE
            result = JobResult(**(target | {"folder": folder.name if written else ""} | outcome))
            results.append(result)
            bar.update()
            if progress:
                detail = (f"{result.districts} new communities, {result.runtime_s:.1f} s" if result.districts
                          else result.message.splitlines()[0] if result.message else "")
                bar.write(visible(f"{result.community}: {result.status.value} ({detail})"),
                          file=sys.stderr)
        bar.close()
    return results


def split_one(config: SplitConfig, community_id: str, folder: str, fingerprint: str) -> dict[str, Any]:
    """One job (runs in a worker process or on a Dask worker): split one community, report the outcome."""
    start = time.perf_counter()
    try:
        checked = _cached_layers(config)
        result = run_split(config.with_overrides(community=community_id, out=folder), checked=checked,
                           progress=lambda message: log.debug(message),
                           record={"batch": {"fingerprint": fingerprint}})
    except NoSplitNeeded as exc:
        return {"status": JobStatus.NOT_NEEDED, "message": str(exc), "runtime_s": _since(start)}
    except InfeasibleError as exc:
        return {"status": JobStatus.INFEASIBLE, "message": str(exc), "runtime_s": _since(start)}
    except NoSolutionError as exc:
        return {"status": JobStatus.NO_SOLUTION, "message": str(exc), "runtime_s": _since(start)}
    except (UsageError, boundaries.InputError, OutputError, SpecError) as exc:
        return {"status": JobStatus.FAILED, "message": str(exc), "runtime_s": _since(start)}
    plan = result.plan
    return {"status": JobStatus.DONE, "districts": plan.districts, "plan_status": plan.status, "gap": plan.gap,
            "minimum_proven": plan.minimum_proven,
            "max_district": max(s["population"] for s in result.options[0].stats), "runtime_s": _since(start)}


_LAYER_CACHE: dict[str, Any] = {}


def _cached_layers(config: SplitConfig):
    """Each worker reads the city once, not once per community. Errors in other communities' data were
    sorted out by the batch before this job was sent: what is left for a job is warnings."""
    key = json.dumps({k: config.to_dict()[k] for k in ("inputs", "fields", "source_crs", "datum", "encoding")},
                     sort_keys=True, ensure_ascii=False)
    if key not in _LAYER_CACHE:
        _LAYER_CACHE.clear()
        layers, report = inspect_inputs(config)  # with --repair, repaired first
        _LAYER_CACHE[key] = (layers, boundaries.ValidationReport(report.warnings))
    return _LAYER_CACHE[key]


def _prepare_out_dir(out: str) -> tuple[Path, bool]:
    """The batch folder, created (ordinary permissions) and proven writable before any work; and whether
    this run created it."""
    out_dir = check_target(out)
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".redistrict-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--out {out_dir}: cannot write there ({exc.strerror or exc})") from None
    return out_dir, created


def _target(row: Any) -> dict[str, Any]:
    return {"community_id": str(row.community_id), "community": str(row.name), "population": float(row.population),
            "households": float(row.households)}


def _finished(folder: Path, fingerprint: str) -> dict[str, Any] | None:
    """The outcome of an earlier run in ``folder`` when it is complete, untouched, and was made from the same
    data, settings and program (the fingerprint); None otherwise."""
    if not is_complete(folder):
        return None
    try:
        record = json.loads((folder / RUN_MARKER).read_text(encoding="utf-8"))
        if record.get("batch", {}).get("fingerprint") != fingerprint:
            return None
        option = record["options"][0]
        return {"districts": option["plan"]["districts"], "plan_status": option["plan"]["status"],
                "gap": option["plan"]["gap"], "minimum_proven": option["plan"]["minimum_proven"],
                "max_district": option["metrics"]["max_population"], "message": "finished in an earlier run"}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


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
        pool = ProcessPoolExecutor(max_workers=max(1, jobs))
        try:
            yield pool
        except BaseException:
            # Ctrl-C or SIGTERM: stop the workers now (each one's SIGTERM removes its staging folder)
            # instead of waiting for every running solve to finish
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


def write_summary(batch: BatchResult, layers: boundaries.Layers, config: SplitConfig) -> None:
    """summary.csv (Excel-ready), summary.json and a city overview (summary.html)."""
    rows = [job.to_dict() for job in batch.jobs]
    with (batch.out_dir / "summary.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS, extrasaction="ignore")
        writer.writeheader()
        # names from the data must not run as formulas in Excel/WPS: text cells are formula-safe
        writer.writerows({key: spreadsheet_cell(value) for key, value in row.items()} for row in rows)
    payload = {"runtime_s": batch.runtime_s, "communities": rows,
               "counts": {s.value: sum(1 for job in batch.jobs if job.status is s) for s in JobStatus}}
    (batch.out_dir / "summary.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    _write_overview(batch, layers, config)


def _write_overview(batch: BatchResult, layers: boundaries.Layers, config: SplitConfig) -> None:
    import maps

    status = {job.community_id: job for job in batch.jobs}
    frame = layers.communities.copy()
    ids = frame["community_id"].astype(str)
    frame["population"] = ids.map(lambda c: status[c].population if c in status else 0.0)
    frame["households"] = ids.map(lambda c: status[c].households if c in status else 0.0)
    frame["status"] = ids.map(lambda c: status[c].status.value if c in status else JobStatus.NOT_NEEDED.value)
    frame["districts"] = ids.map(lambda c: status[c].districts if c in status else None)
    frame["folder"] = ids.map(lambda c: status[c].folder if c in status else "")
    frame["message"] = ids.map(lambda c: status[c].message if c in status and not status[c].status.ok else "")
    split = sum(1 for job in batch.jobs if job.status is not JobStatus.NOT_NEEDED)
    maps.write_city_overview(batch.out_dir, frame, title=f"{split} communities over the limit or failed")


def summary_lines(batch: BatchResult) -> Sequence[str]:
    counts: dict[str, int] = {}
    for job in batch.jobs:
        counts[job.status.value] = counts.get(job.status.value, 0) + 1
    lines = [f"{len(batch.jobs)} communities in {batch.runtime_s:.1f} s: "
             + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))]
    lines += [f"  {job.community} ({job.community_id}): {job.status.value} — {job.message}"
              for job in batch.failed]
    lines.append(f"summary: {batch.out_dir / 'summary.csv'}, {batch.out_dir / 'summary.html'}")
    return lines


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)
