"""`ingest --follow` stopped (Ctrl-C, SIGTERM) as it says `following …`: the line written, the
stop is one while it follows (`stopped`, exit 0, the database its check made kept), not one in
its checks (`stopped before reading anything: nothing was written`, exit 130 or 143, that
database removed). Stopped again once stopped in its checks: test_ingest_second_stop.

Run from the real entry point (`refscope`), the signal sent as the named function returns (the
line written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, _log, _signalled_at_call
from tests.ingest.test_stop_after_the_work import SIGNALS

ARGS = ["ingest", "log.ndjson", "--follow", "--interval", "60", "--db", "r.duckdb"]


@SIGNALS
@pytest.mark.parametrize("at", ["rich/console.py:print:return", "ingest/terminal.py:say:return"],
                         ids=["printed", "said"])  # fmt: skip
def test_follow_stopped_as_it_says_following_stops_as_it_does_while_following(
    tmp_path: Path, at: str, sig: int, code: int
) -> None:
    _log(tmp_path, "log.ndjson")
    done = _signalled_at_call(at, sig, *ARGS, cwd=tmp_path, entry=ENTRIES["refscope"])
    lines = done.stderr.splitlines()
    assert (done.returncode, done.stdout, lines[1:]) == (0, "", ["stopped"]), done.stderr
    assert lines[0] == "following log.ndjson every 60 s (Ctrl-C stops)"
    assert (tmp_path / "r.duckdb").exists()  # its check made it; the next round reads into it
