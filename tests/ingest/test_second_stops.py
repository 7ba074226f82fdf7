"""A command stopped (Ctrl-C, SIGTERM), then stopped again as it says what the first stop
leaves (Stop.ends_saying): it ends with that one line, said once, exit 130 or 143, not click's
"Aborted!" (exit 1), a KeyboardInterrupt traceback or an end without a word (-15).

Run from the real entry point (`refscope`): the first stop as it first imports
ingest.migrations (opening a database, its own stop handler in force), the second as the named
function is first called once that stop is taken: as the line is said, as the handler is taken
down, as the process ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_IMPORT, _clean_env, _log, _run_refscope
from tests.ingest.test_follow_second_stop import SIGNAL_AGAIN
from tests.ingest.test_stop_after_the_work import SIGNALS

NOTHING = "stopped before reading anything: nothing was written"
# (its arguments, whether an ingest makes r.duckdb first, the line its first stop says)
COMMANDS = {
    "ingest": (["ingest", "log.ndjson", "--db", "r.duckdb"], False, NOTHING),
    "follow": (["ingest", "log.ndjson", "--db", "r.duckdb", "--follow", "--interval", "60"],
               False, NOTHING),
    "rebuild": (["rebuild", "--db", "r.duckdb", "--out", "new.duckdb"], True,
                "stopped: new.duckdb is not written (a rebuild is whole or nothing); r.duckdb "
                "is unchanged"),
    "prune": (["prune", "--older-than", "1d", "--db", "r.duckdb"], True,
              "stopped before pruning: nothing was written"),
}  # fmt: skip


@SIGNALS
@pytest.mark.parametrize(
    "at",
    ["click/utils.py:echo", "ingest/cli_stop.py:restore", "ingest/cli_stop.py:own_stops"],
    ids=["saying-it", "putting-back", "ending"],
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_stopped_again_as_it_says_its_stop_ends_with_one_line(
    tmp_path: Path, at: str, command: str, sig: int, code: int
) -> None:
    args, ingested, said = COMMANDS[command]
    _log(tmp_path, "log.ndjson")
    if ingested:
        made = _run_refscope("ingest", "log.ndjson", "--db", "r.duckdb", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    before = sorted(p.name for p in tmp_path.iterdir())
    file, name = at.split(":")
    again = SIGNAL_AGAIN.format(name=name, file=file, sig=sig, event="call",
                                entry=ENTRIES["refscope"])  # fmt: skip
    first = SIGNAL_AT_IMPORT.format(module="ingest.migrations", sig=sig, entry=again)
    done = subprocess.run([sys.executable, "-c", first, *args], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (code, "", said + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made, nothing left
