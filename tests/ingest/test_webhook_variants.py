"""Parsing variations built with the factories, all ingested once through the real pipeline into a
real DuckDB file: timestamps of every magnitude and their fallbacks, batched posts, echoes and
their metadata, send-log lines, postbacks, comments, unknown items and escaped unicode."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import tests.factories as f
import tests.factories_feed as ff
from tests.factories import PAGE_ID, PSID, T0, utc
from tests.ingest.logs import _ingest_to

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
    # A comment_id that names no comment: empty (a template with no comment to fill in),
    # spaces, or an object or list, not an id.
    "json-empty-comment-id": (json.dumps({"comment_id": ""}), None),
    "json-blank-comment-id": (json.dumps({"comment_id": "  "}), None),
    "json-object-comment-id": (json.dumps({"comment_id": {"id": "1122334455_998877"}}), None),
    "json-list-comment-id": (json.dumps({"comment_id": ["1122334455_998877"]}), None),
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
    "send-log": [ff.send_log("c_77", "u5", ts=T0, message_id="m_reply_77")],
    "send-log-envelope": [f.envelope(ff.send_log("c_78", "u6", ts=T0, message_id="m_reply_78"))],
    "send-log-envelope-undated": [
        f.envelope(ff.send_log("c_79", "u7", ts="TIMESTAMP", message_id="m_reply_79"),
                   received_at=T0)
    ],
    "postback-mids": [
        f.delivery(f.postback(mid="pb_1", psid="p1")),
        f.delivery(f.postback(with_mid=False, psid="p2", referral=f.referral_obj("r2"))),
    ],
    "comment": [ff.feed(ff.comment(comment_id="c_9", from_id="10158230000000009"))],
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
