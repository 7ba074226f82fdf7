"""A lake that cannot be written (a full volume above all): one line naming the lake's folder and
the reason, no traceback; `ingest --follow` says it and syncs again at a later round."""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from ingest import cli as cli_module
from ingest import db, lake, pipeline
from ingest.errors import LakeError, RefscopeError
from tests import factories as f
from tests.conftest import Query
from tests.ingest.lake_setup import lake_views

FULL = Path("/dev/full")  # every write to it fails with ENOSPC, as on a full volume
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full here")

# The small table's file goes to /dev/full: DuckDB's own write fails as on a full volume.
_FULL_VOLUME = """
import sys
from ingest import lake
from ingest.cli import cli

sql_path = lake._sql_path
lake._sql_path = lambda p: "/dev/full" if p.name.startswith(".contact_days.") else sql_path(p)
cli(sys.argv[1:], prog_name="refscope")
"""


def _log(tmp_path: Path) -> Path:
    return f.write_ndjson(tmp_path / "logs" / "a.ndjson", [
        f.delivery(f.message(psid=f"700{n}", ts=f.T0 + n * f.DAY)) for n in range(3)
    ])  # fmt: skip


def _dot_entries(lake_dir: Path) -> list[str]:
    return sorted(p.name for p in lake_dir.rglob(".*"))


@needs_dev_full
def test_a_full_volume_is_one_line_naming_the_lake_and_the_next_run_catches_up(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """DuckDB's write failing with ENOSPC was a traceback (its IOException is no OSError)."""
    log, lake_dir = _log(tmp_path), tmp_path / "lake"
    args = ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)]
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_VOLUME, *args],
        cwd=Path(pipeline.__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip()
    assert message.startswith("Error: ") and len(message.splitlines()) == 1, message
    assert str(lake_dir) in message and "No space left on device" in message
    assert query.scalar("SELECT count(*) FROM events") == 3  # the database has the run
    assert _dot_entries(lake_dir) == []  # nothing unfinished left behind
    again = pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert again.files_read == 0 and again.lake is not None and again.lake.written > 0
    assert (lake_dir / lake.MANIFEST).exists() and _dot_entries(lake_dir) == []


@needs_dev_full
def test_follow_says_a_full_volume_and_syncs_the_lake_at_the_next_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, lake_dir, db_file = _log(tmp_path), tmp_path / "lake", tmp_path / "db.duckdb"
    sql_path, full = lake._sql_path, [True]

    def full_once(p: Path) -> str:
        if full[0] and p.name.startswith(".contact_days."):
            full[0] = False
            return str(FULL)
        return sql_path(p)

    monkeypatch.setattr(lake, "_sql_path", full_once)
    out, err = io.StringIO(), io.StringIO()
    cli_module._follow(Console(file=out, width=300), [str(log)], db_file, 0.1, None, lake_dir,
                       cycles=3, err_console=Console(file=err, width=300))  # fmt: skip
    assert not full[0]
    assert str(lake_dir) in err.getvalue() and "No space left on device" in err.getvalue()
    assert "reading again" in err.getvalue()  # the round after, the lake written (below)
    assert "reading again" not in out.getvalue() and "lake: " in out.getvalue(), out.getvalue()
    with lake_views(lake_dir) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (3,)


def test_an_os_error_writing_the_lake_is_a_lake_error_naming_the_folder(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, lake_dir = _log(tmp_path), tmp_path / "lake"
    pipeline.run([str(log)], db_path)

    def no_space(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(lake.os, "replace", no_space)
    con = db.connect(db_path)
    try:
        with pytest.raises(LakeError) as caught:
            lake.sync(con, lake_dir)
    finally:
        con.close()
    assert isinstance(caught.value, RefscopeError)
    assert str(lake_dir) in str(caught.value) and "No space left on device" in str(caught.value)
    assert _dot_entries(lake_dir) == []


def test_a_sync_names_its_unfinished_files_the_same_each_time(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No random part: what a crash leaves is what the next sync writes over or cleans."""
    log, lake_dir = _log(tmp_path), tmp_path / "lake"
    pipeline.run([str(log)], db_path)
    named: list[list[str]] = []
    sql_path = lake._sql_path
    monkeypatch.setattr(lake, "_sql_path", lambda p: named[-1].append(p.name) or sql_path(p))
    con = db.connect(db_path)
    try:
        for _ in range(2):
            named.append([])
            (lake_dir / lake.MANIFEST).unlink(missing_ok=True)  # everything written again
            lake.sync(con, lake_dir)
    finally:
        con.close()
    assert named[0] == named[1] and len(named[0]) > len(lake.WHOLE)
    assert all(n.startswith(".") for n in named[0])


def test_a_lake_path_with_a_backslash_is_refused_before_the_run(tmp_path: Path) -> None:
    """DuckDB reads a backslash as a folder separator: a lake at `lake\\` had its files written
    under `lake/` (beside another folder's, when one is there), found missing, and the sync
    failed after every run. The option is refused, saying why, before anything is read."""
    other = tmp_path / "lake"
    other.mkdir()
    db_file = tmp_path / "refscope.duckdb"
    args = ["ingest", str(_log(tmp_path)), "--db", str(db_file), "--lake", str(tmp_path / "lake\\")]
    res = CliRunner().invoke(cli_module.cli, args)
    assert res.exit_code == 2, res.output
    assert "a backslash in the lake's path: DuckDB reads it as a folder separator" in " ".join(
        res.output.split()
    ), res.output
    assert not db_file.exists() and list(other.iterdir()) == []
    assert not (tmp_path / "lake\\").exists()


@pytest.mark.parametrize("command", ["dashboard", "report"])
def test_reading_a_lake_at_a_path_with_a_backslash_is_refused_as_ingest_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """`ingest --lake` refuses a backslash, which DuckDB reads as a folder separator; `dashboard
    --lake` started Streamlit on it (every page then failed, the Parquet files not found under
    `my/lake/`) and `report --lake` ended in a traceback. Both now refuse it, saying why."""
    from dashboard.cli import cli

    lake_dir = tmp_path / "my\\lake"
    pipeline.run([str(_log(tmp_path))], tmp_path / "refscope.duckdb", lake_dir=tmp_path / "l")
    (tmp_path / "l").rename(lake_dir)
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execve", lambda _path, args, _env: started.append(args))
    args = {"dashboard": ["--port", "1"], "report": ["--out", str(tmp_path / "r.html")]}[command]
    res = CliRunner().invoke(cli, [command, "--lake", str(lake_dir), *args])
    assert res.exit_code == 2, (res.output, res.exception)
    words = " ".join(res.output.split())
    why = "a backslash in the lake's path: DuckDB reads it as a folder separator"
    assert f"{lake_dir}: {why}; give a path without one" in words, words
    assert started == [] and not (tmp_path / "r.html").exists()


def test_staged_partitions_gone_before_the_move_are_one_line_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, query: Query, db_path: Path
) -> None:
    """Partitions DuckDB wrote to the staging folder, removed by another process before they
    were moved into place (a second sync where the file system takes no locks), ended the
    ingest in a RuntimeError traceback ('lake: events partitions not written')."""
    log, lake_dir = _log(tmp_path), tmp_path / "lake"
    listed = Path.glob

    def removed_first(self: Path, pattern: str) -> Any:
        if self.name.startswith(".staging-") and pattern == "page_id=*/date=*":
            for folder in list(listed(self, "page_id=*")):
                shutil.rmtree(folder)
        return listed(self, pattern)

    monkeypatch.setattr(Path, "glob", removed_first)
    res = CliRunner().invoke(cli_module.cli, ["ingest", str(log), "--db", str(db_path),
                                              "--lake", str(lake_dir)])  # fmt: skip
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception
    words = " ".join(res.output.split())
    assert words.startswith(f"Error: {lake_dir}: the Parquet lake could not be written: "), words
    assert "events partitions written to" in words and "were gone before" in words, words
    assert "let one sync at a time write the lake" in words and "up to date" in words, words
    assert query.scalar("SELECT count(*) FROM events") == 3  # the database has the run
    monkeypatch.setattr(Path, "glob", listed)
    again = pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert again.lake is not None and again.lake.written > 0 and _dot_entries(lake_dir) == []
