"""`refscope dashboard --db FILE`, in a process of its own, refuses at start a FILE every other
command refuses (no DuckDB file, another program's DuckDB file), exit 1 with their message and
the file left as it was: it started Streamlit, said where it runs, and only the page opened in
a browser said the file could not be read. A missing file and an empty refscope database
start as before (the app shows what to run)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ingest import db
from tests.ingest.cli_setup import _clean_env, _refused_in_process
from tests.ingest.test_dashboard_terminal import _wait_until_it_answers
from tests.local_http import free_port


def _text_file(path: Path) -> str:
    path.write_text("not a database\n", encoding="utf-8")
    return "not a valid DuckDB database file"


def _other_programs(path: Path) -> str:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()
    return "is not a refscope database (no events table): it holds orders"


@pytest.mark.parametrize("make", [_text_file, _other_programs], ids=["text", "other_program"])
def test_a_file_no_command_reads_is_refused_before_streamlit_starts(
    tmp_path: Path, make: Callable[[Path], str]
) -> None:
    bad = tmp_path / "shop.duckdb"
    said = make(bad)
    before = bad.read_bytes()
    port = free_port()
    # Started, it runs until stopped: the timeout ends a dashboard that did not refuse.
    try:
        error = _refused_in_process("dashboard", "--db", str(bad), "--port", str(port),
                                    cwd=tmp_path, timeout=30)  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the dashboard started on {bad}: {exc.stdout!r}")
    assert said in error and str(bad) in error, error
    assert bad.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["shop.duckdb"]  # no .wal, no new file
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # nothing listening


def test_an_empty_refscope_database_still_starts(tmp_path: Path) -> None:
    empty = tmp_path / "refscope.duckdb"
    db.connect(empty).close()  # the schema, no events
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dashboard.cli import main; main()",
         "dashboard", "--db", str(empty), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_clean_env(),
        start_new_session=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"refscope dashboard on http://localhost:{port}"), first
        # Started and serving: what this test checks of an empty database. Not for the Ctrl-C
        # below: it ends the dashboard at any moment, Streamlit's start included, as Streamlit
        # runs in a child of refscope's own process (dashboard.server_process).
        _wait_until_it_answers(port)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # not left running for the next tests
            proc.communicate()
            raise
