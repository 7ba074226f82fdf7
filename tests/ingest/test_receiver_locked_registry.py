"""GET /r/<ref> while the database is locked by another process (a long ingest, a rebuild, an
analyst's read-write DuckDB session) and the receiver has not read the ref's registration: the
ref may well be registered, so it is not answered "not registered" (404) and the scan lost.

A link made with `links create --via-redirect` names its page (`?page=`): it is redirected there
and its click logged; without a page there is nowhere to send the visitor, so 503 and a
Retry-After say to try again. Once the lock is gone the registry is read as before."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import links
from ingest.receiver import ReceiverConfig
from tests import factories as f
from tests.ingest.receiver_server import (
    SECRET,
    TOKEN,
    StartReceiver,
    register,
    rules_refuse_and_one_click_was_unchecked,
    scan_is_sent_to_its_page,
)

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])  # read-write: no other process may open the file meanwhile
print("locked", flush=True)
sys.stdin.read()
con.close()
"""


@pytest.fixture
def locked(db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """The database, with one link registered, held by another process until the test ends."""
    register(db_path, links.make_link(f.PAGE_USERNAME, "window_qr", "qr"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    try:
        yield holder
    finally:
        if holder.poll() is None:
            holder.communicate(timeout=30)


def test_a_receiver_started_while_the_database_is_locked_still_sends_scans_to_their_page(
    start_receiver: StartReceiver, db_path: Path, tmp_path: Path, locked: subprocess.Popen[str]
) -> None:
    receiver = start_receiver(ReceiverConfig(tmp_path / "logs", db_path, (SECRET,), TOKEN))
    assert "locked" in receiver.get("/healthz").json()["registry"]["error"]
    # As `links create --via-redirect` writes it: the page is in the link.
    scan_is_sent_to_its_page(receiver, "window_qr", f.PAGE_USERNAME)
    # Without a page there is nowhere to send the visitor: not "not registered", but later.
    r = receiver.get("/r/window_qr")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert "locked" in r.text and "not registered" not in r.text
    # What the rules refuse stays refused, lock or not.
    rules_refuse_and_one_click_was_unchecked(receiver, "registry_locked")
    locked.communicate(timeout=30)  # the lock is gone: the registry is read again
    assert receiver.get("/r/window_qr").status_code == 302
    assert receiver.get("/healthz").json()["registry"]["error"] is None
    assert receiver.get("/r/other_ref", params={"page": f.PAGE_USERNAME}).status_code == 404
