"""A database an older refscope wrote without --keep-text holds a `user_email` /
`user_phone_number` quick reply's payload (the person's email address or phone number, Meta's
quick replies page) in `events.quick_reply_payload`, beside the text it did not keep. Opened for
writing by this refscope (any ingest, `links`, `prune`…), such a payload is replaced as an
ingest without --keep-text now stores it; a kept text keeps its payload, and the team's own
payloads stay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingest import db, pipeline
from ingest.shared_contact import EMAIL_REMOVED, PHONE_REMOVED
from tests import factories as f
from tests.conftest import Query
from tests.ingest.test_shared_contact import (
    EMAIL,
    OTHER,
    PAYLOADS,
    PHONE,
    PSID,
    SALT,
    payloads,
    rejected,
    tapped,
    team,
)


def test_an_older_databases_email_or_phone_payloads_beside_no_text_are_replaced(
    ingest_lines: Any, db_path: Path, tmp_path: Path, query: Query
) -> None:
    ingest_lines([tapped(p, n) for n, p in enumerate(PAYLOADS)], keep_text=True)
    # As the older refscope stored them without --keep-text: the text gone, its length and the
    # payload kept; the first message's text was kept (a run with --keep-text).
    first = f.T0
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE events SET text = NULL WHERE ts > make_timestamp($t * 1000)", {"t": first})
    con.execute("COMMENT ON TABLE events IS NULL")  # an older refscope counted no migrations
    con.close()
    assert query.scalar("SELECT count(*) FROM events WHERE quick_reply_payload LIKE '%@%.%'") > 1

    db.connect(db_path).close()
    got = query("SELECT quick_reply_payload, text IS NULL FROM events ORDER BY ts")
    listed = list(PAYLOADS.items())
    assert got[0] == (listed[0][0], False)  # its text kept: so is its payload
    assert got[1:] == [(shown or payload, True) for payload, shown in listed[1:]]

    # A later ingest reads on as before; a second open changes nothing.
    log = f.write_ndjson(tmp_path / "later.ndjson", [tapped("COLOR_RED", len(PAYLOADS))])
    pipeline.run([str(log)], db_path, keep_text=False)
    again = query("SELECT quick_reply_payload FROM events ORDER BY ts")
    assert again == [(p,) for p, _ in got] + [("COLOR_RED",)]


def test_an_older_databases_rejected_lines_lose_an_email_or_phone_payload_beside_a_removed_text(
    tmp_path: Path, db_path: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older refscope replaced a rejected line's text by its placeholder (salted without
    --keep-text; a forget) and kept the quick reply's payload beside it: the person's email
    address or phone number. Opened for writing, such a payload goes as an ingest now takes it;
    beside a kept text, and the team's own payloads, nothing changes."""
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    line = f.line(f.delivery(rejected(PSID, EMAIL, f.T0), rejected(OTHER, PHONE, f.T0 + 1),
                             team(OTHER, f.T0 + 2)))  # fmt: skip
    cut = f.line(f.envelope(f.line(f.delivery(rejected(PSID, PHONE, f.T0 + 3)))[:-2]))
    logs = tmp_path / "logs"
    log = f.write_ndjson(logs / "webhooks-a.ndjson", [line, cut])
    pipeline.run([str(log)], db_path, keep_text=False)
    kept = f.write_ndjson(logs / "webhooks-b.ndjson", [line])
    pipeline.run([str(kept)], db_path, keep_text=True)
    # As the older refscope kept them: the payloads as they came beside the removed texts, and
    # no count of migrations done.
    con = duckdb.connect(str(db_path))
    con.execute("COMMENT ON TABLE events IS NULL")
    for shown, given in ((EMAIL_REMOVED, EMAIL), (PHONE_REMOVED, PHONE)):
        a, b = json.dumps(shown), json.dumps(given)  # and inside a body kept as a string:
        c, d = json.dumps(a)[1:-1], json.dumps(b)[1:-1]
        sql = "UPDATE rejects SET raw = replace(replace(raw, $a, $b), $c, $d)"
        con.execute(sql, {"a": a, "b": b, "c": c, "d": d})
    con.close()
    before = dict(query("SELECT file, raw FROM rejects WHERE line_no = 1"))
    assert EMAIL in before[str(log)] and PHONE in query.scalar(
        "SELECT raw FROM rejects WHERE line_no = 2"
    )

    db.connect(db_path).close()
    got = dict(query("SELECT file, raw FROM rejects WHERE line_no = 1"))
    assert payloads(got[str(log)]) == [EMAIL_REMOVED, PHONE_REMOVED, "COLOR_RED"]
    assert got[str(kept)] == before[str(kept)]  # its texts kept: so are its payloads
    assert payloads(got[str(kept)]) == [EMAIL, PHONE, "COLOR_RED"]
    body = query.scalar("SELECT raw FROM rejects WHERE line_no = 2")
    assert PHONE not in body and json.dumps(PHONE_REMOVED) in json.loads(body)["body"]
    db.connect(db_path).close()  # a second open changes nothing
    assert dict(query("SELECT file, raw FROM rejects WHERE line_no = 1")) == got


DONE = "refscope migrations: 11"  # db.MIGRATED: every migration, done


def _as_older_refscope_stored(db_path: Path, *, counted: bool) -> None:
    """The tapped email's message without its text, its payload kept; counted: the database
    says it has had its migrations (as one this refscope made does)."""
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE events SET text = NULL, quick_reply_payload = $p", {"p": EMAIL})
    if not counted:
        con.execute("COMMENT ON TABLE events IS NULL")
    con.close()


def test_an_older_database_is_migrated_at_its_first_writers_connect_only(
    ingest_lines: Any, db_path: Path, query: Query
) -> None:
    ingest_lines([tapped(EMAIL, 0)], keep_text=True)
    _as_older_refscope_stored(db_path, counted=False)
    db.connect(db_path).close()
    assert query("SELECT quick_reply_payload FROM events") == [(EMAIL_REMOVED,)]
    assert query("SELECT comment FROM duckdb_tables() WHERE table_name = 'events'") == [(DONE,)]
    # Done once: the next connects scan no event for it (a row put back is left as it is).
    _as_older_refscope_stored(db_path, counted=True)
    db.connect(db_path).close()
    assert query("SELECT quick_reply_payload FROM events") == [(EMAIL,)]


def test_a_new_database_has_had_its_migrations(
    ingest_lines: Any, db_path: Path, query: Query
) -> None:
    """Made by this refscope (db_path's connect): nothing an older one stored is in it, and no
    connect scans its events for it."""
    assert query("SELECT comment FROM duckdb_tables() WHERE table_name = 'events'") == [(DONE,)]
    ingest_lines([tapped(EMAIL, 0)], keep_text=True)
    _as_older_refscope_stored(db_path, counted=True)
    db.connect(db_path).close()
    assert query("SELECT quick_reply_payload FROM events") == [(EMAIL,)]
