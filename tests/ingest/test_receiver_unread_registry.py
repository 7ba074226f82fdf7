"""GET /r/<ref> on a receiver that has never read the tracked-links registry: a scaled-out
receiver on a host without the database (no file at --db), or with a file it cannot open.

Every ref was answered 404 there, "not registered", so each printed code scanned through that
receiver lost its visitor. A link that names its page (as `links create --via-redirect` writes
them) is now logged and redirected there, its ref and page checked against the rules only, as
while the database is locked; one without a page cannot be sent anywhere: 503, saying that no
registry has been read. Once a registry is read, a ref it does not hold is 404 again."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from ingest import db, links
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.ingest import receiver_server as rs
from tests.ingest.receiver_server import SECRET, TOKEN, StartReceiver


def test_a_receiver_without_the_database_sends_scans_of_via_redirect_links_to_their_page(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    db_file = tmp_path / "elsewhere" / "refscope.duckdb"  # the database lives on another host
    receiver = start_receiver(
        ReceiverConfig(tmp_path / "logs", db_file, (SECRET,), TOKEN, registry_refresh=0.0)
    )
    registry = receiver.get("/healthz").json()["registry"]
    assert registry["read"] is False and "no database yet" in registry["error"]
    rs.scan_is_sent_to_its_page(receiver, "window_qr", f.PAGE_USERNAME)
    # Without a page there is nowhere to send the visitor, and no registry to say "unknown".
    r = receiver.get("/r/window_qr")
    assert r.status_code == 503, r.text
    assert "no tracked links have been read" in r.text and "not registered" not in r.text
    assert "?page=" in r.text and str(tmp_path) not in r.text
    # What the rules refuse stays refused.
    rs.rules_refuse_and_one_click_was_unchecked(receiver, "registry_unread")
    assert receiver.metrics()['refscope_clicks_refused_total{reason="unknown_ref"}'] == 2
    # The database arrives: a registry read that does not hold a ref calls it unknown again.
    rs.register(db_file, links.make_link(f.PAGE_USERNAME, "window_qr", "qr"))
    assert receiver.get("/r/window_qr").status_code == 302
    registry = receiver.get("/healthz").json()["registry"]
    assert registry["read"] is True and registry["error"] is None
    r = receiver.get("/r/other_ref", params={"page": f.PAGE_USERNAME})
    assert r.status_code == 404 and "not registered" in r.text


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 100])
def test_a_receiver_whose_database_cannot_be_opened_still_sends_scans_to_their_page(
    start_receiver: StartReceiver, tmp_path: Path, content: bytes
) -> None:
    db_file = tmp_path / "refscope.duckdb"
    db_file.write_bytes(content)
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", db_file, (SECRET,), TOKEN))
    assert receiver.get("/healthz").json()["registry"]["read"] is False
    r = receiver.get("/r/window_qr", params={"page": f.PAGE_USERNAME, "qr": "0"})
    assert r.status_code == 302, r.text
    assert r.headers["location"] == f"https://m.me/{f.PAGE_USERNAME}?ref=window_qr"
    assert len(receiver.lines("clicks")) == 1
    assert receiver.get("/r/window_qr").status_code == 503


def test_a_receiver_on_a_duckdb_file_that_holds_nothing_reads_it_as_no_database_yet(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    """A DuckDB file no command wrote to (which `ingest` and `links create` make a refscope
    database) was called another program's, "not a refscope database (no tracked_links table)":
    it is, as a missing one, no database yet, and left as it was."""
    db_file = tmp_path / "refscope.duckdb"
    duckdb.connect(str(db_file)).close()
    before = db_file.read_bytes()
    receiver = start_receiver(
        ReceiverConfig(tmp_path / "logs", db_file, (SECRET,), TOKEN, registry_refresh=0.0)
    )
    registry = receiver.get("/healthz").json()["registry"]
    assert registry["read"] is False, registry
    assert registry["error"] == f"refscope.duckdb: {db.EMPTY}", registry
    rs.scan_is_sent_to_its_page(receiver, "window_qr", f.PAGE_USERNAME)
    assert receiver.get("/r/window_qr").status_code == 503
    assert db_file.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["logs", "refscope.duckdb"]  # no .wal beside it
    # A link registered in it is followed, as once a missing database arrives.
    rs.register(db_file, links.make_link(f.PAGE_USERNAME, "window_qr", "qr"))
    assert receiver.get("/r/window_qr").status_code == 302
    assert receiver.get("/healthz").json()["registry"]["error"] is None
