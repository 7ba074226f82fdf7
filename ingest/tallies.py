"""Each contact's tallies from its events (rs_base): first and last actions, the moment its
conversation opened, message counts, reads; and what a prune kept of them added back
(contact_history, history.py). Attribution (attribute.py) decides channels over them.
"""

from __future__ import annotations

from typing import Any

import duckdb

# The user's own actions create a contact; deliveries, reads and echoes alone never do.
USER_KINDS = ("message", "postback", "referral", "optin", "reaction")

_BASE = f"""
CREATE OR REPLACE TEMP TABLE rs_base AS
SELECT page_id, psid,
    bool_or(is_user_ref) AS is_user_ref,
    min(ts) FILTER (WHERE kind IN {USER_KINDS!r}) AS first_seen_at,
    max(ts) FILTER (WHERE kind IN {USER_KINDS!r}) AS last_seen_at,
    coalesce(min(ts) FILTER (WHERE kind IN ('message', 'postback')),
             min(ts) FILTER (WHERE kind IN {USER_KINDS!r})) AS opened_at,
    min(ts) FILTER (WHERE kind = 'message') AS first_message_at,
    (min(ts, 2) FILTER (WHERE kind = 'message'))[2] AS second_message_at,
    max(ts) FILTER (WHERE kind = 'message') AS last_message_at,
    count(*) FILTER (WHERE kind = 'message') AS message_count,
    count(*) FILTER (WHERE kind = 'postback') AS postback_count,
    count(*) FILTER (WHERE kind = 'message_echo') AS page_message_count,
    max(watermark_at) FILTER (WHERE kind = 'read') AS last_read_at{{echo_times}}
FROM events e
WHERE psid IS NOT NULL AND {{scope}}
GROUP BY page_id, psid
"""


# Tallies of two parts of one contact's events, as one: `{a}` the removed part kept in
# contact_history, `{b}` the events that remain.
MERGED_TALLIES = """
    {b}.is_user_ref OR coalesce({a}.is_user_ref, false) AS is_user_ref,
    least({a}.first_seen_at, {b}.first_seen_at) AS first_seen_at,
    greatest({a}.last_seen_at, {b}.last_seen_at) AS last_seen_at,
    least({a}.first_message_at, {b}.first_message_at) AS first_message_at,
    list_sort(list_distinct([{a}.first_message_at, {a}.second_message_at,
                             {b}.first_message_at, {b}.second_message_at]))[2]
        AS second_message_at,
    greatest({a}.last_message_at, {b}.last_message_at) AS last_message_at,
    coalesce({a}.message_count, 0) + {b}.message_count AS message_count,
    coalesce({a}.postback_count, 0) + {b}.postback_count AS postback_count,
    coalesce({a}.page_message_count, 0) + {b}.page_message_count AS page_message_count,
    greatest({a}.last_read_at, {b}.last_read_at) AS last_read_at"""

# rs_base with what prune removed of each contact added back (its tallies, not its events).
WITH_HISTORY = f"""
CREATE OR REPLACE TEMP TABLE rs_base AS
SELECT b.page_id, b.psid, {MERGED_TALLIES.format(a="h", b="b")},
       -- With no message or postback yet, the conversation "opened" at the first own action,
       -- which may be among the removed ones.
       CASE WHEN b.message_count + b.postback_count > 0 THEN b.opened_at
            ELSE least(h.first_seen_at, b.opened_at) END AS opened_at
FROM rs_base b LEFT JOIN contact_history h USING (page_id, psid)
"""


# Each contact's page messages that its latest read reaches, counted in a second pass: a list of
# echo instants per contact (filtered against the read afterwards) does not spill, and ran out
# of the default memory on a first ingest of about 4M contacts.
ECHOES_READ = """
CREATE OR REPLACE TEMP TABLE rs_read AS
SELECT e.page_id, e.psid, count(*) AS echoes_read
FROM events e JOIN rs_base b ON b.page_id = e.page_id AND b.psid = e.psid
WHERE e.kind = 'message_echo' AND e.ts <= b.last_read_at
GROUP BY ALL
"""


# min(ts, 2) gives a contact's first instant twice when two messages share it (a text and a
# photo sent in one go): the second message is the first one after it. Such ties are few, so
# they are looked up afterwards rather than by a DISTINCT aggregate over every contact.
_SECOND_APART = """
UPDATE {table} b SET second_message_at = (
    SELECT min(e.ts) FROM events e
    WHERE e.page_id = b.page_id AND e.psid = b.psid AND e.kind = 'message'
      AND e.ts > b.first_message_at AND {scope})
WHERE b.second_message_at = b.first_message_at
"""


def second_message_apart(
    con: duckdb.DuckDBPyConnection, scope: str, table: str = "rs_base", params: Any = None
) -> None:
    """In table (as base_sql made it), a second message at the first one's instant becomes the
    first message after it (NULL without one): engaged means a message after the first."""
    tie = f"SELECT EXISTS (SELECT 1 FROM {table} WHERE second_message_at = first_message_at)"
    if con.execute(tie).fetchone() == (True,):
        con.execute(_SECOND_APART.format(table=table, scope=scope), params)


def base_sql(scope: str, echo_times: bool = False) -> str:
    """The statement that tallies each contact's events matching scope (alias e) in rs_base;
    with echo_times, also the list of its page messages' instants (for prune's history)."""
    times = ",\n    list(ts) FILTER (WHERE kind = 'message_echo') AS echo_times"
    return _BASE.replace("{scope}", scope).replace("{echo_times}", times if echo_times else "")
