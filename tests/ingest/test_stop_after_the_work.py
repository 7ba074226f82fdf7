"""A command stopped (Ctrl-C, SIGTERM) once its work is done and its own stop handler is taken
down (`ingest` printing its summary, any command as it returns): it ends with one line saying
what it left, exit 130 or 143, as a stop during the work does.

It fell back to Python's default there: click's "Aborted!" with exit 1 (Ctrl-C), an end
without a word (SIGTERM). Run from the real entry point (`refscope`), the signal sent as the
named function is first called, or returns."""

from __future__ import annotations

import functools
import signal
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest

from tests.ingest.cli_setup import ENTRIES, _log, _run_refscope, _signalled_at_call
from tests.local_http import served

SIGNALS = pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)


def _late(tmp_path: Path, at: str, sig: int, *args: str) -> tuple[int, str]:
    """refscope's exit code and stderr, sent sig at `at`; no traceback nor "Aborted!"."""
    done = _signalled_at_call(at, sig, *args, cwd=tmp_path, entry=ENTRIES["refscope"])
    assert "Traceback" not in done.stderr and "Aborted" not in done.stdout + done.stderr
    return done.returncode, done.stderr


def _count(db_file: Path, table: str) -> int:
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
        return int(n)
    finally:
        con.close()


def _ingested(tmp_path: Path) -> Path:
    _log(tmp_path, "log.ndjson")
    db_file = tmp_path / "r.duckdb"
    done = _run_refscope("ingest", "log.ndjson", "--db", str(db_file), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return db_file


@SIGNALS
def test_ingest_stopped_as_it_prints_its_summary_says_it_is_committed(
    tmp_path: Path, sig: int, code: int
) -> None:
    _log(tmp_path, "log.ndjson")
    db_file = tmp_path / "r.duckdb"
    done = _late(tmp_path, "ingest/summary.py:print_summary", sig, "ingest", "log.ndjson",
                 "--db", str(db_file))  # fmt: skip
    assert done == (code, "stopped: the ingest is committed\n")
    assert _count(db_file, "events") == 2


LATE = {  # command: (where the signal lands, its arguments, the line it ends with)
    "prune": ("ingest/cli_retention.py:prune:return", ["prune", "--older-than", "90d"],
              "stopped: the prune is committed"),
    "forget": ("ingest/cli_retention.py:forget:return", ["forget", "u1"],
               "stopped: u1 is forgotten"),
    "pages set": ("ingest/cli_links.py:pages_set:return", ["pages", "set", "123", "--name", "A"],
                  "stopped: page 123 is saved"),
    "links create": ("ingest/cli_links.py:links_create:return",
                     ["links", "create", "--page", "123", "--ref", "bio", "--channel", "qr",
                      "--out", "{tmp}/codes"],
                     "stopped: bio is registered, its code files written in {tmp}/codes"),
    "report": ("dashboard/cli.py:report:return", ["report", "--out", "{tmp}/r.html"],
               "stopped: {tmp}/r.html is written whole"),
    "rebuild": ("ingest/cli_rebuild.py:rebuild:return",
                ["rebuild", "--out", "{tmp}/new.duckdb", "log.ndjson"],
                "stopped: {tmp}/new.duckdb is written whole; {tmp}/r.duckdb is unchanged"),
}  # fmt: skip


@SIGNALS
@pytest.mark.parametrize("command", sorted(LATE))
def test_a_command_stopped_as_it_returns_says_what_it_left(
    tmp_path: Path, command: str, sig: int, code: int
) -> None:
    db_file = _ingested(tmp_path)
    at, args, said = LATE[command]
    done = _late(tmp_path, at, sig, *(a.format(tmp=tmp_path) for a in args), "--db", str(db_file))
    assert done[0] == code, done[1]
    assert done[1].splitlines()[-1] == said.format(tmp=tmp_path)


@SIGNALS
def test_links_qr_stopped_as_it_returns_says_its_codes_are_written(
    tmp_path: Path, sig: int, code: int
) -> None:
    """Its stop said the code files were not all written once they were."""
    db_file = tmp_path / "r.duckdb"
    made = _run_refscope("links", "create", "--page", "123", "--ref", "bio", "--channel", "qr",
                         "--out", "codes", "--db", str(db_file), cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = _late(tmp_path, "ingest/cli_links.py:links_qr:return", sig, "links", "qr", "bio",
                 "--out", "again", "--db", str(db_file))  # fmt: skip
    assert done == (code, "stopped: the code files of bio are written in again\n")
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == ["bio.png", "bio.svg"]


@SIGNALS
def test_demo_data_stopped_as_it_says_what_it_wrote_says_the_logs_are_whole(
    tmp_path: Path, sig: int, code: int
) -> None:
    done = _late(tmp_path, "ingest/terminal.py:say", sig, "demo-data", "--days", "1",
                 "--scale", "0.01", "--out", "demo")  # fmt: skip
    assert done[0] == code, done[1]
    assert done[1].splitlines()[-1] == "stopped: demo holds the demo logs whole"


@SIGNALS
def test_pull_logs_stopped_as_it_prints_its_summary_says_it_is_committed(
    tmp_path: Path, sig: int, code: int
) -> None:
    _log(tmp_path / "served", "log.ndjson")
    db_file = tmp_path / "r.duckdb"
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    with served(handler) as base:
        done = _late(tmp_path, "ingest/summary.py:print_summary", sig, "pull", "logs",
                     f"{base}/log.ndjson", "--db", str(db_file))  # fmt: skip
    assert done == (code, "stopped: the pull is committed\n")
    assert _count(db_file, "events") == 2
