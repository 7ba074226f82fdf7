"""Rows an earlier version keyed by an older rule, given today's key at each ingest.

A key changed is otherwise only taken by rows stored since: the same fact read again (a renamed or
gzipped log) would be stored a second time under the new key.
"""

from __future__ import annotations

import duckdb

from . import db
from .privacy import HMAC_SQL, Privacy

# Up to 2026-12-01 a private reply with a message_id was keyed on that id and its instant; it is
# keyed on the id alone now (comment_events.SEND_EVENTS). Rows an earlier version stored that way
# take today's key, or its send log read again (renamed, gzipped) stores the reply a second time.
_PRIVATE_REPLY_KEY = "rs_key([page_id, 'private_reply', mid])"
_PRIVATE_REPLY_KEY_BEFORE = "rs_key([page_id, 'private_reply', mid, CAST(epoch_ms(ts) AS VARCHAR)])"
_REKEYED = """
CREATE OR REPLACE TEMP TABLE rs_rekeyed AS
SELECT was, now FROM (
    SELECT event_key AS was, {now} AS now, {before} AS before FROM events
    WHERE kind = 'private_reply' AND rs_id(mid) IS NOT NULL
) WHERE was = before AND was <> now
"""

# Two copies of one reply that now share today's key (one read again under it by a version that
# did not rekey, or two dated apart by their arrival): one stays, as in a run
# (copies.RUN_COPIES), the earliest dated, then the first by file and line; of their touches,
# the one that acquired.
_REKEYED_COPIES = """
DELETE FROM {table} WHERE rowid IN (
    SELECT rowid FROM (
        SELECT rowid, row_number() OVER (PARTITION BY page_id, event_key ORDER BY {order}) AS n
        FROM {table} WHERE {kind} = 'private_reply' AND event_key IN (SELECT now FROM rs_rekeyed)
    ) WHERE n > 1
)"""


def private_replies(con: duckdb.DuckDBPyConnection, privacy: Privacy) -> None:
    """Give the private replies an earlier version keyed on their instant too today's key (in
    the events and their touches), and keep one of the copies that then share a key. Call it in
    a transaction, with webhook.MACROS installed."""

    def stored(key: str) -> str:  # the key as the database holds it: keyed-hashed under a salt
        return f"md5_number({HMAC_SQL.format(x=db.key_text(key))})" if privacy.salt else key

    con.execute(
        _REKEYED.format(now=stored(_PRIVATE_REPLY_KEY), before=stored(_PRIVATE_REPLY_KEY_BEFORE)),
        privacy.pads() if privacy.salt else None,
    )
    for table, kind, order in (("events", "kind", "ts, file, line_no"),
                               ("touches", "via", "is_first DESC, ts")):  # fmt: skip
        con.execute(
            f"""UPDATE {table} t SET event_key = r.now FROM rs_rekeyed r
                WHERE t.{kind} = 'private_reply' AND t.event_key = r.was"""
        )
        con.execute(_REKEYED_COPIES.format(table=table, kind=kind, order=order))
