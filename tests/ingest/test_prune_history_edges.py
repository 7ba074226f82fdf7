"""Prune at a date with events on either side of it, and at its very instant: the contact a
later run rebuilds equals that of a database that read everything and pruned nothing (the
touch that acquires, private replies, reads of echoes, a first message sent in two parts), and
the touches, contact days and eve's history it keeps or keeps out."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from ingest import pipeline
from tests import factories as f
from tests import factories_feed as ff
from tests.conftest import Query
from tests.ingest.prune_setup import _contact, _prune

D = dt.date(2024, 1, 10)
DM = int(dt.datetime(2024, 1, 10, tzinfo=dt.UTC).timestamp() * 1000)


def _pruned_equals_whole(tmp_path: Path, before: list[Any], after: list[Any]) -> dict[str, Any]:
    """Ingest before, prune at D, ingest after; the contact row must equal the one of a
    database that read everything and pruned nothing. Returns the pruned one's row."""
    whole, pruned = tmp_path / "whole.duckdb", tmp_path / "pruned.duckdb"
    pipeline.run([str(f.write_ndjson(tmp_path / "w" / "a.ndjson", before + after))], whole)
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "a.ndjson", before))], pruned)
    _prune(pruned, D)
    pipeline.run([str(f.write_ndjson(tmp_path / "p" / "b.ndjson", after))], pruned)
    got = _contact(Query(pruned), "9")
    assert got == _contact(Query(whole), "9")
    return got


def test_a_conversation_not_opened_before_the_date_is_still_acquired_by_its_touch(
    tmp_path: Path,
) -> None:
    """A reaction (an own action, not an opening) before the date; the link and the first
    message after it: the link acquired the contact."""
    got = _pruned_equals_whole(
        tmp_path,
        [f.delivery(f.reaction(psid="9", ts=DM - 5 * f.DAY)),
         f.delivery(f.echo("hi", psid="9", ts=DM + f.DAY))],
        [f.delivery(f.referral(ref="flyer", psid="9", ts=DM + 3 * f.DAY)),
         f.delivery(f.message("hello", psid="9", ts=DM + 3 * f.DAY + 1000))],
    )  # fmt: skip
    assert (got["channel"], got["ref"]) == ("m_me_link", "flyer")


def test_a_private_reply_before_the_date_to_someone_not_yet_a_contact_is_kept(
    tmp_path: Path,
) -> None:
    got = _pruned_equals_whole(
        tmp_path,
        [ff.send_log("111_222", "9", ts=DM - 5 * f.DAY),
         f.delivery(f.echo("x", psid="9", ts=DM - 4 * f.DAY)),
         f.delivery(f.echo("y", psid="9", ts=DM + f.DAY))],
        [f.delivery(f.message("hi", psid="9", ts=DM + 3 * f.DAY))],
    )  # fmt: skip
    assert (got["channel"], got["page_message_count"]) == ("comment_reply", 2)


def test_a_private_reply_kept_by_the_prune_stays_read_by_a_read_it_removed(
    tmp_path: Path,
) -> None:
    """A commenter read the page's private reply and wrote only after the date: prune keeps the
    reply (it may still acquire the contact) and removes the read; the reply is still read."""
    got = _pruned_equals_whole(
        tmp_path,
        [f.delivery(f.private_reply_echo("111_222", psid="9", ts=DM - 5 * f.DAY, mid="m_pr")),
         f.delivery(f.read_receipt(DM - 5 * f.DAY, psid="9", ts=DM - 4 * f.DAY)),
         f.delivery(f.echo("news", psid="9", ts=DM + f.HOUR, mid="m_news"))],
        [f.delivery(f.message("hi", psid="9", ts=DM + f.DAY))],
    )  # fmt: skip
    assert (got["channel"], got["page_message_count"], got["page_messages_read"]) == (
        "comment_reply", 2, 1)  # fmt: skip


def test_a_read_after_the_date_reaches_back_to_echoes_before_it(tmp_path: Path) -> None:
    """Read just after midnight, up to a message sent the evening before: one of two."""
    got = _pruned_equals_whole(
        tmp_path,
        [f.delivery(f.message("hi", psid="9", ts=DM - 5 * f.DAY)),
         f.delivery(f.echo("a", psid="9", ts=DM - 2 * f.HOUR)),
         f.delivery(f.echo("b", psid="9", ts=DM - f.HOUR)),
         f.delivery(f.read_receipt(DM - 90 * f.MINUTE, psid="9", ts=DM + f.HOUR))],
        [f.delivery(f.message("again", psid="9", ts=DM + 3 * f.DAY))],
    )  # fmt: skip
    assert (got["page_message_count"], got["page_messages_read"]) == (2, 1)


def test_an_echo_read_at_its_own_instant_stays_read_after_the_prune(tmp_path: Path) -> None:
    """A read's watermark covers the messages sent up to and at it: an echo at the watermark
    instant was read, and stays so in the history prune keeps."""
    got = _pruned_equals_whole(
        tmp_path,
        [f.delivery(f.message("hi", psid="9", ts=DM - 5 * f.DAY)),
         f.delivery(f.echo("hello", psid="9", ts=DM - 4 * f.DAY)),
         f.delivery(f.read_receipt(psid="9", ts=DM - 3 * f.DAY, watermark=DM - 4 * f.DAY)),
         f.delivery(f.echo("still there?", psid="9", ts=DM + f.HOUR))],
        [f.delivery(f.message("again", psid="9", ts=DM + f.DAY))],
    )  # fmt: skip
    assert got["page_messages_read"] == 1


def test_a_text_and_a_photo_sent_in_one_go_before_the_date_are_one_first_message(
    tmp_path: Path,
) -> None:
    """Two messages of one instant are no second message after the first, in the history
    prune keeps too: the second message is the one written a day later, before the date."""
    got = _pruned_equals_whole(
        tmp_path,
        [f.delivery(f.message("hi", psid="9", ts=DM - 5 * f.DAY, mid="m_a"),
                    f.message(None, psid="9", ts=DM - 5 * f.DAY, mid="m_b",
                              attachments=[{"type": "image",
                                            "payload": {"url": "https://example.com/p.jpg"}}])),
         f.delivery(f.message("and?", psid="9", ts=DM - 4 * f.DAY, mid="m_c")),
         f.delivery(f.echo("hello", psid="9", ts=DM + f.HOUR))],
        [f.delivery(f.message("again", psid="9", ts=DM + f.DAY, mid="m_d"))],
    )  # fmt: skip
    assert (got["message_count"], got["second_message_at"]) == (4, f.utc(DM - 4 * f.DAY))


def test_a_contact_whose_last_event_is_at_the_prune_instant_keeps_its_acquisition(
    tmp_path: Path,
) -> None:
    """Prune keeps what is dated at or after midnight of its date: a message at that very
    instant makes a kept contact, whose history (the link that acquired it) is kept."""
    got = _pruned_equals_whole(
        tmp_path,
        [f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="9", ts=DM - 5 * f.DAY)),
         f.delivery(f.message("hi", psid="9", ts=DM))],
        [f.delivery(f.message("again", psid="9", ts=DM + 3 * f.DAY))],
    )  # fmt: skip
    assert (got["channel"], got["ref"], got["message_count"]) == ("m_me_link", "bio_link", 2)


def test_prune_keeps_no_touch_of_a_conversation_opened_by_a_postback(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """Only touches of a conversation not yet opened are kept: one opened by Get Started
    before the date has its acquisition in its history, and its touches go."""
    lines = [
        f.delivery(f.postback(referral=f.referral_obj("bio_link"), psid="9", ts=DM - 5 * f.DAY)),
        f.delivery(f.referral(ref="qr_door", psid="9", ts=DM - 3 * f.DAY)),
        f.delivery(f.message("hi", psid="9", ts=DM + f.DAY)),
    ]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    assert _prune(db_path, D).events == 2
    assert query("SELECT count(*) FROM events WHERE ts < ?", f.utc(DM)) == [(0,)]
    c = _contact(query, "9")
    assert (c["channel"], c["ref"], c["reentry_count"]) == ("m_me_link", "bio_link", 1)


def test_prune_keeps_the_contact_days_of_its_date(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """Days from the prune date on are kept: their messages count in Retention."""
    lines = [
        f.delivery(f.message("hi", psid="9", ts=DM - 5 * f.DAY)),
        f.delivery(f.message("morning", psid="9", ts=DM + f.HOUR)),
    ]
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines))], db_path)
    _prune(db_path, D)
    assert query("SELECT day, messages FROM contact_days") == [(D, 1)]


def test_pruned_history_of_the_eve_of_the_date_read_again_stays_out(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    """Everything dated before midnight of the prune date stays out, the evening before too."""
    lines = [
        f.delivery(f.message("hi", psid="9", ts=DM - 5 * f.DAY)),
        f.delivery(f.message("evening", psid="9", ts=DM - f.HOUR)),
        f.delivery(f.message("morning", psid="9", ts=DM + f.HOUR)),
    ]
    log = f.write_ndjson(log_dir / "a.ndjson", lines)
    pipeline.run([str(log)], db_path)
    _prune(db_path, D)
    shutil.copy(log, log_dir / "a-1.ndjson")
    result = pipeline.run([str(log_dir / "a-1.ndjson")], db_path)
    assert (result.events_added, result.left_out) == (0, 2)
    assert query("SELECT count(*) FROM events") == [(1,)]
