"""`refscope ingest` over the edge timings of attribution (README "Attribution"), the same lines
dealt over files and runs in the orders logs come in: backwards, one run at a time; files
appended with older lines after newer ones; Meta's retries in other files, in the receiver's
envelope with another `received_at` or another entry `time`. Each way gives exactly the tables
one run over everything gives. Payload facts:
https://developers.facebook.com/docs/messenger-platform/webhooks
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import tests.factories as f
import tests.factories_feed as ff
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, OTHER_PAGE_ID, PAGE_ID, T0, Json, utc


def _undated(item: Json) -> Json:
    """An item without a timestamp of its own (a delivery receipt has none)."""
    item = copy.deepcopy(item)
    del item["timestamp"]
    return item


def _edge_log() -> list[Json]:
    """One contact per edge case (psid e01…e13), in the order Meta would have sent them."""
    p = {n: f"e{n:02d}" for n in range(1, 14)}
    ad = f.ads_referral()
    receipt = _undated(f.delivery_receipt(["m_page_9"], T0 + 10, psid=p[9]))
    read = _undated(f.read_receipt(T0 + 10, psid=p[9]))
    get_started = f.postback(with_mid=False, referral=f.referral_obj("bio"), psid=p[10], ts=T0)
    wrapped = {"object": "page", "entry": [{"id": PAGE_ID, "time": T0, "changes": [
        {"field": "messages", "value": f.message("yo", psid=p[10], ts=T0 + 1000)}]}]}  # fmt: skip
    return [
        # A top-level referral and the first message at one instant: the referral's.
        f.delivery(f.referral("bio", psid=p[1], ts=T0)),
        f.delivery(f.message(psid=p[1], ts=T0)),
        # A referral after the first message: organic, one re-entry.
        f.delivery(f.message(psid=p[2], ts=T0)),
        f.delivery(f.referral("bio", psid=p[2], ts=T0 + MINUTE)),
        # A private reply after the first inbound message acquires nothing.
        f.delivery(f.message(psid=p[3], ts=T0)),
        ff.send_log("4455667788_1", p[3], ts=T0 + MINUTE),
        # A private reply before it, logged by the send log and by its echo: one touch.
        ff.send_log("4455667788_2", p[4], ts=T0, message_id="m_pr4"),
        f.delivery(f.private_reply_echo("4455667788_2", psid=p[4], ts=T0 + 5, mid="m_pr4")),
        f.delivery(f.message(psid=p[4], ts=T0 + HOUR)),
        # Echoes, deliveries and reads alone: no contact.
        f.delivery(f.echo(psid=p[5], ts=T0)),
        f.delivery(f.delivery_receipt(["m_x"], T0, psid=p[5], ts=T0 + 1)),
        f.delivery(f.read_receipt(T0, psid=p[5], ts=T0 + 2)),
        # A Get Started from an ad seen in standby, then the first message with that ad's
        # referral: one click, no re-entry.
        f.delivery(f.postback(referral=ad, psid=p[6], ts=T0), container="standby"),
        f.delivery(f.message(psid=p[6], ts=T0 + 3000, referral=ad)),
        # One PSID on two pages: two contacts.
        f.delivery(f.referral("bio", psid=p[7], ts=T0)),
        f.delivery(f.message(psid=p[7], ts=T0, page_id=OTHER_PAGE_ID), page_id=OTHER_PAGE_ID),
        f.delivery(f.message(psid=p[7], ts=T0 + 1)),
        # A private reply and a referral at one instant: the user's own referral wins.
        ff.send_log("4455667788_3", p[8], ts=T0),
        f.delivery(f.referral("bio", psid=p[8], ts=T0)),
        f.delivery(f.message(psid=p[8], ts=T0 + 1000)),
        # Receipts without timestamps, retried with another entry time and arrival: one each,
        # dated by the earliest copy.
        f.envelope(f.delivery(receipt, time=T0 + 20), T0 + 30),
        f.envelope(f.delivery(receipt, time=T0 + 5000), T0 + 6000),
        f.delivery(read, time=T0 + 40),
        f.envelope(f.delivery(read, time=T0 + 90_000), T0 + 95_000),
        f.delivery(f.echo(psid=p[9], ts=T0, mid="m_page_9")),
        f.delivery(f.message(psid=p[9], ts=T0 + MINUTE)),
        # A Get Started without mid retried later; its first message in changes[] and plain.
        f.delivery(get_started),
        f.envelope(f.delivery(get_started, time=T0 + 99_999), T0 + 100_000),
        wrapped,
        f.delivery(f.message("yo", psid=p[10], ts=T0 + 1000)),
        # The App Dashboard's wrapped sample and the delivery of one referral: one event.
        {"field": "messaging_referrals", "value": f.referral("ig", psid=p[11], ts=T0)},
        f.delivery(f.message(psid=p[11], ts=T0 + 5)),
        f.delivery(f.referral("ig", psid=p[11], ts=T0)),
        # A referral dated in seconds; a message whose timestamp is a digit string, and again.
        f.delivery(f.referral("sec", psid=p[12], ts=(T0 + 7000) // 1000)),
        f.delivery(f.message(psid=p[12], ts=str(T0 + 7500), mid="m_p12")),
        f.delivery(f.message(psid=p[12], ts=T0 + 7500, mid="m_p12")),
        # Handover and an unknown item make no contact; a reaction (retried) does.
        f.delivery(f.handover(psid=p[13], ts=T0 - 5)),
        f.delivery(f.other_item(psid=p[13], ts=T0 - 4)),
        f.delivery(f.reaction(psid=p[13], ts=T0)),
        f.delivery(f.reaction(psid=p[13], ts=T0), time=T0 + 9),
        f.delivery(f.message(psid=p[13], ts=T0 + DAY)),
    ]


def _ingest(runner: CliRunner, db: Path, *paths: Path) -> None:
    result = runner.invoke(cli, ["ingest", *map(str, paths), "--db", str(db), "--no-progress"])
    assert result.exit_code == 0, result.output


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    q = Query(db)
    return {**q.read_tables(), "rejects": q("SELECT * FROM rejects")}


def _whole(runner: CliRunner, tmp: Path) -> Path:
    db = tmp / "whole.duckdb"
    _ingest(runner, db, f.write_ndjson(tmp / "whole" / "webhooks.ndjson", _edge_log()))
    return db


def test_the_edge_timings_give_the_documented_contacts(runner: CliRunner, tmp_path: Path) -> None:
    q = Query(_whole(runner, tmp_path))
    rows = q(
        "SELECT page_id = ?, psid, channel, ref, ad_id IS NOT NULL, first_seen_at, "
        "first_message_at, message_count, postback_count, reentry_count FROM contacts "
        "ORDER BY psid, page_id",
        OTHER_PAGE_ID,
    )
    t = utc
    assert rows == [
        (False, "e01", "m_me_link", "bio", False, t(T0), t(T0), 1, 0, 0),
        (False, "e02", "organic", None, False, t(T0), t(T0), 1, 0, 1),
        (False, "e03", "organic", None, False, t(T0), t(T0), 1, 0, 0),
        (False, "e04", "comment_reply", None, False, t(T0 + HOUR), t(T0 + HOUR), 1, 0, 0),
        (False, "e06", "ctm_ad", None, True, t(T0), t(T0 + 3000), 1, 1, 0),
        (False, "e07", "m_me_link", "bio", False, t(T0), t(T0 + 1), 1, 0, 0),
        (True, "e07", "organic", None, False, t(T0), t(T0), 1, 0, 0),
        (False, "e08", "m_me_link", "bio", False, t(T0), t(T0 + 1000), 1, 0, 0),
        (False, "e09", "organic", None, False, t(T0 + MINUTE), t(T0 + MINUTE), 1, 0, 0),
        (False, "e10", "m_me_link", "bio", False, t(T0), t(T0 + 1000), 1, 1, 0),
        (False, "e11", "m_me_link", "ig", False, t(T0), t(T0 + 5), 1, 0, 0),
        (False, "e12", "m_me_link", "sec", False, t(T0 + 7000), t(T0 + 7500), 1, 0, 0),
        (False, "e13", "organic", None, False, t(T0), t(T0 + DAY), 1, 0, 0),
    ]
    assert q(
        "SELECT psid, via, is_first, is_reentry FROM touches "
        "WHERE psid IN ('e02', 'e03', 'e04', 'e06', 'e08') ORDER BY psid, ts, via"
    ) == [
        ("e02", "referral", False, True),
        ("e03", "private_reply", False, False),
        ("e04", "private_reply", True, False),
        ("e06", "postback", True, False),
        ("e06", "message", False, False),
        ("e08", "private_reply", False, False),
        ("e08", "referral", True, False),
    ]
    # Each retried receipt once, dated by its earliest copy.
    assert q("SELECT kind, ts FROM events WHERE psid = 'e09' AND kind IN ('delivery', 'read') "
             "ORDER BY kind") == [("delivery", t(T0 + 20)), ("read", t(T0 + 40))]  # fmt: skip
    assert q("SELECT count(*) FROM rejects") == [(0,)]


def test_the_edge_log_backwards_one_run_at_a_time_gives_the_same_tables(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The newest lines first, three at a time, each run in a file of its own."""
    want = _tables(_whole(runner, tmp_path))
    lines = _edge_log()[::-1]
    db = tmp_path / "runs.duckdb"
    for n in range(0, len(lines), 3):
        _ingest(
            runner, db, f.write_ndjson(tmp_path / "runs" / f"part-{n}.ndjson", lines[n : n + 3])
        )
    assert _tables(db) == want


def test_logs_appended_with_older_lines_and_retried_elsewhere_give_the_same_tables(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Two logs grown over runs, each appended with older lines than it holds, and at the end
    every line again in a third log inside the receiver's envelope (arrived later)."""
    want = _tables(_whole(runner, tmp_path))
    lines = _edge_log()
    logs = tmp_path / "grown"
    db = tmp_path / "grown.duckdb"
    half = len(lines) // 2
    a, b = lines[:half][::-1], lines[half:][::-1]
    for n in range(0, max(len(a), len(b)), 5):
        paths = [f.write_ndjson(logs / name, part[n:n + 5], mode="a")
                 for name, part in (("a.ndjson", a), ("b.ndjson", b)) if part[n:n + 5]]  # fmt: skip
        _ingest(runner, db, *paths)
    retried = [x if "received_at" in x else f.envelope(x, T0 + 2 * DAY) for x in lines]
    _ingest(runner, db, f.write_ndjson(logs / "retries.ndjson", retried))
    assert _tables(db) == want
