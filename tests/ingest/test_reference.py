"""An independent reference of the whole ingest, compared field by field with the database.

The reference below reads webhook log lines with the json module alone, as Meta's docs describe
them, and applies README "Attribution" to them: which items are events, who is a contact, each
contact's channel, ref, ad_id, first_seen_at, first / second / last inbound message, message
count and re-entries, and which lines are rejected. It is deliberately small: it covers the
variants the demo logs hold and the hand-made lines below. `refscope ingest` runs as a real
subprocess on a real DuckDB file, and every contact is compared with the reference's.
Webhook shapes: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
END = "2026-11-30"

# ---------------------------------------------------------------------------------------------
# The reference
# ---------------------------------------------------------------------------------------------

OWN = {"message", "postback", "referral", "optin", "reaction"}  # a user's own actions
HANDOVER = {"pass_thread_control", "take_thread_control", "request_thread_control"}


def instant(value: object) -> dt.datetime | None:
    """A Messenger time by magnitude: below 1e12 seconds, else milliseconds; digit strings too."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    ms = value * 1000 if value < 1e12 else value
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=int(ms))


def touch_channel(ref_obj: dict, page: str, qr_refs: set) -> str | None:
    source, ref = ref_obj.get("source"), ref_obj.get("ref")
    if ref_obj.get("ad_id") is not None:  # an ad_id names an ad, whatever the source
        return "ctm_ad"
    source = source.upper() if isinstance(source, str) else source  # case is not meaning
    if source in ("SHORTLINK", "SHORT-URL"):
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
    ad_id, ads_context = ref_obj.get("ad_id"), ref_obj.get("ads_context_data") or {}
    return {
        "via": via,
        "channel": channel,
        "ref": ref_obj.get("ref"),
        "ad_id": None if ad_id is None else str(ad_id),
        "source": ref_obj.get("source"),
        "ad_title": ads_context.get("ad_title"),
        "referer_uri": ref_obj.get("referer_uri"),
        "is_guest_user": ref_obj.get("is_guest_user"),
    }


def ids(party: object) -> dict:
    return {k: str(v) for k, v in party.items() if v is not None} if isinstance(party, dict) else {}


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
        if item["optin"].get("ref"):
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
        response = obj["response"]
        ev = {"page": page, "psid": str(response["recipient_id"]), "is_user_ref": False, "ts": ts}
        ev.update(kind="private_reply", standby=False, mid=response["message_id"])
        ev["touch"] = {"via": "private_reply", "channel": "comment_reply"}
        ev["touch"]["comment_id"] = obj["request"]["recipient"].get("comment_id")
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
            if problem is not None and problem != "insights":
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
        touches = sorted(
            (e for e in evs if e["touch"] and e["ts"] <= opened),
            # the earliest; at one instant the user's own referral before a private reply
            key=lambda e: (e["ts"], e["touch"]["via"] == "private_reply"),
        )
        first = touches[0] if touches else None
        messages = sorted(e["ts"] for e in own if e["kind"] == "message")
        user_touches = [e for e in evs if e["touch"] and e["touch"]["via"] != "private_reply"]
        first_message = min(
            (e for e in own if e["kind"] == "message"), key=lambda e: e["ts"], default=None
        )
        acquired = {"channel": "organic"}
        if first is not None:
            acquired = {**first["touch"], "first_touch_at": first["ts"]}
        elif first_message and first_message.get("plugin_tag") and first_message["ts"] <= opened:
            acquired = {"channel": "chat_widget", "first_touch_at": first_message["ts"]}
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
            "reentry_count": len(user_touches) - (first is not None and first in user_touches),
            "last_seen_at": own[-1]["ts"],
            "page_message_count": len(echoes),
            "last_read_at": read_at,
            "page_messages_read": sum(read_at is not None and ts <= read_at for ts in echoes),
        }
    return contacts


# ---------------------------------------------------------------------------------------------
# Running refscope and comparing
# ---------------------------------------------------------------------------------------------

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
]
FIELDS = [
    "is_user_ref",
    "first_seen_at",
    *ACQUIRED,
    "first_message_at",
    "second_message_at",
    "last_message_at",
    "message_count",
    "postback_count",
    "reentry_count",
    "last_seen_at",
    "page_message_count",
    "last_read_at",
    "page_messages_read",
]


def refscope(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ingest", *args], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def qr_refs_of(links_csv: Path) -> set[tuple[str, str]]:
    with links_csv.open(newline="") as f:
        return {(r["page"], r["ref"]) for r in csv.DictReader(f) if r["channel"] == "qr"}


def stored(db: Path) -> tuple[dict, dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cols = ", ".join(FIELDS)
        rows = con.execute(f"SELECT page_id, psid, {cols} FROM contacts").fetchall()
        contacts = {(r[0], r[1]): dict(zip(FIELDS, r[2:], strict=True)) for r in rows}
        rejected = con.execute("SELECT file, line_no, reason FROM rejects").fetchall()
        events = con.execute("SELECT page_id, psid, kind, ts, is_standby FROM events").fetchall()
    rejects = {(Path(f).name, n): why for f, n, why in rejected}
    return contacts, rejects, Counter(events)


def differences(expected: dict, actual: dict) -> list[str]:
    out = []
    for who in sorted(expected.keys() | actual.keys()):
        if who not in actual:
            out.append(f"{who}: missing from contacts (reference: {expected[who]})")
        elif who not in expected:
            out.append(f"{who}: not a contact by the reference (stored: {actual[who]})")
        else:
            for name in FIELDS:
                if expected[who][name] != actual[who][name]:
                    out.append(
                        f"{who} {name}: reference {expected[who][name]!r}, "
                        f"stored {actual[who][name]!r}"
                    )
    return out


def reject_differences(expected: dict, actual: dict) -> list[str]:
    out = []
    for where in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(where), actual.get(where)
        if want is None or got is None or not got.startswith(want):
            out.append(f"{where}: reference {want!r}, stored {got!r}")
    return out


def check(
    logs: Path, links_csv: Path, db: Path, runs: list[list[Path]] | None = None
) -> tuple[list[str], list[str]]:
    """Ingest the logs (in one run, or file by file in the runs given) and compare."""
    refscope("links", "import", str(links_csv), "--db", str(db))
    for run in runs or [[logs]]:
        refscope("ingest", *map(str, run), "--db", str(db), "--no-progress")
    qr_refs = qr_refs_of(links_csv)
    paths = sorted(p for p in logs.iterdir() if p.suffix == ".ndjson")
    events, want_rejects = read_logs(paths, qr_refs)
    contacts, rejects, stored_events = stored(db)
    want_events = Counter(
        (e["page"], e["psid"], e["kind"], e["ts"], e.get("standby", False)) for e in events
    )
    event_diffs = [
        f"{ev}: reference {want_events[ev]}, stored {stored_events[ev]}"
        for ev in sorted(want_events.keys() | stored_events.keys(), key=repr)
        if want_events[ev] != stored_events[ev]
    ]
    contact_diffs = differences(attribute(events), contacts)
    return contact_diffs + event_diffs, reject_differences(want_rejects, rejects)


@pytest.mark.parametrize("seed", [1, 2])
def test_demo_logs_match_the_reference(tmp_path: Path, seed: int) -> None:
    logs = tmp_path / "demo"
    refscope("demo-data", "--days", "60", "--end", END, "--seed", str(seed), "--out", str(logs))
    contact_diffs, reject_diffs = check(logs, logs / "tracked-links.csv", tmp_path / "r.duckdb")
    assert contact_diffs == []
    assert reject_diffs == []


# ---------------------------------------------------------------------------------------------
# Hand-made lines: one person per rule, each a variant the demo logs do not hold
# ---------------------------------------------------------------------------------------------

PAGE, PAGE2 = "1122334455667788", "203948571620394"
T = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC, before the chat plugin's shutdown
S = 1000  # a second in milliseconds


def item(psid: str, ts: object, key: str, body: dict, page: str = PAGE) -> dict:
    return {"sender": {"id": psid}, "recipient": {"id": page}, "timestamp": ts, key: body}


def msg(psid: str, ts: object, n: int = 0, page: str = PAGE, **extra: object) -> dict:
    return item(psid, ts, "message", {"mid": f"m_{psid}_{n}", "text": "hi", **extra}, page)


def link(ref: str = "spring", source: str | None = "SHORTLINK", **extra: object) -> dict:
    out = {"ref": ref, "type": "OPEN_THREAD", **extra}
    if source is not None:
        out["source"] = source
    return out


def ad(ad_id: str = "6045", **extra: object) -> dict:
    return {"source": "ADS", "type": "OPEN_THREAD", "ad_id": ad_id, **extra}


def echo(psid: str, ts: int, n: int, metadata: str | None = None, page: str = PAGE) -> dict:
    body: dict = {"is_echo": True, "app_id": 1517776481860111, "mid": f"m_echo_{psid}_{n}"}
    if metadata is not None:
        body["metadata"] = metadata
    return {"sender": {"id": page}, "recipient": {"id": psid}, "timestamp": ts, "message": body}


def post(*items: dict, page: str = PAGE, container: str = "messaging") -> dict:
    return {"object": "page", "entry": [{"id": page, "time": T, container: list(items)}]}


def send_log(psid: str, ts: int | None, comment_id: str, page: str = PAGE) -> dict:
    out = {
        "object": "send_api",
        "page_id": page,
        "request": {"recipient": {"comment_id": comment_id}, "message": {"text": "Hi"}},
        "response": {"recipient_id": psid, "message_id": f"m_send_{psid}_{comment_id}"},
    }
    if ts is not None:
        out["timestamp"] = ts
    return out


def edge_lines() -> list[object]:
    pb = {"title": "Get Started", "payload": "GET_STARTED"}
    return [
        # a top-level referral in seconds just before the first message, in milliseconds
        post(item("9001", (T - 5 * S) // 1000, "referral", link("sec_ref"))),
        post(msg("9001", T)),
        # digit-string timestamps, in milliseconds and in seconds
        post(msg("9002", str(T)), msg("9002", str((T + 60 * S) // 1000), n=1)),
        # an echo in the old direction (sender = PSID) alone makes no contact
        post(
            {
                "sender": {"id": "9003"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_echo_old_9003"},
            }
        ),
        # a private reply known by its echo's bare metadata, then the user's first message
        post(echo("9004", T, 0, metadata="1500_2600")),
        post(msg("9004", T + 60 * S)),
        # a Get Started with an m.me ref at the very instant of a private reply: the referral wins
        send_log("9005", T, "1500_2601"),
        post(item("9005", T, "postback", {**pb, "mid": "m_pb_9005", "referral": link("same_t")})),
        # a private reply, then a first message carrying an ad's referral: comment_reply, 1 re-entry
        send_log("9006", T, "1500_2602"),
        post(msg("9006", T + 60 * S, referral=ad("7001"))),
        # a link referral, later an ad referral, then the first message: the link's, 1 re-entry
        post(item("9007", T, "referral", link("first_link"))),
        post(item("9007", T + 60 * S, "referral", ad("7002"))),
        post(msg("9007", T + 120 * S)),
        # the chat plugin, addressed by user_ref
        post(
            {
                "sender": {"user_ref": "ur_9008"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "referral": link(
                    "home",
                    "CUSTOMER_CHAT_PLUGIN",
                    referer_uri="https://x.test/",
                    is_guest_user=False,
                ),
            }
        ),
        # a first message the chat plugin tagged, and none other
        post(msg("9009", T, tags=[{"source": "customer_chat_plugin"}])),
        # a message from a Shops product page
        post(msg("9010", T, referral={"product": {"id": "123456"}})),
        # Send to Messenger: an optin with a ref and no source
        post(item("9011", T, "optin", {"ref": "stm_button"})),
        # the postback sample as the docs wrap it: string seconds, SHORT-URL, in changes[]
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": T,
                    "changes": [
                        {
                            "field": "messaging_postbacks",
                            "value": item(
                                "9012",
                                str(T // 1000),
                                "postback",
                                {**pb, "referral": link("wrapped", "SHORT-URL")},
                            ),
                        }
                    ],
                }
            ],
        },
        # sources refscope does not know, and a legacy Messenger Code
        post(item("9013", T, "referral", link("igme", "IGME-SOURCE-LINK"))),
        post(item("9014", T, "referral", link("code", "MESSENGER_CODE"))),
        # a reaction after a private reply and nothing else: the reply's
        send_log("9015", T, "1500_2603"),
        post(
            item(
                "9015",
                T + 60 * S,
                "reaction",
                {"reaction": "love", "action": "react", "mid": "m_echo_9015"},
            )
        ),
        # a referral alone
        post(item("9016", T, "referral", link("only_ref"))),
        # a referral after the first message: organic, 1 re-entry
        post(msg("9017", T)),
        post(item("9017", T + 60 * S, "referral", link("later"))),
        # Get Started without a referral, then a message with an ad's referral
        post(item("9018", T, "postback", {**pb, "mid": "m_pb_9018"})),
        post(msg("9018", T + 60 * S, referral=ad("7003"))),
        # a first message in standby, in seconds
        post(msg("9019", T // 1000), container="standby"),
        # two messages at one instant
        post(msg("9020", T), msg("9020", T, n=1)),
        # a send-log line in an envelope without a timestamp: dated by received_at
        {"received_at": T, "body": send_log("9021", None, "1500_2604")},
        post(msg("9021", T + 60 * S)),
        # the checkbox plugin's optin without a ref
        post(
            {
                "sender": {"user_ref": "ur_9022"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "optin": {"user_ref": "ur_9022"},
            }
        ),
        # the checkbox plugin's optin, as Meta's optin doc shows it: no sender, a user_ref
        post(
            {"recipient": {"id": PAGE}, "timestamp": T, "optin": {"ref": "cb", "user_ref": "ur_cb"}}
        ),
        # deliveries, reads and handovers alone make no contact
        post(item("9023", T, "delivery", {"watermark": T})),
        post(item("9024", T, "read", {"watermark": T})),
        post(item("9025", T, "pass_thread_control", {"new_owner_app_id": "263902037430900"})),
        # echo metadata as JSON with other keys
        post(echo("9026", T, 0, metadata=json.dumps({"flow": "x", "comment_id": "1500_2605"}))),
        post(msg("9026", T + 60 * S)),
        # an ad referral with no source, only its ad_id
        post(msg("9027", T, referral={"ad_id": "7004", "type": "OPEN_THREAD"})),
        # one PSID on two pages: two contacts
        post(msg("9028", T, referral=ad("7005"))),
        post(msg("9028", T + S, page=PAGE2), page=PAGE2),
        # a message retried in a later POST with another entry time: one event
        {
            "object": "page",
            "entry": [{"id": PAGE, "time": T + 9 * S, "messaging": [msg("9029", T)]}],
        },
        post(msg("9029", T)),
        # an item without a sender beside a good one: partly rejected
        post(
            msg("9030", T),
            {
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"mid": "m_nobody", "text": "?"},
            },
        ),
        # a batch with a broken entry beside a good one
        {"object": "page", "entry": [{"id": PAGE, "time": T, "messaging": [msg("9031", T)]}, 7]},
        # QR code ref registered for the page
        post(item("9032", T, "postback", {**pb, "mid": "m_pb_9032", "referral": link("qr_edge")})),
        # the same QR ref on the other page, where it is not registered: an m.me link
        post(
            item(
                "9033",
                T,
                "postback",
                {**pb, "mid": "m_pb_9033", "referral": link("qr_edge")},
                page=PAGE2,
            ),
            page=PAGE2,
        ),
        # 1 referral at the instant of the first message
        post(item("8001", T, "referral", link("same_inst"))),
        post(msg("8001", T)),
        # 2 private reply after first message
        post(msg("8002", T)),
        send_log("8002", T + 60 * S, "1500_3002"),
        # 3 two private replies before first message
        send_log("8003", T, "1500_3003"),
        send_log("8003", T + S, "1500_3004"),
        post(msg("8003", T + 60 * S)),
        # 4 reaction, referral, message
        post(item("8004", T, "reaction", {"reaction": "like", "action": "react", "mid": "m_x"})),
        post(item("8004", T + S, "referral", link("after_react"))),
        post(msg("8004", T + 2 * S)),
        # 5 m.me/rn optin SHORTLINK registered QR
        post(
            item(
                "8005",
                T,
                "optin",
                {
                    "type": "notification_messages",
                    "ref": "qr_edge",
                    "source": "SHORTLINK",
                    "notification_messages_token": "tok",
                },
            )
        ),
        # 6 DISCOVER_TAB without ref
        post(item("8006", T, "referral", {"source": "DISCOVER_TAB", "type": "OPEN_THREAD"})),
        # 7 ad_id as integer
        post(msg("8007", T, referral={"source": "ADS", "type": "OPEN_THREAD", "ad_id": 6045123})),
        # 8 entry id as an integer
        {
            "object": "page",
            "entry": [{"id": 1122334455667788, "time": T, "messaging": [msg("8008", T)]}],
        },
        # 9 postback without referral and top-level referral at the same instant
        post(
            item(
                "8009", T, "postback", {"title": "Get Started", "payload": "GS", "mid": "m_pb_8009"}
            )
        ),
        post(item("8009", T, "referral", link("tie_pb"))),
        # 10 is_echo false
        post(msg("8010", T, is_echo=False)),
        # 11 copies of one message, the later-stamped first
        post(msg("8011", T + 60 * S)),
        post(msg("8011", T)),
        # 13 ADS with a ref
        post(msg("8013", T, referral=ad("7013", ref="adref"))),
        # 14 later message with ad referral
        post(msg("8014", T)),
        post(msg("8014", T + 60 * S, n=1, referral=ad("7014"))),
        # 16 chat plugin postback with user_ref then message by user_ref
        post(
            {
                "sender": {"user_ref": "ur_8016"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "postback": {
                    "title": "Get Started",
                    "payload": "GS",
                    "referral": link(
                        "cp",
                        "CUSTOMER_CHAT_PLUGIN",
                        referer_uri="https://x.test/a",
                        is_guest_user=True,
                    ),
                },
            }
        ),
        post(
            {
                "sender": {"user_ref": "ur_8016"},
                "recipient": {"id": PAGE},
                "timestamp": T + S,
                "message": {"mid": "m_ur_8016", "text": "hey"},
            }
        ),
        # 18 referral in string seconds
        post(item("8018", str(T // 1000 - 5), "referral", link("strsec"))),
        post(msg("8018", T)),
        # 19 send log in seconds
        send_log("8019", T // 1000 - 5, "1500_3019"),
        post(msg("8019", T)),
        # 21 private reply on page, message on page2
        send_log("8021", T, "1500_3021"),
        post(msg("8021", T + S, page=PAGE2), page=PAGE2),
        # 22 notification optin only
        post(
            item(
                "8022",
                T,
                "optin",
                {
                    "type": "notification_messages",
                    "payload": "P",
                    "notification_messages_token": "t",
                },
            )
        ),
        # 24 echo metadata old direction (sender = PSID)
        post(
            {
                "sender": {"id": "8024"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_echo_8024", "metadata": "1500_3024"},
            }
        ),
        post(msg("8024", T + 60 * S)),
        # 29 source null with ref
        post(
            item("8029", T, "referral", {"ref": "nullsrc", "source": None, "type": "OPEN_THREAD"})
        ),
        # 30 echo metadata private reply at same instant as the first message
        post(echo("8030", T, 0, metadata="1500_3030")),
        post(msg("8030", T)),
        # message without its own timestamp: dated by entry time?
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": T + 5 * S,
                    "messaging": [
                        {
                            "sender": {"id": "7001"},
                            "recipient": {"id": PAGE},
                            "message": {"mid": "m_7001", "text": "x"},
                        }
                    ],
                }
            ],
        },
        # sender with both id and user_ref
        post(
            {
                "sender": {"id": "7002", "user_ref": "ur_7002"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"mid": "m_7002", "text": "x"},
            }
        ),
        # postback without mid retried, and two distinct ones
        post(item("7003", T, "postback", {"title": "A", "payload": "A"})),
        post(item("7003", T, "postback", {"title": "A", "payload": "A"})),
        post(item("7003", T, "postback", {"title": "B", "payload": "B"})),
        # message without mid
        post(item("7004", T, "message", {"text": "no mid"})),
        post(item("7004", T, "message", {"text": "no mid"})),
        # message_edit only
        post(item("7005", T, "message_edit", {"mid": "m_x", "text": "edited", "num_edit": 1})),
        # ADS without ad_id
        post(msg("7006", T, referral={"source": "ADS", "type": "OPEN_THREAD"})),
        # empty ref SHORTLINK
        post(
            item("7007", T, "referral", {"ref": "", "source": "SHORTLINK", "type": "OPEN_THREAD"})
        ),
        # visitor-post private reply
        {
            "object": "send_api",
            "page_id": PAGE,
            "timestamp": T,
            "request": {"recipient": {"post_id": "1122334455667788_55"}, "message": {"text": "hi"}},
            "response": {"recipient_id": "7008", "message_id": "m_send_7008"},
        },
        post(msg("7008", T + S)),
        # send log with numeric page id
        {
            "object": "send_api",
            "page_id": 1122334455667788,
            "timestamp": T,
            "request": {"recipient": {"comment_id": "1500_4009"}, "message": {"text": "hi"}},
            "response": {"recipient_id": "7009", "message_id": "m_send_7009"},
        },
        post(msg("7009", T + S)),
        # send log timestamp as a digit string
        {
            "object": "send_api",
            "page_id": PAGE,
            "timestamp": str(T),
            "request": {"recipient": {"comment_id": "1500_4010"}, "message": {"text": "hi"}},
            "response": {"recipient_id": "7010", "message_id": "m_send_7010"},
        },
        post(msg("7010", T + S)),
        # recipient_id as an integer
        {
            "object": "send_api",
            "page_id": PAGE,
            "timestamp": T,
            "request": {"recipient": {"comment_id": "1500_4011"}, "message": {"text": "hi"}},
            "response": {"recipient_id": 7011, "message_id": "m_send_7011"},
        },
        post(msg("7011", T + S)),
        # sender id integer
        post(
            {
                "sender": {"id": 7012},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"mid": "m_7012", "text": "x"},
            }
        ),
        # echo with integer recipient id and metadata
        post(
            {
                "sender": {"id": PAGE},
                "recipient": {"id": 7013},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_e_7013", "metadata": "1500_4013"},
            }
        ),
        post(msg("7013", T + S)),
        # referral ad: top-level referral with ad then message with ref other
        post(item("7014", T, "referral", ad("7514"))),
        post(msg("7014", T + S)),
        # timestamp as float ms
        post(msg("7015", float(T))),
        # postback referral in standby
        post(
            item(
                "7016",
                T,
                "postback",
                {"title": "GS", "payload": "GS", "mid": "m_pb_7016", "referral": link("sb")},
            ),
            container="standby",
        ),
        # wrapped standby message in changes
        {
            "object": "page",
            "entry": [
                {"id": PAGE, "time": T, "changes": [{"field": "standby", "value": msg("7017", T)}]}
            ],
        },
        # a wrapped sample as a whole line, Meta's postback doc style
        {
            "field": "messaging_postbacks",
            "value": {
                "sender": {"id": "7018"},
                "recipient": {"id": PAGE},
                "timestamp": str(T // 1000),
                "postback": {
                    "title": "GS",
                    "payload": "GS",
                    "referral": {"ref": "whole", "source": "SHORT-URL", "type": "OPEN_THREAD"},
                },
            },
        },
        # untagged first message, tagged later one
        post(msg("5001", T)),
        post(msg("5001", T + S, n=1, tags=[{"source": "customer_chat_plugin"}])),
        # tagged first message after a private reply: the reply's
        send_log("5002", T, "1500_5002"),
        post(msg("5002", T + S, tags=[{"source": "customer_chat_plugin"}])),
        # tagged first message, then a referral: chat_widget, 1 re-entry
        post(msg("5003", T, tags=[{"source": "customer_chat_plugin"}])),
        post(item("5003", T + S, "referral", link("after_tag"))),
        # referral, then tagged first message: referral's
        post(item("5004", T, "referral", link("before_tag"))),
        post(msg("5004", T + S, tags=[{"source": "customer_chat_plugin"}])),
        # every message tagged: one chat widget contact, no re-entries
        post(msg("5005", T, tags=[{"source": "customer_chat_plugin"}])),
        post(msg("5005", T + S, n=1, tags=[{"source": "customer_chat_plugin"}])),
        # postback first, then a tagged message
        post(item("5006", T, "postback", {"title": "GS", "payload": "GS", "mid": "m_pb_5006"})),
        post(msg("5006", T + S, tags=[{"source": "customer_chat_plugin"}])),
        # a later Shops product message
        post(msg("5007", T)),
        post(msg("5007", T + S, n=1, referral={"product": {"id": "9"}})),
        # shortlink with an ad_id
        post(item("5008", T, "referral", link("lnk", ad_id="777"))),
        # lowercase source
        post(item("5009", T, "referral", link("low", "shortlink"))),
        # lowercase chat plugin source
        post(item("5011", T, "referral", link("low_plugin", "customer_chat_plugin"))),
        # tagged message same instant as private reply
        send_log("5010", T, "1500_5010"),
        post(msg("5010", T, tags=[{"source": "customer_chat_plugin"}])),
        # whole-line wrapped echoes: in the old direction (the page known), and the new
        post(msg("3000", T)),
        {
            "field": "message_echoes",
            "value": {
                "sender": {"id": "3001"},
                "recipient": {"id": PAGE},
                "timestamp": T,
                "message": {"is_echo": True, "mid": "m_e3001", "metadata": "1500_6001"},
            },
        },
        post(msg("3001", T + S)),
        {
            "field": "message_echoes",
            "value": {
                "sender": {"id": PAGE},
                "recipient": {"id": "3002"},
                "timestamp": T,
                "message": {
                    "is_echo": True,
                    "mid": "m_e3002",
                    "metadata": '{"comment_id": "1500_6002"}',
                },
            },
        },
        post(msg("3002", T + S)),
    ]


@pytest.mark.parametrize("parts", [1, 2])
def test_edge_lines_match_the_reference(tmp_path: Path, parts: int) -> None:
    """In one run, and spread over two logs ingested last to first, one run each."""
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = [json.dumps(x, separators=(",", ":")) for x in edge_lines()]
    files = [logs / f"edge-{n}.ndjson" for n in range(parts)]
    for n, path in enumerate(files):
        path.write_text("\n".join(lines[n::parts]) + "\n")
    links_csv = tmp_path / "links.csv"
    links_csv.write_text(f"page,ref,channel\n{PAGE},qr_edge,qr\n")
    runs = [[path] for path in reversed(files)]
    contact_diffs, reject_diffs = check(logs, links_csv, tmp_path / "r.duckdb", runs)
    assert contact_diffs == []
    assert reject_diffs == []
