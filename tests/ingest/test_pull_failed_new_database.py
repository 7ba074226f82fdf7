"""`refscope pull logs` that fails (a host that does not resolve, a server's 404) or is refused,
in a process of its own: a database file it made for the pull, with no row, goes, as `pull ads`
makes none before Meta has answered; one that was there stays, and a DuckDB file that held
nothing is left as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import db
from tests.ingest.cli_setup import _clean_env
from tests.ingest.fetch_server import Site, lines, site, stopped_mid_download  # noqa: F401

# A name under .invalid never resolves (RFC 2606): no network needed. A proxy from the
# environment would resolve the name itself, and answer for it.
HOST = "nowhere.example.invalid"
PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def _pull_fails(url: str, db_file: Path) -> str:
    """`refscope pull logs url --db db_file` in a process of its own, which exits 1: its stderr."""
    env = {k: v for k, v in _clean_env().items() if k.lower() not in PROXIES}
    done = subprocess.run([sys.executable, "-m", "ingest", "pull", "logs", url, "--no-progress",
                           "--db", str(db_file)], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr


def test_a_host_that_does_not_resolve_leaves_no_database(tmp_path: Path) -> None:
    """The empty r.duckdb made before the host was asked was left behind."""
    said = _pull_fails(f"https://{HOST}/export.ndjson", tmp_path / "r.duckdb")
    assert f"the host {HOST} was not found" in said, said
    assert [p for p in os.listdir(tmp_path) if p != ".pull"] == []


def test_a_server_that_refuses_the_log_leaves_no_database(site: Any, tmp_path: Path) -> None:  # noqa: F811
    s, base = site
    assert isinstance(s, Site)
    s.answers["/gone.ndjson"] = 404
    _pull_fails(base + "/gone.ndjson", tmp_path / "r.duckdb")
    assert [p for p in os.listdir(tmp_path) if p != ".pull"] == []


def test_a_database_that_was_there_stays(tmp_path: Path) -> None:
    db_file = tmp_path / "r.duckdb"
    db.connect(db_file).close()  # a refscope database without a row
    before = db_file.read_bytes()
    _pull_fails(f"https://{HOST}/export.ndjson", db_file)
    assert db_file.read_bytes() == before


def _blank(folder: Path) -> tuple[Path, bytes]:
    """A DuckDB file that holds nothing in folder (which `ingest` makes a refscope database, as
    it makes a missing one), and its bytes."""
    db_file = folder / "r.duckdb"
    duckdb.connect(str(db_file)).close()
    return db_file, db_file.read_bytes()


@pytest.mark.parametrize("source", ["unknown-host", "404"])
def test_a_pull_that_fails_leaves_an_empty_file_as_it_was(
    site: Any,  # noqa: F811
    tmp_path: Path,
    source: str,
) -> None:
    """refscope's schema (21 tables) was written into it before the source was asked, and
    stayed."""
    s, base = site
    s.answers["/gone.ndjson"] = 404
    url = f"https://{HOST}/export.ndjson" if source == "unknown-host" else base + "/gone.ndjson"
    db_file, before = _blank(tmp_path)
    said = _pull_fails(url, db_file)
    assert source == "404" or f"the host {HOST} was not found" in said, said
    _as_it_was(db_file, before)


def test_a_pull_stopped_mid_download_leaves_an_empty_file_as_it_was(
    site: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = _served(site, 40)
    site[0].trickle = 0.002  # a byte at a time: the download takes some 20 s
    db_file, before = _blank(tmp_path)
    stopped_mid_download(site[0], url, db_file, signal.SIGINT, after=2000)
    _as_it_was(db_file, before)


def _served(served: Any, n: int) -> str:
    """The site (served: the fixture's) serving a log of n lines at /w.ndjson: its URL."""
    s, base = served
    s.files["/w.ndjson"] = lines(0, n)
    return str(base) + "/w.ndjson"


def _as_it_was(db_file: Path, before: bytes) -> None:
    """db_file holds before's bytes again, with no .wal beside it (.pull aside)."""
    assert db_file.read_bytes() == before
    assert [p for p in os.listdir(db_file.parent) if p != ".pull"] == [db_file.name]


def test_a_pull_that_stores_makes_an_empty_file_a_refscope_database(
    site: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = _served(site, 3)
    db_file, _ = _blank(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ingest", "pull", "logs", url,
                           "--no-progress", "--db", str(db_file)], env=_clean_env(),
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db_file), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (3,)
