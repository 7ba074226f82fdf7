"""Payload builders for the demo generator (`ingest/demo.py`): ids and every dict it sends.

Pure generator: no network, no I/O, no clock. Every builder returns a dict shaped like one of
Meta's webhook deliveries; the only randomness comes through `Ids`, which draws from the caller's
seeded `random.Random`. Key order follows Meta's samples so serialised lines look like real ones.
The catalogue (PAGES, ACME, ADS, texts, dated facts) lives in `demo_catalog` and is re-exported.

Shapes: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events and
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
"""

from __future__ import annotations

import base64
import json
import random

from .demo_catalog import *  # noqa: F403 -- the catalogue used to live here: keep it importable
from .demo_catalog import (
    AD_PRODUCTS,
    AD_REFS,
    LIKE_STICKER_ID,
    OPTIN_FREQUENCY_UNTIL,
    STICKER_ONLY_SINCE,
    Date,
)

# --- ids ----------------------------------------------------------------------------------------


class Ids:
    """Deterministic ids drawn from the generator's seeded RNG; numbers never repeat."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._used: set[int] = set()  # membership only, never iterated

    def _number(self, lo: int, hi: int) -> str:
        while True:
            n = self.rng.randrange(lo, hi)
            if n not in self._used:
                self._used.add(n)
                return str(n)

    def psid(self) -> str:
        return self._number(10**15, 10**17)  # 16-17 digits

    def fb_user(self) -> str:
        """A commenter's `from.id`: a different number from the PSID, never joinable to it."""
        return self._number(10**15, 10**17)

    def obj(self) -> str:
        """Graph object id part (post or comment)."""
        return self._number(10**14, 10**16)

    def mid(self) -> str:
        return "m_" + base64.urlsafe_b64encode(self.rng.randbytes(63)).decode()

    def token(self, n: int = 16) -> str:
        return self.rng.randbytes(n).hex()


# --- messaging items ----------------------------------------------------------------------------


def item(sender: dict, recipient: dict, ts: int | str, **event: object) -> dict:
    """One `messaging[]` / `standby[]` item: sender, recipient, timestamp, then the event. A
    delivery receipt has no timestamp (Meta's message_deliveries example): refscope dates it by
    its entry's `time`.
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-deliveries"""
    if "delivery" in event:
        return {"sender": sender, "recipient": recipient, **event}
    return {"sender": sender, "recipient": recipient, "timestamp": ts, **event}


def shortlink(ref: str) -> dict:
    return {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}


def ads_referral(ad_id: str, page_id: str, title: str, with_context: bool = True) -> dict:
    """CTM ad referral; `ads_context_data` on message.referral and top-level referrals, with the
    `product_id` of a product ad (AD_PRODUCTS)."""
    ref = {"ref": AD_REFS[ad_id]} if ad_id in AD_REFS else {}
    out: dict[str, object] = {**ref, "ad_id": ad_id, "source": "ADS", "type": "OPEN_THREAD"}
    if with_context:
        n = int(ad_id[-9:])
        media = "video_url" if n % 3 == 0 else "photo_url"
        context = {
            "ad_title": title,
            media: f"https://scontent.xx.fbcdn.net/v/t45.1600-4/{n}_{n % 997}_n.png",
            "post_id": f"{page_id}_{10**14 + n * 7 % 10**14}",
        }
        if ad_id in AD_PRODUCTS:  # a product ad: the same catalogue product every time
            context["product_id"] = AD_PRODUCTS[ad_id]
        out["ads_context_data"] = context
    return out


def plugin_referral(ref: str | None, uri: str, guest: bool | None) -> dict:
    """Website chat plugin (dead since 2024-05-09). Note the one-"r" `referer_uri`."""
    out: dict[str, object] = {"ref": ref} if ref else {}
    out.update({"source": "CUSTOMER_CHAT_PLUGIN", "type": "OPEN_THREAD", "referer_uri": uri})
    if guest is not None:
        out["is_guest_user"] = guest
    return out


def plain_referral(source: str, ref: str | None) -> dict:
    return {**({"ref": ref} if ref else {}), "source": source, "type": "OPEN_THREAD"}


def text_message(mid: str, text: str, **extra: object) -> dict:
    """`message` of an inbound text; extra keys: quick_reply, reply_to, referral, tags."""
    return {"mid": mid, "text": text, **{k: v for k, v in extra.items() if v is not None}}


ATTACHMENT_URLS = {
    "image": "https://scontent.xx.fbcdn.net/v/t1.15752-9/{n}_n.jpg?_nc_cat=10",
    "sticker": "https://scontent.xx.fbcdn.net/v/t39.1997-6/{n}_n.png?_nc_cat=1",
    "audio": "https://cdn.fbsbx.com/v/t59.3654-21/{n}_n.mp4/audioclip-{n}.mp4",
    "video": "https://video.xx.fbcdn.net/v/t42.3356-2/{n}_n.mp4",
    "file": "https://cdn.fbsbx.com/v/t59.2708-21/{n}_n.pdf/order.pdf",
}


def attachment_message(mid: str, kind: str, n: int, day: Date) -> dict:
    url = ATTACHMENT_URLS[kind].format(n=n)
    if kind != "sticker":
        return {"mid": mid, "attachments": [{"type": kind, "payload": {"url": url}}]}
    sticker = {"url": url, "sticker_id": LIKE_STICKER_ID}
    atts = [{"type": "sticker", "payload": sticker}]
    if day < STICKER_ONLY_SINCE:
        atts.insert(0, {"type": "image", "payload": sticker})
    return {"mid": mid, "attachments": atts, "sticker_id": LIKE_STICKER_ID}


def echo_message(mid: str, text: str, app_id: int, metadata: str | None = None) -> dict:
    """Page's own send, echoed: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes/"""
    out: dict = {"is_echo": True, "app_id": app_id}
    if metadata is not None:
        out["metadata"] = metadata
    out.update({"mid": mid, "text": text})
    return out


def postback(payload: str, mid: str | None, referral: dict | None) -> dict:
    out: dict[str, object] = {"mid": mid} if mid else {}
    out.update({"title": "Get Started", "payload": payload})
    if referral:
        out["referral"] = referral
    return out


def delivery(mids: list[str] | None, watermark: int) -> dict:
    return {**({"mids": mids} if mids else {}), "watermark": watermark}


def reaction(mid: str, action: str, name: str, emoji: str) -> dict:
    return {"reaction": name, "emoji": emoji, "action": action, "mid": mid}


def thread_control(previous: int | None, new: int, metadata: str) -> dict:
    return {"previous_owner_app_id": previous, "new_owner_app_id": new, "metadata": metadata}


def notification_optin(token: str, expiry_ms: int, day: Date, stop: bool) -> dict:
    out: dict[str, object] = {
        "type": "notification_messages",
        "payload": "SEASONAL_MENU",
        "title": "Seasonal menu updates",
        "notification_messages_token": token,
    }
    if day < OPTIN_FREQUENCY_UNTIL:
        out["notification_messages_frequency"] = "WEEKLY"
    out.update(
        {
            "notification_messages_timezone": "Europe/Stockholm",
            "token_expiry_timestamp": expiry_ms,
            "user_token_status": "NOT_REFRESHED",
        }
    )
    if stop:
        out["notification_messages_status"] = "STOP NOTIFICATIONS"
    return out


def checkbox_optin(page_id: str, ts: int, ref: str, user_ref: str) -> dict:
    """The checkbox plugin's `messaging_optins` item: the person is named by `optin.user_ref`
    alone, no `sender` (they have no PSID for the page yet).
    https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins"""
    optin = {"ref": ref, "user_ref": user_ref}
    return {"recipient": {"id": page_id}, "timestamp": ts, "optin": optin}


def otn_optin(token: str) -> dict:
    return {"type": "one_time_notif_req", "payload": "BACK_IN_STOCK", "one_time_notif_token": token}


# --- feed changes (seconds) and envelopes -------------------------------------------------------


def comment_value(
    who: dict, post_id: str, comment_id: str, parent_id: str, verb: str, text: str | None, ts: int
) -> dict:
    """`changes[].value` for a comment; `remove` carries no message.
    https://developers.facebook.com/docs/graph-api/webhooks/reference/page/"""
    out: dict = {"from": who}
    if text is not None:
        out["message"] = text
    out.update({"post_id": post_id, "comment_id": comment_id, "created_time": ts})
    out.update({"item": "comment", "parent_id": parent_id, "verb": verb})
    return out


def post_value(page: tuple[str, str, str], post_id: str, text: str, ts: int) -> dict:
    """The page's own new post, as the `feed` field reports it."""
    return {
        "from": {"id": page[0], "name": page[2]},
        "message": text,
        "post_id": post_id,
        "created_time": ts,
        "item": "status",
        "published": 1,
        "verb": "add",
    }


def feed_change(value: dict) -> dict:
    return {"field": "feed", "value": value}


def entry(page_id: str, time: int, key: str, items: list[dict]) -> dict:
    """One `entry[]` object; key is messaging, standby or changes."""
    return {"id": page_id, "time": time, key: items}


def delivery_body(entries: list[dict]) -> dict:
    return {"object": "page", "entry": entries}


def send_log(page_id: str, ts: int, comment_id: str, message: dict, psid: str, mid: str) -> dict:
    """Our Send API log line for a private reply: https://developers.facebook.com/docs/messenger-platform/discovery/private-replies/"""
    return {
        "object": "send_api",
        "page_id": page_id,
        "timestamp": ts,
        "request": {"recipient": {"comment_id": comment_id}, "message": message},
        "response": {"recipient_id": psid, "message_id": mid},
    }


def user_ref_send(page_id: str, ts: int, user_ref: str, text: str, mid: str) -> dict:
    """Our Send API log line for the page's message to a checkbox plugin's user_ref: Meta answers
    it without `recipient_id`, and echoes no send to a user_ref (since 2018-02-19).
    https://developers.facebook.com/docs/messenger-platform/reference/send-api"""
    return {
        "object": "send_api",
        "page_id": page_id,
        "timestamp": ts,
        "request": {"recipient": {"user_ref": user_ref}, "message": {"text": text}},
        "response": {"message_id": mid},
    }


def sample_delivery(page_id: str, psid: str, mid: str, at: int) -> dict:
    """A one-message delivery with Latin-1-encodable text (the base of the broken lines)."""
    msg = text_message(mid, "Caf\u00e9 \u00f6ppet i morgon?")
    items = [item({"id": psid}, {"id": page_id}, at - 700, message=msg)]
    return delivery_body([entry(page_id, at, "messaging", items)])


def comment_metadata(comment_id: str) -> str:
    return json.dumps({"comment_id": comment_id}, separators=(",", ":"))
