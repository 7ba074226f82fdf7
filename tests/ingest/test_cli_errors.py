"""One error line and nothing created: paths a command cannot use, values it refuses."""

from __future__ import annotations

import gzip
import http.server
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import tests.factories as f
from dashboard.cli import cli
from ingest.cli import os_error_message
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.cli_setup import _log, _one_error_line
from tests.local_http import free_port, served

# --- files it cannot create: one line, never a traceback --------------------------------------


def test_a_database_folder_that_cannot_be_made_is_one_error_line(
    runner: CliRunner, tmp_path: Path, log_dir: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(cli, ["ingest", str(_log(log_dir)), "--db", str(blocker / "x.duckdb")])
    line = _one_error_line(result)
    assert str(blocker) in line and "File exists" in line


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (OSError(13, "Permission denied", "a.duckdb"), "a.duckdb: Permission denied"),
        # A rename or a link names both files: the one it could not move, and where to.
        (OSError(18, "Invalid cross-device link", "new.tmp", None, "lake/x.parquet"),
         "new.tmp: lake/x.parquet: Invalid cross-device link"),
        (OSError(28, "No space left on device"), "No space left on device"),  # no file: no ": "
        (OSError("disk on fire"), "disk on fire"),  # no strerror: the error as it reads
    ],
)  # fmt: skip
def test_a_file_error_names_the_files_then_the_reason(error: OSError, line: str) -> None:
    assert os_error_message(error) == line


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
    port = str(free_port())  # 8000 may be held by another program
    args = ["--log-dir", str(tmp_path / "logs"), "--db", "d.duckdb", "--port", port]
    ok = runner.invoke(cli, ["serve", *args])
    assert ok.exit_code == 0, ok.output
    assert len(started) == 1 and (tmp_path / "logs").is_dir()


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys")
def test_serve_refuses_a_log_folder_that_exists_but_cannot_be_written(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder that is there but refuses new files (sysfs refuses them even to root, as a
    folder of another user refuses them to refscope) is found out before the server starts."""
    import ingest.receiver

    started: list[object] = []
    monkeypatch.setattr(ingest.receiver, "serve", lambda *a: started.append(a))
    result = runner.invoke(cli, ["serve", "--log-dir", "/sys/kernel", "--db", str(tmp_path / "d")])
    line = _one_error_line(result)
    assert "cannot write logs to /sys/kernel" in line and "--log-dir" in line
    assert started == []


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


@pytest.mark.parametrize("command", ["dashboard", "serve"])
@pytest.mark.parametrize("host", ["a..b", ".lan", "h" * 64 + ".lan"])
def test_a_host_name_no_lookup_takes_is_refused_in_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, host: str
) -> None:
    """An empty label or one over 63 characters: the lookup's idna codec raised UnicodeError,
    not the lookup's error, and the command ended in a Python traceback."""
    import ingest.receiver

    started: list[object] = []
    monkeypatch.setattr(ingest.receiver, "serve", lambda *a: started.append(a))
    monkeypatch.setattr(os, "execve", lambda *a: started.append(a))
    monkeypatch.setenv("REFSCOPE_DASHBOARD_PASSWORD", "a-long-test-password")  # off loopback
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, [command, "--host", host, "--db", str(tmp_path / "x.duckdb")])
    assert f"--host {host}: unknown address (not a valid host name" in _one_error_line(result)
    assert started == []


# --- prune -------------------------------------------------------------------------------------


@pytest.mark.parametrize("age", ["99999y", "99999999999d"])
def test_prune_an_age_beyond_the_calendar_is_refused_in_one_line(
    runner: CliRunner, db_path: Path, age: str
) -> None:
    result = runner.invoke(cli, ["prune", "--older-than", age, "--db", str(db_path)])
    line = _one_error_line(result, code=2)  # a bad option value, as click's own refusals
    assert line.startswith(f"Error: Invalid value for '--older-than': invalid age '{age}'"), line


@pytest.mark.parametrize("age", ["0d", "-3d", "25", "25x"])
def test_prune_an_age_that_is_no_age_names_the_rule_it_breaks(
    runner: CliRunner, db_path: Path, age: str
) -> None:
    result = runner.invoke(cli, ["prune", "--older-than", age, "--db", str(db_path)])
    line = _one_error_line(result, code=2)  # exit 1 was a failed prune's, not a bad value's
    assert f"'--older-than': invalid age '{age}': a whole number of at least 1 and a unit" in line


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
    assert listed.stdout.splitlines() == [
        "ref\tpage\tchannel\tcampaign\tplacement\turl\tcreated\tnotes"
    ]
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
        ["forget", "u1", "--page", "1122334455/"],  # a typo after the digits: all must be
        ["report", "--page", "123", "--page", "my page", "--format", "html"],
        ["pages", "set", "0123456", "--name", "My page"],  # no page id starts with 0
        ["report", "--page", "0", "--format", "html"],
    ],
    ids=[
        "pages-set-short",
        "pages-set-username",
        "forget",
        "forget-digits-then-typo",
        "report",
        "pages-set-leading-zero",
        "report-zero",
    ],
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

    with served(Quiet) as base:
        yield root, base


def test_pull_logs_names_the_url_not_its_spool_file(
    runner: CliRunner, db_path: Path, http_root: tuple[Path, str]
) -> None:
    root, base = http_root
    # Neither gzip nor a web page (refused as one, 60a71ad) nor a plain log (read as one).
    (root / "export.ndjson.gz").write_text("sign in first\n")
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


def test_a_blank_page_name_is_refused_and_a_name_is_kept_without_surrounding_spaces(
    runner: CliRunner, tmp_path: Path, query: Query
) -> None:
    """A name of spaces only was stored, and the pages showed the page by an empty label."""
    db_file = tmp_path / "r.duckdb"
    args = ["pages", "set", "1122334455", "--db", str(db_file)]
    line = _one_error_line(runner.invoke(cli, [*args, "--name", "   "]))
    assert "invalid page name (blank)" in line, line
    result = runner.invoke(cli, [*args, "--name", "  Acme Bakery "])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db_file), read_only=True) as con:
        assert con.execute("SELECT page_id, name FROM pages").fetchall() == [
            ("1122334455", "Acme Bakery")
        ]


def test_links_list_refuses_another_programs_duckdb_file_in_one_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    other = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    line = _one_error_line(runner.invoke(cli, ["links", "list", "--db", str(other)]))
    assert line == f"Error: {other} is not a refscope database (no tracked_links table)"


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "option"),
    [(["ingest", "--follow", "{log}", "--db", "{db}"], "--interval"),
     (["demo-data", "--days", "1", "--out", "{out}"], "--scale")],
)  # fmt: skip
def test_nan_for_a_number_option_is_refused_naming_the_option(
    runner: CliRunner, tmp_path: Path, command: list[str], option: str
) -> None:
    """click's range check lets nan through (each comparison with it is false): `--interval
    nan` ended in a traceback once following, `--scale nan` wrote demo logs at no scale."""
    where = {"log": _log(tmp_path), "db": tmp_path / "x.duckdb", "out": tmp_path / "demo"}
    args = [a.format(**where) for a in command]
    for nan in ("nan", "-NaN"):
        line = _one_error_line(runner.invoke(cli, [*args, option, nan]), code=2)
        assert line == f"Error: Invalid value for '{option}': '{nan}' is not a number", line
    assert not where["db"].exists() and not where["out"].exists()


def test_links_qr_refuses_another_programs_duckdb_file_in_one_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`links qr` on another program's DuckDB file ended in DuckDB's Catalog Error traceback
    (no table pages), where `links list` refuses the file."""
    other = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    args = ["links", "qr", "spring", "--out", str(tmp_path / "codes"), "--db", str(other)]
    line = _one_error_line(runner.invoke(cli, args))
    assert line.startswith(f"Error: {other} is not a refscope database (no "), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]  # nothing written


def test_pull_logs_on_a_full_disk_names_the_url_and_the_spool_folder(
    db_path: Path, http_root: tuple[Path, str]
) -> None:
    """A download the disk could not hold (a file size limit stands in for a full one) ended in
    `Error: File too large` alone, naming neither the URL nor where it was kept."""
    import resource

    from tests.ingest.cli_setup import _run_refscope

    root, base = http_root
    lines = [f.delivery(f.message("hi " * 50, psid=f"u{i}", ts=T0 + i)) for i in range(200)]
    f.write_ndjson(root / "export.ndjson", lines)

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = _run_refscope("pull", "logs", f"{base}/export.ndjson", "--db", str(db_path),
                         cwd=db_path.parent, preexec_fn=small_disk, timeout=120)  # fmt: skip
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.strip().splitlines() == [
        f"Error: {base}/export.ndjson: cannot keep the download in {db_path.parent / '.pull'}: "
        "File too large"
    ]
    assert list((db_path.parent / ".pull").iterdir()) == []  # no spool file left
