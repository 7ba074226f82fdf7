"""Idempotent and deduplicated: the same inputs again change nothing, and an event delivered
twice (a retried POST, the same mid in two deliveries, a copy in a later run) is stored once.
Clicks: test_dedupe_clicks.py; private replies keyed by an earlier version:
test_dedupe_private_replies.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, PAGE_ID, T0, utc
from tests.ingest.logs import mixed_log, snapshot


def test_ingesting_twice_changes_no_table(ingest_lines, query: Query, log_dir: Path) -> None:
    first = ingest_lines(mixed_log())
    before = snapshot(query)
    assert (first.events_added, first.rejects_added) == (8, 2)
    again = pipeline.run([str(log_dir / "webhooks.ndjson")], query.path)
    assert (again.files_read, again.events_added, again.rejects_added) == (0, 0, 0)
    assert snapshot(query) == before


def test_reread_of_an_unchanged_file_by_another_spelling_changes_nothing(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    ingest_lines(mixed_log())
    before = snapshot(query)
    before.pop("ingest_files")  # it records the file's new mtime
    os.utime(log_dir / "webhooks.ndjson", ns=(T0 * 10**6, T0 * 10**6))  # touched, same bytes
    for spec in (str(log_dir), str(log_dir / "*.ndjson"), str(log_dir / ".." / "logs")):
        result = pipeline.run([spec], query.path)
        assert (result.lines, result.events_added, result.rejects_added) == (0, 0, 0)
        after = snapshot(query)
        after.pop("ingest_files")
        assert after == before, spec
    runs = query("SELECT lines_read, events_added, rejects_added FROM ingest_runs ORDER BY run_id")
    assert all(r == (0, 0, 0) for r in runs[1:]), runs


def test_same_post_twice_in_a_file_is_one_event(ingest_lines, query: Query) -> None:
    post = f.delivery(f.message(psid="u1", mid="m_1"), f.read_receipt(psid="u1", ts=T0 + 1))
    result = ingest_lines([post, post])
    assert (result.events_parsed, result.events_added, result.duplicates) == (4, 2, 2)
    assert query("SELECT kind, line_no FROM events ORDER BY kind") == [
        ("message", 1),
        ("read", 1),
    ]
    assert query("SELECT count(*) FROM rejects") == [(0,)]


def test_same_post_in_two_files_is_one_event(ingest_lines, query: Query, log_dir: Path) -> None:
    post = f.delivery(f.referral("bio_link", psid="u1"))
    ingest_lines([post], name="a.ndjson")
    second = ingest_lines([post], name="b.ndjson")
    assert (second.events_parsed, second.events_added) == (1, 0)
    assert query("SELECT file FROM events") == [(str((log_dir / "a.ndjson").resolve()),)]
    assert query("SELECT count(*) FROM touches") == [(1,)]


def test_same_mid_in_two_different_deliveries_is_one_event(ingest_lines, query: Query) -> None:
    msg = f.message("hi", psid="u1", ts=T0, mid="m_same")
    ingest_lines(
        [
            f.delivery(msg, time=T0 + 10),
            f.delivery(f.message("other", psid="u2", ts=T0 + 5), msg, time=T0 + 20_000),
            f.envelope(f.delivery(msg, time=T0 + 30_000)),
        ]
    )
    assert query("SELECT psid, line_no FROM events ORDER BY psid") == [("u1", 1), ("u2", 2)]
    assert query("SELECT message_count FROM contacts WHERE psid = 'u1'") == [(1,)]


def test_copy_dated_by_its_arrival_in_a_later_run_is_one_event(ingest_lines, query: Query) -> None:
    # Without a timestamp of its own (or its entry's), a message is dated by its arrival: a
    # retry that arrived days later still has its mid, and a later run finds the first copy.
    msg = f.message("hi", psid="u1", mid="m_undated")
    del msg["timestamp"]
    body = {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [msg]}]}
    ingest_lines([f.envelope(body, received_at=T0)], name="a.ndjson")
    later = ingest_lines([f.envelope(body, received_at=T0 + 3 * DAY)], name="b.ndjson")
    assert (later.events_parsed, later.events_added) == (1, 0)
    assert query("SELECT mid, ts FROM events") == [("m_undated", utc(T0))]


def test_copies_of_one_mid_with_two_instants_keep_the_earliest_in_any_order_of_runs(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """Two copies of a message (one mid) stamped with different instants: read in one run, the
    earliest stays; read in two runs, the later copy first, the same, not the first one read
    (the order in which logs arrive changes nothing)."""
    early = f.delivery(f.message("hi", psid="u1", ts=T0, mid="m_twice"))
    late = f.delivery(f.message("hi", psid="u1", ts=T0 + DAY, mid="m_twice"))
    f.write_ndjson(log_dir / "a.ndjson", [late])
    pipeline.run([str(log_dir / "a.ndjson")], db_path)
    f.write_ndjson(log_dir / "b.ndjson", [early])
    later = pipeline.run([str(log_dir / "b.ndjson")], db_path)
    assert (later.events_parsed, later.events_added) == (1, 0)
    assert query("SELECT mid, ts FROM events") == [("m_twice", utc(T0))]
    assert query("SELECT first_seen_at, first_message_at FROM contacts") == [(utc(T0), utc(T0))]


def test_copies_of_one_postback_mid_with_two_instants_are_one_event(
    ingest_lines, query: Query
) -> None:
    """A postback carries a mid since v11.0, and dedupe goes by mid where there is one: two
    copies of one postback stamped with different instants are one postback, the earliest.
    https://developers.facebook.com/docs/messenger-platform/webhook"""
    ingest_lines(
        [
            f.delivery(f.postback(psid="u1", ts=T0 + DAY, mid="pb_twice")),
            f.delivery(f.postback(psid="u1", ts=T0, mid="pb_twice")),
        ]
    )
    assert query("SELECT kind, mid, ts FROM events") == [("postback", "pb_twice", utc(T0))]
    assert query("SELECT postback_count, first_seen_at FROM contacts") == [(1, utc(T0))]


def test_a_later_run_with_an_earlier_and_a_later_copy_keeps_the_earliest(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """A message (one mid) read first at a middle instant, then in one later log both before
    and after it: the earliest of the three stays, as if all were read in one run."""
    copy = {ts: f.delivery(f.message("hi", psid="u1", ts=ts, mid="m_thrice"))
            for ts in (T0, T0 + DAY, T0 + 2 * DAY)}  # fmt: skip
    f.write_ndjson(log_dir / "a.ndjson", [copy[T0 + DAY]])
    pipeline.run([str(log_dir / "a.ndjson")], db_path)
    f.write_ndjson(log_dir / "b.ndjson", [copy[T0 + 2 * DAY], copy[T0]])
    later = pipeline.run([str(log_dir / "b.ndjson")], db_path)
    assert (later.events_parsed, later.events_added) == (2, 0)
    assert query("SELECT mid, ts FROM events") == [("m_thrice", utc(T0))]
    assert query("SELECT first_seen_at FROM contacts") == [(utc(T0),)]


def test_a_copy_at_the_same_instant_in_a_later_run_leaves_the_stored_event_as_it_was(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    """Only an earlier-dated copy takes the place of a stored event: a message (one mid) read
    again in a later run at its instant stays the first run's, under its file, line and run."""
    post = f.delivery(f.message("hi", psid="u1", ts=T0, mid="m_again"))
    ingest_lines([post], name="a.ndjson")
    later = ingest_lines([f.delivery(f.message(psid="u2", ts=T0 + 1)), post], name="b.ndjson")
    assert (later.events_parsed, later.events_added, later.duplicates) == (2, 1, 1)
    assert query("SELECT file, line_no, run_id FROM events WHERE mid = 'm_again'") == [
        (str((log_dir / "a.ndjson").resolve()), 1, 1)
    ]


@pytest.mark.parametrize("batch", ["64", "64MiB"], ids=["a-batch-each", "one-batch"])
def test_copies_dated_by_their_arrival_in_one_run_keep_the_earliest(
    db_path: Path, log_dir: Path, query: Query, monkeypatch: pytest.MonkeyPatch, batch: str
) -> None:
    """Read in one run, the later arrival first (its file sorts first): the copy that stays
    is the earliest dated, whether the copies share a batch or not."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", batch)
    msg = f.message("hi", psid="u1", mid="m_undated")
    del msg["timestamp"]
    body = {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [msg]}]}
    f.write_ndjson(log_dir / "a.ndjson", [f.envelope(body, received_at=T0 + 3 * DAY)])
    f.write_ndjson(log_dir / "b.ndjson", [f.envelope(body, received_at=T0)])
    result = pipeline.run([str(log_dir)], db_path)
    assert (result.events_parsed, result.events_added) == (2, 1)
    assert query("SELECT mid, ts FROM events") == [("m_undated", utc(T0))]
    assert query("SELECT first_seen_at FROM contacts") == [(utc(T0),)]


def test_copies_dated_by_their_arrival_in_two_batches_of_a_later_run_keep_the_earliest(
    db_path: Path, log_dir: Path, query: Query, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, in a run after another (whose events a run checks for copies): a copy that an
    earlier batch of the same run stored does not keep out an earlier-dated one."""
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a batch per file
    f.write_ndjson(log_dir / "0.ndjson", [f.delivery(f.message(psid="u0", ts=T0 - DAY))])
    pipeline.run([str(log_dir / "0.ndjson")], db_path)
    msg = f.message("hi", psid="u1", mid="m_undated")
    del msg["timestamp"]
    body = {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [msg]}]}
    f.write_ndjson(log_dir / "a.ndjson", [f.envelope(body, received_at=T0 + 3 * DAY)])
    f.write_ndjson(log_dir / "b.ndjson", [f.envelope(body, received_at=T0)])
    result = pipeline.run([str(log_dir / "a.ndjson"), str(log_dir / "b.ndjson")], db_path)
    assert (result.events_parsed, result.events_added) == (2, 1)
    assert query("SELECT ts, file FROM events WHERE mid = 'm_undated'") == [
        (utc(T0), str((log_dir / "b.ndjson").resolve()))
    ]


@pytest.mark.parametrize("item", ["comment", "reaction"])
def test_a_feed_change_without_created_time_retried_in_a_later_run_is_one_event(
    db_path: Path, log_dir: Path, query: Query, item: str
) -> None:
    """A feed change without `created_time` is dated by its entry's `time`, when Meta sent
    the notification: a retry has another. It is the same change, and the earliest copy
    stays, whichever run read it first."""
    change = ff.comment(created_time=None)
    del change["value"]["created_time"]
    if item == "reaction":
        change["value"].update(item="reaction", reaction_type="like", verb="add")
        del change["value"]["comment_id"]
    f.write_ndjson(log_dir / "a.ndjson", [ff.feed(change, time=T0 // 1000 + 60)])
    pipeline.run([str(log_dir / "a.ndjson")], db_path)
    f.write_ndjson(log_dir / "b.ndjson", [ff.feed(change, time=T0 // 1000)])
    later = pipeline.run([str(log_dir / "b.ndjson")], db_path)
    assert (later.events_parsed, later.events_added) == (1, 0)
    assert query("SELECT ts FROM events") == [(utc(T0),)]


def test_a_delivery_receipt_without_timestamp_retried_in_a_later_run_is_one_event(
    db_path: Path, log_dir: Path, query: Query
) -> None:
    """A receipt without a timestamp of its own is dated by its entry's `time`, when Meta sent
    the notification: a retry has a later one. It is the same receipt, and the earliest copy
    stays, whichever run read it first."""
    receipt = f.delivery_receipt(["m_e"], T0, psid="u1")
    del receipt["timestamp"]
    f.write_ndjson(log_dir / "a.ndjson", [f.delivery(receipt, time=T0 + 20_000)])
    pipeline.run([str(log_dir / "a.ndjson")], db_path)
    f.write_ndjson(log_dir / "b.ndjson", [f.delivery(receipt, time=T0)])
    later = pipeline.run([str(log_dir / "b.ndjson")], db_path)
    assert (later.events_parsed, later.events_added) == (1, 0)
    assert query("SELECT kind, ts FROM events") == [("delivery", utc(T0))]


def test_a_send_log_line_logged_twice_and_dated_by_its_arrivals_is_one_event(
    ingest_lines, query: Query
) -> None:
    # No timestamp of its own: each copy is dated by its arrival, but the sent message's id is
    # the same. Two different replies to one comment stay two.
    line = ff.send_log(message_id="m_sent_1")
    del line["timestamp"]
    other = ff.send_log(message_id="m_sent_2")
    del other["timestamp"]
    ingest_lines([f.envelope(line, received_at=T0), f.envelope(other, received_at=T0 + 60_000)],
                 name="a.ndjson")  # fmt: skip
    later = ingest_lines([f.envelope(line, received_at=T0 + 2 * DAY)], name="b.ndjson")
    assert (later.events_parsed, later.events_added) == (1, 0)
    assert query("SELECT mid, ts FROM events ORDER BY mid") == [
        ("m_sent_1", utc(T0)), ("m_sent_2", utc(T0 + 60_000))]  # fmt: skip


def test_distinct_events_without_mid_are_not_merged(ingest_lines, query: Query) -> None:
    ingest_lines(
        [
            f.delivery(f.read_receipt(T0, psid="u1", ts=T0)),
            f.delivery(f.read_receipt(T0 + 1000, psid="u1", ts=T0 + 1000)),
            f.delivery(f.read_receipt(T0, psid="u2", ts=T0)),
            f.delivery(f.referral("a", psid="u1", ts=T0 + 2000)),
            f.delivery(f.referral("b", psid="u1", ts=T0 + 2000)),
            f.delivery(f.referral("a", psid="u1", ts=T0 + 2000)),  # the retry of the first
        ]
    )
    assert query("SELECT count(*) FROM events") == [(5,)]


def test_an_unknown_item_retried_with_its_timestamp_spelled_otherwise_is_one_event(
    ingest_lines, query: Query
) -> None:
    """An item of a kind refscope does not know is keyed on its content with its own instant
    written as milliseconds: a copy whose timestamp is in seconds or a digit string (read by
    magnitude, as every timestamp) is the same event; another text at that instant is not."""

    def edit(ts: object, text: str = "hello (edited)") -> dict[str, object]:
        body = {"mid": "m_edited", "text": text, "num_edit": 1}
        return f.delivery(f.other_item(body=body, psid="u1", ts=ts), time=T0 + 10)

    result = ingest_lines([edit(T0), edit(T0 // 1000), edit(str(T0)), edit(T0, "hi (edited)")])
    assert (result.events_parsed, result.events_added) == (4, 2)
    assert query("SELECT kind, detail, ts, line_no FROM events ORDER BY line_no") == [
        ("other", "message_edit", utc(T0), 1),
        ("other", "message_edit", utc(T0), 4),
    ]
