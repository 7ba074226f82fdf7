"""Attribution against the documented rule (README "Attribution"), one realistic log at a time:
every entry point Meta documents (m.me links, ads, the chat plugin, private replies to comments:
https://developers.facebook.com/docs/messenger-platform/discovery and
https://developers.facebook.com/docs/messenger-platform/discovery/private-replies/) for its own
person, the contacts and touches that must come out, and the same tables whatever the files,
their order and the runs.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from ingest import pipeline
from tests.conftest import Query
from tests.factories import DAY, HOUR, MINUTE, OTHER_PAGE_ID, PAGE_ID, T0, utc

QR_REF = "qr_store12_window"
PLUGIN = "chat-plugin-user-ref-9"
CONTACT_COLUMNS = (
    "psid, channel, ref, source, ad_id, first_seen_at, first_touch_at, first_message_at, "
    "second_message_at, message_count, reentry_count"
)


def visitor_post_reply(post_id: str, psid: str, ts: int) -> dict[str, Any]:
    """A send-log line of a private reply to a visitor post (recipient.post_id, §4)."""
    line = ff.send_log(psid=psid, ts=ts, message_id=f"m_reply_{post_id}")
    line["request"]["recipient"] = {"post_id": post_id}
    return line


def no_source(ref: str, psid: str, ts: int) -> dict[str, Any]:
    item = f.referral(ref, psid=psid, ts=ts)
    del item["referral"]["source"]
    return item


def d(*items: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return f.delivery(*items, **kw)


def scenario() -> list[dict[str, Any]]:
    """One person per case; every line as Meta (or the page's send log) would write it."""
    ad = f.ads_referral(ad_id="120208765432109876", ad_title="Spring croissant launch")
    other_ad = f.ads_referral(ad_id="120208765432100000")
    return [
        # Get Started from an m.me link, a registered QR code and an ad (postback.referral).
        d(f.postback(referral=f.referral_obj("bio_link"), psid="mme", ts=T0)),
        d(f.message("hi", psid="mme", ts=T0 + MINUTE)),
        d(f.echo("Welcome!", psid="mme", ts=T0 + MINUTE + 2000)),
        d(f.message("menu?", psid="mme", ts=T0 + 5 * MINUTE)),
        d(f.postback(referral=f.referral_obj(QR_REF), psid="qr", ts=T0)),
        d(
            f.postback(
                referral=f.referral_obj(None, "ADS", ad_id="23840000000000001"), psid="adpb", ts=T0
            )
        ),
        # A Click-to-Messenger ad's first message (message.referral with ads_context_data).
        d(f.message("Is this available?", psid="ctm", ts=T0, referral=ad)),
        # Top-level referrals: just before the first message, long before it, after it.
        d(f.referral("site_footer", psid="just", ts=T0)),
        d(f.message(psid="just", ts=T0 + 2000)),
        d(f.referral("newsletter", psid="long", ts=T0)),
        d(f.message(psid="long", ts=T0 + 20 * DAY)),
        d(f.message(psid="after", ts=T0)),
        d(f.referral("qr_receipt", psid="after", ts=T0 + DAY)),
        # A referral stamped in seconds before a message in milliseconds of the same second.
        d(f.referral("flyer", psid="secs", ts=T0 // 1000)),
        d(f.message(psid="secs", ts=T0 + 300)),
        # The same referral delivered twice (Meta retries).
        d(f.referral("flyer", psid="twice", ts=T0)),
        d(f.referral("flyer", psid="twice", ts=T0), time=T0 + 20_000),
        d(f.message(psid="twice", ts=T0 + MINUTE)),
        # Private replies: before the first inbound message (send log, echo), and after it.
        ff.feed(ff.comment(comment_id="c_1", from_id="F1", created_time=T0 // 1000)),
        ff.send_log("c_1", "pr_log", ts=T0 + MINUTE),
        d(f.message("yes please", psid="pr_log", ts=T0 + 10 * MINUTE)),
        ff.feed(ff.comment(comment_id="c_2", from_id="F2", created_time=T0 // 1000)),
        d(f.private_reply_echo("c_2", psid="pr_echo", ts=T0 + MINUTE)),
        d(f.message("ok", psid="pr_echo", ts=T0 + HOUR)),
        d(f.message("hi", psid="pr_after", ts=T0)),
        ff.send_log("c_3", "pr_after", ts=T0 + HOUR),
        # A contact acquired by a link, later privately answered on a post it left on the page.
        d(f.postback(referral=f.referral_obj("bio_link"), psid="visitor", ts=T0)),
        d(f.message(psid="visitor", ts=T0 + MINUTE)),
        visitor_post_reply(f"{PAGE_ID}_7001", "visitor", T0 + DAY),
        visitor_post_reply(f"{PAGE_ID}_7002", "visitor", T0 + 2 * DAY),
        # The chat plugin's user_ref, then the same person's PSID: two contacts.
        d(f.chat_plugin_referral(PLUGIN, ts=T0)),
        d(f.message("hello", psid=PLUGIN, sender={"user_ref": PLUGIN}, ts=T0 + 5000)),
        d(f.message("hello again", psid="plugin_psid", ts=T0 + DAY)),
        # Optins: Send to Messenger's ref (no source); a marketing optin without a ref.
        d(f.optin(psid="optin", ts=T0, ref="stm_receipt")),
        d(
            f.optin(
                psid="notif",
                ts=T0,
                type="notification_messages",
                payload="deals",
                notification_messages_token="tok",
            )
        ),
        # Seen in standby only; on two pages; sources refscope does not know or spells oddly.
        d(f.message(psid="standby", ts=T0), container="standby"),
        d(f.message(psid="standby", ts=T0 + HOUR), container="standby"),
        d(f.postback(referral=f.referral_obj("bio_link"), psid="two", ts=T0)),
        d(f.message(psid="two", page_id=OTHER_PAGE_ID, ts=T0 + HOUR), page_id=OTHER_PAGE_ID),
        d(f.postback(referral=f.referral_obj("ig_bio", "IGME-SOURCE-LINK"), psid="igme", ts=T0)),
        d(f.postback(referral=f.referral_obj("bio_link", "SHORT-URL"), psid="short", ts=T0)),
        d(no_source("mystery", "nosrc", T0)),
        d(f.message(psid="nosrc", ts=T0 + MINUTE)),
        # Receipts and echoes alone; a reaction alone.
        d(f.echo(psid="quiet", ts=T0)),
        d(f.delivery_receipt(["m_x"], T0, psid="quiet", ts=T0 + 1)),
        d(f.read_receipt(T0, psid="quiet", ts=T0 + 2)),
        d(f.reaction(psid="react", ts=T0)),
        # Re-entries: an m.me contact back through an ad, then a QR code.
        d(f.postback(referral=f.referral_obj("bio_link"), psid="back", ts=T0)),
        d(f.message(psid="back", ts=T0 + MINUTE)),
        d(f.referral(psid="back", ts=T0 + 2 * DAY) | {"referral": ad}),
        d(f.referral(QR_REF, psid="back", ts=T0 + 3 * DAY)),
        # One ad click reported twice: Get Started (postback.referral), then the first message
        # carrying the same ad's referral; an existing thread re-entered from an ad (top-level
        # referral), then its message with that referral. Each is one entry. The same ad a day
        # and a half later, or another ad, is another visit.
        d(f.postback(referral=ad, psid="gs_ad", ts=T0)),
        d(f.message("price?", psid="gs_ad", ts=T0 + MINUTE, referral=ad)),
        d(f.message("hello", psid="re_ad", ts=T0)),
        d(f.referral(psid="re_ad", ts=T0 + DAY) | {"referral": ad}),
        d(f.message("still on?", psid="re_ad", ts=T0 + DAY + 10 * MINUTE, referral=ad)),
        d(f.postback(referral=ad, psid="ad_later", ts=T0)),
        d(f.message("back again", psid="ad_later", ts=T0 + 36 * HOUR, referral=ad)),
        d(f.message("other ad", psid="ad_later", ts=T0 + 36 * HOUR + MINUTE, referral=other_ad)),
    ]


def t(ms: int) -> datetime:
    return utc(ms)


A = "120208765432109876"
# (psid, channel, ref, source, ad_id, first_seen_at, first_touch_at, first_message_at,
#  second_message_at, message_count, reentry_count) on PAGE_ID.
EXPECTED = [
    ("mme", "m_me_link", "bio_link", "SHORTLINK", None, t(T0), t(T0), t(T0 + MINUTE),
     t(T0 + 5 * MINUTE), 2, 0),
    ("qr", "qr_code", QR_REF, "SHORTLINK", None, t(T0), t(T0), None, None, 0, 0),
    ("adpb", "ctm_ad", None, "ADS", "23840000000000001", t(T0), t(T0), None, None, 0, 0),
    ("ctm", "ctm_ad", None, "ADS", A, t(T0), t(T0), t(T0), None, 1, 0),
    ("just", "m_me_link", "site_footer", "SHORTLINK", None, t(T0), t(T0), t(T0 + 2000), None,
     1, 0),
    ("long", "m_me_link", "newsletter", "SHORTLINK", None, t(T0), t(T0), t(T0 + 20 * DAY),
     None, 1, 0),
    ("after", "organic", None, None, None, t(T0), None, t(T0), None, 1, 1),
    ("secs", "m_me_link", "flyer", "SHORTLINK", None, t(T0), t(T0), t(T0 + 300), None, 1, 0),
    ("twice", "m_me_link", "flyer", "SHORTLINK", None, t(T0), t(T0), t(T0 + MINUTE), None, 1,
     0),
    ("pr_log", "comment_reply", None, None, None, t(T0 + 10 * MINUTE), t(T0 + MINUTE),
     t(T0 + 10 * MINUTE), None, 1, 0),
    ("pr_echo", "comment_reply", None, None, None, t(T0 + HOUR), t(T0 + MINUTE), t(T0 + HOUR),
     None, 1, 0),
    ("pr_after", "organic", None, None, None, t(T0), None, t(T0), None, 1, 0),
    ("visitor", "m_me_link", "bio_link", "SHORTLINK", None, t(T0), t(T0), t(T0 + MINUTE), None,
     1, 0),
    (PLUGIN, "chat_widget", "menu_page", "CUSTOMER_CHAT_PLUGIN", None, t(T0), t(T0),
     t(T0 + 5000), None, 1, 0),
    ("plugin_psid", "organic", None, None, None, t(T0 + DAY), None, t(T0 + DAY), None, 1, 0),
    ("optin", "other", "stm_receipt", None, None, t(T0), t(T0), None, None, 0, 0),
    ("notif", "organic", None, None, None, t(T0), None, None, None, 0, 0),
    ("standby", "organic", None, None, None, t(T0), None, t(T0), t(T0 + HOUR), 2, 0),
    ("two", "m_me_link", "bio_link", "SHORTLINK", None, t(T0), t(T0), None, None, 0, 0),
    ("igme", "other", "ig_bio", "IGME-SOURCE-LINK", None, t(T0), t(T0), None, None, 0, 0),
    ("short", "m_me_link", "bio_link", "SHORT-URL", None, t(T0), t(T0), None, None, 0, 0),
    ("nosrc", "other", "mystery", None, None, t(T0), t(T0), t(T0 + MINUTE), None, 1, 0),
    ("react", "organic", None, None, None, t(T0), None, None, None, 0, 0),
    ("back", "m_me_link", "bio_link", "SHORTLINK", None, t(T0), t(T0), t(T0 + MINUTE), None, 1,
     2),
    ("gs_ad", "ctm_ad", None, "ADS", A, t(T0), t(T0), t(T0 + MINUTE), None, 1, 0),
    ("re_ad", "organic", None, None, None, t(T0), None, t(T0), t(T0 + DAY + 10 * MINUTE), 2, 1),
    ("ad_later", "ctm_ad", None, "ADS", A, t(T0), t(T0), t(T0 + 36 * HOUR),
     t(T0 + 36 * HOUR + MINUTE), 2, 2),
]  # fmt: skip


def _tables(query: Query) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "contacts": query("SELECT * FROM contacts ORDER BY ALL"),
        "touches": query("SELECT * FROM touches ORDER BY ALL"),
    }


def test_every_entry_point_gives_the_documented_contact(
    ingest_lines, query: Query, db_path: Path
) -> None:
    f.register_qr(db_path, QR_REF)
    result = ingest_lines(scenario())
    got = query(f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE page_id = ? ORDER BY psid", PAGE_ID)
    assert got == sorted(EXPECTED)
    assert query("SELECT psid, channel FROM contacts WHERE page_id = ?", OTHER_PAGE_ID) == [
        ("two", "organic")
    ]
    assert query(f"SELECT is_user_ref FROM contacts WHERE psid = '{PLUGIN}'") == [(True,)]
    assert result.new_contacts == len(EXPECTED) + 1
    # The ad's context is kept; the commenter's from.id is never a contact nor a touch.
    assert query("SELECT ad_title, post_id FROM contacts WHERE psid = 'ctm'") == [
        ("Spring croissant launch", f"{PAGE_ID}_4455667788")
    ]
    assert query("SELECT count(*) FROM touches WHERE psid IN ('F1', 'F2', 'quiet')") == [(0,)]


def test_every_touch_is_kept_with_its_role(ingest_lines, query: Query, db_path: Path) -> None:
    f.register_qr(db_path, QR_REF)
    ingest_lines(scenario())
    sql = """SELECT psid, ts, via, channel, is_first, is_reentry FROM touches
             WHERE psid IN ('after', 'twice', 'pr_log', 'pr_echo', 'pr_after', 'visitor', 'back',
                            'gs_ad', 're_ad', 'ad_later')
             ORDER BY psid, ts"""
    assert query(sql) == [
        ("ad_later", t(T0), "postback", "ctm_ad", True, False),
        ("ad_later", t(T0 + 36 * HOUR), "message", "ctm_ad", False, True),
        ("ad_later", t(T0 + 36 * HOUR + MINUTE), "message", "ctm_ad", False, True),
        ("after", t(T0 + DAY), "referral", "m_me_link", False, True),
        ("back", t(T0), "postback", "m_me_link", True, False),
        ("back", t(T0 + 2 * DAY), "referral", "ctm_ad", False, True),
        ("back", t(T0 + 3 * DAY), "referral", "qr_code", False, True),
        ("gs_ad", t(T0), "postback", "ctm_ad", True, False),
        ("gs_ad", t(T0 + MINUTE), "message", "ctm_ad", False, False),
        ("pr_after", t(T0 + HOUR), "private_reply", "comment_reply", False, False),
        ("pr_echo", t(T0 + MINUTE), "message_echo", "comment_reply", True, False),
        ("pr_log", t(T0 + MINUTE), "private_reply", "comment_reply", True, False),
        ("re_ad", t(T0 + DAY), "referral", "ctm_ad", False, True),
        ("re_ad", t(T0 + DAY + 10 * MINUTE), "message", "ctm_ad", False, False),
        ("twice", t(T0), "referral", "m_me_link", True, False),
        # Private replies to visitor posts (no comment_id): each one is a touch of its own.
        ("visitor", t(T0), "postback", "m_me_link", True, False),
        ("visitor", t(T0 + DAY), "private_reply", "comment_reply", False, False),
        ("visitor", t(T0 + 2 * DAY), "private_reply", "comment_reply", False, False),
    ]
    assert query("SELECT post_id FROM touches WHERE psid = 'visitor' AND via = 'private_reply' "
                 "ORDER BY ts") == [(f"{PAGE_ID}_7001",), (f"{PAGE_ID}_7002",)]  # fmt: skip


def test_files_runs_and_order_change_nothing(tmp_path: Path) -> None:
    lines = scenario()
    whole = tmp_path / "whole.duckdb"
    f.register_qr(whole, QR_REF)
    pipeline.run([str(f.write_ndjson(tmp_path / "all" / "all.ndjson", lines))], whole)
    want = _tables(Query(whole))

    # The same events cut into overlapping files, the later ones first, in several runs, then
    # everything again under another name.
    split = tmp_path / "split.duckdb"
    f.register_qr(split, QR_REF)
    third = len(lines) // 3
    parts = [lines[2 * third :], lines[third - 5 : 2 * third], lines[: third + 5]]
    for i, part in enumerate(parts):
        pipeline.run([str(f.write_ndjson(tmp_path / "split" / f"part{i}.ndjson", part))], split)
    assert _tables(Query(split)) == want
    again = f.write_ndjson(tmp_path / "split" / "copy.ndjson", list(reversed(lines)))
    assert pipeline.run([str(again)], split).new_contacts == 0
    assert _tables(Query(split)) == want
