"""Builders for Meta webhook payloads: defaults shaped like Meta's documented samples, keyword
overrides for what a test is about. Shapes:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events

Every item builder returns one `messaging[]` item; `delivery()` wraps items into the body of one
POST, `envelope()` into the line refscope's receiver writes around a body. Feed changes and the
send log of private replies are built in tests/factories_feed.py.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PAGE_ID = "1122334455667788"
PAGE_USERNAME = "acmebakery"
OTHER_PAGE_ID = "203948571620394"
PSID = "6512345678901234"
APP_ID = "1517776481860111"
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, in ms as Messenger sends it
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

Json = dict[str, Any]


def utc(ms: int) -> datetime:
    """The naive UTC timestamp refscope stores for an instant in milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)


def line(obj: object) -> str:
    """One ndjson line, compact like Meta's bodies."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def mid_for(psid: str, ts: int, n: int = 0) -> str:
    return f"m_{psid}_{ts}_{n}"


# --- delivery bodies --------------------------------------------------------------------------


def entry(
    *items: Json, page_id: str = PAGE_ID, time: Any = None, container: str = "messaging"
) -> Json:
    if time is None:
        stamps = [i["timestamp"] for i in items if isinstance(i.get("timestamp"), int)]
        time = max(stamps, default=T0)
    return {"id": page_id, "time": time, container: list(items)}


def delivery(
    *items: Json,
    page_id: str = PAGE_ID,
    time: Any = None,
    container: str = "messaging",
    obj: str = "page",
) -> Json:
    """The body of one POST with one entry holding items."""
    return {
        "object": obj,
        "entry": [entry(*items, page_id=page_id, time=time, container=container)],
    }


def batch(*entries: Json, obj: str = "page") -> Json:
    """One POST batching several entries."""
    return {"object": obj, "entry": list(entries)}


def envelope(body: Any, received_at: Any = T0 + 500) -> Json:
    """The line refscope's receiver writes: the raw body and when it arrived."""
    return {"received_at": received_at, "body": body}


# --- messaging items ----------------------------------------------------------------------------


def _item(
    psid: str | None, page_id: str, ts: Any, key: str, body: Any, sender: Json | None = None
) -> Json:
    item: Json = {}
    if sender is not None:
        item["sender"] = sender
    elif psid is not None:
        item["sender"] = {"id": psid}
    item["recipient"] = {"id": page_id}
    item["timestamp"] = ts
    item[key] = body
    return item


def message(
    text: str | None = "hello",
    *,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    mid: str | None = None,
    sender: Json | None = None,
    **fields: Any,
) -> Json:
    """An inbound message; fields add quick_reply, attachments, referral, reply_to …"""
    body: Json = {"mid": mid or mid_for(psid, ts if isinstance(ts, int) else 0)}
    if text is not None:
        body["text"] = text
    body.update(fields)
    return _item(psid, page_id, ts, "message", body, sender)


def echo(
    text: str = "Thanks for your comment!",
    *,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    mid: str | None = None,
    app_id: int = int(APP_ID),
    metadata: str | None = None,
    reverse: bool = False,
) -> Json:
    """The page's own message echoed back: sender = page, recipient = PSID (reverse: old doc)."""
    body: Json = {"is_echo": True, "app_id": app_id}
    if metadata is not None:
        body["metadata"] = metadata
    body["mid"] = mid or mid_for(f"{page_id}-{psid}", ts if isinstance(ts, int) else 0)
    body["text"] = text
    sender, recipient = (psid, page_id) if reverse else (page_id, psid)
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": ts,
        "message": body,
    }


def private_reply_echo(comment_id: str, **kw: Any) -> Json:
    """The echo of a private reply whose Send API metadata carried the comment id (§4)."""
    return echo(metadata=json.dumps({"comment_id": comment_id}), **kw)


def referral_obj(ref: str | None = "spring_menu", source: str = "SHORTLINK", **extra: Any) -> Json:
    body: Json = {}
    if ref is not None:
        body["ref"] = ref
    body["source"] = source
    body["type"] = "OPEN_THREAD"
    body.update(extra)
    return body


def ads_referral(
    ad_id: str = "23843301927710456",
    ad_title: str = "Fresh sourdough every morning",
    ref: str | None = None,
    post_id: str = f"{PAGE_ID}_4455667788",
) -> Json:
    """A Click-to-Messenger ad's referral, with ads_context_data (messaging_referrals page)."""
    return referral_obj(
        ref,
        "ADS",
        ad_id=ad_id,
        ads_context_data={
            "ad_title": ad_title,
            "photo_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.png",
            "post_id": post_id,
        },
    )


def postback(
    payload: str | None = "GET_STARTED",
    *,
    title: str = "Get Started",
    referral: Json | None = None,
    mid: str | None = None,
    with_mid: bool = True,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    sender: Json | None = None,
) -> Json:
    """A postback (Get Started or a CTA); referral only on a new thread from an entry point."""
    body: Json = {}
    if with_mid:
        body["mid"] = mid or "pb_" + mid_for(psid, ts if isinstance(ts, int) else 0)
    body["title"] = title
    if payload is not None:
        body["payload"] = payload
    if referral is not None:
        body["referral"] = referral
    return _item(psid, page_id, ts, "postback", body, sender)


def referral(
    ref: str | None = "spring_menu",
    source: str = "SHORTLINK",
    *,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    sender: Json | None = None,
    **extra: Any,
) -> Json:
    """A top-level messaging_referrals item: a user re-entering an existing thread."""
    return _item(psid, page_id, ts, "referral", referral_obj(ref, source, **extra), sender)


def chat_plugin_referral(
    user_ref: str = "chat-plugin-user-ref-42",
    *,
    ref: str = "menu_page",
    referer_uri: str = "https://www.acmebakery.example/menu",
    is_guest_user: Any = True,
    page_id: str = PAGE_ID,
    ts: Any = T0,
) -> Json:
    """The chat plugin's referral: sender.user_ref instead of a PSID (Graph v7.0+)."""
    return referral(
        ref,
        "CUSTOMER_CHAT_PLUGIN",
        psid=user_ref,
        page_id=page_id,
        ts=ts,
        sender={"user_ref": user_ref},
        referer_uri=referer_uri,
        is_guest_user=is_guest_user,
    )


def optin(
    *,
    psid: str | None = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    **body: Any,
) -> Json:
    """A messaging_optins item; psid=None leaves out the sender (checkbox plugin)."""
    return _item(psid, page_id, ts, "optin", body)


def delivery_receipt(
    mids: list[str] | None = None,
    watermark: Any = T0,
    *,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
) -> Json:
    body: Json = {}
    if mids is not None:
        body["mids"] = mids
    body["watermark"] = watermark
    return _item(psid, page_id, ts, "delivery", body)


def read_receipt(
    watermark: Any = T0, *, psid: str = PSID, page_id: str = PAGE_ID, ts: Any = T0
) -> Json:
    return _item(psid, page_id, ts, "read", {"watermark": watermark})


def reaction(
    mid: str = "m_reacted",
    action: str = "react",
    *,
    emoji: str = "\u2764\ufe0f",
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
) -> Json:
    body: Json = {"mid": mid, "action": action}
    if action == "react":
        body["reaction"] = "love"
        body["emoji"] = emoji
    return _item(psid, page_id, ts, "reaction", body)


def handover(
    key: str = "pass_thread_control",
    *,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    **body: Any,
) -> Json:
    if not body:
        body = {"new_owner_app_id": "263902037430900", "metadata": "handing over to inbox"}
    return _item(psid, page_id, ts, key, body)


def other_item(
    key: str = "message_edit",
    body: Any = None,
    *,
    psid: str = PSID,
    page_id: str = PAGE_ID,
    ts: Any = T0,
) -> Json:
    """An item whose key refscope does not know (Meta adds fields over time)."""
    if body is None:
        body = {"mid": "m_edited", "text": "hello (edited)", "num_edit": 1}
    return _item(psid, page_id, ts, key, body)


# --- logs ---------------------------------------------------------------------------------------


def write_ndjson(path: Path, lines: list[Any], *, mode: str = "w") -> Path:
    """Write lines (dicts become JSON, str/bytes as given) one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(_as_bytes(x) + b"\n" for x in lines)
    with open(path, mode + "b") as fh:
        fh.write(data)
    return path


def _as_bytes(x: Any) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    return line(x).encode()


def big_log_lines(n: int, seed: int = 1) -> list[str]:
    """n deliveries of mixed kinds over many contacts, with retries and a few bad lines."""
    from tests.factories_feed import send_log  # which imports this module

    rng = random.Random(seed)
    out: list[str] = []
    contacts = max(n // 8, 1)
    sources = ["SHORTLINK", "SHORTLINK", "ADS", "MESSENGER_CODE", "IGME-SOURCE-LINK"]
    for i in range(n):
        c = rng.randrange(contacts)
        psid = f"7{c:015d}"
        ts = T0 + i * 1000
        roll = rng.random()
        if roll < 0.002:
            out.append('{"object":"page","entry":[{"id":')  # cut short
            continue
        if roll < 0.01 and out:
            out.append(out[-1])  # at-least-once: the same POST again
            continue
        if roll < 0.15:
            src = rng.choice(sources)
            item = postback(referral=referral_obj(f"ref{c % 50}", src), psid=psid, ts=ts)
        elif roll < 0.25:
            item = referral(f"ref{c % 40}", rng.choice(sources), psid=psid, ts=ts)
        elif roll < 0.6:
            item = message(f"message {i}", psid=psid, ts=ts, mid=f"m_{i}")
        elif roll < 0.7:
            item = echo(psid=psid, ts=ts, mid=f"m_echo_{i}")
        elif roll < 0.8:
            item = delivery_receipt([f"m_echo_{i - 1}"], ts, psid=psid, ts=ts)
        elif roll < 0.9:
            item = read_receipt(ts, psid=psid, ts=ts)
        else:
            out.append(line(send_log(f"c_{i}", psid, ts=ts)))
            continue
        out.append(line(delivery(item)))
    return out


def register_qr(db_path: Path, ref: str, page_id: str = PAGE_ID) -> Path:
    """ref registered as a QR code of page_id (the database made if need be)."""
    from ingest import db

    con = db.connect(db_path)
    try:
        con.execute(
            """INSERT INTO tracked_links (ref, page, channel, url, created_at)
               VALUES (?, ?, 'qr_code', ?, TIMESTAMP '2023-11-01 09:00:00')""",
            [ref, page_id, f"https://m.me/{page_id}?ref={ref}"],
        )
    finally:
        con.close()
    return db_path
