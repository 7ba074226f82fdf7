"""`refscope pull logs` that fails (a host that does not resolve, a server's 404) or is refused,
in a process of its own: a database file it made for the pull, with no row, goes, as `pull ads`
makes none before Meta has answered; one that was there stays."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ingest import db
from tests.ingest.cli_setup import _clean_env
from tests.ingest.fetch_server import Site, site  # noqa: F401 (the fixture)

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
