"""Every payload variant of Meta's webhook facts in one log, read by `refscope ingest` itself into a
fresh DuckDB file, and the events, touches and contacts rows each gives checked against README
"What the ingest reads" and "Attribution". Each line is compact JSON as Meta writes it (slashes
escaped as `\\/`, non-ASCII as `\\uXXXX`); one person per variant. Docs:
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
and https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db
from ingest.cli import cli

P, P2 = "1234567890", "2222333344"
T = 1732521600000  # 2024-11-25 08:00:00 UTC
AT = dt.datetime(2024, 11, 25, 8, 0)
S = 1000
# Ids past 2**53, written as JSON numbers: read as their digits, not rounded through a double.
BIG_PSID, BIG_AD = 25167897383054321, 23851234567890123
ATTACHMENT_TYPES = ["image", "video", "audio", "file", "sticker", "reel", "ig_reel", "post",
                    "ig_post", "appointment_booking", "fallback", "template"]  # fmt: skip


def at(ms: float) -> dt.datetime:
    return AT + dt.timedelta(milliseconds=ms - T)


def it(psid: Any, ts: Any, page: Any = P, **kind: Any) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts, **kind}


def post(*items: dict[str, Any], page: Any = P, key: str = "messaging") -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": page, "time": T, key: list(items)}]}


def msg(psid: Any, ts: Any, mid: str, **fields: Any) -> dict[str, Any]:
    return post(it(psid, ts, message={"mid": mid, "text": "hi", **fields}))


def link(ref: str | None, source: str = "SHORTLINK", **extra: Any) -> dict[str, Any]:
    return {**({"ref": ref} if ref else {}), "source": source, "type": "OPEN_THREAD", **extra}


def echo(psid: str, mid: str, old: bool = False, **fields: Any) -> dict[str, Any]:
    ends = [{"id": P}, {"id": psid}]
    sender, recipient = reversed(ends) if old else ends
    message = {"is_echo": True, "mid": mid, "text": "Thanks!", **fields}
    return post({"sender": sender, "recipient": recipient, "timestamp": T, "message": message})


def comment(comment_id: str, verb: str, parent: str, who: str, text: str | None) -> dict:
    """A feed change as Graph sends it: dated in seconds, its entry's time a second later."""
    value = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": f"{P}_44",
        "parent_id": parent,
        "from": {"id": who, "name": "Ann"},
        "created_time": T // S,
    }
    if text is not None:
        value["message"] = text
    change = {"field": "feed", "value": value}
    return {"object": "page", "entry": [{"id": P, "time": T // S + 1, "changes": [change]}]}


def opt(psid: str, **optin: Any) -> dict[str, Any]:
    return post(it(psid, T, optin=optin))


def send_log(comment_id: str, psid: str) -> dict[str, Any]:
    return {"object": "send_api", "page_id": P, "timestamp": T,
            "request": {"recipient": {"comment_id": comment_id}, "message": {"text": "Hi"}},
            "response": {"recipient_id": psid, "message_id": f"m_send_{psid}"}}  # fmt: skip


ADS_CONTEXT = {"ad_title": "Caf\u00e9 sale", "photo_url": "https://x.example/p.jpg",
               "post_id": f"{P}_9", "product_id": "77", "flow_id": "f1"}  # fmt: skip
GS = {"title": "Get Started", "payload": "GS"}
# fmt: off
LINES: list[dict[str, Any]] = [
    msg("text", T, "m_text"),
    *[msg("attach", T + n * S, f"m_att_{n}", attachments=[{"type": kind, "payload": {"url":
      "https://x.example/a"}}]) for n, kind in enumerate(ATTACHMENT_TYPES)],
    msg("sticker", T, "m_sticker", sticker_id=369239263222822, attachments=[
        {"type": "image", "payload": {"url": "https://x.example/s", "sticker_id": 369239263222822}},
        {"type": "sticker", "payload": {"url": "https://x.example/s"}}]),
    msg("quick", T, "m_quick", quick_reply={"payload": "YES"},
        reply_to={"mid": "m_text", "is_self_reply": False}, commands=[{"name": "yes"}]),
    msg("ad_msg", T, "m_ad", referral=link("spring", "ADS", ad_id="6045",
                                            ads_context_data=ADS_CONTEXT)),
    msg(BIG_PSID, T, "m_big", referral={"source": "ADS", "type": "OPEN_THREAD", "ad_id": BIG_AD}),
    msg("shop", T, "m_shop", referral={"product": {"id": "prod_1"}}),
    echo("echo_new", "m_echo_new", app_id=1517776481860111, metadata="DEVELOPER_DEFINED"),
    echo("echo_old", "m_echo_old", old=True),
    post(it("gs", T, postback={"mid": "m_gs", **GS})),
    post(it("gs_old", T, postback=GS)),
    post(it("gs_link", T, postback={"mid": "m_gsl", **GS, "referral": link("bio")})),
    post(it("gs_ad", T, postback={**GS, "referral": link(None, "ADS", ad_id="6046")})),
    post({"sender": {"user_ref": "ur_gs"}, "recipient": {"id": P}, "timestamp": T,
          "postback": {**GS, "referral": link(
              "w", "CUSTOMER_CHAT_PLUGIN", referer_uri="https://shop.example/a?b=\u00e4")}}),
    post(it("ref_first", T, referral=link("qr_store12"))),
    msg("ref_first", T + 5 * S, "m_ref_first"),
    msg("ref_later", T, "m_ref_later"),
    post(it("ref_later", T + 86400 * S, referral=link("again"))),
    post(it("ref_secs", T // S, referral=link("flyer"))),
    post({"sender": {"user_ref": "ur_plugin"}, "recipient": {"id": P}, "timestamp": T,
          "referral": link(None, "CUSTOMER_CHAT_PLUGIN", referer_uri="https://shop.example/c",
                           is_guest_user=True)}),
    post(it("code", T, referral=link("c1", "MESSENGER_CODE"))),
    post(it("discover", T, referral=link(None, "DISCOVER_TAB"))),
    post(it("igme", T, referral=link("z", "IGME-SOURCE-LINK"))),
    opt("rn_plain", type="notification_messages", payload="p", notification_messages_token="tk",
        notification_messages_frequency="DAILY", token_expiry_timestamp=T + 10**10,
        user_token_status="NOT_REFRESHED", notification_messages_timezone="Etc/UTC"),
    opt("rn_link", type="notification_messages", payload="p", ref="deals", source="SHORTLINK",
        notification_messages_topic="deals", notification_messages_token="tk"),
    opt("rn_stop", type="notification_messages", notification_messages_token="tk",
        notification_messages_status="STOP NOTIFICATIONS"),
    opt("otn", type="one_time_notif_req", payload="p", one_time_notif_token="tk"),
    post({"recipient": {"id": P}, "timestamp": T, "optin": {"ref": "cb", "user_ref": "ur_box"}}),
    post(it("text", T + 9 * S, delivery={"mids": ["m_x"], "watermark": T + 8 * S})),
    post(it("text", T + 9 * S, delivery={"watermark": str(T + 7 * S)})),
    post({"sender": {"id": "only_delivered"}, "recipient": {"id": P},
          "delivery": {"watermark": T}}),
    post(it("text", T + 9 * S, read={"watermark": (T + 6 * S) // S})),
    post(it("only_read", T, read={"watermark": T})),
    post(it("react", T, reaction={"mid": "m_x", "action": "react", "reaction": "love",
                                  "emoji": "\u2764\ufe0f"})),
    post(it("react", T + S, reaction={"mid": "m_x", "action": "unreact"})),
    post(it("hand", T, pass_thread_control={"previous_owner_app_id": None,
                                            "new_owner_app_id": "123456789", "metadata": "m"}),
         it("hand", T + 1, take_thread_control={"previous_owner_app_id": "123456789",
                                                "new_owner_app_id": "263902037430900"}),
         it("hand", T + 2, request_thread_control={"requested_owner_app_id": 123456789}),
         {"recipient": {"id": P}, "timestamp": T + 3,
          "app_roles": {"123456789": ["primary_receiver"]}}),
    post(it("standby", T, message={"mid": "m_standby", "text": "hi"}), key="standby"),
    comment("44_1", "add", f"{P}_44", "9001", "How much?"),
    comment("44_1", "edited", f"{P}_44", "9001", "How much is it?"),
    comment("44_1", "remove", f"{P}_44", "9001", None),
    comment("44_2", "add", "44_1", "9002", "Me too"),
    comment("44_3", "add", f"{P}_44", P, "DM sent!"),
    {"received_at": T + 30 * S, "body": {"object": "page", "entry": [
        {"id": P, "messaging": [{"sender": {"id": "enveloped"}, "recipient": {"id": P},
                                 "message": {"mid": "m_env", "text": "hi"}}]}]}},
    send_log("44_5", "replied"),
    msg("replied", T + 60 * S, "m_replied"),
    echo("echoed", "m_echo_pr", app_id=1, metadata=json.dumps({"comment_id": "44_6"})),
    msg("echoed", T + 60 * S, "m_echoed"),
    msg("ts_ms_text", str(T), "m_ts1"),
    msg("ts_s_text", str(T // S), "m_ts2"),
    msg("ts_ms_frac", T + 0.5, "m_ts3"),
    msg("ts_s_frac", (T + 250) / S, "m_ts4"),
    {"object": "page", "entry": [
        {"id": int(P), "time": T + 3600 * S, "messaging": [
            it("batch", T, page=int(P), message={"mid": "m_b1", "text": "a"}),
            it("batch", T + S, page=int(P), message={"mid": "m_b2", "text": "b"})]},
        {"id": P2, "time": T, "messaging": [
            it("batch", T, page=P2, postback={"mid": "m_b3", **GS, "referral": link("p2")})]}]},
]
# fmt: on


def as_meta_writes(doc: dict[str, Any]) -> str:
    """Compact JSON with non-ASCII as \\uXXXX and every slash escaped, as Meta's bodies are."""
    return json.dumps(doc, separators=(",", ":")).replace("/", "\\/")


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("matrix")
    log, db_file = folder / "webhooks.ndjson", folder / "refscope.duckdb"
    log.write_text("".join(as_meta_writes(doc) + "\n" for doc in LINES), encoding="ascii")
    result = CliRunner().invoke(cli, ["ingest", str(log), "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    con = db.connect(db_file)
    try:
        yield lambda sql: con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_command_reads_every_line_without_a_reject(rows: Any) -> None:
    assert rows("SELECT count(*) FROM rejects") == [(0,)]
    assert rows("SELECT count(DISTINCT line_no) FROM events") == [(len(LINES),)]


# (page_id, psid, channel, ref, source, ad_id, referer_uri, first_message_at, last_message_at,
# message_count, postback_count, reentry_count): README "Attribution", one row per variant.
M0, M5, M60 = at(T), at(T + 5 * S), at(T + 60 * S)
CONTACTS = [
    (P, "25167897383054321", "ctm_ad", None, "ADS", "23851234567890123", None, M0, M0, 1, 0, 0),
    (P, "ad_msg", "ctm_ad", "spring", "ADS", "6045", None, M0, M0, 1, 0, 0),
    (P, "attach", "organic", None, None, None, None, M0, at(T + 11 * S), 12, 0, 0),
    (P, "batch", "organic", None, None, None, None, M0, at(T + S), 2, 0, 0),
    (P, "code", "qr_code", "c1", "MESSENGER_CODE", None, None, None, None, 0, 0, 0),
    (P, "discover", "other", None, "DISCOVER_TAB", None, None, None, None, 0, 0, 0),
    (P, "echoed", "comment_reply", None, None, None, None, M60, M60, 1, 0, 0),
    (P, "enveloped", "organic", None, None, None, None, at(T + 30 * S), at(T + 30 * S), 1, 0, 0),
    (P, "gs", "organic", None, None, None, None, None, None, 0, 1, 0),
    (P, "gs_ad", "ctm_ad", None, "ADS", "6046", None, None, None, 0, 1, 0),
    (P, "gs_link", "m_me_link", "bio", "SHORTLINK", None, None, None, None, 0, 1, 0),
    (P, "gs_old", "organic", None, None, None, None, None, None, 0, 1, 0),
    (P, "igme", "other", "z", "IGME-SOURCE-LINK", None, None, None, None, 0, 0, 0),
    (P, "otn", "organic", None, None, None, None, None, None, 0, 0, 0),
    (P, "quick", "organic", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "react", "organic", None, None, None, None, None, None, 0, 0, 0),
    (P, "ref_first", "m_me_link", "qr_store12", "SHORTLINK", None, None, M5, M5, 1, 0, 0),
    (P, "ref_later", "organic", None, None, None, None, M0, M0, 1, 0, 1),
    (P, "ref_secs", "m_me_link", "flyer", "SHORTLINK", None, None, None, None, 0, 0, 0),
    (P, "replied", "comment_reply", None, None, None, None, M60, M60, 1, 0, 0),
    (P, "rn_link", "m_me_link", "deals", "SHORTLINK", None, None, None, None, 0, 0, 0),
    (P, "rn_plain", "organic", None, None, None, None, None, None, 0, 0, 0),
    (P, "rn_stop", "organic", None, None, None, None, None, None, 0, 0, 0),
    (P, "shop", "other", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "standby", "organic", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "sticker", "organic", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "text", "organic", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "ts_ms_frac", "organic", None, None, None, None, at(T + 0.5), at(T + 0.5), 1, 0, 0),
    (P, "ts_ms_text", "organic", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "ts_s_frac", "organic", None, None, None, None, at(T + 250), at(T + 250), 1, 0, 0),
    (P, "ts_s_text", "organic", None, None, None, None, M0, M0, 1, 0, 0),
    (P, "ur_box", "other", "cb", None, None, None, None, None, 0, 0, 0),
    (P, "ur_gs", "chat_widget", "w", "CUSTOMER_CHAT_PLUGIN", None,
     "https://shop.example/a?b=\u00e4", None, None, 0, 1, 0),
    (P, "ur_plugin", "chat_widget", None, "CUSTOMER_CHAT_PLUGIN", None, "https://shop.example/c",
     None, None, 0, 0, 0),
    (P2, "batch", "m_me_link", "p2", "SHORTLINK", None, None, None, None, 0, 1, 0),
]  # fmt: skip


def test_each_variant_gives_its_contact_and_nothing_else_opens_one(rows: Any) -> None:
    """Echoes, deliveries, reads, handovers and comments alone open no contact (echo_new,
    echo_old, only_delivered, only_read, hand, the commenters); the page's two private
    replies are the contacts of the PSIDs they name."""
    assert (
        rows(
            "SELECT page_id, psid, channel, ref, source, ad_id, referer_uri, first_message_at,"
            " last_message_at, message_count, postback_count, reentry_count"
            " FROM contacts ORDER BY page_id, psid"
        )
        == CONTACTS
    )


def test_contacts_of_a_user_ref_are_marked_so_and_a_guest_is_kept(rows: Any) -> None:
    assert rows("SELECT psid, is_guest_user FROM contacts WHERE is_user_ref ORDER BY psid") == [
        ("ur_box", None), ("ur_gs", None), ("ur_plugin", True)
    ]  # fmt: skip


def test_each_touch_and_which_one_acquired(rows: Any) -> None:
    """The first touch of each touched contact, and the link that came back after the first
    message as a re-entry; private replies are touches of the PSID, sent before the reply."""
    first = [("25167897383054321", "message", "ctm_ad"), ("ad_msg", "message", "ctm_ad"),
             ("batch", "postback", "m_me_link"), ("code", "referral", "qr_code"),
             ("discover", "referral", "other"), ("echoed", "message_echo", "comment_reply"),
             ("gs_ad", "postback", "ctm_ad"), ("gs_link", "postback", "m_me_link"),
             ("igme", "referral", "other"), ("ref_first", "referral", "m_me_link"),
             ("ref_secs", "referral", "m_me_link"), ("replied", "private_reply", "comment_reply"),
             ("rn_link", "optin", "m_me_link"), ("shop", "message", "other"),
             ("ur_box", "optin", "other"), ("ur_gs", "postback", "chat_widget"),
             ("ur_plugin", "referral", "chat_widget")]  # fmt: skip
    reentry = ("ref_later", "referral", "m_me_link", at(T + 86400 * S), False, True)
    expected = sorted([(*touch, M0, True, False) for touch in first] + [reentry])
    assert (
        rows("SELECT psid, via, channel, ts, is_first, is_reentry FROM touches ORDER BY psid, ts")
        == expected
    )
    assert rows(
        "SELECT psid, comment_id FROM contacts WHERE comment_id IS NOT NULL ORDER BY psid"
    ) == [("echoed", "44_6"), ("replied", "44_5")]


def test_every_attachment_type_and_a_sticker_sent_as_both(rows: Any) -> None:
    got = rows("SELECT attachment_types FROM events WHERE psid = 'attach' ORDER BY ts")
    assert got == [([kind],) for kind in ATTACHMENT_TYPES]
    assert rows("SELECT attachment_types FROM events WHERE psid = 'sticker'") == [
        (["image", "sticker"],)
    ]
    assert rows("SELECT quick_reply_payload, text_length FROM events WHERE psid = 'quick'") == [
        ("YES", 2)
    ]


def test_an_ad_referral_keeps_its_ad_and_its_context(rows: Any) -> None:
    assert rows("SELECT kind, ref, ad_id, ad_title, post_id FROM events WHERE psid = 'ad_msg'") == [
        ("message", "spring", "6045", "Caf\u00e9 sale", f"{P}_9")
    ]
    assert rows("SELECT kind, detail, channel FROM events WHERE psid = 'shop'") == [
        ("message", "shops_product", "other")
    ]


def test_echoes_name_the_user_in_either_direction(rows: Any) -> None:
    assert rows(
        "SELECT psid, app_id, comment_id FROM events WHERE kind = 'message_echo' ORDER BY psid"
    ) == [("echo_new", "1517776481860111", None), ("echo_old", None, None), ("echoed", "1", "44_6")]


def test_subkinds_of_optins_reactions_handovers_and_receipts(rows: Any) -> None:
    assert rows(
        "SELECT psid, kind, detail, ts, watermark_at FROM events"
        " WHERE kind IN ('optin', 'reaction', 'handover', 'delivery', 'read')"
        " ORDER BY kind, psid NULLS LAST, ts"
    ) == [
        ("only_delivered", "delivery", None, M0, M0),  # dated by its entry's time
        ("text", "delivery", None, at(T + 9 * S), at(T + 8 * S)),
        ("text", "delivery", None, at(T + 9 * S), at(T + 7 * S)),
        ("hand", "handover", "pass_thread_control", M0, None),
        ("hand", "handover", "take_thread_control", at(T + 1), None),
        ("hand", "handover", "request_thread_control", at(T + 2), None),
        (None, "handover", "app_roles", at(T + 3), None),
        ("otn", "optin", "one_time_notif_req", M0, None),
        ("rn_link", "optin", "notification_messages", M0, None),
        ("rn_plain", "optin", "notification_messages", M0, None),
        ("rn_stop", "optin", "notification_messages", M0, None),
        ("ur_box", "optin", None, M0, None),
        ("react", "reaction", "react", M0, None),
        ("react", "reaction", "unreact", at(T + S), None),
        ("only_read", "read", None, M0, M0),
        ("text", "read", None, at(T + 9 * S), at(T + 6 * S)),  # a watermark in seconds
    ]
    assert rows("SELECT last_read_at FROM contacts WHERE psid = 'text'") == [(at(T + 6 * S),)]


def test_feed_comments_keep_their_verbs_posts_and_commenters(rows: Any) -> None:
    assert rows(
        "SELECT detail, ts, post_id, comment_id, commenter_id, psid FROM events"
        " WHERE kind = 'comment' ORDER BY comment_id, line_no"
    ) == [
        ("add", M0, f"{P}_44", "44_1", "9001", None),
        ("edited", M0, f"{P}_44", "44_1", "9001", None),
        ("remove", M0, f"{P}_44", "44_1", "9001", None),
        ("add", M0, f"{P}_44", "44_2", "9002", None),  # a reply to 44_1
        ("add", M0, f"{P}_44", "44_3", P, None),  # the page's own comment
    ]


def test_a_batch_of_two_pages_and_an_item_dated_by_its_own_timestamp(rows: Any) -> None:
    assert rows(
        "SELECT page_id, kind, ts, mid FROM events WHERE psid = 'batch' ORDER BY page_id, ts"
    ) == [(P, "message", M0, "m_b1"), (P, "message", at(T + S), "m_b2"),
          (P2, "postback", M0, "m_b3")]  # fmt: skip
