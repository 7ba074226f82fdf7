"""`refscope ingest`, with and without --follow, stopped again (Ctrl-C, SIGTERM) once its
first stop is taken, as it says what that stop leaves: it ends with that one line, said once,
exit 130 or 143, not click's "Aborted!" (exit 1), a KeyboardInterrupt traceback or an end
without a word (-15).

Run from the real entry point (`refscope`): the first stop as it first imports
ingest.migrations (opening the database, before its run began), the second as the named
function is first called once that stop is taken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_IMPORT, _clean_env, _log
from tests.ingest.test_follow_second_stop import SIGNAL_AGAIN
from tests.ingest.test_stop_after_the_work import SIGNALS

ARGS = ["ingest", "log.ndjson", "--db", "r.duckdb"]
FOLLOW = ["--follow", "--interval", "60"]
NOTHING = "stopped before reading anything: nothing was written"


@SIGNALS
@pytest.mark.parametrize(
    "at",
    ["click/utils.py:echo", "ingest/cli_stop.py:restore", "ingest/cli_stop.py:own_stops"],
    ids=["saying-it", "putting-back", "ending"],
)
@pytest.mark.parametrize("follow", [[], FOLLOW], ids=["run", "follow"])
def test_ingest_stopped_again_as_it_says_its_stop_ends_with_one_line(
    tmp_path: Path, at: str, follow: list[str], sig: int, code: int
) -> None:
    _log(tmp_path, "log.ndjson")
    file, name = at.split(":")
    again = SIGNAL_AGAIN.format(name=name, file=file, sig=sig, event="call",
                                entry=ENTRIES["refscope"])  # fmt: skip
    first = SIGNAL_AT_IMPORT.format(module="ingest.migrations", sig=sig, entry=again)
    args = [sys.executable, "-c", first, *ARGS, *follow]
    done = subprocess.run(args, cwd=tmp_path, env=_clean_env(), capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", NOTHING + "\n")
    assert not (tmp_path / "r.duckdb").exists()
