"""`refscope pull logs` (a real process) killed part-way through its download, before any line
was committed (SIGKILL, or Ctrl-C), against a slow server on 127.0.0.1 that counts the bytes it
sends: the next pull goes on from the bytes already in `.pull` (a Range, with an If-Range naming
the version they are of), not from the export's start; one of another version (a file replaced
meanwhile), or from a server that ignores Range, comes whole. Either way the tables are those of
one clean pull, and nothing is left in `.pull`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.download import SPOOL_PREFIX
from tests.ingest.fetch_server import lines, stopped_mid_download
from tests.ingest.test_pull_resumed import _cli, _tables

pytestmark = pytest.mark.usefixtures("fast_retries")

LOG = lines(0, 40)  # some 10 KB


def _killed_mid_download(site: Any, url: str, db_file: Path, sig: signal.Signals) -> int:
    """A pull of url stopped by sig once the server, sending a byte at a time, has sent 2,000
    bytes; the bytes of the download it left in `.pull`."""
    s, _ = site
    s.trickle = 0.002  # a byte at a time: the download takes some 20 s
    stopped_mid_download(s, url, db_file, sig, after=2000)
    s.trickle = 0.0
    kept = (db_file.parent / ".pull").glob(f"{SPOOL_PREFIX}*[0-9]")  # not a note beside one
    return sum(f.stat().st_size for f in kept)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_a_download_killed_part_way_is_resumed_by_the_next_pull(
    site: Any, tmp_path: Path, sig: signal.Signals
) -> None:
    s, base = site
    s.files["/w.ndjson"] = LOG
    url = base + "/w.ndjson"
    clean_db, killed_db = tmp_path / "clean.duckdb", tmp_path / "killed.duckdb"
    assert _cli(url, clean_db).returncode == 0
    kept = _killed_mid_download(site, url, killed_db, sig)
    assert 0 < kept < len(LOG), kept

    asked, sent = len(s.requests), s.sent
    again = _cli(url, killed_db)
    assert again.returncode == 0, again.stdout + again.stderr
    (request,) = s.requests[asked:]
    assert request["Range"] == f"bytes={kept}-" and request["If-Range"].startswith('"')
    assert s.sent - sent == len(LOG) - kept  # the rest only, not the export again
    assert _tables(killed_db) == _tables(clean_db)
    assert list((killed_db.parent / ".pull").iterdir()) == []


@pytest.mark.parametrize("change", ["replaced", "no_ranges"])
def test_a_killed_download_another_version_or_no_range_replaces_comes_whole(
    site: Any, tmp_path: Path, change: str
) -> None:
    s, base = site
    s.files["/w.ndjson"] = LOG
    url = base + "/w.ndjson"
    killed_db = tmp_path / "killed.duckdb"
    assert _killed_mid_download(site, url, killed_db, signal.SIGKILL) > 0
    if change == "replaced":  # other lines (fewer: not taken for the log grown, download.py)
        s.files["/w.ndjson"] = lines(100, 30)
    else:
        s.ranges = False
    sent = s.sent
    again = _cli(url, killed_db)
    assert again.returncode == 0, again.stdout + again.stderr
    assert s.sent - sent == len(s.files["/w.ndjson"])
    clean_db = tmp_path / "clean.duckdb"
    assert _cli(url, clean_db).returncode == 0
    assert _tables(killed_db) == _tables(clean_db)
    assert list((killed_db.parent / ".pull").iterdir()) == []


def test_a_forget_removes_a_download_kept_for_the_next_pull(site: Any, tmp_path: Path) -> None:
    """The download kept (the log as the server sent it: people's ids and words) and its note
    go with the downloads a killed pull left, counted as one download."""
    s, base = site
    s.files["/w.ndjson"] = LOG
    db_file = tmp_path / "killed.duckdb"
    assert _killed_mid_download(site, base + "/w.ndjson", db_file, signal.SIGKILL) > 0
    assert len(list((tmp_path / ".pull").glob(f"{SPOOL_PREFIX}*"))) == 2  # the bytes, a note
    res = CliRunner().invoke(cli, ["forget", "9000", "--db", str(db_file)])
    assert res.exit_code == 0, res.output
    assert "removed 1 download a killed `refscope pull logs` left" in res.stderr, res.output
    assert list((tmp_path / ".pull").glob(f"{SPOOL_PREFIX}*")) == []
