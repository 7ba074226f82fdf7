"""nyaruka/courier's Messenger fixtures as log lines, with the rows refscope must store."""

from __future__ import annotations

from tests.factories import utc
from tests.ingest.public_fixtures import Json, contact, ev, s

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

# fmt: on
