"""Write a run's folder all at once: into a hidden sibling first, then renamed, so that a failed run
leaves nothing behind and a reader never sees half a folder."""
from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from redistrict.errors import UsageError

RUN_MARKER = "run.json"


def check_target(out_dir: str | Path) -> Path:
    """Refuse, before any work is done, an output folder that must not be replaced."""
    out_dir = Path(out_dir).resolve()
    if out_dir.exists():
        if not out_dir.is_dir():
            raise UsageError(f"--out {out_dir} is a file, not a folder")
        if any(out_dir.iterdir()) and not (out_dir / RUN_MARKER).is_file():
            raise UsageError(f"--out {out_dir} already holds files that are not a redistrict run; "
                             "choose an empty or new folder")
    return out_dir


@contextlib.contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield a fresh folder to write into; on success it replaces ``out_dir``.

    An existing ``out_dir`` is replaced only when it holds an earlier run (a ``run.json``) or is empty:
    a folder of the user's own files is never deleted.
    """
    out_dir = check_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
