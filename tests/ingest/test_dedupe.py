"""Idempotent and deduplicated: the same inputs again change nothing, and an event delivered
twice (a retried POST, the same mid in two deliveries, a copy in a later run) is stored once."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

import tests.factories as f
from ingest import db, pipeline, webhook
from ingest.privacy import HMAC_SQL, Privacy
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
    change = f.comment(created_time=None)
    del change["value"]["created_time"]
    if item == "reaction":
        change["value"].update(item="reaction", reaction_type="like", verb="add")
        del change["value"]["comment_id"]
    f.write_ndjson(log_dir / "a.ndjson", [f.feed(change, time=T0 // 1000 + 60)])
    pipeline.run([str(log_dir / "a.ndjson")], db_path)
    f.write_ndjson(log_dir / "b.ndjson", [f.feed(change, time=T0 // 1000)])
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
    line = f.send_log(message_id="m_sent_1")
    del line["timestamp"]
    other = f.send_log(message_id="m_sent_2")
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


def _click(i: int, ts: int) -> dict[str, object]:
    return {"object": "refscope_click", "ts": ts, "ref": f"qr_{i % 3}", "page": "acmebakery",
            "qr": True, "device": "mobile"}  # fmt: skip


def test_a_click_log_replaced_by_a_later_window_adds_only_its_new_clicks(
    ingest_lines, query: Query
) -> None:
    # Clicks 0-99, then the file holds clicks 50-119 (a rolling window). Clicks 10 and 11 are
    # two scans in one millisecond: the same line twice, two clicks.
    clicks = [_click(i, T0 + 1000 * i) for i in range(120)]
    clicks[11] = clicks[10]
    ingest_lines(clicks[:100], name="clicks.ndjson")
    assert query("SELECT count(*) FROM clicks") == [(100,)]
    ingest_lines(clicks[50:], name="clicks.ndjson")
    assert query("SELECT count(*), count(DISTINCT ts) FROM clicks") == [(120, 119)]
    ingest_lines(clicks[5:15], name="other.ndjson")  # another file: clicks of its own
    assert query("SELECT count(*) FROM clicks") == [(130,)]


def test_the_same_click_line_twice_in_two_batches_is_two_clicks(
    ingest_lines, query: Query, monkeypatch
) -> None:
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", "64")  # a batch per line
    same = _click(1, T0)
    ingest_lines([same, _click(2, T0 + 1), same, same], name="clicks.ndjson")
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(4, 4)]


def test_a_last_click_line_read_before_its_newline_is_one_click(
    ingest_lines, query: Query, log_dir: Path
) -> None:
    ingest_lines([_click(1, T0), _click(2, T0 + 1)], name="clicks.ndjson")
    path = log_dir / "clicks.ndjson"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # the writer had not ended the line yet
    fresh = pipeline.run([str(path)], query.path)  # replaced: read again from the start
    assert fresh.rejects_added == 0
    with open(path, "ab") as fh:
        fh.write(b"\n")
    pipeline.run([str(path)], query.path)
    assert query("SELECT count(*) FROM clicks") == [(2,)]


def test_two_scans_in_one_millisecond_the_second_before_its_newline_are_two_clicks(
    query: Query, log_dir: Path
) -> None:
    """The same line twice, the last one read before the writer ended it: two clicks, as many
    once its newline is there."""
    path = f.write_ndjson(log_dir / "clicks.ndjson", [_click(1, T0), _click(1, T0)])
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # the writer had not ended the line yet
    pipeline.run([str(path)], query.path)
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(2, 2)]
    with open(path, "ab") as fh:
        fh.write(b"\n")
    pipeline.run([str(path)], query.path)
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(2, 2)]


def test_a_click_log_gzipped_after_it_was_read_adds_no_clicks(
    ingest_lines, query: Query, execute, log_dir: Path
) -> None:
    """`gzip clicks-….ndjson` (an old day's log compressed) is the same log, not a renamed one:
    its clicks, two scans in one millisecond among them, are not counted again; a click added
    before it was compressed is."""
    clicks = [_click(i, T0 + 1000 * i) for i in range(12)]
    clicks[6] = clicks[5]
    ingest_lines(clicks[:10], name="clicks-2026-11-30.vm-1.ndjson")
    ingest_lines(clicks[10:], name="clicks-2026-11-30.vm-1.ndjson", append=True)
    assert query("SELECT count(*) FROM clicks") == [(12,)]
    log = log_dir / "clicks-2026-11-30.vm-1.ndjson"
    ingest_lines(clicks + [_click(12, T0 + 12_000)], name=log.name)  # one more, then gzipped
    gz = log.with_name(log.name + ".gz")
    gz.write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    result = pipeline.run([str(log_dir)], query.path)
    assert result.files_read == 1
    assert query("SELECT count(*), count(DISTINCT ts) FROM clicks") == [(13, 12)]
    # `gzip -k`: the log and its .gz side by side, read in one run, are one log.
    kept = log_dir / "clicks-2026-12-01.vm-1.ndjson"
    ingest_lines([_click(20, T0 + 20_000), _click(20, T0 + 20_000)], name=kept.name)
    kept.with_name(kept.name + ".gz").write_bytes(gzip.compress(kept.read_bytes()))
    execute("DELETE FROM clicks WHERE file = ?", str(kept))
    execute("DELETE FROM ingest_files WHERE path = ?", str(kept))
    pipeline.run([str(log_dir)], query.path)
    assert query("SELECT count(*), count(DISTINCT ts) FROM clicks") == [(15, 13)]


def test_a_gz_click_log_keyed_by_an_earlier_version_under_its_gz_name_adds_no_clicks(
    query: Query, execute, log_dir: Path
) -> None:
    """An earlier version named a gzipped click log's clicks by its `.gz` name: read again (its
    ingest_files row deleted), the log adds none of them."""
    line = f.line(_click(1, T0))
    gz = log_dir / "clicks-2026-11-30.vm-1.ndjson.gz"
    gz.write_bytes(gzip.compress((line + "\n").encode()))
    pipeline.run([str(gz)], query.path)
    execute("UPDATE clicks SET click_key = md5_number(array_to_string([file, ?, '1'], chr(31)))",
            line)  # fmt: skip
    execute("DELETE FROM ingest_files")
    again = pipeline.run([str(gz)], query.path)
    assert (again.clicks_read, again.clicks_added) == (1, 0)
    assert query("SELECT count(*), min(file) FROM clicks") == [(1, str(gz.resolve()))]


def test_two_scans_in_one_millisecond_read_in_two_runs_stay_two_when_read_again(
    ingest_lines, query: Query, execute
) -> None:
    """The first scan is read, the second appended after it; then the whole file is read again
    (its ingest_files row deleted): the clicks it already had, no more."""
    clicks = [_click(i, T0 + 1000 * i) for i in range(20)]
    clicks[11] = clicks[10]
    ingest_lines(clicks[:11], name="clicks.ndjson")
    ingest_lines(clicks[11:], name="clicks.ndjson", append=True)
    assert query("SELECT count(*) FROM clicks") == [(20,)]
    execute("DELETE FROM ingest_files")
    ingest_lines(clicks, name="clicks.ndjson")
    assert query("SELECT count(*), count(DISTINCT click_key) FROM clicks") == [(20, 20)]


@pytest.mark.parametrize("salt", [None, "pepper-for-tests"])
def test_a_private_reply_an_earlier_version_keyed_is_not_stored_again_when_read_again(
    ingest_lines, query: Query, db_path: Path, log_dir: Path, monkeypatch, salt
) -> None:
    """Before 2026-12-01 a private reply with a message_id was keyed on that id and its instant;
    a database of then, upgraded, reads its send log again (renamed, gzipped): still one reply."""
    if salt:
        monkeypatch.setenv("REFSCOPE_ID_SALT", salt)
    lines = [f.send_log(ts=T0), f.delivery(f.message("hi", ts=T0 + 60_000))]
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
    ingest_lines([f.send_log(ts=T0), f.delivery(f.message("hi", ts=T0 + 60_000))], name="s.ndjson")
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
