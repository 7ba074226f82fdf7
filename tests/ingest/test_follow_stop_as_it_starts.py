"""`ingest --follow` stopped (Ctrl-C, SIGTERM) as it says `following …`: the line written, the
stop is one while it follows (`stopped`, exit 0, the database its check made kept), not one in
its checks (`stopped before reading anything: nothing was written`, exit 130 or 143, that
database removed); and stopped again once stopped in its checks, it ends with that one line
and exit 130 or 143, not click's "Aborted!", a traceback or an end without a word (-15).

Run from the real entry point (`refscope`), the signal sent as the named function returns (the
line written), or, in the checks, as it first imports ingest.migrations (opening the database),
then again as the named function is first called once that stop is taken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_IMPORT, _clean_env, _log, _signalled_at_call
from tests.ingest.test_follow_second_stop import SIGNAL_AGAIN
from tests.ingest.test_stop_after_the_work import SIGNALS

ARGS = ["ingest", "log.ndjson", "--follow", "--interval", "60", "--db", "r.duckdb"]
NOTHING = "stopped before reading anything: nothing was written"


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


@SIGNALS
@pytest.mark.parametrize(
    "at",
    ["click/utils.py:echo", "ingest/cli_stop.py:restore", "ingest/cli_stop.py:own_stops"],
    ids=["saying-it", "putting-back", "ending"],
)
def test_follow_stopped_again_once_stopped_in_its_checks_ends_with_one_line(
    tmp_path: Path, at: str, sig: int, code: int
) -> None:
    _log(tmp_path, "log.ndjson")
    file, name = at.split(":")
    again = SIGNAL_AGAIN.format(name=name, file=file, sig=sig, event="call",
                                entry=ENTRIES["refscope"])  # fmt: skip
    first = SIGNAL_AT_IMPORT.format(module="ingest.migrations", sig=sig, entry=again)
    done = subprocess.run([sys.executable, "-c", first, *ARGS], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", NOTHING + "\n")
    assert not (tmp_path / "r.duckdb").exists()
