"""`refscope dashboard`, in a process of its own, stopped by Ctrl-C (SIGINT to the terminal's
process group) or SIGTERM (a service manager's stop) while it starts: it ends within seconds,
exit 130 or 143, no traceback, nothing left running. Once serving, Streamlit's own clean stop
("Stopping...", exit 0) is test_dashboard_terminal's.

A Ctrl-C during its imports was a KeyboardInterrupt traceback, one while Streamlit started a
traceback or lost (the dashboard ran on), and a SIGTERM ended it without a word, a kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ingest.cli_setup import _clean_env
from tests.ingest.test_dashboard_terminal import _wait_until_it_answers
from tests.local_http import free_port

REFSCOPE = str(Path(sys.executable).parent / "refscope")

# A Streamlit that never stops when told: its process (the one that runs `-m streamlit` or
# `--streamlit`) ignores SIGTERM (and SIGUSR1, how its parent tells it) and hangs at its start,
# as a server whose stop never ends.
STUCK = """
import signal, time
argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
if argv[1:3] == [b"-m", b"streamlit"] or b"--streamlit" in argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    time.sleep(120)
"""


def _start(tmp_path: Path, *, ignoring_ctrl_c: bool = False, stuck: bool = False) -> tuple[
    subprocess.Popen[str], int
]:  # fmt: skip
    """The dashboard on a missing database, once it has said where it runs (its checks have
    passed: Streamlit is being started)."""
    port = free_port()
    env = _clean_env()
    if stuck:
        site = tmp_path / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(STUCK, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    cmd = [REFSCOPE, "dashboard", "--db", str(tmp_path / "x.duckdb"), "--port", str(port)]
    if ignoring_ctrl_c:  # started by a program that ignores Ctrl-C (a script's `cmd &`)
        cmd = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=tmp_path, start_new_session=True)  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith(f"refscope dashboard on http://localhost:{port}"), first
    return proc, port


def _ended(proc: subprocess.Popen[str], within: float) -> tuple[int, str, float]:
    """Its exit code, the rest of its output and how long it took to end; killed (with
    whatever it started) and failed if it did not end within `within` seconds."""
    began = time.monotonic()
    try:
        rest, _ = proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"still running {within} s after the stop")
    took = time.monotonic() - began
    time.sleep(0.5)  # a child it left running would still be in its process group
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
    return proc.returncode, rest, took


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C: to the terminal's process group
    else:
        proc.send_signal(sig)  # `kill PID`


def _takes(pid: int, sig: signal.Signals) -> bool:
    """Whether process pid has a handler for sig (Linux's /proc: SigCgt)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)


STOPS = pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)


@STOPS
@pytest.mark.parametrize("after", [0.0, 0.2, 0.5], ids=["at-once", "0.2s", "0.5s"])
def test_a_stop_while_streamlit_starts_ends_the_dashboard(
    tmp_path: Path, sig: signal.Signals, code: int, after: float
) -> None:
    proc, port = _start(tmp_path)
    time.sleep(after)
    _stop(proc, sig)
    returncode, rest, _ = _ended(proc, within=10)
    assert "Traceback" not in rest and "Aborted!" not in rest, rest
    if "You can now view" in rest:  # a fast start: serving already, Streamlit's own clean stop
        assert returncode == 0 and rest.strip().endswith("Stopping..."), rest
    else:
        assert returncode == code, rest
        assert rest.strip().startswith("stopped"), rest  # one line saying so
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # nothing listening


@STOPS
def test_a_stop_before_its_checks_ends_the_dashboard(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """Sent as soon as the process takes SIGTERM, during the imports of refscope's commands
    (DuckDB, click): from the entry point's first line on, not only once Streamlit serves. (A
    stop during Python's own start, before that line, is Python's.)"""
    cmd = [REFSCOPE, "dashboard", "--db", str(tmp_path / "x.duckdb"), "--port", str(free_port())]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_clean_env(), cwd=tmp_path, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 30
    while not _takes(proc.pid, signal.SIGTERM) and time.monotonic() < deadline:
        time.sleep(0.002)
    _stop(proc, sig)
    returncode, rest, _ = _ended(proc, within=10)
    assert returncode == code, rest
    assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest


def test_ctrl_c_ends_a_dashboard_started_where_ctrl_c_is_ignored(tmp_path: Path) -> None:
    """A program ignoring Ctrl-C passes that on to what it starts: Streamlit took Ctrl-C again
    only once it served, so one sent while it started was lost and the dashboard ran on."""
    proc, _ = _start(tmp_path, ignoring_ctrl_c=True)
    time.sleep(0.3)
    _stop(proc, signal.SIGINT)
    returncode, rest, _ = _ended(proc, within=10)
    assert returncode == 130, rest


def test_a_second_ctrl_c_ends_a_streamlit_that_does_not_stop_at_once(tmp_path: Path) -> None:
    proc, _ = _start(tmp_path, stuck=True)
    time.sleep(1)
    _stop(proc, signal.SIGINT)
    time.sleep(1)
    assert proc.poll() is None  # told to stop, it has not: the dashboard waits for it
    _stop(proc, signal.SIGINT)
    returncode, rest, took = _ended(proc, within=10)
    assert returncode == 130 and took < 2, (took, rest)
    assert "did not stop when told to, and was killed" in rest, rest


def test_a_streamlit_that_does_not_stop_is_killed_after_a_wait(tmp_path: Path) -> None:
    """SIGTERM alone (a service manager sends one, then waits): it is killed in seconds, not
    left to the service manager's own SIGKILL a minute and a half later."""
    proc, _ = _start(tmp_path, stuck=True)
    time.sleep(1)
    _stop(proc, signal.SIGTERM)
    returncode, rest, took = _ended(proc, within=12)
    assert returncode == 143 and took < 8, (took, rest)
    assert "did not stop when told to, and was killed" in rest, rest


def test_sigterm_to_the_group_while_serving_is_streamlit_s_one_clean_stop(tmp_path: Path) -> None:
    """`timeout` and a service manager send SIGTERM to every process of the dashboard (and
    `timeout` to its own process too, twice): Streamlit stops once, as on Ctrl-C, exit 0; the
    parent takes the repeat as the same stop, not a second one that kills."""
    proc, port = _start(tmp_path)
    _wait_until_it_answers(port)
    proc.send_signal(signal.SIGTERM)
    os.killpg(proc.pid, signal.SIGTERM)
    returncode, rest, _ = _ended(proc, within=15)
    assert returncode == 0, rest
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    assert lines[-1:] == ["Stopping..."] and lines.count("Stopping...") == 1, rest
