"""`links create` and `links import` stopped (Ctrl-C, SIGTERM) before they register anything,
on a database file they made: the file goes too, as a refused command makes none; a database
that was there stays, row or no row."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from ingest import db
from tests.ingest.cli_setup import _signalled_at_call
from tests.ingest.links_setup import write_csv

NOTHING = "stopped before registering anything: no link was registered, no code written\n"
COMMANDS = {
    "create": ("links", "create", "--page", "acmebakery", "--ref", "door_1", "--channel", "qr"),
    "import": ("links", "import", "spots.csv"),
}
# Where the stop lands: in the new file's schema (db.connect), and once it is made, before the
# links (and an import's pages) are committed.
STOPS = [
    ("create", "ingest/db.py:migrate"),
    ("create", "ingest/links.py:register"),
    ("import", "ingest/db.py:migrate"),
    ("import", "ingest/links.py:learn_pages"),
]


def _stopped(tmp_path: Path, command: str, at: str, sig: int, code: int) -> Path:
    """command stopped at `at` on refscope.duckdb in tmp_path, saying nothing was registered."""
    write_csv(tmp_path / "spots.csv", ["acmebakery,spot_1,qr,spring,Spot 1,"])
    db_file = tmp_path / "refscope.duckdb"
    args = (*COMMANDS[command], "--out", "codes", "--db", str(db_file))
    done = _signalled_at_call(at, sig, *args, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (code, "", NOTHING)
    return db_file


@pytest.mark.parametrize(("command", "at"), STOPS)
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])  # fmt: skip
def test_a_stop_removes_the_database_it_made(
    tmp_path: Path, command: str, at: str, sig: int, code: int
) -> None:
    """The empty refscope.duckdb it made was left behind."""
    _stopped(tmp_path, command, at, sig, code)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spots.csv"]


@pytest.mark.parametrize(("command", "at"), STOPS[1::2])
def test_a_stop_keeps_a_database_that_was_there(tmp_path: Path, command: str, at: str) -> None:
    db_file = tmp_path / "refscope.duckdb"
    db.connect(db_file).close()  # a refscope database without a row
    before = db_file.read_bytes()
    assert _stopped(tmp_path, command, at, signal.SIGINT, 130).read_bytes() == before
