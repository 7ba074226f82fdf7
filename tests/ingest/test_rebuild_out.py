"""`refscope rebuild`: the new file is written whole or not at all (a target refused, a stop,
a kill, a file put there meanwhile)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from ingest import pipeline
from tests.ingest.paced_ingest import HOLDING, Paced
from tests.ingest.rebuild_setup import every_row, run_rebuild


def test_a_target_that_exists_or_is_the_database_itself_is_refused(old: Path) -> None:
    there = old.with_name("there.duckdb")
    there.write_bytes(b"keep me")
    res = run_rebuild("--db", str(old), "--out", str(there))
    assert res.exit_code == 1 and "already there" in res.output
    assert there.read_bytes() == b"keep me"
    res = run_rebuild("--db", str(old), "--out", str(old))
    assert res.exit_code == 1 and "that is the database to rebuild" in res.output
    # Its write-ahead log's name: the next write to the database would delete the new file.
    res = run_rebuild("--db", str(old), "--out", str(old) + ".wal")
    assert res.exit_code == 1 and "write-ahead log of the database to rebuild" in res.output
    assert not old.with_name(old.name + ".wal").exists()
    res = run_rebuild("--db", str(old.with_name("none.duckdb")), "--out", str(there) + "2")
    assert res.exit_code == 1 and "no database to rebuild" in res.output


@pytest.mark.parametrize("name", ["new.duckdb", "new.duckdb.wal", "new.duckdb.partial"])
def test_a_link_to_no_file_under_a_name_of_the_new_file_is_refused_and_kept(
    old: Path, name: str
) -> None:
    """A link whose file is not there (a disk not mounted, a file moved) was taken for no file:
    the rebuild wrote its new file and replaced the link with it, or wrote through the link."""
    new = old.with_name("new.duckdb")
    link, target = old.with_name(name), old.parent / "unmounted" / "refscope.duckdb"
    link.symlink_to(target)
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1, res.output
    words = " ".join(res.output.split())
    why = "already there" if name != "new.duckdb.partial" else "left by a rebuild"
    assert f"{link}: {why}" in words, words
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert sorted(p.name for p in old.parent.glob("new.duckdb*")) == [name]
    assert not target.parent.exists()


def test_a_path_with_a_backslash_is_refused_before_anything_is_written(
    old: Path, tmp_path: Path
) -> None:
    """DuckDB reads a backslash as a folder separator: `--out 'new\\'` failed at its work file
    (`new\\.partial` opened as `new/.partial`: no such folder), and `--db 'db\\'` of ingest
    wrote a database named `db`. Both are refused, saying why, and nothing is made."""
    before = sorted(p.name for p in old.parent.iterdir())
    res = run_rebuild("--db", str(old), "--out", str(old.with_name("new\\")))
    assert res.exit_code == 1, res.output
    words = " ".join(res.output.split())
    assert "new\\: a backslash in a database's path: DuckDB reads it as a folder" in words, words
    assert sorted(p.name for p in old.parent.iterdir()) == before
    log = f.write_ndjson(tmp_path / "in" / "a.ndjson", [f.delivery(f.message("hi"))])
    res = CliRunner().invoke(cli, ["ingest", str(log), "--db", str(tmp_path / "db\\")])
    assert res.exit_code == 1 and "a backslash in a database's path" in res.output, res.output
    assert not (tmp_path / "db").exists() and not (tmp_path / "db\\").exists()


def test_a_write_ahead_log_left_by_a_rebuild_that_did_not_finish_is_refused_too(
    old: Path,
) -> None:
    # Its .partial removed but not its log: the new file would start by replaying it.
    new = old.with_name("new.duckdb")
    stale = old.with_name("new.duckdb.partial.wal")
    stale.write_bytes(b"left behind")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert f"{stale}: left by a rebuild that did not finish" in " ".join(res.output.split())
    assert stale.read_bytes() == b"left behind"
    assert list(old.parent.glob("new.duckdb*")) == [stale]


def test_a_file_put_under_the_new_name_while_rebuilding_is_not_replaced(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = old.with_name("new.duckdb")
    real = pipeline.run

    def meanwhile(*args: Any, **kw: Any) -> pipeline.IngestResult:
        done = real(*args, **kw)
        new.write_bytes(b"put there meanwhile")  # another rebuild, a copy, an editor
        return done

    monkeypatch.setattr(pipeline, "run", meanwhile)
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert f"{new}: already there" in " ".join(res.output.split())
    assert new.read_bytes() == b"put there meanwhile"
    assert list(old.parent.glob("new.duckdb*")) == [new]


def test_a_rebuild_stopped_part_way_leaves_no_new_file(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline.run

    def stopped(*args: Any, **kw: Any) -> pipeline.IngestResult:
        real(*args, **kw)
        raise KeyboardInterrupt  # Ctrl-C once the run is written

    monkeypatch.setattr(pipeline, "run", stopped)
    new = old.with_name("new.duckdb")
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert not new.exists() and not new.with_name("new.duckdb.wal").exists()


def test_a_failed_rebuild_removes_the_folders_it_made_for_the_new_file(
    old: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failed(*args: Any, **kw: Any) -> pipeline.IngestResult:
        if (old.parent / "made").exists():
            (old.parent / "made" / "in" / "kept.txt").write_text("put there meanwhile")
        raise KeyboardInterrupt  # Ctrl-C part-way

    monkeypatch.setattr(pipeline, "run", failed)
    res = run_rebuild("--db", str(old), "--out", str(old.parent / "new" / "deep" / "r.duckdb"))
    assert res.exit_code == 1
    assert not (old.parent / "new").exists()
    # A folder that was there, and one that holds something else by then, stay.
    (old.parent / "made").mkdir()
    new = old.parent / "made" / "in" / "deeper" / "r.duckdb"
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert not new.parent.exists()
    assert [p.name for p in (old.parent / "made" / "in").iterdir()] == ["kept.txt"]
    monkeypatch.undo()
    res = run_rebuild("--db", str(old), "--out", str(old.parent / "new" / "r.duckdb"))
    assert res.exit_code == 0, res.output
    assert (old.parent / "new" / "r.duckdb").is_file()


def _rebuild_held(old: Path, new: Path) -> Paced:
    """A rebuild in small batches held inside the second batch of its ingest, its first one
    committed to the new file (paced_ingest.py): a stop or kill lands part-way however loaded
    the machine is."""
    env = {**os.environ, "REFSCOPE_INGEST_BATCH": "4MB"}
    args = ["rebuild", "--db", str(old), "--out", str(new)]
    return Paced(args, env, "in:2", stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_rebuild_stopped_by_a_signal_removes_its_file_and_says_so(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text("\n".join(f.big_log_lines(60_000)) + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    before = old.read_bytes()
    new = tmp_path / "new.duckdb"
    with _rebuild_held(old, new) as paced:
        returncode, text = paced.stopped(sig)
    assert returncode == code, text
    assert "Traceback" not in text
    assert f"stopped: {new} is not written" in " ".join(text.split())
    assert not new.exists() and not new.with_name("new.duckdb.wal").exists()
    assert list(tmp_path.glob("new.duckdb*")) == []
    assert old.read_bytes() == before


def test_a_rebuild_killed_part_way_leaves_no_file_under_the_new_name(tmp_path: Path) -> None:
    log = tmp_path / "webhooks.ndjson"
    log.write_text("\n".join(f.big_log_lines(60_000)) + "\n")
    old = tmp_path / "old.duckdb"
    pipeline.run([str(log)], old)
    new = tmp_path / "new.duckdb"
    work = new.with_name("new.duckdb.partial")
    with _rebuild_held(old, new) as paced:
        assert paced.wait_for(HOLDING), "the rebuild finished before the kill"
        paced.proc.kill()  # SIGKILL, a power cut: nothing runs to clean up
        paced.proc.communicate()
    # Nothing named new.duckdb to be moved into place as if whole; the next rebuild says why.
    assert not new.exists() and work.exists()
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 1
    assert f"{work}: left by a rebuild that did not finish" in " ".join(res.output.split())
    work.unlink()
    work.with_name(work.name + ".wal").unlink(missing_ok=True)
    res = run_rebuild("--db", str(old), "--out", str(new))
    assert res.exit_code == 0, res.output
    assert every_row(new) == every_row(old)
    assert list(tmp_path.glob("new.duckdb*")) == [new]


def test_the_mv_it_advises_moves_the_new_file_however_its_paths_are_named(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`mv NEW OLD` is the command to paste: with a space in a path (`My Drive`) or a `$` it was
    printed unquoted, and the shell moved nothing (`mv: target ... is not a directory`) or
    another file."""
    here = tmp_path / "My Drive $HOME" / "refscope"
    log = f.write_ndjson(here / "a.ndjson", [f.delivery(f.message("hi"))])
    old, new = here / "old's db.duckdb", here / "new db.duckdb"
    pipeline.run([str(log)], old)
    res = runner.invoke(cli, ["rebuild", "--db", str(old), "--out", str(new)])
    assert res.exit_code == 0, res.output
    mv = res.stderr.strip().splitlines()[-1].split("process running): ", 1)[1]
    done = subprocess.run(["sh", "-c", mv], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, (mv, done.stderr)
    assert not new.exists() and old.exists(), mv
    assert [p.name for p in here.iterdir() if p.suffix == ".duckdb"] == [old.name]
