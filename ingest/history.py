"""What `refscope prune` keeps of the contacts it does not delete, and what later ingests leave out.

A contact with activity on both sides of the prune date keeps its row, but its early events go:
its first touch and its first messages among them. Before they go, their tallies (counts,
first and last instants) and the contact's acquisition as it stood are written to
`contact_history`; attribution adds them back whenever it rebuilds the contact, so a message
after the prune does not turn an old contact into a new one from another channel. Each prune
is recorded in `prunes`: later ingests drop events and clicks dated before the latest prune
date, so a log read again (renamed, replaced) does not bring pruned history back.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from .attribute import MERGED_TALLIES, SCOPE, base_sql

# Contacts with events before the date and after it: prune keeps them, and their history.
_TRIMMED = """
CREATE OR REPLACE TEMP TABLE rs_affected AS
SELECT page_id, psid FROM events
WHERE psid IS NOT NULL
GROUP BY page_id, psid
HAVING min(ts) < $before AND max(ts) >= $before
"""

# The removed part's tallies (rs_removed), merged with what an earlier prune kept (older),
# with the acquisition as the contact row has it now (decided with every event still there).
_HISTORY = f"""
CREATE OR REPLACE TEMP TABLE rs_history AS
WITH r AS (
    SELECT b.*,
        coalesce(len(list_filter(b.echo_times, lambda x: x <= b.last_read_at)), 0)
            AS page_messages_read,
        (SELECT count(*) FROM touches t
         WHERE t.page_id = b.page_id AND t.psid = b.psid AND t.is_reentry
           AND t.ts < $before) AS reentry_count
    FROM rs_removed b
)
SELECT r.page_id, r.psid, {MERGED_TALLIES.format(a="h", b="r")},
    coalesce(h.reentry_count, 0) + r.reentry_count AS reentry_count,
    r.page_messages_read + CASE
        WHEN h.page_id IS NULL THEN 0
        WHEN r.last_read_at > h.last_read_at OR h.last_read_at IS NULL
             AND r.last_read_at IS NOT NULL THEN h.page_message_count
        ELSE h.page_messages_read END AS page_messages_read,
    c.channel, c.ref, c.source, c.ad_id, c.ad_title, c.referer_uri, c.is_guest_user,
    c.post_id, c.comment_id, c.first_touch_at
FROM r JOIN contacts c USING (page_id, psid)
LEFT JOIN contact_history h USING (page_id, psid)
"""

_SAVE = """
DELETE FROM contact_history h USING rs_history n WHERE h.page_id = n.page_id AND h.psid = n.psid;
INSERT INTO contact_history BY NAME SELECT * FROM rs_history;
"""


def keep(con: duckdb.DuckDBPyConnection, before: dt.date) -> None:
    """Write the history of the contacts a prune at `before` trims; call it in the prune's
    transaction, before any row is deleted."""
    params = {"before": before}
    con.execute(_TRIMMED, params)
    removed = base_sql(f"e.ts < $before AND {SCOPE}").replace("rs_base", "rs_removed")
    con.execute(removed, params)
    con.execute(_HISTORY, params)
    con.execute(_SAVE)
    con.execute("INSERT INTO prunes VALUES (?, ?)", [before, _now()])


def forget_orphans(con: duckdb.DuckDBPyConnection) -> None:
    """History of contacts no longer in `contacts` goes with them."""
    con.execute(
        """DELETE FROM contact_history h WHERE NOT EXISTS (
               SELECT 1 FROM contacts c WHERE c.page_id = h.page_id AND c.psid = h.psid)"""
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
