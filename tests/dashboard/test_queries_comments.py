"""The Comments page's queries against real databases: comments, private replies and conversations
per post, for one page or all, and the reply rate, each recomputed in Python from the raw tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from dashboard import queries
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests import factories_feed as ff
from tests.dashboard.conftest import opened
from tests.dashboard.reference import acquired, nan_or, num, rows


@contextmanager
def _ingested(tmp_path: Path, lines: list[Any]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A new database file holding lines (ingested as one log), opened as the app opens it."""
    path = tmp_path / "comments.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "webhooks.ndjson", lines))], path)
    with opened(path) as con:
        yield con


def _one_day_row(tmp_path: Path, lines: list[Any], ts: int) -> dict[str, Any]:
    """The Comments table's one row for the day of ts, after ingesting lines into a new file."""
    day = fx.utc(ts).date()
    with _ingested(tmp_path, lines) as con:
        (row,) = queries.comments(con, Filters(day, day)).to_dict("records")
    return row


def test_comments_count_comments_private_replies_and_conversations_per_post(
    con, demo_contacts, filters
):
    events = rows(
        con, "SELECT * FROM events WHERE kind IN ('comment', 'private_reply', 'message_echo')"
    )
    post_of = {
        e["comment_id"]: e["post_id"]
        for e in events
        if e["kind"] == "comment" and e["comment_id"] is not None
    }
    in_range = [e for e in events if filters.start <= e["ts"].date() <= filters.end]
    added = Counter(
        (e["page_id"], e["post_id"])
        for e in in_range
        # The page's own public replies are not comments it received.
        if e["kind"] == "comment" and e["detail"] == "add" and e["commenter_id"] != e["page_id"]
    )
    own = [e for e in in_range if e["kind"] == "comment" and e["commenter_id"] == e["page_id"]]
    assert own, "the demo's pages answer some comments publicly"
    # A reply by its send log (one Meta answered) or its echo naming the comment; the first
    # of them dates it.
    first: dict[tuple[str, str], tuple[Any, str]] = {}
    for e in events:
        sent = e["kind"] == "private_reply" and (e["psid"] or e["mid"])
        if (sent or e["kind"] == "message_echo") and e["comment_id"]:
            post = e["post_id"] or post_of.get(e["comment_id"]) or "(unknown post)"
            key = (e["page_id"], e["comment_id"])
            first[key] = min(first.get(key, (e["ts"], post)), (e["ts"], post))
    replied: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (page, comment), (ts, post) in first.items():
        if filters.start <= ts.date() <= filters.end:
            replied[page, post].add(comment)
    conv = Counter(
        (c["page_id"], c["post_id"] or post_of.get(c["comment_id"]) or "(unknown post)")
        for c in acquired(demo_contacts, filters)
        if c["channel"] == "comment_reply"
    )
    df = queries.comments(con, filters)
    keys = set(added) | set(replied) | set(conv)
    assert len(df) == len(keys) and sum(conv.values()) > 0 and sum(added.values()) > 0
    for r in df.to_dict("records"):
        key = (r["page_id"], r["post_id"])
        n_pr = len(replied.get(key, ()))
        assert (r["comments"], r["private_replies"], r["conversations"]) == (
            added[key],
            n_pr,
            conv[key],
        ), key
        assert num(r["reply_rate"]) == (nan_or(conv[key] / n_pr) if n_pr else None)
    order = [(-r["comments"], -r["private_replies"], r["post_id"]) for r in df.to_dict("records")]
    assert order == sorted(order)


def test_comments_of_one_page_count_only_its_comments_replies_and_conversations(
    con, demo_contacts, filters
):
    """Each page's posts, comments, replies and conversations, with only that page chosen: the
    same rows as that page's share of the unfiltered table (none of the other page's)."""
    everyone = queries.comments(con, filters)
    pages = sorted(everyone["page_id"].unique())
    assert len(pages) == 2, pages  # the demo's two pages both get comments
    for page in pages:
        chosen = queries.comments(con, Filters(filters.start, filters.end, pages=(page,)))
        mine = everyone[everyone["page_id"] == page].reset_index(drop=True)
        assert set(chosen["page_id"]) == {page}
        assert chosen.to_dict("records") == mine.to_dict("records"), page
        conv = sum(
            1 for c in acquired(demo_contacts, filters)
            if c["channel"] == "comment_reply" and c["page_id"] == page
        )  # fmt: skip
        assert int(chosen["conversations"].sum()) == conv > 0, page


def test_comments_count_replies_known_by_echo_or_send_log_once_and_not_failed_sends(tmp_path):
    """Four comments on one post: two answered through an echo naming them (no send log), one
    by send log and echo, one whose send Meta refused; the first answer writes back."""
    post, ts = f"{fx.PAGE_ID}_777", fx.T0
    ids = [f"777_{n}" for n in (1, 2, 3, 4)]
    failed = ff.send_log(ids[2], None, ts=ts + 3000)
    failed["response"] = {"error": {"message": "(#10900) Activity already replied to",
                                    "code": 10900}}  # fmt: skip
    lines = [
        ff.feed(
            *(ff.comment(comment_id=c, post_id=post, from_id=f"1000{n}") for n, c in enumerate(ids))
        ),  # fmt: skip
        fx.delivery(fx.private_reply_echo(ids[0], psid="a", ts=ts + 1000)),
        fx.delivery(fx.message("yes please", psid="a", ts=ts + 60_000)),
        ff.send_log(ids[1], "b", ts=ts + 2000),
        fx.delivery(fx.private_reply_echo(ids[1], psid="b", ts=ts + 2500, mid="m_reply_777_2")),
        failed,
        fx.delivery(fx.private_reply_echo(ids[3], psid="d", ts=ts + 4000)),
    ]
    row = _one_day_row(tmp_path, lines, ts)
    assert (row["post_id"], row["comments"], row["private_replies"], row["conversations"]) == (
        post, 4, 3, 1)  # fmt: skip
    assert row["reply_rate"] == 1 / 3


def test_the_reply_rate_is_the_share_of_the_ranges_replies_that_opened_a_conversation(tmp_path):
    """Contact a was replied to on day 0 and wrote back on day 2; b commented, got its reply
    and wrote back on day 2. Day 2 opened two conversations (as Overview counts them) but sent
    one reply, which opened one: 100%, not 200%. Day 0's reply opened one too."""
    post, day0, day2 = f"{fx.PAGE_ID}_777", fx.T0, fx.T0 + 2 * fx.DAY
    lines = [
        ff.feed(ff.comment(comment_id="777_1", post_id=post, created_time=day0 // 1000)),
        ff.send_log("777_1", "a", ts=day0 + 1000),
        fx.delivery(fx.message("hi", psid="a", ts=day2 + 500)),
        ff.feed(
            ff.comment(
                comment_id="777_2", post_id=post, from_id="10002", created_time=day2 // 1000
            ),
            time=day2 // 1000,
        ),  # fmt: skip
        ff.send_log("777_2", "b", ts=day2 + 1000),
        fx.delivery(fx.message("hello", psid="b", ts=day2 + 2000)),
    ]
    with _ingested(tmp_path, lines) as con:
        rows = {d: queries.comments(con, Filters(d, d)).to_dict("records")
                for d in (fx.utc(day0).date(), fx.utc(day2).date())}  # fmt: skip
    (first,), (third,) = rows.values()
    assert (first["private_replies"], first["conversations"], first["reply_rate"]) == (1, 0, 1)
    assert (third["private_replies"], third["conversations"], third["reply_rate"]) == (1, 2, 1)


def test_a_comment_whose_author_meta_left_out_is_a_comment_received(tmp_path):
    """Meta may send a comment without `from`: only the page's own are not comments received."""
    post = f"{fx.PAGE_ID}_777"
    anonymous = ff.comment(comment_id="777_1", post_id=post)
    del anonymous["value"]["from"]
    lines = [
        ff.feed(
            anonymous,
            ff.comment(comment_id="777_2", post_id=post, from_id="10002"),
            ff.comment(comment_id="777_3", post_id=post, from_id=fx.PAGE_ID),
        )
    ]
    with _ingested(tmp_path, lines) as con:
        assert con.execute("SELECT count(*) FROM events WHERE kind = 'comment' "
                           "AND commenter_id IS NULL").fetchone() == (1,)  # fmt: skip
        day = fx.utc(fx.T0).date()
        (row,) = queries.comments(con, Filters(day, day)).to_dict("records")
    assert (row["post_id"], row["comments"]) == (post, 2)


def test_a_send_log_without_recipient_id_is_a_reply_sent_and_its_echo_links_the_conversation(
    tmp_path,
):
    """Whether the Send API answers a comment_id send with a recipient_id is not shown by an
    official example (https://developers.facebook.com/docs/messenger-platform/reference/send-api):
    a send log with the message_id alone is a reply that went through. Comment 1's send log has
    its echo (naming the comment) and the user wrote back; comment 2's has neither: two
    replies, one conversation."""
    post, ts = f"{fx.PAGE_ID}_777", fx.T0
    lines = [
        ff.feed(
            *(ff.comment(comment_id=f"777_{n}", post_id=post, from_id=f"1000{n}") for n in (1, 2))
        ),
        ff.send_log("777_1", None, ts=ts + 1000, message_id="m_reply_1"),
        fx.delivery(fx.private_reply_echo("777_1", psid="a", ts=ts + 1500, mid="m_reply_1")),
        fx.delivery(fx.message("yes please", psid="a", ts=ts + 60_000)),
        ff.send_log("777_2", None, ts=ts + 2000, message_id="m_reply_2"),
    ]
    row = _one_day_row(tmp_path, lines, ts)
    assert (row["post_id"], row["comments"], row["private_replies"], row["conversations"]) == (
        post, 2, 2, 1)  # fmt: skip
    assert row["reply_rate"] == 1 / 2


def test_a_comment_whose_changes_disagree_on_its_post_counts_its_conversation_once(tmp_path):
    """A comment's `edited` change that leaves out post_id (or names another post) gives the
    comment two posts among its events: its conversation is still one, on the post of the
    comment as added, not counted again on '(unknown post)' or the other post."""
    post, ts = f"{fx.PAGE_ID}_777", fx.T0
    edited = ff.comment("edited", comment_id="777_1", post_id=post, text="Sundays too?",
                        created_time=ts // 1000 + 30)  # fmt: skip
    del edited["value"]["post_id"]
    moved = ff.comment("edited", comment_id="777_1", post_id=f"{fx.PAGE_ID}_888",
                       text="and Mondays?", created_time=ts // 1000 + 40)  # fmt: skip
    lines = [
        ff.feed(ff.comment(comment_id="777_1", post_id=post)),
        ff.feed(edited, moved),
        ff.send_log("777_1", "a", ts=ts + 1000),
        fx.delivery(fx.message("yes please", psid="a", ts=ts + 60_000)),
    ]
    with _ingested(tmp_path, lines) as con:
        posts = con.execute(
            "SELECT count(DISTINCT coalesce(post_id, '-')) FROM events "
            "WHERE comment_id = '777_1' AND kind = 'comment'"
        ).fetchone()
        assert posts == (3,)
        assert con.execute("SELECT count(*) FROM contacts "
                           "WHERE channel = 'comment_reply'").fetchone() == (1,)  # fmt: skip
        day = fx.utc(ts).date()
        df = queries.comments(con, Filters(day, day))
    assert int(df["conversations"].sum()) == 1, df.to_dict("records")
    assert int(df["private_replies"].sum()) == 1, df.to_dict("records")
    (row,) = df[df["conversations"] > 0].to_dict("records")
    assert (row["post_id"], row["comments"], row["private_replies"], row["reply_rate"]) == (
        post, 1, 1, 1)  # fmt: skip
