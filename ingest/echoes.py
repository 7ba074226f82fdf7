"""Which page an echo with no entry id belongs to: its direction, guessed in a batch, and
turned again when a later batch of the run makes its page known.

An echo with no entry id (a wrapped sample, an entry without one) names its page only by its
direction, and Meta's docs show both: sender = page now, recipient = page in older versions.
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/
"""

from __future__ import annotations

import duckdb

from .db import key_text
from .privacy import HMAC_SQL, Privacy

# Taken as now unless its recipient is a page refscope knows and its sender is not. Any other
# item names its page by its recipient without doubt, entry id or not: known in this batch as
# well as in a later one, so that the order of logs changes nothing.
OLD_DIRECTION = """
WITH known AS (
    SELECT page_id FROM pages
    UNION SELECT page_id FROM rs_stage WHERE (NOT coalesce(page_guessed, false)
                                              OR kind <> 'message_echo')
                                        AND problem IS NULL AND page_id IS NOT NULL
    UNION SELECT DISTINCT page_id FROM events
)
UPDATE rs_stage s SET page_id = s.psid, psid = s.page_id,
    -- The key of an echo (kind and mid under its page), under the page it really has.
    event_key = md5_number(concat_ws(chr(31), s.psid, s.kind, s.mid))
WHERE s.kind = 'message_echo' AND s.page_guessed AND s.problem IS NULL
  AND s.psid IN (SELECT page_id FROM known) AND s.page_id NOT IN (SELECT page_id FROM known)
"""

# The pages a batch names without doubt (by entry id, or by the recipient of an item other than
# an echo), each with its id as the events' psid column stores it ({stored}).
_SURE_PAGES = """CREATE OR REPLACE TEMP TABLE rs_sure_pages AS
SELECT page_id, {stored} AS stored FROM (
    SELECT DISTINCT page_id FROM rs_stage
    WHERE problem IS NULL AND page_id IS NOT NULL
      AND NOT (kind = 'message_echo' AND coalesce(page_guessed, false)))"""

_CANDIDATES = """SELECT count(*) FROM events
WHERE run_id = $run_id AND kind = 'message_echo'
  AND psid IN (SELECT stored FROM rs_sure_pages)"""

# An echo filed by an earlier batch of this run under its sender as page, whose recipient this
# batch makes known as a page while its sender is none (an echo is no proof of a page: the
# filed one is itself): turned as one batch would have turned it, so that the batch size
# (REFSCOPE_INGEST_BATCH) changes nothing. Kept under its run: the run's attribution sees it.
_TURN_STORED = """
UPDATE events e SET page_id = k.page_id, psid = {psid}, event_key = {key}
FROM rs_sure_pages k
WHERE e.run_id = $run_id AND e.kind = 'message_echo' AND e.psid = k.stored
  AND e.page_id NOT IN (SELECT page_id FROM pages
                        UNION SELECT page_id FROM events WHERE kind <> 'message_echo')
RETURNING e.event_key
"""

# Turned, a copy that an earlier run holds under its page stays alone (as copies.OLDER
# would have left this one out); copies within the run go when it ends (RUN_COPIES).
_OLDER_COPIES = """
DELETE FROM events e
WHERE e.run_id = $run_id AND e.event_key IN (SELECT event_key FROM rs_turned)
  AND EXISTS (SELECT 1 FROM events o WHERE o.event_key = e.event_key AND o.run_id <> $run_id)
"""


def turn_stored(con: duckdb.DuckDBPyConnection, run_id: int, privacy: Privacy) -> int:
    """Turn this run's echoes filed under the wrong page (see _TURN_STORED); return how many
    were removed as copies of an earlier run's events."""
    salted = privacy.salt is not None
    pads = privacy.pads() if salted else {}
    con.execute(_SURE_PAGES.format(stored=HMAC_SQL.format(x="page_id") if salted else "page_id"),
                pads)  # fmt: skip
    row = con.execute(_CANDIDATES, {"run_id": run_id}).fetchone()
    if not row or not row[0]:
        return 0
    plain_key = "md5_number(concat_ws(chr(31), k.page_id, e.kind, e.mid))"
    if salted:  # as privacy.PSEUDONYMISE stores a person's id and an event's key
        psid = HMAC_SQL.format(x="e.page_id")
        key = f"md5_number({HMAC_SQL.format(x=key_text(plain_key))})"
    else:
        psid, key = "e.page_id", plain_key
    turned = con.execute(_TURN_STORED.format(psid=psid, key=key), {"run_id": run_id} | pads)
    keys = turned.fetchall()
    if not keys:
        return 0
    con.execute("CREATE OR REPLACE TEMP TABLE rs_turned (event_key UHUGEINT)")
    con.executemany("INSERT INTO rs_turned VALUES (?)", keys)
    row = con.execute(_OLDER_COPIES, {"run_id": run_id}).fetchone()
    return int(row[0]) if row else 0
