"""Two fresh databases syncing into one new lake at the same moment, in two processes: each read
no owner in the manifest, each took the lake for its own, and each deleted the partitions of the
other (its database does not hold them) or its staging folder. Both could end with exit 0, the
lake holding both databases' rows or one database's under the other's name. Now exactly one
claims the lake; the other is refused, nothing written, and keeps its run."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from ingest import db, lake, lake_manifest, lake_owner, pipeline
from ingest.errors import LakeError
from tests.ingest.lake_setup import at_once, days_log, psids_in_database, psids_in_lake

ROUNDS = 5  # without the claim, none of 10 rounds ended with one owner and one refusal


def _database(folder: Path, first_day: int) -> Path:
    """A database of 3 events, never synced to a lake (no id yet)."""
    pipeline.run([str(days_log(folder / "logs", first_day))], folder / "refscope.duckdb")
    return folder / "refscope.duckdb"


def _id_and_psids(db_file: Path) -> tuple[str, list[str]]:
    con = db.connect(db_file, read_only=True)
    try:
        row = con.execute("SELECT any_value(id) FROM database_id").fetchone()
    finally:
        con.close()
    return str(row[0] if row else None), psids_in_database(db_file)


def _race(base: Path, templates: list[Path]) -> tuple[list[subprocess.CompletedProcess[str]], Path]:
    """Both databases (fresh copies of templates) sync into one new lake, started together."""
    lake_dir, commands = base / "lake", []
    for n, template in enumerate(templates):
        db_file = base / f"db{n}" / "refscope.duckdb"
        db_file.parent.mkdir(parents=True)
        shutil.copy(template, db_file)
        commands.append(["ingest", str(template.parent / "logs"), "--db", str(db_file),
                         "--lake", str(lake_dir), "--no-progress"])  # fmt: skip
    return at_once(base, *commands), lake_dir


def test_two_databases_claiming_a_new_lake_at_once_one_writes_it_the_other_is_refused(
    tmp_path: Path,
) -> None:
    templates = [_database(tmp_path / "a", 0), _database(tmp_path / "b", 10)]
    for r in range(ROUNDS):
        base = tmp_path / f"round{r}"
        base.mkdir()
        runs, lake_dir = _race(base, templates)
        codes = sorted(run.returncode for run in runs)
        assert codes == [0, 1], [(run.returncode, run.stderr[-500:]) for run in runs]
        winner = next(n for n, run in enumerate(runs) if run.returncode == 0)
        refusal = runs[1 - winner].stderr.strip().splitlines()
        assert len(refusal) == 1 and refusal[0].startswith("Error: "), refusal
        assert "written by another database" in refusal[0] and lake.MANIFEST in refusal[0]
        assert "Traceback" not in runs[winner].stderr, runs[winner].stderr
        own_id, own_psids = _id_and_psids(base / f"db{winner}" / "refscope.duckdb")
        manifest = json.loads((lake_dir / lake.MANIFEST).read_text())
        assert manifest[lake_owner.KEY] == own_id
        assert psids_in_lake(lake_dir) == own_psids  # the winner's rows, all of them, and no other
        assert not lake.is_stale(lake_dir, base / f"db{winner}" / "refscope.duckdb")
        # The refused database keeps its run; at its next run it is refused again.
        other = base / f"db{1 - winner}" / "refscope.duckdb"
        _, other_psids = _id_and_psids(other)
        assert len(other_psids) == 3 and not set(other_psids) & set(own_psids)
        with pytest.raises(LakeError, match="written by another database"):
            pipeline.run([], other, lake_dir=lake_dir)
        assert psids_in_lake(lake_dir) == own_psids


def test_without_hard_links_the_manifest_is_created_once_by_an_exclusive_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system without hard links (a mounted bucket) refuses os.link with EPERM."""

    def no_links(*_: object) -> None:
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / lake.MANIFEST
    assert lake_manifest.create(path, {lake_owner.KEY: "a"})
    assert not lake_manifest.create(path, {lake_owner.KEY: "b"})
    assert lake_manifest.read(path) == {lake_owner.KEY: "a"}
    assert [p.name for p in tmp_path.iterdir()] == [lake.MANIFEST]  # no temporary file left


def test_a_manifest_created_but_not_yet_written_is_read_once_written(tmp_path: Path) -> None:
    """The exclusive create's file is empty until its one write: read as it is, a claim under
    way was a damaged manifest."""
    path = tmp_path / lake.MANIFEST
    path.touch()
    writer = threading.Timer(0.2, path.write_text, [json.dumps({lake_owner.KEY: "a"})])
    writer.start()
    try:
        assert lake_manifest.read(path) == {lake_owner.KEY: "a"}
    finally:
        writer.join()
