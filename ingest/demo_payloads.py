"""Catalogue and payload builders for the demo generator (`ingest/demo.py`).

Pure generator: no network, no I/O, no clock. Every builder returns a dict shaped like one of
Meta's webhook deliveries; the only randomness comes through `Ids`, which draws from the caller's
seeded `random.Random`. Key order follows Meta's samples so serialised lines look like real ones.

Shapes: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events and
https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random

Date = dt.date

# --- the catalogue ------------------------------------------------------------------------------

#: (page_id, username, display name)
PAGES: list[tuple[str, str, str]] = [
    ("1122334455667788", "acmebakery", "Acme Bakery"),
    ("203948571620394", "northwindcoffee", "Northwind Coffee"),
]
ACME, NORTHWIND = PAGES[0][0], PAGES[1][0]

#: Refs printed on QR codes; QR codes are plain m.me SHORTLINK referrals, told apart only by ref.
#: https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/m-me-links
QR_REFS: dict[str, tuple[str, ...]] = {
    ACME: ("qr_store12_window", "qr_store12_counter", "qr_flyer_spring", "qr_receipt"),
    NORTHWIND: ("qr_cup_sleeve", "qr_table_tent", "qr_flyer_spring"),
}
#: Plain m.me link refs; the newsletter adds `NEWSLETTER_REF` for the week it went out.
LINK_REFS: dict[str, tuple[str, ...]] = {
    ACME: ("bio_link", "site_footer", "email_signature"),
    NORTHWIND: ("bio_link", "site_footer", "loyalty_email"),
}
NEWSLETTER_REF = "newsletter_{year}_w{week:02d}"  # ISO year and week of the Tuesday send

#: Click-to-Messenger ads: (ad_id, page_id, title, first day, last day or None = still running).
ADS: list[tuple[str, str, str, Date, Date | None]] = [
    ("23843301927710456", ACME, "Fresh sourdough every morning", Date(2019, 3, 1), None),
    ("23847733001122334", ACME, "Cinnamon bun week", Date(2021, 10, 1), Date(2021, 10, 10)),
    ("23851190457712345", ACME, "Christmas pre-orders", Date(2023, 11, 20), Date(2023, 12, 22)),
    ("120208765432109876", ACME, "Spring croissant launch", Date(2025, 3, 10), Date(2025, 4, 20)),
    (
        "120210987654321098",
        ACME,
        "Christmas pre-orders 2025",
        Date(2025, 11, 17),
        Date(2025, 12, 21),
    ),
    ("120213456789012345", ACME, "Semlor \u00e4r h\u00e4r!", Date(2026, 1, 19), Date(2026, 2, 17)),
    ("120215678901234567", ACME, "Autumn catering menu", Date(2026, 10, 5), Date(2026, 12, 20)),
    ("23846598765432101", NORTHWIND, "Your first flat white is on us", Date(2019, 6, 1), None),
    ("23850011223344556", NORTHWIND, "Cold brew summer", Date(2023, 6, 1), Date(2023, 8, 31)),
    (
        "120209876543210987",
        NORTHWIND,
        "Pumpkin spice is back",
        Date(2025, 9, 15),
        Date(2025, 11, 10),
    ),
    (
        "120212345678901234",
        NORTHWIND,
        "Cold brew summer 2026",
        Date(2026, 5, 25),
        Date(2026, 8, 31),
    ),
    ("120216789012345678", NORTHWIND, "Loyalty card launch", Date(2026, 11, 2), Date(2026, 11, 29)),
]
#: Ads whose link carries a ref (most CTM ads have none).
AD_REFS = {"120208765432109876": "spring_croissant", "120212345678901234": "coldbrew26"}

SITES = {ACME: "https://www.acmebakery.example", NORTHWIND: "https://www.northwindcoffee.example"}
SITE_PATHS = ("/", "/", "/menu", "/order", "/contact", "/catering")
PLUGIN_REFS = ("menu_page", "order_help", "footer_widget")
UNKNOWN_SOURCES = ("IGME-SOURCE-LINK", "SHORTLINKS")  # treat source as opaque (see README)

APP_ID = 1517409368591812  # our app; echoes carry app_id as a number
# https://developers.secure.facebook.com/docs/messenger-platform/reference/handover-protocol
PAGE_INBOX_APP_ID = 263902037430900

# Dated platform facts the generator follows.
MESSENGER_CODE_UNTIL = Date(2019, 8, 15)  # camera stopped scanning Messenger Codes
DISCOVER_TAB_UNTIL = Date(2020, 3, 1)  # Discover tab removed around Feb-Mar 2020
PLUGIN_USER_REF_SINCE = Date(2020, 11, 2)  # chat plugin sends sender.user_ref, not a PSID
POSTBACK_MID_SINCE = Date(2021, 6, 8)  # postback.mid added in v11.0
GUEST_MODE_UNTIL = Date(2023, 1, 1)  # ASSUMPTION: guest mode ended "before" the shutdown
OPTIN_FREQUENCY_UNTIL = Date(2023, 2, 2)  # notification_messages_frequency removed in v16
PLUGIN_SHUTDOWN = Date(
    2024, 5, 9
)  # https://developers.facebook.com/docs/messenger-platform/discovery/facebook-chat-plugin
STICKER_ONLY_SINCE = Date(2026, 8, 30)  # before: a sticker arrives as image + sticker

# --- texts --------------------------------------------------------------------------------------

USER_TEXTS = {
    ACME: (
        "Hi! Are you open on Sunday?",
        "Do you have gluten-free bread?",
        "Can I pre-order a birthday cake for Saturday?",
        "How much is the sourdough loaf?",
        "Hej! Finns det glutenfria bullar? \U0001f950",
        "Ich h\u00e4tte gern zwei Zimtschnecken \U0001f60a",
        "Onko teill\u00e4 laktoositonta leip\u00e4\u00e4?",
        "Is the croissant vegan?",
        "Can I pick up at 7am?",
    ),
    NORTHWIND: (
        "Do you have oat milk?",
        "What time do you close today?",
        "Is there wifi at the caf\u00e9?",
        "Can I book a table for 6?",
        "Merci ! \u00c0 quelle heure ouvrez-vous ? \u2615",
        "\u00bfTienen caf\u00e9 descafeinado?",
        "Do you sell beans by the kilo?",
        "My loyalty card is full \U0001f389",
    ),
}
SMALL_TALK = (
    "ok",
    "Thanks!",
    "Great, see you then",
    "Tack s\u00e5 mycket! \u2764\ufe0f",
    "\U0001f44d",
    "Perfect \U0001f64c",
    "Kiitos! \u00e4\u00f6\u00e5",
    "and the price?",
    "hello??",
)
AD_OPENERS = ("Is this still available?", "Can I order for pickup?", "Tell me more \U0001f440")
PAGE_TEXTS = (
    "Thanks for your message! \U0001f60a How can we help?",
    "We are open 7-18 on weekdays and 8-15 on weekends.",
    "Yes! You can order here: https://example.com/order",
    "Of course, we'll have it ready for you.",
    "Let me check with the team and get back to you.",
    "Sure \u2013 see you soon! \u2615",
)
WELCOME = "Hi and welcome! \U0001f44b Pick a topic below or just type your question."
HANDOFF = "Connecting you with a person from our team \u2013 one moment."
PRIVATE_REPLIES = (
    "Hi! Thanks for your comment \U0001f60a Here are the details you asked for.",
    "Thanks for commenting! We've sent you the price list here.",
    "Hej! Thanks for asking \u2013 here is the link to order.",
)
COMMENTS = (
    "How much?",
    "Price please \U0001f64f",
    "Do you deliver?",
    "PM me the details",
    "Looks delicious \U0001f60d",
    "Is this available tomorrow?",
    "Wow! \u00e4lskar det",
    "info",
)
PAGE_POSTS = (
    "New in store today! \U0001f950",
    "Weekend opening hours \u2193",
    "Comment INFO and we'll message you the details",
    "Thank you for 10k followers \u2764\ufe0f",
)
NAMES = (
    "Maja Lindqvist",
    "J\u00f6rg M\u00fcller",
    "Aino M\u00e4kinen",
    "Sam Carter",
    "Lucia Fern\u00e1ndez",
    "Olle Str\u00f6m",
    "Priya Nair",
    "Chloe Martin",
)
#: quick reply payload -> the title the user taps
QUICK_REPLIES = {
    "HOURS": "Opening hours",
    "MENU": "See the menu",
    "ORDER": "Place an order",
    "LOCATION": "Where are you?",
    "TALK_TO_HUMAN": "Talk to a person",
}
REACTIONS = (
    ("love", "\u2764"),
    ("like", "\U0001f44d"),
    ("laugh", "\U0001f606"),
    ("wow", "\U0001f62e"),
)
LIKE_STICKER_ID = 369239263222822


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
    """One `messaging[]` / `standby[]` item: sender, recipient, timestamp, then the event."""
    return {"sender": sender, "recipient": recipient, "timestamp": ts, **event}


def shortlink(ref: str) -> dict:
    return {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}


def ads_referral(ad_id: str, page_id: str, title: str, with_context: bool = True) -> dict:
    """CTM ad referral; `ads_context_data` on message.referral and top-level referrals."""
    ref = {"ref": AD_REFS[ad_id]} if ad_id in AD_REFS else {}
    out = {**ref, "ad_id": ad_id, "source": "ADS", "type": "OPEN_THREAD"}
    if with_context:
        n = int(ad_id[-9:])
        media = "video_url" if n % 3 == 0 else "photo_url"
        out["ads_context_data"] = {
            "ad_title": title,
            media: f"https://scontent.xx.fbcdn.net/v/t45.1600-4/{n}_{n % 997}_n.png",
            "post_id": f"{page_id}_{10**14 + n * 7 % 10**14}",
        }
    return out


def plugin_referral(ref: str | None, uri: str, guest: bool | None) -> dict:
    """Website chat plugin (dead since 2024-05-09). Note the one-"r" `referer_uri`."""
    out = {"ref": ref} if ref else {}
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
    out = {"mid": mid} if mid else {}
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
    out = {
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


def sample_delivery(page_id: str, psid: str, mid: str, at: int) -> dict:
    """A one-message delivery with Latin-1-encodable text (the base of the broken lines)."""
    msg = text_message(mid, "Caf\u00e9 \u00f6ppet i morgon?")
    items = [item({"id": psid}, {"id": page_id}, at - 700, message=msg)]
    return delivery_body([entry(page_id, at, "messaging", items)])


def comment_metadata(comment_id: str) -> str:
    return json.dumps({"comment_id": comment_id}, separators=(",", ":"))
