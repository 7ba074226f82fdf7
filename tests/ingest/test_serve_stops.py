"""`refscope serve` stopped (Ctrl-C, SIGTERM) as uvicorn starts: before uvicorn has set its own
handlers (its Config and Server being built, asyncio's loop made), the stop ends as one while
starting does, one line and exit 130 or 143, nothing received nor written; it was Python's or
uvicorn's own end (click's "Aborted!" and exit 1, a silent SIGTERM, a CancelledError traceback
and exit 3). Once uvicorn's handlers are set, the stop is uvicorn's as before: it shuts down,
then passes the stop on to the handlers from before refscope's start (exit 0 on Ctrl-C, the
default SIGTERM). Run from the real entry point (`refscope`), the signal sent as the named
function is first called."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.ingest.cli_setup import ENTRIES, _signalled_at_call
from tests.local_http import free_port

STARTING = "stopped while starting: nothing was written\n"
SIGNALS = pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
ENV = {"REFSCOPE_APP_SECRET": "secret", "REFSCOPE_VERIFY_TOKEN": "token"}


def _serve_signalled(tmp_path: Path, at: str, sig: int) -> tuple[int, str, str]:
    args = ("serve", "--port", str(free_port()), "--log-dir", "logs",
            "--db", str(tmp_path / "none.duckdb"))  # fmt: skip
    done = _signalled_at_call(at, sig, *args, cwd=tmp_path, env=ENV, entry=ENTRIES["refscope"])
    return done.returncode, done.stdout, done.stderr


@SIGNALS
@pytest.mark.parametrize(
    "at", ["uvicorn/config.py:__init__", "uvicorn/server.py:__init__",
           "uvicorn/server.py:capture_signals"],
    ids=["config", "server", "before-its-handlers"],
)  # fmt: skip
def test_serve_stopped_before_uvicorn_s_handlers_says_it_was_starting(
    tmp_path: Path, at: str, sig: int, code: int
) -> None:
    assert _serve_signalled(tmp_path, at, sig) == (code, "", STARTING)
    assert not any((tmp_path / "logs").glob("*"))


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 0), (signal.SIGTERM, -signal.SIGTERM)],
    ids=["ctrl-c", "sigterm"],
)  # fmt: skip
@pytest.mark.parametrize("at", ["uvicorn/server.py:_serve", "uvicorn/server.py:main_loop"])
def test_serve_stopped_once_uvicorn_s_handlers_are_set_shuts_down_as_uvicorn_does(
    tmp_path: Path, at: str, sig: int, code: int
) -> None:
    returncode, stdout, stderr = _serve_signalled(tmp_path, at, sig)
    assert returncode == code, stderr
    assert "Shutting down" in stderr and "Application shutdown complete" in stderr, stderr
    assert "stopped while starting" not in stderr and "Traceback" not in stderr, stderr
    assert "Aborted" not in stdout + stderr
