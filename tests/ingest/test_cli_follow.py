"""`ingest --follow`, and a stop by Ctrl-C or SIGTERM (a wait for another process's lock:
test_cli_follow_lock.py)."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import tests.factories as f
from dashboard.cli import cli
from ingest import cli as cli_module
from ingest import cli_stop, db, pipeline
from ingest.errors import DatabaseError
from tests.conftest import Query
from tests.ingest.cli_setup import _clean_env, _held, _log, _one_error_line, _refscope

LOCK_WAIT = (
    "locked by another process (a refscope command, or a session that has it open: "
    "a read-only one too)"
)


def test_interval_without_follow_is_refused_before_anything_is_read(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    """`--interval 60` alone read once and stopped, as if the pause had been taken."""
    log = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message("hi"))])
    result = runner.invoke(cli, ["ingest", str(log), "--interval", "60", "--db", str(db_path)])
    assert result.exit_code == 2
    assert "--interval is the pause between reads with --follow" in result.output
    assert query.scalar("SELECT count(*) FROM ingest_files") == 0


def test_follow_reads_every_5_seconds_unless_told(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--follow` alone pauses 5 s between reads, as `ingest --help` shows; --interval sets it."""
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the first round

    monkeypatch.setattr(cli_module.time, "sleep", sleep)
    log = str(_log(log_dir))
    for args, pause in (([], 5.0), (["--interval", "0.5"], 0.5)):
        result = runner.invoke(cli, ["ingest", log, "--follow", "--db", str(db_path), *args])
        assert result.exit_code == 0, result.output
        assert f"every {pause:g} s (Ctrl-C stops)" in result.output
        assert rounds[-1] == pause and result.output.endswith("stopped\n"), result.output
    assert "[default: 5.0;" in " ".join(runner.invoke(cli, ["ingest", "--help"]).output.split())


def test_follow_refuses_a_path_that_is_not_there_at_once(
    runner: CliRunner, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module.time, "sleep", lambda s: pytest.fail("it started following"))
    missing = tmp_path / "logz"
    result = runner.invoke(cli, ["ingest", str(missing), "--follow", "--db", str(db_path)])
    assert f"{missing}: no such file or directory" in _one_error_line(result)


def test_follow_refuses_a_file_that_is_not_a_database_at_once(
    runner: CliRunner, tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_module.time, "sleep", lambda s: pytest.fail("it started following"))
    not_db = tmp_path / "notes.duckdb"
    not_db.write_text("hello\n")
    _log(log_dir)
    result = runner.invoke(cli, ["ingest", str(log_dir), "--follow", "--db", str(not_db)])
    assert f"{not_db}: cannot open" in _one_error_line(result)


def _stderr_until(proc: subprocess.Popen[str], text: str) -> str:
    """What proc wrote to stderr up to the first line holding text: a stop sent then lands in
    what that line says is under way, however long a loaded machine took to get there."""
    assert proc.stderr is not None
    said = ""
    while True:
        line = proc.stderr.readline()
        assert line, f"it ended without saying {text!r}: {said}"
        said += line
        if text in line:
            return said


def _stopped(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[str, str]:
    """Stops a running --follow by sig, which ends it cleanly: exit 0, "stopped" its last line
    on stderr (a notice). Gives what it wrote to stdout and to stderr."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert err.splitlines()[-1] == "stopped" and "stopped" not in out, (out, err)
    return out, err


def test_follow_stops_on_sigterm_as_on_ctrl_c_and_says_errors_on_stderr(tmp_path: Path) -> None:
    """A service manager stops with SIGTERM: the loop ends cleanly with exit 0; the errors of a
    round go to stderr, the summaries to stdout."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    (logs / "half.ndjson.gz").write_bytes(b"not gzip at all\n")
    marker = tmp_path / "db.duckdb"
    proc = _refscope("ingest", str(logs), "--follow", "--interval", "0.2", "--db", str(marker),
                     cwd=tmp_path)  # fmt: skip
    try:
        said = _stderr_until(proc, "half.ndjson.gz")  # a round failed on the .gz
        out, err = _stopped(proc)
        err = said + err
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "half.ndjson.gz: cannot read: Not a gzipped file" in err
    assert "error:" not in out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_follow_started_while_another_process_writes_follows_at_once_and_stops_cleanly(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Started while another ingest (or a prune) holds the database, --follow said nothing for
    the 30 s its check of the database waited for the lock, only to let the lock pass, and a
    Ctrl-C then was click's "Aborted!" with exit 1, a SIGTERM a kill by signal without a word."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    with _held(db_file):
        proc = _refscope("ingest", str(logs), "--follow", "--interval", "0.2", "--db",
                         str(db_file), cwd=tmp_path)  # fmt: skip
        try:
            # A round waits for the lock, and says so: the rounds wait, not the start.
            said = _stderr_until(proc, LOCK_WAIT)
            out, err = _stopped(proc, sig)
            err = said + err
        finally:
            if proc.poll() is None:
                proc.kill()
    assert err.splitlines()[0].startswith(f"following {logs} every 0.2 s"), err
    assert "following" not in out, out
    assert "Aborted" not in err and "Traceback" not in err, err
    assert Query(db_file).scalar("SELECT count(*) FROM ingest_runs") == 0  # nothing half-written


# What a command waiting for the database says it waits for.
@pytest.mark.parametrize(
    "error",
    [RuntimeError("Query interrupted"), DatabaseError("loading x failed: Query interrupted")],
    ids=["duckdb", "wrapped-by-the-load"],
)
def test_follow_stopped_inside_a_duckdb_query_says_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """DuckDB turns the interrupt of a running query into its own error (which the load wraps
    as a database error, one a round may otherwise retry): still a stop."""

    def run(*args: object, **kw: object) -> object:
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # as systemd stops the service mid-round
            time.sleep(5)
        except KeyboardInterrupt:
            raise error from None
        raise AssertionError("SIGTERM did not interrupt the round")

    monkeypatch.setattr(pipeline, "run", run)
    (tmp_path / "logs").mkdir()
    out = io.StringIO()
    # As they were: SIG_DFL, or SIG_IGN for SIGHUP when the tests run under nohup.
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    cli_module._follow(Console(file=out, width=200), [str(tmp_path / "logs")],
                       tmp_path / "db.duckdb", 0.1, None, None, cycles=3)  # fmt: skip
    assert out.getvalue().splitlines()[-1] == "stopped"
    assert signal.getsignal(signal.SIGTERM) is before[0]  # the handler is put back
    assert signal.getsignal(signal.SIGHUP) is before[1]  # and SIGHUP's


def test_a_stop_records_its_signal_and_puts_back_the_handlers_it_found() -> None:
    """Ctrl-C and SIGTERM stop alike and say which stopped; afterwards each signal has the
    handler it had before (a caller's own, too), not Python's or the system's default."""

    def mine(signum: int, frame: object) -> None:  # a handler of the caller's
        raise AssertionError("the caller's handler ran while stopping was on")

    found = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, mine)
    try:
        stop = cli_stop.Stop()
        restore = cli_stop.stop_on_signals(stop)
        try:
            assert not stop.is_set()
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGTERM)
            assert stop.is_set() and stop.signum == signal.SIGTERM
        finally:
            restore()
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is found[signal.SIGINT]
    finally:
        signal.signal(signal.SIGTERM, found[signal.SIGTERM])


def test_stopping_set_up_off_the_main_thread_leaves_the_signals_alone() -> None:
    """Only the main thread may set a handler (a command run from a server's worker thread):
    there it is left alone, and putting back does nothing."""
    found = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    restores: list[Any] = []
    worker = threading.Thread(target=lambda: restores.append(cli_stop.stop_on_signals(
        cli_stop.Stop())))  # fmt: skip
    worker.start()
    worker.join()
    assert len(restores) == 1
    restores[0]()
    assert {sig: signal.getsignal(sig) for sig in found} == found


def _line_starting(proc: subprocess.Popen[str], prefix: str) -> str:
    """The next line of proc's output that starts with prefix (its end fails the test)."""
    assert proc.stdout is not None
    while line := proc.stdout.readline():
        if line.startswith(prefix):
            return line
    raise AssertionError(
        f"ended before {prefix!r}: {proc.wait()}, {proc.stderr and proc.stderr.read()}"
    )


def test_follow_keeps_following_after_sighup(tmp_path: Path) -> None:
    """A closed terminal, logrotate's `postrotate kill -HUP` or `systemctl reload` sends SIGHUP,
    which ended --follow at once, killed by it: it now says so and goes on reading what comes;
    SIGTERM still stops it."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    proc = _refscope("ingest", str(logs), "--follow", "--interval", "0.2", "--db",
                     str(tmp_path / "db.duckdb"), cwd=tmp_path)  # fmt: skip
    try:
        assert _line_starting(proc, "run ").startswith("run 1: 1 of 1 file read")
        proc.send_signal(signal.SIGHUP)
        assert "SIGHUP: still following" in _stderr_until(proc, "SIGHUP")  # a notice
        _log(logs, "webhooks-2026-01-02.ndjson")  # a file that comes after the hangup
        assert _line_starting(proc, "run ").startswith("run 2: 1 of 2 files read")
        out, err = _stopped(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in err, err


def test_follow_goes_on_when_its_terminal_closes(tmp_path: Path) -> None:
    """Its terminal closed (an ssh session ended), --follow got SIGHUP and, kept alive, would
    fail writing its next line to a terminal that is gone (EIO) and end with a traceback: what
    it would print now goes nowhere, as under nohup, and it goes on reading."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    db_file = tmp_path / "db.duckdb"
    master, slave = pty.openpty()
    # A session of its own, whose controlling terminal is the pty (opened by its name once the
    # session is made): closing the pty's other end hangs it up.
    start = (
        "import os, sys; os.setsid(); fd = os.open(sys.argv.pop(1), os.O_RDWR); "
        "[os.dup2(fd, n) for n in (0, 1, 2)]; from dashboard.cli import main; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", start, os.ttyname(slave), "ingest", str(logs), "--follow",
         "--interval", "0.2", "--db", str(db_file)],
        cwd=tmp_path, env=_clean_env(), stdin=slave, stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)  # the child's only: its end makes a read of the pty fail, not wait
    try:
        shown = b""
        while b"contact" not in shown:  # the first round's summary is on the terminal
            assert select.select([master], [], [], 60)[0], f"no summary shown: {shown!r}"
            shown += os.read(master, 4096)
        os.close(master)  # the terminal closes
        master = -1
        _log(logs, "webhooks-2026-01-02.ndjson")  # a file that comes after
        deadline = time.monotonic() + 60
        while Query(db_file).scalar("SELECT count(*) FROM ingest_files") < 2:
            assert proc.poll() is None, f"ended: {proc.returncode}"
            assert time.monotonic() < deadline, "the file that came after was not read"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()


def test_following_is_said_once_ctrl_c_and_sigterm_stop_it_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script or service manager that signals as soon as "following" is printed gets a clean
    stop: the handlers are set before that line is said (they were set after it, and a Ctrl-C
    in between ended the command with click's "Aborted!")."""
    handlers: list[object] = []
    said = cli_module.say

    def say(console: Console, text: str, *args: object, **kw: Any) -> None:
        if text.startswith("following"):
            handlers.extend(signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM))
        said(console, text, *args, **kw)

    monkeypatch.setattr(cli_module, "say", say)
    (tmp_path / "logs").mkdir()
    cli_module._follow(Console(file=io.StringIO(), width=200), [str(tmp_path / "logs")],
                       tmp_path / "db.duckdb", 0.01, None, None, cycles=1)  # fmt: skip
    assert len(handlers) == 2
    assert signal.default_int_handler not in handlers and signal.SIG_DFL not in handlers
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # and put back afterwards


def test_a_round_that_reads_nothing_but_syncs_a_stale_lake_says_so(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `forget` without --lake leaves the lake to the next run: a round of `ingest --follow
    --lake` that reads no new line brings it in line, and printed nothing of it, though every
    other sync prints its `lake:` line. A round after it, with the lake in line, prints none."""
    monkeypatch.delenv("REFSCOPE_LAKE", raising=False)
    deliveries = [f.delivery(f.message(psid=f"700{n}", ts=f.T0 + n)) for n in range(3)]
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", deliveries)
    db_file, lake_dir = tmp_path / "db.duckdb", tmp_path / "lake"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_file), "--lake", str(lake_dir)])
    assert res.exit_code == 0 and "lake: " in res.output, res.output
    res = runner.invoke(cli, ["forget", "7001", "--db", str(db_file)])  # no --lake
    assert res.exit_code == 0, res.output
    out = io.StringIO()
    cli_module._follow(Console(file=out, width=300), [str(log)], db_file, 0.1, None, lake_dir,
                       cycles=2)  # fmt: skip
    said = [line for line in out.getvalue().splitlines() if line.startswith("lake: ")]
    assert len(said) == 1 and "0 partitions written" not in said[0], out.getvalue()
    assert "nothing new" not in out.getvalue()  # a round that reads nothing says nothing else
