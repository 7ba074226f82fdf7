"""Builders for Meta webhook `feed` changes (a comment on a Page post) and for the send log of
private replies to comments (a Send API request by comment_id, and its response). The messaging
builders and the ids they share are in tests/factories.py.
"""

from __future__ import annotations

import json
from typing import Any

from tests.factories import PAGE_ID, PSID, T0, Json


def comment(
    verb: str = "add",
    *,
    comment_id: str = "4455667788_1357924680",
    post_id: str = f"{PAGE_ID}_4455667788",
    from_id: str = "10158230000000001",
    text: str | None = "Do you deliver on Sundays?",
    created_time: Any = T0 // 1000,
) -> Json:
    """A `feed` change for a comment; created_time in seconds as Graph sends it."""
    value: Json = {
        "from": {"id": from_id, "name": "Jane Doe"},
        "post": {
            "status_type": "added_photos",
            "is_published": True,
            "permalink_url": f"https://www.facebook.com/{post_id}",
        },
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": post_id,
        "parent_id": post_id,
        "created_time": created_time,
    }
    if text is not None:
        value["message"] = text
    return {"field": "feed", "value": value}


def feed(*changes: Json, page_id: str = PAGE_ID, time: Any = None) -> Json:
    """A Page webhook body carrying feed changes (entry.time in seconds)."""
    if time is None:
        time = T0 // 1000
    return {"object": "page", "entry": [{"id": page_id, "time": time, "changes": list(changes)}]}


def send_log(
    comment_id: str = "4455667788_1357924680",
    psid: str | None = PSID,
    *,
    page_id: str = PAGE_ID,
    ts: Any = T0,
    message_id: str | None = None,
    recipient: Json | None = None,
    form: bool = False,
    request_text: bool = False,
) -> Json:
    """A send-log line: the Send API request (recipient.comment_id, or the recipient given) and
    its response (§4). form: the request as a form-encoded call sends it, `recipient` and
    `message` as JSON strings (the message's `metadata` naming the comment, itself a string).
    request_text: the whole request logged as one JSON string, the body text that was POSTed."""
    response: Json = {"message_id": message_id or f"m_reply_{comment_id}"}
    if psid is not None:
        response = {"recipient_id": psid, **response}
    request: Json = {
        "recipient": {"comment_id": comment_id} if recipient is None else recipient,
        "message": {"text": "Thanks! Check your inbox."},
    }
    if form:
        request["message"]["metadata"] = json.dumps({"comment_id": comment_id})
        request = {k: json.dumps(v) for k, v in request.items()}
    return {
        "object": "send_api",
        "page_id": page_id,
        "timestamp": ts,
        "request": json.dumps(request) if request_text else request,
        "response": response,
    }
