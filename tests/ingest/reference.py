"""An independent reference of the whole ingest, compared field by field with the database.

The reference here reads webhook log lines with the json module alone, as Meta's docs describe
them, and applies README "Attribution" to them: which items are events, who is a contact, each
contact's channel, ref, ad_id, first_seen_at, first / second / last inbound message, message
count and re-entries, and which lines are rejected. It is deliberately small: it covers the
variants the demo logs hold and the hand-made lines of tests/ingest/edge_cases. `refscope
ingest` runs as a real subprocess on a real DuckDB file, and every contact is compared with the
reference's (tests/ingest/reference_check.py).
Webhook shapes: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

OWN = {"message", "postback", "referral", "optin", "reaction"}  # a user's own actions
HANDOVER = {"pass_thread_control", "take_thread_control", "request_thread_control"}

ACQUIRED = [
    "channel",
    "ref",
    "ad_id",
    "source",
    "ad_title",
    "referer_uri",
    "is_guest_user",
    "comment_id",
    "first_touch_at",
    "product_id",
]


DAY = dt.timedelta(hours=24)


def instant(value: object) -> dt.datetime | None:
    """A Messenger time by magnitude: below 1e12 seconds, else milliseconds; digit strings too."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    ms = value * 1000 if value < 1e12 else value
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(ms))


def said(value: object) -> object:
    """Text that is empty or spaces only says nothing."""
    return None if isinstance(value, str) and not value.strip() else value


def ref_of(obj: dict) -> object:
    """A referral's or optin's ref: an empty one (`?ref=` with nothing after it) or one of
    spaces only is no ref."""
    return said(obj.get("ref"))


def touch_channel(ref_obj: dict, page: str, qr_refs: set) -> str | None:
    source, ref = said(ref_obj.get("source")), ref_of(ref_obj)
    if said(ref_obj.get("ad_id")) is not None:  # an ad_id names an ad, whatever the source
        return "ctm_ad"
    source = source.upper() if isinstance(source, str) else source  # case is not meaning
    if source in ("SHORTLINK", "SHORT-URL", "SHORT_URL"):
        return "qr_code" if (page, ref) in qr_refs else "m_me_link"
    if source == "MESSENGER_CODE":
        return "qr_code"
    if source == "CUSTOMER_CHAT_PLUGIN":
        return "chat_widget"
    if source == "ADS":
        return "ctm_ad"
    if source is not None or ref is not None or ref_obj.get("product"):
        return "other"
    return None


def touch_of(ref_obj: object, page: str, qr_refs: set, via: str) -> dict | None:
    if not isinstance(ref_obj, dict):
        return None
    channel = touch_channel(ref_obj, page, qr_refs)
    if channel is None:
        return None
    ad_id, ads_context = said(ref_obj.get("ad_id")), ref_obj.get("ads_context_data") or {}
    return {
        "via": via,
        "channel": channel,
        "ref": ref_of(ref_obj),
        "ad_id": None if ad_id is None else str(ad_id),
        "source": said(ref_obj.get("source")),
        "ad_title": said(ads_context.get("ad_title")),
        "referer_uri": said(ref_obj.get("referer_uri")),
        "is_guest_user": ref_obj.get("is_guest_user"),
        # A Shops product page's product, else the ad's: its text (a number's digits).
        "product_id": id_text((ref_obj.get("product") or {}).get("id"))
        or id_text(ads_context.get("product_id")),
    }


def id_text(value: object) -> str | None:
    """An id as stored: its text, a number's digits; empty, an object or a list is none."""
    if isinstance(value, dict | list) or said(value) is None:
        return None
    return value if isinstance(value, str) else str(value)


def ids(party: object) -> dict:
    return {k: str(v) for k, v in party.items() if v is not None} if isinstance(party, dict) else {}


def form_field(value: object) -> object:
    """A Send API parameter as logged: a form-encoded request's is the JSON text of the object."""
    if isinstance(value, str):
        try:
            inner = json.loads(value)
        except ValueError:
            return value
        return inner if isinstance(inner, dict) else value
    return value


def item_event(item: dict, page: str, standby: bool, qr_refs: set, at: object = None) -> dict:
    sender, recipient = ids(item.get("sender")), ids(item.get("recipient"))
    ts = instant(item.get("timestamp")) or instant(at)  # else the entry's time
    ev = {"page": page, "ts": ts, "touch": None, "mid": None}
    optin_user_ref = ids(item.get("optin")).get("user_ref")  # the checkbox plugin: no sender
    ev["psid"] = sender.get("id") or sender.get("user_ref") or optin_user_ref
    ev["is_user_ref"] = "id" not in sender and ev["psid"] is not None
    message = item.get("message")
    if isinstance(message, dict) and message.get("is_echo"):
        ev["kind"] = "message_echo"
        ev["psid"] = recipient.get("id") if sender.get("id") == page else sender.get("id")
        ev["is_user_ref"] = False
        ev["mid"] = message.get("mid")
        meta = message.get("metadata")
        bare = isinstance(meta, str) and re.fullmatch(r"[0-9_]*[0-9][0-9_]*", meta)
        try:
            meta = json.loads(meta) if isinstance(meta, str) and not bare else None
        except ValueError:
            meta = None
        if bare or (isinstance(meta, dict) and meta.get("comment_id")):
            comment_id = message["metadata"] if bare else meta["comment_id"]
            ev["touch"] = {"via": "private_reply", "channel": "comment_reply"}
            ev["touch"]["comment_id"] = comment_id
    elif isinstance(message, dict):
        ev["kind"], ev["mid"] = "message", message.get("mid")
        ev["touch"] = touch_of(message.get("referral"), page, qr_refs, "message")
        tags = message.get("tags") or []
        ev["plugin_tag"] = any(t.get("source") == "customer_chat_plugin" for t in tags)
    elif "postback" in item:
        ev["kind"], ev["mid"] = "postback", item["postback"].get("mid")
        ev["touch"] = touch_of(item["postback"].get("referral"), page, qr_refs, "postback")
    elif "referral" in item:
        ev["kind"] = "referral"
        ev["touch"] = touch_of(item["referral"], page, qr_refs, "referral")
    elif "optin" in item:
        ev["kind"] = "optin"
        if ref_of(item["optin"]):
            ev["touch"] = touch_of(item["optin"], page, qr_refs, "optin")
    elif "read" in item:
        ev["kind"], ev["watermark"] = "read", instant(item["read"].get("watermark"))
    elif "delivery" in item or "reaction" in item:
        ev["kind"] = next(k for k in ("delivery", "read", "reaction") if k in item)
    elif HANDOVER & item.keys():
        ev["kind"] = "handover"
    else:
        ev["kind"] = "other"
    ev["standby"] = standby
    if ev["mid"] is not None:
        ev["key"] = (page, ev["kind"], ev["mid"])
    else:
        ev["key"] = (page, ev["psid"], ev["kind"], ev["ts"], json.dumps(item, sort_keys=True))
    return ev


def line_events(obj: object, qr_refs: set) -> tuple[list[dict], str | None]:
    """The events of one parsed line and, when (part of) it is refused, why."""
    if not isinstance(obj, dict):
        return [], "not an object"
    received_at = None
    if "body" in obj and "received_at" in obj:
        received_at, obj = obj["received_at"], obj["body"]
        if not isinstance(obj, dict):
            return [], "envelope body is not an object"
    if "data" in obj and "object" not in obj:
        return [], "insights"  # ad insights, not events: outside this reference
    if obj.get("object") == "refscope_click":
        return [], "clicks"  # the receiver's click log, not events: outside this reference too
    if "field" in obj and "value" in obj and "sender" in obj["value"]:  # a wrapped sample
        value = obj["value"]
        sender, recipient = ids(value.get("sender")), ids(value.get("recipient"))
        if not (isinstance(value.get("message"), dict) and value["message"].get("is_echo")):
            return [item_event(value, recipient["id"], False, qr_refs)], None
        # An echo with no entry to name its page: sent by the page, unless only its
        # recipient is a page known from the other events (README "What the ingest reads").
        ev = item_event(value, sender["id"], False, qr_refs)
        return [{**ev, "pages_if_swapped": (recipient["id"], sender["id"])}], None
    if obj.get("object") == "send_api":
        page = str(obj["page_id"])
        ts = instant(obj.get("timestamp")) or instant(received_at)
        response, recipient = obj["response"], ids(form_field(obj["request"]["recipient"]))
        if not {"comment_id", "post_id"} & recipient.keys():  # not a private reply: the
            # page's own message (to a user_ref, say)
            to = response.get("recipient_id") or recipient.get("id") or recipient.get("user_ref")
            key = (page, "send_api", response.get("message_id"))
            return [{"page": page, "psid": to, "kind": "other", "ts": ts, "touch": None,
                     "key": key}], None  # fmt: skip
        ev = {"page": page, "psid": str(response["recipient_id"]), "is_user_ref": False, "ts": ts}
        ev.update(kind="private_reply", standby=False, mid=response["message_id"])
        ev["touch"] = {"via": "private_reply", "channel": "comment_reply"}
        ev["touch"]["comment_id"] = recipient.get("comment_id")
        ev["key"] = (page, "private_reply", ev["mid"])
        return [ev], None
    if not isinstance(obj.get("entry"), list):
        return [], "no entry list"
    events, problems = [], []
    for i, entry in enumerate(obj["entry"]):
        if not isinstance(entry, dict):
            problems.append(f"entry[{i}] is not an object")
            continue
        page = str(entry.get("id"))
        for container in ("messaging", "standby"):
            for j, item in enumerate(entry.get(container) or []):
                ev = item_event(item, page, container == "standby", qr_refs, entry.get("time"))
                if ev["psid"] is None and ev["kind"] in OWN:
                    problems.append(f"entry[{i}].{container}[{j}]: no sender id")
                    continue
                if ev["kind"] in ("message", "message_echo") and ev["mid"] is None:
                    problems.append(f"entry[{i}].{container}[{j}]: message without mid")
                    continue
                events.append(ev)
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if change.get("field") != "feed" and "sender" in value:  # a wrapped messaging item
                standby = change.get("field") == "standby"
                events.append(item_event(value, page, standby, qr_refs, entry.get("time")))
                continue
            kind = "comment" if value.get("item") == "comment" else "other"
            key = (page, "feed", json.dumps(change, sort_keys=True))
            ts = instant(value.get("created_time")) or instant(entry.get("time"))
            events.append(
                {"page": page, "psid": None, "kind": kind, "ts": ts, "touch": None, "key": key}
            )
    more = len(problems) - 5
    named = "; ".join(problems[:5]) + (f"; {more} more malformed item{'s' * (more != 1)}"
                                       if more > 0 else "")  # fmt: skip
    if problems and not events:
        return [], named
    return events, ("partly rejected: " + named) if problems else None


def read_logs(paths: list[Path], qr_refs: set) -> tuple[list[dict], dict]:
    """Every distinct event of the logs, and the rejected lines as {(file name, line): why}."""
    found: list[dict] = []
    rejects: dict[tuple[str, int], str] = {}
    for path in paths:
        for no, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
            raw = raw.removesuffix(b"\r").removeprefix(b"\xef\xbb\xbf" if no == 1 else b"")
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                rejects[(path.name, no)] = "invalid UTF-8"
                continue
            except ValueError:
                rejects[(path.name, no)] = "invalid JSON"
                continue
            line_found, problem = line_events(obj, qr_refs)
            if problem is not None and problem not in ("insights", "clicks"):
                rejects[(path.name, no)] = problem
            found += line_found
    pages = {ev["page"] for ev in found if "pages_if_swapped" not in ev}
    events: dict[tuple, dict] = {}
    for ev in found:
        if "pages_if_swapped" in ev:
            page, psid = ev.pop("pages_if_swapped")
            if page in pages and psid not in pages:
                ev.update(page=page, psid=psid, key=(page, ev["kind"], ev["mid"]))
        if ev["key"] not in events or ev["ts"] < events[ev["key"]]["ts"]:
            events[ev["key"]] = ev
    return list(events.values()), rejects


def _touch_order(ev: dict) -> tuple:
    """A touch's place among its contact's: by instant; at one instant the page's private reply,
    then the user's own referral, then a message (which may repeat that referral)."""
    via = ev["touch"]["via"]
    return ev["ts"], 0 if via == "private_reply" else 2 if via == "message" else 1


def repeats(ev: dict, evs: list[dict]) -> bool:
    """README "Attribution", one click reported twice: a message whose referral carries the
    ad id and the ref of the contact's touch just before it (one absent from both is the same),
    within that touch's 24 hours, and the first message since that touch."""
    touch = ev["touch"]
    if touch is None or touch["via"] != "message" or (touch["ad_id"], touch["ref"]) == (None,) * 2:
        return False
    earlier = [e for e in evs if e["touch"] and _touch_order(e) < _touch_order(ev)]
    if not earlier:
        return False
    prev = max(earlier, key=_touch_order)
    messages_between = any(e["kind"] == "message" and prev["ts"] <= e["ts"] < ev["ts"] for e in evs)
    return (
        prev["ts"] >= ev["ts"] - DAY
        and (prev["touch"].get("ad_id"), prev["touch"].get("ref")) == (touch["ad_id"], touch["ref"])
        and not messages_between
    )


def attribute(events: list[dict]) -> dict[tuple[str, str], dict]:
    """README "Attribution": one row per (page, psid) that acted on its own."""
    by_person: dict[tuple[str, str], list[dict]] = {}
    for ev in events:
        if ev.get("psid") is not None:
            by_person.setdefault((ev["page"], ev["psid"]), []).append(ev)
    contacts = {}
    for who, evs in by_person.items():
        own = sorted((e for e in evs if e["kind"] in OWN), key=lambda e: e["ts"])
        if not own:
            continue  # deliveries, reads, echoes, private replies alone make no contact
        talks = [e["ts"] for e in own if e["kind"] in ("message", "postback")]
        opened = min(talks) if talks else own[0]["ts"]
        first_message = min(
            (e for e in own if e["kind"] == "message"), key=lambda e: e["ts"], default=None
        )
        # The first message's own touch counts within 24 h of a postback without referral
        # that opened the conversation (an ice breaker, a Get Started that lost its referral).
        start = first_message["ts"] if first_message else None  # messages may share it
        in_time = start is not None and start <= opened + DAY
        touches = sorted(
            (
                e
                for e in evs
                if e["touch"]
                and (e["ts"] <= opened or (e["kind"] == "message" and e["ts"] == start and in_time))
            ),
            # the earliest; at one instant the user's own referral before a private reply, and
            # a referral before the message that may repeat it
            key=lambda e: (e["ts"], e["touch"]["via"] == "private_reply", e["kind"] == "message"),
        )
        first = touches[0] if touches else None
        messages = sorted(e["ts"] for e in own if e["kind"] == "message")
        user_touches = [e for e in evs if e["touch"] and e["touch"]["via"] != "private_reply"]
        reentries = [e for e in user_touches if e is not first and not repeats(e, evs)]
        acquired = {"channel": "organic"}
        if first is not None:
            acquired = {**first["touch"], "first_touch_at": first["ts"]}
        elif in_time and any(
            e["kind"] == "message" and e["ts"] == start and e.get("plugin_tag") for e in own
        ):
            acquired = {"channel": "chat_widget", "first_touch_at": start}
        echoes = [e["ts"] for e in evs if e["kind"] == "message_echo"]
        read_at = max((e["watermark"] for e in evs if e["kind"] == "read"), default=None)
        contacts[who] = {
            "is_user_ref": own[0]["is_user_ref"],
            "first_seen_at": own[0]["ts"],
            **{name: acquired.get(name) for name in ACQUIRED},
            "first_message_at": messages[0] if messages else None,
            # After the first: a message of the first one's instant is not a second one.
            "second_message_at": min((t for t in messages if t > messages[0]), default=None),
            "last_message_at": messages[-1] if messages else None,
            "message_count": len(messages),
            "postback_count": sum(e["kind"] == "postback" for e in own),
            "reentry_count": len(reentries),
            "last_seen_at": own[-1]["ts"],
            "page_message_count": len(echoes),
            "last_read_at": read_at,
            "page_messages_read": sum(read_at is not None and ts <= read_at for ts in echoes),
        }
    return contacts
