"""A stopped command's cleanup of the database file it made (db_cleanup.no_empty_file_left) is
not cut short by a second Ctrl-C or SIGTERM: the stop waits until the empty file and its
write-ahead log are removed, then ends the command with its one line, exit 130 or 143.

The second stop landed as the cleanup opened the file to count its rows, and the empty
database stayed behind while the command said `nothing was written`. Run from the real entry
point (`refscope`): the first stop as it first imports ingest.migrations (the database just
made), the second as the named function of the cleanup is first called."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_IMPORT, _clean_env, _log
from tests.ingest.test_follow_second_stop import SIGNAL_AGAIN
from tests.ingest.test_stop_after_the_work import SIGNALS

NOTHING = "stopped before reading anything: nothing was written"


@SIGNALS
@pytest.mark.parametrize(
    "at",
    ["ingest/db_cleanup.py:drop_if_rowless", "ingest/db_cleanup.py:_peek",
     "ingest/db_cleanup.py:_holds_no_row:return"],
    ids=["removing", "opening", "counted"],
)  # fmt: skip
@pytest.mark.parametrize("follow", [[], ["--follow", "--interval", "60"]], ids=["run", "follow"])
def test_ingest_stopped_again_as_it_removes_the_database_it_made_removes_it(
    tmp_path: Path, at: str, follow: list[str], sig: int, code: int
) -> None:
    _log(tmp_path, "log.ndjson")
    file, name, *event = at.split(":")
    again = SIGNAL_AGAIN.format(name=name, file=file, sig=sig, event=(event or ["call"])[0],
                                entry=ENTRIES["refscope"])  # fmt: skip
    first = SIGNAL_AT_IMPORT.format(module="ingest.migrations", sig=sig, entry=again)
    args = ["ingest", "log.ndjson", *follow, "--db", "r.duckdb"]
    done = subprocess.run([sys.executable, "-c", first, *args], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", NOTHING + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.ndjson"]  # nor its .wal
