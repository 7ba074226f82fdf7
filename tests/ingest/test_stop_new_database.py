"""`pages set`, `ingest` and `pull ads` stopped (Ctrl-C, SIGTERM) before their commit, on a
database file they made: the file goes too, as a refused command makes none (as for `links
create` and `links import`: test_links_stop_new_database.py); a database that was there stays,
row or no row."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from ingest import db
from tests.ingest.cli_setup import _log, _signalled_at_call
from tests.ingest.graph_setup import ACCOUNT, TOKEN, FakeGraph, days

SIGNALS = pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                                  ids=["ctrl-c", "sigterm"])  # fmt: skip
PAGES_SET = ("pages", "set", "123", "--username", "acmebakery", "--name", "Acme")
PAGES_SAID = "stopped before saving anything: nothing was written\n"
# Where the stop lands: in the new file's schema (db.connect), and once it is made, before the
# page is committed.
PAGES_AT = ["ingest/db.py:migrate", "ingest/links.py:learn_page"]


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@SIGNALS
@pytest.mark.parametrize("at", PAGES_AT)
def test_a_stopped_pages_set_removes_the_database_it_made(
    tmp_path: Path, at: str, sig: int, code: int
) -> None:
    """The refscope.duckdb it made, without a row, was left behind."""
    done = _signalled_at_call(at, sig, *PAGES_SET, "--db", "refscope.duckdb", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (code, "", PAGES_SAID)
    assert _left(tmp_path) == []


@pytest.mark.parametrize("at", PAGES_AT)
def test_a_stopped_pages_set_keeps_a_database_that_was_there(tmp_path: Path, at: str) -> None:
    db_file = tmp_path / "refscope.duckdb"
    db.connect(db_file).close()  # a refscope database without a row
    before = db_file.read_bytes()
    done = _signalled_at_call(at, signal.SIGINT, *PAGES_SET, "--db", str(db_file), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (130, PAGES_SAID)
    assert db_file.read_bytes() == before


@SIGNALS
def test_a_stopped_ingest_removes_the_database_it_made(tmp_path: Path, sig: int, code: int) -> None:
    """Stopped in the new file's schema, it said "nothing was written" and left the file."""
    _log(tmp_path)
    done = _signalled_at_call("ingest/db.py:migrate", sig, "ingest", "webhooks.ndjson",
                              "--db", "refscope.duckdb", cwd=tmp_path)  # fmt: skip
    assert done.returncode == code, done.stderr
    assert done.stderr == "stopped before reading anything: nothing was written\n"
    assert _left(tmp_path) == ["webhooks.ndjson"]


@SIGNALS
@pytest.mark.parametrize("at", ["ingest/db.py:migrate", "ingest/insight_rows.py:store"])
def test_a_stopped_pull_ads_removes_the_database_it_made(
    graph: FakeGraph, tmp_path: Path, at: str, sig: int, code: int
) -> None:
    """Stopped as it stored Meta's answer in a database it made, it said "nothing was stored"
    and left the file, without a row."""
    graph.rows = days(2)
    done = _signalled_at_call(at, sig, "pull", "ads", "--account", ACCOUNT, "--base-url",
                              graph.base, "--since", "2026-11-01", "--until", "2026-11-02",
                              "--db", "refscope.duckdb", cwd=tmp_path,
                              env={"REFSCOPE_META_TOKEN": TOKEN})  # fmt: skip
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("stopped: nothing was stored"), done.stderr
    assert graph.requests
    assert _left(tmp_path) == []
