"""`refscope rebuild` while other commands write the old database: the old file is locked only
while the rebuild reads it (its inputs' check, the carry of its rows, the pruned lines' check),
not while it reads the logs. A forget or a prune committed after the carry was not in the new
file: the person's rows came back from the logs, and the pruned rows with them. Such a rebuild
fails now, its new file removed, saying which command ran; an ingest meanwhile is no reason."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline
from ingest import rebuild as rebuild_mod
from tests.conftest import Query
from tests.factories import DAY, T0
from tests.ingest.cli_setup import _run_refscope
from tests.ingest.rebuild_setup import failed_then_carried, prune, run_rebuild

PERSON = "u1"  # in both runs of the old database, and not forgotten there
HELD = "SELECT count(*) FROM events WHERE psid = ?"
# Another process writing the database, as a forget or a prune would (without waiting for it).
_WRITER = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('CREATE TABLE slipped (i INT)')"


def _forget(db_file: Path) -> None:
    """`refscope forget` of PERSON in a process of its own."""
    res = _run_refscope("forget", PERSON, "--db", str(db_file), cwd=db_file.parent)
    assert res.returncode == 0, res.stdout + res.stderr


def _failed_then_carried(
    old: Path, monkeypatch: pytest.MonkeyPatch, command: str, left: str, *params: Any
) -> None:
    """A rebuild of old while the hooks set run command there: no row that left (a count)
    finds is in its new file, because it fails whole, saying so. Run again, it carries what
    the command did."""
    new = failed_then_carried(old, monkeypatch, f"`refscope {command}` ran")
    assert Query(new).scalar(left, *params) == 0


def test_a_forget_committed_after_the_carry_leaves_no_row_of_the_person_in_the_new_file(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Query(old).scalar(HELD, PERSON) > 0
    real = pipeline.run

    def forgotten_meanwhile(*args: Any, **kw: Any) -> pipeline.IngestResult:
        _forget(old)  # the old file is not locked while the logs are read
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "run", forgotten_meanwhile)
    _failed_then_carried(old, monkeypatch, "forget", HELD, PERSON)


def test_a_prune_committed_after_the_last_read_of_the_old_file_leaves_no_pruned_row_either(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = (f.utc(T0) + dt.timedelta(days=2)).date()  # the fixture pruned a day earlier
    day = dt.datetime.combine(later, dt.time())
    before = "SELECT count(*) FROM events WHERE ts < ?"
    assert Query(old).scalar(before, day) > 0
    real = rebuild_mod._drop_pruned_lines

    def pruned_meanwhile(*args: Any) -> None:
        real(*args)
        prune(old, later)  # another connection, once the rebuild closed the old file's last

    monkeypatch.setattr(rebuild_mod, "_drop_pruned_lines", pruned_meanwhile)
    _failed_then_carried(old, monkeypatch, "prune", before, day)


def test_a_forget_before_the_carry_is_carried_and_an_ingest_after_it_is_no_reason_to_fail(
    old: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the inputs' check and the carry (the old file closed in between), a forget is
    carried with the rest. An ingest into the old file after the carry (a `--follow` ingest
    runs all the time) changes nothing the rebuild carried: the new file is written."""
    real_rebuild, real_run = rebuild_mod.rebuild, pipeline.run
    line = f.delivery(f.message("new here", psid="u9", ts=T0 + 3 * DAY))
    log = f.write_ndjson(tmp_path / "logs" / "c.ndjson", [line])

    def forgotten_first(*args: Any, **kw: Any) -> rebuild_mod.Rebuilt:
        _forget(old)
        return real_rebuild(*args, **kw)

    def ingested_meanwhile(*args: Any, **kw: Any) -> pipeline.IngestResult:
        res = _run_refscope("ingest", str(log), "--db", str(old), cwd=tmp_path)
        assert res.returncode == 0, res.stdout + res.stderr
        return real_run(*args, **kw)

    monkeypatch.setattr(rebuild_mod, "rebuild", forgotten_first)
    monkeypatch.setattr(pipeline, "run", ingested_meanwhile)
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert Query(new).scalar(HELD, PERSON) == 0
    assert Query(old).scalar(HELD, "u9") == 1
    assert Query(new).scalar(HELD, "u9") == 0  # read after the rebuild's inputs were found
    assert Query(new).scalar("SELECT count(*) FROM forgotten") == 2  # the fixture's, this one


def test_no_forget_or_prune_commits_between_the_last_check_and_the_new_files_name(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old file is compared again, and stays locked until NEW is named: a forget or a prune
    committed after that comparison would be lost as well."""
    real = rebuild_mod.check_out
    tried: list[subprocess.CompletedProcess[str]] = []

    def written_meanwhile(old_file: Path, out: Path, *, work: bool = True) -> None:
        if not work:  # the last check before the rename
            args = [sys.executable, "-c", _WRITER, str(old_file)]
            tried.append(subprocess.run(args, capture_output=True, text=True, check=False))
        real(old_file, out, work=work)

    monkeypatch.setattr(rebuild_mod, "check_out", written_meanwhile)
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    (writer,) = tried
    assert writer.returncode != 0 and "lock" in writer.stderr, writer.stderr
    assert "slipped" not in Query(old).tables()
