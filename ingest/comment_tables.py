"""The comments' tables the ingest keeps beside `events`: each comment's post (`comment_posts`)
and each private reply the page sent, once (`replies_sent`).

Both are functions of `events` alone. The Comments page asked them of every event on each
view (about 0.4 s on 9 M events); kept here, a view reads a few thousand rows. A run refreshes
the comments and replies its own events name (every one on a first run); a prune or a forget,
which delete events of any run, refresh both whole. A reader of a file no ingest has brought
up to date yet (or of a Parquet lake) sees them as views over `events`: the same rows.
"""

from __future__ import annotations

import duckdb

TABLES = ("comment_posts", "replies_sent")

# Each comment's post as its feed changes name it: the `add`'s, else the earliest change's.
_POSTS = """
SELECT comment_id, arg_min(post_id, (detail <> 'add', ts, post_id)) AS post_id
FROM events e
WHERE kind = 'comment' AND comment_id IS NOT NULL AND post_id IS NOT NULL AND {scope}
GROUP BY comment_id
"""

# A private reply is known by its send log (one that went through: Meta answered with the
# recipient or the message) or by the page's echo carrying the comment id; both give one reply,
# dated by the first. A reply to a visitor post names no comment: it is keyed by its post.
# Two scans, one per kind: one scan with the two kinds' tests ORed was not pushed into the
# scan (about 10 times slower on 9 M events).
_REPLIES = """
SELECT page_id, comment_id, max(post_id) AS post_id, min(ts) AS ts
FROM (SELECT page_id, comment_id, post_id, ts FROM events e
      WHERE kind = 'private_reply' AND (psid IS NOT NULL OR mid IS NOT NULL) AND {scope}
      UNION ALL
      SELECT page_id, comment_id, post_id, ts FROM events e
      WHERE kind = 'message_echo' AND comment_id IS NOT NULL AND {scope})
WHERE coalesce(comment_id, post_id) IS NOT NULL
GROUP BY page_id, comment_id, CASE WHEN comment_id IS NULL THEN post_id END
"""

# The stored replies to a comment, or (with none) a visitor post, that the replies in table
# {r} are to (on any page: the merge groups them by page again).
_SAME_REPLY = """(comment_id IN (SELECT comment_id FROM {r})
       OR (comment_id IS NULL AND post_id IN (SELECT post_id FROM {r} WHERE comment_id IS NULL)))"""
# This run's replies merged with those stored under their keys: the earliest instant, the post
# any names (min and max of the union are those of all their events). A run only adds events:
# those it removes are its own, or an earlier run's copy of one it adds, dated no earlier.
_MERGED_REPLIES = f"""
CREATE OR REPLACE TEMP TABLE rs_replies AS
WITH run AS ({_REPLIES.format(scope="run_id = $run_id")})
SELECT page_id, comment_id, max(post_id) AS post_id, min(ts) AS ts
FROM (SELECT * FROM run
      UNION ALL BY NAME
      SELECT * FROM replies_sent WHERE {_SAME_REPLY.format(r="run")})
GROUP BY page_id, comment_id, CASE WHEN comment_id IS NULL THEN post_id END
"""
# The comments this run's events name; their posts are taken anew from all their changes.
_RUN_COMMENTS = """
CREATE OR REPLACE TEMP TABLE rs_comment_keys AS
SELECT DISTINCT comment_id FROM events
WHERE run_id = $run_id AND kind = 'comment' AND comment_id IS NOT NULL
"""
_THEIR_COMMENTS = "comment_id IN (SELECT comment_id FROM rs_comment_keys)"


def refresh(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> None:
    """Make both tables right for the comments and replies of run_id's events, or (None) for
    every event. Call it in the transaction that changed the events."""
    if run_id is None:
        con.execute("DELETE FROM comment_posts")
        con.execute("DELETE FROM replies_sent")
        con.execute("INSERT INTO comment_posts " + _POSTS.format(scope="true"))
        con.execute("INSERT INTO replies_sent " + _REPLIES.format(scope="true"))
        return
    params = {"run_id": run_id}
    row = con.execute(_RUN_COMMENTS, params).fetchone()
    if row and row[0]:  # none: a scan of every event spared
        con.execute(f"DELETE FROM comment_posts WHERE {_THEIR_COMMENTS}")
        con.execute("INSERT INTO comment_posts " + _POSTS.format(scope=_THEIR_COMMENTS))
    row = con.execute(_MERGED_REPLIES, params).fetchone()
    if row and row[0]:
        con.execute(f"DELETE FROM replies_sent WHERE {_SAME_REPLY.format(r='rs_replies')}")
        con.execute("INSERT INTO replies_sent BY NAME SELECT * FROM rs_replies")


def views(con: duckdb.DuckDBPyConnection, temporary: bool = True) -> None:
    """Both tables as views computed from `events`, for a reader of a database (or a lake)
    that does not hold them."""
    temp = "TEMP " if temporary else ""
    con.execute(f"CREATE OR REPLACE {temp}VIEW comment_posts AS {_POSTS.format(scope='true')}")
    con.execute(f"CREATE OR REPLACE {temp}VIEW replies_sent AS {_REPLIES.format(scope='true')}")
