"""A database an older refscope wrote holds rejected lines with their tokens as they came: an
access token in a saved Graph API answer's `paging.next` (and quoted by Meta's error answer, in
the reason too), an opt-in's notification token. Opened for writing by this refscope (any
ingest, `links`, `prune`…), each becomes `<token removed>`, as an ingest now stores it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest import db
from tests import factories as f
from tests.conftest import IngestLines, Query

ACCESS = "EAAGm0PX4ZCpsBAKZAtokenZDZD"
NMT = "NMT7f3a9c2e1b4d5a6f8e9d0c1b2a3f4e5d"  # notification_messages_token
NEXT = f"https://graph.facebook.com/v23.0/act_1/insights?access_token={ACCESS}&after=QVFJ"
LINES = [
    json.dumps({"data": [], "paging": {"next": NEXT}}),
    json.dumps({"error": {"message": f"Malformed access token {ACCESS}", "code": 190}}),
    f.line(f.batch(f.entry(f.optin(type="notification_messages", payload="DEALS",
                                   notification_messages_token=NMT)), "not an entry")),
    json.dumps({"object": "page", "entry": "not a list"}),  # no token: left as it is
]  # fmt: skip


@pytest.mark.parametrize("comment", ["refscope migrations: 2", None], ids=["counted", "older"])
def test_an_older_databases_rejected_lines_lose_their_tokens(
    ingest_lines: IngestLines, db_path: Path, query: Query, comment: str | None
) -> None:
    ingest_lines(LINES)
    now = query("SELECT line_no, reason, raw FROM rejects ORDER BY line_no")
    assert len(now) == len(LINES)
    # As an older refscope stored them: the lines as they came, the quoted token in the reason.
    con = duckdb.connect(str(db_path))
    for n, _, _ in now:
        con.execute("UPDATE rejects SET raw = ?, reason = replace(reason, ?, ?) WHERE line_no = ?",
                    [LINES[n - 1], "<token removed>", ACCESS, n])  # fmt: skip
    con.execute(f"COMMENT ON TABLE events IS {'NULL' if comment is None else repr(comment)}")
    con.close()
    older = query("SELECT line_no, reason, raw FROM rejects ORDER BY line_no")
    assert ACCESS in older[0][2] and ACCESS in older[1][1] and NMT in older[2][2]

    db.connect(db_path).close()
    got = query("SELECT line_no, reason, raw FROM rejects ORDER BY line_no")
    assert got == [(n, reason, LINES[n - 1].replace(ACCESS, "<token removed>").replace(
        NMT, "<token removed>")) for n, reason, _ in now]  # fmt: skip
    assert not any(ACCESS in str(row) or NMT in str(row) for row in got)
    assert got[3][2] == LINES[3]
    db.connect(db_path).close()  # a second open changes nothing
    assert query("SELECT line_no, reason, raw FROM rejects ORDER BY line_no") == got
