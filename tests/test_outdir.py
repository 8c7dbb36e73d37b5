"""A run's folder: a rerun replaces only what a run wrote (manifest with checksums), never the user's files;
a failure, an interruption or a crash leaves no staging folder and no half-written mix; ordinary permissions."""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys

import geopandas as gpd
import pytest
from shapely.geometry import Point

from redistrict import errors, outdir
from redistrict.errors import UsageError
from redistrict.outdir import MANIFEST, check_target, is_complete, read_manifest, staged_output


def write_run(out, files: dict[str, str], **kwargs):
    """One fake run that writes ``files`` ({relative path: text}) through the staging folder."""
    with staged_output(out, planned=[p for p in files if "/" not in p], **kwargs) as staging:
        for rel, text in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_text(text, encoding="utf-8")
    return out


def visible(folder) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}


def test_rerun_replaces_only_what_a_run_wrote(tmp_path):
    out = tmp_path / "run"
    write_run(out, {"run.json": "1", "map.html": "one", "plan_option2.geojson": "2", "shapefile/units.shp": "s"})
    assert is_complete(out)
    # the user's own files: a QGIS project, a Word review, a corrected input in a subfolder
    (out / "project.qgz").write_bytes(b"qgis")
    (out / "审阅意见.docx").write_bytes(b"word")
    (out / "shapefile" / "my_notes.txt").write_text("mine", encoding="utf-8")
    write_run(out, {"run.json": "2", "map.html": "two"})
    assert visible(out) == {"run.json", "map.html", "project.qgz", "审阅意见.docx", "shapefile/my_notes.txt"}
    assert (out / "map.html").read_text(encoding="utf-8") == "two"
    assert (out / "project.qgz").read_bytes() == b"qgis" and (out / "审阅意见.docx").read_bytes() == b"word"
    manifest = read_manifest(out)
    assert manifest["state"] == "complete" and set(manifest["files"]) == {"run.json", "map.html"}
    assert not [p for p in out.iterdir() if p.name.startswith(".redistrict-staging")]


def test_a_file_that_is_not_the_runs_stops_the_run_before_any_work(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "map.html").write_text("the user's own map", encoding="utf-8")
    with pytest.raises(UsageError, match=r"map\.html is not a file an earlier run wrote"):
        check_target(out, planned=["map.html", "run.json"])
    with pytest.raises(UsageError, match="map.html"):
        write_run(out, {"run.json": "1", "map.html": "ours"})
    assert (out / "map.html").read_text(encoding="utf-8") == "the user's own map"
    assert visible(out) == {"map.html"}


def test_an_output_edited_by_the_user_is_not_overwritten(tmp_path):
    out = write_run(tmp_path / "run", {"run.json": "1", "assignment.csv": "a,b"})
    (out / "assignment.csv").write_text("a,b\nedited in Excel", encoding="utf-8")
    with pytest.raises(UsageError, match="assignment.csv was changed after the earlier run wrote it"):
        write_run(out, {"run.json": "2", "assignment.csv": "new"})
    assert (out / "assignment.csv").read_text(encoding="utf-8") == "a,b\nedited in Excel"
    assert not is_complete(out)  # a folder whose files are not all as written is not a finished run to skip


def test_an_input_the_rerun_reads_survives(tmp_path):
    out = write_run(tmp_path / "run", {"run.json": "1", "map.html": "one"})
    corrected = out / "estates_corrected.geojson"
    corrected.write_text("{}", encoding="utf-8")
    write_run(out, {"run.json": "2", "map.html": "two"}, inputs=[str(corrected)])
    assert corrected.read_text(encoding="utf-8") == "{}"
    # an input sitting where the run writes is refused, naming it
    with pytest.raises(UsageError, match="also reads as an input"):
        write_run(out, {"run.json": "3", "map.html": "three"}, inputs=[str(out / "map.html")])
    assert (out / "map.html").read_text(encoding="utf-8") == "two"


def test_a_hostile_manifest_cannot_delete_files_outside(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "run"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"state": "complete", "files": {
        "../victim.txt": outdir._digest(victim), str(victim): outdir._digest(victim)}}), encoding="utf-8")
    write_run(out, {"run.json": "1"})
    assert victim.read_text(encoding="utf-8") == "precious"


def test_failure_leaves_the_folder_as_it_was(tmp_path):
    missing = tmp_path / "new" / "deeper"
    with pytest.raises(RuntimeError):
        with staged_output(missing) as staging:
            (staging / "map.html").write_text("half", encoding="utf-8")
            raise RuntimeError("solver crashed")
    assert not (tmp_path / "new").exists()  # the folders this run created are gone too
    out = write_run(tmp_path / "run", {"run.json": "1"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        with staged_output(out) as staging:
            (staging / "run.json").write_text("2", encoding="utf-8")
            raise KeyboardInterrupt
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_signal_a_library_swallowed_still_stops_the_commit(tmp_path, monkeypatch):
    """highspy catches the exception a signal raises inside its MIP callbacks and finishes normally: the
    signal is on record, so the run's files are not moved into place."""
    out = write_run(tmp_path / "run", {"run.json": "1"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(errors, "RECEIVED_SIGNALS", [2])
    with pytest.raises(errors.Interrupted) as caught:
        with staged_output(out) as staging:
            (staging / "run.json").write_text("2", encoding="utf-8")
    assert caught.value.signum == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in out.iterdir() if p.name.startswith(".redistrict-staging-")]


def test_a_crash_while_moving_files_leaves_a_manifest_that_tells(tmp_path, monkeypatch):
    out = write_run(tmp_path / "run", {"run.json": "1", "map.html": "one", "old.geojson": "x"})
    real_replace = os.replace
    moved = []

    def crash_after_one(source, target):
        if str(target).endswith(MANIFEST):
            return real_replace(source, target)
        if moved:
            raise OSError("disk pulled")
        moved.append(target)
        return real_replace(source, target)

    monkeypatch.setattr(outdir.os, "replace", crash_after_one)
    with pytest.raises(OSError):
        write_run(out, {"map.html": "two", "run.json": "2"})
    monkeypatch.setattr(outdir.os, "replace", real_replace)
    manifest = read_manifest(out)
    assert manifest["state"] == "replacing"
    assert set(manifest["files"]) == {"map.html", "run.json"} and "old.geojson" in manifest["previous"]
    assert not is_complete(out)
    # the next run knows every file there is the tool's (old or new content) and finishes the job
    write_run(out, {"run.json": "3", "map.html": "three"})
    assert visible(out) == {"run.json", "map.html"} and is_complete(out)


def test_ordinary_permissions_not_700(tmp_path):
    previous = os.umask(0o022)
    try:
        out = write_run(tmp_path / "a" / "run", {"run.json": "1", "shapefile/units.shp": "s"})
    finally:
        os.umask(previous)
    assert (out.stat().st_mode & 0o777) == 0o755
    assert ((out / "shapefile").stat().st_mode & 0o777) == 0o755
    assert ((out / "run.json").stat().st_mode & 0o777) == 0o644
    assert ((out / MANIFEST).stat().st_mode & 0o777) == 0o644


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    left = out / f".redistrict-staging-{outdir._host()}-{int(dead.stdout)}-deadbeef"
    (left / "sub").mkdir(parents=True)
    (left / "sub" / "plan.gpkg").write_bytes(b"half")
    running = out / f".redistrict-staging-{outdir._host()}-{os.getppid()}-cafe"  # a live process's
    running.mkdir()
    write_run(out, {"run.json": "1"})
    assert not left.exists()
    assert running.exists()


def test_unwritable_or_impossible_out_is_refused_before_work(tmp_path):
    afile = tmp_path / "a file"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match=r"--out .*a file.* is a file"):
        check_target(afile)
    with pytest.raises(UsageError, match="which is a file"):
        with staged_output(afile / "run"):
            pytest.fail("the block must not run")
    if os.geteuid() != 0:  # root writes anywhere: the permission case is only real for other users
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(UsageError, match="cannot"):
            with staged_output(locked / "run"):
                pytest.fail("the block must not run")


def test_gis_files_are_written_under_paths_with_bang_and_spaces(tmp_path):
    """pyogrio reads '!' as an archive separator: the staging folder is reached so GDAL writes it as given."""
    out = tmp_path / "方案 A!" / "第 1 稿!"
    with staged_output(out, planned=["plan.gpkg"]) as staging:
        frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(0, 0)], crs=4547)
        frame.to_file(staging / "plan.gpkg", layer="units", driver="GPKG", engine="pyogrio")
    with contextlib.closing(sqlite3.connect(out / "plan.gpkg")) as db:  # pyogrio cannot read it back by that path
        assert db.execute("select name from units").fetchall() == [("x",)]
    assert visible(out) == {"plan.gpkg"}


def test_a_linked_subfolder_cannot_lead_writes_or_deletions_outside(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = write_run(tmp_path / "run", {"run.json": "1", "shapefile/units.shp": "s"})
    (out / "shapefile" / "units.shp").rename(elsewhere / "units.shp")  # same content, now outside
    (out / "shapefile").rmdir()
    (out / "shapefile").symlink_to(elsewhere, target_is_directory=True)
    write_run(out, {"run.json": "2"})  # the stale entry points through the link: left alone
    assert (elsewhere / "units.shp").read_text(encoding="utf-8") == "s"
    (elsewhere / "units.shp").unlink()
    with pytest.raises(UsageError, match="leads out of the folder"):
        write_run(out, {"run.json": "3", "shapefile/units.shp": "t"})
    assert not (elsewhere / "units.shp").exists()
    assert (out / "run.json").read_text(encoding="utf-8") == "2" and is_complete(out)  # refused before moving
