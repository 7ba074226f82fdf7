"""Sends by phone number (a send log's `request.recipient.phone_number`) of forgotten people.

Such a send names no PSID (Meta's response has no `recipient_id` for one): its event holds the
number in no column, only in its key (comment_events.SEND_EVENTS), an md5 that, without a salt,
gives the number back to anyone hashing the numbers of a known prefix. `forget` removes those
events (sent_to), and every later ingest leaves them out as it does a forgotten PSID's
(left_out), so a send log read again brings neither the send nor its key back.
"""

from __future__ import annotations

import duckdb

from . import db, webhook
from .comment_events import recipient_in, recipient_of, send_of
from .privacy import HMAC_SQL, Privacy

# The key SEND_EVENTS gives a send that is no private reply, of the row's page, message id (else
# instant) and recipient: the number, and the response's recipient_id if it had one (NULLs are
# skipped, so the psid column stands for either id).
_KEY = (
    "rs_key([page_id, 'send_api', coalesce(rs_id(mid), CAST(epoch_ms(ts) AS VARCHAR)), "
    "{psid}, $number])"
)

_SENT_TO = """
DELETE FROM events
WHERE kind = 'other' AND detail = 'send_api' AND event_key = {key}{page_clause}
"""


def sent_to(
    con: duckdb.DuckDBPyConnection, number: str, page_id: str | None, privacy: Privacy
) -> int:
    """Delete the events of sends to the phone number given (on page_id, or every page); how
    many went. With a salt, a send whose response named a PSID (stored hashed) is not found:
    its key is a keyed hash, which takes the salt to try."""
    con.execute(webhook.MACROS)
    if privacy.salt is None:
        key = _KEY.format(psid="psid")
        params: dict[str, object] = {"number": number}
    else:
        key = f"md5_number({HMAC_SQL.format(x=db.key_text(_KEY.format(psid='NULL')))})"
        params = {"number": number, **privacy.pads()}
    page_clause = ""
    if page_id is not None:
        page_clause, params["page"] = " AND page_id = $page", page_id
    row = con.execute(_SENT_TO.format(key=key, page_clause=page_clause), params).fetchone()
    return int(row[0]) if row else 0


# The keys of this table's sends to a forgotten number, as staged (after PSEUDONYMISE): the
# number read from the line as SEND_EVENTS reads it (send_of, recipient_in, recipient_of), as stored
# (keyed-hashed with a salt).
_FORGOTTEN_KEYS = """
INSERT INTO rs_forgotten_sends
SELECT event_key FROM ({sends}) s
WHERE EXISTS (SELECT 1 FROM forgotten g
              WHERE g.id_hash = sha256({stored})
                AND (g.page_id IS NULL OR g.page_id = s.page_id))
"""
# The staged sends that name no PSID: their keys, pages and numbers.
_SENDS = f"""
SELECT event_key, page_id, ({recipient_of("rcp")}).phone_number AS number
FROM (SELECT event_key, page_id, {recipient_in("rq")} AS rcp
      FROM (SELECT s.event_key, s.page_id, ({send_of("c.raw")}).request AS rq
            FROM rs_stage s JOIN chunk c USING (rid)
            WHERE s.container = 'send_api' AND s.kind = 'other' AND s.problem IS NULL))
"""


def note(con: duckdb.DuckDBPyConnection, privacy: Privacy) -> None:
    """Note the keys of the staged sends to a forgotten number (rs_stage and chunk as load
    stages them), for left_out once the batch's events are in."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS rs_forgotten_sends (k UHUGEINT)")
    if privacy.salt is None:
        con.execute(_FORGOTTEN_KEYS.format(sends=_SENDS, stored="s.number"))
    else:
        stored = HMAC_SQL.format(x="s.number")
        con.execute(_FORGOTTEN_KEYS.format(sends=_SENDS, stored=stored), privacy.pads())


def left_out(con: duckdb.DuckDBPyConnection, run_id: int) -> int:
    """Delete the run's events of the sends noted; how many went."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS rs_forgotten_sends (k UHUGEINT)")
    row = con.execute(
        """DELETE FROM events WHERE run_id = $run_id AND kind = 'other' AND detail = 'send_api'
               AND event_key IN (SELECT k FROM rs_forgotten_sends)""",
        {"run_id": run_id},
    ).fetchone()
    con.execute("DELETE FROM rs_forgotten_sends")
    return int(row[0]) if row else 0
