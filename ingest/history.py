"""What `refscope prune` keeps of the contacts it does not delete, and what later ingests leave out.

A contact with activity on both sides of the prune date keeps its row, but its early events go:
its first touch and its first messages among them. Before they go, their tallies (counts,
first and last instants) and the contact's acquisition as it stood are written to
`contact_history`, with the last touch removed; attribution adds them back whenever it
rebuilds the contact, so a message after the prune does not turn an old contact into a new one
from another channel, nor a message repeating that touch into a re-entry. Of one whose
conversation had not opened yet, prune keeps the touch events that may still acquire it. Each
prune is recorded in `prunes`: later ingests drop events and clicks dated before the latest
prune date, so a log read again (renamed, replaced) does not bring pruned history back; nor
the lines they reject that are dated before it (dated_before).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from . import runlog
from .attribute import PRODUCT, SCOPE, TOUCH_COLUMNS, order_of
from .errors import ValidationError
from .tallies import MERGED_TALLIES, base_sql, second_message_apart

# Contacts with events before the date and after it: prune keeps them, and their history.
_TRIMMED = """
CREATE OR REPLACE TEMP TABLE rs_affected AS
SELECT page_id, psid FROM events
WHERE psid IS NOT NULL
GROUP BY page_id, psid
HAVING min(ts) < $before AND max(ts) >= $before
"""

# Touch events of trimmed contacts whose conversation had not opened before the date (no
# message or postback yet): a later message may still make one of them the acquiring touch,
# so prune keeps them (the acquisition record the README promises), and nothing else of them.
_KEPT = """
CREATE OR REPLACE TEMP TABLE rs_kept AS
SELECT e.event_key FROM events e
WHERE e.ts < $before AND e.channel IS NOT NULL AND e.psid IS NOT NULL
  AND EXISTS (SELECT 1 FROM rs_affected a WHERE a.page_id = e.page_id AND a.psid = e.psid)
  AND NOT EXISTS (SELECT 1 FROM events m
                  WHERE m.page_id = e.page_id AND m.psid = e.psid AND m.ts < $before
                    AND m.kind IN ('message', 'postback'))
"""
# What prune deletes of events and touches: before the date, but for the kept touches.
REMOVED = "ts < $before AND event_key NOT IN (SELECT event_key FROM rs_kept)"

# The removed part's tallies (rs_removed), merged with what an earlier prune kept (older),
# with the acquisition as the contact row has it now when it is decided (the conversation
# opened before the date, so no later event can change it); else none, and later rebuilds
# decide it from the kept touches.
_HISTORY = f"""
CREATE OR REPLACE TEMP TABLE rs_history AS
WITH r AS (
    SELECT b.*,
        (SELECT count(*) FROM touches t
         WHERE t.page_id = b.page_id AND t.psid = b.psid AND t.is_reentry
           AND t.ts < $before AND t.event_key NOT IN (SELECT event_key FROM rs_kept))
            AS reentry_count,
        EXISTS (SELECT 1 FROM events m
                WHERE m.page_id = b.page_id AND m.psid = b.psid AND m.ts < $before
                  AND m.kind IN ('message', 'postback')) AS opened_by_message,
        -- The last removed touch, in attribution's order: a message after the date may repeat
        -- it (one click reported twice), which a rebuild without it would call a re-entry.
        (SELECT arg_max(struct_pack(ts := t.ts, channel := t.channel, ad_id := t.ad_id,
                                    ref := t.ref, source := t.source), {order_of("t", "kind")})
         FROM events t
         WHERE t.page_id = b.page_id AND t.psid = b.psid AND t.ts < $before
           AND t.channel IS NOT NULL AND t.event_key NOT IN (SELECT event_key FROM rs_kept)
           AND NOT (t.kind = 'message' AND t.detail IS NOT DISTINCT FROM 'chat_plugin_tag'))
            AS last_touch
    FROM rs_removed b
)
SELECT r.page_id, r.psid, {MERGED_TALLIES.format(a="h", b="r")},
    coalesce(h.reentry_count, 0) + r.reentry_count AS reentry_count,
    -- Echoes read by the newest removed read; the others keep their instants, for a later
    -- read (whose watermark may reach back before the date) to count.
    coalesce(h.page_messages_read, 0) + len(list_filter(
        list_concat(coalesce(h.unread_echo_times, []), coalesce(r.echo_times, [])),
        lambda x: x <= greatest(h.last_read_at, r.last_read_at))) AS page_messages_read,
    list_filter(
        list_concat(coalesce(h.unread_echo_times, []), coalesce(r.echo_times, [])),
        lambda x: x > greatest(h.last_read_at, r.last_read_at)
                  OR greatest(h.last_read_at, r.last_read_at) IS NULL) AS unread_echo_times,
    coalesce(h.acquired, false) OR r.opened_by_message AS acquired,
    coalesce(r.last_touch, h.last_touch) AS last_touch,
    {
    ", ".join(
        f"CASE WHEN coalesce(h.acquired, false) OR r.opened_by_message THEN c.{col} END AS {col}"
        for col in ("channel", *TOUCH_COLUMNS, "first_touch_at", PRODUCT)
    )
}
FROM r LEFT JOIN contacts c USING (page_id, psid)
LEFT JOIN contact_history h USING (page_id, psid)
"""

_SAVE = """
DELETE FROM contact_history h USING rs_history n WHERE h.page_id = n.page_id AND h.psid = n.psid;
INSERT INTO contact_history BY NAME SELECT * FROM rs_history;
"""


def keep(con: duckdb.DuckDBPyConnection, before: dt.date) -> None:
    """Write the history of the contacts a prune at `before` trims, and list the touch events
    it keeps (rs_kept, see REMOVED); call it in the prune's transaction, before any deletion.

    Refused while an ingest run is unfinished: its contacts are not rebuilt yet, so their rows
    cannot stand for what the prune would remove.
    """
    run = runlog.unfinished(con)
    if run is not None:
        raise ValidationError(
            f"ingest run {run} is unfinished: run `refscope ingest` to finish it, then prune"
        )
    params = {"before": before}
    con.execute(_TRIMMED, params)
    con.execute(_KEPT, params)
    scope = f"e.ts < $before AND e.event_key NOT IN (SELECT event_key FROM rs_kept) AND {SCOPE}"
    removed = base_sql(scope, echo_times=True).replace("rs_base", "rs_removed")
    con.execute(removed, params)
    second_message_apart(con, scope, "rs_removed", params)
    con.execute(_HISTORY, params)
    con.execute(_SAVE)
    con.execute("INSERT INTO prunes VALUES (?, ?)", [before, _now()])


# A last touch kept before it had its source (an older refscope's prune): the acquisition's, when
# it is that touch (the same instant, channel, ref and ad). Changes nothing the second time.
FILL_SOURCE = """
UPDATE contact_history SET last_touch = struct_pack(
    ts := last_touch.ts, channel := last_touch.channel, ad_id := last_touch.ad_id,
    ref := last_touch.ref, source := source)
WHERE last_touch.source IS NULL AND source IS NOT NULL AND last_touch.ts = first_touch_at
  AND last_touch.channel = channel AND last_touch.ref IS NOT DISTINCT FROM ref
  AND last_touch.ad_id IS NOT DISTINCT FROM ad_id
"""


def forget_orphans(con: duckdb.DuckDBPyConnection) -> None:
    """History of people with no event left goes with them (one without a contact row yet,
    only echoes and reads so far, keeps it: a later message makes the contact)."""
    con.execute(
        """DELETE FROM contact_history h WHERE NOT EXISTS (
               SELECT 1 FROM events e WHERE e.page_id = h.page_id AND e.psid = h.psid)"""
    )


def drop_pruned(con: duckdb.DuckDBPyConnection, run_id: int) -> int:
    """Delete the run's events and clicks dated before the latest prune (pruned history read
    again); return how many events."""
    (before,) = con.execute("SELECT max(before) FROM prunes").fetchone() or (None,)
    if before is None:
        return 0
    params = {"run_id": run_id, "before": before}
    sql = "DELETE FROM {} WHERE run_id = $run_id AND ts < CAST($before AS TIMESTAMP)"
    row = con.execute(sql.format("events"), params).fetchone()
    con.execute(sql.format("clicks"), params)
    return int(row[0]) if row else 0


# An instant in a line, as Meta and refscope write them (`"time": 1700000000000`, a string of
# digits, or escaped in a body kept as a string), also in a line cut off or not JSON.
_INSTANT = re.compile(
    r'\\?"(?:time|timestamp|watermark|created_time|received_at|ts)\\?"\s*:\s*\\?"?(\d{9,19})(?!\d)'
)
_EPOCH = dt.datetime(1970, 1, 1)


def prune_cut(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The start of the latest prune's date: what is dated before it is pruned history."""
    ((before,),) = con.execute("SELECT max(before) FROM prunes").fetchall()
    return None if before is None else dt.datetime.combine(before, dt.time())


def dated_before(raw: str, cut: dt.datetime) -> bool:
    """Whether every instant a rejected line holds is before cut (False with none: nothing
    says it is pruned history). Seconds or milliseconds by magnitude, as webhook.rs_ts reads
    them, only between 2000 and 2100."""
    found = []
    for m in _INSTANT.finditer(raw):
        v = int(m[1])
        ms = v * 1000 if v < 10**12 else v if v < 10**15 else v / 1000 if v < 10**18 else v / 1e6
        if 946_684_800_000 <= ms <= 4_102_444_800_000:
            found.append(_EPOCH + dt.timedelta(milliseconds=ms))
    return bool(found) and max(found) < cut


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
