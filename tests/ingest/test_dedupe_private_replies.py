"""Private replies deduplicated across versions of their key: one an earlier version keyed is
not stored again when read again, and copies that share today's key once rekeyed are one."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import tests.factories as f
import tests.factories_feed as ff
from ingest import db, pipeline, webhook
from ingest.privacy import HMAC_SQL, Privacy
from tests.conftest import Query
from tests.factories import DAY, T0
from tests.ingest.logs import snapshot


@pytest.mark.parametrize("salt", [None, "pepper-for-tests"])
def test_a_private_reply_an_earlier_version_keyed_is_not_stored_again_when_read_again(
    ingest_lines, query: Query, db_path: Path, log_dir: Path, monkeypatch, salt
) -> None:
    """Before 2026-12-01 a private reply with a message_id was keyed on that id and its instant;
    a database of then, upgraded, reads its send log again (renamed, gzipped): still one reply."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    lines = [ff.send_log(ts=T0), f.delivery(f.message("hi", ts=T0 + 60_000))]
    ingest_lines(lines, name="sendlog.ndjson")
    # The key as the earlier version stored it (the database stores it keyed-hashed under a salt).
    privacy = Privacy.from_env()
    was = "rs_key([page_id, 'private_reply', mid, CAST(epoch_ms(ts) AS VARCHAR)])"
    if salt:
        was = f"md5_number({HMAC_SQL.format(x=db.key_text(was))})"
    con = db.connect(db_path)
    try:
        con.execute(webhook.MACROS)
        con.execute(
            f"""CREATE TEMP TABLE old AS SELECT event_key AS k, {was} AS was FROM events
                WHERE kind = 'private_reply'""",
            privacy.pads() if salt else None,
        )
        con.execute("UPDATE events SET event_key = was FROM old WHERE event_key = k")
        con.execute("UPDATE touches SET event_key = was FROM old WHERE event_key = k")
    finally:
        con.close()
    before = snapshot(query)
    log = log_dir / "sendlog.ndjson"
    log.with_name(log.name + ".gz").write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    result = pipeline.run([str(log_dir)], query.path)
    assert (result.files_read, result.events_added) == (1, 0)
    assert query("SELECT count(*) FROM events WHERE kind = 'private_reply'") == [(1,)]
    after = snapshot(query)
    for table in ("events", "touches", "contacts"):
        assert len(after[table]) == len(before[table]), table
    # Its touch took today's key with it: the touch still names its event.
    assert query("""SELECT count(*) FROM touches t JOIN events e USING (event_key)
                    WHERE t.via = 'private_reply' AND e.kind = 'private_reply'""") == [(1,)]


@pytest.mark.parametrize(
    ("copy_ms", "copy_keyed_before"),
    [(0, False), (5_000, True)],
    ids=["read-again-under-todays-key", "dated-apart-by-arrival"],
)
def test_copies_of_a_private_reply_that_share_todays_key_once_rekeyed_are_one(
    ingest_lines, query: Query, db_path: Path, log_dir: Path, copy_ms: int, copy_keyed_before: bool
) -> None:
    """A database of before 2026-12-01 holding one reply twice: read again (a renamed log) by a
    version keying on the id alone, or logged twice and dated by its arrivals. Rekeyed, both
    copies had one key and both stayed; the earliest dated stays, with the touch that acquired."""
    ingest_lines([ff.send_log(ts=T0), f.delivery(f.message("hi", ts=T0 + 60_000))], name="s.ndjson")
    acquired = "SELECT psid, first_seen_at, channel, comment_id FROM contacts"
    contacts = query(acquired)
    was = "rs_key([page_id, 'private_reply', mid, CAST(epoch_ms(ts) AS VARCHAR)])"
    con = db.connect(db_path)
    try:
        con.execute(webhook.MACROS)
        for table, kind in (("events", "kind"), ("touches", "via")):
            copy = f"ts + INTERVAL {copy_ms} MILLISECOND AS ts"
            if table == "events":
                copy += ", file || '.gz' AS file"
            else:
                copy += ", false AS is_first"
            con.execute(f"INSERT INTO {table} SELECT * REPLACE ({copy}) FROM {table} "
                        f"WHERE {kind} = 'private_reply'")  # fmt: skip
        # The earlier version's key on the first copy (and on the second, dated apart); each
        # touch takes its event's key (the first copy's touch is the one that acquired).
        copies = "file LIKE '%.gz'" if copy_keyed_before else "false"
        con.execute(f"""UPDATE events SET event_key = {was} WHERE kind = 'private_reply'
                        AND (file NOT LIKE '%.gz' OR {copies})""")  # fmt: skip
        con.execute(
            """UPDATE touches t SET event_key = e.event_key FROM events e
               WHERE t.via = 'private_reply' AND e.kind = 'private_reply'
                 AND t.is_first = (e.file NOT LIKE '%.gz')"""
        )
        assert con.execute("""SELECT count(DISTINCT event_key) FROM events
                              WHERE kind = 'private_reply'""").fetchone() == (2,)  # fmt: skip
    finally:
        con.close()
    assert query("SELECT count(*) FROM events WHERE kind = 'private_reply'") == [(2,)]
    ingest_lines([f.delivery(f.message("again", ts=T0 + DAY))], name="later.ndjson")
    assert query("SELECT ts, file FROM events WHERE kind = 'private_reply'") == [
        (f.utc(T0), str(log_dir / "s.ndjson"))
    ]
    assert query("""SELECT t.ts, t.is_first FROM touches t JOIN events e USING (event_key)
                    WHERE t.via = 'private_reply' AND e.kind = 'private_reply'""") == [
        (f.utc(T0), True)
    ]
    assert query(acquired) == contacts == [(f.PSID, f.utc(T0 + 60_000), "comment_reply",
                                            "4455667788_1357924680")]  # fmt: skip
