"""`ingest --follow`, a stop by Ctrl-C or SIGTERM, and a wait for another process's lock."""

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
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import tests.factories as f
from dashboard.cli import cli
from ingest import cli as cli_module
from ingest import cli_stop, db
from ingest.errors import DatabaseError, DatabaseLocked
from tests.conftest import Query
from tests.ingest.cli_setup import _clean_env, _held, _log, _one_error_line, _refscope


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
    """Stops a running --follow by sig, which ends it cleanly: exit 0, "stopped" its last line.
    Gives what it wrote to stdout and to stderr."""
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert out.splitlines()[-1] == "stopped", out
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
    assert out.splitlines()[0].startswith(f"following {logs} every 0.2 s"), out
    assert "Aborted" not in err and "Traceback" not in err, err
    assert Query(db_file).scalar("SELECT count(*) FROM ingest_runs") == 0  # nothing half-written


# What a command waiting for the database says it waits for.
LOCK_WAIT = (
    "locked by another process (a refscope command, or a session that has it open: "
    "a read-only one too)"
)


@pytest.mark.parametrize("read_only", [False, True], ids=["writer", "read-only-session"])
def test_a_command_waiting_for_the_lock_says_so_then_goes_on(
    tmp_path: Path, read_only: bool
) -> None:
    """A command started while another process holds the file waited up to 30 s saying
    nothing, as if hung; after a second it now says what it waits for, and goes on once the
    file is free. DuckDB lets no process write while another has the file open, read-only
    included: the message named only "an ingest, prune or forget", when an analyst's SQL
    session made `pages set` wait."""
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    with _held(db_file, read_only):
        proc = _refscope("pages", "set", "1122334455", "--name", "Acme", "--db", str(db_file),
                         cwd=tmp_path)  # fmt: skip
        assert proc.stderr is not None
        first = proc.stderr.readline()  # a second in, while the file is still held
    out, err = proc.communicate(timeout=60)
    err = first + err
    assert proc.returncode == 0, (out, err)
    assert err.count(f"{db_file}: {LOCK_WAIT}; waiting up to") == 1, err
    assert Query(db_file)("SELECT page_id, name FROM pages") == [("1122334455", "Acme")]


def test_follow_under_a_long_lock_says_it_waits_once_per_wait_and_when_it_reads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a lock held for many rounds (a rebuild, an analyst's session), each round's
    connect said "locked by another process ...; waiting up to 29 s more" again: one line a
    round, for as long as the lock lasted. It is said once per wait, and "reading again" once
    a round gets through, and a new wait after that is said again."""
    said: list[str] = []
    monkeypatch.setattr(db, "on_lock_wait", lambda path, seconds: said.append(f"wait {path}"))
    # Each round: whether its connect waited, and whether it then got the lock.
    rounds = iter([(True, False), (True, False), (True, False), (False, True),
                   (True, True), (True, False), (True, True)])  # fmt: skip

    def run(paths: list[str], db_file: Path, **kw: object) -> object:
        waits, gets = next(rounds)
        if waits and db.on_lock_wait is not None:
            db.on_lock_wait(db_file, 29.0)  # as db.connect calls it, a second in
        if not gets:
            said.append("error")
            raise DatabaseLocked(f"{db_file}: locked by another process")
        said.append("read")
        return SimpleNamespace(files_read=0, warnings=[])

    monkeypatch.setattr(cli_module.pipeline, "run", run)
    monkeypatch.setattr(cli_module.time, "sleep", lambda seconds: None)
    (tmp_path / "logs").mkdir()
    out = io.StringIO()
    db_file = tmp_path / "db.duckdb"
    cli_module._follow(Console(file=out, width=200), [str(tmp_path / "logs")], db_file, 5.0,
                       None, None, cycles=7)  # fmt: skip
    wait = f"wait {db_file}"
    assert said == [wait, "error", "error", "error", "read",
                    wait, "read", wait, "error", "read"], said  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines.count("reading again") == 3, lines
    assert sum("locked by another process" in line for line in lines) == 2, lines
    assert db.on_lock_wait is not None and db.on_lock_wait.__name__ == "<lambda>"  # put back


def test_an_ingest_stopped_while_waiting_for_the_lock_says_nothing_was_written(
    tmp_path: Path,
) -> None:
    """Ctrl-C while another process held the file said "the next `refscope ingest` ... resumes
    the run": no run had begun, and there is none to resume."""
    db_file = tmp_path / "db.duckdb"
    db.connect(db_file).close()
    with _held(db_file):
        proc = _refscope("ingest", str(_log(tmp_path)), "--db", str(db_file), cwd=tmp_path)
        assert proc.stderr is not None
        assert LOCK_WAIT in proc.stderr.readline()  # waiting, a second in
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "stopped before reading anything: nothing was written" in out, (out, err)
    assert "resumes" not in out and "Traceback" not in out + err
    assert Query(db_file)("SELECT count(*) FROM ingest_runs") == [(0,)]


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

    monkeypatch.setattr(cli_module.pipeline, "run", run)
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
        assert "still following" in _line_starting(proc, "SIGHUP")
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
