"""Parsing: every documented delivery shape becomes the right `events` row.

Each case goes through the real pipeline into a real DuckDB file. The captured payloads in
tests/data/webhooks/ follow Meta's documented samples (here); factories cover variations
(test_webhook_variants.py); event keys are pinned in test_webhook_keys.py:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import tests.factories as f
from tests.conftest import WEBHOOK_CASES, Query
from tests.factories import PAGE_ID, T0, utc
from tests.ingest.logs import _ingest_to

USER = "6512345678901234"
COMMENT_ID = "9988776655_1357924680"
POST_ID = "1122334455667788_9988776655"
TEXT_MID = (
    "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"
)

# case file → the columns its one event must have (PAGE_ID is checked for every case)
CASES: dict[str, dict[str, Any]] = {
    "message.text": {
        "kind": "message", "psid": USER, "is_user_ref": False, "is_standby": False,
        "ts": utc(1700000000123), "text": "Hello, do you have gluten-free bread?",
        "mid": TEXT_MID,
        "channel": None, "detail": None, "attachment_types": None,
    },
    "message.attachments": {
        "kind": "message", "psid": USER, "text": None, "mid": "m_attachments_1",
        "attachment_types": ["image", "sticker"],
    },
    "message.quick_reply": {
        "kind": "message", "text": "Sourdough", "quick_reply_payload": "BREAD_SOURDOUGH",
    },
    "message.ads_referral": {
        "kind": "message", "psid": "6512345678901235", "source": "ADS", "channel": "ctm_ad",
        "ad_id": "120208765432109876", "ad_title": "Spring croissant launch",
        "ref": "spring_croissant", "post_id": "1122334455667788_9988776655",
    },
    "message.standby": {"kind": "message", "psid": USER, "is_standby": True, "mid": "m_standby_1"},
    "message_echo.page_sender": {
        "kind": "message_echo", "psid": USER, "app_id": "1517776481860111",
        "is_standby": False, "comment_id": None, "channel": None, "ts": utc(1700000300123),
    },
    "message_echo.psid_sender": {
        "kind": "message_echo", "psid": USER, "mid": "m_echo_psid_sender_1",
    },
    "message_echo.standby": {
        "kind": "message_echo", "psid": USER, "is_standby": True, "app_id": "263902037430900",
    },
    "message_echo.private_reply": {
        "kind": "message_echo", "psid": "6512345678901236", "comment_id": COMMENT_ID,
        "channel": "comment_reply",
    },
    "postback.get_started": {
        "kind": "postback", "psid": "6512345678901237", "mid": None,
        "postback_payload": "GET_STARTED", "channel": None, "ref": None,
    },
    "postback.referral_shortlink": {
        "kind": "postback", "psid": "6512345678901238", "mid": "m_postback_referral_1",
        "ref": "bio_link", "source": "SHORTLINK", "channel": "m_me_link",
    },
    "referral.shortlink": {
        "kind": "referral", "ref": "qr_store12_window", "source": "SHORTLINK",
        "channel": "m_me_link", "ts": utc(1700000660123),
    },
    "referral.ads": {
        "kind": "referral", "ref": "coldbrew26", "source": "ADS", "channel": "ctm_ad",
        "ad_id": "120212345678901234", "ad_title": "Cold brew summer 2026",
        "post_id": "1122334455667788_5544332211",
    },
    "referral.chat_plugin": {
        "kind": "referral", "psid": "5f1c8a2e-chat-plugin-user", "is_user_ref": True,
        "source": "CUSTOMER_CHAT_PLUGIN", "channel": "chat_widget", "ref": "order_help",
        "referer_uri": "https://www.acmebakery.example/order", "is_guest_user": True,
    },
    "referral.seconds": {"kind": "referral", "ts": utc(1700000840000), "ref": "site_footer"},
    "optin.notification_messages": {
        # the doc sample's "TIMESTAMP" placeholder falls back to entry.time
        "kind": "optin", "detail": "notification_messages", "ts": utc(1700000900350),
        "ref": None, "channel": None,
    },
    "optin.one_time_notif_req": {"kind": "optin", "detail": "one_time_notif_req"},
    "optin.checkbox": {
        "kind": "optin", "psid": "checkbox-user-ref-8a7b6c", "is_user_ref": True,
        "ref": "checkout_checkbox", "detail": None, "source": None, "channel": "other",
    },
    "optin.send_to_messenger": {
        "kind": "optin", "psid": "6512345678901239", "is_user_ref": False,
        "ref": "receipt_button", "detail": None, "source": None, "channel": "other",
    },
    "optin.rn_shortlink": {
        "kind": "optin", "detail": "notification_messages", "ref": "newsletter_signup",
        "source": "SHORTLINK", "channel": "m_me_link",
    },
    "delivery.batched": {
        "kind": "delivery", "psid": USER, "watermark_at": utc(1700001199000), "channel": None,
    },
    "delivery.no_mids": {"kind": "delivery", "watermark_at": utc(1700001259000)},
    "read.watermark": {"kind": "read", "psid": USER, "watermark_at": utc(1700001319000)},
    "reaction.react": {"kind": "reaction", "detail": "react", "mid": "m_echo_page_sender_1"},
    "reaction.unreact": {"kind": "reaction", "detail": "unreact"},
    "handover.pass_thread_control": {"kind": "handover", "detail": "pass_thread_control"},
    "handover.take_thread_control": {"kind": "handover", "detail": "take_thread_control"},
    # A role change concerns the page's apps, not a user: no sender, no contact.
    "handover.app_roles": {"kind": "handover", "detail": "app_roles", "psid": None},
    "handover.request_thread_control": {
        "kind": "handover", "detail": "request_thread_control", "is_standby": True,
    },
    "comment.add": {
        "kind": "comment", "detail": "add", "psid": None, "commenter_id": "10158230000000001",
        "comment_id": COMMENT_ID, "post_id": POST_ID, "text": "Do you deliver on Sundays?",
        "ts": utc(1700001675000),
    },
    "comment.edited": {
        "kind": "comment", "detail": "edited", "psid": None, "commenter_id": "10158230000000001",
        "text": "Do you deliver on Sundays? And Mondays?",
    },
    "comment.remove": {
        "kind": "comment", "detail": "remove", "psid": None, "commenter_id": "10158230000000001",
        "text": None, "comment_id": COMMENT_ID,
    },
    "other.message_edit": {"kind": "other", "detail": "message_edit", "psid": USER},
    "private_reply.send_log": {
        "kind": "private_reply", "psid": "6512345678901240", "comment_id": COMMENT_ID,
        "mid": "m_private_reply_1", "channel": "comment_reply", "ts": utc(1700001920123),
    },
}  # fmt: skip
CASE_NAMES = list(CASES)


def _case(name: str) -> Any:
    return json.loads((WEBHOOK_CASES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases_db(tmp_path_factory: pytest.TempPathFactory) -> Query:
    """All captured cases, one line each in CASE_NAMES order, ingested once."""
    return _ingest_to(tmp_path_factory.mktemp("cases"), [_case(n) for n in CASE_NAMES])


def test_every_case_file_is_listed() -> None:
    assert sorted(p.stem for p in WEBHOOK_CASES.glob("*.json")) == sorted(CASE_NAMES)


@pytest.mark.parametrize("name", CASE_NAMES, ids=CASE_NAMES)
def test_documented_payload_becomes_one_event(cases_db: Query, name: str) -> None:
    line_no = CASE_NAMES.index(name) + 1
    rows = cases_db.dicts("SELECT * FROM events WHERE line_no = ?", line_no)
    assert len(rows) == 1, rows
    event = rows[0]
    assert event["page_id"] == PAGE_ID
    assert {k: event[k] for k in CASES[name]} == CASES[name]


def test_documented_payloads_are_not_rejected(cases_db: Query) -> None:
    assert cases_db("SELECT line_no, reason FROM rejects") == []


def test_envelope_lines_parse_like_their_body(
    cases_db: Query, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The receiver wraps Meta's POST bodies; send-log lines come from the page's own sender.
    webhooks = [n for n in CASE_NAMES if _case(n)["object"] == "page"]
    enveloped = _ingest_to(
        tmp_path_factory.mktemp("envelopes"),
        [f.envelope(_case(n), received_at=T0 + 3 * f.DAY) for n in webhooks],
    )
    cols = "* EXCLUDE (file, run_id)"
    plain = cases_db(
        f"SELECT {cols} FROM events WHERE line_no <= ? ORDER BY line_no", len(webhooks)
    )
    assert len(plain) == len(webhooks) == len(CASE_NAMES) - 1
    assert enveloped(f"SELECT {cols} FROM events ORDER BY line_no") == plain
    assert enveloped("SELECT count(*) FROM rejects") == [(0,)]
