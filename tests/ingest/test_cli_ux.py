"""The command line as a newcomer and a cron job meet it: one clear line per error, exit codes,
nothing created by a command that only reads, output that greps."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

import tests.factories as f
from dashboard.cli import cli
from ingest import cli as cli_module
from ingest import cli_progress, cli_stop, db, pipeline
from ingest.errors import DatabaseError
from tests.conftest import Query
from tests.factories import MINUTE, T0

ROOT = Path(__file__).resolve().parents[2]


def _log(folder: Path, name: str = "webhooks.ndjson") -> Path:
    return f.write_ndjson(
        folder / name,
        [
            f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="u1", ts=T0)),
            f.delivery(f.message("hello", psid="u2", ts=T0 + MINUTE)),
        ],
    )


def _one_error_line(result: Result, code: int = 1) -> str:
    """The single 'Error: …' line of a failed command, after checking there is no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# --- files it cannot create: one line, never a traceback --------------------------------------


def test_a_database_folder_that_cannot_be_made_is_one_error_line(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(blocker / "x.duckdb")])
    line = _one_error_line(result)
    assert str(blocker) in line and "File exists" in line


def test_a_report_it_cannot_write_is_one_error_line(
    runner: CliRunner, tmp_path: Path, db_path: Path, log_dir: Path
) -> None:
    assert runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)]).exit_code == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "report.html"
    result = runner.invoke(cli, ["report", "--db", str(db_path), "--out", str(out)])
    assert str(blocker) in _one_error_line(result)


def test_serve_checks_its_log_folder_before_the_server_starts(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.receiver

    started: list[object] = []
    monkeypatch.setattr(ingest.receiver, "serve", lambda *a: started.append(a))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    logs = blocker / "logs"
    result = runner.invoke(cli, ["serve", "--log-dir", str(logs), "--db", str(tmp_path / "d")])
    line = _one_error_line(result)
    assert f"cannot write logs to {logs}" in line and "--log-dir" in line
    assert started == []
    ok = runner.invoke(cli, ["serve", "--log-dir", str(tmp_path / "logs"), "--db", "d.duckdb"])
    assert ok.exit_code == 0, ok.output
    assert len(started) == 1 and (tmp_path / "logs").is_dir()


@pytest.mark.parametrize("command", ["dashboard", "serve"])
def test_a_port_in_use_is_refused_before_anything_starts(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    import socket

    import ingest.receiver

    started: list[object] = []
    monkeypatch.setattr(ingest.receiver, "serve", lambda *a: started.append(a))
    monkeypatch.setattr(os, "execve", lambda *a: started.append(a))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = runner.invoke(cli, [command, "--port", port, "--db", str(tmp_path / "x.duckdb")])
        line = _one_error_line(result)
        assert f"port {port} on 127.0.0.1 is already in use" in line and "--port" in line
        assert "refscope dashboard on" not in result.output  # no line saying it runs
        assert started == []
    monkeypatch.setenv("REFSCOPE_DASHBOARD_PASSWORD", "a-long-test-password")  # off loopback
    unknown = runner.invoke(cli, [command, "--host", "no-such-host.invalid", "--port", port])
    assert "--host no-such-host.invalid: unknown address" in _one_error_line(unknown)
    assert started == []
    freed = runner.invoke(cli, [command, "--port", port, "--db", str(tmp_path / "x.duckdb")])
    assert freed.exit_code == 0 and len(started) == 1, freed.output


@pytest.mark.parametrize(
    ("host", "url"), [("127.0.0.1", "http://localhost:"), ("::1", "http://[::1]:")]
)
def test_the_dashboard_line_gives_a_url_that_opens(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str, url: str
) -> None:
    import socket

    started: list[object] = []
    monkeypatch.setattr(os, "execve", lambda *a: started.append(a))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    result = runner.invoke(cli, ["dashboard", "--host", host, "--port", str(port)])
    assert result.exit_code == 0 and len(started) == 1, result.output
    assert f"refscope dashboard on {url}{port} " in result.output


# --- prune -------------------------------------------------------------------------------------


@pytest.mark.parametrize("age", ["99999y", "99999999999d"])
def test_prune_an_age_beyond_the_calendar_is_refused_in_one_line(
    runner: CliRunner, db_path: Path, age: str
) -> None:
    result = runner.invoke(cli, ["prune", "--older-than", age, "--db", str(db_path)])
    assert f"invalid age '{age}'" in _one_error_line(result)


@pytest.mark.parametrize("age", ["0d", "-3d", "25", "25x"])
def test_prune_an_age_that_is_no_age_names_the_rule_it_breaks(
    runner: CliRunner, db_path: Path, age: str
) -> None:
    result = runner.invoke(cli, ["prune", "--older-than", age, "--db", str(db_path)])
    assert f"invalid age '{age}': a whole number of at least 1 and a unit" in _one_error_line(
        result
    )


def test_prune_of_a_database_that_is_not_there_creates_none(
    runner: CliRunner, tmp_path: Path
) -> None:
    missing = tmp_path / "typo.duckdb"
    result = runner.invoke(cli, ["prune", "--older-than", "25m", "--db", str(missing)])
    assert f"{missing}: no database yet" in _one_error_line(result)
    assert not missing.exists()


def test_prune_help_names_its_value_as_the_text_does(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["prune", "--help"])
    assert "--older-than AGE" in result.output


# --- reading commands create nothing -------------------------------------------------------------


def test_links_list_and_qr_without_a_database_create_none(
    runner: CliRunner, tmp_path: Path
) -> None:
    missing = tmp_path / "typo.duckdb"
    listed = runner.invoke(cli, ["links", "list", "--db", str(missing)])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == ["ref\tpage\tchannel\tcampaign\tplacement\turl\tcreated"]
    qr = runner.invoke(cli, ["links", "qr", "spring", "--db", str(missing), "--out", str(tmp_path)])
    line = _one_error_line(qr)
    assert "'spring' is not registered" in line and "no database yet" in line
    assert not missing.exists()


# --- page ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["pages", "set", "abc", "--username", "mypage"],
        ["pages", "set", "mypage", "--name", "My page"],
        ["forget", "u1", "--page", "mypage"],
        ["report", "--page", "123", "--page", "my page", "--format", "html"],
    ],
    ids=["pages-set-short", "pages-set-username", "forget", "report"],
)
def test_a_page_that_is_not_a_numeric_id_is_refused_before_anything_is_done(
    runner: CliRunner, tmp_path: Path, args: list[str]
) -> None:
    db_file = tmp_path / "r.duckdb"
    result = runner.invoke(cli, [*args, "--db", str(db_file)])
    line = _one_error_line(result, code=2)
    assert "is not a page id: a page id is numeric" in line
    assert "username (5 to 50" not in line  # not the rule of another kind of value
    assert not db_file.exists()


def test_forget_says_when_no_row_held_the_id(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    assert runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)]).exit_code == 0
    typo = runner.invoke(cli, ["forget", "u9", "--db", str(db_path)])
    assert typo.exit_code == 0, typo.output
    assert "no row held that id" in typo.stderr
    found = runner.invoke(cli, ["forget", "u1", "--db", str(db_path)])
    assert found.exit_code == 0 and "no row held" not in found.output
    elsewhere = db_path.with_name("refscpoe.duckdb")  # a mistyped --db
    missing = runner.invoke(cli, ["forget", "u1", "--db", str(elsewhere)])
    assert missing.exit_code == 0  # a forget before the first ingest is kept for it
    assert f"{elsewhere} did not exist: it was created to keep the forget" in missing.stderr
    assert "did not exist" not in found.output


def test_one_of_a_kind_is_said_in_the_singular(
    runner: CliRunner, db_path: Path, log_dir: Path, tmp_path: Path
) -> None:
    """ "1 contacts", "1 touches", "1 of 1 files read", "1 partitions written": one is singular
    in every count a command prints, as "1 duplicate" and "1 reject" already were."""
    log = _log(log_dir)
    run = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path),
                              "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "1 of 1 file read, 2 lines" in run.output
    again = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert "nothing new to read in 1 file" in again.output
    found = runner.invoke(cli, ["forget", "u1", "--db", str(db_path),
                                "--lake", str(tmp_path / "lake")])  # fmt: skip
    assert found.exit_code == 0, found.output
    assert found.output.startswith(
        "forgotten: 1 event, 1 touch, 1 contact, 0 contact days, 0 history rows, 0 comments, "
        "0 rejected lines\n"
    ), found.output
    assert "lake: " in found.output
    assert not re.search(r"\b1 [a-z_ ]*?s\b[,\n]", found.output), found.output


# --- output a cron log can grep ------------------------------------------------------------------


def test_the_run_summary_is_one_line_when_piped(
    runner: CliRunner, db_path: Path, log_dir: Path
) -> None:
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    (run,) = [line for line in result.stdout.splitlines() if line.startswith("run ")]
    assert "1 of 1 file read" in run and "new contacts in" in run and run.endswith("events/s)"), run


def test_progress_forces_the_bar_even_for_a_small_input(
    runner: CliRunner, db_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[bool] = []

    class Recording(cli_progress.Progress):
        def start(self) -> None:
            started.append(True)

    monkeypatch.setattr(cli_progress, "Progress", Recording)
    path = str(_log(log_dir))
    assert runner.invoke(cli, ["ingest", path, "--db", str(db_path)]).exit_code == 0
    assert started == []  # piped and small: no bar
    other = str(db_path.with_name("other.duckdb"))
    forced = runner.invoke(cli, ["ingest", path, "--db", other, "--progress"])
    assert forced.exit_code == 0, forced.output
    assert started == [True]


# --- pull: errors about the URL, on one line ------------------------------------------------------


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A static HTTP server on 127.0.0.1 (Python's, which ignores Range) serving a folder."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kw: object) -> None:
            super().__init__(*args, directory=str(root), **kw)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pull_logs_names_the_url_not_its_spool_file(
    runner: CliRunner, db_path: Path, http_root: tuple[Path, str]
) -> None:
    root, base = http_root
    (root / "export.ndjson.gz").write_text("<!doctype html><p>sign in</p>\n")
    result = runner.invoke(cli, ["pull", "logs", f"{base}/export.ndjson.gz", "--db", str(db_path)])
    line = _one_error_line(result)
    assert f"Error: {base}/export.ndjson.gz: cannot read: Not a gzipped file" in line
    assert "refscope-pull-" not in result.output and ".pull" not in result.output
    (root / "ok.ndjson.gz").write_bytes(gzip.compress(_log(root).read_bytes()))
    ok = runner.invoke(cli, ["pull", "logs", f"{base}/ok.ndjson.gz", "--db", str(db_path)])
    assert ok.exit_code == 0, ok.output
    assert Query(db_path)("SELECT count(*) FROM events") == [(2,)]


def test_an_error_quoting_a_servers_html_is_one_line(
    runner: CliRunner, db_path: Path, http_root: tuple[Path, str]
) -> None:
    _root, base = http_root  # nothing there: Python's server answers 404 with an HTML page
    args = ["pull", "ads", "--account", "act_1", "--base-url", base, "--db", str(db_path)]
    result = runner.invoke(cli, args, env={"REFSCOPE_META_TOKEN": "tok-not-shown"})
    line = _one_error_line(result)
    assert "Graph API error 404" in line and "tok-not-shown" not in result.output
    assert result.stderr.count("\n") == 1, result.stderr


# --- ingest --follow ----------------------------------------------------------------------------


def test_interval_without_follow_is_refused_before_anything_is_read(
    runner: CliRunner, db_path: Path, log_dir: Path, query: Query
) -> None:
    """`--interval 60` alone read once and stopped, as if the pause had been taken."""
    log = f.write_ndjson(log_dir / "a.ndjson", [f.delivery(f.message("hi"))])
    result = runner.invoke(cli, ["ingest", str(log), "--interval", "60", "--db", str(db_path)])
    assert result.exit_code == 2
    assert "--interval is the pause between reads with --follow" in result.output
    assert query.scalar("SELECT count(*) FROM ingest_files") == 0


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


def _refscope(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=cwd,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_refscope(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **run: Any
) -> subprocess.CompletedProcess[str]:
    """refscope run to its end in a process of its own, without the caller's REFSCOPE_*."""
    return subprocess.run(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=cwd, env=_clean_env(env), capture_output=True, text=True, **run,
    )  # fmt: skip


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFSCOPE_")}
    return dict(env, PYTHONPATH=str(ROOT), **(extra or {}))


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
        time.sleep(0.5)
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a round or several, failing on the .gz
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (out, err)
    assert out.splitlines()[-1] == "stopped", out
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
    hold = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
    hold += "sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db_file)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        proc = _refscope("ingest", str(logs), "--follow", "--interval", "0.2", "--db",
                         str(db_file), cwd=tmp_path)  # fmt: skip
        try:
            time.sleep(6)  # well within the lock wait: the rounds wait, not the start
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        holder.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert out.splitlines()[0].startswith(f"following {logs} every 0.2 s"), out
    assert out.splitlines()[-1] == "stopped", out
    assert "Aborted" not in err and "Traceback" not in err, err
    assert Query(db_file).scalar("SELECT count(*) FROM ingest_runs") == 0  # nothing half-written


# What a command waiting for the database says it waits for.
LOCK_WAIT = (
    "locked by another process (a refscope command, or a session that has it open: "
    "a read-only one too)"
)


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
    cli_module._follow(Console(file=out, width=200), [str(tmp_path / "logs")],
                       tmp_path / "db.duckdb", 0.1, None, None, cycles=3)  # fmt: skip
    assert out.getvalue().splitlines()[-1] == "stopped"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


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


# --- hostile disks and inputs: one line, never a traceback -------------------------------------


def _on_a_small_disk(limit: int, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`refscope ARGS` run where no file may grow past limit bytes (a full disk, as a file size
    limit stands in for one)."""
    import resource

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return _run_refscope(*args, cwd=cwd, preexec_fn=small_disk, timeout=120)


def test_a_disk_that_fills_up_at_the_commit_is_one_error_line(tmp_path: Path) -> None:
    """A commit is where a full disk shows (DuckDB writes its log then): a file size limit
    stands in for one. It was DuckDB's traceback, and claimed a run that never started."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [f.delivery(f.message("hi " * 50, psid=f"u{i}", ts=T0 + i)) for i in range(6000)]
    f.write_ndjson(logs / "webhooks.ndjson", lines)  # about 3 MB
    proc = _on_a_small_disk(1 << 20, tmp_path, "ingest", str(logs),
                            "--db", str(tmp_path / "db.duckdb"))  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: cannot commit: "), errors
    assert "File too large" in errors[0] and "stays open" not in errors[0], errors


def test_a_prune_the_disk_cannot_commit_is_one_error_line_and_removes_nothing(
    tmp_path: Path,
) -> None:
    """prune's commit on a full disk was DuckDB's traceback of a failed ROLLBACK, hiding why."""
    db_file = tmp_path / "db.duckdb"
    old = [f.delivery(f.message("hi", psid=f"a{i}", ts=T0 + i)) for i in range(50)]
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", old))], db_file)
    proc = _on_a_small_disk(1, tmp_path, "prune", "--older-than", "1d", "--db", str(db_file))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: cannot commit: "), errors
    assert "File too large" in errors[0], errors
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 50


def test_a_named_pipe_in_a_folder_of_logs_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A FIFO named like a log was opened and read: the ingest hung until a writer came. Named
    on its own it was refused; within a folder it is refused alike."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs)
    os.mkfifo(logs / "pipe.ndjson")
    proc = _run_refscope("ingest", str(logs), "--db", str(tmp_path / "db.duckdb"), cwd=tmp_path,
                         timeout=60)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [
        f"Error: {logs / 'pipe.ndjson'}: not a regular file"
    ]


def test_the_first_columns_read_from_the_schema_text_are_duckdbs() -> None:
    """The check of another program's file reads each table's first column from schema.sql's
    text: every table of the schema, and the column DuckDB makes first."""
    import duckdb

    mem = duckdb.connect(":memory:")
    mem.execute(db.schema_sql())
    first = dict(
        mem.execute("""SELECT table_name, column_name FROM duckdb_columns()
                                WHERE NOT internal AND column_index = 1""").fetchall()
    )
    mem.close()
    assert db._schema_first_columns() == first


def test_another_programs_duckdb_file_is_refused_and_left_as_it_was(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    """REFSCOPE_DB pointing at another team's DuckDB file with a table named `events`: the
    schema kept that table, and the first query failed with DuckDB's Binder Error traceback."""
    import duckdb

    other = tmp_path / "analytics.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE events (x INTEGER)")
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(other)])
    line = _one_error_line(result)
    assert f"{other}: not a refscope database: its table events has no column event_key" in line
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SHOW TABLES").fetchall() == [("events",)]  # nothing of refscope's


@pytest.mark.parametrize(
    ("batch", "said"),
    [
        ("99999999999999999999G", "REFSCOPE_INGEST_BATCH='99999999999999999999G': give a size of "
                                  "at most 1024G"),
        ("16G", "no memory for a chunk of 16,384 MiB: lower REFSCOPE_INGEST_BATCH"),
    ],
    ids=["beyond-any-read", "beyond-memory"],
)  # fmt: skip
def test_a_batch_size_too_large_to_read_is_one_error_line(
    tmp_path: Path, batch: str, said: str
) -> None:
    """A read takes room for a whole batch: a size past memory (4 GB of address space here)
    was a MemoryError traceback, one past any read an OverflowError, even for a tiny log."""
    import resource

    log = _log(tmp_path)
    limit = 4 << 30

    def small_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = _run_refscope("ingest", str(log), "--db", str(tmp_path / "db.duckdb"), cwd=tmp_path,
                         env={"REFSCOPE_INGEST_BATCH": batch}, preexec_fn=small_memory,
                         timeout=120)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: ") and said in errors[0], errors


def test_a_sqlite_file_as_the_database_is_named_so(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    """DuckDB opens a SQLite file through an extension, and its error told the user to install
    it (then refscope would write its tables into that file)."""
    import sqlite3

    lite = tmp_path / "app.db"
    with sqlite3.connect(lite) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(lite)])
    line = _one_error_line(result)
    assert line == f"Error: {lite}: cannot open: a SQLite file, not a DuckDB database"


def test_a_disk_that_fills_up_at_the_checkpoint_says_the_run_is_safe(tmp_path: Path) -> None:
    """The run is committed to DuckDB's log; folding it into the file needs room the file size
    limit (a full disk) denies. That was DuckDB's FATAL traceback, as if the run were lost."""
    db_file = tmp_path / "db.duckdb"
    first = [f.delivery(f.message("hi", psid=f"a{i}", ts=T0 + i)) for i in range(200)]
    pipeline.run([str(f.write_ndjson(tmp_path / "a.ndjson", first))], db_file)
    second = [f.delivery(f.message("hi", psid=f"b{i}", ts=T0 + i)) for i in range(200)]
    log = f.write_ndjson(tmp_path / "b.ndjson", second)
    # The log fits; the file may not grow.
    proc = _on_a_small_disk(db_file.stat().st_size, tmp_path, "ingest", str(log),
                            "--db", str(db_file))  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith("Error: run 2 is committed, but writing it into the database "
                                "file failed: "), errors  # fmt: skip
    assert pipeline.run([str(log)], db_file).files_read == 0  # nothing to read again
    assert Query(db_file).scalar("SELECT count(*) FROM events") == 400


def test_an_empty_lake_folder_is_refused_not_taken_for_the_current_one(
    runner: CliRunner, tmp_path: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--lake "$LAKE"` with LAKE unset wrote the lake's folders and files (and removed old
    partitions) in whatever folder the command ran in."""
    here = tmp_path / "home"
    here.mkdir()
    monkeypatch.chdir(here)
    log = _log(log_dir)
    for args in (["ingest", str(log)], ["prune", "--older-than", "100y"]):
        result = runner.invoke(cli, [*args, "--db", str(tmp_path / "db.duckdb"), "--lake", ""])
        assert result.exit_code == 2, result.output
        assert "Invalid value for '--lake': an empty folder name" in result.output
    assert list(here.iterdir()) == []


def test_attribution_out_of_memory_names_the_setting_and_the_run_resumes(tmp_path: Path) -> None:
    """New contacts attributed at the smallest memory setting (64MB): the batches fit, the
    attribution did not, and that was DuckDB's traceback. It now says which setting to raise,
    and the next ingest, given more, finishes the run. 1.6M contacts: a run that overflows on
    two threads is tried again on one, which overflows past about 1.1M."""
    template = f.line(f.delivery(f.message("hi", psid="PSID", mid="MID", ts=T0)))
    log = tmp_path / "webhooks.ndjson"
    with log.open("w") as fh:
        for i in range(1_600_000):
            fh.write(template.replace("PSID", f"u{i}").replace("MID", f"m{i}") + "\n")
    db_file = tmp_path / "db.duckdb"
    proc = _run_refscope("ingest", str(log), "--db", str(db_file), cwd=tmp_path,
                         env={"REFSCOPE_INGEST_MEMORY": "64MB"}, timeout=300)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith("Error: attributing run 1 failed: Out of Memory Error"), errors
    assert "needs more than REFSCOPE_INGEST_MEMORY=64MB; raise it" in errors[0]
    assert "run 1 stays open" in errors[0]
    result = pipeline.run([str(log)], db_file)
    assert (result.run_id, result.resumed, result.new_contacts) == (1, True, 1_600_000)


def test_a_folder_of_rotated_logs_only_says_why_none_is_read(tmp_path: Path) -> None:
    """A folder holding only logrotate's names (x.ndjson.1, its .gz, a dateext one) was read as
    "nothing new to read in 0 files", as if all were read: it now says what it left out, and
    which names a folder scan reads. A dot file (a .gitkeep) is not counted."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _log(logs, "webhooks.ndjson.1")
    (logs / "webhooks.ndjson.2.gz").write_bytes(gzip.compress(b"{}\n"))
    _log(logs, "webhooks.ndjson-20261201")
    (logs / ".gitkeep").write_text("")
    proc = _run_refscope("ingest", str(logs), "--db", str(tmp_path / "db.duckdb"), cwd=tmp_path,
                         timeout=60)  # fmt: skip
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    out = " ".join(proc.stdout.split())
    assert (
        f"warning: {logs}: no file is read by its name (3 left out: webhooks.ndjson-20261201, "
        "webhooks.ndjson.1, webhooks.ndjson.2.gz): a folder is read for *.ndjson, *.jsonl, "
        "*.json and their .gz; give such a file as a PATH to read it"
    ) in out, out
    assert "nothing new to read in 0 files" in out
