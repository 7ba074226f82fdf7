"""The scenarios of test_wrappers.py: each a short history of one person (or a comment and its
private reply), as units (messaging items, feed changes of the page, send-log lines) built as
Meta documents the deliveries."""

from __future__ import annotations

from typing import Any

import tests.factories as f
import tests.factories_feed as ff
from tests.factories import MINUTE, PAGE_ID, T0

P = "6512345678901234"
NOISE = "7700000000000077"
USER_REF = "chat-plugin-user-ref-42"
COMMENT = "4455667788_1357924680"
# A unit: ("item", item) for a messaging item, ("change", change) for a feed change of the page,
# ("send", line) for a send-log line.
Unit = tuple[str, Any]
# When each delivery was sent (entry.time): after every item of the scenarios.
SENT = T0 + 10 * MINUTE


def _items(*items: Any) -> list[Unit]:
    return [("item", i) for i in items]


def _msg(ts: int, text: str | None = "hi", psid: str = P, **kw: Any) -> Any:
    return f.message(text, psid=psid, ts=ts, **kw)


SCENARIOS: dict[str, list[Unit]] = {
    "message_text": _items(
        _msg(T0), _msg(T0 + MINUTE, "ça va? \U0001f44d https://x/y \u2028 next\u0085line")
    ),
    "message_attachments": _items(
        _msg(
            T0,
            None,
            attachments=[
                {"type": "image", "payload": {"url": "https://x/s.png"}},
                {"type": "sticker", "payload": {"url": "https://x/s.png"}},
            ],
        )
    ),
    "message_quick_reply": _items(_msg(T0, "Yes", quick_reply={"payload": "YES"})),
    "message_ads_referral": _items(_msg(T0, referral=f.ads_referral()), _msg(T0 + MINUTE)),
    "message_shops_product": _items(_msg(T0, referral={"product": {"id": "9876543210"}})),
    "echo_both_directions": _items(
        _msg(T0),
        f.echo("welcome", psid=P, ts=T0 + MINUTE),
        f.echo("old", psid=P, ts=T0 + 2 * MINUTE, reverse=True),
        f.read_receipt(T0 + 2 * MINUTE, psid=P, ts=T0 + 3 * MINUTE),
    ),
    "postback_without_referral": _items(f.postback(psid=P, ts=T0), _msg(T0 + MINUTE)),
    "postback_shortlink": _items(
        f.postback(referral=f.referral_obj("bio_link"), psid=P, ts=T0), _msg(T0 + MINUTE)
    ),
    "postback_ads": _items(f.postback(referral=f.ads_referral(), psid=P, ts=T0), _msg(T0 + MINUTE)),
    "referral_shortlink_before_message": _items(
        f.referral("flyer9", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_ads_reentry": _items(
        _msg(T0), f.referral(None, "ADS", psid=P, ts=T0 + MINUTE, ad_id="23843301927710456")
    ),
    "referral_messenger_code": _items(
        f.referral("code1", "MESSENGER_CODE", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_discover_tab": _items(
        f.referral(None, "DISCOVER_TAB", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_unknown_source": _items(
        f.referral("ig", "IGME-SOURCE-LINK", psid=P, ts=T0), _msg(T0 + 1000)
    ),
    "referral_seconds_precision": _items(f.referral("sec", psid=P, ts=T0 // 1000), _msg(T0 + 1000)),
    "referral_qr_code": _items(f.referral("qr_store12", psid=P, ts=T0), _msg(T0 + 1000)),
    # The messaging_postbacks page's sample: a string timestamp in seconds, SHORT-URL.
    "postback_doc_sample": _items(
        f.postback(referral=f.referral_obj("doc", "SHORT-URL"), psid=P, ts=str(T0 // 1000)),
        _msg(T0 + MINUTE),
    ),
    "chat_plugin_guest": _items(
        f.chat_plugin_referral(USER_REF, ts=T0),
        f.message("hi", psid=USER_REF, sender={"user_ref": USER_REF}, ts=T0 + MINUTE),
    ),
    "chat_plugin_postback": _items(
        f.postback(
            referral=f.referral_obj(
                "menu",
                "CUSTOMER_CHAT_PLUGIN",
                referer_uri="https://shop.example/menu",
                is_guest_user="false",
            ),
            psid=P,
            ts=T0,
        ),
        _msg(T0 + MINUTE),
    ),
    "chat_plugin_user_ref_postback": _items(
        f.postback(
            referral=f.referral_obj(
                "home", "CUSTOMER_CHAT_PLUGIN", referer_uri="https://shop.example/"
            ),
            psid=USER_REF,
            sender={"user_ref": USER_REF},
            ts=T0,
        ),
        f.message("hi", psid=USER_REF, sender={"user_ref": USER_REF}, ts=T0 + MINUTE),
    ),
    "optin_notification_messages": _items(
        f.optin(
            psid=P,
            ts=T0,
            type="notification_messages",
            payload="P",
            ref="rn1",
            source="SHORTLINK",
            notification_messages_token="tok",
            notification_messages_timezone="UTC",
            token_expiry_timestamp=T0 + 10**9,
            notification_messages_topic="news",
        ),
        _msg(T0 + MINUTE),
    ),
    "optin_one_time_notif": _items(
        _msg(T0),
        f.optin(
            psid=P,
            ts=T0 + MINUTE,
            type="one_time_notif_req",
            payload="OTN",
            one_time_notif_token="otn",
        ),
    ),
    "optin_send_to_messenger": _items(f.optin(psid=P, ts=T0, ref="s2m"), _msg(T0 + MINUTE)),
    "optin_checkbox_user_ref": _items(f.optin(psid=None, ts=T0, ref="checkout", user_ref="cb-77")),
    "reaction_delivery_read_handover": _items(
        _msg(T0),
        f.reaction("m_x", psid=P, ts=T0 + MINUTE),
        f.delivery_receipt(["m_e"], T0 + MINUTE, psid=P, ts=T0 + 2 * MINUTE),
        f.read_receipt(T0 + MINUTE, psid=P, ts=T0 + 3 * MINUTE),
        f.handover(psid=P, ts=T0 + 4 * MINUTE),
    ),
    "unknown_item_kinds": _items(
        _msg(T0),
        f.other_item(psid=P, ts=T0 + MINUTE),
        {
            "recipient": {"id": PAGE_ID},
            "timestamp": T0 + 2 * MINUTE,
            "policy_enforcement": {"action": "warning", "reason": "https://x/policy"},
        },
        # An item of a kind refscope does not read, without a timestamp of its own.
        {
            "sender": {"id": P},
            "recipient": {"id": PAGE_ID},
            "messaging_feedback": {"feedback_screens": [{"screen_id": 0}]},
        },
    ),
    "feed_comments": [
        ("change", ff.comment("add", created_time=T0 // 1000)),
        ("change", ff.comment("edited", text="edited!", created_time=T0 // 1000 + 60)),
        ("change", ff.comment("remove", text=None, created_time=T0 // 1000 + 120)),
    ],
    "send_log_private_reply": [
        ("change", ff.comment("add", created_time=T0 // 1000)),
        ("send", ff.send_log(COMMENT, P, ts=T0 + MINUTE)),
        ("item", _msg(T0 + 2 * MINUTE)),
    ],
    "send_log_and_its_echo": [
        ("send", ff.send_log(COMMENT, P, ts=T0 + MINUTE, message_id="m_reply")),
        ("item", f.private_reply_echo(COMMENT, psid=P, ts=T0 + MINUTE, mid="m_reply")),
        ("item", _msg(T0 + 2 * MINUTE)),
        ("item", f.referral(None, "ADS", psid=P, ts=T0 + 3 * MINUTE, ad_id="2384330192771")),
    ],
    "visitor_post_private_reply": [
        (
            "send",
            {
                **ff.send_log(psid=P, ts=T0 + MINUTE, message_id="m_post"),
                "request": {"recipient": {"post_id": f"{PAGE_ID}_99887766"}},
            },
        ),
        ("item", _msg(T0 + 2 * MINUTE)),
    ],  # fmt: skip
    "echo_metadata_private_reply": _items(
        f.private_reply_echo(COMMENT, psid=P, ts=T0 + MINUTE), _msg(T0 + 2 * MINUTE)
    ),
}
