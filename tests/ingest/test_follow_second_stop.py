"""`ingest --follow` stopped (Ctrl-C, SIGTERM), then stopped again as it ends: the second stop
ends it with one line saying what it left, exit 130 or 143, as any command stopped once its work
is done; not click's "Aborted!", a KeyboardInterrupt traceback, nor an end without a word (-15).

Run from the real entry point (`refscope`): the first stop is sent once its first round is read,
the second as the named function of its way out is first called, or returns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, SIGNAL_AT_CALL, _clean_env, _log
from tests.ingest.test_cli_follow import _stderr_until
from tests.ingest.test_stop_after_the_work import SIGNALS

# As cli_setup's SIGNAL_AT_CALL, the second signal sent at the named function, but watched for
# only once the first stop is taken: every handler refscope sets for Ctrl-C and SIGTERM first
# turns the watch on. Watching all along, the first stop could land in the watch itself, which
# Python then drops.
WATCH_ONCE_STOPPED = """
import signal
set_handler = signal.signal
def watching(sig, handler):
    if sig in (signal.SIGINT, signal.SIGTERM) and callable(handler):
        taken = handler
        def handler(signum, frame):
            sys.setprofile(signal_at)
            return taken(signum, frame)
    return set_handler(sig, handler)
signal.signal = watching
"""
SIGNAL_AGAIN = SIGNAL_AT_CALL.replace("sys.setprofile(signal_at)\n", WATCH_ONCE_STOPPED)
assert SIGNAL_AGAIN != SIGNAL_AT_CALL  # the watch in place of watching all along
SAID = (
    "stopped: what was committed stays; the next `refscope ingest` of these logs reads on "
    "from there"
)


def _stopped_twice(tmp_path: Path, at: str, sig: int) -> subprocess.CompletedProcess[str]:
    """`ingest --follow` sent sig once it follows, and sig again at `at` ("file:function")."""
    _log(tmp_path, "log.ndjson")
    file, name, *event = at.split(":")
    code = SIGNAL_AGAIN.format(name=name, file=file, sig=sig, event=(event or ["call"])[0],
                                 entry=ENTRIES["refscope"])  # fmt: skip
    args = ["ingest", "log.ndjson", "--follow", "--interval", "60", "--db", "r.duckdb"]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=tmp_path,
                            env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        said = _stderr_until(proc, "following")
        assert proc.stdout is not None and proc.stdout.readline()  # its first round's summary
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    return subprocess.CompletedProcess(args, proc.returncode, out, said + err)


@SIGNALS
@pytest.mark.parametrize(
    ("at", "said"),
    [
        ("rich/console.py:print", [SAID]),  # before its "stopped" is written
        ("ingest/cli_stop.py:restore", ["stopped", SAID]),
        ("ingest/cli.py:_follow:return", ["stopped", SAID]),
        ("ingest/cli_stop.py:own_stops", ["stopped", SAID]),
    ],
    ids=["saying-stopped", "putting-back", "returning", "ending"],
)
def test_follow_stopped_again_as_it_ends_says_what_it_left(
    tmp_path: Path, at: str, said: list[str], sig: int, code: int
) -> None:
    done = _stopped_twice(tmp_path, at, sig)
    assert "Traceback" not in done.stderr and "Aborted" not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert (done.returncode, lines[-len(said) :]) == (code, said), done.stderr
    assert lines[0].startswith("following") and len(lines) == 1 + len(said), done.stderr
