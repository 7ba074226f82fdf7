"""The command line as the cli tests run it: small logs, the output as words, the one error line
of a failed command, refscope in a process of its own or on a terminal, and another process
holding the file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from click.testing import Result

import tests.factories as f
from tests.factories import MINUTE, T0

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
ENTRIES = {  # the ways refscope is started, as `python -c` code
    "python -m ingest": "import runpy; runpy.run_module('ingest', run_name='__main__')",
    # what the installed `refscope` script runs
    "refscope": "from {0} import {1}; {1}()".format(*SCRIPT["refscope"].split(":")),
}
# The process sends itself signal `sig` when it first imports `module` (a meta path finder that
# finds nothing), then runs `entry` (of ENTRIES): the signal lands at that point of the start.
SIGNAL_AT_IMPORT = """
import os, signal, sys
class Signal:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), {sig})
        return None
sys.meta_path.insert(0, Signal())
{entry}
"""


def _log(folder: Path, name: str = "webhooks.ndjson") -> Path:
    return f.write_ndjson(
        folder / name,
        [
            f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
            f.delivery(f.message("hello", psid="u2", ts=T0 + MINUTE)),
        ],
    )


def _log_with_retry(log_dir: Path) -> Path:
    """Two people's log with a retried delivery and a truncated line among them (test_cli*.py)."""
    return f.write_ndjson(
        log_dir / "webhooks.ndjson",
        [
            f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, mid="m_1")),
            f.delivery(f.message("hi", psid="u1", ts=T0 + MINUTE, mid="m_1")),  # retried
            f.delivery(f.message("hello", psid="u2", ts=T0 + 2 * MINUTE)),
            "{truncated",
            "",
        ],
    )


def _words(result: Result) -> str:
    """The output with runs of whitespace as one space: rich wraps titles to the table width."""
    return " ".join(result.output.split())


def _one_error_line(result: Result, code: int = 1) -> str:
    """The single 'Error: …' line of a failed command, after checking there is no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _refscope(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=cwd,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stopped(proc: subprocess.Popen[str], sig: int, code: int) -> tuple[str, str]:
    """proc sent sig, which stops it cleanly: exit code, no traceback, nor click's "Aborted!";
    its stdout and stderr."""
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, (stdout, stderr)
    assert "Traceback" not in stderr and "Aborted" not in stdout + stderr, stderr
    return stdout, stderr


def _run_refscope(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **run: Any
) -> subprocess.CompletedProcess[str]:
    """refscope run to its end in a process of its own, without the caller's REFSCOPE_*."""
    return subprocess.run(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=cwd, env=_clean_env(env), capture_output=True, text=True, **run,
    )  # fmt: skip


# The process sends itself signal `sig` as its function `name` of `file` (a path's end) is first
# called (or returns), then runs refscope: the signal lands at that point, every time.
SIGNAL_AT_CALL = """
import os, sys
def signal_at(frame, event, arg):
    code = frame.f_code
    if event == {event!r} and code.co_name == {name!r} and code.co_filename.endswith({file!r}):
        sys.setprofile(None)
        os.kill(os.getpid(), {sig})
sys.setprofile(signal_at)
{entry}
"""
IN_PROCESS = "from dashboard.cli import main; main()"  # refscope's commands, not its entry point


def _signalled_at_call(
    function: str, sig: int, *args: str, cwd: Path, env: dict[str, str] | None = None,
    entry: str = IN_PROCESS,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """refscope run to its end in a process of its own (as _run_refscope, env its variables),
    sent sig as it first calls function ("ingest/links.py:register"), or as it first returns
    from it ("…:return"); entry: how it is run (ENTRIES' `refscope`: from its entry point)."""
    file, name, *event = function.split(":")
    code = SIGNAL_AT_CALL.format(name=name, file=file, sig=sig, event=(event or ["call"])[0],
                                 entry=entry)  # fmt: skip
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=_clean_env(env),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _refused_in_process(*args: str, cwd: Path, env: dict[str, str] | None = None,
                        **run: Any) -> str:  # fmt: skip
    """The single 'Error: …' line of refscope run in a process of its own (as _run_refscope)
    that exits 1, after checking it shows no traceback."""
    done = _run_refscope(*args, cwd=cwd, env=env, **run)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSCOPE_")}
    return dict(env, PYTHONPATH=str(ROOT), **(extra or {}))


@contextlib.contextmanager
def _held(db_file: Path, read_only: bool = False) -> Iterator[None]:
    """Another process has db_file open (read-only, or to write) until the block ends."""
    hold = "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == '1')"
    hold += "; print('held', flush=True); sys.stdin.readline(); con.close()"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db_file), str(int(read_only))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.communicate("\n", timeout=60)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_a_terminal(*args: str, cwd: Path, columns: int = 80, term: str = "xterm-256color") -> str:
    """refscope's output on a real pseudo-terminal `columns` wide (both the terminal's size and
    COLUMNS say so) of type `term`, colours and styles stripped."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = _clean_env({"COLUMNS": str(columns), "LINES": "24", "TERM": term})
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        code = proc.wait(timeout=10)
    assert code == 0, out.decode(errors="replace")
    return ANSI.sub("", out.decode()).replace("\r\n", "\n")
