"""A run's folder: written into a staging folder first, then moved into place file by file, replacing only
what an earlier run wrote.

The folder's ``.redistrict-manifest.json`` lists every file a run wrote with its SHA-256. A rerun into the
same folder replaces or removes only files the manifest lists *and* whose content is still what the run
wrote; every other file (a QGIS project, a Word review, a corrected input the rerun reads, an output the
user edited) is left untouched. A run refuses (``UsageError``, exit 2, before any solving) when it would
have to overwrite such a file.

While files move, the manifest says ``replacing`` and lists both the earlier and the new files, so a crash
at any moment leaves a folder whose manifest still tells which files are the tool's. Staging folders are
hidden (``.redistrict-staging-…``) inside the output folder; one left behind by a killed process is removed
by the next run into the same folder.
"""
from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import secrets
import shutil
import socket
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Mapping

from redistrict.errors import UsageError, raise_if_signalled

MANIFEST = ".redistrict-manifest.json"
RUN_MARKER = "run.json"
_STAGING_PREFIX = ".redistrict-staging-"


class FolderState(str, enum.Enum):
    """What the manifest says about its folder."""

    COMPLETE = "complete"        # every listed file is in place
    REPLACING = "replacing"      # a run was moving files in: both lists are the tool's


def read_manifest(out_dir: Path) -> dict:
    """The manifest of ``out_dir`` ({} when there is none or it cannot be read); entries that point
    outside the folder are dropped (the manifest is a file like any other: never trusted with a path)."""
    try:
        record = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict):
        return {}
    cleaned = {"state": record.get("state")}
    for key in ("files", "previous"):
        entries = record.get(key)
        cleaned[key] = ({rel: sha for rel, sha in entries.items() if _safe_relative(rel) and isinstance(sha, str)}
                        if isinstance(entries, dict) else {})
    return cleaned


def is_complete(out_dir: Path) -> bool:
    """True when ``out_dir`` holds a finished run whose files are all as the run wrote them."""
    manifest = read_manifest(out_dir)
    if manifest.get("state") != FolderState.COMPLETE.value or RUN_MARKER not in manifest["files"]:
        return False
    return all(_digest(out_dir / rel) == sha for rel, sha in manifest["files"].items())


def check_target(out_dir: str | Path, *, planned: Iterable[str] = (), inputs: Iterable[str] = (),
                 flag: str = "--out") -> Path:
    """Refuse, before any work is done, an output folder the run cannot or must not write into.

    ``planned``: the file names (relative) the run will write; ``inputs``: the files it reads.
    """
    out_dir = Path(out_dir).absolute()
    for ancestor in (out_dir, *out_dir.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                where = "is a file" if ancestor == out_dir else f"is inside {ancestor}, which is a file"
                raise UsageError(f"{flag} {out_dir} {where}, not a folder; choose a folder")
            break
    out_dir = out_dir.resolve()
    if out_dir.is_dir():
        owned = _owned(out_dir)
        inputs_here = {Path(p).resolve() for p in inputs if p}
        for rel in sorted(set(planned) | set(owned)):
            path = out_dir / rel
            if path in inputs_here:
                raise UsageError(f"{flag} {out_dir}: the run would replace {path}, which it also reads as an "
                                 "input; move that input out of the folder or choose another folder")
        for rel in sorted(set(planned)):
            _refuse_foreign(out_dir, rel, owned, flag)
    return out_dir


@contextlib.contextmanager
def staged_output(out_dir: str | Path, *, planned: Iterable[str] = (), inputs: Iterable[str] = (),
                  flag: str = "--out") -> Iterator[Path]:
    """Yield an empty staging folder (created now, so an unwritable ``--out`` fails before any work);
    when the block ends normally its files are moved into ``out_dir``; on any exception (Ctrl-C, a
    SIGTERM turned into an exception, a crash) the staging folder is removed and ``out_dir`` is as it
    was, including not existing."""
    planned = tuple(planned)
    out_dir = check_target(out_dir, planned=planned, inputs=inputs, flag=flag)
    created = _make_folders(out_dir, flag)
    remove_stale_staging(out_dir)
    staging = _new_staging(out_dir, flag)
    view = _gdal_safe_view(staging)
    try:
        yield view
        raise_if_signalled()   # a signal that a solver library swallowed still stops the commit
        commit(staging, out_dir, flag=flag)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # deepest first: only folders this run made, and only when still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if view != staging:
            shutil.rmtree(view.parent, ignore_errors=True)  # the link and its folder, never the target


def commit(staging: Path, out_dir: Path, *, flag: str = "--out") -> dict[str, str]:
    """Move every file of ``staging`` into ``out_dir``, remove the earlier run's files the new one does not
    rewrite, and record the new manifest. Returns {relative path: sha256} of the files written."""
    previous = read_manifest(out_dir)
    owned = _owned(out_dir, previous)
    new = {path.relative_to(staging).as_posix(): _digest(path)
           for path in sorted(staging.rglob("*")) if path.is_file()}
    for rel in new:  # every check before the first file moves
        _refuse_foreign(out_dir, rel, owned, flag)
        if not _inside(out_dir, (out_dir / rel).parent):
            raise UsageError(f"{flag} {out_dir}: {(out_dir / rel).parent} leads out of the folder (a link); "
                             "remove it")
    earlier = {rel: shas for rel, shas in owned.items() if _digest(out_dir / rel) in shas}
    _write_manifest(out_dir, FolderState.REPLACING, new,
                    previous={rel: _digest(out_dir / rel) for rel in earlier})
    for rel in new:
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, target)
    for rel in sorted(set(earlier) - set(new), reverse=True):
        path = out_dir / rel
        if _inside(out_dir, path.parent):  # never through a link to somewhere else
            path.unlink(missing_ok=True)
            _remove_empty_parents(path.parent, out_dir)
    _write_manifest(out_dir, FolderState.COMPLETE, new)
    return new


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove staging folders in ``out_dir`` left by runs that no longer exist (killed, power lost)."""
    removed = []
    if not out_dir.is_dir():
        return removed
    host = _host()
    for path in out_dir.glob(f"{_STAGING_PREFIX}*"):
        owner_host, _, rest = path.name[len(_STAGING_PREFIX):].partition("-")
        pid_text = rest.split("-", 1)[0]
        if owner_host != host or not pid_text.isdigit() or _alive(int(pid_text)):
            continue  # another machine's run, or one still running
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _owned(out_dir: Path, manifest: Mapping | None = None) -> dict[str, set[str]]:
    """{relative path: checksums the tool wrote there} from the manifest (both lists while replacing)."""
    manifest = read_manifest(out_dir) if manifest is None else manifest
    owned: dict[str, set[str]] = {}
    for key in ("files", "previous"):
        for rel, sha in manifest.get(key, {}).items():
            owned.setdefault(rel, set()).add(sha)
    return owned


def _refuse_foreign(out_dir: Path, rel: str, owned: Mapping[str, set[str]], flag: str) -> None:
    path = out_dir / rel
    if not path.exists() and not path.is_symlink():
        return
    if path.is_symlink() or not path.is_file():
        raise UsageError(f"{flag} {out_dir}: {path} is in the way (not a file this tool wrote); move it "
                         "or choose another folder")
    if rel not in owned:
        raise UsageError(f"{flag} {out_dir}: {path} is not a file an earlier run wrote (no manifest entry); "
                         "the run would replace it, so it stops: move the file or choose another folder")
    if _digest(path) not in owned[rel]:
        raise UsageError(f"{flag} {out_dir}: {path} was changed after the earlier run wrote it; the run "
                         "would replace it, so it stops: rename or move the file, or choose another folder")


def _write_manifest(out_dir: Path, state: FolderState, files: Mapping[str, str], *,
                    previous: Mapping[str, str] | None = None) -> None:
    record = {"tool": "redistrict", "state": state.value, "files": dict(sorted(files.items()))}
    if previous:
        record["previous"] = dict(sorted(previous.items()))
    temporary = out_dir / f"{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, out_dir / MANIFEST)  # atomic: the manifest is always whole


def _make_folders(out_dir: Path, flag: str) -> list[Path]:
    """Create ``out_dir`` and missing parents with ordinary permissions; return the ones created, deepest first."""
    missing = [p for p in (out_dir, *out_dir.parents) if not p.exists()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    return missing


def _new_staging(out_dir: Path, flag: str) -> Path:
    # os.mkdir, not tempfile.mkdtemp: the folder and the files moved out of it get the umask's permissions
    staging = out_dir / f"{_STAGING_PREFIX}{_host()}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        staging.mkdir()
        probe = staging / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"{flag} {out_dir}: cannot write there ({exc.strerror or exc})") from None
    return staging


def _gdal_safe_view(staging: Path) -> Path:
    """A path to ``staging`` that GDAL writes to as given. pyogrio reads ``!`` in a path as an archive
    separator (``data.zip!layer.shp``), so a folder such as ``方案!`` is reached through a symbolic link in
    the temporary folder instead (not needed on Windows, where pyogrio keeps such paths)."""
    if "!" not in str(staging) or os.name == "nt":
        return staging
    holder = Path(tempfile.mkdtemp(prefix="redistrict-"))
    view = holder / "staging"
    view.symlink_to(staging, target_is_directory=True)
    return view


def _remove_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _inside(out_dir: Path, folder: Path) -> bool:
    resolved = folder.resolve()
    return resolved == out_dir or out_dir in resolved.parents


def _safe_relative(rel: object) -> bool:
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel:
        return False
    parts = PurePosixPath(rel).parts
    return not PurePosixPath(rel).is_absolute() and all(p not in ("..", ".", "") for p in parts) \
        and parts[0] != MANIFEST and not parts[0].startswith(_STAGING_PREFIX)


def _digest(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _host() -> str:
    return "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would end the process, not probe it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_writable_file(path: str | Path, *, flag: str) -> Path:
    """Refuse, before any work, a single output file (``--json``, ``solve --out``) that cannot be written."""
    path = Path(path).absolute()
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise UsageError(f"{flag} {path}: the folder {folder} {what}; create it or choose another path")
    probe = folder / f".{path.name}.{os.getpid()}.probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {folder} ({exc.strerror or exc})") from None
    return path


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to a sibling temporary file, then rename it over ``path``: never half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
