"""Parsing: every documented delivery shape becomes the right `events` row.

Each case goes through the real pipeline into a real DuckDB file. The captured payloads in
tests/data/webhooks/ follow Meta's documented samples, factories cover variations:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

import tests.factories as f
from ingest import attribute, pipeline, stage, webhook
from tests.conftest import WEBHOOK_CASES, Query
from tests.factories import PAGE_ID, PSID, T0, utc

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


def _ingest_to(tmp: Path, lines: list[Any]) -> Query:
    db_file = tmp / "refscope.duckdb"
    log = f.write_ndjson(tmp / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_file, keep_text=True)  # these tests read the text back
    return Query(db_file)


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


# Variations built by the factories, each with its own contact so that none dedupes another;
# all are ingested once, in one log, and each test looks at the events of its own lines.
SAME_INSTANT = {
    "ms-int": T0,
    "seconds-int": T0 // 1000,
    "ms-digit-string": str(T0),
    "seconds-digit-string": str(T0 // 1000),
    "seconds-float": T0 / 1000,
    "ms-float": float(T0),
    "ms-exponent-string": "1.7e12",
}
# Instants outside 2000–2100 are missing too: a doc sample's 1970 placeholder, a year 2200.
UNUSABLE_STAMPS = {"placeholder": "TIMESTAMP", "null": None, "empty-string": "",
                   "sample-1970": 2222222, "year-2200": 7258118400000}  # fmt: skip
ECHO_METADATA = {
    "comment-id": (json.dumps({"comment_id": "c_42"}), "c_42"),
    "json-without-comment-id": (json.dumps({"campaign": "spring"}), None),
    "bare-comment-id": ("1122334455_998877", "1122334455_998877"),
    "bare-numeric-id": ("998877", None),  # not a <post>_<comment> id: some other developer string
    "not-json": ("plain developer string", None),
}
BATCHED = f.batch(
    f.entry(f.message("a", psid="b1", ts=T0), f.message("b", psid="b2", ts=T0 + 1)),
    f.entry(f.delivery_receipt(["m1"], T0, psid="b1", ts=T0 + 2), page_id=PAGE_ID),
    f.entry(f.message("c", psid="b3", ts=T0 + 3), page_id=f.OTHER_PAGE_ID),
    f.entry(f.reaction(psid="b1", ts=T0 + 4), container="standby"),
)
POLICY_ENFORCEMENT = f.other_item("policy-enforcement", {"action": "block", "reason": "spam"})
del POLICY_ENFORCEMENT["sender"]
VARIANTS: dict[str, list[Any]] = {
    **{
        f"ts:{name}": [f.delivery(f.message(psid=f"ts:{name}", ts=stamp), time=T0 + 999)]
        for name, stamp in SAME_INSTANT.items()
    },
    "ts:fraction": [f.delivery(f.referral(psid="ts:fraction", ts=(T0 + 123) / 1000))],
    **{
        f"fallback:{name}": [
            f.delivery(f.optin(type="notification_messages", psid=name, ts=stamp), time=T0 + 5000)
        ]
        for name, stamp in UNUSABLE_STAMPS.items()
    },
    "fallback:received_at": [
        f.envelope(
            f.delivery(f.optin(type="one_time_notif_req", psid="env", ts="TIMESTAMP"),
                       time="TIMESTAMP"),
            received_at=T0 + 7000,
        )
    ],
    "fallback:entry-seconds": [
        f.delivery(f.read_receipt(psid="secs", ts="TIMESTAMP"), time=T0 // 1000)
    ],
    "batched": [BATCHED],
    "echo:page-sender": [f.delivery(f.echo(psid="e1", mid="m_e1"))],
    "echo:psid-sender": [f.delivery(f.echo(psid="e2", mid="m_e2", reverse=True))],
    **{
        f"metadata:{name}": [f.delivery(f.echo(psid=name, mid=f"m_{name}", metadata=metadata))]
        for name, (metadata, _) in ECHO_METADATA.items()
    },
    "send-log": [f.send_log("c_77", "u5", ts=T0, message_id="m_reply_77")],
    "send-log-envelope": [f.envelope(f.send_log("c_78", "u6", ts=T0, message_id="m_reply_78"))],
    "send-log-envelope-undated": [
        f.envelope(f.send_log("c_79", "u7", ts="TIMESTAMP", message_id="m_reply_79"),
                   received_at=T0)
    ],
    "postback-mids": [
        f.delivery(f.postback(mid="pb_1", psid="p1")),
        f.delivery(f.postback(with_mid=False, psid="p2", referral=f.referral_obj("r2"))),
    ],
    "comment": [f.feed(f.comment(comment_id="c_9", from_id="10158230000000009"))],
    "unknown-key": [f.delivery(f.other_item("messaging_game_plays", {"game_id": "g1"}))],
    "unknown-key-no-sender": [f.delivery(POLICY_ENFORCEMENT)],
    "escaped-unicode": [
        # Meta's raw bodies escape non-ASCII as \uXXXX (emoji as surrogate pairs) and "/" as "\/"
        f.line(f.delivery(f.message("x", psid="esc", mid="m_esc")))
        .replace('"x"', '"Hej \\u00e4\\u00f6\\u00e5 \\ud83d\\ude00 https:\\/\\/a.example\\/b"')
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[dict[str, Any]]]:
    lines: list[Any] = []
    spans: dict[str, tuple[int, int]] = {}
    for name, items in VARIANTS.items():
        spans[name] = (len(lines) + 1, len(lines) + len(items))
        lines += items
    query = _ingest_to(tmp_path_factory.mktemp("variants"), lines)
    assert query("SELECT line_no, reason FROM rejects") == []

    def events_of(name: str) -> list[dict[str, Any]]:
        return query.dicts(
            "SELECT * FROM events WHERE line_no BETWEEN ? AND ? ORDER BY line_no, ts", *spans[name]
        )

    return events_of


def _one(variants: Callable[[str], list[dict[str, Any]]], name: str) -> dict[str, Any]:
    (event,) = variants(name)
    return event


@pytest.mark.parametrize("name", list(SAME_INSTANT))
def test_timestamps_are_normalised_by_magnitude(variants, name: str) -> None:
    assert _one(variants, f"ts:{name}")["ts"] == utc(T0)


def test_fractional_seconds_keep_their_milliseconds(variants) -> None:
    assert _one(variants, "ts:fraction")["ts"] == utc(T0 + 123)


@pytest.mark.parametrize("name", list(UNUSABLE_STAMPS))
def test_unusable_item_timestamp_falls_back_to_entry_time(variants, name: str) -> None:
    assert _one(variants, f"fallback:{name}")["ts"] == utc(T0 + 5000)


def test_missing_item_and_entry_time_fall_back_to_received_at(variants) -> None:
    assert _one(variants, "fallback:received_at")["ts"] == utc(T0 + 7000)


def test_entry_time_in_seconds_is_a_fallback_too(variants) -> None:
    assert _one(variants, "fallback:entry-seconds")["ts"] == utc(T0)


def test_every_item_of_a_batched_post_is_an_event(variants) -> None:
    rows = [(e["page_id"], e["psid"], e["kind"], e["is_standby"]) for e in variants("batched")]
    assert rows == [
        (PAGE_ID, "b1", "message", False),
        (PAGE_ID, "b2", "message", False),
        (PAGE_ID, "b1", "delivery", False),
        (f.OTHER_PAGE_ID, "b3", "message", False),
        (PAGE_ID, "b1", "reaction", True),
    ]


@pytest.mark.parametrize(
    "name, psid", [("page-sender", "e1"), ("psid-sender", "e2")], ids=["page-sender", "psid-sender"]
)
def test_echo_psid_is_the_user_in_either_direction(variants, name: str, psid: str) -> None:
    event = _one(variants, f"echo:{name}")
    assert (event["kind"], event["psid"], event["page_id"]) == ("message_echo", psid, PAGE_ID)


@pytest.mark.parametrize("name", list(ECHO_METADATA))
def test_echo_metadata_carries_the_private_reply_comment_id(variants, name: str) -> None:
    comment_id = ECHO_METADATA[name][1]
    event = _one(variants, f"metadata:{name}")
    assert (event["comment_id"], event["channel"]) == (
        comment_id,
        "comment_reply" if comment_id else None,
    )


@pytest.mark.parametrize(
    "name, psid, comment_id, mid",
    [("send-log", "u5", "c_77", "m_reply_77"), ("send-log-envelope", "u6", "c_78", "m_reply_78"),
     ("send-log-envelope-undated", "u7", "c_79", "m_reply_79")],
)  # fmt: skip
def test_send_log_line_is_a_private_reply_to_the_recipient(
    variants, name: str, psid: str, comment_id: str, mid: str
) -> None:
    event = _one(variants, name)
    assert {k: event[k] for k in ("kind", "psid", "comment_id", "mid", "page_id", "ts")} == {
        "kind": "private_reply",
        "psid": psid,
        "comment_id": comment_id,
        "mid": mid,
        "page_id": PAGE_ID,
        "ts": utc(T0),
    }


def test_postback_with_and_without_mid(variants) -> None:
    rows = [(e["psid"], e["mid"], e["ref"], e["channel"]) for e in variants("postback-mids")]
    assert rows == [("p1", "pb_1", None, None), ("p2", None, "r2", "m_me_link")]


def test_comment_from_id_is_never_a_psid(variants) -> None:
    event = _one(variants, "comment")
    assert (event["psid"], event["commenter_id"]) == (None, "10158230000000009")


def test_unknown_item_key_is_kept_as_other(variants) -> None:
    event = _one(variants, "unknown-key")
    assert (event["kind"], event["detail"], event["psid"]) == (
        "other",
        "messaging_game_plays",
        PSID,
    )


def test_unknown_item_without_a_sender_is_kept_as_other(variants) -> None:
    # messaging_policy_enforcement is about the page, addressed to it with no sender.
    event = _one(variants, "unknown-key-no-sender")
    assert (event["kind"], event["detail"], event["psid"], event["page_id"]) == (
        "other", "policy-enforcement", None, PAGE_ID)  # fmt: skip
    assert event["is_user_ref"] is False  # no one at all, not a user_ref


def test_escaped_unicode_is_decoded(variants) -> None:
    text = _one(variants, "escaped-unicode")["text"]
    assert text == "Hej \u00e4\u00f6\u00e5 \U0001f600 https://a.example/b"


def test_event_keys_keep_their_formula_across_versions(tmp_path: Path) -> None:
    """A changed key would let a re-read log add every event again: pin how keys are made."""
    query = _ingest_to(
        tmp_path,
        [
            f.delivery(f.message("hi", mid="m_key_1")),
            f.delivery(f.read_receipt(T0 - 5000, ts=T0)),
        ],
    )
    sep = "\x1f"
    expected = {
        "message": sep.join([PAGE_ID, "message", "m_key_1"]),
        # The normalised event: page, contact, kind, instant, then the kind's fields set.
        "read": sep.join([PAGE_ID, PSID, "read", str(T0), str(T0 - 5000)]),
    }
    con = duckdb.connect()
    try:
        for kind, text in expected.items():
            (key,) = con.execute("SELECT md5_number(?)", [text]).fetchone() or (None,)
            assert query("SELECT event_key FROM events WHERE kind = ?", kind) == [(key,)], kind
    finally:
        con.close()


def test_a_sample_line_is_parsed_once_not_once_per_use_of_its_fields() -> None:
    """Every feed change has a "field", so every line of a feed-heavy log goes through the
    sample parts: their parse must run once per line. Inlined, it ran once for each use of its
    result (16 times in the sample change part's plan), slower than reading the changes."""
    con = duckdb.connect()
    con.execute(webhook.MACROS)
    attribute.install_macros(con)
    con.execute("CREATE TEMP TABLE rs_rare (rid BIGINT, file_id INTEGER, line_no BIGINT, "
                "raw VARCHAR)")  # fmt: skip
    sample_parts = [q for marker, q in stage.STAGE_PARTS if marker == '"field"']
    assert len(sample_parts) == 2
    for sql in sample_parts:
        plan = "".join(row[1] for row in con.execute("EXPLAIN " + sql).fetchall())
        assert plan.count("json_transform(") <= 1


def test_referral_keys_keep_their_formula_across_versions(tmp_path: Path) -> None:
    """A referral has no mid: its key is its normalised fields, each of which must stay in it
    (a referral stored under an older key would be added again, as a second re-entry)."""
    query = _ingest_to(
        tmp_path,
        [
            f.delivery(f.chat_plugin_referral("uref-9", ts=T0)),
            f.delivery(f.referral(None, "ADS", psid="u_ad", ts=T0, ad_id="23843301927710456")),
        ],
    )
    sep = "\x1f"
    expected = {
        "uref-9": sep.join([PAGE_ID, "uref-9", "referral", str(T0), "menu_page",
                            "CUSTOMER_CHAT_PLUGIN", "https://www.acmebakery.example/menu"]),
        "u_ad": sep.join([PAGE_ID, "u_ad", "referral", str(T0), "ADS", "23843301927710456"]),
    }  # fmt: skip
    con = duckdb.connect()
    try:
        for psid, text in expected.items():
            (key,) = con.execute("SELECT md5_number(?)", [text]).fetchone() or (None,)
            assert query("SELECT event_key FROM events WHERE psid = ?", psid) == [(key,)], psid
    finally:
        con.close()
