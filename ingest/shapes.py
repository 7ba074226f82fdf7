"""The shapes of Meta's payloads, as DuckDB `json_transform` structures.

Only the fields refscope reads are named; DuckDB skips the rest. Every leaf is VARCHAR (or JSON,
given its structure later) so that a wrong type in a field becomes NULL or text instead of an
error; an instant read only as an instant is DOUBLE (T), which takes numbers and digit strings
alike, and makes anything else NULL. No SQL, no I/O.
Payload facts: https://developers.facebook.com/docs/messenger-platform/webhooks
"""

from __future__ import annotations

import json
from collections.abc import Mapping

V = "VARCHAR"

# Sub-objects that most items lack are read as JSON text in the first pass, and given their
# structure only where present (webhook.py): json_transform pays for every field of a structure
# on every row, present or not, so a wide item structure would cost more than the whole parse.
J = "JSON"
# Instants only ever read through rs_ts(): a number is not turned into text and back.
T = "DOUBLE"

# Every referral-like object: messaging_referrals, postback.referral, message.referral.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_referrals
REFERRAL = {
    "ref": V,
    "source": V,
    "type": V,
    "ad_id": V,
    "referer_uri": V,  # one "r", as Meta spells it
    "is_guest_user": V,
    "ads_context_data": {"ad_title": V, "post_id": V, "product_id": V},
    "product": {"id": V},  # a message from a Shops product page (messages page)
}
# notification_messages_status is only on a stop or a resume of marketing messages.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_optins
OPTIN = {
    "type": V,
    "ref": V,
    "user_ref": V,
    "payload": V,
    "source": V,
    "notification_messages_status": V,
}
REACTION = {"mid": V, "action": V, "reaction": V, "emoji": V}
CONTROL = {"new_owner_app_id": V, "previous_owner_app_id": V, "requested_owner_app_id": V}
ATTACHMENTS = [{"type": V}]
# The chat plugin tagged its messages [{"source": "customer_chat_plugin"}] (seen in public
# fixtures, not in Meta's reference): refscope reads it as the widget's trace.
TAGS = [{"source": V}]
QUICK_REPLY = {"payload": V}
MIDS = [V]
_ITEM = {
    "sender": {"id": V, "user_ref": V},
    "recipient": {"id": V, "user_ref": V},
    "timestamp": T,
    "message": {
        "mid": V,
        "text": V,
        "is_echo": V,
        "app_id": V,
        "metadata": V,
        "quick_reply": J,
        "attachments": J,
        "referral": J,
        "tags": J,
    },
    "postback": {"mid": V, "title": V, "payload": V, "referral": J},
    "referral": J,
    "optin": J,
    "delivery": {"watermark": V, "mids": J},
    "read": {"watermark": V},
    "reaction": J,
    "pass_thread_control": J,
    "take_thread_control": J,
    "request_thread_control": J,
    "app_roles": J,
}
# Page `feed` changes: https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
_CHANGE = {
    "field": V,
    "value": {
        "item": V,
        "verb": V,
        "comment_id": V,
        "post_id": V,
        "parent_id": V,
        "from": {"id": V},
        "message": V,
        "created_time": V,
    },
}
_ENTRY_CHANGES = {"id": V, "time": V, "changes": [_CHANGE]}


# A Page field's sample line (the App Dashboard's test button), as it came or in the envelope.
SAMPLE_CHANGE_STRUCTURE = json.dumps({**_CHANGE, "received_at": V, "body": _CHANGE})


def line_structure(entry: Mapping[str, object]) -> str:
    """A webhook body, or the envelope refscope's receiver writes around one."""
    delivery = {"object": V, "entry": [entry]}
    return json.dumps({**delivery, "received_at": T, "body": delivery})


# Messaging and standby items are parsed apart: standby lines are rare, and a list in the
# structure costs its fields on every line.
MESSAGING_STRUCTURE = line_structure({"id": V, "time": T, "messaging": [_ITEM]})
STANDBY_STRUCTURE = line_structure({"id": V, "time": T, "standby": [_ITEM]})
CHANGES_STRUCTURE = line_structure(_ENTRY_CHANGES)
# A send log's request is read as JSON, and its recipient only then as RECIPIENT_STRUCTURE: either
# may be logged as a JSON string holding the object (comment_events.recipient_in, recipient_of).
# So may its response, the HTTP body as it came, read as RESPONSE_STRUCTURE (response_of).
SEND_STRUCTURE = json.dumps(
    {"object": V, "page_id": V, "timestamp": V, "request": "JSON", "response": "JSON"}
)
RESPONSE_STRUCTURE = json.dumps({"recipient_id": V, "message_id": V})
RECIPIENT_STRUCTURE = json.dumps(
    {
        "comment_id": V,
        "post_id": V,
        "id": V,
        "user_ref": V,
        "phone_number": V,
        "notification_messages_token": V,
        "one_time_notif_token": V,
    }
)

# A scan or click of a tracked link, as refscope's receiver logs it (GET /r/<ref>). Its ref, page
# and device are read as JSON, so that a value of the wrong type is told from text.
CLICK_STRUCTURE = json.dumps(
    {"object": V, "ts": V, "ref": "JSON", "page": "JSON", "qr": V, "device": "JSON"}
)

# The channel for each known referral source; other sources become `other`, raw value kept.
# QR codes arrive as SHORTLINK: refscope tells them apart by its own tracked_links registry.
# SHORT-URL is how the messaging_postbacks page's sample spells it, SHORT_URL the same sample on
# the Postback Button Setup page (both say an m.me link's source is SHORTLINK); third parties'
# other spellings (SHORTLINKS) stay unknown, as they advise.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/marketing-messages-on-messenger/send-messages/postback
SHORTLINK_SOURCES = ("SHORTLINK", "SHORT-URL", "SHORT_URL")

# Meta's docs also show messaging events wrapped as {"field": ..., "value": <item>}, inside
# entry[].changes or as the whole line (the App Dashboard's test samples); accept both.
# https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_postbacks
# Every Page messaging field of the webhook field list is one: an item of a kind refscope does
# not read (a game play, a policy enforcement) is still a messaging item, kept as `other` with
# its sender and instant. https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events
MESSAGING_FIELDS = (
    "messages",
    "message_echoes",
    "messaging_postbacks",
    "messaging_referrals",
    "messaging_optins",
    "message_deliveries",
    "message_reads",
    "message_reactions",
    "message_edits",
    "messaging_handovers",
    "standby",
    "messaging_account_linking",
    "messaging_policy_enforcement",
    "messaging_feedback",
    "messaging_game_plays",
    "send_cart",
)
WRAPPED = {"field": V, "value": _ITEM}
WRAPPED_CHANGES_STRUCTURE = line_structure({"id": V, "time": V, "changes": [WRAPPED]})
# A sample line as it came, or inside the envelope refscope's receiver writes around a POST.
WRAPPED_STRUCTURE = json.dumps({**WRAPPED, "received_at": V, "body": WRAPPED})
