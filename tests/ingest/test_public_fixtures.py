"""Real webhook fixtures of public projects that receive Messenger deliveries, fed to refscope.

Every payload below is a fixture of another project, cited by repository and path, made into
one log line as Meta POSTs it: compact JSON, keys in Meta's snake_case (Yoctol/bottender's test
objects camelCase them), a bare messaging item wrapped in its entry (`entry[].id` names the
page). Where a fixture uses one placeholder for the page and the person (sender = recipient =
"3"), or instants in 1970, ids and instants are replaced and the comment says so; nothing else
is changed. Each line goes through the real pipeline into its own DuckDB file, and the test
states what refscope must store: events, touches, contacts, and no reject (a real delivery is
never rejected; an unknown item is kind `other`). Meta's payload reference:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import tests.factories as f
from ingest import pipeline
from tests.conftest import Query
from tests.factories import utc

Json = dict[str, Any]

EVENT_COLUMNS = (
    "kind", "detail", "page_id", "psid", "is_user_ref", "ts", "is_standby", "channel", "ref",
    "source", "ad_id", "ad_title", "referer_uri", "is_guest_user", "mid", "text_length",
    "attachment_types", "quick_reply_payload", "postback_payload", "app_id", "watermark_at",
    "post_id", "comment_id", "commenter_id",
)  # fmt: skip
CONTACT_COLUMNS = (
    "page_id", "psid", "is_user_ref", "channel", "ref", "source", "ad_id", "referer_uri",
    "is_guest_user", "comment_id", "first_seen_at", "first_touch_at", "first_message_at",
    "message_count", "postback_count", "reentry_count", "page_message_count",
)  # fmt: skip
TOUCH_COLUMNS = ("page_id", "psid", "ts", "via", "channel", "ref", "source", "is_first",
                 "is_reentry")  # fmt: skip


def ev(**kw: Any) -> Json:
    """An events row: the columns given, every other one empty (false for the flags)."""
    row: Json = {c: None for c in EVENT_COLUMNS} | {"is_user_ref": False, "is_standby": False}
    assert set(kw) <= set(EVENT_COLUMNS), set(kw) - set(EVENT_COLUMNS)
    return row | kw


def contact(**kw: Any) -> Json:
    row: Json = {c: None for c in CONTACT_COLUMNS} | {
        "is_user_ref": False, "message_count": 0, "postback_count": 0, "reentry_count": 0,
        "page_message_count": 0,
    }  # fmt: skip
    assert set(kw) <= set(CONTACT_COLUMNS), set(kw) - set(CONTACT_COLUMNS)
    return row | kw


def touch(**kw: Any) -> Json:
    row: Json = {c: None for c in TOUCH_COLUMNS} | {"is_first": False, "is_reentry": False}
    assert set(kw) <= set(TOUCH_COLUMNS), set(kw) - set(TOUCH_COLUMNS)
    return row | kw


def entry(page: str, *items: Json, time: Any = None) -> Json:
    """A bare messaging item of a fixture, in the entry Meta delivers it in."""
    e: Json = {"id": page, "messaging": list(items)}
    if time is not None:
        e["time"] = time
    return {"object": "page", "entry": [e]}


def feed(page: str, value: Json, time: Any = None) -> Json:
    """A bare feed change of a fixture, in its entry (`time` in seconds, as Graph sends it)."""
    change = {"field": "feed", "value": value}
    return {"object": "page", "entry": [{"id": page, "time": time or value["created_time"],
                                         "changes": [change]}]}  # fmt: skip


def s(seconds: int) -> datetime:
    return utc(seconds * 1000)


# ---------------------------------------------------------------------------------------------
# nyaruka/courier handlers/meta/testdata/fba/*.json (driven by handlers/meta/facebook_test.go)
C_PAGE, C_PAGE2, C_USER = "1234567890", "12345", "5678"
C_TS = 1459991487970

# The fixtures keep a compact layout, close to the files they come from.
# fmt: off
COURIER: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # handlers/meta/testdata/fba/hello_msg.json
    "courier/hello_msg": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "message": {"text": "Hello World", "mid": "external_id"},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="external_id",
            text_length=11)],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/duplicate_msg.json: one message twice in one POST
    "courier/duplicate_msg": (
        {"object": "page", "entry": [
            {"id": C_PAGE, "messaging": [{
                "message": {"text": "Hello World", "mid": "external_id"},
                "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
             "time": C_TS},
            {"id": C_PAGE, "messaging": [{
                "message": {"text": "Hello World", "mid": "external_id"},
                "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
             "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="external_id",
            text_length=11)],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/different_page.json: the entry's id names the page
    "courier/different_page": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "message": {"text": "Hello World", "mid": "external_id"},
            "recipient": {"id": "1235"}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="external_id",
            text_length=11)],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/attachment.json
    "courier/attachment": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "message": {"mid": "external_id", "attachments": [
                {"type": "image", "payload": {"url": "https://image-url/foo.png"}}]},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="external_id",
            attachment_types=["image"])],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/thumbs_up.json: the like sticker, an image with a sticker_id
    "courier/thumbs_up": (
        {"object": "page", "entry": [{"id": C_PAGE, "time": C_TS, "messaging": [{
            "sender": {"id": C_USER}, "recipient": {"id": C_PAGE}, "timestamp": C_TS,
            "message": {"mid": "external_id", "attachments": [{"type": "image", "payload": {
                "sticker_id": 369239263222822,
                "url": "https://scontent.xx.fbcdn.net/v/arst"}}]}}]}]},
        [ev(kind="message", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="external_id",
            attachment_types=["image"])],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/location_attachment.json
    "courier/location_attachment": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "message": {"mid": "external_id", "attachments": [{"type": "location", "payload": {
                "coordinates": {"lat": 1.2, "long": -1.3}}}]},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="external_id",
            attachment_types=["location"])],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/fallback.json
    "courier/fallback": (
        {"object": "page", "entry": [{"id": C_PAGE2, "messaging": [{
            "message": {"mid": "external_id", "attachments": [{"type": "fallback", "payload": {
                "url": "My Documents/foo.doc", "title": "Foo"}}]},
            "recipient": {"id": C_PAGE2}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE2, psid=C_USER, ts=utc(C_TS), mid="external_id",
            attachment_types=["fallback"])],
        [contact(page_id=C_PAGE2, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/reel.json
    "courier/reel": (
        {"object": "page", "entry": [{"id": C_PAGE2, "messaging": [{
            "message": {"mid": "external_id", "attachments": [{"type": "ig_reel", "payload": {
                "url": "/reel/123451234512345/", "reel_video_id": 123451234512345}}]},
            "recipient": {"id": C_PAGE2}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="message", page_id=C_PAGE2, psid=C_USER, ts=utc(C_TS), mid="external_id",
            attachment_types=["ig_reel"])],
        [contact(page_id=C_PAGE2, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 first_message_at=utc(C_TS), message_count=1)],
    ),
    # handlers/meta/testdata/fba/echo.json: the older direction (sender = the person)
    "courier/echo": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS,
            "message": {"is_echo": True, "mid": "qT7ywaK"}}]}]},
        [ev(kind="message_echo", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), mid="qT7ywaK")],
        [],  # an echo alone makes no contact
    ),
    # handlers/meta/testdata/fba/dlr.json (a seq, as before 2019)
    "courier/dlr": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "delivery": {"mids": ["mid.1458668856218:ed81099e15d3f4f233"],
                         "watermark": 1458668856253, "seq": 37},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="delivery", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # handlers/meta/testdata/fba/referral.json: sender with id and user_ref, an unknown source
    # with an ad_id (ctm_ad by its ad_id)
    "courier/referral": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "referral": {"ref": "referral id", "ad_id": "ad id", "source": "referral source",
                         "type": "referral type"},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER, "user_ref": C_USER},
            "timestamp": C_TS}], "time": C_TS}]},
        [ev(kind="referral", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), channel="ctm_ad",
            ref="referral id", source="referral source", ad_id="ad id")],
        [contact(page_id=C_PAGE, psid=C_USER, channel="ctm_ad", ref="referral id",
                 source="referral source", ad_id="ad id", first_seen_at=utc(C_TS),
                 first_touch_at=utc(C_TS))],
    ),
    # handlers/meta/testdata/fba/referral_seconds.json: the item's timestamp in seconds, the
    # entry's in milliseconds (courier commit 20411409)
    "courier/referral_seconds": (
        {"object": "page", "entry": [{"id": C_PAGE2, "messaging": [{
            "referral": {"ref": "referral id", "ad_id": "ad id", "source": "referral source",
                         "type": "referral type"},
            "recipient": {"id": C_PAGE2}, "sender": {"id": C_USER, "user_ref": C_USER},
            "timestamp": 1701599111}], "time": 1701599116216}]},
        [ev(kind="referral", page_id=C_PAGE2, psid=C_USER, ts=s(1701599111), channel="ctm_ad",
            ref="referral id", source="referral source", ad_id="ad id")],
        [contact(page_id=C_PAGE2, psid=C_USER, channel="ctm_ad", ref="referral id",
                 source="referral source", ad_id="ad id", first_seen_at=s(1701599111),
                 first_touch_at=s(1701599111))],
    ),
    # handlers/meta/testdata/fba/postback_get_started.json: Get Started with no referral
    "courier/postback_get_started": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "postback": {"title": "postback title", "payload": "get_started"},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="postback", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS),
            postback_payload="get_started")],
        [contact(page_id=C_PAGE, psid=C_USER, channel="organic", first_seen_at=utc(C_TS),
                 postback_count=1)],
    ),
    # handlers/meta/testdata/fba/postback_referral.json: an ad_id makes it an ad's
    "courier/postback_referral": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "postback": {"title": "postback title", "payload": "get_started", "referral": {
                "ref": "postback ref", "source": "postback source", "type": "postback type",
                "ad_id": "ad id"}},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="postback", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), channel="ctm_ad",
            ref="postback ref", source="postback source", ad_id="ad id",
            postback_payload="get_started")],
        [contact(page_id=C_PAGE, psid=C_USER, channel="ctm_ad", ref="postback ref",
                 source="postback source", ad_id="ad id", first_seen_at=utc(C_TS),
                 first_touch_at=utc(C_TS), postback_count=1)],
    ),
    # handlers/meta/testdata/fba/postback.json: a source refscope does not know is `other`,
    # its raw value kept
    "courier/postback": (
        {"object": "page", "entry": [{"id": C_PAGE2, "messaging": [{
            "postback": {"title": "postback title", "payload": "postback payload", "referral": {
                "ref": "postback ref", "source": "postback source", "type": "postback type"}},
            "recipient": {"id": C_PAGE2}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="postback", page_id=C_PAGE2, psid=C_USER, ts=utc(C_TS), channel="other",
            ref="postback ref", source="postback source", postback_payload="postback payload")],
        [contact(page_id=C_PAGE2, psid=C_USER, channel="other", ref="postback ref",
                 source="postback source", first_seen_at=utc(C_TS), first_touch_at=utc(C_TS),
                 postback_count=1)],
    ),
    # handlers/meta/testdata/fba/referral_optin.json: a Send to Messenger optin (data-ref)
    "courier/referral_optin": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "optin": {"ref": "optin_ref"},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="optin", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), channel="other",
            ref="optin_ref")],
        [contact(page_id=C_PAGE, psid=C_USER, channel="other", ref="optin_ref",
                 first_seen_at=utc(C_TS), first_touch_at=utc(C_TS))],
    ),
    # handlers/meta/testdata/fba/referral_optin_user_ref.json: a sender id beside the
    # checkbox plugin's user_ref: the PSID is the contact
    "courier/referral_optin_user_ref": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "optin": {"ref": "optin_ref", "user_ref": "optin_user_ref"},
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}],
            "time": C_TS}]},
        [ev(kind="optin", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS), channel="other",
            ref="optin_ref")],
        [contact(page_id=C_PAGE, psid=C_USER, channel="other", ref="optin_ref",
                 first_seen_at=utc(C_TS), first_touch_at=utc(C_TS))],
    ),
    # handlers/meta/testdata/fba/notification_messages_optin.json: a marketing-messages
    # opt-in names no entry point
    "courier/notification_messages_optin": (
        {"object": "page", "entry": [{"id": C_PAGE2, "time": C_TS, "messaging": [{
            "sender": {"id": C_USER}, "recipient": {"id": C_PAGE2}, "timestamp": C_TS,
            "optin": {"type": "notification_messages", "payload": "3456",
                      "notification_messages_token": "12345678901234567890",
                      "notification_messages_frequency": "DAILY",
                      "token_expiry_timestamp": 2145916800000,
                      "user_token_status": "NOT_REFRESHED",
                      "notification_messages_timezone": "UTC", "title": "Bird Facts"}}]}]},
        [ev(kind="optin", detail="notification_messages", page_id=C_PAGE2, psid=C_USER,
            ts=utc(C_TS))],
        [contact(page_id=C_PAGE2, psid=C_USER, channel="organic", first_seen_at=utc(C_TS))],
    ),
    # handlers/meta/testdata/fba/notification_messages_optout.json
    "courier/notification_messages_optout": (
        {"object": "page", "entry": [{"id": C_PAGE2, "time": C_TS, "messaging": [{
            "recipient": {"id": C_PAGE2}, "timestamp": C_TS, "sender": {"id": C_USER},
            "optin": {"type": "notification_messages", "payload": "3456",
                      "notification_messages_token": "12345678901234567890",
                      "notification_messages_frequency": "DAILY",
                      "token_expiry_timestamp": 2145916800000,
                      "user_token_status": "NOT_REFRESHED",
                      "notification_messages_status": "STOP_NOTIFICATIONS",
                      "title": "Bird Facts"}}]}]},
        [ev(kind="optin", detail="notification_messages", page_id=C_PAGE2, psid=C_USER,
            ts=utc(C_TS))],
        [contact(page_id=C_PAGE2, psid=C_USER, channel="organic", first_seen_at=utc(C_TS))],
    ),
    # handlers/meta/testdata/fba/unknown_messaging_entry.json: an item with no known key
    "courier/unknown_messaging_entry": (
        {"object": "page", "entry": [{"id": C_PAGE, "messaging": [{
            "recipient": {"id": C_PAGE}, "sender": {"id": C_USER}, "timestamp": C_TS}]}]},
        [ev(kind="other", detail="?", page_id=C_PAGE, psid=C_USER, ts=utc(C_TS))],
        [],
    ),
}

# ---------------------------------------------------------------------------------------------
# Yoctol/bottender packages/bottender/src/messenger/__tests__/MessengerEvent.spec.ts: bare
# items (keys back in snake_case), each in an entry of its recipient page's id; its delivery,
# read and handover items have sender = page, recipient = person.
B_PAGE, B_USER = "404217156637689", "1423587017700273"
B2_PAGE, B2_USER = "707356222221168", "1476077422222289"
B_TEXT_MID = "mid.$cAAE1UUyiiwthh0NPrVbVf4HFNDGl"

BOTTENDER: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # textMessage
    "bottender/text": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491796363181, "message": {
                           "mid": B_TEXT_MID, "seq": 348847,
                           "text": "Sharp tools make good work."}}, time=1491796363181),
        [ev(kind="message", page_id=B_PAGE, psid=B_USER, ts=utc(1491796363181), mid=B_TEXT_MID,
            text_length=27)],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491796363181),
                 first_message_at=utc(1491796363181), message_count=1)],
    ),
    # quickReplyMessage
    "bottender/quick_reply": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491798262319, "message": {
                           "quick_reply": {"payload": "DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED"},
                           "mid": "mid.$cAAE1UUyiiwthh2BKL1bVhsBhVxvm", "seq": 348865,
                           "text": "Red"}}, time=1491798262319),
        [ev(kind="message", page_id=B_PAGE, psid=B_USER, ts=utc(1491798262319),
            mid="mid.$cAAE1UUyiiwthh2BKL1bVhsBhVxvm", text_length=3,
            quick_reply_payload="DEVELOPER_DEFINED_PAYLOAD_FOR_PICKING_RED")],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491798262319),
                 first_message_at=utc(1491798262319), message_count=1)],
    ),
    # fallbackMessage: a fallback attachment whose payload is null
    "bottender/fallback": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491797604411, "message": {
                           "mid": "mid.$cAAE1UUyiiwthh1ZAO1bVhDxGk2N0", "seq": 348855,
                           "attachments": [{"type": "fallback", "payload": None,
                                            "title": "TITLE_OF_THE_URL_ATTACHMENT",
                                            "URL": "URL_OF_THE_ATTACHMENT"}]}},
              time=1491797604411),
        [ev(kind="message", page_id=B_PAGE, psid=B_USER, ts=utc(1491797604411),
            mid="mid.$cAAE1UUyiiwthh1ZAO1bVhDxGk2N0", attachment_types=["fallback"])],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491797604411),
                 first_message_at=utc(1491797604411), message_count=1)],
    ),
    # echoMessage (sender = page)
    "bottender/echo": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1491798024994, "message": {
                           "is_echo": True, "app_id": 205552219930699,
                           "mid": "mid.$cAAE1UUyiiwthh1yrIlbVhdisQW8M", "seq": 348859,
                           "text": "Difficult the first time, easy the second."}},
              time=1491798024994),
        [ev(kind="message_echo", page_id=B_PAGE, psid=B_USER, ts=utc(1491798024994),
            mid="mid.$cAAE1UUyiiwthh1yrIlbVhdisQW8M", text_length=42,
            app_id="205552219930699")],
        [],
    ),
    # delivery: no timestamp of its own, dated by its entry
    "bottender/delivery": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "delivery": {"mids": ["mid.1458668856218:ed81099e15d3f4f233"],
                                    "watermark": 1458668856253, "seq": 37}},
              time=1458668856300),
        [ev(kind="delivery", page_id=B_PAGE, psid=B_USER, ts=utc(1458668856300),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # read
    "bottender/read": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1458668856463,
                       "read": {"watermark": 1458668856253, "seq": 38}}, time=1458668856463),
        [ev(kind="read", page_id=B_PAGE, psid=B_USER, ts=utc(1458668856463),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # postback without referral
    "bottender/postback": (
        entry(B_PAGE, {"recipient": {"id": B_PAGE}, "timestamp": 1491798782090,
                       "sender": {"id": B_USER}, "postback": {"payload": "USER_DEFINED_PAYLOAD"}},
              time=1491798782090),
        [ev(kind="postback", page_id=B_PAGE, psid=B_USER, ts=utc(1491798782090),
            postback_payload="USER_DEFINED_PAYLOAD")],
        [contact(page_id=B_PAGE, psid=B_USER, channel="organic", first_seen_at=utc(1491798782090),
                 postback_count=1)],
    ),
    # optin: a Send to Messenger data-ref, its timestamp in seconds (1234567890)
    "bottender/optin": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "timestamp": 1234567890, "optin": {"ref": "PASS_THROUGH_PARAM"}},
              time=1234567890000),
        [ev(kind="optin", page_id="PAGE_ID", psid="USER_ID", ts=s(1234567890), channel="other",
            ref="PASS_THROUGH_PARAM")],
        [contact(page_id="PAGE_ID", psid="USER_ID", channel="other", ref="PASS_THROUGH_PARAM",
                 first_seen_at=s(1234567890), first_touch_at=s(1234567890))],
    ),
    # gamePlay: a kind refscope does not read
    "bottender/game_play": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "timestamp": 1469111400000, "game_play": {
                              "game_id": "GAME_ID", "player_id": "PLAYER_ID",
                              "context_type": "SOLO", "context_id": "CONTEXT_ID", "score": 99,
                              "payload": '{"some_key":"SOME_VALUE"}'}}, time=1469111400000),
        [ev(kind="other", detail="game_play", page_id="PAGE_ID", psid="USER_ID",
            ts=utc(1469111400000))],
        [],
    ),
    # payment
    "bottender/payment": (
        entry("PAGE_ID", {"recipient": {"id": "PAGE_ID"}, "timestamp": 1473208792799,
                          "sender": {"id": "USER_ID"}, "payment": {
                              "payload": "DEVELOPER_DEFINED_PAYLOAD",
                              "requested_user_info": {"shipping_address": {},
                                                      "contact_name": "Peter Chang"},
                              "amount": {"currency": "USD", "amount": "29.62"},
                              "shipping_option_id": "123"}}, time=1473208792799),
        [ev(kind="other", detail="payment", page_id="PAGE_ID", psid="USER_ID",
            ts=utc(1473208792799))],
        [],
    ),
    # policyEnforcement: the old hyphenated key, addressed to the page alone
    "bottender/policy_enforcement": (
        entry(B_PAGE, {"recipient": {"id": B_PAGE}, "timestamp": 1458692752478,
                       "policy-enforcement": {"action": "block",
                                              "reason": "The bot violated our Platform Policies"}},
              time=1458692752478),
        [ev(kind="other", detail="policy-enforcement", page_id=B_PAGE, ts=utc(1458692752478))],
        [],
    ),
    # appRoles: addressed to the page alone
    "bottender/app_roles": (
        entry(B_PAGE, {"recipient": {"id": B_PAGE}, "timestamp": 1458692752478,
                       "app_roles": {"123456789": ["automation"]}}, time=1458692752478),
        [ev(kind="handover", detail="app_roles", page_id=B_PAGE, ts=utc(1458692752478))],
        [],
    ),
    # passThreadControl
    "bottender/pass_thread_control": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1458692752478, "pass_thread_control": {
                           "new_owner_app_id": "123456789",
                           "metadata": "additional content that the caller wants to set"}},
              time=1458692752478),
        [ev(kind="handover", detail="pass_thread_control", page_id=B_PAGE, psid=B_USER,
            ts=utc(1458692752478))],
        [],
    ),
    # requestThreadControlFromInbox (the Page Inbox's app id)
    "bottender/request_thread_control": (
        entry(B_PAGE, {"sender": {"id": B_PAGE}, "recipient": {"id": B_USER},
                       "timestamp": 1458692752478, "request_thread_control": {
                           "requested_owner_app_id": 263902037430900,
                           "metadata": "additional content that the caller wants to set"}},
              time=1458692752478),
        [ev(kind="handover", detail="request_thread_control", page_id=B_PAGE, psid=B_USER,
            ts=utc(1458692752478))],
        [],
    ),
    # textMessageFromCustomerChatPlugin: the plugin's tag, the only trace of the widget
    "bottender/chat_plugin_tag": (
        entry(B_PAGE, {"sender": {"id": B_USER}, "recipient": {"id": B_PAGE},
                       "timestamp": 1491796363181, "message": {
                           "mid": B_TEXT_MID, "seq": 348847,
                           "text": "Sharp tools make good work.",
                           "tags": [{"source": "customer_chat_plugin"}]}}, time=1491796363181),
        [ev(kind="message", detail="chat_plugin_tag", page_id=B_PAGE, psid=B_USER,
            ts=utc(1491796363181), channel="chat_widget", mid=B_TEXT_MID, text_length=27)],
        [contact(page_id=B_PAGE, psid=B_USER, channel="chat_widget",
                 first_seen_at=utc(1491796363181), first_touch_at=utc(1491796363181),
                 first_message_at=utc(1491796363181), message_count=1)],
    ),
    # linkReferral: an existing thread re-entered from an m.me link
    "bottender/link_referral": (
        entry("701111199441168", {"recipient": {"id": "701111199441168"},
                                  "timestamp": 1511111143921, "sender": {"id": "1476077111119289"},
                                  "referral": {"ref": "aaaa", "source": "SHORTLINK",
                                               "type": "OPEN_THREAD"}}, time=1511111143921),
        [ev(kind="referral", page_id="701111199441168", psid="1476077111119289",
            ts=utc(1511111143921), channel="m_me_link", ref="aaaa", source="SHORTLINK")],
        [contact(page_id="701111199441168", psid="1476077111119289", channel="m_me_link",
                 ref="aaaa", source="SHORTLINK", first_seen_at=utc(1511111143921),
                 first_touch_at=utc(1511111143921))],
    ),
    # postbackReferral: Get Started from an m.me link
    "bottender/postback_referral": (
        entry(B2_PAGE, {"recipient": {"id": B2_PAGE}, "timestamp": 1522222894827,
                        "sender": {"id": B2_USER}, "postback": {
                            "payload": "__GET_STARTED__",
                            "referral": {"source": "SHORTLINK", "type": "OPEN_THREAD",
                                         "ref": "aaaa"},
                            "title": "Get Started"}}, time=1522222894827),
        [ev(kind="postback", page_id=B2_PAGE, psid=B2_USER, ts=utc(1522222894827),
            channel="m_me_link", ref="aaaa", source="SHORTLINK",
            postback_payload="__GET_STARTED__")],
        [contact(page_id=B2_PAGE, psid=B2_USER, channel="m_me_link", ref="aaaa",
                 source="SHORTLINK", first_seen_at=utc(1522222894827),
                 first_touch_at=utc(1522222894827), postback_count=1)],
    ),
    # customerChatPluginReferral (2017: a PSID sender, the page as origin_domain)
    "bottender/chat_plugin_referral": (
        entry("693344444818699", {"recipient": {"id": "693344444818699"},
                                  "timestamp": 1512552044444, "sender": {"id": "1242684444404904"},
                                  "referral": {"ref": "bbbb", "source": "CUSTOMER_CHAT_PLUGIN",
                                               "type": "OPEN_THREAD",
                                               "origin_domain": "https://test.domain.tw/"}},
              time=1512552044444),
        [ev(kind="referral", page_id="693344444818699", psid="1242684444404904",
            ts=utc(1512552044444), channel="chat_widget", ref="bbbb",
            source="CUSTOMER_CHAT_PLUGIN")],
        [contact(page_id="693344444818699", psid="1242684444404904", channel="chat_widget",
                 ref="bbbb", source="CUSTOMER_CHAT_PLUGIN", first_seen_at=utc(1512552044444),
                 first_touch_at=utc(1512552044444))],
    ),
    # brandedCamera, accountLinkingLinked: kinds refscope does not read
    "bottender/branded_camera": (
        entry(B2_PAGE, {"sender": {"id": B2_USER}, "recipient": {"id": B2_PAGE},
                        "timestamp": 1469111400000, "branded_camera": {
                            "content_ids": ["<CAMERA-EFFECT-ID>", "<CAMERA-EFFECT-ID>"],
                            "event": "dismiss"}}, time=1469111400000),
        [ev(kind="other", detail="branded_camera", page_id=B2_PAGE, psid=B2_USER,
            ts=utc(1469111400000))],
        [],
    ),
    "bottender/account_linking": (
        entry(B2_PAGE, {"sender": {"id": B2_USER}, "recipient": {"id": B2_PAGE},
                        "timestamp": 1469111400000, "account_linking": {
                            "status": "linked",
                            "authorization_code": "PASS_THROUGH_AUTHORIZATION_CODE"}},
              time=1469111400000),
        [ev(kind="other", detail="account_linking", page_id=B2_PAGE, psid=B2_USER,
            ts=utc(1469111400000))],
        [],
    ),
    # reactionReact: a reaction is the person's own act
    "bottender/reaction": (
        entry(B2_PAGE, {"sender": {"id": B2_USER}, "recipient": {"id": B2_PAGE},
                        "timestamp": 1469111400000, "reaction": {
                            "reaction": "smile", "emoji": "\u2764\ufe0f", "action": "react",
                            "mid": B_TEXT_MID}}, time=1469111400000),
        [ev(kind="reaction", detail="react", page_id=B2_PAGE, psid=B2_USER,
            ts=utc(1469111400000), mid=B_TEXT_MID)],
        [contact(page_id=B2_PAGE, psid=B2_USER, channel="organic",
                 first_seen_at=utc(1469111400000))],
    ),
    # packages/bottender/src/messenger/__tests__/MessengerConnector.spec.ts: echoRequest,
    # instants written as floats (1492414608982.0)
    "bottender/connector_echo": (
        {"object": "page", "entry": [{"id": "1134713619900975", "time": 1492414608999.0,
                                      "messaging": [{
            "sender": {"id": "1134713619900975"}, "recipient": {"id": "1244813222196986"},
            "timestamp": 1492414608982.0, "message": {
                "is_echo": True, "app_id": 1821152484774199,
                "mid": "mid.$cAARS90328R5hrBz-Vlbete17ftIb", "seq": 661428, "text": "text"}}]}]},
        [ev(kind="message_echo", page_id="1134713619900975", psid="1244813222196986",
            ts=utc(1492414608982), mid="mid.$cAARS90328R5hrBz-Vlbete17ftIb", text_length=4,
            app_id="1821152484774199")],
        [],
    ),
    # MessengerConnector.spec.ts batchRequest: two entries, the second of another page id
    "bottender/connector_batch": (
        {"object": "page", "entry": [
            {"id": "1895382890692545", "time": 1486464322257, "messaging": [{
                "sender": {"id": "1412611362105802"}, "recipient": {"id": "1895382890692545"},
                "timestamp": 1486464322190, "message": {
                    "mid": "mid.1486464322190:cb04e5a654", "seq": 339979, "text": "test 1"}}]},
            {"id": "189538289069256", "time": 1486464322257, "messaging": [{
                "sender": {"id": "1412611362105802"}, "recipient": {"id": "1895382890692545"},
                "timestamp": 1486464322190, "message": {
                    "mid": "mid.1486464322190:cb04e5a656", "seq": 339979,
                    "text": "test 2"}}]}]},
        [ev(kind="message", page_id="1895382890692545", psid="1412611362105802",
            ts=utc(1486464322190), mid="mid.1486464322190:cb04e5a654", text_length=6),
         ev(kind="message", page_id="189538289069256", psid="1412611362105802",
            ts=utc(1486464322190), mid="mid.1486464322190:cb04e5a656", text_length=6)],
        [contact(page_id="1895382890692545", psid="1412611362105802", channel="organic",
                 first_seen_at=utc(1486464322190), first_message_at=utc(1486464322190),
                 message_count=1),
         contact(page_id="189538289069256", psid="1412611362105802", channel="organic",
                 first_seen_at=utc(1486464322190), first_message_at=utc(1486464322190),
                 message_count=1)],
    ),
    # MessengerConnector.spec.ts standbyRequest: a standby item with nothing but its ends
    "bottender/connector_standby": (
        {"object": "page", "entry": [{"id": "<PAGE_ID>", "time": 1458692752478, "standby": [{
            "sender": {"id": "<USER_ID>"}, "recipient": {"id": "<PAGE_ID>"}}]}]},
        [ev(kind="other", detail="?", page_id="<PAGE_ID>", psid="<USER_ID>",
            ts=utc(1458692752478), is_standby=True)],
        [],
    ),
}

# ---------------------------------------------------------------------------------------------
# Page feed changes: Yoctol/bottender packages/bottender-facebook/src/__tests__/
# FacebookEvent.spec.ts (keys back in snake_case) and jgorset/facebook-messenger
# spec/facebook/messenger/incoming/feed_spec.rb, each in an entry of the page its post_id
# names, `time` in seconds. A commenter's from.id is kept as commenter_id, never as a PSID.
F_PAGE, F_FROM = "137542570280222", "139560936744123"
F_POST = "137542570280222_139560936744456"

FEED: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # statusAdd: a post, not a comment
    "bottender-facebook/status_add": (
        feed(F_PAGE, {"from": {"id": F_FROM, "name": "user"}, "item": "status",
                      "post_id": "137542570280222_139610053406744", "verb": "add",
                      "published": 1, "created_time": 1511949030, "message": "test"}),
        [ev(kind="other", detail="feed.status", page_id=F_PAGE, ts=s(1511949030),
            text_length=4, post_id="137542570280222_139610053406744", commenter_id=F_FROM)],
        [],
    ),
    # postRemove
    "bottender-facebook/post_remove": (
        feed(F_PAGE, {"recipient_id": F_PAGE, "from": {"id": F_FROM}, "item": "post",
                      "post_id": "137542570280222_139610053406744", "verb": "remove",
                      "created_time": 1511949068}),
        [ev(kind="other", detail="feed.post", page_id=F_PAGE, ts=s(1511949068),
            post_id="137542570280222_139610053406744", commenter_id=F_FROM)],
        [],
    ),
    # commentAdd: a reply to a comment (parent_id is a comment)
    "bottender-facebook/comment_add": (
        feed(F_PAGE, {"from": {"id": F_FROM, "name": "user"}, "item": "comment",
                      "comment_id": "139560936744456_139620233405726", "post_id": F_POST,
                      "verb": "add", "parent_id": "139560936744456_139562213411528",
                      "created_time": 1511951015, "message": "Good"}),
        [ev(kind="comment", detail="add", page_id=F_PAGE, ts=s(1511951015), text_length=4,
            post_id=F_POST, comment_id="139560936744456_139620233405726", commenter_id=F_FROM)],
        [],
    ),
    # commentEdited
    "bottender-facebook/comment_edited": (
        feed(F_PAGE, {"from": {"id": F_FROM, "name": "user"}, "item": "comment",
                      "comment_id": "139560936744456_139597043408045", "post_id": F_POST,
                      "verb": "edited", "parent_id": F_POST, "created_time": 1511948891,
                      "message": "Great"}),
        [ev(kind="comment", detail="edited", page_id=F_PAGE, ts=s(1511948891), text_length=5,
            post_id=F_POST, comment_id="139560936744456_139597043408045", commenter_id=F_FROM)],
        [],
    ),
    # commentRemove: no message
    "bottender-facebook/comment_remove": (
        feed(F_PAGE, {"from": {"id": F_FROM}, "parent_id": F_POST,
                      "comment_id": "139560936744456_139597043408045", "post_id": F_POST,
                      "verb": "remove", "item": "comment", "created_time": 1511948944}),
        [ev(kind="comment", detail="remove", page_id=F_PAGE, ts=s(1511948944), post_id=F_POST,
            comment_id="139560936744456_139597043408045", commenter_id=F_FROM)],
        [],
    ),
    # reactionAdd: a reaction to a comment
    "bottender-facebook/reaction_add": (
        feed(F_PAGE, {"reaction_type": "like", "from": {"id": F_FROM},
                      "parent_id": "139560936744456_139597043408045",
                      "comment_id": "139560936744456_139597090074707", "post_id": F_POST,
                      "verb": "add", "item": "reaction", "created_time": 1511948636}),
        [ev(kind="other", detail="feed.reaction", page_id=F_PAGE, ts=s(1511948636),
            post_id=F_POST, comment_id="139560936744456_139597090074707", commenter_id=F_FROM)],
        [],
    ),
    # sentByPage: the page's own public reply keeps the page id as its commenter
    "bottender-facebook/sent_by_page": (
        feed("137542570280111", {"from": {"id": "137542570280111", "name": "Bottender"},
                                 "item": "comment",
                                 "comment_id": "139560936755999_140077616693321",
                                 "post_id": "137542570280111_139560936755999", "verb": "add",
                                 "parent_id": "139560936755999_140077593359990",
                                 "created_time": 1512121727, "message": "Public reply!"}),
        [ev(kind="comment", detail="add", page_id="137542570280111", ts=s(1512121727),
            text_length=13, post_id="137542570280111_139560936755999",
            comment_id="139560936755999_140077616693321", commenter_id="137542570280111")],
        [],
    ),
    # videoCommentAdd: a top-level comment with its post object
    "bottender-facebook/video_comment_add": (
        feed(F_PAGE, {"from": {"id": "1440971912666228", "name": "Hsuan-Yih Shawn Chu"},
                      "item": "comment", "comment_id": "139560936755999_140077616693321",
                      "post_id": F_POST, "verb": "add", "parent_id": F_POST,
                      "created_time": 1545829217,
                      "post": {"type": "video", "updated_time": "2018-12-26T13:00:17+0000",
                               "promotion_status": "inactive",
                               "permalink_url": "https://www.facebook.com/xxx/posts/1111",
                               "id": F_POST, "status_type": "added_video",
                               "is_published": True},
                      "message": "100"}),
        [ev(kind="comment", detail="add", page_id=F_PAGE, ts=s(1545829217), text_length=3,
            post_id=F_POST, comment_id="139560936755999_140077616693321",
            commenter_id="1440971912666228")],
        [],
    ),
    # jgorset/facebook-messenger spec/facebook/messenger/incoming/feed_spec.rb
    "facebook-messenger/feed_status": (
        feed("100518329516574", {"from": {"id": "100518329516574", "name": "Vit Service"},
                                 "message": "post 8",
                                 "post_id": "100518329516574_194260390126069",
                                 "created_time": 1682963527, "item": "status", "published": 1,
                                 "verb": "add"}),
        [ev(kind="other", detail="feed.status", page_id="100518329516574", ts=s(1682963527),
            text_length=6, post_id="100518329516574_194260390126069",
            commenter_id="100518329516574")],
        [],
    ),
}

# ---------------------------------------------------------------------------------------------
# microsoft/botbuilder-dotnet tests/Adapters/Microsoft.Bot.Builder.Adapters.Facebook.Tests/
# Files/*.json and jgorset/facebook-messenger spec/facebook/messenger/incoming/*_spec.rb use one
# placeholder id for the page and the person ("0", "fakeId", "3") and botbuilder's messages are
# dated 1970 (2222222): ids are replaced by a page and a PSID as Meta sends them (sender = the
# person, recipient = the page; an echo the other way), instants kept where believable.
M_PAGE, M_USER, M_TS = "1134713619900975", "1244813222196986", 1572630578783

OTHERS: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # botbuilder Files/PayloadWithStandby.json: standby items without a timestamp of their
    # own, beside a messaging message (ids and its instant replaced)
    "botbuilder/PayloadWithStandby": (
        {"object": "page", "entry": [{"id": M_PAGE, "time": 1458692752478,
            "standby": [{"sender": {"id": "user1"}, "recipient": {"id": M_PAGE}},
                        {"sender": {"id": "user2"}, "recipient": {"id": M_PAGE}}],
            "messaging": [{"sender": {"id": M_USER}, "recipient": {"id": M_PAGE},
                           "timestamp": 1458692752478,
                           "message": {"mid": "AAAA-BBBB-CCCC", "text": "text"}}]}]},
        [ev(kind="message", page_id=M_PAGE, psid=M_USER, ts=utc(1458692752478),
            mid="AAAA-BBBB-CCCC", text_length=4),
         ev(kind="other", detail="?", page_id=M_PAGE, psid="user1", ts=utc(1458692752478),
            is_standby=True),
         ev(kind="other", detail="?", page_id=M_PAGE, psid="user2", ts=utc(1458692752478),
            is_standby=True)],
        [contact(page_id=M_PAGE, psid=M_USER, channel="organic",
                 first_seen_at=utc(1458692752478), first_message_at=utc(1458692752478),
                 message_count=1)],
    ),
    # botbuilder Files/PayloadWithPostBack.json (ids and instant replaced)
    "botbuilder/PayloadWithPostBack": (
        entry(M_PAGE, {"sender": {"id": M_USER}, "recipient": {"id": M_PAGE}, "timestamp": M_TS,
                       "postback": {"mid": "m_1457764197618:41d102a3e1ae206a38", "title": "title",
                                    "payload": "USER_DEFINED_PAYLOAD",
                                    "referral": {"ref": "USER_DEFINED_REFERRAL_PARAM",
                                                 "source": "SHORTLINK", "type": "OPEN_THREAD"}}},
              time=M_TS),
        [ev(kind="postback", page_id=M_PAGE, psid=M_USER, ts=utc(M_TS), channel="m_me_link",
            ref="USER_DEFINED_REFERRAL_PARAM", source="SHORTLINK",
            mid="m_1457764197618:41d102a3e1ae206a38", postback_payload="USER_DEFINED_PAYLOAD")],
        [contact(page_id=M_PAGE, psid=M_USER, channel="m_me_link",
                 ref="USER_DEFINED_REFERRAL_PARAM", source="SHORTLINK", first_seen_at=utc(M_TS),
                 first_touch_at=utc(M_TS), postback_count=1)],
    ),
    # botbuilder Files/PayloadWithTakeThreadControl.json (ids replaced)
    "botbuilder/PayloadWithTakeThreadControl": (
        entry(M_PAGE, {"recipient": {"id": M_PAGE}, "timestamp": 1572630386105,
                       "sender": {"id": M_USER}, "take_thread_control": {
                           "previous_owner_app_id": 1234567890,
                           "metadata": "Take thread control from a secondary receiver"}},
              time=1572630386105),
        [ev(kind="handover", detail="take_thread_control", page_id=M_PAGE, psid=M_USER,
            ts=utc(1572630386105))],
        [],
    ),
    # jgorset message_echo_spec.rb `payload` (ids replaced): an app_id past 2^53
    "facebook-messenger/message_echo": (
        entry(M_PAGE, {"sender": {"id": M_PAGE}, "recipient": {"id": M_USER},
                       "timestamp": 1457764197627, "message": {
                           "is_echo": True, "app_id": 184719329217930000,
                           "mid": "mid.1457764197618:41d102a3e1ae206a38", "seq": 73,
                           "text": "Hello, bot!",
                           "quick_reply": {"payload": "Hi, I am a quick reply!"},
                           "attachments": [{"type": "image", "payload": {
                               "url": "https://www.example.com/1.jpg"}}]}}, time=1457764197627),
        [ev(kind="message_echo", page_id=M_PAGE, psid=M_USER, ts=utc(1457764197627),
            mid="mid.1457764197618:41d102a3e1ae206a38", text_length=11,
            attachment_types=["image"], quick_reply_payload="Hi, I am a quick reply!",
            app_id="184719329217930000")],
        [],
    ),
    # jgorset delivery_spec.rb (ids replaced): two mids, no timestamp of its own
    "facebook-messenger/delivery": (
        entry(M_PAGE, {"sender": {"id": M_USER}, "recipient": {"id": M_PAGE}, "delivery": {
            "mids": ["mid.1457764197618:41d102a3e1ae206a38",
                     "mid.1458668856218:ed81099e15d3f4f233"],
            "watermark": 1458668856253, "seq": 37}}, time=1458668856300),
        [ev(kind="delivery", page_id=M_PAGE, psid=M_USER, ts=utc(1458668856300),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # jgorset optin_spec.rb (ids replaced): a Send to Messenger data-ref
    "facebook-messenger/optin": (
        entry(M_PAGE, {"sender": {"id": M_USER}, "recipient": {"id": M_PAGE},
                       "timestamp": 1457764197627, "optin": {"ref": "PASS_THROUGH_PARAM"}},
              time=1457764197627),
        [ev(kind="optin", page_id=M_PAGE, psid=M_USER, ts=utc(1457764197627), channel="other",
            ref="PASS_THROUGH_PARAM")],
        [contact(page_id=M_PAGE, psid=M_USER, channel="other", ref="PASS_THROUGH_PARAM",
                 first_seen_at=utc(1457764197627), first_touch_at=utc(1457764197627))],
    ),
}

# messenger4j/messenger4j src/test/java/com/github/messenger4j/test/integration/WebhookTest.java
# (Meta's documented samples of its time, placeholders kept)
MESSENGER4J: dict[str, tuple[Json, list[Json], list[Json]]] = {
    # shouldHandleMessengerCodeReferralEvent: the dead parametric code is a QR code
    "messenger4j/messenger_code_referral": (
        entry("<PAGE_ID>", {"sender": {"id": "<USER_ID>"}, "recipient": {"id": "<PAGE_ID>"},
                            "timestamp": 1458692752478, "referral": {
                                "ref": "<REF DATA PASSED IN CODE>", "source": "MESSENGER_CODE",
                                "type": "OPEN_THREAD"}}, time=1458692752478),
        [ev(kind="referral", page_id="<PAGE_ID>", psid="<USER_ID>", ts=utc(1458692752478),
            channel="qr_code", ref="<REF DATA PASSED IN CODE>", source="MESSENGER_CODE")],
        [contact(page_id="<PAGE_ID>", psid="<USER_ID>", channel="qr_code",
                 ref="<REF DATA PASSED IN CODE>", source="MESSENGER_CODE",
                 first_seen_at=utc(1458692752478), first_touch_at=utc(1458692752478))],
    ),
    # shouldHandleDiscoverTabReferralEvent: no ref; a source refscope has no channel for
    "messenger4j/discover_tab_referral": (
        entry("<PAGE_ID>", {"sender": {"id": "<USER_ID>"}, "recipient": {"id": "<PAGE_ID>"},
                            "timestamp": 1458692752478, "referral": {
                                "source": "DISCOVER_TAB", "type": "OPEN_THREAD"}},
              time=1458692752478),
        [ev(kind="referral", page_id="<PAGE_ID>", psid="<USER_ID>", ts=utc(1458692752478),
            channel="other", source="DISCOVER_TAB")],
        [contact(page_id="<PAGE_ID>", psid="<USER_ID>", channel="other", source="DISCOVER_TAB",
                 first_seen_at=utc(1458692752478), first_touch_at=utc(1458692752478))],
    ),
    # shouldHandleMessageDeliveredEventWithoutMids: no mids, no timestamp of its own
    "messenger4j/delivery_without_mids": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "delivery": {"watermark": 1458668856253}}, time=1458692752478),
        [ev(kind="delivery", page_id="PAGE_ID", psid="USER_ID", ts=utc(1458692752478),
            watermark_at=utc(1458668856253))],
        [],
    ),
    # shouldHandleEventTypeThatIsUnsupported
    "messenger4j/unsupported_event_type": (
        entry("PAGE_ID", {"sender": {"id": "USER_ID"}, "recipient": {"id": "PAGE_ID"},
                          "timestamp": 1458692752478, "EVENT_TYPE_THAT_IS_UNSUPPORTED": {
                              "mid": "mid.1457764197618:41d102a3e1ae206a38"}},
              time=1458692752478),
        [ev(kind="other", detail="EVENT_TYPE_THAT_IS_UNSUPPORTED", page_id="PAGE_ID",
            psid="USER_ID", ts=utc(1458692752478))],
        [],
    ),
}

# fmt: on

SINGLE = COURIER | BOTTENDER | FEED | OTHERS | MESSENGER4J


def _ingest(tmp: Path, lines: list[Any]) -> Query:
    db_file = tmp / "refscope.duckdb"
    log = f.write_ndjson(tmp / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_file)
    return Query(db_file)


def _events(query: Query) -> list[Json]:
    return query.dicts(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY ts, kind, psid")


def _contacts(query: Query) -> list[Json]:
    return query.dicts(f"SELECT {', '.join(CONTACT_COLUMNS)} FROM contacts ORDER BY page_id")


def _touches(query: Query) -> list[Json]:
    return query.dicts(f"SELECT {', '.join(TOUCH_COLUMNS)} FROM touches ORDER BY ts, via")


@pytest.mark.parametrize("name", list(SINGLE))
def test_a_public_fixture_is_stored_as_meta_means_it(tmp_path: Path, name: str) -> None:
    body, events, contacts = SINGLE[name]
    query = _ingest(tmp_path, [body])
    assert query("SELECT reason FROM rejects") == []
    assert _events(query) == events
    assert _contacts(query) == contacts
    # Every contact with an entry point has exactly one acquiring touch.
    firsts = query("SELECT page_id, psid, channel FROM touches WHERE is_first ORDER BY page_id")
    assert firsts == [
        (c["page_id"], c["psid"], c["channel"]) for c in contacts if c["channel"] != "organic"
    ]


# ---------------------------------------------------------------------------------------------
# Realistic sequences made of the fixtures above, one person each, with what attribution must
# give (README "Attribution").
S_PAGE = "1134713619900975"
DAY = 86_400_000


def _msg(psid: str, ts: int, mid: str, **extra: Any) -> Json:
    # bottender textMessage's shape
    return entry(
        S_PAGE,
        {
            "sender": {"id": psid},
            "recipient": {"id": S_PAGE},
            "timestamp": ts,
            "message": {"mid": mid, "seq": 348847, "text": "hi"} | extra,
        },
        time=ts,
    )


def _ref(psid: str, ts: int, referral: Json, sender: str = "id") -> Json:
    # bottender linkReferral's shape
    return entry(
        S_PAGE,
        {
            "recipient": {"id": S_PAGE},
            "timestamp": ts,
            "sender": {sender: psid},
            "referral": referral,
        },
        time=ts,
    )


T = 1522222894827  # bottender postbackReferral's instant
# fmt: off
SEQUENCES: dict[str, tuple[list[Json], list[Json], list[Json]]] = {
    # Get Started from an m.me link (bottender postbackReferral), two messages, and a day later
    # the existing thread re-entered from another link (bottender linkReferral).
    "get_started_then_reentry": (
        [entry(S_PAGE, {"recipient": {"id": S_PAGE}, "timestamp": T, "sender": {"id": "gs"},
                        "postback": {"payload": "__GET_STARTED__", "title": "Get Started",
                                     "referral": {"source": "SHORTLINK", "type": "OPEN_THREAD",
                                                  "ref": "aaaa"}}}, time=T),
         _msg("gs", T + 4000, "m_gs_1"),
         _msg("gs", T + 60_000, "m_gs_2"),
         _ref("gs", T + DAY, {"ref": "flyer", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
         _msg("gs", T + DAY + 5000, "m_gs_3")],
        [touch(page_id=S_PAGE, psid="gs", ts=utc(T), via="postback", channel="m_me_link",
               ref="aaaa", source="SHORTLINK", is_first=True),
         touch(page_id=S_PAGE, psid="gs", ts=utc(T + DAY), via="referral", channel="m_me_link",
               ref="flyer", source="SHORTLINK", is_reentry=True)],
        [contact(page_id=S_PAGE, psid="gs", channel="m_me_link", ref="aaaa", source="SHORTLINK",
                 first_seen_at=utc(T), first_touch_at=utc(T), first_message_at=utc(T + 4000),
                 message_count=3, postback_count=1, reentry_count=1)],
    ),
    # An organic thread, re-entered later from a link: still organic, one re-entry.
    "organic_then_link": (
        [_msg("org", T, "m_org_1"),
         _ref("org", T + DAY, {"ref": "aaaa", "source": "SHORTLINK", "type": "OPEN_THREAD"})],
        [touch(page_id=S_PAGE, psid="org", ts=utc(T + DAY), via="referral", channel="m_me_link",
               ref="aaaa", source="SHORTLINK", is_reentry=True)],
        [contact(page_id=S_PAGE, psid="org", channel="organic", first_seen_at=utc(T),
                 first_message_at=utc(T), message_count=1, reentry_count=1)],
    ),
    # A Click-to-Messenger ad's first message (message.referral, as in Meta's messages page).
    "ctm_ad_message": (
        [_msg("ctm", T, "m_ctm_1", referral={
            "ref": "spring", "ad_id": "6045246247433", "source": "ADS", "type": "OPEN_THREAD",
            "ads_context_data": {"ad_title": "Spring sale", "photo_url": "https://x/a.jpg",
                                 "post_id": "1134713619900975_77"}}),
         _msg("ctm", T + 30_000, "m_ctm_2")],
        [touch(page_id=S_PAGE, psid="ctm", ts=utc(T), via="message", channel="ctm_ad",
               ref="spring", source="ADS", is_first=True)],
        [contact(page_id=S_PAGE, psid="ctm", channel="ctm_ad", ref="spring", source="ADS",
                 ad_id="6045246247433", first_seen_at=utc(T), first_touch_at=utc(T),
                 first_message_at=utc(T), message_count=2)],
    ),
    # courier referral_seconds.json's referral (in seconds), then a message later within the
    # same second (in milliseconds): the referral came first and acquires the contact.
    "referral_seconds_then_message": (
        [_ref("sec", 1701599111, {"ref": "referral id", "source": "SHORTLINK",
                                  "type": "OPEN_THREAD"}),
         _msg("sec", 1701599111500, "m_sec_1")],
        [touch(page_id=S_PAGE, psid="sec", ts=s(1701599111), via="referral",
               channel="m_me_link", ref="referral id", source="SHORTLINK", is_first=True)],
        [contact(page_id=S_PAGE, psid="sec", channel="m_me_link", ref="referral id",
                 source="SHORTLINK", first_seen_at=s(1701599111), first_touch_at=s(1701599111),
                 first_message_at=utc(1701599111500), message_count=1)],
    ),
    # The chat plugin after v7.0: referral, message and the page's echo all by user_ref,
    # referer_uri and is_guest_user kept (Meta's messaging_referrals reference).
    "chat_plugin_user_ref": (
        [_ref("ur_7fa3", T, {"ref": "home", "source": "CUSTOMER_CHAT_PLUGIN",
                             "type": "OPEN_THREAD", "referer_uri": "https://shop.example/p?id=7",
                             "is_guest_user": True}, sender="user_ref"),
         entry(S_PAGE, {"sender": {"user_ref": "ur_7fa3"}, "recipient": {"id": S_PAGE},
                        "timestamp": T + 9000, "message": {"mid": "m_cp_1", "text": "hello"}},
               time=T + 9000),
         entry(S_PAGE, {"sender": {"id": S_PAGE}, "recipient": {"user_ref": "ur_7fa3"},
                        "timestamp": T + 20_000, "message": {
                            "is_echo": True, "app_id": 1821152484774199, "mid": "m_cp_echo",
                            "text": "Hi!"}}, time=T + 20_000)],
        [touch(page_id=S_PAGE, psid="ur_7fa3", ts=utc(T), via="referral", channel="chat_widget",
               ref="home", source="CUSTOMER_CHAT_PLUGIN", is_first=True)],
        [contact(page_id=S_PAGE, psid="ur_7fa3", is_user_ref=True, channel="chat_widget",
                 ref="home", source="CUSTOMER_CHAT_PLUGIN",
                 referer_uri="https://shop.example/p?id=7", is_guest_user=True,
                 first_seen_at=utc(T), first_touch_at=utc(T), first_message_at=utc(T + 9000),
                 message_count=1, page_message_count=1)],
    ),
    # A comment (bottender-facebook videoCommentAdd's shape), the page's private reply with the
    # comment id in its Send API metadata (its echo, bottender's echoRequest shape), then the
    # person's reply: comment_reply, and the commenter's id is never the contact.
    "private_reply_echo": (
        [feed(S_PAGE, {"from": {"id": "1440971912666228", "name": "Ann"}, "item": "comment",
                       "comment_id": "77_1001", "post_id": "1134713619900975_77",
                       "verb": "add", "parent_id": "1134713619900975_77",
                       "created_time": T // 1000, "message": "price?"}),
         entry(S_PAGE, {"sender": {"id": S_PAGE}, "recipient": {"id": "pr"},
                        "timestamp": T + 60_000, "message": {
                            "is_echo": True, "app_id": 1821152484774199,
                            "metadata": '{"comment_id": "77_1001"}', "mid": "m_pr_echo",
                            "text": "Hi Ann, here is the price"}}, time=T + 60_000),
         _msg("pr", T + 300_000, "m_pr_1")],
        [touch(page_id=S_PAGE, psid="pr", ts=utc(T + 60_000), via="message_echo",
               channel="comment_reply", is_first=True)],
        [contact(page_id=S_PAGE, psid="pr", channel="comment_reply", comment_id="77_1001",
                 first_seen_at=utc(T + 300_000), first_touch_at=utc(T + 60_000),
                 first_message_at=utc(T + 300_000), message_count=1, page_message_count=1)],
    ),
}

# fmt: on


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_a_sequence_of_public_fixtures_is_attributed_by_the_rule(tmp_path: Path, name: str) -> None:
    lines, touches, contacts = SEQUENCES[name]
    query = _ingest(tmp_path, lines)
    assert query("SELECT reason FROM rejects") == []
    assert _touches(query) == touches
    assert _contacts(query) == contacts
    # The same lines in reverse order (logs arriving out of order) give the same tables.
    again = _ingest(tmp_path / "reversed", lines[::-1])
    assert (_touches(again), _contacts(again)) == (touches, contacts)
