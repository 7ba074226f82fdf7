"""A rejected line keeps no notification token: a Marketing Messages opt-in's
`notification_messages_token` or a one-time notification's `one_time_notif_token` lets the page
message that person (with its page token), as an access token lets anyone read the page."""

from __future__ import annotations

import json

import tests.factories as f
from tests.conftest import IngestLines, Query

NMT = "NMT7f3a9c2e1b4d5a6f8e9d0c1b2a3f4e5d"  # notification_messages_token
OTN = "OTN0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # one_time_notif_token
NUMBER = 2183449182718493000  # a token sent as a JSON number


def _optin(**token: object) -> f.Json:
    return f.optin(type="notification_messages", payload="DEALS", title="Deals",
                   notification_messages_timezone="UTC", user_token_status="NOT_REFRESHED",
                   token_expiry_timestamp=f.T0 + f.DAY, **token)  # fmt: skip


def test_rejected_lines_keep_no_notification_token(ingest_lines: IngestLines, query: Query) -> None:
    good = _optin(notification_messages_token=NMT)
    otn = f.optin(type="one_time_notif_req", payload="BACK", one_time_notif_token=OTN)
    send = {"object": "send_api", "page_id": f.PAGE_ID,
            "request": {"recipient": {"notification_messages_token": NMT},
                        "message": {"text": "deals"}},
            "response": {"message_id": "m_sent_1"}}  # fmt: skip
    ingest_lines([
        f.batch(f.entry(good), "not an entry"),  # partly rejected: the whole line is kept
        send,  # a send log without timestamp
        f.envelope(f.line(f.delivery(otn))),  # another receiver's body kept as a string
        f.line(f.delivery(_optin(notification_messages_token=NUMBER)))[:-20],  # cut off
    ])  # fmt: skip
    rows = query("SELECT line_no, reason, raw FROM rejects ORDER BY line_no")
    assert [(n, reason.split(":")[0]) for n, reason, _ in rows] == [
        (1, "partly rejected"), (2, "no valid timestamp"),
        (3, "envelope body is not an object but a string of JSON"), (4, "invalid JSON"),
    ]  # fmt: skip
    raws = [raw for _, _, raw in rows]
    for raw in raws:
        assert NMT not in raw and OTN not in raw and str(NUMBER) not in raw, raw
    first, second, third, _ = map(json.loads, raws[:3] + [raws[0]])
    held = first["entry"][0]["messaging"][0]["optin"]
    assert held["notification_messages_token"] == "<token removed>"
    assert held["user_token_status"] == "NOT_REFRESHED"  # not a token: kept
    assert held["token_expiry_timestamp"] == f.T0 + f.DAY
    assert second["request"]["recipient"] == {"notification_messages_token": "<token removed>"}
    inner = json.loads(third["body"])["entry"][0]["messaging"][0]["optin"]
    assert inner["one_time_notif_token"] == "<token removed>"
    assert '"notification_messages_token":"<token removed>"' in raws[3]
    # The opt-in of the partly rejected line is kept as an event all the same.
    assert query("SELECT kind, detail FROM events") == [("optin", "notification_messages")]
